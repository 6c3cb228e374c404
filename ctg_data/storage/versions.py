"""Reading stored versions: the territories and their current versions, one territory's data
at a version, every territory's current tables at once, the list of versions and the history
of value changes. Nothing is ever deleted: the current version of a territory is its newest.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pandas as pd
import sqlalchemy as sa

from ctg_data.model import CtgData
from ctg_data.schemas import SHEETS, SHEETS_BY_KEY, TABLE_SHEETS, TERRITOIRE
from ctg_data.storage.changes import Change
from ctg_data.storage.schema import changes_t, territories_t, version_rows_t, versions_t
from ctg_data.storage.values import rows_to_frame


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


class VersionsMixin:
    """The reading methods of `Store` on versions (`self.engine` is the store's)."""

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
                    frame = rows_to_frame(list(cols), data)
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
        """The id of the current (newest) version of `code`, None without any."""
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
        """The data of stored `version` (a row of `versions`), every sheet complete."""
        rows: dict[str, list] = {}
        for r in conn.execute(sa.select(version_rows_t.c.sheet, version_rows_t.c.data)
                              .where(version_rows_t.c.version_id == version.id)
                              .order_by(version_rows_t.c.sheet, version_rows_t.c.position)):
            rows.setdefault(r.sheet, []).append(r.data)
        tables = {key: rows_to_frame(cols, rows.get(key, []))
                  for key, cols in version.columns.items() if key in SHEETS_BY_KEY}
        return CtgData(dict(version.territoire), tables, frozenset(s.key for s in SHEETS))


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
