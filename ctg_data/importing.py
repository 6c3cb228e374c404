"""Import of a CTG workbook into the store: read and validate everything first, store nothing
unless the whole file is valid, recognise a file already imported, and preview what will change."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pandas as pd

from ctg_data import settings
from ctg_data.model import CtgData
from ctg_data.schemas import TABLE_SHEETS, TERRITOIRE
from ctg_data.storage import StalePreview, Store, changed_columns, match_rows

PREVIEW_COLUMNS = ("Territoire", "Feuille", "Lignes actuelles", "Lignes importées", "Ajoutées",
                   "Supprimées", "Modifiées")


@dataclass
class ImportOutcome:
    """What an import did: the reader's report, the versions created (empty when nothing was
    stored), whether the file was a duplicate, and a French message for the user."""

    report: object  # workbook.Report
    version_ids: list[int]
    duplicate: bool
    message: str
    # True when the data changed since the preview (nothing stored): preview it again.
    stale: bool = False


def _plural(n: int, singular: str, plural: str | None = None) -> str:
    return f"{n} {singular if n < 2 else (plural or singular + 's')}"


def _french_datetime(moment: datetime) -> str:
    """« 29/11/2025 à 9 h 05 », in French local time when the time zone database is there."""
    try:
        from zoneinfo import ZoneInfo
        moment = moment.astimezone(ZoneInfo("Europe/Paris"))
    except Exception:  # no tz database: UTC, still correct, just not local
        pass
    return f"{moment:%d/%m/%Y} à {moment.hour} h {moment:%M}"


def _territory_label(data: CtgData) -> str:
    return f"{data.nom} ({data.code})" if data.nom else str(data.code)


def _unchanged(current: CtgData | None, data: CtgData) -> bool:
    """True when storing `data` over `current` would change nothing."""
    if current is None:
        return False
    if TERRITOIRE.key in data.present and current.territoire != data.territoire:
        return False
    for sheet in TABLE_SHEETS:
        if sheet.key in data.present:
            a, b = current.tables[sheet.key], data.tables[sheet.key]
            if list(a.columns) != list(b.columns) or not a.equals(b):
                return False
    return True


def import_file(store: Store, content: bytes, file_name: str, *, author: str = "",
                sheet: str | None = None, territoire: str | None = None,
                actor=None) -> ImportOutcome:
    """Read, validate and store a workbook (one new version per territory, one transaction).

    `sheet` names the sheet of a one-sheet CSV; `territoire` (a code) is the territory a file
    without a Territoire sheet updates. Nothing is stored when the file has errors, or when the
    same file was already imported and the current data still equal it (`duplicate`). Raises
    `errors.UnreadableFile` when the file cannot be read at all."""
    from ctg_data.workbook import load_workbook

    report = load_workbook(content, file_name, sheet=sheet, territoire=territoire)
    return import_report(store, report, author=author, actor=actor)


def current_versions(store: Store, report) -> dict:
    """The current version id of each territory of `report` (None when not stored yet): what
    a preview is computed on, to pass back to `import_report(versions=…)`."""
    current = {t.code: t.version_id for t in store.territories()}
    return {d.code: current.get(d.code) for d in report.datasets}


def _duplicate(store: Store, report, versions: dict) -> ImportOutcome | None:
    """The outcome « déjà importé » when every territory's version in `versions` already
    holds this file's data (same content hash, data unchanged since), else None."""
    earlier = {v.code: v for v in reversed(store.find_by_hash(report.content_hash))}
    codes = [d.code for d in report.datasets]
    if not (all(code in earlier for code in codes) and all(
            versions.get(d.code) is not None
            and _unchanged(store.load(d.code, versions[d.code]), d) for d in report.datasets)):
        return None
    first = min((earlier[c] for c in codes), key=lambda v: v.id)
    ids = sorted(earlier[c].id for c in codes)
    which = (f"version {ids[0]}" if len(ids) == 1
             else "versions " + ", ".join(str(i) for i in ids))
    when = _french_datetime(first.created_at)
    return ImportOutcome(report, [], True, f"Ce fichier a déjà été importé le {when} "
                                           f"({which}) : rien n'a changé.")


