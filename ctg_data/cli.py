"""The command line: `python -m ctg_data COMMAND …`, for people and for a Caf's scripts.

Exit codes: 0 success (warnings are printed), 1 invalid data or a request that cannot be met
(errors printed one per line, in French), 2 unreadable file or unexpected failure. A Python
traceback is never shown: every failure ends as one French message.

Modules are imported inside the commands, so that `--help` is instant and a failure while
importing them still ends as a French message.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import warnings
from pathlib import Path

EXIT_OK, EXIT_INVALID, EXIT_UNREADABLE = 0, 1, 2


class CliError(Exception):
    """A French message for the user and the exit code to end with."""

    def __init__(self, message: str, code: int = EXIT_INVALID):
        super().__init__(message)
        self.message = message
        self.code = code


# argparse's own messages are English; the usual ones, in French.
_ARGPARSE_FRENCH = (
    ("the following arguments are required:", "arguments obligatoires manquants :"),
    ("unrecognized arguments:", "arguments non reconnus :"),
    ("invalid choice:", "choix impossible :"),
    ("choose from", "choisir parmi"),
    ("expected one argument", "une valeur est attendue"),
    ("invalid int value:", "nombre entier attendu, trouvé :"),
)


class _Parser(argparse.ArgumentParser):
    """argparse with French titles and errors that exit with code 2 without a traceback."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("add_help", False)
        super().__init__(*args, **kwargs)
        self._positionals.title = "arguments"
        self._optionals.title = "options"
        self.add_argument("-h", "--help", action="help", help="afficher cette aide et quitter")

    def error(self, message):
        """A French usage error, exit code 2 (argparse's own code), no traceback."""
        for english, french in _ARGPARSE_FRENCH:
            message = message.replace(english, french)
        self.print_usage(sys.stderr)
        self.exit(EXIT_UNREADABLE, f"Erreur dans la commande : {message}\n"
                                   f"Aide : {self.prog} --help\n")

    def format_usage(self):
        """The usage line in French."""
        return super().format_usage().replace("usage:", "utilisation :", 1)

    def format_help(self):
        """The help text in French."""
        return super().format_help().replace("usage:", "utilisation :", 1)


# --- helpers -------------------------------------------------------------------------------

def _read(path: str) -> bytes:
    file = Path(path)
    if not file.exists():
        raise CliError(f"Fichier introuvable : {path}", EXIT_UNREADABLE)
    if file.is_dir():
        raise CliError(f"« {path} » est un dossier, pas un fichier.", EXIT_UNREADABLE)
    try:
        return file.read_bytes()
    except OSError as exc:
        raise CliError(f"Impossible de lire « {path} » : {exc.strerror}.", EXIT_UNREADABLE)


def _write(path: str, content: bytes, what: str) -> None:
    file = Path(path)
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_bytes(content)
    except OSError as exc:
        raise CliError(f"Impossible d'écrire « {path} » : {exc.strerror}.", EXIT_UNREADABLE)
    _say(f"{what} écrit dans {file} ({_size(len(content))}).")


def _size(n: int) -> str:
    from ctg_data.formatting import fr_number

    return f"{fr_number(n / 1024, 0)} Ko" if n < 1024 * 1024 else \
        f"{fr_number(n / 1024 / 1024, 1)} Mo"


# Commands that may create the database file; the others refuse a path that does not exist
# (a mistyped --db or CTG_DATABASE_URL), as does the app. The default database is always
# created when missing.
CREATING_COMMANDS = {"import", "demo", "opendata", "comptes", "restauration"}


def _store(args):
    from ctg_data import settings
    from ctg_data.storage import StorageError, Store, _database_name

    url = args.db or settings.get("database_url")
    create = (getattr(args, "command", None) in CREATING_COMMANDS
              or url == _default_database_url())
    try:
        return Store(url, create=create)
    except StorageError as exc:
        raise CliError(exc.message, EXIT_UNREADABLE) from None
    except Exception as exc:  # noqa: BLE001 — bad URL, missing driver
        try:
            where = _database_name(url)
        except Exception:  # noqa: BLE001 — not even a URL
            where = "URL illisible"
        raise CliError(f"Base de données inaccessible ({where}) : {type(exc).__name__}.",
                       EXIT_UNREADABLE) from None


