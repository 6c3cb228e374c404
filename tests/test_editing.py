"""In-app edits (ctg_data.editing): values, analyses, statuses, new rows, fiches, comités and
decisions are parsed and checked with the import's rules, recorded as changes, and survive a
workbook export and re-import; plus the plan views and figures built on them."""

import math

import numpy as np
import pandas as pd
import pytest

from ctg_data import (charts, editing, importing, indicators, plan_views,
                      writing)
from ctg_data import schemas
from ctg_data.model import CtgData
from ctg_data.storage import Store

NAN = np.nan
AXE1, AXE2 = "Axe 1 : Réaliser le diagnostic", "Axe 2 : Développer l'offre"


def small_plan() -> CtgData:
    """A CTG 2021-2023 with three plan indicators, two fiches, one comité and one decision."""
    plan = pd.DataFrame({
        "axe": [AXE1, AXE1, AXE2],
        "action": ["Co-construire le diagnostic", "Co-construire le diagnostic",
                   "Réduire la liste d'attente"],
        "indicateur": ["Réunions partenariales", "Diagnostic publié", "Demandes en attente"],
        "champ": ["Tous champs", "Tous champs", "Petite enfance"],
        "numero_action": ["1", "1", "2"],
        "unite": ["réunions", None, "demandes"],
        "sens": ["Hausse", "Hausse", "Baisse"],
        "valeur_reference": [0.0, NAN, 60.0],
        "annee_reference": [2020, None, 2020],
        "cible": [6.0, NAN, 40.0],
        "annee_cible": [2023, None, 2023],
        "resultats_attendus": ["Un partenariat actif", "Un diagnostic partagé", "Moins d'attente"],
        "statut": ["En cours", "Réalisée", "En cours"],
        "referent": ["Chef de projet", "Chef de projet", "Service petite enfance"],
        "calendrier": ["2021-2023", "2021", "2022-2023"],
        "2021": [2.0, NAN, 58.0],
        "2022": [5.0, NAN, 50.0],
        "2023": [NAN, NAN, NAN],
    })
    fiches = pd.DataFrame({"numero_action": ["1", "2"],
                           "intitule": ["Co-construire le diagnostic",
                                        "Réduire la liste d'attente"],
                           "axe": [AXE1, AXE2], "referent": ["Chef de projet", None],
                           "debut": [2021, None], "fin": [2023, None]})
    comites = pd.DataFrame({"date": ["2022-03-15"], "instance": ["Comité technique"],
                            "ordre_du_jour": ["Point d'étape"]})
    decisions = pd.DataFrame({"date_comite": ["2022-03-15"], "decision": ["Lancer l'enquête"],
                              "statut": ["Ouverte"], "echeance": ["2022-06-30"]})
    return CtgData({"code_insee": "59367", "nom": "Lys-lez-Lannoy", "type": "Commune",
                    "debut_ctg": "2021", "fin_ctg": "2023"},
                   {"plan_action": plan, "fiches_actions": fiches, "comites": comites,
                    "decisions": decisions}, frozenset({"territoire", "plan_action"}))


LABEL0 = f"{AXE1} · Co-construire le diagnostic · Réunions partenariales"


def test_value_and_analysis_edit_changes_band_and_records_changes():
    data = small_plan()
    before = indicators.plan_status(data, 2023)
    # Latest value 5 (2022) of 0 (2020) → 6 (2023): 5 / 6 = 83,3 % of the way, ahead of the
    # straight path (2 / 3 expected in 2022) → en bonne voie (band on the path, issue 10 §3).
    assert before.loc[0, "niveau"] == "en bonne voie"

    edit = editing.update_plan_row(data, 0, {"2023": "6", "analyse": "Objectif tenu."})

    assert edit.ok and edit.problems == []
    after = indicators.plan_status(edit.data, 2023)
    assert after.loc[0, "derniere_valeur"] == 6.0
    assert after.loc[0, "atteinte_pct"] == pytest.approx(100.0)
    assert after.loc[0, "niveau"] == "atteint"
    assert edit.data.table("plan_action").loc[0, "analyse"] == "Objectif tenu."
    assert edit.data.present == frozenset(s.key for s in schemas.SHEETS)
    assert [(c.sheet, c.row_label, c.column, c.old, c.new) for c in edit.changes] == [
        ("plan_action", LABEL0, "2023", None, 6.0),
        ("plan_action", LABEL0, "analyse", None, "Objectif tenu."),
    ]
    # Pure: the original data is untouched.
    assert math.isnan(data.table("plan_action").loc[0, "2023"])


