"""Store: exact round trip, versions, carry-over of partial imports, atomic saves, restore,
history, comments and reference figures — on a real SQLite file."""

import math
import sqlite3
import threading
from datetime import timezone

import numpy as np
import pandas as pd
import pytest

from ctg_data import storage
from ctg_data.model import CtgData
from ctg_data.schemas import SHEETS, TABLE_SHEETS
from ctg_data.storage import Store, changes_between

NAN = np.nan


def awkward_data(code="01065", nom="Saint-Étienne-du-Bois") -> CtgData:
    """A CtgData with every sheet filled and awkward values (NaN, accents, leading zeros,
    plan year columns, an extra column, dates and bare years), valid under the format's rules."""
    tables = {
        "population": pd.DataFrame({
            "annee": [2021, 2022], "population": [13793.0, 13987.0],
            "enfants_0_2": [520.0, NAN], "taux_activite_femmes": [88.1, NAN],
            "taux_chomage": [14.1, 12.5], "revenu_median": [19500.5, NAN],
            "Commentaire interne": ["chiffre « provisoire »", None]}),
        "equipements": pd.DataFrame({
            "nom": ["Multi-accueil La Pépinière", "Relais petite enfance",
                    "Micro-crèche Ma Cachette"],
            "type": ["Multi-accueil", "Relais petite enfance", "Micro-crèche"],
            "places": [44.0, NAN, 10.0], "gestionnaire": ["Municipal", None, "Privé"],
            "financement": ["PSU", None, "PAJE"], "latitude": [50.6663, NAN, 50.67],
            "longitude": [3.2128, NAN, -1.5], "age_min": [0.0, NAN, 0.25],
            "ouverture": ["2008", None, "2019-09-02"], "fermeture": [None, None, None],
            "annee": [2022, None, None], "remarques": ["=1+1 n'est pas une formule", None,
                                                      "deux\nlignes"]}),
        "assistantes_maternelles": pd.DataFrame({
            "annee": [2021, 2022], "am_agreees": [71.0, 68.0], "am_en_activite": [NAN, 58.0],
            "places_moins_3_ans": [180.0, 172.0]}),
        "accueil_petite_enfance": pd.DataFrame({
            "annee": [2022], "enfants_scolarises_2_ans": [12.0], "etp_animateur_rpe": [0.8]}),
        "alsh": pd.DataFrame({
            "annee": [2022, 2022], "nom": ["ALSH Parc Maréchal", "ALSH Parc Maréchal"],
            "periode": ["Juillet", "Août"], "places": [120.0, 80.0], "age_min": [3.0, 3.0],
            "age_max": [17.0, 14.0], "heures_realisees": [19000.0, NAN]}),
        "besoins": pd.DataFrame({
            "annee": [2022], "indicateur": ["Familles souhaitant un accueil le samedi"],
            "valeur": [12.345678901234], "theme": ["Petite enfance"], "unite": ["%"]}),
        "plan_action": pd.DataFrame({
            "axe": ["Axe 1 : diagnostic", "Axe 2 : pistes"], "action": ["Diagnostic", "Plan"],
            "indicateur": ["Réunions", "Plan rédigé"], "numero_action": ["01", "2"],
            "sens": ["Hausse", "Baisse"], "valeur_reference": [0.0, NAN],
            "annee_reference": [2020, None], "cible": [6.0, NAN], "annee_cible": [2023, None],
            "2021": [2.0, NAN], "2022": [5.0, NAN], "2023": [NAN, 1.0],
            "statut": ["En cours", "Réalisée"], "analyse": ["Bonne dynamique ; à suivre", None]}),
        "fiches_actions": pd.DataFrame({
            "numero_action": ["01", "2"], "intitule": ["Diagnostic", "Plan"],
            "debut": [2021, 2023], "fin": [2023, None]}),
        "financements": pd.DataFrame({
            "annee": [2022], "structure": ["Multi-accueil La Pépinière"],
            "financeur": ["Caf du Nord"], "montant": [238000.0], "dispositif": ["PSU"]}),
        "comites": pd.DataFrame({
            "date": ["2022-03-15", "2022-06-28"],
            "instance": ["Comité technique", "Comité de pilotage"], "lieu": ["Mairie", None]}),
        "decisions": pd.DataFrame({
            "date_comite": ["2022-03-15"], "decision": ["Lancer le questionnaire familles"],
            "echeance": ["2022-06-30"], "statut": ["Ouverte"]}),
    }
    territoire = {"code_insee": code, "nom": nom, "type": "Commune", "departement": "01",
                  "epci": "CA du Bassin de Bourg-en-Bresse", "debut_ctg": "2021",
                  "fin_ctg": "2023-12-31", "caf": "Caf de l'Ain"}
    return CtgData(territoire, tables, frozenset(s.key for s in SHEETS))