def _territory(store, code: str | None) -> str:
    """The territory a command works on: `code`, or the only one of the database."""
    infos = store.territories()
    known = {t.code: t for t in infos}
    listed = ", ".join(f"{t.code} {t.nom}" for t in infos)
    if code:
        code = code.strip()
        if code not in known and code.isdigit() and len(code) < 5:
            code = code.zfill(5)
        if code not in known:
            raise CliError(f"Territoire « {code} » absent de la base"
                           + (f" (territoires présents : {listed})." if infos else "."))
        return code
    if not infos:
        raise CliError("La base ne contient aucun territoire : importez d'abord un classeur "
                       "(python -m ctg_data import FICHIER) ou chargez l'exemple "
                       "(python -m ctg_data demo).")
    if len(infos) > 1:
        raise CliError(f"Plusieurs territoires dans la base ({listed}) : "
                       "précisez --territoire CODE.")
    return infos[0].code


def _load(store, code: str):
    data = store.load(code)
    if data is None:
        raise CliError(f"Territoire « {code} » absent de la base.")
    return data


def _latest_population_year(data) -> int | None:
    """The latest year whose Population row gives the population or the under-3s."""
    table = data.tables["population"]
    if table.empty:
        return None
    filled = table[table[["population", "enfants_0_2"]].notna().any(axis=1)]
    years = filled["annee"].dropna()
    return int(years.max()) if len(years) else None


def _french_float(text: str) -> float:
    try:
        value = float(text.replace(",", ".").replace("%", "").strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"nombre attendu, « {text} » trouvé")
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"nombre positif attendu, « {text} » trouvé")
    return value


def _year(text: str) -> int:
    if not text.strip().isdigit() or not 1900 <= int(text) <= 2100:
        raise argparse.ArgumentTypeError(f"année attendue (ex. 2023), « {text} » trouvé")
    return int(text)


def _when(moment) -> str:
    try:
        from zoneinfo import ZoneInfo

        moment = moment.astimezone(ZoneInfo("Europe/Paris"))
    except Exception:  # a naive datetime or no tz database: print it as stored
        pass
    return f"{moment:%d/%m/%Y %H:%M}" if hasattr(moment, "strftime") else str(moment)


def _report_problems(report) -> None:
    for problem in report.errors:
        _say(problem.as_line())
    for problem in report.warnings:
        _say(f"Avertissement : {problem.as_line()}")


def _say(text: object, file=None) -> None:
    """Print one line of output. User text in it (a file name, a cell value, a territory or
    author name) cannot drive the terminal: its control characters — an ANSI escape, a line
    break that would forge a line such as « Version créée : 999 » — are shown as visible
    escapes (`formatting.printable`)."""
    from ctg_data.formatting import printable

    print(printable(text), file=file)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n > 1 else ''}"


def _code_option(args) -> str | None:
    """The `--territoire` code of a command that reads a file (no database needed): a
    commune code typed without its leading zero is padded, as in the workbook."""
    code = (getattr(args, "territoire", None) or "").strip()
    return code.zfill(5) if code.isdigit() and len(code) < 5 else code or None


def _indicators_all(args) -> int:
    """`indicators --tous`: the cross-territory table of one year (ctg_data.territories)."""
    from ctg_data import exports, secrecy, territories

    store = _store(args)
    if not store.territories():
        _territory(store, None)   # raises the "empty database" message
    tables = territories.load(store)
    annee = args.annee or territories.latest_population_year(tables)
    if annee is None:
        raise CliError("Aucune année de population dans la base : précisez --annee ANNÉE.")
    table = territories.territory_table(tables, annee, args.cible,
                                        territories.stored_references(store, tables))
    if args.format == "json":
        content = json.dumps(territories.table_records(table), ensure_ascii=False, indent=2,
                             allow_nan=False).encode() + b"\n"
    else:
        # Files to share: small counts of people masked, as in the page's downloads.
        table, note = secrecy.mask_small_counts(table, territories.COUNT_COLUMNS)
        if note:
            _say(note, file=sys.stderr)
        content = exports.table_to_csv(table) if args.format == "csv" else \
            exports.table_to_xlsx(table, title=f"Indicateurs des territoires, {annee}",
                                  source=territories.SOURCE,
                                  formats=territories.export_formats(), note=note or None)
    if args.out:
        _write(args.out, content, f"Tableau des {_plural(len(table), 'territoire')} ({annee})")
    elif args.format == "xlsx":
        raise CliError("Le format xlsx s'écrit dans un fichier : précisez --out CHEMIN.")
    else:
        sys.stdout.buffer.write(content)
        sys.stdout.flush()
    return EXIT_OK


