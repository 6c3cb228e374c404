"""References at Caf scale (issue 9 §4-5): a page reads only the reference rows that concern its
territory (filtered in the database, never the whole table) and its charts' comments in one
query, `territory_references` gives the same answers as the former full read filtered in
Python, open-data files obey their limits, and the real data.caf.fr file still imports value
for value."""

import csv
import io
import math
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from ctg_data import charts
from ctg_data import references as refmod
from ctg_data.errors import UnreadableFile
from ctg_data.importing import import_file
from ctg_data.model import CtgData
from ctg_data.opendata import import_opendata, read_caf
from ctg_data.storage import Store

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "sample_data" / "ctg_lys_lez_lannoy.xlsx"
REAL_DEP_FILE = REPO.parent / "shared" / "opendata" / "txcouv_pe_dep.csv"
RATES = ("taux_couverture_psu", "taux_couverture_hors_psu", "taux_couverture_eaje",
         "taux_couverture_prescolarisation", "taux_couverture_am", "taux_couverture_gad",
         "taux_couverture_individuel", "taux_couverture_global")
MEL = ("200093201", "Métropole Européenne de Lille")
OWN_RATE = 61.7          # the sample commune's published global rate, seeded below
COMMUNES = range(200, 500)      # 59200 to 59499: Lys-lez-Lannoy (59367) among them


def _rows(niveau: str, places, years=(2022, 2023), source="Cnaf, data.caf.fr (test)",
          edition="test", shift: float = 0.0) -> pd.DataFrame:
    """Long reference rows: every rate of every place and year (a blurred gad rate for one
    place in three)."""
    records = []
    for i, (code, nom) in enumerate(places):
        for year in years:
            for j, rate in enumerate(RATES):
                value = (10.0 + (i % 50) + j + shift if rate != "taux_couverture_global"
                         else 40.0 + (i % 30) + (year - 2022) + shift)
                if rate == "taux_couverture_gad" and i % 3 == 0:
                    value = math.nan
                records.append({"niveau": niveau, "code": code, "nom": nom, "annee": year,
                                "indicateur": rate, "valeur": value, "source": source,
                                "edition": edition})
    return pd.DataFrame(records)


def seed_references(store: Store) -> int:
    """Commune rates for many communes (the sample's among them), EPCI and département rates
    of several places, a revised edition of some of them; return the number of rows stored."""
    communes = [(f"59{n:03d}", f"Commune {n}") for n in COMMUNES]
    frames = [
        _rows("commune", communes),
        _rows("epci", [MEL, ("245900428", "CU de Dunkerque"), ("200044196", "Douaisis Agglo"),
                       ("200068500", "CA de Cambrai")]),
        _rows("departement", [("59", "Nord"), ("62", "Pas-de-Calais"), ("80", "Somme"),
                              ("02", "Aisne")]),
        _rows("region", [("32", "Hauts-de-France")]),
    ]
    first = pd.concat(frames, ignore_index=True)
    own = (first["code"] == "59367") & (first["indicateur"] == "taux_couverture_global") \
        & (first["annee"] == 2023)
    first.loc[own, "valeur"] = OWN_RATE
    store.save_references(first, file_name="premier.csv", content_hash="h1")
    # A revised edition of some communes and of the Nord (the newest import wins).
    revised = pd.concat([_rows("commune", communes[0:10], shift=0.5),
                         _rows("departement", [("59", "Nord")], shift=0.5)], ignore_index=True)
    store.save_references(revised, file_name="revise.csv", content_hash="h2")
    return len(first) + len(revised)


def sample_store(db_url: str) -> Store:
    store = Store(db_url)
    outcome = import_file(store, SAMPLE.read_bytes(), SAMPLE.name, author="test")
    assert outcome.version_ids, outcome.message
    return store


class ReferenceReads:
    """Counts, with a real second query, the rows every SELECT on `reference_values` returns
    (an engine event on every engine of the process: the pages open their own store)."""

    def __init__(self):
        self.statements: list[str] = []
        self.rows = 0
        self.comment_queries = 0

    def __call__(self, conn, cursor, statement, parameters, context, executemany):
        text = " ".join(statement.split())
        if "FROM chart_comments" in text:
            self.comment_queries += 1
        if "reference_values" not in text or not text.upper().startswith("SELECT"):
            return
        self.statements.append(text)
        counter = conn.connection.dbapi_connection.cursor()
        try:
            counter.execute(f"SELECT count(*) FROM ({statement}) AS counted", parameters)
            self.rows += counter.fetchone()[0]
        finally:
            counter.close()

    def __enter__(self):
        sa.event.listen(sa.engine.Engine, "after_cursor_execute", self)
        return self

    def __exit__(self, *exc):
        sa.event.remove(sa.engine.Engine, "after_cursor_execute", self)


