"""The document model of a bilan: the blocks (headings, paragraphs, bullets, tables, charts,
page orientation) that `content.bilan_content` assembles once and every renderer prints, and the
print helpers they share (cell text, column widths).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from ctg_data import exports, formatting
from ctg_data.kinds import print_text


# ---------------------------------------------------------------------------------------------
# The blocks shared by the four renderers

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
# Cell text and column widths (DOCX, PDF, PPTX print text; XLSX keeps numbers)

def column_kinds(table: Table) -> list[str]:
    """The value kind of each column: declared in `table.formats`, else guessed."""
    return [table.formats.get(c) or exports.guess_format(c, table.frame[c])
            for c in table.frame.columns]


def text_rows(table: Table) -> list[list[str]]:
    """The table's rows as printed text (`kinds.print_text` of each cell by its column's kind)."""
    kinds = column_kinds(table)
    return [[print_text(k, v) for v, k in zip(row, kinds, strict=True)]
            for row in table.frame.itertuples(index=False, name=None)]


def column_weights(table: Table) -> list[float]:
    """Relative column widths: given, or measured in characters — at least the longest word
    (a word is never cut), then a share of the longest text, capped for long texts."""
    if table.weights:
        return list(table.weights)
    rows = text_rows(table)
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


def longest_words(table: Table) -> list[tuple[str, str]]:
    """Per column: the longest word of the header and of the cells."""
    rows = text_rows(table)
    out = []
    for j, col in enumerate(table.frame.columns):
        header = max(str(col).split() or [""], key=len)
        cells = max((w for r in rows for w in r[j].split()), key=len, default="")
        out.append((header, cells))
    return out


# Printed in place of a chart whose image could not be rendered (no browser).
NO_IMAGE = "[Graphique non inclus : export d'image indisponible sur ce poste.]"


def is_numeric_kind(kind: str) -> bool:
    """Whether a column of this kind is right-aligned as numbers are."""
    return kind not in ("text",)


# ---------------------------------------------------------------------------------------------
# Text an Office document can hold

def without_control_characters(bilan: Bilan) -> Bilan:
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
