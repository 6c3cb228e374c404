"""Support for the browser tests: a real Streamlit server on a free port and Debian's chromium
driven by Playwright (never a downloaded browser)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SCREENSHOTS = REPO / "test-output" / "screenshots"
CHROMIUM = os.environ.get("CTG_CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def menu_pages(*, without: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The pages of the menu in its order (`app.PAGES`, read from app.py without running it),
    by file stem: a page added to the app is walked by the browser tests without editing them."""
    import ast

    tree = ast.parse((REPO / "app.py").read_text(encoding="utf-8"))
    pages = next(ast.literal_eval(node.value) for node in tree.body
                 if isinstance(node, ast.Assign)
                 and any(getattr(t, "id", None) == "PAGES" for t in node.targets))
    return tuple(Path(file).stem for _, file, *_ in pages if Path(file).stem not in without)


def require_chromium() -> str:
    """The chromium path; under CI a missing browser fails the test instead of skipping it."""
    if Path(CHROMIUM).exists() or shutil.which(CHROMIUM):
        return CHROMIUM
    message = f"Chromium introuvable ({CHROMIUM}) : `make test` l'installe avec apt-get."
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def streamlit_server(db_url: str, app_dir: Path = REPO, log_path: Path | None = None):
    """Run `streamlit run app.py` of `app_dir` (this repository by default; the page bench
    also runs a reference copy) on loopback against `db_url` until the block ends. The
    database is created first (empty if new): the app refuses a path that does not exist."""
    from ctg_data.storage import Store
    Store(db_url, create=True).close()
    port = free_port()
    env = os.environ | {"CTG_DATABASE_URL": db_url, "PYTHONUNBUFFERED": "1"}
    if log_path is None:
        (REPO / "test-output").mkdir(exist_ok=True)
        log_path = REPO / "test-output" / f"streamlit-{port}.log"
    log = open(log_path, "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true",
         "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
        cwd=app_dir, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"Le serveur Streamlit n'a pas démarré (voir {log_path}).")
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


TIMEOUT = 60_000   # ms: a loaded two-core machine draws a chart page in a few seconds


@contextmanager
def chromium_browser():
    """One headless Debian chromium driven by Playwright, closed at the end of the block."""
    path = require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def french_page(browser, width: int = 1400, height: int = 1000):
    """A page in a new French browser context of `width` × `height` (a projector is
    1280 × 720), with the tests' timeout; the context is closed at the end of the block."""
    context = browser.new_context(viewport={"width": width, "height": height}, locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    try:
        yield page
    finally:
        context.close()


def wait_idle(page, extra_condition: str = "true") -> None:
    """Wait until Streamlit has finished the current run (no running indicator, no skeleton)
    and the JavaScript `extra_condition` holds."""
    page.wait_for_selector("[data-testid='stApp']")
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
        " && !document.querySelector('[data-testid=\"stSkeleton\"]')"
        f" && ({extra_condition})", timeout=TIMEOUT)
    page.wait_for_timeout(300)


def seeded_database(folder: Path, files: list[tuple[bytes, str]]) -> str:
    """The URL of a new SQLite database in `folder` holding the given workbooks (content,
    file name), imported through the core."""
    from ctg_data.importing import import_file
    from ctg_data.storage import Store

    url = f"sqlite:///{folder / 'ctg.sqlite'}"
    store = Store(url)
    try:
        for content, name in files:
            assert import_file(store, content, name, author="test").version_ids
    finally:
        store.close()
    return url
