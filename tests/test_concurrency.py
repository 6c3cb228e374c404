"""Concurrent editors never lose work: an edit carries the version it was made on and only the
cells the person changed; the store merges edits of other cells and refuses, in French with the
newer value and its author, a stale edit of the same cell. Imports re-check their preview and
the duplicate-file check is atomic. Core, two AppTest sessions and two processes racing; on
SQLite and, when CTG_TEST_DATABASE_URL is set, on PostgreSQL."""

import json
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ctg_data import editing, importing, storage
from ctg_data.model import CtgData
from ctg_data.storage import EditConflict, Store
from ctg_data.workbook import load_workbook

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "sample_data" / "ctg_lys_lez_lannoy.xlsx"
CODE = "59367"


@pytest.fixture
def store(db_url, sample_bytes):
    """The database seeded with the sample workbook (one import version)."""
    s = Store(db_url)
    assert importing.import_file(s, sample_bytes, SAMPLE.name, author="Import").version_ids
    yield s
    s.close()


def history_matches_data(store: Store) -> None:
    """Every cell named in the history holds the newest value recorded for it, and each
    recorded change starts from the value the previous one left (no lost update)."""
    data = store.load(CODE)
    last: dict = {}
    for change in reversed(store.history(CODE)):   # oldest first
        key = (change.sheet, change.row_label, change.column)
        if key in last:
            assert storage.same_value(change.old, last[key]), (key, change.old, last[key])
        last[key] = change.new
    for (sheet, label, column), value in last.items():
        frame = data.table(sheet)
        rows = [i for i in range(len(frame)) if editing.row_label(data, sheet, i) == label]
        assert len(rows) == 1, label
        assert storage.same_value(frame.at[rows[0], column], value), (label, column)


def test_edits_of_other_cells_made_on_the_same_version_are_merged(store):
    base_id = store.versions(CODE)[0].id
    base = store.load(CODE, base_id)
    # A stale form re-submits all its fields: only those that differ from its version count.
    plan = base.table("plan_action")
    first = editing.update_plan_row(base, 0, {
        "analyse": "Analyse de Camille", "resultats_obtenus": editing.raw_text(
            plan.at[0, "resultats_obtenus"]), "statut": editing.raw_text(plan.at[0, "statut"])})
    second = editing.update_plan_row(base, 0, {
        "analyse": editing.raw_text(plan.at[0, "analyse"]),
        "resultats_obtenus": "Résultats de Dominique"})
    third = editing.add_comite(base, {"date": "2023-06-28", "instance": "Comité de pilotage"})
    assert [len(e.changes) for e in (first, second)] == [1, 1] and third.ok
    for who, edit in (("Camille", first), ("Dominique", second), ("Sacha", third)):
        store.save([edit.data], kind="edit", author=who, changes=edit.changes,
                   base_version_id=base_id)
    now = store.load(CODE)
    assert now.table("plan_action").at[0, "analyse"] == "Analyse de Camille"
    assert now.table("plan_action").at[0, "resultats_obtenus"] == "Résultats de Dominique"
    assert "2023-06-28" in set(now.table("comites")["date"])
    assert len(now.table("comites")) == len(base.table("comites")) + 1
    # Everything else is the base version's.
    assert now.table("population").equals(base.table("population"))
    assert [v.author for v in store.versions(CODE)] == ["Sacha", "Dominique", "Camille",
                                                        "Import"]
    history_matches_data(store)


def test_stale_edit_of_the_same_cell_is_refused_with_the_newer_value(store):
    base_id = store.versions(CODE)[0].id
    base = store.load(CODE, base_id)
    label = editing.row_label(base, "plan_action", 0)
    first = editing.update_plan_row(base, 0, {"2022": "41"})
    store.save([first.data], kind="edit", author="Camille Martin", changes=first.changes,
               base_version_id=base_id)
    second = editing.update_plan_row(base, 0, {"2022": "39,5", "analyse": "Autre analyse"})
    with pytest.raises(EditConflict) as refused:
        store.save([second.data], kind="edit", author="Dominique", changes=second.changes,
                   base_version_id=base_id)
    message = refused.value.message
    assert refused.value.code == "modification_concurrente"
    assert "Camille Martin a enregistré « 41 »" in message
    assert "« 39,5 » n'a pas été enregistrée" in message and f"« {label} »" in message
    assert "colonne « 2022 »" in message and "Plan d'action" in message
    assert refused.value.newer == 41 and refused.value.by == "Camille Martin"
    # Nothing of the refused edit is stored, not even its other cell.
    assert len(store.versions(CODE)) == 2
    assert store.load(CODE).table("plan_action").at[0, "analyse"] == base.table(
        "plan_action").at[0, "analyse"]
    history_matches_data(store)


