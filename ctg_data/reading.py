"""Bytes of an uploaded file -> raw sheets (rows of cells), behind safety limits; cell parsing.

Workbooks (.xlsx, .xlsm, .xls, .ods) are read by python-calamine in a short-lived worker
process: a 5 KB .xlsx can declare a sheet of 17 billion cells, and calamine aborts the whole
process when it cannot allocate it — so it must never run inside the app. Before that, the
size, the real format (magic bytes) and the zip directory (uncompressed size, compression ratio)
are checked, and the worker has a memory ceiling and a deadline. CSV files are read here with
the standard library. Every refusal raises `UnreadableFile` with one French sentence.

The cell parsers at the end (`parse_number`, `parse_date`, …) hold the format's reading rules
for French numbers, missing markers, dates and codes; `validation.parse_value` applies them
column by column.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import pickle
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path, PurePath

from ctg_data import settings
from ctg_data.errors import UnreadableFile, format_number
from ctg_data.schemas import MISSING_MARKERS, find_sheet

# csv, zipfile, struct and subprocess are imported where used: the worker process imports this
# module for `_worker_main` and needs none of them, so it starts faster.

# A zip member that inflates more than this many times is a bomb, not a spreadsheet: real
# .xlsx/.ods XML compresses 5 to 20 times, a stream of zeros about 1000 times.
MAX_COMPRESSION_RATIO = 100
# Below this uncompressed size a high ratio is harmless (tiny repetitive XML parts).
RATIO_CHECK_FROM_BYTES = 1 << 20
# A workbook has a few dozen zip members; a huge count only serves to exhaust memory.
MAX_ZIP_MEMBERS = 10_000
# Address-space ceiling of the reading worker, in MB (at least this, or 10 x the allowed
# uncompressed size): a sheet that declares a huge area fails there, not in the app.
WORKER_MEMORY_FLOOR_MB = 2048

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP = (b"PK\x03\x04", b"PK\x05\x06")
# Excel's "Texte Unicode" export: UTF-16 with a byte-order mark.
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
# Formats people upload by mistake whose first bytes could pass for text.
_BINARY_SIGNATURES = (b"%PDF", b"\x89PNG", b"GIF8", b"\xff\xd8\xff")


@dataclass
class RawSheet:
    """One sheet as read: `rows[i]` is Excel row i + 1, `rows[i][j]` column j + 1 (A = 0).
    Cells hold what the file holds: str, float, int, bool, date, datetime, or '' / None."""

    name: str
    rows: list[list]
    # Merged areas as ((first_row, first_col), (last_row, last_col)), 0-based, inclusive.
    merged: list = field(default_factory=list)


@dataclass
class RawWorkbook:
    """What a file holds: its kind (xlsx, xls, ods, csv), every tab name in order, and the
    sheets read (for a workbook, only the tabs the CTG format knows)."""

    kind: str
    tab_names: list[str]
    sheets: list[RawSheet]


@dataclass(frozen=True)
class Limits:
    """The safety limits in force (from settings), passed to the worker process."""

    max_file_mb: float
    max_uncompressed_mb: float
    max_rows: int
    max_columns: int
    read_timeout_s: float

    @classmethod
    def current(cls) -> "Limits":
        """The limits of the current settings."""
        return cls(*(settings.get(name) for name in (
            "max_file_mb", "max_uncompressed_mb", "max_rows", "max_columns", "read_timeout_s")))


def _mb(size: float) -> str:
    return format_number(size / (1 << 20), 1 if size < 10 * (1 << 20) else 0)


# --- File kind and safety checks ---------------------------------------------------------------

def detect_kind(content: bytes, file_name: str, limits: Limits | None = None) -> str:
    """The real format of `content` — "xlsx", "ods", "xls" or "csv" — from its bytes, not its
    name, after the size and zip-directory checks. Raises UnreadableFile when refused."""
    limits = limits or Limits.current()
    name = PurePath(file_name or "fichier").name
    if len(content) > limits.max_file_mb * (1 << 20):
        raise UnreadableFile.of("fichier_trop_gros", file=name, size=_mb(len(content)),
                                limit=format_number(limits.max_file_mb))
    if not content.strip():
        raise UnreadableFile.of("fichier_vide", file=name)
    if content.startswith(_ZIP):
        return _check_zip(content, name, limits)
    if content.startswith(_OLE2):
        return "xls"
    if content.startswith(_UTF16_BOMS):
        return "csv"
    if content.startswith(_BINARY_SIGNATURES) or _looks_binary(content[:65536]):
        raise UnreadableFile.of("format_inconnu", file=name)
    return "csv"


def _looks_binary(head: bytes) -> bool:
    """True when the first bytes hold control characters no text file has."""
    controls = sum(1 for b in head if b < 9 or 13 < b < 32 and b != 27)
    return b"\x00" in head or controls > len(head) // 100


def _check_zip(content: bytes, name: str, limits: Limits) -> str:
    """Check the zip directory of an .xlsx/.ods before anything inflates it; return its kind."""
    import struct
    import zipfile
    # Count the members from the end-of-directory record before zipfile builds one object
    # per member (a 20 MB directory could describe 400 000 of them).
    end = content.rfind(b"PK\x05\x06", max(0, len(content) - 65_557))
    if end < 0:
        raise UnreadableFile.of("fichier_corrompu", file=name, detail="archive zip incomplète")
    members = struct.unpack("<H", content[end + 10:end + 12])[0] if end + 12 <= len(content) \
        else 0
    if members > MAX_ZIP_MEMBERS:
        raise UnreadableFile.of("trop_d_elements", file=name, count=format_number(members))
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError) as exc:
        raise UnreadableFile.of("fichier_corrompu", file=name, detail="archive zip illisible") \
            from exc
    if len(infos) > MAX_ZIP_MEMBERS:
        raise UnreadableFile.of("trop_d_elements", file=name, count=format_number(len(infos)))
    total = sum(info.file_size for info in infos)
    if total > limits.max_uncompressed_mb * (1 << 20):
        raise UnreadableFile.of("decompression_trop_grande", file=name, size=_mb(total),
                                limit=format_number(limits.max_uncompressed_mb))
    for info in infos:
        if info.file_size > RATIO_CHECK_FROM_BYTES and \
                info.file_size > MAX_COMPRESSION_RATIO * max(info.compress_size, 1):
            ratio = format_number(info.file_size / max(info.compress_size, 1), 0)
            raise UnreadableFile.of("compression_suspecte", file=name, ratio=ratio)
    names = {info.filename for info in infos}
    if names & {"xl/workbook.xml", "xl/workbook.bin"}:
        return "xlsx"
    if "content.xml" in names:
        return "ods"
    raise UnreadableFile.of("format_inconnu", file=name)


# --- Reading -----------------------------------------------------------------------------------

def read_workbook(content: bytes, file_name: str, limits: Limits | None = None, *,
                  on_sheet=None) -> RawWorkbook:
    """Read `content` into raw sheets after every safety check. A workbook yields its known
    tabs (see `schemas.find_sheet`); a CSV yields one sheet named after the file.

    `on_sheet(raw_sheet)`, when given, is called with each sheet of a workbook as soon as the
    worker has read it, while it reads the next ones (the caller's work on a sheet overlaps
    the reading of the others, on another core); the sheets are those of the result, even
    when the file is refused later (then UnreadableFile is raised as usual)."""
    limits = limits or Limits.current()
    kind = detect_kind(content, file_name, limits)
    name = PurePath(file_name or "fichier").name
    if kind == "csv":
        sheet = read_csv(content, name, limits)
        return RawWorkbook(kind, [sheet.name], [sheet])
    tabs, sheets = _read_in_worker(content, name, limits, on_sheet)
    return RawWorkbook(kind, tabs, sheets)


# The worker runs this module in a fresh interpreter (never a fork of the threaded app).
_WORKER_CODE = ("import sys; sys.path.insert(0, sys.argv[1]); "
                "from ctg_data.reading import _worker_main; _worker_main()")
# Each message of the worker is a pickle preceded by its length (8 bytes, little-endian).
_LENGTH_BYTES = 8


def _read_in_worker(content: bytes, name: str, limits: Limits, on_sheet=None):
    """Run `_parse_workbook` in a worker process with a deadline and a memory ceiling; its
    sheets come one message each as they are read (see `read_workbook` for `on_sheet`)."""
    import queue
    import subprocess
    import threading
    import time

    deadline = time.monotonic() + limits.read_timeout_s
    root = str(Path(__file__).resolve().parent.parent)
    worker = subprocess.Popen([sys.executable, "-c", _WORKER_CODE, root],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL)
    messages: queue.Queue = queue.Queue()
    # Two threads move the bytes (they release the GIL while blocked): the worker never waits
    # for this process to take its output, and the deadline holds even while it is fed.
    feeder = threading.Thread(target=_feed, args=(worker.stdin, pickle.dumps(
        (content, name, limits))), daemon=True)
    drainer = threading.Thread(target=_drain, args=(worker.stdout, messages), daemon=True)
    feeder.start()
    drainer.start()
    sheets: list[RawSheet] = []
    try:
        while True:
            try:
                message = messages.get(timeout=max(deadline - time.monotonic(), 0))
            except queue.Empty:
                raise UnreadableFile.of("lecture_trop_longue", file=name,
                                        limit=format_number(limits.read_timeout_s)) from None
            try:
                status, *payload = pickle.loads(message) if message is not None else (None,)
            except Exception:
                status, payload = None, []
            if status == "sheet":
                sheets.append(payload[0])
                if on_sheet is not None:
                    on_sheet(payload[0])
            elif status == "ok":
                return payload[0], sheets
            elif status == "refused":
                code, message = payload
                raise UnreadableFile(message, code)
            else:
                # The worker died without answering: calamine aborts when a sheet's area
                # cannot be allocated under the memory ceiling.
                raise UnreadableFile.of("lecture_impossible", file=name) from None
    finally:
        if worker.poll() is None:
            worker.kill()
        worker.wait()
        drainer.join(timeout=5)
        feeder.join(timeout=5)
        for stream in (worker.stdin, worker.stdout):
            try:
                stream.close()
            except OSError:
                pass


def _feed(stream, data: bytes) -> None:
    """Write `data` to the worker's stdin and close it (quietly when the worker is gone)."""
    try:
        stream.write(data)
        stream.close()
    except (OSError, ValueError):
        pass


