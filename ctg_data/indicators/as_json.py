"""The indicators of one territory and year as JSON-safe data (the CLI `indicators` command)."""

from __future__ import annotations

import math

import pandas as pd

from ctg_data.indicators.coverage import coverage
from ctg_data.indicators.plan_status import plan_status
from ctg_data.model import CtgData


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
