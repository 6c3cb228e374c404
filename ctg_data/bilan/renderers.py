"""The bilan's output formats, declared once: the page, the CLI and `build_bilan` read this list
(name, label shown to people, MIME type, file extension, render function)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ctg_data import exports
from ctg_data.bilan.document import Bilan
from ctg_data.bilan.docx import render_docx
from ctg_data.bilan.pdf import render_pdf
from ctg_data.bilan.pptx import render_pptx
from ctg_data.bilan.xlsx import render_xlsx


@dataclass(frozen=True)
class Renderer:
    """One output format of the bilan; `render(bilan) -> bytes` writes the file. `images`:
    the format prints the charts (their PNG is then rendered, which costs seconds each)."""

    name: str
    label: str
    mime: str
    extension: str
    render: Callable[[Bilan], bytes]
    images: bool = True


# In the order the page offers them.
RENDERERS: tuple[Renderer, ...] = (
    Renderer("docx", "Word (DOCX)",
             "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
             "docx", render_docx),
    Renderer("pdf", "PDF", "application/pdf", "pdf", render_pdf),
    Renderer("pptx", "Diaporama (PPTX)",
             "application/vnd.openxmlformats-officedocument.presentationml.presentation",
             "pptx", render_pptx),
    Renderer("xlsx", "Excel (XLSX)", exports.XLSX_MIME, "xlsx", render_xlsx, images=False),
)
FORMATS: tuple[str, ...] = tuple(r.name for r in RENDERERS)
MIME_TYPES: dict[str, str] = {r.name: r.mime for r in RENDERERS}


def renderer(name: str) -> Renderer:
    """The renderer of format `name` (a name of `RENDERERS`, any case); ValueError in French
    for an unknown format."""
    wanted = str(name).lower()
    for r in RENDERERS:
        if r.name == wanted:
            return r
    raise ValueError(f"Format de bilan inconnu : {wanted} "
                     f"({', '.join(FORMATS[:-1])} ou {FORMATS[-1]}).")
