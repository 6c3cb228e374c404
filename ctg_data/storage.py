"""Versioned storage of CTG data with SQLAlchemy 2: territories, versions (full snapshots),
cell-level change history, chart comments and reference (open-data) figures.

Embedded SQLite by default (`settings.get("database_url")`); only portable SQL is used so the
same code runs on PostgreSQL. Nothing is ever deleted: an import, an edit or a restore adds a
version, and the current version of a territory is its newest one.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.pool import StaticPool

from ctg_data import settings
from ctg_data.model import CtgData
from ctg_data.schemas import SHEETS, SHEETS_BY_KEY, TABLE_SHEETS, TERRITOIRE

if TYPE_CHECKING:  # accounts.py imports this module
    from ctg_data.accounts import Account

KINDS = ("import", "edit", "restore", "opendata")
REFERENCE_COLUMNS = ("niveau", "code", "nom", "annee", "indicateur", "valeur", "source", "edition")
# One published figure: the same key in two editions of a file (`txcouv_pe_dep` and
# `txcouv_pe_dep_hist`) is two stored values, of which one is shown (see Store.references).
REFERENCE_KEY = ("niveau", "code", "annee", "indicateur", "source")
# Within one edition a newer import replaces an older value with this key (a re-download).
EDITION_KEY = (*REFERENCE_KEY, "edition")


class UTCDateTime(sa.TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite stores no offset)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        """Store in UTC (naive on SQLite, which has no time zone type)."""
        if value is None:
            return None
        value = value.astimezone(timezone.utc) if value.tzinfo else value.replace(
            tzinfo=timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        """Read back as an aware UTC datetime."""
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(
            timezone.utc)


metadata = sa.MetaData()

territories_t = sa.Table(
    "territories", metadata,
    sa.Column("code", sa.String(50), primary_key=True),
    sa.Column("nom", sa.Text, nullable=False, default=""),
)

versions_t = sa.Table(
    "versions", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("territory_code", sa.String(50), sa.ForeignKey("territories.code"), nullable=False,
              index=True),
    sa.Column("nom", sa.Text, nullable=False, default=""),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("kind", sa.String(50), nullable=False),
    sa.Column("author", sa.Text, nullable=False, default=""),
    sa.Column("file_name", sa.Text),
    sa.Column("content_hash", sa.String(64), index=True),
    sa.Column("row_counts", sa.JSON, nullable=False),
    sa.Column("warnings", sa.JSON, nullable=False),
    sa.Column("summary", sa.Text, nullable=False, default=""),
    sa.Column("parent_version_id", sa.Integer, sa.ForeignKey("versions.id")),
    sa.Column("territoire", sa.JSON, nullable=False),
    # Column names of every table sheet, in order (extras and plan year columns included).
    sa.Column("columns", sa.JSON, nullable=False),
)

version_rows_t = sa.Table(
    "version_rows", metadata,
    sa.Column("version_id", sa.Integer, sa.ForeignKey("versions.id"), primary_key=True),
    sa.Column("sheet", sa.String(50), primary_key=True),
    sa.Column("position", sa.Integer, primary_key=True),
    # One row as a JSON list of plain values, in the order of versions.columns[sheet].
    sa.Column("data", sa.JSON, nullable=False),
)

changes_t = sa.Table(
    "changes", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("version_id", sa.Integer, sa.ForeignKey("versions.id"), nullable=False, index=True),
    sa.Column("sheet", sa.Text, nullable=False),
    sa.Column("row_label", sa.Text, nullable=False, default=""),
    sa.Column("column_key", sa.Text, nullable=False, default=""),
    sa.Column("old_value", sa.JSON(none_as_null=True)),
    sa.Column("new_value", sa.JSON(none_as_null=True)),
)

comments_t = sa.Table(
    "chart_comments", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("territory_code", sa.String(50), nullable=False, index=True),
    sa.Column("chart_key", sa.Text, nullable=False),
    sa.Column("annee", sa.Integer),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("author", sa.Text, nullable=False, default=""),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

reference_imports_t = sa.Table(
    "reference_imports", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("file_name", sa.Text, nullable=False, default=""),
    sa.Column("content_hash", sa.String(64), index=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("row_count", sa.Integer, nullable=False, default=0),
)

reference_values_t = sa.Table(
    "reference_values", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("import_id", sa.Integer, sa.ForeignKey("reference_imports.id"), nullable=False),
    sa.Column("niveau", sa.String(50), nullable=False),
    sa.Column("code", sa.String(50), nullable=False),
    sa.Column("nom", sa.Text, nullable=False, default=""),
    sa.Column("annee", sa.Integer, nullable=False),
    sa.Column("indicateur", sa.Text, nullable=False),
    sa.Column("valeur", sa.Float),
    sa.Column("source", sa.Text, nullable=False, default=""),
    sa.Column("edition", sa.Text, nullable=False, default=""),
    sa.Index("ix_reference_values_place", "niveau", "code"),
)

# One row per edition (source + edition) of the reference figures: the years it covers, its
# last import and whether the user prefers it. Kept up to date by save_references (a few rows:
# the shown value is chosen without scanning the values), `changed` numbers preference changes.
reference_editions_t = sa.Table(
    "reference_editions", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("source", sa.Text, nullable=False, default=""),
    sa.Column("edition", sa.Text, nullable=False, default=""),
    sa.Column("annee_min", sa.Integer),
    sa.Column("annee_max", sa.Integer),
    sa.Column("import_id", sa.Integer, nullable=False, default=0),
    sa.Column("preferred", sa.Boolean, nullable=False, default=False),
    sa.Column("changed", sa.Integer, nullable=False, default=0),
)

# -- accounts, sign-in failures and audit log (shared mode; used by accounts.py and audit.py) --

accounts_t = sa.Table(
    "accounts", metadata,
    sa.Column("login", sa.String(200), primary_key=True),
    sa.Column("nom", sa.Text, nullable=False, default=""),
    sa.Column("role", sa.String(20), nullable=False),
    # JSON list of territory codes; NULL = every territory.
    sa.Column("territoires", sa.JSON(none_as_null=True)),
    # NULL for an account that signs in only through the identity provider (OIDC).
    sa.Column("password_hash", sa.Text),
    sa.Column("active", sa.Boolean, nullable=False, default=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

# Failed sign-ins per typed login (known or not), for the slow-down; reset by a success.
sign_in_failures_t = sa.Table(
    "sign_in_failures", metadata,
    sa.Column("login", sa.String(200), primary_key=True),
    sa.Column("failures", sa.Integer, nullable=False, default=0),
    sa.Column("last_failure_at", UTCDateTime, nullable=False),
)

# Append-only: the code never updates or deletes these rows.
audit_t = sa.Table(
    "audit_log", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", UTCDateTime, nullable=False, index=True),
    sa.Column("login", sa.String(200), nullable=False, default=""),
    sa.Column("action", sa.String(50), nullable=False),
    sa.Column("territory_code", sa.String(50), index=True),
    sa.Column("detail", sa.Text, nullable=False, default=""),
)


@dataclass(frozen=True)
class TerritoryInfo:
    """A territory of the database and its current version."""

    code: str
    nom: str
    version_id: int
    updated_at: datetime


@dataclass(frozen=True)
class VersionInfo:
    """One stored version of a territory's data (newest = current)."""

    id: int
    code: str
    nom: str
    created_at: datetime
    kind: str
    author: str
    file_name: str | None
    content_hash: str | None
    row_counts: dict
    warnings: list
    summary: str
    is_current: bool
    parent_version_id: int | None = None


@dataclass(frozen=True)
class Change:
    """One changed value. Callers of `Store.save` give sheet, row_label, column, old and new
    (and `code` when one call saves several territories); the store fills version_id, at and
    author. `column` is the column key ("" for a whole added/removed row)."""

    sheet: str
    row_label: str = ""
    column: str = ""
    old: object = None
    new: object = None
    version_id: int | None = None
    at: datetime | None = None
    author: str = ""
    code: str | None = None


@dataclass(frozen=True)
class Comment:
    """A comité's comment on a chart."""

    id: int
    code: str
    chart_key: str
    annee: int | None
    text: str
    author: str
    created_at: datetime


@dataclass(frozen=True)
class CurrentTables:
    """The current versions of every territory, read at once (`Store.current_tables`).

    `territoires`: one row per territory — the Territoire fields (`code_insee`, `nom`, `type`,
    `departement`, `epci`…), `version_id`, `updated_at` (the version's date) and `row_counts`
    (rows per sheet, every sheet). `tables`: sheet key → the rows of all territories, conformed
    (`model.conform`), with a first `code_insee` column. `columns`: code → sheet → the column
    names of that territory's version (a concatenated table has the union of them)."""

    territoires: pd.DataFrame
    tables: dict
    columns: dict


def now_utc() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(timezone.utc)


