"""Writing the CTG workbook: export of stored data in exactly the format the reader reads, the
empty template with its generated `Instructions` sheet, and the README's data-format section —
all generated from the schemas."""

from __future__ import annotations

import io
import re
from datetime import date

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from ctg_data.exports import is_dangerous
from ctg_data.model import CtgData
from ctg_data.schemas import (CODE_INSEE, FORMAT_VERSION, SHEETS, TABLE_SHEETS, TERRITOIRE,
                              Column, Sheet, year_of_header)
from ctg_data.storage import plain

TYPE_LABELS = {
    "int": "Nombre entier", "float": "Nombre", "percent": "Pourcentage (0 à 100)",
    "year": "Année", "text": "Texte", "choice": "Liste de valeurs", "code": "Code (texte)",
    "date": "Date", "date_or_year": "Date ou année",
}

READING_RULES = (
    "Les noms de feuilles et de colonnes sont reconnus sans tenir compte des majuscules, des "
    "accents, des espaces, de la ponctuation ni d'une unité entre parenthèses ; les synonymes "
    "indiqués sont acceptés.",
    "La ligne d'en-tête peut être précédée de lignes de titre ou de notes : elle est repérée "
    "automatiquement.",
    "Les lignes et les colonnes entièrement vides sont ignorées ; une colonne inconnue est "
    "conservée et signalée par un avertissement.",
    "Nombres : « 1234 », « 1 234 », « 1234,5 » ou « 1234.5 » ; « 12 % » dans une colonne de "
    "pourcentage.",
    "Un tiret, « NC », « nd », « s », « ns », « so » ou une cellule vide signifient « non "
    "disponible », jamais zéro.",
    "Les pourcentages vont de 0 à 100 (« 17,9 » ou « 17,9 % ») ; une colonne dont toutes les "
    "valeurs sont entre 0 et 1 est lue comme des fractions (× 100), avec un avertissement.",
    "Dates : vraie date du tableur, « jj/mm/aaaa », « aaaa-mm-jj », ou l'année seule quand une "
    "année suffit.",
    "Les codes (INSEE, département) sont du texte : « 1065 » dans la colonne Code INSEE devient "
    "« 01065 », avec un avertissement.",
    "Plan d'action : une colonne par année, dont l'en-tête est l'année elle-même (ex. 2022), "
    "porte la valeur observée cette année-là.",
    "Un classeur peut ne contenir que certaines feuilles : seules celles-ci sont mises à jour.",
    "Plusieurs territoires dans un classeur : la feuille Territoire devient un tableau (une ligne "
    "par territoire) et chaque autre feuille porte une colonne « Code INSEE ».",
    "Toutes les erreurs du fichier sont signalées en une fois, avec la feuille, la ligne et la "
    "colonne ; rien n'est enregistré tant qu'il reste une erreur. Les avertissements ne bloquent "
    "pas l'import.",
    "Les feuilles « Instructions », « Sources » et « Notes » sont ignorées à la lecture.",
    "Chaque nombre a des limites (colonne « Valeurs/plage ») et chaque texte une longueur "
    "maximale ; les caractères de contrôle invisibles (caractère nul, échappement, « _x0001_ »…) "
    "sont refusés, et les sauts de ligne ne sont acceptés que dans les textes longs.",
)

_BOLD = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDE6F0")
_DATE_FORMAT = "DD/MM/YYYY"
_MAX_WIDTH = 60


# -- cell values ----------------------------------------------------------------------------

def _text(value: str) -> str:
    # Control characters are refused by the xlsx format; they never carry meaning in a cell.
    return ILLEGAL_CHARACTERS_RE.sub("", value)


def _date_cell(value: str):
    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", value.strip())
    if m:
        try:
            return date(*map(int, m.groups()))
        except ValueError:
            pass
    return None


