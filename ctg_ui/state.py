"""Application state: the non-widget session keys that survive page changes (territory, year,
author, presentation mode…), their first values from the address and the browser, and the
binding of a widget to one of them."""

from __future__ import annotations

import json

import streamlit as st

from ctg_data import accounts, schemas, settings

# Non-widget keys: Streamlit drops a widget's key when the widget is not drawn, these stay.
STATE_DEFAULTS = {"territoire": None, "annee": None, "auteur": "", "presentation": False,
                  "cible_taux": None, "diapo": 0}


def init_state() -> None:
    """Create the application state keys that do not exist yet; at the first run of a session
    (a new tab, a reload, a shared link), take the territory and year from the address and,
    in local mode, the author's name from the browser."""
    for key, value in STATE_DEFAULTS.items():
        st.session_state.setdefault(key, value)
    if st.session_state["cible_taux"] is None:
        st.session_state["cible_taux"] = float(settings.get("cible_taux_couverture"))
    if not st.session_state.get("_etat_initial_lu"):
        st.session_state["_etat_initial_lu"] = True
        _read_address()
        _read_remembered_author()


# -- the address -------------------------------------------------------------------------------

# The view's state in the address (`?territoire=59367&annee=2023`): shareable, kept by a
# reload. The sidebar checks them against the database like any choice (an unknown territory
# or year falls back to the defaults).
URL_PARAMS = ("territoire", "annee")


def _read_address() -> None:
    params = st.query_params
    code = (params.get("territoire") or "").strip()
    if code and len(code) <= 20:
        st.session_state["territoire"] = code
    annee = (params.get("annee") or "").strip()
    if annee.isdigit() and len(annee) == 4:
        st.session_state["annee"] = int(annee)


def write_address() -> None:
    """Put the current territory and year in the address (only when they differ: each change
    is a message to the browser); Streamlit drops the query string on a page change, so every
    run of the frame writes it again."""
    wanted = {"territoire": st.session_state.get("territoire"),
              "annee": st.session_state.get("annee")}
    for name, value in wanted.items():
        if value is None:
            if name in st.query_params:
                del st.query_params[name]
        elif st.query_params.get(name) != str(value):
            st.query_params[name] = str(value)


# -- the author's name, remembered by the browser ------------------------------------------------

# The author's name is remembered by the browser in a cookie (local mode only), not in the
# address: a link shared with a colleague must not sign their edits with the sender's name.
AUTHOR_COOKIE = "ctg_auteur"
AUTHOR_MAX_CHARS = 80
_AUTHOR_COLUMN = schemas.Column(key="auteur", label="Votre nom", max_length=AUTHOR_MAX_CHARS)


def _valid_author(name) -> str | None:
    from urllib.parse import unquote

    from ctg_data import validation

    text = unquote(str(name or "")).strip()
    if not text or validation.text_problem(_AUTHOR_COLUMN, text) is not None:
        return None
    return text


def _read_remembered_author() -> None:
    if accounts.shared() or st.session_state.get("auteur"):
        return
    try:
        cookie = st.context.cookies.get(AUTHOR_COOKIE)
    except Exception:  # no browser request (a script run on its own)
        cookie = None
    name = _valid_author(cookie)
    if name:
        st.session_state["auteur"] = name


def remember_author() -> None:
    """Ask the browser to keep the typed name (a year) or to forget it (empty name). The
    name goes to the script as a JSON string, « < » escaped: it cannot end the script."""
    name = _valid_author(st.session_state.get("auteur")) or ""
    literal = json.dumps(name).replace("<", "\\u003c").replace(">", "\\u003e")
    age = 365 * 24 * 3600 if name else 0
    st.html(f"<script>document.cookie = '{AUTHOR_COOKIE}=' + encodeURIComponent({literal}) + "
            f"'; path=/; max-age={age}; SameSite=Strict' + "
            "(location.protocol === 'https:' ? '; Secure' : '');</script>",
            unsafe_allow_javascript=True)


# -- presentation mode -------------------------------------------------------------------------

def presentation() -> bool:
    """Whether the app is in presentation mode (no editing controls, large text)."""
    return bool(st.session_state.get("presentation"))


def set_presentation(on: bool) -> None:
    """Switch presentation mode on or off (buttons of the Présentation page)."""
    st.session_state["presentation"] = on


def consume_presentation_request() -> bool:
    """True once after presentation mode was switched on (the app then opens that page)."""
    return bool(st.session_state.pop("_ouvrir_presentation", False))


# -- widgets tied to the state -------------------------------------------------------------------

def copy_widget(widget_key: str, state_key: str):
    """The `on_change` callback that copies widget `widget_key` into state `state_key`."""
    def callback():
        st.session_state[state_key] = st.session_state[widget_key]
        if state_key == "presentation" and st.session_state[widget_key]:
            st.session_state["_ouvrir_presentation"] = True
        if state_key == "auteur":
            st.session_state["_memoriser_auteur"] = True
    return callback


def bind(widget_key: str, state_key: str) -> dict:
    """Tie a page widget to an application-state key: the widget shows the state and writes
    it back when changed. Use as `st.selectbox(…, key=k, **ctg_ui.bind(k, "annee"))`."""
    sync(widget_key, state_key)
    return {"on_change": copy_widget(widget_key, state_key)}


def sync(widget_key: str, state_key: str) -> None:
    """Show the application state in the widget (set before the widget is drawn)."""
    # The state may have been changed elsewhere (another page, a test, a territory change);
    # always set: the same key on another page is another widget, which would start from its
    # default.
    st.session_state[widget_key] = st.session_state[state_key]
