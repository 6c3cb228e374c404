"""Table exports (XLSX, CSV) against golden files, formula neutralising, statistical secrecy,
and chart images through kaleido with Debian chromium."""

import io
import json
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import plotly.graph_objects as go
import pytest

from ctg_data import exports, secrecy

GOLDEN = Path(__file__).resolve().parent / "golden"


def golden_frame() -> pd.DataFrame:
    """The table behind the golden files: every number kind, missing values, a formula text,
    a text holding the CSV separator and French quotes."""
    return pd.DataFrame({
        "Structure": ["Multi-accueil La Pépinière", '=HYPERLINK("http://x")',
                      "Micro-crèche ; « Ma Cachette »"],
        "Places": [44.0, 10.0, np.nan],
        "Taux de couverture (%)": [8.46, np.nan, 100.0],
        "Montant (€)": [120000.0, np.nan, 1234.56],
        "Année": pd.array([2023, None, 2022], dtype="Int64"),
        "Ratio": [1.25, -0.5, 2.0],
    })


def golden_xlsx() -> bytes:
    return exports.table_to_xlsx(
        golden_frame(), title="Accueil du jeune enfant",
        source="Exemple fictif (chiffres inventés)", sheet_name="Accueil",
        formats={"Places": "int", "Taux de couverture (%)": "percent", "Montant (€)": "euro"},
        note="Exemple fictif : chiffres inventés.")


# --- golden files ------------------------------------------------------------------------------

def test_csv_matches_golden_bytes():
    assert exports.table_to_csv(golden_frame()) == (GOLDEN / "table_export.csv").read_bytes()


def test_xlsx_matches_golden_cells_and_formats():
    expected = json.loads((GOLDEN / "table_export_xlsx.json").read_text(encoding="utf-8"))
    wb = openpyxl.load_workbook(io.BytesIO(golden_xlsx()))
    ws = wb.active
    assert ws.title == expected["sheet"]
    assert ws.freeze_panes == expected["freeze_panes"]
    found = {c.coordinate: [c.value, c.number_format, bool(c.font.bold), bool(c.quotePrefix)]
             for row in ws.iter_rows() for c in row if c.value is not None}
    assert found == expected["cells"]


# --- XLSX details ------------------------------------------------------------------------------

def test_xlsx_numbers_are_numbers_not_text():
    ws = openpyxl.load_workbook(io.BytesIO(golden_xlsx())).active
    assert ws["B5"].data_type == "n" and ws["F6"].data_type == "n"  # -0.5 stays a number
    assert ws["F6"].value == -0.5


def test_xlsx_without_title_freezes_first_row_and_sizes_columns():
    frame = pd.DataFrame({"Analyse": ["x" * 200], "N": [3.0]})
    ws = openpyxl.load_workbook(io.BytesIO(exports.table_to_xlsx(frame))).active
    assert ws["A1"].value == "Analyse" and ws["A1"].font.bold
    assert ws.freeze_panes == "A2"
    assert ws.column_dimensions["A"].width == 60          # long text: capped, wrapped
    assert ws["A2"].alignment.wrap_text
    assert 6 <= ws.column_dimensions["B"].width <= 12


