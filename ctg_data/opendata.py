"""Open-data imports: the Caf coverage-rate CSVs of data.caf.fr (`txcouv_pe_*`) become long
reference rows, each with its edition (`txcouv_pe_dep` or `txcouv_pe_dep_hist`, see
`caf_edition`; two editions of a figure are both stored, the import reports where they
disagree); INSEE commune files (IRIS population, couples-familles-ménages, emploi, Filosofi
including the 2021 `Q221` median, « dossier complet », and the long Melodi CSVs: population by
age, activity, Filosofi) fill a territory's `Population` figures for a year.

Files are read exactly as the portals export them (see domain.md §5): `;` separator, UTF-8 with
BOM (Windows-1252 accepted after a re-save in Excel), decimal comma or point, codes as text.
Blurred or secret values (empty, `s`, `ns`, `nd`, `so`…) stay missing, never zero.

Caf label exports (`use_labels=true`) carry French headers instead of field codes. Mapping
(field code → label of the export → indicator code, prefix `taux_couverture_` left out):

    annee                  « Date référence »
    numcom, nomcom         « Numéro commune », « Nom commune »             niveau commune
    numepci, nomepci       « Numéro EPCI », « Nom EPCI »                   niveau epci
    numdep, nomdep         « Numéro Département », « Nom Département »     niveau departement
    numregi, nomregi       « Numéro région », « Nom région »               niveau region
    txcouv_psu_col_X       « Taux de couv. EAJE PSU »                      psu
    txcouv_hors_psu_col_X  « Taux de couv. hors EAJE PSU »                 hors_psu
    txcouv_eaje_X          « Taux de couv. EAJE - ensemble »               eaje
    txcouv_prescol_X       « Taux de couv. préscolarisation »              prescolarisation
    txcouv_am_ind_X        « Taux de couv. assistante maternelle »         am
    txcouv_gad_ind_X       « Taux de couv. salariée à domicile »           gad
    txcouv_ind_X           « Taux de couv. accueil individuel - ensemble »  individuel
    txcouv_X               « Taux de couv. global »                        global

Other accepted spellings are in `CAF_LABELS` and `CAF_PLACES`; « Taux de couverture … » is
accepted wherever « Taux de couv. … » is; case, accents and a trailing « (%) » are ignored.
With field codes the suffix X (com, epci, dep, reg, nat) gives the level; with labels, the most
precise place column present does (commune > EPCI > département > région; none = France, code
"FR"). Rows whose own code is a placeholder (« XX », « XXX », « XXXXX ») are dropped.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ctg_data import settings
from ctg_data.errors import UnreadableFile, format_number
from ctg_data.formatting import fr_number
from ctg_data.model import CtgData
from ctg_data.schemas import POPULATION, normalise

REFERENCE_COLUMNS = ("niveau", "code", "nom", "annee", "indicateur", "valeur", "source", "edition")

# What `detect` can answer, with the French name shown to users.
KINDS: dict[str, str] = {
    "caf_txcouv_com": "Caf — taux de couverture petite enfance par commune (txcouv_pe_com)",
    "caf_txcouv_epci": "Caf — taux de couverture petite enfance par EPCI (txcouv_pe_epci)",
    "caf_txcouv_dep": "Caf — taux de couverture petite enfance par département (txcouv_pe_dep)",
    "caf_txcouv_reg": "Caf — taux de couverture petite enfance par région (txcouv_pe_reg)",
    "caf_txcouv_nat": "Caf — taux de couverture petite enfance, France (txcouv_pe_nat)",
    "insee_population": "INSEE — évolution et structure de la population",
    "insee_familles": "INSEE — couples, familles, ménages",
    "insee_emploi": "INSEE — activité des résidents (emploi)",
    "insee_filosofi": "INSEE — revenus et pauvreté (Filosofi)",
    "insee_dossier_complet": "INSEE — dossier complet",
    "insee_melodi_population": "INSEE Melodi — population par âge (recensement)",
    "insee_melodi_emploi": "INSEE Melodi — emploi et activité (recensement)",
    "insee_melodi_filosofi": "INSEE Melodi — revenus et pauvreté (Filosofi)",
}

# --- Caf coverage rates --------------------------------------------------------------------

# Field-code suffix -> niveau of the reference format.
CAF_LEVELS = {"com": "commune", "epci": "epci", "dep": "departement", "reg": "region",
              "nat": "france"}
NATIONAL_CODE = "FR"

# Indicator code -> field-code pattern ({lvl} = com|epci|dep|reg|nat). The national file is
# known to shorten some names (`txcouv_psu_nat`, `txcouv_am_nat`), hence the optional parts.
CAF_FIELDS = {
    "taux_couverture_psu": r"txcouv_psu(?:_col)?_{lvl}",
    "taux_couverture_hors_psu": r"txcouv_hors_psu(?:_col)?_{lvl}",
    "taux_couverture_eaje": r"txcouv_eaje(?:_col)?_{lvl}",
    "taux_couverture_prescolarisation": r"txcouv_prescol_{lvl}",
    "taux_couverture_am": r"txcouv_am(?:_ind)?_{lvl}",
    "taux_couverture_gad": r"txcouv_gad(?:_ind)?_{lvl}",
    "taux_couverture_individuel": r"txcouv_ind_{lvl}",
    "taux_couverture_global": r"txcouv_{lvl}",
}

# Indicator code -> French headers of the label export (first = the portal's label).
CAF_LABELS = {
    "taux_couverture_psu": ("Taux de couv. EAJE PSU", "Taux de couv. EAJE PSU (collectif)"),
    "taux_couverture_hors_psu": ("Taux de couv. hors EAJE PSU",
                                 "Taux de couv. EAJE hors PSU",
                                 "Taux de couv. micro-crèches PAJE"),
    "taux_couverture_eaje": ("Taux de couv. EAJE - ensemble", "Taux de couv. EAJE",
                             "Taux de couv. accueil collectif"),
    "taux_couverture_prescolarisation": ("Taux de couv. préscolarisation",
                                         "Taux de couv. école", "Taux de couv. scolarisation"),
    "taux_couverture_am": ("Taux de couv. assistante maternelle",
                           "Taux de couv. assistantes maternelles",
                           "Taux de couv. assistants maternels"),
    "taux_couverture_gad": ("Taux de couv. salariée à domicile",
                            "Taux de couv. garde à domicile",
                            "Taux de couv. salarié à domicile"),
    "taux_couverture_individuel": ("Taux de couv. accueil individuel - ensemble",
                                   "Taux de couv. accueil individuel",
                                   "Taux de couv. individuel"),
    "taux_couverture_global": ("Taux de couv. global", "Taux de couv. total",
                               "Taux de couv. ensemble"),
}

# niveau -> (code headers, name headers): field codes first, then labels.
CAF_PLACES = {
    "commune": (("numcom", "Numéro commune", "Code commune", "Code de la commune",
                 "Numéro de commune", "Code INSEE commune", "Code INSEE de la commune"),
                ("nomcom", "Nom commune", "Nom de la commune")),
    "epci": (("numepci", "Numéro EPCI", "Code EPCI", "Code de l'EPCI", "SIREN EPCI",
              "Numéro de l'EPCI"),
             ("nomepci", "Nom EPCI", "Nom de l'EPCI")),
    "departement": (("numdep", "Numéro Département", "Code département", "Code du département",
                     "Numéro du département"),
                    ("nomdep", "Nom Département", "Nom du département")),
    "region": (("numregi", "numreg", "Numéro région", "Code région", "Code de la région",
                "Numéro de la région"),
               ("nomregi", "nomreg", "Nom région", "Nom de la région")),
    "france": ((), ("national", "nomnat", "National", "France")),
}
CAF_YEAR = ("annee", "Date référence", "Date de référence", "Année", "Année de référence")
_LEVEL_ORDER = ("commune", "epci", "departement", "region")


def _label_key(text: str) -> str:
    # « Taux de couverture global (%) » and « Taux de couv. global » are one header.
    return normalise(text).replace("tauxdecouverture", "tauxdecouv")


# --- INSEE ---------------------------------------------------------------------------------

# (target Population key, how it is built) — each source column is `pattern` with the two-digit
# year as group 1. Counts are summed over the rows of one commune (IRIS files).
INSEE_SOURCES = {
    "population": ("sum", (r"P(\d\d)_POP",)),
    "enfants_0_2": ("sum", (r"P(\d\d)_POP0002",)),
    "enfants_3_5": ("sum", (r"P(\d\d)_POP0305",)),
    "enfants_6_10": ("sum", (r"P(\d\d)_POP0610",)),
    "jeunes_11_17": ("sum", (r"P(\d\d)_POP1117",)),
    "menages": ("sum", (r"C(\d\d)_MEN",)),
    "familles_avec_enfants": ("sum", (r"C(\d\d)_COUPAENF", r"C(\d\d)_FAMMONO")),
    "familles_monoparentales": ("sum", (r"C(\d\d)_FAMMONO",)),
    "familles_nombreuses": ("sum", (r"C(\d\d)_NE24F3", r"C(\d\d)_NE24F4P")),
    "naissances": ("sum", (r"NAISD(\d\d)",)),
    "taux_chomage": ("ratio", (r"P(\d\d)_CHOM1564", r"P(\d\d)_ACT1564")),
    # Filosofi: MED21 until the 2020 edition; the 2021 edition (geo2025,
    # FILO2021_DISP_COM.csv) names the median Q221 (second quartile, year 21).
    "revenu_median": ("single", (r"(?:MED|Q2)(\d\d)",)),
    "taux_pauvrete": ("single", (r"TP60(\d\d)",)),
}
INSEE_CODE_COLUMNS = ("COM", "CODGEO", "DEPCOM", "CODE_COMMUNE")
# Above this many columns a CODGEO file is the « dossier complet ».
DOSSIER_COMPLET_MIN_COLUMNS = 200
_COUNT_KEYS = {k for k, (how, _) in INSEE_SOURCES.items() if how == "sum"}
_LEFT_EMPTY = "case laissée vide."
POPULATION_KEYS = tuple(c.key for c in POPULATION.columns if c.key in INSEE_SOURCES)


class OpendataError(ValueError):
    """A recognised open-data file that cannot be used as asked (territory absent, nothing to
    import…): `message` is French. The CLI exits with code 1."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class InseeFigures:
    """What an INSEE file says about one commune."""

    kind: str
    code: str
    figures: dict[int, dict[str, float]]   # year -> {Population column key -> value}
    notes: list[str]                       # French, one line per value filled or left missing
    rows: int = 0                          # rows of the file summed for the commune


