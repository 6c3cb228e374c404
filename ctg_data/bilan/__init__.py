"""The yearly bilan report of a CTG, in one click, in each format of `renderers.RENDERERS`.

The content is assembled once (`content.bilan_content`, one function per chapter reading the
inputs computed once in `inputs.py`) as a list of blocks (`document.py`: headings, paragraphs,
tables, charts); each format then has its own renderer module (`docx.py`, `pdf.py`, `pptx.py`,
`xlsx.py`), declared once in `renderers.RENDERERS`. Adding a format: a renderer module and one
`Renderer` line. `build.build_bilan` makes the file: the content, then its format.
"""

from __future__ import annotations

from ctg_data.bilan.build import build_bilan
from ctg_data.bilan.content import (CHAPTERS, CHART_KEYS, EVALUATION_WEIGHTS, METHODOLOGY_CODES,
                                    band_count_text, bilan_content)
from ctg_data.bilan.document import (CHART_WIDTH_MM, NO_IMAGE, PRINT_MIN_PT, PRINT_WIDTH_PX,
                                     Bilan, Bullets, Chart, Heading, Orientation, Paragraph,
                                     Table, fit_widths, without_control_characters)
from ctg_data.bilan.docx import render_docx
from ctg_data.bilan.inputs import BilanInputs, Progress
from ctg_data.bilan.pdf import FONT_DIR, render_pdf
from ctg_data.bilan.pptx import render_pptx
from ctg_data.bilan.renderers import FORMATS, MIME_TYPES, RENDERERS, Renderer, renderer
from ctg_data.bilan.xlsx import render_xlsx


__all__ = [
    "CHAPTERS", "CHART_KEYS", "CHART_WIDTH_MM", "EVALUATION_WEIGHTS", "FONT_DIR", "FORMATS",
    "METHODOLOGY_CODES", "MIME_TYPES", "NO_IMAGE", "PRINT_MIN_PT", "PRINT_WIDTH_PX", "RENDERERS",
    "Bilan", "BilanInputs", "Bullets", "Chart", "Heading", "Orientation", "Paragraph",
    "Progress", "Renderer", "Table", "band_count_text", "bilan_content", "build_bilan",
    "fit_widths", "render_docx", "render_pdf", "render_pptx", "render_xlsx",
    "renderer", "without_control_characters",
]