def stored_awkward() -> tuple[Store, CtgData]:
    """A store on the test database holding `awkward_data()` as its first import."""
    store, data = Store(), awkward_data()
    store.save([data], kind="import")
    return store, data


def _count(store, sql):
    with store.engine.connect() as conn:
        return conn.exec_driver_sql(sql).scalar()


def test_round_trip_is_exact(db_url):
    data = awkward_data()
    # An extra column of numbers and booleans, a Territoire extra field: kept as they are.
    data.tables["financements"]["Numéro de convention"] = [7]
    data.territoire["Référent Caf"] = "Mme Dupont"
    data.tables["besoins"].loc[0, "valeur"] = 0.1 + 0.2  # 17 significant digits
    data = CtgData(data.territoire, data.tables, data.present)
    store = Store()
    assert store.url == db_url
    [vid] = store.save([data], kind="import", file_name="ctg.xlsx", content_hash="h1")
    loaded = store.load("01065")
    assert loaded.equals(data)
    for key in data.tables:
        assert loaded.tables[key].dtypes.tolist() == data.tables[key].dtypes.tolist(), key
    plan = loaded.tables["plan_action"]
    assert list(plan.columns[-3:]) == ["2021", "2022", "2023"]
    assert plan["annee_reference"].dtype == "Int64" and plan["annee_reference"].isna().tolist() \
        == [False, True]
    assert loaded.tables["besoins"]["valeur"][0] == 0.1 + 0.2  # no precision lost
    assert loaded.tables["fiches_actions"]["numero_action"].tolist() == ["01", "2"]
    assert loaded.territoire["Référent Caf"] == "Mme Dupont"
    assert loaded.tables["financements"]["Numéro de convention"].tolist() == [7]
    # A new Store on the same file sees the same data (nothing held in memory only).
    assert Store(db_url).load("01065", vid).equals(data)


def test_sqlite_parent_folder_created_and_wal(tmp_path):
    url = f"sqlite:///{tmp_path / 'a' / 'b' / 'ctg.sqlite'}"
    store = Store(url)
    store.save([awkward_data()], kind="import")
    assert (tmp_path / "a" / "b" / "ctg.sqlite").is_file()
    assert _count(store, "PRAGMA journal_mode") == "wal"


def test_versions_newest_first_with_metadata(db_url):
    store = Store()
    first = awkward_data()
    [v1] = store.save([first], kind="import", author="Alice", file_name="a.xlsx",
                      content_hash="aaa", warnings=["Feuille « ALSH » : colonne inconnue."])
    [v2] = store.save([first], kind="edit", author="Bob", summary="Valeur 2022 saisie.")
    infos = store.versions("01065")
    assert [v.id for v in infos] == [v2, v1]
    assert [v.is_current for v in infos] == [True, False]
    old = infos[1]
    assert (old.kind, old.author, old.file_name, old.content_hash) == ("import", "Alice", "a.xlsx",
                                                                       "aaa")
    assert old.warnings == ["Feuille « ALSH » : colonne inconnue."]
    assert old.row_counts["alsh"] == 2 and old.row_counts["equipements"] == 3
    assert old.row_counts["population"] == 2 and old.row_counts["decisions"] == 1
    assert set(old.row_counts) == {s.key for s in TABLE_SHEETS}
    assert old.summary == "Import du fichier « a.xlsx »."
    assert infos[0].summary == "Valeur 2022 saisie."
    assert old.created_at.tzinfo is not None and old.created_at.utcoffset().total_seconds() == 0
    assert infos[0].created_at >= old.created_at
    assert [v.id for v in store.find_by_hash("aaa")] == [v1]
    assert store.find_by_hash("nothing") == []
    [t] = store.territories()
    assert (t.code, t.nom, t.version_id) == ("01065", "Saint-Étienne-du-Bois", v2)
    assert t.updated_at.tzinfo == timezone.utc


