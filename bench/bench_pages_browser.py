"""Benchmark: how long each page of the dashboard takes to be fully drawn in a real browser
(issue 11 §7), written to its own section of `bench/results.md`.

For every page of the menu, on the sample database (a fresh SQLite file, the sample imported
through the core), with Debian's chromium driven by Playwright (never a downloaded browser):

- **direct link**: a new browser context (no cookie, no cache, a new Streamlit session) opens
  the page's address; the time runs from the request to the page fully drawn;
- **menu click**: in a session in use, from another page already drawn (Accueil; Diagnostic
  partagé for Accueil) and reached through the menu, a click on the page's entry in the menu;
  the time runs from the click to the page fully drawn.

"Fully drawn" (`DRAWN_JS`): the app is mounted, Streamlit's running indicator
(`stStatusWidget`) and loading skeletons are gone, no element is stale (left over from the
previous page), the address is the page's, the page has drawn something, and every plotly
chart on it has its SVG drawn; the time is the moment this became true and stayed true for
`QUIET_MS` (a run that starts a little later would have made it false again).

`--reference DIR` measures a second copy of the app (e.g. the tree before a change) in the same
run, interleaved page by page with the current one, so that both see the same machine load
(the machine is shared): the section then gives both figures and their ratio.

The script rewrites only the block between `<!-- pages-navigateur:start -->` and
`<!-- pages-navigateur:end -->` in bench/results.md (appended when absent), so that other
benchmarks keep their sections.

    .venv/bin/python bench/bench_pages_browser.py [--repeat 3] [--reference /tmp/avant]
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

# The tests' support: the same server start and the same chromium flags.
from browser_support import CHROMIUM, CHROMIUM_ARGS, seeded_database, streamlit_server  # noqa: E402

SAMPLE = REPO / "sample_data" / "ctg_lys_lez_lannoy.xlsx"
VIEWPORT = {"width": 1280, "height": 720}
START, END = "<!-- pages-navigateur:start -->", "<!-- pages-navigateur:end -->"
TARGET_CLICK_S, TARGET_LINK_S = 2.0, 4.0
QUIET_MS = 600
TIMEOUT_MS = 90_000

# The pages of the menu as the app declares them (app.PAGES), by address; the first page is
# served at the root.
PAGES = (("accueil", ""), ("diagnostic", "diagnostic"), ("offre_besoins", "offre_besoins"),
         ("scenarios", "scenarios"), ("enfance_jeunesse", "enfance_jeunesse"),
         ("plan_action", "plan_action"), ("fiches_actions", "fiches_actions"),
         ("evaluation", "evaluation"), ("pilotage", "pilotage"),
         ("bilan_annuel", "bilan_annuel"), ("presentation", "presentation"),
         ("donnees", "donnees"))

# Resolves with the epoch time (ms) at which the page became fully drawn and stayed so for
# `quiet` ms; `path` is the address path the page must have.
DRAWN_JS = """async ([path, quiet, timeout]) => {
  const drawn = () => {
    const app = document.querySelector('[data-testid="stApp"]');
    if (!app) return false;
    const here = location.pathname.replace(/\\/+$/, '');
    if (here !== path) return false;
    if (document.querySelector('[data-testid="stStatusWidget"], [data-testid="stSkeleton"]'))
      return false;
    if (document.querySelector('[data-stale="true"]')) return false;
    const main = document.querySelector('[data-testid="stMainBlockContainer"]');
    if (!main || !main.querySelector('[data-testid="stElementContainer"]')) return false;
    const plots = Array.from(document.querySelectorAll('[data-testid="stPlotlyChart"]'));
    return plots.every(p => p.querySelector('.js-plotly-plot .main-svg'));
  };
  const started = Date.now();
  let since = null;
  while (Date.now() - started < timeout) {
    if (drawn()) {
      if (since === null) since = Date.now();
      if (Date.now() - since >= quiet) return since;
    } else {
      since = null;
    }
    await new Promise(r => setTimeout(r, 25));
  }
  throw new Error('page not drawn within the time limit: ' + location.pathname);
}"""


def wait_drawn(page, path: str) -> float:
    """Epoch seconds at which the page at `path` became fully drawn (see DRAWN_JS)."""
    return page.evaluate(DRAWN_JS, [("/" + path) if path else "", QUIET_MS, TIMEOUT_MS]) / 1000


def direct_link(browser, base: str, path: str) -> float:
    """Seconds from the request of a new browser context to the page fully drawn."""
    context = browser.new_context(viewport=VIEWPORT, locale="fr-FR")
    try:
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        start = time.time()
        page.goto(f"{base}/{path}", wait_until="commit")
        return wait_drawn(page, path) - start
    finally:
        context.close()


def click_menu(page, base: str, path: str) -> float:
    """Click the menu entry of the page at `path`; the epoch seconds of the click."""
    link = page.locator(f'[data-testid="stSidebarNav"] a[href="{base}/{path}"]')
    link.wait_for()
    start = time.time()
    link.click()
    return start


def menu_click(page, base: str, path: str) -> float:
    """Seconds from a click on the page's menu entry to the page fully drawn, from another
    page reached through the menu too (a session in use: no reload of the browser's page)."""
    other = "diagnostic" if path == "" else ""
    if urlsplit(page.url).path.strip("/") != other:
        click_menu(page, base, other)
        wait_drawn(page, other)
    start = click_menu(page, base, path)
    return wait_drawn(page, path) - start


def measure(browser, bases: dict[str, str], repeat: int) -> dict:
    """{(label, page, kind): [seconds…]}, runs interleaved between the apps."""
    results: dict = {}
    pages = {label: browser.new_context(viewport=VIEWPORT, locale="fr-FR").new_page()
             for label in bases}
    for page in pages.values():
        page.set_default_timeout(TIMEOUT_MS)
    try:
        for label, base in bases.items():   # warm-up: the first run of a server imports all
            pages[label].goto(base + "/", wait_until="commit")
            wait_drawn(pages[label], "")
        for _ in range(repeat):
            for name, path in PAGES:
                for label, base in bases.items():
                    results.setdefault((label, name, "lien"), []).append(
                        direct_link(browser, base, path))
                    results.setdefault((label, name, "clic"), []).append(
                        menu_click(pages[label], base, path))
                    print(f"  {label:10} {name:18} lien {results[(label, name, 'lien')][-1]:5.2f} s"
                          f"   clic {results[(label, name, 'clic')][-1]:5.2f} s", flush=True)
    finally:
        for page in pages.values():
            page.context.close()
    return results


def load_average() -> str:
    try:
        return " / ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "—"


def section(results: dict, labels: list[str], repeat: int, loads: tuple[str, str],
            seconds: float, reference: Path | None) -> str:
    """The Markdown block of bench/results.md."""
    import streamlit

    now = datetime.now().strftime("%d/%m/%Y %H:%M")
    lines = [START, "", "# Pages dans un vrai navigateur (issue 11 §7)", "",
             f"Écrit par `bench/bench_pages_browser.py` le {now}. Chromium de Debian piloté par "
             f"Playwright, fenêtre {VIEWPORT['width']}×{VIEWPORT['height']}, base SQLite de "
             "l'exemple (Lys-lez-Lannoy), serveur Streamlit local. Médiane (et maximum) de "
             f"{repeat} mesures par page, en secondes.", "",
             "- **Lien direct** : un nouveau contexte de navigateur (nouvelle session, sans "
             "cache) ouvre l'adresse de la page ; du début de la requête à la page entièrement "
             "dessinée.",
             "- **Clic dans le menu** : dans une session en cours, depuis une autre page déjà "
             "dessinée et atteinte par le menu (Accueil, ou Diagnostic partagé pour l'Accueil), "
             "du clic à la page entièrement dessinée.",
             "- **Entièrement dessinée** : plus d'indicateur d'exécution de Streamlit "
             "(`stStatusWidget`) ni de squelette de chargement, plus aucun élément périmé de la "
             "page précédente (`data-stale`), l'adresse est celle de la page, et chaque "
             "graphique plotly a son SVG dessiné ; l'instant retenu est celui où cet état est "
             f"atteint pour de bon (il dure au moins {QUIET_MS} ms).",
             f"- Objectifs : ≤ {TARGET_CLICK_S:g} s après un clic, ≤ {TARGET_LINK_S:g} s par "
             "lien direct.",
             f"- Machine : {os.cpu_count()} processeurs, Python {platform.python_version()}, "
             f"streamlit {streamlit.__version__} ; charge moyenne (1 / 5 / 15 min) "
             f"{loads[0]} au début, {loads[1]} à la fin ; durée de la mesure {seconds:.0f} s. "
             "La machine est partagée : les chiffres absolus dépendent de sa charge."]
    if reference is not None:
        lines += ["", f"« Avant » : la copie `{reference}` de l'application (l'arbre avant les "
                  "changements de cette mesure), mesurée dans la même exécution, en "
                  "alternance page par page avec « après » (l'arbre actuel)."]

    def cell(label: str, name: str, kind: str) -> str:
        values = results.get((label, name, kind))
        if not values:
            return "—"
        return f"{statistics.median(values):.2f} ({max(values):.2f})"

    def ok(label: str, name: str) -> str:
        link = results.get((label, name, "lien"))
        click = results.get((label, name, "clic"))
        good = (link and statistics.median(link) <= TARGET_LINK_S
                and click and statistics.median(click) <= TARGET_CLICK_S)
        return "oui" if good else "**non**"

    now_label = labels[0]
    if reference is None:
        lines += ["", "| Page | Lien direct | Clic dans le menu | Objectifs atteints |",
                  "|---|---|---|---|"]
        for name, _ in PAGES:
            lines.append(f"| {name} | {cell(now_label, name, 'lien')} | "
                         f"{cell(now_label, name, 'clic')} | {ok(now_label, name)} |")
    else:
        before = labels[1]
        lines += ["", "| Page | Lien direct avant | Lien direct après | Clic avant | Clic après "
                  "| Objectifs atteints (après) |", "|---|---|---|---|---|---|"]
        for name, _ in PAGES:
            lines.append(f"| {name} | {cell(before, name, 'lien')} | "
                         f"{cell(now_label, name, 'lien')} | {cell(before, name, 'clic')} | "
                         f"{cell(now_label, name, 'clic')} | {ok(now_label, name)} |")
    for label in labels:
        links = [statistics.median(results[(label, n, "lien")]) for n, _ in PAGES]
        clicks = [statistics.median(results[(label, n, "clic")]) for n, _ in PAGES]
        lines += ["", f"{'Après' if label == now_label and reference else label.capitalize()}"
                  f" : lien direct le plus lent {max(links):.2f} s, clic le plus lent "
                  f"{max(clicks):.2f} s (médianes)."]
    lines += ["", END]
    return "\n".join(lines)


def write_section(path: Path, block: str) -> None:
    """Replace the block between the markers in `path` (append it when absent)."""
    text = path.read_text() if path.exists() else ""
    pattern = re.compile(re.escape(START) + r".*?" + re.escape(END), re.DOTALL)
    if pattern.search(text):
        text = pattern.sub(lambda _: block, text)
    else:
        text = text.rstrip("\n") + ("\n\n" if text else "") + block + "\n"
    path.write_text(text)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="mesures par page (défaut 3)")
    parser.add_argument("--reference", type=Path,
                        help="une autre copie de l'application, mesurée en alternance (avant)")
    parser.add_argument("--out", type=Path, default=BENCH / "results.md",
                        help="fichier de résultats (défaut bench/results.md)")
    args = parser.parse_args(argv)
    if not Path(CHROMIUM).exists():
        print(f"Chromium introuvable ({CHROMIUM}) : apt-get install chromium.", file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    apps = {"après" if args.reference else "actuel": REPO}
    if args.reference:
        apps["avant"] = args.reference.resolve()
    loads_start, began = load_average(), time.monotonic()
    with tempfile.TemporaryDirectory(prefix="ctg-bench-pages-") as tmp, ExitStack() as stack:
        bases = {}
        for i, (label, app_dir) in enumerate(apps.items()):
            folder = Path(tmp) / f"app{i}"
            folder.mkdir()
            bases[label] = stack.enter_context(
                streamlit_server(seeded_database(folder, [(SAMPLE.read_bytes(), SAMPLE.name)]),
                                 app_dir, folder / "streamlit.log"))
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                results = measure(browser, bases, args.repeat)
            finally:
                browser.close()
    block = section(results, list(apps), args.repeat, (loads_start, load_average()),
                    time.monotonic() - began, args.reference)
    write_section(args.out, block)
    print()
    print(block)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
