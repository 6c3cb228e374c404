"""The Territoires page with AppTest on a real SQLite database of three territories: the rows
show the single-territory figures, the filters narrow them, the exports are offered, picking
a territory makes it the current one; with one territory the page is not in the menu."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from conftest import SAMPLE
from ctg_data import indicators
from ctg_data.formatting import fr_number
from ctg_data.importing import import_file
from ctg_data.storage import Store
from ctg_data.writing import write_workbook
from test_territories import CODES, three_territories

REPO = Path(__file__).resolve().parent.parent
PAGE = "pages/territoires.py"


def open_page(db_url: str) -> AppTest:
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    at.switch_page(PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.fixture
def menu(monkeypatch):
    """The files of the pages app.py puts in the visible menu at its last run, seen by
    wrapping st.navigation (AppTest has no accessor for the menu)."""
    import streamlit as st

    shown: set[str] = set()
    navigation = st.navigation

    def spy(pages, *args, **kwargs):
        shown.clear()
        for page in (p for group in pages.values() for p in group):
            if page.visibility == "visible":
                shown.add(Path(str(page._page)).relative_to(REPO).as_posix())
        return navigation(pages, *args, **kwargs)

    monkeypatch.setattr(st, "navigation", spy)
    return shown


@pytest.fixture
def three(db_url):
    """The database holds the three territories of test_territories."""
    store = Store(db_url)
    outcome = import_file(store, write_workbook(three_territories()), "trois.xlsx",
                          author="test")
    assert len(outcome.version_ids) == 3
    yield store
    store.close()


def shown_table(at: AppTest):
    frame = at.dataframe(key="tableau_territoires").value
    return frame.set_index("Code")


def test_rows_equal_single_territory_figures_and_filters(three, menu):
    at = open_page(three.url)
    assert PAGE in menu
    assert at.title[0].value == "Territoires"
    annee = at.selectbox(key="w_territoires_annee").value
    table = shown_table(at)
    assert sorted(table.index) == sorted(CODES)
    for code in CODES:
        c = indicators.coverage(three.load(code), annee, cible=60)
        assert table.loc[code, "Taux de couverture global"] == fr_number(c.taux["global"], 1)
        assert table.loc[code, "Places manquantes"] == fr_number(c.places_manquantes, 0)
        assert table.loc[code, "Enfants de moins de 3 ans"] == \
            fr_number(c.enfants_moins_3_ans, 0)
    # Exports of the table (Excel, CSV) and of the charts.
    assert at.get("download_button")
    keys = {b.proto.id for b in at.get("download_button")}
    assert any("xlsx_territoires" in k for k in keys) and any("csv_territoires" in k
                                                              for k in keys)
    # Filters narrow the rows.
    at.multiselect(key="w_territoires_type").set_value(["EPCI"]).run()
    assert list(shown_table(at).index) == ["200093201"]
    at.multiselect(key="w_territoires_type").set_value([]).run()
    at.multiselect(key="w_territoires_departement").set_value(["59"]).run()
    assert sorted(shown_table(at).index) == ["59013", "59367"]
    at.text_input(key="w_territoires_texte").set_value("anstaing").run()
    assert list(shown_table(at).index) == ["59013"]
    assert not at.exception


def test_opening_a_territory_makes_it_current(three):
    at = open_page(three.url)
    at.selectbox(key="w_territoires_ouvrir").set_value("59013")
    at.button(key="territoires_ouvrir").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["territoire"] == "59013"
    # The Accueil page of that territory, and the sidebar shows it.
    assert at.title[0].value == "Anstaing"
    assert at.sidebar.selectbox(key="w_territoire").value == "59013"


def test_page_absent_from_menu_with_one_territory(db_url, menu):
    store = Store(db_url)
    assert import_file(store, SAMPLE.read_bytes(), SAMPLE.name, author="test").version_ids
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)
    at.run()
    assert not at.exception
    assert PAGE not in menu and "pages/accueil.py" in menu
    # Reached by its address all the same, it says why it has nothing to compare.
    at.switch_page(PAGE).run()
    assert not at.exception
    assert any("qu'un territoire" in i.value for i in at.info)
    store.close()
