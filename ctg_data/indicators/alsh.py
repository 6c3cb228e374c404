"""Enfance-jeunesse: ALSH places per 100 children of the age bands they welcome, by period,
with attendance and fill rate (local indicators, see ctg_data.definitions)."""

from __future__ import annotations

import pandas as pd

from ctg_data.definitions import ALSH_HOURS_PER_DAY
from ctg_data.formatting import fr_number
from ctg_data.formatting import as_number
from ctg_data.indicators.cells import text as _text
from ctg_data.indicators.coverage import population_value
from ctg_data.model import CtgData
from ctg_data.schemas import PERIODES_ALSH

AGE_BANDS = (("enfants_3_5", 3, 5), ("enfants_6_10", 6, 10), ("jeunes_11_17", 11, 17))


def band_weights(age_min, age_max) -> tuple[dict[str, float], list[str]]:
    """The share of each INSEE band (3-5, 6-10, 11-17) an age range covers, with notes.

    Ages are whole years, inclusive: 3-14 covers 3-5 and 6-10 fully and 4 of the 7 years of
    11-17 (weight 4/7: children assumed evenly spread over the band's years)."""
    notes = []
    lo, hi = as_number(age_min), as_number(age_max)
    if lo is None or hi is None:
        notes.append("tranche d'âge non renseignée : 3-17 ans retenus")
        lo, hi = lo if lo is not None else 3.0, hi if hi is not None else 17.0
    weights = {}
    for column, b0, b1 in AGE_BANDS:
        overlap = min(hi + 1, b1 + 1) - max(lo, b0)
        if overlap <= 0:
            continue
        share = min(1.0, overlap / (b1 - b0 + 1))
        weights[column] = share
        if share < 1:
            first, last = max(lo, b0), min(hi, b1)
            covered = (f"{fr_number(first)} ans" if first == last
                       else f"{fr_number(first)}-{fr_number(last)} ans")
            notes.append(f"{covered} estimés à {fr_number(100 * share)} % des {b0}-{b1} ans")
    return weights, notes


_BAND_LABELS = {"enfants_3_5": "3-5", "enfants_6_10": "6-10", "jeunes_11_17": "11-17"}


def alsh_coverage(data: CtgData, annee: int) -> pd.DataFrame:
    """ALSH places per 100 children of the matching age bands, by period, for `annee`
    (local indicator), with attendance and fill rate.

    Columns: periode, tranche, structures, places, enfants, annee_population, couverture,
    jours_ouverture, enfants_accueillis, heures_realisees, heures_offertes, taux_remplissage,
    mesure_remplissage, approximations. Fill rate = heures réalisées / (places × jours ×
    ALSH_HOURS_PER_DAY) × 100 over the rows giving hours, else enfants accueillis / places
    × 100 (labelled as such in `mesure_remplissage`)."""
    table = data.table("alsh")
    rows = table[table["annee"] == annee]
    # Each band's children, looked up once for all the periods.
    population = {column: population_value(data, column, annee) for column, _, _ in AGE_BANDS}
    out = []
    for periode in PERIODES_ALSH:
        part = rows[rows["periode"] == periode]
        if part.empty:
            continue
        weights: dict[str, float] = {}
        notes: list[str] = []
        for _, r in part.iterrows():
            w, n = band_weights(r["age_min"], r["age_max"])
            for column, share in w.items():
                weights[column] = max(weights.get(column, 0.0), share)
            notes.extend(f"{_text(r['nom'])} : {note}" for note in n)
        enfants, annee_pop, missing = 0.0, None, []
        for column, share in weights.items():
            value, year = population[column]
            if value is None:
                missing.append(_BAND_LABELS[column])
                continue
            enfants += share * value
            annee_pop = year if annee_pop is None else min(annee_pop, year)
        if missing:
            notes.append("effectifs absents pour les " + ", ".join(missing) + " ans")
        if annee_pop is not None and annee_pop != annee:
            notes.append(f"population de {annee_pop}")
        places = float(part["places"].sum(min_count=1)) if part["places"].notna().any() else None
        tranche = " + ".join(_BAND_LABELS[c] for c, _, _ in AGE_BANDS if c in weights) + " ans"
        couverture = 100 * places / enfants if places is not None and enfants and not missing \
            else None
        with_hours = part[part["heures_realisees"].notna() & part["places"].notna()
                          & part["jours_ouverture"].notna()]
        heures_offertes = float((with_hours["places"] * with_hours["jours_ouverture"]).sum()
                                * ALSH_HOURS_PER_DAY) if len(with_hours) else None
        heures = float(with_hours["heures_realisees"].sum()) if len(with_hours) else None
        accueillis = as_number(part["enfants_accueillis"].sum(min_count=1))
        if heures_offertes:
            remplissage = 100 * heures / heures_offertes
            mesure = ("heures réalisées / heures offertes "
                      f"({fr_number(ALSH_HOURS_PER_DAY)} h par jour et par place)")
        elif accueillis is not None and places:
            with_children = part[part["enfants_accueillis"].notna()]
            remplissage = 100 * accueillis / float(with_children["places"].sum())
            mesure = ("enfants accueillis pour 100 places ouvertes (heures non renseignées ; "
                      "pas un taux d'occupation)")
        else:
            remplissage, mesure = None, None
        out.append(dict(
            periode=periode, tranche=tranche,
            structures=", ".join(dict.fromkeys(_text(n) for n in part["nom"])),
            places=places, enfants=enfants if enfants and not missing else None,
            annee_population=annee_pop, couverture=couverture,
            jours_ouverture=as_number(part["jours_ouverture"].max()), enfants_accueillis=accueillis,
            heures_realisees=heures, heures_offertes=heures_offertes,
            taux_remplissage=remplissage, mesure_remplissage=mesure,
            approximations=" ; ".join(dict.fromkeys(notes)) or None))
    columns = ["periode", "tranche", "structures", "places", "enfants", "annee_population",
               "couverture", "jours_ouverture", "enfants_accueillis", "heures_realisees",
               "heures_offertes", "taux_remplissage", "mesure_remplissage", "approximations"]
    frame = pd.DataFrame(out, columns=columns)
    for col in ("places", "enfants", "couverture", "jours_ouverture", "enfants_accueillis",
                "heures_realisees", "heures_offertes", "taux_remplissage"):
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype("float64")
    frame["annee_population"] = frame["annee_population"].astype("Int64")
    return frame