@dataclass
class OpendataOutcome:
    """The result of `import_opendata`."""

    kind: str
    label: str
    message: str
    version_ids: list[int] = field(default_factory=list)
    reference_rows: int = 0
    notes: list[str] = field(default_factory=list)
    duplicate: bool = False                # nothing new: the figures were already stored
    # Figures on which the file's edition and another stored edition disagree (Caf files):
    # storage.CONFLICT_COLUMNS, and one French line each (`conflict_lines`).
    conflicts: pd.DataFrame | None = None
    conflict_lines: list[str] = field(default_factory=list)


# --- reading the CSV -----------------------------------------------------------------------

@dataclass
class _Head:
    fields: list[str]
    sep: str
    encoding: str


def _buffer(content):
    """`content` as something with `find` and slicing (bytes, bytearray or mmap)."""
    return content.tobytes() if isinstance(content, memoryview) else content


def _head(content, file_name: str) -> _Head:
    """Header of a CSV held in `content` (bytes or a buffer); UnreadableFile when it is not
    a CSV of data."""
    if len(content) == 0:
        raise UnreadableFile(f"Le fichier « {file_name} » est vide.", "fichier_vide")
    start = bytes(content[:4])
    if start.startswith(b"PK") or start.startswith(b"\xd0\xcf\x11\xe0"):
        raise UnreadableFile(
            f"Le fichier « {file_name} » est un classeur ou une archive, pas un CSV : "
            "exportez les données au format CSV (séparateur « ; ») depuis data.caf.fr ou "
            "insee.fr, puis importez ce fichier.")
    end = content.find(b"\n", 0, 1_000_000)
    line = bytes(content[: end if end >= 0 else min(len(content), 1_000_000)])
    if b"\x00" in line:
        raise UnreadableFile(f"Le fichier « {file_name} » n'est pas un fichier texte CSV.")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = line.decode(encoding).rstrip("\r\n")
            break
        except UnicodeDecodeError:
            continue
    else:
        raise UnreadableFile(f"Le fichier « {file_name} » n'est pas un fichier texte CSV.")
    sep = max((";", ",", "\t", "|"), key=text.count)
    if text.count(sep) == 0:
        raise UnreadableFile(
            f"Le fichier « {file_name} » n'est pas un CSV de données ouvertes reconnu "
            "(une seule colonne).")
    fields = [f.strip() for f in next(csv.reader([text], delimiter=sep))]
    return _Head(fields, sep, encoding)


def _numbers(values: pd.Series) -> pd.Series:
    """French or English number text -> float; secret markers and blanks -> NaN."""
    text = (values.astype("str").str.strip()
            .str.replace("\u202f", "", regex=False).str.replace("\xa0", "", regex=False)
            .str.replace(" ", "", regex=False).str.replace(",", ".", regex=False))
    return pd.to_numeric(text, errors="coerce").astype("float64")


def _commune_code(value: str) -> str:
    """An INSEE commune code as 5-character text: 1065 -> 01065, 2a004 -> 2A004."""
    value = str(value).strip().upper()
    return value.zfill(5) if value.isdigit() and len(value) < 5 else value