def test_partial_dataset_carries_other_sheets_over(db_url):
    store, full = stored_awkward()
    alsh = pd.DataFrame({"annee": [2023], "nom": ["ALSH du Gauquier"], "periode": ["Juillet"],
                         "places": [40.0]})
    territoire = dict(full.territoire, nom="Saint-Étienne (nouveau nom)")
    partial = CtgData(territoire, {"alsh": alsh}, frozenset({"territoire", "alsh"}))
    [vid] = store.save([partial], kind="import", file_name="alsh.xlsx")
    loaded = store.load("01065")
    assert loaded.tables["alsh"]["nom"].tolist() == ["ALSH du Gauquier"]
    for key in full.tables:
        if key != "alsh":
            assert loaded.tables[key].equals(full.tables[key]), key
    assert loaded.nom == "Saint-Étienne (nouveau nom)"
    assert store.versions("01065")[0].row_counts["alsh"] == 1
    assert store.versions("01065")[0].row_counts["population"] == 2
    # The earlier version is still there, unchanged.
    assert store.load("01065", store.versions("01065")[1].id).equals(full)
    # Without the Territoire sheet (a one-sheet CSV) the stored fields are kept.
    only_code = CtgData({"code_insee": "01065"}, {"alsh": alsh.iloc[:0]}, frozenset({"alsh"}))
    store.save([only_code], kind="import")
    loaded = store.load("01065")
    assert loaded.territoire == territoire and loaded.tables["alsh"].empty
    assert store.territories()[0].nom == "Saint-Étienne (nouveau nom)"


def test_failed_save_stores_nothing(db_url):
    store, before = stored_awkward()
    first = awkward_data(nom="Nouveau nom")
    second = awkward_data(code="59367", nom="Lys-lez-Lannoy")
    # JSON (and so the database) cannot hold an infinite number: the second dataset fails
    # after the first one was written inside the transaction.
    second.tables["population"]["Commentaire interne"] = [math.inf, None]
    with pytest.raises(ValueError, match="infinie"):
        store.save([first, second], kind="import", file_name="deux.xlsx")
    assert [t.code for t in store.territories()] == ["01065"]
    assert len(store.versions()) == 1
    assert store.load("01065").equals(before)
    assert _count(store, "SELECT COUNT(*) FROM version_rows") == sum(
        len(f) for f in before.tables.values())


def test_failure_inside_transaction_rolls_back(db_url, monkeypatch):
    store = Store()
    original = Store._copy_rows
    calls = []

    def failing_copy(conn, source, target, sheets=None):
        calls.append(target)
        if len(calls) == 2:
            raise RuntimeError("panne simulée")
        return original(conn, source, target, sheets)

    a, b = awkward_data(), awkward_data(code="59367", nom="Lys-lez-Lannoy")
    store.save([a, b], kind="import")
    monkeypatch.setattr(Store, "_copy_rows", staticmethod(failing_copy))
    partial = [CtgData(d.territoire, {}, frozenset({"alsh"})) for d in (a, b)]
    with pytest.raises(RuntimeError):
        store.save(partial, kind="import")
    assert len(store.versions()) == 2
    assert store.load("01065").equals(a) and store.load("59367").equals(b)


