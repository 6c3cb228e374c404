"""Hostile values (issue 13 §8): numbers too large to compute with, control characters, huge
texts, Markdown and HTML in texts. What the format cannot hold is refused with the usual French
sheet/row/column message, in the import and in the in-app forms alike; the worst values it
accepts leave every page and every bilan format working."""

import os
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import ctg_ui
from ctg_data import bilan, editing, schemas, validation
from ctg_data.errors import UnreadableFile
from ctg_data.importing import import_file
from ctg_data.model import CtgData
from ctg_data.storage import Store
from ctg_data.validation import parse_value
from ctg_data.workbook import load_workbook
from ctg_data.writing import write_workbook
from workbook_factory import to_csv, to_xlsx, valid_sheets

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "sample_data" / "ctg_lys_lez_lannoy.xlsx"
PAGES = sorted(p.relative_to(REPO).as_posix() for p in (REPO / "pages").glob("*.py"))
EQUIPEMENTS, PLAN = schemas.EQUIPEMENTS, schemas.PLAN_ACTION

IMAGE = "![x](http://host/pixel.png)"
# A 200-character name (the longest a name may be) made of everything Markdown, HTML, LaTeX and
# Streamlit's shortcodes would interpret.
NAME = ("# Lys " + IMAGE + " <script>alert(1)</script> <b>gras</b> $x^2$ :smile: "
        ":material/home: :red[rouge] http://x.y/p.png www.exemple.fr [lien](javascript:x) "
        "&amp; **g** _i_ ~~b~~ | a | b |").ljust(200, "x")
LONG_TEXT = ("# Titre\n- liste\n1. numéro\n> citation\n" + IMAGE + "\n<img src=x onerror=alert(1)>"
             "\n$$\\int_0^1 x$$ :tada: https://exemple.fr/suivi?x=1 | col |\n\tindenté")


def _error(problems, code):
    found = [p for p in problems if p.code == code]
    assert found, [p.as_line() for p in problems]
    return found[0]


# --- One cell: parse_value ------------------------------------------------------------------

@pytest.mark.parametrize("raw", [1e308, "1e308", "1e309", "-1e309", 1e16, "2 000 000"])
def test_numbers_beyond_the_bounds_are_refused_in_french(raw):
    value, found = parse_value(EQUIPEMENTS.column("places"), raw, sheet="Équipements", row=3)
    assert found is not None and found.code == "hors_limites" and found.is_error
    assert found.as_line().startswith("Feuille « Équipements », ligne 3, colonne « Places » : ")
    assert found.message.endswith("positive ou nulle" if str(raw).startswith("-")
                                  else "inférieure ou égale à 1\u202f000\u202f000")
    assert value is None or value > 1_000_000   # infinity is never returned


@pytest.mark.parametrize("raw", ["inf", "nan", "Infinity", "-inf"])
def test_infinity_and_nan_texts_are_not_numbers(raw):
    value, found = parse_value(PLAN.column("cible"), raw, sheet="Plan d'action", row=2)
    assert value is None and found.code == "nombre_attendu"


def test_every_numeric_column_has_finite_bounds():
    for sheet in schemas.SHEETS:
        for column in sheet.columns:
            if column.type in ("int", "float", "percent"):
                low, high = column.bounds
                assert -1e12 <= low <= high <= 1e12, (sheet.key, column.key)
    # A plan year column (made on the fly) is bounded too.
    year = schemas.Column(key="2022", label="2022", type="float")
    assert parse_value(year, "1e13", sheet="Plan d'action", row=2)[1].code == "hors_limites"


@pytest.mark.parametrize("raw, shown", [
    ("Crèche\x00", "caractère nul, U+0000"), ("a\x01b", "U+0001"), ("a\x7fb", "U+007F"),
    ("a\x85b", "U+0085"), ("\x1b[31mrouge", "échappement, U+001B"), ("a_x0001_b", "« _x0001_ »"),
    ("a_x001B_b", "« _x001B_ »"), ("Multi\naccueil", "saut de ligne, U+000A"),
    ("a\tb", "tabulation, U+0009"), ("a\ufffeb", "U+FFFE")])