def test_a_page_run_reads_only_the_territorys_reference_rows(db_url):
    store = sample_store(db_url)
    stored = seed_references(store)
    assert stored > 5_000
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)
    with ReferenceReads() as reads:
        at.run()
        for page in ("pages/accueil.py", "pages/diagnostic.py", "pages/offre_besoins.py"):
            at.switch_page(page).run()
            assert not at.exception, [e.value for e in at.exception]
        first_visit, comment_queries = reads.rows, reads.comment_queries
        at.run()          # a rerun: the references are kept, nothing is read again
        assert not at.exception, [e.value for e in at.exception]
    # Every read of the table is filtered in SQL (by place), none reads it whole.
    assert reads.statements
    assert all(" WHERE " in s for s in reads.statements), reads.statements
    # What concerns Lys-lez-Lannoy: its own rates, its EPCI's (found by name), the Nord's
    # (two editions), the région's, plus the 8 EPCI and département places listed to find
    # them: under a hundred rows out of more than 5 000.
    concerned = 16 * 4 + 16 + 8
    assert first_visit <= concerned + 8, first_visit
    assert reads.rows == first_visit
    # The comments of the page's charts are read in one query per run, not one per chart.
    assert reads.comment_queries - comment_queries == 1
    # The commune's published rate is there, beside the locally computed one.
    table = next(df.value for df in at.dataframe if "Territoire" in df.value.columns
                 and "Taux de couverture global" in df.value.columns)
    assert "61,7" in list(table["Taux de couverture global"])


def _variants(data: CtgData) -> list[CtgData]:
    """The sample territory seen as: itself (EPCI by name), with its EPCI by SIREN, with an
    unpadded or unknown département, without département, and as an EPCI territory."""
    def variant(**fields):
        return CtgData(data.territoire | fields, dict(data.tables), data.present)
    return [data, variant(epci=MEL[0]), variant(departement="059"),
            variant(departement="", epci=""), variant(departement="75", epci="CU de Dunkerque"),
            variant(code_insee=MEL[0], type="EPCI", epci="", nom=MEL[1]),
            variant(code_insee="59999", epci="METROPOLE EUROPEENNE DE LILLE")]


@pytest.mark.both_backends
def test_territory_references_answer_as_the_full_read_filtered(db_url):
    store = sample_store(db_url)
    seed_references(store)
    data = store.load("59367")
    full = pd.concat([store.references(), refmod.national_references()], ignore_index=True)
    for variant in _variants(data):
        mine = refmod.territory_references(store, variant)
        assert len(mine) < len(full) / 20
        pd.testing.assert_frame_equal(refmod.comparison(variant, 2023, mine),
                                      refmod.comparison(variant, 2023, full))
        pd.testing.assert_frame_equal(refmod.portrait_comparison(variant, 2022, mine),
                                      refmod.portrait_comparison(variant, 2022, full))
        old_rows, new_rows = charts.reference_rows(full), charts.reference_rows(mine)
        for niveau in ("commune", "epci", "departement", "region", "france"):
            pd.testing.assert_frame_equal(
                charts.level_rows(new_rows, niveau, variant).reset_index(drop=True),
                charts.level_rows(old_rows, niveau, variant).reset_index(drop=True),
                check_dtype=False)
    # The newest import wins, as in Store.references: the revised Nord rate.
    nord = refmod.territory_references(store, data, national=False)
    nord = nord[(nord["niveau"] == "departement") & (nord["annee"] == 2023)
                & (nord["indicateur"] == "taux_couverture_global")]
    assert nord["valeur"].tolist() == [41.5]      # 41.0 in the first edition
    # A new import is seen at once (the cache is keyed on the reference version).
    before = len(refmod.territory_references(store, data, national=False))
    store.save_references(_rows("commune", [("59367", "Lys-lez-Lannoy")], years=(2024,)),
                          file_name="2024.csv", content_hash="h3")
    assert len(refmod.territory_references(store, data, national=False)) == before + 8


