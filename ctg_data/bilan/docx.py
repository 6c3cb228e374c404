"""The bilan as an editable Word document (python-docx): title page, table of contents, then
every block in order, A4 portrait or landscape."""

from __future__ import annotations

import io

from ctg_data.bilan.document import (CHART_WIDTH_MM, NO_IMAGE, Bilan, Bullets, Chart, Heading,
                                     Orientation, Paragraph, Table, column_kinds, column_weights,
                                     fit_widths, is_numeric_kind, longest_words, text_rows)


def _field(paragraph, instruction: str, placeholder: str = "") -> None:
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


def _shade(cell, hex_fill: str) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), hex_fill)
    cell._tc.get_or_add_tcPr().append(shading)


def _repeat_header(row) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    flag = OxmlElement("w:tblHeader")
    flag.set(qn("w:val"), "true")
    row._tr.get_or_add_trPr().append(flag)


def _orient(section, landscape: bool) -> None:
    from docx.enum.section import WD_ORIENT
    from docx.shared import Cm

    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    long, short = Cm(29.7), Cm(21.0)
    section.page_width, section.page_height = (long, short) if landscape else (short, long)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(2.0))


def _usable_width(landscape: bool):
    from docx.shared import Cm

    return Cm(25.7) if landscape else Cm(17.0)


def _set_up(doc, bilan: Bilan) -> None:
    """Document properties, the Normal style, A4 portrait and the page-number footer."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    # Word's core properties hold at most 255 characters (python-docx raises beyond).
    doc.core_properties.title = bilan.title if len(bilan.title) <= 255 else \
        bilan.title[:254] + "…"
    doc.core_properties.language = "fr-FR"
    doc.core_properties.author = "Tableau de bord CTG"
    normal = doc.styles["Normal"]
    normal.font.name = "Calibri"
    normal.font.size = Pt(10.5)
    section = doc.sections[0]
    _orient(section, False)
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.add_run(f"{bilan.title} — page ")
    _field(footer, "PAGE", "1")


def _title_page(doc, bilan: Bilan) -> None:
    from docx.enum.text import WD_BREAK
    from docx.shared import Pt

    for _ in range(6):
        doc.add_paragraph()
    doc.add_paragraph(bilan.title, style="Title")
    for line in bilan.cover_lines:
        p = doc.add_paragraph(line)
        p.runs[0].font.size = Pt(13)
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)


def _contents(doc, bilan: Bilan) -> None:
    """A real TOC field on the Heading styles; its shown result lists the headings so that the
    page reads well before Word updates it (F9)."""
    from docx.enum.text import WD_BREAK
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Pt

    p = doc.add_paragraph()
    run = p.add_run("Sommaire")
    run.bold = True
    run.font.size = Pt(16)
    toc = doc.add_paragraph()
    listing = "\n".join(("    " if h.level == 2 else "") + h.text for h in bilan.headings())
    _field(toc, 'TOC \\o "1-2" \\h \\z \\u', listing)
    note = doc.add_paragraph("Pour afficher les numéros de page du sommaire dans Word : clic "
                             "droit sur le sommaire, « Mettre à jour les champs ».")
    note.runs[0].font.size = Pt(8)
    note.runs[0].italic = True
    update = OxmlElement("w:updateFields")
    update.set(qn("w:val"), "true")
    doc.settings.element.append(update)
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)


def _paragraph(doc, block: Paragraph) -> None:
    from docx.shared import Pt, RGBColor

    p = doc.add_paragraph()
    run = p.add_run(block.text)
    if block.style == "note":
        run.font.size = Pt(8.5)
        run.italic = True
        run.font.color.rgb = RGBColor(0x55, 0x55, 0x55)
    elif block.style == "strong":
        run.bold = True


def _small_italic(doc, text: str) -> None:
    from docx.shared import Pt

    p = doc.add_paragraph()
    run = p.add_run(text)
    run.font.size = Pt(8.5)
    run.italic = True


def _table(doc, block: Table, usable_width) -> None:
    """A table with a shaded header row repeated on each page, numbers right-aligned, and
    fixed column widths (never narrower than a column's longest word)."""
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    if block.title:
        p = doc.add_paragraph()
        p.add_run(block.title).bold = True
        p.paragraph_format.keep_with_next = True
    kinds = column_kinds(block)
    rows = text_rows(block)
    table = doc.add_table(rows=1 + len(rows), cols=len(block.frame.columns))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    minimums = [Cm(0.21 * max(len(h) * 1.1, len(c)) + 0.4)
                for h, c in longest_words(block)]
    widths = [int(w) for w in fit_widths(column_weights(block), minimums, usable_width)]
    for j, col in enumerate(block.frame.columns):
        cell = table.rows[0].cells[j]
        cell.text = ""
        run = cell.paragraphs[0].add_run(str(col))
        run.bold = True
        run.font.size = Pt(9)
        _shade(cell, "DCE6F1")
    _repeat_header(table.rows[0])
    for i, values in enumerate(rows, start=1):
        for j, text in enumerate(values):
            cell = table.rows[i].cells[j]
            para = cell.paragraphs[0]
            run = para.add_run(text)
            run.font.size = Pt(9)
            if is_numeric_kind(kinds[j]):
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
            _small_italic(doc, text)
    doc.add_paragraph()


def _chart(doc, block: Chart, usable_width) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm

    title = doc.add_paragraph()
    title.add_run(block.title).bold = True
    title.paragraph_format.keep_with_next = True
    if block.image:
        doc.add_picture(io.BytesIO(block.image),
                        width=min(usable_width, Cm(CHART_WIDTH_MM / 10)))
        doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
    else:
        doc.add_paragraph(block.missing or NO_IMAGE)
    # The image carries its source; without image the source is written out.
    if block.source and not block.image:
        _small_italic(doc, f"Source : {block.source}")
    for comment in block.comments:
        p = doc.add_paragraph()
        p.add_run("Commentaire du comité : ").bold = True
        p.add_run(comment)


def render_docx(bilan: Bilan) -> bytes:
    """The bilan as an editable Word document: Title and Heading 1/2 styles (a TOC field built
    on them, pre-filled with the headings), tables with repeated header rows, charts as PNG,
    page numbers in the footer, A4."""
    from docx import Document
    from docx.enum.section import WD_SECTION

    doc = Document()
    _set_up(doc, bilan)
    _title_page(doc, bilan)
    _contents(doc, bilan)
    landscape = False
    for block in bilan.blocks:
        if isinstance(block, Orientation):
            landscape = block.landscape
            new = doc.add_section(WD_SECTION.NEW_PAGE)
            _orient(new, landscape)
        elif isinstance(block, Heading):
            doc.add_heading(block.text, level=block.level)
        elif isinstance(block, Paragraph):
            _paragraph(doc, block)
        elif isinstance(block, Bullets):
            for item in block.items:
                doc.add_paragraph(item, style="List Bullet")
        elif isinstance(block, Table) and block.printed:
            _table(doc, block, _usable_width(landscape))
        elif isinstance(block, Chart):
            _chart(doc, block, _usable_width(landscape))
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()
