"""Exports of tables and charts: styled XLSX and French-Excel CSV tables, statistical secrecy,
formula neutralising, and chart images rendered by kaleido with Debian chromium.

Safety rule for spreadsheets: a user text is never written where a spreadsheet could run it as a
formula. In CSV, a text starting with `=`, `+`, `-`, `@`, tab or carriage return gets a leading
apostrophe (`neutralise`). In XLSX every text is written as an explicit string cell, and such a
text also carries Excel's own "quote prefix" flag (what Excel sets when a person types an
apostrophe first): the reader sees the text as typed, and editing the cell keeps it text.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import os
import re
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ctg_data import formatting, settings
from ctg_data.errors import CatalogueError
from ctg_data.kinds import KIND_ALIASES, VALUE_KINDS

# ---------------------------------------------------------------------------------------------
# Formula neutralising

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MISSING = formatting.MISSING  # what a spreadsheet shows for a missing value


def is_dangerous(text: object) -> bool:
    """Whether `text` is a string a spreadsheet could take for a formula."""
    return isinstance(text, str) and text.startswith(_FORMULA_STARTS)


def neutralise(text):
    """`text` made inert for a spreadsheet or CSV: a string starting with `=`, `+`, `-`, `@`,
    tab or carriage return gets a leading apostrophe. Anything that is not a string (numbers,
    including negative ones, None) is returned unchanged."""
    if is_dangerous(text):
        return "'" + text
    return text


# ---------------------------------------------------------------------------------------------
# Values

def _is_missing(value) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float | np.floating):
        return math.isnan(value)
    return False


def _python_value(value):
    """A plain Python value for a cell: numpy scalars unwrapped, bools as Oui/Non."""
    if isinstance(value, bool | np.bool_):
        return "Oui" if value else "Non"
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, pd.Timestamp):
        return value.strftime("%d/%m/%Y")
    return value


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


# ---------------------------------------------------------------------------------------------
# XLSX

# The Excel number format of each value kind (`kinds.VALUE_KINDS`, in Excel's neutral en-US
# notation). A `number` column (key figures) writes its whole cells with the `int` format.
NUMBER_FORMATS = {name: kind.excel_format for name, kind in VALUE_KINDS.items()}
_KIND_ALIASES = KIND_ALIASES


def _numeric(kind: str) -> bool:
    return VALUE_KINDS[kind].numeric


def _kind(name: str) -> str:
    kind = _KIND_ALIASES.get(name, name)
    if kind not in NUMBER_FORMATS:
        raise ValueError(f"Format de colonne inconnu : {name!r} "
                         f"(attendu : {', '.join(NUMBER_FORMATS)}).")
    return kind


def guess_format(column: str, values: pd.Series) -> str:
    """The number format kind of a column nobody declared: from its header (`(%)`, `taux`,
    `€`, `Année`) and its values (whole numbers or not); `text` for non-numeric columns."""
    header = str(column).lower()
    numbers = [v for v in values if _is_number(_python_value(v)) and not _is_missing(v)]
    if not numbers:
        return "text"
    if header.startswith(("année", "annee")):
        return "year"
    if "%" in header or header.startswith("taux"):
        return "percent"
    if "€" in header or "montant" in header:
        return "euro"
    if all(float(v).is_integer() for v in numbers):
        return "int"
    return "decimal"


@dataclass
class TableSheet:
    """One table to write as one worksheet (see `tables_to_xlsx`)."""

    frame: pd.DataFrame
    title: str | None = None
    source: str | None = None
    formats: dict | None = None
    sheet_name: str = "Tableau"
    note: str | None = None
    # Column widths forced by the caller (header -> characters); others are measured.
    widths: dict = field(default_factory=dict)


def _display_length(value, kind: str) -> int:
    """Roughly how many characters Excel shows for `value` in a column of `kind`."""
    if _is_number(value):
        digits = len(f"{abs(value):,.0f}") + (1 if value < 0 else 0)
        extra = {"decimal": 2, "percent": 4, "euro": 2}.get(kind, 0)
        return digits + extra
    text = str(value)
    return max((len(line) for line in text.splitlines()), default=0)


def _unique_sheet_name(name: str, taken: set[str]) -> str:
    """A valid, unique worksheet name: no []:*?/\\ characters, at most 31 characters."""
    clean = re.sub(r"[\[\]:*?/\\]", "-", str(name)).strip("' ") or "Tableau"
    clean = clean[:31]
    candidate, n = clean, 2
    while candidate.lower() in taken:
        suffix = f" ({n})"
        candidate = clean[:31 - len(suffix)] + suffix
        n += 1
    taken.add(candidate.lower())
    return candidate


def _write_text(cell, text: str) -> None:
    """Write a user text as an explicit string cell; a formula-looking text gets Excel's
    quote-prefix flag so that it stays text even when edited."""
    cell.value = text
    cell.data_type = "s"
    if is_dangerous(text):
        cell.quotePrefix = True


def _write_sheet(ws, table: TableSheet) -> None:
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    frame = table.frame
    formats = dict(table.formats or {})
    columns = list(frame.columns)
    kinds = {c: _kind(formats[c]) if c in formats else guess_format(c, frame[c]) for c in columns}

    row = 1
    if table.title:
        _write_text(ws.cell(row, 1), str(table.title))
        ws.cell(row, 1).font = Font(bold=True, size=13)
        row += 1
    if table.source:
        _write_text(ws.cell(row, 1), f"Source : {table.source}")
        ws.cell(row, 1).font = Font(italic=True, color="555555")
        row += 1
    if row > 1:
        row += 1  # one blank row between the heading lines and the table
    header_row = row

    header_font = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="DCE6F1")
    thin = Side(style="thin", color="808080")
    for j, col in enumerate(columns, start=1):
        cell = ws.cell(header_row, j)
        _write_text(cell, str(col))
        cell.font = header_font
        cell.fill = header_fill
        cell.border = Border(bottom=thin)
        cell.alignment = Alignment(wrap_text=True, vertical="center")

    # Headers wrap: a column needs its longest header word, not its whole header, on one line.
    widths = {c: max(max((len(w) for w in str(c).split()), default=0), min(len(str(c)), 18))
              for c in columns}
    long_text = set()
    for i, record in enumerate(frame.itertuples(index=False, name=None), start=header_row + 1):
        for j, (col, raw) in enumerate(zip(columns, record, strict=True), start=1):
            cell = ws.cell(i, j)
            kind = kinds[col]
            if _is_missing(raw):
                cell.value = MISSING
                cell.data_type = "s"
                cell.alignment = Alignment(horizontal="right" if _numeric(kind) else "center")
                continue
            value = _python_value(raw)
            if _is_number(value):
                whole = float(value).is_integer()
                if kind in ("int", "year", "euro", "number") and whole:
                    value = int(value)
                cell.value = value
                if kind == "number" and whole:
                    cell.number_format = NUMBER_FORMATS["int"]
                else:
                    cell.number_format = NUMBER_FORMATS[kind if _numeric(kind) else "decimal"]
            else:
                text = str(value)
                _write_text(cell, text)
                if _numeric(kind):
                    # A marker such as « s » (secret) in a numeric column: aligned with numbers.
                    cell.alignment = Alignment(horizontal="right")
                elif len(text) > 40 or "\n" in text:
                    cell.alignment = Alignment(wrap_text=True, vertical="top")
                    long_text.add(col)
            widths[col] = max(widths[col], _display_length(value, kind))

    for j, col in enumerate(columns, start=1):
        cap = 60 if col in long_text else 45
        width = table.widths.get(col) or min(max(widths[col], 6) + 2, cap)
        ws.column_dimensions[get_column_letter(j)].width = width

    if table.note:
        note_row = header_row + len(frame) + 2
        _write_text(ws.cell(note_row, 1), f"Note : {table.note}")
        ws.cell(note_row, 1).font = Font(italic=True, color="555555")

    ws.freeze_panes = ws.cell(header_row + 1, 1).coordinate
    ws.sheet_view.zoomScale = 100


def tables_to_xlsx(tables: Iterable[TableSheet]) -> bytes:
    """One .xlsx workbook with one worksheet per table, each styled like `table_to_xlsx`."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    taken: set[str] = set()
    for table in tables:
        ws = wb.create_sheet(_unique_sheet_name(table.sheet_name, taken))
        _write_sheet(ws, table)
    if not wb.worksheets:
        wb.create_sheet("Tableau")
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def table_to_xlsx(frame: pd.DataFrame, *, title: str | None = None, source: str | None = None,
                  formats: dict | None = None, sheet_name: str = "Tableau",
                  note: str | None = None) -> bytes:
    """`frame` as an .xlsx file: real numbers with number formats, the French headers as given,
    an em dash for missing values, a bold frozen header row, measured column widths, and the
    title and source above the header (and a note below the table) when given.

    `formats` maps a column to `int`, `decimal` (one decimal), `percent` (a 0-100 value shown
    « 12,3 % »), `euro`, `year`, `number` (whole numbers as `int`, others as `decimal`, cell by
    cell) or `text`; undeclared columns are guessed (`guess_format`)."""
    return tables_to_xlsx([TableSheet(frame, title=title, source=source, formats=formats,
                                      sheet_name=sheet_name, note=note)])


