"""Import pipeline: nothing stored unless the whole file is valid, duplicates recognised,
one version per territory in one transaction, partial workbooks, preview of the changes."""

import hashlib
import io
import re
from types import SimpleNamespace

import openpyxl
import pandas as pd
import pytest

from ctg_data import errors, reading
from ctg_data.importing import (PREVIEW_COLUMNS, import_example, import_file, import_report,
                                preview)
from ctg_data.model import CtgData
from ctg_data.storage import Store
from ctg_data.workbook import load_workbook
from ctg_data.writing import write_workbook
from test_storage import awkward_data, stored_awkward


@pytest.fixture
def imported(db_url):
    """`awkward_data()` written as a workbook and imported as « ctg.xlsx » into a new store."""
    store, data = Store(), awkward_data()
    content = write_workbook([data])
    outcome = import_file(store, content, "ctg.xlsx")
    return SimpleNamespace(store=store, data=data, content=content, outcome=outcome)


def _with_cells(content: bytes, edits: dict) -> bytes:
    """A copy of workbook `content` with cells replaced: {(sheet, "A2"): value}."""
    wb = openpyxl.load_workbook(io.BytesIO(content))
    for (sheet, ref), value in edits.items():
        wb[sheet][ref] = value
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _column_letter(content: bytes, sheet: str, header: str) -> str:
    ws = openpyxl.load_workbook(io.BytesIO(content))[sheet]
    for cell in ws[1]:
        if cell.value == header:
            return cell.column_letter
    raise KeyError(header)


def test_import_creates_a_version_with_its_metadata(db_url):
    store = Store()
    data = awkward_data()
    content = write_workbook([data])
    outcome = import_file(store, content, "ctg 2022.xlsx", author="Alice")
    assert outcome.report.ok and not outcome.duplicate
    [vid] = outcome.version_ids
    assert outcome.message.startswith(
        f"Import réussi : version {vid} créée pour Saint-Étienne-du-Bois (01065).")
    [info] = store.versions()
    assert (info.id, info.kind, info.author, info.file_name) == (vid, "import", "Alice",
                                                                 "ctg 2022.xlsx")
    assert info.content_hash == hashlib.sha256(content).hexdigest()
    assert info.warnings == [p.as_line() for p in outcome.report.warnings]
    assert info.row_counts["equipements"] == 3 and info.row_counts["alsh"] == 2
    assert info.summary.startswith("Import du fichier « ctg 2022.xlsx » (feuilles : Population,")
    assert store.load("01065").equals(data)


def test_workbook_with_errors_imports_nothing_and_keeps_previous_version(db_url, imported):
    store = imported.store
    stored = store.load("01065")

    changed = awkward_data()
    changed.tables["population"].loc[0, "population"] = 1.0
    content = write_workbook([CtgData(changed.territoire, changed.tables, changed.present)])
    places = _column_letter(content, "ALSH", "Places")
    bad = _with_cells(content, {("Population", "A2"): "deux mille vingt et un",
                                ("ALSH", f"{places}3"): "beaucoup"})
    outcome = import_file(store, bad, "faux.xlsx")
    assert not outcome.report.ok and len(outcome.report.errors) == 2
    assert outcome.version_ids == [] and not outcome.duplicate
    assert outcome.message == ("Le fichier « faux.xlsx » contient 2 erreurs : rien n'a été "
                               "enregistré. Corrigez le fichier puis importez-le à nouveau.")
    assert len(store.versions()) == 1
    assert store.load("01065").equals(stored)

    empty = Store(db_url.replace("ctg.sqlite", "vide.sqlite"))
    assert import_file(empty, bad, "faux.xlsx").version_ids == []
    assert empty.territories() == [] and empty.versions() == []


def test_same_file_twice_is_a_duplicate(imported):
    store = imported.store
    [vid] = imported.outcome.version_ids
    again = import_file(store, imported.content, "copie de ctg.xlsx")
    assert again.duplicate and again.version_ids == []
    assert re.fullmatch(r"Ce fichier a déjà été importé le \d\d/\d\d/\d{4} à \d{1,2} h \d\d "
                        rf"\(version {vid}\) : rien n'a changé\.", again.message), again.message
    assert len(store.versions()) == 1


