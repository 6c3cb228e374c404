"""The yearly bilan report of a CTG, in one click: DOCX, PDF, PPTX or XLSX.

The content is assembled once (`bilan_content`) as a list of blocks — headings, paragraphs,
tables, charts — from the indicators (`ctg_data.indicators`), the evaluation tables
(`ctg_data.editing`), the chart builders (`ctg_data.charts`) and the methodology
(`ctg_data.definitions`); nothing is recomputed here. Each format then has its own renderer.
Small counts are masked (`secrecy.mask_small_counts`) when a table block is created, so every
format prints the same masked values.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from ctg_data import exports, formatting, secrecy
from ctg_data.secrecy import count_text, is_count_unit, mask_count_rows, mask_plan_values
from ctg_data.model import CtgData
from ctg_data.references import REFERENCES_VERSION, territory_references

FORMATS = ("docx", "pdf", "pptx", "xlsx")
MIME_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "xlsx": exports.XLSX_MIME,
}
FONT_DIR = "/usr/share/fonts/truetype/dejavu"

Progress = Callable[[float, str], None]


# ---------------------------------------------------------------------------------------------
# The document model shared by the four renderers

@dataclass
class Heading:
    """A section title: level 1 (chapter) or 2 (section); both go to the table of contents."""

    text: str
    level: int = 1


@dataclass
class Paragraph:
    """Running text; `style` is `normal`, `note` (small grey) or `strong`."""

    text: str
    style: str = "normal"


@dataclass
class Bullets:
    """A bulleted list; with a `slide` title it also gets its own PPTX slide."""

    items: list[str]
    slide: str = ""


@dataclass
class Table:
    """A table of the report. `frame` is already masked for secrecy; `formats` gives the number
    kind of each column (see `exports.NUMBER_FORMATS`); `slide` puts it in the PPTX; `weights`
    are relative column widths for DOCX and PDF."""

    title: str
    frame: pd.DataFrame
    formats: dict = field(default_factory=dict)
    note: str = ""
    source: str = ""
    sheet_name: str = "Tableau"
    slide: bool = False
    weights: list[float] | None = None
    # False for a table whose content the text already gives (the key figures): XLSX only.
    printed: bool = True


@dataclass
class Chart:
    """A chart of the report: the PNG image (None when images are unavailable), its source and
    the comité's comments on it."""

    key: str
    title: str
    image: bytes | None
    source: str = ""
    comments: list[str] = field(default_factory=list)
    width: int = 1000
    height: int = 560
    # Why there is no image (printed in its place); default: images unavailable.
    missing: str = ""
    # The plotly figure the image is rendered from (laid out for print, see CHART_WIDTH_MM).
    figure: object = field(default=None, repr=False, compare=False)


# A chart's image is PRINT_WIDTH_PX wide (twice the pixels at scale 2) and placed at most
# CHART_WIDTH_MM wide in the DOCX and PDF; its texts are raised to PRINT_MIN_PT at that width.
CHART_WIDTH_MM = 170
PRINT_WIDTH_PX = 800
PRINT_MIN_PT = 8


@dataclass
class Orientation:
    """Start a new page in portrait or landscape (wide evaluation tables)."""

    landscape: bool = False


@dataclass
class Bilan:
    """The assembled content of one bilan."""

    title: str
    territoire: str
    annee: int
    cover_lines: list[str]
    generated: dt.date
    blocks: list = field(default_factory=list)

    def tables(self) -> list[Table]:
        """The table blocks, in document order."""
        return [b for b in self.blocks if isinstance(b, Table)]

    def headings(self) -> list[Heading]:
        """The heading blocks, in document order."""
        return [b for b in self.blocks if isinstance(b, Heading)]


# ---------------------------------------------------------------------------------------------
# Cell text (DOCX, PDF, PPTX print text; XLSX keeps numbers)

def cell_text(value, kind: str = "text") -> str:
    """A table value as printed: French numbers by kind, « — » when missing, text as is."""
    if formatting.is_missing(value):
        return formatting.MISSING
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "Oui" if value else "Non"
    if isinstance(value, int | float) or hasattr(value, "__float__"):
        number = float(value)
        if kind == "percent":
            return formatting.fr_percent(number, 1)
        if kind == "euro":
            return formatting.fr_euro(number, 0)
        if kind == "year":
            return str(int(number))
        if kind == "decimal":
            return formatting.fr_number(number, 1)
        if kind == "int" or number.is_integer():
            return formatting.fr_number(number, 0)
        return formatting.fr_number(number, 1)
    return str(value)


def _kinds(table: Table) -> list[str]:
    return [table.formats.get(c) or exports.guess_format(c, table.frame[c])
            for c in table.frame.columns]


def _text_rows(table: Table) -> list[list[str]]:
    kinds = _kinds(table)
    return [[cell_text(v, k) for v, k in zip(row, kinds, strict=True)]
            for row in table.frame.itertuples(index=False, name=None)]


def _weights(table: Table) -> list[float]:
    """Relative column widths: given, or measured in characters — at least the longest word
    (a word is never cut), then a share of the longest text, capped for long texts."""
    if table.weights:
        return list(table.weights)
    rows = _text_rows(table)
    out = []
    for j, col in enumerate(table.frame.columns):
        texts = [str(col)] + [r[j] for r in rows]
        word = max(len(w) for t in texts for w in (t.split() or [""]))
        longest = max(len(t) for t in texts)
        out.append(max(float(word) + 1, 4.0, min(longest, 40) * 0.55))
    return out


def fit_widths(weights: list[float], minimums: list[float], total: float) -> list[float]:
    """Column widths summing to `total`, proportional to `weights`, but never below a
    column's minimum (its longest word): columns that need more take it from the others."""
    widths = [total * w / sum(weights) for w in weights]
    for _ in range(len(widths)):
        short = [i for i, (w, m) in enumerate(zip(widths, minimums)) if w < m - 1e-6]
        if not short:
            break
        for i in short:
            widths[i] = minimums[i]
        fixed = {i for i, (w, m) in enumerate(zip(widths, minimums)) if w <= m + 1e-6}
        free = [i for i in range(len(widths)) if i not in fixed]
        left = total - sum(widths[i] for i in fixed)
        if not free or left <= 0:
            break
        free_weight = sum(weights[i] for i in free)
        for i in free:
            widths[i] = left * weights[i] / free_weight
    return widths


def _longest_words(table: Table) -> list[tuple[str, str]]:
    """Per column: the longest word of the header and of the cells."""
    rows = _text_rows(table)
    out = []
    for j, col in enumerate(table.frame.columns):
        header = max(str(col).split() or [""], key=len)
        cells = max((w for r in rows for w in r[j].split()), key=len, default="")
        out.append((header, cells))
    return out


_NO_IMAGE = "[Graphique non inclus : export d'image indisponible sur ce poste.]"


def _is_numeric_kind(kind: str) -> bool:
    return kind not in ("text",)


# ---------------------------------------------------------------------------------------------
# DOCX (python-docx)

