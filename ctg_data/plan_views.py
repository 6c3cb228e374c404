"""The read-only views of the plan d'action and the pilotage, shared by the pages and the bilan:
the convention's evaluation table per axis, indicator values against targets, the summary per
axis, the actions overview and tree with their filters, the fiches actions, and the comités
and decisions calendar. Nothing here changes data: the edits are in `ctg_data.editing`."""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd

from ctg_data import formatting, indicators, kinds
from ctg_data.model import CtgData, plan_years
from ctg_data.schemas import FICHES_ACTIONS

# The columns of the convention's evaluation table (annex 6), in the annex's order.
EVALUATION_COLUMNS = ("Actions", "Indicateurs retenus", "Résultats attendus",
                      "Résultats obtenus", "Analyse globale", "Niveau d'atteinte")
BANDS = formatting.BANDS  # atteint, en bonne voie, en retard, non renseigné (best first)
_missing = formatting.is_missing  # None, NaN, NA, NaT or blank text


# ---------------------------------------------------------------------------------------------
# Plan d'action

def _text(value) -> str:
    return "" if _missing(value) else str(value)


def _band_text(niveau, pct, suivi=None, statut=None, attendu=None, annee_valeur=None) -> str:
    """« En bonne voie (67 % ; 50 % attendus en 2023 sur la trajectoire) »: the band, the
    achievement and, before the target year, what the straight path expected then."""
    text = formatting.BAND_LABELS.get(_text(niveau), formatting.BAND_LABELS["non renseigné"])
    if not _missing(pct):
        on_path = ""
        if _text(niveau) in ("en bonne voie", "en retard") and not _missing(attendu) \
                and float(attendu) < 100 - 1e-9 and not _missing(annee_valeur):
            on_path = (f" ; {formatting.fr_percent(float(attendu), 0)} attendus en "
                       f"{int(annee_valeur)} sur la trajectoire")
        text += f" ({formatting.fr_percent(float(pct), 0)}{on_path})"
    elif suivi == "statut" and _text(statut):
        text += f" (statut : {_text(statut).lower()})"
    return text


def action_label(numero, action) -> str:
    """« Action 1 : Co-construire un diagnostic… » (or the title alone without a number)."""
    numero, action = _text(numero), _text(action)
    return f"Action {numero} : {action}" if numero else action


def axes(data: CtgData) -> list[str]:
    """The plan's axes in the order they first appear."""
    return list(dict.fromkeys(data.table("plan_action")["axe"].dropna().astype(str)))


def evaluation_table(data: CtgData, axe: str, annee: int | None = None, *,
                     status: pd.DataFrame | None = None) -> pd.DataFrame:
    """The convention's evaluation table of axis `axe` (annex 6), one row per retained
    indicator, with exactly the annex's columns: Actions · Indicateurs retenus · Résultats
    attendus · Résultats obtenus · Analyse globale · Niveau d'atteinte (band and achievement
    as of `annee`). `status` is `indicators.plan_status(data, annee)` when the caller already
    has it (a page or the bilan shows every axis: computed once, not once per axis)."""
    if status is None:
        status = indicators.plan_status(data, annee)
    status = status[status["axe"].astype(str) == str(axe)]
    rows = [(action_label(r.numero_action, r.action), _text(r.indicateur),
             _text(r.resultats_attendus), _text(r.resultats_obtenus), _text(r.analyse),
             _band_text(r.niveau, r.atteinte_pct, r.suivi, r.statut,
                        getattr(r, "attendu_pct", None), r.annee_derniere_valeur))
            for r in status.itertuples()]
    return pd.DataFrame(rows, columns=list(EVALUATION_COLUMNS), dtype=object)


# Number formats of the tables below, for ctg_ui.table_block / exports.table_to_xlsx.
# Values keep their own precision (whole numbers shown without decimals).
VALUES_FORMATS = {"Année cible": "year", "Année de la valeur": "year", "Atteinte (%)": "percent"}
SUMMARY_FORMATS = {"Indicateurs": "int", **{formatting.BAND_LABELS[b]: "int" for b in BANDS},
                   "Actions": "int", "Actions réalisées": "int",
                   "Part des actions réalisées (%)": "percent"}


