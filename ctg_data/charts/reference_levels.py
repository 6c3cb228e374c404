"""The reference levels a chart compares the territory with, from the long reference table
(niveau, code, nom, annee, indicateur, valeur, source, edition — `Store.references()`,
completed with the bundled national table): the rows that concern a territory at each level
and the value of a year (or the latest earlier one).
"""

from __future__ import annotations

import re
import unicodedata

import pandas as pd

from ctg_data import formatting as fmt
from ctg_data.model import CtgData

REF_COLUMNS = ("niveau", "code", "nom", "annee", "indicateur", "valeur", "source", "edition")


def reference_rows(references: pd.DataFrame | None) -> pd.DataFrame:
    """The given references completed with the bundled national table."""
    frames = []
    if references is not None and len(references):
        frames.append(references)
    try:
        from ctg_data import references as refmod
        national = refmod.national_references()
        if frames:   # a stored figure (the user's file, its chosen edition) wins
            national = refmod._without_stored(national, frames[0])
        if national is not None and len(national):
            frames.append(national)
    except (ImportError, AttributeError, FileNotFoundError):
        pass
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in REF_COLUMNS})
    out = pd.concat(frames, ignore_index=True)
    if "confirme" in out:
        # An unconfirmed value (domain.md) is never drawn as a fact.
        out = out[out["confirme"].map(lambda v: True if fmt.is_missing(v) else
                                      str(v).strip().lower() in ("true", "1", "oui"))]
    for c in REF_COLUMNS:
        if c not in out:
            out[c] = None
    out = out[out["annee"].notna() & out["valeur"].notna()].copy()
    out["annee"] = out["annee"].astype(int)
    out["valeur"] = out["valeur"].astype(float)
    out["niveau"] = out["niveau"].astype(str).str.lower()
    out["code"] = out["code"].map(lambda v: None if fmt.is_missing(v) else str(v).strip())
    return out.drop_duplicates(["niveau", "code", "annee", "indicateur", "edition"], keep="first")


def fold(text) -> str:
    """A name reduced to lower-case ASCII letters and digits, to compare EPCI names."""
    s = unicodedata.normalize("NFKD", str(text or "")).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "", s.lower())


def level_rows(refs: pd.DataFrame, niveau: str, data: CtgData) -> pd.DataFrame:
    """Reference rows of `niveau` that concern this territory (its commune code, its EPCI by
    SIREN or name, its département); France and a single region whatever their code."""
    rows = refs[refs["niveau"] == niveau]
    if rows.empty:
        return rows
    terr = data.territoire or {}
    if niveau == "commune":
        return rows[rows["code"] == str(terr.get("code_insee") or "")]
    if niveau == "epci":
        wanted = str(terr.get("epci") or "").strip()
        if terr.get("type") == "EPCI" and not wanted:
            wanted = str(terr.get("code_insee") or "")
        match = rows[(rows["code"] == wanted) | (rows["nom"].map(fold) == fold(wanted))] \
            if wanted else rows.iloc[0:0]
        return match if len(match) or rows["code"].nunique() > 1 else rows
    if niveau == "departement":
        wanted = str(terr.get("departement") or "").strip().lstrip("0")
        if wanted:
            match = rows[rows["code"].map(lambda c: str(c or "").lstrip("0")) == wanted]
            return match
        return rows if rows["code"].nunique() <= 1 else rows.iloc[0:0]
    if niveau == "region":
        return rows if rows["code"].nunique() <= 1 else rows.iloc[0:0]
    return rows


def pick_reference(refs: pd.DataFrame, niveau: str, indicateur: str, annee: int,
          data: CtgData) -> pd.Series | None:
    """The reference value of `indicateur` for `niveau`: the year `annee`, else the latest
    earlier year (never a later one)."""
    rows = level_rows(refs, niveau, data)
    rows = rows[(rows["indicateur"] == indicateur) & (rows["annee"] <= int(annee))]
    if rows.empty:
        return None
    return rows.sort_values(["annee"]).iloc[-1]


# ---------------------------------------------------------------------------------------------
# Diagnostic
