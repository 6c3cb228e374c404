"""The territory's portrait (population, families, activity, income) from the Population
sheet; each indicator's columns and factor are declared in ctg_data.definitions."""

from __future__ import annotations

import pandas as pd

from ctg_data import definitions
from ctg_data.formatting import as_number
from ctg_data.model import CtgData


def portrait(data: CtgData) -> pd.DataFrame:
    """Every portrait indicator the Population sheet allows, long format: indicateur, libelle,
    annee, valeur, unite (only computable values). A ratio needs both its terms and a
    non-zero denominator."""
    rows = []
    table = data.table("population").sort_values("annee")
    records = [r for r in table.to_dict("records") if not pd.isna(r["annee"])]
    for code in definitions.PORTRAIT_CODES:
        definition = definitions.get(code)
        num, den = definition.colonne_numerateur, definition.colonne_denominateur
        for r in records:
            value = as_number(r[num])
            if value is None:
                continue
            if den is not None:
                base = as_number(r[den])
                if not base:
                    continue
                value = definition.facteur * value / base
            rows.append(dict(indicateur=code, libelle=definition.libelle, annee=int(r["annee"]),
                             valeur=value, unite=definition.unite))
    frame = pd.DataFrame(rows, columns=["indicateur", "libelle", "annee", "valeur", "unite"])
    frame["annee"] = frame["annee"].astype("int64")
    frame["valeur"] = frame["valeur"].astype("float64")
    return frame
