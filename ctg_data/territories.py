"""Indicators of every territory at once: the Caf adviser's table (one row per territory for a
year), computed from the stored tables of all territories in one pass (pandas on the
concatenated tables of `Store.current_tables`), never by looping the single-territory
functions.

The counting rules are those of ctg_data.indicators (see its docstring): its helpers and
constants are used here (`commune_in_territory`, `places_missing`, `STATUT_BANDS`,
`COMPONENTS`, `EAJE_TYPES`…); the few rules written again on whole columns (a structure open
on 31 December, the achievement of a plan indicator and its band) are checked against the
single-territory functions by tests/test_territories.py, which compares every column of the
table with the single-territory figures.

Evolution: the global rate of the year against the latest earlier year of the territory that
holds coverage inputs (Population, Équipements with an `Année`, Assistantes maternelles,
Accueil petite enfance), like for like: `indicators.coverage_change` on each territory's two
rows (the components counted in both years only; `evolution_note` says which were left out,
or why no evolution is given).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ctg_data import kinds, settings
from ctg_data.indicators import (COMPONENTS, NIVEAUX, STATUT_BANDS, Coverage,
                                 commune_in_territory, coverage_change, places_missing)
from ctg_data.model import plan_years
from ctg_data.schemas import EAJE_TYPES, TABLE_SHEETS

COVERAGE_SHEETS = ("population", "equipements", "assistantes_maternelles",
                   "accueil_petite_enfance")
SHEETS = COVERAGE_SHEETS + ("plan_action",)
RATE_KEYS = ("global", "eaje", "individuel", "prescolarisation")
# The components whose presence varies (the EAJE ones are always counted, 0 when none).
_OPTIONAL = ("am", "gad", "prescolarisation")
_NIVEAU_COLUMNS = {"atteint": "plan_atteint", "en bonne voie": "plan_en_bonne_voie",
                   "en retard": "plan_en_retard", "non renseigné": "plan_non_renseigne"}
PUBLISHED_SOURCE = "publié par la Cnaf"

# Column key → French header (screen, xlsx/csv exports). The CLI keeps the keys.
LABELS = {
    "code_insee": "Code", "nom": "Territoire", "type": "Type", "departement": "Département",
    "epci": "EPCI", "annee": "Année", "enfants_moins_3_ans": "Enfants de moins de 3 ans",
    "annee_population": "Année de la population",
    "places_eaje_psu": "Places EAJE PSU", "places_eaje_hors_psu": "Places EAJE hors PSU",
    "places_am": "Places AM", "places_gad": "Garde à domicile",
    "places_prescolarisation": "Préscolarisation", "places_total": "Places comptées",
    "places_hors_territoire": "Offre hors territoire",
    "places_hors_taux_autre": "EAJE hors taux (financement Autre)",
    "taux_couverture_global": "Taux de couverture global",
    "taux_couverture_eaje": "Taux EAJE", "taux_couverture_individuel": "Taux individuel",
    "taux_couverture_prescolarisation": "Taux de préscolarisation",
    "complet": "Calcul complet", "cible": "Cible", "places_manquantes": "Places manquantes",
    "annee_precedente": "Année comparée", "evolution_taux_global": "Évolution (points)",
    "evolution_note": "Évolution : remarque", "demandes_pour_100": "Demandes pour 100 enfants",
    "plan_atteint": "Indicateurs atteints", "plan_en_bonne_voie": "En bonne voie",
    "plan_en_retard": "En retard", "plan_non_renseigne": "Non renseignés",
    "date_version": "Version du", "feuilles_manquantes": "Feuilles manquantes",
    "taux_couverture_global_publie": "Taux global publié (Cnaf)",
    "annee_taux_publie": "Année du taux publié", "source_taux_publie": "Source du taux publié",
}
COLUMNS = tuple(LABELS)
# Display and export formats of the columns (ctg_ui.table_block / exports vocabulary).
FORMATS = {
    "annee": "year", "enfants_moins_3_ans": "int", "annee_population": "year",
    **{f"places_{k}": "int" for k in (*COMPONENTS, "total", "hors_territoire",
                                       "hors_taux_autre")},
    **{f"taux_couverture_{k}": "rate" for k in RATE_KEYS},
    "cible": "rate", "places_manquantes": "int", "annee_precedente": "year",
    "evolution_taux_global": "rate", "demandes_pour_100": "rate",
    **{c: "int" for c in _NIVEAU_COLUMNS.values()},
    "date_version": "date", "taux_couverture_global_publie": "rate",
    "annee_taux_publie": "year",
}
# Columns that count people: masked when small in the downloads (statistical secrecy).
COUNT_COLUMNS = ("enfants_moins_3_ans",)


def load(store):
    """The stored tables this module needs, for every territory's current version."""
    return store.current_tables(SHEETS)


