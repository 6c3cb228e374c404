"""The Territoires page in a real browser (Debian chromium through Playwright, a real
Streamlit server on a SQLite file of three territories): the rows are shown, a click on a row
opens that territory as the current one."""

from __future__ import annotations

import re

import pytest

from browser_support import CHROMIUM_ARGS, SCREENSHOTS, require_chromium, streamlit_server
from ctg_data import territories
from ctg_data.importing import import_file
from ctg_data.storage import Store
from ctg_data.writing import write_workbook
from test_browser import TIMEOUT, open_page, wait_idle
from test_territories import CODES, three_territories

pytestmark = pytest.mark.browser

# Streamlit's data grid (glide-data-grid) draws on a canvas: rows are 35 px high under a
# 35 px header, the row selection markers sit in the first column.
ROW_HEIGHT = 35


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    """A server on a database holding the three territories, and the table of the year the
    page opens on (the latest year with children counts), sorted as the page sorts it."""
    url = f"sqlite:///{tmp_path_factory.mktemp('territoires') / 'ctg.sqlite'}"
    store = Store(url)
    assert len(import_file(store, write_workbook(three_territories()), "trois.xlsx",
                           author="test").version_ids) == 3
    tables = territories.load(store)
    annee = territories.latest_population_year(tables)
    table = territories.sort_table(territories.build(store, annee, 60),
                                   "taux_couverture_global")
    store.close()
    with streamlit_server(url) as address:
        yield address, table


@pytest.fixture
def page():
    path = require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1000},
                                      locale="fr-FR")
        page = context.new_page()
        page.set_default_timeout(TIMEOUT)
        yield page
        browser.close()


def test_rows_shown_and_click_opens_territory(page, seeded):
    server, table = seeded
    open_page(page, server, "territoires")
    page.get_by_role("heading", name="Territoires").first.wait_for()
    grid = page.locator(".st-key-tableau_territoires [data-testid='stDataFrameResizable']")
    grid.wait_for()
    # The grid's accessible table holds the visible cells: every territory is there.
    page.wait_for_function(
        "() => document.querySelector('.st-key-tableau_territoires')"
        ".textContent.includes('Anstaing')", timeout=TIMEOUT)
    text = grid.text_content()
    for code in CODES:
        assert code in text, code
    nav = page.locator("[data-testid='stSidebarNav']")
    assert nav.get_by_text("Territoires", exact=True).count() == 1
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "territoires.png"), full_page=True)

    # Click the selection marker of the second row (the page sorts by rate, ascending).
    target = table.iloc[1]
    sidebar = page.locator("[data-testid='stSidebar']")
    before = sidebar.locator(".st-key-w_territoire input").input_value()
    assert target["code_insee"] not in before   # another territory is current until then
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 15, box["y"] + ROW_HEIGHT + ROW_HEIGHT * 1.5)
    wait_idle(page)
    page.get_by_role("heading", name=re.compile(re.escape(target["nom"]))).first.wait_for()
    # The sidebar's territory select now shows it: « Nom (code) ».
    assert sidebar.locator(".st-key-w_territoire input").input_value() == \
        f"{target['nom']} ({target['code_insee']})"
    assert "/territoires" not in page.url