def _cell_value(column: Column | None, value):
    """(value, number_format) for one canonical value; `column` None for an extra column."""
    value = plain(value)
    if value is None:
        return None, None
    kind = column.type if column is not None else None
    if kind in ("int", "float", "percent", "year"):
        number = float(value)
        if kind in ("int", "year") and number.is_integer():
            return int(number), None
        return number, None
    if kind == "code":
        return _text(str(value)), "@"
    if kind in ("date", "date_or_year") and isinstance(value, str):
        if kind == "date_or_year" and re.fullmatch(r"\d{4}", value.strip()):
            return int(value), "0"
        day = _date_cell(value)
        if day is not None:
            return day, _DATE_FORMAT
    if isinstance(value, str):
        return _text(value), None
    return value, None


def _put(ws, row: int, col: int, value, number_format=None):
    cell = ws.cell(row=row, column=col, value=value)
    if isinstance(value, str):
        # A text starting with "=" stays text: no formula is ever written into an export, and
        # Excel's quote prefix keeps it text when someone edits the cell (same rule as
        # exports.neutralise, without changing the value, so the round trip stays exact).
        cell.data_type = "s"
        cell.quotePrefix = is_dangerous(value)
    if number_format:
        cell.number_format = number_format
    return cell


def _style_header(ws, n_columns: int, header_row: int = 1):
    for col in range(1, n_columns + 1):
        cell = ws.cell(row=header_row, column=col)
        cell.font = _BOLD
        cell.fill = _HEADER_FILL
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)


def _fit_widths(ws, minimum: int = 8):
    widths: dict[int, int] = {}
    for row in ws.iter_rows(min_row=1, max_row=min(ws.max_row, 300)):
        for cell in row:
            if cell.value is None:
                continue
            text = (cell.value.strftime("%d/%m/%Y") if isinstance(cell.value, date)
                    else str(cell.value))
            longest = max((len(line) for line in text.splitlines()), default=0)
            widths[cell.column] = max(widths.get(cell.column, minimum), longest)
    for col, width in widths.items():
        ws.column_dimensions[get_column_letter(col)].width = min(width + 2, _MAX_WIDTH)


# -- export ---------------------------------------------------------------------------------

def _header_of(sheet: Sheet, name):
    """The header cell of a column key: its French label, the year as a number for the plan's
    year columns, the original header text for other extra columns."""
    declared = {c.key: c for c in sheet.columns}
    if name in declared:
        return declared[name].label
    if sheet.year_columns and year_of_header(name):
        return year_of_header(name)
    return _text(str(name))


def _union_columns(frames: list[pd.DataFrame]) -> list:
    return list(dict.fromkeys(c for frame in frames for c in frame.columns))


def _write_territoire(wb: Workbook, datasets: list[CtgData]):
    ws = wb.create_sheet(TERRITOIRE.name)
    declared = {c.key: c for c in TERRITOIRE.columns}
    if len(datasets) == 1:
        _put(ws, 1, 1, "Champ")
        _put(ws, 1, 2, "Valeur")
        for r, (key, value) in enumerate(datasets[0].territoire.items(), start=2):
            column = declared.get(key)
            _put(ws, r, 1, column.label if column else _text(str(key)))
            _put(ws, r, 2, *_cell_value(column, value))
        _style_header(ws, 2)
    else:
        keys = list(dict.fromkeys(k for d in datasets for k in d.territoire))
        for c, key in enumerate(keys, start=1):
            _put(ws, 1, c, declared[key].label if key in declared else _text(str(key)))
            for r, data in enumerate(datasets, start=2):
                _put(ws, r, c, *_cell_value(declared.get(key), data.territoire.get(key)))
        _style_header(ws, len(keys))
    _fit_widths(ws)


def _write_table(wb: Workbook, sheet: Sheet, datasets: list[CtgData]):
    frames = [d.tables[sheet.key] for d in datasets]
    if not any(len(f) for f in frames):
        return
    multi = len(datasets) > 1
    declared = {c.key: c for c in sheet.columns}
    columns = [c.key for c in sheet.columns] + [
        c for c in _union_columns(frames) if c not in declared]
    ws = wb.create_sheet(sheet.name)
    offset = 1 if multi else 0
    if multi:
        _put(ws, 1, 1, CODE_INSEE.label)
    for c, name in enumerate(columns, start=1 + offset):
        _put(ws, 1, c, _header_of(sheet, name))
    r = 2
    for data, frame in zip(datasets, frames):
        records = frame.to_dict("records")
        for record in records:
            if multi:
                _put(ws, r, 1, _text(str(data.code)), "@")
            for c, name in enumerate(columns, start=1 + offset):
                _put(ws, r, c, *_cell_value(declared.get(name), record.get(name)))
            r += 1
    _style_header(ws, len(columns) + offset)
    _fit_widths(ws)


