"""Indicators computed from a territory's CtgData: coverage rate, offer/needs gap, ALSH,
portrait and plan achievement. Pure functions; labels and formulas live in ctg_data.definitions.

Counting rules (docs: workbook-format.md « Derived figures », domain.md §3-4):
- a structure counts for year Y when it is open on 31 December Y: `Ouverture` (date or bare
  year) on or before that day, `Fermeture` not on or before it (a bare closing year Y stops the
  counting from Y on); when rows carry an `Année`, year Y uses the row of Y, else the latest
  earlier row of that structure, else its row without `Année`;
- EAJE hors PSU = EAJE financed by the PAJE (micro-crèches in practice); EAJE PSU = the other
  EAJE; both only when located in the territory;
- AM places = `Places pour moins de 3 ans`, else `Places agréées` (approximation, alert);
  MAM places are part of the AM figures and never added again;
- Berceaux réservés and structures located in another commune are the « offre mobilisable hors
  territoire », shown apart, never in the rate;
- an EAJE in the territory whose `Financement` is « Autre » (neither PSU nor PAJE) is not in the
  Cnaf-comparable rate either: `places["hors_taux_autre"]`, a detail line and an alert naming
  the structures;
- the population of year Y is used, else the latest earlier year (alert).

`Coverage.complet` is False as soon as one input is missing (a component, the number of
children); approximations (earlier population, AM places from all licensed places) keep
`complet` True but always add an alert. Rates are computed on the components present: an
incomplete rate is flagged, never silently presented as complete.
"""

from __future__ import annotations

import re

import math
from dataclasses import dataclass, field

import pandas as pd

from ctg_data import settings
from ctg_data.definitions import ALSH_HOURS_PER_DAY
from ctg_data.formatting import as_number, fr_number, fr_signed
from ctg_data.model import CtgData, plan_years
from ctg_data.schemas import EAJE_TYPES, PERIODES_ALSH, normalise

COMPONENTS = ("eaje_psu", "eaje_hors_psu", "am", "gad", "prescolarisation")
# The start of the alert naming the EAJE financed by « Autre » (pages show it on its own).
AUTRE_ALERT = "EAJE au financement « Autre »"
NIVEAUX = ("atteint", "en bonne voie", "en retard", "non renseigné")
COMPONENT_LABELS = {
    "eaje_psu": "Places EAJE PSU",
    "eaje_hors_psu": "Places EAJE hors PSU (micro-crèches PAJE)",
    "am": "Places d'assistantes maternelles pour les moins de 3 ans",
    "gad": "Garde à domicile",
    "prescolarisation": "Préscolarisation (enfants scolarisés à 2 ans)",
}


_num = as_number


def _text(value) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else \
        str(value).strip()


# ---------------------------------------------------------------------------------------------
# Structures open on 31 December
# ---------------------------------------------------------------------------------------------

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


# ---------------------------------------------------------------------------------------------
# Coverage rate
# ---------------------------------------------------------------------------------------------

@dataclass
class Coverage:
    """The coverage rate of one year, its components and how it was computed."""

    annee: int
    annee_population: int | None
    enfants_moins_3_ans: float | None
    # eaje_psu, eaje_hors_psu, am, gad, prescolarisation, total, hors_territoire and
    # hors_taux_autre (EAJE financed by « Autre »: outside the Cnaf-comparable rate)
    places: dict
    taux: dict    # global, eaje, individuel, prescolarisation (None when not computable)
    cible: float | None
    places_manquantes: int | None
    am_par_etp_rpe: float | None
    demandes_pour_100: float | None
    alertes: list[str] = field(default_factory=list)
    complet: bool = True
    detail: list[tuple[str, float | None]] = field(default_factory=list)
    # Scenarios only: each removal capped at the places there are, in French.
    limites: list[str] = field(default_factory=list)


def rates_from_components(psu, hors_psu, prescolarisation, am, gad) -> dict:
    """The Cnaf sub-rates and global rate from the five component rates (places per 100).

    eaje = psu + hors_psu; individuel = am + gad; prescolarisation; global = all five.
    A missing (None) component is left out of its sums; a sum of only missing parts is None."""
    def total(*parts):
        present = [p for p in parts if p is not None]
        return sum(present) if present else None
    return {
        "global": total(psu, hors_psu, prescolarisation, am, gad),
        "eaje": total(psu, hors_psu),
        "individuel": total(am, gad),
        "prescolarisation": prescolarisation,
    }


def places_missing(cible, enfants, places) -> int | None:
    """Places to create so that `places` reach `cible` places per 100 of `enfants`:
    max(0, ceil(cible × enfants / 100 − places)); None when that is not a finite number."""
    needed = float(cible) * float(enfants) / 100 - float(places)
    if not math.isfinite(needed):  # huge values stored before the format bounded numbers
        return None
    # Round first so that 60 × 500 / 100 − 300 (= 1e-13 in floats) does not become one place.
    return max(0, math.ceil(round(needed, 9)))