def test_territoire_field_and_row_removed_meanwhile(store):
    base_id = store.versions(CODE)[0].id
    base = store.load(CODE, base_id)
    mine = CtgData(base.territoire | {"caf": "Caf du Nord (Lille)"}, base.tables,
                   base.present)
    theirs = CtgData(base.territoire | {"caf": "Caf du Nord (Roubaix)"}, base.tables, base.present)
    store.save([theirs], kind="edit", author="Camille",
               changes=storage.changes_between(base, theirs), base_version_id=base_id)
    with pytest.raises(EditConflict) as refused:
        store.save([mine], kind="edit", changes=storage.changes_between(base, mine),
                   base_version_id=base_id)
    assert "Camille a enregistré « Caf du Nord (Roubaix) »" in refused.value.message
    # A row renamed by someone else: the stale edit of that row is refused.
    renamed = editing.update_plan_row(store.load(CODE), 0, {"indicateur": "Nouveau nom"})
    second_base = store.versions(CODE)[0].id
    store.save([renamed.data], kind="edit", author="Camille", changes=renamed.changes,
               base_version_id=second_base)
    stale = editing.update_plan_row(store.load(CODE, second_base), 0, {"analyse": "Trop tard"})
    with pytest.raises(EditConflict) as refused:
        store.save([stale.data], kind="edit", changes=stale.changes,
                   base_version_id=second_base)
    assert refused.value.code == "ligne_modifiee_entre_temps"
    assert "modifiée ou supprimée par Camille" in refused.value.message


def test_import_confirmed_after_an_edit_rechecks_its_preview(store, sample_bytes):
    report = load_workbook(sample_bytes, "autre.xlsx")
    versions = importing.current_versions(store, report)
    assert importing.preview(store, report, versions) is not None
    edit = editing.update_plan_row(store.load(CODE), 0, {"analyse": "Saisie pendant l'aperçu"})
    store.save([edit.data], kind="edit", author="Camille", changes=edit.changes,
               base_version_id=versions[CODE])
    count = len(store.versions())
    outcome = importing.import_report(store, report, versions=versions)
    assert outcome.stale and not outcome.version_ids and not outcome.duplicate
    assert "ont changé depuis l'aperçu de l'import (Camille, le " in outcome.message
    assert "Vérifiez à nouveau l'aperçu" in outcome.message
    with pytest.raises(storage.StalePreview) as refused:  # the store's own refusal
        store.save(report.datasets, kind="import", base_version_id=versions)
    assert refused.value.code == "apercu_perime"
    assert len(store.versions()) == count
    assert store.load(CODE).table("plan_action").at[0, "analyse"] == "Saisie pendant l'aperçu"
    # Previewed again, it goes through.
    again = importing.import_report(store, report,
                                    versions=importing.current_versions(store, report))
    assert again.version_ids and not again.stale


def test_two_simultaneous_imports_of_the_same_file_store_it_once(db_url, sample_bytes):
    Store(db_url).close()
    report = load_workbook(sample_bytes, SAMPLE.name)
    stores = [Store(db_url) for _ in range(2)]
    # Both have checked « not a duplicate » before either stores: the store's re-check decides.
    checked = [importing.current_versions(s, report) for s in stores]
    barrier, outcomes = threading.Barrier(2), [None, None]

    def work(i):
        barrier.wait()
        outcomes[i] = importing.import_report(stores[i], report, versions=None
                                              if i else checked[i])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(bool(o.version_ids) for o in outcomes) == [False, True]
    loser = next(o for o in outcomes if not o.version_ids)
    assert loser.duplicate and "déjà été importé" in loser.message
    assert len(stores[0].versions()) == 1
    for s in stores:
        s.close()


