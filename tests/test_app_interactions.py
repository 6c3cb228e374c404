"""The main interactions of the dashboard, driven by widget key in AppTest against a real
SQLite database: year and territory, target rate, scenario, upload (with errors, then valid),
restore, chart comment, presentation mode."""

import io
import math
from pathlib import Path

import openpyxl
import pytest
from streamlit.testing.v1 import AppTest

from ctg_data.importing import import_file
from ctg_data.model import CtgData
from ctg_data.storage import Store
from ctg_data.workbook import load_workbook
from ctg_data.writing import write_workbook

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "sample_data" / "ctg_lys_lez_lannoy.xlsx"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NNBSP = "\u202f"


def sample_with(**population_2023) -> bytes:
    """The sample workbook with some cells of the 2023 row of its Population sheet replaced
    (keyword = column header with spaces as underscores, e.g. Enfants_0_2_ans=500)."""
    wb = openpyxl.load_workbook(io.BytesIO(SAMPLE.read_bytes()))
    ws = wb["Population"]
    header_row = next(r for r in ws.iter_rows() if r[0].value == "Année")
    columns = {str(c.value): c.column for c in header_row if c.value}
    row = next(r[0].row for r in ws.iter_rows(min_row=header_row[0].row + 1) if r[0].value == 2023)
    for header, value in population_2023.items():
        ws.cell(row=row, column=columns[header.replace("_", " ").replace("0 2", "0-2")],
                value=value)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@pytest.fixture
def store(db_url):
    """The database seeded with the sample workbook through the normal import."""
    s = Store(db_url)
    outcome = import_file(s, SAMPLE.read_bytes(), SAMPLE.name, author="test")
    assert outcome.version_ids, outcome.message
    yield s
    s.close()


def start(page: str | None = None) -> AppTest:
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=30).run()
    assert not at.exception, [e.value for e in at.exception]
    if page:
        at.switch_page(page).run()
        assert not at.exception, [e.value for e in at.exception]
    return at


def metric(at: AppTest, label_start: str) -> str:
    """The value of the metric whose label starts with `label_start` (exactly one)."""
    found = [m.value for m in at.metric if m.label.startswith(label_start)]
    assert len(found) == 1, (label_start, [m.label for m in at.metric])
    return found[0]


def french(x: float, decimals: int) -> str:
    text = f"{x:,.{decimals}f}"
    return text.replace(",", NNBSP).replace(".", ",")