def _row_of_year(table: pd.DataFrame, annee: int) -> pd.Series | None:
    rows = table[table["annee"] == annee]
    return None if rows.empty else rows.iloc[0]


def _population_value(data: CtgData, column: str, annee: int) -> tuple[float | None, int | None]:
    """`column` of the Population row of `annee`, else of the latest earlier year holding it."""
    table = data.table("population")
    rows = table[table["annee"].notna() & (table["annee"] <= annee) & table[column].notna()]
    if rows.empty:
        return None, None
    row = rows.loc[rows["annee"].astype(int).idxmax()]
    return float(row[column]), int(row["annee"])


def coverage(data: CtgData, annee: int, cible=None) -> Coverage:
    """The coverage rate of `annee` with its components, alerts and line-by-line detail."""
    return _finish(**_collect(data, annee), cible=cible)


def _collect(data: CtgData, annee: int) -> dict:
    """The inputs of the coverage rate of `annee`: children, places per component, ratios,
    alerts, completeness and the per-structure detail lines."""
    alertes: list[str] = []
    detail: list[tuple[str, float | None]] = []
    complet = True

    enfants, annee_pop = _population_value(data, "enfants_0_2", annee)
    if enfants is None:
        complet = False
        alertes.append(f"Nombre d'enfants de moins de 3 ans absent pour {annee} et les années "
                       "antérieures : le taux de couverture ne peut pas être calculé.")
    elif annee_pop != annee:
        alertes.append(f"Enfants de moins de 3 ans : chiffre de {annee_pop} utilisé pour {annee} "
                       "(dernière année disponible).")
    if enfants == 0:
        complet = False  # no rate at all: never presented as a complete result
        alertes.append("Aucun enfant de moins de 3 ans : le taux n'est pas calculable.")

    # --- EAJE, MAM, offer outside the territory, from Équipements --------------------------
    places = {k: None for k in COMPONENTS}
    structures = structures_of_year(data, annee)
    eaje_psu = eaje_hors = hors_territoire = hors_taux_autre = 0.0
    lines_eaje: list[tuple[str, float | None]] = []
    lines_outside: list[tuple[str, float | None]] = []
    lines_mam: list[tuple[str, float | None]] = []
    autres: list[str] = []
    for _, s in structures.iterrows():
        kind, nom, p = s["type"], _text(s["nom"]), _num(s["places"])
        inside = in_territory(s["commune"], data)
        if kind not in EAJE_TYPES + ("MAM", "Berceaux réservés"):
            continue
        if p is None:
            complet = False
            alertes.append(f"Places non renseignées pour « {nom} » ({kind}) en {annee} : "
                           "structure non comptée.")
            continue
        if kind == "Berceaux réservés" or (not inside and kind in EAJE_TYPES):
            hors_territoire += p
            where = f", {_text(s['commune'])}" if _text(s["commune"]) else ""
            lines_outside.append((f"{nom} ({kind}{where}) : hors territoire, non compté", p))
        elif kind == "MAM":
            lines_mam.append((f"{nom} (MAM) : déjà comptée avec les assistantes maternelles", p))
        elif s["financement"] == "Autre":
            # Neither PSU nor PAJE: outside the Cnaf-comparable rate, shown apart (domain §3).
            hors_taux_autre += p
            autres.append(f"{nom} ({fr_number(p)} places)")
            lines_outside.append((f"{nom} ({kind}, financement Autre) : hors du taux "
                                  "comparable à la Cnaf, non compté", p))
        elif s["financement"] == "PAJE":
            eaje_hors += p
            lines_eaje.append((f"{nom} ({kind}, PAJE) : EAJE hors PSU", p))
        else:
            if kind == "Micro-crèche" and not _text(s["financement"]):
                alertes.append(f"Financement non renseigné pour « {nom} » : micro-crèche comptée "
                               "en PSU.")
            eaje_psu += p
            lines_eaje.append((f"{nom} ({kind}) : EAJE PSU", p))
    places["eaje_psu"], places["eaje_hors_psu"] = eaje_psu, eaje_hors
    if autres:
        alertes.append(f"{AUTRE_ALERT} (ni PSU ni PAJE) en {annee}, non comptés "
                       "dans le taux comparable à la Cnaf et montrés à part : "
                       + ", ".join(autres) + ".")
    if structures.empty or not lines_eaje:
        alertes.append(f"Aucun EAJE ouvert au 31 décembre {annee} dans la feuille Équipements : "
                       "places d'accueil collectif comptées à 0.")

    # --- Assistantes maternelles ----------------------------------------------------------
    am_row = _row_of_year(data.table("assistantes_maternelles"), annee)
    am_note = None
    if am_row is None:
        complet = False
        alertes.append(f"Assistantes maternelles : pas de ligne pour {annee}, composante absente "
                       "du taux.")
    elif _num(am_row["places_moins_3_ans"]) is not None:
        places["am"] = _num(am_row["places_moins_3_ans"])
        am_note = "places pour moins de 3 ans"
    elif _num(am_row["places_agreees"]) is not None:
        places["am"] = _num(am_row["places_agreees"])
        am_note = "approximation : toutes les places agréées"
        alertes.append(f"Assistantes maternelles {annee} : « Places pour moins de 3 ans » non "
                       "renseigné, toutes les places agréées sont comptées (approximation qui "
                       "surestime la composante).")
    else:
        complet = False
        alertes.append(f"Assistantes maternelles {annee} : aucune place renseignée, composante "
                       "absente du taux.")

    # --- Garde à domicile, préscolarisation, RPE, waiting list ----------------------------
    acc = _row_of_year(data.table("accueil_petite_enfance"), annee)
    demandes = None
    if acc is None:
        complet = False
        alertes.append(f"Accueil petite enfance : pas de ligne pour {annee}, garde à domicile et "
                       "préscolarisation absentes du taux.")
    else:
        for key, column, label in (("gad", "enfants_gardes_domicile", "garde à domicile"),
                                   ("prescolarisation", "enfants_scolarises_2_ans",
                                    "préscolarisation")):
            places[key] = _num(acc[column])
            if places[key] is None:
                complet = False
                alertes.append(f"Accueil petite enfance {annee} : {label} non renseignée, "
                               "composante absente du taux.")
        demandes = _num(acc["demandes_en_attente"])

    am_par_etp = None
    if acc is not None and am_row is not None:
        etp = _num(acc["etp_animateur_rpe"])
        actives = _num(am_row["am_en_activite"])
        if etp:
            if actives is not None:
                am_par_etp = actives / etp
            elif _num(am_row["am_agreees"]) is not None:
                am_par_etp = _num(am_row["am_agreees"]) / etp
                alertes.append(f"AM par ETP d'animateur RPE {annee} : calculé sur les AM agréées "
                               "(AM en activité non renseignées).")

    for label, value in lines_eaje:
        detail.append((label, value))
    for label, value in lines_mam:
        detail.append((label, value))
    if am_note:
        detail.append((f"Assistantes maternelles ({am_note})", places["am"]))
    for label, value in lines_outside:
        detail.append((label, value))
    places["hors_territoire"] = hors_territoire
    places["hors_taux_autre"] = hors_taux_autre
    return dict(annee=annee, annee_pop=annee_pop, enfants=enfants, places=places,
                am_par_etp=am_par_etp, demandes=demandes, alertes=alertes, complet=complet,
                detail=detail)


