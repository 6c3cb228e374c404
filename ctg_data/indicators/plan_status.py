"""Plan d'action status: the achievement of each indicator, the share the straight path from
the reference to the target expects, the bands (atteint, en bonne voie, en retard, non
renseigné), one row per indicator (`plan_status`) and the summary per axis."""

from __future__ import annotations

import pandas as pd

from ctg_data import settings
from ctg_data.formatting import fr_number
from ctg_data.formatting import as_number
from ctg_data.indicators.cells import text as _text
from ctg_data.model import CtgData, plan_years

NIVEAUX = ("atteint", "en bonne voie", "en retard", "non renseigné")


def achievement(latest, reference, target, sens=None) -> float | None:
    """Achievement in % of one indicator: (latest − reference) / (target − reference) × 100.

    Without a reference: latest / target (target / latest for a « Baisse » indicator), like
    the reference case above 100 % when the target is passed. When the target equals the
    reference (keep a level), 100 when the latest value is on the good side of it. None when
    latest or target is missing."""
    latest, reference, target = as_number(latest), as_number(reference), as_number(target)
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
    values = (as_number(annee_valeur), as_number(reference), as_number(annee_reference), as_number(target),
              as_number(annee_cible))
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
            value = as_number(r[str(y)])
            if value is not None:
                latest, latest_year = value, y
                break
        has_numbers = latest is not None or as_number(r["cible"]) is not None or \
            as_number(r["valeur_reference"]) is not None or \
            any(as_number(r[str(y)]) is not None for y in all_years)
        sens = r["sens"] if _text(r["sens"]) else "Hausse"
        attendu = valeur_attendue = None
        if has_numbers:
            pct = achievement(latest, r["valeur_reference"], r["cible"], sens)
            if pct is not None:
                attendu = expected_share(latest_year, r["valeur_reference"],
                                         r["annee_reference"], r["cible"], r["annee_cible"])
            if attendu is not None:
                ref = as_number(r["valeur_reference"])
                valeur_attendue = ref + (as_number(r["cible"]) - ref) * attendu / 100
            niveau, suivi = band(pct, marge, attendu), "valeur"
        else:
            pct = None
            niveau, suivi = STATUT_BANDS.get(r["statut"], "non renseigné"), "statut"
        out.append(dict(
            row=index, axe=r["axe"], numero_action=r["numero_action"], action=r["action"],
            indicateur=r["indicateur"], unite=r["unite"], sens=sens,
            valeur_reference=as_number(r["valeur_reference"]), annee_reference=r["annee_reference"],
            cible=as_number(r["cible"]), annee_cible=r["annee_cible"], derniere_valeur=latest,
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
