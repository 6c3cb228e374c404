"""The whole workbook: `validate_book` assigns the file's tabs to the format's sheets (or
guesses a CSV's), parses each sheet once (`tables`), splits the rows between the file's
territories, runs the rules (`rules.check_tables`) on all of them at once and returns one
CtgData per territory with every problem, in the file's order, and the territories each
problem concerns. `EarlyParse` lets the parsing start while the reading worker reads on.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from ctg_data import schemas
from ctg_data.errors import Problem, UnreadableFile, problem
from ctg_data.model import CtgData, FileTables, conform, empty_table, territory_fields
from ctg_data.reading import RawSheet, RawWorkbook
from ctg_data.schemas import CODE_INSEE, TABLE_SHEETS, TERRITOIRE, Sheet, normalise
from ctg_data.validation.origin import Origin
from ctg_data.validation.rules import (
    check_tables, check_territoire, check_territory_code, ctg_years,
)
from ctg_data.validation.tables import (
    HEADER_SEARCH_ROWS, ParsedTable, ParsedTerritory, find_header_row, header_text, known_keys,
    match_header, parse_table, parse_territoire,
)


def guess_sheet(raw: RawSheet) -> Sheet | None:
    """The sheet whose required columns a CSV's header row holds (the one naming the most
    known columns when several fit), or the key-value Territoire layout, or None."""
    best, best_count = None, 0
    for sheet in schemas.SHEETS:
        index = find_header_row(sheet, raw.rows)
        if index is None:
            continue
        count = len(known_keys(sheet, raw.rows[index]))
        if count > best_count:
            best, best_count = sheet, count
    if best is None:
        labels = {col.key for row in raw.rows[:HEADER_SEARCH_ROWS] if row
                  if (col := match_header(TERRITOIRE.key, header_text(row[0])))}
        if {c.key for c in TERRITOIRE.required_columns} <= labels:
            best = TERRITOIRE
    return best


def _sheet_names() -> str:
    """The names of the format's sheets, for messages."""
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


@dataclass
class Validation:
    """What `validate_book` found: one CtgData per territory, every problem of the file (in
    the file's order) and, for each problem that concerns some territories only, their codes
    (a problem absent from `concerns` is about the whole file: a header, a tab)."""

    datasets: list[CtgData]
    problems: list[Problem]
    concerns: dict[Problem, tuple[str, ...]] = field(default_factory=dict)


def build_datasets(book: RawWorkbook, *, file_name: str = "", sheet: str | None = None,
                   territoire: str | None = None) -> tuple[list[CtgData], list[Problem]]:
    """Every territory's CtgData and every problem of the file (errors and warnings).

    `sheet` names the sheet of a CSV (else it is guessed from its columns). A file without a
    Territoire sheet applies to the codes of its `Code INSEE` column, else to `territoire`
    when given, else it is an error. Raises UnreadableFile when a CSV's sheet is unknown."""
    found = validate_book(book, file_name=file_name, sheet=sheet, territoire=territoire)
    return found.datasets, found.problems


class EarlyParse:
    """`parse_table` of each table sheet of a workbook as the reading worker hands it over
    (`reading.read_workbook(on_sheet=...)`), while it reads the next ones: `validate_book`
    then takes these results instead of parsing the same sheets again. A sheet is parsed
    with the schema sheet its tab name gives, which is the one `_assign_sheets` chooses for
    a workbook (a repeated tab's parse is simply never used)."""

    def __init__(self):
        self._tables: dict[int, tuple[RawSheet, Sheet, ParsedTable]] = {}

    def __call__(self, raw: RawSheet) -> None:
        sheet = schemas.find_sheet(raw.name)
        if sheet is not None and not sheet.key_value and sheet.key != TERRITOIRE.key:
            self._tables[id(raw)] = (raw, sheet, parse_table(sheet, raw))

    def parse_table(self, sheet: Sheet, raw: RawSheet) -> ParsedTable:
        """The early result for (`sheet`, `raw`), else `parse_table(sheet, raw)`."""
        found = self._tables.get(id(raw))
        if found is not None and found[0] is raw and found[1] is sheet:
            return found[2]
        return parse_table(sheet, raw)


