"""The rules on canonical data (`check_data`): required values, bounds, allowed values and
texts cell by cell (each distinct value checked once), duplicates, rules between cells of a
row, and rules between sheets within each territory (ALSH known in Équipements, plan year
columns inside the CTG, fiches and plan numbers matching). The import runs them on every
territory of a file at once; in-app edits on one territory, with the same messages.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import replace
from functools import lru_cache

import numpy as np
import pandas as pd

from ctg_data import schemas
from ctg_data.errors import Problem, format_value, problem
from ctg_data.formatting import fr_short_date, printable
from ctg_data.model import CtgData
from ctg_data.schemas import (
    ALSH, CODE_INSEE, EQUIPEMENTS, FICHES_ACTIONS, PLAN_ACTION, TABLE_SHEETS, TERRITOIRE, Column,
    Sheet, normalise,
)
from ctg_data.validation.cells import (
    NUMERIC_TYPES, control_characters, is_missing, out_of_range, text_problem,
)
from ctg_data.validation.origin import Origin, default_origin


def check_data(data: CtgData, origins: dict[str, Origin] | None = None) -> list[Problem]:
    """Every typed, row and cross-sheet rule on one territory's data: required values,
    ranges, allowed values, duplicates, places of structures that have a capacity, opening
    before closing, age bounds, ALSH known in Équipements, plan year columns inside the CTG,
    fiches and plan numbers matching, the territory code. `origins` (from an import) gives the
    tab names, Excel rows and headers for messages; by default rows are counted as in a
    workbook written by the app (header in row 1)."""
    problems: list[Problem] = []
    if origins is None or TERRITOIRE.key in origins:
        problems += check_territoire(data.territoire,
                                     (origins or {}).get(TERRITOIRE.key)
                                     or default_origin(TERRITOIRE))
    elif data.territoire.get(CODE_INSEE.key):
        problems += check_territory_code(data.territoire, None)
    problems += check_tables(data.tables, origins or {}, {}, [data.ctg_years()])
    return problems


def check_tables(tables: dict[str, pd.DataFrame], origins: dict[str, Origin],
                 groups: dict[str, np.ndarray], years: list[tuple], owners: dict | None = None
                 ) -> list[Problem]:
    """The rules on the tables of one territory, or of several at once: `groups[sheet]` gives
    the territory (a position) of each row (every row is territory 0 when absent) and
    `years[position]` its CTG's first and last years. Rows are compared with rows of their
    own territory only; the problems come in the order of checking each territory alone
    once sorted by sheet and row. `owners` receives id(problem) -> position for the
    problems found on a header row."""
    problems: list[Problem] = []
    for sheet in TABLE_SHEETS:
        frame = tables[sheet.key]
        if frame.empty:
            continue
        origin = _origin(origins, sheet, frame)
        problems += _check_cells_by_value(sheet, frame, origin)
        problems += _check_duplicates(sheet, frame, origin, groups.get(sheet.key))
    problems += _check_rows(tables, origins)
    problems += _check_cross_sheets(tables, origins, groups, years, owners)
    # Unusual values and negative counts (issue 10 §4): warnings here, the forms ask for a
    # confirmation (ctg_data.editing). Imported here: plausibility reads validation's origins.
    from ctg_data import plausibility
    problems += plausibility.table_problems(tables, origins, groups)
    return problems


def ctg_years(values: dict) -> tuple[int | None, int | None]:
    """First and last year of the convention (as `CtgData.ctg_years`)."""
    def year(v):
        return int(str(v)[:4]) if v not in (None, "") else None
    return year(values.get("debut_ctg")), year(values.get("fin_ctg"))


def _group_list(groups: dict[str, np.ndarray], key: str, length: int) -> list[int]:
    group = groups.get(key)
    return [0] * length if group is None else group.tolist()


def _check_cells_by_value(sheet: Sheet, frame: pd.DataFrame, origin: Origin) -> list[Problem]:
    """`_check_cells(sheet, frame, origin)`, column by column, each distinct value checked
    once: a cell's problems depend only on its column and value (its row and header only
    place the message), so the cells of a value found wrong are then checked at their rows;
    a column of unhashable or mixed-type values is checked cell by cell."""
    declared = [c.key for c in sheet.columns if c.key in frame]
    problems: list[Problem] = []
    for key in [*declared, *(k for k in frame.columns if k not in set(declared))]:
        part = frame[[key]]
        try:
            codes = _value_codes(part[key])
        except TypeError:
            codes = None
        if codes is None:
            problems += _check_cells(sheet, part, origin)
            continue
        distinct, first = np.unique(codes, return_index=True)
        found = _check_cells(sheet, part.take(first),
                             replace(origin, rows=[origin.rows[i] for i in first.tolist()]))
        if not found:
            continue
        wrong_rows = {p.row for p in found}
        wrong = [code for code, i in zip(distinct.tolist(), first.tolist())
                 if origin.rows[i] in wrong_rows]
        where = np.flatnonzero(np.isin(codes, wrong))
        problems += _check_cells(sheet, part.take(where),
                                 replace(origin, rows=[origin.rows[i] for i in where.tolist()]))
    return problems


def _value_codes(series: pd.Series) -> np.ndarray | None:
    """One integer per distinct value of `series` (missing values share -1), or None when
    equal values could differ for the rules (a column mixing types, like 1 and True)."""
    if series.dtype == object:
        values = series.tolist()
        # The classes of the values that are not missing (see `is_missing`), without a
        # Python call per value: a class of floats counts only through a non-NaN one.
        kinds = set(map(type, values)) - {type(None), type(pd.NA)}
        for kind in [k for k in kinds if issubclass(k, float)] if len(kinds) > 1 else ():
            if all(math.isnan(v) for v in values if v.__class__ is kind):
                kinds.discard(kind)
        if len(kinds) > 1:
            return None
    codes, _ = pd.factorize(series, use_na_sentinel=True)
    return np.asarray(codes)


def check_territoire(values: dict, origin: Origin) -> list[Problem]:
    """The Territoire fields' rules: required fields, allowed values, the territory code."""
    problems = []
    for column in TERRITOIRE.columns:
        value = values.get(column.key)
        where = dict(sheet=origin.sheet_name, row=origin.field_row(column.key),
                     column=origin.column(column))
        if is_missing(value) or value == "":
            if column.required:
                if origin.field_rows is not None and column.key not in origin.field_rows:
                    problems.append(problem("champ_obligatoire_absent", sheet=origin.sheet_name,
                                            column=column.label, label=column.label))
                else:
                    problems.append(problem("valeur_obligatoire", **where))
            continue
        if column.type == "choice" and value not in column.choices:
            problems.append(problem("valeur_non_autorisee", value=value,
                                    allowed=", ".join(column.choices), **where))
    problems += check_territory_code(values, origin)
    return problems


