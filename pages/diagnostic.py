"""Diagnostic partagé (annex 4 of the convention): population and births, age bands, family
structures, activity, income and poverty, allocataires — each against the reference levels
available, with its source and year — the map of the structures and their inventory."""

import json

import pandas as pd
import streamlit as st

import ctg_ui
from ctg_data import definitions, indicators, references as refmod

data = ctg_ui.require_data()
annee = ctg_ui.require_year(data)
refs = ctg_ui.references()

st.title("Diagnostic partagé")
st.markdown(f"Portrait du territoire de **{ctg_ui.escape_md(data.nom)}** pour l'année "
            f"{annee} : chaque graphique indique sa source et l'année des données, et se compare "
            "aux niveaux de référence disponibles (EPCI, département, France).")

st.header("Population et naissances", anchor="population")
ctg_ui.chart_block("population", data, annee, refs)

st.header("Enfants et jeunes par tranche d'âge", anchor="tranches-age")
ctg_ui.chart_block("tranches_age", data, annee, refs)

st.header("Structures familiales", anchor="familles")
ctg_ui.chart_block("familles", data, annee, refs)

st.header("Activité, revenus et pauvreté", anchor="activite-revenus")
ctg_ui.chart_block("taux_comparaison", data, annee, refs)
ctg_ui.chart_block("revenu", data, annee, refs)

st.header("Allocataires de la Caf", anchor="allocataires")
ctg_ui.chart_block("allocataires", data, annee, refs)

# --- Comparison table ------------------------------------------------------------------------
st.header("Le territoire et ses niveaux de référence", anchor="comparaison")
comparison = refmod.portrait_comparison(data, annee, refs)
codes = [c for c in comparison.columns if c in definitions.BY_CODE]
if not codes:
    st.info(f"Aucun indicateur du portrait n'est renseigné pour {annee}.")
else:
    # One row per indicator, one column per level: units differ from row to row.
    levels = list(comparison["libelle"])
    rows, shown = [], []
    for code in codes:
        d = definitions.get(code)
        values = dict(zip(levels, comparison[code]))
        rows.append({"Indicateur": d.libelle, "Unité": d.unite, **values})
        shown.append({"Indicateur": d.libelle, "Unité": d.unite,
                      **{k: ctg_ui.format_indicator(v, code) for k, v in values.items()}})
    table = pd.DataFrame(rows)
    for level in levels:
        table[level] = table[level].astype("float64")
    ctg_ui.table_block(table, f"portrait-{annee}", key="portrait", display=pd.DataFrame(shown),
                       formats={level: "decimal" for level in levels},
                       title=f"Portrait du territoire et niveaux de référence, {annee}",
                       source="; ".join(f"{lib} : {src}" for lib, src in
                                        zip(levels, comparison["source"])))
    for lib, src, edition in zip(levels, comparison["source"], comparison["edition"]):
        st.caption(ctg_ui.escape_md(f"{lib} — source : {src}"
                                    + (f", édition {edition}" if edition else "")
                                    + f" ; année {annee}."))

# --- Map and inventory -----------------------------------------------------------------------
st.header("Carte des structures", anchor="carte")
if not ctg_ui.presentation():
    contour = st.file_uploader("Contour de la commune (GeoJSON, facultatif)",
                               type=["geojson", "json"], key="contour_fichier",
                               help="Le contour est gardé pour la session ; aucune carte en ligne "
                                    "n'est utilisée.")
    if contour is not None:
        try:
            st.session_state["contour"] = json.loads(contour.getvalue().decode("utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            st.session_state["contour"] = None
            st.error(f"Le fichier « {ctg_ui.escape_md(contour.name)} » n'est pas un GeoJSON "
                     "lisible.")
ctg_ui.chart_block("carte_structures", data, annee, refs,
                   contour=st.session_state.get("contour"))

st.header("Inventaire des structures", anchor="inventaire")
structures = indicators.structures_of_year(data, annee)
if structures.empty:
    st.info(f"Aucune structure ouverte en {annee} dans la feuille Équipements.")
else:
    inventory = (structures[["type", "gestionnaire", "nom", "places", "financement", "commune",
                             "adresse", "age_min", "age_max"]]
                 .sort_values(["type", "gestionnaire", "nom"], na_position="last")
                 .rename(columns={"type": "Type", "gestionnaire": "Gestionnaire", "nom": "Nom",
                                  "places": "Places", "financement": "Financement",
                                  "commune": "Commune", "adresse": "Adresse",
                                  "age_min": "Âge min", "age_max": "Âge max"}))
    inventory["Commune"] = inventory["Commune"].where(inventory["Commune"].notna(),
                                                      data.nom)
    ctg_ui.table_block(inventory.reset_index(drop=True), f"structures-{annee}",
                       formats={"Places": "int", "Âge min": "number", "Âge max": "number"},
                       key="inventaire", title=f"Structures ouvertes au 31 décembre {annee}",
                       source="Classeur CTG, feuille Équipements")
    st.caption("Structures ouvertes au 31 décembre de l'année (date de référence de la Cnaf). "
               "Une commune vide dans le classeur désigne le territoire lui-même.")
