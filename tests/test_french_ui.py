"""French everywhere, forms in form terms, tables that fit, and the small things a comité
notices (issue 11 §2 §4-6), checked through the core and AppTest on a real SQLite database.
The browser side (what Streamlit writes in English) is tests/test_browser_french.py."""

import io
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

import ctg_ui
from ctg_data import charts, editing, exports, kinds
from ctg_data import formatting as fmt
from ctg_data.importing import import_file, preview_values
from ctg_data.model import CtgData
from ctg_data.storage import Store
from ctg_data.workbook import load_workbook
from ctg_data.writing import write_workbook
from ctg_ui import french

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "sample_data" / "ctg_lys_lez_lannoy.xlsx"
EAJE = "Places d'accueil collectif (EAJE) sur la commune"


@pytest.fixture
def sample():
    return load_workbook(SAMPLE.read_bytes(), SAMPLE.name).datasets[0]


@pytest.fixture
def store(db_url):
    s = Store(db_url)
    assert import_file(s, SAMPLE.read_bytes(), SAMPLE.name, author="test").version_ids
    yield s
    s.close()


def start(page: str) -> AppTest:
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=30).run()
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def metric(at: AppTest, label_start: str) -> str:
    return next(m.value for m in at.metric if m.label.startswith(label_start))


# --- French number fields ---------------------------------------------------------------------

@pytest.mark.parametrize("typed, expected", [
    ("55,5", 55.5), ("1 234", 1234.0), ("1\u202f234", 1234.0), ("55.5", 55.5), (" 60 ", 60.0),
    ("\u221212", -12.0),
])
def test_number_typed_the_french_way(typed, expected):
    assert fmt.parse_input_number(typed, minimum=-100, maximum=2000, decimals=1) == expected


@pytest.mark.parametrize("typed, decimals, reason", [
    ("douze", 1, "nombre attendu (par exemple 55,5), « douze » saisi"),
    ("250", 1, "valeur entre 0 et 200 attendue, « 250 » saisi"),
    ("3,5", 0, "nombre entier attendu, « 3,5 » saisi"),
    ("", 0, "saisissez un nombre"),
])
def test_number_refused_in_french(typed, decimals, reason):
    with pytest.raises(ValueError) as refused:
        fmt.parse_input_number(typed, minimum=0, maximum=200, decimals=decimals)
    assert str(refused.value) == reason


def test_target_accepts_55_5_and_refuses_out_of_range_in_french(store):
    at = start("pages/offre_besoins.py")
    field = at.text_input(key="cible")
    # The help says where the value comes from, in French, without a variable name.
    assert "CTG_" not in field.help and "réglages" in field.help
    field.input("55,5").run()
    assert not at.exception
    assert at.session_state["cible_taux"] == 55.5
    assert metric(at, "Places manquantes (cible 55,5)")
    at.text_input(key="cible").input("250").run()
    errors = [e.value for e in at.error]
    assert any("valeur entre 0 et 200 attendue, « 250 » saisi" in e and "55,5 reste" in e
               for e in errors), errors
    assert at.session_state["cible_taux"] == 55.5       # the last valid value stays in use
    assert metric(at, "Places manquantes (cible 55,5)")
    at.text_input(key="cible").input("60").run()        # corrected: the message goes away
    assert not at.error and metric(at, "Places manquantes (cible 60)")


def test_scenario_reads_thousands_and_survives_a_page_change(store):
    at = start("pages/scenarios.py")
    at.text_input(key="enfants_scenario").input("1 234").run()
    assert not at.error and not at.exception
    assert [m.value for m in at.metric if m.label == "Enfants de moins de 3 ans"][1] == \
        fmt.fr_number(1234)
    at.text_input(key="delta_eaje_psu").input("−5").run()
    at.switch_page("pages/accueil.py").run()
    at.switch_page("pages/scenarios.py").run()
    assert at.text_input(key="enfants_scenario").value == fmt.input_number(1234)
    assert at.text_input(key="delta_eaje_psu").value == fmt.input_number(-5)
    at.button(key="reinitialiser_scenario").click().run()
    assert at.text_input(key="delta_eaje_psu").value == "0"