# ---------------------------------------------------------------------------------------------
# CSV

def _csv_number(value: float | int) -> str:
    """A number as French Excel reads it: decimal comma, no thousands separator, no exponent."""
    if isinstance(value, int):
        return str(value)
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    text = np.format_float_positional(round(value, 10), trim="-")
    return text.replace(".", ",")


def _csv_cell(value) -> str:
    if _is_missing(value):
        return ""
    value = _python_value(value)
    if _is_number(value):
        return _csv_number(value)
    return neutralise(str(value))


# Decimals of each value kind as the screen shows them (`kinds.VALUE_KINDS`): a CSV holds
# « 53,5 » where the screen shows 53,5, not « 53,5031847134 ».
CSV_DECIMALS = {name: kind.decimals for name, kind in VALUE_KINDS.items()
                if kind.decimals is not None}


def round_as_shown(frame: pd.DataFrame, formats: dict | None = None) -> pd.DataFrame:
    """A copy of `frame` whose numeric columns are rounded as the screen shows them: by their
    display kind in `formats` (`CSV_DECIMALS`), else whole numbers kept and other numbers to
    one decimal (the screen's rule, `kinds.display_frame`). Rounding is half away from zero,
    as `formatting.fr_number`."""
    from ctg_data.formatting import _round

    def number(v) -> bool:   # masked cells (« s ») and texts stay as they are
        return (isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(
            v, (bool, np.bool_)) and math.isfinite(float(v)))

    out = frame.copy()
    for col in out.columns:
        kind = (formats or {}).get(col)
        if kind is not None and kind not in CSV_DECIMALS:
            continue
        values = out[col].tolist()
        numbers = [float(v) for v in values if number(v)]
        if not numbers or (kind is None and all(v.is_integer() for v in numbers)):
            continue
        decimals = CSV_DECIMALS.get(kind, 1)
        out[col] = pd.Series([float(_round(v, decimals)) if number(v) else v for v in values],
                             index=out.index, dtype=object)
    return out