# --- commands ------------------------------------------------------------------------------

def cmd_validate(args) -> int:
    """`validate FILE…`: 0 valid (warnings printed), 1 invalid, 2 unreadable."""
    from ctg_data.errors import UnreadableFile
    from ctg_data.workbook import load_workbook

    worst = EXIT_OK
    for path in args.files:
        name = Path(path).name
        try:
            report = load_workbook(_read(path), name, territoire=_code_option(args))
        except (UnreadableFile, CliError) as exc:
            _say(f"{name} : {exc.message}")
            worst = max(worst, EXIT_UNREADABLE)
            continue
        _report_problems(report)
        if report.errors:
            _say(f"{name} : {_plural(len(report.errors), 'erreur')}, classeur non valide.")
            worst = max(worst, EXIT_INVALID)
        else:
            extra = f" ({_plural(len(report.warnings), 'avertissement')})" if report.warnings \
                else ""
            territories = ", ".join(f"{d.nom} ({d.code})" for d in report.datasets)
            _say(f"{name} : classeur valide{extra}"
                  + (f" — {territories}." if territories else "."))
    return worst


def cmd_import(args) -> int:
    """`import FILE…`: same exit codes as validate; prints the new version's id."""
    from ctg_data.errors import UnreadableFile
    from ctg_data.importing import import_file

    store = _store(args)
    # A file without a Territoire sheet (a one-sheet CSV) updates this stored territory.
    territoire = _territory(store, args.territoire) if args.territoire else None
    worst = EXIT_OK
    for path in args.files:
        name = Path(path).name
        try:
            outcome = import_file(store, _read(path), name, author=args.auteur,
                                  actor=_actor(args), territoire=territoire)
        except (UnreadableFile, CliError) as exc:
            _say(f"{name} : {exc.message}")
            worst = max(worst, EXIT_UNREADABLE)
            continue
        if not outcome.report.ok:
            _report_problems(outcome.report)
            _say(f"{name} : {outcome.message}")
            worst = max(worst, EXIT_INVALID)
            continue
        for problem in outcome.report.warnings:
            _say(f"Avertissement : {problem.as_line()}")
        _say(f"{name} : {outcome.message}")
        for version_id in outcome.version_ids:
            print(f"Version créée : {version_id}")
    return worst


def cmd_template(args) -> int:
    """`template --out PATH`: the empty workbook with its instructions sheet."""
    from ctg_data.writing import template_workbook

    _write(args.out, template_workbook(), "Modèle vide du classeur CTG")
    return EXIT_OK


def cmd_export(args) -> int:
    """`export --out PATH`: the stored data of a territory in the workbook format."""
    from ctg_data.writing import write_workbook

    store = _store(args)
    if args.territoire:
        codes = [_territory(store, args.territoire)]
    else:
        codes = [t.code for t in store.territories()]
        if not codes:
            _territory(store, None)   # raises the "empty database" message
    datasets = [_load(store, code) for code in codes]
    _write(args.out, write_workbook(datasets),
           "Classeur de " + ", ".join(f"{d.nom} ({d.code})" for d in datasets))
    _audit_export(store, [d.code for d in datasets], f"Classeur exporté : {args.out}")
    return EXIT_OK


def cmd_indicators(args) -> int:
    """`indicators --format json`: coverage, alerts and plan of one year; with `--tous`, the
    cross-territory table (one row per territory) as json, csv or xlsx."""
    from ctg_data.indicators import indicators_json

    if args.tous:
        if args.territoire:
            raise CliError("--tous donne tous les territoires : retirez --territoire.")
        return _indicators_all(args)
    if args.format != "json":
        raise CliError("Les formats csv et xlsx sont ceux du tableau de tous les territoires : "
                       "ajoutez --tous.")
    store = _store(args)
    data = _load(store, _territory(store, args.territoire))
    annee = args.annee or _latest_population_year(data)
    if annee is None:
        raise CliError(f"Aucune année de population pour {data.nom} : précisez --annee ANNÉE.")
    result = indicators_json(data, annee, args.cible)
    # indicators_json gives plain Python values, None for anything not computable.
    print(json.dumps(result, ensure_ascii=False, indent=2, allow_nan=False))
    return EXIT_OK