def _caf_code(niveau: str, value: str) -> str:
    value = str(value).strip().upper()
    if niveau == "commune":
        return _commune_code(value)
    if niveau in ("departement", "region") and value.isdigit() and len(value) < 2:
        return value.zfill(2)        # INSEE spelling: Ain is 01 (Caf files write "1")
    return value


def _is_placeholder(code: str) -> bool:
    # data.caf.fr marks rows of unknown or multiple places with "XX", "XXX", "XXXXX".
    return code == "" or set(code.upper()) == {"X"}


# --- detection -----------------------------------------------------------------------------

def _caf_layout(fields: list[str]) -> tuple[str, dict[str, str], str | None, str | None,
                                            str | None] | None:
    """(niveau, {indicateur: header}, code header, name header, year header) of a Caf
    coverage-rate file, or None when `fields` are not one."""
    lowered = {f.lower(): f for f in fields}
    # Field codes: the suffix of the rate columns names the level.
    for suffix, niveau in CAF_LEVELS.items():
        found = {}
        for indicator, pattern in CAF_FIELDS.items():
            regex = re.compile(pattern.format(lvl=suffix) + "$")
            for low, original in lowered.items():
                if regex.fullmatch(low):
                    found[indicator] = original
                    break
        if found:
            break
    else:
        # Labels: the rate headers do not say the level; the most precise place column does.
        keys = {_label_key(f): f for f in fields}
        found = {}
        for indicator, labels in CAF_LABELS.items():
            for label in labels:
                if _label_key(label) in keys:
                    found[indicator] = keys[_label_key(label)]
                    break
        if not found:
            return None
        niveau = "france"
        for level in _LEVEL_ORDER:
            if any(_label_key(h) in keys for h in CAF_PLACES[level][0]):
                niveau = level
                break
    keys = {_label_key(f): f for f in fields}

    def pick(names):
        return next((keys[_label_key(n)] for n in names if _label_key(n) in keys), None)

    code_names, name_names = CAF_PLACES[niveau]
    return niveau, found, pick(code_names), pick(name_names), pick(CAF_YEAR)


def _insee_columns(fields: list[str]) -> dict[str, dict[int, list[str]]]:
    """{Population key: {year: [source headers]}} for every recognised INSEE column."""
    upper = {f.upper(): f for f in fields}
    out: dict[str, dict[int, list[str]]] = {}
    for key, (_how, patterns) in INSEE_SOURCES.items():
        by_year: dict[int, dict[str, str]] = {}
        for pattern in patterns:
            regex = re.compile(pattern)
            for up, original in upper.items():
                m = regex.fullmatch(up)
                if m:
                    by_year.setdefault(2000 + int(m.group(1)), {})[pattern] = original
        complete = {year: [cols[p] for p in patterns] for year, cols in by_year.items()
                    if len(cols) == len(patterns)}
        if complete:
            out[key] = complete
    return out


def _insee_code_column(fields: list[str]) -> str | None:
    upper = {f.upper(): f for f in fields}
    return next((upper[c] for c in INSEE_CODE_COLUMNS if c in upper), None)


def _kind_of(head: _Head) -> str | None:
    layout = _caf_layout(head.fields)
    if layout is not None and layout[4] is not None:
        suffix = {v: k for k, v in CAF_LEVELS.items()}[layout[0]]
        return f"caf_txcouv_{suffix}"
    melodi = _melodi_kind(head.fields)
    if melodi is not None:
        return melodi
    code_col = _insee_code_column(head.fields)
    found = _insee_columns(head.fields)
    if code_col is None or not found:
        return None
    if len(head.fields) >= DOSSIER_COMPLET_MIN_COLUMNS:
        return "insee_dossier_complet"
    if found.keys() & {"enfants_0_2", "enfants_3_5", "enfants_6_10", "jeunes_11_17",
                       "population"}:
        return "insee_population"
    if found.keys() & {"menages", "familles_avec_enfants", "familles_monoparentales",
                       "familles_nombreuses"}:
        return "insee_familles"
    if "taux_chomage" in found:
        return "insee_emploi"
    if found.keys() & {"revenu_median", "taux_pauvrete"}:
        return "insee_filosofi"
    return "insee_dossier_complet" if "naissances" in found else None


def detect(content, file_name: str) -> str:
    """Which open-data file `content` is: a key of `KINDS`. Raises errors.UnreadableFile (in
    French) for an empty, binary or unrecognised file."""
    head = _head(_buffer(content), file_name)
    kind = _kind_of(head)
    if kind is None:
        raise UnreadableFile(
            f"Le fichier « {file_name} » n'est pas un fichier de données ouvertes reconnu. "
            "Fichiers acceptés : taux de couverture de la Caf (txcouv_pe_com, _epci, _dep, "
            "_reg, _nat, export CSV de data.caf.fr) et fichiers communaux de l'INSEE "
            "(population par IRIS, couples-familles-ménages, emploi, Filosofi, dossier "
            "complet, ou fichiers longs Melodi : population par âge, emploi, Filosofi), au "
            "format CSV.", "format_inconnu")
    return kind


# --- Caf -----------------------------------------------------------------------------------

def _read_frame(content, head: _Head, usecols=None) -> pd.DataFrame:
    """The whole CSV as text cells (codes keep their leading zeros)."""
    return pd.read_csv(io.BytesIO(bytes(content)), sep=head.sep, dtype="str",
                       encoding=head.encoding, encoding_errors="replace",
                       keep_default_na=False, na_filter=False, usecols=usecols,
                       skipinitialspace=True)


# Lines of a Caf file parsed at once: memory stays bounded whatever the file's length.
CHUNK_LINES = 20_000


@dataclass
class _CafFile:
    """What the header of a Caf coverage-rate file says."""

    head: _Head
    niveau: str
    rates: dict[str, str]          # indicator code -> header
    code_col: str | None
    name_col: str | None
    year_col: str
    source: str
    edition: str


@dataclass
class _CafTally:
    """Counts over the chunks of a Caf file, for the notes and the message."""

    placeholders: int = 0
    no_year: int = 0
    missing: int = 0
    values: int = 0
    codes: set = field(default_factory=set)
    years: set = field(default_factory=set)

    def notes(self) -> list[str]:
        """The French notes on what was left out or left missing."""
        notes = []
        if self.placeholders:
            n = self.placeholders
            notes.append(f"{_count(n, 'ligne')} sans territoire identifié (code « XX », "
                         f"« XXX »…) : ignorée{_s(n)}.")
        if self.no_year:
            n = self.no_year
            notes.append(f"{_count(n, 'ligne')} sans année lisible : ignorée{_s(n)}.")
        if self.missing:
            s = _s(self.missing)
            notes.append(f"{_count(self.missing, 'valeur')} absente{s} ou floutée{s} (secret "
                         f"statistique) : gardée{s} comme manquante{s}, jamais comme zéro.")
        return notes