def _finish(*, annee, annee_pop, enfants, places, cible, am_par_etp, demandes, alertes, complet,
            detail) -> Coverage:
    """Totals, rates, places missing and the closing detail lines from the components."""
    present = [places[k] for k in COMPONENTS if places[k] is not None]
    places = dict(places)
    places["total"] = sum(present) if present else None
    per_100 = {k: (100 * places[k] / enfants if places[k] is not None and enfants else None)
               for k in COMPONENTS}
    taux = rates_from_components(per_100["eaje_psu"], per_100["eaje_hors_psu"],
                                 per_100["prescolarisation"], per_100["am"], per_100["gad"])
    if not enfants:
        taux = {k: None for k in taux}
    demandes_pour_100 = 100 * demandes / enfants if demandes is not None and enfants else None
    manquantes = None
    if cible is not None and enfants and places["total"] is not None:
        manquantes = places_missing(cible, enfants, places["total"])

    lines = [(f"Enfants de moins de 3 ans ({annee_pop})" if annee_pop else
              "Enfants de moins de 3 ans", enfants)] + list(detail)
    for k in COMPONENTS:
        lines.append((COMPONENT_LABELS[k], places[k]))
    lines.append(("Total des places comptées dans le taux", places["total"]))
    if taux["global"] is not None:
        lines.append((f"Taux de couverture global = 100 × {fr_number(places['total'])} / "
                      f"{fr_number(enfants)}", taux["global"]))
        lines.append(("Taux EAJE (PSU + hors PSU)", taux["eaje"]))
        lines.append(("Taux individuel (AM + garde à domicile)", taux["individuel"]))
        lines.append(("Taux de préscolarisation", taux["prescolarisation"]))
    lines.append(("Offre mobilisable hors territoire (non comptée)", places["hors_territoire"]))
    if places.get("hors_taux_autre"):
        lines.append(("EAJE au financement « Autre », hors du taux (non comptés)",
                      places["hors_taux_autre"]))
    if manquantes is not None:
        lines.append((f"Places manquantes pour atteindre {fr_number(float(cible), 1)} places "
                      "pour 100 enfants", manquantes))
    return Coverage(annee=annee, annee_population=annee_pop, enfants_moins_3_ans=enfants,
                    places=places, taux=taux, cible=None if cible is None else float(cible),
                    places_manquantes=manquantes, am_par_etp_rpe=am_par_etp,
                    demandes_pour_100=demandes_pour_100, alertes=alertes, complet=complet,
                    detail=lines)