# ---------------------------------------------------------------------------------------------
# Coverage for every territory and year
# ---------------------------------------------------------------------------------------------

def _year_part(values: pd.Series) -> pd.Series:
    """The year (float, NaN when none) of dates or bare years « 2021 », « 2021-05-01 »
    (indicators.structures._year_part, on a column)."""
    text = values.astype(object).where(values.notna(), "").astype(str).str.strip().str[:4]
    return pd.to_numeric(text.where(text.str.fullmatch(r"\d{4}")), errors="coerce")


def _name_key(values: pd.Series) -> pd.Series:
    # Same structure = same name up to case and spacing (indicators.structures_of_year).
    return values.map(lambda n: " ".join(("" if n is None or (isinstance(n, float)
                                                              and math.isnan(n)) else
                                          str(n).strip()).casefold().split()))


def coverage_years(tables) -> list[int]:
    """Every year some coverage sheet holds, over all territories, ascending."""
    found: set[int] = set()
    for key in COVERAGE_SHEETS:
        found.update(int(y) for y in tables.tables[key]["annee"].dropna().unique())
    return sorted(found)


def _territory_years(tables) -> pd.DataFrame:
    """(code_insee, annee) pairs of each territory's coverage inputs."""
    parts = [tables.tables[k][["code_insee", "annee"]].dropna() for k in COVERAGE_SHEETS]
    frame = pd.concat(parts, ignore_index=True).drop_duplicates()
    return frame.astype({"annee": "int64"})


def _structures(tables) -> pd.DataFrame:
    """The Équipements rows with what the counting needs, computed once for every year."""
    eq = tables.tables["equipements"]
    fields = {t["code_insee"]: t for t in tables.territoires.to_dict("records")}
    # Each (territory, commune) decided once; an empty commune (None or NaN) is "".
    communes = eq["commune"].astype(object).where(eq["commune"].notna(), "")
    inside = {(code, commune): commune_in_territory(commune, fields[code])
              for code, commune in set(zip(eq["code_insee"], communes))}
    return pd.DataFrame({
        "code_insee": eq["code_insee"],
        "nom": _name_key(eq["nom"]),
        "annee": eq["annee"].astype("float64"),
        "type": eq["type"], "places": eq["places"], "financement": eq["financement"],
        "ouvert": _year_part(eq["ouverture"]), "ferme": _year_part(eq["fermeture"]),
        "dedans": [inside[(c, m)] for c, m in zip(eq["code_insee"], communes)],
    })


def _structure_places(structures: pd.DataFrame, annee: int) -> pd.DataFrame:
    """Per territory: EAJE PSU, EAJE hors PSU, offer outside the territory, and whether a
    structure that counts lacks its places — for the structures open on 31/12 of `annee`."""
    s = structures[structures["annee"].isna() | (structures["annee"] <= annee)]
    # The row of the year, else the latest earlier one, else the undated one; ties: first row.
    rank = s["annee"].fillna(-np.inf)
    chosen = rank.groupby([s["code_insee"], s["nom"]], sort=False).idxmax()
    s = s.loc[np.sort(chosen.to_numpy())]
    s = s[~(s["ouvert"] > annee) & ~(s["ferme"] <= annee)]
    s = s[s["type"].isin(EAJE_TYPES + ("MAM", "Berceaux réservés"))]
    missing = s["places"].isna()
    counted = s[~missing]
    eaje = counted["type"].isin(EAJE_TYPES)
    outside = (counted["type"] == "Berceaux réservés") | (~counted["dedans"] & eaje)
    in_eaje = eaje & ~outside
    hors_psu = in_eaje & (counted["financement"] == "PAJE")
    autre = in_eaje & (counted["financement"] == "Autre")   # outside the Cnaf rate
    p = counted["places"]
    frame = pd.DataFrame({
        "code_insee": counted["code_insee"],
        "places_eaje_psu": p.where(in_eaje & ~hors_psu & ~autre, 0.0),
        "places_eaje_hors_psu": p.where(hors_psu, 0.0),
        "places_hors_territoire": p.where(outside, 0.0),
        "places_hors_taux_autre": p.where(autre, 0.0)})
    out = frame.groupby("code_insee", sort=False).sum()
    lacking = set(s.loc[missing, "code_insee"])
    if lacking:
        out = out.reindex(out.index.union(sorted(lacking)), fill_value=0.0)
    out["places_manquant_structure"] = out.index.isin(lacking)
    return out