def check_limits(content, file_name: str) -> None:
    """Refuse a Caf coverage-rate file larger than the settings allow (`max_opendata_mb`,
    `max_opendata_rows`): errors.UnreadableFile with the catalogue's French message. Such a
    file is stored whole in the reference table (INSEE files, of which only the territory's
    lines are read, are not concerned)."""
    limit_mb = settings.get("max_opendata_mb")
    size = len(content)
    if size > limit_mb * (1 << 20):
        shown = format_number(size / (1 << 20), 1 if size < 10 * (1 << 20) else 0)
        raise UnreadableFile.of("fichier_trop_gros", file=file_name, size=shown,
                                limit=format_number(limit_mb))
    limit_rows = settings.get("max_opendata_rows")
    counted = content.count(b"\n") if hasattr(content, "count") else bytes(content).count(b"\n")
    lines = counted + (0 if bytes(content[-1:]) == b"\n" else 1) - 1    # minus the header
    if lines > limit_rows:
        raise UnreadableFile.of("trop_de_lignes", sheet=file_name, count=format_number(lines),
                                limit=format_number(limit_rows))


def _caf_file(content, file_name: str, edition: str | None = None) -> _CafFile:
    """The layout of a Caf coverage-rate file; UnreadableFile when it is not one."""
    head = _head(content, file_name)
    layout = _caf_layout(head.fields)
    if layout is None or layout[4] is None:
        raise UnreadableFile(
            f"Le fichier « {file_name} » n'est pas un fichier de taux de couverture de la Caf "
            "(colonnes annee et txcouv_… attendues).")
    niveau, rates, code_col, name_col, year_col = layout
    if niveau != "france" and code_col is None:
        raise UnreadableFile(
            f"Le fichier « {file_name} » n'a pas de colonne de code ({niveau}) : "
            "impossible de savoir à quel territoire se rapportent les taux.")
    suffix = {v: k for k, v in CAF_LEVELS.items()}[niveau]
    return _CafFile(head, niveau, rates, code_col, name_col, year_col,
                    source=f"Cnaf, data.caf.fr (txcouv_pe_{suffix})",
                    edition=edition or caf_edition(content, file_name, suffix, head,
                                                   year_col))


# The dataset of a Caf file as data.caf.fr names it: `txcouv_pe_dep` (current edition, the last
# two years) or `txcouv_pe_dep_hist` (the historical edition, 2017 onwards).
_CAF_DATASET = re.compile(r"txcouv_pe_(com|epci|dep|reg|nat)")
CURRENT_YEARS_MAX = 2


def caf_edition(content, file_name: str, suffix: str, head: "_Head | None" = None,
                year_col: str | None = None) -> str:
    """The edition of a Caf coverage-rate file: its data.caf.fr dataset name, `txcouv_pe_X`
    or `txcouv_pe_X_hist`. The file name says it (« txcouv_pe_dep_hist.csv », « … (2).csv »,
    « historique ») ; a file renamed without either is told by the years it covers: the
    current file holds the last two years, the `_hist` file more (2017 onwards)."""
    name = Path(str(file_name)).stem.lower()
    dataset = f"txcouv_pe_{suffix}"
    if "hist" in name:
        return dataset + "_hist"
    if _CAF_DATASET.search(name) or head is None or year_col is None:
        return dataset
    years = pd.read_csv(io.BytesIO(bytes(content)), sep=head.sep, dtype="str",
                        encoding=head.encoding, encoding_errors="replace",
                        keep_default_na=False, na_filter=False, skipinitialspace=True,
                        usecols=lambda c: c.strip() == year_col).iloc[:, 0]
    found = set(years.str.extract(r"((?:19|20)\d\d)", expand=False).dropna())
    return dataset + ("_hist" if len(found) > CURRENT_YEARS_MAX else "")


def _caf_codes(niveau: str, values: pd.Series) -> pd.Series:
    """`_caf_code` on a whole column: upper case, INSEE widths (01065, 01)."""
    codes = values.astype(str).str.strip().str.upper()
    width = {"commune": 5, "departement": 2, "region": 2}.get(niveau)
    if width:
        short = codes.str.isdigit() & (codes.str.len() < width)
        codes = codes.where(~short, codes.str.zfill(width))
    return codes


def _caf_chunks(content, caf: _CafFile, tally: _CafTally, chunk_lines: int = CHUNK_LINES):
    """The long reference rows of a Caf file, one DataFrame per `chunk_lines` lines of the
    file: only the needed columns are read, each chunk reshaped by whole columns (no Python
    loop over rows). Counts go to `tally`."""
    wanted = {c for c in (caf.code_col, caf.name_col, caf.year_col, *caf.rates.values()) if c}
    reader = pd.read_csv(io.BytesIO(bytes(content)), sep=caf.head.sep, dtype="str",
                         encoding=caf.head.encoding, encoding_errors="replace",
                         keep_default_na=False, na_filter=False, skipinitialspace=True,
                         usecols=lambda c: c.strip() in wanted, chunksize=chunk_lines)
    with reader:
        for frame in reader:
            frame.columns = [c.strip() for c in frame.columns]
            yield _caf_long(frame, caf, tally)


def _caf_long(frame: pd.DataFrame, caf: _CafFile, tally: _CafTally) -> pd.DataFrame:
    """One chunk of a Caf file (text cells) as long reference rows: for each kept line, one
    row per indicator, in the order of the file's rate columns."""
    france = caf.niveau == "france"
    if france:
        codes = pd.Series(NATIONAL_CODE, index=frame.index)
    else:
        codes = _caf_codes(caf.niveau, frame[caf.code_col])
    names = (frame[caf.name_col].str.strip() if caf.name_col is not None
             else pd.Series("France" if france else "", index=frame.index))
    if france:
        names = names.where(names != "", "France")
    years = pd.to_numeric(frame[caf.year_col].str.extract(r"((?:19|20)\d\d)", expand=False),
                          errors="coerce")
    placeholder = ((codes == "") | codes.str.fullmatch("X+")) if not france else codes == ""
    placeholder = placeholder.astype(bool)
    no_year = years.isna() & ~placeholder
    keep = (~placeholder & ~no_year).to_numpy()
    kept, k = int(keep.sum()), len(caf.rates)
    values = (np.column_stack([_numbers(frame.loc[keep, column]).to_numpy()
                               for column in caf.rates.values()]).reshape(-1)
              if kept else np.empty(0, dtype="float64"))
    kept_codes = codes[keep]
    kept_years = years[keep].astype("int64")
    tally.placeholders += int(placeholder.sum())
    tally.no_year += int(no_year.sum())
    tally.missing += int(np.isnan(values).sum())
    tally.values += len(values)
    tally.codes.update(kept_codes.unique())
    tally.years.update(int(y) for y in kept_years.unique())
    return pd.DataFrame({
        "niveau": caf.niveau, "code": np.repeat(kept_codes.to_numpy(dtype=object), k),
        "nom": np.repeat(names[keep].to_numpy(dtype=object), k),
        "annee": np.repeat(kept_years.to_numpy(), k),
        "indicateur": np.tile(np.array(list(caf.rates), dtype=object), kept),
        "valeur": values, "source": caf.source, "edition": caf.edition},
        columns=list(REFERENCE_COLUMNS))


