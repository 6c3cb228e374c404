"""Évaluation par axe: the convention's evaluation table of each axis (annex 6), the computed
achievement and band of each indicator, a summary per axis, and the form where the chef de
projet enters a year's value, the results obtained, the analysis and the status."""

import streamlit as st

import ctg_ui
from ctg_data import editing, indicators, plan_views
from ctg_data import formatting as fmt
from ctg_data.schemas import STATUTS_ACTION

page = ctg_ui.require_data()
data, annee = page.data, page.annee

st.title("Évaluation par axe")
st.caption(f"Niveau d'atteinte de chaque indicateur avec la dernière valeur connue en {annee} "
           "(année choisie dans la barre latérale). Atteinte = (dernière valeur − référence) / "
           "(cible − référence). " + indicators.band_explanation())

status = ctg_ui.computed(page, indicators.plan_status)
if status.empty:
    ctg_ui.empty_state("Le plan d'action de ce territoire est vide.")

st.header("Synthèse par axe")
ctg_ui.spec_table("synthese_axes", page, key="ev_synthese", status=status)
ctg_ui.chart_block("plan_axes", page, key="ev_plan_axes", with_references=False)

for number, axe in enumerate(plan_views.axes(data), start=1):
    st.header(fmt.escape_md(axe))
    st.subheader("Tableau d'évaluation")
    ctg_ui.spec_table("evaluation_axe", page, key=f"ev_tableau_{number}", text=True,
                      fields={"axe": axe, "numero": number}, status=status, axe=axe)
    st.subheader("Indicateurs : valeurs, cibles et atteinte")
    ctg_ui.spec_table("indicateurs_axe", page, key=f"ev_valeurs_{number}",
                      fields={"axe": axe, "numero": number}, status=status, axe=axe)

if not ctg_ui.editing_allowed():
    st.stop()

st.header("Saisir les résultats d'un indicateur")
choices = editing.plan_row_choices(data)
left, right = st.columns([3, 1])
row = left.selectbox("Indicateur", list(choices), format_func=choices.get, key="ev_indicateur")
st.session_state.setdefault("ev_annee", editing.entry_year(data, annee))
year = right.number_input("Année de la valeur", min_value=1990, max_value=2100, step=1,
                          key="ev_annee")
plan_row = data.table("plan_action").iloc[row]
ctg_ui.form_values("ev", (data.code, page.version_id, row, year), {
    "ev_valeur": editing.raw_text(plan_row.get(str(year))),
    "ev_resultats": editing.raw_text(plan_row["resultats_obtenus"]),
    "ev_analyse": editing.raw_text(plan_row["analyse"]),
    "ev_statut": editing.raw_text(plan_row["statut"]),
})
with st.form("ev_formulaire", border=True):
    unite = editing.raw_text(plan_row["unite"])
    st.text_input(f"Valeur observée en {year}"
                  + (f" ({fmt.escape_md(unite)})" if unite else ""),
                  key="ev_valeur", help="Un nombre (ex. 12 ou 12,5) ; vide si non connue.")
    st.text_area("Résultats obtenus", key="ev_resultats", height=90)
    st.text_area("Analyse globale", key="ev_analyse", height=110)
    st.selectbox("Statut", ["", *STATUTS_ACTION], key="ev_statut",
                 format_func=lambda s: s or "—")
    # An unusual value (more than 10 times the previous one…) is saved once confirmed.
    if st.session_state.get("_ev_a_confirmer") == (row, year):
        st.checkbox(editing.CONFIRM_LABEL, key="ev_confirmer",
                    help="La valeur saisie sort de l'ordre de grandeur habituel : cochez si "
                         "elle est juste, puis enregistrez à nouveau.")

    def build(d, row=row, year=year):
        edit = editing.update_plan_row(d, row, {
            str(year): st.session_state["ev_valeur"],
            "resultats_obtenus": st.session_state["ev_resultats"],
            "analyse": st.session_state["ev_analyse"],
            "statut": st.session_state["ev_statut"]},
            confirmed=bool(st.session_state.get("ev_confirmer")))
        st.session_state["_ev_a_confirmer"] = (row, year) if edit.needs_confirmation else None
        return edit
    ctg_ui.save_button("Enregistrer", "ev", build,
                       f"Résultats de l'indicateur enregistrés ({year})", key="ev_enregistrer")
ctg_ui.edit_feedback("ev")
ctg_ui.history_expander(data, "plan_action", row, key="ev")

# Charts the registry gives this page and that it has not placed above.
ctg_ui.other_charts("evaluation", page, with_references=False)