def cmd_versions(args) -> int:
    """`versions`: the stored versions, newest first."""
    store = _store(args)
    versions = store.versions()
    if not versions:
        print("Aucune version dans la base.")
        return EXIT_OK
    for v in versions:
        parts = [f"{v.id:>5}", _when(v.created_at), f"{v.code} {v.nom}", v.kind]
        if v.file_name:
            parts.append(f"« {v.file_name} »")
        if v.author:
            parts.append(f"par {v.author}")
        if v.is_current:
            parts.append("(actuelle)")
        _say("  ".join(parts))
    return EXIT_OK


def cmd_restore(args) -> int:
    """`restore VERSION`: a new current version copying an earlier one."""
    store = _store(args)
    known = {v.id: v for v in store.versions()}
    old = known.get(args.version)
    if old is None:
        raise CliError(f"Version {args.version} introuvable (python -m ctg_data versions "
                       "liste les versions).")
    new_id = store.restore(args.version, author=args.auteur, actor=_actor(args))
    _say(f"Version {args.version} rétablie pour {old.nom} ({old.code}) : "
          f"nouvelle version {new_id}.")
    print(f"Version créée : {new_id}")
    return EXIT_OK


CONFLICT_LINES_SHOWN = 100


def cmd_opendata(args) -> int:
    """`opendata FILE`: import a Caf or INSEE open-data file."""
    from ctg_data.opendata import OpendataError, detect, import_opendata

    content = _read(args.file)
    name = Path(args.file).name
    kind = detect(content, name)
    store = _store(args)
    code = _territory(store, args.territoire) if kind.startswith("insee_") else None
    try:
        outcome = import_opendata(store, content, name, code=code, author=args.auteur,
                                  actor=_actor(args))
    except OpendataError as exc:
        raise CliError(exc.message) from None
    for note in outcome.notes:
        _say(f"  {note}")
    _say(outcome.message)
    # Values on which this edition and a stored one disagree (the value not shown first).
    for line in outcome.conflict_lines[:CONFLICT_LINES_SHOWN]:
        _say(f"  {line}")
    if len(outcome.conflict_lines) > CONFLICT_LINES_SHOWN:
        _say(f"  … et {len(outcome.conflict_lines) - CONFLICT_LINES_SHOWN} autres (python -m "
             "ctg_data references donne les valeurs affichées).")
    for version_id in outcome.version_ids:
        print(f"Version créée : {version_id}")
    return EXIT_OK


def cmd_demo(args) -> int:
    """`demo`: load the Lys-lez-Lannoy example into the database."""
    from ctg_data.importing import import_example

    store = _store(args)
    present = store.territories()
    if present:
        _say(f"La base contient déjà {_plural(len(present), 'territoire')} "
              f"({', '.join(f'{t.code} {t.nom}' for t in present)}) : l'exemple n'est pas "
              "importé.")
        return EXIT_OK
    outcome = import_example(store, actor=_actor(args))
    if outcome is None:
        raise CliError("Classeur d'exemple introuvable (réglage CTG_EXAMPLE_WORKBOOK) : rien "
                       "n'a été importé.", EXIT_UNREADABLE)
    if not outcome.version_ids and not outcome.duplicate:
        _report_problems(outcome.report)
        raise CliError(f"L'exemple n'a pas pu être importé : {outcome.message}")
    _say(f"Base vide : classeur d'exemple importé. {outcome.message}")
    return EXIT_OK


def cmd_bilan(args) -> int:
    """`bilan --format docx|pdf|pptx|xlsx`: the yearly bilan report."""
    store = _store(args)
    data = _load(store, _territory(store, args.territoire))
    from ctg_data.bilan import build_bilan

    content = build_bilan(data, args.annee, args.format, store=store)
    _write(args.out, content, f"Bilan {args.annee} ({args.format.upper()}) de {data.nom}")
    _audit_export(store, [data.code], f"Bilan {args.annee} ({args.format}) : {args.out}")
    return EXIT_OK


# --- accounts (shared mode) ----------------------------------------------------------------

