"""The Caf coverage-rate CSVs of data.caf.fr (`txcouv_pe_com|epci|dep|reg|nat`) as long
reference rows, with their edition (`txcouv_pe_dep` or `txcouv_pe_dep_hist`, see
`caf_edition`), read by columns in chunks of `CHUNK_LINES` lines so that memory stays bounded.

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

import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ctg_data import settings
from ctg_data.errors import UnreadableFile, format_number
from ctg_data.opendata.common import (REFERENCE_COLUMNS, Head, buffer, commune_code, count,
                                      numbers, plural_s, read_head)
from ctg_data.schemas import normalise

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

# Lines of a Caf file parsed at once: memory stays bounded whatever the file's length.
CHUNK_LINES = 20_000

# The dataset of a Caf file as data.caf.fr names it: `txcouv_pe_dep` (current edition, the last
# two years) or `txcouv_pe_dep_hist` (the historical edition, 2017 onwards).
_CAF_DATASET = re.compile(r"txcouv_pe_(com|epci|dep|reg|nat)")
CURRENT_YEARS_MAX = 2


def _label_key(text: str) -> str:
    # « Taux de couverture global (%) » and « Taux de couv. global » are one header.
    return normalise(text).replace("tauxdecouverture", "tauxdecouv")


def caf_code(niveau: str, value: str) -> str:
    """A place code as the reference table spells it: communes on 5 characters, départements
    and régions on 2 (INSEE spelling: Ain is 01, Caf files write "1")."""
    value = str(value).strip().upper()
    if niveau == "commune":
        return commune_code(value)
    if niveau in ("departement", "region") and value.isdigit() and len(value) < 2:
        return value.zfill(2)
    return value


# --- recognising the file --------------------------------------------------------------------

def _rates_by_field_code(fields: list[str]) -> tuple[str, dict[str, str]] | None:
    """(niveau, {indicateur: header}) when the rate columns are field codes: their suffix
    names the level."""
    lowered = {f.lower(): f for f in fields}
    for suffix, niveau in CAF_LEVELS.items():
        found = {}
        for indicator, pattern in CAF_FIELDS.items():
            regex = re.compile(pattern.format(lvl=suffix) + "$")
            for low, original in lowered.items():
                if regex.fullmatch(low):
                    found[indicator] = original
                    break
        if found:
            return niveau, found
    return None


def _rates_by_label(fields: list[str]) -> tuple[str, dict[str, str]] | None:
    """(niveau, {indicateur: header}) when the rate columns are French labels: they do not
    say the level, the most precise place column does."""
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
    return niveau, found


def caf_layout(fields: list[str]) -> tuple[str, dict[str, str], str | None, str | None,
                                           str | None] | None:
    """(niveau, {indicateur: header}, code header, name header, year header) of a Caf
    coverage-rate file, or None when `fields` are not one."""
    rates = _rates_by_field_code(fields) or _rates_by_label(fields)
    if rates is None:
        return None
    niveau, found = rates
    keys = {_label_key(f): f for f in fields}

    def pick(names):
        return next((keys[_label_key(n)] for n in names if _label_key(n) in keys), None)

    code_names, name_names = CAF_PLACES[niveau]
    return niveau, found, pick(code_names), pick(name_names), pick(CAF_YEAR)


def caf_kind(fields: list[str]) -> str | None:
    """`caf_txcouv_com|epci|dep|reg|nat` when `fields` are a Caf coverage-rate file's (rate
    and year columns), else None."""
    layout = caf_layout(fields)
    if layout is None or layout[4] is None:
        return None
    suffix = {v: k for k, v in CAF_LEVELS.items()}[layout[0]]
    return f"caf_txcouv_{suffix}"


# --- reading ---------------------------------------------------------------------------------

@dataclass
class CafFile:
    """What the header of a Caf coverage-rate file says."""

    head: Head
    niveau: str
    rates: dict[str, str]          # indicator code -> header
    code_col: str | None
    name_col: str | None
    year_col: str
    source: str
    edition: str


@dataclass
class CafTally:
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
            notes.append(f"{count(n, 'ligne')} sans territoire identifié (code « XX », "
                         f"« XXX »…) : ignorée{plural_s(n)}.")
        if self.no_year:
            n = self.no_year
            notes.append(f"{count(n, 'ligne')} sans année lisible : ignorée{plural_s(n)}.")
        if self.missing:
            s = plural_s(self.missing)
            notes.append(f"{count(self.missing, 'valeur')} absente{s} ou floutée{s} (secret "
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


def caf_file(content, file_name: str, edition: str | None = None) -> CafFile:
    """The layout of a Caf coverage-rate file; UnreadableFile when it is not one."""
    head = read_head(content, file_name)
    layout = caf_layout(head.fields)
    if layout is None or layout[4] is None:
        raise UnreadableFile.of("caf_non_reconnu", file=file_name)
    niveau, rates, code_col, name_col, year_col = layout
    if niveau != "france" and code_col is None:
        raise UnreadableFile.of("caf_sans_code", file=file_name, niveau=niveau)
    suffix = {v: k for k, v in CAF_LEVELS.items()}[niveau]
    return CafFile(head, niveau, rates, code_col, name_col, year_col,
                   source=f"Cnaf, data.caf.fr (txcouv_pe_{suffix})",
                   edition=edition or caf_edition(content, file_name, suffix, head,
                                                  year_col))


def caf_edition(content, file_name: str, suffix: str, head: Head | None = None,
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
    """`caf_code` on a whole column: upper case, INSEE widths (01065, 01)."""
    codes = values.astype(str).str.strip().str.upper()
    width = {"commune": 5, "departement": 2, "region": 2}.get(niveau)
    if width:
        short = codes.str.isdigit() & (codes.str.len() < width)
        codes = codes.where(~short, codes.str.zfill(width))
    return codes


def caf_chunks(content, caf: CafFile, tally: CafTally, chunk_lines: int = CHUNK_LINES):
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


def _caf_long(frame: pd.DataFrame, caf: CafFile, tally: CafTally) -> pd.DataFrame:
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
    values = (np.column_stack([numbers(frame.loc[keep, column]).to_numpy()
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
    content = buffer(content)
    caf = caf_file(content, file_name, edition)
    tally = CafTally()
    parts = list(caf_chunks(content, caf, tally))
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
