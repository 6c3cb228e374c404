"""The main user journeys in a real browser: Debian chromium driven by Playwright against a
real Streamlit server and a real SQLite file. Screenshots land in test-output/screenshots/."""

from __future__ import annotations

import re

import pytest

import browser_support
from browser_support import (SCREENSHOTS, TIMEOUT, chromium_browser, french_page,
                             seeded_database, streamlit_server, wait_idle)
from conftest import SAMPLE
from ctg_data import indicators
from ctg_data.formatting import fr_number
from ctg_data.workbook import load_workbook

pytestmark = pytest.mark.browser

# Every page of the menu; Territoires is in the menu from two territories (the sample has one:
# tests/test_browser_territoires.py), the presentation mode is walked on its own.
PAGES = browser_support.menu_pages(without=("territoires", "presentation"))


@pytest.fixture(scope="module")
def browser():
    """One headless Debian chromium for the module."""
    with chromium_browser() as chromium:
        yield chromium


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The app on an empty database, for the whole journey."""
    url = f"sqlite:///{tmp_path_factory.mktemp('navigateur') / 'ctg.sqlite'}"
    with streamlit_server(url) as address:
        yield address


@pytest.fixture
def page(browser):
    with french_page(browser) as page:
        yield page


def open_page(page, server: str, name: str) -> None:
    page.goto(f"{server}/{'' if name == 'accueil' else name}")
    wait_idle(page)


def shot(page, name: str) -> None:
    """A full-page screenshot once every chart on the page is drawn."""
    page.wait_for_function(
        "() => Array.from(document.querySelectorAll('.js-plotly-plot'))"
        ".every(p => p.querySelector('.main-svg'))", timeout=TIMEOUT)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def expected_rate(year: int) -> str:
    """The global coverage rate of the sample for `year`, in French format, computed by the
    core — the screen must show the same figure."""
    data = load_workbook(SAMPLE.read_bytes(), SAMPLE.name).datasets[0]
    return fr_number(indicators.coverage(data, year).taux["global"], 1)


def test_upload_sample_read_rate_and_present(page, server):
    open_page(page, server, "accueil")
    page.get_by_text("Aucune donnée", exact=False).first.wait_for()
    shot(page, "00-accueil-base-vide")

    open_page(page, server, "donnees")
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(SAMPLE))
    page.locator(".st-key-confirmer_import button").wait_for()
    shot(page, "01-donnees-rapport-et-apercu")
    page.locator(".st-key-confirmer_import button").click()
    wait_idle(page)
    page.get_by_text("Lys-lez-Lannoy").first.wait_for()

    open_page(page, server, "offre_besoins")
    header = page.get_by_role("heading", name=re.compile(r"Taux de couverture \d{4}")).first
    year = int(re.search(r"\d{4}", header.inner_text()).group())
    rate = expected_rate(year)
    assert "," in rate
    page.get_by_text(rate, exact=False).first.wait_for()
    shot(page, "02-offre-besoins")

    for name in PAGES:
        open_page(page, server, name)
        assert not page.locator("[data-testid='stException']").count(), name
        shot(page, f"page-{name}")

    open_page(page, server, "accueil")
    page.locator(".st-key-w_presentation label").click()
    wait_idle(page)
    page.get_by_role("heading", name=re.compile("Présentation")).first.wait_for()
    # The sidebar is hidden for the projector, and the way out is offered.
    page.locator("[data-testid='stSidebar']").wait_for(state="hidden")
    page.locator(".st-key-quitter_presentation button").wait_for()
    shot(page, "03-presentation")
    page.locator(".st-key-suivant button").click()
    wait_idle(page)
    shot(page, "04-presentation-suivant")


def plot_values(page, key: str) -> list:
    """Every y value of the plotly chart inside the element keyed `key`, once drawn."""
    page.wait_for_selector(f".st-key-{key} .js-plotly-plot .main-svg")
    return page.evaluate(
        """(key) => {
            const plot = document.querySelector(`.st-key-${key} .js-plotly-plot`);
            return plot.data.flatMap(t => Array.from(t.y || []));
        }""", key)


def chart_keys(page) -> list[str]:
    """Keys of the indicator charts shown on the Fiches actions page, in page order."""
    return page.evaluate(
        "() => Array.from(document.querySelectorAll('[class*=\"st-key-fa_graphique_\"]'))"
        ".map(e => Array.from(e.classList).find(c => c.startsWith('st-key-fa_graphique_'))"
        ".slice('st-key-'.length))")


@pytest.fixture(scope="module")
def seeded_server(tmp_path_factory):
    """The app on a database holding the sample, imported through the core."""
    url = seeded_database(tmp_path_factory.mktemp('fiche'), [(SAMPLE.read_bytes(), SAMPLE.name)])
    with streamlit_server(url) as address:
        yield address


def test_fiche_action_value_saved_updates_chart(page, seeded_server):
    """Open a fiche action, change a value, save, see its chart update."""
    open_page(page, seeded_server, "fiches_actions")
    page.get_by_role("heading", name="Fiches actions").first.wait_for()
    # The sample's first fiche has a numeric indicator, hence a chart.
    page.wait_for_selector("[class*='st-key-fa_graphique_'] .js-plotly-plot .main-svg")
    chart_key = chart_keys(page)[0]
    before = plot_values(page, chart_key)

    # The entry form lists the charted indicators in chart order: the first is preselected.
    year = page.locator(".st-key-fa_annee input")
    year.fill("2022")
    year.press("Enter")
    wait_idle(page)
    page.locator(".st-key-fa_valeur input").fill("987,5")
    page.locator(".st-key-fa_enregistrer button").click()
    wait_idle(page)
    # 987,5 is far above the previous value: the form asks for a confirmation, stores nothing.
    assert 987.5 not in plot_values(page, chart_key)
    page.locator(".st-key-fa_confirmer label").click()
    # The checkbox reruns the page: saving before that run ends could save without it.
    wait_idle(page)
    assert page.locator(".st-key-fa_confirmer input").is_checked()
    page.locator(".st-key-fa_enregistrer button").click()
    wait_idle(page)
    # The success message (the history below also says « … enregistrée », hidden when closed).
    page.get_by_text("enregistrée", exact=False).locator("visible=true").first.wait_for()
    after = plot_values(page, chart_key)
    assert 987.5 in after and 987.5 not in before, (before, after)
    shot(page, "05-fiche-action-valeur-enregistree")


def test_deep_link_as_first_request_gets_the_app_frame(page, tmp_path):
    """A bookmark to a page, opened on a freshly started server, shows that page inside the
    app's menu and sidebar (Streamlit would otherwise run the file of pages/ on its own)."""
    with streamlit_server(f"sqlite:///{tmp_path / 'ctg.sqlite'}") as address:
        page.goto(f"{address}/offre_besoins")
        wait_idle(page)
        nav = page.locator("[data-testid='stSidebarNav']")
        nav.get_by_text("Diagnostic partagé").wait_for()
        assert nav.get_by_text("offre besoins", exact=True).count() == 0
        assert nav.get_by_text("app", exact=True).count() == 0
        page.get_by_text("Aucune donnée", exact=False).first.wait_for()
        shot(page, "06-lien-direct-premiere-requete")
