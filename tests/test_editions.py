"""Open-data editions kept apart (issue 10 §1): the real data.caf.fr file imports exactly as it
is, with its edition; two editions overlapping on a year are both stored and the shown value does
not depend on the import order; the conflicts are reported in French; the Données page can
prefer another edition; `python -m ctg_data references` prints the values as shown."""

import csv
import io
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from ctg_data import references as refmod
from ctg_data.importing import import_file
from ctg_data.opendata import caf_edition, import_opendata, read_caf
from ctg_data.storage import Store

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "sample_data" / "ctg_lys_lez_lannoy.xlsx"
REAL_DEP_FILE = REPO.parent / "shared" / "opendata" / "txcouv_pe_dep.csv"
RATES = ("taux_couverture_psu", "taux_couverture_hors_psu", "taux_couverture_eaje",
         "taux_couverture_prescolarisation", "taux_couverture_am", "taux_couverture_gad",
         "taux_couverture_individuel", "taux_couverture_global")
# The label header of the data.caf.fr export (domain.md §5), as in the real file.
HEADER = ("Date référence;Numéro Département;Nom Département;Numéro Région;Nom Région;"
          "Taux de couv EAJE PSU;Taux de couv hors EAJE PSU;Taux de couv EAJE - ensemble;"
          "Taux de couv préscolarisation;Taux de couv assistante maternelle;"
          "Taux de couv salariée à domicile;Taux de couv accueil individuel - ensemble;"
          "Taux de couv global")
CONFLICT = "NORD, 2022, taux global : 61,6 (édition hist) → 60,3 (édition courante)"


def file_values(content: bytes) -> dict:
    """{(code, year, indicator): value} of a département label export, read with the csv
    module, independently of the application's reader."""
    values = {}
    reader = csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";")
    next(reader)
    for line in reader:
        if not line or set(line[1].strip().upper()) == {"X"}:
            continue
        code = line[1].strip().zfill(2) if line[1].strip().isdigit() else line[1].strip()
        for rate, cell in zip(RATES, line[5:13]):
            cell = cell.strip().replace(",", ".")
            values[(code, int(line[0][:4]), rate)] = float(cell) if cell else math.nan
    return values


def hist_file() -> bytes:
    """A `_hist` edition (2017-2022) for the Nord and the Ain, as data.caf.fr exports it (BOM,
    CRLF, labels): its 2022 Nord figures are the earlier ones (global 61,6, hors PSU 6,0);
    its 2022 Ain figures equal the current file's."""
    lines = [HEADER]
    for year in range(2017, 2022):
        lines.append(f"{year};59;NORD;32;HAUTS DE FRANCE;13.0;3.0;16.0;10.0;31.0;1.0;32.0;"
                     f"{57.3 + (year - 2017) * 0.5:.1f}")
        lines.append(f"{year};01;AIN;84;AUVERGNE RHONE ALPES;13.0;3.0;16.0;1.5;44.0;0.8;44.8;"
                     "62.0")
    lines.append("2022;59;NORD;32;HAUTS DE FRANCE;13.3;6.0;19.3;9.9;31.3;1.1;32.4;61.6")
    lines.append("2022;01;AIN;84;AUVERGNE RHONE ALPES;13.6;3.4;17.0;1.5;44.6;0.8;45.4;63.9")
    return b"\xef\xbb\xbf" + ("\r\n".join(lines) + "\r\n").encode()


def run_cli(db_url: str, *args) -> subprocess.CompletedProcess:
    env = dict(os.environ, CTG_DATABASE_URL=db_url, PYTHONWARNINGS="ignore")
    done = subprocess.run([sys.executable, "-m", "ctg_data", *args], cwd=REPO, env=env,
                          capture_output=True, timeout=120)
    assert b"Traceback" not in done.stderr, done.stderr
    return done


def shown(store: Store) -> pd.DataFrame:
    return store.references().sort_values(["niveau", "code", "annee", "indicateur"]) \
        .reset_index(drop=True)


