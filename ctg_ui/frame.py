"""The shared frame of every page: page configuration, French interface, sidebar (territory,
year, author, presentation mode) and, in presentation mode, the projector styling."""

from __future__ import annotations

import streamlit as st

from ctg_data.formatting import escape_md
from ctg_ui import _streamlit_internals as internals
from ctg_ui.access import actor, sign_in_gate, sign_out
from ctg_ui.data import DONNEES_PAGE, current_data, default_year, read_territories, year_choices
from ctg_ui.french import PRESENTATION_CSS, french_interface
from ctg_ui.state import (AUTHOR_MAX_CHARS, copy_widget, init_state, presentation,
                          remember_author, set_presentation, sync, write_address)

PRESENTATION_PAGE = "pages/presentation.py"


def frame() -> None:
    """The shared frame of every page: state, page configuration, sidebar and, in presentation
    mode, the projector styling. app.py draws it once per run before the page."""
    init_state()
    sign_in_gate()
    st.set_page_config(page_title="CTG — tableau de bord", page_icon=":material/family_restroom:",
                       layout="wide",
                       initial_sidebar_state="collapsed" if presentation() else "auto")
    french_interface()
    sidebar()
    if presentation():
        presentation_frame()


def ensure_frame() -> None:
    """Make sure the page runs inside the app's frame (sidebar, state, navigation).

    Streamlit's older multipage mode runs a file of `pages/` directly, without app.py: a
    server does so when its very first request is a deep link (/offre_besoins), AppTest after
    every switch_page. On a server, register a navigation (which ends that mode for the
    process) and rerun the same page, now through app.py. Under AppTest (which restores that
    mode at each run, and where a rerun would swallow button clicks) or for a page run on its
    own, draw the frame here."""
    # The sidebar's presentation toggle is drawn on every run of the frame: its key among the
    # widgets of this run tells whether app.py drew the frame before this page.
    keys = internals.widget_keys_this_run()
    if keys is not None and "w_presentation" in keys:
        return
    alone = internals.page_without_navigation()
    if alone is not None:
        # The requested page must be in this navigation too, else Streamlit says « page not
        # found »; app.py registers the full menu on the rerun.
        main, current = alone
        pages = [st.Page(main, default=True)]
        if current and current != main:
            pages.append(st.Page(current))
        st.navigation(pages, position="hidden")
        st.rerun()
    frame()


def sidebar() -> None:
    """Draw the shared sidebar and keep `territoire` and `annee` valid for the database."""
    infos = read_territories()
    bar = st.sidebar
    if not infos:
        st.session_state["territoire"] = None
        st.session_state["annee"] = None
        bar.info("Aucune donnée chargée.")
        bar.page_link(DONNEES_PAGE, label="Charger des données", icon=":material/upload_file:")
    else:
        _territory_and_year(bar, infos)
    write_address()
    account = actor()
    if account is not None:
        bar.caption(f"Connecté : {escape_md(account.label)}")
        if bar.button("Se déconnecter", key="se_deconnecter", icon=":material/logout:"):
            sign_out("Vous êtes déconnecté.")
            st.rerun()
    else:
        sync("w_auteur", "auteur")
        bar.text_input("Votre nom (pour l'historique)", key="w_auteur",
                       max_chars=AUTHOR_MAX_CHARS, on_change=copy_widget("w_auteur", "auteur"),
                       help="Enregistré avec chaque modification et chaque commentaire ; ce "
                            "navigateur le retient (cookie), même après un rechargement.")
        if st.session_state.pop("_memoriser_auteur", False):
            with bar:
                remember_author()
    sync("w_presentation", "presentation")
    bar.toggle("Mode présentation", key="w_presentation",
               help="Masque les commandes d'édition et la barre latérale, agrandit le texte et "
                    "fait défiler les graphiques clés un par un.",
               on_change=copy_widget("w_presentation", "presentation"))


def _territory_and_year(bar, infos: list) -> None:
    codes = [t.code for t in infos]
    names = {t.code: t.nom for t in infos}
    if st.session_state["territoire"] not in codes:
        st.session_state["territoire"] = codes[0]
    if len(codes) > 1:
        sync("w_territoire", "territoire")
        bar.selectbox("Territoire", codes, key="w_territoire", placeholder="Choisir…",
                      format_func=lambda c: f"{names.get(c, c)} ({c})",
                      on_change=copy_widget("w_territoire", "territoire"))
    else:
        bar.subheader(escape_md(names[codes[0]]))
    data = current_data()
    years = year_choices(data) if data is not None else []
    if st.session_state["annee"] not in years:
        st.session_state["annee"] = default_year(data) if data is not None else None
    if years:
        sync("w_annee", "annee")
        bar.selectbox("Année", years, key="w_annee", format_func=str, placeholder="Choisir…",
                      on_change=copy_widget("w_annee", "annee"))
    else:
        bar.caption("Aucune année renseignée.")


def presentation_frame() -> None:
    """In presentation mode: the projector CSS and the one way out (the sidebar is hidden)."""
    st.html(PRESENTATION_CSS)
    st.button("Quitter le mode présentation", key="quitter_presentation",
              icon=":material/close_fullscreen:", type="tertiary", shortcut="Esc",
              on_click=set_presentation, args=(False,))
