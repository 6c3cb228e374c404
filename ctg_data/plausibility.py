"""Plausibility of the figures entered: the rules that catch a typing slip without forbidding
a real change, shared by the import (warnings in the report) and the in-app forms (a negative
count is refused, an unusual value is saved only once confirmed: ctg_data.editing).

Rules (issue 10 §4):
- a count of a plan indicator is never negative (`compte_negatif`): the indicator's unit and
  name tell whether it counts something, unless they speak of a change (« évolution »,
  « solde », « écart »…) which may be negative; the declared counts of the other sheets
  already refuse negatives through their schema (`minimum=0`);
- a value more than `FACTOR` times the previous value, or below a `FACTOR`-th of it
  (`valeur_inhabituelle`): for the yearly sheets (Population, Assistantes maternelles,
  Accueil petite enfance) the territory's latest earlier year holding that column; for a plan
  indicator the latest earlier year column of its row, else its reference value. Zero and
  small numbers (both below `SMALL`) are never judged: a ratio of small counts (1 → 12 children
  schooled at 2) says nothing.

`problems(data)` checks one territory; `table_problems(tables, origins, groups)` checks the
rows of many territories at once (the import's validation, each row compared only with rows
of its own territory), vectorised so that a Caf-scale workbook stays fast.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import pandas as pd

from ctg_data import errors
from ctg_data.formatting import fr_number
from ctg_data.model import CtgData
from ctg_data.schemas import PLAN_ACTION, SHEETS_BY_KEY, normalise, year_of_header

FACTOR = 10.0
SMALL = 30.0
CODES = ("compte_negatif", "valeur_inhabituelle")
# One row per year: each numeric column (not a percentage) is compared with its previous year.
YEARLY_SHEETS = ("population", "assistantes_maternelles", "accueil_petite_enfance")
# Words of a unit or an indicator name that allow a negative value (a change, a balance).
_SIGNED_WORDS = ("evolution", "variation", "solde", "ecart", "difference", "progression",
                 "point", "delta")


def may_be_negative(unite, indicateur) -> bool:
    """Whether a plan indicator may take negative values: its unit or name speaks of a change
    or a balance (« évolution », « variation », « solde », « écart », « points »…). Every
    other plan indicator counts or measures something, never below zero."""
    return _speaks_of_a_change(f"{unite or ''} {indicateur or ''}")


@lru_cache(maxsize=4096)
def _speaks_of_a_change(text: str) -> bool:
    # A Caf-scale import asks this of thousands of rows sharing a few units and names.
    text = normalise(text)
    return any(word in text for word in _SIGNED_WORDS)


def unusual(value, previous) -> str | None:
    """« plus de 10 fois » / « moins du dixième de » when `value` is out of the plausible
    range around `previous`, else None (missing, zero or small values are never judged)."""
    try:
        value, previous = float(value), float(previous)
    except (TypeError, ValueError):
        return None
    if not (math.isfinite(value) and math.isfinite(previous)) or value <= 0 or previous <= 0:
        return None
    if max(value, previous) < SMALL:
        return None
    if value > FACTOR * previous:
        return f"plus de {fr_number(FACTOR)} fois"
    if value * FACTOR < previous:
        return "moins du dixième de"
    return None


def problems(data: CtgData) -> list[errors.Problem]:
    """The plausibility warnings of one territory's data, rows numbered as in a workbook
    written by the app (header in row 1)."""
    return table_problems(data.tables)


def _origin(origins: dict, key: str, length: int):
    from ctg_data.validation import default_origin  # validation imports this module

    return origins.get(key) or default_origin(SHEETS_BY_KEY[key], length)


def _groups(groups: dict | None, key: str, length: int) -> np.ndarray:
    group = (groups or {}).get(key)
    return np.zeros(length, dtype="int64") if group is None else np.asarray(group)


def table_problems(tables: dict[str, pd.DataFrame], origins: dict | None = None,
                   groups: dict | None = None) -> list[errors.Problem]:
    """The plausibility warnings of `tables` (sheet key → canonical rows, of one or many
    territories). `origins[sheet]` places each row in the file (validation.Origin; default:
    as the app writes a workbook) and `groups[sheet]` gives each row's territory (all rows
    one territory when absent): rows are compared with rows of their own territory only."""
    origins = origins or {}
    found: list[errors.Problem] = []
    for key in YEARLY_SHEETS:
        frame = tables.get(key)
        if frame is not None and not frame.empty:
            found += _yearly(key, frame, _origin(origins, key, len(frame)),
                             _groups(groups, key, len(frame)))
    plan = tables.get(PLAN_ACTION.key)
    if plan is not None and not plan.empty:
        found += _plan(plan, _origin(origins, PLAN_ACTION.key, len(plan)))
    return found


def _yearly(key: str, frame: pd.DataFrame, origin, group: np.ndarray) -> list[errors.Problem]:
    """Each numeric column of a one-row-per-year sheet against the territory's latest earlier
    year holding a value in that column."""
    sheet = SHEETS_BY_KEY[key]
    columns = [c for c in sheet.columns if c.type in ("int", "float") and c.key in frame]
    years = frame["annee"].astype("float64").to_numpy()
    order = np.lexsort((years, group))   # by territory, then year (missing years last)
    g = pd.Series(group[order])
    y = pd.Series(years[order])
    found = []
    for column in columns:
        v = pd.Series(frame[column.key].astype("float64").to_numpy()[order])
        usable = v.notna() & y.notna()
        # The latest earlier value of the same territory, and its year.
        last_value = v.where(usable).groupby(g).ffill()
        last_year = y.where(usable).groupby(g).ffill()
        prev_value = last_value.groupby(g).shift(1)
        prev_year = last_year.groupby(g).shift(1)
        candidates = usable & prev_value.notna() & (v > 0) & (prev_value > 0) & (
            (v > FACTOR * prev_value) | (v * FACTOR < prev_value))
        for i in np.flatnonzero(candidates.to_numpy()):
            comparison = unusual(v[i], prev_value[i])
            if comparison is None:
                continue
            index = int(order[i])
            found.append(errors.problem(
                "valeur_inhabituelle", sheet=origin.sheet_name, row=origin.rows[index],
                column=origin.column(column), value=float(v[i]),
                comparaison=f"{comparison} la valeur de {int(prev_year[i])} "
                            f"({fr_number(prev_value[i])})"))
    return found


def _plan(plan: pd.DataFrame, origin) -> list[errors.Problem]:
    """Plan indicators: no negative count (values, reference, target), and each year's value
    against the latest earlier value of its row, else its reference value."""
    found = []
    year_keys = sorted((c for c in plan.columns
                        if c not in {col.key for col in PLAN_ACTION.columns}
                        and year_of_header(c) is not None), key=lambda c: year_of_header(c))
    values = plan[year_keys].astype("float64").to_numpy() if year_keys else \
        np.full((len(plan), 0), np.nan)
    reference = plan["valeur_reference"].astype("float64").to_numpy()
    # Negative counts: only the rows holding a negative number are looked at.
    checked = [("valeur_reference", PLAN_ACTION.column("valeur_reference")),
               ("cible", PLAN_ACTION.column("cible"))]
    negative_rows = np.flatnonzero(
        (np.nan_to_num(values, nan=0.0) < 0).any(axis=1)
        | (plan[["valeur_reference", "cible"]].astype("float64").fillna(0.0) < 0)
        .any(axis=1).to_numpy())
    for index in negative_rows:
        unite = plan["unite"].iloc[index]
        if may_be_negative(unite, plan["indicateur"].iloc[index]):
            continue
        what = (f"un nombre de {unite.strip()}" if isinstance(unite, str) and unite.strip()
                else "cette valeur")
        cells = [(key, origin.column(column)) for key, column in checked]
        cells += [(key, origin.column(key)) for key in year_keys]
        for key, header in cells:
            value = plan[key].iloc[index]
            if value is not None and not pd.isna(value) and float(value) < 0:
                found.append(errors.problem("compte_negatif", sheet=origin.sheet_name,
                                            row=origin.rows[index], column=header,
                                            value=float(value), quoi=what))
    if not year_keys:
        return found
    # Previous value of each cell: the latest known earlier column of the row, else the
    # reference value (with its year when given).
    earlier = pd.DataFrame(values).ffill(axis=1).shift(1, axis=1).to_numpy()
    earlier_year = pd.DataFrame(np.where(~np.isnan(values),
                                         [float(year_of_header(k)) for k in year_keys],
                                         np.nan)).ffill(axis=1).shift(1, axis=1).to_numpy()
    from_reference = np.isnan(earlier)
    previous = np.where(from_reference, reference[:, None], earlier)
    with np.errstate(invalid="ignore"):
        candidates = (values > 0) & (previous > 0) & (
            (values > FACTOR * previous) | (values * FACTOR < previous))
    reference_years = plan["annee_reference"].tolist()
    for index, j in zip(*np.nonzero(candidates)):
        comparison = unusual(values[index, j], previous[index, j])
        if comparison is None:
            continue
        if from_reference[index, j]:
            ref_year = reference_years[index]
            when = "" if ref_year is None or pd.isna(ref_year) else f", {int(ref_year)}"
            what = f"la valeur de référence ({fr_number(previous[index, j])}{when})"
        else:
            what = (f"la valeur de {int(earlier_year[index, j])} "
                    f"({fr_number(previous[index, j])})")
        found.append(errors.problem(
            "valeur_inhabituelle", sheet=origin.sheet_name, row=origin.rows[index],
            column=origin.column(year_keys[j]), value=float(values[index, j]),
            comparaison=f"{comparison} {what}"))
    return found
