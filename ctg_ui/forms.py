"""Editing forms (Plan d'action, Fiches actions, Évaluation, Pilotage) and number fields:
numbers typed the French way, the save button that stores an edit as a new version, what became
of it, the form's initial values and a row's history."""

from __future__ import annotations

import streamlit as st

from ctg_data import settings
from ctg_data import formatting as fmt
from ctg_data.formatting import escape_md
from ctg_data.model import CtgData
from ctg_ui.access import actor, author, can
from ctg_ui.data import (current_data, current_territory, database_url, load_version,
                         read_territories, store)
from ctg_ui.state import presentation

# -- numbers typed in French -------------------------------------------------------------------

def target_input(key: str) -> float:
    """The target coverage rate, tied to the application state `cible_taux` (shared by the
    pages), typed in French (« 55,5 »)."""
    if presentation():
        return float(st.session_state["cible_taux"])
    return number_field(
        "Taux de couverture visé (places pour 100 enfants de moins de 3 ans)", key,
        state_key="cible_taux", minimum=0, maximum=200, decimals=1,
        help="Sert à calculer les places manquantes. La valeur proposée est celle des "
             "réglages de l'application ; décimales avec une virgule (55,5).")


# What a number field lets through in the browser (Streamlit checks it before sending, with
# the French message): digits, spaces between thousands, one decimal comma or point, a sign.
# The server reads it again with the workbook's rules (formatting.parse_input_number).
_NUMBER_PATTERN = r"^\s*[-+\u2212]?\s*[0-9][0-9\s]*([,.][0-9]+)?\s*$"
_NUMBER_MESSAGE = "Saisissez un nombre, par exemple 55,5 ou 1 234."


def number_field(label: str, key: str, *, state_key: str | None = None, value: float = 0.0,
                 minimum: float | None = None, maximum: float | None = None,
                 decimals: int = 0, help: str | None = None) -> float:
    """A number typed the French way (« 55,5 », « 1 234 ») in place of `st.number_input`,
    whose browser part reads « 55,5 » as 555 and answers in English. Returns the last valid
    value, kept under `state_key` (default `_nombre_<key>`, created with `value`): a value
    that is not a number or is outside [minimum, maximum] is refused with a French message
    under the field, and the previous value stays in use. The value survives page changes
    (the state key is not a widget key); `reset_number_field` forgets it."""
    state_key = state_key or f"_nombre_{key}"
    st.session_state.setdefault(state_key, value)
    error_key = f"_erreur_nombre_{key}"
    if key not in st.session_state or error_key not in st.session_state:
        # Show the current value (it may have been changed on another page or reset).
        st.session_state[key] = fmt.input_number(st.session_state[state_key], decimals)
    st.text_input(label, key=key, help=help, max_chars=24,
                  validate=(_NUMBER_PATTERN, _NUMBER_MESSAGE), on_change=_read_number,
                  args=(key, state_key, minimum, maximum, decimals))
    error = st.session_state.get(error_key)
    if error:
        kept = fmt.input_number(st.session_state[state_key], decimals)
        st.error(escape_md(f"{label} : {error}. La valeur {kept} reste utilisée."),
                 icon=":material/error:")
    return float(st.session_state[state_key])


def _read_number(key: str, state_key: str, minimum, maximum, decimals: int) -> None:
    try:
        value = fmt.parse_input_number(st.session_state.get(key), minimum=minimum,
                                       maximum=maximum, decimals=decimals)
    except ValueError as refused:
        st.session_state[f"_erreur_nombre_{key}"] = str(refused)
        return
    st.session_state.pop(f"_erreur_nombre_{key}", None)
    st.session_state[state_key] = value


def reset_number_field(key: str, state_key: str | None = None) -> None:
    """Forget what was typed in number field `key`: it shows its initial value again."""
    for k in (key, state_key or f"_nombre_{key}", f"_erreur_nombre_{key}"):
        st.session_state.pop(k, None)


def upload_limit_mb() -> int:
    """The size (Mo) above which the Données uploader refuses a file in the browser: the
    largest the app itself accepts (a workbook, `max_file_mb`, or a Caf open-data file,
    `max_opendata_mb`), so that every smaller file reaches the app's French checks. Keep
    Streamlit's `server.maxUploadSize` (.streamlit/config.toml) at least this large."""
    import math

    return max(1, math.ceil(max(float(settings.get("max_file_mb")),
                                float(settings.get("max_opendata_mb")))))


# -- editing forms ---------------------------------------------------------------------------------

def editing_allowed() -> bool:
    """Whether the editing forms are drawn: never in presentation mode, and in shared mode
    only for an account that may edit the selected territory."""
    return not presentation() and can("edit")