def caf_commune_file(lines: int) -> bytes:
    """A data.caf.fr commune file (field codes, `;`, UTF-8 with BOM, CRLF) of `lines` lines."""
    header = ["numcom", "nomcom", "numepci", "nomepci", "annee", "txcouv_psu_col_com",
              "txcouv_hors_psu_col_com", "txcouv_eaje_com", "txcouv_prescol_com",
              "txcouv_am_ind_com", "txcouv_gad_ind_com", "txcouv_ind_com", "txcouv_com"]
    body = [";".join(header)]
    for n in range(lines):
        body.append(f"{10000 + n // 2:05d};Commune {n // 2};200093201;MEL;{2022 + n % 2};"
                    "12.5;3.0;15.5;2.0;30.1;0.4;30.5;48.0")
    return b"\xef\xbb\xbf" + ("\r\n".join(body) + "\r\n").encode()


def test_open_data_limits_refuse_in_french_and_store_nothing(db_url, monkeypatch):
    store = Store(db_url)
    content = caf_commune_file(40)
    monkeypatch.setenv("CTG_MAX_OPENDATA_ROWS", "39")
    with pytest.raises(UnreadableFile) as refused:
        import_opendata(store, content, "txcouv_pe_com.csv")
    assert refused.value.code == "trop_de_lignes"
    assert "40 lignes" in refused.value.message and "maximum est de 39" in refused.value.message
    assert store.reference_version() == 0 and store.references().empty
    monkeypatch.setenv("CTG_MAX_OPENDATA_ROWS", "40")
    monkeypatch.setenv("CTG_MAX_OPENDATA_MB", "1")
    large = caf_commune_file(16_000)
    assert len(large) > 1 << 20
    with pytest.raises(UnreadableFile) as refused:
        import_opendata(store, large, "txcouv_pe_com.csv")
    assert refused.value.code == "fichier_trop_gros"
    assert "taille maximale est de 1 Mo" in refused.value.message
    assert store.reference_version() == 0
    # Within the limits the same file imports, in chunks.
    outcome = import_opendata(store, content, "txcouv_pe_com.csv")
    assert outcome.reference_rows == 40 * 8 and store.reference_version() == 1
    # The Données page states the limits and refuses the file before offering to import it.
    monkeypatch.setenv("CTG_MAX_OPENDATA_ROWS", "10")
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)
    at.run()
    at.switch_page("pages/donnees.py").run()
    assert any("10 lignes au plus" in c.value for c in at.caption)
    at.file_uploader(key="fichier").set_value(("txcouv_pe_com.csv", content, "text/csv")).run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("40 lignes" in e.value for e in at.error)
    assert not [b for b in at.button if b.key == "confirmer_opendata"]


@pytest.mark.both_backends
def test_the_real_departement_file_imports_value_for_value(db_url):
    """`txcouv_pe_dep.csv` as data.caf.fr exports it (labels, BOM, CRLF): every rate stored is
    the one the file gives, read here independently with the csv module."""
    content = REAL_DEP_FILE.read_bytes()
    store = Store(db_url)
    outcome = import_opendata(store, content, REAL_DEP_FILE.name)
    stored = store.references()
    expected = {}
    reader = csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";")
    next(reader)
    for line in reader:
        if not line or set(line[1].upper()) == {"X"}:
            continue
        code = line[1].strip().zfill(2) if line[1].strip().isdigit() else line[1].strip()
        for rate, cell in zip(RATES, line[5:13]):
            cell = cell.strip().replace(",", ".")
            expected[(code, int(line[0][:4]), rate)] = float(cell) if cell else math.nan
    assert outcome.reference_rows == len(expected) == len(stored)
    assert set(stored["niveau"]) == {"departement"}
    got = {(r.code, r.annee, r.indicateur): r.valeur for r in stored.itertuples()}
    assert got.keys() == expected.keys()
    for key, value in expected.items():
        assert (math.isnan(value) and math.isnan(got[key])) or got[key] == value, key
    # The whole-file reading gives the same rows as the chunked import.
    parsed = read_caf(content, REAL_DEP_FILE.name)
    assert len(parsed) == len(stored)
    assert {(r.code, r.annee, r.indicateur) for r in parsed.itertuples()} == expected.keys()