def test_french_number_and_clearing_a_value():
    data = small_plan()
    edit = editing.set_indicator_value(data, 2, 2023, "45,5")
    assert edit.ok
    assert edit.data.table("plan_action").loc[2, "2023"] == 45.5
    # Baisse: (45,5 − 60) / (40 − 60) = 72,5 %.
    assert indicators.plan_status(edit.data, 2023).loc[2, "atteinte_pct"] == pytest.approx(72.5)
    cleared = editing.set_indicator_value(edit.data, 2, 2023, "")
    assert math.isnan(cleared.data.table("plan_action").loc[2, "2023"])
    assert [(c.old, c.new) for c in cleared.changes] == [(45.5, None)]


def test_text_in_a_numeric_field_is_refused_with_the_import_message():
    data = small_plan()
    edit = editing.set_indicator_value(data, 0, 2022, "douze")
    assert not edit.ok
    assert edit.data is data and edit.changes == []
    assert [p.as_line() for p in edit.problems] == [
        "Feuille « Plan d'action », ligne 2, colonne « 2022 » : nombre attendu, « douze » trouvé."]


def test_a_year_outside_the_ctg_period_is_refused():
    data = small_plan()
    edit = editing.update_plan_row(data, 0, {"2024": "7", "analyse": "Trop tard"})
    assert not edit.ok and edit.changes == [] and edit.data is data
    assert len(edit.problems) == 1
    assert edit.problems[0].message == \
        "colonne d'année 2024 hors de la période de la CTG (2021-2023)"


def test_other_values_get_the_import_rules():
    data = small_plan()
    wrong_status = editing.update_plan_row(data, 0, {"statut": "Bientôt"})
    assert not wrong_status.ok
    assert "« Bientôt » n'est pas une valeur autorisée" in wrong_status.problems[0].message
    wrong_year = editing.update_plan_row(data, 0, {"annee_cible": "vingt"})
    assert wrong_year.problems[0].message == "année attendue (ex. 2023), « vingt » trouvé"
    # Synonyms of allowed values are accepted as in a workbook.
    synonym = editing.update_plan_row(data, 0, {"statut": "realise", "sens": "diminution"})
    assert synonym.ok
    assert synonym.data.table("plan_action").loc[0, ["statut", "sens"]].tolist() == \
        ["Réalisée", "Baisse"]


def test_saving_unchanged_values_records_nothing():
    data = small_plan()
    edit = editing.update_plan_row(data, 0, {"2022": "5", "statut": "En cours", "analyse": ""})
    assert edit.ok and edit.changes == [] and edit.data is data


def test_add_an_indicator_with_defaults_duplicates_and_required_values():
    data = small_plan()
    edit = editing.add_plan_row(data, {"axe": AXE2, "action": "Réduire la liste d'attente",
                                       "indicateur": "Places créées", "numero_action": "2",
                                       "cible": "10", "annee_cible": "2023"})
    assert edit.ok
    plan = edit.data.table("plan_action")
    assert len(plan) == 4
    assert plan.loc[3, ["indicateur", "sens", "cible"]].tolist() == ["Places créées", "Hausse",
                                                                     10.0]
    assert {c.column for c in edit.changes} == {"axe", "action", "indicateur", "numero_action",
                                                "cible", "annee_cible", "sens"}
    again = editing.add_plan_row(edit.data, {"axe": AXE2, "action": "Réduire la liste d'attente",
                                             "indicateur": "Places créées"})
    assert not again.ok
    assert again.problems[0].message.startswith("ligne en double")
    missing = editing.add_plan_row(data, {"action": "Sans axe", "indicateur": "Quelque chose"})
    assert [(p.column, p.message) for p in missing.problems] == [
        ("Axe", "valeur obligatoire manquante")]


