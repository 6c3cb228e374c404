"""The bilan's renderer list and each renderer on a small hand-made document (no browser, no
database): every block kind reaches every format, opened back with its own library."""

import datetime as dt
import io

import openpyxl
import pandas as pd
import pytest
from docx import Document
from docx.enum.section import WD_ORIENT
from pptx import Presentation
from pypdf import PdfReader

from ctg_data import bilan
from ctg_data.model import CtgData

LONG_ROWS = 20  # more rows than a slide holds (pptx._SLIDE_ROWS = 7)


@pytest.fixture(scope="module")
def document() -> bilan.Bilan:
    """Every block kind once: headings, paragraphs of each style, bullets with a slide, a short
    numeric table, a long table on slides, an XLSX-only table, a chart without image, and a
    landscape part."""
    short = pd.DataFrame({"Mode d'accueil": ["EAJE", "Assistantes maternelles"],
                          "Places": [58.0, 1234.0], "Taux (%)": [12.34, 53.456]})
    long = pd.DataFrame({"Ligne": [f"Ligne {i}" for i in range(1, LONG_ROWS + 1)],
                         "Valeur": [float(i) for i in range(1, LONG_ROWS + 1)]})
    hidden = pd.DataFrame({"Indicateur": ["Population"], "Valeur": [1000.0]})
    return bilan.Bilan(
        title="Bilan 2023 de la CTG — Essai", territoire="Essai", annee=2023,
        cover_lines=["Commune d'Essai — code INSEE 59999", "Bilan de l'année 2023"],
        generated=dt.date(2024, 1, 15),
        blocks=[
            bilan.Heading("Chiffres clés 2023"),
            bilan.Bullets(["Population : 1 000 habitants", "Taux : 53,5"],
                          slide="Chiffres clés 2023"),
            bilan.Paragraph("Un paragraphe ordinaire."),
            bilan.Paragraph("Une note en petit.", "note"),
            bilan.Paragraph("Un texte en gras.", "strong"),
            bilan.Table("Places par mode", short, {"Places": "int", "Taux (%)": "percent"},
                        "Une note de tableau.", "classeur CTG", "Places", slide=True),
            bilan.Table("Une longue table", long, {"Valeur": "int"}, "", "", "Longue",
                        slide=True),
            bilan.Table("Tableur seulement", hidden, {}, "", "", "Cachée", printed=False),
            bilan.Heading("Graphiques", 2),
            bilan.Chart("places_modes", "Places par mode (graphique)", None, "Caf",
                        ["Le comité en a parlé."], missing="[Graphique absent pour l'essai.]"),
            bilan.Orientation(landscape=True),
            bilan.Heading("Évaluation"),
            bilan.Paragraph("Sur une page en paysage."),
            bilan.Orientation(landscape=False),
        ])


# --- the list of renderers ---------------------------------------------------------------------

def test_renderers_are_declared_once_in_the_page_order():
    assert [(r.name, r.label, r.extension) for r in bilan.RENDERERS] == [
        ("docx", "Word (DOCX)", "docx"), ("pdf", "PDF", "pdf"),
        ("pptx", "Diaporama (PPTX)", "pptx"), ("xlsx", "Excel (XLSX)", "xlsx")]
    assert bilan.FORMATS == ("docx", "pdf", "pptx", "xlsx")
    assert bilan.MIME_TYPES == {r.name: r.mime for r in bilan.RENDERERS}
    assert bilan.MIME_TYPES["pdf"] == "application/pdf"
    assert bilan.MIME_TYPES["xlsx"].endswith("spreadsheetml.sheet")
    # Only the spreadsheet leaves the chart images out.
    assert [r.name for r in bilan.RENDERERS if not r.images] == ["xlsx"]


def test_renderer_by_name_and_french_refusal():
    assert bilan.renderer("PPTX").render is bilan.render_pptx
    with pytest.raises(ValueError, match=r"^Format de bilan inconnu : odt \(docx, pdf, pptx ou "
                                         r"xlsx\)\.$"):
        bilan.renderer("odt")


