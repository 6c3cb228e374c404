"""French to the last tooltip, in a real browser (Debian chromium through Playwright, a real
Streamlit server on the sample): every page is visited and its widgets opened — select boxes,
multiselects, expanders, date pickers, number fields (a French « 55,5 », a value out of range,
a word), table and chart toolbars, the file uploader — and the page's visible text plus its
placeholders, aria-labels and tooltips must hold none of the English strings Streamlit or
plotly would otherwise show."""

from __future__ import annotations

import re

import pytest

import browser_support
from browser_support import (SCREENSHOTS, chromium_browser, french_page,
                             seeded_database, streamlit_server)
from conftest import SAMPLE

pytestmark = pytest.mark.browser


# Strings Streamlit, plotly or the browser write in English (whole words, case-sensitive:
# the icons' ligature names such as « download » are lower case and never shown as text).
ENGLISH = (
    "Press Enter", "Enter to apply", "submit form", "Error:", "Number is", "outside the allowed",
    "Please enter", "dd / mm / yyyy", "yyyy", "Choose an option", "Choose options",
    "Choose date", "Page not found", "Running the app", "main page", "No results",
    "Drag and drop", "Browse files", "Upload", "Limit", "per file", "Download", "Fullscreen",
    "Show data", "Search", "Select all", "Clear", "Copy", "Sort ascending", "Sort descending",
    "Hide column", "Pin column", "Autosize", "Show/hide", "Help for", "Link to heading",
    "Skip to main", "Collapse sidebar", "Expand sidebar", "Increment", "Decrement",
    "Zoom in", "Zoom out", "Reset axes", "Autoscale", "Pan", "Running...", "Stop", "Rerun",
    "Previous", "Next", "Open", "Close", "Remove", "Dismiss", "Use arrow keys",
    "CTG_CIBLE_TAUX_COUVERTURE",
)
_ENGLISH = re.compile("|".join(rf"(?<![\w-]){re.escape(s)}(?![\w-])" for s in ENGLISH))

# Every page of the menu; Territoires is in the menu from two territories (the sample has one:
# tests/test_browser_territoires.py), the presentation mode is walked on its own.
PAGES = browser_support.menu_pages(without=("territoires", "presentation"))

# Everything a person can read or hear: the visible text, then the texts that tooltips,
# placeholders and screen readers give.
_SCREEN_TEXTS = """() => {
  const out = document.body.innerText.split('\\n');
  for (const el of document.querySelectorAll(
      '[aria-label],[title],[placeholder],[data-title],[aria-roledescription]')) {
    for (const a of ['aria-label', 'title', 'placeholder', 'data-title',
                     'aria-roledescription']) {
      const v = el.getAttribute(a);
      if (v) out.push(a + '=' + v);
    }
  }
  return out;
}"""


def english_on_screen(page) -> list[str]:
    """The texts of the page (lines, attributes) holding an English string of the list."""
    return sorted({text[:120] for text in page.evaluate(_SCREEN_TEXTS)
                   if _ENGLISH.search(text)})


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The app on a database holding the sample."""
    url = seeded_database(tmp_path_factory.mktemp('francais'), [(SAMPLE.read_bytes(), SAMPLE.name)])
    with streamlit_server(url) as address:
        yield address


@pytest.fixture(scope="module")
def page(server):
    # A French browser, as the comité uses (the calendar names its months by it).
    with chromium_browser() as browser, french_page(browser, 1280, 900) as page:
        yield page


def wait_idle(page) -> None:
    """Streamlit idle and the app's French translation script installed."""
    browser_support.wait_idle(page, "window.__ctgFrancais")


def check(page, where: str, seen: dict) -> None:
    found = english_on_screen(page)
    if found:
        seen[where] = found
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"anglais-{where}.png"), full_page=True)


