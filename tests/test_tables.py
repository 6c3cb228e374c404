"""The French tables declared in ctg_data.tables: every TableSpec built on the sample workbook
matches its golden CSV (tests/golden/tables/<key>.csv; `CTG_UPDATE_GOLDEN=1` rewrites them),
its formats name columns it has, a page or the bilan shows it, and every table the bilan prints
is a spec's table: its title, source, formats and masked frame."""

import datetime as dt
import os
import re
from pathlib import Path

import pandas as pd
import pytest

from ctg_data import bilan, plan_views, references, secrecy, tables, workbook

REPO = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden" / "tables"
SAMPLE = REPO / "sample_data" / "ctg_lys_lez_lannoy.xlsx"
YEARS = (2024, 2022)           # the sample's latest year, and one inside the CTG period
TODAY = dt.date(2024, 1, 15)   # « Échéance dépassée » of the open decisions depends on it
COMPACT = ("alsh", "indicateurs_axe", "decisions_ouvertes", "comites_annee")
# The tables the sample's bilan prints (every one of them comes from these specs).
BILAN_TABLES = {"chiffres_cles", "portrait_derniere_annee", "places_modes", "references_niveaux",
                "evolution_offre", "besoins_annee", "alsh", "synthese_axes", "evaluation_axe",
                "indicateurs_axe", "decisions_ouvertes", "comites_annee"}


@pytest.fixture(scope="module")
def sample():
    """The sample territory, read from the bundled workbook."""
    return workbook.load_workbook(SAMPLE.read_bytes(), SAMPLE.name).datasets[0]


@pytest.fixture(scope="module")
def printed(sample):
    """The sample's bilan of each year of YEARS (without images, without a store)."""
    return {annee: bilan.bilan_content(sample, annee, images=False) for annee in YEARS}


@pytest.fixture(scope="module")
def refs():
    """The bundled national references (what a territory without stored figures gets)."""
    return references.national_references()


def _cell(value):
    # Six significant digits: the golden files do not depend on the last bits of a float.
    if isinstance(value, float) and not pd.isna(value):
        return format(value, ".6g")
    return value


def _golden_text(spec, sample, refs, **options) -> str:
    """Both years' tables in one text: a « # année » line, then that year's CSV."""
    parts = []
    for annee in YEARS:
        frame = spec.build(sample, annee, refs, today=TODAY, **options)
        parts.append(f"# année {annee}\n" + frame.astype(object).map(_cell).to_csv(
            sep=";", index=False, lineterminator="\n"))
    return "\n".join(parts)


CASES = [(key, {}) for key in tables.TABLES] + [(key, {"compact": True}) for key in COMPACT]


@pytest.mark.parametrize("key, options", CASES,
                         ids=[k + ("_compact" if o else "") for k, o in CASES])
def test_table_matches_its_golden_file(key, options, sample, refs):
    path = GOLDEN / f"{key}{'_compact' if options else ''}.csv"
    text = _golden_text(tables.TABLES[key], sample, refs, **options)
    if os.environ.get("CTG_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("key", list(tables.TABLES))
def test_formats_name_columns_of_the_frame(key, sample, refs):
    spec = tables.TABLES[key]
    for annee in YEARS:
        for options in ({}, {"compact": True}) if key in COMPACT else ({},):
            frame = spec.build(sample, annee, refs, today=TODAY, **options)
            declared = spec.formats(frame) if callable(spec.formats) else spec.formats
            if options:   # the printed subset of the columns: formats of the columns kept
                assert set(spec.formats_for(frame)) == set(declared) & set(frame.columns)
            else:
                assert set(declared) <= set(frame.columns), set(declared) - set(frame.columns)
            assert set(spec.count_columns) <= set(frame.columns)
            assert set(spec.total_columns) <= set(spec.count_columns)


def _page_source() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in (REPO / "pages").glob("*.py"))


