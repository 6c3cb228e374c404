"""`Store`, the database of CTG data: opened and checked here, its methods grouped by concept
in mixins (versions read, versions saved, comments, reference figures, backups).
"""

from __future__ import annotations

import sqlalchemy as sa

from ctg_data import settings
from ctg_data.storage.backup import BackupMixin
from ctg_data.storage.comments import CommentsMixin
from ctg_data.storage.health import StorageError, check_health, database_name, open_engine
from ctg_data.storage.references import ReferencesMixin
from ctg_data.storage.saving import SavingMixin
from ctg_data.storage.schema import metadata
from ctg_data.storage.versions import VersionsMixin


class Store(VersionsMixin, SavingMixin, CommentsMixin, ReferencesMixin, BackupMixin):
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
        self.engine, file = open_engine(self.url, create=create)
        try:
            check_health(self.engine, file)
            metadata.create_all(self.engine)
            missing = set(metadata.tables) - set(sa.inspect(self.engine).get_table_names())
        except StorageError:
            self.engine.dispose()
            raise
        if missing:
            self.engine.dispose()
            raise StorageError.of("base_corrompue", base=database_name(self.url))

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()
