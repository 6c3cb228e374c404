"""INSEE Filosofi (revenus et pauvreté): which columns or measures give a commune's median
standard of living and poverty rate, in the classic files and in the Melodi long CSV.

Classic files name the median `MED21` until the 2020 edition; the 2021 edition (geo2025,
`FILO2021_DISP_COM.csv`) names it `Q221` (second quartile, year 21). The Melodi file
DS_FILOSOFI_CC gives them as FILOSOFI_MEASURE `MED_SL` and `PR_MD60` (poverty rate at 60 %).
"""

from __future__ import annotations

import math

import pandas as pd

# Population key -> ("single", column patterns with the two-digit year as group 1): one value
# per commune, never summed (see insee.INSEE_SOURCES).
FILOSOFI_SOURCES = {
    "revenu_median": ("single", (r"(?:MED|Q2)(\d\d)",)),
    "taux_pauvrete": ("single", (r"TP60(\d\d)",)),
}
MELODI_FILOSOFI = {"revenu_median": "MED_SL", "taux_pauvrete": "PR_MD60"}


def melodi_candidates(part: pd.DataFrame) -> dict[str, dict[int, tuple[float, str]]]:
    """{Population key: {year: (value, source)}} of the commune's Melodi Filosofi rows (the
    totals of every other dimension, columns `_annee` and `_valeur`); a measure given twice
    for a year is ambiguous and stays missing."""
    measure = part["FILOSOFI_MEASURE"].str.strip().str.upper()
    out = {}
    for key, wanted in MELODI_FILOSOFI.items():
        chosen = part[measure == wanted]
        candidates = {}
        for year, of_year in chosen.groupby("_annee"):
            value = float(of_year["_valeur"].iloc[0]) if len(of_year) == 1 else math.nan
            candidates[int(year)] = (value, f"FILOSOFI_MEASURE {wanted}")
        out[key] = candidates
    return out