def test_the_real_file_imports_as_is_and_nord_2023_shows_60_0(db_url):
    """`txcouv_pe_dep.csv` used exactly as it is (BOM, CRLF, labels, padded codes): every
    value stored equals the file's, with its edition; the Nord 2023 global rate reads 60,0 on
    the Offre et besoins page and in the CLI."""
    content = REAL_DEP_FILE.read_bytes()
    assert content.startswith(b"\xef\xbb\xbf") and b"\r\n" in content   # really as exported
    store = Store(db_url)
    outcome = import_opendata(store, content, REAL_DEP_FILE.name)
    expected = file_values(content)
    stored = store.references(editions=True)
    assert outcome.reference_rows == len(expected) == len(stored)
    assert outcome.conflict_lines == []         # a first edition disagrees with nothing
    assert set(stored["edition"]) == {"txcouv_pe_dep"} and stored["retenue"].all()
    assert set(stored["source"]) == {"Cnaf, data.caf.fr (txcouv_pe_dep)"}
    got = {(r.code, r.annee, r.indicateur): r.valeur for r in stored.itertuples()}
    assert got.keys() == expected.keys()
    for key, value in expected.items():
        assert (math.isnan(value) and math.isnan(got[key])) or got[key] == value, key
    assert got[("59", 2023, "taux_couverture_global")] == 60.0
    assert "édition txcouv_pe_dep" in outcome.message

    # The CLI prints it as shown: 60,0 in CSV (French Excel), 60.0 in JSON.
    done = run_cli(db_url, "references", "--niveau", "departement", "--code", "59",
                   "--annee", "2023", "--format", "csv")
    assert done.returncode == 0, done.stderr
    text = done.stdout.decode("utf-8-sig")
    assert "departement;59;NORD;2023;taux_couverture_global;60,0;" \
           "Cnaf, data.caf.fr (txcouv_pe_dep);txcouv_pe_dep" in text.splitlines()
    done = run_cli(db_url, "references", "--niveau", "departement", "--code", "59",
                   "--annee", "2023", "--format", "json")
    records = json.loads(done.stdout)
    assert len(records) == 8
    assert all(list(r) == ["niveau", "code", "nom", "annee", "indicateur", "valeur",
                           "source", "edition"] for r in records)
    nord = next(r for r in records if r["indicateur"] == "taux_couverture_global")
    assert nord == {"niveau": "departement", "code": "59", "nom": "NORD", "annee": 2023,
                    "indicateur": "taux_couverture_global", "valeur": 60.0,
                    "source": "Cnaf, data.caf.fr (txcouv_pe_dep)", "edition": "txcouv_pe_dep"}

    # On the Offre et besoins page of a Nord commune, for 2023.
    assert import_file(store, SAMPLE.read_bytes(), SAMPLE.name, author="test").version_ids
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)
    at.run()
    at.switch_page("pages/offre_besoins.py").run()
    at.selectbox(key="w_annee").set_value(2023).run()
    assert not at.exception, [e.value for e in at.exception]
    table = next(df.value for df in at.dataframe if "Territoire" in df.value.columns
                 and "Taux de couverture global" in df.value.columns)
    row = table[table["Territoire"].astype(str).str.startswith("NORD")].iloc[0]
    assert row["Taux de couverture global"] == "60,0"
    assert row["Édition"] == "txcouv_pe_dep"


def test_national_level_and_filters_in_the_cli(db_url):
    """`--niveau national` is France (stored as « france »): the bundled table as shown, 2022
    = 59,5 (its first estimate is another edition, not printed)."""
    Store(db_url)
    done = run_cli(db_url, "references", "--niveau", "national", "--annee", "2022")
    assert done.returncode == 0, done.stderr
    records = json.loads(done.stdout)
    assert [(r["niveau"], r["code"], r["valeur"]) for r in records] == [("national", "FR", 59.5)]
    assert records[0]["edition"] and records[0]["source"]
    done = run_cli(db_url, "references", "--niveau", "pays")
    assert done.returncode == 2 and "choix impossible" in done.stderr.decode()


@pytest.mark.both_backends
def test_two_editions_in_both_orders_show_the_same_values(db_url, tmp_path):
    """The current file (2022-2023, the real one) and a `_hist` file (2017-2022) overlap on
    2022: imported in either order, both are stored, the same values are shown (the current
    edition's, which covers the most recent year) and the same conflicts are reported."""
    current, hist = REAL_DEP_FILE.read_bytes(), hist_file()
    first = Store(db_url)
    a = import_opendata(first, current, "txcouv_pe_dep.csv")
    b = import_opendata(first, hist, "txcouv_pe_dep_hist.csv")
    other = Store(f"sqlite:///{tmp_path / 'autre_ordre.sqlite'}")
    c = import_opendata(other, hist, "txcouv_pe_dep_hist.csv")
    d = import_opendata(other, current, "txcouv_pe_dep.csv")
    pd.testing.assert_frame_equal(shown(first), shown(other))
    nord22 = first.references(niveau="departement", code="59", annee=2022)
    nord22 = nord22.set_index("indicateur")["valeur"]
    assert nord22["taux_couverture_global"] == 60.3 and nord22["taux_couverture_hors_psu"] == 4.7
    # Both editions are stored.
    both = first.references(niveau="departement", code="59", annee=2022, editions=True)
    glob = both[both["indicateur"] == "taux_couverture_global"].set_index("edition")
    assert glob["valeur"].to_dict() == {"txcouv_pe_dep": 60.3, "txcouv_pe_dep_hist": 61.6}
    assert glob["retenue"].to_dict() == {"txcouv_pe_dep": True, "txcouv_pe_dep_hist": False}
    # Years only the hist edition gives are shown from it.
    assert first.references(niveau="departement", code="59", annee=2017)["valeur"].notna().all()
    # The conflict report: the same lines whichever file comes second; the Ain agrees.
    assert a.conflict_lines == [] and c.conflict_lines == []
    assert b.conflict_lines == d.conflict_lines
    assert CONFLICT in b.conflict_lines
    assert "NORD, 2022, taux EAJE hors PSU : 6,0 (édition hist) → 4,7 (édition courante)" \
        in b.conflict_lines
    assert not any(line.startswith("AIN") for line in b.conflict_lines)
    assert len(b.conflict_lines) == 3       # global, hors PSU and EAJE ensemble
    assert "3 valeurs diffèrent" in b.message and "3 valeurs diffèrent" in d.message
    assert "édition txcouv_pe_dep_hist" in b.message
    # The same report from the stored state, for the places of a territory.
    lines = refmod_conflicts(first)
    assert CONFLICT in lines and len(lines) == 3
    # Importing an edition again changes nothing.
    again = import_opendata(first, hist, "copie de txcouv_pe_dep_hist.csv")
    assert again.duplicate


