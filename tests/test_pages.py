"""Smoke test of every page: each file of pages/ (discovered, not listed) runs without an
exception on the sample data, on an empty database and on a database with two territories."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ctg_data.importing import import_file
from ctg_data.model import CtgData
from ctg_data.storage import Store
from ctg_data.workbook import load_workbook
from ctg_data.writing import write_workbook

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "sample_data" / "ctg_lys_lez_lannoy.xlsx"
PAGES = sorted(p.relative_to(REPO).as_posix() for p in (REPO / "pages").glob("*.py"))
SECOND = {"code_insee": "59013", "nom": "Anstaing"}


def seed(url: str, kind: str) -> None:
    """Fill the database at `url`: "exemple" (the sample workbook), "vide" (nothing) or
    "deux" (the sample and a second territory, imported as one two-territory workbook)."""
    store = Store(url)
    if kind == "exemple":
        outcome = import_file(store, SAMPLE.read_bytes(), SAMPLE.name, author="test")
        assert outcome.version_ids, outcome.message
    elif kind == "deux":
        first = load_workbook(SAMPLE.read_bytes(), SAMPLE.name).datasets[0]
        second = CtgData(first.territoire | SECOND, dict(first.tables), first.present)
        content = write_workbook([first, second])
        outcome = import_file(store, content, "deux_territoires.xlsx", author="test")
        assert len(outcome.version_ids) == 2, outcome.message
    store.close()


def run_page(page: str) -> AppTest:
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=30)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    at.switch_page(page).run()
    return at


def test_pages_are_discovered():
    # The smoke test below must see the pages of this issue (others are added as they come).
    for page in ("accueil", "diagnostic", "offre_besoins", "scenarios", "enfance_jeunesse",
                 "donnees", "presentation"):
        assert f"pages/{page}.py" in PAGES


@pytest.mark.parametrize("page", PAGES)
def test_page_on_sample(page, db_url):
    seed(db_url, "exemple")
    at = run_page(page)
    assert not at.exception, [e.value for e in at.exception]
    assert at.title or at.header, "every page shows a French heading"
    # The sample's territory is named in the sidebar (one territory: no select box).
    assert any("Lys-lez-Lannoy" in s.value for s in at.sidebar.subheader)


@pytest.mark.parametrize("page", PAGES)
def test_page_on_empty_database(page, db_url):
    seed(db_url, "vide")
    at = run_page(page)
    assert not at.exception, [e.value for e in at.exception]
    if page != "pages/donnees.py":
        # Each page says what to load and links to the Données page.
        assert any("Données" in i.value or "donnée" in i.value for i in at.info)
        assert any(link.proto.page.endswith("donnees.py") or "donnees" in link.proto.page
                   for link in at.main.get("page_link"))
    else:
        assert at.button(key="charger_exemple")


@pytest.mark.parametrize("page", PAGES)
def test_page_with_two_territories(page, db_url):
    seed(db_url, "deux")
    at = run_page(page)
    assert not at.exception, [e.value for e in at.exception]
    # Several territories: the sidebar offers the choice (switching is tested by key in
    # test_app_interactions.py).
    select = at.selectbox(key="w_territoire")
    assert set(select.options) == {"Anstaing (59013)", "Lys-lez-Lannoy (59367)"}


def test_latest_and_previous_key_figure():
    """The key figure of a year is its value or the latest earlier one, compared with the
    previous year that holds a value (a year left empty is skipped)."""
    import pandas as pd

    from ctg_data import formatting as fmt

    portrait = pd.DataFrame({
        "indicateur": ["population"] * 4 + ["naissances"],
        "annee": [2020, 2021, 2022, 2024, 2021],
        "valeur": [100.0, 110.0, float("nan"), 130.0, 7.0]})
    assert fmt.latest_and_previous(portrait, "population", 2023) == (110.0, 2021, 100.0, 2020)
    assert fmt.latest_and_previous(portrait, "population", 2024) == (130.0, 2024, 110.0, 2021)
    assert fmt.latest_and_previous(portrait, "naissances", 2023) == (7.0, 2021, None, None)
    assert fmt.latest_and_previous(portrait, "naissances", 2020) == (None, None, None, None)
