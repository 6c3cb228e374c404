"""The coverage rate of one year: children under 3, places per component, rates, places
missing, typed alerts and the computation line by line; and its series over the years.

Counting rules (docs: workbook-format.md « Derived figures », domain.md §3-4):
- a structure counts for year Y when it is open on 31 December Y: `Ouverture` (date or bare
  year) on or before that day, `Fermeture` not on or before it (a bare closing year Y stops the
  counting from Y on); when rows carry an `Année`, year Y uses the row of Y, else the latest
  earlier row of that structure, else its row without `Année` (ctg_data.indicators.structures);
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
incomplete rate is flagged, never silently presented as complete. Every alert is a typed
`errors.Problem` of the catalogue (codes `couverture_…`); `Coverage.alertes` are their French
messages.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from ctg_data import errors
from ctg_data.formatting import fr_number
from ctg_data.formatting import as_number
from ctg_data.indicators.cells import text as _text
from ctg_data.indicators.structures import in_territory, structures_of_year
from ctg_data.model import CtgData
from ctg_data.schemas import EAJE_TYPES

COMPONENTS = ("eaje_psu", "eaje_hors_psu", "am", "gad", "prescolarisation")
# The start of the alert naming the EAJE financed by « Autre » (pages show it on its own);
# the catalogue template of `couverture_financement_autre` starts with it.
AUTRE_ALERT = "EAJE au financement « Autre »"
COMPONENT_LABELS = {
    "eaje_psu": "Places EAJE PSU",
    "eaje_hors_psu": "Places EAJE hors PSU (micro-crèches PAJE)",
    "am": "Places d'assistantes maternelles pour les moins de 3 ans",
    "gad": "Garde à domicile",
    "prescolarisation": "Préscolarisation (enfants scolarisés à 2 ans)",
}

Detail = list[tuple[str, float | None]]


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
    # The alerts, typed: catalogue code (couverture_…, scenario_…) and French message.
    problems: list[errors.Problem] = field(default_factory=list)
    complet: bool = True
    detail: Detail = field(default_factory=list)
    # Scenarios only: each removal capped at the places there are, in French.
    limites: list[str] = field(default_factory=list)

    @property
    def alertes(self) -> list[str]:
        """The alerts as the French sentences pages, bilan, CLI and territories display."""
        return [p.message for p in self.problems]


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


def population_value(data: CtgData, column: str, annee: int
                     ) -> tuple[float | None, int | None]:
    """`column` of the Population row of `annee`, else of the latest earlier year holding it
    (with that year)."""
    table = data.table("population")
    rows = table[table["annee"].notna() & (table["annee"] <= annee) & table[column].notna()]
    if rows.empty:
        return None, None
    row = rows.loc[rows["annee"].astype(int).idxmax()]
    return float(row[column]), int(row["annee"])


def coverage(data: CtgData, annee: int, cible=None) -> Coverage:
    """The coverage rate of `annee` with its components, alerts and line-by-line detail."""
    return _finish(**_collect(data, annee), cible=cible)


# ---------------------------------------------------------------------------------------------
# Collecting the inputs: each step appends its alerts to `problems` (in the order people read
# them: children, structures, assistantes maternelles, home care and school, RPE) and says
# whether its component is complete.
# ---------------------------------------------------------------------------------------------

def _alert(problems: list[errors.Problem], code: str, **params) -> None:
    problems.append(errors.problem(code, **params))


def _collect(data: CtgData, annee: int) -> dict:
    """The inputs of the coverage rate of `annee`: children, places per component, ratios,
    alerts, completeness and the per-structure detail lines."""
    problems: list[errors.Problem] = []
    enfants, annee_pop, children_ok = _children(data, annee, problems)
    offer = _structures_offer(data, annee, problems)
    am_row, am_places, am_note, am_ok = _assistantes_maternelles(data, annee, problems)
    acc, home_school, demandes, acc_ok = _home_care_and_school(data, annee, problems)
    am_par_etp = _am_per_rpe_fte(acc, am_row, annee, problems)

    places = {k: None for k in COMPONENTS}
    places.update(eaje_psu=offer["eaje_psu"], eaje_hors_psu=offer["eaje_hors_psu"],
                  am=am_places, **home_school)
    detail = offer["lines_eaje"] + offer["lines_mam"]
    if am_note:
        detail.append((f"Assistantes maternelles ({am_note})", places["am"]))
    detail += offer["lines_outside"]
    places["hors_territoire"] = offer["hors_territoire"]
    places["hors_taux_autre"] = offer["hors_taux_autre"]
    complet = children_ok and offer["complet"] and am_ok and acc_ok
    return dict(annee=annee, annee_pop=annee_pop, enfants=enfants, places=places,
                am_par_etp=am_par_etp, demandes=demandes, problems=problems, complet=complet,
                detail=detail)


def _children(data: CtgData, annee: int, problems) -> tuple[float | None, int | None, bool]:
    """Children under 3 of `annee` (else of the latest earlier year), its year, complete."""
    complet = True
    enfants, annee_pop = population_value(data, "enfants_0_2", annee)
    if enfants is None:
        complet = False
        _alert(problems, "couverture_population_absente", annee=annee)
    elif annee_pop != annee:
        _alert(problems, "couverture_population_anterieure", annee=annee,
               annee_population=annee_pop)
    if enfants == 0:
        complet = False  # no rate at all: never presented as a complete result
        _alert(problems, "couverture_aucun_enfant")
    return enfants, annee_pop, complet


def _structures_offer(data: CtgData, annee: int, problems) -> dict:
    """EAJE places (PSU, hors PSU), the offer outside the territory and outside the rate,
    and the detail lines of each structure, from Équipements."""
    structures = structures_of_year(data, annee)
    out = dict(eaje_psu=0.0, eaje_hors_psu=0.0, hors_territoire=0.0, hors_taux_autre=0.0,
               lines_eaje=[], lines_outside=[], lines_mam=[], complet=True)
    autres: list[str] = []
    for _, s in structures.iterrows():
        kind, nom, p = s["type"], _text(s["nom"]), as_number(s["places"])
        inside = in_territory(s["commune"], data)
        if kind not in EAJE_TYPES + ("MAM", "Berceaux réservés"):
            continue
        if p is None:
            out["complet"] = False
            _alert(problems, "couverture_places_non_renseignees", nom=nom, type=kind,
                   annee=annee)
            continue
        if kind == "Berceaux réservés" or (not inside and kind in EAJE_TYPES):
            out["hors_territoire"] += p
            where = f", {_text(s['commune'])}" if _text(s["commune"]) else ""
            out["lines_outside"].append((f"{nom} ({kind}{where}) : hors territoire, non compté",
                                         p))
        elif kind == "MAM":
            out["lines_mam"].append((f"{nom} (MAM) : déjà comptée avec les assistantes "
                                     "maternelles", p))
        elif s["financement"] == "Autre":
            # Neither PSU nor PAJE: outside the Cnaf-comparable rate, shown apart (domain §3).
            out["hors_taux_autre"] += p
            autres.append(f"{nom} ({fr_number(p)} places)")
            out["lines_outside"].append((f"{nom} ({kind}, financement Autre) : hors du taux "
                                         "comparable à la Cnaf, non compté", p))
        elif s["financement"] == "PAJE":
            out["eaje_hors_psu"] += p
            out["lines_eaje"].append((f"{nom} ({kind}, PAJE) : EAJE hors PSU", p))
        else:
            if kind == "Micro-crèche" and not _text(s["financement"]):
                _alert(problems, "couverture_financement_non_renseigne", nom=nom)
            out["eaje_psu"] += p
            out["lines_eaje"].append((f"{nom} ({kind}) : EAJE PSU", p))
    if autres:
        _alert(problems, "couverture_financement_autre", annee=annee,
               structures=", ".join(autres))
    if structures.empty or not out["lines_eaje"]:
        _alert(problems, "couverture_aucun_eaje", annee=annee)
    return out


def _assistantes_maternelles(data: CtgData, annee: int, problems):
    """The AM row of `annee`, its places for the under-3s (else all licensed places, an
    approximation), how they were counted, and whether the component is there."""
    am_row = _row_of_year(data.table("assistantes_maternelles"), annee)
    if am_row is None:
        _alert(problems, "couverture_am_absentes", annee=annee)
        return None, None, None, False
    if as_number(am_row["places_moins_3_ans"]) is not None:
        return am_row, as_number(am_row["places_moins_3_ans"]), "places pour moins de 3 ans", True
    if as_number(am_row["places_agreees"]) is not None:
        _alert(problems, "couverture_am_places_agreees", annee=annee)
        return (am_row, as_number(am_row["places_agreees"]),
                "approximation : toutes les places agréées", True)
    _alert(problems, "couverture_am_sans_places", annee=annee)
    return am_row, None, None, False


def _home_care_and_school(data: CtgData, annee: int, problems):
    """The Accueil petite enfance row of `annee`, its garde à domicile and préscolarisation
    places, the waiting requests, and whether both components are there."""
    acc = _row_of_year(data.table("accueil_petite_enfance"), annee)
    if acc is None:
        _alert(problems, "couverture_accueil_absent", annee=annee)
        return None, {}, None, False
    places, complet = {}, True
    for key, column, code in (("gad", "enfants_gardes_domicile", "couverture_gad_absente"),
                              ("prescolarisation", "enfants_scolarises_2_ans",
                               "couverture_prescolarisation_absente")):
        places[key] = as_number(acc[column])
        if places[key] is None:
            complet = False
            _alert(problems, code, annee=annee)
    return acc, places, as_number(acc["demandes_en_attente"]), complet


def _am_per_rpe_fte(acc, am_row, annee: int, problems) -> float | None:
    """AM in activity (else licensed, alert) per FTE of RPE animation; None without FTE."""
    if acc is None or am_row is None:
        return None
    etp = as_number(acc["etp_animateur_rpe"])
    actives = as_number(am_row["am_en_activite"])
    if not etp:
        return None
    if actives is not None:
        return actives / etp
    if as_number(am_row["am_agreees"]) is not None:
        _alert(problems, "couverture_rpe_am_agreees", annee=annee)
        return as_number(am_row["am_agreees"]) / etp
    return None


# ---------------------------------------------------------------------------------------------
# Totals, rates and the detail lines
# ---------------------------------------------------------------------------------------------

def _finish(*, annee, annee_pop, enfants, places, cible, am_par_etp, demandes, problems,
            complet, detail) -> Coverage:
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
    lines = _detail_lines(annee_pop, enfants, detail, places, taux, cible, manquantes)
    return Coverage(annee=annee, annee_population=annee_pop, enfants_moins_3_ans=enfants,
                    places=places, taux=taux, cible=None if cible is None else float(cible),
                    places_manquantes=manquantes, am_par_etp_rpe=am_par_etp,
                    demandes_pour_100=demandes_pour_100, problems=problems, complet=complet,
                    detail=lines)


def _detail_lines(annee_pop, enfants, detail, places, taux, cible, manquantes) -> Detail:
    """The computation line by line, for the methodology: children, each structure, the
    components, total, rates, the offer not counted, places missing."""
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
    return lines


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
