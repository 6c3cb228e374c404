"""The comparison chart in a real browser (issue 10 §5): on Offre et besoins, « Comparaison avec
les références » draws the France value of the chart's year with its label — read from the
plotly DOM of Debian chromium (Playwright, executable_path), as a comité sees it."""

from __future__ import annotations

import re

import pytest

from browser_support import (CHROMIUM_ARGS, SCREENSHOTS, TIMEOUT, require_chromium,
                             seeded_database, streamlit_server)
from conftest import SAMPLE
from ctg_data.formatting import fr_number
from ctg_data.references import national_references

pytestmark = pytest.mark.browser

CHART = ".st-key-graphique_couverture_references .js-plotly-plot"


@pytest.fixture(scope="module")
def seeded_server(tmp_path_factory):
    """The app on a database holding the sample, imported through the core."""
    url = seeded_database(tmp_path_factory.mktemp('references'),
                          [(SAMPLE.read_bytes(), SAMPLE.name)])
    with streamlit_server(url) as address:
        yield address


def test_the_comparison_chart_shows_the_france_value_of_the_year(seeded_server):
    path = require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="fr-FR")
            page.set_default_timeout(TIMEOUT)
            page.goto(f"{seeded_server}/offre_besoins")
            page.wait_for_selector(f"{CHART} .main-svg")
            page.locator(CHART).scroll_into_view_if_needed()
            page.wait_for_timeout(500)
            # Everything the chart writes: title, subtitle, legend, labels of the marks.
            texts = page.evaluate(
                """(sel) => Array.from(document.querySelector(sel).querySelectorAll('text'))
                           .map(t => t.textContent)""", CHART)
            values = page.evaluate(
                """(sel) => document.querySelector(sel).data.flatMap(
                           t => Array.from(t.y || []))""", CHART)
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.locator(CHART).screenshot(path=str(SCREENSHOTS / "references-france.png"))
        finally:
            browser.close()
    title = next(t for t in texts if "Taux de couverture en" in t)
    year = int(re.search(r"Taux de couverture en (\d{4})", title).group(1))
    table = national_references()
    france = table[(table["annee"] == year)
                   & (table["indicateur"] == "taux_couverture_global")]["valeur"]
    assert len(france) == 1, year          # the bundled table covers the sample's years
    label = f"France {fr_number(float(france.iloc[0]), 1)} ({year})"
    assert any(label in t for t in texts), (label, texts)
    assert float(france.iloc[0]) in values