def _bilan_table_keys(content, sample) -> dict[str, tuple[str, str | None]]:
    """The bilan's table titles that are a spec's title: title -> (spec key, axis or None)."""
    titles = {}
    for key, spec in tables.TABLES.items():
        for axe in plan_views.axes(sample) if "{axe}" in spec.titre else [None]:
            title = spec.title(content.annee, **({} if axe is None else {"axe": axe}))
            assert title not in titles, f"{key} and {titles[title][0]} share « {title} »"
            titles[title] = (key, axe)
    return {t.title: titles[t.title] for t in content.tables() if t.title in titles}


@pytest.mark.parametrize("key", list(tables.TABLES))
def test_every_table_is_shown_by_a_page_or_the_bilan(key, printed, sample):
    # A page shows a spec's table through `ctg_ui.spec_table("key", …)`.
    on_page = re.search(rf"spec_table\(\s*[\"']{re.escape(key)}[\"']", _page_source())
    in_bilan = any(k == key for content in printed.values()
                   for k, _ in _bilan_table_keys(content, sample).values())
    assert on_page or in_bilan
    assert in_bilan == (key in BILAN_TABLES)


def test_titles_and_file_names_fill_their_fields():
    values = tables.TABLES["indicateurs_axe"]
    assert values.title(2023, axe="Axe 1") == "Valeurs des indicateurs — Axe 1"
    assert values.file_name(2023, numero=2) == "indicateurs_axe_2_2023"
    assert tables.TABLES["alsh"].file_name(2022) == "alsh-2022"
    assert tables.TABLES["comites"].file_name(None) == "comites"


def test_mask_hides_small_counts_with_the_specs_rules():
    places = pd.DataFrame({"Mode d'accueil": ["EAJE PSU", "Garde à domicile", "Total"],
                           "Places": [40.0, 3.0, 43.0]})
    masked, note = tables.TABLES["places_modes"].mask(places, 5)
    # The 3 is masked; the total minus 40 would give it back, so the 40 is masked too.
    assert masked["Places"].tolist() == ["s", "s", 43.0] and "masqués" in note
    mixed = pd.DataFrame({"Indicateur": ["Familles", "Taux"], "Valeur": [3.0, 3.0],
                          "Unité": ["familles", "%"], "Année": [2022, 2022]})
    masked, _ = tables.TABLES["chiffres_cles"].mask(mixed, 5)
    assert masked["Valeur"].tolist() == ["s", 3.0]   # a rate is not a count of people


def test_the_needs_page_table_masks_its_small_counts_of_people(sample):
    """The Besoins table mixes units: on the page's downloads (and the bilan), « 3 familles »
    is masked, « 38 % » and « 12 places » are not."""
    spec = tables.TABLES["besoins"]
    frame = pd.DataFrame({"Année": [2023] * 3, "Thème": ["Enquête"] * 3,
                          "Indicateur": ["Familles en attente", "Satisfaction", "Places"],
                          "Valeur": [3.0, 38.0, 12.0], "Unité": ["familles", "%", "places"],
                          "Source": ["Caf"] * 3})
    masked, note = spec.mask(frame, 5)
    assert masked["Valeur"].tolist() == ["s", 38.0, 12.0] and "masqués" in note
    assert spec.display(frame)["Valeur"].tolist()[1:] == ["38\u202f%", "12\u00a0places"]


def test_the_page_tables_pass_precomputed_inputs(sample, refs):
    """A caller that already computed the plan status or the ALSH coverage gets the same
    table as the spec computing them itself."""
    from ctg_data import indicators

    status = indicators.plan_status(sample, 2023)
    for key in ("synthese_axes", "indicateurs_axe", "evaluation_axe"):
        pd.testing.assert_frame_equal(tables.TABLES[key].build(sample, 2023, status=status),
                                      tables.TABLES[key].build(sample, 2023))
    alsh = indicators.alsh_coverage(sample, 2023)
    pd.testing.assert_frame_equal(tables.TABLES["alsh"].build(sample, 2023, alsh=alsh),
                                  tables.TABLES["alsh"].build(sample, 2023))