def _is_valid_territory_code(code: str) -> bool:
    """A commune INSEE code (5 characters: digits, or 2A/2B + 3 digits for Corsica) or an
    EPCI SIREN (9 digits)."""
    code = str(code)
    if len(code) == 9:
        return code.isdigit()
    return len(code) == 5 and (code.isdigit() or (code[:2] in ("2A", "2B")
                                                  and code[2:].isdigit()))


def check_territory_code(values: dict, origin: Origin | None) -> list[Problem]:
    """`code_invalide` when the territory code is neither a commune's nor an EPCI's."""
    code = values.get(CODE_INSEE.key)
    if is_missing(code) or code == "" or _is_valid_territory_code(code):
        return []
    if origin is None:
        return [problem("code_invalide", value=code)]
    return [problem("code_invalide", sheet=origin.sheet_name,
                    row=origin.field_row(CODE_INSEE.key), column=origin.column(CODE_INSEE),
                    value=code)]


def _check_cells(sheet: Sheet, frame: pd.DataFrame, origin: Origin) -> list[Problem]:
    """Required values, bounds, whole numbers and allowed values, cell by cell; texts (those
    of unknown columns too) within their length and free of control characters."""
    problems = []
    declared = {c.key for c in sheet.columns}
    extra = []  # unknown columns (long texts) and the plan's year columns (numbers)
    for key in frame.columns:
        if key in declared:
            continue
        year = schemas.year_of_header(key) if sheet.year_columns else None
        extra.append(Column(key=str(key), label=str(key), type="float") if year
                     else Column(key=str(key), label=str(key),
                                 max_length=schemas.LONG_TEXT_LENGTH))
    for column in (*sheet.columns, *extra):
        if column.key not in frame:
            continue
        header = origin.column(column)
        values = frame[column.key].tolist()
        if column.type in ("text", "code"):
            problems += _text_problems(column, values, origin, header)
        for index, value in enumerate(values):
            where = dict(sheet=origin.sheet_name, row=origin.rows[index], column=header)
            if is_missing(value) or value == "":
                if column.required and not _absent(origin, column.key):
                    problems.append(problem("valeur_obligatoire", **where))
                continue
            if column.type in NUMERIC_TYPES:
                try:
                    number = float(value)
                except (TypeError, ValueError):
                    problems.append(problem("nombre_attendu", value=printable(value), **where))
                    continue
                expected = out_of_range(column, number)
                if column.type == "int" and math.isfinite(number) and not number.is_integer():
                    problems.append(problem("entier_attendu", value=value, **where))
                elif expected is not None:
                    problems.append(problem("hors_limites", value=value, expected=expected,
                                            **where))
            elif column.type == "choice" and value not in column.choices:
                problems.append(problem("valeur_non_autorisee", value=printable(value),
                                        allowed=", ".join(column.choices), **where))
    return problems