def _parse_caf(content, file_name: str, edition: str | None = None
               ) -> tuple[pd.DataFrame, list[str]]:
    content = _buffer(content)
    caf = _caf_file(content, file_name, edition)
    tally = _CafTally()
    parts = list(_caf_chunks(content, caf, tally))
    rows = (pd.concat(parts, ignore_index=True) if parts
            else pd.DataFrame(columns=list(REFERENCE_COLUMNS)))
    # One territory and year together, indicators in the order of CAF_FIELDS.
    order = {code: i for i, code in enumerate(CAF_FIELDS)}
    rows = rows.sort_values(["code", "annee", "indicateur"], kind="stable",
                            key=lambda s: s.map(order) if s.name == "indicateur" else s
                            ).reset_index(drop=True)
    return rows[list(REFERENCE_COLUMNS)], tally.notes()


def read_caf(content, file_name: str, *, edition: str | None = None) -> pd.DataFrame:
    """A Caf coverage-rate CSV (`txcouv_pe_com|epci|dep|reg|nat`, field codes or French
    labels) as long reference rows: niveau, code, nom, annee, indicateur, valeur, source,
    edition. Placeholder rows are dropped; blurred values stay NaN."""
    return _parse_caf(content, file_name, edition)[0]


# --- INSEE ---------------------------------------------------------------------------------

def _rows_for(content, head: _Head, code_col: str, wanted: list[str], code: str
              ) -> pd.DataFrame:
    """The rows of commune `code`, columns `wanted` (text cells)."""
    index = head.fields.index(code_col)
    if index == 0:
        # Fast path for one-row-per-commune files whose code comes first (dossier complet,
        # Filosofi): find the commune's lines by a byte search instead of parsing ~1 GB.
        lines = []
        first_data = content.find(b"\n") + 1
        quote = b'"' if content[first_data:first_data + 1] == b'"' else b""
        # A code that lost its leading zero (a re-save in Excel) is looked for only if needed:
        # each search is one pass over the file.
        for spelling in dict.fromkeys([code, code.lstrip("0") or code]):
            needle = b"\n" + quote + spelling.encode() + quote + head.sep.encode()
            start = content.find(needle)
            while start >= 0:
                end = content.find(b"\n", start + 1)
                raw = bytes(content[start + 1: end if end >= 0 else len(content)])
                lines.append(raw.decode(head.encoding, errors="replace").rstrip("\r"))
                start = content.find(needle, start + 1)
            if lines:
                break
        positions = [head.fields.index(c) for c in wanted]
        records = []
        for values in csv.reader(lines, delimiter=head.sep):
            values = values + [""] * (len(head.fields) - len(values))
            records.append([values[i] for i in positions])
        return pd.DataFrame(records, columns=wanted, dtype="str")
    frame = _read_frame(content, head, usecols=list(dict.fromkeys([code_col, *wanted])))
    frame = frame[frame[code_col].map(_commune_code) == code]
    return frame[wanted].reset_index(drop=True)


def read_insee(content, file_name: str, code: str) -> InseeFigures:
    """The Population figures an INSEE commune file gives for commune `code`.

    `content` is the file's bytes (or a path, read through a memory map: the dossier complet
    is large). Only the needed columns are read, and only the commune's rows. IRIS files are
    summed over the rows of the commune (`COM`); the year comes from the column names (`P21_`
    -> 2021, `MED21` -> 2021, `NAISD22` -> 2022); for each figure the latest year of the file
    is kept. Counts are rounded to the unit (IRIS figures are weighted); the unemployment rate
    is `P..CHOM1564 / P..ACT1564 × 100`. Secret or blank values stay missing."""
    if isinstance(content, (str, Path)):
        return _read_insee_path(Path(content), file_name, code)
    content = _buffer(content)
    head = _head(content, file_name)
    kind = _kind_of(head)
    if kind is None or not kind.startswith("insee_"):
        raise UnreadableFile(f"Le fichier « {file_name} » n'est pas un fichier communal de "
                             "l'INSEE reconnu.")
    code = _commune_code(code)
    if kind.startswith("insee_melodi_"):
        return _read_melodi(content, head, kind, file_name, code)
    code_col = _insee_code_column(head.fields)
    columns = _insee_columns(head.fields)
    # The latest year of each figure.
    chosen = {key: (max(years), years[max(years)]) for key, years in columns.items()}
    wanted = list(dict.fromkeys(c for _year, cols in chosen.values() for c in cols))
    rows = _rows_for(content, head, code_col, wanted, code)
    if rows.empty:
        raise OpendataError(f"La commune {code} ne figure pas dans le fichier « {file_name} ».")
    numbers = {c: _numbers(rows[c]) for c in wanted}
    figures: dict[int, dict[str, float]] = {}
    notes: list[str] = []
    several = len(rows) > 1
    for key in POPULATION_KEYS:
        if key not in chosen:
            continue
        year, cols = chosen[key]
        how = INSEE_SOURCES[key][0]
        label = POPULATION.column(key).label
        source = " + ".join(cols) if how == "sum" else " / ".join(cols)
        if how == "single" and several:
            value = math.nan
            why = "plusieurs lignes pour la commune, valeur non additionnable"
        elif any(numbers[c].isna().any() for c in cols):
            value = math.nan
            why = "valeur secrète ou absente dans le fichier"
        elif how == "ratio":
            num, den = (float(numbers[c].sum()) for c in cols)
            value = 100 * num / den if den > 0 else math.nan
            why = "dénominateur nul"
        else:
            value = float(sum(numbers[c].sum() for c in cols))
            if key in _COUNT_KEYS:
                # Half away from zero, as INSEE and formatting.fr_number round.
                value = float(math.floor(value + 0.5))
            why = ""
        if math.isnan(value):
            notes.append(f"{year} — {label} : {why} ({source}) ; {_LEFT_EMPTY}")
            continue
        figures.setdefault(year, {})[key] = value
        shown = fr_number(value, 0 if key in _COUNT_KEYS else 1)
        origin = f"{source}, somme de {len(rows)} lignes" if several and how != "single" \
            else source
        notes.append(f"{year} — {label} : {shown} ({origin}).")
    return InseeFigures(kind=kind, code=code, figures=figures, notes=notes, rows=len(rows))