def _to_bytes(wb: Workbook) -> bytes:
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def write_workbook(datasets: list[CtgData]) -> bytes:
    """The .xlsx bytes of one or several territories' data in the CTG workbook format: a
    key-value Territoire sheet for one territory, a Territoire table and a `Code INSEE` column
    on every sheet for several. Only sheets that hold rows are written (plus Territoire)."""
    if not datasets:
        raise ValueError("Aucun territoire à exporter.")
    wb = Workbook()
    wb.remove(wb.active)
    _write_territoire(wb, datasets)
    for sheet in TABLE_SHEETS:
        _write_table(wb, sheet, datasets)
    return _to_bytes(wb)


# -- template and documentation ---------------------------------------------------------------

def _number(x: float) -> str:
    text = f"{int(x):,}".replace(",", "\u202f") if float(x).is_integer() else \
        f"{x}".replace(".", ",")
    return text.replace("-", "−")


def allowed_values(column: Column) -> str:
    """The allowed values, the range or the longest text of a column, in French
    (« 0 à 100 », « 0 à 1 000 000 », « 200 caractères au plus »…)."""
    parts = []
    if column.choices:
        parts.append(" / ".join(column.choices))
    if column.type in ("int", "float", "percent"):
        low, high = column.bounds  # every number is bounded (schemas.Column.largest)
        parts.append(f"{_number(low)} à {_number(high)}")
    elif column.type in ("text", "code") and column.text_limit:
        parts.append(f"{_number(column.text_limit)} caractères au plus"
                     + ("" if column.multiline else ", sur une ligne"))
    if column.default not in (None, ""):
        parts.append(f"par défaut : {column.default}")
    return " ; ".join(parts)


def _column_rows(sheet: Sheet) -> list[tuple[str, str, str, str, str, str]]:
    """(Colonne, Type, Obligatoire, Synonymes, Valeurs/plage, Description) for each column."""
    return [(c.label, TYPE_LABELS[c.type], "oui" if c.required else "non",
             ", ".join(c.synonyms), allowed_values(c), c.help) for c in sheet.columns]


def _sheet_intro(sheet: Sheet) -> str:
    text = sheet.help
    if sheet.synonyms:
        text += " Autres noms acceptés : " + ", ".join(f"« {s} »" for s in sheet.synonyms) + "."
    if not sheet.key_value:
        text += " Colonnes obligatoires : " + ", ".join(
            c.label for c in sheet.required_columns) + "."
    return text


