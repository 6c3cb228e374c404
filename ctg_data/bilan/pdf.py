"""The bilan as a printable A4 PDF (fpdf2, DejaVu fonts embedded so that every French
character prints): title page, table of contents and bookmarks, then every block in order."""

from __future__ import annotations

import io

from ctg_data.bilan.document import (CHART_WIDTH_MM, NO_IMAGE, Bilan, Bullets, Chart, Heading,
                                     Orientation, Paragraph, Table, column_kinds, column_weights,
                                     fit_widths, is_numeric_kind, longest_words, text_rows)

FONT_DIR = "/usr/share/fonts/truetype/dejavu"
BLUE = (0, 90, 140)  # titles and headings
GREY = (85, 85, 85)  # notes and sources


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


def _new_pdf(bilan: Bilan):
    """An A4 document with the DejaVu fonts, margins and the two heading styles."""
    from fpdf.fonts import TextStyle

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
    pdf.set_section_title_styles(
        level0=TextStyle(font_family="DejaVu", font_style="B", font_size_pt=16, color=BLUE,
                         t_margin=4, b_margin=3),
        level1=TextStyle(font_family="DejaVu", font_style="B", font_size_pt=12.5, color=BLUE,
                         t_margin=3, b_margin=2))
    return pdf


def _title_and_contents(pdf, bilan: Bilan) -> None:
    """The title page, then the table of contents on its own page."""
    from fpdf.fonts import TextStyle
    from fpdf.outline import TableOfContents

    pdf.add_page()
    pdf.set_y(80)
    pdf.set_font("DejaVu", "B", 22)
    pdf.set_text_color(*BLUE)
    pdf.multi_cell(0, 11, bilan.title, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.ln(6)
    pdf.set_font("DejaVu", "", 13)
    for line in bilan.cover_lines:
        pdf.multi_cell(0, 8, line, align="L", new_x="LMARGIN", new_y="NEXT")

    pdf.add_page()
    pdf.set_font("DejaVu", "B", 16)
    pdf.cell(0, 10, "Sommaire", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 10.5)
    toc = TableOfContents(text_style=TextStyle(font_family="DejaVu", font_size_pt=10.5),
                          level_indent=7, line_spacing=1.6)
    pdf.insert_toc_placeholder(toc.render_toc, pages=1, allow_extra_pages=True,
                               reset_page_indices=False)


def _ensure_space(pdf, height: float) -> None:
    if pdf.get_y() + height > pdf.page_break_trigger:
        pdf.add_page(orientation=pdf.cur_orientation)


def _heading(pdf, blocks: list, index: int) -> None:
    """Keep a heading with the start of what follows it (no heading alone at the bottom of a
    page): room for the heading, a short paragraph and a table's first rows or a whole chart."""
    block = blocks[index]
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
    _ensure_space(pdf, need)
    pdf.start_section(block.text, level=block.level - 1)
    pdf.set_font("DejaVu", "", 10)


def _paragraph(pdf, block: Paragraph) -> None:
    if block.style == "note":
        pdf.set_font("DejaVu", "I", 8.5)
        pdf.set_text_color(*GREY)
    elif block.style == "strong":
        pdf.set_font("DejaVu", "B", 10)
    pdf.multi_cell(0, 5.2 if block.style != "note" else 4.4, block.text,
                   new_x="LMARGIN", new_y="NEXT", align="L")
    pdf.set_text_color(0, 0, 0)
    pdf.set_font("DejaVu", "", 10)
    pdf.ln(1.5)


def _bullets(pdf, block: Bullets) -> None:
    for item in block.items:
        # Hanging indent: the bullet in its own cell, wrapped lines under the text.
        pdf.set_x(pdf.l_margin + 2)
        pdf.cell(4, 5.2, "•")
        pdf.multi_cell(pdf.epw - 6, 5.2, item, new_x="LMARGIN", new_y="NEXT",
                       align="L")
    pdf.ln(1.5)


def _table(pdf, block: Table) -> None:
    """A table with a shaded header repeated on each page, numbers right-aligned, no column
    narrower than its longest word; its note and source in small grey italics below."""
    from fpdf.enums import TableBordersLayout
    from fpdf.fonts import FontFace

    _ensure_space(pdf, 25)
    if block.title:
        pdf.set_font("DejaVu", "B", 10)
        pdf.multi_cell(0, 5.5, block.title, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)
    kinds = column_kinds(block)
    wide = len(block.frame.columns) > 4
    pdf.set_font("DejaVu", "", 7.5 if wide else 8.5)
    padding = 1.2
    minimums = []
    for header_word, cell_word in longest_words(block):
        pdf.set_font("DejaVu", "B", pdf.font_size_pt)
        need = pdf.get_string_width(header_word)
        pdf.set_font("DejaVu", "", pdf.font_size_pt)
        minimums.append(max(need, pdf.get_string_width(cell_word)) + 2 * padding + 0.8)
    weights = fit_widths(column_weights(block), minimums, pdf.epw)
    align = ["RIGHT" if is_numeric_kind(k) else "LEFT" for k in kinds]
    with pdf.table(col_widths=weights, text_align=align, width=pdf.epw,
                   line_height=3.8 if wide else 4.4, padding=padding,
                   headings_style=FontFace(emphasis="BOLD", fill_color=(220, 230, 241)),
                   borders_layout=TableBordersLayout.ALL, repeat_headings=1,
                   first_row_as_headings=True) as table:
        header = table.row()
        for col in block.frame.columns:
            header.cell(str(col), align="LEFT")
        for values in text_rows(block):
            row = table.row()
            for text in values:
                row.cell(text)
    pdf.set_font("DejaVu", "I", 8)
    pdf.set_text_color(*GREY)
    for text in (block.note, f"Source : {block.source}" if block.source else ""):
        if text:
            pdf.multi_cell(0, 4.2, text, new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.set_font("DejaVu", "", 10)
    pdf.ln(3)


def _chart(pdf, block: Chart) -> None:
    width = min(pdf.epw, CHART_WIDTH_MM)
    height = width * block.height / block.width if block.image else 0
    _ensure_space(pdf, height + 14)
    pdf.set_font("DejaVu", "B", 10)
    pdf.multi_cell(0, 5.5, block.title, new_x="LMARGIN", new_y="NEXT")
    if block.image:
        pdf.image(_opaque(block.image), x=pdf.l_margin + (pdf.epw - width) / 2,
                  w=width, h=height)
    else:
        pdf.set_font("DejaVu", "", 9)
        pdf.multi_cell(0, 5, block.missing or NO_IMAGE, new_x="LMARGIN", new_y="NEXT",
                       align="L")
    pdf.set_font("DejaVu", "I", 8)
    pdf.set_text_color(*GREY)
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


def render_pdf(bilan: Bilan) -> bytes:
    """The bilan as a printable A4 PDF with DejaVu fonts embedded (every French character),
    a table of contents and bookmarks from the headings, page numbers."""
    pdf = _new_pdf(bilan)
    _title_and_contents(pdf, bilan)
    pdf.set_font("DejaVu", "", 10)
    blocks = bilan.blocks
    for index, block in enumerate(blocks):
        if isinstance(block, Orientation):
            pdf.add_page(orientation="L" if block.landscape else "P")
        elif isinstance(block, Heading):
            _heading(pdf, blocks, index)
        elif isinstance(block, Paragraph):
            _paragraph(pdf, block)
        elif isinstance(block, Bullets):
            _bullets(pdf, block)
        elif isinstance(block, Table) and block.printed:
            _table(pdf, block)
        elif isinstance(block, Chart):
            _chart(pdf, block)
    return bytes(pdf.output())
