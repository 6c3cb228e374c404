"""The example workbook: built by its script, reproducible, in the format, figures sourced."""

import importlib.util
import io
import sys

import pytest
from openpyxl import load_workbook as openpyxl_load

from ctg_data.schemas import SHEETS, SHEETS_BY_KEY
from tests.conftest import REPO, SAMPLE

INVENTED = "Valeur inventée pour l'exemple"
# Columns that hold keys or calendar years, not figures: they need no source comment.
NOT_FIGURES = {"Année", "N° action", "Année de référence", "Année cible", "Début", "Fin",
               "Date", "Date du comité", "Échéance"}


@pytest.fixture(scope="module")
def make_sample():
    spec = importlib.util.spec_from_file_location("make_sample",
                                                  REPO / "sample_data" / "make_sample.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module   # its dataclasses look their module up while defined
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def book():
    return openpyxl_load(io.BytesIO(SAMPLE.read_bytes()))


def header_row(ws) -> int:
    """The first row whose first cell is a declared header (title rows may come first)."""
    for row in ws.iter_rows(min_row=1, max_row=6):
        if row[0].value in {c.label for s in SHEETS for c in s.columns} | {"Champ"}:
            return row[0].row
    raise AssertionError(f"no header in {ws.title}")


def test_script_output_is_reproducible_and_committed(make_sample):
    first, second = make_sample.build(), make_sample.build()
    assert first == second
    assert SAMPLE.read_bytes() == first, "run sample_data/make_sample.py and keep its output"


def test_every_sheet_with_the_schema_headers(book):
    assert book.sheetnames == [s.name for s in SHEETS] + ["Sources"]
    for sheet in SHEETS:
        ws = book[sheet.name]
        row = header_row(ws)
        headers = [c.value for c in ws[row] if c.value is not None]
        if sheet.key_value:
            assert headers == ["Champ", "Valeur"]
            fields = [ws.cell(row=r, column=1).value for r in range(2, ws.max_row + 1)]
            # Every field but « Communes membres », which only an EPCI has.
            assert fields == [c.label for c in sheet.columns if c.key != "communes_membres"]
            continue
        labels = [c.label for c in sheet.columns]
        if sheet.key == "plan_action":
            years = [h for h in headers if isinstance(h, int)]
            assert years == [2021, 2022, 2023]
            headers = [h for h in headers if not isinstance(h, int)]
        assert headers == labels
        assert ws.max_row > row, f"{sheet.name} has no data row"


def test_title_rows_above_some_headers(book):
    assert header_row(book["Population"]) > 1
    assert header_row(book["Équipements"]) > 1


def test_every_figure_says_where_it_comes_from(book):
    """Each number of a table sheet carries a comment: a public source or « inventée »."""
    invented_sheets = set()
    for sheet in SHEETS:
        if sheet.key_value:
            continue
        ws = book[sheet.name]
        row = header_row(ws)
        headers = {c.column: c.value for c in ws[row]}
        for cells in ws.iter_rows(min_row=row + 1):
            for cell in cells:
                if cell.comment is not None and cell.comment.text.startswith(INVENTED):
                    invented_sheets.add(sheet.name)
                if not isinstance(cell.value, (int, float)) or headers[cell.column] in NOT_FIGURES:
                    continue
                assert cell.comment is not None, \
                    f"{sheet.name}!{cell.coordinate} ({headers[cell.column]}) has no source"
                text = cell.comment.text
                assert text.startswith((INVENTED, "Source :", "Valeur déduite")), text
    assert invented_sheets == {s.name for s in SHEETS if not s.key_value}


def test_public_facts_of_the_convention(book):
    ws = book["Équipements"]
    row = header_row(ws)
    col = {c.value: c.column for c in ws[row]}
    places = {}
    for r in range(row + 1, ws.max_row + 1):
        nom = ws.cell(row=r, column=col["Nom"]).value
        places.setdefault(nom, ws.cell(row=r, column=col["Places"]).value)
        if nom.startswith("Micro-crèche Ma Cachette"):
            cell = ws.cell(row=r, column=col["Financement"])
            assert cell.value == "PAJE" and cell.comment.text.startswith(INVENTED)
        if nom.startswith("Berceaux"):
            assert ws.cell(row=r, column=col["Commune"]).value in {"Leers", "Hem"}
    assert places["Multi-accueil La Pépinière"] == 44
    assert places["Micro-crèche Ma Cachette"] == 10
    assert places["Micro-crèche Au pays des Merveilles"] == 10
    assert places["MAM Les Joyeux Bambins"] == 8
    territoire = {book["Territoire"].cell(row=r, column=1).value:
                  book["Territoire"].cell(row=r, column=2).value for r in range(2, 10)}
    assert territoire["Code INSEE"] == "59367"
    assert territoire["EPCI"] == "Métropole Européenne de Lille"


def test_sources_sheet_lists_public_and_invented_values(book):
    ws = book["Sources"]
    statuses = {ws.cell(row=r, column=3).value for r in range(4, ws.max_row + 1)}
    assert {"Public", "Inventé"} <= statuses
    sheets = {ws.cell(row=r, column=1).value for r in range(4, ws.max_row + 1)}
    assert sheets == {s.name for s in SHEETS}


def test_plan_covers_the_three_axes_and_every_action_has_a_fiche(book):
    plan, fiches = book["Plan d'action"], book["Fiches actions"]
    col = {c.value: c.column for c in plan[1]}
    axes = {plan.cell(row=r, column=col["Axe"]).value for r in range(2, plan.max_row + 1)}
    assert axes == {"Axe 1 : Réaliser le diagnostic de territoire",
                    "Axe 2 : Dégager des pistes d'actions sur le territoire d'intervention",
                    "Axe 3 : Piloter le dispositif"}
    numbers = {plan.cell(row=r, column=col["N° action"]).value for r in range(2, plan.max_row + 1)}
    fiche_col = {c.value: c.column for c in fiches[1]}["N° action"]
    assert numbers == {fiches.cell(row=r, column=fiche_col).value
                       for r in range(2, fiches.max_row + 1)}
    sens = {plan.cell(row=r, column=col["Sens"]).value for r in range(2, plan.max_row + 1)}
    assert "Baisse" in sens


def test_sample_validates_without_errors():
    from ctg_data.workbook import load_workbook
    report = load_workbook(SAMPLE.read_bytes(), SAMPLE.name)
    assert report.ok, [p.as_line() for p in report.errors]
    (data,) = report.datasets
    assert data.code == "59367" and data.nom == "Lys-lez-Lannoy"
    assert data.years() == [2020, 2021, 2022, 2023, 2024]
    assert set(data.present) == set(SHEETS_BY_KEY)