def template_workbook() -> bytes:
    """An empty CTG workbook: an `Instructions` sheet generated from the schemas, then every
    sheet with its headers (required ones bold, each header commented with its help)."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Instructions"
    _write_instructions(ws)
    for sheet in SHEETS:
        ws = wb.create_sheet(sheet.name)
        if sheet.key_value:
            _put(ws, 1, 1, "Champ")
            _put(ws, 1, 2, "Valeur")
            _style_header(ws, 2)
            for r, column in enumerate(sheet.columns, start=2):
                cell = _put(ws, r, 1, column.label)
                _annotate(cell, column)
                if column.type == "code":
                    ws.cell(row=r, column=2).number_format = "@"
        else:
            for c, column in enumerate(sheet.columns, start=1):
                _put(ws, 1, c, column.label)
            _style_header(ws, len(sheet.columns))
            for c, column in enumerate(sheet.columns, start=1):
                _annotate(ws.cell(row=1, column=c), column)
                if column.type == "code":
                    # Text cells keep leading zeros (« 01065 ») when people type codes.
                    for r in range(2, 202):
                        ws.cell(row=r, column=c).number_format = "@"
        _fit_widths(ws, minimum=10)
    return _to_bytes(wb)


def _annotate(cell, column: Column):
    text = ("Obligatoire. " if column.required else "Facultatif. ") + column.help
    text += f" Type : {TYPE_LABELS[column.type].lower()}."
    if allowed_values(column):
        text += f" Valeurs : {allowed_values(column)}."
    cell.comment = Comment(text, "CTG")
    cell.font = Font(bold=column.required)


def _write_instructions(ws):
    wrap = Alignment(wrap_text=True, vertical="top")
    ws.cell(row=1, column=1, value="Classeur CTG — mode d'emploi").font = Font(bold=True, size=14)
    ws.cell(row=2, column=1, value="Remplissez les feuilles utiles (les colonnes en gras sont "
            "obligatoires), puis importez le classeur dans le tableau de bord CTG. Chaque en-tête "
            "porte un commentaire qui le décrit.")
    r = 4
    ws.cell(row=r, column=1, value="Règles de lecture").font = Font(bold=True, size=12)
    for rule in READING_RULES:
        r += 1
        ws.cell(row=r, column=1, value="• " + rule)
    headers = ("Colonne", "Type", "Obligatoire", "Synonymes", "Valeurs / plage", "Description",
               "Exemple")
    for sheet in SHEETS:
        r += 2
        ws.cell(row=r, column=1, value=f"Feuille « {sheet.name} »").font = Font(bold=True,
                                                                               size=12)
        r += 1
        ws.cell(row=r, column=1, value=_sheet_intro(sheet))
        r += 1
        for c, h in enumerate(headers, start=1):
            cell = ws.cell(row=r, column=c, value=h)
            cell.font = _BOLD
            cell.fill = _HEADER_FILL
        for column, values in zip(sheet.columns, _column_rows(sheet)):
            r += 1
            example = column.example if column.example not in (None, "") else None
            for c, v in enumerate((*values, example), start=1):
                cell = _put(ws, r, c, v if v != "" else None)
                cell.alignment = wrap
            if column.required:
                ws.cell(row=r, column=1).font = _BOLD
    for col, width in zip("ABCDEFG", (30, 20, 12, 30, 30, 60, 25)):
        ws.column_dimensions[col].width = width


def _md(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def format_markdown() -> str:
    """The README's data-format section, generated from the schemas: reading rules, then one
    table per sheet (Colonne, Type, Obligatoire, Synonymes, Valeurs/plage, Description)."""
    lines = [f"Le classeur CTG (format {FORMAT_VERSION}) : une feuille par thème ; "
             "un classeur peut n'en contenir qu'une partie. Le modèle vide à télécharger dans "
             "l'application contient ces feuilles et une feuille « Instructions ».", "",
             "**Règles de lecture**", ""]
    lines += [f"- {rule}" for rule in READING_RULES]
    for sheet in SHEETS:
        lines += ["", f"### Feuille « {sheet.name} »", "", _sheet_intro(sheet), "",
                  "| Colonne | Type | Obligatoire | Synonymes | Valeurs/plage | Description |",
                  "|---|---|---|---|---|---|"]
        for row in _column_rows(sheet):
            cells = [f"**{_md(row[0])}**" if row[2] == "oui" else _md(row[0])]
            cells += [_md(v) for v in row[1:]]
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


README_FORMAT = re.compile(r"(<!-- format:start -->\n)(.*?)(<!-- format:end -->)", re.S)


def update_readme_format(path) -> bool:
    """Rewrite the format section of the README at `path` (between `<!-- format:start -->`
    and `<!-- format:end -->`) from `format_markdown()` (`make readme-format`, after a change
    of `schemas.py`); True when the text changed."""
    from pathlib import Path

    readme = Path(path)
    text = readme.read_text(encoding="utf-8")
    if not README_FORMAT.search(text):
        raise ValueError(f"{readme} n'a pas de section <!-- format:start --> … "
                         "<!-- format:end -->.")
    updated = README_FORMAT.sub(lambda m: m.group(1) + format_markdown().strip() + "\n"
                                + m.group(3), text, count=1)
    if updated != text:
        readme.write_text(updated, encoding="utf-8")
    return updated != text