def _text_problems(column: Column, values: list, origin: Origin, header: str) -> list[Problem]:
    """`text_problem` on each text of a column, after one scan of them all (the common case,
    nothing wrong, costs a join and one regular-expression search)."""
    texts = [v for v in values if isinstance(v, str)]
    if not texts:
        return []
    pattern = control_characters(column)
    if max(map(len, texts)) <= (column.text_limit or math.inf) and \
            pattern.search(" ".join(texts)) is None:
        return []
    return [found for index, value in enumerate(values) if isinstance(value, str)
            if (found := text_problem(column, value, sheet=origin.sheet_name,
                                       row=origin.rows[index], header=header))]


def _comparable(value: object) -> object:
    if is_missing(value):
        return None
    return _fold(value) if isinstance(value, str) else value


_UNIT_SUFFIX = re.compile(r"\s*[\(\[][^\)\]]*[\)\]]\s*$")
_NOT_ALPHANUMERIC = re.compile(r"[^a-z0-9]+")
_LIGATURES = str.maketrans({"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE"})


@lru_cache(maxsize=1 << 16)
def _fold(text: str) -> str:
    """`schemas.normalise(text)` for a text, in a few C-level string operations: the
    accents that NFKD splits off are dropped with every other character outside a-z0-9 (the
    rows of a file compare thousands of names, the same ones in several sheets)."""
    s = text.strip()
    s = _UNIT_SUFFIX.sub("", s) or s
    if not s.isascii():
        s = unicodedata.normalize("NFKD", s.translate(_LIGATURES))
    return _NOT_ALPHANUMERIC.sub("", s.lower())


def _folded(series: pd.Series) -> list:
    """`_comparable` of every value of `series`, each distinct value folded once."""
    values = series.tolist()
    try:
        codes, uniques = pd.factorize(series, use_na_sentinel=True)
    except TypeError:
        return [_comparable(v) for v in values]
    folded = [_comparable(v) for v in uniques.tolist()] if series.dtype == object else None
    if folded is None:
        return [None if is_missing(v) else v for v in values]
    return [folded[c] if c >= 0 else None for c in codes.tolist()]


def _absent(origin: Origin, key: str) -> bool:
    """Whether column `key` was missing from the file's header row: a missing required
    column is one error (« colonne obligatoire absente »), not one more per row."""
    return bool(origin.headers) and key not in origin.headers