def test_xlsx_bilan_renders_no_chart_image():
    """The XLSX holds tables only: building it never renders a chart (no « Graphique : »
    step), and it still holds the tables."""
    data = CtgData({"code_insee": "59999", "nom": "Villeneuve-Test"}, {
        "population": pd.DataFrame([{"annee": 2023, "enfants_0_2": 400.0}]),
        "equipements": pd.DataFrame([{"nom": "Multi", "type": "Multi-accueil",
                                      "places": 30.0}])})
    steps = []
    content = bilan.build_bilan(data, 2023, "xlsx",
                                progress=lambda f, m: steps.append(m))
    assert not [m for m in steps if m.startswith("Graphique")]
    assert steps[-2:] == ["Mise en forme du document XLSX", "Bilan prêt"]
    wb = openpyxl.load_workbook(io.BytesIO(content))
    assert {"Chiffres clés", "Places par mode"} <= set(wb.sheetnames)


# --- each renderer on the hand-made document ---------------------------------------------------

def test_docx_prints_every_block_and_turns_landscape(document):
    doc = Document(io.BytesIO(bilan.render_docx(document)))
    texts = [p.text for p in doc.paragraphs]
    assert [p.text for p in doc.paragraphs if p.style.name == "Title"] == [document.title]
    assert [p.text for p in doc.paragraphs if p.style.name == "Heading 1"] == \
        ["Chiffres clés 2023", "Évaluation"]
    assert [p.text for p in doc.paragraphs if p.style.name == "List Bullet"] == \
        ["Population : 1 000 habitants", "Taux : 53,5"]
    for text in ("Un paragraphe ordinaire.", "Une note de tableau.", "Source : classeur CTG",
                 "[Graphique absent pour l'essai.]", "Source : Caf"):
        assert text in texts, text
    assert "Commentaire du comité : Le comité en a parlé." in texts
    # Printed tables only (the XLSX-only one is left out), numbers in French.
    assert len(doc.tables) == 2
    places = doc.tables[0]
    assert [c.text for c in places.rows[2].cells] == \
        ["Assistantes maternelles", "1\u202f234", "53,5\u202f%"]
    assert "Tableur seulement" not in texts
    orientations = [s.orientation for s in doc.sections]
    assert orientations == [WD_ORIENT.PORTRAIT, WD_ORIENT.LANDSCAPE, WD_ORIENT.PORTRAIT]


def test_pdf_prints_every_block_with_landscape_pages(document):
    reader = PdfReader(io.BytesIO(bilan.render_pdf(document)))
    text = " ".join(page.extract_text() for page in reader.pages)
    for expected in ("Sommaire", "Chiffres clés 2023", "Un texte en gras.", "Ligne 20",
                     "[Graphique absent pour l'essai.]", "Le comité en a parlé.",
                     "Sur une page en paysage."):
        assert expected in text, expected
    assert "Tableur seulement" not in text
    sizes = [tuple(round(float(v)) for v in page.mediabox[2:]) for page in reader.pages]
    assert (842, 595) in sizes and sizes[0] == (595, 842)


def test_pptx_slides_for_bullets_chart_and_tables_continued(document):
    prs = Presentation(io.BytesIO(bilan.render_pptx(document)))
    titles = [s.shapes.title.text for s in prs.slides]
    assert titles[0] == document.title
    # A slide for the key figures, the chart, the short table, then the long table over
    # several slides (« (suite) »); no slide for the XLSX-only table or plain paragraphs.
    assert titles[1:4] == ["Chiffres clés 2023", "Places par mode", "Une longue table"]
    continued = [t for t in titles if t == "Une longue table (suite)"]
    assert len(continued) >= 2
    assert titles[-1] == "Places par mode (graphique)"
    rows = sum(len(sh.table.rows) - 1 for s in prs.slides for sh in s.shapes if sh.has_table
               and s.shapes.title.text.startswith("Une longue table"))
    assert rows == LONG_ROWS


def test_xlsx_one_sheet_per_table_printed_or_not(document):
    wb = openpyxl.load_workbook(io.BytesIO(bilan.render_xlsx(document)))
    assert wb.sheetnames == ["Places", "Longue", "Cachée"]
    values = [c.value for row in wb["Places"].iter_rows() for c in row]
    assert 1234 in values and "Places par mode" in values
