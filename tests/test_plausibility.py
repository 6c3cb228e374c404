"""Plausibility on entry (issue 10 §4): counts are never negative, a value out of the plausible
range (more than 10 times the previous or reference value, or under a tenth of it) asks for a
confirmation in the forms and is a warning in the import; a scenario says when a removal is
capped. The issue's case: « -5 » then « 2 000 000 » saved for « Demandes en attente » gave
« Atteint (275 %) » then « En retard (−3 333 067 %) »."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import openpyxl
import pytest
from streamlit.testing.v1 import AppTest

from conftest import SAMPLE
from ctg_data import editing, importing, indicators, plausibility
from ctg_data.model import CtgData
from ctg_data.storage import Store
from ctg_data.workbook import load_workbook
from ctg_data.writing import write_workbook

REPO = Path(__file__).resolve().parent.parent
DEMANDES = 4   # plan row « Demandes d'accueil en attente au 31 décembre » of the sample


def sample() -> CtgData:
    return load_workbook(SAMPLE.read_bytes(), SAMPLE.name).datasets[0]


def test_rules_on_one_territory():
    data = sample()
    assert plausibility.problems(data) == []      # the sample is plausible
    plan = data.table("plan_action")
    plan.loc[DEMANDES, "2023"] = 2_000_000.0
    plan.loc[3, "2022"] = -5.0                    # places: a count
    found = {(p.code, p.sheet, p.row, p.column): p for p in plausibility.problems(data)}
    unusual = found[("valeur_inhabituelle", "Plan d'action", DEMANDES + 2, "2023")]
    assert unusual.severity == "avertissement"
    assert "plus de 10 fois la valeur de 2022 (51)" in unusual.message
    negative = found[("compte_negatif", "Plan d'action", 5, "2022")]
    assert negative.message == "« -5 » : un nombre de places ne peut pas être négatif"
    # A change may be negative; small numbers and zeros are never judged.
    assert plausibility.may_be_negative("%", "Évolution du nombre de places")
    assert not plausibility.may_be_negative("demandes", "Demandes en attente")
    assert plausibility.unusual(40, 3) == "plus de 10 fois"
    assert plausibility.unusual(12, 1) is None and plausibility.unusual(0, 50) is None
    assert plausibility.unusual(4, 50) == "moins du dixième de"
    # Without an earlier year, a plan value is compared with its reference value.
    plan.loc[DEMANDES, ["2021", "2022", "2023"]] = [700.0, np.nan, np.nan]
    lines = [p.message for p in plausibility.problems(data) if p.column == "2021"]
    assert lines == ["« 700 » est plus de 10 fois la valeur de référence (62, 2020) : valeur "
                     "inhabituelle, à vérifier (faute de frappe, unité ?)"]


def test_import_warns_with_sheet_row_and_column_per_territory(db_url):
    data = sample()
    acc = data.table("accueil_petite_enfance")
    acc.loc[acc["annee"] == 2024, "demandes_en_attente"] = 4000.0    # 2023: 43
    data.table("plan_action").loc[DEMANDES, "2022"] = -5.0
    # A second territory twenty times larger: its own figures are plausible for itself.
    big = {k: v.copy() for k, v in sample().tables.items()}
    big["accueil_petite_enfance"]["demandes_en_attente"] *= 20
    other = CtgData(data.territoire | {"code_insee": "59999", "nom": "Grande-Ville"}, big,
                    data.present)
    content = write_workbook([data, other])
    store = Store(db_url)
    outcome = importing.import_file(store, content, "deux.xlsx")
    assert outcome.version_ids and outcome.report.ok       # warnings never block an import
    found = [p for p in outcome.report.warnings if p.code in plausibility.CODES]
    assert {p.code for p in found} == {"valeur_inhabituelle", "compte_negatif"}
    # Each warning at the file's own sheet, row and column (as Excel shows them).
    sheet = openpyxl.load_workbook(io.BytesIO(content))["Accueil petite enfance"]
    rows = [r for r in sheet.iter_rows() if [c.value for c in r][:1] == ["59367"]
            and 4000 in [c.value for c in r]]
    unusual = [p for p in found if p.code == "valeur_inhabituelle"]
    assert [(p.sheet, p.row, p.column) for p in unusual] == [
        ("Accueil petite enfance", rows[0][0].row, "Demandes d'accueil en attente")]
    assert "plus de 10 fois la valeur de 2023 (43)" in unusual[0].message
    # Stored with the territory they concern only.
    versions = {v.code: v for v in store.versions() if v.is_current}
    assert any("4 000" in w or "4\u202f000" in w for w in versions["59367"].warnings)
    assert not any("valeur inhabituelle" in w for w in versions["59999"].warnings)
    store.close()


def test_form_refuses_a_negative_count_and_confirms_an_unusual_value():
    data = sample()
    negative = editing.set_indicator_value(data, DEMANDES, 2023, "-5")
    assert not negative.ok and negative.changes == [] and negative.data is data
    assert [p.code for p in negative.problems] == ["compte_negatif"]
    assert negative.needs_confirmation == []     # refused: no confirmation can save it
    assert not editing.set_indicator_value(data, DEMANDES, 2023, "-5", confirmed=True).ok

    unusual = editing.set_indicator_value(data, DEMANDES, 2023, "2 000 000")
    assert not unusual.ok and unusual.changes == []
    assert [p.code for p in unusual.needs_confirmation] == ["valeur_inhabituelle"]
    assert editing.CONFIRM_LABEL in unusual.problems[0].message
    confirmed = editing.set_indicator_value(data, DEMANDES, 2023, "2 000 000", confirmed=True)
    assert confirmed.ok and [(c.old, c.new) for c in confirmed.changes] == [(43.0, 2_000_000.0)]
    # An ordinary value needs nothing; a negative change is fine for an « évolution ».
    assert editing.set_indicator_value(data, DEMANDES, 2023, "45").ok
    evolution = editing.update_plan_row(data, DEMANDES, {"indicateur": "Évolution des demandes",
                                                         "2023": "-5"})
    assert evolution.ok


def test_scenario_says_when_a_removal_is_capped():
    data = sample()
    assert indicators.coverage(data, 2022).places["am"] == 172
    sim = indicators.scenario(data, 2022, delta_places={"am": -300, "eaje_psu": -10})
    assert sim.places["am"] == 0
    assert sim.limites == [
        "Places d'assistantes maternelles pour les moins de 3 ans : retrait de 300 places "
        "demandé, mais seules 172 places sont comptées en 2022 : retrait limité à 172 places "
        "(une composante ne peut pas devenir négative)."]
    assert any("limité à −172" in a for a in sim.alertes)
    assert indicators.scenario(data, 2022, delta_places={"am": -100}).limites == []


@pytest.fixture
def store(db_url, sample_bytes):
    """The database seeded with the sample workbook."""
    store = Store(db_url)
    assert importing.import_file(store, sample_bytes, "ctg_lys_lez_lannoy.xlsx").version_ids
    yield store
    store.close()


def open_page(page: str, annee: int) -> AppTest:
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)
    at.session_state["auteur"] = "Camille Martin"
    at.session_state["annee"] = annee
    at.run()
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_evaluation_form_asks_to_confirm_an_unusual_value(store):
    at = open_page("pages/evaluation.py", 2023)
    at.selectbox(key="ev_indicateur").set_value(DEMANDES).run()
    at.number_input(key="ev_annee").set_value(2023).run()
    # A negative count: refused, nothing to confirm.
    at.text_input(key="ev_valeur").set_value("-5")
    at.button(key="ev_enregistrer").click().run()
    assert "ne peut pas être négatif" in at.error[0].value
    assert not [c for c in at.checkbox if c.key == "ev_confirmer"]
    # An unusual value: refused until confirmed.
    at.text_input(key="ev_valeur").set_value("2 000 000")
    at.button(key="ev_enregistrer").click().run()
    assert not at.exception
    assert "valeur inhabituelle" in at.error[0].value and \
        "Rien n'a été enregistré" in at.error[0].value
    assert len(store.versions("59367")) == 1
    at.checkbox(key="ev_confirmer").check()
    at.button(key="ev_enregistrer").click().run()
    assert not at.exception and not at.error
    assert any("enregistrés" in s.value for s in at.success)
    assert store.load("59367").table("plan_action").loc[DEMANDES, "2023"] == 2_000_000
    assert not [c for c in at.checkbox if c.key == "ev_confirmer"]


def test_scenario_page_says_the_cap(store):
    at = open_page("pages/scenarios.py", 2022)
    # The field is a French number field (a text input), or a number input.
    texts = [w for w in at.text_input if w.key == "delta_am"]
    if texts:
        texts[0].set_value("-300").run()
    else:
        at.number_input(key="delta_am").set_value(-300).run()
    assert not at.exception
    warnings = [w.value for w in at.warning]
    assert any("retrait limité à 172 places" in w for w in warnings), warnings