def plain(value):
    """`value` as a JSON-safe Python value: NaN/NA → None, numpy scalars → int/float/bool,
    dates → ISO text. Infinite numbers are refused (no database JSON can hold them)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        if math.isnan(value):
            return None
        if math.isinf(value):
            raise ValueError(f"Valeur infinie impossible à enregistrer : {value}.")
        return value
    if isinstance(value, str):
        return value
    if isinstance(value, datetime):
        return (value.date().isoformat() if value.time() == datetime.min.time()
                and value.tzinfo is None else value.isoformat())
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    return str(value)


def _frame_to_rows(frame: pd.DataFrame) -> tuple[list, list[list]]:
    """Column names and rows of plain values of a canonical table."""
    columns = [plain(c) for c in frame.columns]
    rows = [[plain(v) for v in row] for row in frame.itertuples(index=False, name=None)]
    return columns, rows


def _tables_rows(frames: list[pd.DataFrame]) -> list[tuple[list, list[list]]]:
    """`_frame_to_rows` of each frame (the same plain values), computed for all frames with the
    same columns at once: 650 territories' tables cost a few array operations, not 7,000
    pandas calls per column."""
    out: list = [None] * len(frames)
    groups: dict[tuple, list[int]] = {}
    for i, frame in enumerate(frames):
        groups.setdefault(tuple(frame.columns.tolist()), []).append(i)
    for labels, members in groups.items():
        columns = [plain(c) for c in labels]
        arrays = [frames[i].to_numpy(dtype=object) for i in members if len(frames[i])]
        rows = _plain_rows(np.concatenate(arrays)) if arrays and labels else []
        start = 0
        for i in members:
            stop = start + len(frames[i])
            out[i] = (list(columns), rows[start:stop] if labels else [[] for _ in range(
                len(frames[i]))])
            start = stop
    return out


def _datasets_rows(datasets: list[CtgData], wanted: list[tuple[int, str]]) -> dict:
    """{(dataset index, sheet key): (column names, rows of plain values)} for `wanted`: the
    tables of a file's territories never cut from the file's sheets (`CtgData.stored_rows`)
    are slices of the whole sheet's rows, converted once; the others go by `_tables_rows`.
    Both give exactly `_frame_to_rows` of each table."""
    out: dict = {}
    others = []
    for i, key in wanted:
        found = datasets[i].stored_rows(key)
        if found is None:
            others.append((i, key))
            continue
        file_tables, start, stop = found
        cached = file_tables.cache.get(("plain_rows", key))
        if cached is None:
            frame = file_tables.frames[key]
            columns = [plain(c) for c in frame.columns]
            rows = _frame_plain_rows(frame)
            cached = file_tables.cache[("plain_rows", key)] = (columns, rows)
        out[(i, key)] = (list(cached[0]), cached[1][start:stop])
    out.update(zip(others, _tables_rows([datasets[i].tables[key] for i, key in others])))
    return out


def _row_encoder():
    """`_json_encoder()` for a list (one stored row), with the same C encoder built once
    instead of at each call (a third of the cost of 68,000 rows); the same text."""
    import json

    encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
    c_make_encoder = getattr(json.encoder, "c_make_encoder", None)
    if c_make_encoder is None:
        return encoder.encode
    one_shot = c_make_encoder(None, encoder.default, json.encoder.encode_basestring, None,
                              encoder.key_separator, encoder.item_separator, False, False,
                              True)
    join = "".join
    slow = encoder.encode

    def encode(row):
        return join(one_shot(row, 0)) if row.__class__ is list else slow(row)

    return encode


def _plain_rows(cells: np.ndarray) -> list[list]:
    """The rows of a 2-D object array with `plain` applied to every value, column by column
    (numbers and texts vectorised, anything else value by value)."""
    out = np.empty(cells.shape, dtype=object)
    for j in range(cells.shape[1]):
        out[:, j] = _plain_column(cells[:, j])
    return out.tolist()


def _plain_column(column: np.ndarray) -> list | np.ndarray:
    """`plain` of every value of a 1-D object array (see `_plain_rows`)."""
    kind = pd.api.types.infer_dtype(column, skipna=True)
    if kind == "floating" and all(v.__class__ is float for v in column.tolist()):
        return _plain_floats(column.astype("float64"))
    if kind in ("string", "empty"):
        return [v if v.__class__ is str else plain(v) for v in column.tolist()]
    return [plain(v) for v in column.tolist()]


def _plain_floats(numbers: np.ndarray) -> np.ndarray:
    """`plain` of every value of a float64 array: Python floats, None for NaN (an infinite
    value raises, with plain's message)."""
    if np.isinf(numbers).any():
        plain(float(numbers[np.isinf(numbers)][0]))
    fixed = numbers.astype(object)
    fixed[np.isnan(numbers)] = None
    return fixed


def _frame_plain_rows(frame: pd.DataFrame) -> list[list]:
    """`_plain_rows(frame.to_numpy(dtype=object))`, column by column from the frame's own
    arrays (a float64 column is never turned into an object array first)."""
    columns = []
    for j in range(frame.shape[1]):
        series = frame.iloc[:, j]
        if series.dtype == np.float64:
            columns.append(_plain_floats(series.to_numpy()).tolist())
        else:
            column = _plain_column(series.to_numpy(dtype=object))
            columns.append(column if isinstance(column, list) else column.tolist())
    return [list(row) for row in zip(*columns)] if columns else [[] for _ in range(len(frame))]


def _json_encoder():
    """The function that writes one stored row as compact JSON text (what the JSON column
    holds; the column type reads it back)."""
    import json

    return json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _rows_to_frame(columns: list, rows: list[list]) -> pd.DataFrame:
    # dtype=object keeps each stored Python value as it was; conform() restores the dtypes.
    return pd.DataFrame(rows, columns=columns, dtype=object)


def row_label(sheet_key: str, row) -> str:
    """A readable label for a table row, from the sheet's `unique` columns
    (e.g. « Multi-accueil La Pépinière · 2022 »); missing parts are left out."""
    sheet = SHEETS_BY_KEY[sheet_key]
    parts = []
    for key in sheet.unique:
        v = plain(row.get(key) if hasattr(row, "get") else row[key])
        if v is None or v == "":
            continue
        parts.append(str(int(v)) if isinstance(v, float) and v.is_integer() else str(v))
    return " · ".join(parts)


def _row_key(sheet_key: str, row: dict) -> tuple:
    sheet = SHEETS_BY_KEY[sheet_key]
    out = []
    for k in sheet.unique:
        v = plain(row.get(k))
        out.append(v.strip().casefold() if isinstance(v, str) else v)
    return tuple(out)


def match_rows(sheet_key: str, old: pd.DataFrame, new: pd.DataFrame):
    """Pair the rows of two versions of a table on the sheet's `unique` columns.

    Returns (pairs, added, removed): pairs of (old_row, new_row) dicts for rows with the same key
    (in order, when a key repeats), new rows without a partner, old rows without a partner."""
    def records(frame):
        return [{c: plain(v) for c, v in zip(frame.columns, row)}
                for row in frame.itertuples(index=False, name=None)]
    by_key: dict[tuple, list[dict]] = {}
    for row in records(old):
        by_key.setdefault(_row_key(sheet_key, row), []).append(row)
    pairs, added = [], []
    for row in records(new):
        candidates = by_key.get(_row_key(sheet_key, row))
        if candidates:
            pairs.append((candidates.pop(0), row))
        else:
            added.append(row)
    removed = [row for rows in by_key.values() for row in rows]
    return pairs, added, removed


def same_value(a, b) -> bool:
    """True when two cell values are equal once plain (NaN and None alike, 2 == 2.0)."""
    a, b = plain(a), plain(b)
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not (
            isinstance(a, bool) or isinstance(b, bool)):
        return float(a) == float(b)
    return a == b


def changed_columns(old: dict, new: dict) -> list:
    """The keys whose values differ between two rows (or two sets of Territoire fields), a key
    missing on one side counting as an empty value; in order of appearance."""
    return [k for k in dict.fromkeys([*old, *new]) if not same_value(old.get(k), new.get(k))]


def changes_between(old: CtgData | None, new: CtgData, sheets=None) -> list[Change]:
    """The cell-level changes that turn `old` into `new` (Territoire fields and table cells),
    to pass to `Store.save(changes=...)` after an in-app edit. A row whose key columns changed
    is a removed row plus an added row (column ""). `sheets` limits the tables compared."""
    out: list[Change] = []
    old_fields = old.territoire if old is not None else {}
    for key in changed_columns(old_fields, new.territoire):
        out.append(Change(sheet="territoire", column=key, old=plain(old_fields.get(key)),
                          new=plain(new.territoire.get(key)), code=new.code))
    for sheet in TABLE_SHEETS:
        if sheets is not None and sheet.key not in sheets:
            continue
        before = old.tables[sheet.key] if old is not None else new.tables[sheet.key].iloc[:0]
        pairs, added, removed = match_rows(sheet.key, before, new.tables[sheet.key])
        for a, b in pairs:
            out += [Change(sheet=sheet.key, row_label=row_label(sheet.key, b), column=str(col),
                           old=a.get(col), new=b.get(col), code=new.code)
                    for col in changed_columns(a, b)]
        for row in removed:
            out.append(Change(sheet=sheet.key, row_label=row_label(sheet.key, row), old=row,
                              code=new.code))
        for row in added:
            out.append(Change(sheet=sheet.key, row_label=row_label(sheet.key, row), new=row,
                              code=new.code))
    return out


def _default_summary(kind: str, file_name: str | None, changes: int) -> str:
    if kind == "import":
        return f"Import du fichier « {file_name} »." if file_name else "Import."
    if kind == "opendata":
        return (f"Données ouvertes importées depuis « {file_name} »." if file_name
                else "Données ouvertes importées.")
    if kind == "edit":
        return f"Modification dans l'application ({changes} valeur{'s' if changes > 1 else ''})."
    return "Restauration."


# -- database faults, concurrent edits (H5) ----------------------------------------------------

class StorageError(Exception):
    """The database cannot do what was asked (missing, read-only, full, locked, corrupt,
    unreachable). `message` is one French sentence from the error catalogue, without SQL nor
    data; what was being written is not stored (the transaction is rolled back)."""

    def __init__(self, message: str, code: str = "base_inaccessible"):
        super().__init__(message)
        self.message = message
        self.code = code

    @classmethod
    def of(cls, code: str, **params) -> "StorageError":
        """The exception for catalogue entry `code`, its message filled from `params`."""
        from ctg_data.errors import CATALOGUE

        return cls(CATALOGUE[code].template.format(**params), code)


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


_NO_BASE = object()


def _chunks(values: list, size: int = 500) -> list[list]:
    """`values` in slices of at most `size` (bound parameters of one IN (...) list)."""
    return [values[i:i + size] for i in range(0, len(values), size)]


def _base_of(base_version_id, code: str, single: bool):
    """The version a dataset was prepared on, `_NO_BASE` when the caller gave none."""
    if isinstance(base_version_id, dict):
        return base_version_id.get(code, _NO_BASE)
    if base_version_id is None or not single:
        return _NO_BASE
    return int(base_version_id)


def _labels(sheet_key: str, frame: pd.DataFrame) -> list[str]:
    return [row_label(sheet_key, row) for row in frame.to_dict("records")]


class _CellConflict(Exception):
    def __init__(self, change: Change, newer, row_missing: bool = False):
        super().__init__(change.column)
        self.change = change
        self.newer = newer
        self.row_missing = row_missing


def merge_changes(current: CtgData, base: CtgData | None, mine: CtgData,
                  changes: list[Change]) -> CtgData:
    """`current` with the cell changes of an edit made on `base` (giving `mine`) applied: the
    three-way merge of two editors' saves. Rows are found by their label (`row_label`); a row
    the edit added is appended. Raises `_CellConflict` when a changed cell (or its row) was
    changed by someone else since `base`."""
    territoire = dict(current.territoire)
    tables = {key: frame.copy() for key, frame in current.tables.items()}
    labels: dict[str, list[str]] = {}

    def labels_of(source: dict, cache: dict, sheet: str) -> list[str]:
        if sheet not in cache:
            cache[sheet] = _labels(sheet, source[sheet])
        return cache[sheet]

    base_labels: dict[str, list[str]] = {}
    mine_labels: dict[str, list[str]] = {}
    # Rows are located before any change is applied: changing a key column renames a row.
    targets: dict[tuple[str, str], int] = {}
    for change in changes:
        if change.sheet == TERRITOIRE.key:
            if not same_value(territoire.get(change.column), change.old):
                raise _CellConflict(change, territoire.get(change.column))
            continue
        key = (change.sheet, change.row_label)
        if key in targets:
            continue
        found = [i for i, label in enumerate(labels_of(tables, labels, change.sheet))
                 if label == change.row_label]
        if len(found) > 1:  # same label twice: the row whose changed cells still hold `old`
            frame = tables[change.sheet]
            same = [i for i in found if all(
                c.column not in frame.columns or same_value(frame.at[i, c.column], c.old)
                for c in changes if (c.sheet, c.row_label) == key and c.column)]
            found = same or found
        if found:
            targets[key] = found[0]
            continue
        in_base = base is not None and change.row_label in labels_of(
            base.tables, base_labels, change.sheet)
        in_mine = [i for i, label in enumerate(labels_of(mine.tables, mine_labels, change.sheet))
                   if label == change.row_label]
        if in_base or not in_mine:  # removed or renamed by someone else meanwhile
            raise _CellConflict(change, None, row_missing=True)
        # A row added by this edit: appended, as the editor built it.
        frame = tables[change.sheet]
        row = mine.tables[change.sheet].iloc[in_mine[-1]]
        for column in row.index:
            if column not in frame.columns:
                frame[column] = pd.Series([None] * len(frame), dtype=object)
        frame = pd.concat([frame.astype(object), pd.DataFrame([row.to_dict()], dtype=object)],
                          ignore_index=True)
        tables[change.sheet] = frame
        labels[change.sheet] = labels.get(change.sheet, []) + [change.row_label]
        targets[key] = len(frame) - 1
        # Its cells already hold the new values: nothing more to check for them.
    added = {k for k, i in targets.items() if i >= len(current.tables[k[0]])}
    for change in changes:
        key = (change.sheet, change.row_label)
        if change.sheet == TERRITOIRE.key:
            territoire[change.column] = plain(change.new)
            continue
        if key in added or not change.column:
            continue
        frame, index = tables[change.sheet], targets[key]
        if change.column not in frame.columns:  # a new year column of the plan
            frame[change.column] = pd.Series([None] * len(frame), dtype=object)
        value = frame.at[index, change.column]
        if not same_value(value, change.old):
            raise _CellConflict(change, plain(value))
        frame[change.column] = frame[change.column].astype(object)
        frame.at[index, change.column] = plain(change.new)
    return CtgData(territoire, tables, frozenset(s.key for s in SHEETS))


def _french_moment(moment: datetime | None) -> str:
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


# SQLite result codes (primary, `sqlite_errorcode & 0xFF`) and PostgreSQL SQLSTATE classes
# → catalogue entry of the French message.
_SQLITE_CODES = {8: "base_lecture_seule", 13: "base_pleine", 5: "base_verrouillee",
                 6: "base_verrouillee", 14: "base_introuvable", 11: "base_corrompue",
                 26: "base_corrompue", 10: "base_erreur_disque", 23: "base_lecture_seule"}
_SQLSTATES = {"25006": "base_lecture_seule", "53100": "base_pleine", "55P03": "base_verrouillee",
              "57014": "base_verrouillee", "40P01": "base_verrouillee",
              "40001": "base_verrouillee", "XX001": "base_corrompue", "XX002": "base_corrompue",
              "53300": "base_inaccessible", "08": "base_inaccessible",
              "28": "base_inaccessible", "3D": "base_introuvable"}


def _fault_code(error: BaseException) -> str | None:
    """The catalogue code of a database fault (None: not a fault of the database itself)."""
    errorcode = getattr(error, "sqlite_errorcode", None)
    if errorcode is not None:
        return _SQLITE_CODES.get(errorcode & 0xFF, "base_inaccessible")
    sqlstate = getattr(error, "sqlstate", None)
    if sqlstate:
        return _SQLSTATES.get(sqlstate) or _SQLSTATES.get(sqlstate[:2]) or "base_inaccessible"
    text = str(error).lower()
    for needle, code in (("readonly", "base_lecture_seule"), ("read-only", "base_lecture_seule"),
                         ("disk is full", "base_pleine"), ("locked", "base_verrouillee"),
                         ("not a database", "base_corrompue"), ("malformed", "base_corrompue"),
                         ("unable to open", "base_introuvable")):
        if needle in text:
            return code
    return "base_inaccessible"


def _database_fault(context):
    # SQLAlchemy's handle_error hook: operational faults (read-only, full, locked, corrupt,
    # unreachable) become a StorageError with a French message, never the SQL or its data.
    # Integrity and programming errors are bugs or handled by callers: left as they are.
    error = context.sqlalchemy_exception
    if error is None or not (isinstance(error, (sa.exc.OperationalError, sa.exc.InternalError))
                             or type(error) is sa.exc.DatabaseError):
        return None
    code = _fault_code(context.original_exception)
    raise StorageError.of(code, base=_database_name(context.engine.url)) \
        from context.original_exception


def _database_name(url) -> str:
    """The database as people know it: the file of a SQLite URL, else host and name (never
    the password)."""
    url = make_url(url) if isinstance(url, str) else url
    if url.get_backend_name() == "sqlite":
        return str(Path(url.database or ":memory:").expanduser())
    return f"{url.database or ''} sur {url.host or 'localhost'}"


def _sqlite_file(url) -> Path | None:
    """The file of a SQLite URL, None for another backend or an in-memory database."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database or ""
    if database in ("", ":memory:") or database.startswith("file:") or parsed.query.get("uri"):
        return None
    return Path(database).expanduser()


def _create_private_file(path: Path) -> None:
    # An empty file is a valid empty SQLite database; created 0600 so that only its owner reads
    # it (SQLite gives the -wal and -shm files the permissions of the database file).
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except FileExistsError:
        pass


# Files whose full quick_check passed in this process: a big database is checked once.
_CHECKED: set[str] = set()
QUICK_CHECK_ALWAYS_BYTES = 64 * 1024 * 1024


class Store:
    """The database of CTG data. One instance per database URL; thread-safe (one connection
    per operation from SQLAlchemy's pool)."""

    def __init__(self, url: str | None = None, *, create: bool = True):
        """Open the database at `url` (default: setting `database_url`), check its health
        (`PRAGMA quick_check` on SQLite, a query and the tables on PostgreSQL) and create the
        missing tables. A SQLite file that does not exist is created (0600) only when `create`
        is true; otherwise `StorageError` « base introuvable » (a mistyped path is refused
        rather than silently created). Every database fault (missing, read-only, full, locked,
        corrupt, unreachable) is raised as `StorageError` with a French message."""
        self.url = url or settings.get("database_url")
        parsed = make_url(self.url)
        options: dict = {}
        file = _sqlite_file(self.url)
        if parsed.get_backend_name() == "sqlite":
            if file is None:
                options = {"poolclass": StaticPool, "connect_args": {"check_same_thread": False}}
            else:
                if not file.exists():
                    if not create:
                        raise StorageError.of("base_introuvable", base=str(file))
                    _create_private_file(file)
                options = {"connect_args": {"timeout": 30, "check_same_thread": False}}
        self.engine = sa.create_engine(self.url, **options)
        sa.event.listen(self.engine, "handle_error", _database_fault)
        if self.engine.dialect.name == "sqlite":
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
        try:
            self._check_health(file)
            metadata.create_all(self.engine)
            missing = set(metadata.tables) - set(sa.inspect(self.engine).get_table_names())
        except StorageError:
            self.engine.dispose()
            raise
        if missing:
            self.engine.dispose()
            raise StorageError.of("base_corrompue", base=_database_name(self.url))

    def _check_health(self, file: Path | None) -> None:
        # SQLite: quick_check reads every page (a few ms for a small base); a big file is
        # checked on its first opening in this process only. PostgreSQL checks its own pages:
        # a query tells the server answers and the database exists.
        with self.engine.connect() as conn:
            if self.engine.dialect.name != "sqlite" or file is None:
                conn.exec_driver_sql("SELECT 1").scalar()
                return
            key = str(file.resolve())
            if key in _CHECKED and file.stat().st_size > QUICK_CHECK_ALWAYS_BYTES:
                return
            result = [r[0] for r in conn.exec_driver_sql("PRAGMA quick_check").fetchall()]
            if result != ["ok"]:
                raise StorageError.of("base_corrompue", base=str(file))
            _CHECKED.add(key)

    def _rebase(self, conn, code: str, data: CtgData, base, current_id, kind: str,
                changes: list[Change]) -> CtgData:
        """What to store for a save prepared on version `base` while the territory's current
        version is `current_id` (called under the write lock): an edit's cells merged into the
        current version; `StalePreview` for anything else; `EditConflict` on a clash."""
        if kind != "edit" or not changes or current_id is None:
            by, at = self._latest_author(conn, code, base)
            label = f"{data.nom} ({code})" if data.nom else code
            from ctg_data.errors import CATALOGUE

            raise StalePreview(CATALOGUE["apercu_perime"].template.format(
                territoire=label, by=by, at=_french_moment(at)), "apercu_perime")

        def snapshot(version_id):
            version = conn.execute(sa.select(versions_t).where(
                versions_t.c.id == version_id)).first()
            return self._snapshot(conn, version) if version is not None else None

        try:
            return merge_changes(snapshot(current_id), snapshot(base) if base is not None
                                 else None, data, changes)
        except _CellConflict as clash:
            raise self._conflict(conn, code, base, clash.change, clash.newer,
                                 clash.row_missing) from None

    def _latest_author(self, conn, code: str, after) -> tuple[str, datetime | None]:
        """Who made the newest version of `code` after version `after`, as a sentence subject,
        and when."""
        row = conn.execute(sa.select(versions_t.c.author, versions_t.c.kind,
                                     versions_t.c.file_name, versions_t.c.created_at)
                           .where(versions_t.c.territory_code == code,
                                  versions_t.c.id > (after or 0))
                           .order_by(versions_t.c.id.desc()).limit(1)).first()
        return (_subject(row), row.created_at) if row is not None else ("une autre personne",
                                                                          None)

    def _conflict(self, conn, code: str, base, change: Change, newer,
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
            by, at = self._latest_author(conn, code, base)
        if change.column and not row_missing:
            message = CATALOGUE["modification_concurrente"].template.format(
                place=_place(change)[:1].upper() + _place(change)[1:], by=by,
                newer=_french_value(newer), at=_french_moment(at),
                mine=_french_value(change.new))
            code_ = "modification_concurrente"
        else:
            message = CATALOGUE["ligne_modifiee_entre_temps"].template.format(
                place=_place(change)[:1].upper() + _place(change)[1:], by=by,
                at=_french_moment(at))
            code_ = "ligne_modifiee_entre_temps"
        return EditConflict(message, code_, change=change, newer=newer, by=by, at=at)

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()

    def backup(self, path) -> Path:
        """Copy the whole database into the new file `path` (0600) with SQLite's online backup
        API: consistent even while others write, checked (`integrity_check`) before it is
        given its name. PostgreSQL: `StorageError` (use pg_dump, see the CLI's
        `sauvegarde`). Returns the path written."""
        source = _sqlite_file(self.url)
        if source is None:
            raise StorageError.of("sauvegarde_sqlite_seulement", base=_database_name(self.url))
        target = Path(path).expanduser()
        if target.exists():
            raise StorageError.of("sauvegarde_existe", fichier=str(target))
        partial = target.with_name(f".{target.name}.partielle")
        try:
            partial.unlink(missing_ok=True)
            _create_private_file(partial)
            _sqlite_copy(source, partial, standalone=True)
            os.replace(partial, target)
        except OSError as error:
            raise StorageError.of("sauvegarde_impossible", fichier=str(target),
                                  detail=error.strerror or type(error).__name__) from None
        finally:
            try:
                partial.unlink(missing_ok=True)
            except OSError:
                pass
        return target

    # -- territories and versions -------------------------------------------------------------

    def territories(self) -> list[TerritoryInfo]:
        """Every territory with its current version, by name."""
        latest = (sa.select(versions_t.c.territory_code, sa.func.max(versions_t.c.id).label("vid"))
                  .group_by(versions_t.c.territory_code).subquery())
        query = (sa.select(territories_t.c.code, territories_t.c.nom, versions_t.c.id,
                           versions_t.c.created_at)
                 .join(latest, latest.c.territory_code == territories_t.c.code)
                 .join(versions_t, versions_t.c.id == latest.c.vid)
                 .order_by(territories_t.c.nom, territories_t.c.code))
        with self.engine.connect() as conn:
            return [TerritoryInfo(code=r.code, nom=r.nom, version_id=r.id, updated_at=r.created_at)
                    for r in conn.execute(query)]

    def current_tables(self, sheets=None) -> CurrentTables:
        """For every territory's current version, the rows of table sheets `sheets` (keys; all
        table sheets when None) as ONE conformed DataFrame per sheet with a `code_insee`
        column, the territories' fields and version dates: the input of the cross-territory
        indicators (ctg_data.territories). Two queries, whatever the number of territories."""
        import itertools
        import json

        from ctg_data.model import conform

        keys = [s.key for s in TABLE_SHEETS if sheets is None or s.key in set(sheets)]
        current = (sa.select(sa.func.max(versions_t.c.id).label("vid"))
                   .group_by(versions_t.c.territory_code).subquery())
        with self.engine.connect() as conn:
            versions = conn.execute(
                sa.select(versions_t.c.id, versions_t.c.territory_code, versions_t.c.created_at,
                          versions_t.c.territoire, versions_t.c.columns,
                          versions_t.c.row_counts)
                .join(current, current.c.vid == versions_t.c.id)
                .order_by(versions_t.c.territory_code)).all()
            # The JSON as text (a CAST: PostgreSQL drivers would decode a json column row by
            # row), decoded below in one call, cheaper than one json.loads per row.
            rows = conn.execute(
                sa.select(version_rows_t.c.version_id, version_rows_t.c.sheet,
                          sa.cast(version_rows_t.c.data, sa.Text))
                .join(current, current.c.vid == version_rows_t.c.version_id)
                .where(version_rows_t.c.sheet.in_(keys))
                .order_by(version_rows_t.c.version_id, version_rows_t.c.sheet,
                          version_rows_t.c.position)).all() if keys else []
        code_of = {v.id: v.territory_code for v in versions}
        columns_of = {v.id: v.columns for v in versions}
        values = json.loads("[" + ",".join(r[2] for r in rows) + "]") if rows else []
        # Runs of rows of one version and sheet (the query's order), gathered by sheet and by
        # the column list of their version (usually one list for a whole import).
        groups: dict[tuple, tuple[list, list]] = {}
        start = 0
        for (version_id, sheet), run in itertools.groupby(rows, key=lambda r: (r[0], r[1])):
            n = sum(1 for _ in run)
            cols = tuple(columns_of[version_id].get(sheet, ()))
            codes, data = groups.setdefault((sheet, cols), ([], []))
            codes.extend([code_of[version_id]] * n)
            data.extend(values[start:start + n])
            start += n
        tables = {}
        for key in keys:
            parts = []
            for (sheet, cols), (codes, data) in groups.items():
                if sheet == key:
                    frame = _rows_to_frame(list(cols), data)
                    parts.append(frame.assign(code_insee=codes) if len(frame.columns)
                                 else frame)
            frame = conform(key, pd.concat(parts, ignore_index=True) if parts
                            else pd.DataFrame())
            codes = frame.pop("code_insee") if "code_insee" in frame else \
                pd.Series([], dtype=object)
            frame.insert(0, "code_insee", codes.astype(object))
            tables[key] = frame
        territoires = pd.DataFrame(
            [{c.key: v.territoire.get(c.key) for c in TERRITOIRE.columns}
             | {"code_insee": v.territory_code, "version_id": v.id, "updated_at": v.created_at,
                "row_counts": dict(v.row_counts or {})} for v in versions],
            columns=[c.key for c in TERRITOIRE.columns]
            + ["version_id", "updated_at", "row_counts"])
        return CurrentTables(territoires=territoires, tables=tables,
                             columns={v.territory_code: dict(v.columns) for v in versions})

    def _current_id(self, conn, code: str) -> int | None:
        return conn.execute(sa.select(sa.func.max(versions_t.c.id))
                            .where(versions_t.c.territory_code == code)).scalar()

    def load(self, code: str, version_id: int | None = None) -> CtgData | None:
        """The data of territory `code` at its current version (or at `version_id`), or None
        when there is no such territory/version. Every sheet of the result is complete, so
        `present` lists all sheets."""
        with self.engine.connect() as conn:
            if version_id is None:
                version_id = self._current_id(conn, code)
                if version_id is None:
                    return None
            version = conn.execute(sa.select(versions_t).where(
                versions_t.c.id == version_id, versions_t.c.territory_code == code)).first()
            if version is None:
                return None
            return self._snapshot(conn, version)

    def _snapshot(self, conn, version) -> CtgData:
        rows: dict[str, list] = {}
        for r in conn.execute(sa.select(version_rows_t.c.sheet, version_rows_t.c.data)
                              .where(version_rows_t.c.version_id == version.id)
                              .order_by(version_rows_t.c.sheet, version_rows_t.c.position)):
            rows.setdefault(r.sheet, []).append(r.data)
        tables = {key: _rows_to_frame(cols, rows.get(key, []))
                  for key, cols in version.columns.items() if key in SHEETS_BY_KEY}
        return CtgData(dict(version.territoire), tables, frozenset(s.key for s in SHEETS))

    def save(self, datasets: list[CtgData], *, kind: str, author: str = "",
             file_name: str | None = None, content_hash: str | None = None,
             warnings: list[str] | dict[str, list[str]] = (), changes: list[Change] = (),
             summary: str = "", actor: Account | None = None,
             base_version_id: int | dict | None = None) -> list[int]:
        """Store one new version per dataset, all in one transaction (all or nothing), and return
        their ids. `base_version_id` is the version the data was prepared on (an int for one
        dataset, or {code: id, None for a territory then absent}): checked inside the write
        transaction, an edit made on an older version has its `changes` merged into the current
        version, or raises `EditConflict` when someone changed the same cell meanwhile; any other
        save raises `StalePreview`. Sheets not in `dataset.present` (Territoire included) are carried over from
        the territory's current version. `changes` are recorded against the version of their
        territory (`Change.code`, or the only dataset). `actor` must be allowed to write every
        territory (accounts.AccessDenied otherwise); the author recorded is then the actor's."""
        if kind not in KINDS:
            raise ValueError(f"Type de version inconnu : {kind!r}.")
        codes = [d.code for d in datasets]
        acting, author = _authorise(actor, kind, codes, author)
        if any(not isinstance(c, str) or not c.strip() for c in codes):
            raise ValueError("Chaque territoire doit avoir un code INSEE.")
        if len(set(codes)) != len(codes):
            raise ValueError("Le même territoire apparaît deux fois dans un enregistrement.")
        changes = list(changes)
        unknown = {c.code for c in changes if c.code is not None} - set(codes)
        if unknown or (len(datasets) > 1 and any(c.code is None for c in changes)):
            raise ValueError("Chaque modification doit désigner un des territoires enregistrés.")
        # `warnings`: the same list for every version, or each territory's own list.
        if isinstance(warnings, dict):
            warnings = {str(k): [str(w) for w in v] for k, v in warnings.items()}
            own = [warnings.get(d.code, []) for d in datasets]
        else:
            warnings = [str(w) for w in warnings]
            own = [warnings] * len(datasets)
        summary = summary or _default_summary(kind, file_name, len(changes))
        with self.engine.begin() as conn:
            ids = self._save_many(
                conn, datasets, kind=kind, author=author, file_name=file_name,
                content_hash=content_hash, warnings=own, summary=summary,
                changes=[[c for c in changes if c.code in (None, data.code)]
                         for data in datasets],
                bases=[_base_of(base_version_id, data.code, len(datasets) == 1)
                       for data in datasets])
            _audit_saves(conn, acting, kind, datasets, ids, summary)
        return ids

    def _save_many(self, conn, datasets: list[CtgData], *, kind, author, file_name,
                   content_hash, warnings: list[list[str]], summary,
                   changes: list[list[Change]], bases: list) -> list[int]:
        """Store one new version per dataset in transaction `conn` with a few statements
        whatever their number (a Caf imports 650 territories at once): the territories are
        locked, their current versions read, then versions, rows and changes are inserted in
        bulk. `warnings`, `changes` and `bases` are per dataset."""
        codes = [data.code.strip() for data in datasets]
        # Writing first takes the database's write lock (SQLite) or the territories' row locks
        # (PostgreSQL) before the current versions are read: concurrent saves are serialised.
        existing: set[str] = set()
        for chunk in _chunks(codes):
            conn.execute(sa.update(territories_t).where(territories_t.c.code.in_(chunk))
                         .values(nom=territories_t.c.nom))
            existing.update(conn.execute(sa.select(territories_t.c.code)
                                         .where(territories_t.c.code.in_(chunk))).scalars())
        missing = [code for code in codes if code not in existing]
        if missing:
            try:
                conn.execute(sa.insert(territories_t), [{"code": c, "nom": ""} for c in missing])
            except sa.exc.IntegrityError:
                # PostgreSQL: another transaction created a territory meanwhile (SQLite
                # serialises writers before this point). Its transaction is now aborted.
                from ctg_data.errors import CATALOGUE

                data = datasets[codes.index(missing[0])]
                raise StalePreview(CATALOGUE["apercu_perime"].template.format(
                    territoire=f"{data.nom} ({missing[0]})" if data.nom else missing[0],
                    by="un autre enregistrement simultané", at=_french_moment(now_utc())),
                    "apercu_perime") from None
        current_ids: dict[str, int] = {}
        for chunk in _chunks(codes):
            current_ids.update(conn.execute(
                sa.select(versions_t.c.territory_code, sa.func.max(versions_t.c.id))
                .where(versions_t.c.territory_code.in_(chunk))
                .group_by(versions_t.c.territory_code)).all())
        datasets = list(datasets)
        for i, (code, base) in enumerate(zip(codes, bases)):
            current_id = current_ids.get(code)
            if base is not _NO_BASE and base != current_id:  # someone saved since (locked)
                datasets[i] = self._rebase(conn, code, datasets[i], base, current_id, kind,
                                           changes[i])
        currents: dict[int, object] = {}
        for chunk in _chunks(list(current_ids.values())):
            currents.update((r.id, r) for r in conn.execute(
                sa.select(versions_t.c.id, versions_t.c.columns, versions_t.c.row_counts,
                          versions_t.c.territoire).where(versions_t.c.id.in_(chunk))))

        at = now_utc()
        # The rows of every table to store, converted for all territories at once.
        wanted = [(i, sheet.key) for i, (code, data) in enumerate(zip(codes, datasets))
                  for sheet in TABLE_SHEETS
                  if not (currents.get(current_ids.get(code)) is not None
                          and sheet.key not in data.present
                          and sheet.key in currents[current_ids[code]].columns)]
        converted = _datasets_rows(datasets, wanted)
        versions, names, fresh_rows, carried_sheets = [], [], [], []
        for position, (code, data, own) in enumerate(zip(codes, datasets, warnings)):
            current = currents.get(current_ids.get(code))
            territoire = {str(k): plain(v) for k, v in data.territoire.items()}
            if current is not None and TERRITOIRE.key not in data.present:
                # A file without a Territoire sheet (a one-sheet CSV) keeps the stored fields.
                territoire = dict(current.territoire)
            nom = str(territoire.get("nom") or "")
            fresh, carried, columns, counts = {}, [], {}, {}
            for sheet in TABLE_SHEETS:
                if current is not None and sheet.key not in data.present \
                        and sheet.key in current.columns:
                    carried.append(sheet.key)
                    columns[sheet.key] = current.columns[sheet.key]
                    counts[sheet.key] = int(current.row_counts.get(sheet.key, 0))
                else:
                    columns[sheet.key], fresh[sheet.key] = converted[(position, sheet.key)]
                    counts[sheet.key] = len(fresh[sheet.key])
            names.append({"b_code": code, "b_nom": nom})
            versions.append(dict(
                territory_code=code, nom=nom, created_at=at, kind=kind, author=author or "",
                file_name=file_name, content_hash=content_hash, row_counts=counts,
                warnings=list(own), summary=summary, parent_version_id=None,
                territoire=territoire, columns=columns))
            fresh_rows.append(fresh)
            carried_sheets.append(carried)
        conn.execute(sa.update(territories_t).where(territories_t.c.code == sa.bindparam("b_code"))
                     .values(nom=sa.bindparam("b_nom")), names)
        ids = self._insert_versions(conn, versions)

        # Every row of every version in one executemany. On SQLite the JSON text (what the
        # JSON column stores) goes straight to the driver: 68,000 rows in one C loop.
        if conn.dialect.name == "sqlite":
            encode = _row_encoder()
            records = [(version_id, key, i, encode(row))
                       for version_id, fresh in zip(ids, fresh_rows)
                       for key, rows in fresh.items() for i, row in enumerate(rows)]
            if records:
                conn.exec_driver_sql(
                    f"INSERT INTO {version_rows_t.name} (version_id, sheet, position, data) "
                    "VALUES (?, ?, ?, ?)", records)
        else:
            records = [{"version_id": version_id, "sheet": key, "position": i, "data": row}
                       for version_id, fresh in zip(ids, fresh_rows)
                       for key, rows in fresh.items() for i, row in enumerate(rows)]
            if records:
                conn.execute(sa.insert(version_rows_t), records)
        for code, version_id, carried in zip(codes, ids, carried_sheets):
            if carried:
                self._copy_rows(conn, current_ids[code], version_id, carried)
        recorded = [{"version_id": version_id, "sheet": c.sheet, "row_label": c.row_label or "",
                     "column_key": c.column or "", "old_value": plain(c.old),
                     "new_value": plain(c.new)}
                    for version_id, mine in zip(ids, changes) for c in mine]
        if recorded:
            conn.execute(sa.insert(changes_t), recorded)
        return ids

    @staticmethod
    def _insert_versions(conn, versions: list[dict]) -> list[int]:
        """Insert version records, returning their ids in order (one statement when the
        database returns generated ids of a multi-row insert in order)."""
        if len(versions) > 1 and conn.dialect.insert_executemany_returning_sort_by_parameter_order:
            result = conn.execute(sa.insert(versions_t).returning(
                versions_t.c.id, sort_by_parameter_order=True), versions)
            return [row[0] for row in result]
        return [conn.execute(sa.insert(versions_t).values(**v)).inserted_primary_key[0]
                for v in versions]

    @staticmethod
    def _copy_rows(conn, source_id: int, target_id: int, sheets: list[str] | None = None):
        query = sa.select(sa.literal(target_id, sa.Integer), version_rows_t.c.sheet,
                          version_rows_t.c.position, version_rows_t.c.data).where(
            version_rows_t.c.version_id == source_id)
        if sheets is not None:
            query = query.where(version_rows_t.c.sheet.in_(sheets))
        conn.execute(sa.insert(version_rows_t).from_select(
            ["version_id", "sheet", "position", "data"], query))

    def restore(self, version_id: int, author: str = "", *,
                actor: Account | None = None) -> int:
        """Make a new current version that is a copy of version `version_id`; return its id.
        Only an administrator may restore (accounts.AccessDenied otherwise)."""
        acting, author = _authorise(actor, "restore", (), author)
        with self.engine.begin() as conn:
            old = conn.execute(sa.select(versions_t).where(versions_t.c.id == version_id)).first()
            if old is None:
                raise KeyError(f"Version {version_id} introuvable.")
            # Lock first (see _save_one), then copy the snapshot as it was.
            conn.execute(sa.update(territories_t).where(
                territories_t.c.code == old.territory_code).values(nom=old.nom))
            new_id = conn.execute(sa.insert(versions_t).values(
                territory_code=old.territory_code, nom=old.nom, created_at=now_utc(),
                kind="restore", author=author or "", file_name=old.file_name,
                content_hash=old.content_hash, row_counts=old.row_counts, warnings=old.warnings,
                summary=f"Restauration de la version {version_id}.",
                parent_version_id=version_id, territoire=old.territoire,
                columns=old.columns)).inserted_primary_key[0]
            self._copy_rows(conn, version_id, new_id)
            _audit(conn, acting, "restauration", old.territory_code,
                   f"Version {version_id} restaurée : nouvelle version {new_id}.")
        return new_id

    def versions(self, code: str | None = None) -> list[VersionInfo]:
        """The stored versions (of territory `code`, or all), newest first."""
        query = sa.select(versions_t).order_by(versions_t.c.id.desc())
        if code is not None:
            query = query.where(versions_t.c.territory_code == code)
        return self._version_infos(query)

    def find_by_hash(self, content_hash: str) -> list[VersionInfo]:
        """The versions created from a file with this content hash, newest first."""
        return self._version_infos(sa.select(versions_t).where(
            versions_t.c.content_hash == content_hash).order_by(versions_t.c.id.desc()))

    def _version_infos(self, query) -> list[VersionInfo]:
        current_ids = (sa.select(sa.func.max(versions_t.c.id))
                       .group_by(versions_t.c.territory_code))
        with self.engine.connect() as conn:
            current = set(conn.execute(current_ids).scalars())
            return [VersionInfo(
                id=r.id, code=r.territory_code, nom=r.nom, created_at=r.created_at, kind=r.kind,
                author=r.author, file_name=r.file_name, content_hash=r.content_hash,
                row_counts=dict(r.row_counts), warnings=list(r.warnings), summary=r.summary,
                is_current=r.id in current, parent_version_id=r.parent_version_id)
                for r in conn.execute(query)]

    def history(self, code: str, *, sheet: str | None = None, row_label: str | None = None,
                column: str | None = None) -> list[Change]:
        """The recorded value changes of territory `code`, newest first, optionally only those
        of one sheet, row and column."""
        query = (sa.select(changes_t, versions_t.c.created_at, versions_t.c.author,
                           versions_t.c.territory_code)
                 .join(versions_t, versions_t.c.id == changes_t.c.version_id)
                 .where(versions_t.c.territory_code == code)
                 .order_by(changes_t.c.version_id.desc(), changes_t.c.id))
        if sheet is not None:
            query = query.where(changes_t.c.sheet == sheet)
        if row_label is not None:
            query = query.where(changes_t.c.row_label == row_label)
        if column is not None:
            query = query.where(changes_t.c.column_key == column)
        with self.engine.connect() as conn:
            return [Change(sheet=r.sheet, row_label=r.row_label, column=r.column_key,
                           old=r.old_value, new=r.new_value, version_id=r.version_id,
                           at=r.created_at, author=r.author, code=r.territory_code)
                    for r in conn.execute(query)]

    # -- comments -----------------------------------------------------------------------------

    def add_comment(self, code: str, chart_key: str, text: str, author: str = "",
                    annee: int | None = None, *, actor: Account | None = None) -> int:
        """Store a comment on chart `chart_key` of territory `code`; return its id. `actor`
        must be allowed to comment that territory (accounts.AccessDenied otherwise)."""
        acting, author = _authorise(actor, "comment", (code,), author)
        text = (text or "").strip()
        if not text:
            raise ValueError("Le commentaire est vide.")
        from ctg_data import schemas, validation   # validation reads the store's model
        if (refused := validation.text_problem(schemas.COMMENT, text)) is not None:
            raise ValueError(f"Commentaire non enregistré : {refused.message}.")
        with self.engine.begin() as conn:
            comment_id = conn.execute(sa.insert(comments_t).values(
                territory_code=code, chart_key=chart_key, annee=None if annee is None
                else int(annee), text=text, author=author or "",
                created_at=now_utc())).inserted_primary_key[0]
            _audit(conn, acting, "commentaire", code, f"Commentaire sur « {chart_key} ».")
            return comment_id

    def comments(self, code: str, chart_key: str | None = None) -> list[Comment]:
        """The comments of territory `code` (on one chart, or all), newest first."""
        query = (sa.select(comments_t).where(comments_t.c.territory_code == code)
                 .order_by(comments_t.c.id.desc()))
        if chart_key is not None:
            query = query.where(comments_t.c.chart_key == chart_key)
        with self.engine.connect() as conn:
            return [Comment(id=r.id, code=r.territory_code, chart_key=r.chart_key, annee=r.annee,
                            text=r.text, author=r.author, created_at=r.created_at)
                    for r in conn.execute(query)]

    # -- reference figures --------------------------------------------------------------------

    def save_references(self, rows, *, file_name: str,
                        content_hash: str | None, actor: Account | None = None) -> int:
        """Store reference rows (long format, see REFERENCE_COLUMNS) from one file in one
        transaction; return the import id. `rows` is one DataFrame or an iterable of them (the
        chunks of a large file, inserted one after the other: memory stays bounded). A file
        already imported (same hash) is not stored again: its earlier import id is returned.
        Each row keeps its `edition`: two editions of the same figure are both stored (see
        `references` for the one shown). `actor` must be allowed to import reference figures
        (accounts.AccessDenied otherwise)."""
        acting, _ = _authorise(actor, "references", ())
        chunks = [rows] if isinstance(rows, pd.DataFrame) else rows
        with self.engine.begin() as conn:
            if content_hash:
                earlier = conn.execute(sa.select(reference_imports_t.c.id).where(
                    reference_imports_t.c.content_hash == content_hash)).scalar()
                if earlier is not None:
                    return earlier
            import_id = conn.execute(sa.insert(reference_imports_t).values(
                file_name=file_name or "", content_hash=content_hash, created_at=now_utc(),
                row_count=0)).inserted_primary_key[0]
            count = 0
            spans: dict[tuple[str, str], tuple[int, int]] = {}
            for chunk in chunks:
                records = _reference_records(chunk, import_id)
                _insert_many(conn, reference_values_t, _REFERENCE_INSERT_COLUMNS, records)
                count += len(records)
                _edition_spans(chunk, spans)
            conn.execute(sa.update(reference_imports_t).where(
                reference_imports_t.c.id == import_id).values(row_count=count))
            _record_editions(conn, spans, import_id)
            _audit(conn, acting, "references", None,
                   f"Import {import_id} : {count} valeurs de « {file_name} ».")
        return import_id

    def references(self, *, niveau: str | None = None, code: str | None = None,
                   codes=None, annee: int | None = None, editions: bool = False
                   ) -> pd.DataFrame:
        """Stored reference figures (columns REFERENCE_COLUMNS), one per niveau, code, année,
        indicateur and source: the value of the edition shown (`edition_ranks`: the edition
        the user prefers, else the one covering the most recent year, else the last imported;
        whatever the import order), and within an edition the newest import. With `editions`,
        one row per edition instead, and a boolean column `retenue` marking the one shown.
        Filtered in SQL by `niveau`, `code`, `annee` and `codes`: an iterable of codes (any
        level), or a mapping {niveau: codes} where None stands for every code of that level
        (`{"commune": ["59367"], "france": None}`). A territory's figures are a few hundred
        rows of a table that can hold a national file: never read the whole table to pick
        some."""
        t = reference_values_t
        query = sa.select(t.c.import_id, t.c.id, *(t.c[c] for c in REFERENCE_COLUMNS))
        if niveau is not None:
            query = query.where(t.c.niveau == niveau)
        if code is not None:
            query = query.where(t.c.code == str(code))
        if annee is not None:
            query = query.where(t.c.annee == int(annee))
        queries = ([query] if codes is None else
                   [query.where(sa.or_(*group)) for group in _code_conditions(codes)])
        found: list = []
        with self.engine.connect() as conn:
            for part in queries:
                found += conn.execute(part.order_by(t.c.import_id, t.c.id)).all()
        ranks = self.edition_ranks()
        frame = _reference_frame(found)
        if len(queries) > 1:
            # Several queries (long code lists): back to the import order, each row once.
            frame = frame.drop_duplicates("id").sort_values(["import_id", "id"], kind="stable")
        return _shown(frame, ranks, editions)

    def edition_ranks(self) -> dict[tuple[str, str], int]:
        """{(source, edition): rank}: for the same figure, the edition of highest rank is
        shown. Rank order: preferred by the user, then the edition covering the most recent
        year, then the one imported last. Read from `reference_editions` (a few rows); a
        database whose imports predate that table gets it filled from the values once."""
        e, i = reference_editions_t, reference_imports_t
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(e.c.source, e.c.edition, e.c.annee_max,
                                          e.c.import_id, e.c.preferred)).all()
            known = max((r.import_id for r in rows), default=0)
            latest = conn.execute(sa.select(sa.func.max(i.c.id)).where(
                i.c.row_count > 0)).scalar() or 0
        if latest > known:
            rows = self._backfill_editions(known)
        ordered = sorted(rows, key=lambda r: (bool(r.preferred), r.annee_max or 0,
                                              r.import_id or 0))
        return {(r.source, r.edition): rank for rank, r in enumerate(ordered)}

    def _backfill_editions(self, after: int) -> list:
        """Fill `reference_editions` from the values of the imports after `after` (imports
        stored before the table existed); return its rows."""
        t, e = reference_values_t, reference_editions_t
        query = (sa.select(t.c.source, t.c.edition, sa.func.min(t.c.annee),
                           sa.func.max(t.c.annee), sa.func.max(t.c.import_id))
                 .where(t.c.import_id > after).group_by(t.c.source, t.c.edition))
        with self.engine.begin() as conn:
            for source, edition, low, high, last in conn.execute(query).all():
                _record_editions(conn, {(source or "", edition or ""): (low, high)}, last)
            return conn.execute(sa.select(e.c.source, e.c.edition, e.c.annee_max,
                                          e.c.import_id, e.c.preferred)).all()

    def reference_editions(self) -> list[dict]:
        """The editions of the stored reference figures: source, edition, annee_min,
        annee_max, import_id (its last import), file_name and created_at (of that import),
        preferred (marked by the user) and shown (the edition whose values are shown when
        editions of the same source disagree), sorted by source then most recent first."""
        ranks = self.edition_ranks()
        e, i = reference_editions_t, reference_imports_t
        query = (sa.select(e.c.source, e.c.edition, e.c.annee_min, e.c.annee_max,
                           e.c.import_id, e.c.preferred, i.c.file_name, i.c.created_at)
                 .select_from(e.outerjoin(i, i.c.id == e.c.import_id)))
        with self.engine.connect() as conn:
            rows = [dict(r._mapping) for r in conn.execute(query)]
        best: dict[str, int] = {}
        for r in rows:
            rank = ranks.get((r["source"], r["edition"]), -1)
            best[r["source"]] = max(best.get(r["source"], -1), rank)
        for r in rows:
            r["preferred"] = bool(r["preferred"])
            r["shown"] = ranks.get((r["source"], r["edition"]), -1) == best[r["source"]]
        return sorted(rows, key=lambda r: (r["source"], -ranks.get((r["source"],
                                                                     r["edition"]), -1)))

    def set_preferred_edition(self, source: str, edition: str | None, *,
                              actor: Account | None = None) -> None:
        """Mark `edition` as the preferred edition of `source` (its values are shown where
        editions disagree), or with None go back to the default (the edition covering the most
        recent year). Changes `reference_version()`. Same right as importing references."""
        acting, _ = _authorise(actor, "references", ())
        e = reference_editions_t
        with self.engine.begin() as conn:
            names = {r[0] for r in conn.execute(sa.select(e.c.edition).where(
                e.c.source == source))}
            if edition is not None and edition not in names:
                raise ValueError(f"Édition inconnue pour « {source} » : « {edition} ».")
            step = (conn.execute(sa.select(sa.func.max(e.c.changed))).scalar() or 0) + 1
            conn.execute(sa.update(e).where(e.c.source == source).values(
                preferred=False, changed=step))
            if edition is not None:
                conn.execute(sa.update(e).where(e.c.source == source,
                                                e.c.edition == edition).values(preferred=True))
            _audit(conn, acting, "references", None,
                   f"Édition préférée de « {source} » : « {edition} »." if edition else
                   f"Édition par défaut pour « {source} ».")

    def reference_conflicts(self, *, import_id: int | None = None, codes=None
                            ) -> pd.DataFrame:
        """The figures on which two editions disagree (values differ, or one is missing):
        columns niveau, code, nom, annee, indicateur, source, valeur_affichee,
        edition_affichee, valeur_autre, edition_autre — one row per edition not shown.
        `import_id`: the editions of that import against the other editions of the same
        source, on the years they share (read in SQL by source, edition and year); `codes`
        (as in `references`): the places of a territory."""
        if codes is not None:
            return _conflicts(self.references(codes=codes, editions=True))
        ranks = self.edition_ranks()
        t, e = reference_values_t, reference_editions_t
        parts = []
        with self.engine.connect() as conn:
            editions = conn.execute(sa.select(e.c.source, e.c.edition, e.c.annee_min,
                                              e.c.annee_max, e.c.import_id)).all()
            mine = [r for r in editions if import_id is None or r.import_id == import_id]
            for m in mine:
                others = [o for o in editions if o.source == m.source
                          and o.edition != m.edition and o.annee_min is not None
                          and m.annee_min is not None and o.annee_min <= m.annee_max
                          and m.annee_min <= o.annee_max]
                if not others:
                    continue
                low = max(m.annee_min, min(o.annee_min for o in others))
                high = min(m.annee_max, max(o.annee_max for o in others))
                where = (t.c.source == m.source, t.c.annee.between(low, high),
                         t.c.edition.in_([m.edition, *(o.edition for o in others)]))
                # A national file is half a million rows per edition: the database first
                # finds the places where the stored values of a figure are not all equal (a
                # superset of the conflicts), then only their rows are read, without names.
                differing = (sa.select(t.c.niveau, t.c.code).where(*where)
                             .group_by(t.c.niveau, t.c.code, t.c.annee, t.c.indicateur)
                             .having(sa.func.count(sa.distinct(
                                 sa.func.coalesce(t.c.valeur, _MISSING_MARK))) > 1)
                             .subquery())
                places = conn.execute(sa.select(differing.c.niveau, differing.c.code)
                                      .distinct()).all()
                found = []
                for niveau in sorted({p.niveau for p in places}):
                    wanted = sorted({p.code for p in places if p.niveau == niveau})
                    for i in range(0, len(wanted), _MAX_PARAMS):
                        found += conn.execute(
                            sa.select(t.c.import_id, t.c.id, t.c.niveau, t.c.code, t.c.annee,
                                      t.c.indicateur, t.c.valeur, t.c.edition)
                            .where(*where, t.c.niveau == niveau,
                                   t.c.code.in_(wanted[i:i + _MAX_PARAMS]))).all()
                found.sort(key=lambda r: (r[0], r[1]))          # import order
                names = ["import_id", "id", "niveau", "code", "annee", "indicateur", "valeur",
                         "edition"]
                columns = list(zip(*found)) if found else [()] * len(names)
                part = pd.DataFrame({n: pd.Series(c, dtype=object) for n, c in
                                     zip(names, columns)}).assign(source=m.source, nom="")
                conflicts = _conflicts(_shown(part, ranks, True))
                if len(conflicts):
                    conflicts["nom"] = self._place_names(conn, m.source, conflicts)
                parts.append(conflicts)
        parts = [p for p in parts if len(p)]
        if not parts:
            return _conflicts(pd.DataFrame())
        return pd.concat(parts, ignore_index=True).drop_duplicates().reset_index(drop=True)

    @staticmethod
    def _place_names(conn, source: str, conflicts: pd.DataFrame) -> list[str]:
        """The names of the places of `conflicts` (one source), as the files give them."""
        t = reference_values_t
        names: dict = {}
        for niveau, part in conflicts.groupby("niveau"):
            wanted = sorted(set(part["code"]))
            for i in range(0, len(wanted), _MAX_PARAMS):
                query = (sa.select(t.c.code, t.c.nom).distinct()
                         .where(t.c.source == source, t.c.niveau == niveau,
                                t.c.code.in_(wanted[i:i + _MAX_PARAMS])))
                for code, nom in conn.execute(query):
                    if nom:
                        names.setdefault((niveau, code), nom)
        return [names.get((n, c), "") for n, c in zip(conflicts["niveau"], conflicts["code"])]

    def reference_version(self) -> int:
        """A number that changes with every reference import and every change of preferred
        edition (the last import id plus the number of preference changes; 0 when nothing was
        imported), so that what is computed from the references can be cached on it."""
        with self.engine.connect() as conn:
            last = conn.execute(sa.select(sa.func.max(reference_imports_t.c.id))).scalar()
            changed = conn.execute(sa.select(sa.func.max(reference_editions_t.c.changed))
                                   ).scalar()
        return int(last or 0) + int(changed or 0)

    def reference_places(self, niveaux) -> pd.DataFrame:
        """The distinct places of the stored reference figures of the levels `niveaux`:
        niveau, code, nom and `valeurs` (how many values that are not missing), without
        reading the values themselves (to find an EPCI by its name)."""
        t = reference_values_t
        query = (sa.select(t.c.niveau, t.c.code, t.c.nom, sa.func.count(t.c.valeur))
                 .where(t.c.niveau.in_(list(niveaux))).group_by(t.c.niveau, t.c.code, t.c.nom))
        with self.engine.connect() as conn:
            return pd.DataFrame(conn.execute(query).all(),
                                columns=["niveau", "code", "nom", "valeurs"])

    def reference_imports(self) -> list[dict]:
        """The reference imports, newest first: id, file_name, content_hash, created_at,
        row_count."""
        t = reference_imports_t
        query = sa.select(t.c.id, t.c.file_name, t.c.content_hash, t.c.created_at,
                          t.c.row_count).order_by(t.c.id.desc())
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

# -- reference rows in bulk (save_references, references) ---------------------------------------

_REFERENCE_INSERT_COLUMNS = ("import_id", *REFERENCE_COLUMNS)
# Rows per INSERT batch, and bound parameters per SELECT (SQLite's historical limit is 999).
_INSERT_BATCH = 10_000
_MAX_PARAMS = 900
# Stands for a missing value when counting the distinct values of a figure (never a rate).
_MISSING_MARK = -999_999.0


def _text_column(frame: pd.DataFrame, name: str, clean=None) -> list[str]:
    """Column `name` as text, missing values (None, NaN, absent column) as "", `clean`
    applied. Each distinct value is converted once and shared by its rows: a national file
    repeats its source and edition on 500 000 rows."""
    if name not in frame.columns:
        return [clean("") if clean else ""] * len(frame)
    codes, uniques = pd.factorize(frame[name], use_na_sentinel=True)
    texts = ["" if v is None or v != v else str(v) for v in uniques.tolist()]
    if clean is not None:
        texts = [clean(v) for v in texts]
    texts.append("")                # index -1: the missing values
    return np.asarray(texts, dtype=object)[codes].tolist()


def _reference_records(rows: pd.DataFrame, import_id: int) -> list[tuple]:
    """Plain tuples (in the order of _REFERENCE_INSERT_COLUMNS) of long reference rows, built
    column by column: a national file has hundreds of thousands of rows."""
    missing = [c for c in ("niveau", "code", "annee", "indicateur", "valeur")
               if c not in rows.columns]
    if missing:
        raise ValueError("Colonnes manquantes dans les données de référence : "
                         + ", ".join(missing) + ".")
    if rows["annee"].isna().any():
        raise ValueError("Chaque donnée de référence doit avoir une année.")
    if rows.empty:
        return []
    niveau = _text_column(rows, "niveau", lambda v: v.strip().lower())
    code = _text_column(rows, "code", str.strip)
    annee = pd.to_numeric(rows["annee"]).astype("int64").tolist()
    valeur = pd.to_numeric(rows["valeur"], errors="coerce").astype("float64")
    if np.isinf(valeur.to_numpy()).any():
        raise ValueError("Valeur infinie impossible à enregistrer.")
    valeur = [None if v != v else v for v in valeur.tolist()]   # NaN -> NULL
    return list(zip([import_id] * len(rows), niveau, code, _text_column(rows, "nom"), annee,
                    _text_column(rows, "indicateur"), valeur, _text_column(rows, "source"),
                    _text_column(rows, "edition")))


def _edition_spans(rows: pd.DataFrame, spans: dict) -> None:
    """Add to `spans` {(source, edition): (first year, last year)} the years of `rows` (one
    chunk), by whole columns."""
    if rows.empty:
        return
    frame = pd.DataFrame({
        name: (rows[name].fillna("").astype(str) if name in rows.columns else "")
        for name in ("source", "edition")} | {"annee": pd.to_numeric(rows["annee"])})
    for (source, edition), low, high in frame.groupby(["source", "edition"])["annee"] \
            .agg(["min", "max"]).itertuples(name=None):
        old = spans.get((source, edition))
        low, high = int(low), int(high)
        spans[(source, edition)] = (low, high) if old is None else \
            (min(old[0], low), max(old[1], high))


def _record_editions(conn, spans: dict, import_id: int) -> None:
    """Create or widen the `reference_editions` rows of `spans` (years of one import)."""
    e = reference_editions_t
    for (source, edition), (low, high) in spans.items():
        row = conn.execute(sa.select(e.c.id, e.c.annee_min, e.c.annee_max).where(
            e.c.source == source, e.c.edition == edition)).first()
        if row is None:
            conn.execute(sa.insert(e).values(source=source, edition=edition, annee_min=low,
                                             annee_max=high, import_id=import_id,
                                             preferred=False, changed=0))
        else:
            conn.execute(sa.update(e).where(e.c.id == row.id).values(
                annee_min=min(low, row.annee_min if row.annee_min is not None else low),
                annee_max=max(high, row.annee_max if row.annee_max is not None else high),
                import_id=max(import_id, 0)))


def _reference_frame(found: list) -> pd.DataFrame:
    """Rows read from `reference_values` (import_id, id, REFERENCE_COLUMNS), built column
    by column: 3× faster than a DataFrame built from row objects."""
    names = ["import_id", "id", *REFERENCE_COLUMNS]
    columns = list(zip(*found)) if found else [()] * len(names)
    return pd.DataFrame({n: pd.Series(c) for n, c in zip(names, columns)})


def _shown(frame: pd.DataFrame, ranks: dict, editions: bool) -> pd.DataFrame:
    """The values shown from rows in import order (see Store.references): the edition of
    highest rank of each figure, and within it the newest import; with `editions`, the newest
    import of every edition and a `retenue` column. By whole columns (a national file is half
    a million rows): one stable sort on the rank, one drop_duplicates."""
    if ranks and len(frame):
        # A few editions for many rows: number the (source, edition) pairs, rank each once.
        pairs = frame[["source", "edition"]].fillna("")
        group = pairs.groupby(["source", "edition"], sort=False).ngroup().to_numpy()
        firsts = pairs.drop_duplicates()          # the groups, in the order ngroup numbers them
        lookup = np.array([ranks.get((s, e), -1) for s, e in firsts.itertuples(index=False)])
        rank = lookup[group]
        if len(set(lookup.tolist())) > 1:
            # Stable: within an edition (same rank) the import order is kept.
            frame = frame.iloc[np.argsort(rank, kind="stable")]
    if editions:
        kept = frame.drop_duplicates(list(EDITION_KEY), keep="last")
        kept = kept.assign(retenue=~kept.duplicated(list(REFERENCE_KEY), keep="last"))
        frame = kept.sort_values(["import_id", "id"], kind="stable")
    else:
        frame = frame.drop_duplicates(list(REFERENCE_KEY), keep="last")
        if frame["import_id"].is_monotonic_increasing is False:
            frame = frame.sort_values(["import_id", "id"], kind="stable")
    frame = frame.drop(columns=["import_id", "id"]).reset_index(drop=True)
    frame["annee"] = frame["annee"].astype("int64")
    frame["valeur"] = pd.to_numeric(frame["valeur"]).astype("float64")
    return frame


CONFLICT_COLUMNS = ("niveau", "code", "nom", "annee", "indicateur", "source",
                    "valeur_affichee", "edition_affichee", "valeur_autre", "edition_autre")


def _conflicts(frame: pd.DataFrame) -> pd.DataFrame:
    """From one row per edition (`retenue` marking the shown one), the editions not shown
    whose value differs from the shown one (a missing value against a value differs)."""
    if frame.empty or "retenue" not in frame:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in CONFLICT_COLUMNS})
    key = list(REFERENCE_KEY)
    shown = frame[frame["retenue"]][[*key, "nom", "valeur", "edition"]].rename(
        columns={"valeur": "valeur_affichee", "edition": "edition_affichee"})
    other = frame[~frame["retenue"]][[*key, "valeur", "edition"]].rename(
        columns={"valeur": "valeur_autre", "edition": "edition_autre"})
    both = shown.merge(other, on=key, how="inner")
    a, b = both["valeur_affichee"], both["valeur_autre"]
    differ = (a != b) & ~(a.isna() & b.isna())
    both = both[differ].sort_values(["niveau", "code", "annee", "indicateur",
                                     "edition_autre"], kind="stable")
    return both[list(CONFLICT_COLUMNS)].reset_index(drop=True)


