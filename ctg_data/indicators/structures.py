"""The structures a year counts: open on 31 December, the row describing that year, located in
the territory (rules in ctg_data.indicators.coverage's docstring)."""

from __future__ import annotations

import math
import re

import pandas as pd

from ctg_data.indicators.cells import text as _text
from ctg_data.model import CtgData
from ctg_data.schemas import normalise


def _year_part(value) -> int | None:
    text = _text(value)
    return int(text[:4]) if len(text) >= 4 and text[:4].isdigit() else None


def is_open(ouverture, fermeture, annee: int) -> bool:
    """Whether a structure is open on 31 December of `annee` (dates or bare years).

    Opened on or before 31/12/Y, whether by date or by a bare year ≤ Y; closed on or before
    31/12/Y (a date of year ≤ Y, or a bare year ≤ Y) means not counted."""
    opened = _year_part(ouverture)
    closed = _year_part(fermeture)
    if opened is not None and opened > annee:
        return False
    return not (closed is not None and closed <= annee)


def structures_of_year(data: CtgData, annee: int) -> pd.DataFrame:
    """The Équipements rows describing year `annee`, for the structures open on 31/12.

    Per structure (same `Nom`): the row whose `Année` is `annee`, else the latest earlier one,
    else the row without `Année`; a structure whose rows all describe later years is left
    out."""
    table = data.table("equipements")
    if table.empty:
        return table.copy()
    # Same structure = same name up to case and spacing (not schemas.normalise, which drops a
    # trailing bracket: « Crèche (site 2) » is another structure).
    names = [" ".join(_text(n).casefold().split()) for n in table["nom"]]
    # One plain pass (no pandas work per structure: coverage runs for every year on every
    # page). Per name, in order of first appearance: (rank, position) of the row chosen so
    # far; an undated row ranks below any dated one, ties keep the first row.
    chosen: dict[str, tuple[float, int] | None] = dict.fromkeys(names)
    for position, (name, year) in enumerate(zip(names, table["annee"])):
        if pd.isna(year):
            rank = -math.inf
        elif year <= annee:
            rank = float(year)
        else:
            continue
        if chosen[name] is None or rank > chosen[name][0]:
            chosen[name] = (rank, position)
    opening, closing = table["ouverture"].tolist(), table["fermeture"].tolist()
    keep = [p for _, p in filter(None, chosen.values())
            if is_open(opening[p], closing[p], annee)]
    return table.iloc[keep]


def in_territory(commune, data: CtgData) -> bool:
    """Whether a structure's `Commune` designates the territory (empty = yes): the territory
    itself, or for an EPCI one of its `Communes membres` — any commune when that list is
    not given, since an EPCI workbook names the member commune of each structure."""
    return commune_in_territory(commune, data.territoire)


def commune_in_territory(commune, territoire: dict) -> bool:
    """`in_territory` from the Territoire fields alone (shared with the cross-territory
    table, ctg_data.territories, which has no CtgData per territory)."""
    text = _text(commune)
    if not text:
        return True
    t = territoire
    names = [t.get("code_insee"), t.get("nom")]
    members = [m for m in re.split(r"[;\n]", str(t.get("communes_membres") or "")) if m.strip()]
    if t.get("type") == "EPCI" and not members:
        return True
    return any(text == _text(n) or normalise(text) == normalise(n)
               for n in (*names, *members) if _text(n))
