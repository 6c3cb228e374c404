"""Backups of a SQLite database with SQLite's online backup API: `Store.backup` copies the
live database into a new private file, `restore_database` puts a checked backup back in place
(the replaced database kept beside it). PostgreSQL is backed up with its own tools.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from ctg_data import settings
from ctg_data.storage.health import (
    StorageError, create_private_file, database_name, fault_code, forget_health_check,
    sqlite_file,
)


class BackupMixin:
    """`Store.backup` (the store's `url` is the database copied)."""

    def backup(self, path) -> Path:
        """Copy the whole database into the new file `path` (0600) with SQLite's online backup
        API: consistent even while others write, checked (`integrity_check`) before it is
        given its name. PostgreSQL: `StorageError` (use pg_dump, see the CLI's
        `sauvegarde`). Returns the path written."""
        source = sqlite_file(self.url)
        if source is None:
            raise StorageError.of("sauvegarde_sqlite_seulement", base=database_name(self.url))
        target = Path(path).expanduser()
        if target.exists():
            raise StorageError.of("sauvegarde_existe", fichier=str(target))
        partial = target.with_name(f".{target.name}.partielle")
        try:
            partial.unlink(missing_ok=True)
            create_private_file(partial)
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
            code = fault_code(error)
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
    target = sqlite_file(url)
    if target is None:
        raise StorageError.of("sauvegarde_sqlite_seulement", base=database_name(url))
    source = Path(backup).expanduser()
    if not source.is_file():
        raise StorageError.of("base_introuvable", base=str(source))
    _check_backup(source)
    kept = None
    if target.exists() and target.stat().st_size:
        from ctg_data.storage.store import Store   # store.py imports this module

        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        kept = Store(url, create=False).backup(
            target.with_name(f"{target.name}.avant-restauration-{stamp}"))
    else:
        create_private_file(target)
    _sqlite_copy(source, target)
    forget_health_check(target)
    return kept