def test_control_characters_are_refused_in_names(raw, shown):
    value, found = parse_value(EQUIPEMENTS.column("nom"), raw, sheet="Équipements", row=4)
    assert value is None and found.code == "caractere_controle" and found.is_error
    assert found.as_line() == (f"Feuille « Équipements », ligne 4, colonne « Nom » : caractère "
                               f"de contrôle invisible ({shown}) : retirez-le, il empêcherait "
                               "l'affichage et les exports.")
    # The value shown in the problems table holds no control character either.
    assert not re.search(r"[\x00-\x1f\x7f-\x9f]", str(found.value))


def test_long_texts_keep_line_breaks_and_tabs_but_not_other_controls():
    analyse = PLAN.column("analyse")
    assert parse_value(analyse, "a\nb\r\n\tc", sheet="Plan d'action", row=2) == \
        ("a\nb\r\n\tc", None)
    assert parse_value(analyse, "a\x0bb", sheet="Plan d'action", row=2)[1].code == \
        "caractere_controle"
    # Control characters are refused in every column type, numbers and codes included.
    for column in (EQUIPEMENTS.column("places"), EQUIPEMENTS.column("type"),
                   PLAN.column("numero_action"), schemas.COMITES.column("date")):
        assert parse_value(column, "1\x002", sheet="S", row=2)[1].code == "caractere_controle"


def test_texts_longer_than_their_column_are_refused():
    found = parse_value(schemas.TERRITOIRE.column("nom"), "x" * 1_000_000, sheet="Territoire",
                        row=3)[1]
    assert found.code == "texte_trop_long"
    assert found.message == ("texte trop long : 1\u202f000\u202f000 caractères, 200 au plus "
                             "dans cette colonne")
    assert len(str(found.value)) <= 100          # the problem does not carry the megabyte
    assert parse_value(PLAN.column("analyse"), "x" * 5_000, sheet="P", row=2) == ("x" * 5_000,
                                                                                   None)
    assert parse_value(PLAN.column("analyse"), "x" * 5_001, sheet="P", row=2)[1].code == \
        "texte_trop_long"
    assert parse_value(PLAN.column("numero_action"), "1" * 21, sheet="P", row=2)[1].code == \
        "texte_trop_long"


def test_markdown_is_ordinary_text_for_the_format():
    assert parse_value(PLAN.column("analyse"), IMAGE, sheet="P", row=2) == (IMAGE, None)
    assert parse_value(EQUIPEMENTS.column("nom"), NAME, sheet="É", row=2) == (NAME, None)


# --- Whole files: the import ----------------------------------------------------------------

def test_the_import_reports_each_hostile_cell_with_its_place():
    sheets = valid_sheets()
    sheets["Territoire"][2][1] = "x" * 1_000_000                    # Nom, row 3
    sheets["Équipements"][1][0] = "Multi_x0000_accueil"             # Nom, row 2
    sheets["Équipements"][3][2] = 1e308                             # Places, row 4
    sheets["ALSH"][1][3] = "1e309"                                  # Places, row 2
    sheets["Plan d'action"][1].append(None)
    sheets["Plan d'action"][0].append("Analyse")
    sheets["Plan d'action"][2].append("Bien_x0001_")                # Analyse, row 3
    report = load_workbook(to_xlsx(sheets), "hostile.xlsx")
    assert not report.ok and report.datasets == []
    located = sorted((p.sheet, p.row, p.column, p.code) for p in report.errors)
    assert located == [
        ("ALSH", 2, "Places", "hors_limites"),
        ("Plan d'action", 3, "Analyse", "caractere_controle"),
        ("Territoire", 3, "Nom", "texte_trop_long"),
        ("Équipements", 2, "Nom", "caractere_controle"),
        ("Équipements", 4, "Places", "hors_limites"),
    ]


def test_the_import_refuses_control_characters_of_a_csv_and_of_unknown_columns():
    sheets = valid_sheets()
    rows = sheets["Équipements"]
    rows[0].append("Notes libres")          # an unknown column, kept as text
    rows[1].append("ok")
    rows[2].append("\x1b[2J effacé")
    rows[3].append("ok")
    report = load_workbook(to_csv(rows), "equipements.csv", territoire="59367")
    found = _error(report.errors, "caractere_controle")
    assert (found.sheet, found.row, found.column) == ("Équipements", 3, "Notes libres")