def test_same_file_after_an_edit_is_imported_again(imported):
    store, data, content = imported.store, imported.data, imported.content
    edited = store.load("01065")
    edited.tables["population"].loc[1, "population"] = 14000.0
    store.save([CtgData(edited.territoire, edited.tables, edited.present)], kind="edit")
    outcome = import_file(store, content, "ctg.xlsx")
    assert not outcome.duplicate and len(outcome.version_ids) == 1
    assert len(store.versions()) == 3
    assert store.load("01065").equals(data)


def test_several_territories_one_version_each_in_one_transaction(db_url, monkeypatch):
    store = Store()
    a, b = awkward_data(), awkward_data(code="59367", nom="Lys-lez-Lannoy")
    content = write_workbook([a, b])
    original = Store._insert_versions
    calls = []

    def failing(conn, versions):
        # Both versions are written in bulk, then the save fails before their rows.
        calls.extend(v["territory_code"] for v in versions)
        original(conn, versions)
        raise RuntimeError("panne simulée")

    monkeypatch.setattr(Store, "_insert_versions", staticmethod(failing))
    with pytest.raises(RuntimeError):
        import_file(store, content, "deux.xlsx")
    assert calls == ["01065", "59367"]
    assert store.versions() == [] and store.territories() == []

    monkeypatch.setattr(Store, "_insert_versions", staticmethod(original))
    outcome = import_file(store, content, "deux.xlsx")
    assert len(outcome.version_ids) == 2
    infos = store.versions()
    assert {v.code for v in infos} == {"01065", "59367"}
    assert {v.content_hash for v in infos} == {hashlib.sha256(content).hexdigest()}
    assert store.load("01065").equals(a) and store.load("59367").equals(b)
    again = import_file(store, content, "deux.xlsx")
    assert again.duplicate and "versions " in again.message


def test_partial_workbook_replaces_only_its_sheets(db_url):
    store = Store()
    full = awkward_data()
    import_file(store, write_workbook([full]), "complet.xlsx")
    alsh = pd.DataFrame({"annee": [2023], "nom": ["ALSH du Gauquier"], "periode": ["Juillet"],
                         "places": [40.0]})
    content = write_workbook([CtgData(full.territoire, {"alsh": alsh})])
    outcome = import_file(store, content, "alsh.xlsx")
    assert outcome.version_ids, outcome.message
    assert "alsh" in outcome.report.datasets[0].present
    assert "population" not in outcome.report.datasets[0].present
    loaded = store.load("01065")
    assert loaded.tables["alsh"]["nom"].tolist() == ["ALSH du Gauquier"]
    for key in full.tables:
        if key != "alsh":
            assert loaded.tables[key].equals(full.tables[key]), key


def test_one_sheet_csv_updates_that_sheet_of_the_given_territory(db_url):
    store, full = stored_awkward()
    csv = "Année;Nom;Période;Places\n2024;ALSH du Gauquier;Juillet;30\n".encode("utf-8")
    table = preview(store, load_workbook(csv, "alsh.csv", territoire="01065"))
    assert table["Feuille"].tolist() == ["ALSH"]
    assert table[["Ajoutées", "Supprimées"]].iloc[0].tolist() == [1, 2]
    outcome = import_file(store, csv, "alsh.csv", territoire="01065")
    assert outcome.version_ids, outcome.message
    assert "Saint-Étienne-du-Bois (01065)" in outcome.message
    loaded = store.load("01065")
    assert loaded.territoire == full.territoire
    assert loaded.tables["alsh"][["annee", "nom", "places"]].values.tolist() == [
        [2024, "ALSH du Gauquier", 30.0]]
    assert loaded.tables["population"].equals(full.tables["population"])


