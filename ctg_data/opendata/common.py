"""What every open-data reader shares: the CSV header sniffing, French numbers, commune codes,
the commune's rows of a file, the French counting words, and `OpendataError`.

Files are read exactly as the portals export them (see domain.md §5): `;` separator, UTF-8 with
BOM (Windows-1252 accepted after a re-save in Excel), decimal comma or point, codes as text.
Blurred or secret values (empty, `s`, `ns`, `nd`, `so`…) stay missing, never zero.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import pandas as pd

from ctg_data.errors import CatalogueError, UnreadableFile

REFERENCE_COLUMNS = ("niveau", "code", "nom", "annee", "indicateur", "valeur", "source", "edition")
# The end of a note on a figure left missing (notes ending so become the version's warnings).
LEFT_EMPTY = "case laissée vide."


class OpendataError(CatalogueError, ValueError):
    """A recognised open-data file that cannot be used as asked (territory absent, nothing to
    import…): `message` is French, `code` its catalogue entry. The CLI exits with code 1."""


@dataclass
class InseeFigures:
    """What an INSEE file says about one commune."""

    kind: str
    code: str
    figures: dict[int, dict[str, float]]   # year -> {Population column key -> value}
    notes: list[str]                       # French, one line per value filled or left missing
    rows: int = 0                          # rows of the file summed for the commune


@dataclass
class Head:
    """The header line of a CSV: its fields, separator and encoding."""

    fields: list[str]
    sep: str
    encoding: str


def buffer(content):
    """`content` as something with `find` and slicing (bytes, bytearray or mmap)."""
    return content.tobytes() if isinstance(content, memoryview) else content


def read_head(content, file_name: str) -> Head:
    """Header of a CSV held in `content` (bytes or a buffer); UnreadableFile when it is not
    a CSV of data."""
    if len(content) == 0:
        raise UnreadableFile.of("fichier_vide", file=file_name)
    start = bytes(content[:4])
    if start.startswith(b"PK") or start.startswith(b"\xd0\xcf\x11\xe0"):
        raise UnreadableFile.of("donnees_ouvertes_classeur", file=file_name)
    end = content.find(b"\n", 0, 1_000_000)
    line = bytes(content[: end if end >= 0 else min(len(content), 1_000_000)])
    if b"\x00" in line:
        raise UnreadableFile.of("donnees_ouvertes_binaire", file=file_name)
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = line.decode(encoding).rstrip("\r\n")
            break
        except UnicodeDecodeError:
            continue
    else:
        raise UnreadableFile.of("donnees_ouvertes_binaire", file=file_name)
    sep = max((";", ",", "\t", "|"), key=text.count)
    if text.count(sep) == 0:
        raise UnreadableFile.of("donnees_ouvertes_une_colonne", file=file_name)
    fields = [f.strip() for f in next(csv.reader([text], delimiter=sep))]
    return Head(fields, sep, encoding)


def numbers(values: pd.Series) -> pd.Series:
    """French or English number text -> float; secret markers and blanks -> NaN."""
    text = (values.astype("str").str.strip()
            .str.replace("\u202f", "", regex=False).str.replace("\xa0", "", regex=False)
            .str.replace(" ", "", regex=False).str.replace(",", ".", regex=False))
    return pd.to_numeric(text, errors="coerce").astype("float64")


def commune_code(value: str) -> str:
    """An INSEE commune code as 5-character text: 1065 -> 01065, 2a004 -> 2A004."""
    value = str(value).strip().upper()
    return value.zfill(5) if value.isdigit() and len(value) < 5 else value


def read_frame(content, head: Head, usecols=None) -> pd.DataFrame:
    """The whole CSV as text cells (codes keep their leading zeros)."""
    return pd.read_csv(io.BytesIO(bytes(content)), sep=head.sep, dtype="str",
                       encoding=head.encoding, encoding_errors="replace",
                       keep_default_na=False, na_filter=False, usecols=usecols,
                       skipinitialspace=True)


def _lines_starting_with(content, head: Head, code: str) -> list[str]:
    """The data lines whose first field is commune `code`, found by a byte search."""
    lines = []
    first_data = content.find(b"\n") + 1
    quote = b'"' if content[first_data:first_data + 1] == b'"' else b""
    # A code that lost its leading zero (a re-save in Excel) is looked for only if needed:
    # each search is one pass over the file.
    for spelling in dict.fromkeys([code, code.lstrip("0") or code]):
        needle = b"\n" + quote + spelling.encode() + quote + head.sep.encode()
        start = content.find(needle)
        while start >= 0:
            end = content.find(b"\n", start + 1)
            raw = bytes(content[start + 1: end if end >= 0 else len(content)])
            lines.append(raw.decode(head.encoding, errors="replace").rstrip("\r"))
            start = content.find(needle, start + 1)
        if lines:
            break
    return lines


def rows_for(content, head: Head, code_col: str, wanted: list[str], code: str
             ) -> pd.DataFrame:
    """The rows of commune `code`, columns `wanted` (text cells)."""
    if head.fields.index(code_col) == 0:
        # Fast path for one-row-per-commune files whose code comes first (dossier complet,
        # Filosofi): find the commune's lines by a byte search instead of parsing ~1 GB.
        lines = _lines_starting_with(content, head, code)
        positions = [head.fields.index(c) for c in wanted]
        records = []
        for values in csv.reader(lines, delimiter=head.sep):
            values = values + [""] * (len(head.fields) - len(values))
            records.append([values[i] for i in positions])
        return pd.DataFrame(records, columns=wanted, dtype="str")
    frame = read_frame(content, head, usecols=list(dict.fromkeys([code_col, *wanted])))
    frame = frame[frame[code_col].map(commune_code) == code]
    return frame[wanted].reset_index(drop=True)


# --- French words of the messages ------------------------------------------------------------

def plural_s(n: int) -> str:
    """« s » when `n` asks for the plural in French."""
    return "s" if n > 1 else ""


def count(n: int, word: str) -> str:
    """`3 valeurs`, `1 valeur`."""
    return f"{n} {word}{plural_s(n)}"


def years_text(years) -> str:
    """`2021`, or `2019 à 2022` for several years; empty for none."""
    years = sorted(set(int(y) for y in years))
    if not years:
        return ""
    return str(years[0]) if len(years) == 1 else f"{years[0]} à {years[-1]}"