def table_to_csv(frame: pd.DataFrame, formats: dict | None = None) -> bytes:
    """`frame` as a CSV for French Excel: `;` separator, decimal comma, UTF-8 with BOM, CRLF
    line ends, missing values empty, every text neutralised (see `neutralise`). With
    `formats` (the display kinds of a table shown on screen, possibly empty), numbers are
    rounded as the screen shows them (`round_as_shown`); without, written in full."""
    if formats is not None:
        frame = round_as_shown(frame, formats)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([neutralise(str(c)) for c in frame.columns])
    for record in frame.itertuples(index=False, name=None):
        writer.writerow([_csv_cell(v) for v in record])
    return buffer.getvalue().encode("utf-8-sig")


# ---------------------------------------------------------------------------------------------
# Chart images

IMAGE_FORMATS = ("png", "svg", "pdf")
_MIME = {"png": "image/png", "svg": "image/svg+xml", "pdf": "application/pdf"}
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_RENDER_TIMEOUT_S = 90

_server_lock = threading.Lock()   # guards the one kaleido server of the process
_render_lock = threading.Lock()   # the kaleido server answers one request at a time
_server_started = False
_broken: ImageExportError | None = None   # the browser failed: later calls fail fast
_warmed = False
_CACHE_SIZE = 64                  # images kept in memory (a chart PNG is ~100-300 kB)
_image_cache: OrderedDict[str, bytes] = OrderedDict()
_cache_lock = threading.Lock()