def test_a_csv_line_over_the_csv_module_limit_is_refused_in_french():
    content = ("Année;Population\n2021;" + "x" * 200_000 + "\n").encode()
    with pytest.raises(UnreadableFile) as refused:
        load_workbook(content, "population.csv")
    assert refused.value.code == "ligne_csv_trop_longue"
    assert refused.value.message.startswith("Le fichier « population.csv » contient une cellule "
                                            "de plus de 131\u202f072 caractères (ligne 2)")


# --- In-app forms: the same rules, the same messages ----------------------------------------

@pytest.fixture(scope="module")
def sample():
    return load_workbook(SAMPLE.read_bytes(), SAMPLE.name).datasets[0]


def test_forms_refuse_what_the_import_refuses_with_the_same_message(sample):
    year = str(sample.ctg_years()[0])
    cases = [({"analyse": "Bien\x00"}, "caractere_controle", "Analyse"),
             ({"analyse": "x" * 6_000}, "texte_trop_long", "Analyse"),
             ({year: "1e309"}, "hors_limites", year),
             ({"cible": "1e308"}, "hors_limites", "Cible"),
             ({"resultats_obtenus": "a_x0001_"}, "caractere_controle", "Résultats obtenus")]
    for fields, code, column in cases:
        edit = editing.update_plan_row(sample, 0, fields)
        assert not edit.ok and edit.changes == [] and edit.data is sample
        found = _error(edit.problems, code)
        assert (found.sheet, found.row, found.column) == ("Plan d'action", 2, column)
        key, raw = next(iter(fields.items()))
        expected = parse_value(editing._column(PLAN, key), raw, sheet="Plan d'action", row=2)[1]
        assert found.message == expected.message
    edit = editing.add_fiche(sample, {"numero_action": "99", "intitule": "x" * 1_000_000})
    assert _error(edit.problems, "texte_trop_long").column == "Intitulé"


def test_forms_accept_markdown_as_plain_text(sample):
    edit = editing.update_plan_row(sample, 0, {"analyse": LONG_TEXT})
    assert edit.ok, [p.as_line() for p in edit.problems]
    assert edit.data.table("plan_action").at[0, "analyse"] == LONG_TEXT.strip()


def test_check_data_reports_hostile_values_stored_before_the_rules(sample):
    """Data saved before these rules (or built in code) is checked too: check_data is what
    an edit and an import both run."""
    tables = dict(sample.tables)
    equipements = tables["equipements"].copy()
    equipements.loc[0, "places"] = 1e308
    equipements.loc[1, "nom"] = "Crèche\x01"
    tables["equipements"] = equipements
    data = CtgData(dict(sample.territoire), tables, sample.present)
    found = {(p.row, p.column, p.code) for p in validation.check_data(data)}
    assert (2, "Places", "hors_limites") in found and (3, "Nom", "caractere_controle") in found


# --- The worst accepted values: every page and every bilan format ---------------------------

def hostile_data() -> CtgData:
    """The sample with the worst texts the format accepts in the places users see them."""
    data = load_workbook(SAMPLE.read_bytes(), SAMPLE.name).datasets[0]
    territoire = dict(data.territoire, nom=NAME, epci=NAME, caf=NAME, avertissement=LONG_TEXT)
    tables = {key: frame.copy() for key, frame in data.tables.items()}
    equipements = tables["equipements"]
    equipements.loc[0, "nom"] = NAME
    equipements["remarques"] = LONG_TEXT
    plan = tables["plan_action"]
    for column in ("analyse", "resultats_obtenus", "resultats_attendus"):
        plan[column] = LONG_TEXT
    plan["unite"] = "<b>u</b> $"
    plan.loc[0, "indicateur"] = NAME
    plan.loc[0, "action"] = NAME
    fiches = tables["fiches_actions"]
    fiches["objectifs_operationnels"] = LONG_TEXT
    for key in ("comites", "decisions"):
        frame = tables[key]
        for column in ("ordre_du_jour", "compte_rendu", "suivi"):
            if column in frame:
                frame[column] = LONG_TEXT
    besoins = tables["besoins"]
    if len(besoins):
        besoins.loc[0, "indicateur"] = NAME
    return CtgData(territoire, tables, data.present)


