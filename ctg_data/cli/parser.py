"""The argument parser of `python -m ctg_data`: French help and errors, one small function
per group of commands."""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable, Sequence

from ctg_data.cli.accounts import cmd_comptes
from ctg_data.cli.backups import cmd_restauration, cmd_sauvegarde
from ctg_data.cli.bilan import bilan_formats, cmd_bilan
from ctg_data.cli.common import EXIT_UNREADABLE
from ctg_data.cli.data import (cmd_demo, cmd_export, cmd_import, cmd_indicators, cmd_restore,
                               cmd_template, cmd_validate, cmd_versions)
from ctg_data.cli.references import cmd_opendata, cmd_references

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


class _LazyChoices(Sequence):
    """Choices read from another module only when argparse needs them (a value to check, a
    help to print), so that `python -m ctg_data --help` does not import that module."""

    def __init__(self, load: Callable[[], Sequence[str]]):
        self._load = load
        self._items: tuple[str, ...] | None = None

    def _all(self) -> tuple[str, ...]:
        if self._items is None:
            self._items = tuple(self._load())
        return self._items

    def __getitem__(self, index):
        return self._all()[index]

    def __len__(self) -> int:
        return len(self._all())


# --- argument types --------------------------------------------------------------------------

def _refused_value(code: str, text: str) -> argparse.ArgumentTypeError:
    """argparse's refusal of the value `text`, worded by catalogue entry `code`: an option
    reads as a cell of the workbook does (« année attendue (ex. 2023), « 20x3 » trouvé »)."""
    from ctg_data.errors import CATALOGUE

    refusal = argparse.ArgumentTypeError(CATALOGUE[code].template.format(value=text))
    refusal.code = code
    return refusal


def _french_float(text: str) -> float:
    """A number written the French way (`12,5`, `12,5 %`), positive and finite."""
    try:
        value = float(text.replace(",", ".").replace("%", "").strip())
    except ValueError:
        raise _refused_value("nombre_attendu", text) from None
    if not math.isfinite(value) or value < 0:
        raise _refused_value("nombre_positif_attendu", text)
    return value


def _year(text: str) -> int:
    """A year between 1900 and 2100."""
    if not text.strip().isdigit() or not 1900 <= int(text) <= 2100:
        raise _refused_value("annee_attendue", text)
    return int(text)


# --- options shared by several commands ------------------------------------------------------

def _command(sub, name: str, func, help_text: str) -> argparse.ArgumentParser:
    p = sub.add_parser(name, help=help_text, description=help_text)
    p.set_defaults(func=func)
    return p


def _db(p) -> None:
    p.add_argument("--db", metavar="URL",
                   help="base de données (URL SQLAlchemy) ; par défaut CTG_DATABASE_URL ou "
                        "la base SQLite du projet")


def _territoire(p) -> None:
    p.add_argument("--territoire", metavar="CODE",
                   help="code INSEE (ou SIREN) du territoire, obligatoire quand la base en "
                        "contient plusieurs")


def _auteur(p) -> None:
    p.add_argument("--auteur", default="ligne de commande", metavar="NOM",
                   help="nom enregistré avec la version (défaut : « ligne de commande »)")


# --- the commands, by group ------------------------------------------------------------------

def _add_workbook_commands(sub) -> None:
    """validate, import, template, export."""
    p = _command(sub, "validate", cmd_validate,
                 "vérifier un ou plusieurs classeurs sans rien enregistrer")
    p.add_argument("files", nargs="+", metavar="FICHIER", help="classeur .xlsx, .xlsm, .xls, "
                   ".ods ou .csv")
    p.add_argument("--territoire", metavar="CODE",
                   help="territoire d'un fichier sans feuille Territoire (un CSV d'une feuille)")

    p = _command(sub, "import", cmd_import, "valider puis enregistrer un ou plusieurs "
                                            "classeurs (une nouvelle version par territoire)")
    p.add_argument("files", nargs="+", metavar="FICHIER", help="classeur à importer")
    p.add_argument("--territoire", metavar="CODE",
                   help="territoire (déjà dans la base) que met à jour un fichier sans feuille "
                        "Territoire (un CSV d'une feuille)")
    _db(p)
    _auteur(p)

    p = _command(sub, "template", cmd_template, "écrire le modèle vide du classeur CTG (.xlsx)")
    p.add_argument("--out", required=True, metavar="CHEMIN", help="fichier .xlsx à écrire")

    p = _command(sub, "export", cmd_export,
                 "exporter les données enregistrées au format du classeur CTG (.xlsx)")
    _db(p)
    p.add_argument("--territoire", metavar="CODE",
                   help="code du territoire ; sans ce choix, tous les territoires de la base")
    p.add_argument("--out", required=True, metavar="CHEMIN", help="fichier .xlsx à écrire")


