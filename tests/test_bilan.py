"""The bilan report on the Lys-lez-Lannoy sample: each format is built once and opened with its
own library (python-docx, python-pptx, openpyxl, pypdf); PDF pages are written as PNG under
test-output/bilan/ for people to look at."""

import io
import re
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from docx import Document
from pptx import Presentation
from pypdf import PdfReader

from ctg_data import bilan, exports, kinds
from ctg_data.model import CtgData
from ctg_data.storage import Store
from ctg_data.workbook import load_workbook

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "sample_data" / "ctg_lys_lez_lannoy.xlsx"
OUTPUT = REPO / "test-output" / "bilan"
ANNEE = 2023
EVALUATION_COLUMNS = ["Actions", "Indicateurs retenus", "Résultats attendus",
                      "Résultats obtenus", "Analyse globale", "Niveau d'atteinte"]
FORMULA = "=1+1"
COMMENT = "Le comité note la hausse des places chez les assistantes maternelles."


def flat(text: str) -> str:
    """Text with every kind of space (no-break, narrow no-break, newline) as one space."""
    return re.sub(r"[\s\u00a0\u202f]+", " ", text)


@pytest.fixture(scope="module")
def data() -> CtgData:
    """The sample, with a formula-looking analysis typed by a user on the second plan row."""
    report = load_workbook(SAMPLE.read_bytes(), SAMPLE.name)
    assert report.ok, [p.as_line() for p in report.errors]
    sample = report.datasets[0]
    plan = sample.table("plan_action").copy()
    plan.loc[1, "analyse"] = FORMULA
    tables = dict(sample.tables, plan_action=plan)
    return CtgData(sample.territoire, tables, sample.present)


@pytest.fixture(scope="module")
def store(data, tmp_path_factory):
    """A real SQLite store holding the sample and one comité comment on a bilan chart."""
    url = f"sqlite:///{tmp_path_factory.mktemp('bilan') / 'ctg.sqlite'}"
    s = Store(url)
    s.save([data], kind="import", author="test")
    s.add_comment(data.code, "assistantes_maternelles", COMMENT, author="Copil", annee=ANNEE)
    return s


@pytest.fixture(scope="module")
def documents(data, store) -> dict:
    """Each format built once (chart images are rendered once, then reused from the cache);
    the progress reports of each build are kept under key `progress_<fmt>`."""
    assert exports.image_export_available(), exports.image_export_message()
    OUTPUT.mkdir(parents=True, exist_ok=True)
    out = {}
    for fmt in ("pdf", "docx", "pptx", "xlsx"):
        steps = []
        out[fmt] = bilan.build_bilan(data, ANNEE, fmt, store=store,
                                     progress=lambda f, m, steps=steps: steps.append((f, m)))
        out[f"progress_{fmt}"] = steps
        (OUTPUT / f"bilan_{ANNEE}.{fmt}").write_bytes(out[fmt])
    return out


@pytest.fixture(scope="module")
def pdf_pages(documents) -> list[str]:
    return [flat(page.extract_text()) for page in PdfReader(io.BytesIO(documents["pdf"])).pages]


def axes_of(data) -> list[str]:
    plan = data.table("plan_action")
    return list(dict.fromkeys(plan["axe"]))


# The sample's 2023 coverage, by hand: EAJE PSU 48 (La Pépinière) + 10 (Au pays des Merveilles),
# hors PSU 10 (Ma Cachette, PAJE), AM 166, garde à domicile 5, préscolarisation 13 = 252 places
# for 471 children under 3: 100 × 252 / 471 = 53,50… → « 53,5 ».
RATE_2023 = 100 * 252 / 471
RATE_TEXT = "53,5 places pour 100 enfants"


HEADINGS = [f"Chiffres clés {ANNEE}", "Diagnostic du territoire",
            "Offre d'accueil du jeune enfant et taux de couverture",
            "Enfance-jeunesse : accueils de loisirs", "Plan d'action et évaluation",
            "Analyses et commentaires du comité", "Méthodologie et sources"]


# --- progress ----------------------------------------------------------------------------------

def test_progress_goes_up_to_one_with_french_messages(documents):
    steps = documents["progress_pdf"]
    fractions = [f for f, _ in steps]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and len(steps) > 10
    assert any(m.startswith("Graphique : ") for _, m in steps)
    assert steps[-1][1] == "Bilan prêt"


def test_unknown_format_is_refused_in_french(data):
    with pytest.raises(ValueError, match="Format de bilan inconnu"):
        bilan.build_bilan(data, ANNEE, "odt")


# --- PDF ---------------------------------------------------------------------------------------