def indicator_values_table(status: pd.DataFrame, axe: str | None = None) -> pd.DataFrame:
    """The indicators (plan_status rows, of one axis when given) against target and reference,
    with French headers, what a comité reads first on the left: Indicateur, Dernière valeur,
    Année de la valeur, Cible, Année cible, Valeur de référence, Atteinte (%), Niveau, Valeur
    attendue (trajectoire: the straight path's value in the value's year, before the target
    year), Unité, Sens, Statut, Action."""
    if axe is not None:
        status = status[status["axe"].map(_text) == str(axe)]
    return pd.DataFrame({
        "Indicateur": status["indicateur"].map(_text).tolist(),
        "Dernière valeur": status["derniere_valeur"].astype("float64").tolist(),
        "Année de la valeur": pd.array(status["annee_derniere_valeur"].tolist(), dtype="Int64"),
        "Cible": status["cible"].astype("float64").tolist(),
        "Année cible": pd.array(status["annee_cible"].tolist(), dtype="Int64"),
        "Valeur de référence": status["valeur_reference"].astype("float64").tolist(),
        "Atteinte (%)": status["atteinte_pct"].astype("float64").tolist(),
        "Niveau": [formatting.band_label(_text(n)) for n in status["niveau"]],
        # Before the target year: the value the straight path from the reference expects.
        "Valeur attendue (trajectoire)": (status["valeur_attendue"].astype("float64").tolist()
                                          if "valeur_attendue" in status else
                                          [float("nan")] * len(status)),
        "Unité": status["unite"].map(_text).tolist(),
        "Sens": status["sens"].map(_text).tolist(),
        "Statut": status["statut"].map(_text).tolist(),
        "Action": [action_label(n, a) for n, a in zip(status["numero_action"], status["action"])],
    })


def axis_summary_table(status: pd.DataFrame) -> pd.DataFrame:
    """`indicators.axis_summary` with French headers: Axe, Indicateurs, one column per band
    (Atteint, En bonne voie, En retard, Non renseigné), Actions, Actions réalisées, Part des
    actions réalisées (%)."""
    summary = indicators.axis_summary(status)
    out = pd.DataFrame({"Axe": summary["axe"].map(_text).tolist(),
                        "Indicateurs": summary["indicateurs"].astype("int64").tolist()})
    for band in BANDS:
        out[formatting.BAND_LABELS[band]] = summary[band].astype("int64").tolist()
    out["Actions"] = summary["actions"].astype("int64").tolist()
    out["Actions réalisées"] = summary["actions_realisees"].astype("int64").tolist()
    out["Part des actions réalisées (%)"] = summary["part_actions_realisees"].astype(
        "float64").tolist()
    return out

def _worst_band(bands) -> str:
    known = [b for b in bands if b in BANDS[:3]]
    return max(known, key=BANDS.index) if known else "non renseigné"


def _action_status(statuts) -> str:
    values = {s for s in statuts if s}
    if not values:
        return ""
    if len(values) == 1:
        return values.pop()
    if values <= {"Réalisée", "Abandonnée"}:
        return "Réalisée"
    return "En cours"


_YEAR = re.compile(r"(?:19|20)\d{2}")


def _calendar_years(text) -> tuple[int | None, int | None]:
    found = [int(y) for y in _YEAR.findall(_text(text))]
    return (min(found), max(found)) if found else (None, None)


