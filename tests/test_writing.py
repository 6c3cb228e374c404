"""Workbook export, template and generated format documentation: the export reads back as the
same data, cells are typed as people expect, the template and the README follow the schemas."""

import io
import re
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest

from ctg_data.importing import import_file
from ctg_data.model import CtgData
from ctg_data.schemas import (IGNORED_SHEETS, SHEETS, SHEETS_BY_KEY, TABLE_SHEETS, find_sheet,
                              match_column, normalise)
from ctg_data.storage import Store
from ctg_data.workbook import load_workbook
from ctg_data.writing import format_markdown, template_workbook, write_workbook
from test_storage import awkward_data

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "sample_data" / "ctg_lys_lez_lannoy.xlsx"


def _open(content: bytes):
    return openpyxl.load_workbook(io.BytesIO(content))


def _header(ws) -> list:
    return [c.value for c in ws[1]]


def _read(content: bytes, name="export.xlsx"):
    report = load_workbook(content, name)
    assert report.errors == [], [p.as_line() for p in report.errors]
    return report


def test_export_reads_back_identical():
    data = awkward_data()
    report = _read(write_workbook([data]))
    [back] = report.datasets
    for key in data.tables:
        assert back.tables[key].equals(data.tables[key]), key
    assert back.territoire == data.territoire
    assert back.equals(data)
    # Warnings come from the data, not the export: the extra column kept as information and
    # an ALSH the test data does not list among the Équipements.
    lines = [p.as_line() for p in report.warnings]
    assert any("Commentaire interne" in line for line in lines), lines
    assert all("Commentaire interne" in line or "ALSH Parc Maréchal" in line
               for line in lines), lines


def test_export_of_several_territories_reads_back_identical():
    a = awkward_data()
    b = awkward_data(code="59367", nom="Lys-lez-Lannoy")
    b.tables["alsh"] = b.tables["alsh"].iloc[1:]
    b.tables["besoins"] = b.tables["besoins"].iloc[:0]
    b = CtgData(b.territoire, b.tables, b.present)
    content = write_workbook([a, b])
    wb = _open(content)
    assert _header(wb["Territoire"])[:2] == ["Code INSEE", "Nom"]
    assert [r[0] for r in wb["Territoire"].iter_rows(min_row=2, values_only=True)] == [
        "01065", "59367"]
    alsh = wb["ALSH"]
    assert _header(alsh)[0] == "Code INSEE"
    assert [r[0] for r in alsh.iter_rows(min_row=2, values_only=True)] == [
        "01065", "01065", "59367"]
    back = {d.code: d for d in _read(content).datasets}
    assert back["01065"].equals(a)
    assert back["59367"].equals(b)


def test_cells_are_typed():
    data = awkward_data()
    wb = _open(write_workbook([data]))
    territoire = {r[0]: r[1] for r in wb["Territoire"].iter_rows(min_row=2, values_only=True)}
    assert _header(wb["Territoire"]) == ["Champ", "Valeur"]
    assert territoire["Code INSEE"] == "01065" and territoire["Département"] == "01"
    assert territoire["Début CTG"] == 2021  # a bare year is a number
    assert territoire["Fin CTG"] == datetime(2023, 12, 31)  # a date is a real date cell
    code_cell = wb["Territoire"]["B2"]
    assert code_cell.data_type == "s" and code_cell.number_format == "@"

    population = wb["Population"]
    header = _header(population)
    assert header[:3] == ["Année", "Population", "Enfants 0-2 ans"]
    assert header[-1] == "Commentaire interne"
    first = dict(zip(header, next(population.iter_rows(min_row=2, values_only=True))))
    assert first["Année"] == 2021 and isinstance(first["Année"], int)
    assert first["Population"] == 13793 and first["Taux d'activité des femmes 25-54 ans (%)"] \
        == 88.1
    second = dict(zip(header, list(population.iter_rows(min_row=3, values_only=True))[0]))
    assert second["Enfants 0-2 ans"] is None  # NaN is an empty cell, not 0 nor "nan"

    plan = wb["Plan d'action"]
    header = _header(plan)
    assert [h for h in header if isinstance(h, int)] == [2021, 2022, 2023]
    assert plan.cell(row=2, column=header.index("N° action") + 1).value == "01"

    equipements = wb["Équipements"]
    header = _header(equipements)
    remark = equipements.cell(row=2, column=header.index("Remarques") + 1)
    assert remark.value == "=1+1 n'est pas une formule" and remark.data_type == "s"
    assert remark.quotePrefix   # stays text when edited in Excel
    assert not equipements.cell(row=3, column=header.index("Nom") + 1).quotePrefix
    opening = [r[header.index("Ouverture")] for r in equipements.iter_rows(min_row=2,
                                                                          values_only=True)]
    assert opening == [2008, None, datetime(2019, 9, 2)]
    assert wb["Comités"]["A2"].value == datetime(2022, 3, 15)

    for ws in wb:
        assert ws.freeze_panes == "A2", ws.title
        assert all(c.font.b for c in ws[1] if c.value is not None), ws.title
        assert ws.column_dimensions["A"].width >= 8