def _insert_many(conn, table: sa.Table, columns, records: list[tuple]) -> None:
    """Insert plain tuples in batches: through the driver's executemany when its parameter
    style is positional (3× faster than SQLAlchemy's per-row dictionaries), else as dicts."""
    marker = {"qmark": "?", "format": "%s", "pyformat": "%s"}.get(conn.dialect.paramstyle)
    sql = (f"INSERT INTO {table.name} ({', '.join(columns)}) "
           f"VALUES ({', '.join([marker] * len(columns))})") if marker else None
    for start in range(0, len(records), _INSERT_BATCH):
        batch = records[start:start + _INSERT_BATCH]
        if sql is not None:
            conn.exec_driver_sql(sql, batch)
        else:
            conn.execute(sa.insert(table), [dict(zip(columns, r)) for r in batch])


def _code_conditions(codes) -> list[list]:
    """WHERE conditions for `Store.references(codes=...)`, grouped so that one query binds at
    most _MAX_PARAMS codes."""
    t = reference_values_t
    if isinstance(codes, dict):
        wanted = {str(n): None if c is None else sorted({str(x) for x in c})
                  for n, c in codes.items()}
    else:
        wanted = {None: sorted({str(x) for x in codes})}
    groups: list[list] = []
    current: list = []
    size = 0
    for niveau, values in wanted.items():
        level = [] if niveau is None else [t.c.niveau == niveau]
        parts = ([sa.and_(*level)] if values is None else
                 [sa.and_(*level, t.c.code.in_(values[i:i + _MAX_PARAMS]))
                  for i in range(0, len(values), _MAX_PARAMS)])
        for part, count in zip(parts, [1] if values is None else
                               [len(values[i:i + _MAX_PARAMS])
                                for i in range(0, len(values), _MAX_PARAMS)]):
            if current and size + count > _MAX_PARAMS:
                groups.append(current)
                current, size = [], 0
            current.append(part)
            size += count
    if current:
        groups.append(current)
    return groups

