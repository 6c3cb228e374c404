"""Presentation mode on a projector, in a real browser (Debian chromium through Playwright, a
real Streamlit server on the sample): at 1280×720 and at 1920×1080, every slide — its bar, its
chart (title, legend, axes) or key-figure panel, its source line, the comité's comments — lies
inside the screen (measured with the elements' bounding boxes, not looked at), nothing
scrolls, and plotly's toolbar is not there. One screenshot per slide and size lands in
test-output/screenshots/ for people to look at."""

from __future__ import annotations

import pytest

from browser_support import (SCREENSHOTS, TIMEOUT, chromium_browser, french_page,
                             seeded_database, streamlit_server, wait_idle)
from conftest import SAMPLE

pytestmark = pytest.mark.browser

COMMENT = "Le comité retient la baisse du taux ; point sur les départs en retraite des AM."

# Everything a slide shows: Streamlit's elements of the page, and inside each chart its
# title, legend, axes (ticks and titles) and notes.
PARTS = ", ".join((
    "[data-testid='stMainBlockContainer'] [data-testid='stElementContainer']",
    ".st-key-quitter_presentation",
    ".js-plotly-plot .main-svg", ".js-plotly-plot .gtitle", ".js-plotly-plot .legend",
    ".js-plotly-plot .xtick", ".js-plotly-plot .ytick", ".js-plotly-plot .g-xtitle",
    ".js-plotly-plot .g-ytitle", ".js-plotly-plot .g-y2title",
    ".js-plotly-plot .annotation"))

# Parts of the slide outside the window (or drawn outside their own element), the scroll
# left to the page, the plotly toolbars present.
MEASURE_JS = """(parts) => {
  const W = window.innerWidth, H = window.innerHeight, outside = [];
  const name = e => (e.getAttribute('class') || e.tagName).slice(0, 70);
  for (const e of document.querySelectorAll(parts)) {
    if (e.closest('.st-key-diapo_commentaires') && !e.matches('.st-key-diapo_commentaires'))
      continue;   // long comments scroll inside their own box, which is checked
    const r = e.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    if (r.top < -1 || r.left < -1 || r.bottom > H + 1 || r.right > W + 1)
      outside.push([name(e), Math.round(r.top), Math.round(r.bottom), Math.round(r.left),
                    Math.round(r.right)]);
  }
  for (const svg of document.querySelectorAll('.js-plotly-plot .main-svg')) {
    const r = svg.getBoundingClientRect();
    const box = svg.closest('[data-testid="stElementContainer"]').getBoundingClientRect();
    if (r.top < box.top - 1 || r.bottom > box.bottom + 1)
      outside.push(['chart drawn outside its element', r.top, r.bottom, box.top, box.bottom]);
  }
  const main = document.querySelector('[data-testid="stMain"]');
  return {outside, scroll: Math.max(main.scrollHeight - main.clientHeight,
                                    document.scrollingElement.scrollHeight - H),
          toolbars: Array.from(document.querySelectorAll('.modebar, .modebar-btn'))
                          .filter(e => e.getBoundingClientRect().width > 0).length};
}"""

DRAWN_JS = """() => !document.querySelector('[data-testid="stStatusWidget"]')
  && Array.from(document.querySelectorAll('[data-testid="stPlotlyChart"]')).every(c => {
       const p = c.querySelector('.js-plotly-plot');
       return p && p.querySelector('.main-svg') && p._fullLayout
         && Math.abs(p._fullLayout.height - c.getBoundingClientRect().height) < 2; })"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The app on the sample, with a comment of the comité on the places chart."""
    from ctg_data.storage import Store

    url = seeded_database(tmp_path_factory.mktemp('presentation'),
                          [(SAMPLE.read_bytes(), SAMPLE.name)])
    store = Store(url)
    store.add_comment("59367", "places_modes", COMMENT, author="Comité technique", annee=2023)
    store.close()
    with streamlit_server(url) as address:
        yield address


@pytest.fixture
def page(server):
    with chromium_browser() as browser, french_page(browser, 1280, 720) as page:
        yield page


def drawn(page) -> None:
    wait_idle(page)
    page.wait_for_function(DRAWN_JS, timeout=TIMEOUT)
    page.wait_for_timeout(300)


def slide_title(page) -> str:
    return page.locator(".st-key-w_diapo input").input_value()


def test_every_slide_fits_the_screen_without_toolbar(page, server):
    page.goto(f"{server}/presentation")
    drawn(page)
    page.locator(".st-key-demarrer_presentation button").click()
    drawn(page)
    page.locator("[data-testid='stSidebar']").wait_for(state="hidden")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    count = int(slide_title(page).split(" / ")[1].split(" ")[0])
    assert count >= 10
    for width, height in ((1280, 720), (1920, 1080)):
        page.set_viewport_size({"width": width, "height": height})
        for number in range(1, count + 1):
            drawn(page)
            title = slide_title(page)
            assert title.startswith(f"{number} / {count}"), title
            found = page.evaluate(MEASURE_JS, PARTS)
            assert found["outside"] == [], (width, title, found["outside"])
            assert found["scroll"] <= 1, (width, title, found["scroll"])
            assert found["toolbars"] == 0, (width, title)
            page.screenshot(path=str(SCREENSHOTS / f"presentation-{width}-{number:02d}.png"))
            page.locator(".st-key-suivant button").click()
        drawn(page)
        assert slide_title(page).startswith(f"1 / {count}")   # back to the first


def test_slide_list_jumps_and_shows_the_comite_comment(page, server):
    page.goto(f"{server}/presentation")
    drawn(page)
    page.locator(".st-key-demarrer_presentation button").click()
    drawn(page)
    page.locator(".st-key-w_diapo button[aria-haspopup='listbox']").click()
    page.get_by_role("option", name="Places par mode", exact=False).first.click()
    drawn(page)
    assert "Places par mode" in slide_title(page)
    box = page.locator(".st-key-diapo_commentaires")
    box.get_by_text(COMMENT, exact=False).wait_for()
    assert "Comité technique" in box.inner_text()
    found = page.evaluate(MEASURE_JS, PARTS)
    assert found["outside"] == [] and found["scroll"] <= 1, found
    page.screenshot(path=str(SCREENSHOTS / "presentation-commentaire.png"))
    # The slide's source line is under the chart, in full.
    assert "Source : " in page.locator(".st-key-diapo_source").inner_text()
    # Leaving presentation mode shows the sidebar again.
    page.locator(".st-key-quitter_presentation button").click()
    wait_idle(page)
    page.locator("[data-testid='stSidebar']").wait_for(state="visible")