def _bilan_build(spec, sample, annee, axe, printed_frame):
    """The spec's frame built with the options the bilan uses, masked as the bilan masks it
    (`TableSpec.mask`; `secrecy.mask_plan_values` for the plan's values and evaluation)."""
    threshold = secrecy.secrecy_threshold()
    options = {"compact": True} if spec.key in COMPACT else {}
    if axe is not None:
        options["axe"] = axe
    if spec.key == "references_niveaux":
        # The local rates the bilan hides (they would give a masked count of places back).
        hidden = {k for k, label in (("global", "Taux global"), ("eaje", "EAJE"),
                                     ("individuel", "Individuel"),
                                     ("prescolarisation", "Préscolarisation"))
                  if printed_frame.at[0, label] == secrecy.SECRET}
        options["hidden"] = hidden
    if spec.key in ("indicateurs_axe", "evaluation_axe"):
        # Masked together: a masked value masks its achievement in both tables.
        values = tables.TABLES["indicateurs_axe"].build(sample, annee, axe=axe, compact=True)
        evaluation = tables.TABLES["evaluation_axe"].build(sample, annee, axe=axe)
        values, note = secrecy.mask_plan_values(values, evaluation, annee, threshold)
        return (values if spec.key == "indicateurs_axe" else evaluation), note
    return spec.mask(spec.build(sample, annee, None, **options), threshold)


@pytest.mark.parametrize("annee", YEARS)
def test_the_bilan_prints_the_specs_tables(annee, printed, sample):
    """Page and bilan show the same table: every table block of the sample's bilan has a
    spec's title, and that spec's source, formats and masked frame (its rows, its columns)."""
    content = printed[annee]
    keys = _bilan_table_keys(content, sample)
    assert [t.title for t in content.tables()] == list(keys)   # no table of its own
    needs = (sample.table("besoins")["annee"] == annee).any()   # none in 2024
    assert {k for k, _ in keys.values()} == BILAN_TABLES - (set() if needs else {"besoins_annee"})
    for table in content.tables():
        key, axe = keys[table.title]
        spec = tables.TABLES[key]
        expected, note = _bilan_build(spec, sample, annee, axe, table.frame)
        # check_dtype: the bilan cleans control characters, which turns text columns to str.
        pd.testing.assert_frame_equal(table.frame.reset_index(drop=True),
                                      expected.reset_index(drop=True), check_dtype=False)
        assert dict(table.formats) == spec.formats_for(expected), key
        assert table.source == spec.source, key
        assert note in table.note, key


def test_the_bilan_masks_its_tables_with_the_specs_rules():
    """3 children in garde à domicile (under the threshold of 5): the bilan's places table is
    the spec's, masked by its rules (the 3, and the smallest other part with it)."""
    small = bilan_test_territory()
    content = bilan.bilan_content(small, 2023, images=False)
    spec = tables.TABLES["places_modes"]
    printed = next(t for t in content.tables() if t.title == spec.title(2023))
    expected, note = spec.mask(spec.build(small, 2023), secrecy.secrecy_threshold())
    assert secrecy.SECRET in expected["Places"].tolist() and note
    pd.testing.assert_frame_equal(printed.frame, expected, check_dtype=False)
    assert printed.note == note


def bilan_test_territory():
    """400 children under 3, 30 EAJE places, 120 AM places, 3 children in garde à domicile."""
    from ctg_data.model import CtgData

    return CtgData({"code_insee": "59999", "nom": "Villeneuve-Test", "type": "Commune"}, {
        "population": pd.DataFrame([{"annee": 2023, "enfants_0_2": 400.0}]),
        "equipements": pd.DataFrame([{"nom": "Multi", "type": "Multi-accueil",
                                      "places": 30.0}]),
        "assistantes_maternelles": pd.DataFrame([{"annee": 2023, "am_agreees": 40.0,
                                                  "places_moins_3_ans": 120.0}]),
        "accueil_petite_enfance": pd.DataFrame([{"annee": 2023, "enfants_gardes_domicile": 3.0,
                                                 "enfants_scolarises_2_ans": 10.0}])})