def open_widgets(page, where: str, seen: dict) -> None:
    """Open what hides text until clicked or hovered, checking the page each time."""
    main = page.locator("[data-testid='stMain']")
    for expander in main.locator("[data-testid='stExpander'] summary:visible").all()[:3]:
        expander.click()
    wait_idle(page)
    check(page, f"{where}-depliants", seen)
    # A select box open on a search that matches nothing (« No results » in English).
    # (the sidebar's on the first page only: it is the same on every page)
    scope = page if where == "accueil" else main
    boxes = scope.locator("[data-testid='stSelectbox']:visible, "
                          "[data-testid='stMultiSelect']:visible")
    for box in boxes.all()[:1]:
        box.locator("input").first.click()
        page.keyboard.type("zzzz")
        page.wait_for_timeout(200)
        check(page, f"{where}-liste", seen)
        page.keyboard.press("Escape")
    # The first date field's calendar.
    dates = main.locator("[data-testid='stDateInput']:visible")
    if dates.count():
        dates.first.locator("button").first.click()
        page.wait_for_timeout(300)
        check(page, f"{where}-calendrier", seen)
        page.keyboard.press("Escape")
    # A table's toolbar and a chart's toolbar, with their tooltips.
    for selector in ("[data-testid='stDataFrame']:visible", ".js-plotly-plot:visible"):
        element = main.locator(selector)
        if element.count():
            element.first.scroll_into_view_if_needed()
            element.first.hover(force=True, timeout=5000)
            page.wait_for_timeout(200)
            buttons = page.locator("[data-testid='stElementToolbarButton']:visible button, "
                                   ".modebar-btn:visible")
            if buttons.count():
                buttons.first.hover(force=True, timeout=5000)
                page.wait_for_timeout(300)
            check(page, f"{where}-barre-outils", seen)


def go(page, name: str) -> None:
    """Open page `name` from the sidebar menu."""
    page.locator(f"[data-testid='stSidebarNav'] a[href$='/{name}']").first.click()
    page.wait_for_url(re.compile(f"/{name}"))
    wait_idle(page)


def type_into(page, key: str, text: str) -> None:
    field = page.locator(f".st-key-{key} input")
    field.click()
    field.fill(text)
    page.wait_for_timeout(200)


def test_no_english_on_any_page(page, server):
    seen: dict[str, list[str]] = {}
    page.goto(f"{server}/accueil")   # a deep link to the home page
    wait_idle(page)
    for name in PAGES:
        if name != "accueil":   # then by the menu, as people do (faster than a new session)
            go(page, name)
        check(page, name, seen)
        open_widgets(page, name, seen)

    # The target rate typed the French way: « 55,5 » is 55,5 (not 555)…
    go(page, "offre_besoins")
    type_into(page, "cible", "55,5")
    check(page, "cible-saisie", seen)   # the input hint, while typing
    page.keyboard.press("Enter")
    wait_idle(page)
    page.get_by_text("Places manquantes (cible 55,5)").first.wait_for()
    # … a value outside the range is refused in French and 55,5 stays in use…
    type_into(page, "cible", "250")
    page.keyboard.press("Enter")
    wait_idle(page)
    page.get_by_text("valeur entre 0 et 200 attendue", exact=False).first.wait_for()
    check(page, "cible-hors-limites", seen)
    page.get_by_text("Places manquantes (cible 55,5)").first.wait_for()
    # … and a word is stopped in the browser with a French message.
    type_into(page, "cible", "douze")
    page.keyboard.press("Enter")
    page.wait_for_timeout(500)
    check(page, "cible-mot", seen)

    # Thousands typed with a space in a scenario.
    go(page, "scenarios")
    type_into(page, "enfants_scenario", "1 234")
    page.keyboard.press("Enter")
    wait_idle(page)
    assert not page.locator(".st-key-enfants_scenario + div [data-testid='stAlert']").count()
    page.get_by_text("1 234", exact=False).first.wait_for()

    # A year typed out of range in the evaluation form (a number field of Streamlit).
    go(page, "evaluation")
    type_into(page, "ev_annee", "3000")
    page.keyboard.press("Tab")
    page.wait_for_timeout(500)
    check(page, "annee-hors-limites", seen)

    # The file uploader, with a file chosen and its import report.
    go(page, "donnees")
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(SAMPLE))
    page.locator(".st-key-confirmer_import button").wait_for()
    wait_idle(page)
    check(page, "import", seen)
    open_widgets(page, "import", seen)

    # Last, as it switches the mode on for the session: the presentation.
    page.goto(f"{server}/presentation")
    wait_idle(page)
    check(page, "presentation", seen)

    assert not seen, f"Anglais à l'écran : {seen}"