# -- rights and audit of the writes (accounts.py and audit.py import this module) -------------

# The rights action and the audit action of each kind of version.
_KIND_ACTIONS = {"import": ("import", "import"), "edit": ("edit", "modification"),
                 "opendata": ("opendata", "donnees_ouvertes"),
                 "restore": ("restore", "restauration")}


def _authorise(actor, action: str, codes, author: str = ""):
    """The acting account once allowed to do `action` on `codes` (see accounts.authorise),
    and the author to record (the account's name, or `author` in local mode)."""
    from ctg_data import accounts

    action = _KIND_ACTIONS.get(action, (action,))[0]
    acting = accounts.authorise(actor, action, codes)
    return acting, accounts.author_name(actor, author)


def _audit(conn, acting, action: str, code: str | None, detail: str) -> None:
    from ctg_data import audit

    audit.record(conn, acting.login, action, code, detail)


def _audit_saves(conn, acting, kind: str, datasets, ids, summary: str) -> None:
    """One audit line per stored version, in the transaction of the save."""
    from ctg_data import audit

    action = _KIND_ACTIONS.get(kind, (kind, kind))[1]
    audit.record_many(conn, acting.login, action,
                      [(data.code, f"Version {version_id} : {summary}")
                       for data, version_id in zip(datasets, ids)])


