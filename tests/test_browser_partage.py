"""Shared mode in a real browser (Debian chromium through Playwright) against a real Streamlit
server started with CTG_MODE=partage on a temporary SQLite file holding the example and one
account: without sign-in every address shows the sign-in form and no data; once signed in,
the data. Also: the server of `make run` listens on 127.0.0.1 only."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
import urllib.request

import pytest

from browser_support import (REPO, SCREENSHOTS, chromium_browser, french_page,
                             free_port, streamlit_server, wait_idle)
from conftest import SAMPLE
from ctg_data import accounts, importing
from ctg_data.storage import Store

PASSWORD = "un mot de passe solide"
PAGES = ("", "diagnostic", "offre_besoins", "plan_action", "evaluation", "donnees")


@pytest.fixture(scope="module")
def shared_server(tmp_path_factory):
    """The app in shared mode on a database with the example and the editor « eric »."""
    url = f"sqlite:///{tmp_path_factory.mktemp('partage') / 'ctg.sqlite'}"
    store = Store(url)
    try:
        assert importing.import_file(store, SAMPLE.read_bytes(), SAMPLE.name).version_ids
        accounts.add_account(store, "eric", "Éric Martin", "editeur", PASSWORD,
                             territoires=["59367"], actor=accounts.command_line_account())
    finally:
        store.close()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CTG_MODE", "partage")   # read by the server's environment at start
        with streamlit_server(url) as address:
            mp.delenv("CTG_MODE")
            yield address


@pytest.fixture(scope="module")
def browser():
    with chromium_browser() as chromium:
        yield chromium


@pytest.fixture
def page(browser):
    with french_page(browser, 1300, 900) as page:
        yield page


@pytest.mark.browser
def test_every_address_needs_a_sign_in_then_shows_the_data(shared_server, page):
    for name in PAGES:
        page.goto(f"{shared_server}/{name}")
        page.get_by_label("Identifiant").wait_for()
        wait_idle(page)
        body = page.inner_text("body")
        assert "Connectez-vous" in body, name
        # No data, no menu: the territory's name appears nowhere, no table, no chart.
        assert "Lys-lez-Lannoy" not in body, name
        assert page.locator("[data-testid='stDataFrame'], .js-plotly-plot, "
                            "[data-testid='stSidebarNav']").count() == 0, name
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "partage_connexion.png"))

    page.get_by_label("Identifiant").fill("eric")
    page.get_by_label("Mot de passe", exact=True).fill("pas le bon")
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_text("Identifiant ou mot de passe incorrect.").wait_for()
    assert "Lys-lez-Lannoy" not in page.inner_text("body")

    page.get_by_label("Identifiant").fill("eric")
    page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_text("Connecté : Éric Martin").wait_for()
    # Signed in on the page asked for (Données), then the menu leads to the charts.
    page.get_by_text("Versions de Lys-lez-Lannoy").wait_for()
    assert page.locator("[data-testid='stSidebarNav']").count() == 1
    page.locator("[data-testid='stSidebarNav'] a[href$='/offre_besoins']").click()
    page.locator(".js-plotly-plot").first.wait_for()
    wait_idle(page)
    assert "Lys-lez-Lannoy" in page.inner_text("body")

    # A new session (a reload) asks again: the sign-in belongs to the session.
    page.reload()
    page.get_by_label("Identifiant").wait_for()
    assert "Lys-lez-Lannoy" not in page.inner_text("body")


def _listening_addresses(port: int) -> set[str]:
    """The local addresses with a listening TCP socket on `port` (Linux /proc/net)."""
    found = set()
    for table, size in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        try:
            lines = open(table).read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:   # 0A = LISTEN
                found.add(address if len(address) == size else "?")
    return found


def test_make_run_listens_on_loopback_only(tmp_path):
    """The command `make run` starts (read with `make -n`) binds 127.0.0.1, and nothing else."""
    dry = subprocess.run(["make", "-n", "run"], cwd=REPO, capture_output=True, text=True,
                         timeout=60, env=os.environ | {"CTG_MODE": "local"})
    [line] = [line for line in dry.stdout.splitlines() if "streamlit run app.py" in line]
    assert "--server.address 127.0.0.1" in line
    port = free_port()
    command = shlex.split(line)
    command = [sys.executable, "-m", "streamlit", *command[1:],
               "--server.port", str(port), "--server.headless", "true",
               "--server.fileWatcherType", "none"]
    env = os.environ | {"CTG_DATABASE_URL": f"sqlite:///{tmp_path / 'ctg.sqlite'}"}
    proc = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health",
                                            timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, "serveur non démarré"
            time.sleep(0.3)
        # 0100007F is 127.0.0.1 as /proc writes it; no 0.0.0.0 nor :: (every interface).
        assert _listening_addresses(port) == {"0100007F"}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
