"""Offre et besoins: the coverage rate of the under-3s and its components against the national
and département references of the same year, its evolution, the places missing to reach the
target the comité sets, the RPE and waiting-list ratios, and the needs sheet."""

import streamlit as st

import ctg_ui
from ctg_data import definitions, indicators
from ctg_data import formatting as fmt
from ctg_data import references as refmod

page = ctg_ui.require_data()
data, annee, refs = page.data, page.annee, page.references

st.title("Offre et besoins")
st.markdown("L'offre d'accueil des enfants de moins de 3 ans rapportée aux besoins : taux de "
            "couverture, comparaisons, places manquantes et demandes en attente.")

# --- Target --------------------------------------------------------------------------------
cible = ctg_ui.target_input("cible")
cov = ctg_ui.computed(page, indicators.coverage, cible=cible)
prev = ctg_ui.computed(page, indicators.previous_coverage)

# --- Key figures ---------------------------------------------------------------------------
st.header(f"Taux de couverture {annee}", anchor="taux")
if cov.taux.get("global") is None:
    st.warning("Le taux de couverture ne peut pas être calculé pour cette année : "
               + ("; ".join(cov.alertes) or "données de population ou d'offre absentes."),
               icon=":material/warning:")
st.caption("En places pour 100 enfants de moins de 3 ans.")
cols = st.columns(4)
labels = (("global", "Taux de couverture global"), ("eaje", "Accueil collectif (EAJE)"),
          ("individuel", "Accueil individuel"), ("prescolarisation", "Préscolarisation"))
for col, (key, label) in zip(cols, labels):
    with col:
        ctg_ui.rate_metric(label, key, cov, prev,
                           help=definitions.get(f"taux_couverture_{key}").definition)
cols = st.columns(4)
with cols[0]:
    ctg_ui.metric(f"Enfants de moins de 3 ans ({cov.annee_population or annee})",
                  fmt.fr_number(cov.enfants_moins_3_ans))
with cols[1]:
    ctg_ui.metric("Places comptées dans le taux", fmt.fr_number(cov.places.get("total")))
with cols[2]:
    ctg_ui.metric(f"Places manquantes (cible {fmt.fr_target(cible)})",
                  fmt.fr_number(cov.places_manquantes),
                  help=definitions.get("places_manquantes").definition)
with cols[3]:
    ctg_ui.metric("Offre hors territoire",
                  fmt.fr_number(cov.places.get("hors_territoire")),
                  help=definitions.get("hors_territoire").definition
                  + " Ces places ne sont pas comptées dans le taux.")
for alerte in cov.problems:
    # EAJE neither PSU nor PAJE: offer outside the Cnaf-comparable rate, named (issue 10 §6).
    if alerte.code == "couverture_financement_autre":
        st.warning(fmt.escape_md(alerte.message) + f" Total : "
                   f"{fmt.fr_count(cov.places.get('hors_taux_autre'), 'place')} hors du taux.",
                   icon=":material/warning:")
st.caption("Taux théorique : une place peut être vacante ou partagée par plusieurs enfants à "
           "temps partiel, et un enfant peut occuper deux places. Offre comptée au 31 décembre. "
           "Évolutions à composantes égales : un mode d'accueil non renseigné l'année comparée "
           "n'entre pas dans la comparaison (détail dans l'aide de chaque chiffre).")
ctg_ui.methodology(("taux_couverture_global", "taux_couverture_eaje",
                    "taux_couverture_individuel", "taux_couverture_prescolarisation",
                    "places_manquantes", "hors_territoire"),
                   alertes=cov.alertes, detail=cov.detail)

ctg_ui.chart_block("places_modes", page, cible=cible)

# --- References ----------------------------------------------------------------------------
st.header("Comparaison avec les références", anchor="references")
ctg_ui.chart_block("couverture_references", page, cible=cible)
comparison = ctg_ui.computed(page, refmod.comparison, references=refs)
ctg_ui.spec_table("couverture_references", page, key="comparaison_taux", references=refs,
                  comparison=comparison)
if len(comparison) < 2:
    st.info(f"Aucune valeur de référence publiée pour {annee} : importez les taux de couverture "
            "de la Caf (data.caf.fr, fichiers txcouv_pe_*) depuis la page Données.",
            icon=":material/info:")
st.caption("Le taux du territoire est calculé par l'application à partir du classeur ; les "
           "valeurs de référence sont publiées par la Cnaf pour la même année. Les séries ont été "
           "révisées vers 2018-2020 : comparer des éditions différentes demande de la prudence.")

st.header("Évolution", anchor="evolution")
ctg_ui.chart_block("couverture_evolution", page, cible=cible)

st.header("Places manquantes", anchor="places-manquantes")
ctg_ui.chart_block("places_manquantes", page, cible=cible)

# --- Ratios --------------------------------------------------------------------------------
st.header("Relais petite enfance et demandes en attente", anchor="ratios")
cols = st.columns(2)
with cols[0]:
    ctg_ui.metric("Assistantes maternelles par ETP d'animation du RPE",
                  fmt.fr_number(cov.am_par_etp_rpe, 1),
                  help=definitions.get("am_par_etp_rpe").definition
                  + " Objectif de la COG 2018-2022 : 1 ETP pour 70 assistantes maternelles.")
with cols[1]:
    ctg_ui.metric("Demandes d'accueil en attente pour 100 enfants de moins de 3 ans",
                  fmt.fr_number(cov.demandes_pour_100, 1),
                  help=definitions.get("demandes_pour_100").definition)
ctg_ui.chart_block("rpe_attente", page, cible=cible)
ctg_ui.chart_block("assistantes_maternelles", page, cible=cible)

# --- Needs ---------------------------------------------------------------------------------
st.header("Besoins exprimés", anchor="besoins")
ctg_ui.spec_table("besoins", page, key="besoins",
                  empty="La feuille Besoins est vide : résultats d'enquêtes, listes d'attente et "
                        "besoins repérés s'y saisissent (une ligne par observation).")

# Charts the registry gives this page and that it has not placed above.
ctg_ui.other_charts("offre_besoins", page, cible=cible)
