"""The plan d'action, fiches actions, évaluation, pilotage and bilan pages driven with AppTest on
a real SQLite database seeded with the sample workbook: edits are saved as new versions with
their history, refused edits store nothing, the evaluation tables follow the annex."""

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from ctg_data import importing
from ctg_data.storage import Store

REPO = Path(__file__).resolve().parent.parent
ANNEX_COLUMNS = ["Actions", "Indicateurs retenus", "Résultats attendus", "Résultats obtenus",
                 "Analyse globale", "Niveau d'atteinte"]
EAJE = "Places d'accueil collectif (EAJE) sur la commune"
AUTHOR = "Camille Martin"


@pytest.fixture
def store(db_url, sample_bytes):
    """The database seeded with the sample workbook (one import version)."""
    store = Store(db_url)
    outcome = importing.import_file(store, sample_bytes, "ctg_lys_lez_lannoy.xlsx")
    assert outcome.version_ids
    yield store
    store.close()


def open_page(page: str, **state) -> AppTest:
    """A fresh session (as after reloading the browser) on `page`, year 2023, author set."""
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)
    at.session_state["auteur"] = AUTHOR
    at.session_state["annee"] = 2023
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def frames_with(at: AppTest, first_column: str) -> list:
    """The tables (st.dataframe, st.table, or the escaped HTML tables of long texts drawn by
    ctg_ui.text_table_block) whose first column is `first_column`."""
    frames = [d.value for d in [*at.dataframe, *at.table]]
    frames += [html_table(h.proto.body) for h in at.get("html") if "<table" in h.proto.body]
    return [f for f in frames if list(f.columns)[:1] == [first_column]]


def html_table(body: str) -> pd.DataFrame:
    """The header and cells of the HTML table in `body`, as text."""
    from html.parser import HTMLParser

    rows: list[list[str]] = []

    class Cells(HTMLParser):
        cell = None

        def handle_starttag(self, tag, attrs):
            if tag == "tr":
                rows.append([])
            elif tag in ("td", "th"):
                self.cell = ""

        def handle_endtag(self, tag):
            if tag in ("td", "th"):
                rows[-1].append(self.cell)
                self.cell = None

        def handle_data(self, data):
            if self.cell is not None:
                self.cell += data

    Cells(convert_charrefs=True).feed(body)
    return pd.DataFrame(rows[1:], columns=rows[0])


def unescaped(text: str) -> str:
    return text.replace("\\", "")


def row_of(store, indicateur: str) -> int:
    plan = store.load("59367").table("plan_action")
    return int(plan.index[plan["indicateur"] == indicateur][0])


def test_edit_value_and_analysis_then_reload(store):
    plan = store.load("59367").table("plan_action")
    row = row_of(store, EAJE)
    reference, target = plan.loc[row, "valeur_reference"], plan.loc[row, "cible"]
    latest = plan.loc[row, "2023"]
    # Before: the 2023 value is short of the target by more than the margin.
    assert 100 * (latest - reference) / (target - reference) < 85

    at = open_page("pages/evaluation.py")
    at.selectbox(key="ev_indicateur").set_value(row).run()
    at.number_input(key="ev_annee").set_value(2023).run()
    assert at.text_input(key="ev_valeur").value == f"{latest:g}"
    at.text_input(key="ev_valeur").set_value(f"{target:g}")
    at.text_area(key="ev_analyse").set_value("Cible atteinte grâce à l'extension.")
    at.button(key="ev_enregistrer").click().run()
    assert not at.exception and not at.error
    assert any("enregistrés" in s.value for s in at.success)

    versions = store.versions("59367")
    assert [v.kind for v in versions] == ["edit", "import"]
    assert versions[0].author == AUTHOR
    changes = store.history("59367", sheet="plan_action")
    assert {(c.column, c.old, c.new, c.author) for c in changes} == {
        ("2023", latest, target, AUTHOR),
        ("analyse", plan.loc[row, "analyse"], "Cible atteinte grâce à l'extension.", AUTHOR)}

    reloaded = open_page("pages/evaluation.py")
    rows = [t[t["Indicateurs retenus"] == EAJE] for t in frames_with(reloaded, "Actions")]
    line = next(r for r in rows if len(r)).iloc[0]
    assert line["Analyse globale"] == "Cible atteinte grâce à l'extension."
    assert line["Niveau d'atteinte"] == "Atteint (100\u202f%)"
    reloaded.selectbox(key="ev_indicateur").set_value(row).run()
    assert reloaded.text_input(key="ev_valeur").value == f"{target:g}"
    history = frames_with(reloaded, "Date")[0]  # the « Historique » expander
    assert set(history["Auteur"]) == {AUTHOR}
    assert set(history["Colonne"]) == {"2023", "Analyse"}