def refmod_conflicts(store: Store) -> list[str]:
    from ctg_data.opendata import conflict_lines

    return conflict_lines(store.reference_conflicts(codes={"departement": ["59", "01"]}))


def test_preferring_another_edition_changes_what_is_shown_everywhere(db_url):
    store = Store(db_url)
    assert import_file(store, SAMPLE.read_bytes(), SAMPLE.name, author="test").version_ids
    import_opendata(store, hist_file(), "txcouv_pe_dep_hist.csv")
    import_opendata(store, REAL_DEP_FILE.read_bytes(), "txcouv_pe_dep.csv")
    data = store.load("59367")

    def nord_2022(frame):
        rows = frame[(frame["niveau"] == "departement") & (frame["code"] == "59")
                     & (frame["annee"] == 2022)
                     & (frame["indicateur"] == "taux_couverture_global")]
        return rows["valeur"].tolist()

    assert nord_2022(refmod.territory_references(store, data)) == [60.3]
    version = store.reference_version()
    editions = {e["edition"]: e for e in store.reference_editions()}
    assert editions["txcouv_pe_dep"]["shown"] and not editions["txcouv_pe_dep_hist"]["shown"]
    assert (editions["txcouv_pe_dep_hist"]["annee_min"],
            editions["txcouv_pe_dep_hist"]["annee_max"]) == (2017, 2022)
    assert editions["txcouv_pe_dep"]["file_name"] == "txcouv_pe_dep.csv"
    source = editions["txcouv_pe_dep"]["source"]
    store.set_preferred_edition(source, "txcouv_pe_dep_hist")
    # The cached references follow at once (the reference version moved on).
    assert store.reference_version() > version
    assert nord_2022(refmod.territory_references(store, data)) == [61.6]
    assert nord_2022(store.references()) == [61.6]
    assert store.references(niveau="departement", code="59", annee=2023)["valeur"].notna().any()
    store.set_preferred_edition(source, None)
    assert nord_2022(refmod.territory_references(store, data)) == [60.3]
    with pytest.raises(ValueError):
        store.set_preferred_edition(source, "inconnue")

    # The Données page lists the editions and the values they disagree on, and saves a choice.
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)
    at.run()
    at.switch_page("pages/donnees.py").run()
    assert not at.exception, [e.value for e in at.exception]
    listed = next(df.value for df in at.dataframe if "Retenue en cas de désaccord" in
                  df.value.columns)
    assert len(listed) == 2
    differ = next(df.value for df in at.dataframe
                  if list(df.value.columns) == ["Valeur (autre édition) → valeur affichée"])
    assert CONFLICT in list(differ.iloc[:, 0])
    at.selectbox(key="edition_preferee_0").set_value("txcouv_pe_dep_hist")
    at.button(key="FormSubmitter:form_edition_preferee-Enregistrer le choix des éditions") \
        .click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert nord_2022(store.references()) == [61.6]
    assert any("Choix des éditions enregistré" in s.value for s in at.success)


def test_the_edition_comes_from_the_name_or_the_years():
    content = hist_file()
    rows = read_caf(content, "txcouv_pe_dep_hist (1).csv")
    assert set(rows["edition"]) == {"txcouv_pe_dep_hist"}
    assert set(read_caf(REAL_DEP_FILE.read_bytes(), "txcouv_pe_dep (2).csv")["edition"]) == \
        {"txcouv_pe_dep"}
    # A renamed file: six years is the historical edition, two the current one.
    assert set(read_caf(content, "export.csv")["edition"]) == {"txcouv_pe_dep_hist"}
    assert set(read_caf(REAL_DEP_FILE.read_bytes(), "export.csv")["edition"]) == \
        {"txcouv_pe_dep"}
    assert caf_edition(b"", "txcouv_pe_com_hist.csv", "com") == "txcouv_pe_com_hist"
    assert refmod.edition_label("txcouv_pe_dep_hist") == "hist"
    assert refmod.edition_label("txcouv_pe_dep") == "courante"
