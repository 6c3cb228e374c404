"""User text is never rendered as Markdown, HTML or plotly markup (issue 13 §9), and the command
line never lets it drive the terminal: what the screen shows is exactly what was typed."""

import html
import re
import subprocess
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ctg_data import charts, indicators, plan_views
from ctg_data.formatting import (escape_md, escape_plotly, inert_table_html, printable,
                                 xml_safe)
from ctg_data.importing import import_file
from ctg_data.workbook import load_workbook
from ctg_data.writing import write_workbook
from test_hostile_inputs import IMAGE, LONG_TEXT, NAME, hostile_data

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "sample_data" / "ctg_lys_lez_lannoy.xlsx"
WORD_JOINER = "\u2060"

CASES = [
    IMAGE, "[lien](http://x.y)", "<http://x.y>", "http://x.y/p.png", "HTTPS://X.Y", "www.x.fr",
    "écrire à a@b.fr", ":smile:", ":material/home:", ":red[rouge]", ":blue-background[x]",
    "$x^2$", "$$\\int$$", "# Titre", "## Titre", "Titre\n===", "- liste", "+ liste", "* liste",
    "1. un", "2) deux", "> citation", "<b>gras</b>", "<img src=x onerror=alert(1)>", "&amp; &#60;",
    "**g** _i_ ~~b~~ `code`", "| a | b |", "[^1]", "\\*", "Axe 1 : Réaliser le diagnostic",
    "12:30", NAME, LONG_TEXT]


def shown(markdown: str) -> str:
    """What a reader sees of escaped Markdown: escapes resolved, word joiners invisible."""
    return re.sub(r"\\(.)", r"\1", markdown.replace(WORD_JOINER, ""), flags=re.S)


@pytest.mark.parametrize("text", CASES)
def test_escape_md_reads_exactly_as_typed(text):
    assert shown(escape_md(text)) == text


@pytest.mark.parametrize("text", CASES)
def test_escape_md_leaves_nothing_markdown_would_interpret(text):
    out = escape_md(text)
    assert "![" not in out and "](" not in out
    # Every special character is escaped (preceded by a backslash).
    assert not re.search(r"(?<!\\)[<>\[\]()$`*_|#~&]", out.replace("\\\\", "")), out
    # Autolinks, e-mail links, emoji and icon shortcodes are broken by a word joiner.
    assert not re.search(r"(?i)https?://|www\.|@\w|:[\w/+-]", out), out
    # Line-start markers (lists, quotes, headings, setext underlines) are escaped.
    for line in out.split("\n"):
        assert not re.match(r"\s*([-+*>=]|\d+[.)])", line), line


def test_escape_md_of_nothing():
    assert escape_md(None) == "" and escape_md(12) == "12"


def test_inert_table_html_escapes_every_cell_and_keeps_line_breaks():
    import pandas as pd
    frame = pd.DataFrame({"<th>": ["<script>alert(1)</script>", IMAGE], "Analyse": [LONG_TEXT,
                                                                               None]})
    body = inert_table_html(frame)
    assert "<script" not in body and "<img" not in body and "<th><th>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body and "&lt;th&gt;" in body
    assert html.escape(LONG_TEXT) in body and "white-space:pre-line" in body
    assert body.count("<tr>") == 3 and "—" in body   # header, two rows; a missing cell


