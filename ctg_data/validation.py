"""Raw sheets -> one CtgData per territory, and every problem of the file at once.

Everything here is driven by the declarations of `ctg_data.schemas`: the header row is the
first row that holds a sheet's required columns, headers are matched with `match_column`,
each cell is parsed by `parse_value` with its column's type, and `check_data` then runs the
typed, row and cross-sheet rules on the canonical data. Validation is lazy (as pandera's
`lazy=True`): nothing stops at the first problem. `check_data` is also what in-app edits call,
so they get the same messages as an import.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from functools import lru_cache

import pandas as pd

from ctg_data import reading, schemas
from ctg_data.errors import Problem, UnreadableFile, format_number, format_value, problem
from ctg_data.formatting import fr_short_date
from ctg_data.model import CtgData
from ctg_data.reading import RawSheet, RawWorkbook
from ctg_data.schemas import (
    ALSH, CODE_INSEE, EQUIPEMENTS, FICHES_ACTIONS, PLAN_ACTION, SHEETS_BY_KEY, TABLE_SHEETS,
    TERRITOIRE, Column, Sheet, normalise,
)

NUMERIC_TYPES = ("int", "float", "percent")
# How many rows from the top may hold titles and notes before the header row.
HEADER_SEARCH_ROWS = 100
# Codes that lose their leading zero when a spreadsheet stores them as numbers, and the width
# that restores it (commune 01065, département 01).
CODE_WIDTHS = {CODE_INSEE.key: 5, TERRITOIRE.column("departement").key: 2}
# A key-value Territoire sheet may start with this header row (the template's).
KEY_VALUE_HEADER = normalise("Champ")
_DASHES = frozenset({"-", "–", "—"})


@dataclass
class Origin:
    """Where a sheet's data sits in the file, for messages: the tab name, the Excel row of
    each table row (or of each Territoire field) and the header text of each column."""

    sheet_name: str
    rows: list[int] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    header_row: int | None = None
    # Key-value Territoire sheet: Excel row of each field found.
    field_rows: dict[str, int] | None = None

    def column(self, column: Column | str) -> str:
        """The header the file used for `column` (its label when the file lacked it)."""
        key = column if isinstance(column, str) else column.key
        label = column if isinstance(column, str) else column.label
        return self.headers.get(key, label)

    def field_row(self, key: str) -> int | None:
        """The Excel row of Territoire field `key`: its own row in a key-value sheet, the
        territory's row in a table."""
        if self.field_rows is not None:
            return self.field_rows.get(key)
        return self.rows[0] if self.rows else None


def default_origin(sheet: Sheet, length: int = 0) -> Origin:
    """The origin of data laid out as the app writes it: header in row 1, data from row 2
    (key-value Territoire: one field per row in declared order)."""
    if sheet.key_value:
        return Origin(sheet.name, headers={c.key: c.label for c in sheet.columns},
                      field_rows={c.key: i + 2 for i, c in enumerate(sheet.columns)})
    return Origin(sheet.name, rows=[i + 2 for i in range(length)], header_row=1)


# --- One cell ----------------------------------------------------------------------------------

