"""The cross-territory table (ctg_data.territories): every column equals the single-territory
figures of ctg_data.indicators for three different territories, filters and sorting as pure
functions, and the command line `indicators --tous` in json, csv and xlsx."""

from __future__ import annotations

import io
import json
import math

import numpy as np
import openpyxl
import pandas as pd
import pytest

from conftest import SAMPLE
from ctg_data import cli, indicators, territories
from ctg_data.importing import import_file
from ctg_data.model import CtgData
from ctg_data.schemas import TABLE_SHEETS
from ctg_data.storage import Store
from ctg_data.workbook import load_workbook
from ctg_data.writing import write_workbook

CIBLE = 60.0
CODES = ("59367", "200093201", "59013")


def three_territories() -> list[CtgData]:
    """The sample and two modified copies that exercise the counting rules: an EPCI with
    member communes (a structure in a member commune, one outside), an AM row without places
    for under-3s, a missing garde à domicile, a population year missing, a closed and a
    future structure, a micro-crèche without financing, an empty sheet, a plan with another
    year column."""
    sample = load_workbook(SAMPLE.read_bytes(), SAMPLE.name).datasets[0]

    epci = {k: v.copy() for k, v in sample.tables.items()}
    eq = epci["equipements"]
    eq.loc[eq["nom"] == "Multi-accueil La Pépinière", "commune"] = "Hem"
    eq.loc[eq["nom"] == "Micro-crèche Au pays des Merveilles", "commune"] = "Roubaix"
    am = epci["assistantes_maternelles"]
    am.loc[am["annee"] == 2023, "places_moins_3_ans"] = np.nan
    acc = epci["accueil_petite_enfance"]
    acc.loc[acc["annee"] == 2022, "enfants_gardes_domicile"] = np.nan
    pop = epci["population"]
    pop["enfants_0_2"] = pop["enfants_0_2"] * 3
    second = CtgData(sample.territoire | {
        "code_insee": "200093201", "nom": "Communauté des Trois Villes", "type": "EPCI",
        "departement": "62", "epci": None, "communes_membres": "Hem ; 59299 ; Lys-lez-Lannoy"},
        epci, sample.present)

    small = {k: v.copy() for k, v in sample.tables.items()}
    pop = small["population"]
    pop.loc[pop["annee"] == 2023, "enfants_0_2"] = np.nan
    pop["enfants_0_2"] = (pop["enfants_0_2"] / 4).round()
    eq = small["equipements"]
    eq.loc[eq["nom"] == "Micro-crèche Ma Cachette", "fermeture"] = "2022"
    eq.loc[eq["nom"] == "Micro-crèche Au pays des Merveilles", "financement"] = None
    eq.loc[len(eq)] = {"nom": "Crèche des Prés", "type": "Crèche collective", "places": 30.0,
                       "financement": "PSU", "ouverture": "2023-03-01"}
    small["alsh"] = small["alsh"].iloc[0:0]
    plan = small["plan_action"]
    plan["2024"] = plan["2023"] * 1.5
    plan.loc[0, "2023"] = np.nan
    plan.loc[1, ["cible", "valeur_reference", "2021", "2022", "2023", "2024"]] = np.nan
    plan.loc[1, "statut"] = "Réalisée"
    plan.loc[2, "sens"] = "Baisse"
    third = CtgData(sample.territoire | {"code_insee": "59013", "nom": "Anstaing",
                                         "epci": "Métropole Européenne de Lille",
                                         "fin_ctg": "2024"},
                    small, sample.present)
    return [sample, second, third]


@pytest.fixture
def store(db_url):
    """A database holding the three territories, imported as one workbook."""
    s = Store(db_url)
    outcome = import_file(s, write_workbook(three_territories()), "trois.xlsx", author="test")
    assert len(outcome.version_ids) == 3, outcome.report.lines()
    yield s
    s.close()


def same(a, b) -> bool:
    """Both missing, or equal numbers (to float rounding), or equal values."""
    def missing(x):
        return x is None or x is pd.NA or (isinstance(x, float) and math.isnan(x))
    if missing(a) or missing(b):
        return missing(a) and missing(b)
    if isinstance(a, (int, float, np.number)) and isinstance(b, (int, float, np.number)):
        return math.isclose(float(a), float(b), rel_tol=1e-12, abs_tol=1e-12)
    return a == b