def _check_duplicates(sheet: Sheet, frame: pd.DataFrame, origin: Origin,
                      group: np.ndarray | None = None) -> list[Problem]:
    """Two rows (of the same territory, `group`) with the same values in the sheet's
    identifying columns (`Sheet.unique`)."""
    keys = [k for k in sheet.unique if k in frame]
    if not keys or any(_absent(origin, k) for k in keys):
        return []   # an identifying column missing from the file is already one error
    labels = ("même " if len(keys) == 1 else "mêmes ") + " et ".join(
        f"« {origin.column(sheet.column(k))} »" for k in keys)
    seen: dict[tuple, int] = {}
    problems = []
    firsts = frame[keys[0]].tolist()
    groups = [0] * len(frame) if group is None else group.tolist()
    for index, (territory, *identity) in enumerate(zip(groups, *(_folded(frame[k])
                                                                   for k in keys))):
        if all(v is None for v in identity):
            continue
        identity = (territory, *identity)
        if identity in seen:
            problems.append(problem(
                "doublon", sheet=origin.sheet_name, row=origin.rows[index],
                column=origin.column(sheet.column(keys[0])), value=firsts[index],
                columns=labels, other=seen[identity]))
        else:
            seen[identity] = origin.rows[index]
    return problems


def _origin(origins: dict[str, Origin], sheet: Sheet, frame: pd.DataFrame) -> Origin:
    return origins.get(sheet.key) or default_origin(sheet, len(frame))


def _year_part(value: str) -> int:
    return int(str(value)[:4])


def _check_rows(tables: dict[str, pd.DataFrame], origins: dict[str, Origin]) -> list[Problem]:
    """Rules between cells of one row: places of structures that have a capacity, opening
    before closing, minimal age below maximal age."""
    problems = []
    equipements = tables[EQUIPEMENTS.key]
    if not equipements.empty:
        origin = _origin(origins, EQUIPEMENTS, equipements)
        for index, (kind, places) in enumerate(zip(equipements["type"].tolist(),
                                                   equipements["places"].tolist())):
            if kind in schemas.TYPES_WITH_CAPACITY and is_missing(places):
                problems.append(problem(
                    "places_obligatoires", sheet=origin.sheet_name, row=origin.rows[index],
                    column=origin.column(EQUIPEMENTS.column("places")), type=kind))
        for index, (opened, closed) in enumerate(zip(equipements["ouverture"].tolist(),
                                                     equipements["fermeture"].tolist())):
            if is_missing(opened) or is_missing(closed):
                continue
            late = (_year_part(opened) > _year_part(closed)) or (
                len(opened) == len(closed) == 10 and opened > closed)
            if late:
                problems.append(problem(
                    "ouverture_apres_fermeture", sheet=origin.sheet_name,
                    row=origin.rows[index], column=origin.column(EQUIPEMENTS.column("ouverture")),
                    value=fr_short_date(opened), other=fr_short_date(closed)))
    for sheet in TABLE_SHEETS:
        frame = tables[sheet.key]
        if frame.empty or not {"age_min", "age_max"} <= set(frame.columns):
            continue
        origin = _origin(origins, sheet, frame)
        for index, (low, high) in enumerate(zip(frame["age_min"].tolist(),
                                                frame["age_max"].tolist())):
            if not is_missing(low) and not is_missing(high) and low > high:
                problems.append(problem(
                    "age_min_superieur", sheet=origin.sheet_name, row=origin.rows[index],
                    column=origin.column(sheet.column("age_min")), value=low,
                    other=format_value(high)))
    return problems