def _drain(stream, messages) -> None:
    """Put each length-prefixed message of the worker's stdout on `messages`, then None."""
    try:
        while True:
            head = stream.read(_LENGTH_BYTES)
            if len(head) < _LENGTH_BYTES:
                break
            size = int.from_bytes(head, "little")
            body = stream.read(size)
            if len(body) < size:
                break
            messages.put(body)
    except (OSError, ValueError):
        pass
    messages.put(None)


def _worker_main() -> None:
    """Worker process body: read (content, name, limits) on stdin, cap the memory, parse,
    write ("sheet", raw sheet) as each sheet is read, then ("ok", tabs), or
    ("refused", code, message), each as a length-prefixed pickle on stdout."""
    import resource

    content, name, limits = pickle.loads(sys.stdin.buffer.read())
    ceiling = max(WORKER_MEMORY_FLOOR_MB, 10 * limits.max_uncompressed_mb) * (1 << 20)
    hard = resource.getrlimit(resource.RLIMIT_AS)[1]
    if hard != resource.RLIM_INFINITY:
        ceiling = min(ceiling, hard)
    resource.setrlimit(resource.RLIMIT_AS, (int(ceiling), hard))
    out = sys.stdout.buffer

    def send(message) -> None:
        data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        out.write(len(data).to_bytes(_LENGTH_BYTES, "little"))
        out.write(data)
        out.flush()

    try:
        outcome = ("ok", _parse_workbook(content, name, limits,
                                         lambda sheet: send(("sheet", sheet)))[0])
    except UnreadableFile as exc:
        outcome = ("refused", exc.code, exc.message)
    except MemoryError:
        exc = UnreadableFile.of("lecture_impossible", file=name)
        outcome = ("refused", exc.code, exc.message)
    except Exception:  # calamine's errors on damaged files: a sentence, never a traceback
        exc = UnreadableFile.of("fichier_corrompu", file=name, detail="contenu illisible")
        outcome = ("refused", exc.code, exc.message)
    send(outcome)


