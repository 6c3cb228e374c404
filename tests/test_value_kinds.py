"""One value-kind table (`ctg_data.kinds.VALUE_KINDS`): the screen, the bilan, the Excel and
CSV downloads and the workbook's types all read it, and each kind keeps its rendering."""

import io

import numpy as np
import openpyxl
import pandas as pd
import pytest

from ctg_data import exports, kinds
from ctg_data.formatting import MISSING, NNBSP
from ctg_data.kinds import VALUE_KINDS, display_frame, print_text

# A set of values per kind: whole and fractional, negative, rounding half away from zero,
# missing in every form, texts (a masked « s »), booleans, numpy numbers.
VALUES = [0, 7, 1234, 1234.5, 2.25, -0.05, 12.345, 0.5, float("nan"), None, pd.NA, "",
          "s", "texte libre", True, False, np.int64(42), np.float64(3.75), 1e6]


@pytest.mark.parametrize("kind, value, printed", [
    ("int", 1234.5, f"1{NNBSP}235"), ("int", 7, "7"),
    ("decimal", 7, "7,0"), ("decimal", -0.05, "\u22120,1"),
    ("decimal2", 2.25, "2,3"), ("decimal2", 7.0, "7"),     # the bilan's generic rule
    ("number", 3.0, "3"), ("number", 2.5, "2,5"),
    ("percent", 12.345, f"12,3{NNBSP}%"), ("euro", 19500, f"19{NNBSP}500{NNBSP}€"),
    ("year", 2023.0, "2023"), ("rate", 53.5031, "53,5"), ("date", "2024-03-12", "2024-03-12"),
    ("text", 12.0, "12"), ("text", "s", "s"), ("int", True, "Oui"), ("percent", False, "Non"),
    ("euro", None, MISSING), ("year", "", MISSING), ("number", np.float64(3.75), "3,8"),
    ("inconnu", 1.25, "1,3"),
])
def test_print_text(kind, value, printed):
    assert print_text(kind, value) == printed


@pytest.mark.parametrize("kind, value, shown", [
    ("int", 1234.5, f"1{NNBSP}235"), ("decimal", 7, "7,0"), ("decimal2", 2.25, "2,25"),
    ("decimal2", 7.0, "7,00"), ("number", 3.0, "3"), ("number", 2.5, "2,5"),
    ("percent", 12.345, f"12,3{NNBSP}%"), ("rate", 53.5031, "53,5"),
    ("euro", 19500, f"19{NNBSP}500{NNBSP}€"), ("year", 2023.0, "2023"),
    ("date", "2024-03-12", "12/03/2024"), ("int", None, MISSING), ("year", float("nan"), MISSING),
])
def test_screen_text(kind, value, shown):
    assert VALUE_KINDS[kind].screen(value) == shown
    column = pd.Series([value], dtype=object)
    assert display_frame(pd.DataFrame({"c": column}), {"c": kind})["c"].tolist() == [shown]


def test_text_columns_are_shown_as_they_are():
    frame = pd.DataFrame({"t": ["a", None, ""],
                          "b": pd.array([True, False, None], dtype="boolean")})
    shown = display_frame(frame, {"t": "text"})
    assert shown["t"].tolist() == ["a", MISSING, ""]
    assert shown["b"].tolist() == ["oui", "non", MISSING]


def test_every_alias_names_a_kind():
    assert set(kinds.KIND_ALIASES.values()) <= set(VALUE_KINDS)
    assert all(VALUE_KINDS[k.excel_kind].excel_kind == k.excel_kind for k in VALUE_KINDS.values())


def test_exports_read_the_table():
    assert exports.NUMBER_FORMATS == {name: k.excel_format for name, k in VALUE_KINDS.items()}
    assert exports.NUMBER_FORMATS["percent"] == '#,##0.0"\u00a0%"'
    assert exports.CSV_DECIMALS == {"int": 0, "decimal": 1, "decimal2": 2, "number": 1,
                                    "percent": 1, "rate": 1, "euro": 0, "year": 0}
    assert kinds.excel_kinds({"a": "rate", "b": "date", "c": "number", "d": "decimal2",
                              "e": "percent", "f": "monnaie"}) == {
        "a": "decimal", "b": "text", "c": "decimal", "d": "decimal", "e": "percent",
        "f": "monnaie"}


def test_excel_cells_take_the_kinds_formats():
    frame = pd.DataFrame({"Taux": [12.5], "Places": [40.0], "Montant": [19500.0],
                          "Année": [2023], "Âge": [3.0], "Date": ["2024-03-12"]})
    formats = {"Taux": "percent", "Places": "int", "Montant": "euro", "Année": "year",
               "Âge": "number", "Date": "date"}
    sheet = openpyxl.load_workbook(io.BytesIO(exports.table_to_xlsx(frame, formats=formats))).active
    cells = {sheet.cell(1, j).value: sheet.cell(2, j) for j in range(1, 7)}
    assert cells["Taux"].number_format == VALUE_KINDS["percent"].excel_format
    assert (cells["Places"].value, cells["Places"].number_format) == (40, "#,##0")
    assert cells["Montant"].number_format == VALUE_KINDS["euro"].excel_format
    assert (cells["Âge"].value, cells["Âge"].number_format) == (3, "#,##0")   # whole cell
    assert cells["Date"].value == "2024-03-12" and cells["Date"].data_type == "s"
    with pytest.raises(ValueError, match="Format de colonne inconnu"):
        exports.table_to_xlsx(frame, formats={"Taux": "monnaie"})


@pytest.mark.parametrize("kind", [*VALUE_KINDS, "float", "autre", None])
def test_every_kind_prints_every_value_as_text(kind):
    """The bilan prints any cell: a text stays as it is, a missing value is « — », a number
    is French (no dot decimal separator, no English thousands comma)."""
    for value in VALUES:
        text = print_text(kind, value)
        assert isinstance(text, str)
        if value is None or value is pd.NA or (isinstance(value, float) and value != value):
            assert text == MISSING
        elif isinstance(value, str) and value:
            assert text == value
        elif isinstance(value, (int, float, np.number)) and not isinstance(value, bool):
            assert "." not in text and "," not in text.replace(",", "", 1), (kind, value, text)