class ImageExportError(CatalogueError, RuntimeError):
    """Chart images cannot be produced; `str(error)` (and `message`) is a French message for
    the user, `code` its entry in the error catalogue (`errors.CATALOGUE`)."""


def browser_path() -> str | None:
    """The chromium executable kaleido will use (setting `chromium_path`), or None when it is
    not an executable file."""
    path = str(settings.get("chromium_path") or "")
    return path if path and os.path.isfile(path) and os.access(path, os.X_OK) else None


def image_export_problem() -> ImageExportError | None:
    """Why chart images are unavailable, as the error to raise; None when they are available."""
    if _broken is not None:
        return ImageExportError(_broken.message, _broken.code)   # a fresh one, no traceback
    if browser_path() is None:
        return ImageExportError.of("chromium_introuvable", path=settings.get("chromium_path"))
    return None


def image_export_message() -> str:
    """Why chart images are unavailable, in French; empty when they are available."""
    problem = image_export_problem()
    return problem.message if problem is not None else ""


def image_export_available() -> bool:
    """Whether chart images (PNG, SVG, PDF) can be produced in this process."""
    return not image_export_message()


def _ensure_server() -> None:
    """Start kaleido's browser once per process (the first image takes ~2 s, the next ones
    ~0.2 s) instead of once per image."""
    global _server_started
    with _server_lock:
        if _server_started:
            return
        path = browser_path()
        if path is None:
            raise image_export_problem()
        # choreographer reads BROWSER_PATH when no explicit path is given: set both so that any
        # kaleido call in the process finds Debian's chromium, never a downloaded one.
        os.environ["BROWSER_PATH"] = path
        import kaleido
        # mathjax=False: the default would fetch MathJax from a CDN, and we run offline.
        kaleido.start_sync_server(path=path, mathjax=False, silence_warnings=True)
        _server_started = True


def warm_up() -> None:
    """Start the browser and load plotly.js in the background now (~3 s) when images will be
    needed soon, e.g. at the start of a bilan; does nothing when no browser is available or
    when it already ran."""
    global _warmed
    if _warmed or not image_export_available():
        return
    _warmed = True

    def prime():
        import plotly.graph_objects as go
        try:
            figure_to_image(go.Figure(), "png", scale=1, width=50, height=50)
        except ImageExportError:
            pass  # reported again, in French, by the call that needs an image

    threading.Thread(target=prime, daemon=True, name="ctg-kaleido-warm-up").start()


def _server_alive() -> bool:
    import kaleido
    thread = getattr(kaleido._global_server, "_thread", None)  # noqa: SLF001
    return thread is None or thread.is_alive()


def _render(fig_dict: dict, opts: dict) -> bytes:
    """Render through the shared kaleido server, with a time limit so that a dead browser
    cannot hang the application."""
    global _broken
    import kaleido

    _ensure_server()
    with _render_lock:
        if _broken is not None:
            raise image_export_problem()
        if not _server_alive():
            _broken = ImageExportError.of("chromium_ne_demarre_pas", path=browser_path())
            raise image_export_problem()
        result: dict = {}

        def call():
            try:
                result["image"] = kaleido.calc_fig_sync(fig_dict, opts=opts)
            except BaseException as error:  # noqa: BLE001 - reported to the caller below
                result["error"] = error

        worker = threading.Thread(target=call, daemon=True, name="ctg-kaleido-call")
        worker.start()
        worker.join(_RENDER_TIMEOUT_S)
        if worker.is_alive():
            _broken = ImageExportError.of("chromium_ne_repond_pas", seconds=_RENDER_TIMEOUT_S)
            raise image_export_problem()
        if "error" in result:
            raise ImageExportError.of("image_impossible", detail=result["error"]) \
                from result["error"]
        return result["image"]


