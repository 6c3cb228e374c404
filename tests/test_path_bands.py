"""Bands on the path to the target (issue 10 §3): before the target year, « en bonne voie » /
« en retard » compare the value with the straight path from the reference (its year) to the
target (the target year); « atteint » stays ≥ 100 % of the target; the margin stays the
setting. The issue's case: 160 (2021) → 100 by 2025, at 120 in 2023, was « En retard (67 %) »
mid-way although ahead of the path."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from ctg_data import charts, indicators, plan_views, territories
from ctg_data.model import CtgData

NAN = np.nan


def plan(*rows: dict) -> CtgData:
    """A CTG 2021-2025 whose plan holds `rows` (values by year « 2021 »… « 2025 »)."""
    base = {"axe": "Axe 1", "action": "Action", "numero_action": "1", "unite": "demandes",
            "sens": "Hausse", "valeur_reference": NAN, "annee_reference": None, "cible": NAN,
            "annee_cible": None, "statut": "En cours"}
    frame = pd.DataFrame([base | {"indicateur": f"Indicateur {i}"} | r
                          for i, r in enumerate(rows)])
    for year in ("2021", "2022", "2023", "2024", "2025"):
        if year not in frame:
            frame[year] = NAN
        frame[year] = frame[year].astype("float64")
    return CtgData({"code_insee": "59001", "nom": "Villeneuve-Test", "debut_ctg": "2021",
                    "fin_ctg": "2025"}, {"plan_action": frame})


ISSUE = dict(sens="Baisse", valeur_reference=160.0, annee_reference=2021, cible=100.0,
             annee_cible=2025)


def test_the_issue_case_is_on_track_mid_way():
    data = plan(ISSUE | {"2023": 120.0})
    row = indicators.plan_status(data, 2023).iloc[0]
    assert row["atteinte_pct"] == pytest.approx(200 / 3)       # 67 % of the way…
    assert row["attendu_pct"] == pytest.approx(50.0)           # …when the path expects 50 %
    assert row["valeur_attendue"] == pytest.approx(130.0)      # 120 is below 130: ahead
    assert row["niveau"] == "en bonne voie"
    table = plan_views.evaluation_table(data, "Axe 1", 2023)
    assert table["Niveau d'atteinte"].tolist() == [
        "En bonne voie (67\u202f% ; 50\u202f% attendus en 2023 sur la trajectoire)"]
    values = plan_views.indicator_values_table(indicators.plan_status(data, 2023))
    assert values["Valeur attendue (trajectoire)"].tolist() == [pytest.approx(130.0)]


@pytest.mark.parametrize("value, niveau", [
    (150.0, "en retard"),       # 17 % of the way, 85 % of the 50 % expected is 42,5 %
    (134.0, "en bonne voie"),   # 43,3 %: behind the path (130) but within the margin
    (136.0, "en retard"),       # 40 % < 42,5 %
    (100.0, "atteint"),         # the target reached early
    (90.0, "atteint"),          # passed
])
def test_behind_and_ahead_of_the_path_baisse(value, niveau):
    assert indicators.plan_status(plan(ISSUE | {"2023": value}), 2023).iloc[0]["niveau"] == niveau


@pytest.mark.parametrize("value, niveau", [
    (110.0, "en retard"),       # 83 % of the target in the target year: below 85 %
    (108.0, "en bonne voie"),   # 86,7 %
    (100.0, "atteint"),
])
def test_on_the_target_year_the_whole_target_counts(value, niveau):
    row = indicators.plan_status(plan(ISSUE | {"2025": value}), 2025).iloc[0]
    assert row["attendu_pct"] == pytest.approx(100.0)
    assert row["niveau"] == niveau


def test_hausse_the_margin_setting_and_no_path():
    hausse = dict(valeur_reference=0.0, annee_reference=2020, cible=10.0, annee_cible=2024)
    # 2022: the path expects 5; 4 is 40 % < 85 % × 50 %; 5 is on it.
    assert indicators.plan_status(plan(hausse | {"2022": 4.0}), 2022).iloc[0]["niveau"] == \
        "en retard"
    assert indicators.plan_status(plan(hausse | {"2022": 5.0}), 2022).iloc[0]["niveau"] == \
        "en bonne voie"
    # The margin stays the setting: with 50 %, 4 (80 % of the expected 50 %) is on track.
    assert indicators.plan_status(plan(hausse | {"2022": 4.0}), 2022, marge=50).iloc[0][
        "niveau"] == "en bonne voie"
    # At the reference year itself nothing is expected yet.
    assert indicators.expected_share(2020, 0, 2020, 10, 2024) == 0
    # Without a reference year (or a target year) the band compares with the whole target.
    no_year = hausse | {"annee_reference": None, "2022": 5.0}
    row = indicators.plan_status(plan(no_year), 2022).iloc[0]
    assert pd.isna(row["attendu_pct"]) and row["niveau"] == "en retard"
    assert indicators.band(50.0, 85.0) == "en retard"
    assert indicators.band(50.0, 85.0, attendu=50.0) == "en bonne voie"
    assert "85 %" in indicators.band_explanation(85.0)


def test_cross_territory_bands_agree_on_a_grid():
    """territories.plan_levels (arrays) gives the band of indicators.plan_status (rows)."""
    rows = []
    for sens, (ref, target), ref_year, target_year, value, year in itertools.product(
            ("Hausse", "Baisse"), ((0.0, 10.0), (160.0, 100.0), (5.0, 5.0), (NAN, 8.0)),
            (2021, None), (2025, 2023, None), (NAN, 0.0, 4.0, 7.0, 9.9, 120.0, 100.0),
            ("2022", "2024")):
        rows.append({"sens": sens, "valeur_reference": ref, "cible": target,
                     "annee_reference": ref_year, "annee_cible": target_year, year: value})
    data = plan(*rows)
    for annee in (2022, 2023, 2025):
        expected = indicators.plan_status(data, annee)["niveau"].tolist()
        table = data.table("plan_action")
        assert territories.plan_levels(table, annee).tolist() == expected
    assert set(expected) >= {"atteint", "en bonne voie", "en retard", "non renseigné"}


def test_fiche_chart_draws_the_path():
    data = plan(ISSUE | {"2022": 140.0, "2023": 120.0})
    status = indicators.plan_status(data, 2023).iloc[0]
    fig = charts.plan_indicator_figure(status, data.table("plan_action").iloc[0],
                                       [2021, 2022, 2023, 2024, 2025])
    path = next(t for t in fig.data if t.name == "Trajectoire vers la cible")
    assert list(path.x) == [2021, 2025] and list(path.y) == [160.0, 100.0]
    assert "En bonne voie" in fig.to_json()   # the band in the subtitle
