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
    print(f"{what} écrit dans {file} ({_size(len(content))}).")


def _size(n: int) -> str:
    from ctg_data.formatting import fr_number

    return f"{fr_number(n / 1024, 0)} Ko" if n < 1024 * 1024 else \
        f"{fr_number(n / 1024 / 1024, 1)} Mo"


def _store(args):
    from ctg_data import settings
    from ctg_data.storage import Store

    url = args.db or settings.get("database_url")
    try:
        return Store(url)
    except Exception as exc:  # noqa: BLE001 — bad URL, missing driver, unreachable server
        raise CliError(f"Base de données inaccessible ({url}) : {exc}", EXIT_UNREADABLE)


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
        print(problem.as_line())
    for problem in report.warnings:
        print(f"Avertissement : {problem.as_line()}")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n > 1 else ''}"


# --- commands ------------------------------------------------------------------------------

def cmd_validate(args) -> int:
    """`validate FILE…`: 0 valid (warnings printed), 1 invalid, 2 unreadable."""
    from ctg_data.errors import UnreadableFile
    from ctg_data.workbook import load_workbook

    worst = EXIT_OK
    for path in args.files:
        name = Path(path).name
        try:
            report = load_workbook(_read(path), name)
        except (UnreadableFile, CliError) as exc:
            print(f"{name} : {exc.message}")
            worst = max(worst, EXIT_UNREADABLE)
            continue
        _report_problems(report)
        if report.errors:
            print(f"{name} : {_plural(len(report.errors), 'erreur')}, classeur non valide.")
            worst = max(worst, EXIT_INVALID)
        else:
            extra = f" ({_plural(len(report.warnings), 'avertissement')})" if report.warnings \
                else ""
            territories = ", ".join(f"{d.nom} ({d.code})" for d in report.datasets)
            print(f"{name} : classeur valide{extra}"
                  + (f" — {territories}." if territories else "."))
    return worst


def cmd_import(args) -> int:
    """`import FILE…`: same exit codes as validate; prints the new version's id."""
    from ctg_data.errors import UnreadableFile
    from ctg_data.importing import import_file

    store = _store(args)
    worst = EXIT_OK
    for path in args.files:
        name = Path(path).name
        try:
            outcome = import_file(store, _read(path), name, author=args.auteur)
        except (UnreadableFile, CliError) as exc:
            print(f"{name} : {exc.message}")
            worst = max(worst, EXIT_UNREADABLE)
            continue
        if not outcome.report.ok:
            _report_problems(outcome.report)
            print(f"{name} : {outcome.message}")
            worst = max(worst, EXIT_INVALID)
            continue
        for problem in outcome.report.warnings:
            print(f"Avertissement : {problem.as_line()}")
        print(f"{name} : {outcome.message}")
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
    return EXIT_OK


def cmd_indicators(args) -> int:
    """`indicators --format json`: coverage, alerts and plan of one year."""
    from ctg_data.indicators import indicators_json

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
        print("  ".join(parts))
    return EXIT_OK


def cmd_restore(args) -> int:
    """`restore VERSION`: a new current version copying an earlier one."""
    store = _store(args)
    known = {v.id: v for v in store.versions()}
    old = known.get(args.version)
    if old is None:
        raise CliError(f"Version {args.version} introuvable (python -m ctg_data versions "
                       "liste les versions).")
    new_id = store.restore(args.version, author=args.auteur)
    print(f"Version {args.version} rétablie pour {old.nom} ({old.code}) : "
          f"nouvelle version {new_id}.")
    print(f"Version créée : {new_id}")
    return EXIT_OK


def cmd_opendata(args) -> int:
    """`opendata FILE`: import a Caf or INSEE open-data file."""
    from ctg_data.opendata import OpendataError, detect, import_opendata

    content = _read(args.file)
    name = Path(args.file).name
    kind = detect(content, name)
    store = _store(args)
    code = _territory(store, args.territoire) if kind.startswith("insee_") else None
    try:
        outcome = import_opendata(store, content, name, code=code, author=args.auteur)
    except OpendataError as exc:
        raise CliError(exc.message) from None
    for note in outcome.notes:
        print(f"  {note}")
    print(outcome.message)
    for version_id in outcome.version_ids:
        print(f"Version créée : {version_id}")
    return EXIT_OK


def cmd_demo(args) -> int:
    """`demo`: load the Lys-lez-Lannoy example into the database."""
    from ctg_data.importing import import_example

    store = _store(args)
    present = store.territories()
    if present:
        print(f"La base contient déjà {_plural(len(present), 'territoire')} "
              f"({', '.join(f'{t.code} {t.nom}' for t in present)}) : l'exemple n'est pas "
              "importé.")
        return EXIT_OK
    outcome = import_example(store)
    if outcome is None:
        raise CliError("Classeur d'exemple introuvable (réglage CTG_EXAMPLE_WORKBOOK) : rien "
                       "n'a été importé.", EXIT_UNREADABLE)
    if not outcome.version_ids and not outcome.duplicate:
        _report_problems(outcome.report)
        raise CliError(f"L'exemple n'a pas pu être importé : {outcome.message}")
    print(f"Base vide : classeur d'exemple importé. {outcome.message}")
    return EXIT_OK


def cmd_bilan(args) -> int:
    """`bilan --format docx|pdf|pptx|xlsx`: the yearly bilan report."""
    store = _store(args)
    data = _load(store, _territory(store, args.territoire))
    from ctg_data.bilan import build_bilan

    content = build_bilan(data, args.annee, args.format, store=store)
    _write(args.out, content, f"Bilan {args.annee} ({args.format.upper()}) de {data.nom}")
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

    p = command("import", cmd_import, "valider puis enregistrer un ou plusieurs classeurs "
                                      "(une nouvelle version par territoire)")
    p.add_argument("files", nargs="+", metavar="FICHIER", help="classeur à importer")
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
                "afficher les indicateurs d'un territoire pour une année (JSON)")
    db(p)
    territoire(p)
    p.add_argument("--annee", type=_year, metavar="ANNÉE",
                   help="année (défaut : dernière année avec des chiffres de population)")
    p.add_argument("--cible", type=_french_float, metavar="TAUX",
                   help="taux de couverture visé, pour calculer les places manquantes")
    p.add_argument("--format", choices=("json",), default="json",
                   help="format de sortie (json)")

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

    p = command("demo", cmd_demo, "charger le classeur d'exemple quand la base est vide")
    db(p)

    p = command("bilan", cmd_bilan, "produire le bilan annuel (docx, pdf, pptx ou xlsx)")
    db(p)
    territoire(p)
    p.add_argument("--annee", type=_year, required=True, metavar="ANNÉE", help="année du bilan")
    p.add_argument("--format", choices=("docx", "pdf", "pptx", "xlsx"), required=True,
                   help="format du document")
    p.add_argument("--out", required=True, metavar="CHEMIN", help="fichier à écrire")
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
        print(exc.message, file=sys.stderr)
        return exc.code
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
                print(message or str(exc), file=sys.stderr)
                return EXIT_UNREADABLE
        except Exception:  # noqa: BLE001 — errors.py itself may be what failed
            pass
        print(f"Erreur inattendue ({type(exc).__name__}) : {message or exc}", file=sys.stderr)
        return EXIT_UNREADABLE