def _actor(args):
    """The account the command line acts as: an administrator named by --auteur (whoever
    runs it on the server holds the database anyway)."""
    from ctg_data.accounts import command_line_account

    return command_line_account(getattr(args, "auteur", None) or "ligne de commande")


def _audit_export(store, codes, detail: str) -> None:
    from ctg_data import audit
    from ctg_data.accounts import command_line_account

    for code in codes:
        audit.record(store, command_line_account().login, "export", code, detail)


def _password(args) -> str:
    """The new password: first line of the standard input (--mot-de-passe-stdin, for
    scripts), else typed twice without echo."""
    if args.mot_de_passe_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    import getpass

    first = getpass.getpass("Mot de passe : ")
    if getpass.getpass("Confirmez le mot de passe : ") != first:
        raise CliError("Les deux mots de passe diffèrent : rien n'a été enregistré.")
    return first


def _territory_list(text: str | None):
    if text is None or text.strip() in ("", "*", "tous"):
        return None
    return [c.strip() for c in text.replace(";", ",").split(",") if c.strip()]


def _rights(account) -> str:
    from ctg_data.accounts import ROLE_LABELS

    where = ("tous les territoires" if account.territoires is None else
             ", ".join(sorted(account.territoires)) or "aucun territoire")
    return f"{ROLE_LABELS[account.role]} — {where}"


def cmd_comptes(args) -> int:
    """`comptes ajouter|roles|mot-de-passe|desactiver|lister`: accounts of the shared mode."""
    from ctg_data import accounts

    store = _store(args)
    actor = _actor(args)
    try:
        if args.action == "lister":
            infos = accounts.list_accounts(store)
            if not infos:
                print("Aucun compte. Créez le premier administrateur : python -m ctg_data "
                      "comptes ajouter LOGIN --nom NOM --role administrateur")
            for info in infos:
                state = "actif" if info.active else "désactivé"
                how = "mot de passe" if info.has_password else "fournisseur d'identité"
                _say(f"{info.account.login}  {info.account.nom}  {_rights(info.account)}  "
                      f"({state}, {how})")
            return EXIT_OK
        if args.action == "ajouter":
            password = None if args.sans_mot_de_passe else _password(args)
            account = accounts.add_account(store, args.login, args.nom or "", args.role,
                                           password, territoires=_territory_list(
                                               args.territoires), actor=actor)
            _say(f"Compte « {account.login} » créé : {_rights(account)}.")
        elif args.action == "roles":
            account = accounts.set_role(store, args.login, args.role,
                                        territoires=_territory_list(args.territoires),
                                        actor=actor)
            _say(f"Compte « {account.login} » : {_rights(account)}.")
        elif args.action == "mot-de-passe":
            accounts.set_password(store, args.login, _password(args), actor=actor)
            _say(f"Mot de passe du compte « {args.login} » changé.")
        else:
            accounts.deactivate(store, args.login, actor=actor)
            _say(f"Compte « {args.login} » désactivé.")
    except ValueError as exc:
        raise CliError(str(exc)) from None
    return EXIT_OK


def _default_database_url() -> str:
    from ctg_data import settings

    return next(s.default for s in settings.SETTINGS if s.name == "database_url")


def _database_errors() -> tuple:
    """The store's exceptions whose message is for people (StorageError, EditConflict)."""
    try:
        from ctg_data.storage import EditConflict, StorageError
    except Exception:  # noqa: BLE001 — storage itself failed to import: the generic message
        return ()
    return (StorageError, EditConflict)