def _sqlite_copy(source: Path, target: Path, standalone: bool = False) -> None:
    """Copy database `source` into `target` with SQLite's online backup API (page by page,
    under SQLite's locks: readers and writers of either file stay consistent), then check it.
    `standalone`: the copy is one file (rollback journal, no -wal/-shm beside it)."""
    import sqlite3

    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    dst = sqlite3.connect(target, timeout=30)
    try:
        try:
            src.backup(dst)
            if standalone:
                dst.execute("PRAGMA journal_mode = DELETE")
            ok = dst.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        except sqlite3.Error as error:
            code = _fault_code(error)
            raise StorageError.of(code, base=str(source if code == "base_corrompue"
                                                 else target)) from None
        if not ok:
            raise StorageError.of("base_corrompue", base=str(source))
    finally:
        src.close()
        dst.close()


def _check_backup(source: Path) -> None:
    """Refuse a file that is not a sound CTG database holding at least one version (read
    only: the backup is never modified)."""
    import sqlite3

    def refuse(detail: str):
        return StorageError.of("sauvegarde_invalide", fichier=str(source), detail=detail)

    conn = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    try:
        if conn.execute("PRAGMA integrity_check").fetchall() != [("ok",)]:
            raise refuse("fichier endommagé")
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not {"versions", "version_rows", "territories"} <= tables:
            raise refuse("ce n'est pas une base du tableau de bord CTG")
        if not conn.execute("SELECT count(*) FROM versions").fetchone()[0]:
            raise refuse("elle ne contient aucune version")
    except sqlite3.DatabaseError:
        raise refuse("ce n'est pas une base SQLite lisible") from None
    finally:
        conn.close()