def coverage_series(data: CtgData, cible=None) -> pd.DataFrame:
    """One row per year of the data: the flattened Coverage (places_*, taux_*, alertes joined
    by « ; »)."""
    rows = []
    for year in data.years():
        c = coverage(data, year, cible)
        row = {"annee": c.annee, "annee_population": c.annee_population,
               "enfants_moins_3_ans": c.enfants_moins_3_ans}
        row.update({f"places_{k}": v for k, v in c.places.items()})
        row.update({f"taux_{k}": v for k, v in c.taux.items()})
        row.update(cible=c.cible, places_manquantes=c.places_manquantes,
                   am_par_etp_rpe=c.am_par_etp_rpe, demandes_pour_100=c.demandes_pour_100,
                   complet=c.complet, alertes=" ; ".join(c.alertes))
        rows.append(row)
    frame = pd.DataFrame(rows)
    for col in frame.columns:
        if col.startswith(("places_", "taux_")) or col in ("enfants_moins_3_ans", "cible",
                                                           "am_par_etp_rpe",
                                                           "demandes_pour_100"):
            frame[col] = pd.to_numeric(frame[col], errors="coerce").astype("float64")
    return frame


# ---------------------------------------------------------------------------------------------
# Like-for-like evolution of a rate
# ---------------------------------------------------------------------------------------------

# The components of each rate, in the order the global rate adds them (rates_from_components).
RATE_COMPONENTS = {
    "global": ("eaje_psu", "eaje_hors_psu", "prescolarisation", "am", "gad"),
    "eaje": ("eaje_psu", "eaje_hors_psu"),
    "individuel": ("am", "gad"),
    "prescolarisation": ("prescolarisation",),
}
# Short French names of the components in an evolution's explanation (both EAJE parts are
# « EAJE »: they are always counted, 0 when there is none).
_SHORT_NAMES = {"eaje_psu": "EAJE", "eaje_hors_psu": "EAJE", "am": "assistantes maternelles",
                "gad": "garde à domicile", "prescolarisation": "préscolarisation"}
_FEMININE_ARTICLE = {"garde à domicile": "la ", "préscolarisation": "la ",
                     "assistantes maternelles": "les ", "EAJE": "les "}
# The sheets whose rows hold the inputs of a year's coverage (the years an evolution compares).
COVERAGE_SHEETS = ("population", "equipements", "assistantes_maternelles",
                   "accueil_petite_enfance")


def _names(keys) -> str:
    """« EAJE, assistantes maternelles et garde à domicile » (each name once)."""
    names = list(dict.fromkeys(_SHORT_NAMES[k] for k in keys))
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " et " + names[-1]


def _with_articles(keys) -> str:
    names = list(dict.fromkeys(_SHORT_NAMES[k] for k in keys))
    parts = [_FEMININE_ARTICLE.get(n, "") + n for n in names]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " et " + parts[-1]


@dataclass(frozen=True)
class Change:
    """The change of one coverage rate between an earlier year and this one, like for like.

    `value` (points) compares the same components in both years: those present in both
    (`components`); None when no comparison is honest (`reason` says why). `partial` is True
    when the rate shown this year counts components left out of the comparison; `before`
    and `now` are the two rates on the compared components."""

    value: float | None
    annee_precedente: int | None
    components: tuple[str, ...] = ()
    comparable: bool = False
    partial: bool = False
    before: float | None = None
    now: float | None = None
    reason: str | None = None

    @property
    def qualifier(self) -> str:
        """« à composantes égales (EAJE et assistantes maternelles) » when partial, else «»."""
        return f"à composantes égales ({_names(self.components)})" if self.partial else ""


def _rate_on(cov: Coverage, keys) -> float | None:
    """100 × the places of `keys` / children, added in the global rate's order (so that on
    all the components it is the very float of `cov.taux`)."""
    parts = [100 * cov.places[k] / cov.enfants_moins_3_ans for k in keys]
    return sum(parts) if parts else None