def _postgresql_commands(url: str, what: str, path: str) -> list[str]:
    """The pg_dump / pg_restore instructions for a PostgreSQL URL (password never shown)."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    target = (f"postgresql://{parsed.username + '@' if parsed.username else ''}"
              f"{parsed.host or 'localhost'}{':' + str(parsed.port) if parsed.port else ''}"
              f"/{parsed.database or ''}")
    if what == "sauvegarde":
        return ["La base est une base PostgreSQL : sauvegardez-la avec pg_dump (format "
                "personnalisé, toute la base) :",
                f'  pg_dump --format=custom --file={path} "{target}"',
                "Le mot de passe est demandé, ou lu dans ~/.pgpass ou la variable PGPASSWORD.",
                f"Pour la rétablir, l'application arrêtée : python -m ctg_data restauration "
                f"{path} (affiche la commande pg_restore)."]
    return ["La base est une base PostgreSQL : restaurez la sauvegarde avec pg_restore, "
            "l'application arrêtée, après une sauvegarde de la base actuelle "
            "(python -m ctg_data sauvegarde) :",
            f'  pg_restore --clean --if-exists --no-owner --dbname="{target}" {path}']


def cmd_sauvegarde(args) -> int:
    """`sauvegarde FILE`: a consistent copy of the whole database (SQLite online backup)."""
    from ctg_data import settings
    from ctg_data.storage import _sqlite_file

    url = args.db or settings.get("database_url")
    if _sqlite_file(url) is None:
        for line in _postgresql_commands(url, "sauvegarde", args.file):
            _say(line)
        return EXIT_INVALID
    store = _store(args)
    try:
        path = store.backup(args.file)
    finally:
        store.close()
    _say(f"Sauvegarde de toute la base écrite dans {path} ({_size(path.stat().st_size)}, "
         "lisible par vous seul). Pour la rétablir : python -m ctg_data restauration "
         f"{path}")
    return EXIT_OK


def cmd_restauration(args) -> int:
    """`restauration FILE`: replace the whole database with a backup (the current database is
    kept beside it first)."""
    from ctg_data import settings
    from ctg_data.storage import _sqlite_file, restore_database

    url = args.db or settings.get("database_url")
    if _sqlite_file(url) is None:
        for line in _postgresql_commands(url, "restauration", args.file):
            _say(line)
        return EXIT_INVALID
    kept = restore_database(args.file, url)
    _say(f"Base rétablie depuis la sauvegarde {args.file}.")
    if kept is not None:
        _say(f"La base telle qu'elle était avant est conservée dans {kept}.")
    return EXIT_OK


def cmd_references(args) -> int:
    """`references [--niveau N] [--code C] [--annee A] --format json|csv`: the reference
    values as the application shows them (one edition per figure), one object per value with
    the keys niveau, code, nom, annee, indicateur, valeur, source, edition."""
    from ctg_data import exports
    from ctg_data.opendata import _caf_code
    from ctg_data.references import NIVEAU_NAMES, shown_references

    store = _store(args)
    code = (args.code or "").strip() or None
    if code is not None and args.niveau in ("commune", "departement", "region"):
        code = _caf_code(NIVEAU_NAMES[args.niveau], code)   # 1065 -> 01065, 1 -> 01
    elif code is not None and args.niveau == "national":
        code = code.upper()
    frame = shown_references(store, niveau=args.niveau, code=code, annee=args.annee)
    columns = ["niveau", "code", "nom", "annee", "indicateur", "valeur", "source", "edition"]
    frame = frame[columns]
    if args.format == "json":
        records = [{"niveau": r.niveau, "code": r.code, "nom": r.nom or "",
                    "annee": int(r.annee), "indicateur": r.indicateur,
                    "valeur": None if r.valeur != r.valeur else float(r.valeur),
                    "source": r.source or "", "edition": r.edition or ""}
                   for r in frame.itertuples(index=False)]
        content = json.dumps(records, ensure_ascii=False, indent=2,
                             allow_nan=False).encode() + b"\n"
    else:
        # For French Excel, as every CSV of the application: `;`, decimal comma; a rate keeps
        # its published tenth (60,0, not 60), no digit is lost.
        frame = frame.assign(valeur=[
            None if v != v else (f"{v:.1f}" if round(v, 1) == v else repr(float(v)))
            .replace(".", ",") for v in frame["valeur"]])
        content = exports.table_to_csv(frame)
    sys.stdout.buffer.write(content)
    sys.stdout.flush()
    return EXIT_OK


# --- parser --------------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    """The argument parser of `python -m ctg_data`, help texts in French."""
    parser = _Parser(
        prog="python -m ctg_data",
        description="Tableau de bord CTG : valider, importer, exporter les classeurs CTG, "
                    "calculer les indicateurs et produire le bilan.",
        epilog="Codes de sortie : 0 = réussi, 1 = données non valides ou demande impossible, "
               "2 = fichier illisible ou erreur inattendue.")
    sub = parser.add_subparsers(dest="command", title="commandes", metavar="COMMANDE",
                                parser_class=_Parser)
    sub.required = True

    def command(name, func, help_text):
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(func=func)
        return p

    def db(p):
        p.add_argument("--db", metavar="URL",
                       help="base de données (URL SQLAlchemy) ; par défaut CTG_DATABASE_URL ou "
                            "la base SQLite du projet")

    def territoire(p):
        p.add_argument("--territoire", metavar="CODE",
                       help="code INSEE (ou SIREN) du territoire, obligatoire quand la base en "
                            "contient plusieurs")

    def auteur(p):
        p.add_argument("--auteur", default="ligne de commande", metavar="NOM",
                       help="nom enregistré avec la version (défaut : « ligne de commande »)")

    p = command("validate", cmd_validate,
                "vérifier un ou plusieurs classeurs sans rien enregistrer")
    p.add_argument("files", nargs="+", metavar="FICHIER", help="classeur .xlsx, .xlsm, .xls, "
                   ".ods ou .csv")
    p.add_argument("--territoire", metavar="CODE",
                   help="territoire d'un fichier sans feuille Territoire (un CSV d'une feuille)")

    p = command("import", cmd_import, "valider puis enregistrer un ou plusieurs classeurs "
                                      "(une nouvelle version par territoire)")
    p.add_argument("files", nargs="+", metavar="FICHIER", help="classeur à importer")
    p.add_argument("--territoire", metavar="CODE",
                   help="territoire (déjà dans la base) que met à jour un fichier sans feuille "
                        "Territoire (un CSV d'une feuille)")
    db(p)
    auteur(p)

    p = command("template", cmd_template, "écrire le modèle vide du classeur CTG (.xlsx)")
    p.add_argument("--out", required=True, metavar="CHEMIN", help="fichier .xlsx à écrire")

    p = command("export", cmd_export,
                "exporter les données enregistrées au format du classeur CTG (.xlsx)")
    db(p)
    p.add_argument("--territoire", metavar="CODE",
                   help="code du territoire ; sans ce choix, tous les territoires de la base")
    p.add_argument("--out", required=True, metavar="CHEMIN", help="fichier .xlsx à écrire")

    p = command("indicators", cmd_indicators,
                "afficher les indicateurs d'un territoire pour une année (JSON), ou avec "
                "--tous ceux de tous les territoires (JSON, CSV ou Excel)")
    db(p)
    territoire(p)
    p.add_argument("--annee", type=_year, metavar="ANNÉE",
                   help="année (défaut : dernière année avec des chiffres de population)")
    p.add_argument("--cible", type=_french_float, metavar="TAUX",
                   help="taux de couverture visé, pour calculer les places manquantes")
    p.add_argument("--format", choices=("json", "csv", "xlsx"), default="json",
                   help="format de sortie : json ; avec --tous, aussi csv ou xlsx")
    p.add_argument("--tous", action="store_true",
                   help="tous les territoires de la base : une ligne par territoire (taux global "
                        "dans la colonne taux_couverture_global)")
    p.add_argument("--out", metavar="CHEMIN",
                   help="avec --tous : fichier à écrire (obligatoire pour xlsx ; sinon la "
                        "sortie standard)")

    p = command("versions", cmd_versions, "lister les versions enregistrées (la plus récente "
                                          "d'abord)")
    db(p)

    p = command("restore", cmd_restore,
                "rétablir une ancienne version (crée une nouvelle version, copie de l'ancienne)")
    p.add_argument("version", type=int, metavar="VERSION", help="numéro de la version")
    db(p)
    auteur(p)

    p = command("opendata", cmd_opendata,
                "importer un fichier de données ouvertes (taux de couverture Caf, fichiers "
                "communaux INSEE)")
    p.add_argument("file", metavar="FICHIER", help="fichier CSV de data.caf.fr ou de l'INSEE")
    territoire(p)
    db(p)
    auteur(p)

    p = command("references", cmd_references,
                "afficher les valeurs de référence telles que l'application les montre (une "
                "édition par valeur), en JSON ou CSV")
    db(p)
    p.add_argument("--niveau", choices=("commune", "epci", "departement", "region",
                                        "national"), help="niveau géographique")
    p.add_argument("--code", metavar="CODE",
                   help="code du territoire (commune 59367, EPCI 200093201, département 59…)")
    p.add_argument("--annee", type=_year, metavar="ANNÉE", help="année")
    p.add_argument("--format", choices=("json", "csv"), default="json",
                   help="format de sortie (défaut : json)")

    p = command("demo", cmd_demo, "charger le classeur d'exemple quand la base est vide")
    db(p)

    p = command("sauvegarde", cmd_sauvegarde,
                "sauvegarder toute la base dans un fichier (SQLite ; commandes pg_dump pour "
                "PostgreSQL)")
    p.add_argument("file", metavar="FICHIER", help="fichier de sauvegarde à créer")
    db(p)

    p = command("restauration", cmd_restauration,
                "remplacer toute la base par une sauvegarde (la base actuelle est conservée à "
                "côté)")
    p.add_argument("file", metavar="FICHIER", help="fichier de sauvegarde")
    db(p)

    p = command("bilan", cmd_bilan, "produire le bilan annuel (docx, pdf, pptx ou xlsx)")
    db(p)
    territoire(p)
    p.add_argument("--annee", type=_year, required=True, metavar="ANNÉE", help="année du bilan")
    p.add_argument("--format", choices=("docx", "pdf", "pptx", "xlsx"), required=True,
                   help="format du document")
    p.add_argument("--out", required=True, metavar="CHEMIN", help="fichier à écrire")

    p = command("comptes", cmd_comptes,
                "gérer les comptes du mode partagé (ajouter, roles, mot-de-passe, desactiver, "
                "lister)")
    actions = p.add_subparsers(dest="action", title="actions", metavar="ACTION",
                               parser_class=_Parser)
    actions.required = True
    roles = ("lecteur", "editeur", "administrateur")

    def account_action(name, help_text):
        a = actions.add_parser(name, help=help_text, description=help_text)
        db(a)
        if name != "lister":
            a.add_argument("login", metavar="LOGIN",
                           help="identifiant (adresse électronique pour un fournisseur "
                                "d'identité)")
        return a

    def stdin_option(a):
        a.add_argument("--mot-de-passe-stdin", action="store_true",
                       help="lire le mot de passe sur l'entrée standard (scripts)")

    def territory_option(a):
        a.add_argument("--territoires", metavar="CODES",
                       help="codes des territoires d'un éditeur, séparés par des virgules ; "
                            "sans cette option, tous les territoires")

    a = account_action("ajouter", "créer un compte")
    a.add_argument("--nom", metavar="NOM", help="nom affiché et enregistré dans l'historique")
    a.add_argument("--role", choices=roles, required=True, help="rôle du compte")
    territory_option(a)
    stdin_option(a)
    a.add_argument("--sans-mot-de-passe", action="store_true",
                   help="compte qui se connecte seulement par le fournisseur d'identité (OIDC)")
    a = account_action("roles", "changer le rôle et les territoires d'un compte (le réactive)")
    a.add_argument("--role", choices=roles, required=True, help="nouveau rôle")
    territory_option(a)
    a = account_action("mot-de-passe", "changer le mot de passe d'un compte")
    stdin_option(a)
    account_action("desactiver", "désactiver un compte (il ne peut plus se connecter)")
    account_action("lister", "lister les comptes")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code (never raises, never prints a traceback)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:          # --help (0) or a usage error (2)
        return int(exc.code or 0) if isinstance(exc.code, int) or exc.code is None \
            else EXIT_UNREADABLE
    # Library warnings (pandas, openpyxl) are for developers; users get French messages.
    warnings.simplefilter("ignore")
    try:
        return args.func(args)
    except CliError as exc:
        _say(exc.message, file=sys.stderr)
        return exc.code
    except _database_errors() as exc:  # read-only, full, locked, corrupt, stale: French
        _say(exc.message, file=sys.stderr)
        return EXIT_INVALID if type(exc).__name__ in ("EditConflict", "StalePreview") \
            else EXIT_UNREADABLE
    except KeyboardInterrupt:
        print("Interrompu.", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # noqa: BLE001 — the promise: one French line, never a traceback
        message = getattr(exc, "message", None)
        try:
            from ctg_data.errors import UnreadableFile

            if isinstance(exc, UnreadableFile):
                _say(message or str(exc), file=sys.stderr)
                return EXIT_UNREADABLE
        except Exception:  # noqa: BLE001 — errors.py itself may be what failed
            pass
        _say(f"Erreur inattendue ({type(exc).__name__}) : {message or exc}", file=sys.stderr)
        return EXIT_UNREADABLE