def _parse_workbook(content: bytes, name: str, limits: Limits, on_sheet=None):
    """Parse a workbook with calamine: every tab name, and the rows of the tabs the CTG
    format knows (others are never converted). Dimensions are checked before conversion.
    `on_sheet` is called with each sheet once read (the worker sends it at once)."""
    from python_calamine import CalamineWorkbook, PasswordError, SheetTypeEnum

    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(content))
    except PasswordError:
        raise UnreadableFile.of("mot_de_passe", file=name) from None
    tabs, sheets = [], []
    for meta in book.sheets_metadata:
        if meta.typ not in (SheetTypeEnum.WorkSheet,):
            continue
        tabs.append(meta.name)
        if find_sheet(meta.name) is None:
            continue
        sheet = book.get_sheet_by_name(meta.name)
        end = sheet.end
        height, width = (end[0] + 1, end[1] + 1) if end else (0, 0)
        if height > limits.max_rows:
            raise UnreadableFile.of("trop_de_lignes", sheet=meta.name,
                                    count=format_number(height),
                                    limit=format_number(limits.max_rows))
        if width > limits.max_columns:
            raise UnreadableFile.of("trop_de_colonnes", sheet=meta.name,
                                    count=format_number(width),
                                    limit=format_number(limits.max_columns))
        rows = sheet.to_python(skip_empty_area=False) if end else []
        sheets.append(RawSheet(meta.name, rows, list(sheet.merged_cell_ranges or [])))
        if on_sheet is not None:
            on_sheet(sheets[-1])
    book.close()
    if not tabs:
        raise UnreadableFile.of("aucune_feuille", file=name)
    return tabs, sheets