def test_editing_a_fiche_title_follows_in_the_plan():
    data = small_plan()
    edit = editing.update_fiche(data, "2", {"intitule": "Réduire l'attente en crèche",
                                            "debut": "2022", "fin": "2023"})
    assert edit.ok
    assert edit.data.table("fiches_actions").loc[1, ["intitule", "debut", "fin"]].tolist() == [
        "Réduire l'attente en crèche", 2022, 2023]
    assert edit.data.table("plan_action").loc[2, "action"] == "Réduire l'attente en crèche"
    assert {(c.sheet, c.column) for c in edit.changes} == {
        ("fiches_actions", "intitule"), ("fiches_actions", "debut"), ("fiches_actions", "fin"),
        ("plan_action", "action")}
    new = editing.add_fiche(data, {"numero_action": "3", "intitule": "Piloter"})
    assert new.ok and len(new.data.table("fiches_actions")) == 3


def test_comite_and_decisions_until_done():
    data = small_plan()
    comite = editing.add_comite(data, {"date": "15/06/2023", "instance": "copil",
                                       "participants": "Caf, ville"})
    assert comite.ok
    row = comite.data.table("comites").iloc[-1]
    assert (row["date"], row["instance"]) == ("2023-06-15", "Comité de pilotage")

    decision = editing.add_decision(comite.data, {"date_comite": "2023-06-15",
                                                  "decision": "Publier le bilan"})
    assert decision.ok
    still_open = plan_views.open_decisions(decision.data, today=pd.Timestamp("2023-07-01").date())
    assert still_open["decision"].tolist() == ["Lancer l'enquête", "Publier le bilan"]
    assert still_open["statut"].tolist() == ["Ouverte", "Ouverte"]
    assert still_open["en_retard"].tolist() == [True, False]  # échéance 30/06/2022 passée

    done = editing.set_decision_status(decision.data, 1, "Réalisée", "Bilan publié en juillet")
    assert done.ok
    assert plan_views.open_decisions(done.data)["decision"].tolist() == ["Lancer l'enquête"]
    assert [(c.column, c.old, c.new) for c in done.changes] == [
        ("statut", "Ouverte", "Réalisée"), ("suivi", None, "Bilan publié en juillet")]
    calendar = plan_views.comites_calendar(done.data)
    assert calendar["date"].tolist() == ["2022-03-15", "2023-06-15"]
    assert calendar.loc[1, "decisions"] == "• Publier le bilan (Réalisée)"
    assert plan_views.next_comite(done.data, pd.Timestamp("2023-01-01").date())["date"] == \
        "2023-06-15"
    assert plan_views.next_comite(done.data, pd.Timestamp("2023-06-16").date()) is None


def test_comite_and_decision_errors():
    data = small_plan()
    bad_date = editing.add_comite(data, {"date": "32/13/2023", "instance": "Comité technique"})
    assert bad_date.problems[0].message == "date attendue (jj/mm/aaaa), « 32/13/2023 » trouvé"
    duplicate = editing.add_comite(data, {"date": "2022-03-15", "instance": "cotech"})
    assert duplicate.problems[0].message.startswith("ligne en double")
    orphan = editing.add_decision(data, {"date_comite": "2023-01-10", "decision": "Décider"})
    assert not orphan.ok and orphan.changes == []
    assert "aucun comité enregistré le 10/01/2023" in orphan.problems[0].message
    for edit in (bad_date, duplicate, orphan):
        assert edit.data is data