def actions_overview(data: CtgData, annee: int | None = None) -> pd.DataFrame:
    """One row per action of the plan: champ, axe, numero_action, action, referent, statut (of
    the action: its indicators' common status, else « En cours »), niveau (the least advanced
    band among its measured indicators), indicateurs (count), debut, fin and periode_source
    (where the dates come from: fiche, calendrier, valeurs or CTG)."""
    status = indicators.plan_status(data, annee)
    plan = data.table("plan_action")
    fiches = data.table("fiches_actions")
    start_ctg, end_ctg = data.ctg_years()
    rows = []
    keys = ["axe", "numero_action", "action"]
    status = status.assign(_champ=[_text(plan.at[r, "champ"]) for r in status["row"]],
                           _calendrier=[_text(plan.at[r, "calendrier"]) for r in status["row"]])
    for (axe, numero, action), group in status.groupby(
            [status[k].fillna("").astype(str) for k in keys], sort=False):
        fiche = fiches[fiches["numero_action"].astype(str) == numero] if numero else fiches[:0]
        debut = fin = None
        source = ""
        if len(fiche):
            debut, fin = fiche.iloc[0]["debut"], fiche.iloc[0]["fin"]
            debut = None if _missing(debut) else int(debut)
            fin = None if _missing(fin) else int(fin)
            source = "fiche" if debut or fin else ""
        if not source:
            cal = [_calendar_years(c) for c in group["_calendrier"]]
            starts = [a for a, _ in cal if a]
            if starts:
                debut, fin, source = min(starts), max(b for _, b in cal if b), "calendrier"
        if not source:
            years = [y for y in plan_years(plan)
                     if plan.loc[group["row"], str(y)].notna().any()]
            if years:
                debut, fin, source = years[0], years[-1], "valeurs"
        if not source and (start_ctg or end_ctg):
            debut, fin, source = start_ctg, end_ctg, "CTG"
        debut, fin = debut or fin, fin or debut
        referents = list(dict.fromkeys(r for r in group["referent"].map(_text) if r))
        champs = list(dict.fromkeys(c for c in group["_champ"] if c))
        rows.append(dict(champ=", ".join(champs), axe=axe, numero_action=numero, action=action,
                         referent=", ".join(referents),
                         statut=_action_status(group["statut"].map(_text)),
                         niveau=_worst_band(group["niveau"]), indicateurs=len(group),
                         debut=debut, fin=fin, periode_source=source))
    columns = ["champ", "axe", "numero_action", "action", "referent", "statut", "niveau",
               "indicateurs", "debut", "fin", "periode_source"]
    out = pd.DataFrame(rows, columns=columns)
    out["debut"] = out["debut"].astype("Int64")
    out["fin"] = out["fin"].astype("Int64")
    return out


def filter_plan(frame: pd.DataFrame, *, axe=(), champ=(), statut=(), referent=()) -> pd.DataFrame:
    """The rows of `frame` (plan_status or actions_overview) matching every non-empty filter
    (each a collection of accepted values; a referent matches when it is one of a row's)."""
    mask = pd.Series(True, index=frame.index)
    for key, wanted in (("axe", axe), ("champ", champ), ("statut", statut)):
        if wanted and key in frame:
            mask &= frame[key].map(_text).isin(list(wanted))
    if referent and "referent" in frame:
        mask &= frame["referent"].map(
            lambda v: bool({s.strip() for s in _text(v).split(",")} & set(referent)))
    return frame[mask]


def filter_choices(data: CtgData) -> dict[str, list[str]]:
    """The values the plan filters offer: axe, champ, statut, referent."""
    plan = data.table("plan_action")

    def values(key):
        return sorted({_text(v) for v in plan[key] if _text(v)})
    referents = sorted({s.strip() for v in plan["referent"] for s in _text(v).split(",")
                        if s.strip()})
    return dict(axe=axes(data), champ=values("champ"), statut=values("statut"),
                referent=referents)


def plan_tree(data: CtgData, annee: int | None = None, **filters) -> list[dict]:
    """The plan as a tree champ → axe → action → indicators (after `filter_plan` filters):
    [{"champ", "axes": [{"axe", "actions": [{"numero_action", "action", "statut", "niveau",
    "indicateurs": DataFrame of plan_status rows}]}]}]."""
    status = indicators.plan_status(data, annee)
    plan = data.table("plan_action")
    status = status.assign(champ=[_text(plan.at[r, "champ"]) or "Champ non précisé"
                                  for r in status["row"]])
    status = filter_plan(status, **filters)
    tree = []
    for champ, by_champ in status.groupby("champ", sort=False):
        axes_ = []
        for axe, by_axe in by_champ.groupby(by_champ["axe"].map(_text), sort=False):
            actions = []
            group_keys = [by_axe["numero_action"].map(_text), by_axe["action"].map(_text)]
            for (numero, action), rows in by_axe.groupby(group_keys, sort=False):
                actions.append(dict(numero_action=numero, action=action,
                                    statut=_action_status(rows["statut"].map(_text)),
                                    niveau=_worst_band(rows["niveau"]),
                                    indicateurs=rows.drop(columns="champ")))
            axes_.append(dict(axe=axe, actions=actions))
        tree.append(dict(champ=champ, axes=axes_))
    return tree


