"""The bilan as a 16:9 deck for the comité de pilotage (python-pptx): a title slide, then one
slide per key-figure list, per chart and per key table."""

from __future__ import annotations

import io
import math

from ctg_data.bilan.document import (NO_IMAGE, Bilan, Bullets, Chart, Table, column_kinds,
                                     column_weights, is_numeric_kind, text_rows)

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


class _Deck:
    """A 16:9 presentation being written, with the margins every slide shares."""

    def __init__(self):
        from pptx import Presentation
        from pptx.util import Emu, Inches

        self.prs = Presentation()
        # 16:9, 33,867 × 19,05 cm
        self.prs.slide_width, self.prs.slide_height = Emu(12192000), Emu(6858000)
        self.margin = Inches(0.5)
        self.content_width = self.prs.slide_width - 2 * self.margin
        self.title_only = self.prs.slide_layouts[5]

    def fit_title(self, shape, size=28) -> None:
        """Place a title across the 16:9 width (the template places it for 4:3)."""
        from pptx.util import Inches, Pt

        shape.left, shape.top = self.margin, Inches(0.3)
        shape.width, shape.height = self.content_width, Inches(0.9)
        for p in shape.text_frame.paragraphs:
            for r in p.runs:
                r.font.size = Pt(size)

    def add_text(self, slide, text, top, size=12, italic=False, height=None):
        """A wrapped text box across the content width; italic grey for notes."""
        from pptx.dml.color import RGBColor
        from pptx.util import Inches, Pt

        box = slide.shapes.add_textbox(self.margin, top, self.content_width,
                                       Inches(0.5) if height is None else height)
        frame = box.text_frame
        frame.word_wrap = True
        frame.text = text
        for p in frame.paragraphs:
            for r in p.runs:
                r.font.size = Pt(size)
                r.font.italic = italic
                r.font.color.rgb = RGBColor(0x44, 0x44, 0x44) if italic else RGBColor(0, 0, 0)
        return box

    def titled_slide(self, title: str, size: int):
        """A new title-only slide with its title fitted to the 16:9 width."""
        slide = self.prs.slides.add_slide(self.title_only)
        slide.shapes.title.text = title
        self.fit_title(slide.shapes.title, size)
        return slide

    def footnote(self, slide, text: str) -> None:
        """Source, note or comment at the bottom of the slide."""
        from pptx.util import Inches

        self.add_text(slide, text, self.prs.slide_height - Inches(0.8), 11, italic=True)

    def cover(self, bilan: Bilan) -> None:
        """The title slide: the bilan's title and its cover lines."""
        from pptx.util import Inches, Pt

        slide = self.prs.slides.add_slide(self.prs.slide_layouts[0])
        slide.shapes.title.text = bilan.title
        # The default template's placeholders are placed for 4:3: set every coordinate, or the
        # title and the subtitle overlap on the 16:9 slide.
        title = slide.shapes.title
        title.left, title.top = self.margin, Inches(1.6)
        title.width, title.height = self.content_width, Inches(1.5)
        for p in title.text_frame.paragraphs:
            for r in p.runs:
                r.font.size = Pt(36)
        subtitle = slide.placeholders[1]
        subtitle.left, subtitle.top = self.margin, Inches(3.4)
        subtitle.width, subtitle.height = self.content_width, Inches(2.6)
        subtitle.text = "\n".join(bilan.cover_lines)
        for p in subtitle.text_frame.paragraphs:
            for r in p.runs:
                r.font.size = Pt(18)

    def bullets(self, block: Bullets) -> None:
        """A slide of large bullets (the key figures)."""
        from pptx.util import Inches, Pt

        slide = self.titled_slide(block.slide, 28)
        box = slide.shapes.add_textbox(self.margin, Inches(1.4), self.content_width,
                                       Inches(5.5))
        frame = box.text_frame
        frame.word_wrap = True
        for i, item in enumerate(block.items):
            p = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
            p.text = "• " + item
            p.space_after = Pt(8)
            for r in p.runs:
                r.font.size = Pt(20)

    def chart(self, block: Chart) -> None:
        """A slide with the chart's image as large as fits, or why it is missing."""
        from pptx.util import Emu, Inches

        slide = self.titled_slide(block.title, 26)
        top = Inches(1.3)
        box_h = self.prs.slide_height - top - Inches(0.9)
        if block.image:
            ratio = block.width / block.height
            height = box_h
            width = int(height * ratio)
            if width > self.content_width:
                width, height = self.content_width, int(self.content_width / ratio)
            left = int((self.prs.slide_width - width) / 2)
            slide.shapes.add_picture(io.BytesIO(block.image), left, top, Emu(width),
                                     Emu(height))
        else:
            self.add_text(slide, block.missing or NO_IMAGE, top, 16)
        foot = " — ".join(filter(None, [
            f"Source : {block.source}" if block.source and not block.image else "",
            *(f"Commentaire du comité : {c}" for c in block.comments[:1])]))
        if foot:
            self.footnote(slide, foot)

    def table(self, block: Table) -> None:
        """The table over as many slides as its rows need (« (suite) » after the first)."""
        from pptx.enum.text import PP_ALIGN
        from pptx.util import Emu, Inches, Pt

        rows = text_rows(block)
        kinds = column_kinds(block)
        weights = column_weights(block)
        total = sum(weights)
        size = 10 if len(block.frame.columns) > 4 else 14
        width = self.content_width
        chunks = _slide_chunks(rows, [width * w / total / 914400 for w in weights],
                               size, available_in=4.9)
        for n, chunk in enumerate(chunks):
            slide = self.titled_slide(block.title + (" (suite)" if n else ""), 20)
            shape = slide.shapes.add_table(len(chunk) + 1, len(block.frame.columns),
                                           self.margin, Inches(1.3), width,
                                           Inches(0.4) * (len(chunk) + 1))
            table = shape.table
            for j, w in enumerate(weights):
                table.columns[j].width = Emu(int(width * w / total))
            for j, col in enumerate(block.frame.columns):
                table.cell(0, j).text = str(col)
            for i, values in enumerate(chunk, start=1):
                for j, text in enumerate(values):
                    table.cell(i, j).text = text
            for i in range(len(chunk) + 1):
                for j in range(len(block.frame.columns)):
                    for p in table.cell(i, j).text_frame.paragraphs:
                        if i and is_numeric_kind(kinds[j]):
                            p.alignment = PP_ALIGN.RIGHT
                        for r in p.runs:
                            r.font.size = Pt(size)
            foot = " ".join(filter(None, [block.note, f"Source : {block.source}"
                                          if block.source else ""]))
            if foot:
                self.footnote(slide, foot)

    def save(self) -> bytes:
        """The .pptx file."""
        buffer = io.BytesIO()
        self.prs.save(buffer)
        return buffer.getvalue()


def render_pptx(bilan: Bilan) -> bytes:
    """The bilan as a 16:9 deck for the comité de pilotage: a title slide, then one slide per
    chart and per key table (long tables continue on the next slide)."""
    deck = _Deck()
    deck.cover(bilan)
    for block in bilan.blocks:
        if isinstance(block, Bullets) and block.slide:
            deck.bullets(block)
        elif isinstance(block, Chart):
            deck.chart(block)
        elif isinstance(block, Table) and block.slide and block.printed:
            deck.table(block)
    return deck.save()