def test_evaluation_table_has_the_annex_columns():
    data = small_plan()
    table = plan_views.evaluation_table(data, AXE1, 2022)
    assert list(table.columns) == ["Actions", "Indicateurs retenus", "Résultats attendus",
                                   "Résultats obtenus", "Analyse globale", "Niveau d'atteinte"]
    assert table["Actions"].tolist() == ["Action 1 : Co-construire le diagnostic"] * 2
    assert table["Indicateurs retenus"].tolist() == ["Réunions partenariales",
                                                     "Diagnostic publié"]
    # 5 / 6 = 83 %, ahead of the path (67 % expected in 2022); the indicator without numbers
    # follows its status.
    assert table["Niveau d'atteinte"].tolist() == [
        "En bonne voie (83\u202f% ; 67\u202f% attendus en 2022 sur la trajectoire)",
        "Atteint (statut : réalisée)"]
    assert plan_views.axes(data) == [AXE1, AXE2]
    # The plan status given by a caller that shows every axis gives the same table.
    status = indicators.plan_status(data, 2022)
    pd.testing.assert_frame_equal(plan_views.evaluation_table(data, AXE1, 2022, status=status),
                                  table)


def test_axis_summary_table_counts_bands():
    data = small_plan()
    table = plan_views.axis_summary_table(indicators.plan_status(data, 2022))
    # Axe 1: 83 % (67 % expected on the path in 2022) → en bonne voie, Réalisée → atteint.
    # Axe 2: (50 − 60) / (40 − 60) = 50 %, under 85 % of the 67 % expected → en retard.
    assert table[["Axe", "Indicateurs", "Atteint", "En bonne voie", "En retard",
                  "Non renseigné"]].values.tolist() == [[AXE1, 2, 1, 1, 0, 0],
                                                        [AXE2, 1, 0, 0, 1, 0]]


def test_actions_overview_periods_filters_and_tree():
    data = small_plan()
    overview = plan_views.actions_overview(data, 2022)
    assert overview[["numero_action", "debut", "fin", "periode_source", "niveau",
                     "statut"]].values.tolist() == [
        ["1", 2021, 2023, "fiche", "en bonne voie", "En cours"],
        ["2", 2022, 2023, "calendrier", "en retard", "En cours"]]
    assert plan_views.filter_plan(overview, champ=["Petite enfance"])["numero_action"].tolist() == \
        ["2"]
    assert plan_views.filter_plan(overview, referent=["Chef de projet"])["numero_action"].tolist() \
        == ["1"]
    tree = plan_views.plan_tree(data, 2022, axe=[AXE2])
    assert [c["champ"] for c in tree] == ["Petite enfance"]
    action = tree[0]["axes"][0]["actions"][0]
    assert action["indicateurs"]["indicateur"].tolist() == ["Demandes en attente"]
    assert plan_views.filter_choices(data)["referent"] == ["Chef de projet",
                                                        "Service petite enfance"]


def test_fiche_view_and_indicator_series():
    data = small_plan()
    fiche = plan_views.fiche(data, "1")
    assert fiche["intitule"] == "Co-construire le diagnostic"
    assert dict(fiche["fields"])["Référent"] == "Chef de projet"
    assert dict(fiche["fields"])["Calendrier"] == "2021 – 2023"
    assert plan_views.indicator_series(data, 2).values.tolist() == [[2021, 58.0], [2022, 50.0]]
    assert plan_views.is_numeric_indicator(data, 0) and not plan_views.is_numeric_indicator(data, 1)
    assert plan_views.fiche_indicators(data, "1", 2022)["row"].tolist() == [0, 1]


def test_timeline_figure_spans_each_action():
    data = small_plan()
    fig = charts.action_timeline_figure(data, plan_views.actions_overview(data, 2022))
    bars = {(bar.name, tuple(bar.y)): (list(bar.base), list(bar.x)) for bar in fig.data}
    # Action 1 « en bonne voie » over 2021-2023, action 2 « en retard » over 2022-2023.
    assert list(bars.values()) == [([2020.5], [3]), ([2021.5], [2])]
    assert fig.layout.meta["chart"] == "plan_calendrier"