def _first_row_per_year(table: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    rows = table[table["annee"].notna()].drop_duplicates(["code_insee", "annee"], keep="first")
    return rows[["code_insee", "annee", *columns]].astype({"annee": "int64"})


def _places_missing(cible, enfants: pd.Series, total: pd.Series) -> pd.array:
    """`indicators.places_missing` for each row (NA without a target, children or places)."""
    if cible is None:
        return pd.array([pd.NA] * len(enfants), dtype="Int64")
    return pd.array([places_missing(cible, e, t) if e and not (math.isnan(e) or math.isnan(t))
                     else pd.NA for e, t in zip(enfants, total)], dtype="Int64")


def _ordered_sum(parts: list[pd.Series]) -> pd.Series:
    """Sum of the present values in order (Python's `sum` of the non-missing ones, so that
    the result is the same float), NaN when none is present."""
    total = pd.Series(np.nan, index=parts[0].index)
    for part in parts:
        total = total.where(part.isna(), total.fillna(0.0) + part)
    return total


def coverage_table(tables, years=None, cible=None) -> pd.DataFrame:
    """The coverage of every territory for every year of `years` (default: every year of the
    coverage sheets): one row per (code_insee, annee) with the flattened `indicators.Coverage`
    — annee_population, enfants_moins_3_ans, places_* (components, total, hors_territoire),
    taux_couverture_* (global, eaje, individuel, prescolarisation), cible, places_manquantes,
    demandes_pour_100, complet, `composantes` (the optional components counted: am, gad,
    prescolarisation, joined by « , ») and `annee_renseignee` (a coverage sheet has a row of
    that year for the territory: the years the evolution compares)."""
    years = coverage_years(tables) if years is None else sorted({int(y) for y in years})
    codes = tables.territoires["code_insee"].tolist()
    grid = pd.MultiIndex.from_product([codes, years], names=["code_insee", "annee"])
    out = pd.DataFrame(index=grid).reset_index()
    out = out.astype({"code_insee": object, "annee": "int64"})

    # Children under 3: the year's figure, else the latest earlier one.
    pop = tables.tables["population"]
    pop = pop[pop["annee"].notna() & pop["enfants_0_2"].notna()][
        ["code_insee", "annee", "enfants_0_2"]].astype({"code_insee": object, "annee": "int64"})
    pop = pop.assign(annee_population=pop["annee"]).sort_values("annee", kind="stable")
    out = pd.merge_asof(out.sort_values("annee", kind="stable"), pop, on="annee",
                        by="code_insee", direction="backward")
    out = out.rename(columns={"enfants_0_2": "enfants_moins_3_ans"})

    # Structures, one year at a time (each year keeps its own row per structure).
    structures = _structures(tables)
    per_year = []
    for annee in years:
        part = _structure_places(structures, annee)
        per_year.append(part.assign(annee=annee).reset_index())
    columns = ["code_insee", "annee", "places_eaje_psu", "places_eaje_hors_psu",
               "places_hors_territoire", "places_hors_taux_autre", "places_manquant_structure"]
    places = pd.concat(per_year, ignore_index=True)[columns] if per_year else \
        pd.DataFrame(columns=columns)
    out = out.merge(places, on=["code_insee", "annee"], how="left")
    for col in ("places_eaje_psu", "places_eaje_hors_psu", "places_hors_territoire",
                "places_hors_taux_autre"):
        out[col] = out[col].astype("float64").fillna(0.0)
    out["places_manquant_structure"] = out["places_manquant_structure"].astype(object) \
        .fillna(False).astype(bool)

    # Assistantes maternelles: places for under-3s, else every licensed place.
    am = _first_row_per_year(tables.tables["assistantes_maternelles"],
                             ["places_moins_3_ans", "places_agreees"])
    am = am.assign(places_am=am["places_moins_3_ans"].fillna(am["places_agreees"]),
                   ligne_am=True)[["code_insee", "annee", "places_am", "ligne_am"]]
    out = out.merge(am, on=["code_insee", "annee"], how="left")
    acc = _first_row_per_year(tables.tables["accueil_petite_enfance"],
                              ["enfants_gardes_domicile", "enfants_scolarises_2_ans",
                               "demandes_en_attente"])
    acc = acc.rename(columns={"enfants_gardes_domicile": "places_gad",
                              "enfants_scolarises_2_ans": "places_prescolarisation",
                              "demandes_en_attente": "demandes"}).assign(ligne_acc=True)
    out = out.merge(acc, on=["code_insee", "annee"], how="left")
    for col in ("places_am", "places_gad", "places_prescolarisation", "demandes",
                "enfants_moins_3_ans"):
        out[col] = out[col].astype("float64")

    # Totals, rates, places missing (indicators.coverage._finish).
    enfants = out["enfants_moins_3_ans"]
    usable = enfants.notna() & (enfants != 0)
    out["places_total"] = _ordered_sum([out[f"places_{k}"] for k in COMPONENTS])
    per_100 = {k: (100 * out[f"places_{k}"] / enfants).where(usable) for k in COMPONENTS}
    out["taux_couverture_global"] = _ordered_sum(
        [per_100[k] for k in ("eaje_psu", "eaje_hors_psu", "prescolarisation", "am", "gad")])
    out["taux_couverture_eaje"] = _ordered_sum([per_100["eaje_psu"], per_100["eaje_hors_psu"]])
    out["taux_couverture_individuel"] = _ordered_sum([per_100["am"], per_100["gad"]])
    out["taux_couverture_prescolarisation"] = per_100["prescolarisation"]
    out["demandes_pour_100"] = (100 * out["demandes"] / enfants).where(usable)
    out["cible"] = np.nan if cible is None else float(cible)
    out["places_manquantes"] = _places_missing(cible, enfants, out["places_total"])
    present = {k: out[f"places_{k}"].notna() for k in _OPTIONAL}
    out["complet"] = (usable & ~out["places_manquant_structure"]
                      & out["ligne_am"].notna() & out["ligne_acc"].notna()
                      & present["am"] & present["gad"] & present["prescolarisation"])
    out["composantes"] = [", ".join(k for k, on in zip(_OPTIONAL, flags) if on)
                          for flags in zip(*(present[k] for k in _OPTIONAL))]
    out["annee_population"] = out["annee_population"].astype("Int64")
    filled = _territory_years(tables).assign(annee_renseignee=True)
    out = out.merge(filled, on=["code_insee", "annee"], how="left")
    out["annee_renseignee"] = out["annee_renseignee"].astype(object).fillna(False).astype(bool)
    columns = ["code_insee", "annee", "annee_renseignee", "annee_population",
               "enfants_moins_3_ans",
               *(f"places_{k}" for k in (*COMPONENTS, "total", "hors_territoire",
                                          "hors_taux_autre")),
               *(f"taux_couverture_{k}" for k in RATE_KEYS), "cible", "places_manquantes",
               "demandes_pour_100", "complet", "composantes"]
    order = {c: i for i, c in enumerate(codes)}
    out = out.sort_values(["code_insee", "annee"], key=lambda s: s.map(order)
                          if s.name == "code_insee" else s, kind="stable")
    return out[columns].reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# Evolution, plan, references, missing sheets
# ---------------------------------------------------------------------------------------------

def _as_coverage(row: dict, annee: int) -> Coverage:
    """The parts of an `indicators.Coverage` an evolution reads, from a `coverage_table` row."""
    def value(v):
        return None if v is None or pd.isna(v) else float(v)
    return Coverage(
        annee=annee, annee_population=None,
        enfants_moins_3_ans=value(row["enfants_moins_3_ans"]),
        places={k: value(row[f"places_{k}"]) for k in COMPONENTS},
        taux={k: value(row[f"taux_couverture_{k}"]) for k in RATE_KEYS},
        cible=None, places_manquantes=None, am_par_etp_rpe=None, demandes_pour_100=None)


def _evolution(series: pd.DataFrame, tables, annee: int) -> pd.DataFrame:
    """Per territory: annee_precedente, evolution_taux_global (points, like for like) and
    evolution_note, by `indicators.coverage_change` on the territory's two rows of the
    series (the rule is written once; one small call per territory)."""
    filled = series[series["annee_renseignee"] & (series["annee"] < annee)]
    earlier = filled.groupby("code_insee")["annee"].max()
    now = series[series["annee"] == annee]
    wanted = set(zip(earlier.index, earlier.astype("int64")))
    before_rows = {(r["code_insee"], int(r["annee"])): r for r in
                   series[series["annee"].isin(set(earlier.astype("int64")))].to_dict("records")
                   if (r["code_insee"], int(r["annee"])) in wanted}
    rows = []
    for r in now.to_dict("records"):
        code = r["code_insee"]
        y0 = earlier.get(code)
        before = None if y0 is None or pd.isna(y0) else \
            _as_coverage(before_rows[(code, int(y0))], int(y0))
        change = coverage_change(_as_coverage(r, annee), before)
        rows.append((code, pd.NA if change.annee_precedente is None else change.annee_precedente,
                     np.nan if change.value is None else change.value, change.reason))
    frame = pd.DataFrame(rows, columns=["code_insee", "annee_precedente",
                                        "evolution_taux_global", "evolution_note"])
    frame["annee_precedente"] = pd.array(frame["annee_precedente"], dtype="Int64")
    frame["evolution_taux_global"] = frame["evolution_taux_global"].astype("float64")
    return frame


def _text_or_none(value) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else \
        str(value).strip()


def achievement_values(latest, reference, target, baisse) -> np.ndarray:
    """`indicators.achievement` on arrays (NaN where it gives None); `baisse` is a boolean
    array (« Baisse » indicators). tests/test_territories.py checks both agree."""
    latest, reference, target = (np.asarray(a, dtype="float64")
                                 for a in (latest, reference, target))
    baisse = np.asarray(baisse, dtype=bool)
    known = ~np.isnan(latest) & ~np.isnan(target)
    has_ref = ~np.isnan(reference)
    with np.errstate(divide="ignore", invalid="ignore"):
        progress = known & has_ref & (target != reference)
        kept = known & has_ref & ~progress & np.where(baisse, latest <= target,
                                                      latest >= target)
        ratio = np.where(baisse, np.where(latest != 0, 100 * target / latest, 100.0),
                         np.where(target != 0, 100 * latest / target, 100.0))
        out = np.where(progress, 100 * (latest - reference) / (target - reference),
                       np.where(kept, 100.0, np.where(known, ratio, np.nan)))
    return out


def expected_share_values(year, reference, reference_year, target, target_year) -> np.ndarray:
    """`indicators.expected_share` on arrays (NaN where it gives None): the achievement (%)
    the straight path from the reference to the target expects in `year`."""
    year, reference, reference_year, target, target_year = (
        np.asarray(a, dtype="float64")
        for a in (year, reference, reference_year, target, target_year))
    defined = (~np.isnan(year) & ~np.isnan(reference) & ~np.isnan(reference_year)
               & ~np.isnan(target) & ~np.isnan(target_year) & (target != reference)
               & (target_year > reference_year))
    with np.errstate(divide="ignore", invalid="ignore"):
        share = (year - reference_year) / (target_year - reference_year)
    return np.where(defined, 100 * np.minimum(1.0, np.maximum(0.0, share)), np.nan)


def plan_levels(plan: pd.DataFrame, annee: int | None = None, marge=None) -> pd.Series:
    """The band (`indicators.NIVEAUX`) of every plan indicator row of `plan` at `annee`,
    as `indicators.plan_status` gives it, for the rows of many territories at once."""
    marge = float(settings.get("marge_en_bonne_voie") if marge is None else marge)
    if plan.empty:
        return pd.Series([], dtype=object, index=plan.index)
    all_years = plan_years(plan)
    years = [str(y) for y in all_years if annee is None or y <= int(annee)]
    values = plan[years].astype("float64").to_numpy() if years else \
        np.full((len(plan), 0), np.nan)
    known = ~np.isnan(values)
    # The latest value up to `annee` and its year (the last known column of each row).
    last = values.shape[1] - 1 - np.argmax(known[:, ::-1], axis=1) if years else \
        np.zeros(len(plan), dtype=int)
    found = known.any(axis=1) if years else np.zeros(len(plan), dtype=bool)
    latest = np.where(found, values[np.arange(len(plan)), last] if years else np.nan, np.nan)
    latest_year = np.where(found, np.asarray([float(y) for y in years])[last]
                           if years else np.nan, np.nan)
    any_year = plan[[str(y) for y in all_years]].notna().any(axis=1).to_numpy() \
        if all_years else False
    has_numbers = (~np.isnan(latest) | plan["cible"].notna().to_numpy()
                   | plan["valeur_reference"].notna().to_numpy() | any_year)
    baisse = (plan["sens"] == "Baisse").fillna(False).to_numpy(dtype=bool)
    reference = plan["valeur_reference"].astype("float64").to_numpy()
    target = plan["cible"].astype("float64").to_numpy()
    pct = achievement_values(latest, reference, target, baisse)
    attendu = expected_share_values(latest_year, reference,
                                    plan["annee_reference"].astype("float64").to_numpy(),
                                    target, plan["annee_cible"].astype("float64").to_numpy())
    # indicators.band, on the array: marge % of the achievement expected on the path.
    threshold = marge * np.where(np.isnan(attendu), 100.0, attendu) / 100
    by_value = np.select([np.isnan(pct), pct >= 100 - 1e-9, pct >= threshold - 1e-9],
                         ["non renseigné", "atteint", "en bonne voie"], "en retard")
    by_statut = plan["statut"].map(STATUT_BANDS).fillna("non renseigné").to_numpy()
    return pd.Series(np.where(has_numbers, by_value, by_statut), index=plan.index,
                     dtype=object)


def plan_summary(tables, annee: int | None = None, marge=None) -> pd.DataFrame:
    """Per territory: the count of plan indicators in each band at `annee` (columns
    plan_atteint, plan_en_bonne_voie, plan_en_retard, plan_non_renseigne)."""
    plan = tables.tables["plan_action"]
    levels = plan_levels(plan, annee, marge)
    counts = pd.DataFrame({"code_insee": plan["code_insee"].to_numpy(),
                           "niveau": levels.to_numpy()}).value_counts().unstack(fill_value=0)
    counts = counts.reindex(index=tables.territoires["code_insee"], columns=list(NIVEAUX),
                            fill_value=0).fillna(0).astype("int64")
    return counts.rename(columns=_NIVEAU_COLUMNS).rename_axis(None, axis=1).reset_index()


def missing_sheets(row_counts: dict) -> str:
    """The French names of the table sheets a version holds no row of, « ; »-joined."""
    return " ; ".join(s.name for s in TABLE_SHEETS if not (row_counts or {}).get(s.key))


def _own_level(kind) -> str:
    return "epci" if kind == "EPCI" else "commune"


def published_rates(references: pd.DataFrame | None, territoires: pd.DataFrame,
                    annee: int) -> pd.DataFrame:
    """The global coverage rate published by the Cnaf for each territory itself (its own
    level and code) in `annee`: taux_couverture_global_publie, annee_taux_publie,
    source_taux_publie. Never mixed with the locally computed rate."""
    columns = ["code_insee", "taux_couverture_global_publie", "annee_taux_publie",
               "source_taux_publie"]
    empty = pd.DataFrame({"code_insee": territoires["code_insee"]})
    if references is None or references.empty:
        return empty.assign(taux_couverture_global_publie=np.nan,
                            annee_taux_publie=pd.array([pd.NA] * len(empty), dtype="Int64"),
                            source_taux_publie=None)[columns]
    refs = references[(references["indicateur"] == "taux_couverture_global")
                      & (references["annee"].astype(int) == int(annee))]
    wanted = pd.DataFrame({"code_insee": territoires["code_insee"],
                           "niveau": territoires["type"].map(_own_level)})
    refs = refs.assign(code=refs["code"].astype(str).str.strip(),
                       niveau=refs["niveau"].astype(str).str.lower())
    # The newest row wins for one place (the store gives them oldest first).
    refs = refs.drop_duplicates(["niveau", "code"], keep="last")
    merged = wanted.merge(refs, left_on=["niveau", "code_insee"], right_on=["niveau", "code"],
                          how="left")

    def source(row) -> str | None:
        if pd.isna(row["valeur"]) and pd.isna(row["annee"]):
            return None
        edition = _text_or_none(row.get("edition"))
        text = _text_or_none(row.get("source")) or "Cnaf"
        return f"{text} ({PUBLISHED_SOURCE}" + (f", édition {edition})" if edition else ")")

    out = pd.DataFrame({
        "code_insee": merged["code_insee"],
        "taux_couverture_global_publie": pd.to_numeric(merged["valeur"]).astype("float64"),
        "annee_taux_publie": pd.array(merged["annee"], dtype="Int64"),
        "source_taux_publie": merged.apply(source, axis=1) if len(merged) else None})
    return out[columns]


def stored_references(store, tables) -> pd.DataFrame:
    """The stored reference rows the table needs, in one `Store.references` call filtered in
    SQL: each territory's own figures (commune or EPCI level, by code), every département and
    France (for the distribution's reference lines). Never the whole table."""
    t = tables.territoires
    epci = t["type"] == "EPCI"
    return store.references(codes={
        "commune": t.loc[~epci, "code_insee"].astype(str).tolist(),
        "epci": t.loc[epci, "code_insee"].astype(str).tolist(),
        "departement": None, "france": None})


# ---------------------------------------------------------------------------------------------
# The table
# ---------------------------------------------------------------------------------------------

def territory_table(tables, annee: int, cible=None, references: pd.DataFrame | None = None,
                    series: pd.DataFrame | None = None, marge=None) -> pd.DataFrame:
    """One row per territory for `annee` (columns `COLUMNS`, French headers in `LABELS`):
    identity, children under 3, places by component, rates, places missing to `cible`
    (default: the `cible_taux_couverture` setting), evolution, waiting list per 100, plan
    summary, version date, missing sheets and the rate published by the Cnaf (from
    `references`, its own columns). `series` is `coverage_table(tables, cible=cible)` when
    already computed, with any target (it must hold `annee` and the earlier years)."""
    annee = int(annee)
    cible = float(settings.get("cible_taux_couverture") if cible is None else cible)
    if series is None:
        years = [y for y in coverage_years(tables) if y <= annee]
        series = coverage_table(tables, sorted(set(years) | {annee}), cible)
    t = tables.territoires
    base = pd.DataFrame({
        "code_insee": t["code_insee"], "nom": t["nom"], "type": t["type"].fillna("Commune"),
        "departement": t["departement"], "epci": t["epci"],
        "annee": annee, "date_version": [_paris_date(d) for d in t["updated_at"]],
        "feuilles_manquantes": [missing_sheets(c) or None for c in t["row_counts"]]})
    now = series[series["annee"] == annee].drop(columns=["annee"])
    # Places missing to this table's target, whatever target the series was computed with.
    now = now.assign(cible=cible, places_manquantes=_places_missing(
        cible, now["enfants_moins_3_ans"], now["places_total"]))
    out = base.merge(now, on="code_insee", how="left")
    out = out.merge(_evolution(series, tables, annee), on="code_insee", how="left")
    out = out.merge(plan_summary(tables, annee, marge), on="code_insee", how="left")
    out = out.merge(published_rates(references, t, annee), on="code_insee", how="left")
    out["annee"] = out["annee"].astype("int64")
    return out[list(COLUMNS)].reset_index(drop=True)


def _paris_date(moment):
    """The calendar date in Paris of a stored UTC timestamp (the version's date)."""
    if moment is None or pd.isna(moment):
        return None
    try:
        from zoneinfo import ZoneInfo
        return moment.astimezone(ZoneInfo("Europe/Paris")).date()
    except Exception:  # no time zone database: the UTC date is right to a few hours
        return moment.date()


def build(store, annee: int, cible=None) -> pd.DataFrame:
    """The table of `annee` straight from the store (the CLI's `indicators --tous`)."""
    tables = load(store)
    return territory_table(tables, annee, cible, stored_references(store, tables))


# ---------------------------------------------------------------------------------------------
# Filters and sorting (pure functions used by the page)
# ---------------------------------------------------------------------------------------------

def filter_options(table: pd.DataFrame) -> dict[str, list[str]]:
    """The values offered by the page's filters: départements, EPCI and types present."""
    def values(col):
        return sorted({_text_or_none(v) for v in table[col] if _text_or_none(v)})
    return {"departement": values("departement"), "epci": values("epci"),
            "type": values("type")}


def filter_table(table: pd.DataFrame, *, departements=(), epci=(), types=(),
                 texte: str = "") -> pd.DataFrame:
    """The rows of `table` in the chosen départements, EPCI and types (empty = all) whose
    code or name contains `texte` (ignoring case, accents and punctuation)."""
    from ctg_data.schemas import normalise

    keep = pd.Series(True, index=table.index)
    for col, chosen in (("departement", departements), ("epci", epci), ("type", types)):
        if chosen:
            keep &= table[col].map(_text_or_none).isin(set(chosen))
    needle = normalise(texte)
    if needle:
        haystack = (table["code_insee"].map(_text_or_none) + " "
                    + table["nom"].map(_text_or_none)).map(normalise)
        keep &= haystack.str.contains(needle, regex=False)
    return table[keep]


def sort_table(table: pd.DataFrame, column: str, ascending: bool = True) -> pd.DataFrame:
    """`table` sorted on `column` (missing values last; names in French alphabetical order,
    ignoring case and accents)."""
    from ctg_data.schemas import normalise

    def folded(values: pd.Series) -> pd.Series:
        return values.map(lambda v: normalise(v) if _text_or_none(v) else None)

    numeric = pd.api.types.is_numeric_dtype(table[column]) or column == "date_version"
    return table.sort_values(column, ascending=ascending, na_position="last", kind="stable",
                             key=None if numeric else folded)


def french_headers(table: pd.DataFrame) -> pd.DataFrame:
    """`table` with the French headers of `LABELS` (screen and downloads)."""
    return table.rename(columns=LABELS)


def french_formats(columns=COLUMNS) -> dict:
    """`FORMATS` keyed by French header, for the columns given."""
    return {LABELS[c]: FORMATS[c] for c in columns if c in FORMATS}


# ---------------------------------------------------------------------------------------------
# Exports (page downloads, command line)
# ---------------------------------------------------------------------------------------------

SOURCE = ("classeurs CTG des territoires (calcul de l'application) ; taux publiés : Cnaf, "
          "data.caf.fr, quand ils sont importés")


def export_formats(french: bool = False) -> dict:
    """`FORMATS` in the exports vocabulary (exports.table_to_xlsx), keyed by column key or,
    with `french`, by French header."""
    return {(LABELS[c] if french else c): kind for c, kind in kinds.excel_kinds(FORMATS).items()}


def latest_population_year(tables) -> int | None:
    """The latest year for which some territory gives its children under 3 (the CLI's
    default year)."""
    pop = tables.tables["population"]
    years = pop.loc[pop["enfants_0_2"].notna(), "annee"].dropna()
    return int(years.max()) if len(years) else None


def table_records(table: pd.DataFrame) -> list[dict]:
    """The table as JSON-ready records: None for missing values, ISO dates, plain numbers."""
    from ctg_data.storage import plain

    return [{k: plain(v) for k, v in row.items()} for row in table.to_dict("records")]
