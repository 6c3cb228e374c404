"""Shared fixtures: a real database in a temp dir (SQLite file, and PostgreSQL too when
CTG_TEST_DATABASE_URL is set), the sample workbook bytes."""

import os
import uuid
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "sample_data" / "ctg_lys_lez_lannoy.xlsx"

# Test modules whose `db_url` tests also run on PostgreSQL when CTG_TEST_DATABASE_URL is set
# (an admin URL of a throwaway server: tests/with_postgresql.sh, run by `make test`). A module
# can also opt in with `pytestmark = pytest.mark.both_backends`.
BOTH_BACKENDS_MODULES = {"test_storage", "test_editing", "test_rights", "test_concurrency",
                         "test_database_health"}


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "both_backends: run the db_url tests on SQLite and on PostgreSQL "
                   "(when CTG_TEST_DATABASE_URL is set)")


def backends() -> list[str]:
    """The database backends the tests can use here."""
    return ["sqlite"] + (["postgresql"] if os.environ.get("CTG_TEST_DATABASE_URL") else [])


def pytest_generate_tests(metafunc):
    if "db_url" not in metafunc.fixturenames:
        return
    module = metafunc.module.__name__.rsplit(".", 1)[-1]
    if module in BOTH_BACKENDS_MODULES or metafunc.definition.get_closest_marker("both_backends"):
        metafunc.parametrize("db_url", backends(), indirect=True)


@pytest.fixture
def db_url(request, tmp_path, monkeypatch):
    """A fresh empty database, also exported as CTG_DATABASE_URL: a SQLite file (created empty,
    0600), or on the PostgreSQL backend a schema of its own, dropped afterwards."""
    if getattr(request, "param", "sqlite") == "sqlite":
        path = tmp_path / "ctg.sqlite"
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        url = f"sqlite:///{path}"
        monkeypatch.setenv("CTG_DATABASE_URL", url)
        yield url
        return
    yield from _postgresql_schema(monkeypatch)


def _postgresql_schema(monkeypatch):
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    admin = make_url(os.environ["CTG_TEST_DATABASE_URL"])
    schema = f"ctg_test_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(admin)
    with engine.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    # The schema is the first of the search path of every connection of the test; the
    # application name lets the teardown close the connections the test's stores left open.
    url = admin.update_query_dict({"options": f"-csearch_path={schema}",
                                   "application_name": schema}
                                  ).render_as_string(hide_password=False)
    monkeypatch.setenv("CTG_DATABASE_URL", url)
    try:
        yield url
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                f"WHERE application_name = '{schema}' AND pid <> pg_backend_pid()")
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        engine.dispose()


@pytest.fixture
def sample_bytes():
    """The bytes of the bundled Lys-lez-Lannoy example workbook."""
    return SAMPLE.read_bytes()


def page_after_import(db_url: str, datasets: list, page: str, annee: int | None = None):
    """An AppTest of app.py on `page` (« pages/x.py »), after `datasets` (CtgData) were
    imported as one workbook into the database at `db_url`, with `annee` chosen."""
    from streamlit.testing.v1 import AppTest

    from ctg_data.importing import import_file
    from ctg_data.storage import Store
    from ctg_data.writing import write_workbook

    store = Store(db_url)
    assert import_file(store, write_workbook(datasets), "classeur.xlsx").version_ids
    store.close()
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)
    if annee is not None:
        at.session_state["annee"] = annee
    at.run()
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at