def test_pdf_headings_rate_accents_and_page_numbers(documents, pdf_pages, data):
    text = " ".join(pdf_pages)
    for heading in HEADINGS:
        assert heading in text, heading
    assert "Sommaire" in pdf_pages[1]
    assert RATE_TEXT in text
    assert "Lys-lez-Lannoy" in pdf_pages[0] and f"Bilan {ANNEE}" in pdf_pages[0]
    assert f"page 3 / {len(pdf_pages)}" in pdf_pages[2]
    assert COMMENT in text


def test_pdf_is_a4_with_embedded_dejavu_fonts(documents):
    reader = PdfReader(io.BytesIO(documents["pdf"]))
    sizes = {tuple(round(float(v)) for v in page.mediabox[2:]) for page in reader.pages}
    assert sizes <= {(595, 842), (842, 595)} and (595, 842) in sizes
    fonts = {}
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            fonts[str(font["/BaseFont"])] = "/FontFile2" in descriptor
    assert fonts and all(fonts.values())
    assert any("DejaVu" in name for name in fonts)


def test_pdf_evaluation_tables_list_the_annex_columns_in_order(pdf_pages, data):
    for number, axe in enumerate(axes_of(data), start=1):
        page = next(p for p in pdf_pages if f"Tableau d'évaluation — {axe}" in p)
        start = page.index(f"Tableau d'évaluation — {axe}")
        positions = [page.index(col, start) for col in EVALUATION_COLUMNS]
        assert positions == sorted(positions), axe


def test_pdf_pages_as_png_for_people(documents, pdf_pages):
    """Pages 1 (title) and the first evaluation page go to test-output/bilan/ as PNG."""
    assert shutil.which("pdftoppm"), "pdftoppm (poppler-utils) is needed"
    pdf = OUTPUT / f"bilan_{ANNEE}.pdf"
    evaluation = next(i for i, p in enumerate(pdf_pages, start=1) if "Tableau d'évaluation" in p)
    for page, name in ((1, "page_titre"), (3, "page_chiffres_cles"), (evaluation,
                                                                      "page_evaluation")):
        subprocess.run(["pdftoppm", "-png", "-r", "80", "-singlefile", "-f", str(page), "-l",
                        str(page), str(pdf), str(OUTPUT / name)], check=True, timeout=60)
        assert (OUTPUT / f"{name}.png").read_bytes().startswith(b"\x89PNG")



def test_pptx_first_slide_as_png_for_people(documents, tmp_path):
    """The PPTX's title slide rendered by LibreOffice (when installed) goes to test-output/."""
    soffice = shutil.which("soffice")
    if not soffice:
        pytest.skip("LibreOffice (soffice) absent : rendu de la diapositive non produit.")
    pptx = OUTPUT / f"bilan_{ANNEE}.pptx"
    subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{tmp_path}/profil",
                    "--convert-to", "pdf", "--outdir", str(tmp_path), str(pptx)],
                   check=True, timeout=180, capture_output=True)
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-singlefile", "-f", "1", "-l", "1",
                    str(tmp_path / pptx.with_suffix(".pdf").name), str(OUTPUT / "diapo_titre")],
                   check=True, timeout=60)
    assert (OUTPUT / "diapo_titre.png").read_bytes().startswith(b"\x89PNG")

# --- DOCX --------------------------------------------------------------------------------------

def test_docx_headings_toc_and_rate(documents, data):
    doc = Document(io.BytesIO(documents["docx"]))
    heading1 = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    heading2 = [p.text for p in doc.paragraphs if p.style.name == "Heading 2"]
    assert heading1 == HEADINGS[:6] + ["Pilotage", HEADINGS[6]]
    assert all(axe in heading2 for axe in axes_of(data))
    assert [p.text for p in doc.paragraphs if p.style.name == "Title"] == \
        [f"Bilan {ANNEE} de la CTG — Lys-lez-Lannoy"]
    instructions = "".join(el.text for el in doc.element.body.iter()
                           if el.tag.endswith("}instrText"))
    assert 'TOC \\o "1-2"' in instructions
    text = flat("\n".join(p.text for p in doc.paragraphs))
    assert RATE_TEXT in text
    assert COMMENT in text