def plan_tree_with_values(data: CtgData, annee: int | None = None, **filters) -> list[dict]:
    """`plan_tree`, each action also holding `valeurs`: its indicators' values table as the
    screen shows it (French text, `VALUES_FORMATS`), so that a page keeps the whole tree."""
    tree = plan_tree(data, annee, **filters)
    for axe in (a for champ in tree for a in champ["axes"]):
        for action in axe["actions"]:
            table = indicator_values_table(action["indicateurs"]).drop(columns=["Action"])
            action["valeurs"] = kinds.display_frame(table, VALUES_FORMATS)
    return tree


FICHE_FIELDS = ("cadre_strategique", "objectif_strategique", "objectifs_operationnels",
                "referent", "publics_cibles", "partenaires", "moyens", "resultats_attendus",
                "modalites")


def fiche_numbers(data: CtgData) -> list[str]:
    """Every action number, from the fiches then from the plan, in order."""
    numbers = [_text(v) for v in data.table("fiches_actions")["numero_action"]]
    numbers += [_text(v) for v in data.table("plan_action")["numero_action"]]
    return list(dict.fromkeys(n for n in numbers if n))


def fiche(data: CtgData, numero_action) -> dict:
    """The fiche of action `numero_action` for display: intitule, axe, the fields of the fiche
    as [(French label, text)] in the fiche's order with « Calendrier » last, debut, fin.
    Falls back on the plan rows when the workbook has no fiche for that number."""
    numero = str(numero_action)
    fiches = data.table("fiches_actions")
    found = fiches[fiches["numero_action"].astype(str) == numero]
    plan = data.table("plan_action")
    plan_rows = plan[plan["numero_action"].astype(str) == numero]
    if len(found):
        r = found.iloc[0]
        intitule, axe = _text(r["intitule"]), _text(r["axe"])
        fields = [(FICHES_ACTIONS.column(k).label, _text(r[k])) for k in FICHE_FIELDS]
        debut = None if _missing(r["debut"]) else int(r["debut"])
        fin = None if _missing(r["fin"]) else int(r["fin"])
    else:
        first = plan_rows.iloc[0] if len(plan_rows) else {}
        intitule, axe = _text(first.get("action")), _text(first.get("axe"))
        fields = [(FICHES_ACTIONS.column(k).label, "") for k in FICHE_FIELDS]
        debut = fin = None
    calendar = " – ".join(str(y) for y in dict.fromkeys((debut, fin)) if y)
    if not calendar and len(plan_rows):
        calendar = next((c for c in plan_rows["calendrier"].map(_text) if c), "")
    fields.append(("Calendrier", calendar))
    return dict(numero_action=numero, intitule=intitule, axe=axe, fields=fields,
                debut=debut, fin=fin, exists=bool(len(found)))


def fiche_indicators(data: CtgData, numero_action, annee: int | None = None) -> pd.DataFrame:
    """The plan_status rows of the indicators of action `numero_action`."""
    status = indicators.plan_status(data, annee)
    return status[status["numero_action"].map(_text) == str(numero_action)]


def indicator_series(data: CtgData, row: int) -> pd.DataFrame:
    """The observed values of plan indicator `row`, one row per year with a value:
    columns annee (int), valeur (float)."""
    plan = data.table("plan_action")
    points = [(y, float(plan.at[row, str(y)])) for y in plan_years(plan)
              if not _missing(plan.at[row, str(y)])]
    return pd.DataFrame(points, columns=["annee", "valeur"]).astype(
        {"annee": "int64", "valeur": "float64"})


def is_numeric_indicator(data: CtgData, row: int) -> bool:
    """Whether plan indicator `row` is followed by numbers (a target, a reference or a value),
    rather than by its status alone."""
    plan = data.table("plan_action")
    r = plan.iloc[row]
    return (not _missing(r["cible"]) or not _missing(r["valeur_reference"])
            or len(indicator_series(data, row)) > 0)


