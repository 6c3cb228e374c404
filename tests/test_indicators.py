"""Indicators: every formula on hand-computed cases, then the Lys-lez-Lannoy sample."""

import json
import math

import pandas as pd
import pytest

from ctg_data import indicators as ind
from ctg_data.model import CtgData

TERRITOIRE = {"code_insee": "59999", "nom": "Villeneuve-Test", "type": "Commune",
              "departement": "59", "debut_ctg": "2021", "fin_ctg": "2023"}


def make(equipements=(), population=(), am=(), accueil=(), alsh=(), plan=()) -> CtgData:
    """A CtgData from lists of row dicts (missing columns are filled by conform)."""
    tables = {"equipements": pd.DataFrame(list(equipements)),
              "population": pd.DataFrame(list(population)),
              "assistantes_maternelles": pd.DataFrame(list(am)),
              "accueil_petite_enfance": pd.DataFrame(list(accueil)),
              "alsh": pd.DataFrame(list(alsh)),
              "plan_action": pd.DataFrame(list(plan))}
    return CtgData(territoire=dict(TERRITOIRE), tables={k: v for k, v in tables.items() if len(v)})


def eaje(nom, places, type="Multi-accueil", **kw):
    return {"nom": nom, "type": type, "places": float(places), **kw}


def codes(c: ind.Coverage) -> list[str]:
    """The catalogue codes of a coverage's alerts (tests/test_coverage_alerts.py: texts)."""
    return [p.code for p in c.problems]


POP_2022 = {"annee": 2022, "enfants_0_2": 400.0}
AM_2022 = {"annee": 2022, "am_agreees": 50.0, "am_en_activite": 40.0, "places_agreees": 180.0,
           "places_moins_3_ans": 120.0}
ACC_2022 = {"annee": 2022, "enfants_scolarises_2_ans": 10.0, "enfants_gardes_domicile": 6.0,
            "demandes_en_attente": 30.0, "etp_animateur_rpe": 0.5}


def full(*equipements, **kw) -> CtgData:
    """A territory with population, AM and usage rows for 2022 and the given structures."""
    return make(equipements=equipements, population=kw.get("population", [POP_2022]),
                am=kw.get("am", [AM_2022]), accueil=kw.get("accueil", [ACC_2022]))


# --- structures open on 31 December ---------------------------------------------------------

def test_structure_opened_in_september_counts_for_that_year():
    data = full(eaje("Nouvelle crèche", 20, ouverture="2022-09-01"))
    assert ind.coverage(data, 2022).places["eaje_psu"] == 20
    assert ind.coverage(data, 2021).places["eaje_psu"] == 0


def test_structure_closed_the_year_before_does_not_count():
    data = full(eaje("Ancienne crèche", 20, fermeture="2021-06-30"),
                eaje("Crèche fermée fin 2022", 12, fermeture="2022-12-31"),
                eaje("Crèche fermée en 2023", 7, fermeture="2023-03-01"))
    # Closed on or before 31/12/2022: the first two do not count; the third still does.
    assert ind.coverage(data, 2022).places["eaje_psu"] == 7


def test_bare_years_for_opening_and_closing():
    assert ind.is_open("2022", None, 2022)
    assert not ind.is_open("2023", None, 2022)
    assert not ind.is_open(None, "2022", 2022)   # a bare closing year stops counting that year
    assert ind.is_open(None, "2023", 2022)
    assert ind.is_open("2022-12-31", None, 2022)
    assert not ind.is_open("2023-01-01", None, 2022)


def test_rows_by_year_use_the_row_of_the_year_or_the_latest_earlier():
    data = full(eaje("La Crèche", 40, annee=2020), eaje("La Crèche", 46, annee=2022),
                eaje("Future crèche", 10, annee=2023))
    assert ind.coverage(data, 2021).places["eaje_psu"] == 40
    assert ind.coverage(data, 2022).places["eaje_psu"] == 46
    assert ind.coverage(data, 2023).places["eaje_psu"] == 56


# --- components ----------------------------------------------------------------------------