def save_button(label: str, tag: str, build, success: str, *, key: str,
                icon: str = ":material/save:") -> None:
    """The save button of an editing form (inside `st.form`). On click, before the page runs
    again, `build(data)` makes the `editing.Edit` from the form's widget values and the current
    data; an accepted edit is stored as a new version (author from the sidebar, the changes for
    the history), a refused one stores nothing. `edit_feedback(tag)` then says which.

    A callback rather than the button's return value: the page then reads the new version in
    the same run, and a rerun cannot swallow the click."""
    st.form_submit_button(label, key=key, type="primary", icon=icon, on_click=_save,
                          args=(tag, build, success))


def _form_base(tag: str) -> tuple[str, int] | None:
    """The territory and version the form `tag` was drawn on: the identity given to
    `form_values` (code, version id, …), else the version the last run showed."""
    identity = st.session_state.get(f"_formulaire_{tag}")
    if isinstance(identity, tuple) and len(identity) > 1 and isinstance(identity[1], int):
        return identity[0], identity[1]
    info = current_territory()  # still the list read by the run that drew the form
    return (info.code, info.version_id) if info is not None else None


def _save(tag: str, build, success: str) -> None:
    from ctg_data import editing
    from ctg_data.storage import EditConflict, StorageError
    drawn = _form_base(tag)
    read_territories()   # callbacks run before the sidebar
    info = current_territory()
    if info is None:
        return
    # The edit is built on the version the form showed, so that it holds only the fields the
    # person changed; the store merges them into the current version, or refuses a field that
    # someone else changed meanwhile (never a silent overwrite).
    base = drawn[1] if drawn is not None and drawn[0] == info.code else info.version_id
    data = load_version(database_url(), info.code, base)
    if data is None:
        base, data = info.version_id, current_data()
    edit = build(data)
    # Said in the form's terms (the field and the row's name), not the workbook's.
    def say(p) -> str:
        return editing.form_line(p, data)
    if not edit.ok:
        result = ("refus", [say(p) for p in edit.problems if p.is_error],
                  [say(p) for p in edit.problems if not p.is_error])
    elif not edit.changes:
        result = ("inchange", [], [])
    else:
        from ctg_data.accounts import AccessDenied

        try:
            store().save([edit.data], kind="edit", author=author(), actor=actor(),
                         changes=edit.changes, summary=editing.summary(edit.changes),
                         base_version_id=base)
            result = ("enregistre", [success], [say(p) for p in edit.problems])
        except (AccessDenied, EditConflict, StorageError) as refused:
            result = ("refus", [refused.message], [])
    st.session_state[f"_resultat_{tag}"] = result


def edit_feedback(tag: str) -> None:
    """What became of the last save of form `tag` (shown once): saved (by whom), unchanged, or
    refused with the French message of each problem — nothing stored."""
    result = st.session_state.pop(f"_resultat_{tag}", None)
    if result is None:
        return
    outcome, lines, warnings = result
    if outcome == "enregistre":
        who = (f" par {author()}" if author() else
               " (indiquez votre nom dans la barre latérale)")
        st.success(escape_md(lines[0] + who + "."), icon=":material/check_circle:")
    elif outcome == "inchange":
        st.info("Aucune modification : rien n'a été enregistré.", icon=":material/info:")
    else:
        st.error("\n".join(["Rien n'a été enregistré.", ""]
                           + [f"- {escape_md(line)}" for line in lines]), icon=":material/error:")
    if warnings:
        st.warning("\n".join(f"- {escape_md(line)}" for line in warnings),
                   icon=":material/warning:")


def form_values(tag: str, identity, values: dict) -> None:
    """Fill the widgets of an editing form (widget key → value) when the edited object changes
    (`identity`, which should include the version id) or when Streamlit forgot them; values
    typed in a refused save stay as typed."""
    marker = f"_formulaire_{tag}"
    if st.session_state.get(marker) != identity or any(k not in st.session_state for k in values):
        for k, v in values.items():
            st.session_state[k] = v
        st.session_state[marker] = identity


def history_expander(data: CtgData, sheet_key: str, row: int, *, key: str,
                     title: str = "Historique") -> None:
    """An expander listing who changed row `row` of `sheet_key`, when, from what to what."""
    from ctg_data import editing
    with st.expander(title, icon=":material/history:"):
        table = editing.row_history(store(), data, sheet_key, row)
        if table.empty:
            st.caption("Aucune modification enregistrée dans l'application pour cette ligne.")
        else:
            st.dataframe(table, hide_index=True, width="stretch", key=f"historique_{key}")