def parse_value(column: Column, raw: object, *, sheet: str | None, row: int | None
                ) -> tuple[object, Problem | None]:
    """Parse one cell with the format's rules for `column`: the canonical value (see
    ctg_data.model) and the problem found, if any. Missing markers give None (or the column's
    default), never zero; an out-of-range number is returned with its problem."""
    def fail(code, value=None, **params):
        return value, problem(code, sheet=sheet, row=row, column=column.label, value=raw,
                              **params)

    kind = column.type
    if kind == "text":
        text = reading.cell_text(raw)
        return (None if text in _DASHES else text), None
    if kind == "choice":
        if reading.is_blank(raw):
            return column.default, None
        choice = schemas.match_choice(column, reading.cell_text(raw))
        if choice is not None:
            return choice, None
        if reading.is_missing(raw):
            return column.default, None
        return fail("valeur_non_autorisee", allowed=", ".join(column.choices))
    if reading.is_missing(raw):
        return column.default, None
    if kind in NUMERIC_TYPES:
        try:
            value = reading.parse_number(raw, percent=kind == "percent")
        except ValueError:
            return fail("nombre_attendu")
        if kind == "int" and not value.is_integer():
            return fail("entier_attendu")
        if (expected := _out_of_range(column, value)) is not None:
            return fail("hors_limites", value, expected=expected)
        return value, None
    if kind == "year":
        try:
            return reading.parse_year(raw), None
        except ValueError:
            return fail("annee_attendue")
    if kind == "date":
        try:
            return reading.parse_date(raw), None
        except ValueError:
            return fail("date_attendue")
    if kind == "date_or_year":
        try:
            return reading.parse_date_or_year(raw), None
        except ValueError:
            return fail("date_ou_annee_attendue")
    # kind == "code"
    try:
        code = reading.parse_code(raw)
    except ValueError:
        return fail("code_attendu")
    width = CODE_WIDTHS.get(column.key)
    if width and code.isdigit() and len(code) == width - 1:
        fixed = "0" + code
        return fixed, problem("code_complete", sheet=sheet, row=row, column=column.label,
                              value=code, fixed=fixed)
    return code, None


def _out_of_range(column: Column, value: float) -> str | None:
    """None when `value` respects the column's bounds, else what was expected, in French."""
    low, high = column.minimum, column.maximum
    if (low is None or value >= low) and (high is None or value <= high):
        return None
    if low is not None and high is not None:
        return f"comprise entre {format_number(low)} et {format_number(high)}"
    if low == 0:
        return "positive ou nulle"
    if low is not None:
        return f"supérieure ou égale à {format_number(low)}"
    return f"inférieure ou égale à {format_number(high)}"