def _docx_field(paragraph, instruction: str, placeholder: str = "") -> None:
    """Insert a Word field (TOC, PAGE…) whose result shows `placeholder` until updated."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    def fld(kind):
        el = OxmlElement("w:fldChar")
        el.set(qn("w:fldCharType"), kind)
        return el

    run = paragraph.add_run()
    run._r.append(fld("begin"))
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = instruction
    run = paragraph.add_run()
    run._r.append(instr)
    run = paragraph.add_run()
    run._r.append(fld("separate"))
    if placeholder:
        paragraph.add_run(placeholder)
    run = paragraph.add_run()
    run._r.append(fld("end"))


def _docx_shade(cell, hex_fill: str) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), hex_fill)
    cell._tc.get_or_add_tcPr().append(shading)


def _docx_repeat_header(row) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    flag = OxmlElement("w:tblHeader")
    flag.set(qn("w:val"), "true")
    row._tr.get_or_add_trPr().append(flag)


def _docx_orient(section, landscape: bool) -> None:
    from docx.enum.section import WD_ORIENT
    from docx.shared import Cm

    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    long, short = Cm(29.7), Cm(21.0)
    section.page_width, section.page_height = (long, short) if landscape else (short, long)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(2.0))


def render_docx(bilan: Bilan) -> bytes:
    """The bilan as an editable Word document: Title and Heading 1/2 styles (a TOC field built
    on them, pre-filled with the headings), tables with repeated header rows, charts as PNG,
    page numbers in the footer, A4."""
    from docx import Document
    from docx.enum.section import WD_SECTION
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt, RGBColor

    doc = Document()
    # Word's core properties hold at most 255 characters (python-docx raises beyond).
    doc.core_properties.title = bilan.title if len(bilan.title) <= 255 else \
        bilan.title[:254] + "…"
    doc.core_properties.language = "fr-FR"
    doc.core_properties.author = "Tableau de bord CTG"
    normal = doc.styles["Normal"]
    normal.font.name = "Calibri"
    normal.font.size = Pt(10.5)
    section = doc.sections[0]
    _docx_orient(section, False)
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.add_run(f"{bilan.title} — page ")
    _docx_field(footer, "PAGE", "1")

    # Title page
    for _ in range(6):
        doc.add_paragraph()
    doc.add_paragraph(bilan.title, style="Title")
    for line in bilan.cover_lines:
        p = doc.add_paragraph(line)
        p.runs[0].font.size = Pt(13)
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)

    # Table of contents: a real TOC field on the Heading styles; its shown result lists the
    # headings so that the page reads well before Word updates it (F9).
    p = doc.add_paragraph()
    run = p.add_run("Sommaire")
    run.bold = True
    run.font.size = Pt(16)
    toc = doc.add_paragraph()
    listing = "\n".join(("    " if h.level == 2 else "") + h.text for h in bilan.headings())
    _docx_field(toc, 'TOC \\o "1-2" \\h \\z \\u', listing)
    note = doc.add_paragraph("Pour afficher les numéros de page du sommaire dans Word : clic "
                             "droit sur le sommaire, « Mettre à jour les champs ».")
    note.runs[0].font.size = Pt(8)
    note.runs[0].italic = True
    update = OxmlElement("w:updateFields")
    update.set(qn("w:val"), "true")
    doc.settings.element.append(update)
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)

    landscape = False

    def usable_width():
        return Cm(25.7) if landscape else Cm(17.0)

    for block in bilan.blocks:
        if isinstance(block, Orientation):
            landscape = block.landscape
            new = doc.add_section(WD_SECTION.NEW_PAGE)
            _docx_orient(new, landscape)
        elif isinstance(block, Heading):
            doc.add_heading(block.text, level=block.level)
        elif isinstance(block, Paragraph):
            p = doc.add_paragraph()
            run = p.add_run(block.text)
            if block.style == "note":
                run.font.size = Pt(8.5)
                run.italic = True
                run.font.color.rgb = RGBColor(0x55, 0x55, 0x55)
            elif block.style == "strong":
                run.bold = True
        elif isinstance(block, Bullets):
            for item in block.items:
                doc.add_paragraph(item, style="List Bullet")
        elif isinstance(block, Table) and block.printed:
            if block.title:
                p = doc.add_paragraph()
                p.add_run(block.title).bold = True
                p.paragraph_format.keep_with_next = True
            kinds = _kinds(block)
            rows = _text_rows(block)
            table = doc.add_table(rows=1 + len(rows), cols=len(block.frame.columns))
            table.style = "Table Grid"
            table.alignment = WD_TABLE_ALIGNMENT.CENTER
            minimums = [Cm(0.21 * max(len(h) * 1.1, len(c)) + 0.4)
                         for h, c in _longest_words(block)]
            widths = [int(w) for w in fit_widths(_weights(block), minimums, usable_width())]
            for j, col in enumerate(block.frame.columns):
                cell = table.rows[0].cells[j]
                cell.text = ""
                run = cell.paragraphs[0].add_run(str(col))
                run.bold = True
                run.font.size = Pt(9)
                _docx_shade(cell, "DCE6F1")
            _docx_repeat_header(table.rows[0])
            for i, values in enumerate(rows, start=1):
                for j, text in enumerate(values):
                    cell = table.rows[i].cells[j]
                    para = cell.paragraphs[0]
                    run = para.add_run(text)
                    run.font.size = Pt(9)
                    if _is_numeric_kind(kinds[j]):
                        para.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            # Fixed layout: Word and LibreOffice keep the computed widths (grid and cells).
            table.autofit = False
            for j, column in enumerate(table.columns):
                column.width = widths[j]
            for row in table.rows:
                for j, cell in enumerate(row.cells):
                    cell.width = widths[j]
            for text in (block.note, f"Source : {block.source}" if block.source else ""):
                if text:
                    p = doc.add_paragraph()
                    run = p.add_run(text)
                    run.font.size = Pt(8.5)
                    run.italic = True
            doc.add_paragraph()
        elif isinstance(block, Chart):
            title = doc.add_paragraph()
            title.add_run(block.title).bold = True
            title.paragraph_format.keep_with_next = True
            if block.image:
                doc.add_picture(io.BytesIO(block.image),
                                width=min(usable_width(), Cm(CHART_WIDTH_MM / 10)))
                doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
            else:
                doc.add_paragraph(block.missing or _NO_IMAGE)
            # The image carries its source; without image the source is written out.
            for text in ([f"Source : {block.source}"] if block.source and not block.image
                         else []):
                p = doc.add_paragraph()
                run = p.add_run(text)
                run.font.size = Pt(8.5)
                run.italic = True
            for comment in block.comments:
                p = doc.add_paragraph()
                p.add_run("Commentaire du comité : ").bold = True
                p.add_run(comment)
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------------
# PDF (fpdf2, DejaVu fonts embedded)

def _pdf_class():
    from fpdf import FPDF

    class BilanPdf(FPDF):
        running_title = ""

        def footer(self):
            self.set_y(-12)
            self.set_font("DejaVu", "", 8)
            self.set_text_color(90, 90, 90)
            self.cell(0, 5, f"{self.running_title} — page {self.page_no()} / {{nb}}",
                      align="C")
            self.set_text_color(0, 0, 0)

    return BilanPdf


def _opaque(png: bytes):
    """The chart as an RGB image: kaleido's PNG has an alpha channel over a white paper, which
    fpdf2 would embed as a second (mask) image — twice the work for nothing."""
    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        if image.mode == "RGB":
            return image.copy()
        background = Image.new("RGB", image.size, "white")
        background.paste(image, mask=image.getchannel("A") if "A" in image.mode else None)
        return background


def render_pdf(bilan: Bilan) -> bytes:
    """The bilan as a printable A4 PDF with DejaVu fonts embedded (every French character),
    a table of contents and bookmarks from the headings, page numbers."""
    from fpdf.enums import TableBordersLayout
    from fpdf.fonts import FontFace, TextStyle
    from fpdf.outline import TableOfContents

    pdf = _pdf_class()(orientation="P", unit="mm", format="A4")
    pdf.running_title = bilan.title
    pdf.set_title(bilan.title)
    pdf.set_lang("fr-FR")
    pdf.set_creator("Tableau de bord CTG")
    pdf.add_font("DejaVu", "", f"{FONT_DIR}/DejaVuSans.ttf")
    pdf.add_font("DejaVu", "B", f"{FONT_DIR}/DejaVuSans-Bold.ttf")
    pdf.add_font("DejaVu", "I", f"{FONT_DIR}/DejaVuSans-Oblique.ttf")
    pdf.add_font("DejaVu", "BI", f"{FONT_DIR}/DejaVuSans-BoldOblique.ttf")
    pdf.set_margins(18, 18, 18)
    pdf.set_auto_page_break(True, margin=18)
    blue = (0, 90, 140)
    pdf.set_section_title_styles(
        level0=TextStyle(font_family="DejaVu", font_style="B", font_size_pt=16, color=blue,
                         t_margin=4, b_margin=3),
        level1=TextStyle(font_family="DejaVu", font_style="B", font_size_pt=12.5, color=blue,
                         t_margin=3, b_margin=2))

    # Title page
    pdf.add_page()
    pdf.set_y(80)
    pdf.set_font("DejaVu", "B", 22)
    pdf.set_text_color(*blue)
    pdf.multi_cell(0, 11, bilan.title, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.ln(6)
    pdf.set_font("DejaVu", "", 13)
    for line in bilan.cover_lines:
        pdf.multi_cell(0, 8, line, align="L", new_x="LMARGIN", new_y="NEXT")

    # Table of contents on its own page
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 16)
    pdf.cell(0, 10, "Sommaire", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 10.5)
    toc = TableOfContents(text_style=TextStyle(font_family="DejaVu", font_size_pt=10.5),
                          level_indent=7, line_spacing=1.6)
    pdf.insert_toc_placeholder(toc.render_toc, pages=1, allow_extra_pages=True,
                               reset_page_indices=False)

    pdf.set_font("DejaVu", "", 10)

    def ensure_space(height):
        if pdf.get_y() + height > pdf.page_break_trigger:
            pdf.add_page(orientation=pdf.cur_orientation)

    blocks = bilan.blocks
    for index, block in enumerate(blocks):
        if isinstance(block, Orientation):
            pdf.add_page(orientation="L" if block.landscape else "P")
        elif isinstance(block, Heading):
            # Keep a heading with the start of what follows it (no heading alone at the bottom
            # of a page): room for the heading, a short paragraph and a table's first rows or
            # a whole chart.
            following = next((b for b in blocks[index + 1:]
                              if not isinstance(b, Paragraph | Heading)), None)
            stacked = 0
            for b in blocks[index + 1:]:
                if not isinstance(b, Heading):
                    break
                stacked += 1
            need = 45.0 + 14 * stacked
            if isinstance(following, Chart) and following.image:
                need = 30 + min(pdf.epw, CHART_WIDTH_MM) * following.height / following.width
            ensure_space(need)
            pdf.start_section(block.text, level=block.level - 1)
            pdf.set_font("DejaVu", "", 10)
        elif isinstance(block, Paragraph):
            if block.style == "note":
                pdf.set_font("DejaVu", "I", 8.5)
                pdf.set_text_color(85, 85, 85)
            elif block.style == "strong":
                pdf.set_font("DejaVu", "B", 10)
            pdf.multi_cell(0, 5.2 if block.style != "note" else 4.4, block.text,
                           new_x="LMARGIN", new_y="NEXT", align="L")
            pdf.set_text_color(0, 0, 0)
            pdf.set_font("DejaVu", "", 10)
            pdf.ln(1.5)
        elif isinstance(block, Bullets):
            for item in block.items:
                # Hanging indent: the bullet in its own cell, wrapped lines under the text.
                pdf.set_x(pdf.l_margin + 2)
                pdf.cell(4, 5.2, "•")
                pdf.multi_cell(pdf.epw - 6, 5.2, item, new_x="LMARGIN", new_y="NEXT",
                               align="L")
            pdf.ln(1.5)
        elif isinstance(block, Table) and block.printed:
            ensure_space(25)
            if block.title:
                pdf.set_font("DejaVu", "B", 10)
                pdf.multi_cell(0, 5.5, block.title, new_x="LMARGIN", new_y="NEXT")
                pdf.ln(1)
            kinds = _kinds(block)
            wide = len(block.frame.columns) > 4
            pdf.set_font("DejaVu", "", 7.5 if wide else 8.5)
            padding = 1.2
            minimums = []
            for header_word, cell_word in _longest_words(block):
                pdf.set_font("DejaVu", "B", pdf.font_size_pt)
                need = pdf.get_string_width(header_word)
                pdf.set_font("DejaVu", "", pdf.font_size_pt)
                minimums.append(max(need, pdf.get_string_width(cell_word)) + 2 * padding + 0.8)
            weights = fit_widths(_weights(block), minimums, pdf.epw)
            align = ["RIGHT" if _is_numeric_kind(k) else "LEFT" for k in kinds]
            with pdf.table(col_widths=weights, text_align=align, width=pdf.epw,
                           line_height=3.8 if wide else 4.4, padding=padding,
                           headings_style=FontFace(emphasis="BOLD", fill_color=(220, 230, 241)),
                           borders_layout=TableBordersLayout.ALL, repeat_headings=1,
                           first_row_as_headings=True) as table:
                header = table.row()
                for col in block.frame.columns:
                    header.cell(str(col), align="LEFT")
                for values in _text_rows(block):
                    row = table.row()
                    for text in values:
                        row.cell(text)
            pdf.set_font("DejaVu", "I", 8)
            pdf.set_text_color(85, 85, 85)
            for text in (block.note, f"Source : {block.source}" if block.source else ""):
                if text:
                    pdf.multi_cell(0, 4.2, text, new_x="LMARGIN", new_y="NEXT")
            pdf.set_text_color(0, 0, 0)
            pdf.set_font("DejaVu", "", 10)
            pdf.ln(3)
        elif isinstance(block, Chart):
            width = min(pdf.epw, CHART_WIDTH_MM)
            height = width * block.height / block.width if block.image else 0
            ensure_space(height + 14)
            pdf.set_font("DejaVu", "B", 10)
            pdf.multi_cell(0, 5.5, block.title, new_x="LMARGIN", new_y="NEXT")
            if block.image:
                pdf.image(_opaque(block.image), x=pdf.l_margin + (pdf.epw - width) / 2,
                          w=width, h=height)
            else:
                pdf.set_font("DejaVu", "", 9)
                pdf.multi_cell(0, 5, block.missing or _NO_IMAGE, new_x="LMARGIN", new_y="NEXT",
                               align="L")
            pdf.set_font("DejaVu", "I", 8)
            pdf.set_text_color(85, 85, 85)
            if block.source and not block.image:
                pdf.multi_cell(0, 4.2, f"Source : {block.source}", new_x="LMARGIN",
                               new_y="NEXT")
            pdf.set_text_color(0, 0, 0)
            for comment in block.comments:
                pdf.set_font("DejaVu", "B", 9)
                pdf.write(4.8, "Commentaire du comité : ")
                pdf.set_font("DejaVu", "", 9)
                pdf.write(4.8, comment)
                pdf.ln(6)
            pdf.set_font("DejaVu", "", 10)
            pdf.ln(3)
    return bytes(pdf.output())


# ---------------------------------------------------------------------------------------------
# PPTX (python-pptx, 16:9)

_SLIDE_ROWS = 7  # table rows per slide at most, before continuing on a new one


def _slide_chunks(rows: list[list[str]], widths_in: list[float], size_pt: float,
                  available_in: float) -> list[list[list[str]]]:
    """Split table rows over slides so that each slide's table fits its height: a row is as
    tall as its longest cell once wrapped (average character = half the font size)."""
    line_in = size_pt * 1.25 / 72

    def height(row):
        lines = max(math.ceil(max(len(text), 1) / max(1.0, (w - 0.2) * 72 / (size_pt * 0.5)))
                    for text, w in zip(row, widths_in))
        return lines * line_in + 0.12

    chunks, current, used = [], [], height(["x"] * len(widths_in))  # header row
    for row in rows:
        h = height(row)
        if current and (used + h > available_in or len(current) >= _SLIDE_ROWS):
            chunks.append(current)
            current, used = [], height(["x"] * len(widths_in))
        current.append(row)
        used += h
    chunks.append(current)
    return chunks


def render_pptx(bilan: Bilan) -> bytes:
    """The bilan as a 16:9 deck for the comité de pilotage: a title slide, then one slide per
    chart and per key table (long tables continue on the next slide)."""
    from pptx import Presentation
    from pptx.dml.color import RGBColor
    from pptx.enum.text import PP_ALIGN
    from pptx.util import Emu, Inches, Pt

    prs = Presentation()
    prs.slide_width, prs.slide_height = Emu(12192000), Emu(6858000)  # 16:9, 33,867 × 19,05 cm
    margin = Inches(0.5)
    content_width = prs.slide_width - 2 * margin

    def fit_title(shape, size=28):
        shape.left, shape.top = margin, Inches(0.3)
        shape.width, shape.height = content_width, Inches(0.9)
        for p in shape.text_frame.paragraphs:
            for r in p.runs:
                r.font.size = Pt(size)

    def add_text(slide, text, top, size=12, italic=False, height=Inches(0.5)):
        box = slide.shapes.add_textbox(margin, top, content_width, height)
        frame = box.text_frame
        frame.word_wrap = True
        frame.text = text
        for p in frame.paragraphs:
            for r in p.runs:
                r.font.size = Pt(size)
                r.font.italic = italic
                r.font.color.rgb = RGBColor(0x44, 0x44, 0x44) if italic else RGBColor(0, 0, 0)
        return box

    slide = prs.slides.add_slide(prs.slide_layouts[0])
    slide.shapes.title.text = bilan.title
    # The default template's placeholders are placed for 4:3: set every coordinate, or the
    # title and the subtitle overlap on the 16:9 slide.
    title = slide.shapes.title
    title.left, title.top, title.width, title.height = margin, Inches(1.6), content_width, Inches(1.5)
    for p in title.text_frame.paragraphs:
        for r in p.runs:
            r.font.size = Pt(36)
    subtitle = slide.placeholders[1]
    subtitle.left, subtitle.top = margin, Inches(3.4)
    subtitle.width, subtitle.height = content_width, Inches(2.6)
    subtitle.text = "\n".join(bilan.cover_lines)
    for p in subtitle.text_frame.paragraphs:
        for r in p.runs:
            r.font.size = Pt(18)

    title_only = prs.slide_layouts[5]
    for block in bilan.blocks:
        if isinstance(block, Bullets) and block.slide:
            slide = prs.slides.add_slide(title_only)
            slide.shapes.title.text = block.slide
            fit_title(slide.shapes.title)
            box = slide.shapes.add_textbox(margin, Inches(1.4), content_width, Inches(5.5))
            frame = box.text_frame
            frame.word_wrap = True
            for i, item in enumerate(block.items):
                p = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
                p.text = "• " + item
                p.space_after = Pt(8)
                for r in p.runs:
                    r.font.size = Pt(20)
        elif isinstance(block, Chart):
            slide = prs.slides.add_slide(title_only)
            slide.shapes.title.text = block.title
            fit_title(slide.shapes.title, 26)
            top = Inches(1.3)
            box_h = prs.slide_height - top - Inches(0.9)
            if block.image:
                ratio = block.width / block.height
                height = box_h
                width = int(height * ratio)
                if width > content_width:
                    width, height = content_width, int(content_width / ratio)
                left = int((prs.slide_width - width) / 2)
                slide.shapes.add_picture(io.BytesIO(block.image), left, top, Emu(width),
                                         Emu(height))
            else:
                add_text(slide, block.missing or _NO_IMAGE, top, 16)
            foot = " — ".join(filter(None, [
                f"Source : {block.source}" if block.source and not block.image else "",
                *(f"Commentaire du comité : {c}" for c in block.comments[:1])]))
            if foot:
                add_text(slide, foot, prs.slide_height - Inches(0.8), 11, italic=True)
        elif isinstance(block, Table) and block.slide and block.printed:
            rows = _text_rows(block)
            kinds = _kinds(block)
            weights = _weights(block)
            total = sum(weights)
            size = 10 if len(block.frame.columns) > 4 else 14
            chunks = _slide_chunks(rows, [content_width * w / total / 914400 for w in weights],
                                   size, available_in=4.9)
            for n, chunk in enumerate(chunks):
                slide = prs.slides.add_slide(title_only)
                slide.shapes.title.text = block.title + (" (suite)" if n else "")
                fit_title(slide.shapes.title, 20)
                shape = slide.shapes.add_table(len(chunk) + 1, len(block.frame.columns), margin,
                                               Inches(1.3), content_width,
                                               Inches(0.4) * (len(chunk) + 1))
                table = shape.table
                for j, w in enumerate(weights):
                    table.columns[j].width = Emu(int(content_width * w / total))
                for j, col in enumerate(block.frame.columns):
                    table.cell(0, j).text = str(col)
                for i, values in enumerate(chunk, start=1):
                    for j, text in enumerate(values):
                        table.cell(i, j).text = text
                for i in range(len(chunk) + 1):
                    for j in range(len(block.frame.columns)):
                        for p in table.cell(i, j).text_frame.paragraphs:
                            if i and _is_numeric_kind(kinds[j]):
                                p.alignment = PP_ALIGN.RIGHT
                            for r in p.runs:
                                r.font.size = Pt(size)
                foot = " ".join(filter(None, [block.note, f"Source : {block.source}"
                                              if block.source else ""]))
                if foot:
                    add_text(slide, foot, prs.slide_height - Inches(0.8), 11, italic=True)
    buffer = io.BytesIO()
    prs.save(buffer)
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------------
# XLSX: every table, one sheet each

def render_xlsx(bilan: Bilan) -> bytes:
    """Every table of the bilan, one worksheet each, styled by `exports.tables_to_xlsx` (real
    numbers, number formats, frozen bold header, title, source and secrecy note)."""
    sheets = [exports.TableSheet(t.frame, title=t.title, source=t.source or None,
                                 formats=t.formats, sheet_name=t.sheet_name, note=t.note or None)
              for t in bilan.tables()]
    return exports.tables_to_xlsx(sheets)


RENDERERS = {"docx": render_docx, "pdf": render_pdf, "pptx": render_pptx, "xlsx": render_xlsx}


# ---------------------------------------------------------------------------------------------
# Content

# Charts of the bilan per chapter (keys of charts.CHARTS), in reading order.
CHART_KEYS = {
    "diagnostic": ("population", "tranches_age", "familles", "taux_comparaison", "allocataires"),
    "offre": ("places_modes", "couverture_references", "couverture_evolution",
              "places_manquantes", "assistantes_maternelles", "rpe_attente"),
    "alsh": ("alsh_couverture", "alsh_remplissage"),
    "plan": ("plan_axes", "plan_atteinte"),
}
METHODOLOGY_CODES = ("taux_couverture_global", "taux_couverture_eaje",
                     "taux_couverture_individuel", "taux_couverture_prescolarisation",
                     "places_manquantes", "am_par_etp_rpe", "demandes_pour_100",
                     "couverture_alsh", "taux_remplissage_alsh", "atteinte_plan",
                     "part_actions_realisees")
EVALUATION_WEIGHTS = [17, 15, 17, 19, 20, 12]


def _reporter(progress: Progress | None) -> Progress:
    def report(fraction: float, message: str) -> None:
        if progress is not None:
            progress(max(0.0, min(1.0, float(fraction))), message)
    return report


_num = formatting.as_number


def band_count_text(count, niveau: str) -> str:
    """A band count with agreement: « 4 atteints », « 1 en bonne voie »…"""
    n = int(count)
    plural = "s" if n > 1 else ""
    words = {"atteint": f"atteint{plural}", "en bonne voie": "en bonne voie",
             "en retard": "en retard", "non renseigné": f"non renseigné{plural}"}
    return f"{n} {words.get(niveau, niveau)}"


def _comment_line(comment) -> str:
    when = comment.created_at.strftime("%d/%m/%Y") if comment.created_at else ""
    who = ", ".join(x for x in (comment.author, when) if x)
    return f"{comment.text} ({who})" if who else comment.text


def _territory_lines(data: CtgData, annee: int, today: dt.date) -> list[str]:
    t = data.territoire
    code, nom = t.get("code_insee") or "", t.get("nom") or ""
    kind = t.get("type") or "Commune"
    first = (f"{nom} — EPCI, SIREN {code}" if kind == "EPCI"
             else f"Commune de {nom} — code INSEE {code}")
    lines = [first]
    where = " — ".join(x for x in (f"Département {t['departement']}" if t.get("departement")
                                   else "", t.get("epci") or "") if x)
    if where:
        lines.append(where)
    debut, fin = data.ctg_years()
    periode = f"{debut}-{fin}" if debut and fin else str(debut or fin or
                                                        "(période non renseignée)")
    lines.append(f"Convention territoriale globale {periode}"
                 + (f" avec la {t['caf']}" if t.get("caf") else ""))
    lines.append(f"Bilan de l'année {annee}")
    lines.append(f"Document généré le {formatting.fr_date(today)}")
    if t.get("avertissement"):
        lines.append(str(t["avertissement"]))
    return lines


# The rate that, with the places shown, gives each component of the coverage rate back.
_RATE_OF_PLACES = {"eaje_psu": "eaje", "eaje_hors_psu": "eaje", "am": "individuel",
                   "gad": "individuel", "prescolarisation": "prescolarisation", "total": "global"}


def _references_table(data: CtgData, annee: int, cov, references: pd.DataFrame | None,
                      hidden: set[str] = frozenset()):
    """Coverage rates of the territory (local computation, the rates in `hidden` masked) and
    of its reference levels (the year `annee` or the latest earlier one), with the same
    reference rules as the chart."""
    from ctg_data import charts

    components = (("global", "Taux global"), ("eaje", "EAJE"), ("individuel", "Individuel"),
                  ("prescolarisation", "Préscolarisation"))
    rows = [["Territoire (calcul local)", data.nom or "", annee,
             *[secrecy.SECRET if k in hidden else cov.taux.get(k) for k, _ in components],
             "Classeur CTG, calcul local"]]
    refs = charts.reference_rows(references)
    for niveau in ("commune", "epci", "departement", "region", "france"):
        picked = [charts.pick_reference(refs, niveau, f"taux_couverture_{k}", annee, data)
                  for k, _ in components]
        if all(p is None for p in picked):
            continue
        first = next(p for p in picked if p is not None)
        # One row = one year: a component published only for another year stays empty
        # (never a 2009 sub-rate beside a 2021 total).
        picked = [p if p is not None and int(p["annee"]) == int(first["annee"]) else None
                  for p in picked]
        sources = sorted({str(p["source"]) for p in picked if p is not None
                          and not formatting.is_missing(p["source"])})
        editions = sorted({str(p["edition"]) for p in picked if p is not None
                           and not formatting.is_missing(p.get("edition"))})
        source = ", ".join(sources) + (f" (édition {', '.join(editions)})" if editions else "")
        label = formatting.LEVEL_LABELS.get(niveau, niveau) + \
            (" (publié par la Cnaf)" if niveau == "commune" else "")
        rows.append([label, "" if formatting.is_missing(first["nom"]) else str(first["nom"]),
                     int(first["annee"]), *[None if p is None else float(p["valeur"])
                                            for p in picked], source])
    columns = ["Niveau", "Nom", "Année", *[lab for _, lab in components], "Source"]
    frame = pd.DataFrame(rows, columns=columns)
    frame["Année"] = frame["Année"].astype("Int64")
    formats = {"Année": "year", **{c: "decimal" for c in columns[3:7]}, "Source": "text",
               "Nom": "text"}
    return frame, formats


def bilan_content(data: CtgData, annee: int, *, store=None, cible=None,
                  progress: Progress | None = None, images: bool = True) -> Bilan:
    """Assemble the bilan of `annee`: every figure from ctg_data.indicators, every evaluation
    table from ctg_data.editing, every chart from ctg_data.charts (rendered to PNG when
    `images` and a browser are available), comments from `store`, small counts masked."""
    from ctg_data import charts, definitions, editing, indicators, settings

    report = _reporter(progress)
    if images:
        exports.warm_up()  # the browser starts while the indicators are computed
    annee = int(annee)
    cible = float(settings.get("cible_taux_couverture") if cible is None else cible)
    threshold = secrecy.secrecy_threshold()
    today = dt.date.today()
    nom = data.nom or data.code or "territoire"
    bilan = Bilan(title=f"Bilan {annee} de la CTG — {nom}", territoire=nom, annee=annee,
                  cover_lines=_territory_lines(data, annee, today), generated=today)
    blocks = bilan.blocks
    report(0.02, "Calcul des indicateurs")

    # Inputs shared by the chapters
    # The stored figures that concern the territory (filtered in the database, cached);
    # the charts add the bundled national table themselves.
    references = (territory_references(store, data, national=False)
                  if store is not None else None)
    # Statistical secrecy on the charts too: small counts of people are not written on them.
    options: dict = {"cible": cible, "secret": threshold}
    comments: dict[str, list] = {}
    if store is not None:
        current = [v for v in store.versions(data.code) if v.is_current]
        if current:
            options["version_date"] = current[0].created_at
        for comment in store.comments(data.code):
            if comment.annee in (None, annee):
                comments.setdefault(comment.chart_key, []).append(comment)
    cov = indicators.coverage(data, annee, cible=cible)
    status = indicators.plan_status(data, annee)
    summary = indicators.axis_summary(status) if len(status) else pd.DataFrame()
    series = indicators.coverage_series(data, cible=cible)
    alsh = indicators.alsh_coverage(data, annee)
    # Computed once for the text, the tables and the charts (see charts.computed).
    options["computed"] = {"coverage": cov, "plan_status": status, "coverage_series": series,
                           "alsh_coverage": alsh}
    use_images = images and exports.image_export_available()
    shown_keys: set[str] = set()
    # Figures are built with the content; their images are rendered at the end, so that the
    # browser started by warm_up() boots while the content is assembled.
    figures: list[tuple[Chart, object]] = []

    def chart(key: str) -> None:
        spec = charts.CHARTS.get(key)
        if spec is None:
            return
        shown_keys.add(key)
        try:
            figure = spec.build(data, annee, references, **options)
        except Exception as error:  # noqa: BLE001 - one broken chart must not sink the bilan
            blocks.append(Chart(key, spec.titre, None, "", [], missing=(
                f"[Graphique non produit : erreur lors de sa construction ({error}).]")))
            return
        if any(getattr(a, "name", None) == "no_data" for a in figure.layout.annotations or ()):
            # charts.no_data_figure: a page of empty chart helps nobody in a printed bilan.
            blocks.append(Paragraph(f"{spec.titre} : données non disponibles pour {annee}.",
                                    "note"))
            return
        # In a document the chart's title is the caption above the image; the source and the
        # data date stay written on the image.
        figure.update_layout(title=None)
        # Laid out for the printed width: a 1,000-pixel chart shrunk to 17 cm gave 5-6 pt text.
        figure = charts.for_print(figure, PRINT_WIDTH_PX, CHART_WIDTH_MM, PRINT_MIN_PT)
        source = ""
        meta = figure.layout.meta
        if isinstance(meta, dict) and meta.get("source"):
            source = str(meta["source"]).removeprefix("Source : ")
        block = Chart(key, spec.titre, None, source,
                      [_comment_line(c) for c in comments.get(key, [])], PRINT_WIDTH_PX,
                      int(figure.layout.height or 460), figure=figure)
        blocks.append(block)
        figures.append((block, figure))

    if not use_images:
        reason = exports.image_export_message() if images else ""
        blocks.append(Paragraph("Les graphiques ne sont pas inclus dans ce document. "
                                + reason, "note"))

    # 1. Key figures -------------------------------------------------------------------------
    blocks.append(Heading(f"Chiffres clés {annee}"))
    population, annee_pop = None, None
    pop_rows = data.table("population")
    pop_rows = pop_rows[(pop_rows["annee"] <= annee) & pop_rows["population"].notna()]
    if len(pop_rows):
        last = pop_rows.sort_values("annee").iloc[-1]
        population, annee_pop = float(last["population"]), int(last["annee"])
    counts = summary[list(indicators.NIVEAUX)].sum() if len(summary) else None
    actions = int(summary["actions"].sum()) if len(summary) else 0
    done = int(summary["actions_realisees"].sum()) if len(summary) else 0
    key_rows = [
        ("Population", population, "habitants", annee_pop, True),
        ("Enfants de moins de 3 ans", cov.enfants_moins_3_ans, "enfants", cov.annee_population,
         True),
        ("Taux de couverture global", cov.taux.get("global"), "places pour 100 enfants", annee,
         False),
        ("Places d'accueil comptées dans le taux", cov.places.get("total"), "places", annee,
         False),
        (f"Places manquantes pour atteindre {formatting.fr_target(cible)} places pour 100 "
         "enfants", cov.places_manquantes, "places", annee, False),
    ]
    if counts is not None:
        key_rows += [(f"Indicateurs du plan : {formatting.BAND_LABELS[n].lower()}",
                      float(counts[n]), "indicateurs", annee, False) for n in indicators.NIVEAUX]
        key_rows.append(("Actions réalisées", float(done), f"sur {actions} actions", annee,
                         False))
    key_frame = pd.DataFrame([r[:4] for r in key_rows],
                             columns=["Indicateur", "Valeur", "Unité", "Année"])
    key_frame["Année"] = key_frame["Année"].astype("Int64")
    key_frame, key_note = mask_count_rows(key_frame, ["Valeur"], [r[4] for r in key_rows], threshold)

    bullets = []
    if population is not None:
        bullets.append(f"Population ({annee_pop}) : "
                       f"{count_text(population, threshold, 'habitant')}")
    if cov.enfants_moins_3_ans is not None:
        bullets.append(f"Enfants de moins de 3 ans ({cov.annee_population}) : "
                       f"{count_text(cov.enfants_moins_3_ans, threshold, 'enfant')}")
    rate = cov.taux.get("global")
    # Like for like (indicators.coverage_change): never a rate against one lacking a component.
    previous = indicators.previous_coverage(data, annee)
    change = indicators.coverage_change(cov, previous) if previous is not None else None
    bullets.append("Taux de couverture global : "
                   + (formatting.fr_rate(rate) if rate is not None else "non calculable")
                   + ("" if cov.complet else " (calcul incomplet, voir les alertes)")
                   + (f", {indicators.change_sentence(change)}"
                      if rate is not None and change is not None else ""))
    if cov.places_manquantes is not None:
        bullets.append(
            f"Places manquantes pour atteindre la cible de {formatting.fr_target_rate(cible)} : "
            + (formatting.fr_count(cov.places_manquantes, "place") if cov.places_manquantes
               else "aucune, la cible est atteinte"))
    if counts is not None:
        total = int(counts.sum())
        bullets.append(f"Plan d'action : {formatting.fr_count(total, 'indicateur')} suivis — "
                       + ", ".join(band_count_text(counts[n], n) for n in indicators.NIVEAUX)
                       + f" ; {done} action{'s' if done > 1 else ''} "
                         f"réalisée{'s' if done > 1 else ''} sur {actions}")
    blocks.append(Bullets(bullets, slide=f"Chiffres clés {annee}"))
    if cov.alertes:
        blocks.append(Paragraph("Points d'attention sur les données :", "strong"))
        blocks.append(Bullets(list(cov.alertes)))
    blocks.append(Table(f"Chiffres clés {annee}", key_frame,
                        {"Valeur": "number", "Année": "year", "Unité": "text"}, key_note,
                        "classeur CTG, calculs du tableau de bord", "Chiffres clés",
                        weights=[40, 14, 26, 10], printed=False))

    # 2. Diagnostic ---------------------------------------------------------------------------
    blocks.append(Heading("Diagnostic du territoire"))
    portrait = indicators.portrait(data)
    portrait = portrait[portrait["annee"] <= annee]
    if len(portrait):
        latest = portrait.sort_values("annee").groupby("indicateur", sort=False).tail(1)
        order = {d.code: i for i, d in enumerate(definitions.DEFINITIONS)}
        latest = latest.sort_values("indicateur", key=lambda s: s.map(order))
        frame = pd.DataFrame({"Indicateur": latest["libelle"].astype(object).tolist(),
                              "Année": latest["annee"].astype("Int64").tolist(),
                              "Valeur": latest["valeur"].tolist(),
                              "Unité": latest["unite"].astype(object).tolist()})
        frame["Année"] = frame["Année"].astype("Int64")
        frame, note = mask_count_rows(frame, ["Valeur"], [is_count_unit(u) for u in frame["Unité"]],
                                 threshold)
        blocks.append(Table("Portrait du territoire (dernière année connue)", frame,
                            {"Valeur": "number", "Année": "year", "Unité": "text"}, note,
                            "INSEE et Caf, saisis dans le classeur CTG", "Portrait",
                            weights=[40, 10, 14, 20]))
    for key in CHART_KEYS["diagnostic"]:
        chart(key)

    # 3. Offer and coverage -------------------------------------------------------------------
    blocks.append(Heading("Offre d'accueil du jeune enfant et taux de couverture"))
    if rate is not None:
        blocks.append(Paragraph(
            f"En {annee}, le territoire compte {formatting.fr_rate(rate)} de moins de 3 ans "
            f"({formatting.fr_count(cov.places.get('total'), 'place')} comptées dans le taux "
            f"pour {count_text(cov.enfants_moins_3_ans, threshold, 'enfant')}). Ce taux est "
            "théorique : une place peut être vacante ou partagée par plusieurs enfants."))
    blocks.append(Heading("Places par mode d'accueil", 2))
    place_rows = [(indicators.COMPONENT_LABELS[k], cov.places.get(k))
                  for k in indicators.COMPONENTS]
    place_rows.append(("Total (taux de couverture)", cov.places.get("total")))
    places = pd.DataFrame(place_rows, columns=["Mode d'accueil", "Places"])
    places, places_note = secrecy.mask_small_counts(
        places, ["Places"], threshold, total_rows=[len(place_rows) - 1])
    # A sub-rate × the children shown, minus the visible places of its other component, would
    # give a masked count back: such sub-rates are masked too wherever the local rates appear.
    hidden_rates = {_RATE_OF_PLACES[k] for k, v in zip([*indicators.COMPONENTS, "total"],
                                                        places["Places"]) if v == secrecy.SECRET}
    blocks.append(Table(f"Places par mode d'accueil en {annee}", places, {"Places": "int"},
                        places_note, "classeur CTG, calcul local", "Places par mode",
                        slide=True, weights=[40, 12]))
    hors = cov.places.get("hors_territoire")
    if hors:
        blocks.append(Paragraph(
            f"Offre mobilisable hors territoire (berceaux réservés, structures voisines) : "
            f"{formatting.fr_count(hors, 'place')}, non comptée dans le taux."))
    autre = cov.places.get("hors_taux_autre")
    if autre:
        named = next((a for a in cov.alertes if a.startswith(indicators.AUTRE_ALERT)), "")
        blocks.append(Paragraph(
            f"Offre hors du taux comparable à la Cnaf : {formatting.fr_count(autre, 'place')} "
            "d'EAJE au financement « Autre » (ni PSU ni PAJE), non comptées dans le taux. "
            + named))
    if cov.places_manquantes is not None:
        blocks.append(Paragraph(
            f"Pour atteindre la cible de {formatting.fr_target_rate(cible)}, "
            + (f"il manque {formatting.fr_count(cov.places_manquantes, 'place')}."
               if cov.places_manquantes else "aucune place ne manque : la cible est atteinte.")))
    ratios = []
    if cov.am_par_etp_rpe is not None:
        ratios.append("Assistantes maternelles par ETP d'animateur de relais petite enfance : "
                      f"{formatting.fr_number(cov.am_par_etp_rpe, 1)} (objectif national de la "
                      "COG 2018-2022 : 1 ETP pour 70)")
    if cov.demandes_pour_100 is not None:
        ratios.append("Demandes d'accueil en attente pour 100 enfants de moins de 3 ans : "
                      f"{formatting.fr_number(cov.demandes_pour_100, 1)}")
    if ratios:
        blocks.append(Bullets(ratios))

    blocks.append(Heading("Comparaison avec les références", 2))
    ref_frame, ref_formats = _references_table(data, annee, cov, references, hidden_rates)
    blocks.append(Table(f"Taux de couverture {annee} (places pour 100 enfants de moins de 3 "
                        "ans) : territoire et références", ref_frame, ref_formats,
                        "Les références sont celles de l'année du bilan ou, à défaut, de la "
                        "dernière année publiée (colonne Année).",
                        "classeur CTG ; Cnaf (data.caf.fr, ONAPE)", "Références", slide=True,
                        weights=[17, 15, 7, 9, 8, 10, 15, 24]))

    blocks.append(Heading("Évolution de l'offre", 2))
    if rate is not None and change is not None:
        blocks.append(Paragraph(
            f"Taux de couverture global en {annee} : {formatting.fr_rate(rate)}, "
            f"{indicators.change_sentence(change)}."))
    series = series[(series["annee"] <= annee) & series["places_total"].notna()] \
        if len(series) else series
    if len(series):
        evolution = pd.DataFrame({
            "Année": series["annee"].astype("Int64").tolist(),
            "Enfants de moins de 3 ans": series["enfants_moins_3_ans"].tolist(),
            "EAJE PSU": series["places_eaje_psu"].tolist(),
            "EAJE hors PSU": series["places_eaje_hors_psu"].tolist(),
            "Assistantes maternelles": series["places_am"].tolist(),
            "Garde à domicile": series["places_gad"].tolist(),
            "Préscolarisation": series["places_prescolarisation"].tolist(),
            "Total des places": series["places_total"].tolist(),
            "Taux global (places pour 100 enfants)": series["taux_global"].tolist(),
        })
        evolution["Année"] = evolution["Année"].astype("Int64")
        parts = ["EAJE PSU", "EAJE hors PSU", "Assistantes maternelles", "Garde à domicile",
                 "Préscolarisation", "Total des places"]
        evolution, note = secrecy.mask_small_counts(
            evolution, ["Enfants de moins de 3 ans", *parts], threshold,
            total_columns=["Total des places"])
        blocks.append(Table("Places par mode et taux de couverture, année par année",
                            evolution, {"Année": "year", **{c: "int" for c in parts},
                                        "Enfants de moins de 3 ans": "int",
                                        "Taux global (places pour 100 enfants)": "decimal"},
                            note, "classeur CTG, calcul local", "Évolution de l'offre"))
    for key in CHART_KEYS["offre"]:
        chart(key)

    besoins = data.table("besoins")
    besoins = besoins[besoins["annee"] == annee]
    if len(besoins):
        blocks.append(Heading("Besoins exprimés", 2))
        frame = pd.DataFrame({
            "Thème": besoins["theme"].astype(object).tolist(),
            "Indicateur": besoins["indicateur"].astype(object).tolist(),
            "Valeur": besoins["valeur"].tolist(),
            "Unité": besoins["unite"].astype(object).tolist(),
            "Source": besoins["source"].astype(object).tolist()})
        frame, note = mask_count_rows(frame, ["Valeur"], [is_count_unit(u) for u in frame["Unité"]],
                                 threshold)
        blocks.append(Table(f"Besoins observés en {annee}", frame,
                            {"Valeur": "number", "Unité": "text"}, note,
                            "classeur CTG (feuille Besoins)", "Besoins",
                            weights=[14, 40, 9, 12, 25]))

    # 4. ALSH ---------------------------------------------------------------------------------
    blocks.append(Heading("Enfance-jeunesse : accueils de loisirs"))
    if len(alsh):
        blocks.append(Paragraph(
            "Indicateur local, sans référence nationale officielle : places ouvertes sur la "
            "période pour 100 enfants des tranches d'âge accueillies.", "note"))
        frame = pd.DataFrame({
            "Période": alsh["periode"].astype(object).tolist(),
            "Tranche d'âge": alsh["tranche"].astype(object).tolist(),
            "Structures": alsh["structures"].astype(object).tolist(),
            "Places": alsh["places"].tolist(),
            "Enfants de la tranche": alsh["enfants"].tolist(),
            "Places pour 100 enfants": alsh["couverture"].tolist(),
            "Enfants accueillis": alsh["enfants_accueillis"].tolist(),
            "Taux de remplissage (%)": alsh["taux_remplissage"].tolist()})
        frame, note = secrecy.mask_small_counts(
            frame, ["Enfants de la tranche", "Enfants accueillis"], threshold)
        approx = [a for a in alsh["approximations"].dropna().astype(str) if a]
        if approx:
            note = " ".join(x for x in (note, "Approximations : " + " ; ".join(approx) + ".")
                            if x)
        blocks.append(Table(f"Accueils de loisirs en {annee}", frame,
                            {"Places": "int", "Enfants de la tranche": "int",
                             "Places pour 100 enfants": "decimal", "Enfants accueillis": "int",
                             "Taux de remplissage (%)": "percent"}, note,
                            "classeur CTG (feuilles ALSH et Population), calcul local", "ALSH",
                            slide=True, weights=[14, 14, 24, 9, 11, 11, 11, 11]))
    else:
        blocks.append(Paragraph(f"Aucune donnée d'accueil de loisirs pour {annee}."))
    for key in CHART_KEYS["alsh"]:
        chart(key)

    # 5. Plan d'action and evaluation ---------------------------------------------------------
    blocks.append(Heading("Plan d'action et évaluation"))
    if len(status):
        blocks.append(Paragraph(indicators.band_explanation(), "note"))
    if len(summary):
        frame = pd.DataFrame({
            "Axe": summary["axe"].astype(object).tolist(),
            "Indicateurs": summary["indicateurs"].astype(float).tolist(),
            **{formatting.BAND_LABELS[n]: summary[n].astype(float).tolist()
               for n in indicators.NIVEAUX},
            "Actions": summary["actions"].astype(float).tolist(),
            "Actions réalisées": summary["actions_realisees"].astype(float).tolist(),
            "Part des actions réalisées (%)": summary["part_actions_realisees"].tolist()})
        blocks.append(Table("Synthèse par axe", frame,
                            {c: "int" for c in frame.columns[1:-1]}
                            | {"Part des actions réalisées (%)": "percent"}, "",
                            "classeur CTG (feuille Plan d'action)", "Synthèse par axe",
                            slide=True, weights=[34, 10, 9, 10, 9, 11, 8, 10, 11]))
    else:
        blocks.append(Paragraph("Le plan d'action est vide."))
    for key in CHART_KEYS["plan"]:
        chart(key)
    report(0.06, "Tableaux d'évaluation")

    axes = editing.axes(data)
    if axes:
        blocks.append(Orientation(landscape=True))
    for number, axe in enumerate(axes, start=1):
        blocks.append(Heading(axe, 2))
        row = summary[summary["axe"].astype(str) == axe]
        if len(row):
            r = row.iloc[0]
            part = r["part_actions_realisees"]
            blocks.append(Paragraph(
                f"{formatting.fr_count(r['indicateurs'], 'indicateur')} : "
                + ", ".join(band_count_text(r[n], n) for n in indicators.NIVEAUX)
                + f". Actions réalisées : {int(r['actions_realisees'])} sur {int(r['actions'])}"
                + (f" ({formatting.fr_percent(part, 0)})." if _num(part) is not None else ".")))
        evaluation = editing.evaluation_table(data, axe, annee, status=status)
        rows = status[status["axe"].astype(str) == axe]
        values = pd.DataFrame({
            "Indicateur": rows["indicateur"].astype(object).tolist(),
            "Unité": rows["unite"].astype(object).tolist(),
            "Valeur de référence": rows["valeur_reference"].tolist(),
            "Cible": rows["cible"].tolist(),
            "Année cible": pd.array(rows["annee_cible"].tolist(), dtype="Int64"),
            f"Dernière valeur (≤ {annee})": rows["derniere_valeur"].tolist(),
            "Année de la valeur": pd.array(rows["annee_derniere_valeur"].tolist(),
                                           dtype="Int64"),
            "Atteinte (%)": rows["atteinte_pct"].astype("float64").tolist(),
            "Niveau": [formatting.BAND_LABELS.get(n, n) for n in rows["niveau"]],
        })
        values, values_note = mask_plan_values(values, evaluation, annee, threshold)
        blocks.append(Table(f"Tableau d'évaluation — {axe}", evaluation,
                            {c: "text" for c in evaluation.columns}, "",
                            "classeur CTG (feuille Plan d'action)", f"Évaluation axe {number}",
                            slide=True, weights=EVALUATION_WEIGHTS))
        blocks.append(Table(f"Valeurs des indicateurs — {axe}", values,
                            {"Unité": "text", "Année cible": "year",
                             "Année de la valeur": "year",
                             "Atteinte (%)": "percent", "Niveau": "text",
                             "Valeur de référence": "number", "Cible": "number",
                             f"Dernière valeur (≤ {annee})": "number"}, values_note,
                            "classeur CTG (feuille Plan d'action)", f"Indicateurs axe {number}",
                            weights=[30, 11, 10, 8, 8, 10, 8, 9, 12]))
    if axes:
        blocks.append(Orientation(landscape=False))

    # 6. Analyses and comments ----------------------------------------------------------------
    blocks.append(Heading("Analyses et commentaires du comité"))
    blocks.append(Heading("Analyses du plan d'action", 2))
    written = False
    for axe in axes:
        rows = status[(status["axe"].astype(str) == axe)
                      & status["analyse"].map(lambda v: not formatting.is_missing(v))]
        if rows.empty:
            continue
        written = True
        blocks.append(Paragraph(axe, "strong"))
        for r in rows.itertuples():
            blocks.append(Paragraph(f"{editing.action_label(r.numero_action, r.action)} — "
                                    f"{r.indicateur} : {r.analyse}"))
    if not written:
        blocks.append(Paragraph("Aucune analyse n'a été saisie dans le plan d'action."))
    blocks.append(Heading("Commentaires du comité", 2))
    if store is None:
        blocks.append(Paragraph("Commentaires non repris : bilan produit sans base de données."))
    else:
        shown = [f"« {charts.CHARTS[k].titre} » : " + _comment_line(c)
                 for k in sorted(shown_keys) for c in comments.get(k, [])]
        others = [f"« {charts.CHARTS[k].titre if k in charts.CHARTS else k} » : "
                  + _comment_line(c) for k, cs in comments.items() if k not in shown_keys
                  for c in cs]
        if shown or others:
            blocks.append(Paragraph("Les commentaires figurent aussi sous chaque graphique.",
                                    "note"))
            blocks.append(Bullets(shown + others))
        else:
            blocks.append(Paragraph(f"Aucun commentaire du comité enregistré pour {annee}."))

    # 7. Pilotage -----------------------------------------------------------------------------
    comites = data.table("comites")
    comites = comites[comites["date"].map(lambda d: str(d or "")[:4] == str(annee))]
    decisions = data.table("decisions")
    if len(comites) or len(decisions):
        blocks.append(Heading("Pilotage"))
    if len(comites):
        frame = pd.DataFrame({
            "Date": [formatting.fr_short_date(d) for d in comites["date"]],
            "Instance": comites["instance"].astype(object).tolist(),
            "Ordre du jour": comites["ordre_du_jour"].astype(object).tolist(),
            "Compte rendu": comites["compte_rendu"].astype(object).tolist()})
        blocks.append(Table(f"Comités réunis en {annee}", frame, {c: "text" for c in frame},
                            "", "classeur CTG (feuille Comités)", "Comités",
                            weights=[13, 16, 34, 28]))
    if len(decisions):
        open_ = decisions[decisions["statut"].fillna("Ouverte") == "Ouverte"]
        if len(open_):
            frame = pd.DataFrame({
                "Date du comité": [formatting.fr_short_date(d) for d in open_["date_comite"]],
                "Décision": open_["decision"].astype(object).tolist(),
                "Responsable": open_["responsable"].astype(object).tolist(),
                "Échéance": [formatting.fr_short_date(d) for d in open_["echeance"]]})
            blocks.append(Table("Décisions en cours", frame, {c: "text" for c in frame}, "",
                                "classeur CTG (feuille Décisions)", "Décisions en cours",
                                weights=[12, 46, 20, 12]))

    # 8. Methodology and sources --------------------------------------------------------------
    report(0.08, "Méthodologie")
    blocks.append(Heading("Méthodologie et sources"))
    blocks.append(Heading(f"Calcul du taux de couverture {annee}", 2))
    if places_note:
        # The line-by-line computation would print the masked count: give the rates only.
        blocks.append(Paragraph("Le détail du calcul n'est pas reproduit : il ferait apparaître "
                                "un effectif masqué (secret statistique)."))
        blocks.append(Bullets([f"{label} : " + (f"{secrecy.SECRET} (secret statistique)"
                                                 if k in hidden_rates else
                                                 formatting.fr_number(cov.taux.get(k), 1))
                               for k, label in (("global", "Taux global"), ("eaje", "Taux EAJE"),
                                                ("individuel", "Taux individuel"),
                                                ("prescolarisation", "Taux de préscolarisation"))
                               if cov.taux.get(k) is not None]))
    elif cov.detail:
        blocks.append(Bullets([
            f"{label} : " + (formatting.MISSING if value is None else
                             formatting.fr_number(value, 1 if label.startswith("Taux") else 0))
            for label, value in cov.detail]))
    blocks.append(Heading("Définitions des indicateurs", 2))
    for code in METHODOLOGY_CODES:
        if code in definitions.BY_CODE:
            label = definitions.get(code).libelle
            text = definitions.methodology_text(code)
            # The text opens with « Libellé : définition »: the label becomes a bold line.
            text = text.removeprefix(f"{label} : ")
            blocks.append(Paragraph(label, "strong"))
            blocks.append(Paragraph(text))
    blocks.append(Heading("Secret statistique", 2))
    blocks.append(Paragraph(
        f"Les effectifs de personnes inférieurs à {threshold} (enfants, familles, demandes…) "
        f"sont remplacés par « {secrecy.SECRET} » dans ce document. Quand un total permettrait "
        "de retrouver une valeur masquée par différence, une autre valeur de la même ligne ou "
        "colonne (la plus petite) est masquée aussi, ou à défaut le total. Les capacités "
        "d'accueil (places) et les taux ne sont pas des effectifs de personnes et restent "
        "affichés."))
    blocks.append(Heading("Sources", 2))
    sources = ["Classeur CTG du territoire" + (
        f" (version du {formatting.fr_short_date(options['version_date'])})"
        if options.get("version_date") else "")]
    sources += ["INSEE : recensement de la population, état civil, Filosofi (saisis dans le "
                "classeur)", "Cnaf : taux de couverture publiés (data.caf.fr, ONAPE)",
                "Valeurs nationales de référence : table intégrée au tableau de bord, version "
                f"{REFERENCES_VERSION} (valeurs non confirmées écartées)"]
    if references is not None and len(references):
        used = references.dropna(subset=["source"])
        sources += sorted({f"{s}" + (f" (édition {e})" if not formatting.is_missing(e) else "")
                           for s, e in zip(used["source"], used["edition"])})
    if data.territoire.get("avertissement"):
        sources.append(str(data.territoire["avertissement"]))
    blocks.append(Bullets(sources))
    blocks.append(Paragraph(f"Document produit le {formatting.fr_date(today)} par le tableau de "
                            "bord CTG à partir des données enregistrées.", "note"))

    if use_images:
        for done_count, (block, figure) in enumerate(figures, start=1):
            report(0.1 + 0.85 * done_count / len(figures), f"Graphique : {block.title}")
            try:
                block.image = exports.figure_to_image(figure, "png", scale=2,
                                                      width=block.width, height=block.height)
            except exports.ImageExportError as error:
                block.missing = f"[Graphique non inclus : {error}]"
    report(1.0, "Contenu du bilan prêt")
    return _without_control_characters(bilan)


def _without_control_characters(bilan: Bilan) -> Bilan:
    """Every text of the bilan without the characters an Office document cannot hold
    (`formatting.xml_safe`): the import refuses them now, data stored before may hold them,
    and one of them would make the whole DOCX or XLSX fail."""
    safe = formatting.xml_safe
    bilan.title, bilan.territoire = safe(bilan.title), safe(bilan.territoire)
    bilan.cover_lines = [safe(line) for line in bilan.cover_lines]
    for block in bilan.blocks:
        if isinstance(block, Heading | Paragraph):
            block.text = safe(block.text)
        elif isinstance(block, Bullets):
            block.items, block.slide = [safe(i) for i in block.items], safe(block.slide)
        elif isinstance(block, Table):
            block.title, block.note, block.source = (safe(block.title), safe(block.note),
                                                     safe(block.source))
            frame = block.frame.rename(columns=lambda c: safe(c) if isinstance(c, str) else c)
            for column in frame.columns:
                if not pd.api.types.is_numeric_dtype(frame[column]):  # object or str
                    frame[column] = frame[column].map(
                        lambda v: safe(v) if isinstance(v, str) else v)
            block.frame = frame
        elif isinstance(block, Chart):
            block.title, block.source = safe(block.title), safe(block.source)
            block.comments = [safe(c) for c in block.comments]
    return bilan


def build_bilan(data: CtgData, annee: int, fmt: str, *, store=None, cible=None,
                progress: Progress | None = None) -> bytes:
    """The bilan of `annee` for the territory of `data` as a `fmt` file (docx, pdf, pptx or
    xlsx). `store` brings the comité's comments, the stored references and the version date;
    `cible` is the target coverage rate (default: setting `cible_taux_couverture`);
    `progress(fraction, message)` is called as the work advances (for a progress bar)."""
    fmt = str(fmt).lower()
    if fmt not in RENDERERS:
        raise ValueError(f"Format de bilan inconnu : {fmt} (docx, pdf, pptx ou xlsx).")
    report = _reporter(progress)
    content = bilan_content(data, annee, store=store, cible=cible,
                            progress=lambda f, m: report(f * 0.9, m), images=fmt != "xlsx")
    report(0.9, f"Mise en forme du document {fmt.upper()}")
    result = RENDERERS[fmt](content)
    report(1.0, "Bilan prêt")
    return result