# --- INSEE Melodi (long CSVs) --------------------------------------------------------------
#
# Melodi files hold one row per territory × dimensions × period, e.g. the population:
#   "GEO";"GEO_OBJECT";"SEX";"AGE";"RP_MEASURE";"OBS_STATUS";TIME_PERIOD;OBS_VALUE
# Verified in public code that reads these files (2025): GEO is the territory's code and
# GEO_OBJECT its kind (COM, EPCI, DEP, ARM…); « _T » is the total of a dimension (SEX=_T,
# AGE=_T); RP_MEASURE « POP » is the population count of DS_RP_POPULATION_*; AGE codes follow
# the SDMX pattern Y_LTn (under n), YaTb (a to b), Y_GEn (n and over): Y_LT15, Y15T64,
# Y_GE65…; DS_RP_EMPLOI_LR_*: EMPSTA_ENQ « 1T2 » = actives, « 2 » = unemployed, « 1 » =
# employed, for AGE Y15T64; DS_FILOSOFI_CC: FILOSOFI_MEASURE MED_SL (median standard of
# living) and PR_MD60 (poverty rate at 60 %).
# Assumed (not seen in a real file here): the child bands are published with the same pattern
# (Y_LT3 or Y0T2, Y3T5, Y6T10, Y11T17) — any set of AGE codes that covers a band exactly,
# without overlap, is summed (single years Y0, Y1, Y2 too), and a band that no set covers stays
# missing; GEO holds the plain code (59367), a « COM-59367 » spelling is accepted. Families
# (DS_RP_MENAGES_*, DS_RP_FAMILLE_*): measure codes not verified, so not mapped.

MELODI_REQUIRED = {"GEO", "TIME_PERIOD", "OBS_VALUE"}
# Columns that are not dimensions to total over.
_MELODI_NOT_DIMENSIONS = {"GEO", "GEO_OBJECT", "TIME_PERIOD", "OBS_VALUE", "OBS_STATUS",
                          "OBS_FLAG", "CONF_STATUS", "UNIT_MEASURE", "UNIT_MULT", "FREQ",
                          "DECIMALS", "OBS_STATUS_FR"}
MELODI_AGE_BANDS = {"enfants_0_2": (0, 2), "enfants_3_5": (3, 5), "enfants_6_10": (6, 10),
                    "jeunes_11_17": (11, 17)}
MELODI_FILOSOFI = {"revenu_median": "MED_SL", "taux_pauvrete": "PR_MD60"}
_OPEN_END = 200


def _melodi_kind(fields: list[str]) -> str | None:
    """The kind of a Melodi long CSV from its columns, or None."""
    upper = {f.strip().upper() for f in fields}
    if not MELODI_REQUIRED <= upper:
        return None
    if "FILOSOFI_MEASURE" in upper:
        return "insee_melodi_filosofi"
    if "EMPSTA_ENQ" in upper:
        return "insee_melodi_emploi"
    if "AGE" in upper:
        return "insee_melodi_population"
    return None


def _age_range(code: str) -> tuple[int, int] | None:
    """The ages (first, last) of a Melodi AGE code: Y_LT3 -> (0, 2), Y3T5 -> (3, 5),
    Y_GE65 -> (65, open), Y2 -> (2, 2); None for the total or an unknown code."""
    code = str(code).strip().upper()
    for pattern, build in ((r"Y_LT(\d+)", lambda m: (0, int(m[1]) - 1)),
                           (r"Y(\d+)T(\d+)", lambda m: (int(m[1]), int(m[2]))),
                           (r"Y_GE(\d+)", lambda m: (int(m[1]), _OPEN_END)),
                           (r"Y(\d+)", lambda m: (int(m[1]), int(m[1])))):
        found = re.fullmatch(pattern, code)
        if found:
            return build(found)
    return None


def _age_tiling(ranges: dict[str, tuple[int, int]], low: int, high: int) -> list[str] | None:
    """AGE codes whose ranges cover [low, high] exactly, without overlap: the code of that
    very band if there is one, else the widest code starting at each age; None if no set
    of codes covers the band."""
    exact = [c for c, r in ranges.items() if r == (low, high)]
    if exact:
        return exact[:1]
    codes, age = [], low
    while age <= high:
        starting = [(r[1], c) for c, r in ranges.items() if r[0] == age and r[1] <= high]
        if not starting:
            return None
        end, code = max(starting)
        codes.append(code)
        age = end + 1
    return codes


def _melodi_rows(content, head: _Head, file_name: str, code: str) -> pd.DataFrame:
    """The commune's rows of a Melodi file (columns upper-cased, text cells), keeping only
    the total (« _T ») of each dimension the figures do not use."""
    geo = next(f for f in head.fields if f.strip().upper() == "GEO")
    rows = _rows_for(content, head, geo, list(head.fields), code)
    if rows.empty:
        rows = _rows_for(content, head, geo, list(head.fields), f"COM-{code}")
    rows.columns = [c.strip().upper() for c in rows.columns]
    if rows.empty:
        raise OpendataError(f"La commune {code} ne figure pas dans le fichier « {file_name} ».")
    if "GEO_OBJECT" in rows:
        kinds = rows["GEO_OBJECT"].str.strip().str.upper()
        rows = rows[kinds.isin(("COM", ""))]
    return rows.assign(_annee=pd.to_numeric(rows["TIME_PERIOD"].str.extract(
        r"((?:19|20)\d\d)", expand=False), errors="coerce"),
        _valeur=_numbers(rows["OBS_VALUE"]))


def _totals(rows: pd.DataFrame, keep: set[str]) -> pd.DataFrame:
    """`rows` restricted to the total « _T » of every dimension outside `keep`."""
    for column in rows.columns:
        if column.startswith("_") or column in _MELODI_NOT_DIMENSIONS or column in keep:
            continue
        values = rows[column].str.strip().str.upper()
        if (values == "_T").any():
            rows = rows[values == "_T"]
    return rows