def import_report(store: Store, report, *, author: str = "", actor=None,
                  versions: dict | None = None) -> ImportOutcome:
    """Store the datasets of a report already read by `workbook.load_workbook` (what the import
    page previewed), with `import_file`'s rules: nothing when it has errors or repeats the
    current data of a file already imported; the file is not read again. `actor` (an
    accounts.Account; None = local mode) must be allowed to import every territory of the
    file: accounts.AccessDenied (French message) otherwise, checked before anything else.
    `versions` (from `current_versions`) are the versions the preview was computed on: when a
    territory changed since, nothing is stored and the outcome is `stale` (preview again).
    The duplicate check and the store agree atomically: the store re-checks, under its write
    lock, that the versions checked are still the current ones."""
    from ctg_data import accounts

    accounts.authorise(actor, "import", [d.code for d in report.datasets])
    file_name = report.file_name
    if not report.ok:
        return ImportOutcome(report, [], False,
                             f"Le fichier « {file_name} » contient "
                             f"{_plural(len(report.errors), 'erreur')} : rien n'a été enregistré. "
                             "Corrigez le fichier puis importez-le à nouveau.")
    if not report.datasets:
        return ImportOutcome(report, [], False,
                             f"Le fichier « {file_name} » ne contient aucune donnée à importer.")
    current = current_versions(store, report)
    checked = dict(versions) if versions is not None else current
    duplicate = _duplicate(store, report, current)
    if duplicate is not None:
        return duplicate
    warnings = _warnings_by_territory(report)
    provided = [s.name for s in TABLE_SHEETS
                if any(s.key in d.present for d in report.datasets)]
    summary = f"Import du fichier « {file_name} »"
    summary += (" (feuilles : " + ", ".join(provided) + ")." if provided
                else " (Territoire seulement).")
    for attempt in range(3):
        try:
            ids = store.save(report.datasets, kind="import", author=author, actor=actor,
                             file_name=file_name, base_version_id=checked,
                             content_hash=report.content_hash, warnings=warnings,
                             summary=summary)
            break
        except StalePreview as stale:
            # Someone stored meanwhile (maybe this very file: then « déjà importé »).
            fresh = current_versions(store, report)
            duplicate = _duplicate(store, report, fresh)
            if duplicate is not None:
                return duplicate
            if versions is not None or attempt == 2:  # a preview the person must see again
                return ImportOutcome(report, [], False, stale.message, stale=True)
            checked = fresh
    stored = {t.code: t.nom for t in store.territories()}
    names = ", ".join(f"{stored.get(d.code) or d.nom or d.code} ({d.code})"
                      for d in report.datasets)
    message = (f"Import réussi : version {ids[0]} créée" if len(ids) == 1 else
               f"Import réussi : versions {', '.join(str(i) for i in ids)} créées")
    message += f" pour {names}."
    if report.warnings:
        message += f" {_plural(len(report.warnings), 'avertissement')} à lire."
    return ImportOutcome(report, ids, False, message)


def _warnings_by_territory(report) -> dict[str, list[str]]:
    """For each territory of `report`, the sentences of its own warnings and of the whole
    file's (a version stores only these, not those of the 649 other territories)."""
    lines = {id(p): p.as_line() for p in report.warnings}
    return {code: [lines[id(p)] for p in found]
            for code, found in report.warnings_by_territory().items()}


def _compared_version(store: Store, code: str, versions: dict | None):
    """The stored data an import of territory `code` is compared with: its version in
    `versions` (None there: a new territory), else its current version."""
    if versions is None:
        return store.load(code)
    vid = versions.get(code)
    return store.load(code, vid) if vid is not None else None


