"""CTG dashboard entry point: page configuration, navigation grouped by the CTG's life cycle,
and the shared sidebar (territoire, année, auteur, mode présentation).

Run with `streamlit run app.py`. Pages live in `pages/`; a page whose file does not exist yet is
simply left out of the menu.
"""

import logging
from pathlib import Path

import streamlit as st

import ctg_ui

HERE = Path(__file__).resolve().parent

# (section, file, title, material icon); the first page is the default one.
PAGES = (
    ("Territoire", "pages/accueil.py", "Accueil", ":material/home:"),
    ("Territoire", "pages/territoires.py", "Territoires", ":material/compare_arrows:"),
    ("Diagnostic", "pages/diagnostic.py", "Diagnostic partagé", ":material/query_stats:"),
    ("Offre et besoins", "pages/offre_besoins.py", "Offre et besoins", ":material/child_care:"),
    ("Offre et besoins", "pages/scenarios.py", "Scénarios", ":material/tune:"),
    ("Offre et besoins", "pages/enfance_jeunesse.py", "Enfance-jeunesse",
     ":material/sports_soccer:"),
    ("Plan d'action", "pages/plan_action.py", "Plan d'action", ":material/account_tree:"),
    ("Plan d'action", "pages/fiches_actions.py", "Fiches actions", ":material/description:"),
    ("Plan d'action", "pages/evaluation.py", "Évaluation par axe", ":material/fact_check:"),
    ("Pilotage", "pages/pilotage.py", "Pilotage", ":material/groups:"),
    ("Pilotage", "pages/bilan_annuel.py", "Bilan annuel", ":material/summarize:"),
    ("Pilotage", "pages/presentation.py", "Présentation", ":material/slideshow:"),
    ("Données", "pages/donnees.py", "Données", ":material/upload_file:"),
)
# Pages that compare territories: in the menu only when the database holds several (else
# hidden from the menu, still reachable by their address, where they say why they are empty).
MULTI_TERRITORY_PAGES = frozenset({"pages/territoires.py"})


def build_navigation() -> tuple[dict[str, list], dict[str, st.Page]]:
    """The st.Page objects grouped by section, and the same pages by file, skipping the
    files that do not exist (pages written later by other people); the pages comparing
    territories are hidden from the menu while the database holds fewer than two."""
    sections: dict[str, list] = {}
    by_file: dict[str, st.Page] = {}
    first = True
    several = len(ctg_ui.read_territories()) > 1
    for section, file, title, icon in PAGES:
        if not (HERE / file).is_file():
            continue
        hidden = file in MULTI_TERRITORY_PAGES and not several
        # The first page is served at the root; its own name is kept for an alias below.
        page = st.Page(file, title=title, icon=icon, default=first,
                       url_path=f"{Path(file).stem}-racine" if first else None,
                       visibility="hidden" if hidden else "visible")
        first = False
        sections.setdefault(section, []).append(page)
        by_file[file] = page
    if by_file:
        # The first page is served at the root (/): a bookmark or link to its own name
        # (/accueil) would otherwise get Streamlit's English « Page not found » dialog.
        home_file, home = next(iter(by_file.items()))
        alias = Path(home_file).stem
        next(iter(sections.values())).append(st.Page(
            lambda: st.switch_page(home, query_params=st.query_params.to_dict()),
            title=home.title, url_path=alias, visibility="hidden"))
    return sections, by_file


ctg_ui.init_state()
if ctg_ui.shared_mode():
    # A shared server shows no stack trace to its users (errors raised outside the page, in
    # a widget's callback, get Streamlit's generic message instead).
    st.set_option("client.showErrorDetails", "none")
sections, pages_by_file = build_navigation()
# In shared mode nobody gets further than the sign-in form, not even the menu of pages.
ctg_ui.sign_in_gate(sections)
current = st.navigation(sections)
if ctg_ui.consume_presentation_request() and ctg_ui.PRESENTATION_PAGE in pages_by_file:
    st.switch_page(pages_by_file[ctg_ui.PRESENTATION_PAGE])
ctg_ui.frame()
if ctg_ui.shared_mode():
    try:
        current.run()
    except Exception:  # noqa: BLE001 — st.stop and st.rerun are not Exceptions: they pass
        logging.getLogger("ctg").exception("Erreur dans la page %s", current.title)
        st.error("Une erreur inattendue empêche d'afficher cette page. Elle est consignée dans "
                 "le journal du serveur ; si elle se répète, signalez-la à l'administrateur "
                 "avec l'heure et la page concernée.", icon=":material/error:")
else:
    current.run()
