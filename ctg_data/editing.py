"""In-app edits of the plan d'action, the fiches actions and the pilotage sheets: the edits,
their validation, the form messages and choices, and the history of changes. The read-only
plan and pilotage views (evaluation table, actions overview, comités…) are in
`ctg_data.plan_views`.

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

from ctg_data import errors, formatting, plausibility, storage, validation
from ctg_data.model import CtgData
from ctg_data.schemas import (COMITES, DECISIONS, FICHES_ACTIONS, PLAN_ACTION, SHEETS_BY_KEY,
                              TABLE_SHEETS, Column, Sheet, year_of_header)

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
# Form helpers (the choices and defaults of the editing forms)

def _text(value) -> str:
    return "" if _missing(value) else str(value)


def entry_year(data: CtgData, annee: int | None) -> int:
    """The year a value form proposes: the selected year brought inside the CTG period."""
    start, end = data.ctg_years()
    year = int(annee) if annee is not None else (end or start or dt.date.today().year)
    if start is not None:
        year = max(year, start)
    if end is not None:
        year = min(year, end)
    return year


def plan_row_choices(data: CtgData) -> dict[int, str]:
    """Plan row → « Axe / Action / Indicateur », for a selectbox."""
    plan = data.table("plan_action")
    return {int(i): _label_of("plan_action", plan.iloc[i]) for i in range(len(plan))}


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
