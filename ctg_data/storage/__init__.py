"""Versioned storage of CTG data with SQLAlchemy 2: territories, versions (full snapshots),
cell-level change history, chart comments and reference (open-data) figures.

Embedded SQLite by default (`settings.get("database_url")`); only portable SQL is used so the
same code runs on PostgreSQL. Nothing is ever deleted: an import, an edit or a restore adds a
version, and the current version of a territory is its newest one.

One module per concept; this package's face is what callers import (`from ctg_data.storage
import Store, StorageError, …`):
  schema.py      the tables (and accounts', sign-in failures', audit log's) and `now_utc`
  health.py      opening the database, health check, `StorageError` (French faults), 0600 files
  values.py      `plain` values and the rows of a version's tables, converted by whole columns
  changes.py     `Change`, `changes_between`, rows paired by label, `merge_changes`
  conflicts.py   `EditConflict`, `StalePreview` and their French messages
  versions.py    reading versions: territories, load, current tables, versions, history
  saving.py      saving versions: save (in bulk), restore, edits merged into newer versions
  comments.py    comments on charts
  references.py  reference figures: bulk imports, editions, conflicts between editions
  backup.py      SQLite online backup (`Store.backup`) and `restore_database`
  rights.py      the rights check and the audit line of every write
  store.py       `Store`, made of the mixins above
"""

from ctg_data.storage.backup import restore_database
from ctg_data.storage.changes import (
    Change, changed_columns, changes_between, match_rows, merge_changes, row_label, same_value,
)
from ctg_data.storage.comments import Comment
from ctg_data.storage.conflicts import EditConflict, StalePreview
from ctg_data.storage.health import (
    QUICK_CHECK_ALWAYS_BYTES, StorageError, database_name, sqlite_file,
)
from ctg_data.storage.references import (
    CONFLICT_COLUMNS, EDITION_KEY, REFERENCE_COLUMNS, REFERENCE_KEY,
)
from ctg_data.storage.saving import KINDS
from ctg_data.storage.schema import (
    UTCDateTime, accounts_t, audit_t, changes_t, comments_t, metadata, now_utc,
    reference_editions_t, reference_imports_t, reference_values_t, sign_in_failures_t,
    territories_t, version_rows_t, versions_t,
)
from ctg_data.storage.store import Store
from ctg_data.storage.values import plain
from ctg_data.storage.versions import CurrentTables, TerritoryInfo, VersionInfo


__all__ = [
    "CONFLICT_COLUMNS", "EDITION_KEY", "KINDS", "QUICK_CHECK_ALWAYS_BYTES", "REFERENCE_COLUMNS",
    "REFERENCE_KEY", "Change", "Comment", "CurrentTables", "EditConflict", "StalePreview",
    "StorageError", "Store", "TerritoryInfo", "UTCDateTime", "VersionInfo", "accounts_t",
    "audit_t", "changed_columns", "changes_between", "changes_t", "comments_t",
    "database_name", "match_rows", "merge_changes", "metadata", "now_utc", "plain",
    "reference_editions_t", "reference_imports_t", "reference_values_t", "restore_database",
    "row_label", "same_value", "sign_in_failures_t", "sqlite_file", "territories_t",
    "version_rows_t", "versions_t",
]