def _read_melodi(content, head: _Head, kind: str, file_name: str, code: str) -> InseeFigures:
    """The Population figures of a Melodi long CSV for commune `code` (see the notes above):
    for each figure the latest period of the file; counts rounded to the unit; a secret or
    blank value, or a band no AGE code covers, stays missing."""
    rows = _melodi_rows(content, head, file_name, code)
    found: dict[str, tuple[int, float, str]] = {}    # key -> (year, value, source)
    missing: dict[str, tuple[int, str]] = {}

    def keep_latest(key, candidates):
        """candidates: {year: (value, source)}; the latest year with a value wins."""
        for year in sorted(candidates, reverse=True):
            value, source = candidates[year]
            if not math.isnan(value):
                found[key] = (year, value, source)
                return
        if candidates:
            year = max(candidates)
            missing[key] = (year, candidates[year][1])

    if kind == "insee_melodi_population":
        part = _totals(rows, {"AGE", "RP_MEASURE"})
        if "RP_MEASURE" in part and (part["RP_MEASURE"].str.strip() == "POP").any():
            part = part[part["RP_MEASURE"].str.strip() == "POP"]
        ages = part["AGE"].str.strip().str.upper()
        for key in ("population", *MELODI_AGE_BANDS):
            candidates = {}
            for year, of_year in part.groupby("_annee"):
                values = dict(zip(ages[of_year.index], of_year["_valeur"]))
                if key == "population":
                    codes = ["_T"] if "_T" in values else None
                else:
                    ranges = {c: r for c in values if (r := _age_range(c)) is not None}
                    codes = _age_tiling(ranges, *MELODI_AGE_BANDS[key])
                if codes:
                    total = sum(values[c] for c in codes)
                    candidates[int(year)] = (float(math.floor(total + 0.5)) if total == total
                                             else math.nan, "AGE " + " + ".join(codes))
            keep_latest(key, candidates)
    elif kind == "insee_melodi_emploi":
        part = _totals(rows, {"AGE", "EMPSTA_ENQ", "SEX"})
        status = part["EMPSTA_ENQ"].str.strip().str.upper()
        age = part["AGE"].str.strip().str.upper() if "AGE" in part else None
        sex = part["SEX"].str.strip().str.upper() if "SEX" in part else None

        def rate(of_year, ages, sexes, numerator, over_population):
            """100 × numerator status / actives (or / everybody) of the rows chosen."""
            mask = pd.Series(True, index=of_year.index)
            if age is not None:
                mask &= age[of_year.index] == ages
            if sex is not None:
                mask &= sex[of_year.index] == sexes
            values = dict(zip(status[of_year.index][mask], of_year["_valeur"][mask]))
            actives = values.get("1T2", values.get("1", math.nan) + values.get("2", math.nan))
            top = actives if numerator == "actives" else values.get(numerator, math.nan)
            bottom = values.get("_T", math.nan) if over_population else actives
            return 100 * top / bottom if bottom and bottom == bottom else math.nan

        unemployment, women = {}, {}
        for year, of_year in part.groupby("_annee"):
            unemployment[int(year)] = (rate(of_year, "Y15T64", "_T", "2", False),
                                       "EMPSTA_ENQ 2 / 1T2, AGE Y15T64")
            value = rate(of_year, "Y25T54", "F", "actives", True)
            if value == value:
                women[int(year)] = (value, "EMPSTA_ENQ 1T2 / _T, SEX F, AGE Y25T54")
        keep_latest("taux_chomage", unemployment)
        keep_latest("taux_activite_femmes", women)
    else:
        part = _totals(rows, {"FILOSOFI_MEASURE"})
        measure = part["FILOSOFI_MEASURE"].str.strip().str.upper()
        for key, wanted in MELODI_FILOSOFI.items():
            chosen = part[measure == wanted]
            candidates = {}
            for year, of_year in chosen.groupby("_annee"):
                value = float(of_year["_valeur"].iloc[0]) if len(of_year) == 1 else math.nan
                candidates[int(year)] = (value, f"FILOSOFI_MEASURE {wanted}")
            keep_latest(key, candidates)

    figures: dict[int, dict[str, float]] = {}
    notes: list[str] = []
    for key in POPULATION_KEYS + ("taux_activite_femmes",):
        label = POPULATION.column(key).label
        if key in found:
            year, value, source = found[key]
            figures.setdefault(year, {})[key] = value
            shown = fr_number(value, 0 if key in _COUNT_KEYS else 1)
            notes.append(f"{year} — {label} : {shown} (Melodi, {source}).")
        elif key in missing:
            year, source = missing[key]
            notes.append(f"{year} — {label} : valeur secrète ou absente dans le fichier "
                         f"(Melodi, {source}) ; {_LEFT_EMPTY}")
    if kind == "insee_melodi_population":
        for key, (low, high) in MELODI_AGE_BANDS.items():
            if key not in found and key not in missing:
                notes.append(f"{POPULATION.column(key).label} : aucun code AGE du fichier ne "
                             f"couvre exactement {low} à {high} ans ; {_LEFT_EMPTY}")
    return InseeFigures(kind=kind, code=code, figures=figures, notes=notes, rows=len(rows))


def _read_insee_path(path: Path, file_name: str, code: str) -> InseeFigures:
    import mmap

    with open(path, "rb") as handle:
        if path.stat().st_size == 0:
            raise UnreadableFile(f"Le fichier « {file_name} » est vide.")
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as view:
            return read_insee(view, file_name, code)


def apply_population(data: CtgData, figures: dict[int, dict]) -> CtgData:
    """A new CtgData whose Population table has the cells of `figures` ({year: {column key:
    value}}) filled or replaced — rows added for new years — and every other cell untouched.
    Missing values (None/NaN) never overwrite a figure. `present` is {"population"}."""
    keys = {c.key for c in POPULATION.columns}
    table = data.tables["population"].copy()
    added = False
    for year, values in sorted(figures.items()):
        mask = table["annee"] == int(year)
        if not mask.fillna(False).any():
            row = pd.DataFrame({"annee": pd.array([int(year)], dtype="Int64")})
            table = pd.concat([table, row], ignore_index=True)
            mask = table["annee"] == int(year)
            added = True
        mask = mask.fillna(False).astype(bool)
        for key, value in values.items():
            if key not in keys or key == "annee" or value is None or pd.isna(value):
                continue
            table.loc[mask, key] = float(value)
    if added:
        table = table.sort_values("annee", kind="stable", na_position="last")
    tables = dict(data.tables) | {"population": table.reset_index(drop=True)}
    return CtgData(dict(data.territoire), tables, frozenset({"population"}))


# --- import into the store -----------------------------------------------------------------

def _s(n: int) -> str:
    return "s" if n > 1 else ""


def _count(n: int, word: str) -> str:
    return f"{n} {word}{_s(n)}"


def _years_text(years) -> str:
    years = sorted(set(int(y) for y in years))
    if not years:
        return ""
    return str(years[0]) if len(years) == 1 else f"{years[0]} à {years[-1]}"


def _stored_same(store, rows: pd.DataFrame) -> bool:
    """True when every row is already stored with the same value (missing = missing); only
    the stored rows of the same places are read."""
    stored = store.references(codes={rows["niveau"].iloc[0]: rows["code"].unique()},
                              editions=True)
    key = ["niveau", "code", "annee", "indicateur", "source", "edition"]
    merged = rows.merge(stored[[*key, "valeur"]], on=key, how="left", suffixes=("", "_base"),
                        indicator=True)
    same = (merged["_merge"] == "both") & (
        (merged["valeur"] == merged["valeur_base"])
        | (merged["valeur"].isna() & merged["valeur_base"].isna()))
    return bool(same.all())


