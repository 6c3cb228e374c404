"""Value kinds: how each kind of value is shown on screen, printed in the bilan, written to
Excel and rounded in a CSV — declared once in `VALUE_KINDS`.

A table declares the kind of each column (`{"Places": "int", "Taux": "percent"}`); the screen
(`display_frame`), the Excel and CSV downloads (`exports.NUMBER_FORMATS`, `exports.CSV_DECIMALS`)
and the bilan (`print_text`) read the same entry. The workbook's column types
(`schemas.TYPES`) are another thing: how a cell is READ from a file (a code keeps its leading
zeros, a date may be a year); once read, a value is shown by the kind of the table showing it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from ctg_data import definitions
from ctg_data import formatting as fmt


@dataclass(frozen=True)
class ValueKind:
    """One kind of value and its renderings."""

    name: str
    screen: Callable[[object], str]   # a value on screen (`display_frame`), « — » when missing
    print: Callable[[object], str]    # a value printed in a document (`print_text`)
    excel_format: str                 # the Excel number format of its cells (en-US notation)
    numeric: bool                     # holds numbers (aligned right, counted, rounded)
    decimals: int | None = None       # decimals shown, hence kept in a CSV; None: not rounded
    # The kind a screen table's Excel download writes it as: the screen's finer kinds share
    # the cell rules of a broader one (a date stays the text the workbook holds).
    excel_kind: str = ""


def _printed(number: Callable[[float], str]) -> Callable[[object], str]:
    """A printing function: « — » when missing, texts as they are, Oui/Non, numbers by
    `number` (given the float)."""
    def printed(value) -> str:
        if fmt.is_missing(value):
            return fmt.MISSING
        if isinstance(value, str):
            return value
        if isinstance(value, bool):
            return "Oui" if value else "Non"
        if isinstance(value, int | float) or hasattr(value, "__float__"):
            return number(float(value))
        return str(value)
    return printed


def _as_needed(v) -> str:
    # As many decimals as the value needs, up to one: an age of 3 years, or of 2,5.
    return fmt.fr_number(v, 0 if fmt.is_missing(v) or float(v).is_integer() else 1)


def _year(v) -> str:
    return fmt.MISSING if fmt.is_missing(v) else str(int(v))


def _text(v) -> str:
    return fmt.MISSING if fmt.is_missing(v) else str(v)


# What a document prints for a number of a kind without its own rule: whole numbers without
# decimals, others with one.
_PRINT_ANY = _printed(_as_needed)

_INT, _DECIMAL = "#,##0", "#,##0.0"
# Number formats are stored in the file in Excel's neutral (en-US) notation; a French Excel or
# LibreOffice shows them with a space for thousands and a decimal comma. The non-breaking space
# before % and € keeps the unit on the number's line.
VALUE_KINDS: dict[str, ValueKind] = {k.name: k for k in (
    ValueKind("int", lambda v: fmt.fr_number(v, 0), _printed(lambda n: fmt.fr_number(n, 0)),
              _INT, True, 0, "int"),
    ValueKind("decimal", lambda v: fmt.fr_number(v, 1), _printed(lambda n: fmt.fr_number(n, 1)),
              _DECIMAL, True, 1, "decimal"),
    ValueKind("decimal2", lambda v: fmt.fr_number(v, 2), _PRINT_ANY, _DECIMAL, True, 2,
              "decimal"),
    # Mixed column (ages, key figures): whole numbers without decimals, others with one; in
    # Excel (`exports`) whole cells take the `int` format, one by one.
    ValueKind("number", _as_needed, _PRINT_ANY, _DECIMAL, True, 1, "decimal"),
    ValueKind("percent", lambda v: fmt.fr_percent(v, 1), _printed(lambda n: fmt.fr_percent(n, 1)),
              '#,##0.0"\u00a0%"', True, 1, "percent"),
    # A rate « for 100 » that may pass 100 (places for 100 children): no « % ».
    ValueKind("rate", lambda v: fmt.fr_number(v, 1), _PRINT_ANY, _DECIMAL, True, 1, "decimal"),
    ValueKind("euro", lambda v: fmt.fr_euro(v, 0), _printed(lambda n: fmt.fr_euro(n, 0)),
              '#,##0"\u00a0€"', True, 0, "euro"),
    ValueKind("year", _year, _printed(lambda n: str(int(n))), "0", True, 0, "year"),
    ValueKind("date", fmt.fr_short_date, _PRINT_ANY, "General", False, None, "text"),
    ValueKind("text", _text, _PRINT_ANY, "General", False, None, "text"),
)}

# Other names a table may give a kind (the workbook's types, French words).
KIND_ALIASES = {"float": "decimal", "entier": "int", "pourcentage": "percent", "%": "percent",
                "annee": "year", "€": "euro"}


def excel_kinds(formats: dict | None) -> dict:
    """A screen table's `formats` (column → kind) as its Excel download writes them
    (`ValueKind.excel_kind`); an unknown kind is passed on (exports refuses it in French)."""
    return {col: VALUE_KINDS[kind].excel_kind if kind in VALUE_KINDS else kind
            for col, kind in (formats or {}).items()}


def print_text(kind: str | None, value) -> str:
    """A table value as a document prints it: French numbers by kind, « — » when missing,
    texts as they are, Oui/Non; a kind without its own rule prints whole numbers without
    decimals and others with one."""
    entry = VALUE_KINDS.get(kind) if kind else None
    return (entry.print if entry is not None else _PRINT_ANY)(value)


def display_frame(frame: pd.DataFrame, formats: dict | None = None) -> pd.DataFrame:
    """A copy of `frame` whose numeric columns are French text (« 1 234,5 », « 12,3 % »,
    « — » when missing): Streamlit's own number formats follow the browser's locale, not French.
    `formats` maps a column to a kind of `VALUE_KINDS` (int, decimal, decimal2, number, percent,
    rate, euro, year, date or text); other numeric columns are shown as whole numbers when they
    hold only integers, else with one decimal."""
    formats = dict(formats or {})
    out = frame.copy()
    for col in out.columns:
        kind = formats.get(col)
        series = out[col]
        if kind is None:
            if pd.api.types.is_bool_dtype(series):
                out[col] = series.map(lambda v: "oui" if v is True else "non" if v is False
                                      else fmt.MISSING).astype(object)
                continue
            if not pd.api.types.is_numeric_dtype(series):
                out[col] = series.astype(object).where(series.notna(), fmt.MISSING)
                continue
            whole = series.dropna()
            kind = "int" if whole.empty or (whole == whole.round()).all() else "decimal"
        if kind == "text":
            # Whole column at once, values kept as they are (an empty text stays empty).
            out[col] = series.astype(object).where(series.notna(), fmt.MISSING)
        else:
            out[col] = series.astype(object).map(VALUE_KINDS[kind].screen).astype(object)
    return out


def indicator_kind(code: str) -> str:
    """The kind of an indicator's values, from its unit in the definitions."""
    d = definitions.get(code)
    if d.unite == "%":
        return "percent"
    if "€" in d.unite:
        return "euro"
    if d.facteur is None and d.unite != "AM par ETP":
        return "int"
    return "decimal"


def format_indicator(value, code: str) -> str:
    """A value of indicator `code` in French, by its unit (« 12,3 % », « 1 234 », « 19 500 € »,
    « 11,2 ‰ »)."""
    if definitions.get(code).unite == "‰" and not fmt.is_missing(value):
        return f"{fmt.fr_number(value, 1)}{fmt.NNBSP}‰"
    return VALUE_KINDS[indicator_kind(code)].screen(value)
