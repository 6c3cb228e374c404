"""The comité's comments on a chart: read once per run for the territory, shown under the
chart (newest first, dated), and a small form to add one outside presentation mode."""

from __future__ import annotations

import streamlit as st

from ctg_data.formatting import escape_md, local_date
from ctg_ui.access import actor, author, can
from ctg_ui.data import database_url, store, territories
from ctg_ui.state import presentation


def chart_comments(code: str, chart_key: str) -> list:
    """The comments on chart `chart_key` of territory `code`, newest first. Every comment of
    the territory is read in one query per run (kept with the territory list that the
    sidebar reads at the start of each run) and filtered here, not one query per chart."""
    run = territories()
    kept = st.session_state.get("_commentaires")
    if kept is None or kept[0] is not run or kept[1] != (database_url(), code):
        kept = (run, (database_url(), code), store().comments(code))
        st.session_state["_commentaires"] = kept
    return [c for c in kept[2] if c.chart_key == chart_key]


def _save_comment(code: str, chart_key: str, annee: int, text_key: str) -> None:
    text = (st.session_state.get(text_key) or "").strip()
    if not text:
        st.session_state["_message_commentaire"] = (text_key, "warning",
                                                    "Le commentaire est vide : rien n'a été "
                                                    "enregistré.")
        return
    from ctg_data.accounts import AccessDenied

    try:
        store().add_comment(code, chart_key, text, author=author(), annee=annee, actor=actor())
    except AccessDenied as refused:
        st.session_state["_message_commentaire"] = (text_key, "error", refused.message)
        return
    except ValueError as refused:   # the store's text rules (control characters, length)
        st.session_state["_message_commentaire"] = (text_key, "error", escape_md(str(refused)))
        return
    st.session_state[text_key] = ""
    st.session_state.pop("_commentaires", None)   # read again with the new one
    st.session_state["_message_commentaire"] = (text_key, "success", "Commentaire enregistré.")


@st.fragment
def comments_block(chart_key: str, page, *, key: str | None = None) -> None:
    """The comité's saved comments on a chart of the page (`PageContext`: newest first, dated)
    and, outside presentation mode, a small form to add one. A fragment: saving a comment
    reruns only this block, not every chart of the page."""
    wkey = key or chart_key
    data, annee = page.data, page.annee
    saved = chart_comments(data.code, chart_key)
    text_key = f"commentaire_{wkey}"
    flash = st.session_state.get("_message_commentaire")
    if presentation() and not saved:
        return
    with st.expander(f"Commentaires du comité ({len(saved)})", expanded=bool(saved),
                     icon=":material/forum:"):
        for c in saved:
            who = f" — {escape_md(c.author)}" if c.author else ""
            year = f" (lecture de l'année {c.annee})" if c.annee else ""
            st.markdown(f"**{local_date(c.created_at)}**{who}{year}")
            st.markdown(escape_md(c.text).replace("\n", "  \n"))
        if not saved:
            st.caption("Aucun commentaire pour l'instant.")
        if presentation() or not can("comment", data.code):
            return
        if flash and flash[0] == text_key:
            getattr(st, flash[1])(flash[2])
            st.session_state.pop("_message_commentaire", None)
        st.text_area("Lecture du comité", key=text_key, max_chars=2000, height=90,
                     placeholder="Ce que le comité retient de ce graphique…")
        st.button("Enregistrer le commentaire", key=f"enregistrer_{wkey}",
                  icon=":material/save:", on_click=_save_comment,
                  args=(data.code, chart_key, annee, text_key))