def _add_indicators_command(sub) -> None:
    """indicators."""
    p = _command(sub, "indicators", cmd_indicators,
                 "afficher les indicateurs d'un territoire pour une année (JSON), ou avec "
                 "--tous ceux de tous les territoires (JSON, CSV ou Excel)")
    _db(p)
    _territoire(p)
    p.add_argument("--annee", type=_year, metavar="ANNÉE",
                   help="année (défaut : dernière année avec des chiffres de population)")
    p.add_argument("--cible", type=_french_float, metavar="TAUX",
                   help="taux de couverture visé, pour calculer les places manquantes")
    p.add_argument("--format", choices=("json", "csv", "xlsx"), default="json",
                   help="format de sortie : json ; avec --tous, aussi csv ou xlsx")
    p.add_argument("--tous", action="store_true",
                   help="tous les territoires de la base : une ligne par territoire (taux "
                        "global dans la colonne taux_couverture_global)")
    p.add_argument("--out", metavar="CHEMIN",
                   help="avec --tous : fichier à écrire (obligatoire pour xlsx ; sinon la "
                        "sortie standard)")


def _add_version_commands(sub) -> None:
    """versions, restore."""
    p = _command(sub, "versions", cmd_versions, "lister les versions enregistrées (la plus "
                                                "récente d'abord)")
    _db(p)

    p = _command(sub, "restore", cmd_restore,
                 "rétablir une ancienne version (crée une nouvelle version, copie de "
                 "l'ancienne)")
    p.add_argument("version", type=int, metavar="VERSION", help="numéro de la version")
    _db(p)
    _auteur(p)


def _add_reference_commands(sub) -> None:
    """opendata, references."""
    p = _command(sub, "opendata", cmd_opendata,
                 "importer un fichier de données ouvertes (taux de couverture Caf, fichiers "
                 "communaux INSEE)")
    p.add_argument("file", metavar="FICHIER", help="fichier CSV de data.caf.fr ou de l'INSEE")
    _territoire(p)
    _db(p)
    _auteur(p)

    p = _command(sub, "references", cmd_references,
                 "afficher les valeurs de référence telles que l'application les montre (une "
                 "édition par valeur), en JSON ou CSV")
    _db(p)
    p.add_argument("--niveau", choices=("commune", "epci", "departement", "region",
                                        "national"), help="niveau géographique")
    p.add_argument("--code", metavar="CODE",
                   help="code du territoire (commune 59367, EPCI 200093201, département 59…)")
    p.add_argument("--annee", type=_year, metavar="ANNÉE", help="année")
    p.add_argument("--format", choices=("json", "csv"), default="json",
                   help="format de sortie (défaut : json)")


def _add_demo_command(sub) -> None:
    """demo."""
    p = _command(sub, "demo", cmd_demo, "charger le classeur d'exemple quand la base est vide")
    _db(p)


def _add_backup_commands(sub) -> None:
    """sauvegarde, restauration."""
    p = _command(sub, "sauvegarde", cmd_sauvegarde,
                 "sauvegarder toute la base dans un fichier (SQLite ; commandes pg_dump pour "
                 "PostgreSQL)")
    p.add_argument("file", metavar="FICHIER", help="fichier de sauvegarde à créer")
    _db(p)

    p = _command(sub, "restauration", cmd_restauration,
                 "remplacer toute la base par une sauvegarde (la base actuelle est conservée "
                 "à côté)")
    p.add_argument("file", metavar="FICHIER", help="fichier de sauvegarde")
    _db(p)


def _add_bilan_command(sub) -> None:
    """bilan: its formats are the bilan's own list, read when `bilan` is used."""
    p = _command(sub, "bilan", cmd_bilan, "produire le bilan annuel (formats : voir bilan --help)")
    _db(p)
    _territoire(p)
    p.add_argument("--annee", type=_year, required=True, metavar="ANNÉE", help="année du bilan")
    # A metavar while adding, else argparse would read the choices (import the bilan) now;
    # without it afterwards, `bilan --help` shows the choices as for any option.
    action = p.add_argument("--format", choices=_LazyChoices(bilan_formats), required=True,
                            metavar="FORMAT", help="format du document")
    action.metavar = None
    p.add_argument("--out", required=True, metavar="CHEMIN", help="fichier à écrire")


def _add_account_commands(sub) -> None:
    """comptes ajouter|roles|mot-de-passe|desactiver|lister."""
    p = _command(sub, "comptes", cmd_comptes,
                 "gérer les comptes du mode partagé (ajouter, roles, mot-de-passe, "
                 "desactiver, lister)")
    actions = p.add_subparsers(dest="action", title="actions", metavar="ACTION",
                               parser_class=_Parser)
    actions.required = True
    roles = ("lecteur", "editeur", "administrateur")

    def account_action(name, help_text):
        a = actions.add_parser(name, help=help_text, description=help_text)
        _db(a)
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
    for add in (_add_workbook_commands, _add_indicators_command, _add_version_commands,
                _add_reference_commands, _add_demo_command, _add_backup_commands,
                _add_bilan_command, _add_account_commands):
        add(sub)
    return parser
