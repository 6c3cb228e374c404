"""The numbers on screen are those of `python -m ctg_data indicators` for the same data."""

import json
import os
import subprocess
import sys
from pathlib import Path

from streamlit.testing.v1 import AppTest

from ctg_data.importing import import_file
from ctg_data.storage import Store

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "sample_data" / "ctg_lys_lez_lannoy.xlsx"
NNBSP = "\u202f"


def french(x, decimals: int) -> str:
    """French rendering written independently of ctg_data.formatting."""
    if x is None:
        return "—"
    text = f"{x:,.{decimals}f}"
    return text.replace(",", NNBSP).replace(".", ",")


def cli_indicators(db_url: str, *args: str) -> dict:
    result = subprocess.run([sys.executable, "-m", "ctg_data", "indicators", *args],
                            cwd=REPO, env=os.environ | {"CTG_DATABASE_URL": db_url},
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_offre_besoins_matches_cli(db_url):
    store = Store(db_url)
    assert import_file(store, SAMPLE.read_bytes(), SAMPLE.name).version_ids
    store.close()
    # The CLI's default year is the latest with population figures, like the app's.
    cli = cli_indicators(db_url, "--cible", "60")
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=30).run()
    at.switch_page("pages/offre_besoins.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["annee"] == cli["annee"]
    assert at.text_input(key="cible").value == "60"
    shown = metrics(at)
    taux = cli["taux_couverture"]
    assert shown["Taux de couverture global"] == french(taux["global"], 1)
    assert shown["Accueil collectif (EAJE)"] == french(taux["eaje"], 1)
    assert shown["Accueil individuel"] == \
        french(taux["individuel"], 1)
    assert shown["Préscolarisation"] == french(taux["prescolarisation"], 1)
    enfants = next(v for k, v in shown.items() if k.startswith("Enfants de moins de 3 ans"))
    assert enfants == french(cli["enfants_moins_3_ans"], 0)
    assert shown["Places comptées dans le taux"] == french(cli["places"]["total"], 0)
    assert shown["Places manquantes (cible 60)"] == french(cli["places_manquantes"], 0)
    assert shown["Offre hors territoire"] == \
        french(cli["places"]["hors_territoire"], 0)

    # Another year and another target: still the CLI's figures.
    cli = cli_indicators(db_url, "--annee", "2021", "--cible", "75")
    at.selectbox(key="w_annee").set_value(2021).run()
    at.text_input(key="cible").input("75").run()
    shown = metrics(at)
    assert shown["Taux de couverture global"] == french(cli["taux_couverture"]["global"], 1)
    assert shown["Places manquantes (cible 75)"] == french(cli["places_manquantes"], 0)

    # The home page shows the same rate.
    at.switch_page("pages/accueil.py").run()
    assert metrics(at)["Taux de couverture global"] == \
        french(cli["taux_couverture"]["global"], 1)
