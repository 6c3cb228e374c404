"""INSEE Melodi long CSVs (population by age, activity, Filosofi): the Population figures of
one commune.

Melodi files hold one row per territory × dimensions × period, e.g. the population:
  "GEO";"GEO_OBJECT";"SEX";"AGE";"RP_MEASURE";"OBS_STATUS";TIME_PERIOD;OBS_VALUE
Verified in public code that reads these files (2025): GEO is the territory's code and
GEO_OBJECT its kind (COM, EPCI, DEP, ARM…); « _T » is the total of a dimension (SEX=_T,
AGE=_T); RP_MEASURE « POP » is the population count of DS_RP_POPULATION_*; AGE codes follow
the SDMX pattern Y_LTn (under n), YaTb (a to b), Y_GEn (n and over): Y_LT15, Y15T64,
Y_GE65…; DS_RP_EMPLOI_LR_*: EMPSTA_ENQ « 1T2 » = actives, « 2 » = unemployed, « 1 » =
employed, for AGE Y15T64; DS_FILOSOFI_CC: see `filosofi`.
Assumed (not seen in a real file here): the child bands are published with the same pattern
(Y_LT3 or Y0T2, Y3T5, Y6T10, Y11T17) — any set of AGE codes that covers a band exactly,
without overlap, is summed (single years Y0, Y1, Y2 too), and a band that no set covers stays
missing; GEO holds the plain code (59367), a « COM-59367 » spelling is accepted. Families
(DS_RP_MENAGES_*, DS_RP_FAMILLE_*): measure codes not verified, so not mapped.
"""

from __future__ import annotations

import math
import re

import pandas as pd

from ctg_data.formatting import fr_number
from ctg_data.opendata import filosofi
from ctg_data.opendata.common import (LEFT_EMPTY, Head, InseeFigures, OpendataError, numbers,
                                      rows_for)
from ctg_data.opendata.insee import COUNT_KEYS, POPULATION_KEYS
from ctg_data.schemas import POPULATION

MELODI_REQUIRED = {"GEO", "TIME_PERIOD", "OBS_VALUE"}
# Columns that are not dimensions to total over.
_MELODI_NOT_DIMENSIONS = {"GEO", "GEO_OBJECT", "TIME_PERIOD", "OBS_VALUE", "OBS_STATUS",
                          "OBS_FLAG", "CONF_STATUS", "UNIT_MEASURE", "UNIT_MULT", "FREQ",
                          "DECIMALS", "OBS_STATUS_FR"}
MELODI_AGE_BANDS = {"enfants_0_2": (0, 2), "enfants_3_5": (3, 5), "enfants_6_10": (6, 10),
                    "jeunes_11_17": (11, 17)}
MELODI_FILOSOFI = filosofi.MELODI_FILOSOFI
_OPEN_END = 200

# {Population key: {year: (value, source)}}: the values a file offers for each figure.
Candidates = dict[str, dict[int, tuple[float, str]]]


def melodi_kind(fields: list[str]) -> str | None:
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


def _melodi_rows(content, head: Head, file_name: str, code: str) -> pd.DataFrame:
    """The commune's rows of a Melodi file (columns upper-cased, text cells), keeping only
    the total (« _T ») of each dimension the figures do not use."""
    geo = next(f for f in head.fields if f.strip().upper() == "GEO")
    rows = rows_for(content, head, geo, list(head.fields), code)
    if rows.empty:
        rows = rows_for(content, head, geo, list(head.fields), f"COM-{code}")
    rows.columns = [c.strip().upper() for c in rows.columns]
    if rows.empty:
        raise OpendataError.of("commune_absente_du_fichier", commune=code, file=file_name)
    if "GEO_OBJECT" in rows:
        kinds = rows["GEO_OBJECT"].str.strip().str.upper()
        rows = rows[kinds.isin(("COM", ""))]
    return rows.assign(_annee=pd.to_numeric(rows["TIME_PERIOD"].str.extract(
        r"((?:19|20)\d\d)", expand=False), errors="coerce"),
        _valeur=numbers(rows["OBS_VALUE"]))