def test_docx_evaluation_table_of_each_axis(documents, data):
    doc = Document(io.BytesIO(documents["docx"]))
    tables = [t for t in doc.tables
              if [c.text for c in t.rows[0].cells] == EVALUATION_COLUMNS]
    plan = data.table("plan_action")
    axes = axes_of(data)
    assert len(tables) == len(axes)
    for table, axe in zip(tables, axes, strict=True):
        rows = plan[plan["axe"] == axe]
        assert [r.cells[1].text for r in table.rows[1:]] == rows["indicateur"].tolist()
        first_action = rows.iloc[0]
        assert table.rows[1].cells[0].text == \
            f"Action {first_action['numero_action']} : {first_action['action']}"
        assert all(r.cells[5].text.split(" (")[0] in
                   {"Atteint", "En bonne voie", "En retard", "Non renseigné"}
                   for r in table.rows[1:])
    # the user text typed as a formula is printed as typed
    assert any(c.text == FORMULA for t in tables for r in t.rows for c in r.cells)


def test_docx_masks_small_count_and_explains_it(documents, data):
    children = data.table("accueil_petite_enfance").set_index("annee")
    assert 0 < children.loc[2022, "enfants_gardes_domicile"] < 5  # the sample's small count
    doc = Document(io.BytesIO(documents["docx"]))
    table = next(t for t in doc.tables if t.rows[0].cells[0].text == "Année"
                 and "Garde à domicile" in [c.text for c in t.rows[0].cells])
    header = [c.text for c in table.rows[0].cells]
    row = next(r for r in table.rows if r.cells[0].text == "2022")
    cells = [c.text for c in row.cells]
    assert cells[header.index("Garde à domicile")] == "s"
    assert cells.count("s") >= 2                  # secondary mask: the row total stays visible
    assert cells[header.index("Total des places")] != "s"
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "Effectifs inférieurs à 5 masqués (secret statistique)" in text


def test_docx_has_one_picture_per_chart(documents):
    doc = Document(io.BytesIO(documents["docx"]))
    expected = sum(len(keys) for keys in bilan.CHART_KEYS.values())
    assert len(doc.inline_shapes) == expected


# --- PPTX --------------------------------------------------------------------------------------

def test_pptx_title_slide_charts_and_evaluation_tables(documents, data):
    prs = Presentation(io.BytesIO(documents["pptx"]))
    assert (prs.slide_width, prs.slide_height) == (12192000, 6858000)  # 16:9
    slides = list(prs.slides)
    assert slides[0].shapes.title.text == f"Bilan {ANNEE} de la CTG — Lys-lez-Lannoy"
    pictures = [s for s in slides if any(sh.shape_type == 13 for sh in s.shapes)]
    assert len(pictures) == sum(len(keys) for keys in bilan.CHART_KEYS.values())
    for axe in axes_of(data):
        slide = next(s for s in slides
                     if s.shapes.title.text == f"Tableau d'évaluation — {axe}")
        table = next(sh.table for sh in slide.shapes if sh.has_table)
        assert [c.text for c in table.rows[0].cells] == EVALUATION_COLUMNS
    key = next(s for s in slides if s.shapes.title.text == f"Chiffres clés {ANNEE}")
    assert RATE_TEXT in flat(" ".join(sh.text_frame.text for sh in key.shapes
                                                     if sh.has_text_frame))


# --- XLSX --------------------------------------------------------------------------------------

def sheet_rows(ws) -> list[list]:
    return [[c.value for c in row] for row in ws.iter_rows()]


def test_xlsx_one_sheet_per_table_with_annex_columns(documents, data):
    wb = openpyxl.load_workbook(io.BytesIO(documents["xlsx"]))
    assert {"Chiffres clés", "Places par mode", "Références", "Évolution de l'offre", "ALSH",
            "Synthèse par axe"} <= set(wb.sheetnames)
    plan = data.table("plan_action")
    for number, axe in enumerate(axes_of(data), start=1):
        ws = wb[f"Évaluation axe {number}"]
        rows = sheet_rows(ws)
        header = rows.index(EVALUATION_COLUMNS)
        assert ws["A1"].value == f"Tableau d'évaluation — {axe}"
        assert ws.freeze_panes == f"A{header + 2}"
        body = [r for r in rows[header + 1:] if any(v is not None for v in r)]
        assert [r[1] for r in body] == plan[plan["axe"] == axe]["indicateur"].tolist()


def test_xlsx_neutralised_formula_and_no_formula_cell(documents):
    wb = openpyxl.load_workbook(io.BytesIO(documents["xlsx"]))
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    typed = [c for c in cells if c.value == FORMULA]
    assert typed and all(c.data_type == "s" and c.quotePrefix for c in typed)


