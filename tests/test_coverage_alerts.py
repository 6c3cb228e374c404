"""Coverage alerts are typed (issue 12 §4): each alert of the coverage rate and of a scenario
is a catalogue entry (code, French template); `Coverage.alertes` are their messages."""

from __future__ import annotations

import pandas as pd
import pytest

from ctg_data import indicators
from ctg_data.errors import AVERTISSEMENT, CATALOGUE
from ctg_data.model import CtgData

TERRITOIRE = {"code_insee": "59999", "nom": "Villeneuve-Test", "type": "Commune",
              "departement": "59", "debut_ctg": "2021", "fin_ctg": "2023"}
POP = {"annee": 2022, "enfants_0_2": 400.0}
AM = {"annee": 2022, "am_agreees": 50.0, "am_en_activite": 40.0, "places_agreees": 180.0,
      "places_moins_3_ans": 120.0}
ACC = {"annee": 2022, "enfants_scolarises_2_ans": 10.0, "enfants_gardes_domicile": 6.0,
       "demandes_en_attente": 30.0, "etp_animateur_rpe": 0.5}
CRECHE = {"nom": "Multi", "type": "Multi-accueil", "places": 30.0, "financement": "PSU"}


def territory(equipements=(CRECHE,), population=(POP,), am=(AM,), accueil=(ACC,)) -> CtgData:
    """A territory with the given rows (by default complete for 2022: no alert)."""
    tables = {"equipements": pd.DataFrame(list(equipements)),
              "population": pd.DataFrame(list(population)),
              "assistantes_maternelles": pd.DataFrame(list(am)),
              "accueil_petite_enfance": pd.DataFrame(list(accueil))}
    return CtgData(territoire=dict(TERRITOIRE),
                   tables={k: v for k, v in tables.items() if len(v)})


def filled(code: str, **params) -> str:
    return CATALOGUE[code].template.format(**params)


# (case, data, year, [(code, template parameters)] in the order the alerts are given)
CASES = [
    ("no children at all", territory(population=()), 2022,
     [("couverture_population_absente", dict(annee=2022))]),
    ("children of an earlier year", territory(population=[{**POP, "annee": 2020}]), 2022,
     [("couverture_population_anterieure", dict(annee=2022, annee_population=2020))]),
    ("zero children", territory(population=[{**POP, "enfants_0_2": 0.0}]), 2022,
     [("couverture_aucun_enfant", {})]),
    ("a structure without places",
     territory(equipements=[CRECHE, {"nom": "Crèche Sans Places", "type": "Crèche collective"}]),
     2022, [("couverture_places_non_renseignees",
             dict(nom="Crèche Sans Places", type="Crèche collective", annee=2022))]),
    ("a micro-crèche without financing",
     territory(equipements=[CRECHE, {"nom": "Micro ?", "type": "Micro-crèche", "places": 10.0}]),
     2022, [("couverture_financement_non_renseigne", dict(nom="Micro ?"))]),
    ("EAJE financed by « Autre »",
     territory(equipements=[CRECHE, {"nom": "Zénith", "type": "Crèche collective",
                                     "places": 20.0, "financement": "Autre"},
                            {"nom": "Atlas", "type": "Multi-accueil", "places": 12.0,
                             "financement": "Autre"}]),
     2022, [("couverture_financement_autre",
             dict(annee=2022, structures="Zénith (20 places), Atlas (12 places)"))]),
    ("no EAJE open", territory(equipements=[{"nom": "Multi", "type": "Multi-accueil",
                                             "places": 30.0, "ouverture": "2023-01-01"}]),
     2022, [("couverture_aucun_eaje", dict(annee=2022))]),
    ("no assistantes maternelles row", territory(am=()), 2022,
     [("couverture_am_absentes", dict(annee=2022))]),
    ("AM places from all licensed places",
     territory(am=[{"annee": 2022, "am_en_activite": 40.0, "places_agreees": 180.0}]), 2022,
     [("couverture_am_places_agreees", dict(annee=2022))]),
    ("AM row without places", territory(am=[{"annee": 2022, "am_en_activite": 40.0}]), 2022,
     [("couverture_am_sans_places", dict(annee=2022))]),
    ("no accueil petite enfance row", territory(accueil=()), 2022,
     [("couverture_accueil_absent", dict(annee=2022))]),
    ("garde à domicile and préscolarisation missing",
     territory(accueil=[{"annee": 2022, "etp_animateur_rpe": 0.5}]), 2022,
     [("couverture_gad_absente", dict(annee=2022)),
      ("couverture_prescolarisation_absente", dict(annee=2022))]),
    ("RPE ratio on licensed AM", territory(am=[{**AM, "am_en_activite": None}]), 2022,
     [("couverture_rpe_am_agreees", dict(annee=2022))]),
]


@pytest.mark.parametrize("data, annee, expected", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_each_coverage_alert_has_its_code_and_the_catalogue_message(data, annee, expected):
    c = indicators.coverage(data, annee)
    assert [p.code for p in c.problems] == [code for code, _ in expected]
    assert c.alertes == [filled(code, **params) for code, params in expected]
    assert all(p.severity == AVERTISSEMENT for p in c.problems)


def test_a_complete_year_has_no_alert():
    c = indicators.coverage(territory(), 2022)
    assert c.problems == [] and c.alertes == [] and c.complet


def test_alerts_keep_their_order_when_several_inputs_are_missing():
    data = territory(equipements=[{"nom": "Micro", "type": "Micro-crèche", "places": 8.0}],
                     population=[{**POP, "annee": 2021}], am=(), accueil=())
    c = indicators.coverage(data, 2022)
    assert [p.code for p in c.problems] == [
        "couverture_population_anterieure", "couverture_financement_non_renseigne",
        "couverture_am_absentes", "couverture_accueil_absent"]
    assert not c.complet


def test_the_autre_alert_is_found_by_its_prefix():
    # The alert's wording starts with `AUTRE_ALERT` (the page and the bilan find it by code).
    assert CATALOGUE["couverture_financement_autre"].template.startswith(indicators.AUTRE_ALERT)


def test_scenario_alerts_are_typed():
    data = territory()
    s = indicators.scenario(data, 2022, delta_places={"eaje_psu": 20, "gad": -10},
                            enfants_moins_3_ans=350)
    assert [p.code for p in s.problems] == ["scenario_places", "scenario_places_limitees",
                                            "scenario_retrait_limite", "scenario_enfants"]
    assert s.alertes == [
        filled("scenario_places", delta="+20", composante="Places EAJE PSU"),
        filled("scenario_places_limitees", delta="−10", composante="Garde à domicile",
               limite="−6"),
        filled("scenario_retrait_limite", composante="Garde à domicile", demande="10",
               disponibles="seules 6 places sont comptées", annee=2022, limite="6 places"),
        filled("scenario_enfants", enfants="350"),
    ]
    # The capped removal is also said on its own, and the detail lists each change.
    assert s.limites == [s.alertes[2]]
    assert ("Scénario : +20 (Places EAJE PSU)", 20.0) in s.detail
    assert s.places["gad"] == 0 and s.places["eaje_psu"] == 50


def test_scenario_keeps_the_alerts_of_the_year():
    s = indicators.scenario(territory(am=()), 2022, delta_places={"eaje_psu": 5})
    assert [p.code for p in s.problems] == ["couverture_am_absentes", "scenario_places"]


def test_series_joins_the_messages():
    data = territory(accueil=())
    series = indicators.coverage_series(data)
    assert series["alertes"].tolist() == [filled("couverture_accueil_absent", annee=2022)]