def _has_text(fig, text: str) -> bool:
    wanted = str(text).strip()
    return any(wanted and wanted in str(a.text or "") for a in fig.layout.annotations or ())


def figure_for_export(fig, *, title: str | None = None, source: str | None = None,
                      data_date: str | None = None):
    """A copy of plotly figure `fig` ready for an image: the title written on it (the figure's
    own, or `title`), and a footer with the source and data date unless the figure's source
    annotation already says them."""
    import plotly.graph_objects as go

    out = go.Figure(fig)
    current = out.layout.title.text if out.layout.title else None
    if title and not current:
        out.update_layout(title={"text": title, "x": 0.01, "xanchor": "left"})
    footer = []
    if source and not _has_text(out, source):
        footer.append(f"Source : {source}")
    if data_date and not _has_text(out, str(data_date)):
        footer.append(f"Données : {data_date}")
    if footer:
        bottom = max(out.layout.margin.b or 0, 90)
        out.update_layout(margin={"b": bottom})
        out.add_annotation(text=" — ".join(footer), xref="paper", yref="paper", x=0, y=0,
                           xanchor="left", yanchor="top", yshift=-bottom + 24, showarrow=False,
                           align="left", font={"size": 11, "color": "#555555"})
    if not out.layout.title.text:
        return out
    top = max(out.layout.margin.t or 0, 70)
    out.update_layout(margin={"t": top})
    return out


def figure_to_image(fig, fmt: str = "png", *, scale: float = 2, width: int | None = None,
                    height: int | None = None, title: str | None = None,
                    source: str | None = None, data_date: str | None = None) -> bytes:
    """The image of plotly figure `fig` as PNG, SVG or PDF bytes (print resolution: `scale` 2
    doubles the pixels), with its title, source and data date written on it.

    Raises `ImageExportError` (French message) when chromium is missing or fails."""
    fmt = fmt.lower()
    if fmt not in IMAGE_FORMATS:
        raise ValueError(f"Format d'image non pris en charge : {fmt} (png, svg ou pdf).")
    problem = image_export_problem()
    if problem is not None:
        raise problem
    ready = figure_for_export(fig, title=title, source=source, data_date=data_date)
    layout = ready.layout
    opts = {"format": fmt, "scale": scale,
            "width": width or layout.width or 1000,
            "height": height or layout.height or 560}
    # The same chart exported twice (a download, then the bilan in two formats) is rendered
    # once: images are cached by the figure's content and the options.
    key = hashlib.sha256((ready.to_json() + json.dumps(opts, sort_keys=True)).encode())\
        .hexdigest()
    with _cache_lock:
        if key in _image_cache:
            _image_cache.move_to_end(key)
            return _image_cache[key]
    image = _render(ready.to_dict(), opts)
    with _cache_lock:
        _image_cache[key] = image
        while len(_image_cache) > _CACHE_SIZE:
            _image_cache.popitem(last=False)
    return image


def image_mime(fmt: str) -> str:
    """The MIME type of an image format (for a download button)."""
    return _MIME[fmt.lower()]


def _slug(title: str) -> str:
    folded = unicodedata.normalize("NFKD", str(title))
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch)).lower()
    return re.sub(r"[^a-z0-9]+", "-", folded).strip("-")[:80] or "export"


def export_file_name(title: str, ext: str) -> str:
    """A safe, readable file name from a French title: « Taux de couverture 2023 » ->
    `taux-de-couverture-2023.png`."""
    return f"{_slug(title)}.{ext.lstrip('.')}"