def coverage_inputs_years(data: CtgData) -> list[int]:
    """The years of a territory's coverage sheets (the rule of the evolution column)."""
    years = set()
    for key in territories.COVERAGE_SHEETS:
        years.update(int(y) for y in data.table(key)["annee"].dropna())
    return sorted(years)


@pytest.mark.both_backends
def test_coverage_of_every_year_equals_single_territory(store):
    tables = territories.load(store)
    series = territories.coverage_table(tables, cible=CIBLE).set_index(["code_insee", "annee"])
    years = territories.coverage_years(tables)
    assert years == [2020, 2021, 2022, 2023, 2024]
    checked = 0
    for code in CODES:
        data = store.load(code)
        for year in years:
            c = indicators.coverage(data, year, cible=CIBLE)
            row = series.loc[(code, year)]
            expected = {"enfants_moins_3_ans": c.enfants_moins_3_ans,
                        "annee_population": c.annee_population,
                        "places_manquantes": c.places_manquantes,
                        "demandes_pour_100": c.demandes_pour_100, "complet": c.complet}
            expected |= {f"places_{k}": v for k, v in c.places.items()}
            expected |= {f"taux_couverture_{k}": v for k, v in c.taux.items()}
            for column, value in expected.items():
                assert same(row[column], value), (code, year, column, row[column], value)
                checked += 1
    assert checked == 3 * 5 * 17   # places: 5 components, total, hors territoire, hors taux
    # The rules were exercised, not only the sample's simple case.
    epci = series.loc[("200093201", 2023)]
    assert epci["places_hors_territoire"] == 5 + 2 + 10     # berceaux + EAJE outside
    assert not series.loc[("200093201", 2022)]["complet"]   # garde à domicile missing
    assert series.loc[("59013", 2023)]["annee_population"] == 2022


@pytest.mark.both_backends
@pytest.mark.parametrize("annee", [2022, 2023])
def test_table_equals_single_territory_figures(store, annee):
    s = store
    refs = pd.DataFrame([
        {"niveau": "commune", "code": "59367", "nom": "Lys-lez-Lannoy", "annee": annee,
         "indicateur": "taux_couverture_global", "valeur": 61.2, "source": "Cnaf",
         "edition": "2024"},
        {"niveau": "departement", "code": "59", "nom": "Nord", "annee": annee,
         "indicateur": "taux_couverture_global", "valeur": 60.0, "source": "Cnaf",
         "edition": "2024"}])
    s.save_references(refs, file_name="txcouv.csv", content_hash=None)
    table = territories.build(s, annee, CIBLE).set_index("code_insee")
    assert list(table.index) == sorted(CODES)
    assert "taux_couverture_global" in table.columns
    for code in CODES:
        data = s.load(code)
        row = table.loc[code]
        c = indicators.coverage(data, annee, cible=CIBLE)
        assert same(row["taux_couverture_global"], c.taux["global"])
        assert same(row["places_manquantes"], c.places_manquantes)
        assert row["nom"] == data.nom and row["type"] == (data.territoire["type"] or "Commune")
        # Plan summary = plan_status of the year, band by band.
        counts = indicators.plan_status(data, annee)["niveau"].value_counts()
        for niveau, column in (("atteint", "plan_atteint"), ("en bonne voie",
                               "plan_en_bonne_voie"), ("en retard", "plan_en_retard"),
                               ("non renseigné", "plan_non_renseigne")):
            assert row[column] == counts.get(niveau, 0), (code, niveau)
        # Evolution against the previous year of the coverage inputs, like for like: the
        # single-territory rule (indicators.coverage_change, the components of both years).
        prev_year = max(y for y in coverage_inputs_years(data) if y < annee)
        prev = indicators.coverage(data, prev_year)
        assert row["annee_precedente"] == prev_year
        assert indicators.previous_year(data, annee) == prev_year
        change = indicators.coverage_change(c, prev)
        assert same(row["evolution_taux_global"], change.value)
        assert same(row["evolution_note"], change.reason)
        lacking = [k for k in ("am", "gad", "prescolarisation")
                   if c.places[k] is not None and prev.places[k] is None]
        if lacking:
            assert change.partial and "garde à domicile" in row["evolution_note"]
        else:
            # The same components in both years: those counted this year.
            counted = [k for k in ("eaje_psu", "eaje_hors_psu", "prescolarisation", "am", "gad")
                       if c.places[k] is not None]
            before = sum(100 * prev.places[k] / prev.enfants_moins_3_ans for k in counted)
            assert same(row["evolution_taux_global"], c.taux["global"] - before)
            if len(counted) == 5:
                assert same(before, prev.taux["global"])
        # Missing sheets, version date, published rate in its own column.
        empty = [sheet.name for sheet in TABLE_SHEETS if data.table(sheet.key).empty]
        shown = row["feuilles_manquantes"]
        assert (shown.split(" ; ") if isinstance(shown, str) else []) == empty
        assert empty == (["ALSH"] if code == "59013" else [])
        info = next(t for t in s.territories() if t.code == code)
        assert row["date_version"] == territories._paris_date(info.updated_at)
    assert table.loc["59367", "taux_couverture_global_publie"] == 61.2
    assert "Cnaf" in table.loc["59367", "source_taux_publie"]
    assert table[["taux_couverture_global_publie"]].loc[["200093201", "59013"]].isna().all().all()
    if annee == 2023:   # the EPCI lacks garde à domicile in 2022, counted in 2023
        assert "à composantes égales" in table.loc["200093201", "evolution_note"]