def _is_missing(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


# --- One table sheet ---------------------------------------------------------------------------

@lru_cache(maxsize=8192)
def _match(sheet_key: str, header: str) -> Column | None:
    return schemas.match_column(SHEETS_BY_KEY[sheet_key], header)


def _header_text(cell: object) -> str:
    return reading.cell_text(cell) or ""


def _known_keys(sheet: Sheet, row: list) -> set[str]:
    """The keys of the columns of `sheet` that the cells of `row` name."""
    return {col.key for cell in row if (col := _match(sheet.key, _header_text(cell)))}


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def find_header_row(sheet: Sheet, rows: list[list]) -> int | None:
    """Index of the first row holding every required column of `sheet` (title and note
    rows above it are skipped), or None."""
    required = {c.key for c in sheet.required_columns}
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        if required <= _known_keys(sheet, row):
            return index
    return None


def _best_header_row(sheet: Sheet, rows: list[list]) -> int | None:
    """When no row holds all required columns: the row naming the most known columns,
    else the first non-empty row (so the missing columns can be reported precisely)."""
    best, best_count = None, 0
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        count = len(_known_keys(sheet, row))
        if count > best_count:
            best, best_count = index, count
    if best is None:
        best = next((i for i, row in enumerate(rows) if any(not reading.is_blank(c) for c in row)),
                    None)
    return best


def _missing_columns(sheet: Sheet, tab: str, header_row: int | None, found: set[str]
                     ) -> list[Problem]:
    """One error per required column of `sheet` absent from the header row."""
    problems = []
    for column in sheet.required_columns:
        if column.key not in found:
            synonyms = ", ".join(column.synonyms)
            problems.append(problem(
                "colonne_obligatoire_absente", sheet=tab, row=header_row, column=column.label,
                label=column.label, synonyms=f" (ou : {synonyms})" if synonyms else ""))
    return problems


@dataclass
class ParsedTable:
    """A table sheet after cell parsing: records keyed by column key (or extra header), the
    Excel row of each record, where columns came from, and the problems found."""

    sheet: Sheet
    origin: Origin
    records: list[dict] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    has_code_column: bool = False


def _fill_merged_down(raw: RawSheet, first_data_row: int) -> set[tuple[int, int]]:
    """Copy the value of each vertically merged data cell (an axis written once beside its
    actions) into the rows it spans; return the cells filled that way."""
    filled = set()
    for (row0, col0), (row1, col1) in raw.merged:
        if col0 != col1 or row1 <= row0 or row0 < first_data_row or row0 >= len(raw.rows):
            continue
        top = raw.rows[row0]
        value = top[col0] if col0 < len(top) else None
        for index in range(row0 + 1, min(row1, len(raw.rows) - 1) + 1):
            cells = raw.rows[index]
            if col0 < len(cells) and reading.is_blank(cells[col0]):
                cells[col0] = value
                filled.add((index, col0))
    return filled


def parse_table(sheet: Sheet, raw: RawSheet) -> ParsedTable:
    """Parse one table sheet: find the header row, match the headers, parse every cell."""
    rows = raw.rows
    header_index = find_header_row(sheet, rows)
    found_header = header_index is not None
    if not found_header:
        header_index = _best_header_row(sheet, rows)
    origin = Origin(raw.name, header_row=None if header_index is None else header_index + 1)
    table = ParsedTable(sheet, origin)
    if header_index is None:
        return table
    if not found_header and not any(_match(sheet.key, _header_text(c))
                                    for c in rows[header_index]):
        # No header row at all: say which columns are expected, read nothing.
        table.problems += _missing_columns(sheet, raw.name, None, set())
        return table
    header_row = header_index + 1
    data = rows[header_index + 1:]
    filled = _fill_merged_down(raw, header_index + 1)

    columns: list[tuple[int, str, Column | None]] = []  # (index, key, column or None = extra)
    seen: dict[str, str] = {}
    for index, cell in enumerate(rows[header_index]):
        text = _header_text(cell)
        if not text:
            if any(index < len(r) and not reading.is_blank(r[index]) for r in data):
                table.problems.append(problem("colonne_sans_entete", sheet=raw.name,
                                              row=header_row, column=_column_letter(index)))
            continue
        year = schemas.year_of_header(text) if sheet.year_columns else None
        column = (Column(key=str(year), label=str(year), type="float") if year
                  else _match(sheet.key, text))
        key = column.key if column else text
        if key in seen:
            if column:
                table.problems.append(problem("colonne_en_double", sheet=raw.name,
                                              row=header_row, column=text, other=seen[key]))
                continue
            key = f"{text} ({_column_letter(index)})"
        if column is None:
            table.problems.append(problem("colonne_inconnue", sheet=raw.name, row=header_row,
                                          column=text))
        seen[key] = text
        origin.headers[key] = text
        columns.append((index, key, column))
    table.has_code_column = CODE_INSEE.key in seen

    table.problems += _missing_columns(sheet, raw.name, header_row, set(seen))

    percent_signs: dict[str, bool] = {}
    for offset, cells in enumerate(data):
        index = header_index + 1 + offset
        if all(j >= len(cells) or reading.is_blank(cells[j]) or (index, j) in filled
               for j, _, _ in columns):
            continue
        record = {}
        for j, key, column in columns:
            raw_value = cells[j] if j < len(cells) else None
            if column is None:
                record[key] = reading.cell_text(raw_value)
                continue
            value, found = parse_value(column, raw_value, sheet=raw.name, row=index + 1)
            if found:
                table.problems.append(replace(found, column=origin.headers[key]))
            if column.type == "percent" and reading.has_percent_sign(raw_value):
                percent_signs[key] = True
            record[key] = value
        table.records.append(record)
        origin.rows.append(index + 1)

    for j, key, column in columns:
        if column is None or column.type != "percent" or percent_signs.get(key):
            continue
        values = [r[key] for r in table.records if not _is_missing(r[key])]
        if values and all(0 <= v <= 1 for v in values) and any(0 < v < 1 for v in values):
            for record in table.records:
                if not _is_missing(record[key]):
                    record[key] = round(record[key] * 100, 10)
            table.problems.append(problem("pourcentages_en_fraction", sheet=raw.name,
                                          row=header_row, column=origin.headers[key]))
    return table


# --- Territoire ---------------------------------------------------------------------------------

@dataclass
class ParsedTerritory:
    """One territory read from the Territoire sheet, with where each field came from."""

    values: dict
    origin: Origin


def parse_territoire(raw: RawSheet) -> tuple[list[ParsedTerritory], list[Problem], bool]:
    """The territories of a Territoire sheet — key-value (Champ / Valeur) or a table with one
    row per territory — the problems found, and whether it was a table."""
    if find_header_row(TERRITOIRE, raw.rows) is not None:
        table = parse_table(TERRITOIRE, raw)
        territories = [
            ParsedTerritory(record, Origin(raw.name, rows=[row], headers=table.origin.headers,
                                           header_row=table.origin.header_row))
            for record, row in zip(table.records, table.origin.rows)]
        return territories, table.problems, True

    values, problems = {}, []
    origin = Origin(raw.name, field_rows={})
    for index, cells in enumerate(raw.rows):
        filled = [(j, c) for j, c in enumerate(cells) if not reading.is_blank(c)]
        if not filled:
            continue
        j, label = filled[0]
        label_text = _header_text(label)
        raw_value = cells[j + 1] if j + 1 < len(cells) else None
        column = _match(TERRITOIRE.key, label_text)
        if column is None:
            if normalise(label_text) != KEY_VALUE_HEADER and not reading.is_blank(raw_value):
                problems.append(problem("champ_inconnu", sheet=raw.name, row=index + 1,
                                        column=label_text))
                values[label_text] = reading.cell_text(raw_value)
            continue
        if column.key in origin.field_rows:
            problems.append(problem("champ_en_double", sheet=raw.name, row=index + 1,
                                    column=label_text, other=origin.field_rows[column.key]))
            continue
        value, found = parse_value(column, raw_value, sheet=raw.name, row=index + 1)
        if found:
            problems.append(replace(found, column=label_text))
        values[column.key] = value
        origin.field_rows[column.key] = index + 1
        origin.headers[column.key] = label_text
    return [ParsedTerritory(values, origin)], problems, False


# --- The whole workbook ------------------------------------------------------------------------

def guess_sheet(raw: RawSheet) -> Sheet | None:
    """The sheet whose required columns a CSV's header row holds (the one naming the most
    known columns when several fit), or the key-value Territoire layout, or None."""
    best, best_count = None, 0
    for sheet in schemas.SHEETS:
        index = find_header_row(sheet, raw.rows)
        if index is None:
            continue
        count = len(_known_keys(sheet, raw.rows[index]))
        if count > best_count:
            best, best_count = sheet, count
    if best is None:
        labels = {col.key for row in raw.rows[:HEADER_SEARCH_ROWS] if row
                  if (col := _match(TERRITOIRE.key, _header_text(row[0])))}
        if {c.key for c in TERRITOIRE.required_columns} <= labels:
            best = TERRITOIRE
    return best


def _sheet_names() -> str:
    return ", ".join(s.name for s in schemas.SHEETS)


def _assign_sheets(book: RawWorkbook, file_name: str, sheet_name: str | None
                   ) -> tuple[dict[str, RawSheet], list[Problem]]:
    """Map each schema sheet key to the raw sheet holding it; warn about unknown tabs."""
    problems: list[Problem] = []
    chosen: dict[str, RawSheet] = {}
    if book.kind == "csv":
        raw = book.sheets[0]
        if sheet_name:
            sheet = schemas.find_sheet(sheet_name)
            if sheet is None:
                raise UnreadableFile.of("feuille_demandee_inconnue", sheet=sheet_name,
                                        sheets=_sheet_names())
        else:
            sheet = guess_sheet(raw)
            if sheet is None:
                raise UnreadableFile.of("csv_colonnes_inconnues", file=file_name,
                                        sheets=_sheet_names())
            problems.append(problem("feuille_devinee", sheet=raw.name, guessed=sheet.name))
        chosen[sheet.key] = RawSheet(sheet.name, raw.rows)
        return chosen, problems

    ignored = {normalise(n) for n in schemas.IGNORED_SHEETS}
    by_name = {raw.name: raw for raw in book.sheets}
    for tab in book.tab_names:
        sheet = schemas.find_sheet(tab)
        if sheet is None:
            if normalise(tab) not in ignored:
                problems.append(problem("feuille_inconnue", sheet=tab, sheets=_sheet_names()))
            continue
        if sheet.key in chosen:
            problems.append(problem("feuille_en_double", sheet=tab,
                                    other=chosen[sheet.key].name))
            continue
        if tab in by_name:
            chosen[sheet.key] = by_name[tab]
    return chosen, problems


def build_datasets(book: RawWorkbook, *, file_name: str = "", sheet: str | None = None,
                   territoire: str | None = None) -> tuple[list[CtgData], list[Problem]]:
    """Every territory's CtgData and every problem of the file (errors and warnings).

    `sheet` names the sheet of a CSV (else it is guessed from its columns). A file without a
    Territoire sheet applies to the codes of its `Code INSEE` column, else to `territoire`
    when given, else it is an error. Raises UnreadableFile when a CSV's sheet is unknown."""
    chosen, problems = _assign_sheets(book, file_name, sheet)

    territories: list[ParsedTerritory] = []
    multi = False
    if TERRITOIRE.key in chosen:
        territories, found, is_table = parse_territoire(chosen[TERRITOIRE.key])
        problems += found
        multi = is_table and len(territories) > 1
        if not territories:
            problems.append(problem("territoire_vide", sheet=chosen[TERRITOIRE.key].name))
        problems += _duplicate_territories(territories)

    tables: dict[str, ParsedTable] = {}
    for table_sheet in TABLE_SHEETS:
        if table_sheet.key in chosen:
            parsed = parse_table(table_sheet, chosen[table_sheet.key])
            problems += parsed.problems
            if parsed.records:
                tables[table_sheet.key] = parsed
            elif not any(p.is_error for p in parsed.problems):
                problems.append(problem("feuille_vide", sheet=parsed.origin.sheet_name))

    if TERRITOIRE.key not in chosen:
        codes = sorted({r.get(CODE_INSEE.key) for t in tables.values() if t.has_code_column
                        for r in t.records if r.get(CODE_INSEE.key)})
        if codes:
            multi = True
        elif territoire:
            codes = [territoire]
        else:
            problems.append(problem("territoire_absent"))
        territories = [ParsedTerritory({CODE_INSEE.key: code}, None) for code in codes]

    known = [t.values.get(CODE_INSEE.key) for t in territories]
    present = frozenset(({TERRITOIRE.key} if TERRITOIRE.key in chosen else set()) | set(tables))
    split = {key: _split_rows(table, known, multi, problems) for key, table in tables.items()}

    datasets = []
    for position, territory in enumerate(territories):
        frames, origins = {}, {}
        if territory.origin is not None:
            origins[TERRITOIRE.key] = territory.origin
        for key, table in tables.items():
            picked = split[key][position]
            records = [table.records[i] for i in picked]
            frame = pd.DataFrame(records, columns=list(table.origin.headers), dtype=object)
            frame = frame.drop(columns=[CODE_INSEE.key], errors="ignore")
            frames[key] = frame
            origins[key] = replace(table.origin, rows=[table.origin.rows[i] for i in picked])
        data = CtgData(dict(territory.values), frames, present)
        datasets.append(data)
        problems += check_data(data, origins)
    # Read in the file's order: file-level problems, then tab by tab, row by row.
    tab_order = {name: i for i, name in enumerate(book.tab_names)}
    tab_order.update({raw.name: i for i, raw in enumerate(chosen.values()) if book.kind == "csv"})
    problems = sorted(_without_repeats(problems),
                      key=lambda p: (-1 if p.sheet is None else tab_order.get(p.sheet, 0),
                                     p.row or 0))
    return datasets, problems


def _duplicate_territories(territories: list[ParsedTerritory]) -> list[Problem]:
    problems, seen = [], {}
    for territory in territories:
        code = territory.values.get(CODE_INSEE.key)
        if not code:
            continue
        if code in seen and territory.origin.rows:
            problems.append(problem(
                "doublon", sheet=territory.origin.sheet_name, row=territory.origin.rows[0],
                column=territory.origin.column(CODE_INSEE), value=code,
                columns=f"même « {territory.origin.column(CODE_INSEE)} »", other=seen[code]))
        elif territory.origin.rows:
            seen[code] = territory.origin.rows[0]
    return problems


def _split_rows(table: ParsedTable, codes: list, multi: bool, problems: list[Problem]
                ) -> list[list[int]]:
    """For each territory (in `codes` order), the indexes of the table's records that belong
    to it; rows naming no known territory are reported."""
    picked: list[list[int]] = [[] for _ in codes]
    origin = table.origin
    if multi and not table.has_code_column:
        problems.append(problem(
            "colonne_obligatoire_absente", sheet=origin.sheet_name, row=origin.header_row,
            column=CODE_INSEE.label, label=CODE_INSEE.label,
            synonyms=" : un classeur qui couvre plusieurs territoires l'exige sur chaque feuille"))
        return picked
    position = {code: i for i, code in enumerate(codes)}
    for index, record in enumerate(table.records):
        code = record.get(CODE_INSEE.key) if table.has_code_column else None
        where = dict(sheet=origin.sheet_name, row=origin.rows[index],
                     column=origin.column(CODE_INSEE))
        if code is None:
            if multi:
                problems.append(problem("valeur_obligatoire", **where))
            elif codes:
                picked[0].append(index)
        elif code in position:
            picked[position[code]].append(index)
        else:
            problems.append(problem("territoire_inconnu", value=code,
                                    codes=", ".join(str(c) for c in codes if c) or "aucun",
                                    **where))
    return picked


def _without_repeats(problems: list[Problem]) -> list[Problem]:
    """Keep one error per cell (the parse error, found first) and drop exact repeats."""
    taken: set = set()
    error_cells: set = set()
    kept = []
    for item in problems:
        key = (item.code, item.sheet, item.row, item.column, item.message)
        cell = (item.sheet, item.row, item.column)
        if key in taken:
            continue
        if item.is_error and item.row is not None and item.column and cell in error_cells:
            continue
        taken.add(key)
        if item.is_error and item.row is not None:
            error_cells.add(cell)
        kept.append(item)
    return kept


# --- Rules on canonical data -------------------------------------------------------------------

def check_data(data: CtgData, origins: dict[str, Origin] | None = None) -> list[Problem]:
    """Every typed, row and cross-sheet rule on one territory's data: required values,
    ranges, allowed values, duplicates, places of structures that have a capacity, opening
    before closing, age bounds, ALSH known in Équipements, plan year columns inside the CTG,
    fiches and plan numbers matching, the territory code. `origins` (from an import) gives the
    tab names, Excel rows and headers for messages; by default rows are counted as in a
    workbook written by the app (header in row 1)."""
    problems: list[Problem] = []
    if origins is None or TERRITOIRE.key in origins:
        problems += _check_territoire(data.territoire,
                                      (origins or {}).get(TERRITOIRE.key)
                                      or default_origin(TERRITOIRE))
    elif data.territoire.get(CODE_INSEE.key):
        problems += _check_territory_code(data.territoire, None)
    for sheet in TABLE_SHEETS:
        frame = data.tables[sheet.key]
        if frame.empty:
            continue
        origin = (origins or {}).get(sheet.key) or default_origin(sheet, len(frame))
        problems += _check_cells(sheet, frame, origin)
        problems += _check_duplicates(sheet, frame, origin)
    problems += _check_rows(data, origins or {})
    problems += _check_cross_sheets(data, origins or {})
    return problems


def _check_territoire(values: dict, origin: Origin) -> list[Problem]:
    problems = []
    for column in TERRITOIRE.columns:
        value = values.get(column.key)
        where = dict(sheet=origin.sheet_name, row=origin.field_row(column.key),
                     column=origin.column(column))
        if _is_missing(value) or value == "":
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
    problems += _check_territory_code(values, origin)
    return problems


def _is_valid_territory_code(code: str) -> bool:
    """A commune INSEE code (5 characters: digits, or 2A/2B + 3 digits for Corsica) or an
    EPCI SIREN (9 digits)."""
    code = str(code)
    if len(code) == 9:
        return code.isdigit()
    return len(code) == 5 and (code.isdigit() or (code[:2] in ("2A", "2B")
                                                  and code[2:].isdigit()))


def _check_territory_code(values: dict, origin: Origin | None) -> list[Problem]:
    code = values.get(CODE_INSEE.key)
    if _is_missing(code) or code == "" or _is_valid_territory_code(code):
        return []
    if origin is None:
        return [problem("code_invalide", value=code)]
    return [problem("code_invalide", sheet=origin.sheet_name,
                    row=origin.field_row(CODE_INSEE.key), column=origin.column(CODE_INSEE),
                    value=code)]


def _check_cells(sheet: Sheet, frame: pd.DataFrame, origin: Origin) -> list[Problem]:
    """Required values, bounds, whole numbers and allowed values, cell by cell."""
    problems = []
    for column in sheet.columns:
        if column.key not in frame:
            continue
        header = origin.column(column)
        for index, value in enumerate(frame[column.key].tolist()):
            where = dict(sheet=origin.sheet_name, row=origin.rows[index], column=header)
            if _is_missing(value) or value == "":
                if column.required:
                    problems.append(problem("valeur_obligatoire", **where))
                continue
            if column.type in NUMERIC_TYPES:
                if column.type == "int" and not float(value).is_integer():
                    problems.append(problem("entier_attendu", value=value, **where))
                elif (expected := _out_of_range(column, float(value))) is not None:
                    problems.append(problem("hors_limites", value=value, expected=expected,
                                            **where))
            elif column.type == "choice" and value not in column.choices:
                problems.append(problem("valeur_non_autorisee", value=value,
                                        allowed=", ".join(column.choices), **where))
    return problems


def _comparable(value: object) -> object:
    if _is_missing(value):
        return None
    return normalise(value) if isinstance(value, str) else value


def _check_duplicates(sheet: Sheet, frame: pd.DataFrame, origin: Origin) -> list[Problem]:
    """Two rows with the same values in the sheet's identifying columns (`Sheet.unique`)."""
    keys = [k for k in sheet.unique if k in frame]
    if not keys:
        return []
    labels = ("même " if len(keys) == 1 else "mêmes ") + " et ".join(
        f"« {origin.column(sheet.column(k))} »" for k in keys)
    seen: dict[tuple, int] = {}
    problems = []
    for index, row in enumerate(zip(*(frame[k].tolist() for k in keys))):
        identity = tuple(_comparable(v) for v in row)
        if all(v is None for v in identity):
            continue
        if identity in seen:
            problems.append(problem(
                "doublon", sheet=origin.sheet_name, row=origin.rows[index],
                column=origin.column(sheet.column(keys[0])), value=row[0], columns=labels,
                other=seen[identity]))
        else:
            seen[identity] = origin.rows[index]
    return problems


def _origin(origins: dict[str, Origin], sheet: Sheet, frame: pd.DataFrame) -> Origin:
    return origins.get(sheet.key) or default_origin(sheet, len(frame))


def _year_part(value: str) -> int:
    return int(str(value)[:4])


def _check_rows(data: CtgData, origins: dict[str, Origin]) -> list[Problem]:
    """Rules between cells of one row: places of structures that have a capacity, opening
    before closing, minimal age below maximal age."""
    problems = []
    equipements = data.tables[EQUIPEMENTS.key]
    if not equipements.empty:
        origin = _origin(origins, EQUIPEMENTS, equipements)
        for index, (kind, places) in enumerate(zip(equipements["type"], equipements["places"])):
            if kind in schemas.TYPES_WITH_CAPACITY and _is_missing(places):
                problems.append(problem(
                    "places_obligatoires", sheet=origin.sheet_name, row=origin.rows[index],
                    column=origin.column(EQUIPEMENTS.column("places")), type=kind))
        for index, (opened, closed) in enumerate(zip(equipements["ouverture"],
                                                     equipements["fermeture"])):
            if _is_missing(opened) or _is_missing(closed):
                continue
            late = (_year_part(opened) > _year_part(closed)) or (
                len(opened) == len(closed) == 10 and opened > closed)
            if late:
                problems.append(problem(
                    "ouverture_apres_fermeture", sheet=origin.sheet_name,
                    row=origin.rows[index], column=origin.column(EQUIPEMENTS.column("ouverture")),
                    value=fr_short_date(opened), other=fr_short_date(closed)))
    for sheet in TABLE_SHEETS:
        frame = data.tables[sheet.key]
        if frame.empty or not {"age_min", "age_max"} <= set(frame.columns):
            continue
        origin = _origin(origins, sheet, frame)
        for index, (low, high) in enumerate(zip(frame["age_min"], frame["age_max"])):
            if not _is_missing(low) and not _is_missing(high) and low > high:
                problems.append(problem(
                    "age_min_superieur", sheet=origin.sheet_name, row=origin.rows[index],
                    column=origin.column(sheet.column("age_min")), value=low,
                    other=format_value(high)))
    return problems


def _check_cross_sheets(data: CtgData, origins: dict[str, Origin]) -> list[Problem]:
    """Rules between sheets: ALSH names known in Équipements, plan year columns inside the
    CTG period, fiches actions and plan numbers matching each other."""
    problems = []
    alsh, equipements = data.tables[ALSH.key], data.tables[EQUIPEMENTS.key]
    if not alsh.empty and not equipements.empty:
        origin = _origin(origins, ALSH, alsh)
        known = {normalise(n) for n in equipements["nom"] if not _is_missing(n)}
        reported = set()
        for index, name in enumerate(alsh["nom"]):
            if _is_missing(name) or normalise(name) in known or normalise(name) in reported:
                continue
            reported.add(normalise(name))
            problems.append(problem("alsh_absent_des_equipements", sheet=origin.sheet_name,
                                    row=origin.rows[index],
                                    column=origin.column(ALSH.column("nom")), value=name))

    plan = data.tables[PLAN_ACTION.key]
    if not plan.empty:
        debut, fin = data.ctg_years()
        origin = _origin(origins, PLAN_ACTION, plan)
        if debut and fin:
            for year in _plan_year_columns(plan):
                if not debut <= int(year) <= fin and plan[year].notna().any():
                    problems.append(problem(
                        "annee_hors_ctg", sheet=origin.sheet_name, row=origin.header_row,
                        column=origin.column(year), value=year, debut=debut, fin=fin))

    fiches = data.tables[FICHES_ACTIONS.key]
    if not plan.empty and not fiches.empty:
        plan_numbers = _numbers(plan["numero_action"])
        fiche_numbers = _numbers(fiches["numero_action"])
        if plan_numbers:
            problems += _unmatched_actions("fiche_non_utilisee", FICHES_ACTIONS, fiches,
                                           _origin(origins, FICHES_ACTIONS, fiches),
                                           fiche_numbers, plan_numbers)
        problems += _unmatched_actions("action_sans_fiche", PLAN_ACTION, plan,
                                       _origin(origins, PLAN_ACTION, plan), plan_numbers,
                                       fiche_numbers)
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


def _numbers(values: pd.Series) -> dict[str, int]:
    """Action numbers (compared without case, spaces or punctuation) -> first row index."""
    found: dict[str, int] = {}
    for index, value in enumerate(values):
        if not _is_missing(value) and str(value).strip():
            found.setdefault(normalise(value), index)
    return found