def test_french_script_covers_the_english_strings():
    """The strings Streamlit writes in English have a French text, and the script is static."""
    script = french.french_script()
    for english in ("Press Enter to apply", "Choose an option", "No results", "Fullscreen",
                    "Download as CSV", "Search", "Select all", "Decrement", "Choose date",
                    "Browse files", "Drag and drop file here", "Page not found"):
        assert english in french.FRENCH_UI, english
    assert "</script>" in script and script.count("<script>") == 1


# --- Forms in form terms ---------------------------------------------------------------------

def test_form_error_names_the_field_not_the_sheet(sample):
    row = int(sample.table("plan_action").index[sample.table("plan_action")["indicateur"]
                                                == EAJE][0])
    edit = editing.set_indicator_value(sample, row, 2023, "douze")
    lines = [editing.form_line(p, sample) for p in edit.problems]
    assert lines == [f"Valeur 2023 de « {EAJE} » : nombre attendu, « douze » trouvé."]
    # The import keeps the workbook's terms.
    assert edit.problems[0].as_line().startswith("Feuille « Plan d'action », ligne")
    added = editing.add_plan_row(sample, {"axe": "", "indicateur": "Nouvel indicateur"})
    assert "Axe : valeur obligatoire manquante." in [editing.form_line(p, sample)
                                                    for p in added.problems]


def test_form_error_on_the_evaluation_page(store):
    at = start("pages/evaluation.py")
    plan = store.load("59367").table("plan_action")
    at.selectbox(key="ev_indicateur").set_value(int(plan.index[plan["indicateur"] == EAJE][0]))
    at.run()
    at.number_input(key="ev_annee").set_value(2023).run()
    at.text_input(key="ev_valeur").set_value("douze")
    at.button(key="ev_enregistrer").click().run()
    text = " ".join(e.value for e in at.error).replace("\\", "")
    assert "Valeur 2023 de « Places d'accueil collectif (EAJE) sur la commune »" in text
    assert "Feuille" not in text and "ligne" not in text and "colonne" not in text


def test_one_missing_column_is_one_error():
    wb = openpyxl.load_workbook(io.BytesIO(SAMPLE.read_bytes()))
    wb["ALSH"].delete_cols(2)      # the « Nom » column, required and identifying
    out = io.BytesIO()
    wb.save(out)
    report = load_workbook(out.getvalue(), "sans_nom.xlsx")
    alsh = [p for p in report.errors if p.sheet == "ALSH"]
    assert [p.code for p in alsh] == ["colonne_obligatoire_absente"]


def test_import_preview_shows_values_as_read_and_what_changes(store, sample):
    alsh = sample.table("alsh").copy()
    alsh.loc[0, "places"] = alsh.loc[0, "places"] + 10
    changed = CtgData(dict(sample.territoire), dict(sample.tables) | {"alsh": alsh},
                      present=sample.present)
    report = load_workbook(write_workbook([changed]), "modifie.xlsx")
    shown = {sheet: frame for _, sheet, _, frame in preview_values(store, report)}
    assert list(shown["ALSH"]["Changement"][:2]) == ["modifiée : Places", "inchangée"]
    assert shown["ALSH"].loc[0, "Places"] == fmt.input_number(alsh.loc[0, "places"])
    assert "Nom" in shown["ALSH"].columns and len(shown["ALSH"]) == 5


def test_import_warnings_stay_on_the_version(db_url):
    s = Store(db_url)
    wb = openpyxl.load_workbook(io.BytesIO(SAMPLE.read_bytes()))
    wb["ALSH"]["A1"].value = "Année"
    wb["ALSH"].cell(row=1, column=wb["ALSH"].max_column + 1, value="Colonne inconnue")
    out = io.BytesIO()
    wb.save(out)
    outcome = import_file(s, out.getvalue(), "avec_avertissement.xlsx", author="test")
    assert outcome.version_ids
    warnings = s.versions("59367")[0].warnings
    s.close()
    assert warnings
    at = start("pages/donnees.py")
    expander = next(e for e in at.expander if e.label.startswith("Avertissements des imports"))
    text = " ".join(m.value for m in expander.markdown).replace("\\", "")
    assert "avec_avertissement.xlsx" in text.replace("\u2060", "")
    assert any(w.split(" : ")[0][:20] in text for w in warnings)


# --- Tables that fit -----------------------------------------------------------------------