def coverage_change(now: Coverage, before: Coverage | None, key: str = "global") -> Change:
    """The like-for-like change of rate `key` (global, eaje, individuel, prescolarisation)
    from `before` to `now`: on the components counted in both years only, never a rate that
    counts a component against one that lacks it. The reason (French) says which components
    were left out, or why no change is given."""
    if before is None:
        return Change(None, None, reason="aucune année antérieure renseignée")
    y0, y1 = before.annee, now.annee
    if now.taux.get(key) is None:
        return Change(None, y0, reason=f"taux de {y1} non calculable")
    if not before.enfants_moins_3_ans:
        return Change(None, y0, reason=f"taux de {y0} non calculable")
    keys = RATE_COMPONENTS[key]
    present_now = [k for k in keys if now.places.get(k) is not None]
    present_before = [k for k in keys if before.places.get(k) is not None]
    common = tuple(k for k in present_now if k in present_before)
    lacking = [k for k in present_now if k not in present_before]   # missing earlier
    dropped = [k for k in present_before if k not in present_now]   # missing this year
    missing_text = []
    for keys, there, absent, where, gone in ((lacking, "compté", "renseigné", y1, y0),
                                             (dropped, "renseigné", "compté", y0, y1)):
        if keys:
            # The optional components are feminine (garde, préscolarisation, assistantes).
            many = len({_SHORT_NAMES[k] for k in keys}) > 1
            end, verb = ("es", "ne sont") if many else ("e", "n'est")
            missing_text.append(f"{_with_articles(keys)}, {there}{end} en {where}, {verb} "
                                f"pas {absent}{end} en {gone}")
    missing = " ; ".join(missing_text)
    if not common:
        return Change(None, y0, reason=f"pas de comparaison possible : {missing}")
    partial = bool(lacking or dropped)
    rate_now = now.taux[key] if not lacking and not dropped else _rate_on(now, common)
    rate_before = before.taux[key] if not lacking and not dropped else _rate_on(before, common)
    if not partial:
        return Change(rate_now - rate_before, y0, common, True, False, rate_before, rate_now)
    reason = (f"évolution calculée à composantes égales ({_names(common)} : "
              f"{fr_number(rate_before, 1)} en {y0}, {fr_number(rate_now, 1)} en {y1}) car "
              f"{missing}")
    return Change(rate_now - rate_before, y0, common, True, True, rate_before, rate_now, reason)


def previous_year(data: CtgData, annee: int) -> int | None:
    """The latest year before `annee` for which a coverage sheet (Population, Équipements
    with an `Année`, Assistantes maternelles, Accueil petite enfance) has a row: the year
    an evolution compares with (the same rule as the cross-territory table)."""
    years = set()
    for key in COVERAGE_SHEETS:
        years.update(int(y) for y in data.table(key)["annee"].dropna() if int(y) < int(annee))
    return max(years) if years else None


def previous_coverage(data: CtgData, annee: int, cible=None) -> Coverage | None:
    """The coverage of `previous_year(data, annee)`, or None when there is none."""
    year = previous_year(data, annee)
    return None if year is None else coverage(data, year, cible)


def change_sentence(change: Change, unit: str = "point") -> str:
    """The change in one French phrase for a text: « −0,2 point depuis 2022, évolution
    calculée à composantes égales (…) car … », « stable depuis 2022 », or why there is none."""
    if change.value is None:
        return (f"évolution depuis {change.annee_precedente} non calculée : {change.reason}"
                if change.annee_precedente else "pas d'année antérieure pour comparer")
    rounded = round(change.value, 1)
    if rounded == 0:
        text = f"stable depuis {change.annee_precedente}"
    else:
        text = f"{fr_signed(change.value, 1, unit)} depuis {change.annee_precedente}"
    if change.partial:
        text += f", {change.reason}"
    return text


def scenario(data: CtgData, annee: int, *, delta_places: dict[str, int],
             enfants_moins_3_ans=None, cible=None) -> Coverage:
    """The coverage of `annee` if `delta_places` places were added per component (keys of
    COMPONENTS; negative = closures, never below 0) and, optionally, with another number of
    children under 3. The alerts say what the scenario changed; `limites` says which removal
    was capped at the places there are, and why."""
    unknown = set(delta_places) - set(COMPONENTS)
    if unknown:
        raise ValueError(f"Composante inconnue : {', '.join(sorted(unknown))}")
    inputs = _collect(data, annee)
    places = dict(inputs["places"])
    alertes, detail = list(inputs["alertes"]), list(inputs["detail"])
    limites = []
    for key, delta in delta_places.items():
        if not delta:
            continue
        current = places[key] or 0.0
        text = f"Scénario : {fr_signed(delta, 0, unit=None)} ({COMPONENT_LABELS[key]})"
        if current + delta < 0:
            # A component cannot go below zero: the removal stops at the places there are,
            # and the page says so rather than silently computing another scenario.
            there = (f"seules {fr_number(current)} places sont comptées" if current > 1 else
                     f"{fr_number(current)} place est comptée" if current else
                     "aucune place n'est comptée")
            limites.append(
                f"{COMPONENT_LABELS[key]} : retrait de {fr_number(-delta)} places demandé, "
                f"mais {there} en {annee} : retrait limité à "
                f"{fr_number(current)} place{'s' if current > 1 else ''} (une composante ne "
                "peut pas devenir négative).")
            delta = -current
            text += f", limité à {fr_signed(delta, 0, unit=None)}"
        places[key] = current + delta
        alertes.append(text + ".")
        detail.append((text, float(delta)))
    alertes.extend(limites)
    if enfants_moins_3_ans is not None:
        inputs["enfants"] = float(enfants_moins_3_ans)
        alertes.append(f"Scénario : {fr_number(inputs['enfants'])} enfants de moins de 3 ans.")
    inputs.update(places=places, alertes=alertes, detail=detail)
    result = _finish(**inputs, cible=cible)
    result.limites = limites
    return result