def preview(store: Store, report, versions: dict | None = None) -> pd.DataFrame:
    """What importing `report` would change, one line per territory and provided sheet: rows now
    stored, rows in the file, and rows added, removed and modified (matched on the sheet's
    identifying columns). Territoire counts its fields as one row (listed when the file has
    that sheet, or the territory is new). `versions` ({code: version id or None}, from
    `current_versions`) are the versions compared, the current ones by default."""
    lines = []
    for data in report.datasets:
        current = _compared_version(store, data.code, versions)
        label = _territory_label(current if current is not None and not data.nom else data)
        if TERRITOIRE.key in data.present or current is None:
            changed_fields = current is not None and bool(
                changed_columns(current.territoire, data.territoire))
            lines.append({"Territoire": label, "Feuille": TERRITOIRE.name,
                          "Lignes actuelles": int(current is not None), "Lignes importées": 1,
                          "Ajoutées": int(current is None), "Supprimées": 0,
                          "Modifiées": int(changed_fields)})
        for sheet in TABLE_SHEETS:
            if sheet.key not in data.present:
                continue
            new = data.tables[sheet.key]
            old = current.tables[sheet.key] if current is not None else new.iloc[:0]
            pairs, added, removed = match_rows(sheet.key, old, new)
            lines.append({"Territoire": label, "Feuille": sheet.name,
                          "Lignes actuelles": len(old), "Lignes importées": len(new),
                          "Ajoutées": len(added), "Supprimées": len(removed),
                          "Modifiées": sum(bool(changed_columns(a, b)) for a, b in pairs)})
    frame = pd.DataFrame(lines, columns=list(PREVIEW_COLUMNS))
    for col in PREVIEW_COLUMNS[2:]:
        frame[col] = frame[col].astype("int64")
    return frame


# How many rows of each sheet the preview shows as read.
PREVIEW_ROWS = 5
CHANGE_COLUMN = "Changement"


def _shown_value(value) -> str:
    from ctg_data import formatting

    if formatting.is_missing(value):
        return formatting.MISSING
    if isinstance(value, float):   # as read: up to the two decimals a figure may hold
        return formatting.input_number(value, 0 if value.is_integer() else 2)
    return str(value)


def preview_values(store: Store, report, versions: dict | None = None,
                   rows: int = PREVIEW_ROWS, territories: int = 3
                   ) -> list[tuple[str, str, int, pd.DataFrame]]:
    """The values as read, for the person to check before confirming: the first `rows` rows
    of each provided sheet of each territory, under the sheet's headers, French text, each
    with what the import does to it against the stored version (« nouvelle ligne »,
    « modifiée : Places, Nom », « inchangée »). Items: (territory label, sheet name, number
    of rows in the file, frame), for the first `territories` territories of the file.
    `versions` as for `preview`."""
    out = []
    for data in report.datasets[:territories]:
        current = _compared_version(store, data.code, versions)
        label = _territory_label(current if current is not None and not data.nom else data)
        if TERRITOIRE.key in data.present:
            old = current.territoire if current is not None else {}
            frame = pd.DataFrame([{
                "Champ": column.label, "Valeur lue": _shown_value(data.territoire.get(column.key)),
                CHANGE_COLUMN: ("nouvelle valeur" if current is None else "modifiée"
                                if column.key in changed_columns(
                                    {column.key: old.get(column.key)},
                                    {column.key: data.territoire.get(column.key)})
                                else "inchangée")}
                for column in TERRITOIRE.columns])
            out.append((label, TERRITOIRE.name, len(frame), frame))
        for sheet in TABLE_SHEETS:
            if sheet.key not in data.present:
                continue
            new = data.tables[sheet.key]
            old = current.tables[sheet.key] if current is not None else new.iloc[:0]
            first = new.head(rows)
            labels = {c.key: c.label for c in sheet.columns}
            changes = []
            for i in range(len(first)):
                pairs, added, _ = match_rows(sheet.key, old, first.iloc[[i]])
                if added:
                    changes.append("nouvelle ligne")
                    continue
                moved = changed_columns(*pairs[0])
                changes.append("modifiée : " + ", ".join(labels.get(k, str(k)) for k in moved)
                               if moved else "inchangée")
            shown = first.rename(columns=labels).map(_shown_value)
            shown.insert(0, CHANGE_COLUMN, changes)
            out.append((label, sheet.name, len(new), shown.reset_index(drop=True)))
    return out


def import_example(store: Store, *, actor=None) -> ImportOutcome | None:
    """Import the example workbook (setting `example_workbook`) when the database holds no
    territory yet; None when there was nothing to do."""
    if store.territories():
        return None
    path = Path(settings.get("example_workbook"))
    if not path.is_file():
        return None
    return import_file(store, path.read_bytes(), path.name, author="Exemple", actor=actor)