def test_wide_table_gets_widths_that_fit_and_wraps():
    frame = pd.DataFrame({
        "Gravité": ["erreur"] * 3, "Feuille": ["Plan d'action"] * 3, "Ligne": ["12"] * 3,
        "Colonne": ["Analyse globale"] * 3,
        "Message": ["un texte très long qui explique en détail ce qui ne va pas " * 3] * 3})
    config, row_height = fmt.table_layout(frame)
    widths = {c: config[c]["width"] for c in frame.columns}
    assert sum(widths.values()) <= fmt.TABLE_WIDTH_PX
    assert row_height and row_height > 64                  # the grid wraps above 4 rem
    assert config["Gravité"]["pinned"] is True             # decisive: always visible
    assert widths["Message"] == max(widths.values())
    assert fmt.table_layout(frame.head(1)[["Gravité", "Ligne"]]) == ({}, None)


def test_evaluation_table_html_wraps_inside_the_page():
    html = fmt.inert_table_html(pd.DataFrame({"Niveau d'atteinte": ["✓ Atteint"]}))
    assert "overflow-wrap:break-word" in html and 'lang="fr"' in html
    assert "ctg-texte-cadre" in html and "overflow-x:auto" in html


# --- The small things ------------------------------------------------------------------------

@pytest.mark.parametrize("done, total, text", [
    (0, 3, "0/3 actions réalisées"), (1, 3, "1/3 actions réalisées"),
    (1, 1, "1/1 action réalisée"), (0, 1, "0/1 action réalisée")])
def test_actions_done_agree(done, total, text):
    assert fmt.fr_done(done, total) == text


def test_plan_chart_agreement(sample):
    import re

    fig = charts.CHARTS["plan_axes"].build(sample, 2023, None)
    texts = [a.text.strip() for a in fig.layout.annotations if a.name == "actions"]
    assert texts
    for text in texts:
        done, total = map(int, re.match(r"(\d+)/(\d+) ", text).groups())
        assert text == fmt.fr_done(done, total), text   # « 0/3 actions réalisées »


def test_empty_chart_offers_no_image():
    assert ctg_ui.no_data(charts.no_data_figure("Titre", "Source"))
    assert not ctg_ui.no_data(charts.CHARTS["population"].build(
        load_workbook(SAMPLE.read_bytes(), SAMPLE.name).datasets[0], 2023, None))


def test_ages_shown_without_useless_decimal():
    shown = kinds.display_frame(pd.DataFrame({"Âge min": [3.0, 2.5, None]}),
                                {"Âge min": "number"})
    assert shown["Âge min"].tolist() == ["3", "2,5", fmt.MISSING]


def test_inventory_ages_on_the_diagnostic_page(store):
    at = start("pages/diagnostic.py")
    inventory = next(d.value for d in at.dataframe if "Âge min" in d.value.columns)
    assert not inventory["Âge min"].str.endswith(",0").any()
    assert not inventory["Âge max"].str.endswith(",0").any()


def test_signatories_leave_out_an_unnamed_caf(db_url, sample):
    territoire = dict(sample.territoire) | {"caf": None}
    s = Store(db_url)
    s.save([CtgData(territoire, dict(sample.tables), present=sample.present)], kind="import",
           author="test")
    s.close()
    at = start("pages/accueil.py")
    signatories = next(m.value for m in at.markdown if m.value.startswith("**Signataires**"))
    assert "non renseignée" not in signatories and "Caf" not in signatories
    assert "Lys" in signatories


def test_csv_rounded_as_on_screen():
    frame = pd.DataFrame({"Taux de couverture": [53.5031847134, None], "Places": [12, 7],
                          "Part": [12.345, 1.0]})
    csv = exports.table_to_csv(frame, {"Part": "decimal2"}).decode("utf-8-sig")
    assert csv.splitlines() == ["Taux de couverture;Places;Part", "53,5;12;12,35", ";7;1"]
    shown = kinds.display_frame(frame, {"Part": "decimal2"})
    assert shown.loc[0, "Taux de couverture"] == "53,5"


def test_a_table_of_many_figures_scrolls_instead_of_squeezing_its_columns():
    """One row per territory and ~30 columns of figures: rows stay one line high (no wrapping
    into 40 px columns), the decisive column stays pinned."""
    frame = pd.DataFrame({f"Indicateur numéro {i}": [12.5, 30.0] for i in range(30)}
                         | {"Statut": ["complet", "incomplet"]})
    config, row_height = fmt.table_layout(frame)
    assert row_height is None
    assert set(config) == {"Statut"} and config["Statut"]["pinned"] is True