# ---------------------------------------------------------------------------------------------
# Enfance-jeunesse
# ---------------------------------------------------------------------------------------------

AGE_BANDS = (("enfants_3_5", 3, 5), ("enfants_6_10", 6, 10), ("jeunes_11_17", 11, 17))


def band_weights(age_min, age_max) -> tuple[dict[str, float], list[str]]:
    """The share of each INSEE band (3-5, 6-10, 11-17) an age range covers, with notes.

    Ages are whole years, inclusive: 3-14 covers 3-5 and 6-10 fully and 4 of the 7 years of
    11-17 (weight 4/7: children assumed evenly spread over the band's years)."""
    notes = []
    lo, hi = _num(age_min), _num(age_max)
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
    population = {column: _population_value(data, column, annee) for column, _, _ in AGE_BANDS}
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
        accueillis = _num(part["enfants_accueillis"].sum(min_count=1))
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
            jours_ouverture=_num(part["jours_ouverture"].max()), enfants_accueillis=accueillis,
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


# ---------------------------------------------------------------------------------------------
# Portrait
# ---------------------------------------------------------------------------------------------

# (code, numerator column, denominator column, factor); a None denominator = the value itself.
_PORTRAIT = (
    ("population", "population", None, 1), ("naissances", "naissances", None, 1),
    ("taux_natalite", "naissances", "population", 1000),
    ("enfants_0_2", "enfants_0_2", None, 1), ("enfants_3_5", "enfants_3_5", None, 1),
    ("enfants_6_10", "enfants_6_10", None, 1), ("jeunes_11_17", "jeunes_11_17", None, 1),
    ("part_0_2", "enfants_0_2", "population", 100), ("part_3_5", "enfants_3_5", "population", 100),
    ("part_6_10", "enfants_6_10", "population", 100),
    ("part_11_17", "jeunes_11_17", "population", 100),
    ("menages", "menages", None, 1), ("familles_avec_enfants", "familles_avec_enfants", None, 1),
    ("familles_monoparentales", "familles_monoparentales", None, 1),
    ("familles_nombreuses", "familles_nombreuses", None, 1),
    ("part_familles_monoparentales", "familles_monoparentales", "familles_avec_enfants", 100),
    ("part_familles_nombreuses", "familles_nombreuses", "familles_avec_enfants", 100),
    ("taux_activite_femmes", "taux_activite_femmes", None, 1),
    ("taux_chomage", "taux_chomage", None, 1),
    ("revenu_median", "revenu_median", None, 1), ("taux_pauvrete", "taux_pauvrete", None, 1),
    ("allocataires", "allocataires", None, 1),
    ("part_allocataires", "allocataires", "menages", 100),
)


def portrait(data: CtgData) -> pd.DataFrame:
    """Every portrait indicator the Population sheet allows, long format: indicateur, libelle,
    annee, valeur, unite (only computable values)."""
    from ctg_data.definitions import get

    rows = []
    table = data.table("population").sort_values("annee")
    records = [r for r in table.to_dict("records") if not pd.isna(r["annee"])]
    for code, num, den, factor in _PORTRAIT:
        definition = get(code)
        for r in records:
            value = _num(r[num])
            if value is None:
                continue
            if den is not None:
                base = _num(r[den])
                if not base:
                    continue
                value = factor * value / base
            rows.append(dict(indicateur=code, libelle=definition.libelle, annee=int(r["annee"]),
                             valeur=value, unite=definition.unite))
    frame = pd.DataFrame(rows, columns=["indicateur", "libelle", "annee", "valeur", "unite"])
    frame["annee"] = frame["annee"].astype("int64")
    frame["valeur"] = frame["valeur"].astype("float64")
    return frame


# ---------------------------------------------------------------------------------------------
# Plan d'action
# ---------------------------------------------------------------------------------------------

