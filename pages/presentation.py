"""Présentation: the key charts one per screen, large, for the comité around a projector,
with Précédent / Suivant; the saved comments are shown, nothing can be edited."""

import streamlit as st

import ctg_ui
from ctg_data import charts

# The charts a comité reads together, in the order of the CTG's life cycle.
KEY_CHARTS = ("population", "tranches_age", "familles", "taux_comparaison", "places_modes",
              "couverture_references", "couverture_evolution", "places_manquantes",
              "rpe_attente", "alsh_couverture", "plan_axes", "plan_atteinte")

data = ctg_ui.require_data()
annee = ctg_ui.require_year(data)
slides = [k for k in KEY_CHARTS if k in charts.CHARTS]


def move(step: int) -> None:
    st.session_state["diapo"] = (st.session_state.get("diapo", 0) + step) % len(slides)


st.title(f"Présentation — {ctg_ui.escape_md(data.nom)}, {annee}")
if not ctg_ui.presentation():
    st.markdown("Le mode présentation masque la barre latérale et les commandes d'édition, "
                "agrandit le texte et les graphiques pour un vidéoprojecteur, et fait défiler "
                "les graphiques clés un par un.")
    st.button("Démarrer la présentation", key="demarrer_presentation", type="primary",
              icon=":material/slideshow:", on_click=ctg_ui.set_presentation, args=(True,))

index = st.session_state.get("diapo", 0) % len(slides)
key = slides[index]
prev_col, where, next_col = st.columns([1, 3, 1], vertical_alignment="center")
prev_col.button("Précédent", key="precedent", on_click=move, args=(-1,),
                icon=":material/arrow_back:", width="stretch", shortcut="Left")
where.markdown(f"**{index + 1} / {len(slides)}** — {charts.CHARTS[key].titre}")
next_col.button("Suivant", key="suivant", on_click=move, args=(1,),
                icon=":material/arrow_forward:", icon_position="right", width="stretch",
                shortcut="Right")
ctg_ui.chart_block(key, data, annee, ctg_ui.references(), key=f"diapo_{key}",
                   cible=st.session_state.get("cible_taux"))
