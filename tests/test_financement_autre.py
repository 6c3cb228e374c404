"""« Autre » financing (issue 10 §6): an EAJE financed neither by the PSU nor by the PAJE is
not in the Cnaf-comparable rate; it is shown apart, in the offer outside the rate, with an
alert naming the structures — in the single-territory figures, the cross-territory table,
the Offre et besoins page, the CLI JSON and the bilan."""

from __future__ import annotations

import pandas as pd
import pytest

from ctg_data import bilan, indicators, territories
from ctg_data.importing import import_file
from ctg_data.model import CtgData
from ctg_data.storage import Store
from ctg_data.writing import write_workbook
from conftest import page_after_import


def territory() -> CtgData:
    """400 children; a PSU crèche (30), a PAJE micro-crèche (10), a company crèche financed
    by « Autre » (20), an « Autre » crèche in another commune (12: outside the territory)."""
    equipements = pd.DataFrame([
        {"nom": "Crèche municipale", "type": "Multi-accueil", "places": 30.0,
         "financement": "PSU"},
        {"nom": "Micro-crèche Les Lutins", "type": "Micro-crèche", "places": 10.0,
         "financement": "PAJE"},
        {"nom": "Crèche d'entreprise Zénith", "type": "Crèche collective", "places": 20.0,
         "financement": "Autre"},
        {"nom": "Crèche voisine", "type": "Crèche collective", "places": 12.0,
         "financement": "Autre", "commune": "Roubaix"},
    ])
    return CtgData({"code_insee": "59001", "nom": "Villeneuve-Test", "type": "Commune",
                    "debut_ctg": "2021", "fin_ctg": "2024"}, {
        "population": pd.DataFrame({"annee": [2023], "enfants_0_2": [400.0]}),
        "equipements": equipements,
        "assistantes_maternelles": pd.DataFrame({"annee": [2023], "am_agreees": [40.0],
                                                 "places_moins_3_ans": [100.0]}),
        "accueil_petite_enfance": pd.DataFrame({"annee": [2023],
                                                "enfants_scolarises_2_ans": [8.0],
                                                "enfants_gardes_domicile": [4.0]}),
    })


def test_autre_is_outside_the_rate_and_named():
    c = indicators.coverage(territory(), 2023)
    assert c.places["eaje_psu"] == 30 and c.places["eaje_hors_psu"] == 10
    assert c.places["hors_taux_autre"] == 20
    assert c.places["hors_territoire"] == 12
    assert c.places["total"] == 30 + 10 + 100 + 4 + 8
    assert c.taux["global"] == pytest.approx(100 * 152 / 400)
    alert = [a for a in c.alertes if a.startswith(indicators.AUTRE_ALERT)]
    assert alert == ["EAJE au financement « Autre » (ni PSU ni PAJE) en 2023, non comptés dans "
                     "le taux comparable à la Cnaf et montrés à part : Crèche d'entreprise "
                     "Zénith (20 places)."]
    assert [p.code for p in c.problems] == ["couverture_financement_autre"]
    lines = dict(c.detail)
    assert lines["Crèche d'entreprise Zénith (Crèche collective, financement Autre) : hors du "
                 "taux comparable à la Cnaf, non compté"] == 20
    assert lines["EAJE au financement « Autre », hors du taux (non comptés)"] == 20
    assert indicators.indicators_json(territory(), 2023)["places"]["hors_taux_autre"] == 20
    series = indicators.coverage_series(territory())
    assert series["places_hors_taux_autre"].tolist() == [20.0]


def test_cross_territory_table_agrees(db_url):
    store = Store(db_url)
    assert import_file(store, write_workbook([territory()]), "autre.xlsx").version_ids
    table = territories.build(store, 2023, 60).set_index("code_insee")
    c = indicators.coverage(store.load("59001"), 2023)
    assert table.loc["59001", "places_hors_taux_autre"] == c.places["hors_taux_autre"] == 20
    assert table.loc["59001", "places_eaje_psu"] == 30
    assert table.loc["59001", "taux_couverture_global"] == pytest.approx(c.taux["global"])
    assert territories.LABELS["places_hors_taux_autre"] in \
        territories.french_headers(table.reset_index()).columns
    store.close()


def test_offre_page_and_bilan_show_it_apart(db_url):
    at = page_after_import(db_url, [territory()], "pages/offre_besoins.py", annee=2023)
    warnings = [w.value for w in at.warning if "Autre" in w.value]
    assert len(warnings) == 1 and "Zénith" in warnings[0] and "20\u00a0places hors du taux" \
        in warnings[0]
    content = bilan.bilan_content(territory(), 2023, images=False)
    texts = [b.text for b in content.blocks if isinstance(b, bilan.Paragraph)]
    assert any(t.startswith("Offre hors du taux comparable à la Cnaf : 20\u00a0places")
               and "Zénith" in t for t in texts)
