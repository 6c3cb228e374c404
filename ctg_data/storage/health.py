"""Opening the database and keeping it sound: the engine (SQLite pragmas, private 0600
files), the health check at opening (`PRAGMA quick_check`, or a query on PostgreSQL), and
`StorageError`, every database fault (missing, read-only, full, locked, corrupt, unreachable)
as a French catalogue message without SQL nor data (SQLAlchemy's handle_error hook).
"""

from __future__ import annotations

import os
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.pool import StaticPool

from ctg_data.errors import CatalogueError


class StorageError(CatalogueError):
    """The database cannot do what was asked (missing, read-only, full, locked, corrupt,
    unreachable). `message` is one French sentence from the error catalogue, without SQL nor
    data; what was being written is not stored (the transaction is rolled back)."""

    default_code = "base_inaccessible"


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


def fault_code(error: BaseException) -> str | None:
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
    code = fault_code(context.original_exception)
    raise StorageError.of(code, base=database_name(context.engine.url)) \
        from context.original_exception


def database_name(url) -> str:
    """The database as people know it: the file of a SQLite URL, else host and name (never
    the password)."""
    url = make_url(url) if isinstance(url, str) else url
    if url.get_backend_name() == "sqlite":
        return str(Path(url.database or ":memory:").expanduser())
    return f"{url.database or ''} sur {url.host or 'localhost'}"


def sqlite_file(url) -> Path | None:
    """The file of a SQLite URL, None for another backend or an in-memory database."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database or ""
    if database in ("", ":memory:") or database.startswith("file:") or parsed.query.get("uri"):
        return None
    return Path(database).expanduser()


def create_private_file(path: Path) -> None:
    """Create `path` empty, readable by its owner only (0600), unless it exists."""
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


def open_engine(url: str, *, create: bool) -> tuple[sa.Engine, Path | None]:
    """The SQLAlchemy engine of `url` with the fault hook (every fault a French
    `StorageError`) and SQLite's pragmas, and the SQLite file (None for another backend or in
    memory). A missing SQLite file is created (0600) only when `create` is true; otherwise
    `StorageError` « base introuvable » (a mistyped path is refused, not silently created)."""
    parsed = make_url(url)
    options: dict = {}
    file = sqlite_file(url)
    if parsed.get_backend_name() == "sqlite":
        if file is None:
            options = {"poolclass": StaticPool, "connect_args": {"check_same_thread": False}}
        else:
            if not file.exists():
                if not create:
                    raise StorageError.of("base_introuvable", base=str(file))
                create_private_file(file)
            options = {"connect_args": {"timeout": 30, "check_same_thread": False}}
    engine = sa.create_engine(url, **options)
    sa.event.listen(engine, "handle_error", _database_fault)
    if engine.dialect.name == "sqlite":
        sa.event.listen(engine, "connect", _sqlite_pragmas)
    return engine, file


def check_health(engine: sa.Engine, file: Path | None) -> None:
    """Raise `StorageError` « base corrompue » when SQLite's `quick_check` fails; on
    PostgreSQL (or in memory), check that the server answers."""
    # SQLite: quick_check reads every page (a few ms for a small base); a big file is
    # checked on its first opening in this process only. PostgreSQL checks its own pages:
    # a query tells the server answers and the database exists.
    with engine.connect() as conn:
        if engine.dialect.name != "sqlite" or file is None:
            conn.exec_driver_sql("SELECT 1").scalar()
            return
        key = str(file.resolve())
        if key in _CHECKED and file.stat().st_size > QUICK_CHECK_ALWAYS_BYTES:
            return
        result = [r[0] for r in conn.exec_driver_sql("PRAGMA quick_check").fetchall()]
        if result != ["ok"]:
            raise StorageError.of("base_corrompue", base=str(file))
        _CHECKED.add(key)


def forget_health_check(file: Path) -> None:
    """Check `file` in full again at its next opening (its content was replaced)."""
    _CHECKED.discard(str(file.resolve()))


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
                if fault_code(error) != "base_lecture_seule":
                    raise
    finally:
        cursor.close()
