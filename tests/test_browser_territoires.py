"""The Territoires page in a real browser (Debian chromium through Playwright, a real
Streamlit server on a SQLite file of three territories): the rows are shown, a click on a row
opens that territory as the current one."""

from __future__ import annotations

import re

import pytest

from browser_support import (SCREENSHOTS, TIMEOUT, chromium_browser, french_page,
                             seeded_database, streamlit_server, wait_idle)
from ctg_data import territories
from ctg_data.storage import Store
from ctg_data.writing import write_workbook
from test_browser import open_page
from test_territories import CODES, three_territories

pytestmark = pytest.mark.browser

# Streamlit's data grid (glide-data-grid) draws on a canvas: rows are 35 px high under a
# 35 px header, the row selection markers sit in the first column.
ROW_HEIGHT = 35


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    """A server on a database holding the three territories, and the table of the year the
    page opens on (the latest year with children counts), sorted as the page sorts it."""
    url = seeded_database(tmp_path_factory.mktemp('territoires'),
                          [(write_workbook(three_territories()), "trois.xlsx")])
    store = Store(url)
    tables = territories.load(store)
    annee = territories.latest_population_year(tables)
    table = territories.sort_table(territories.build(store, annee, 60),
                                   "taux_couverture_global")
    store.close()
    with streamlit_server(url) as address:
        yield address, table


@pytest.fixture
def page():
    with chromium_browser() as browser, french_page(browser) as page:
        yield page


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
