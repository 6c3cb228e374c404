"""Diagnostic partagé (annex 4 of the convention): population and births, age bands, family
structures, activity, income and poverty, allocataires — each against the reference levels
available, with its source and year — the map of the structures and their inventory."""

import json

import streamlit as st

import ctg_ui
from ctg_data import formatting as fmt
from ctg_data import references as refmod

page = ctg_ui.require_data()
data, annee, refs = page.data, page.annee, page.references

st.title("Diagnostic partagé")
st.markdown(f"Portrait du territoire de **{fmt.escape_md(data.nom)}** pour l'année "
            f"{annee} : chaque graphique indique sa source et l'année des données, et se compare "
            "aux niveaux de référence disponibles (EPCI, département, France).")

st.header("Population et naissances", anchor="population")
ctg_ui.chart_block("population", page)

st.header("Enfants et jeunes par tranche d'âge", anchor="tranches-age")
ctg_ui.chart_block("tranches_age", page)

st.header("Structures familiales", anchor="familles")
ctg_ui.chart_block("familles", page)

st.header("Activité, revenus et pauvreté", anchor="activite-revenus")
ctg_ui.chart_block("taux_comparaison", page)
ctg_ui.chart_block("revenu", page)

st.header("Allocataires de la Caf", anchor="allocataires")
ctg_ui.chart_block("allocataires", page)

# --- Comparison table ------------------------------------------------------------------------
st.header("Le territoire et ses niveaux de référence", anchor="comparaison")
comparison = ctg_ui.computed(page, refmod.portrait_comparison, references=refs)
levels = list(comparison["libelle"])
table = ctg_ui.spec_table(
    "portrait", page, key="portrait", references=refs, comparison=comparison,
    source="; ".join(f"{lib} : {src}" for lib, src in zip(levels, comparison["source"])),
    empty=f"Aucun indicateur du portrait n'est renseigné pour {annee}.")
if not table.empty:
    for lib, src, edition in zip(levels, comparison["source"], comparison["edition"]):
        st.caption(fmt.escape_md(f"{lib} — source : {src}"
                                    + (f", édition {edition}" if edition else "")
                                    + f" ; année {annee}."))

# --- Map and inventory -----------------------------------------------------------------------
st.header("Carte des structures", anchor="carte")
if not page.presentation:
    contour = st.file_uploader("Contour de la commune (GeoJSON, facultatif)",
                               type=["geojson", "json"], key="contour_fichier",
                               help="Le contour est gardé pour la session ; aucune carte en ligne "
                                    "n'est utilisée.")
    if contour is not None:
        try:
            st.session_state["contour"] = json.loads(contour.getvalue().decode("utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            st.session_state["contour"] = None
            st.error(f"Le fichier « {fmt.escape_md(contour.name)} » n'est pas un GeoJSON "
                     "lisible.")
ctg_ui.chart_block("carte_structures", page, contour=st.session_state.get("contour"))

st.header("Inventaire des structures", anchor="inventaire")
inventory = ctg_ui.spec_table(
    "structures", page, key="inventaire",
    empty=f"Aucune structure ouverte en {annee} dans la feuille Équipements.")
if not inventory.empty:
    st.caption("Structures ouvertes au 31 décembre de l'année (date de référence de la Cnaf). "
               "Une commune vide dans le classeur désigne le territoire lui-même.")

# Charts the registry gives this page and that it has not placed above.
ctg_ui.other_charts("diagnostic", page)