def achievement(latest, reference, target, sens=None) -> float | None:
    """Achievement in % of one indicator: (latest − reference) / (target − reference) × 100.

    Without a reference: latest / target (target / latest for a « Baisse » indicator), like
    the reference case above 100 % when the target is passed. When the target equals the
    reference (keep a level), 100 when the latest value is on the good side of it. None when
    latest or target is missing."""
    latest, reference, target = _num(latest), _num(reference), _num(target)
    baisse = (sens or "Hausse") == "Baisse"
    if latest is None or target is None:
        return None
    if reference is not None and target != reference:
        return 100 * (latest - reference) / (target - reference)
    # A ratio cannot tell how far a kept level is passed: being on the good side is 100 %.
    if reference is not None and (latest <= target if baisse else latest >= target):
        return 100.0
    if baisse:
        return 100 * target / latest if latest else 100.0
    return 100 * latest / target if target else 100.0


def expected_share(annee_valeur, reference, annee_reference, target, annee_cible
                   ) -> float | None:
    """The achievement (%) the straight path from the reference (its year) to the target
    (the target year) expects in `annee_valeur`: 100 × (year − reference year) / (target year
    − reference year), between 0 and 100. None when the path is not defined (a year or the
    reference missing, the target equal to the reference, the target year not after the
    reference year): the band then compares with the whole target, as at the target year."""
    values = (_num(annee_valeur), _num(reference), _num(annee_reference), _num(target),
              _num(annee_cible))
    if any(v is None for v in values):
        return None
    year, ref, ref_year, target, target_year = values
    if target == ref or target_year <= ref_year:
        return None
    return 100 * min(1.0, max(0.0, (year - ref_year) / (target_year - ref_year)))


def band(pct: float | None, marge: float, attendu: float | None = None) -> str:
    """atteint ≥ 100 %, en bonne voie ≥ marge % of the achievement expected (`attendu`, on
    the straight path to the target: `expected_share`; 100 without a path, i.e. marge % of
    the target), en retard below, non renseigné without value."""
    if pct is None:
        return "non renseigné"
    if pct >= 100 - 1e-9:
        return "atteint"
    threshold = marge * (100.0 if attendu is None else attendu) / 100
    return "en bonne voie" if pct >= threshold - 1e-9 else "en retard"


def band_explanation(marge=None) -> str:
    """The band rule in one French sentence (evaluation page, bilan)."""
    marge = float(settings.get("marge_en_bonne_voie") if marge is None else marge)
    return ("Avant l'année cible, un indicateur est « en bonne voie » quand il a parcouru au "
            f"moins {fr_number(marge, 0)} % du chemin attendu à cette date sur la trajectoire "
            "en ligne droite de la valeur de référence (son année) à la cible (l'année cible), "
            "« en retard » sinon ; il est « atteint » quand la cible l'est.")


# Indicators without any number are followed through their Statut alone. An abandoned action
# did not deliver its result: it is shown as « en retard » so that the comité sees it.
STATUT_BANDS = {"Réalisée": "atteint", "Abandonnée": "en retard"}

PLAN_STATUS_COLUMNS = [
    "row", "axe", "numero_action", "action", "indicateur", "unite", "sens", "valeur_reference",
    "annee_reference", "cible", "annee_cible", "derniere_valeur", "annee_derniere_valeur",
    "atteinte_pct", "niveau", "statut", "resultats_attendus", "resultats_obtenus", "analyse",
    "referent", "suivi", "attendu_pct", "valeur_attendue"]


