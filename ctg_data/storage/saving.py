"""Saving new versions: `Store.save` (one transaction for all the territories of a file, a
few bulk statements whatever their number), `Store.restore`, and the check under the write
lock that the data was prepared on the current version — an edit made on an older one is
merged into it (`merge_changes`), anything else is refused (`StalePreview`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa

from ctg_data.model import CtgData
from ctg_data.schemas import TABLE_SHEETS, TERRITOIRE
from ctg_data.storage.changes import CellConflict, Change, merge_changes
from ctg_data.storage.conflicts import StalePreview, conflict_error, french_moment, latest_author
from ctg_data.storage.rights import audit_saves, audit_write, authorise_write
from ctg_data.storage.schema import changes_t, now_utc, territories_t, version_rows_t, versions_t
from ctg_data.storage.values import datasets_rows, plain, row_encoder

if TYPE_CHECKING:  # accounts.py imports the storage package
    from ctg_data.accounts import Account

# How a version came to be: a file import, an in-app edit, a restore, open data.
KINDS = ("import", "edit", "restore", "opendata")


def _default_summary(kind: str, file_name: str | None, changes: int) -> str:
    """The French summary of a version when the caller gives none."""
    if kind == "import":
        return f"Import du fichier « {file_name} »." if file_name else "Import."
    if kind == "opendata":
        return (f"Données ouvertes importées depuis « {file_name} »." if file_name
                else "Données ouvertes importées.")
    if kind == "edit":
        return f"Modification dans l'application ({changes} valeur{'s' if changes > 1 else ''})."
    return "Restauration."


# `base_version_id` not given for a dataset: saved whatever the current version.
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


class SavingMixin:
    """The writing methods of `Store` on versions (`self.engine` is the store's; `_snapshot`
    comes from `VersionsMixin`)."""

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
        save raises `StalePreview`. Sheets not in `dataset.present` (Territoire included) are
        carried over from the territory's current version. `changes` are recorded against the
        version of their territory (`Change.code`, or the only dataset). `actor` must be allowed
        to write every territory (accounts.AccessDenied otherwise); the author recorded is then
        the actor's."""
        if kind not in KINDS:
            raise ValueError(f"Type de version inconnu : {kind!r}.")
        codes = [d.code for d in datasets]
        acting, author = authorise_write(actor, kind, codes, author)
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
            audit_saves(conn, acting, kind, datasets, ids, summary)
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
                    by="un autre enregistrement simultané", at=french_moment(now_utc())),
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
        converted = datasets_rows(datasets, wanted)
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
            encode = row_encoder()
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
        acting, author = authorise_write(actor, "restore", (), author)
        with self.engine.begin() as conn:
            old = conn.execute(sa.select(versions_t).where(versions_t.c.id == version_id)).first()
            if old is None:
                raise KeyError(f"Version {version_id} introuvable.")
            # Lock first (see _save_many), then copy the snapshot as it was.
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
            audit_write(conn, acting, "restauration", old.territory_code,
                        f"Version {version_id} restaurée : nouvelle version {new_id}.")
        return new_id

    def _rebase(self, conn, code: str, data: CtgData, base, current_id, kind: str,
                changes: list[Change]) -> CtgData:
        """What to store for a save prepared on version `base` while the territory's current
        version is `current_id` (called under the write lock): an edit's cells merged into the
        current version; `StalePreview` for anything else; `EditConflict` on a clash."""
        if kind != "edit" or not changes or current_id is None:
            by, at = latest_author(conn, code, base)
            label = f"{data.nom} ({code})" if data.nom else code
            from ctg_data.errors import CATALOGUE

            raise StalePreview(CATALOGUE["apercu_perime"].template.format(
                territoire=label, by=by, at=french_moment(at)), "apercu_perime")

        def snapshot(version_id):
            version = conn.execute(sa.select(versions_t).where(
                versions_t.c.id == version_id)).first()
            return self._snapshot(conn, version) if version is not None else None

        try:
            return merge_changes(snapshot(current_id), snapshot(base) if base is not None
                                 else None, data, changes)
        except CellConflict as clash:
            raise conflict_error(conn, code, base, clash.change, clash.newer,
                                 clash.row_missing) from None