def test_filters_and_sorting(store):
    table = territories.build(store, 2023, CIBLE)
    options = territories.filter_options(table)
    assert options["departement"] == ["59", "62"] and options["type"] == ["Commune", "EPCI"]
    assert set(territories.filter_table(table, departements=["59"])["code_insee"]) == \
        {"59367", "59013"}
    assert list(territories.filter_table(table, types=["EPCI"])["code_insee"]) == ["200093201"]
    assert list(territories.filter_table(table, texte="lys LEZ")["code_insee"]) == ["59367"]
    assert list(territories.filter_table(table, texte="trois villes")["code_insee"]) == \
        ["200093201"]
    assert territories.filter_table(table, epci=["Métropole Européenne de Lille"],
                                    texte="200").empty
    by_rate = territories.sort_table(table, "taux_couverture_global", ascending=False)
    rates = by_rate["taux_couverture_global"].tolist()
    assert rates == sorted(rates, reverse=True)
    assert list(territories.sort_table(table, "nom")["nom"]) == \
        ["Anstaing", "Communauté des Trois Villes", "Lys-lez-Lannoy"]
    french = territories.french_headers(table)
    assert "Taux de couverture global" in french.columns and "Code" in french.columns


def run_cli(args, capsys) -> tuple[int, str, str]:
    code = cli.main(args)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_indicators_all_json_csv_xlsx(store, db_url, capsys, tmp_path):
    code, out, _ = run_cli(["indicators", "--tous", "--annee", "2023", "--format", "json",
                            "--db", db_url], capsys)
    assert code == 0
    rows = json.loads(out)
    assert [r["code_insee"] for r in rows] == sorted(CODES)
    lys = next(r for r in rows if r["code_insee"] == "59367")
    data = store.load("59367")
    assert same(lys["taux_couverture_global"], indicators.coverage(data, 2023).taux["global"])

    code, out, _ = run_cli(["indicators", "--tous", "--annee", "2023", "--format", "csv",
                            "--db", db_url], capsys)
    assert code == 0
    frame = pd.read_csv(io.StringIO(out.lstrip("\ufeff")), sep=";", decimal=",",
                        dtype={"code_insee": str})
    assert len(frame) == 3 and "taux_couverture_global" in frame.columns
    assert math.isclose(frame.set_index("code_insee").loc["59367", "taux_couverture_global"],
                        lys["taux_couverture_global"], rel_tol=1e-9)

    path = tmp_path / "territoires.xlsx"
    code, out, _ = run_cli(["indicators", "--tous", "--annee", "2023", "--format", "xlsx",
                            "--out", str(path), "--db", db_url], capsys)
    assert code == 0 and path.exists()
    sheet = openpyxl.load_workbook(path).active
    cells = [[c.value for c in row] for row in sheet.iter_rows()]
    header = next(r for r in cells if "taux_couverture_global" in r)
    assert sum(1 for r in cells[cells.index(header) + 1:] if r[0] in CODES) == 3

    # xlsx without --out, csv without --tous: French refusals.
    assert run_cli(["indicators", "--tous", "--annee", "2023", "--format", "xlsx", "--db",
                    db_url], capsys)[0] == 1
    code, _, err = run_cli(["indicators", "--format", "csv", "--territoire", "59367", "--db",
                            db_url], capsys)
    assert code == 1 and "--tous" in err