def test_xlsx_contains_no_formula_even_for_formula_texts():
    frame = pd.DataFrame({"Analyse": ["=1+1", "+33 6 12", "@SUM(A1)", "-10 %", "ok"],
                          "Valeur": [-3.0, 1.0, 2.0, 3.0, 4.0]})
    content = exports.table_to_xlsx(frame, title="=2+2", source="@source")
    ws = openpyxl.load_workbook(io.BytesIO(content)).active
    cells = [c for row in ws.iter_rows() for c in row if c.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    with zipfile.ZipFile(io.BytesIO(content)) as z:
        assert b"<f>" not in z.read("xl/worksheets/sheet1.xml")
    by_value = {c.value: c for c in cells}
    assert by_value["=1+1"].data_type == "s" and by_value["=1+1"].quotePrefix
    assert by_value["=2+2"].quotePrefix                   # the title is a user text too
    assert not by_value["ok"].quotePrefix
    assert by_value[-3.0].data_type == "n"


def test_several_tables_one_sheet_each_with_valid_unique_names():
    name = "Axe 1 : diagnostic/partagé"
    tables = [exports.TableSheet(pd.DataFrame({"a": [1]}), sheet_name=name),
              exports.TableSheet(pd.DataFrame({"b": [2]}), sheet_name=name),
              exports.TableSheet(pd.DataFrame({"c": [3]}), sheet_name="x" * 40)]
    wb = openpyxl.load_workbook(io.BytesIO(exports.tables_to_xlsx(tables)))
    assert wb.sheetnames == ["Axe 1 - diagnostic-partagé", "Axe 1 - diagnostic-partagé (2)",
                             "x" * 31]


def test_unknown_format_kind_is_refused_in_french():
    with pytest.raises(ValueError, match="Format de colonne inconnu"):
        exports.table_to_xlsx(pd.DataFrame({"a": [1]}), formats={"a": "monnaie"})


# --- neutralising ------------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["=1+1", "+1", "-1+2", "@cmd", "\t=1", "\r=1"])
def test_neutralise_prefixes_formula_texts(text):
    assert exports.neutralise(text) == "'" + text


@pytest.mark.parametrize("value", ["Analyse", "1+1", "", None, -5, -2.5, 0])
def test_neutralise_leaves_other_values(value):
    assert exports.neutralise(value) == value


def test_csv_neutralises_texts_and_headers_but_not_negative_numbers():
    frame = pd.DataFrame({"=titre": ["=1+1", "@a", "b"], "v": [-5.0, 0.1 + 0.2, 1e-7]})
    text = exports.table_to_csv(frame).decode("utf-8-sig")
    assert text.splitlines() == ["'=titre;v", "'=1+1;-5", "'@a;0,3", "b;0,0000001"]


# --- statistical secrecy -----------------------------------------------------------------------

def two_way_table() -> pd.DataFrame:
    return pd.DataFrame({"Lieu": ["A", "B", "C", "Total"],
                         "0-2 ans": [3.0, 12.0, 7.0, 22.0],
                         "3-5 ans": [10.0, 20.0, 8.0, 38.0],
                         "Total": [13.0, 32.0, 15.0, 60.0]}, index=["a", "b", "c", "t"])


def test_small_count_masked_with_secondary_masks_in_rows_and_columns():
    masked, note = secrecy.mask_small_counts(
        two_way_table(), ["0-2 ans", "3-5 ans", "Total"], total_columns=["Total"],
        total_rows=["t"])
    # By hand: A/0-2 = 3 < 5 is masked; row A then needs a second mask: its smallest visible
    # part, A/3-5 (10). Column 0-2 has one mask: its smallest visible part C (7); column 3-5
    # likewise C (8). Row C then has two masks: stable. Totals stay visible.
    secret = {(r, c) for r in masked.index for c in ["0-2 ans", "3-5 ans", "Total"]
              if masked.at[r, c] == "s"}
    assert secret == {("a", "0-2 ans"), ("a", "3-5 ans"), ("c", "0-2 ans"), ("c", "3-5 ans")}
    assert masked.at["b", "0-2 ans"] == 12.0 and masked.at["t", "Total"] == 60.0
    assert "Effectifs inférieurs à 5 masqués (secret statistique)" in note
    assert "par différence" in note


def test_total_masked_when_no_other_part_can_hide_the_cell():
    frame = pd.DataFrame({"Garde à domicile": [3.0], "Total": [3.0]})
    masked, _ = secrecy.mask_small_counts(frame, ["Garde à domicile"], total_columns=["Total"])
    assert masked.iloc[0].tolist() == ["s", "s"]


def test_zero_and_missing_are_not_masked_and_no_note_when_nothing_masked():
    frame = pd.DataFrame({"Enfants": [0.0, np.nan, 40.0]})
    masked, note = secrecy.mask_small_counts(frame, ["Enfants"])
    assert note == ""
    assert masked["Enfants"].tolist()[0] == 0.0 and np.isnan(masked["Enfants"].tolist()[1])


def test_threshold_from_setting_and_per_source_override(monkeypatch):
    frame = pd.DataFrame({"Enfants": [3.0, 7.0, 12.0]})
    masked, note = secrecy.mask_small_counts(frame, ["Enfants"], threshold=3)
    assert masked["Enfants"].tolist() == [3.0, 7.0, 12.0] and note == ""
    monkeypatch.setenv("CTG_SEUIL_SECRET", "10")
    masked, note = secrecy.mask_small_counts(frame, ["Enfants"])
    assert masked["Enfants"].tolist() == ["s", "s", 12.0]
    assert "inférieurs à 10" in note


def test_count_rows_limit_masking_to_the_rows_that_count_people():
    # Key figures: 3 children is a count (masked), 3,0 places for 100 children is a rate.
    frame = pd.DataFrame({"Indicateur": ["Enfants", "Taux"], "Valeur": [3.0, 3.0]})
    masked, note = secrecy.mask_small_counts(frame, ["Valeur"], 5, count_rows=[0])
    assert masked["Valeur"].tolist() == ["s", 3.0] and "inférieurs à 5" in note
    untouched, note = secrecy.mask_small_counts(frame, ["Valeur"], 5, count_rows=[])
    assert untouched["Valeur"].tolist() == [3.0, 3.0] and note == ""


@pytest.mark.parametrize("value, expected", [(4, True), (4.9, True), ("3", True), (5, False),
                                             (0, False), (None, False), (np.nan, False),
                                             ("s", False)])
def test_small_count_is_strictly_between_zero_and_threshold(value, expected):
    assert secrecy.is_small_count(value, 5) is expected


@pytest.mark.parametrize("unite, expected", [("familles", True), ("enfants", True),
                                             ("demandes", True), ("%", False),
                                             ("places pour 100 enfants", False),
                                             ("réunions", False), ("", False), (None, False)])
def test_count_units(unite, expected):
    assert secrecy.is_count_unit(unite) is expected


def test_masked_table_exports_marker_and_note():
    masked, note = secrecy.mask_small_counts(
        pd.DataFrame({"Mode": ["AM", "GAD"], "Enfants": [150.0, 2.0]}), ["Enfants"])
    ws = openpyxl.load_workbook(io.BytesIO(exports.table_to_xlsx(masked, note=note))).active
    assert ws["B2"].value == 150 and ws["B3"].value == "s"
    assert ws["A5"].value.startswith("Note : Effectifs inférieurs à 5 masqués")
    assert exports.table_to_csv(masked).decode("utf-8-sig").splitlines()[1:] == ["AM;150",
                                                                                 "GAD;s"]


# --- chart images ------------------------------------------------------------------------------

def bar_figure() -> go.Figure:
    return go.Figure(go.Bar(x=["EAJE", "AM"], y=[54, 120]))


@pytest.mark.parametrize("fmt, magic", [("png", b"\x89PNG\r\n\x1a\n"), ("svg", b"<svg"),
                                        ("pdf", b"%PDF-")])
def test_figure_to_image_magic_bytes(fmt, magic):
    assert exports.image_export_available(), exports.image_export_message()
    image = exports.figure_to_image(bar_figure(), fmt, title="Places par mode")
    assert image.startswith(magic)


def test_image_carries_title_source_and_date_and_server_starts_once():
    import kaleido

    svg = exports.figure_to_image(bar_figure(), "svg", title="Places par mode d'accueil",
                                  source="Caf du Nord", data_date="décembre 2023").decode()
    thread = kaleido._global_server._thread
    assert "Places par mode d" in svg
    assert "Source : Caf du Nord" in svg and "décembre 2023" in svg
    exports.figure_to_image(bar_figure(), "png")
    assert kaleido._global_server._thread is thread  # same browser, not one per image


def test_png_scale_doubles_pixels():
    png = exports.figure_to_image(bar_figure(), "png", scale=2, width=600, height=300)
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert (width, height) == (1200, 600)


def test_missing_browser_gives_french_message(monkeypatch):
    monkeypatch.setenv("CTG_CHROMIUM_PATH", "/nonexistent/chromium")
    assert not exports.image_export_available()
    message = exports.image_export_message()
    assert message.startswith("Export d'image indisponible : navigateur Chromium introuvable")
    assert "/nonexistent/chromium" in message
    with pytest.raises(exports.ImageExportError, match="Chromium introuvable"):
        exports.figure_to_image(bar_figure(), "png")
    # tables still export
    assert exports.table_to_csv(pd.DataFrame({"a": [1]})).startswith(b"\xef\xbb\xbf")


def test_export_file_names():
    assert exports.export_file_name("Taux de couverture — 2023 (%)", "png") == \
        "taux-de-couverture-2023.png"
    assert exports.export_file_name("Évaluation : axe 1", ".xlsx") == "evaluation-axe-1.xlsx"
    assert exports.image_mime("SVG") == "image/svg+xml"


def test_same_chart_twice_is_rendered_once():
    first = exports.figure_to_image(bar_figure(), "png", width=400, height=300)
    assert exports.figure_to_image(bar_figure(), "png", width=400, height=300) is first
    other = go.Figure(go.Bar(x=["EAJE", "AM"], y=[55, 120]))
    assert exports.figure_to_image(other, "png", width=400, height=300) != first