def decode_text(content: bytes) -> str:
    """CSV bytes as text: UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1252."""
    if content.startswith(_UTF16_BOMS):
        return content.decode("utf-16", errors="replace")
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return content.decode("cp1252", errors="replace")


def sniff_delimiter(text: str) -> str:
    """`;`, tab or `,`: the one that splits the most of the first lines into the same number
    (≥ 2) of fields; on a tie `;` wins (French CSVs use `,` as the decimal mark)."""
    import csv
    lines = [line for line in text.splitlines()[:50] if line.strip()]
    best, best_hits = ";", 0
    for delimiter in (";", "\t", ","):
        try:
            counts = [len(row) for row in csv.reader(lines, delimiter=delimiter)]
        except csv.Error:  # a field over the csv module's limit: read_csv says so in French
            continue
        usual = max(set(counts), key=counts.count) if counts else 0
        hits = counts.count(usual) if usual >= 2 else 0
        if hits > best_hits:
            best, best_hits = delimiter, hits
    return best


def read_csv(content: bytes, name: str, limits: Limits | None = None) -> RawSheet:
    """One CSV file as a raw sheet (cells are str; row i is the i-th record + 1)."""
    import csv
    limits = limits or Limits.current()
    text = decode_text(content)
    delimiter = sniff_delimiter(text)
    rows = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for row in reader:
            if len(rows) >= limits.max_rows:
                raise UnreadableFile.of("trop_de_lignes", sheet=name,
                                        count=f"plus de {format_number(limits.max_rows)}",
                                        limit=format_number(limits.max_rows))
            if len(row) > limits.max_columns:
                raise UnreadableFile.of("trop_de_colonnes", sheet=name,
                                        count=format_number(len(row)),
                                        limit=format_number(limits.max_columns))
            rows.append(row)
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            raise UnreadableFile.of("ligne_csv_trop_longue", file=name,
                                    limit=format_number(csv.field_size_limit()),
                                    line=format_number(reader.line_num)) from None
        raise UnreadableFile.of("fichier_corrompu", file=name, detail="texte CSV illisible") \
            from exc
    return RawSheet(PurePath(name).stem, rows)


# --- Cell parsing ------------------------------------------------------------------------------

_SPACES = dict.fromkeys(map(ord, " \u00a0\u202f\u2009\u2007\u200b\t"), None)
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_GROUPED_COMMA = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")
_GROUPED_DOT = re.compile(r"^[+-]?\d{1,3}(\.\d{3})+(,\d+)?$")
_DMY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?$")
_YMD = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_YEAR = re.compile(r"^((?:19|20|21)\d{2})(?:[.,]0+)?$")
_MISSING = frozenset(MISSING_MARKERS)
FIRST_YEAR, LAST_YEAR = 1900, 2199