def _totals(rows: pd.DataFrame, keep: set[str]) -> pd.DataFrame:
    """`rows` restricted to the total « _T » of every dimension outside `keep`."""
    for column in rows.columns:
        if column.startswith("_") or column in _MELODI_NOT_DIMENSIONS or column in keep:
            continue
        values = rows[column].str.strip().str.upper()
        if (values == "_T").any():
            rows = rows[values == "_T"]
    return rows


def _population_candidates(rows: pd.DataFrame) -> Candidates:
    """The population and the child age bands, per year: the total AGE « _T », and for a
    band the AGE codes that tile it (rounded to the unit)."""
    part = _totals(rows, {"AGE", "RP_MEASURE"})
    if "RP_MEASURE" in part and (part["RP_MEASURE"].str.strip() == "POP").any():
        part = part[part["RP_MEASURE"].str.strip() == "POP"]
    ages = part["AGE"].str.strip().str.upper()
    out = {}
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
        out[key] = candidates
    return out


def _activity_candidates(rows: pd.DataFrame) -> Candidates:
    """The unemployment rate (15-64) and the activity rate of women (25-54), per year."""
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
    return {"taux_chomage": unemployment, "taux_activite_femmes": women}


def _latest(candidates: Candidates) -> tuple[dict, dict]:
    """(found, missing): for each figure the latest year with a value, {key: (year, value,
    source)}; a figure whose every year is missing, {key: (latest year, source)}."""
    found: dict[str, tuple[int, float, str]] = {}
    missing: dict[str, tuple[int, str]] = {}
    for key, by_year in candidates.items():
        for year in sorted(by_year, reverse=True):
            value, source = by_year[year]
            if not math.isnan(value):
                found[key] = (year, value, source)
                break
        else:
            if by_year:
                year = max(by_year)
                missing[key] = (year, by_year[year][1])
    return found, missing


def _notes(kind: str, found: dict, missing: dict) -> tuple[dict[int, dict[str, float]],
                                                            list[str]]:
    """The figures by year and one French note per figure filled or left missing."""
    figures: dict[int, dict[str, float]] = {}
    notes: list[str] = []
    for key in POPULATION_KEYS + ("taux_activite_femmes",):
        label = POPULATION.column(key).label
        if key in found:
            year, value, source = found[key]
            figures.setdefault(year, {})[key] = value
            shown = fr_number(value, 0 if key in COUNT_KEYS else 1)
            notes.append(f"{year} — {label} : {shown} (Melodi, {source}).")
        elif key in missing:
            year, source = missing[key]
            notes.append(f"{year} — {label} : valeur secrète ou absente dans le fichier "
                         f"(Melodi, {source}) ; {LEFT_EMPTY}")
    if kind == "insee_melodi_population":
        for key, (low, high) in MELODI_AGE_BANDS.items():
            if key not in found and key not in missing:
                notes.append(f"{POPULATION.column(key).label} : aucun code AGE du fichier ne "
                             f"couvre exactement {low} à {high} ans ; {LEFT_EMPTY}")
    return figures, notes


def read_melodi(content, head: Head, kind: str, file_name: str, code: str) -> InseeFigures:
    """The Population figures of a Melodi long CSV for commune `code` (see the notes above):
    for each figure the latest period of the file; counts rounded to the unit; a secret or
    blank value, or a band no AGE code covers, stays missing."""
    rows = _melodi_rows(content, head, file_name, code)
    if kind == "insee_melodi_population":
        candidates = _population_candidates(rows)
    elif kind == "insee_melodi_emploi":
        candidates = _activity_candidates(rows)
    else:
        candidates = filosofi.melodi_candidates(_totals(rows, {"FILOSOFI_MEASURE"}))
    figures, notes = _notes(kind, *_latest(candidates))
    return InseeFigures(kind=kind, code=code, figures=figures, notes=notes, rows=len(rows))
