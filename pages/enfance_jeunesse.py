"""Enfance-jeunesse: ALSH places per 100 children by period and age band, attendance and fill
rate — a local indicator, labelled as such (no official national reference exists)."""

import pandas as pd
import streamlit as st

import ctg_ui
from ctg_data import definitions, indicators

data = ctg_ui.require_data()
annee = ctg_ui.require_year(data)
refs = ctg_ui.references()

st.title("Enfance-jeunesse")
st.markdown("Les accueils de loisirs sans hébergement (ALSH) : places ouvertes pour 100 enfants "
            "de l'âge accueilli, par période, et fréquentation.")
st.info("**Indicateur local**, propre à ce tableau de bord : il n'existe pas de taux de "
        "couverture ALSH national officiel. Il se compare d'une année à l'autre sur le "
        "territoire, pas avec d'autres territoires.", icon=":material/info:")

coverage = indicators.alsh_coverage(data, annee)
st.header(f"Couverture par période, {annee}", anchor="couverture")
ctg_ui.chart_block("alsh_couverture", data, annee, refs,
                   alertes=[a for a in coverage["approximations"].dropna()])
if coverage.empty:
    st.info(f"La feuille ALSH ne contient aucune ligne pour {annee}.", icon=":material/info:")
else:
    table = pd.DataFrame({
        "Période": coverage["periode"], "Tranche d'âge": coverage["tranche"],
        "Structures": coverage["structures"], "Places": coverage["places"],
        "Enfants de la tranche": coverage["enfants"],
        "Places pour 100 enfants": coverage["couverture"],
        "Jours d'ouverture": coverage["jours_ouverture"],
        "Enfants accueillis": coverage["enfants_accueillis"],
        "Heures réalisées": coverage["heures_realisees"],
        "Heures offertes": coverage["heures_offertes"],
        # Not « % »: where hours are missing the value is children per 100 places, which
        # passes 100 and is not an occupancy rate (the next column says which measure).
        "Remplissage (pour 100)": coverage["taux_remplissage"],
        "Mesure du remplissage": coverage["mesure_remplissage"],
        "Approximations": coverage["approximations"]})
    ctg_ui.table_block(table, f"alsh-{annee}", key="alsh", formats={
        "Places": "int", "Enfants de la tranche": "int", "Places pour 100 enfants": "rate",
        "Jours d'ouverture": "int", "Enfants accueillis": "int", "Heures réalisées": "int",
        "Heures offertes": "int", "Remplissage (pour 100)": "rate"},
        title=f"ALSH : couverture et fréquentation par période, {annee}",
        source="Classeur CTG (feuilles ALSH et Population) ; indicateur local",
        counts=("Enfants de la tranche", "Enfants accueillis"))

st.header("Fréquentation", anchor="frequentation")
ctg_ui.chart_block("alsh_remplissage", data, annee, refs)
ctg_ui.methodology(("taux_remplissage_alsh",), title="Méthodologie du taux de remplissage")
st.caption(definitions.get("couverture_alsh").note)
