"""One cell, then one column: `parse_value` reads a cell with its column's rules (numbers,
dates, years, codes, choices, texts without control characters), `parse_column` does the same
for a whole column at once (each distinct value parsed once, plain numbers vectorised) with
exactly the same values and problems.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import replace

import numpy as np
import pandas as pd

from ctg_data import reading, schemas
from ctg_data.errors import Problem, format_number, problem
from ctg_data.formatting import printable
from ctg_data.schemas import CODE_INSEE, TERRITOIRE, Column

NUMERIC_TYPES = ("int", "float", "percent")

# Codes that lose their leading zero when a spreadsheet stores them as numbers, and the width
# that restores it (commune 01065, département 01).
CODE_WIDTHS = {CODE_INSEE.key: 5, TERRITOIRE.column("departement").key: 2}

# A dash alone in a text cell means « nothing » (as in the printed tables).
_DASHES = frozenset({"-", "–", "—"})


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
        if reading.is_not_available(raw):
            return column.default, None
        return fail("valeur_non_autorisee", allowed=", ".join(column.choices))
    if reading.is_not_available(raw):
        return column.default, None
    if kind in NUMERIC_TYPES:
        try:
            value = reading.parse_number(raw, percent=kind == "percent")
        except ValueError:
            return fail("nombre_attendu")
        if not math.isfinite(value):  # « 1e309 » reads as infinity: never stored
            return fail("hors_limites", expected=out_of_range(column, value))
        if kind == "int" and not value.is_integer():
            return fail("entier_attendu")
        if (expected := out_of_range(column, value)) is not None:
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


def out_of_range(column: Column, value: float) -> str | None:
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


def control_characters(column: Column) -> re.Pattern:
    """The characters no text of `column` may hold (tab and line breaks allowed in long
    texts only)."""
    return _CONTROL_MULTILINE if column.multiline else _CONTROL_ONE_LINE


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
    pattern = control_characters(column)
    if (found := pattern.search(text)) is None:
        return None
    char = found.group()
    shown = f"« {char} »" if len(char) > 1 else f"U+{ord(char):04X}"
    if char in _CONTROL_NAMES:
        shown = f"{_CONTROL_NAMES[char]}, {shown}"
    return problem("caractere_controle", value=printable(text[:100]), char=shown, **where)


def is_missing(value: object) -> bool:
    """True for a missing canonical value: None, pd.NA or NaN."""
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


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
    """The closed interval a number of `column` must lie in (see `out_of_range`)."""
    bounds = getattr(column, "bounds", None)
    low, high = bounds if bounds is not None else (column.minimum, column.maximum)
    return (-math.inf if low is None else float(low)), (math.inf if high is None else float(high))