def test_paje_micro_creche_goes_to_hors_psu():
    data = full(eaje("Multi", 30), eaje("Micro PAJE", 10, "Micro-crèche", financement="PAJE"),
                eaje("Micro PSU", 10, "Micro-crèche", financement="PSU"))
    c = ind.coverage(data, 2022)
    assert c.places["eaje_psu"] == 40
    assert c.places["eaje_hors_psu"] == 10


def test_micro_creche_without_financing_counts_psu_with_an_alert():
    c = ind.coverage(full(eaje("Micro ?", 10, "Micro-crèche")), 2022)
    assert c.places["eaje_psu"] == 10
    assert codes(c) == ["couverture_financement_non_renseigne"]


def test_mam_is_not_added_twice():
    with_mam = full(eaje("Multi", 30), eaje("MAM Les Lutins", 12, "MAM"))
    without = full(eaje("Multi", 30))
    assert ind.coverage(with_mam, 2022).places == ind.coverage(without, 2022).places
    # AM 120 + GAD 6 + presco 10 + EAJE 30 = 166; the MAM's 12 are inside the AM 120.
    assert ind.coverage(with_mam, 2022).places["total"] == 166


def test_reserved_cradles_and_structures_elsewhere_are_outside_the_rate():
    data = full(eaje("Multi", 30),
                eaje("Berceaux à Leers", 5, "Berceaux réservés", commune="Leers"),
                eaje("Crèche voisine", 8, commune="Hem"),
                eaje("Crèche ici (nom)", 4, commune="Villeneuve-Test"),
                eaje("Crèche ici (code)", 6, commune="59999"))
    c = ind.coverage(data, 2022)
    assert c.places["eaje_psu"] == 30 + 4 + 6
    assert c.places["hors_territoire"] == 5 + 8
    # Rate: 100 × (40 + 120 + 6 + 10) / 400 = 44; the 13 places outside are not in it.
    assert c.taux["global"] == pytest.approx(44.0)



def test_epci_counts_its_member_communes_in_the_territory():
    structures = (eaje("Multi à Hem", 30, commune="Hem"),
                  eaje("Micro à Leers", 10, commune="59339"),
                  eaje("Crèche à Roubaix", 8, commune="Roubaix"),
                  eaje("Berceaux", 5, "Berceaux réservés", commune="Hem"))
    epci = {"code_insee": "200000001", "nom": "CC Test", "type": "EPCI"}

    listed = full(*structures)
    listed.territoire |= epci | {"communes_membres": "Hem ; 59339\nLys-lez-Lannoy"}
    c = ind.coverage(listed, 2022)
    # Hem (by name) and Leers (by INSEE code) are members; Roubaix is not; cradles stay apart.
    assert c.places["eaje_psu"] == 30 + 10
    assert c.places["hors_territoire"] == 8 + 5

    unlisted = full(*structures)
    unlisted.territoire |= epci
    # Without the list, every structure named in a commune of the EPCI counts in it.
    assert ind.coverage(unlisted, 2022).places["eaje_psu"] == 30 + 10 + 8
    assert ind.coverage(unlisted, 2022).places["hors_territoire"] == 5

def test_rate_and_sub_rates_by_hand():
    data = full(eaje("Multi", 30), eaje("Micro PAJE", 10, "Micro-crèche", financement="PAJE"))
    c = ind.coverage(data, 2022, cible=60)
    # places: PSU 30, hors PSU 10, AM 120, GAD 6, presco 10 = 176 for 400 children
    assert c.places["total"] == 176
    assert c.taux["global"] == pytest.approx(44.0)
    assert c.taux["eaje"] == pytest.approx(10.0)
    assert c.taux["individuel"] == pytest.approx(31.5)
    assert c.taux["prescolarisation"] == pytest.approx(2.5)
    assert c.places_manquantes == 64      # ceil(60 × 400 / 100 − 176) = 240 − 176
    assert c.am_par_etp_rpe == pytest.approx(80.0)     # 40 active AM / 0.5 ETP
    assert c.demandes_pour_100 == pytest.approx(7.5)   # 30 / 400 × 100
    assert c.complet and c.alertes == []