def _already_stored(store, chunks) -> bool:
    """True when every row of every chunk is already stored with the same value. A new file
    is told at its first line (one small query), before any chunk is compared whole."""
    for rows in chunks:
        if rows.empty:
            continue
        line = rows[(rows["code"] == rows["code"].iloc[0]) & (rows["annee"] == rows["annee"].iloc[0])]
        if not _stored_same(store, line) or not _stored_same(store, rows):
            return False
    return True


# Short French names of the coverage rates, for the conflict lines.
SHORT_LABELS = {
    "taux_couverture_global": "taux global", "taux_couverture_eaje": "taux EAJE",
    "taux_couverture_individuel": "taux accueil individuel",
    "taux_couverture_prescolarisation": "taux préscolarisation",
    "taux_couverture_psu": "taux EAJE PSU", "taux_couverture_hors_psu": "taux EAJE hors PSU",
    "taux_couverture_am": "taux assistantes maternelles",
    "taux_couverture_gad": "taux garde à domicile",
}


def conflict_lines(conflicts: pd.DataFrame | None) -> list[str]:
    """One French line per conflict (`Store.reference_conflicts`): « Nord, 2022, taux
    global : 61,6 (édition hist) → 60,3 (édition courante) », the value not shown first."""
    from ctg_data.references import edition_label

    if conflicts is None or conflicts.empty:
        return []

    def shown(value) -> str:
        return "valeur floutée" if pd.isna(value) else fr_number(float(value), 1)

    lines = []
    for r in conflicts.itertuples(index=False):
        place = str(r.nom).strip() if isinstance(r.nom, str) and r.nom.strip() else r.code
        lines.append(f"{place}, {int(r.annee)}, {SHORT_LABELS.get(r.indicateur, r.indicateur)}"
                     f" : {shown(r.valeur_autre)} (édition {edition_label(r.edition_autre)})"
                     f" → {shown(r.valeur_affichee)} "
                     f"(édition {edition_label(r.edition_affichee)})")
    return lines


def import_opendata(store, content, file_name: str, code: str | None = None,
                    author: str = "", *, actor=None) -> OpendataOutcome:
    """Import an open-data file: Caf coverage rates go to the reference table
    (`store.save_references`); INSEE figures become a new version (kind "opendata") of
    territory `code` (or of the only territory of the store) with its Population filled.
    Raises errors.UnreadableFile (unrecognised file) or OpendataError (unusable as asked)."""
    if isinstance(content, (str, Path)):
        content = Path(content).read_bytes()
    content = _buffer(content)
    kind = detect(content, file_name)
    content_hash = hashlib.sha256(content).hexdigest()
    if kind.startswith("caf_"):
        # Read in chunks twice at most (compare, then store): never the whole file in memory
        # as rows, whatever its length within the limits.
        check_limits(content, file_name)
        caf = _caf_file(content, file_name)
        tally = _CafTally()
        imports = store.reference_imports()
        # The same file as the last import: all its values are stored and still the newest.
        latest = bool(imports) and imports[0]["content_hash"] == content_hash
        if latest:
            for _chunk in _caf_chunks(content, caf, tally):
                pass   # counted for the message and the notes
        if latest or _already_stored(store, _caf_chunks(content, caf, tally)):
            if not tally.values:
                raise OpendataError(f"Le fichier « {file_name} » ne contient aucune ligne de "
                                    "taux de couverture utilisable.")
            message = (f"{KINDS[kind]} : ces {_count(tally.values, 'valeur')} sont déjà dans "
                       "la base, rien n'a changé.")
            return OpendataOutcome(kind, KINDS[kind], message, notes=tally.notes(),
                                   duplicate=True)
        tally = _CafTally()
        chunks = _caf_chunks(content, caf, tally)
        import_id = store.save_references(chunks, file_name=file_name,
                                          content_hash=content_hash, actor=actor)
        for _chunk in chunks:
            pass   # a file stored before (same bytes) is not stored again: counted all the same
        n = tally.values
        message = (f"{KINDS[kind]}, édition {caf.edition} : {_count(n, 'valeur')} "
                   f"importée{_s(n)} pour {_count(len(tally.codes), 'territoire')}, "
                   f"années {_years_text(tally.years)}.")
        conflicts = store.reference_conflicts(import_id=import_id)
        lines = conflict_lines(conflicts)
        if lines:
            shown = ", ".join(sorted(set(conflicts["edition_affichee"])))
            message += (f" {_count(len(lines), 'valeur')} diff{'èrent' if len(lines) > 1 else 'ère'}"
                        " d'une autre édition déjà importée : les deux éditions sont gardées, "
                        f"la valeur affichée est celle de l'édition {shown} (l'édition qui "
                        "couvre l'année la plus récente, sauf choix contraire sur la page "
                        "Données).")
        return OpendataOutcome(kind, KINDS[kind], message, reference_rows=n,
                               notes=tally.notes(), conflicts=conflicts,
                               conflict_lines=lines)

    if code is None:
        territories = store.territories()
        if len(territories) != 1:
            listed = ", ".join(f"{t.code} {t.nom}" for t in territories)
            raise OpendataError(
                "La base ne contient aucun territoire : importez d'abord un classeur."
                if not territories else
                f"Plusieurs territoires dans la base ({listed}) : précisez le territoire.")
        code = territories[0].code
    code = str(code).strip()
    current = store.load(code)
    if current is None:
        raise OpendataError(f"Le territoire {code} n'est pas dans la base : importez d'abord son "
                            "classeur.")
    found = read_insee(content, file_name, code)
    if not found.figures:
        raise OpendataError(f"Le fichier « {file_name} » ne donne aucune valeur utilisable "
                            f"pour la commune {code} : " + " ".join(found.notes))
    updated = apply_population(current, found.figures)
    from ctg_data.storage import changes_between

    changes = changes_between(current, updated, sheets={"population"})
    if not changes:
        message = (f"{KINDS[kind]} : les chiffres du fichier sont déjà ceux de la base, "
                   "aucune nouvelle version.")
        return OpendataOutcome(kind, KINDS[kind], message, notes=found.notes)
    filled = sum(len(v) for v in found.figures.values())
    summary = (f"{KINDS[kind]} : {_count(filled, 'valeur')} de la feuille Population "
               f"({_years_text(found.figures)}) depuis « {file_name} ».")
    left_missing = [n for n in found.notes if n.endswith(_LEFT_EMPTY)]
    ids = store.save([updated], kind="opendata", author=author, actor=actor, file_name=file_name,
                     content_hash=content_hash, warnings=left_missing, changes=changes,
                     summary=summary)
    message = f"{summary} Version {ids[0]} créée."
    return OpendataOutcome(kind, KINDS[kind], message, version_ids=ids, notes=found.notes)
