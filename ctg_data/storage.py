"""Versioned storage of CTG data with SQLAlchemy 2: territories, versions (full snapshots),
cell-level change history, chart comments and reference (open-data) figures.

Embedded SQLite by default (`settings.get("database_url")`); only portable SQL is used so the
same code runs on PostgreSQL. Nothing is ever deleted: an import, an edit or a restore adds a
version, and the current version of a territory is its newest one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.pool import StaticPool

from ctg_data import settings
from ctg_data.model import CtgData
from ctg_data.schemas import SHEETS, SHEETS_BY_KEY, TABLE_SHEETS, TERRITOIRE

KINDS = ("import", "edit", "restore", "opendata")
REFERENCE_COLUMNS = ("niveau", "code", "nom", "annee", "indicateur", "valeur", "source", "edition")
# A newer import replaces an older figure with the same key (revised open-data editions).
REFERENCE_KEY = ("niveau", "code", "annee", "indicateur", "source")


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


class Store:
    """The database of CTG data. One instance per database URL; thread-safe (one connection
    per operation from SQLAlchemy's pool)."""

    def __init__(self, url: str | None = None):
        self.url = url or settings.get("database_url")
        parsed = make_url(self.url)
        options: dict = {}
        if parsed.get_backend_name() == "sqlite":
            database = parsed.database or ""
            in_memory = database in ("", ":memory:") or database.startswith("file::memory:")
            if in_memory:
                options = {"poolclass": StaticPool, "connect_args": {"check_same_thread": False}}
            else:
                Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
                options = {"connect_args": {"timeout": 30, "check_same_thread": False}}
        self.engine = sa.create_engine(self.url, **options)
        if self.engine.dialect.name == "sqlite":
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
        metadata.create_all(self.engine)

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()

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
             warnings: list[str] = (), changes: list[Change] = (), summary: str = "") -> list[int]:
        """Store one new version per dataset, all in one transaction (all or nothing), and return
        their ids. Sheets not in `dataset.present` (Territoire included) are carried over from
        the territory's current version. `changes` are recorded against the version of their
        territory (`Change.code`, or the only dataset)."""
        if kind not in KINDS:
            raise ValueError(f"Type de version inconnu : {kind!r}.")
        codes = [d.code for d in datasets]
        if any(not isinstance(c, str) or not c.strip() for c in codes):
            raise ValueError("Chaque territoire doit avoir un code INSEE.")
        if len(set(codes)) != len(codes):
            raise ValueError("Le même territoire apparaît deux fois dans un enregistrement.")
        changes = list(changes)
        unknown = {c.code for c in changes if c.code is not None} - set(codes)
        if unknown or (len(datasets) > 1 and any(c.code is None for c in changes)):
            raise ValueError("Chaque modification doit désigner un des territoires enregistrés.")
        warnings = [str(w) for w in warnings]
        summary = summary or _default_summary(kind, file_name, len(changes))
        ids = []
        with self.engine.begin() as conn:
            for data in datasets:
                ids.append(self._save_one(conn, data, kind=kind, author=author,
                                          file_name=file_name, content_hash=content_hash,
                                          warnings=warnings, summary=summary,
                                          changes=[c for c in changes
                                                   if c.code in (None, data.code)]))
        return ids

    def _save_one(self, conn, data: CtgData, *, kind, author, file_name, content_hash, warnings,
                  summary, changes) -> int:
        code = data.code.strip()
        # Writing first takes the database's write lock (SQLite) or the territory's row lock
        # (PostgreSQL) before the current version is read: concurrent saves are serialised.
        updated = conn.execute(sa.update(territories_t).where(territories_t.c.code == code)
                               .values(nom=territories_t.c.nom)).rowcount
        if not updated:
            conn.execute(sa.insert(territories_t).values(code=code, nom=""))
        current = None
        current_id = self._current_id(conn, code)
        if current_id is not None:
            current = conn.execute(sa.select(versions_t.c.columns, versions_t.c.row_counts,
                                             versions_t.c.territoire)
                                   .where(versions_t.c.id == current_id)).first()
        territoire = {str(k): plain(v) for k, v in data.territoire.items()}
        if current is not None and TERRITOIRE.key not in data.present:
            # A file without a Territoire sheet (a one-sheet CSV) keeps the stored fields.
            territoire = dict(current.territoire)
        nom = str(territoire.get("nom") or "")
        conn.execute(sa.update(territories_t).where(territories_t.c.code == code)
                     .values(nom=nom))
        fresh, carried, columns, counts = {}, [], {}, {}
        for sheet in TABLE_SHEETS:
            if current is not None and sheet.key not in data.present \
                    and sheet.key in current.columns:
                carried.append(sheet.key)
                columns[sheet.key] = current.columns[sheet.key]
                counts[sheet.key] = int(current.row_counts.get(sheet.key, 0))
            else:
                columns[sheet.key], fresh[sheet.key] = _frame_to_rows(data.tables[sheet.key])
                counts[sheet.key] = len(fresh[sheet.key])
        version_id = conn.execute(sa.insert(versions_t).values(
            territory_code=code, nom=nom, created_at=now_utc(), kind=kind, author=author or "",
            file_name=file_name, content_hash=content_hash, row_counts=counts,
            warnings=list(warnings), summary=summary, parent_version_id=None,
            territoire=territoire, columns=columns)).inserted_primary_key[0]
        records = [{"version_id": version_id, "sheet": key, "position": i, "data": row}
                   for key, rows in fresh.items() for i, row in enumerate(rows)]
        if records:
            conn.execute(sa.insert(version_rows_t), records)
        if carried:
            self._copy_rows(conn, current_id, version_id, carried)
        if changes:
            conn.execute(sa.insert(changes_t), [
                {"version_id": version_id, "sheet": c.sheet, "row_label": c.row_label or "",
                 "column_key": c.column or "", "old_value": plain(c.old),
                 "new_value": plain(c.new)} for c in changes])
        return version_id

    @staticmethod
    def _copy_rows(conn, source_id: int, target_id: int, sheets: list[str] | None = None):
        query = sa.select(sa.literal(target_id, sa.Integer), version_rows_t.c.sheet,
                          version_rows_t.c.position, version_rows_t.c.data).where(
            version_rows_t.c.version_id == source_id)
        if sheets is not None:
            query = query.where(version_rows_t.c.sheet.in_(sheets))
        conn.execute(sa.insert(version_rows_t).from_select(
            ["version_id", "sheet", "position", "data"], query))

    def restore(self, version_id: int, author: str = "") -> int:
        """Make a new current version that is a copy of version `version_id`; return its id."""
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
                    annee: int | None = None) -> int:
        """Store a comment on chart `chart_key` of territory `code`; return its id."""
        text = (text or "").strip()
        if not text:
            raise ValueError("Le commentaire est vide.")
        with self.engine.begin() as conn:
            return conn.execute(sa.insert(comments_t).values(
                territory_code=code, chart_key=chart_key, annee=None if annee is None
                else int(annee), text=text, author=author or "",
                created_at=now_utc())).inserted_primary_key[0]

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

    def save_references(self, rows: pd.DataFrame, *, file_name: str,
                        content_hash: str | None) -> int:
        """Store reference rows (long format, see REFERENCE_COLUMNS) from one file in one
        transaction; return the import id. A file already imported (same hash) is not stored
        again: its earlier import id is returned."""
        missing = [c for c in ("niveau", "code", "annee", "indicateur", "valeur")
                   if c not in rows.columns]
        if missing:
            raise ValueError("Colonnes manquantes dans les données de référence : "
                             + ", ".join(missing) + ".")
        if rows["annee"].isna().any():
            raise ValueError("Chaque donnée de référence doit avoir une année.")
        records = []
        for row in rows.itertuples(index=False):
            get = row._asdict().get
            records.append({
                "niveau": str(get("niveau")), "code": str(get("code")),
                "nom": str(plain(get("nom")) or ""), "annee": int(get("annee")),
                "indicateur": str(get("indicateur")), "valeur": plain(get("valeur")),
                "source": str(plain(get("source")) or ""),
                "edition": str(plain(get("edition")) or "")})
        with self.engine.begin() as conn:
            if content_hash:
                earlier = conn.execute(sa.select(reference_imports_t.c.id).where(
                    reference_imports_t.c.content_hash == content_hash)).scalar()
                if earlier is not None:
                    return earlier
            import_id = conn.execute(sa.insert(reference_imports_t).values(
                file_name=file_name or "", content_hash=content_hash, created_at=now_utc(),
                row_count=len(records))).inserted_primary_key[0]
            if records:
                conn.execute(sa.insert(reference_values_t),
                             [r | {"import_id": import_id} for r in records])
        return import_id

    def references(self, *, niveau: str | None = None, code: str | None = None,
                   annee: int | None = None) -> pd.DataFrame:
        """Stored reference figures (columns REFERENCE_COLUMNS), the newest import winning for
        the same niveau, code, année, indicateur and source."""
        t = reference_values_t
        query = sa.select(*(t.c[c] for c in REFERENCE_COLUMNS)).order_by(t.c.import_id, t.c.id)
        if niveau is not None:
            query = query.where(t.c.niveau == niveau)
        if code is not None:
            query = query.where(t.c.code == str(code))
        if annee is not None:
            query = query.where(t.c.annee == int(annee))
        with self.engine.connect() as conn:
            records = [dict(r._mapping) for r in conn.execute(query)]
        frame = pd.DataFrame.from_records(records, columns=list(REFERENCE_COLUMNS))
        frame = frame.drop_duplicates(list(REFERENCE_KEY), keep="last").reset_index(drop=True)
        frame["annee"] = frame["annee"].astype("int64")
        frame["valeur"] = pd.to_numeric(frame["valeur"]).astype("float64")
        return frame


def _sqlite_pragmas(dbapi_connection, _record):
    # WAL lets readers work while one writer writes; the busy timeout makes writers wait
    # instead of failing; foreign keys are off by default in SQLite.
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA busy_timeout = 30000")
        cursor.execute("PRAGMA foreign_keys = ON")
        if cursor.execute("PRAGMA database_list").fetchone()[2]:  # a file, not :memory:
            cursor.execute("PRAGMA journal_mode = WAL")
    finally:
        cursor.close()