def _check_cross_sheets(tables: dict[str, pd.DataFrame], origins: dict[str, Origin],
                        groups: dict[str, np.ndarray], years: list[tuple],
                        owners: dict | None = None) -> list[Problem]:
    """Rules between sheets, within each territory: ALSH names known in Équipements, plan
    year columns inside the CTG period, fiches actions and plan numbers matching each other
    (see `check_tables` for `groups`, `years` and `owners`)."""
    problems = []
    alsh, equipements = tables[ALSH.key], tables[EQUIPEMENTS.key]
    if not alsh.empty and not equipements.empty:
        origin = _origin(origins, ALSH, alsh)
        with_equipements = set(_group_list(groups, EQUIPEMENTS.key, len(equipements)))
        known = {(territory, name) for territory, name in zip(
            _group_list(groups, EQUIPEMENTS.key, len(equipements)), _folded(equipements["nom"]))
            if name is not None}
        reported = set()
        for index, (territory, name, folded) in enumerate(zip(
                _group_list(groups, ALSH.key, len(alsh)), alsh["nom"].tolist(),
                _folded(alsh["nom"]))):
            if territory not in with_equipements or is_missing(name) \
                    or (territory, folded) in known or (territory, folded) in reported:
                continue
            reported.add((territory, folded))
            problems.append(problem("alsh_absent_des_equipements", sheet=origin.sheet_name,
                                    row=origin.rows[index],
                                    column=origin.column(ALSH.column("nom")), value=name))

    plan = tables[PLAN_ACTION.key]
    if not plan.empty:
        origin = _origin(origins, PLAN_ACTION, plan)
        plan_groups = np.asarray(_group_list(groups, PLAN_ACTION.key, len(plan)))
        year_columns = _plan_year_columns(plan)
        filled = {year: set(plan_groups[plan[year].notna().to_numpy()].tolist())
                  for year in year_columns}
        for territory in sorted(set(plan_groups.tolist())):
            debut, fin = years[territory]
            if not (debut and fin):
                continue
            for year in year_columns:
                if not debut <= int(year) <= fin and territory in filled[year]:
                    found = problem(
                        "annee_hors_ctg", sheet=origin.sheet_name, row=origin.header_row,
                        column=origin.column(year), value=year, debut=debut, fin=fin)
                    if owners is not None:
                        owners[id(found)] = territory
                    problems.append(found)

    fiches = tables[FICHES_ACTIONS.key]
    if not plan.empty and not fiches.empty:
        plan_numbers = _numbers(plan["numero_action"],
                                _group_list(groups, PLAN_ACTION.key, len(plan)))
        fiche_numbers = _numbers(fiches["numero_action"],
                                 _group_list(groups, FICHES_ACTIONS.key, len(fiches)))
        plan_origin = _origin(origins, PLAN_ACTION, plan)
        fiche_origin = _origin(origins, FICHES_ACTIONS, fiches)
        for territory in sorted(set(plan_numbers) & set(fiche_numbers)):
            mine, theirs = plan_numbers[territory], fiche_numbers[territory]
            if mine:
                problems += _unmatched_actions("fiche_non_utilisee", FICHES_ACTIONS, fiches,
                                               fiche_origin, theirs, mine)
            problems += _unmatched_actions("action_sans_fiche", PLAN_ACTION, plan,
                                           plan_origin, mine, theirs)
    return problems


def _unmatched_actions(code: str, sheet: Sheet, frame: pd.DataFrame, origin: Origin,
                       numbers: dict[str, int], others: dict[str, int]) -> list[Problem]:
    """A `code` problem on each row of `frame` whose action number is not among `others`."""
    column = origin.column(sheet.column("numero_action"))
    return [problem(code, sheet=origin.sheet_name, row=origin.rows[index], column=column,
                    value=frame["numero_action"].iloc[index])
            for number, index in numbers.items() if number not in others]


def _plan_year_columns(plan: pd.DataFrame) -> list[str]:
    declared = {c.key for c in PLAN_ACTION.columns}
    return [c for c in plan.columns if c not in declared and schemas.year_of_header(c)]


def _numbers(values: pd.Series, groups: list[int]) -> dict[int, dict[str, int]]:
    """For each territory of `groups` that has rows: its action numbers (compared without
    case, spaces or punctuation) -> first row index."""
    found: dict[int, dict[str, int]] = {territory: {} for territory in groups}
    for index, (territory, value) in enumerate(zip(groups, values.tolist())):
        if not is_missing(value) and str(value).strip():
            found[territory].setdefault(_fold(value) if isinstance(value, str)
                                        else normalise(value), index)
    return found
