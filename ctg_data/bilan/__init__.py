"""The yearly bilan report of a CTG, in one click: DOCX, PDF, PPTX or XLSX.

The content is assembled once (`content.bilan_content`, one function per chapter reading the
inputs computed once in `inputs.py`) as a list of blocks (`document.py`: headings, paragraphs,
tables, charts); each format then has its own renderer module (`docx.py`, `pdf.py`, `pptx.py`,
`xlsx.py`), declared once in `renderers.RENDERERS`. Adding a format: a renderer module and one
`Renderer` line.
"""

from __future__ import annotations

from ctg_data.bilan.content import (CHAPTERS, CHART_KEYS, EVALUATION_WEIGHTS, METHODOLOGY_CODES,
                                    band_count_text, bilan_content)
from ctg_data.bilan.document import (CHART_WIDTH_MM, NO_IMAGE, PRINT_MIN_PT, PRINT_WIDTH_PX,
                                     Bilan, Bullets, Chart, Heading, Orientation, Paragraph,
                                     Table, fit_widths, without_control_characters)
from ctg_data.bilan.docx import render_docx
from ctg_data.bilan.inputs import BilanInputs, Progress, reporter
from ctg_data.bilan.pdf import FONT_DIR, render_pdf
from ctg_data.bilan.pptx import render_pptx
from ctg_data.bilan.renderers import FORMATS, MIME_TYPES, RENDERERS, Renderer, renderer
from ctg_data.bilan.xlsx import render_xlsx
from ctg_data.model import CtgData


def build_bilan(data: CtgData, annee: int, fmt: str, *, store=None, cible=None,
                progress: Progress | None = None) -> bytes:
    """The bilan of `annee` for the territory of `data` as a `fmt` file (docx, pdf, pptx or
    xlsx). `store` brings the comité's comments, the stored references and the version date;
    `cible` is the target coverage rate (default: setting `cible_taux_couverture`);
    `progress(fraction, message)` is called as the work advances (for a progress bar)."""
    chosen = renderer(fmt)
    report = reporter(progress)
    content = bilan_content(data, annee, store=store, cible=cible,
                            progress=lambda f, m: report(f * 0.9, m),
                            images=chosen.images)
    report(0.9, f"Mise en forme du document {chosen.name.upper()}")
    result = chosen.render(content)
    report(1.0, "Bilan prêt")
    return result


__all__ = [
    "CHAPTERS", "CHART_KEYS", "CHART_WIDTH_MM", "EVALUATION_WEIGHTS", "FONT_DIR", "FORMATS",
    "METHODOLOGY_CODES", "MIME_TYPES", "NO_IMAGE", "PRINT_MIN_PT", "PRINT_WIDTH_PX", "RENDERERS",
    "Bilan", "BilanInputs", "Bullets", "Chart", "Heading", "Orientation", "Paragraph",
    "Progress", "Renderer", "Table", "band_count_text", "bilan_content", "build_bilan",
    "fit_widths", "render_docx", "render_pdf", "render_pptx", "render_xlsx",
    "renderer", "without_control_characters",
]