def test_missing_component_raises_an_alert_and_marks_incomplete():
    accueil = [{"annee": 2022, "enfants_scolarises_2_ans": 10.0}]   # no GAD
    c = ind.coverage(full(eaje("Multi", 30), accueil=accueil), 2022)
    assert not c.complet
    assert codes(c) == ["couverture_gad_absente"]
    assert c.places["gad"] is None
    # Rate on the components present: 100 × (30 + 120 + 10) / 400 = 40, flagged incomplete.
    assert c.taux["global"] == pytest.approx(40.0)
    assert c.taux["individuel"] == pytest.approx(30.0)


def test_missing_am_row_is_a_missing_component():
    c = ind.coverage(full(eaje("Multi", 30), am=[]), 2022)
    assert not c.complet and c.places["am"] is None
    assert codes(c) == ["couverture_am_absentes"]


def test_am_places_fall_back_on_all_licensed_places_with_an_alert():
    am = [{"annee": 2022, "am_agreees": 50.0, "places_agreees": 180.0}]
    c = ind.coverage(full(eaje("Multi", 30), am=am), 2022)
    assert c.places["am"] == 180
    assert "couverture_am_places_agreees" in codes(c)
    assert c.complet   # approximated, not missing
    assert c.am_par_etp_rpe == pytest.approx(100.0)   # 50 licensed (no active count) / 0.5
    assert "couverture_rpe_am_agreees" in codes(c)


def test_population_of_an_earlier_year_is_used_with_an_alert():
    data = make(equipements=[eaje("Multi", 30)], population=[{"annee": 2021,
                                                              "enfants_0_2": 300.0}],
                am=[{**AM_2022, "annee": 2023}], accueil=[{**ACC_2022, "annee": 2023}])
    c = ind.coverage(data, 2023)
    assert c.annee_population == 2021 and c.enfants_moins_3_ans == 300
    assert codes(c) == ["couverture_population_anterieure"]
    assert "2021" in c.alertes[0] and "2023" in c.alertes[0]
    assert c.taux["global"] == pytest.approx(100 * (30 + 120 + 6 + 10) / 300)


def test_without_children_no_rate():
    c = ind.coverage(full(eaje("Multi", 30), population=[]), 2022, cible=60)
    assert c.taux == {"global": None, "eaje": None, "individuel": None,
                      "prescolarisation": None}
    assert c.places_manquantes is None and not c.complet


def test_zero_children_gives_no_rate_and_is_not_complete():
    c = ind.coverage(full(eaje("Multi", 30), population=[{"annee": 2022, "enfants_0_2": 0.0}]),
                     2022, cible=60)
    assert c.taux["global"] is None and c.places_manquantes is None
    assert not c.complet
    assert codes(c) == ["couverture_aucun_enfant"]


def test_places_missing():
    assert ind.places_missing(60, 400, 176) == 64
    assert ind.places_missing(60, 401, 176) == 65     # 240.6 − 176 = 64.6 → 65
    assert ind.places_missing(60, 500, 300) == 0      # exactly on target, no float residue
    assert ind.places_missing(60, 400, 300) == 0      # above target


def test_rates_from_published_national_components_2023():
    r = ind.rates_from_components(psu=19.9, hors_psu=3.6, prescolarisation=3.3, am=31.9, gad=2.2)
    assert r["eaje"] == pytest.approx(23.5)
    assert r["individuel"] == pytest.approx(34.1)
    assert r["prescolarisation"] == pytest.approx(3.3)
    assert r["global"] == pytest.approx(60.9)


def test_rates_from_components_with_missing_parts():
    r = ind.rates_from_components(psu=10, hors_psu=None, prescolarisation=None, am=None, gad=None)
    assert r == {"global": 10, "eaje": 10, "individuel": None, "prescolarisation": None}