def test_evaluation_table_shows_an_image_url_as_text(db_url):
    data = load_workbook(SAMPLE.read_bytes(), SAMPLE.name).datasets[0]
    plan = data.table("plan_action").copy()
    plan["analyse"] = IMAGE
    plan["resultats_obtenus"] = "<img src=http://host/pixel.png> [x](http://host/a)"
    data.tables["plan_action"] = plan
    from ctg_data.storage import Store
    store = Store(db_url)
    assert import_file(store, write_workbook([data]), "image.xlsx").version_ids
    store.close()
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)
    at.run()
    at.switch_page("pages/evaluation.py").run()
    assert not at.exception, [e.value for e in at.exception]
    tables = [h.proto.body for h in at.get("html") if "ctg-texte" in h.proto.body]
    assert tables, "the evaluation table is drawn as an escaped HTML table"
    for body in tables:
        assert "<img" not in body and "<a " not in body
        assert IMAGE in html.unescape(body)       # the text itself is shown, as typed
    assert not at.get("table"), "no st.table: it would render the users' Markdown"
    for element in (*at.markdown, *at.caption, *at.header, *at.subheader):
        assert "![" not in element.value and "](" not in element.value, element.value


# --- Charts: plotly reads some HTML in texts ------------------------------------------------

def test_escape_plotly():
    assert escape_plotly("<a href='http://x'>&</a>") == "&lt;a href='http://x'&gt;&amp;&lt;/a&gt;"
    assert escape_plotly(None) == ""


def test_no_chart_carries_user_markup():
    data = hostile_data()
    plan = data.table("plan_action").copy()
    plan["unite"] = "<a href='http://x.y'>u</a>"
    plan["numero_action"] = "<b>1</b>"
    data.tables["plan_action"] = plan
    annee = max(data.years())
    figures = [spec.build(data, annee, None) for spec in charts.CHARTS.values()]
    figures.append(charts.action_timeline_figure(data, plan_views.actions_overview(data)))
    status = indicators.plan_status(data, annee)
    years = [c for c in plan.columns if str(c).isdigit()]
    figures.append(charts.plan_indicator_figure(status.iloc[0], plan.iloc[0], years))
    for fig in figures:
        text = fig.to_json()
        assert not re.search(r"<(script|img|a |b>gras)", text), re.search(
            r".{40}<(script|img|a |b>gras).{40}", text)


# --- Documents and terminal -------------------------------------------------------------------

def test_xml_safe_and_printable():
    assert xml_safe("a\x00b\x01\x0b\n\tc\x85\ufffe") == "ab\n\tc"
    assert printable("a\nb\x1b[31m\x00\x9b\t") == "a\\nb\\x1b[31m\\x00\\x9b\\t"
    assert printable("Crèche « été » — 12 %") == "Crèche « été » — 12 %"


def test_cli_escapes_control_characters_of_file_names_and_values(tmp_path, db_url):
    """A file name with a line break cannot forge « Version créée : 999 », an ANSI escape in a
    file name or a cell never reaches the terminal."""
    sheets_file = tmp_path / "classeur\nVersion créée : 999\x1b[31m.xlsx"
    data = load_workbook(SAMPLE.read_bytes(), SAMPLE.name).datasets[0]
    sheets_file.write_bytes(write_workbook([data]))
    bad = tmp_path / "mauvais\x1b[2J.csv"
    bad.write_text("Année;Population\n2021;\x1b[31mbeaucoup\n", encoding="utf-8")
    env = {"CTG_DATABASE_URL": db_url, "PATH": "/usr/bin:/bin", "PYTHONWARNINGS": "ignore"}
    out = ""
    for args in (["import", sheets_file], ["validate", bad, "--territoire", "59367"]):
        done = subprocess.run([sys.executable, "-m", "ctg_data", *map(str, args)], cwd=REPO,
                              env=env, capture_output=True, text=True, timeout=120)
        out += done.stdout + done.stderr
    assert "Traceback" not in out, out
    assert "\x1b" not in out, out
    lines = out.splitlines()
    assert [l for l in lines if l.startswith("Version créée")] == [
        l for l in lines if re.fullmatch(r"Version créée : \d+", l) and l != "Version créée : 999"]
    assert "classeur\\nVersion créée : 999\\x1b[31m.xlsx" in out
    assert "mauvais\\x1b[2J.csv : 1 erreur" in out
    assert ("Feuille « Population », ligne 2, colonne « Population » : caractère de contrôle "
            "invisible (échappement, U+001B)") in out
