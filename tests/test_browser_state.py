"""State that survives a reload, in a real browser (Debian chromium through Playwright, a real
Streamlit server on a SQLite file of three territories): the territory and the year live in
the address (a reload keeps them, a copied address opens the same view in another browser),
the author's name is remembered by this browser only (a cookie, never in the shared address),
a scenario stays for the session and can be reset, and a link to /accueil opens the home page
without Streamlit's « Page not found » dialog."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from browser_support import (SCREENSHOTS, TIMEOUT, chromium_browser, seeded_database,
                             streamlit_server, wait_idle)
from ctg_data.writing import write_workbook
from test_territories import three_territories

pytestmark = pytest.mark.browser

OTHER = ("200093201", "Communauté des Trois Villes")   # not the territory shown first


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The app on a database holding three territories."""
    url = seeded_database(tmp_path_factory.mktemp('etat'),
                          [(write_workbook(three_territories()), "trois.xlsx")])
    with streamlit_server(url) as address:
        yield address


@pytest.fixture(scope="module")
def browser():
    with chromium_browser() as chromium:
        yield chromium


def new_page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 720}, locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    return page


def settle(page) -> None:
    wait_idle(page)
    page.wait_for_timeout(500)   # the address is updated right after the run
    wait_idle(page)


def choose(page, key: str, option: str) -> None:
    """Pick `option` in the sidebar select keyed `key` (opened again if a rerun of the page
    closed its list meanwhile)."""
    wanted = page.locator("[role='option']").filter(
        has_text=re.compile(f"^{re.escape(option)}$"))
    for _ in range(5):
        page.locator(f".st-key-{key} button[aria-haspopup='listbox']").click()
        try:
            wanted.click(timeout=3000)
            break
        except Exception:  # noqa: BLE001 — the list closed before the click: open it again
            page.keyboard.press("Escape")
    else:
        raise AssertionError(f"option {option!r} not offered by {key}")
    settle(page)
    assert option in page.locator(f".st-key-{key} input").input_value()


def view(page) -> tuple[str, str, str]:
    """What the sidebar shows: territory, year, author."""
    bar = page.locator("[data-testid='stSidebar']")
    return (bar.locator(".st-key-w_territoire input").input_value(),
            bar.locator(".st-key-w_annee input").input_value(),
            bar.locator(".st-key-w_auteur input").input_value())


def query(page) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(page.url).query).items()}


def test_reload_and_shared_address_keep_the_view(browser, server):
    page = new_page(browser)
    page.goto(f"{server}/offre_besoins")
    settle(page)
    first_territory, first_year, _ = view(page)
    assert OTHER[0] not in first_territory

    choose(page, "w_territoire", f"{OTHER[1]} ({OTHER[0]})")
    choose(page, "w_annee", "2021")
    author = page.locator(".st-key-w_auteur input")
    author.fill("Camille Martin")
    author.press("Enter")
    settle(page)
    assert query(page) == {"territoire": OTHER[0], "annee": "2021"}
    assert "Camille" not in page.url   # the name never travels in a shared address

    # Another page of the menu: the address still names the view.
    page.locator("[data-testid='stSidebarNav'] a", has_text="Diagnostic partagé").click()
    settle(page)
    assert urlsplit(page.url).path == "/diagnostic"
    assert query(page) == {"territoire": OTHER[0], "annee": "2021"}

    page.reload()
    settle(page)
    assert view(page) == (f"{OTHER[1]} ({OTHER[0]})", "2021", "Camille Martin")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "etat-apres-rechargement.png"))

    # The address pasted in another browser (no cookie): the same view, no author.
    shared = page.url
    other = new_page(browser)
    other.goto(shared)
    settle(other)
    assert view(other) == (f"{OTHER[1]} ({OTHER[0]})", "2021", "")
    other.get_by_role("heading", name="Diagnostic partagé").first.wait_for()
    other.context.close()

    # An address naming an unknown territory or year falls back to the defaults.
    strange = new_page(browser)
    strange.goto(f"{server}/?territoire=00000&annee=1850")
    settle(strange)
    assert view(strange)[:2] == (first_territory, first_year)
    strange.context.close()
    page.context.close()


def test_deep_link_to_accueil_opens_home_without_dialog(browser, server):
    page = new_page(browser)
    page.goto(f"{server}/accueil?territoire={OTHER[0]}&annee=2022")
    settle(page)
    page.get_by_role("heading", name=OTHER[1]).first.wait_for()
    assert page.get_by_text("Page not found", exact=False).count() == 0
    assert page.locator("[role='dialog']").count() == 0
    assert query(page) == {"territoire": OTHER[0], "annee": "2022"}
    page.context.close()


def test_scenario_kept_across_pages_and_reset(browser, server):
    page = new_page(browser)
    page.goto(f"{server}/scenarios")
    settle(page)
    field = page.locator(".st-key-delta_eaje_psu input")
    field.fill("12")
    field.press("Enter")
    settle(page)
    page.locator("[data-testid='stSidebarNav'] a", has_text="Offre et besoins").click()
    settle(page)
    page.locator("[data-testid='stSidebarNav'] a", has_text="Scénarios").click()
    settle(page)
    assert page.locator(".st-key-delta_eaje_psu input").input_value() == "12"
    page.get_by_role("button", name="Réinitialiser le scénario").first.click()
    settle(page)
    assert page.locator(".st-key-delta_eaje_psu input").input_value() == "0"
    page.context.close()