def is_blank(raw: object) -> bool:
    """An empty cell: None, NaN, '' or only spaces."""
    if raw is None:
        return True
    if isinstance(raw, float):
        return math.isnan(raw)
    return isinstance(raw, str) and not raw.translate(_SPACES).strip()


def is_not_available(raw: object) -> bool:
    """A cell meaning "not available": empty, a dash, NC, nd, s, ns, so, n/a… — never zero."""
    return is_blank(raw) or (isinstance(raw, str) and raw.strip().lower() in _MISSING)


def parse_number(raw: object, *, percent: bool = False) -> float:
    """A number from a cell: numeric cells as they are; text in French or English form
    (`1 234,5`, no-break or narrow no-break spaces, `1234.5`, `1.234,5`), `12 %` when
    `percent`. Raises ValueError for anything else (booleans and dates included)."""
    if isinstance(raw, bool):
        raise ValueError(raw)
    if isinstance(raw, (int, float)):
        if not math.isfinite(raw):
            raise ValueError(raw)
        return float(raw)
    if not isinstance(raw, str):
        raise ValueError(raw)
    text = raw.translate(_SPACES).replace("\u2212", "-")
    if percent and text.endswith("%"):
        text = text[:-1]
    if text.endswith("€"):
        text = text[:-1]
    if _GROUPED_DOT.match(text) and (text.count(".") > 1 or "," in text):
        text = text.replace(".", "").replace(",", ".")
    elif _GROUPED_COMMA.match(text) and (text.count(",") > 1 or "." in text):
        text = text.replace(",", "")
    elif text.count(",") == 1 and "." not in text:
        text = text.replace(",", ".")
    if not _NUMBER.match(text):
        raise ValueError(raw)
    return float(text)


def has_percent_sign(raw: object) -> bool:
    """True for a text cell written with a % sign (its number is already in percent)."""
    return isinstance(raw, str) and raw.strip().endswith("%")


def parse_year(raw: object) -> int:
    """A year (1900-2199) from a number or a text like `2022`. Raises ValueError."""
    if isinstance(raw, str):
        match = _YEAR.match(raw.translate(_SPACES))
        if not match:
            raise ValueError(raw)
        return int(match.group(1))
    value = parse_number(raw)
    if not value.is_integer() or not FIRST_YEAR <= value <= LAST_YEAR:
        raise ValueError(raw)
    return int(value)


def parse_date(raw: object) -> str:
    """A date as "YYYY-MM-DD" from a date cell, `dd/mm/yyyy` or `yyyy-mm-dd`. Raises ValueError."""
    if isinstance(raw, dt.datetime):
        return raw.date().isoformat()
    if isinstance(raw, dt.date):
        return raw.isoformat()
    if not isinstance(raw, str):
        raise ValueError(raw)
    text = raw.strip()
    if match := _DMY.match(text):
        day, month, year = (int(g) for g in match.groups())
    elif match := _YMD.match(text):
        year, month, day = (int(g) for g in match.groups())
    else:
        raise ValueError(raw)
    return dt.date(year, month, day).isoformat()


def parse_date_or_year(raw: object) -> str:
    """"YYYY" for a bare year, else "YYYY-MM-DD" (see `parse_date`). Raises ValueError."""
    try:
        return str(parse_year(raw))
    except ValueError:
        return parse_date(raw)


def parse_code(raw: object) -> str:
    """A code as text: `59367.0` (a number cell) -> "59367"; text is kept as written."""
    if isinstance(raw, bool):
        raise ValueError(raw)
    if isinstance(raw, float):
        if not raw.is_integer():
            raise ValueError(raw)
        return str(int(raw))
    if isinstance(raw, int):
        return str(raw)
    if isinstance(raw, str):
        return raw.strip()
    raise ValueError(raw)


def cell_text(raw: object) -> str | None:
    """Any cell as text (None when empty): numbers without a useless `.0`, dates in ISO form."""
    if is_blank(raw):
        return None
    if isinstance(raw, bool):
        return "Oui" if raw else "Non"
    if isinstance(raw, float):
        return str(int(raw)) if raw.is_integer() else repr(raw)
    if isinstance(raw, dt.datetime):
        return raw.date().isoformat() if raw.time() == dt.time() else raw.isoformat(" ")
    if isinstance(raw, (dt.date, dt.time)):
        return raw.isoformat()
    return str(raw).strip()
