"""Enfance-jeunesse: ALSH places per 100 children by period and age band, attendance and fill
rate — a local indicator, labelled as such (no official national reference exists)."""

import streamlit as st

import ctg_ui
from ctg_data import definitions, indicators

page = ctg_ui.require_data()
data, annee = page.data, page.annee

st.title("Enfance-jeunesse")
st.markdown("Les accueils de loisirs sans hébergement (ALSH) : places ouvertes pour 100 enfants "
            "de l'âge accueilli, par période, et fréquentation.")
st.info("**Indicateur local**, propre à ce tableau de bord : il n'existe pas de taux de "
        "couverture ALSH national officiel. Il se compare d'une année à l'autre sur le "
        "territoire, pas avec d'autres territoires.", icon=":material/info:")

coverage = ctg_ui.computed(page, indicators.alsh_coverage)
st.header(f"Couverture par période, {annee}", anchor="couverture")
ctg_ui.chart_block("alsh_couverture", page,
                   alertes=[a for a in coverage["approximations"].dropna()])
if coverage.empty:
    st.info(f"La feuille ALSH ne contient aucune ligne pour {annee}.", icon=":material/info:")
else:
    ctg_ui.spec_table("alsh", page, key="alsh", alsh=coverage)

st.header("Fréquentation", anchor="frequentation")
ctg_ui.chart_block("alsh_remplissage", page)
ctg_ui.methodology(("taux_remplissage_alsh",), title="Méthodologie du taux de remplissage")
st.caption(definitions.get("couverture_alsh").note)

# Charts the registry gives this page and that it has not placed above.
ctg_ui.other_charts("enfance_jeunesse", page)