def test_only_sheets_with_rows_are_written():
    data = awkward_data()
    tables = dict(data.tables, financements=data.tables["financements"].iloc[:0],
                  comites=data.tables["comites"].iloc[:0])
    wb = _open(write_workbook([CtgData(data.territoire, tables, data.present)]))
    expected = ["Territoire"] + [s.name for s in TABLE_SHEETS
                                 if s.key not in ("financements", "comites")]
    assert wb.sheetnames == expected
    minimal = CtgData({"code_insee": "59367", "nom": "Lys-lez-Lannoy"})
    assert _open(write_workbook([minimal])).sheetnames == ["Territoire"]
    with pytest.raises(ValueError):
        write_workbook([])


def test_template_has_every_sheet_and_instructions():
    wb = _open(template_workbook())
    assert wb.sheetnames == ["Instructions"] + [s.name for s in SHEETS]
    assert "Instructions" in IGNORED_SHEETS
    for sheet in SHEETS:
        ws = wb[sheet.name]
        assert find_sheet(ws.title) is sheet
        if sheet.key_value:
            assert _header(ws) == ["Champ", "Valeur"]
            cells = [row[0] for row in ws.iter_rows(min_row=2)]
        else:
            cells = list(ws[1])
            assert ws.max_row == 1 or all(c.value is None for row in ws.iter_rows(min_row=2)
                                          for c in row)
        assert [c.value for c in cells] == [c.label for c in sheet.columns]
        for cell, column in zip(cells, sheet.columns):
            # Every header is recognised by the reader's matching and says what it holds.
            assert match_column(sheet, cell.value) is column
            assert bool(cell.font.b) == column.required, (sheet.name, column.label)
            assert cell.comment is not None
            assert cell.comment.text.startswith("Obligatoire" if column.required
                                                else "Facultatif")
    text = "\n".join(str(v) for row in wb["Instructions"].iter_rows(values_only=True)
                     for v in row if v is not None)
    for sheet in SHEETS:
        assert f"Feuille « {sheet.name} »" in text
        for column in sheet.columns:
            assert column.label in text and column.help in text
    assert "Règles de lecture" in text and "NC" in text
    assert "Nombre entier" in text and "Date ou année" in text and "0 à 100" in text
    assert "Multi-accueil / Crèche collective" in text


def test_template_reads_as_empty_workbook():
    report = load_workbook(template_workbook(), "modele.xlsx")
    lines = [p.as_line() for p in report.errors + report.warnings]
    # Only the empty Territoire can be reproached: no unknown sheet or column.
    assert not any("Instructions" in line for line in lines), lines
    assert all("Territoire" in line or "vide" in line.lower() for line in lines), lines


