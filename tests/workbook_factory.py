"""Small CTG workbooks built in code for the reading and validation tests: the same rows as
.xlsx (openpyxl), .ods (pandas + odfpy) or .csv, so one test covers the three formats."""

from __future__ import annotations

import copy
import csv
import datetime as dt
import io
from pathlib import Path

import openpyxl
import pandas as pd

from ctg_data.workbook import load_workbook

FORMATS = ("xlsx", "ods", "csv")
CODE = "59367"

TERRITOIRE = [
    ["Champ", "Valeur"],
    ["Code INSEE", CODE],
    ["Nom", "Lys-lez-Lannoy"],
    ["Type", "Commune"],
    ["Département", "59"],
    ["Début CTG", 2021],
    ["Fin CTG", 2023],
]


def valid_sheets() -> dict[str, list[list]]:
    """A small valid workbook: every sheet the cross-sheet rules look at, consistent."""
    return copy.deepcopy({
        "Territoire": TERRITOIRE,
        "Population": [
            ["Année", "Population", "Enfants 0-2 ans", "Taux de chômage (%)"],
            [2021, 13987, 520, 14.1],
            [2022, 13950, 510, 13.8],
        ],
        "Équipements": [
            ["Nom", "Type", "Places", "Gestionnaire", "Ouverture", "Fermeture", "Âge min",
             "Âge max"],
            ["Multi-accueil La Pépinière", "Multi-accueil", 44, "Municipal", 2008, None, 0, 3],
            ["Relais petite enfance", "Relais petite enfance", None, "Municipal", None, None,
             None, None],
            ["ALSH Parc Maréchal", "ALSH", 120, "Municipal", None, None, 3, 12],
        ],
        "ALSH": [
            ["Année", "Nom", "Période", "Places"],
            [2022, "ALSH Parc Maréchal", "Juillet", 120],
            [2022, "ALSH Parc Maréchal", "Mercredis", 60],
        ],
        "Plan d'action": [
            ["Axe", "Action", "Indicateur", "N° action", "Cible", 2021, 2022],
            ["Axe 1 : Diagnostic", "Diagnostic partagé", "Réunions", "1", 6, 2, 4],
            ["Axe 2 : Pistes d'actions", "Relais", "Familles reçues", "2", 100, 40, 70],
        ],
        "Fiches actions": [
            ["N° action", "Intitulé", "Axe"],
            ["1", "Diagnostic partagé", "Axe 1 : Diagnostic"],
            ["2", "Relais", "Axe 2 : Pistes d'actions"],
        ],
    })


def _padded(rows: list[list]) -> list[list]:
    width = max((len(r) for r in rows), default=0)
    return [list(r) + [None] * (width - len(r)) for r in rows]


def to_xlsx(sheets: dict[str, list[list]], merged: dict[str, list[str]] | None = None,
            formats: dict[tuple[str, str], str] | None = None) -> bytes:
    """An .xlsx with one tab per entry (rows from A1). `merged` maps a tab to ranges to merge
    ("A2:A4"); `formats` maps (tab, cell) to an Excel number format ("0.0%")."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(list(row))
        for ref in (merged or {}).get(name, []):
            sheet.merge_cells(ref)
    for (name, ref), number_format in (formats or {}).items():
        book[name][ref].number_format = number_format
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def to_ods(sheets: dict[str, list[list]]) -> bytes:
    """An .ods with one tab per entry, written by pandas with odfpy."""
    out = io.BytesIO()
    with pd.ExcelWriter(out, engine="odf") as writer:
        for name, rows in sheets.items():
            frame = pd.DataFrame(_padded(rows) or [[None]], dtype=object)
            frame.to_excel(writer, sheet_name=name, header=False, index=False)
    return out.getvalue()


def _csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, float):
        return str(value).replace(".", ",")
    return str(value)


def to_csv(rows: list[list], *, delimiter: str = ";", encoding: str = "utf-8-sig") -> bytes:
    """A CSV of one sheet, French style by default (`;`, decimal comma, UTF-8 with BOM)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    for row in rows:
        writer.writerow([_csv_cell(v) for v in row])
    return out.getvalue().encode(encoding)


def load(fmt: str, sheets: dict[str, list[list]], **options):
    """Build `sheets` in format `fmt` and load it. A workbook gets the default Territoire
    sheet unless given one; a CSV holds the one non-Territoire sheet (or Territoire alone)
    and applies to the default territory."""
    if fmt == "csv":
        tables = {k: v for k, v in sheets.items() if k != "Territoire"} or sheets
        [(name, rows)] = tables.items()
        options.setdefault("sheet", name)
        if name != "Territoire":
            options.setdefault("territoire", CODE)
        return load_workbook(to_csv(rows), f"{name}.csv", **options)
    sheets = {"Territoire": TERRITOIRE} | sheets
    content = to_xlsx(sheets) if fmt == "xlsx" else to_ods(sheets)
    return load_workbook(content, f"ctg.{fmt}", **options)


def codes(problems) -> list[str]:
    return [p.code for p in problems]


def _zip_member(name: str, deflated: bytes, crc: int, size: int, offset: int
                ) -> tuple[bytes, bytes]:
    """The local header + data, and the central directory entry, of one deflated member."""
    import struct
    raw = name.encode()
    local = struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 8, 0, 0, crc, len(deflated), size,
                        len(raw), 0) + raw + deflated
    central = struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, 8, 0, 0, crc, len(deflated),
                          size, len(raw), 0, 0, 0, 0, 0, offset) + raw
    return local, central


def zip_bomb(path, megabytes: int = 1024) -> None:
    """Write an .xlsx-looking zip whose sheet inflates to `megabytes` MB of zeros.

    The deflate stream of 1 MB of zeros, flushed so it stands alone, is repeated: the file is
    about 1 KB per inflated MB and is written in well under a second."""
    import struct
    import zlib

    zeros = bytes(1 << 20)
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = packer.compress(zeros) + packer.flush(zlib.Z_FULL_FLUSH)
    final = zlib.compressobj(9, zlib.DEFLATED, -15).flush()
    crc = 0
    for _ in range(megabytes):
        crc = zlib.crc32(zeros, crc)
    members = []
    for name, text in [("[Content_Types].xml", b"<Types/>"), ("xl/workbook.xml", b"<workbook/>")]:
        small = zlib.compressobj(9, zlib.DEFLATED, -15)
        members.append((name, small.compress(text) + small.flush(), zlib.crc32(text), len(text)))
    members.append(("xl/worksheets/sheet1.xml", block * megabytes + final, crc,
                    megabytes << 20))
    body, directory = b"", b""
    for name, deflated, member_crc, size in members:
        local, central = _zip_member(name, deflated, member_crc, size, len(body))
        body += local
        directory += central
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(members), len(members),
                      len(directory), len(body), 0)
    Path(path).write_bytes(body + directory + end)
