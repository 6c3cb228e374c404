"""In-app edits of the plan d'action, the fiches actions and the pilotage sheets, and the plan
views the pages and the bilan share (evaluation table per axis, tree, timeline rows, comités).

Every edit is a pure function: it takes a CtgData and raw values as typed in a form, parses each
value with the workbook import's rules (`validation.parse_value`), re-checks the whole data set
(`validation.check_data`) and returns an `Edit`: the new data (every sheet present, ready for
`Store.save(kind="edit")`), the list of `storage.Change` records (who/when are filled by the
store) and the problems. When an edit is refused, `Edit.data` is the data unchanged, `changes`
is empty and `problems` holds the French messages.

Plausibility (ctg_data.plausibility, the import's warnings): on the cells an edit changes, a
negative count is refused and an unusual value (more than 10 times the previous one…) stops
the edit until the form confirms it (`confirmed=True`; `Edit.needs_confirmation` lists them).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace
from typing import NamedTuple
from zoneinfo import ZoneInfo

import pandas as pd

from ctg_data import errors, formatting, indicators, plausibility, storage, validation
from ctg_data.model import CtgData, plan_years
from ctg_data.schemas import (COMITES, DECISIONS, FICHES_ACTIONS, PLAN_ACTION, SHEETS_BY_KEY,
                              TABLE_SHEETS, Column, Sheet, year_of_header)

# The columns of the convention's evaluation table (annex 6), in the annex's order.
EVALUATION_COLUMNS = ("Actions", "Indicateurs retenus", "Résultats attendus",
                      "Résultats obtenus", "Analyse globale", "Niveau d'atteinte")
BANDS = formatting.BANDS  # atteint, en bonne voie, en retard, non renseigné (best first)
ALL_SHEETS = frozenset(s.key for s in TABLE_SHEETS) | {"territoire"}
_missing = formatting.is_missing  # None, NaN, NA, NaT or blank text


class Edit(NamedTuple):
    """The outcome of one edit: new data, what changed, and the problems (errors block)."""

    data: CtgData
    changes: list
    problems: list

    @property
    def ok(self) -> bool:
        """Whether the edit has no blocking problem."""
        return not any(p.severity == "erreur" for p in self.problems)

    @property
    def needs_confirmation(self) -> list:
        """The unusual values that stopped this edit: it is saved once the form confirms them
        (the same edit with `confirmed=True`)."""
        return [p for p in self.problems if p.code == "valeur_inhabituelle" and p.is_error]


# ---------------------------------------------------------------------------------------------
# Row labels (the identity of a row in the history)

def row_label(data: CtgData, sheet_key: str, row: int) -> str:
    """The label under which the history records changes of row `row` of sheet `sheet_key`,
    the store's own (`storage.row_label`: the sheet's key columns, « Axe 1 · Action ·
    Indicateur » for the plan, « 2022-03-15 · Comité technique » for a comité)."""
    return _label_of(sheet_key, data.table(sheet_key).iloc[row])


def _label_of(sheet_key: str, r) -> str:
    return storage.row_label(sheet_key, r)


# ---------------------------------------------------------------------------------------------
# Generic edit machinery

def _same(a, b) -> bool:
    if _missing(a) and _missing(b):
        return True
    if _missing(a) or _missing(b):
        return False
    try:
        return float(a) == float(b)
    except (TypeError, ValueError):
        return str(a) == str(b)


def raw_text(value) -> str:
    """A stored value as a form field shows it, so that saving it unchanged changes nothing:
    « 68 », « 12,5 » (decimal comma, no thousands separator), « 2020 », « » when missing."""
    if _missing(value):
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value)
        return str(int(number)) if number.is_integer() else repr(number).replace(".", ",")
    return str(value)


def shown(value) -> str:
    """A stored value as the history shows it: French number with every decimal it has (the
    history must not round), « — » when missing."""
    if _missing(value):
        return formatting.MISSING
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        decimals = 0 if float(value).is_integer() else min(6, len(repr(float(value)).split(".")[1]))
        return formatting.fr_number(float(value), decimals)
    return str(value)


def _column(sheet: Sheet, key) -> Column:
    """The declared column `key`, or a numeric year column of the plan (`2022`)."""
    year = year_of_header(key) if sheet.year_columns else None
    if year is not None and str(key).strip().isdigit():
        return Column(key=str(year), label=str(year), type="float")
    return sheet.column(key)


def _make_change(sheet: Sheet, label: str, column: Column, old, new, code) -> storage.Change:
    # Keys, as storage.changes_between records them; the history table shows the labels.
    return storage.Change(sheet=sheet.key, row_label=label, column=column.key,
                          old=storage.plain(old), new=storage.plain(new), code=code)


CONFIRM_LABEL = "Confirmer la valeur inhabituelle"


def _apply(data: CtgData, sheet_key: str, row: int | None, fields: dict, *,
           confirmed: bool = False) -> Edit:
    """Parse `fields` (key → raw value) and write them into row `row` (None: a new row), then
    check the whole data set. The heart of every public edit function. The plausibility
    warnings on the changed cells block: a negative count always, an unusual value unless
    `confirmed`."""
    sheet = SHEETS_BY_KEY[sheet_key]
    frame = data.table(sheet_key).copy()
    adding = row is None
    if not adding and not 0 <= row < len(frame):
        raise IndexError(f"{sheet_key}: ligne {row} absente")
    index = len(frame) if adding else row
    excel_row = index + 2  # as the exported workbook shows it: header on row 1

    problems, parsed = [], {}
    for key, raw in fields.items():
        try:
            column = _column(sheet, key)
        except KeyError:
            raise KeyError(f"{sheet_key}: colonne inconnue {key!r}") from None
        value, problem = validation.parse_value(column, raw, sheet=sheet.name, row=excel_row)
        if problem is not None:
            problems.append(problem)
        if _missing(value):  # an emptied text field is a missing value, as in the workbook
            value = None
        parsed[column.key] = (column, value)
    if any(p.severity == "erreur" for p in problems):
        return Edit(data, [], problems)

    if adding:
        new_row = {c: None for c in frame.columns}
        frame = pd.concat([frame, pd.DataFrame([new_row]).astype(frame.dtypes.to_dict())],
                          ignore_index=True)
        for col in sheet.columns:  # declared defaults (Sens = Hausse, Statut = Ouverte…)
            if col.default is not None and col.key not in parsed:
                parsed[col.key] = (col, col.default)
    old_label = "" if adding else _label_of(sheet_key, frame.iloc[index])

    changes = []
    for column, value in parsed.values():
        exists = column.key in frame.columns
        old = None if adding or not exists else frame.at[index, column.key]
        if _same(old, value):
            continue
        if not exists:  # a new year column of the plan, only when it gets a value
            frame[column.key] = pd.Series([float("nan")] * len(frame), dtype="float64")
        frame[column.key] = frame[column.key].astype(object)
        frame.at[index, column.key] = value
        changes.append((column, old, value))
    if not changes:
        return Edit(data, [], problems)

    tables = dict(data.tables) | {sheet_key: frame}
    new = CtgData(dict(data.territoire), tables, present=ALL_SHEETS)
    label = _label_of(sheet_key, new.table(sheet_key).iloc[index]) if adding else old_label
    blocking, warnings = _judge(data, new)
    blocking += _implausible(sheet, excel_row, [column for column, _, _ in changes], warnings,
                             confirmed)
    if blocking:
        return Edit(data, [], problems + blocking)
    if confirmed:   # confirmed in the form: not repeated after the save
        warnings = [p for p in warnings if p.code != "valeur_inhabituelle"
                    or not _on_cells(p, sheet, excel_row, [c for c, _, _ in changes])]
    records = [_make_change(sheet, label, column, old, value, new.code)
               for column, old, value in changes]
    return Edit(new, records, problems + warnings)


def _on_cells(p, sheet: Sheet, excel_row: int, columns) -> bool:
    return p.sheet == sheet.name and p.row == excel_row and p.column in {c.label for c in columns}


def _implausible(sheet: Sheet, excel_row: int, columns, warnings, confirmed: bool) -> list:
    """The plausibility warnings on the edited cells that block the edit, as errors: a
    negative count, and an unusual value not yet confirmed (its message says how to)."""
    out = []
    for p in warnings:
        if p.code not in plausibility.CODES or not _on_cells(p, sheet, excel_row, columns):
            continue
        if p.code == "compte_negatif":
            out.append(replace(p, severity=errors.ERREUR))
        elif not confirmed:
            out.append(replace(p, severity=errors.ERREUR, message=(
                p.message.rstrip(".") + f" ; si elle est juste, cochez « {CONFIRM_LABEL} » "
                "puis enregistrez à nouveau")))
    return out


def _key(p) -> tuple:
    # Rows never move in an edit (new rows are appended), so the row is part of the identity.
    return (p.code, p.sheet, p.row, p.column, str(p.value), p.message)


def _judge(old: CtgData, new: CtgData) -> tuple[list, list]:
    """The errors and the warnings of `new` that `old` did not already have: an edit is judged
    on what it adds, so a territory stored with a past problem can still be edited."""
    before = {_key(p) for p in validation.check_data(old)}
    added = [p for p in validation.check_data(new) if _key(p) not in before]
    return ([p for p in added if p.severity == "erreur"],
            [p for p in added if p.severity != "erreur"])


def _or_dots(year) -> str:
    return "…" if year is None else str(year)


# ---------------------------------------------------------------------------------------------
# Public edits

def _year_problem(data: CtgData, row: int, annee: int):
    """The error for a plan value entered for a year outside the CTG period, or None."""
    start, end = data.ctg_years()
    if (start is not None and annee < start) or (end is not None and annee > end):
        return errors.problem("annee_hors_ctg", sheet=PLAN_ACTION.name, row=row + 2,
                              column=str(annee), value=str(annee), debut=_or_dots(start),
                              fin=_or_dots(end))
    return None


def set_indicator_value(data: CtgData, row: int, annee: int, raw_value, *,
                        confirmed: bool = False) -> Edit:
    """Enter the observed value of plan indicator `row` for year `annee` (raw text as typed:
    « 12 », « 12,5 », « 45 % », empty to clear). A year outside the CTG period is refused;
    an unusual value waits for `confirmed` (see `Edit.needs_confirmation`)."""
    return update_plan_row(data, row, {str(int(annee)): raw_value}, confirmed=confirmed)


def update_plan_row(data: CtgData, row: int, fields: dict, *, confirmed: bool = False) -> Edit:
    """Edit plan indicator `row`: any declared column (résultats obtenus, analyse, statut,
    cible, …) or a year column (« 2022 »), raw values as typed. A negative count is refused,
    an unusual value waits for `confirmed`."""
    fields = {str(k).strip(): v for k, v in fields.items()}
    # An empty value for a year outside the period stores nothing: not an error.
    outside = [p for k, v in fields.items() if k.isdigit() and not _missing(v)
               and (p := _year_problem(data, row, int(k)))]
    if outside:
        return Edit(data, [], outside)
    return _apply(data, "plan_action", row, fields, confirmed=confirmed)


def add_plan_row(data: CtgData, fields: dict, *, confirmed: bool = False) -> Edit:
    """Add an indicator (a plan row: Axe, Action, Indicateur required) to the plan."""
    return _apply(data, "plan_action", None, _required(PLAN_ACTION, fields),
                  confirmed=confirmed)


def update_fiche(data: CtgData, numero_action, fields: dict) -> Edit:
    """Edit the fiche action `numero_action`. When its Intitulé or Axe changes, the plan rows of
    that action that carried the old text follow, so the plan and the fiche stay one action."""
    fiches = data.table("fiches_actions")
    rows = fiches.index[fiches["numero_action"].astype(str) == str(numero_action)]
    if not len(rows):
        raise KeyError(f"fiche action {numero_action!r} absente")
    row = int(rows[0])
    before = fiches.iloc[row]
    edit = _apply(data, "fiches_actions", row, fields)
    if not edit.ok or not edit.changes:
        return edit
    after = edit.data.table("fiches_actions").iloc[row]
    plan = edit.data.table("plan_action")
    follow = {"intitule": "action", "axe": "axe", "numero_action": "numero_action"}
    new_data, changes = edit.data, list(edit.changes)
    for plan_row in plan.index[plan["numero_action"].astype(str) == str(numero_action)]:
        moved = {plan_key: after[fiche_key] for fiche_key, plan_key in follow.items()
                 if not _same(before[fiche_key], after[fiche_key])
                 and _same(plan.at[plan_row, plan_key], before[fiche_key])}
        if moved:
            sub = _apply(new_data, "plan_action", int(plan_row), moved)
            if not sub.ok:
                return Edit(data, [], sub.problems)
            new_data, changes = sub.data, changes + sub.changes
    return Edit(new_data, changes, edit.problems)


def add_fiche(data: CtgData, fields: dict) -> Edit:
    """Add a fiche action (N° action and Intitulé required)."""
    return _apply(data, "fiches_actions", None, _required(FICHES_ACTIONS, fields))


def add_comite(data: CtgData, fields: dict) -> Edit:
    """Add a meeting to the `Comités` sheet (Date and Instance required)."""
    return _apply(data, "comites", None, _required(COMITES, fields))


def update_comite(data: CtgData, row: int, fields: dict) -> Edit:
    """Edit comité `row` (participants, ordre du jour, compte rendu…)."""
    return _apply(data, "comites", row, fields)


def add_decision(data: CtgData, fields: dict) -> Edit:
    """Add a decision to the `Décisions` sheet (Date du comité and Décision required; the
    status defaults to « Ouverte »). The date must be the date of a recorded comité."""
    fields = _required(DECISIONS, fields)
    edit = _apply(data, "decisions", None, fields)
    if not edit.ok or not edit.changes:
        return edit
    date = edit.data.table("decisions").iloc[-1]["date_comite"]
    if date not in set(data.table("comites")["date"].dropna()):
        # Not a workbook rule (a file may list decisions of comités it does not describe),
        # but in the app a decision is always taken by a recorded comité.
        p = errors.Problem(code="decision_sans_comite", sheet=DECISIONS.name,
                           row=len(data.table("decisions")) + 2,
                           column=DECISIONS.column("date_comite").label, value=date,
                           message=f"aucun comité enregistré le {formatting.fr_short_date(date)} : "
                                   "ajoutez d'abord le comité")
        return Edit(data, [], [p])
    return edit


def set_decision_status(data: CtgData, row: int, statut: str, suivi: str | None = None) -> Edit:
    """Mark decision `row` Ouverte / Réalisée / Abandonnée, with an optional follow-up note."""
    fields = {"statut": statut} | ({} if suivi is None else {"suivi": suivi})
    return _apply(data, "decisions", row, fields)


def _required(sheet: Sheet, fields: dict) -> dict:
    """`fields` with every required column present, so an empty one is reported."""
    return {c.key: "" for c in sheet.required_columns} | dict(fields)


# ---------------------------------------------------------------------------------------------
# History

HISTORY_COLUMNS = ("Date", "Auteur", "Feuille", "Ligne", "Colonne", "Avant", "Après")
PARIS = ZoneInfo("Europe/Paris")


def column_label(sheet_key: str, column_key: str) -> str:
    """The French header of a column key (« analyse » → « Analyse »; a year stays « 2022 »)."""
    sheet = SHEETS_BY_KEY.get(sheet_key)
    try:
        return sheet.column(column_key).label if sheet else column_key
    except KeyError:
        return column_key or "(ligne entière)"


# The column that names a row in a form, per sheet (« Demandes en attente », « Comité du… »).
_ROW_NAME_COLUMNS = ("indicateur", "intitule", "action", "decision", "nom", "date")


def _row_name(data: CtgData | None, sheet: Sheet, excel_row: int | None) -> str | None:
    if data is None or excel_row is None or sheet.key not in SHEETS_BY_KEY:
        return None
    frame = data.table(sheet.key)
    index = excel_row - 2   # the edits number rows as the exported workbook: header on row 1
    if not 0 <= index < len(frame):
        return None         # a row being added: the form is about it, no name needed
    for key in _ROW_NAME_COLUMNS:
        if key in frame.columns and not _missing(frame.iloc[index][key]):
            value = frame.iloc[index][key]
            return formatting.fr_date(value) if key == "date" else str(value).strip()
    return None


def form_line(problem, data: CtgData | None = None) -> str:
    """A problem of an in-app edit said in the form's terms — the field as the form labels it
    and the name of the edited row, never a sheet, a row number or a column:
    « Valeur 2023 de « Demandes en attente » : nombre attendu, « douze » trouvé. »
    (`data`: the data the edit was made on, to name the row). The import keeps
    `Problem.as_line` (sheet, row and column of the file)."""
    message = problem.message.rstrip(".")
    # The catalogue speaks of the workbook's year columns; the form has a year field.
    message = re.sub(r"^colonne d'année ", "année ", message)
    sheet = next((s for s in SHEETS_BY_KEY.values() if s.name == problem.sheet), None)
    if sheet is None or not problem.column:
        return message[:1].upper() + message[1:] + "."
    column = str(problem.column)
    field = f"Valeur {column}" if column.isdigit() else column
    name = _row_name(data, sheet, problem.row)
    where = f"{field} de « {name} »" if name and name != column else field
    return f"{where} : {message}."


def when(at) -> str:
    """A stored UTC time as French local time: « 15/03/2024 à 14 h 05 »."""
    if at is None:
        return formatting.MISSING
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.timezone.utc)
    local = at.astimezone(PARIS)
    return f"{local:%d/%m/%Y} à {local.hour} h {local:%M}"


def history_table(store, code: str, *, sheet: str | None = None, row_label: str | None = None,
                  column: str | None = None) -> pd.DataFrame:
    """Who changed what and when (newest first), with French headers (HISTORY_COLUMNS) and
    values. `sheet` and `column` are keys (« plan_action », « analyse », « 2022 »)."""
    rows = []
    for c in store.history(code, sheet=sheet, row_label=row_label, column=column):
        sheet_obj = SHEETS_BY_KEY.get(c.sheet)
        rows.append((when(c.at), c.author or formatting.MISSING,
                     sheet_obj.name if sheet_obj else c.sheet, c.row_label,
                     column_label(c.sheet, c.column), shown(c.old), shown(c.new)))
    return pd.DataFrame(rows, columns=list(HISTORY_COLUMNS), dtype=object)


def row_history(store, data: CtgData, sheet_key: str, row: int) -> pd.DataFrame:
    """Every recorded change of row `row` of sheet `sheet_key` (under its current label)."""
    return history_table(store, data.code, sheet=sheet_key,
                         row_label=row_label(data, sheet_key, row))


def summary(changes) -> str:
    """The one-line summary of an edit stored with its version: « Modification dans
    l'application — Plan d'action : Places d'accueil… (2023, Analyse). »"""
    if not changes:
        return ""
    first = changes[0]
    sheet = SHEETS_BY_KEY.get(first.sheet)
    what = (first.row_label or "").split(" · ")[-1]
    columns = list(dict.fromkeys(column_label(c.sheet, c.column) for c in changes
                                 if c.row_label == first.row_label))
    others = len({c.row_label for c in changes}) - 1
    text = (f"Modification dans l'application — {sheet.name if sheet else first.sheet} : "
            f"{what} ({', '.join(columns)})")
    if others:
        text += f" et {others} autre{'s' if others > 1 else ''} ligne{'s' if others > 1 else ''}"
    return text + "."