def test_scenario_adds_places_and_changes_children():
    data = full(eaje("Multi", 30))
    s = ind.scenario(data, 2022, delta_places={"eaje_psu": 20}, cible=60)
    # 30 + 20 + 120 + 6 + 10 = 186 places for 400 children
    assert s.places["eaje_psu"] == 50 and s.places["total"] == 186
    assert s.taux["global"] == pytest.approx(46.5)
    assert s.places_manquantes == 54
    assert codes(s) == ["scenario_places"]
    s2 = ind.scenario(data, 2022, delta_places={}, enfants_moins_3_ans=332)
    assert s2.taux["global"] == pytest.approx(100 * 166 / 332)
    with pytest.raises(ValueError):
        ind.scenario(data, 2022, delta_places={"creches": 3})


def test_coverage_series_has_one_row_per_year():
    data = full(eaje("Multi", 30), population=[POP_2022, {"annee": 2023, "enfants_0_2": 380.0}],
                am=[AM_2022, {**AM_2022, "annee": 2023}],
                accueil=[ACC_2022, {**ACC_2022, "annee": 2023}])
    series = ind.coverage_series(data, cible=50)
    assert list(series["annee"]) == [2022, 2023]
    assert series.loc[1, "taux_global"] == pytest.approx(100 * 166 / 380)
    assert series.loc[0, "places_manquantes"] == 34   # ceil(200 − 166)


# --- ALSH ----------------------------------------------------------------------------------

POP_BANDS = {"annee": 2022, "enfants_3_5": 300.0, "enfants_6_10": 500.0, "jeunes_11_17": 700.0}


def test_alsh_3_17_uses_every_band_and_hours_fill_rate():
    data = make(population=[POP_BANDS], alsh=[
        {"annee": 2022, "nom": "ALSH A", "periode": "Juillet", "places": 150.0, "age_min": 3.0,
         "age_max": 17.0, "jours_ouverture": 20.0, "heures_realisees": 19200.0,
         "enfants_accueillis": 260.0}])
    row = ind.alsh_coverage(data, 2022).iloc[0]
    assert row["enfants"] == 1500
    assert row["couverture"] == pytest.approx(10.0)      # 150 / 1500 × 100
    assert row["heures_offertes"] == 150 * 20 * 8
    assert row["taux_remplissage"] == pytest.approx(80.0)   # 19 200 / 24 000
    assert "heures" in row["mesure_remplissage"]


def test_alsh_3_14_prorates_the_11_17_band_and_says_so():
    data = make(population=[POP_BANDS], alsh=[
        {"annee": 2022, "nom": "ALSH B", "periode": "Mercredis", "places": 93.0, "age_min": 3.0,
         "age_max": 14.0, "enfants_accueillis": 80.0}])
    row = ind.alsh_coverage(data, 2022).iloc[0]
    # 300 + 500 + 4/7 × 700 = 1 200 children
    assert row["enfants"] == pytest.approx(1200.0)
    assert row["couverture"] == pytest.approx(100 * 93 / 1200)
    assert "11-14 ans" in row["approximations"]
    # No hours: children welcomed per 100 places.
    assert row["taux_remplissage"] == pytest.approx(100 * 80 / 93)
    assert "enfants accueillis" in row["mesure_remplissage"]


def test_alsh_band_weights():
    assert ind.band_weights(3, 17)[0] == {"enfants_3_5": 1, "enfants_6_10": 1, "jeunes_11_17": 1}
    weights, notes = ind.band_weights(9, 17)
    assert weights == {"enfants_6_10": pytest.approx(2 / 5), "jeunes_11_17": 1}
    weights, notes = ind.band_weights(None, None)
    assert len(weights) == 3 and "non renseignée" in notes[0]


# --- portrait ------------------------------------------------------------------------------

