"""Every setting of the application, declared once with its default and help text.

A setting is read from the environment variable `CTG_<NAME>` (upper case) when set.
The README's settings table is checked against this list by a test.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Setting:
    """One setting: name, default value and French help text."""

    name: str
    default: object
    help: str

    @property
    def env_var(self) -> str:
        """The environment variable that sets it (CTG_ + its name in capitals)."""
        return "CTG_" + self.name.upper()


SETTINGS: tuple[Setting, ...] = (
    Setting("database_url", f"sqlite:///{REPO_ROOT / 'data' / 'ctg.sqlite'}",
            "Base de données (URL SQLAlchemy). SQLite embarqué par défaut ; PostgreSQL accepté."),
    Setting("max_file_mb", 20, "Taille maximale d'un fichier importé (Mo)."),
    Setting("max_uncompressed_mb", 200,
            "Taille maximale décompressée d'un classeur .xlsx/.ods (Mo), vérifiée avant lecture."),
    Setting("max_rows", 100_000, "Nombre maximal de lignes d'une feuille."),
    Setting("max_columns", 3_000, "Nombre maximal de colonnes d'une feuille."),
    Setting("max_opendata_mb", 50,
            "Taille maximale d'un fichier de taux de couverture de la Caf (données ouvertes "
            "importées en entier), en Mo."),
    Setting("max_opendata_rows", 300_000,
            "Nombre maximal de lignes d'un fichier de taux de couverture de la Caf (le fichier "
            "national par commune compte environ 35 000 lignes par année)."),
    Setting("read_timeout_s", 60, "Durée maximale de lecture d'un fichier (secondes)."),
    Setting("marge_en_bonne_voie", 85.0,
            "Seuil (%) à partir duquel un indicateur est « en bonne voie » : part du chemin "
            "attendu à sa date sur la trajectoire en ligne droite de la référence à la cible "
            "(de la cible entière à partir de l'année cible)."),
    Setting("seuil_secret", 5,
            "Secret statistique : les effectifs inférieurs à ce seuil sont masqués dans les exports."),
    Setting("cible_taux_couverture", 60.0,
            "Taux de couverture cible proposé par défaut (places pour 100 enfants de moins de 3 ans)."),
    Setting("chromium_path", "/usr/bin/chromium",
            "Navigateur utilisé pour exporter les graphiques en image (kaleido)."),
    Setting("example_workbook", str(REPO_ROOT / "sample_data" / "ctg_lys_lez_lannoy.xlsx"),
            "Classeur d'exemple chargé quand la base est vide."),
    Setting("mode", "local",
            "« local » : un poste, sans connexion (défaut) ; « partage » : connexion obligatoire, "
            "rôles et droits par territoire, journal d'audit (voir « Déploiement partagé »)."),
    Setting("duree_session_h", 8,
            "Mode partagé : durée d'une session (heures) avant de devoir se reconnecter."),
)
_BY_NAME = {s.name: s for s in SETTINGS}


def get(name: str):
    """The value of setting `name`: its environment variable when set, else its default,
    converted to the default's type."""
    setting = _BY_NAME[name]
    raw = os.environ.get(setting.env_var)
    if raw is None:
        return setting.default
    kind = type(setting.default)
    return kind(raw) if kind in (int, float) else raw


def markdown_table() -> str:
    """The README's settings table, generated from SETTINGS."""
    lines = ["| Variable | Défaut | Rôle |", "|---|---|---|"]
    for s in SETTINGS:
        default = s.default
        if isinstance(default, str) and default.startswith(("sqlite:///", "/")) and str(REPO_ROOT) in default:
            default = default.replace(str(REPO_ROOT) + "/", "")
        lines.append(f"| `{s.env_var}` | `{default}` | {s.help} |")
    return "\n".join(lines)