def test_restore_creates_new_version_equal_to_old(db_url):
    store = Store()
    old = awkward_data()
    [v1] = store.save([old], kind="import")
    newer = awkward_data()
    newer.tables["population"].loc[0, "population"] = 1.0
    newer = CtgData(newer.territoire, newer.tables, newer.present)
    [v2] = store.save([newer], kind="edit")
    assert not store.load("01065").equals(old)
    v3 = store.restore(v1, author="Chloé")
    assert v3 not in (v1, v2)
    assert store.load("01065").equals(old)
    assert store.load("01065", v2).equals(newer)  # nothing deleted
    info = store.versions("01065")[0]
    assert (info.id, info.kind, info.author, info.parent_version_id) == (v3, "restore", "Chloé", v1)
    assert info.summary == f"Restauration de la version {v1}."
    assert info.row_counts == store.versions("01065")[2].row_counts
    with pytest.raises(KeyError):
        store.restore(999)


def test_two_territories_in_one_database(db_url):
    store = Store()
    a = awkward_data()
    b = awkward_data(code="59367", nom="Lys-lez-Lannoy")
    b.tables["alsh"] = b.tables["alsh"].iloc[:1]
    b = CtgData(b.territoire, b.tables, b.present)
    [va] = store.save([a], kind="import")
    [vb] = store.save([b], kind="import")
    assert [(t.code, t.version_id) for t in store.territories()] == [("59367", vb),
                                                                    ("01065", va)]
    assert store.load("01065").equals(a) and store.load("59367").equals(b)
    assert [v.id for v in store.versions("59367")] == [vb]
    assert [v.is_current for v in store.versions()] == [True, True]
    assert store.load("59367", va) is None  # a version of the other territory
    assert store.load("99999") is None


def test_save_refuses_bad_calls(db_url):
    store = Store()
    with pytest.raises(ValueError):
        store.save([awkward_data()], kind="autre")
    with pytest.raises(ValueError):
        store.save([awkward_data(), awkward_data()], kind="import")
    with pytest.raises(ValueError):
        store.save([awkward_data(code="")], kind="import")
    assert store.versions() == []


def test_changes_between_and_history(db_url):
    store, before = stored_awkward()
    tables = {k: v.copy() for k, v in before.tables.items()}
    plan = tables["plan_action"]
    plan.loc[0, "2022"] = 6.0
    plan.loc[1, "analyse"] = "Plan validé"
    tables["alsh"] = tables["alsh"].iloc[:1]  # the Août row is removed
    after = CtgData(dict(before.territoire, caf="Caf de l'Ain (01)"), tables, before.present)
    changes = changes_between(before, after)
    found = {(c.sheet, c.row_label, c.column, str(c.old), str(c.new)) for c in changes}
    assert ("territoire", "", "caf", "Caf de l'Ain", "Caf de l'Ain (01)") in found
    assert ("plan_action", "Axe 1 : diagnostic · Diagnostic · Réunions", "2022", "5.0",
            "6.0") in found
    assert ("plan_action", "Axe 2 : pistes · Plan · Plan rédigé", "analyse", "None",
            "Plan validé") in found
    removed = [c for c in changes if c.sheet == "alsh"]
    assert len(removed) == 1 and removed[0].row_label == "2022 · ALSH Parc Maréchal · Août"
    assert removed[0].new is None and removed[0].old["places"] == 80.0
    assert len(changes) == 4

    [vid] = store.save([after], kind="edit", author="Dana", changes=changes)
    assert store.load("01065").equals(after)
    history = store.history("01065")
    assert len(history) == 4 and all(h.version_id == vid and h.author == "Dana" for h in history)
    assert all(h.at.tzinfo is not None for h in history)
    [one] = store.history("01065", sheet="plan_action", column="2022")
    assert (one.row_label, one.old, one.new) == ("Axe 1 : diagnostic · Diagnostic · Réunions",
                                                 5.0, 6.0)
    assert store.history("01065", row_label="nothing") == []
    # A second edit of the same value: newest first.
    plan2 = after.tables["plan_action"].copy()
    plan2.loc[0, "2022"] = 7.0
    later = CtgData(after.territoire, dict(after.tables, plan_action=plan2), after.present)
    [vid2] = store.save([later], kind="edit", author="Eve", changes=changes_between(after, later))
    values = [(h.version_id, h.old, h.new) for h in
              store.history("01065", sheet="plan_action", column="2022")]
    assert values == [(vid2, 6.0, 7.0), (vid, 5.0, 6.0)]
    assert store.versions("01065")[0].summary == "Modification dans l'application (1 valeur)."
    # Imports record no cell changes.
    store.save([before], kind="import")
    assert len(store.history("01065")) == 5