@pytest.fixture(scope="module")
def hostile_db(tmp_path_factory):
    """A database holding the hostile data, imported through the ordinary import (so every
    value in it is one the format accepts), with a comment full of Markdown."""
    path = tmp_path_factory.mktemp("hostile") / "ctg.sqlite"
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    url = f"sqlite:///{path}"
    store = Store(url)
    data = hostile_data()
    outcome = import_file(store, write_workbook([data]), "hostile\u202e.xlsx", author=NAME)
    assert outcome.version_ids, outcome.report.lines()
    store.add_comment(data.code, "couverture_evolution", LONG_TEXT, author=NAME)
    store.close()
    return url


_UNESCAPED = re.compile(r"!\[|\]\(|(?<!\\)<(script|b|img)\b|(?<!\\)\$x|:smile:|:tada:|"
                        r"http://x\.y|(?<!\\)#\s*Lys|www\.exemple")


def _texts(at: AppTest) -> list[str]:
    """Every text of the page Streamlit reads as Markdown: element bodies, and the labels of
    expanders, metrics and widgets (a widget's value is plain text, never interpreted)."""
    texts = []
    for kind in ("markdown", "caption", "title", "header", "subheader", "info", "warning",
                 "error", "success"):
        texts += [e.value for e in at.get(kind)]
    for kind in ("expander", "metric", "text_input", "text_area", "selectbox", "button",
                 "toggle", "checkbox", "number_input", "radio"):
        texts += [e.label for e in at.get(kind) if isinstance(getattr(e, "label", None), str)]
    return texts


def _run_page(page: str) -> AppTest:
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)
    at.run()
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_the_worst_accepted_values_inertly(page, hostile_db, monkeypatch):
    monkeypatch.setenv("CTG_DATABASE_URL", hostile_db)
    at = _run_page(page)
    live = [t for t in _texts(at) if _UNESCAPED.search(t)]
    assert live == [], live
    for html in at.get("html"):      # the evaluation tables: every cell escaped
        body = html.proto.body
        if body.strip() == ctg_ui.french_interface_html().strip():
            continue                 # the app's own static script (French interface texts)
        assert "<script" not in body and "<img" not in body and "<b>" not in body


def legacy_data(sample: CtgData) -> CtgData:
    """Values the import refuses now but a database filled before may hold: a 300-character
    name (Word's title property holds 255), control characters, numbers of 1e308."""
    tables = {key: frame.copy() for key, frame in sample.tables.items()}
    tables["equipements"].loc[0, "places"] = 1e308
    tables["equipements"].loc[1, "nom"] = "Crèche\x00\x01\x1b[31m"
    tables["population"]["enfants_0_2"] = 1e308
    tables["plan_action"]["analyse"] = "Bien\x0b_x0001_\ufffe"
    territoire = dict(sample.territoire, nom="Lys\x01 " * 75)
    return CtgData(territoire, tables, sample.present)


@pytest.fixture(scope="module")
def legacy_db(tmp_path_factory, sample):
    """A database holding `legacy_data`, saved directly (as an older version of the app did)."""
    path = tmp_path_factory.mktemp("legacy") / "ctg.sqlite"
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    url = f"sqlite:///{path}"
    store = Store(url)
    store.save([legacy_data(sample)], kind="import", author="ancienne version")
    store.close()
    return url


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_hostile_values_stored_before_the_rules(page, legacy_db,
                                                                   monkeypatch):
    monkeypatch.setenv("CTG_DATABASE_URL", legacy_db)
    _run_page(page)


def test_every_bilan_format_builds_with_the_worst_accepted_values(hostile_db):
    store = Store(hostile_db)
    data = store.load(store.territories()[0].code)
    annee = max(data.years())
    # Images are left out here (they cost seconds each; plotly text is escaped, see
    # test_inert_rendering): what is tested is the text of every block in every format.
    content = bilan.bilan_content(data, annee, store=store, images=False)
    for fmt, render in ((r.name, r.render) for r in bilan.RENDERERS):
        assert render(content)[:2] in (b"PK", b"%P"), fmt
    store.close()


def test_every_bilan_format_builds_with_hostile_values_stored_before_the_rules(sample):
    data = legacy_data(sample)
    content = bilan.bilan_content(data, max(data.years()), images=False)
    for fmt, render in ((r.name, r.render) for r in bilan.RENDERERS):
        assert render(content)[:2] in (b"PK", b"%P"), fmt