def restore_database(backup, url: str | None = None) -> Path:
    """Replace the whole SQLite database at `url` (default: setting `database_url`) with the
    backup file `backup` (made by `Store.backup` or any SQLite copy of a CTG database), with the
    online backup API so that running apps see the restored data at once. The backup is checked
    first (integrity, CTG tables); the database as it was is kept beside it
    (`….avant-restauration-AAAAMMJJ-HHMMSS`), so nothing is lost. Returns that copy's path
    (None when there was no database yet)."""
    url = url or settings.get("database_url")
    target = _sqlite_file(url)
    if target is None:
        raise StorageError.of("sauvegarde_sqlite_seulement", base=_database_name(url))
    source = Path(backup).expanduser()
    if not source.is_file():
        raise StorageError.of("base_introuvable", base=str(source))
    _check_backup(source)
    kept = None
    if target.exists() and target.stat().st_size:
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        kept = Store(url, create=False).backup(
            target.with_name(f"{target.name}.avant-restauration-{stamp}"))
    else:
        _create_private_file(target)
    _sqlite_copy(source, target)
    _CHECKED.discard(str(target.resolve()))
    return kept


def _sqlite_pragmas(dbapi_connection, _record):
    # WAL lets readers work while one writer writes; the busy timeout makes writers wait
    # instead of failing; foreign keys are off by default in SQLite.
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA busy_timeout = 30000")
        cursor.execute("PRAGMA foreign_keys = ON")
        if cursor.execute("PRAGMA database_list").fetchone()[2]:  # a file, not :memory:
            try:
                cursor.execute("PRAGMA journal_mode = WAL")
            except Exception as error:  # noqa: BLE001 — sqlite3 error
                # A read-only file still reads; the first write then says « lecture seule ».
                if _fault_code(error) != "base_lecture_seule":
                    raise
    finally:
        cursor.close()