def test_cli_validate_and_import_one_sheet_csv_with_territoire(store, db_url, capsys,
                                                               tmp_path):
    path = tmp_path / "equipements.csv"
    path.write_text("Nom;Type;Places;Financement\nCrèche Neuve;Crèche collective;20;PSU\n",
                    encoding="utf-8")
    code, out, _ = run_cli(["validate", str(path), "--territoire", "59013"], capsys)
    assert code == 0, out
    code, out, _ = run_cli(["import", str(path), "--territoire", "59013", "--db", db_url],
                           capsys)
    assert code == 0, out
    data = store.load("59013")
    assert list(data.table("equipements")["nom"]) == ["Crèche Neuve"]
    assert data.nom == "Anstaing"    # the stored Territoire fields are kept
    code, _, err = run_cli(["import", str(path), "--territoire", "99999", "--db", db_url],
                           capsys)
    assert code == 1 and "99999" in err


def test_achievement_values_equal_the_scalar_rule():
    # Every combination of the edge cases of indicators.achievement: missing values, zero,
    # target equal to the reference, both directions.
    values = [None, 0.0, 5.0, 10.0, 20.0]
    cases = [(l, r, t, s) for l in values for r in values for t in values
             for s in ("Hausse", "Baisse")]
    nan = float("nan")
    got = territories.achievement_values(
        [nan if l is None else l for l, _, _, _ in cases],
        [nan if r is None else r for _, r, _, _ in cases],
        [nan if t is None else t for _, _, t, _ in cases],
        [s == "Baisse" for *_, s in cases])
    for (l, r, t, s), value in zip(cases, got):
        assert same(value, indicators.achievement(l, r, t, s)), (l, r, t, s)


def test_distribution_draws_france_and_departement_lines(store):
    from ctg_data import charts
    from ctg_data.references import national_references

    store.save_references(pd.DataFrame([
        {"niveau": "departement", "code": "59", "nom": "Nord", "annee": 2021,
         "indicateur": "taux_couverture_global", "valeur": 59.6, "source": "Cnaf",
         "edition": "2023"}]), file_name="txcouv_pe_dep.csv", content_hash=None)
    tables = territories.load(store)
    refs = pd.concat([territories.stored_references(store, tables), national_references()],
                     ignore_index=True)
    table = territories.territory_table(tables, 2021, CIBLE, refs)
    fig = charts.distribution_figure(table, 2021, refs)
    lines = {round(shape.x0, 1) for shape in fig.layout.shapes}
    labels = " ".join(a.text for a in fig.layout.annotations)
    # France 2021 (bundled) and Nord 2021 (stored); the EPCI's département 62 has no
    # published rate: no line for it, no invented value.
    assert len(fig.layout.shapes) == 2 and lines == {59.4, 59.6}
    assert "France : 59,4" in labels and "Nord (59) : 59,6" in labels
    series = territories.coverage_table(tables, cible=CIBLE)
    fig = charts.comparison_figure(series, {"59367": "Lys", "59013": "Anstaing"},
                                   2023, refs)
    assert [t.name for t in fig.data][:2] == ["Lys (59367)", "Anstaing (59013)"]
    assert fig.data[-1].name == "France (Cnaf)"


def test_table_from_a_series_of_another_target(store):
    tables = territories.load(store)
    plain_series = territories.coverage_table(tables)          # no target
    table = territories.territory_table(tables, 2023, CIBLE, series=plain_series)
    direct = territories.territory_table(tables, 2023, CIBLE)
    pd.testing.assert_frame_equal(table, direct)
    assert table["places_manquantes"].notna().all()