def test_preview_counts_added_removed_modified(db_url):
    store, current = stored_awkward()
    tables = {k: v.copy() for k, v in current.tables.items()}
    population = tables["population"]
    population.loc[1, "population"] = 14100.0  # 2022 modified, 2021 unchanged
    tables["population"] = pd.concat([population, pd.DataFrame(
        {"annee": [2023], "population": [14200.0]})], ignore_index=True)  # 2023 added
    tables["alsh"] = tables["alsh"].iloc[:1]  # Août removed
    new = CtgData(dict(current.territoire, caf="Caf de l'Ain (01)"), tables,
                  frozenset({"territoire", "population", "alsh", "equipements"}))
    report = type("Report", (), {"datasets": [new]})()
    table = preview(store, report)
    assert list(table.columns) == list(PREVIEW_COLUMNS)
    rows = {r["Feuille"]: r for r in table.to_dict("records")}
    assert set(rows) == {"Territoire", "Population", "ALSH", "Équipements"}
    label = "Saint-Étienne-du-Bois (01065)"
    assert rows["Population"] == {"Territoire": label, "Feuille": "Population",
                                  "Lignes actuelles": 2, "Lignes importées": 3, "Ajoutées": 1,
                                  "Supprimées": 0, "Modifiées": 1}
    assert (rows["ALSH"]["Lignes actuelles"], rows["ALSH"]["Lignes importées"],
            rows["ALSH"]["Supprimées"], rows["ALSH"]["Modifiées"]) == (2, 1, 1, 0)
    assert (rows["Équipements"]["Ajoutées"], rows["Équipements"]["Supprimées"],
            rows["Équipements"]["Modifiées"]) == (0, 0, 0)
    assert rows["Territoire"]["Modifiées"] == 1

    other = awkward_data(code="59367", nom="Lys-lez-Lannoy")
    table = preview(store, type("Report", (), {"datasets": [other]})())
    alsh = table[table["Feuille"] == "ALSH"].iloc[0]
    assert (alsh["Lignes actuelles"], alsh["Ajoutées"], alsh["Supprimées"]) == (0, 2, 0)
    assert table[table["Feuille"] == "Territoire"].iloc[0]["Ajoutées"] == 1


def test_preview_counts_a_territoire_field_the_file_drops(db_url):
    data = awkward_data()
    data.territoire["Référent Caf"] = "Mme Dupont"
    store = Store()
    store.save([CtgData(data.territoire, data.tables, data.present)], kind="import")
    table = preview(store, type("Report", (), {"datasets": [awkward_data()]})())
    assert table[table["Feuille"] == "Territoire"].iloc[0]["Modifiées"] == 1


def test_preview_of_a_real_report(imported):
    table = preview(imported.store, load_workbook(imported.content, "ctg.xlsx"))
    assert table[["Ajoutées", "Supprimées", "Modifiées"]].to_numpy().sum() == 0
    assert (table["Lignes actuelles"] == table["Lignes importées"]).all()


def test_import_report_stores_the_previewed_report_without_reading_again(db_url, monkeypatch):
    store = Store()
    data = awkward_data()
    content = write_workbook([data])
    report = load_workbook(content, "ctg.xlsx")

    def no_second_read(*args, **kwargs):
        raise AssertionError("le fichier a été relu")

    monkeypatch.setattr(reading, "read_workbook", no_second_read)
    outcome = import_report(store, report, author="Alice")
    [vid] = outcome.version_ids
    assert outcome.message.startswith(f"Import réussi : version {vid} créée pour "
                                      "Saint-Étienne-du-Bois (01065).")
    [info] = store.versions()
    assert (info.author, info.file_name) == ("Alice", "ctg.xlsx")
    assert info.warnings == [p.as_line() for p in report.warnings]
    assert info.content_hash == hashlib.sha256(content).hexdigest()
    assert store.load("01065").equals(data)
    assert import_report(store, report).duplicate


def test_unreadable_file_raises_and_stores_nothing(db_url):
    store = Store()
    with pytest.raises(errors.UnreadableFile):
        import_file(store, b"\x89PNG\r\n\x1a\n pas un classeur", "photo.xlsx")
    assert store.versions() == []


def test_import_example_only_into_an_empty_database(db_url, tmp_path, monkeypatch):
    example = tmp_path / "exemple.xlsx"
    example.write_bytes(write_workbook([awkward_data()]))
    monkeypatch.setenv("CTG_EXAMPLE_WORKBOOK", str(tmp_path / "absent.xlsx"))
    store = Store()
    assert import_example(store) is None and store.territories() == []
    monkeypatch.setenv("CTG_EXAMPLE_WORKBOOK", str(example))
    outcome = import_example(store)
    assert outcome is not None and len(outcome.version_ids) == 1
    assert [t.code for t in store.territories()] == ["01065"]
    assert import_example(store) is None
    assert len(store.versions()) == 1


def test_sample_workbook_imports(db_url, sample_bytes):
    store = Store()
    outcome = import_file(store, sample_bytes, "ctg_lys_lez_lannoy.xlsx")
    assert outcome.report.errors == [], [p.as_line() for p in outcome.report.errors]
    [t] = store.territories()
    assert (t.code, t.nom) == ("59367", "Lys-lez-Lannoy")
    data = store.load("59367")
    assert len(data.tables["equipements"]) > 0 and len(data.tables["plan_action"]) > 0
