"""One sheet of the file: `parse_table` finds a table sheet's header row (title rows above it
skipped), matches the headers with the schema's columns and synonyms, reports missing, unknown
and repeated columns, and parses every column (`cells.parse_column`); `parse_territoire` reads
the Territoire sheet, key-value (Champ / Valeur) or one row per territory.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import lru_cache

import pandas as pd

from ctg_data import reading, schemas
from ctg_data.errors import Problem, problem
from ctg_data.reading import RawSheet
from ctg_data.schemas import CODE_INSEE, SHEETS_BY_KEY, TERRITOIRE, Column, Sheet, normalise
from ctg_data.validation.cells import is_missing, parse_column, parse_value
from ctg_data.validation.origin import Origin

# How many rows from the top may hold titles and notes before the header row.
HEADER_SEARCH_ROWS = 100

# A key-value Territoire sheet may start with this header row (the template's).
KEY_VALUE_HEADER = normalise("Champ")


@lru_cache(maxsize=8192)
def match_header(sheet_key: str, header: str) -> Column | None:
    """The column of sheet `sheet_key` that header text `header` names, or None (cached: a
    file repeats its headers)."""
    return schemas.match_column(SHEETS_BY_KEY[sheet_key], header)


def header_text(cell: object) -> str:
    """A header cell as text ("" when empty)."""
    return reading.cell_text(cell) or ""


def known_keys(sheet: Sheet, row: list) -> set[str]:
    """The keys of the columns of `sheet` that the cells of `row` name."""
    return {col.key for cell in row if (col := match_header(sheet.key, header_text(cell)))}


def _column_letter(index: int) -> str:
    """The Excel letters of 0-based column `index` (0 → A, 26 → AA)."""
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
        if required <= known_keys(sheet, row):
            return index
    return None


def _best_header_row(sheet: Sheet, rows: list[list]) -> int | None:
    """When no row holds all required columns: the row naming the most known columns,
    else the first non-empty row (so the missing columns can be reported precisely)."""
    best, best_count = None, 0
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        count = len(known_keys(sheet, row))
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
    """A table sheet after cell parsing: one list of canonical values per column key (or
    extra header), aligned with `origin.rows` (the Excel row of each kept row), where columns
    came from, and the problems found."""

    sheet: Sheet
    origin: Origin
    columns: dict[str, list] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    has_code_column: bool = False

    def __len__(self) -> int:
        return len(self.origin.rows)

    @property
    def records(self) -> list[dict]:
        """The rows as dicts keyed like `columns` (built on demand: the import works by
        column)."""
        keys = list(self.columns)
        return [dict(zip(keys, values)) for values in zip(*self.columns.values())] \
            if keys else [{} for _ in self.origin.rows]

    def frame(self, drop: tuple[str, ...] = ()) -> pd.DataFrame:
        """The parsed values as one DataFrame of Python objects (columns in header order),
        before `model.conform`."""
        return pd.DataFrame({key: pd.Series(values, dtype=object)
                             for key, values in self.columns.items() if key not in drop},
                            index=pd.RangeIndex(len(self)))


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
    if not found_header and not any(match_header(sheet.key, header_text(c))
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
        text = header_text(cell)
        if not text:
            if any(index < len(r) and not reading.is_blank(r[index]) for r in data):
                table.problems.append(problem("colonne_sans_entete", sheet=raw.name,
                                              row=header_row, column=_column_letter(index)))
            continue
        year = schemas.year_of_header(text) if sheet.year_columns else None
        column = (Column(key=str(year), label=str(year), type="float") if year
                  else match_header(sheet.key, text))
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

    # Rows with nothing in a known column are skipped (cells filled from a merged cell
    # above do not count).
    indexes = [j for j, _, _ in columns]
    kept: list[list] = []
    for offset, cells in enumerate(data):
        index = header_index + 1 + offset
        if _row_is_empty(cells, indexes, index, filled):
            continue
        kept.append(cells)
        origin.rows.append(index + 1)

    # Column by column: every cell of a column has the same type, most values repeat (years,
    # types, places), so a column is parsed in one pass (see `parse_column`).
    width = max(indexes, default=-1) + 1
    if all(len(cells) >= width for cells in kept):
        by_column = list(zip(*kept)) if kept else [()] * width
    else:  # ragged rows (a CSV): missing cells are empty
        by_column = [[cells[j] if j < len(cells) else None for cells in kept]
                     for j in range(width)]
    for j, key, column in columns:
        raws = by_column[j]
        if column is None:
            table.columns[key] = [reading.cell_text(v) for v in raws]
            continue
        values, found = parse_column(column, raws, origin.rows, sheet=raw.name,
                                     header=origin.headers[key])
        table.problems += found
        table.columns[key] = values

    for j, key, column in columns:
        if column is None or column.type != "percent":
            continue
        values = table.columns[key]
        if any(reading.has_percent_sign(cells[j]) for cells in kept
               if j < len(cells) and isinstance(cells[j], str)):
            continue
        numbers = [v for v in values if not is_missing(v)]
        if numbers and all(0 <= v <= 1 for v in numbers) and any(0 < v < 1 for v in numbers):
            table.columns[key] = [v if is_missing(v) else round(v * 100, 10) for v in values]
            table.problems.append(problem("pourcentages_en_fraction", sheet=raw.name,
                                          row=header_row, column=origin.headers[key]))
    return table


def _row_is_empty(cells: list, indexes: list[int], index: int,
                  filled: set[tuple[int, int]]) -> bool:
    """True when row `index` has no value in the columns at `indexes` (cells filled from a
    merged cell above do not count)."""
    width = len(cells)
    for j in indexes:
        if j < width:
            cell = cells[j]
            # Usual cells first: a text starting with a letter or digit, a number that is
            # not NaN (never blank); anything else asks `is_blank`.
            if (cell.__class__ is str and cell[:1].isalnum()) or (
                    cell.__class__ is float and cell == cell):
                pass
            elif cell is None or cell == "" or reading.is_blank(cell):
                continue
            if not filled or (index, j) not in filled:
                return False
    return True


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
        label_text = header_text(label)
        raw_value = cells[j + 1] if j + 1 < len(cells) else None
        column = match_header(TERRITOIRE.key, label_text)
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