def test_raw_text_reads_back_unchanged():
    assert [editing.raw_text(v) for v in (68.0, 12.5, None, NAN, "Texte", 2020)] == [
        "68", "12,5", "", "", "Texte", "2020"]


def test_history_table_in_french(db_url):
    store = Store(db_url)
    data = small_plan()
    store.save([data], kind="import", author="Import")
    edit = editing.update_plan_row(data, 0, {"2023": "6", "analyse": "Objectif tenu."})
    store.save([edit.data], kind="edit", author="Camille Martin", changes=edit.changes,
               summary=editing.summary(edit.changes))
    table = editing.row_history(store, edit.data, "plan_action", 0)
    assert list(table.columns) == ["Date", "Auteur", "Feuille", "Ligne", "Colonne", "Avant",
                                   "Après"]
    assert table[["Auteur", "Feuille", "Colonne", "Avant", "Après"]].values.tolist() == [
        ["Camille Martin", "Plan d'action", "2023", "—", "6"],
        ["Camille Martin", "Plan d'action", "Analyse", "—", "Objectif tenu."]]
    assert store.versions()[0].summary == (
        "Modification dans l'application — Plan d'action : Réunions partenariales "
        "(2023, Analyse).")


def test_export_after_edits_reimports_identically(db_url):
    data = small_plan()
    steps = [
        lambda d: editing.update_plan_row(d, 0, {"2023": "6", "analyse": "Objectif tenu.",
                                                 "resultats_obtenus": "6 réunions",
                                                 "statut": "Réalisée"}),
        lambda d: editing.set_indicator_value(d, 2, 2023, "43,5"),
        lambda d: editing.add_plan_row(d, {"axe": AXE2, "action": "Réduire la liste d'attente",
                                           "numero_action": "2", "indicateur": "Places créées",
                                           "cible": "10", "2022": "4"}),
        lambda d: editing.add_comite(d, {"date": "2023-06-27", "instance": "Comité de pilotage",
                                         "compte_rendu": "Bilan 2022 validé"}),
        lambda d: editing.add_decision(d, {"date_comite": "2023-06-27",
                                           "decision": "=Publier le bilan"}),
        lambda d: editing.set_decision_status(d, 0, "Réalisée", "Enquête close"),
    ]
    for step in steps:
        edit = step(data)
        assert edit.ok, [p.as_line() for p in edit.problems]
        data = edit.data

    store = Store(db_url)
    outcome = importing.import_file(store, writing.write_workbook([data]), "export.xlsx")
    assert outcome.version_ids and not outcome.report.errors
    loaded = store.load("59367")
    for key in ("plan_action", "fiches_actions", "comites", "decisions"):
        pd.testing.assert_frame_equal(loaded.table(key), data.table(key), check_dtype=True)
    plan = loaded.table("plan_action")
    assert plan.loc[0, ["2023", "analyse", "resultats_obtenus", "statut"]].tolist() == [
        6.0, "Objectif tenu.", "6 réunions", "Réalisée"]
    assert plan.loc[3, "2022"] == 4.0
    assert loaded.table("decisions")["decision"].tolist() == ["Lancer l'enquête",
                                                              "=Publier le bilan"]


def test_empty_value_for_another_year_adds_no_column():
    data = small_plan()
    edit = editing.update_plan_row(data, 0, {"2024": "", "2020": "", "analyse": "Vu en comité."})
    assert edit.ok
    assert [c.column for c in edit.changes] == ["analyse"]
    assert "2024" not in edit.data.table("plan_action").columns
    assert "2020" not in edit.data.table("plan_action").columns


def test_history_times_are_paris_local_time():
    from datetime import datetime, timezone
    # 15 March (UTC+1) and 15 July (UTC+2, summer time).
    assert editing.when(datetime(2024, 3, 15, 13, 5, tzinfo=timezone.utc)) == "15/03/2024 à 14 h 05"
    assert editing.when(datetime(2024, 7, 15, 22, 30, tzinfo=timezone.utc)) == "16/07/2024 à 0 h 30"