def test_xlsx_masked_count_note_and_real_numbers(documents, data):
    wb = openpyxl.load_workbook(io.BytesIO(documents["xlsx"]))
    rows = sheet_rows(wb["Évolution de l'offre"])
    header = next(r for r in rows if r and r[0] == "Année")
    row_2022 = next(r for r in rows if r and r[0] == 2022)
    assert row_2022[header.index("Garde à domicile")] == "s"
    assert isinstance(row_2022[header.index("Total des places")], int)
    assert any(isinstance(v, str) and v.startswith("Note : Effectifs inférieurs à 5 masqués")
               for r in rows for v in r)
    key = wb["Chiffres clés"]
    rate_cell = next(row[1] for row in key.iter_rows() if row[0].value ==
                     "Taux de couverture global")
    assert rate_cell.data_type == "n" and rate_cell.number_format == "#,##0.0"
    assert rate_cell.value == pytest.approx(RATE_2023)


# --- without a browser -------------------------------------------------------------------------

def test_bilan_without_browser_says_so_and_still_builds(data, monkeypatch):
    monkeypatch.setenv("CTG_CHROMIUM_PATH", "/nonexistent/chromium")
    content = bilan.build_bilan(data, ANNEE, "docx")
    doc = Document(io.BytesIO(content))
    assert len(doc.inline_shapes) == 0
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "Export d'image indisponible : navigateur Chromium introuvable" in text
    assert "Graphique non inclus" in text
    assert "Commentaires non repris" in text   # no store given


# --- helpers -----------------------------------------------------------------------------------

def test_each_indicator_is_computed_once_for_text_tables_and_charts(data, monkeypatch):
    """The coverage series, the ALSH table and the plan status feed the text, the tables and
    several charts (and every axis's evaluation table): each is computed once per bilan."""
    from ctg_data import indicators

    calls = {}
    for name in ("coverage_series", "alsh_coverage", "plan_status"):
        real = getattr(indicators, name)

        def counted(*args, real=real, name=name, **kwargs):
            calls[name] = calls.get(name, 0) + 1
            return real(*args, **kwargs)
        monkeypatch.setattr(indicators, name, counted)
    content = bilan.bilan_content(data, ANNEE, images=False)
    assert calls == {"coverage_series": 1, "alsh_coverage": 1, "plan_status": 1}
    # The charts fed by them are in the bilan, not replaced by « données non disponibles ».
    keys = {b.key for b in content.blocks if isinstance(b, bilan.Chart)}
    assert {"places_modes", "couverture_evolution", "rpe_attente", "alsh_couverture",
            "alsh_remplissage", "plan_axes", "plan_atteinte"} <= keys


def test_fit_widths_keeps_minimums_and_total():
    widths = bilan.fit_widths([1, 1, 8], [30, 5, 5], 100)
    assert widths[0] == 30 and sum(widths) == pytest.approx(100)
    assert widths[2] == pytest.approx(70 * 8 / 9)


def test_band_count_agreement():
    assert [bilan.band_count_text(n, b) for n, b in ((4, "atteint"), (1, "atteint"),
                                                     (2, "non renseigné"), (3, "en retard"))] \
        == ["4 atteints", "1 atteint", "2 non renseignés", "3 en retard"]


def test_printed_cells_are_french_numbers():
    assert [kinds.print_text(k, v) for v, k in ((1234.0, "int"), (53.456, "decimal"),
                                               (12.34, "percent"), (2023, "year"),
                                               (float("nan"), "int"), ("s", "int"))] == \
        ["1\u202f234", "53,5", "12,3\u202f%", "2023", "—", "s"]



def test_small_plan_values_counting_people_are_masked_with_their_achievement():
    """A plan indicator counted in « familles » with observed values under the threshold (5):
    reference 2 and latest 4 are masked, and so is its achievement — (4 − 2) / (10 − 2) = 25 %
    would give the 4 back with the visible target. An indicator in « réunions » is not a count
    of people and stays as it is: (3 − 0) / (6 − 0) = 50 %."""
    plan = pd.DataFrame([
        {"axe": "Axe 1", "action": "Soutenir les familles", "numero_action": "1",
         "indicateur": "Familles accompagnées", "unite": "familles", "sens": "Hausse",
         "valeur_reference": 2.0, "cible": 10.0, "2023": 4.0},
        {"axe": "Axe 1", "action": "Piloter", "numero_action": "2",
         "indicateur": "Réunions tenues", "unite": "réunions", "sens": "Hausse",
         "valeur_reference": 0.0, "cible": 6.0, "2023": 3.0}])
    small = CtgData({"code_insee": "59999", "nom": "Villeneuve-Test"}, {"plan_action": plan})
    content = bilan.bilan_content(small, ANNEE, images=False)
    tables = {b.title: b for b in content.blocks if isinstance(b, bilan.Table)}
    values = tables["Valeurs des indicateurs — Axe 1"]
    frame = values.frame.set_index("Indicateur")
    latest = f"Dernière valeur (≤ {ANNEE})"
    assert list(frame.loc["Familles accompagnées", ["Valeur de référence", latest,
                                                    "Atteinte (%)"]]) == ["s", "s", "s"]
    assert frame.loc["Familles accompagnées", "Cible"] == 10
    assert frame.loc["Réunions tenues", latest] == 3
    assert frame.loc["Réunions tenues", "Atteinte (%)"] == pytest.approx(50.0)
    assert "Effectifs inférieurs à 5 masqués" in values.note
    evaluation = tables["Tableau d'évaluation — Axe 1"].frame
    assert list(evaluation["Niveau d'atteinte"]) == ["En retard", "En retard (50\u202f%)"]