def test_year_and_territory(db_url):
    # Two territories; the second has other population figures so that the screen must change.
    s = Store(db_url)
    first = load_workbook(SAMPLE.read_bytes(), SAMPLE.name).datasets[0]
    pop = first.table("population").copy()
    pop["population"] = (pop["population"] // 2).astype("float64")
    second = CtgData(first.territoire | {"code_insee": "59013", "nom": "Anstaing"},
                     dict(first.tables) | {"population": pop}, first.present)
    outcome = import_file(s, write_workbook([first, second]), "deux.xlsx")
    assert len(outcome.version_ids) == 2, outcome.message
    at = start()
    # Default year: the latest with population figures (the sample's 2024 row is empty).
    assert at.session_state["annee"] == 2023
    assert at.selectbox(key="w_annee").value == 2023
    at.selectbox(key="w_territoire").set_value("59367").run()
    assert metric(at, "Population") == french(14040, 0)
    at.selectbox(key="w_annee").set_value(2021).run()
    assert at.session_state["annee"] == 2021
    assert metric(at, "Population") == french(13793, 0)
    at.selectbox(key="w_territoire").set_value("59013").run()
    assert at.session_state["territoire"] == "59013"
    assert at.title[0].value == "Anstaing"
    assert metric(at, "Population") == french(13793 // 2, 0)
    # The choices survive a page change.
    at.switch_page("pages/offre_besoins.py").run()
    assert not at.exception
    assert at.session_state["annee"] == 2021 and at.session_state["territoire"] == "59013"
    assert at.selectbox(key="w_annee").value == 2021
    assert at.selectbox(key="w_territoire").value == "59013"
    assert at.title[0].value == "Offre et besoins"
    assert any(h.value == "Taux de couverture 2021" for h in at.header)
    s.close()


def test_target_rate_gives_places_missing(store):
    at = start("pages/offre_besoins.py")
    at.text_input(key="cible").input("70").run()
    assert not at.exception
    enfants = 471   # Population sheet of the sample, 2023, « Enfants 0-2 ans »
    assert metric(at, "Enfants de moins de 3 ans") == "471"
    places = int(metric(at, "Places comptées dans le taux").replace(NNBSP, ""))
    expected = max(0, math.ceil(70 * enfants / 100 - places))
    assert metric(at, "Places manquantes (cible 70)") == french(expected, 0)
    # The rate is places / children, in French format.
    assert metric(at, "Taux de couverture global") == french(100 * places / enfants, 1)
    # The target is application state: it survives a page change.
    at.switch_page("pages/accueil.py").run()
    assert metric(at, "Places manquantes (cible 70)") == french(expected, 0)


def test_scenario_changes_nothing_stored(store):
    at = start("pages/scenarios.py")
    versions = len(store.versions())
    # Each figure appears twice, today then the scenario; both start equal.
    today_rate, same = [m.value for m in at.metric if m.label == "Taux de couverture global"]
    assert same == today_rate
    places = int([m.value for m in at.metric if m.label == "Places comptées dans le taux"][0]
                 .replace(NNBSP, ""))
    at.text_input(key="delta_eaje_psu").input("20").run()
    assert not at.exception
    rates = [m.value for m in at.metric if m.label.startswith("Taux de couverture global")]
    assert rates == [today_rate, french(100 * (places + 20) / 471, 1)]
    at.text_input(key="enfants_scenario").input("400").run()
    rates = [m.value for m in at.metric if m.label.startswith("Taux de couverture global")]
    assert rates == [today_rate, french(100 * (places + 20) / 400, 1)]
    # Back to today's situation, and nothing was stored.
    at.button(key="reinitialiser_scenario").click().run()
    rates = [m.value for m in at.metric if m.label.startswith("Taux de couverture global")]
    assert rates == [today_rate, today_rate]
    assert len(store.versions()) == versions


def test_upload_with_errors_stores_nothing(store):
    at = start("pages/donnees.py")
    bad = sample_with(Population="beaucoup", Enfants_0_2_ans=-3)
    at.file_uploader(key="fichier").set_value(("erreurs.xlsx", bad, XLSX)).run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("2\u00a0erreurs" in e.value and "rien ne sera enregistré" in e.value
               for e in at.error)
    report = at.dataframe[0].value
    assert list(report.columns[:4]) == ["Gravité", "Feuille", "Ligne", "Colonne"]
    errors = report[report["Gravité"] == "Erreur"]
    assert set(errors["Feuille"]) == {"Population"}
    assert set(errors["Colonne"]) == {"Population", "Enfants 0-2 ans"}
    assert set(errors["Ligne"]) == {"7"}   # title row, blank row, header, 2020…2023
    assert not _has(at, "confirmer_import")
    assert len(store.versions()) == 1


def _has(at: AppTest, key: str) -> bool:
    return any(b.key == key for b in at.button)


def test_upload_valid_workbook_then_restore(store):
    at = start("pages/donnees.py")
    at.text_input(key="w_auteur").input("Chef de projet").run()
    good = sample_with(Enfants_0_2_ans=500)
    at.file_uploader(key="fichier").set_value(("mise_a_jour.xlsx", good, XLSX)).run()
    assert not at.exception, [e.value for e in at.exception]
    assert any(df.value["Feuille"].tolist().count("Population") == 1 for df in at.dataframe
               if "Modifiées" in df.value.columns)
    at.button(key="confirmer_import").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("Import réussi" in s.value for s in at.success)
    versions = store.versions()
    assert len(versions) == 2 and versions[0].author == "Chef de projet"
    assert store.load("59367").table("population").set_index("annee").loc[2023,
                                                                          "enfants_0_2"] == 500
    # The figures on screen change.
    at.switch_page("pages/offre_besoins.py").run()
    places = int(metric(at, "Places comptées dans le taux").replace(NNBSP, ""))
    assert metric(at, "Enfants de moins de 3 ans") == "500"
    assert metric(at, "Taux de couverture global") == french(100 * places / 500, 1)

    # Restore the first version, with the confirmation step.
    at.switch_page("pages/donnees.py").run()
    at.selectbox(key="version_a_restaurer").set_value(versions[1].id).run()
    at.button(key="restaurer").click().run()
    assert any("Restaurer la version" in w.value for w in at.warning)
    assert len(store.versions()) == 2          # nothing yet: a confirmation is required
    at.button(key="confirmer_restauration").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert len(store.versions()) == 3
    assert any("restaurée" in s.value for s in at.success)
    assert store.load("59367").table("population").set_index("annee").loc[2023,
                                                                          "enfants_0_2"] == 471
    at.switch_page("pages/offre_besoins.py").run()
    assert metric(at, "Enfants de moins de 3 ans") == "471"


def test_chart_comment_is_saved_and_shown(store):
    at = start("pages/offre_besoins.py")
    at.text_input(key="w_auteur").input("Caf du Nord").run()
    text = "Le taux progresse peu : *priorité* aux micro-crèches."
    at.text_area(key="commentaire_places_modes").input(text).run()
    at.button(key="enregistrer_places_modes").click().run()
    assert not at.exception, [e.value for e in at.exception]
    saved = store.comments("59367", "places_modes")
    assert [(c.text, c.author, c.annee) for c in saved] == [(text, "Caf du Nord", 2023)]
    # Shown again next time, dated, with the markdown of the text made inert.
    at = start("pages/offre_besoins.py")
    shown = [m.value for m in at.markdown if "progresse peu" in m.value]
    assert shown == ["Le taux progresse peu : \\*priorité\\* aux micro-crèches."]
    assert any("Caf du Nord" in m.value for m in at.markdown)


def test_presentation_mode(store):
    at = start()
    at.toggle(key="w_presentation").set_value(True).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["presentation"] is True
    at.switch_page("pages/presentation.py").run()
    assert at.title[0].value.startswith("Présentation")
    assert not _has(at, "demarrer_presentation")
    # No editing control in presentation mode: no comment box, no download.
    assert len(at.text_area) == 0 and len(at.get("download_button")) == 0
    first = at.session_state["diapo"]
    at.button(key="suivant").click().run()
    assert at.session_state["diapo"] == first + 1
    at.button(key="precedent").click().run()
    assert at.session_state["diapo"] == first
    at.button(key="quitter_presentation").click().run()
    assert at.session_state["presentation"] is False
    assert _has(at, "demarrer_presentation")


def test_upload_caf_open_data_adds_a_reference(store):
    # A département file of data.caf.fr (txcouv_pe_dep, field codes, `;`, UTF-8 with BOM).
    header = ["numdep", "nomdep", "numregi", "nomregi", "annee", "txcouv_psu_col_dep",
              "txcouv_hors_psu_col_dep", "txcouv_eaje_dep", "txcouv_prescol_dep",
              "txcouv_am_ind_dep", "txcouv_gad_ind_dep", "txcouv_ind_dep", "txcouv_dep"]
    row = ["59", "Nord", "32", "Hauts-de-France", "2023", "15,5", "4,9", "20,4", "3,1", "30,2",
           "0,6", "30,8", "54,3"]
    content = b"\xef\xbb\xbf" + "\n".join(";".join(r) for r in (header, row)).encode() + b"\n"
    at = start("pages/donnees.py")
    at.file_uploader(key="fichier").set_value(("txcouv_pe_dep.csv", content, "text/csv")).run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("Fichier reconnu" in s.value and "département" in s.value for s in at.success)
    versions = len(store.versions())
    at.button(key="confirmer_opendata").click().run()
    assert not at.exception, [e.value for e in at.exception]
    refs = store.references(niveau="departement", code="59", annee=2023)
    assert refs.set_index("indicateur").loc["taux_couverture_global", "valeur"] == 54.3
    assert len(store.versions()) == versions      # reference data, not a territory version
    # The Nord's published rate now appears beside the territory's own on Offre et besoins.
    at.switch_page("pages/offre_besoins.py").run()
    table = next(df.value for df in at.dataframe if "Territoire" in df.value.columns
                 and "Taux de couverture global" in df.value.columns)
    assert "54,3" in list(table["Taux de couverture global"])
    # The territory, the Nord and France (2023 confirmed in domain.md §3: 60,9).
    assert len(table) == 3
    assert table["Taux de couverture global"].iloc[-1] == "60,9"


def test_map_contour_geojson_kept_for_the_session(store):
    import json

    at = start("pages/diagnostic.py")

    def map_traces():
        charts = [c for c in at.get("plotly_chart")
                  if json.loads(c.proto.spec)["layout"].get("meta", {}).get("chart")
                  == "carte_structures"]
        assert len(charts) == 1
        return [t.get("name") for t in json.loads(charts[0].proto.spec)["data"]]

    assert "Limite communale" not in map_traces()
    square = {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [[
        [3.20, 50.66], [3.24, 50.66], [3.24, 50.68], [3.20, 50.68], [3.20, 50.66]]]}}
    at.file_uploader(key="contour_fichier").set_value(
        ("lys.geojson", json.dumps(square).encode(), "application/geo+json")).run()
    assert not at.exception, [e.value for e in at.exception]
    assert "Limite communale" in map_traces()
    # Kept for the session: still drawn after visiting another page.
    at.switch_page("pages/accueil.py").run()
    at.switch_page("pages/diagnostic.py").run()
    assert "Limite communale" in map_traces()
    # A file that is not GeoJSON is refused in French.
    at.file_uploader(key="contour_fichier").set_value(
        ("faux.geojson", b"\x00\x01pas du json", "application/geo+json")).run()
    assert any("n'est pas un GeoJSON lisible" in e.value for e in at.error)


def test_partial_workbook_updates_only_its_sheet(store):
    # A workbook holding only the ALSH sheet applies to the selected territory.
    wb = openpyxl.load_workbook(io.BytesIO(SAMPLE.read_bytes()))
    for name in wb.sheetnames:
        if name != "ALSH":
            del wb[name]
    ws = wb["ALSH"]
    header = next(r for r in ws.iter_rows() if r[0].value == "Année")
    places = next(c.column for c in header if c.value == "Places")
    first = ws.cell(row=header[0].row + 1, column=places)
    first.value = int(first.value) + 10
    out = io.BytesIO()
    wb.save(out)
    before = store.load("59367")
    at = start("pages/donnees.py")
    at.file_uploader(key="fichier").set_value(("alsh.xlsx", out.getvalue(), XLSX)).run()
    assert not at.exception, [e.value for e in at.exception]
    preview = next(df.value for df in at.dataframe if "Modifiées" in df.value.columns)
    assert list(preview["Feuille"]) == ["ALSH"]
    assert preview.set_index("Feuille").loc["ALSH", "Modifiées"] == "1"
    at.button(key="confirmer_import").click().run()
    assert not at.exception, [e.value for e in at.exception]
    after = store.load("59367")
    assert len(store.versions()) == 2
    assert after.table("alsh")["places"].sum() == before.table("alsh")["places"].sum() + 10
    assert after.table("population").equals(before.table("population"))


def test_example_loads_into_an_empty_database(db_url):
    at = start("pages/donnees.py")
    assert at.session_state["territoire"] is None
    at.button(key="charger_exemple").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("Import réussi" in s.value for s in at.success)
    check = Store(db_url)
    assert [t.code for t in check.territories()] == ["59367"]
    check.close()
    assert at.session_state["territoire"] == "59367"
    assert any("Lys-lez-Lannoy" in s.value for s in at.sidebar.subheader)
    assert not _has(at, "charger_exemple")


def test_without_chromium_images_are_explained(store, monkeypatch, tmp_path):
    monkeypatch.setenv("CTG_CHROMIUM_PATH", str(tmp_path / "pas-de-chromium"))
    at = start("pages/diagnostic.py")
    assert not any(b.key.startswith(("png_", "svg_")) for b in at.get("download_button"))
    assert any("Export d'image indisponible" in c.value for c in at.caption)
    # Tables still download.
    assert any(b.key == "xlsx_inventaire" for b in at.get("download_button"))


def test_home_page_names_the_territory_and_shows_the_data_warning(store):
    at = start()
    assert at.title[0].value == "Lys-lez-Lannoy"
    warning = store.load("59367").territoire["avertissement"]
    assert "inventés" in warning
    assert [w.value for w in at.warning] == [warning]


def test_one_territory_query_per_run(store, monkeypatch):
    # Each chart block needs the current version: the sidebar reads the territories once per
    # run for all of them (the page has six charts).
    at = start("pages/offre_besoins.py")
    calls = []
    real = Store.territories
    monkeypatch.setattr(Store, "territories", lambda self: calls.append(1) or real(self))
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert len(calls) == 1
    assert at.title[0].value == "Offre et besoins"


def test_kept_figures_follow_a_new_version_and_skip_data_being_previewed(store):
    """The coverage, the comparison and the charts kept between runs (`ctg_ui.stored_result`)
    belong to one stored version: a new version shows its own figures at the next run."""
    import ctg_ui

    at = start("pages/offre_besoins.py")
    assert metric(at, "Enfants de moins de 3 ans (2023)") == "471"
    at.run()   # a rerun serves the kept figures: the same screen
    assert metric(at, "Enfants de moins de 3 ans (2023)") == "471"
    outcome = import_file(store, sample_with(Enfants_0_2_ans=500), "nouveau.xlsx", author="test")
    assert outcome.version_ids, outcome.message
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert metric(at, "Enfants de moins de 3 ans (2023)") == "500"
    # Data that is not the stored current version is computed, never served from the store.
    preview = load_workbook(sample_with(Enfants_0_2_ans=640), "apercu.xlsx").datasets[0]
    calls = []
    assert ctg_ui.stored_result(("essai",), lambda: calls.append(1) or 640, preview, 2023) == 640
    assert ctg_ui.stored_result(("essai",), lambda: calls.append(1) or 640, preview, 2023) == 640
    assert calls == [1, 1]