def test_portrait_rates():
    data = make(population=[{"annee": 2021, "population": 12000.0, "naissances": 150.0,
                             "enfants_0_2": 420.0, "familles_avec_enfants": 2000.0,
                             "familles_monoparentales": 500.0, "menages": 5000.0,
                             "allocataires": 2500.0, "taux_pauvrete": 18.0}])
    frame = ind.portrait(data).set_index("indicateur")["valeur"]
    assert frame["taux_natalite"] == pytest.approx(12.5)          # 150 / 12 000 × 1 000
    assert frame["part_0_2"] == pytest.approx(3.5)                # 420 / 12 000 × 100
    assert frame["part_familles_monoparentales"] == pytest.approx(25.0)
    assert frame["part_allocataires"] == pytest.approx(50.0)
    assert frame["taux_pauvrete"] == 18.0
    assert "part_familles_nombreuses" not in frame.index          # not computable here


# --- plan d'action -------------------------------------------------------------------------

def plan_row(indicateur, *, sens="Hausse", ref=None, cible=None, values=(), statut=None,
             axe="Axe 1", action="Action", numero="1"):
    row = {"axe": axe, "action": action, "indicateur": indicateur, "numero_action": numero,
           "sens": sens, "valeur_reference": ref, "cible": cible, "statut": statut}
    for year, value in zip(("2021", "2022", "2023"), values):
        row[year] = value
    for year in ("2021", "2022", "2023"):
        row.setdefault(year, None)
    return row


def test_baisse_indicator_reaching_its_target_scores_100():
    data = make(plan=[plan_row("Liste d'attente", sens="Baisse", ref=60.0, cible=40.0,
                               values=(55.0, 48.0, 40.0))])
    row = ind.plan_status(data).iloc[0]
    assert row["atteinte_pct"] == pytest.approx(100.0)
    assert row["niveau"] == "atteint"


def test_plan_bands_and_formula():
    data = make(plan=[
        plan_row("Places", ref=64.0, cible=70.0, values=(64.0, 66.0, 68.0)),      # 4/6
        plan_row("Attente", sens="Baisse", ref=62.0, cible=40.0, values=(58.0, 51.0, 43.0)),
        plan_row("Sans référence", cible=20.0, values=(None, 18.0, None)),          # 18/20
        plan_row("Baisse sans référence", sens="Baisse", cible=40.0, values=(50.0,)),
        plan_row("Pas encore mesuré", ref=0.0, cible=20.0),
    ])
    status = ind.plan_status(data, marge=85).set_index("indicateur")
    assert status.loc["Places", "atteinte_pct"] == pytest.approx(100 * 4 / 6)
    assert status.loc["Places", "niveau"] == "en retard"
    assert status.loc["Attente", "atteinte_pct"] == pytest.approx(100 * 19 / 22)
    assert status.loc["Attente", "niveau"] == "en bonne voie"
    assert status.loc["Sans référence", "atteinte_pct"] == pytest.approx(90.0)
    assert status.loc["Sans référence", "derniere_valeur"] == 18.0
    assert status.loc["Sans référence", "annee_derniere_valeur"] == 2022
    assert status.loc["Baisse sans référence", "atteinte_pct"] == pytest.approx(80.0)
    assert status.loc["Pas encore mesuré", "niveau"] == "non renseigné"
    # A higher margin moves « en bonne voie » to « en retard ».
    stricter = ind.plan_status(data, marge=90).set_index("indicateur")
    assert stricter.loc["Attente", "niveau"] == "en retard"


def test_achievement_without_reference_passes_100_like_with_one():
    # Spec: without a reference, latest / target (target / latest when lower is better).
    assert ind.achievement(24.0, None, 20.0) == pytest.approx(120.0)          # 24 / 20
    assert ind.achievement(32.0, None, 40.0, "Baisse") == pytest.approx(125.0)  # 40 / 32
    assert ind.achievement(0.0, None, 40.0, "Baisse") == 100.0    # nothing left: reached
    # With a reference the target is passed the same way: (26 − 10) / (20 − 10) = 160 %.
    assert ind.achievement(26.0, 10.0, 20.0) == pytest.approx(160.0)
    # Keeping a level (target = reference): on the good side is 100 %, else the ratio.
    assert ind.achievement(12.0, 10.0, 10.0) == 100.0
    assert ind.achievement(8.0, 10.0, 10.0) == pytest.approx(80.0)           # 8 / 10
    assert ind.achievement(12.0, 10.0, 10.0, "Baisse") == pytest.approx(100 * 10 / 12)