def direction_text(sens) -> str:
    """The direction of improvement, in words."""
    return ("Amélioration = baisse de la valeur" if _text(sens) == "Baisse"
            else "Amélioration = hausse de la valeur")


# ---------------------------------------------------------------------------------------------
# Pilotage

def comites_calendar(data: CtgData) -> pd.DataFrame:
    """Every comité by date, with its decisions: columns date, instance, lieu, participants,
    ordre_du_jour, compte_rendu, decisions (one line per decision, « • décision (statut) »)."""
    comites = data.table("comites").copy()
    decisions = data.table("decisions")
    comites["decisions"] = [
        "\n".join(f"• {_text(d.decision)} ({_text(d.statut) or 'Ouverte'})"
                  for d in decisions[decisions["date_comite"] == date].itertuples())
        for date in comites["date"]]
    return comites.sort_values("date", kind="stable").reset_index(drop=True)


def next_comite(data: CtgData, today: dt.date | None = None) -> dict | None:
    """The first comité dated today or later (as a dict of its fields), or None."""
    today = (today or dt.date.today()).isoformat()
    comites = data.table("comites")
    future = comites[comites["date"].fillna("") >= today].sort_values("date", kind="stable")
    return None if future.empty else future.iloc[0].to_dict()


def open_decisions(data: CtgData, today: dt.date | None = None) -> pd.DataFrame:
    """The decisions still open (statut Ouverte or empty), oldest comité first, with `row` (the
    row in the Décisions sheet, for `set_decision_status`) and `en_retard` (échéance passed)."""
    today = (today or dt.date.today()).isoformat()
    decisions = data.table("decisions").reset_index(drop=True)
    decisions = decisions.assign(row=decisions.index)
    still = decisions[decisions["statut"].map(_text).isin(["", "Ouverte"])]
    still = still.assign(en_retard=still["echeance"].map(lambda e: bool(_text(e)) and
                                                         _text(e) < today))
    return still.sort_values(["date_comite", "row"], kind="stable").reset_index(drop=True)


def decisions_table(decisions: pd.DataFrame) -> pd.DataFrame:
    """Decisions (rows of the Décisions sheet, or `open_decisions`) with French headers and
    dates: Comité du, Décision, Responsable, Échéance, Statut, Suivi (and Échéance dépassée
    when `en_retard` is given)."""
    def date(v):
        return formatting.fr_short_date(_text(v) or None)
    out = pd.DataFrame({
        "Comité du": [date(v) for v in decisions["date_comite"]],
        "Décision": decisions["decision"].map(_text).tolist(),
        "Responsable": decisions["responsable"].map(_text).tolist(),
        "Échéance": [date(v) for v in decisions["echeance"]],
        "Statut": [_text(v) or "Ouverte" for v in decisions["statut"]],
        "Suivi": decisions["suivi"].map(_text).tolist(),
    }, dtype=object)
    if "en_retard" in decisions:
        out["Échéance dépassée"] = ["oui" if v else "non" for v in decisions["en_retard"]]
    return out


def comites_table(calendar: pd.DataFrame) -> pd.DataFrame:
    """`comites_calendar` with French headers and dates: Date, Instance, Ordre du jour,
    Décisions, Compte rendu, Participants, Lieu."""
    return pd.DataFrame({
        "Date": [formatting.fr_short_date(_text(v) or None) for v in calendar["date"]],
        "Instance": calendar["instance"].map(_text).tolist(),
        "Ordre du jour": calendar["ordre_du_jour"].map(_text).tolist(),
        "Décisions": calendar["decisions"].map(_text).tolist(),
        "Compte rendu": calendar["compte_rendu"].map(_text).tolist(),
        "Participants": calendar["participants"].map(_text).tolist(),
        "Lieu": calendar["lieu"].map(_text).tolist(),
    }, dtype=object)


def comites_of_year(data: CtgData, annee: int) -> pd.DataFrame:
    """The comités held in `annee` (`comites_calendar` rows)."""
    calendar = comites_calendar(data)
    return calendar[calendar["date"].map(_text).str.startswith(str(int(annee)))]