def test_sources_name_the_version_of_the_bundled_reference_table():
    from ctg_data.references import REFERENCES_VERSION
    small = CtgData({"code_insee": "59999", "nom": "Villeneuve-Test"}, {})
    content = bilan.bilan_content(small, ANNEE, images=False)
    items = [i for b in content.blocks if isinstance(b, bilan.Bullets) for i in b.items]
    assert any(f"version {REFERENCES_VERSION}" in i and "non confirmées écartées" in i
               for i in items)


def small_territory() -> CtgData:
    """400 children under 3, 30 EAJE places, 120 AM places, 3 children in garde à domicile
    (under the secrecy threshold) and 10 enrolled at 2."""
    return CtgData({"code_insee": "59999", "nom": "Villeneuve-Test", "type": "Commune"}, {
        "population": pd.DataFrame([{"annee": ANNEE, "enfants_0_2": 400.0}]),
        "equipements": pd.DataFrame([{"nom": "Multi", "type": "Multi-accueil",
                                      "places": 30.0}]),
        "assistantes_maternelles": pd.DataFrame([{"annee": ANNEE, "am_agreees": 40.0,
                                                  "places_moins_3_ans": 120.0}]),
        "accueil_petite_enfance": pd.DataFrame([{"annee": ANNEE, "enfants_gardes_domicile": 3.0,
                                                 "enfants_scolarises_2_ans": 10.0}])})


def test_sub_rates_that_would_give_a_masked_count_back_are_masked():
    """Garde à domicile 3 children (< 5) is masked in the places table, and préscolarisation 10,
    the smallest other part, with it (secondary rule: the total 163 stays). The individuel rate
    (AM + GAD) / children with AM 120 and the 400 children visible would give the 3 back, so
    it is masked, and so is the préscolarisation rate; EAJE 100 × 30 / 400 = 7,5 and the global
    rate 100 × 163 / 400 = 40,75 stay."""
    small = small_territory()
    content = bilan.bilan_content(small, ANNEE, images=False)
    tables = {b.title: b.frame for b in content.blocks if isinstance(b, bilan.Table)}
    places = tables[f"Places par mode d'accueil en {ANNEE}"].set_index("Mode d'accueil")["Places"]
    assert list(places) == [30, 0, 120, "s", "s", 163]
    references = next(f for t, f in tables.items() if t.startswith(f"Taux de couverture {ANNEE}"))
    local = references.iloc[0]
    assert local["Individuel"] == "s" and local["Préscolarisation"] == "s"
    assert local["EAJE"] == pytest.approx(7.5) and local["Taux global"] == pytest.approx(40.75)
    items = [i for b in content.blocks if isinstance(b, bilan.Bullets) for i in b.items]
    assert "Taux individuel : s (secret statistique)" in items
    assert "Taux EAJE : 7,5" in items


def test_charts_of_the_bilan_are_built_with_statistical_secrecy():
    """3 children in garde à domicile: the bilan's charts are built with secrecy, so the
    bar's label and hover never show the 3, and the chart's source line says why."""
    small = small_territory()
    content = bilan.bilan_content(small, ANNEE, images=False)
    sources = {b.key: b.source for b in content.blocks if isinstance(b, bilan.Chart)}
    assert "places_modes" in sources
    assert "secret statistique" in sources["places_modes"]
    # The sample's counts are all above the threshold: no note there.
    large = bilan.bilan_content(CtgData(small.territoire, dict(
        small.tables, accueil_petite_enfance=pd.DataFrame([
            {"annee": ANNEE, "enfants_gardes_domicile": 12.0,
             "enfants_scolarises_2_ans": 10.0}]))), ANNEE, images=False)
    sources = {b.key: b.source for b in large.blocks if isinstance(b, bilan.Chart)}
    assert "secret statistique" not in sources["places_modes"]