def validate_book(book: RawWorkbook, *, file_name: str = "", sheet: str | None = None,
                  territoire: str | None = None, early: EarlyParse | None = None
                  ) -> Validation:
    """`build_datasets`, and which territories each problem concerns.

    Each sheet is parsed, conformed and checked once for the whole file, column by column;
    the rules that hold within one territory (duplicates, ALSH known in Équipements, plan and
    fiches…) compare rows of the same territory only; each territory's tables are then row
    slices of the file's. The datasets and problems are those of checking every territory on
    its own (`check_data`), in the file's order. `early` holds sheets already parsed while
    the file was read."""
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
            parsed = (early or EarlyParse()).parse_table(table_sheet, chosen[table_sheet.key])
            problems += parsed.problems
            if len(parsed):
                tables[table_sheet.key] = parsed
            elif not any(p.is_error for p in parsed.problems):
                problems.append(problem("feuille_vide", sheet=parsed.origin.sheet_name))

    if TERRITOIRE.key not in chosen:
        codes = sorted({code for t in tables.values() if t.has_code_column
                        for code in t.columns[CODE_INSEE.key] if code})
        if codes:
            multi = True
        elif territoire:
            codes = [territoire]
        else:
            problems.append(problem("territoire_absent"))
        territories = [ParsedTerritory({CODE_INSEE.key: code}, None) for code in codes]

    known = [t.values.get(CODE_INSEE.key) for t in territories]
    present = frozenset(({TERRITOIRE.key} if TERRITOIRE.key in chosen else set()) | set(tables))
    # Each sheet once for the whole file: the rows of a known territory, conformed, with the
    # position of their territory in `territories`.
    frames: dict[str, pd.DataFrame] = {}
    origins: dict[str, Origin] = {}
    groups: dict[str, np.ndarray] = {}
    for key, table in tables.items():
        positions = _split_rows(table, known, multi, problems)
        frame = conform(key, table.frame(drop=(CODE_INSEE.key,)))
        kept = [i for i, position in enumerate(positions) if position >= 0]
        rows = table.origin.rows
        if len(kept) < len(positions):
            frame = frame.take(kept).reset_index(drop=True)
            rows = [rows[i] for i in kept]
            positions = [positions[i] for i in kept]
        frames[key] = frame
        origins[key] = replace(table.origin, rows=rows)
        groups[key] = np.asarray(positions, dtype="int64")

    fields = [territory_fields(t.values) for t in territories]
    owners: dict[int, int] = {}  # id(problem) -> territory position, for non-row problems
    for position, (territory, values) in enumerate(zip(territories, fields)):
        if territory.origin is not None:
            found = check_territoire(values, territory.origin)
        elif values.get(CODE_INSEE.key):
            found = check_territory_code(values, None)
        else:
            found = []
        owners.update((id(p), position) for p in found)
        problems += found
    years = [ctg_years(values) for values in fields]
    problems += check_tables(_all_tables(frames), origins, groups, years, owners)

    # Each territory's tables are cut from the file's sheets when first used (the store
    # reads the file's rows directly).
    file_tables = FileTables(frames, groups, len(territories))
    datasets = [CtgData.of_file(dict(territory.values), file_tables, position, present)
                for position, territory in enumerate(territories)]
    # Read in the file's order: file-level problems, then tab by tab, row by row.
    tab_order = {name: i for i, name in enumerate(book.tab_names)}
    tab_order.update({raw.name: i for i, raw in enumerate(chosen.values()) if book.kind == "csv"})
    problems = sorted(_without_repeats(problems),
                      key=lambda p: (-1 if p.sheet is None else tab_order.get(p.sheet, 0),
                                     p.row or 0))
    return Validation(datasets, problems,
                      _concerns(problems, territories, known, origins, groups, owners))


def _all_tables(frames: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """`frames` completed with an empty table for every sheet it lacks."""
    return {sheet.key: frames[sheet.key] if sheet.key in frames else empty_table(sheet.key)
            for sheet in TABLE_SHEETS}


def _concerns(problems: list[Problem], territories: list[ParsedTerritory], codes: list,
              origins: dict[str, Origin], groups: dict[str, np.ndarray],
              owners: dict[int, int]) -> dict[Problem, tuple[str, ...]]:
    """The territory codes each problem concerns: that of its row (a table row, or the
    territory's row or fields of the Territoire sheet), or the one whose rule found it; a
    problem of a header or a tab concerns the whole file and is left out."""
    at: dict[tuple, int] = {}
    for key, origin in origins.items():
        at.update(zip(((origin.sheet_name, row) for row in origin.rows), groups[key].tolist()))
    for position, territory in enumerate(territories):
        origin = territory.origin
        if origin is None:
            continue
        rows = origin.rows if origin.field_rows is None else origin.field_rows.values()
        at.update(((origin.sheet_name, row), position) for row in rows)
    concerns: dict[Problem, tuple[str, ...]] = {}
    for item in problems:
        position = owners.get(id(item))
        if position is None and item.row is not None:
            position = at.get((item.sheet, item.row))
        code = codes[position] if position is not None else None
        if code:
            concerns[item] = tuple(dict.fromkeys((*concerns.get(item, ()), str(code))))
    return concerns


def _duplicate_territories(territories: list[ParsedTerritory]) -> list[Problem]:
    """One `doublon` error per territory row repeating an earlier row's code."""
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
                ) -> list[int]:
    """For each row of the table, the position in `codes` of its territory, or -1; rows
    naming no known territory are reported."""
    origin = table.origin
    if multi and not table.has_code_column:
        problems.append(problem(
            "colonne_obligatoire_absente", sheet=origin.sheet_name, row=origin.header_row,
            column=CODE_INSEE.label, label=CODE_INSEE.label,
            synonyms=" : un classeur qui couvre plusieurs territoires l'exige sur chaque feuille"))
        return [-1] * len(table)
    position = {code: i for i, code in enumerate(codes)}
    values = table.columns[CODE_INSEE.key] if table.has_code_column else [None] * len(table)
    picked = []
    listed = None
    for index, code in enumerate(values):
        if code is not None and code in position:
            picked.append(position[code])
            continue
        picked.append(-1)
        where = dict(sheet=origin.sheet_name, row=origin.rows[index],
                     column=origin.column(CODE_INSEE))
        if code is None:
            if multi:
                problems.append(problem("valeur_obligatoire", **where))
            elif codes:
                picked[-1] = 0
        else:
            if listed is None:
                listed = ", ".join(str(c) for c in codes if c) or "aucun"
            problems.append(problem("territoire_inconnu", value=code, codes=listed, **where))
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
