"""What every command shares: exit codes, `CliError`, safe printing (`say`), reading and
writing files, opening the database, choosing the territory.

Modules are imported inside the helpers, so that `--help` is instant and a failure while
importing them still ends as a French message.
"""

from __future__ import annotations

from pathlib import Path

EXIT_OK, EXIT_INVALID, EXIT_UNREADABLE = 0, 1, 2

# Commands that may create the database file; the others refuse a path that does not exist
# (a mistyped --db or CTG_DATABASE_URL), as does the app. The default database is always
# created when missing.
CREATING_COMMANDS = {"import", "demo", "opendata", "comptes", "restauration"}


class CliError(Exception):
    """A French message for the user and the exit code to end with: `message` is the filled
    template of catalogue entry `code` (errors.CATALOGUE), `exit_code` 1 or 2."""

    def __init__(self, message: str, exit_code: int, code: str):
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code
        self.code = code

    @classmethod
    def of(cls, code: str, /, exit_code: int = EXIT_INVALID, **params) -> "CliError":
        """The error of catalogue entry `code`, its message filled from `params`."""
        from ctg_data.errors import CATALOGUE

        return cls(CATALOGUE[code].template.format(**params), exit_code, code)

    @classmethod
    def wrap(cls, error: Exception, exit_code: int = EXIT_INVALID) -> "CliError":
        """The CliError of a catalogue exception (errors.CatalogueError: a StorageError, an
        OpendataError, an account refusal…): same message, same catalogue code."""
        return cls(error.message, exit_code, error.code)


def say(text: object, file=None) -> None:
    """Print one line of output. User text in it (a file name, a cell value, a territory or
    author name) cannot drive the terminal: its control characters — an ANSI escape, a line
    break that would forge a line such as « Version créée : 999 » — are shown as visible
    escapes (`formatting.printable`)."""
    from ctg_data.formatting import printable

    print(printable(text), file=file)


def plural(n: int, word: str) -> str:
    """`3 erreurs`, `1 erreur`."""
    return f"{n} {word}{'s' if n > 1 else ''}"


def size_text(n: int) -> str:
    """A file size in French: `12 Ko`, `3,4 Mo`."""
    from ctg_data.formatting import fr_number

    return f"{fr_number(n / 1024, 0)} Ko" if n < 1024 * 1024 else \
        f"{fr_number(n / 1024 / 1024, 1)} Mo"


def when(moment) -> str:
    """A stored moment as Paris time, `31/12/2024 18:05`."""
    try:
        from zoneinfo import ZoneInfo

        moment = moment.astimezone(ZoneInfo("Europe/Paris"))
    except Exception:  # a naive datetime or no tz database: print it as stored
        pass
    return f"{moment:%d/%m/%Y %H:%M}" if hasattr(moment, "strftime") else str(moment)


def read_file(path: str) -> bytes:
    """The bytes of the file at `path`; CliError (exit code 2) when it cannot be read."""
    file = Path(path)
    if not file.exists():
        raise CliError.of("fichier_introuvable", EXIT_UNREADABLE, path=path)
    if file.is_dir():
        raise CliError.of("chemin_dossier", EXIT_UNREADABLE, path=path)
    try:
        return file.read_bytes()
    except OSError as exc:
        raise CliError.of("lecture_fichier_impossible", EXIT_UNREADABLE, path=path,
                          detail=exc.strerror)


def write_file(path: str, content: bytes, what: str) -> None:
    """Write `content` to `path` (folders created) and say so; CliError (exit code 2) when
    it cannot be written."""
    file = Path(path)
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_bytes(content)
    except OSError as exc:
        raise CliError.of("ecriture_fichier_impossible", EXIT_UNREADABLE, path=path,
                          detail=exc.strerror)
    say(f"{what} écrit dans {file} ({size_text(len(content))}).")


def default_database_url() -> str:
    """The database the application uses when nothing else is set."""
    from ctg_data import settings

    return next(s.default for s in settings.SETTINGS if s.name == "database_url")


def open_store(args):
    """The store of `--db` (or of the settings); CliError (exit code 2) when the database
    cannot be opened. Only the commands of CREATING_COMMANDS create a missing file."""
    from ctg_data import settings
    from ctg_data.storage import StorageError, Store, database_name

    url = args.db or settings.get("database_url")
    create = (getattr(args, "command", None) in CREATING_COMMANDS
              or url == default_database_url())
    try:
        return Store(url, create=create)
    except StorageError as exc:
        raise CliError.wrap(exc, EXIT_UNREADABLE) from None
    except Exception as exc:  # noqa: BLE001 — bad URL, missing driver
        try:
            where = database_name(url)
        except Exception:  # noqa: BLE001 — not even a URL
            where = "URL illisible"
        raise CliError.of("base_ouverture_impossible", EXIT_UNREADABLE, base=where,
                          detail=type(exc).__name__) from None


def territory(store, code: str | None) -> str:
    """The territory a command works on: `code`, or the only one of the database."""
    infos = store.territories()
    known = {t.code: t for t in infos}
    listed = ", ".join(f"{t.code} {t.nom}" for t in infos)
    if code:
        code = code.strip()
        if code not in known and code.isdigit() and len(code) < 5:
            code = code.zfill(5)
        if code not in known:
            raise CliError.of("territoire_absent_de_la_base", territoire=code,
                              presents=f" (territoires présents : {listed})" if infos else "")
        return code
    if not infos:
        raise CliError.of("base_sans_territoire")
    if len(infos) > 1:
        raise CliError.of("territoire_a_preciser", territoires=listed)
    return infos[0].code


def load(store, code: str):
    """The current data of territory `code`; CliError when it is not stored."""
    data = store.load(code)
    if data is None:
        raise CliError.of("territoire_absent_de_la_base", territoire=code, presents="")
    return data


def code_option(args) -> str | None:
    """The `--territoire` code of a command that reads a file (no database needed): a
    commune code typed without its leading zero is padded, as in the workbook."""
    code = (getattr(args, "territoire", None) or "").strip()
    return code.zfill(5) if code.isdigit() and len(code) < 5 else code or None


def report_problems(report) -> None:
    """Print a workbook report's errors, then its warnings, one per line."""
    for problem in report.errors:
        say(problem.as_line())
    for problem in report.warnings:
        say(f"Avertissement : {problem.as_line()}")


def actor(args):
    """The account the command line acts as: an administrator named by --auteur (whoever
    runs it on the server holds the database anyway)."""
    from ctg_data.accounts import command_line_account

    return command_line_account(getattr(args, "auteur", None) or "ligne de commande")


def audit_export(store, codes, detail: str) -> None:
    """One audit line per exported territory."""
    from ctg_data import audit
    from ctg_data.accounts import command_line_account

    for code in codes:
        audit.record(store, command_line_account().login, "export", code, detail)