def test_plan_latest_value_up_to_the_chosen_year():
    data = make(plan=[plan_row("Réunions", ref=0.0, cible=5.0, values=(3.0, 4.0, 5.0))])
    assert ind.plan_status(data, annee=2022).iloc[0]["atteinte_pct"] == pytest.approx(80.0)
    assert ind.plan_status(data, annee=2023).iloc[0]["niveau"] == "atteint"
    assert ind.plan_status(data, annee=2020).iloc[0]["niveau"] == "non renseigné"


def test_indicators_without_numbers_follow_their_status():
    data = make(plan=[plan_row("Diagnostic", statut="Réalisée"),
                      plan_row("Plan", statut="En cours", action="B", numero="2"),
                      plan_row("Junior asso", statut="Abandonnée", action="C", numero="3")])
    status = ind.plan_status(data).set_index("indicateur")
    assert list(status["niveau"]) == ["atteint", "non renseigné", "en retard"]
    assert set(status["suivi"]) == {"statut"}


def test_axis_summary():
    data = make(plan=[
        plan_row("a", statut="Réalisée", axe="Axe 1", numero="1"),
        plan_row("b", ref=0.0, cible=4.0, values=(4.0,), statut="Réalisée", axe="Axe 1",
                 numero="1"),
        plan_row("c", ref=0.0, cible=10.0, values=(5.0,), statut="En cours", axe="Axe 2",
                 numero="2"),
        plan_row("d", statut="Réalisée", axe="Axe 2", numero="3", action="Autre"),
    ])
    summary = ind.axis_summary(ind.plan_status(data)).set_index("axe")
    assert summary.loc["Axe 1", "atteint"] == 2 and summary.loc["Axe 1", "actions"] == 1
    assert summary.loc["Axe 1", "part_actions_realisees"] == 100
    assert summary.loc["Axe 2", "en retard"] == 1 and summary.loc["Axe 2", "atteint"] == 1
    assert summary.loc["Axe 2", "actions"] == 2
    assert summary.loc["Axe 2", "part_actions_realisees"] == 50


# --- JSON ----------------------------------------------------------------------------------

def test_indicators_json_keys_and_serialisable():
    data = full(eaje("Multi", 30), population=[POP_2022])
    data.tables["plan_action"] = pd.DataFrame([plan_row("x", ref=0.0, cible=2.0, values=(1.0,))])
    data = CtgData(data.territoire, data.tables)
    out = ind.indicators_json(data, 2022, cible=60)
    assert set(out) == {"territoire", "annee", "enfants_moins_3_ans", "places", "taux_couverture",
                        "places_manquantes", "alertes", "plan"}
    assert out["territoire"] == {"code": "59999", "nom": "Villeneuve-Test"}
    assert set(out["places"]) == {"eaje_psu", "eaje_hors_psu", "am", "gad", "prescolarisation",
                                  "total", "hors_territoire", "hors_taux_autre"}
    assert set(out["taux_couverture"]) == {"global", "eaje", "individuel", "prescolarisation"}
    assert out["plan"] == [{"axe": "Axe 1", "action": "Action", "indicateur": "x",
                            "derniere_valeur": 1.0, "atteinte_pct": 50.0,
                            "niveau": "en retard"}]
    json.dumps(out, allow_nan=False)   # no NaN anywhere
    assert out["taux_couverture"]["global"] == pytest.approx(41.5)   # 166 / 400, unrounded


def test_indicators_json_uses_none_not_nan():
    out = ind.indicators_json(make(), 2022)
    assert out["taux_couverture"]["global"] is None and out["enfants_moins_3_ans"] is None
    json.dumps(out, allow_nan=False)


# --- the Lys-lez-Lannoy sample -------------------------------------------------------------