@pytest.mark.parametrize("year, value, message", [
    # Said in the form's terms: the field and the indicator, no sheet, row or column.
    (2023, "douze", "Valeur 2023 de « Places d'accueil collectif (EAJE) sur la commune » : "
                    "nombre attendu, « douze » trouvé."),
    (2025, "12", "Valeur 2025 de « Places d'accueil collectif (EAJE) sur la commune » : "
                 "année 2025 hors de la période de la CTG (2021-2023)."),
])
def test_invalid_value_refused_and_nothing_stored(store, year, value, message):
    row = row_of(store, EAJE)
    at = open_page("pages/evaluation.py")
    at.selectbox(key="ev_indicateur").set_value(row).run()
    at.number_input(key="ev_annee").set_value(year).run()
    at.text_input(key="ev_valeur").set_value(value)
    at.text_area(key="ev_analyse").set_value("Ne doit pas être enregistrée.")
    at.button(key="ev_enregistrer").click().run()
    assert not at.exception
    errors = [unescaped(e.value) for e in at.error]
    assert len(errors) == 1 and message in errors[0] and "Rien n'a été enregistré" in errors[0]
    assert len(store.versions("59367")) == 1
    assert store.history("59367") == []


def expected_bands(plan, annee: int, marge: float = 85.0) -> dict:
    """Band counts per axis computed by hand from the format's rule (workbook-format.md)."""
    years = sorted(int(c) for c in plan.columns if c.isdigit() and int(c) <= annee)
    counts: dict = {}
    for _, r in plan.iterrows():
        values = [r[str(y)] for y in years if pd.notna(r[str(y)])]
        known = r.notna()
        numbers = values or known["cible"] or known["valeur_reference"]
        if not numbers:
            band = {"Réalisée": "Atteint", "Abandonnée": "En retard"}.get(r["statut"],
                                                                          "Non renseigné")
        elif not values or pd.isna(r["cible"]):
            band = "Non renseigné"
        else:
            latest, ref, target = values[-1], r["valeur_reference"], r["cible"]
            pct = 100 * (latest - ref) / (target - ref)
            band = "Atteint" if pct >= 100 else "En bonne voie" if pct >= marge else "En retard"
        axis = counts.setdefault(r["axe"], {"Indicateurs": 0, "Atteint": 0, "En bonne voie": 0,
                                            "En retard": 0, "Non renseigné": 0})
        axis["Indicateurs"] += 1
        axis[band] += 1
    return counts


def test_evaluation_tables_follow_the_annex_and_summary_counts(store):
    plan = store.load("59367").table("plan_action")
    at = open_page("pages/evaluation.py")
    tables = frames_with(at, "Actions")
    axes = list(dict.fromkeys(plan["axe"]))
    assert len(tables) == len(axes) == 3
    for table, axe in zip(tables, axes):
        assert list(table.columns) == ANNEX_COLUMNS
        assert table["Indicateurs retenus"].tolist() == \
            plan.loc[plan["axe"] == axe, "indicateur"].tolist()

    summary = frames_with(at, "Axe")[0]
    expected = expected_bands(plan, 2023)
    assert summary["Axe"].tolist() == axes
    for _, r in summary.iterrows():
        shown = {k: int(r[k]) for k in expected[r["Axe"]]}
        assert shown == expected[r["Axe"]]
    # The sample exercises more than one band.
    assert sum(1 for band in ("Atteint", "En bonne voie", "En retard", "Non renseigné")
               if summary[band].astype(int).sum()) >= 3


def test_fiche_value_saved_and_chart_updated(store):
    row = row_of(store, EAJE)
    numero = store.load("59367").table("plan_action").loc[row, "numero_action"]
    at = open_page("pages/fiches_actions.py")
    at.selectbox(key="fa_fiche").set_value(numero).run()
    assert any("Publics cibles" in m.value for m in at.markdown)
    at.selectbox(key="fa_indicateur").set_value(row).run()
    at.number_input(key="fa_annee").set_value(2022).run()
    at.text_input(key="fa_valeur").set_value("66,5")
    at.button(key="fa_enregistrer").click().run()
    assert not at.exception and not at.error
    chart = next(c for c in at.get("plotly_chart")
                 if c.proto.id and f"fa_graphique_{row}" in c.proto.id)
    figure = json.loads(chart.proto.spec)
    observed = next(t for t in figure["data"] if t.get("name") == "Valeur observée")
    assert 66.5 in observed["y"]
    assert store.history("59367", column="2022")[0].new == 66.5