def test_format_markdown_lists_every_column():
    text = format_markdown()
    for sheet in SHEETS:
        assert f"### Feuille « {sheet.name} »" in text
        for column in sheet.columns:
            label = f"**{column.label}**" if column.required else column.label
            assert f"| {label} |" in text, column.label
    line = next(l for l in text.splitlines() if l.startswith("| Taux de chômage"))
    assert line.split(" | ")[1:5] == ["Pourcentage (0 à 100)", "non", "", "0 à 100"]
    line = next(l for l in text.splitlines() if l.startswith("| **Code INSEE**"))
    assert "CODGEO" in line and "| oui |" in line
    line = next(l for l in text.splitlines() if l.startswith("| Longitude"))
    assert "−180 à 180" in line
    # Table rows all have the six cells of the header.
    for l in text.splitlines():
        if l.startswith("| ") and not l.startswith("|---"):
            assert len(re.split(r"(?<!\\)\|", l)) == 8, l


def test_readme_format_section_is_current():
    readme = REPO / "README.md"
    if not readme.exists():
        pytest.skip("README.md n'existe pas encore : la section du format sera vérifiée "
                    "dès qu'il sera écrit.")
    text = readme.read_text(encoding="utf-8")
    m = re.search(r"<!-- format:start -->\n(.*?)<!-- format:end -->", text, re.S)
    assert m, "README.md doit contenir la section du format entre <!-- format:start --> et " \
              "<!-- format:end -->, générée par ctg_data.writing.format_markdown()."
    assert m.group(1).strip() == format_markdown().strip(), (
        "La section du format du README est périmée : remplacez-la par la sortie de "
        "ctg_data.writing.format_markdown().")


@pytest.mark.skipif(not SAMPLE.exists(), reason="le classeur d'exemple n'est pas encore créé")
def test_sample_import_export_import_gives_identical_data(tmp_path):
    first = Store(f"sqlite:///{tmp_path / 'one.sqlite'}")
    outcome = import_file(first, SAMPLE.read_bytes(), SAMPLE.name)
    assert outcome.version_ids, outcome.message
    original = first.load("59367")
    exported = write_workbook([original])
    second = Store(f"sqlite:///{tmp_path / 'two.sqlite'}")
    again = import_file(second, exported, "export.xlsx")
    assert again.version_ids, again.message
    copy = second.load("59367")
    for key in original.tables:
        assert copy.tables[key].equals(original.tables[key]), key
    assert copy.equals(original)
    # And exporting again gives the same sheets with the same cells.
    a, b = _open(exported), _open(write_workbook([copy]))
    assert a.sheetnames == b.sheetnames
    for name in a.sheetnames:
        assert list(a[name].values) == list(b[name].values), name


def test_header_labels_are_unique_per_sheet():
    # The export writes labels; two columns with one label could not be told apart on reading.
    for sheet in SHEETS:
        labels = [normalise(c.label) for c in sheet.columns]
        assert len(labels) == len(set(labels)), sheet.name
    assert SHEETS_BY_KEY["plan_action"].year_columns


def test_update_readme_format_rewrites_only_its_section(tmp_path):
    from ctg_data.writing import update_readme_format

    readme = tmp_path / "README.md"
    readme.write_text("# Titre\n\n<!-- format:start -->\nancien texte\n<!-- format:end -->\n\n"
                      "## Suite\n", encoding="utf-8")
    assert update_readme_format(readme) is True
    text = readme.read_text(encoding="utf-8")
    assert text.startswith("# Titre\n\n<!-- format:start -->\n") and text.endswith("## Suite\n")
    assert "ancien texte" not in text and format_markdown().strip() in text
    assert update_readme_format(readme) is False          # already current: unchanged
    (tmp_path / "sans.md").write_text("# Rien\n", encoding="utf-8")
    with pytest.raises(ValueError, match="format:start"):
        update_readme_format(tmp_path / "sans.md")