@pytest.fixture(scope="module")
def sample():
    from ctg_data.workbook import load_workbook
    from tests.conftest import SAMPLE
    report = load_workbook(SAMPLE.read_bytes(), SAMPLE.name)
    assert report.ok, [p.as_line() for p in report.errors]
    return report.datasets[0]


def test_sample_coverage_2022_line_by_line(sample):
    c = ind.coverage(sample, 2022, cible=60)
    # Children under 3 in 2022 (Population): 476.
    assert c.enfants_moins_3_ans == 476 and c.annee_population == 2022
    # EAJE PSU: multi-accueil La Pépinière 44 (row of 2020, still valid in 2022)
    #           + micro-crèche Au pays des Merveilles 10 (PSU) = 54.
    assert c.places["eaje_psu"] == 44 + 10
    # EAJE hors PSU: micro-crèche Ma Cachette 10 (PAJE).
    assert c.places["eaje_hors_psu"] == 10
    # AM: « Places pour moins de 3 ans » of 2022 = 172; the MAM's 8 places are inside it.
    assert c.places["am"] == 172
    # Garde à domicile 4, préscolarisation 15 (Accueil petite enfance 2022).
    assert c.places["gad"] == 4 and c.places["prescolarisation"] == 15
    # Total 54 + 10 + 172 + 4 + 15 = 255.
    assert c.places["total"] == 255
    # Reserved cradles at Leers (5) and Hem (2): outside, not in the rate.
    assert c.places["hors_territoire"] == 7
    # Rate = 100 × 255 / 476 = 53.57…; EAJE 100 × 64 / 476; individuel 100 × 176 / 476.
    assert c.taux["global"] == pytest.approx(100 * 255 / 476)
    assert c.taux["eaje"] == pytest.approx(100 * 64 / 476)
    assert c.taux["individuel"] == pytest.approx(100 * 176 / 476)
    assert c.taux["prescolarisation"] == pytest.approx(100 * 15 / 476)
    # Target 60: ceil(60 × 476 / 100 − 255) = ceil(285.6 − 255) = 31 places.
    assert c.places_manquantes == 31
    # RPE: 58 active AM for 1.0 ETP; waiting list 51 for 476 children.
    assert c.am_par_etp_rpe == pytest.approx(58.0)
    assert c.demandes_pour_100 == pytest.approx(100 * 51 / 476)
    assert c.complet and c.alertes == []
    assert ("Taux de couverture global = 100 × 255 / 476", pytest.approx(100 * 255 / 476)) \
        in c.detail


def test_sample_2024_is_flagged(sample):
    c = ind.coverage(sample, 2024)
    assert not c.complet
    assert c.annee_population == 2023
    assert "couverture_gad_absente" in codes(c)
    # La Pépinière's 2023 row (48 places) still describes 2024.
    assert c.places["eaje_psu"] == 58


def test_sample_plan_has_every_band(sample):
    status = ind.plan_status(sample, 2023)
    assert set(status["niveau"]) == {"atteint", "en bonne voie", "en retard", "non renseigné"}
    summary = ind.axis_summary(status)
    assert list(summary["axe"]) == [
        "Axe 1 : Réaliser le diagnostic de territoire",
        "Axe 2 : Dégager des pistes d'actions sur le territoire d'intervention",
        "Axe 3 : Piloter le dispositif"]
    waiting = status[status["sens"] == "Baisse"].iloc[0]
    assert waiting["atteinte_pct"] == pytest.approx(100 * (43 - 62) / (40 - 62))


def test_sample_alsh_and_json(sample):
    frame = ind.alsh_coverage(sample, 2023)
    assert {"Mercredis", "Petites vacances", "Juillet", "Août"} <= set(frame["periode"])
    july = frame.set_index("periode").loc["Juillet"]
    assert july["places"] == 140 + 36
    out = ind.indicators_json(sample, 2023, cible=60)
    text = json.dumps(out, allow_nan=False, ensure_ascii=False)
    assert json.loads(text)["territoire"]["nom"] == "Lys-lez-Lannoy"
    assert not math.isnan(out["taux_couverture"]["global"])
