"""Raw sheets -> one CtgData per territory, and every problem of the file at once.

Everything here is driven by the declarations of `ctg_data.schemas`: the header row is the
first row that holds a sheet's required columns, headers are matched with `match_column`,
each cell is parsed by `parse_value` with its column's type, and `check_data` then runs the
typed, row and cross-sheet rules on the canonical data. Validation is lazy (as pandera's
`lazy=True`): nothing stops at the first problem. `check_data` is also what in-app edits call,
so they get the same messages as an import.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from dataclasses import dataclass, field, replace
from functools import lru_cache

import numpy as np
import pandas as pd

from ctg_data import reading, schemas
from ctg_data.errors import Problem, UnreadableFile, format_number, format_value, problem
from ctg_data.formatting import fr_short_date, printable
from ctg_data.model import CtgData, FileTables, conform, empty_table, territory_fields
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

    if isinstance(raw, str) and (found := text_problem(column, raw.strip(), sheet=sheet,
                                                        row=row)):
        return None, found
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
        if not math.isfinite(value):  # « 1e309 » reads as infinity: never stored
            return fail("hors_limites", expected=_out_of_range(column, value))
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
    """None when `value` respects the column's bounds (the declared minimum and maximum, and
    the safety bound `Column.largest` of every number), else what was expected, in French."""
    low, high = column.bounds
    if low <= value <= high:  # False for NaN
        return None
    if math.isnan(value) or (column.minimum is None) == (column.maximum is None):
        return f"comprise entre {format_number(low)} et {format_number(high)}"
    if value < low:
        return "positive ou nulle" if low == 0 else f"supérieure ou égale à {format_number(low)}"
    return f"inférieure ou égale à {format_number(high)}"


# Characters no text may hold: C0 controls (tab and line breaks only in long texts), DEL, C1,
# lone surrogates, U+FFFE/U+FFFF, and the `_xHHHH_` escapes of controls that openpyxl writes
# and Excel turns back into the character. They break the Office exports and the terminal.
_CONTROLS = r"\x7f-\x9f\ud800-\udfff\ufffe\uffff]|_x(?:00[01][0-9a-f]|007f|00[89][0-9a-f])_"
_CONTROL_ONE_LINE = re.compile(r"[\x00-\x1f" + _CONTROLS, re.IGNORECASE)
_CONTROL_NAMES = {"\n": "saut de ligne", "\r": "retour chariot", "\t": "tabulation",
                  "\x00": "caractère nul", "\x1b": "échappement"}
_CONTROL_MULTILINE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f" + _CONTROLS, re.IGNORECASE)


def text_problem(column: Column, text: str, *, sheet: str | None = None,
                  row: int | None = None, header: str | None = None) -> Problem | None:
    """The problem of text `text` (a cell as read, stripped) in `column`, or None: longer than
    the column's `text_limit`, or holding a control character (see `_CONTROL_ONE_LINE`).
    Callable on its own so that a vectorised reader applies the same rule."""
    where = dict(sheet=sheet, row=row, column=header or column.label)
    limit = column.text_limit
    if limit is not None and len(text) > limit:
        return problem("texte_trop_long", value=text[:100], length=format_number(len(text)),
                       limit=format_number(limit), **where)
    pattern = _CONTROL_MULTILINE if column.multiline else _CONTROL_ONE_LINE
    if (found := pattern.search(text)) is None:
        return None
    char = found.group()
    shown = f"« {char} »" if len(char) > 1 else f"U+{ord(char):04X}"
    if char in _CONTROL_NAMES:
        shown = f"{_CONTROL_NAMES[char]}, {shown}"
    return problem("caractere_controle", value=printable(text[:100]), char=shown, **where)


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
        numbers = [v for v in values if not _is_missing(v)]
        if numbers and all(0 <= v <= 1 for v in numbers) and any(0 < v < 1 for v in numbers):
            table.columns[key] = [v if _is_missing(v) else round(v * 100, 10) for v in values]
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


def parse_column(column: Column, raws: list, rows: list[int], *, sheet: str | None,
                 header: str | None = None) -> tuple[list, list[Problem]]:
    """`parse_value` over the cells `raws` of one column (Excel rows `rows`): the canonical
    values and the problems, exactly as cell by cell, in row order; `header` is the column's
    header in the file (its label by default).

    `parse_value` depends only on the column and the cell's value (the row only places its
    problem), and a column repeats its values (years, types, places): each distinct value is
    parsed once, plain numbers inside the column's bounds in one vectorised step
    (`_plain_numbers`), and a value that has a problem is parsed again at each of its rows."""
    header = header or column.label
    codes, uniques = _distinct(raws)
    if codes is None:
        return _parse_cells(column, raws, rows, range(len(raws)), sheet, header)
    first = np.full(len(uniques), len(raws), dtype="int64")
    np.minimum.at(first, codes[codes >= 0], np.flatnonzero(codes >= 0))
    first = first.tolist()
    parsed: list = [None] * len(uniques)
    wrong: list[int] = []
    todo = range(len(uniques))
    if column.type in NUMERIC_TYPES:
        done = _plain_numbers(column, uniques, parsed)
        if done is not None:
            todo = [u for u, ok in enumerate(done) if not ok]
    for u in todo:
        value, found = parse_value(column, uniques[u], sheet=sheet, row=rows[first[u]])
        parsed[u] = value
        if found is not None:
            wrong.append(u)
    # -1 (a missing cell: None or NaN) picks the last item, replaced below.
    values = [parsed[c] for c in codes.tolist()] if uniques else [None] * len(raws)
    again = np.flatnonzero((codes < 0) | np.isin(codes, wrong)) if wrong else \
        np.flatnonzero(codes < 0)
    if not len(again):
        return values, []
    fixed, problems = _parse_cells(column, raws, rows, again.tolist(), sheet, header)
    for i, value in zip(again.tolist(), fixed):
        values[i] = value
    return values, problems


def _distinct(raws: list) -> tuple[np.ndarray | None, list]:
    """A code per cell (-1 for None and NaN) and the distinct cell values, or (None, [])
    when equal cells could parse differently (a column mixing True, 1 and 1.0, which Python
    holds equal) or cannot be hashed."""
    classes = set(map(type, raws))
    if len(classes & {bool, int, float}) > 1 or not classes <= _HASHABLE_CELLS:
        return None, []
    cells = np.empty(len(raws), dtype=object)
    cells[:] = raws
    codes, uniques = pd.factorize(cells, use_na_sentinel=True)
    return np.asarray(codes), list(uniques)


# The classes of cells a reader gives (calamine, csv), which hash and compare as values.
_HASHABLE_CELLS = frozenset({str, float, int, bool, type(None), dt.date, dt.datetime, dt.time,
                             dt.timedelta})


def _parse_cells(column: Column, raws: list, rows: list[int], indexes, sheet: str | None,
                 header: str) -> tuple[list, list[Problem]]:
    """`parse_value` on the cells at `indexes` (in order): their values and problems."""
    values, problems = [], []
    for i in indexes:
        value, found = parse_value(column, raws[i], sheet=sheet, row=rows[i])
        if found is not None:
            problems.append(replace(found, column=header))
        values.append(value)
    return values, problems


def _plain_numbers(column: Column, raws: list, values: list) -> list[bool] | None:
    """Read the cells of a numeric column that are plain finite numbers (int or float cells)
    inside the column's bounds (and whole for an "int" column) into `values`; return which
    cells were read (None when none was). The smallest and largest numbers read this way are
    checked by `parse_value` itself, so that a rule added there is never bypassed: when they do
    not come back unchanged and without problem, nothing is read here."""
    positions = [i for i, raw in enumerate(raws) if raw.__class__ is float or raw.__class__ is int]
    if not positions:
        return None
    try:
        numbers = np.array([raws[i] for i in positions], dtype="float64")
    except (OverflowError, ValueError):
        return None
    low, high = _bounds(column)
    with np.errstate(invalid="ignore"):
        ok = np.isfinite(numbers) & (numbers >= low) & (numbers <= high)
        if column.type == "int":
            ok &= numbers == np.trunc(numbers)
    if not ok.any():
        return None
    for probe in (float(numbers[ok].min()), float(numbers[ok].max())):
        value, found = parse_value(column, probe, sheet=None, row=None)
        if found is not None or value != probe:
            return None
    done = [False] * len(raws)
    for i, number, good in zip(positions, numbers.tolist(), ok.tolist()):
        if good:
            values[i] = number
            done[i] = True
    return done


def _bounds(column: Column) -> tuple[float, float]:
    """The closed interval a number of `column` must lie in (see `_out_of_range`)."""
    bounds = getattr(column, "bounds", None)
    low, high = bounds if bounds is not None else (column.minimum, column.maximum)
    return (-math.inf if low is None else float(low)), (math.inf if high is None else float(high))


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
            found = _check_territoire(values, territory.origin)
        elif values.get(CODE_INSEE.key):
            found = _check_territory_code(values, None)
        else:
            found = []
        owners.update((id(p), position) for p in found)
        problems += found
    years = [_ctg_years(values) for values in fields]
    problems += _check_tables(_all_tables(frames), origins, groups, years, owners)

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
    problems += _check_tables(data.tables, origins or {}, {}, [data.ctg_years()])
    return problems


def _check_tables(tables: dict[str, pd.DataFrame], origins: dict[str, Origin],
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


def _ctg_years(values: dict) -> tuple[int | None, int | None]:
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
        # The classes of the values that are not missing (see `_is_missing`), without a
        # Python call per value: a class of floats counts only through a non-NaN one.
        kinds = set(map(type, values)) - {type(None), type(pd.NA)}
        for kind in [k for k in kinds if issubclass(k, float)] if len(kinds) > 1 else ():
            if all(math.isnan(v) for v in values if v.__class__ is kind):
                kinds.discard(kind)
        if len(kinds) > 1:
            return None
    codes, _ = pd.factorize(series, use_na_sentinel=True)
    return np.asarray(codes)


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
            if _is_missing(value) or value == "":
                if column.required and not _absent(origin, column.key):
                    problems.append(problem("valeur_obligatoire", **where))
                continue
            if column.type in NUMERIC_TYPES:
                try:
                    number = float(value)
                except (TypeError, ValueError):
                    problems.append(problem("nombre_attendu", value=printable(value), **where))
                    continue
                expected = _out_of_range(column, number)
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
    pattern = _CONTROL_MULTILINE if column.multiline else _CONTROL_ONE_LINE
    if max(map(len, texts)) <= (column.text_limit or math.inf) and \
            pattern.search(" ".join(texts)) is None:
        return []
    return [found for index, value in enumerate(values) if isinstance(value, str)
            if (found := text_problem(column, value, sheet=origin.sheet_name,
                                       row=origin.rows[index], header=header))]


def _comparable(value: object) -> object:
    if _is_missing(value):
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
        return [None if _is_missing(v) else v for v in values]
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
            if kind in schemas.TYPES_WITH_CAPACITY and _is_missing(places):
                problems.append(problem(
                    "places_obligatoires", sheet=origin.sheet_name, row=origin.rows[index],
                    column=origin.column(EQUIPEMENTS.column("places")), type=kind))
        for index, (opened, closed) in enumerate(zip(equipements["ouverture"].tolist(),
                                                     equipements["fermeture"].tolist())):
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
        frame = tables[sheet.key]
        if frame.empty or not {"age_min", "age_max"} <= set(frame.columns):
            continue
        origin = _origin(origins, sheet, frame)
        for index, (low, high) in enumerate(zip(frame["age_min"].tolist(),
                                                frame["age_max"].tolist())):
            if not _is_missing(low) and not _is_missing(high) and low > high:
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
    (see `_check_tables` for `groups`, `years` and `owners`)."""
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
            if territory not in with_equipements or _is_missing(name) \
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
        if not _is_missing(value) and str(value).strip():
            found[territory].setdefault(_fold(value) if isinstance(value, str)
                                        else normalise(value), index)
    return found