def test_comments(db_url):
    store = Store()
    c1 = store.add_comment("59367", "taux_couverture", "Hausse liée à la micro-crèche.",
                           author="Comité", annee=2022)
    c2 = store.add_comment("59367", "population", "Stable.")
    store.add_comment("01065", "population", "Autre territoire.")
    assert [c.id for c in store.comments("59367")] == [c2, c1]
    [only] = store.comments("59367", "taux_couverture")
    assert (only.text, only.author, only.annee) == ("Hausse liée à la micro-crèche.", "Comité",
                                                    2022)
    assert only.created_at.tzinfo is not None
    with pytest.raises(ValueError):
        store.add_comment("59367", "population", "   ")


def test_comments_refuse_control_characters_and_huge_texts_in_the_core(db_url):
    """The store applies the text rules itself: a direct call cannot bypass the page."""
    store = Store()
    for text in ("Bip\x07", "nul\x00", "_x0001_ caché", "x" * 2001):
        with pytest.raises(ValueError, match="Commentaire non enregistré"):
            store.add_comment("59367", "population", text)
    assert store.comments("59367") == []
    store.add_comment("59367", "population", "Deux lignes\nsont permises.")
    assert [c.text for c in store.comments("59367")] == ["Deux lignes\nsont permises."]


def _references(values, edition):
    return pd.DataFrame({
        "niveau": ["commune", "commune", "france"], "code": ["59367", "59367", "FR"],
        "nom": ["Lys-lez-Lannoy", "Lys-lez-Lannoy", "France"], "annee": [2022, 2022, 2022],
        "indicateur": ["taux_couverture_global", "taux_couverture_eaje",
                       "taux_couverture_global"],
        "valeur": values, "source": ["Caf"] * 3, "edition": [edition] * 3})


def test_references_newest_import_wins(db_url):
    store = Store()
    i1 = store.save_references(_references([55.2, NAN, 59.8], "2023"), file_name="a.csv",
                               content_hash="r1")
    assert store.save_references(_references([1.0, 1.0, 1.0], "x"), file_name="a.csv",
                                 content_hash="r1") == i1  # same file: not stored again
    frame = store.references(code="59367")
    assert list(frame.columns) == list(storage.REFERENCE_COLUMNS)
    assert frame["valeur"].tolist()[0] == 55.2 and math.isnan(frame["valeur"].tolist()[1])
    assert frame["annee"].dtype == "int64"
    i2 = store.save_references(_references([56.0, 20.0, 60.1], "2024"), file_name="b.csv",
                               content_hash="r2")
    assert i2 != i1
    frame = store.references()
    assert len(frame) == 3
    assert frame.set_index("indicateur").loc["taux_couverture_eaje", "valeur"] == 20.0
    assert set(frame["edition"]) == {"2024"}
    assert store.references(niveau="france")["valeur"].tolist() == [60.1]
    assert store.references(annee=2021).empty
    with pytest.raises(ValueError):
        store.save_references(pd.DataFrame({"niveau": ["france"]}), file_name="c.csv",
                              content_hash=None)


def test_concurrent_saves_all_succeed(tmp_path):
    url = f"sqlite:///{tmp_path / 'ctg.sqlite'}"
    Store(url)
    failures = []

    def work(code):
        store = Store(url)  # one Store per thread, like two app processes
        try:
            for _ in range(4):
                store.save([awkward_data(code=code)], kind="import")
        except Exception as exc:  # pragma: no cover - reported by the assertion below
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(c,)) for c in ("01065", "59367")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    store = Store(url)
    assert len(store.versions()) == 8
    assert store.load("59367").equals(awkward_data(code="59367"))
    # The file is a plain SQLite database other tools can open.
    with sqlite3.connect(tmp_path / "ctg.sqlite") as conn:
        assert conn.execute("SELECT COUNT(*) FROM versions").fetchone()[0] == 8