# --- two processes, as two app servers or two browsers saving at the same moment -----------

RACER = textwrap.dedent("""
    import json, sys
    from ctg_data import editing
    from ctg_data.storage import EditConflict, Store
    url, me, row, count = sys.argv[1:5]
    store = Store(url, create=False)
    print("ready", flush=True)
    sys.stdin.readline()  # both start saving at the same moment

    def save(row, column, value):
        info = next(t for t in store.territories() if t.code == "59367")
        data = store.load("59367", info.version_id)
        edit = editing.update_plan_row(data, row, {column: value})
        try:
            store.save([edit.data], kind="edit", author=me, changes=edit.changes,
                       base_version_id=info.version_id)
            return 1
        except EditConflict:
            return 0

    own = shared = 0
    for i in range(int(count)):
        own += save(int(row), "analyse", f"{me} {i}")          # a cell of its own
        shared += save(2, "resultats_obtenus", f"{me} {i}")    # the cell both change
    print(json.dumps([own, shared]))
""")


def race(db_url, *racers, count=4):
    procs = [subprocess.Popen([sys.executable, "-c", RACER, db_url, me, str(row), str(count)],
                              cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
             for me, row in racers]
    for proc in procs:
        assert proc.stdout.readline().strip() == "ready", proc.stderr.read()
    for proc in procs:
        proc.stdin.write("go\n")
        proc.stdin.flush()
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        results.append(json.loads(out))
    return results


def test_two_processes_saving_at_the_same_moment_lose_nothing(store, db_url):
    results = race(db_url, ("Camille", 0), ("Dominique", 1))
    # Their own cells: every save kept, merged with the other's.
    assert [r[0] for r in results] == [4, 4]
    plan = store.load(CODE).table("plan_action")
    assert plan.at[0, "analyse"] == "Camille 3" and plan.at[1, "analyse"] == "Dominique 3"
    # The shared cell: some saves refused, none overwriting another silently.
    accepted = sum(r[1] for r in results)
    assert 4 <= accepted <= 8
    shared = store.history(CODE, sheet="plan_action", column="resultats_obtenus")
    assert len(shared) == accepted
    assert len(store.history(CODE)) == 8 + accepted
    history_matches_data(store)


# --- two browser sessions (AppTest) ---------------------------------------------------------

def evaluation_page(author: str, row: int) -> AppTest:
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)
    at.session_state["auteur"] = author
    at.session_state["annee"] = 2023
    at.run()
    at.switch_page("pages/evaluation.py").run()
    at.selectbox(key="ev_indicateur").set_value(row).run()
    at.number_input(key="ev_annee").set_value(2023).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_two_sessions_of_the_evaluation_page(store):
    camille, dominique = evaluation_page("Camille", 0), evaluation_page("Dominique", 0)
    # Different fields of the same indicator, both forms drawn on the same version.
    camille.text_area(key="ev_analyse").set_value("Analyse de Camille")
    dominique.text_area(key="ev_resultats").set_value("Résultats de Dominique")
    camille.button(key="ev_enregistrer").click().run()
    dominique.button(key="ev_enregistrer").click().run()
    for at in (camille, dominique):
        assert not at.exception and not at.error
        assert any("enregistrés" in s.value for s in at.success)
    plan = store.load(CODE).table("plan_action")
    assert plan.at[0, "analyse"] == "Analyse de Camille"
    assert plan.at[0, "resultats_obtenus"] == "Résultats de Dominique"
    # The forms now show the merged version; the same field, both on that version.
    assert dominique.text_area(key="ev_analyse").value == "Analyse de Camille"
    camille.run()
    camille.text_input(key="ev_valeur").set_value("17")
    dominique.text_input(key="ev_valeur").set_value("18")
    camille.button(key="ev_enregistrer").click().run()
    dominique.button(key="ev_enregistrer").click().run()
    assert any("enregistrés" in s.value for s in camille.success)
    assert not dominique.success
    refusal = " ".join(e.value for e in dominique.error)
    assert "Camille a enregistré « 17 »" in refusal and "« 18 »" in refusal
    assert store.load(CODE).table("plan_action").at[0, "2023"] == 17
    history_matches_data(store)
