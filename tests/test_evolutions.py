"""Like-for-like evolutions (issue 10 §2): a « depuis N » change compares the same components
in both years. The issue's case: 2022 lacks préscolarisation and garde à domicile; the full
rates would show a rise while, like for like, the rate fell 37,1 → 36,9. The rule
(indicators.coverage_change) is the one of the key figures, the bilan and the Territoires
table."""

from __future__ import annotations

import pandas as pd
import pytest

from ctg_data import bilan, indicators, territories
from ctg_data.importing import import_file
from ctg_data.model import CtgData
from ctg_data.storage import Store
from ctg_data.writing import write_workbook
from conftest import page_after_import


def territory(code="59001", nom="Villeneuve-Test", *, full_2022=False) -> CtgData:
    """1 000 children under 3 each year, a 200-place PSU crèche; AM places 171 (2022) then
    169 (2023); préscolarisation 28 and garde à domicile 10 in 2023, absent in 2022 unless
    `full_2022`."""
    accueil = [{"annee": 2023, "enfants_scolarises_2_ans": 28.0, "enfants_gardes_domicile": 10.0}]
    if full_2022:
        accueil.append({"annee": 2022, "enfants_scolarises_2_ans": 25.0,
                        "enfants_gardes_domicile": 12.0})
    tables = {
        "population": pd.DataFrame({"annee": [2022, 2023], "enfants_0_2": [1000.0, 1000.0]}),
        "equipements": pd.DataFrame([{"nom": "Crèche des Tilleuls", "type": "Multi-accueil",
                                      "places": 200.0, "financement": "PSU"}]),
        "assistantes_maternelles": pd.DataFrame({
            "annee": [2022, 2023], "am_agreees": [60.0, 59.0],
            "places_moins_3_ans": [171.0, 169.0]}),
        "accueil_petite_enfance": pd.DataFrame(accueil),
    }
    return CtgData({"code_insee": code, "nom": nom, "type": "Commune", "departement": "59",
                    "debut_ctg": "2021", "fin_ctg": "2024"}, tables)


def test_the_issue_case_is_compared_on_common_components():
    data = territory()
    now, before = indicators.coverage(data, 2023), indicators.coverage(data, 2022)
    # The full rates differ by +3,6 points only because 2023 counts two more components.
    assert now.taux["global"] == pytest.approx(40.7)
    assert before.taux["global"] == pytest.approx(37.1)
    assert indicators.previous_year(data, 2023) == 2022
    change = indicators.coverage_change(now, before)
    assert change.value == pytest.approx(-0.2)
    assert change.comparable and change.partial
    assert change.components == ("eaje_psu", "eaje_hors_psu", "am")
    assert (change.before, change.now) == (pytest.approx(37.1), pytest.approx(36.9))
    assert change.reason == (
        "évolution calculée à composantes égales (EAJE et assistantes maternelles : 37,1 en "
        "2022, 36,9 en 2023) car la préscolarisation et la garde à domicile, comptées en 2023, "
        "ne sont pas renseignées en 2022")
    assert change.qualifier == "à composantes égales (EAJE et assistantes maternelles)"
    sentence = indicators.change_sentence(change)
    assert sentence.startswith("−0,2\u00a0point depuis 2022, évolution calculée à composantes")


def test_sub_rates_and_the_reverse_case():
    data = territory()
    now, before = indicators.coverage(data, 2023), indicators.coverage(data, 2022)
    # Individuel = AM + garde à domicile: compared on the AM alone.
    individuel = indicators.coverage_change(now, before, "individuel")
    assert individuel.value == pytest.approx(-0.2) and individuel.components == ("am",)
    # No préscolarisation in 2022: nothing to compare with, no figure at all.
    prescolarisation = indicators.coverage_change(now, before, "prescolarisation")
    assert prescolarisation.value is None and not prescolarisation.comparable
    assert "préscolarisation, comptée en 2023, n'est pas renseignée en 2022" in \
        prescolarisation.reason
    # EAJE is counted both years: a plain change.
    eaje = indicators.coverage_change(now, before, "eaje")
    assert eaje.value == 0 and not eaje.partial and eaje.reason is None
    # Reverse: the later year lacks a component the earlier one had.
    reverse = indicators.coverage_change(before, now)   # « 2022 since 2023 »: roles swapped
    assert reverse.partial and reverse.value == pytest.approx(0.2)
    assert "renseignées en 2023, ne sont pas comptées en 2022" in reverse.reason


def test_same_components_give_the_plain_difference():
    data = territory(full_2022=True)
    now, before = indicators.coverage(data, 2023), indicators.coverage(data, 2022)
    change = indicators.coverage_change(now, before)
    assert not change.partial and change.reason is None
    assert change.value == now.taux["global"] - before.taux["global"]
    assert indicators.change_sentence(change) == "−0,1\u00a0point depuis 2022"
    assert indicators.coverage_change(now, None).value is None


def test_territories_table_agrees_with_the_single_territory_rule(db_url):
    store = Store(db_url)
    datasets = [territory(), territory("59002", "Autreville", full_2022=True)]
    assert import_file(store, write_workbook(datasets), "deux.xlsx").version_ids
    table = territories.build(store, 2023, 60).set_index("code_insee")
    for code in ("59001", "59002"):
        data = store.load(code)
        change = indicators.coverage_change(indicators.coverage(data, 2023),
                                            indicators.previous_coverage(data, 2023))
        row = table.loc[code]
        assert row["annee_precedente"] == 2022
        assert row["evolution_taux_global"] == pytest.approx(change.value, abs=1e-12)
        note = row["evolution_note"]
        assert (None if pd.isna(note) else note) == change.reason
    assert table.loc["59001", "evolution_taux_global"] == pytest.approx(-0.2)
    assert "à composantes égales" in table.loc["59001", "evolution_note"]
    store.close()


def test_bilan_says_the_evolution_like_for_like():
    content = bilan.bilan_content(territory(), 2023, images=False)
    texts = [b.text for b in content.blocks if isinstance(b, bilan.Paragraph)]
    texts += [line for b in content.blocks if isinstance(b, bilan.Bullets) for line in b.items]
    evolution = [t for t in texts if "depuis 2022" in t]
    assert evolution and all("à composantes égales" in t for t in evolution)
    assert not any("+3,6" in t for t in texts)


def test_key_figures_show_no_arrow_on_an_unlike_comparison(db_url):
    at = page_after_import(db_url, [territory()], "pages/offre_besoins.py", annee=2023)
    shown = {m.label: m.proto for m in at.metric}
    rate = shown["Taux de couverture global"]
    assert rate.body == "40,7"
    assert rate.delta == "−0,2\u00a0point"      # like for like, not +3,6
    assert rate.delta_description == "depuis 2022, à composantes égales"
    assert "37,1 en 2022, 36,9 en 2023" in rate.help
    prescolarisation = shown["Préscolarisation"]
    assert prescolarisation.delta == ""         # no arrow at all
    assert "Évolution depuis 2022 non affichée" in prescolarisation.help
    at.switch_page("pages/accueil.py").run()
    assert not at.exception
    assert {m.label: m.proto for m in at.metric}["Taux de couverture global"].delta == \
        "−0,2\u00a0point"