def plan_status(data: CtgData, annee=None, marge=None) -> pd.DataFrame:
    """One row per plan indicator: latest value (up to `annee` when given), achievement and
    band. `suivi` says how the band was obtained: « valeur » or « statut ». Before the target
    year the band compares the value with the straight path from the reference to the
    target: `attendu_pct` is the achievement that path expects in the value's year and
    `valeur_attendue` the value on the path (None without a path: see `expected_share`)."""
    marge = float(settings.get("marge_en_bonne_voie") if marge is None else marge)
    plan = data.table("plan_action")
    all_years = plan_years(plan)
    years = [y for y in all_years if annee is None or y <= int(annee)]
    out = []
    for index, r in plan.reset_index(drop=True).iterrows():
        latest = latest_year = None
        for y in reversed(years):
            value = _num(r[str(y)])
            if value is not None:
                latest, latest_year = value, y
                break
        has_numbers = latest is not None or _num(r["cible"]) is not None or \
            _num(r["valeur_reference"]) is not None or \
            any(_num(r[str(y)]) is not None for y in all_years)
        sens = r["sens"] if _text(r["sens"]) else "Hausse"
        attendu = valeur_attendue = None
        if has_numbers:
            pct = achievement(latest, r["valeur_reference"], r["cible"], sens)
            if pct is not None:
                attendu = expected_share(latest_year, r["valeur_reference"],
                                         r["annee_reference"], r["cible"], r["annee_cible"])
            if attendu is not None:
                ref = _num(r["valeur_reference"])
                valeur_attendue = ref + (_num(r["cible"]) - ref) * attendu / 100
            niveau, suivi = band(pct, marge, attendu), "valeur"
        else:
            pct = None
            niveau, suivi = STATUT_BANDS.get(r["statut"], "non renseigné"), "statut"
        out.append(dict(
            row=index, axe=r["axe"], numero_action=r["numero_action"], action=r["action"],
            indicateur=r["indicateur"], unite=r["unite"], sens=sens,
            valeur_reference=_num(r["valeur_reference"]), annee_reference=r["annee_reference"],
            cible=_num(r["cible"]), annee_cible=r["annee_cible"], derniere_valeur=latest,
            annee_derniere_valeur=latest_year, atteinte_pct=pct, niveau=niveau,
            statut=r["statut"], resultats_attendus=r["resultats_attendus"],
            resultats_obtenus=r["resultats_obtenus"], analyse=r["analyse"],
            referent=r["referent"], suivi=suivi, attendu_pct=attendu,
            valeur_attendue=valeur_attendue))
    frame = pd.DataFrame(out, columns=PLAN_STATUS_COLUMNS)
    for col in ("valeur_reference", "cible", "derniere_valeur", "atteinte_pct", "attendu_pct",
                "valeur_attendue"):
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype("float64")
    for col in ("annee_reference", "annee_cible", "annee_derniere_valeur"):
        frame[col] = pd.array(frame[col], dtype="Int64")
    frame["row"] = frame["row"].astype("int64")
    return frame


def axis_summary(status: pd.DataFrame) -> pd.DataFrame:
    """Per axis (in plan order): indicators, count per band (columns named after NIVEAUX),
    actions, actions réalisées and their share in %.

    An action is réalisée when every one of its indicator rows that has a Statut says
    « Réalisée » (and at least one does)."""
    rows = []
    for axe in dict.fromkeys(status["axe"]):
        part = status[status["axe"] == axe]
        row = {"axe": axe, "indicateurs": len(part)}
        for niveau in NIVEAUX:
            row[niveau] = int((part["niveau"] == niveau).sum())
        keys = part["numero_action"].where(part["numero_action"].notna(), part["action"])
        actions = done = 0
        for _, action_rows in part.groupby(keys.map(_text), sort=False):
            actions += 1
            statuts = [s for s in action_rows["statut"] if _text(s)]
            if statuts and all(s == "Réalisée" for s in statuts):
                done += 1
        row.update(actions=actions, actions_realisees=done,
                   part_actions_realisees=100 * done / actions if actions else None)
        rows.append(row)
    columns = ["axe", "indicateurs", *NIVEAUX, "actions", "actions_realisees",
               "part_actions_realisees"]
    frame = pd.DataFrame(rows, columns=columns)
    frame["part_actions_realisees"] = frame["part_actions_realisees"].astype("float64")
    return frame


# ---------------------------------------------------------------------------------------------
# JSON (CLI `indicators`)
# ---------------------------------------------------------------------------------------------

def _json_value(value):
    """A JSON-safe scalar: None for NaN/NA, int/float/str otherwise."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):  # numpy scalars
        value = value.item()
        if isinstance(value, float) and math.isnan(value):
            return None
    return value


def indicators_json(data: CtgData, annee: int, cible=None) -> dict:
    """The content of `python -m ctg_data indicators --format json`: unrounded numbers, None
    for what cannot be computed."""
    c = coverage(data, annee, cible)
    status = plan_status(data, annee)
    plan = [{"axe": _json_value(r["axe"]), "action": _json_value(r["action"]),
             "indicateur": _json_value(r["indicateur"]),
             "derniere_valeur": _json_value(r["derniere_valeur"]),
             "atteinte_pct": _json_value(r["atteinte_pct"]), "niveau": r["niveau"]}
            for _, r in status.iterrows()]
    return {
        "territoire": {"code": data.code, "nom": data.nom},
        "annee": int(annee),
        "enfants_moins_3_ans": _json_value(c.enfants_moins_3_ans),
        "places": {k: _json_value(c.places.get(k)) for k in
                   ("eaje_psu", "eaje_hors_psu", "am", "gad", "prescolarisation", "total",
                    "hors_territoire", "hors_taux_autre")},
        "taux_couverture": {k: _json_value(c.taux.get(k)) for k in
                            ("global", "eaje", "individuel", "prescolarisation")},
        "places_manquantes": c.places_manquantes,
        "alertes": list(c.alertes),
        "plan": plan,
    }
