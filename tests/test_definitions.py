"""Indicator definitions: complete, consistent, and the source of the methodology text."""

import pandas as pd
import pytest

from ctg_data import definitions as d
from ctg_data.schemas import PERIODES_ALSH, SHEETS_BY_KEY


def test_codes_are_unique_and_lookups_work():
    assert len({x.code for x in d.DEFINITIONS}) == len(d.DEFINITIONS)
    assert d.get("taux_couverture_global").unite == "places pour 100 enfants"
    with pytest.raises(KeyError, match="inconnu"):
        d.get("taux_inexistant")


@pytest.mark.parametrize("code", [
    "taux_couverture_global", "taux_couverture_eaje", "taux_couverture_individuel",
    "taux_couverture_prescolarisation", "taux_couverture_psu", "taux_couverture_hors_psu",
    "taux_couverture_am", "taux_couverture_gad", "places_eaje_psu", "places_eaje_hors_psu",
    "places_am", "places_gad", "places_prescolarisation", "places_total", "hors_territoire",
    "places_manquantes", "am_par_etp_rpe", "demandes_pour_100", "couverture_alsh",
    "taux_remplissage_alsh", "population", "naissances", "taux_natalite", "part_0_2",
    "part_3_5", "part_6_10", "part_11_17", "part_familles_monoparentales",
    "part_familles_nombreuses", "taux_activite_femmes", "taux_chomage", "revenu_median",
    "taux_pauvrete", "allocataires", "part_allocataires", "atteinte_plan",
    "part_actions_realisees"])
def test_every_expected_indicator_is_defined(code):
    definition = d.get(code)
    assert definition.libelle and definition.definition and definition.source
    assert definition.unite and definition.annees
    assert definition.sens in ("hausse", "baisse", None)


@pytest.mark.parametrize("definition", d.DEFINITIONS, ids=lambda x: x.code)
def test_every_definition_is_complete(definition):
    """A definition added to the table is checked like the expected ones: the methodology
    boxes, the bilan and the CLI print these fields."""
    assert definition.libelle and definition.definition and definition.source
    assert definition.unite and definition.annees
    assert definition.sens in ("hausse", "baisse", None)


def test_alsh_period_codes():
    assert [d.alsh_period_code(p) for p in PERIODES_ALSH] == [
        "couverture_alsh_mercredis", "couverture_alsh_petites_vacances",
        "couverture_alsh_juillet", "couverture_alsh_aout", "couverture_alsh_periscolaire",
        "couverture_alsh_annee"]
    for p in PERIODES_ALSH:
        assert p.lower() in d.get(d.alsh_period_code(p)).definition.lower()


def test_directions():
    assert d.get("demandes_pour_100").sens == "baisse"
    assert d.get("taux_pauvrete").sens == "baisse"
    assert d.get("taux_couverture_global").sens == "hausse"
    assert d.get("population").sens is None


def test_methodology_text_of_the_coverage_rate():
    text = d.methodology_text("taux_couverture_global")
    assert text.startswith("Taux de couverture global : ")
    assert "Calcul : 100 × (places EAJE PSU" in text
    assert "Source : Cnaf" in text
    assert "théorique" in text           # the caution of the Cnaf definition
    assert "hors territoire" not in text or "ne sont pas ajoutés" in text


def test_methodology_text_states_the_alsh_assumption():
    text = d.methodology_text("taux_remplissage_alsh")
    assert f"{d.ALSH_HOURS_PER_DAY:g} heures par jour" in text
    assert "Indicateur local" in text


def test_methodology_of_a_per_mille_rate_and_of_a_count():
    assert "Calcul : 1\u202f000 × (naissances) / (population)." in d.methodology_text(
        "taux_natalite")
    assert "Calcul : colonne « Population » de la feuille Population." in d.methodology_text(
        "population")


def test_plan_methodology_documents_the_status_rule():
    text = d.methodology_text("atteinte_plan")
    assert "« Réalisée » = atteint" in text and "« Abandonnée » = en retard" in text


@pytest.mark.parametrize("code", d.PORTRAIT_CODES)
def test_every_portrait_definition_names_population_columns(code):
    """portrait() reads its columns from the definition: they must exist in the Population
    sheet (schemas), and a ratio carries its factor."""
    population = SHEETS_BY_KEY["population"]
    definition = d.get(code)
    assert definition.domaine == "portrait"
    assert population.column(definition.colonne_numerateur)
    if definition.colonne_denominateur is not None:
        assert population.column(definition.colonne_denominateur)
        assert definition.facteur in (100, 1000) and definition.denominateur
    else:
        assert definition.facteur is None


def test_portrait_gives_every_portrait_definition_from_its_columns():
    """One Population row with every column: portrait() gives each portrait code, in the
    order of the definitions, each value computed from the columns the definition names."""
    from ctg_data.indicators import portrait
    from ctg_data.model import CtgData

    columns = [c.key for c in SHEETS_BY_KEY["population"].columns if c.key != "annee"]
    row = {key: float(10 + i) for i, key in enumerate(columns)}
    data = CtgData({"code_insee": "59999", "nom": "Test", "type": "Commune"},
                   {"population": pd.DataFrame([{"annee": 2022, **row}])})
    frame = portrait(data)
    assert tuple(frame["indicateur"]) == d.PORTRAIT_CODES
    for code, value in zip(frame["indicateur"], frame["valeur"]):
        definition = d.get(code)
        expected = row[definition.colonne_numerateur]
        if definition.colonne_denominateur is not None:
            expected = definition.facteur * expected / row[definition.colonne_denominateur]
        assert value == pytest.approx(expected), code
