"""Refusals of saves made on an out-of-date version: `EditConflict` (a cell changed by
someone else meanwhile), `StalePreview` (an import previewed on an older version), and their
French messages saying what is now stored, by whom and when.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from ctg_data.schemas import SHEETS_BY_KEY
from ctg_data.storage.changes import Change
from ctg_data.storage.schema import changes_t, versions_t


class EditConflict(Exception):
    """A save made on an older version clashes with what someone saved since: a cell both
    changed (`change` is the refused Change, `newer` the value now stored, `by` and `at` who
    stored it and when), or an import whose preview is out of date. Nothing was stored;
    `message` is French."""

    def __init__(self, message: str, code: str = "modification_concurrente", *,
                 change: Change | None = None, newer=None, by: str = "",
                 at: datetime | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.change = change
        self.newer = newer
        self.by = by
        self.at = at


class StalePreview(EditConflict):
    """An import (or a save without cell changes) made on a version that is no longer the
    territory's current one: it must be previewed again."""


def french_moment(moment: datetime | None) -> str:
    """« 29/11/2025 à 9 h 05 », French local time when the time zone database is there."""
    if moment is None:
        return ""
    try:
        from zoneinfo import ZoneInfo
        moment = moment.astimezone(ZoneInfo("Europe/Paris"))
    except Exception:  # noqa: BLE001 — no tz database: UTC, still correct
        pass
    return f"{moment:%d/%m/%Y} à {moment.hour} h {moment:%M}"


def _place(change: Change) -> str:
    """« Plan d'action, ligne « Axe 1 · … », colonne « Résultats obtenus » »."""
    sheet = SHEETS_BY_KEY.get(change.sheet)
    where = [f"feuille « {sheet.name if sheet else change.sheet} »"]
    if change.row_label:
        where.append(f"ligne « {change.row_label} »")
    if change.column:
        try:
            label = sheet.column(change.column).label if sheet else change.column
        except KeyError:
            label = change.column
        where.append(f"colonne « {label} »")
    return ", ".join(where)


def _subject(version) -> str:
    """Who made a version, as the subject of a French sentence."""
    if version.author:
        return version.author
    if version.kind == "import" and version.file_name:
        return f"l'import du fichier « {version.file_name} »"
    return "une autre personne"


def _french_value(value) -> str:
    from ctg_data.errors import format_value

    return format_value(value) or "(vide)"


def latest_author(conn, code: str, after) -> tuple[str, datetime | None]:
    """Who made the newest version of `code` after version `after`, as a sentence subject,
    and when."""
    row = conn.execute(sa.select(versions_t.c.author, versions_t.c.kind,
                                 versions_t.c.file_name, versions_t.c.created_at)
                       .where(versions_t.c.territory_code == code,
                              versions_t.c.id > (after or 0))
                       .order_by(versions_t.c.id.desc()).limit(1)).first()
    return (_subject(row), row.created_at) if row is not None else ("une autre personne",
                                                                      None)


def conflict_error(conn, code: str, base, change: Change, newer,
                   row_missing: bool = False) -> EditConflict:
    """The French refusal of a stale edit of `change`'s cell: the value now stored, who
    stored it and when (from the history, else the newest version)."""
    from ctg_data.errors import CATALOGUE

    query = (sa.select(changes_t.c.new_value, changes_t.c.column_key, versions_t.c.author,
                       versions_t.c.kind, versions_t.c.file_name, versions_t.c.created_at)
             .join(versions_t, versions_t.c.id == changes_t.c.version_id)
             .where(versions_t.c.territory_code == code, versions_t.c.id > (base or 0),
                    changes_t.c.sheet == change.sheet,
                    changes_t.c.row_label == change.row_label)
             .order_by(changes_t.c.version_id.desc(), changes_t.c.id.desc()))
    rows = conn.execute(query).all()
    cell = [r for r in rows if r.column_key == (change.column or "")]
    if cell or rows:
        row = (cell or rows)[0]
        by, at = _subject(row), row.created_at
    else:
        by, at = latest_author(conn, code, base)
    if change.column and not row_missing:
        message = CATALOGUE["modification_concurrente"].template.format(
            place=_place(change)[:1].upper() + _place(change)[1:], by=by,
            newer=_french_value(newer), at=french_moment(at),
            mine=_french_value(change.new))
        code_ = "modification_concurrente"
    else:
        message = CATALOGUE["ligne_modifiee_entre_temps"].template.format(
            place=_place(change)[:1].upper() + _place(change)[1:], by=by,
            at=french_moment(at))
        code_ = "ligne_modifiee_entre_temps"
    return EditConflict(message, code_, change=change, newer=newer, by=by, at=at)