def test_plan_page_filters_and_adds_an_indicator(store):
    plan = store.load("59367").table("plan_action")
    axes = list(dict.fromkeys(plan["axe"]))
    at = open_page("pages/plan_action.py")
    everything = len(at.expander)
    at.multiselect(key="pa_axe").set_value([axes[2]]).run()
    assert len(at.expander) < everything
    assert any(axes[2] in unescaped(m.value) for m in at.markdown)
    assert not any(axes[1] in unescaped(m.value) for m in at.markdown)

    at.selectbox(key="pa_ligne").set_value(-1).run()
    at.text_input(key="pa_f_axe").set_value(axes[2])
    at.text_input(key="pa_f_action").set_value(plan.loc[plan["axe"] == axes[2], "action"].iloc[0])
    at.text_input(key="pa_f_numero_action").set_value("3")
    at.text_input(key="pa_f_indicateur").set_value("Bilans annuels présentés")
    at.text_input(key="pa_f_cible").set_value("3")
    at.button(key="pa_enregistrer").click().run()
    assert not at.exception and not at.error
    stored = store.load("59367").table("plan_action")
    assert len(stored) == len(plan) + 1
    assert stored.iloc[-1][["indicateur", "cible", "sens"]].tolist() == [
        "Bilans annuels présentés", 3.0, "Hausse"]


def test_comite_with_decision_listed_until_done(store):
    at = open_page("pages/pilotage.py")
    at.date_input(key="pi_c_date").set_value(dt.date(2031, 1, 14))
    at.selectbox(key="pi_c_instance").set_value("Comité de pilotage")
    at.text_area(key="pi_c_ordre_du_jour").set_value("Bilan de la CTG")
    at.button(key="pi_ajouter_comite").click().run()
    assert not at.exception and not at.error
    at.selectbox(key="pi_d_comite").set_value("2031-01-14").run()
    at.text_area(key="pi_d_decision").set_value("Publier le bilan")
    at.text_input(key="pi_d_responsable").set_value("Chef de projet")
    at.button(key="pi_ajouter_decision").click().run()
    assert not at.exception and not at.error

    at = open_page("pages/pilotage.py")
    comites = frames_with(at, "Date")[0]
    added = comites[comites["Date"] == "14/01/2031"].iloc[0]
    assert added["Instance"] == "Comité de pilotage"
    assert added["Décisions"] == "• Publier le bilan (Ouverte)"
    assert any("14 janvier 2031" in i.value for i in at.info)
    pending = frames_with(at, "Comité du")[0]
    assert "Publier le bilan" in pending["Décision"].tolist()

    row = int(store.load("59367").table("decisions").index[-1])
    at.selectbox(key="pi_decision").set_value(row).run()
    at.selectbox(key="pi_statut").set_value("Réalisée")
    at.text_area(key="pi_suivi").set_value("Bilan publié")
    at.button(key="pi_enregistrer_suivi").click().run()
    assert not at.exception and not at.error

    at = open_page("pages/pilotage.py")
    pending = frames_with(at, "Comité du")
    assert not pending or "Publier le bilan" not in pending[0]["Décision"].tolist()
    assert [v.kind for v in store.versions("59367")] == ["edit"] * 3 + ["import"]


def test_presentation_mode_hides_editing(store):
    for page, key in (("pages/evaluation.py", "ev_enregistrer"),
                      ("pages/plan_action.py", "pa_enregistrer"),
                      ("pages/fiches_actions.py", "fa_enregistrer"),
                      ("pages/pilotage.py", "pi_ajouter_comite")):
        at = open_page(page, presentation=True)
        assert key not in [b.key for b in at.button], page


def test_bilan_page_builds_a_download(store):
    at = open_page("pages/bilan_annuel.py")
    assert [h.value for h in at.header][1] == "Ce qui a été réalisé en 2023"
    at.radio(key="ba_format").set_value("xlsx").run()
    at.button(key="ba_generer").click().run()
    assert not at.exception
    downloads = [d for d in at.get("download_button") if "ba_telecharger" in d.proto.id]
    assert downloads


def test_comite_report_completed_with_history(store):
    comites = store.load("59367").table("comites")
    latest = comites.sort_values("date").iloc[-1]
    at = open_page("pages/pilotage.py")
    assert at.text_area(key="pi_e_compte_rendu").value == (latest["compte_rendu"] or "")
    at.text_area(key="pi_e_compte_rendu").set_value("Évaluation finale validée.")
    at.button(key="pi_enregistrer_comite").click().run()
    assert not at.exception and not at.error
    [change] = store.history("59367", sheet="comites")
    assert (change.column, change.old, change.new, change.author) == (
        "compte_rendu", latest["compte_rendu"], "Évaluation finale validée.", AUTHOR)
    history = frames_with(at, "Date")
    assert any("Évaluation finale validée." in h["Après"].tolist() for h in history
               if "Après" in h)
