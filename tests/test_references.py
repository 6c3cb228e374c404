"""National reference table and comparisons: sourced, unconfirmed values kept out, never mixed."""

import pandas as pd
import pytest

from ctg_data import references as refs
from ctg_data.model import CtgData

TERRITOIRE = {"code_insee": "59367", "nom": "Lys-lez-Lannoy", "type": "Commune",
              "departement": "59", "epci": "Métropole Européenne de Lille"}


def territory() -> CtgData:
    """2021: 100 children; PSU 20, AM 30, GAD 2, presco 3 → 55 places per 100."""
    return CtgData(territoire=dict(TERRITOIRE), tables={
        "population": pd.DataFrame([{"annee": 2021, "enfants_0_2": 100.0, "population": 5000.0,
                                     "taux_pauvrete": 19.8}]),
        "equipements": pd.DataFrame([{"nom": "Crèche", "type": "Multi-accueil",
                                      "places": 20.0}]),
        "assistantes_maternelles": pd.DataFrame([{"annee": 2021, "am_agreees": 10.0,
                                                  "places_moins_3_ans": 30.0}]),
        "accueil_petite_enfance": pd.DataFrame([{"annee": 2021, "enfants_gardes_domicile": 2.0,
                                                 "enfants_scolarises_2_ans": 3.0}]),
    })


def ref(niveau, code, nom, indicateur, valeur, annee=2021, **kw):
    return {"niveau": niveau, "code": code, "nom": nom, "annee": annee, "indicateur": indicateur,
            "valeur": valeur, "source": "data.caf.fr", "edition": "2024", **kw}


def test_bundled_table_is_sourced_and_confirmed_only_by_default():
    table = refs.national_references()
    assert list(table.columns) == list(refs.REFERENCE_COLUMNS)
    assert table["confirme"].all()
    assert table["source"].str.len().gt(0).all() and table["edition"].str.len().gt(0).all()
    assert set(table["niveau"]) == {"france"} and set(table["code"]) == {"FR"}
    glob = table[table["indicateur"] == "taux_couverture_global"].set_index("annee")["valeur"]
    assert glob.index.is_unique          # one edition shown per year
    # domain.md §3 (updated): every published year, 2017 and 2023 now confirmed.
    assert glob.to_dict() == {2009: 48.7, 2013: 55.1, 2014: 56.1, 2015: 56.6, 2016: 57.7,
                              2017: 58.9, 2019: 59.8, 2020: 58.8, 2021: 59.4, 2022: 59.5,
                              2023: 60.9}


def test_other_editions_are_kept_apart():
    """2022: 59,5 (revised data.caf.fr file) is shown; the first estimate 60,3 is another
    edition, kept but never shown by default (2016 likewise: final 57,7, provisional 58,1)."""
    every = refs.national_references(all_editions=True)
    g2022 = every[(every["annee"] == 2022) & (every["indicateur"] == "taux_couverture_global")]
    assert sorted(g2022["valeur"]) == [59.5, 60.3]
    assert g2022["edition"].nunique() == 2 and g2022["source"].str.len().gt(0).all()
    shown = refs.national_references()
    assert shown.loc[(shown["annee"] == 2022), "valeur"].tolist() == [59.5]
    assert shown.loc[(shown["annee"] == 2016), "valeur"].tolist() == [57.7]
    y2023 = shown[shown["annee"] == 2023].set_index("indicateur")["valeur"]
    assert y2023["taux_couverture_psu"] == 19.9 and y2023["taux_couverture_gad"] == 2.2
    assert y2023["taux_couverture_eaje"] == 23.5 and y2023["taux_couverture_individuel"] == 34.1
    # The components add up to the published total (domain.md: 19,9+3,6+3,3+31,9+2,2).
    parts = ("psu", "hors_psu", "prescolarisation", "am", "gad")
    assert sum(y2023[f"taux_couverture_{p}"] for p in parts) == pytest.approx(60.9)


def test_comparison_keeps_local_and_published_apart():
    published = pd.DataFrame([
        ref("commune", "59367", "Lys-lez-Lannoy", "taux_couverture_global", 52.0),
        ref("epci", "200093201", "Métropole Européenne de Lille", "taux_couverture_global", 57.0),
        ref("departement", "59", "Nord", "taux_couverture_global", 50.0),
        ref("departement", "62", "Pas-de-Calais", "taux_couverture_global", 49.0),
        ref("commune", "59350", "Lille", "taux_couverture_global", 70.0),
        ref("departement", "59", "Nord", "taux_couverture_global", 48.0, annee=2020),
    ])
    table = refs.comparison(territory(), 2021, pd.concat([published,
                                                          refs.national_references()]))
    assert list(table["nature"]) == ["calculé localement"] + ["publié par la Cnaf"] * 4
    assert list(table["niveau"]) == ["commune", "commune", "epci", "departement", "france"]
    local = table.iloc[0]
    assert local["libelle"] == "Lys-lez-Lannoy (calculé localement)"
    assert local["taux_couverture_global"] == pytest.approx(55.0)     # (20+30+2+3) / 100
    assert local["taux_couverture_psu"] == pytest.approx(20.0)
    assert local["taux_couverture_individuel"] == pytest.approx(32.0)
    assert table.iloc[1]["taux_couverture_global"] == 52.0           # published, untouched
    assert table.iloc[1]["libelle"] == "Lys-lez-Lannoy (publié par la Cnaf)"
    assert table.iloc[3]["taux_couverture_global"] == 50.0           # same year only
    assert table.iloc[4]["taux_couverture_global"] == 59.4
    assert pd.isna(table.iloc[4]["taux_couverture_eaje"])           # never recomputed


def test_comparison_never_shows_unconfirmed_values():
    unconfirmed = pd.DataFrame([ref("france", "FR", "France", "taux_couverture_global", 61.2,
                                    annee=2024, confirme=False)])
    table = refs.comparison(territory(), 2024, pd.concat([refs.national_references(),
                                                          unconfirmed]))
    assert list(table["nature"]) == ["calculé localement"]
    assert 61.2 not in table.select_dtypes("number").to_numpy()


def test_comparison_without_references():
    table = refs.comparison(territory(), 2021, None)
    assert len(table) == 1 and table.iloc[0]["nature"] == "calculé localement"


def test_portrait_comparison():
    published = pd.DataFrame([ref("epci", "200093201", "MEL", "taux_pauvrete", 18.5),
                              ref("france", "FR", "France", "taux_pauvrete", 15.3)])
    table = refs.portrait_comparison(territory(), 2021, published)
    assert list(table["niveau"]) == ["commune", "france"]   # « MEL » matches neither name nor code
    assert table.iloc[0]["taux_pauvrete"] == 19.8 and table.iloc[1]["taux_pauvrete"] == 15.3
    assert table.iloc[0]["nature"] == "saisi dans le classeur CTG"
    published.loc[0, "code"] = "Métropole Européenne de Lille"
    table = refs.portrait_comparison(territory(), 2021, published)
    assert list(table["niveau"]) == ["commune", "epci", "france"]
