"""The database tables (SQLAlchemy Core): territories, versions and their rows, value changes,
chart comments, reference figures and their editions, accounts, sign-in failures, audit log.

Only portable column types are used so that the same tables live in SQLite and PostgreSQL;
every date is stored as aware UTC (`UTCDateTime`).
"""

from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy as sa


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


def now_utc() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(timezone.utc)
