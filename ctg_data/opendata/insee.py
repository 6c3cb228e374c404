"""The classic INSEE commune files (IRIS population, couples-familles-ménages, emploi,
Filosofi, « dossier complet »): which columns hold which Population figure, and the figures
of one commune. The year of a figure comes from its column name (`P21_` -> 2021)."""

from __future__ import annotations

import math
import re

from ctg_data.formatting import fr_number
from ctg_data.opendata.common import (LEFT_EMPTY, Head, InseeFigures, OpendataError, numbers,
                                      rows_for)
from ctg_data.opendata.filosofi import FILOSOFI_SOURCES
from ctg_data.schemas import POPULATION

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
    **FILOSOFI_SOURCES,
}
INSEE_CODE_COLUMNS = ("COM", "CODGEO", "DEPCOM", "CODE_COMMUNE")
# Above this many columns a CODGEO file is the « dossier complet ».
DOSSIER_COMPLET_MIN_COLUMNS = 200
COUNT_KEYS = {k for k, (how, _) in INSEE_SOURCES.items() if how == "sum"}
POPULATION_KEYS = tuple(c.key for c in POPULATION.columns if c.key in INSEE_SOURCES)


def insee_columns(fields: list[str]) -> dict[str, dict[int, list[str]]]:
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


def insee_code_column(fields: list[str]) -> str | None:
    """The header of the commune code column (COM, CODGEO…), or None."""
    upper = {f.upper(): f for f in fields}
    return next((upper[c] for c in INSEE_CODE_COLUMNS if c in upper), None)


def insee_kind(fields: list[str]) -> str | None:
    """The kind of a classic INSEE commune file from its columns (`insee_population`,
    `insee_familles`, `insee_emploi`, `insee_filosofi`, `insee_dossier_complet`), or None."""
    code_col = insee_code_column(fields)
    found = insee_columns(fields)
    if code_col is None or not found:
        return None
    if len(fields) >= DOSSIER_COMPLET_MIN_COLUMNS:
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


def _value(key: str, cols: list[str], values: dict, several: bool) -> tuple[float, str]:
    """(value, why it is missing) of Population figure `key` from its source columns."""
    how = INSEE_SOURCES[key][0]
    if how == "single" and several:
        return math.nan, "plusieurs lignes pour la commune, valeur non additionnable"
    if any(values[c].isna().any() for c in cols):
        return math.nan, "valeur secrète ou absente dans le fichier"
    if how == "ratio":
        num, den = (float(values[c].sum()) for c in cols)
        return (100 * num / den if den > 0 else math.nan), "dénominateur nul"
    value = float(sum(values[c].sum() for c in cols))
    if key in COUNT_KEYS:
        # Half away from zero, as INSEE and formatting.fr_number round.
        value = float(math.floor(value + 0.5))
    return value, ""


def read_classic(content, head: Head, kind: str, file_name: str, code: str) -> InseeFigures:
    """The Population figures of a classic INSEE file for commune `code` (see
    `population.read_insee`): for each figure the latest year of the file."""
    code_col = insee_code_column(head.fields)
    columns = insee_columns(head.fields)
    # The latest year of each figure.
    chosen = {key: (max(years), years[max(years)]) for key, years in columns.items()}
    wanted = list(dict.fromkeys(c for _year, cols in chosen.values() for c in cols))
    rows = rows_for(content, head, code_col, wanted, code)
    if rows.empty:
        raise OpendataError.of("commune_absente_du_fichier", commune=code, file=file_name)
    values = {c: numbers(rows[c]) for c in wanted}
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
        value, why = _value(key, cols, values, several)
        if math.isnan(value):
            notes.append(f"{year} — {label} : {why} ({source}) ; {LEFT_EMPTY}")
            continue
        figures.setdefault(year, {})[key] = value
        shown = fr_number(value, 0 if key in COUNT_KEYS else 1)
        origin = f"{source}, somme de {len(rows)} lignes" if several and how != "single" \
            else source
        notes.append(f"{year} — {label} : {shown} ({origin}).")
    return InseeFigures(kind=kind, code=code, figures=figures, notes=notes, rows=len(rows))