# ---------------------------------------------------------------------------------------------
# Plan views

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


def entry_year(data: CtgData, annee: int | None) -> int:
    """The year a value form proposes: the selected year brought inside the CTG period."""
    start, end = data.ctg_years()
    year = int(annee) if annee is not None else (end or start or dt.date.today().year)
    if start is not None:
        year = max(year, start)
    if end is not None:
        year = min(year, end)
    return year


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


def plan_row_choices(data: CtgData) -> dict[int, str]:
    """Plan row → « Axe / Action / Indicateur », for a selectbox."""
    plan = data.table("plan_action")
    return {int(i): _label_of("plan_action", plan.iloc[i]) for i in range(len(plan))}


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


def comite_choices(data: CtgData) -> dict[str, str]:
    """Comité date → « Comité technique du 15/03/2022 », oldest first, for a selectbox."""
    comites = data.table("comites").sort_values("date", kind="stable")
    return {_text(r["date"]): f"{_text(r['instance'])} du "
                              f"{formatting.fr_short_date(_text(r['date']) or None)}"
            for _, r in comites.iterrows()}


def decision_choices(data: CtgData) -> dict[int, str]:
    """Decision row → « 27/06/2023 — Étudier l'implantation… (Ouverte) », for a selectbox."""
    decisions = data.table("decisions")
    return {int(i): f"{formatting.fr_short_date(_text(r['date_comite']) or None)} — "
                    f"{_text(r['decision'])} ({_text(r['statut']) or 'Ouverte'})"
            for i, r in decisions.iterrows()}


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
