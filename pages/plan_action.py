"""Plan d'action: the plan as a tree (champ → axe → action → indicateurs) and as a timeline over
the years of the convention, each action with its status and achievement band, filtered by
axis, field, status and referent; a form to add or edit an indicator."""

import streamlit as st

import ctg_ui
from ctg_data import charts, editing, plan_views
from ctg_data import formatting as fmt
from ctg_data.schemas import PLAN_ACTION

page = ctg_ui.require_data()
data, annee = page.data, page.annee
st.title("Plan d'action")
debut, fin = data.ctg_years()
periode = f"CTG {debut}-{fin}" if debut and fin else "période de la CTG non renseignée"
st.caption(f"{periode} — statut et niveau d'atteinte avec les valeurs connues en {annee}.")

plan = data.table("plan_action")
if plan.empty:
    if not ctg_ui.editing_allowed():
        ctg_ui.empty_state("Le plan d'action de ce territoire est vide.")
    st.info("Le plan d'action est vide : ajoutez un premier indicateur ci-dessous, ou importez "
            "le classeur CTG depuis la page Données.", icon=":material/info:")

if not plan.empty:
    options = plan_views.filter_choices(data)
    cols = st.columns(4)
    filters = dict(
        axe=cols[0].multiselect("Axe", options["axe"], key="pa_axe", placeholder="Tous"),
        champ=cols[1].multiselect("Champ d'intervention", options["champ"], key="pa_champ",
                                  placeholder="Tous"),
        statut=cols[2].multiselect("Statut", options["statut"], key="pa_statut",
                                   placeholder="Tous"),
        referent=cols[3].multiselect("Référent", options["referent"], key="pa_referent",
                                     placeholder="Tous"),
    )
    # Kept per stored version, year and filters: a rerun after a click recomputes nothing.
    overview = plan_views.filter_plan(ctg_ui.computed(page, plan_views.actions_overview),
                                      **filters)

    bands = overview["niveau"].value_counts()
    metrics = st.columns(5)
    metrics[0].metric("Actions", fmt.fr_number(len(overview)))
    for column, band in zip(metrics[1:], fmt.BANDS):
        column.metric(fmt.band_label(band), fmt.fr_number(int(bands.get(band, 0))),
                      help="Actions dont l'indicateur le moins avancé est à ce niveau.")

    st.header("Calendrier")
    timeline = ctg_ui.stored_result(
        ("plan_calendrier",),
        lambda: charts.action_timeline_figure(data, overview, version_date=page.updated_at),
        data, annee, options=filters)
    ctg_ui.figure_block(timeline, data, "plan_calendrier", key="pa_calendrier")

    st.header("Arbre du plan")
    tree = ctg_ui.computed(page, plan_views.plan_tree_with_values, **filters)
    if not tree:
        st.info("Aucune action ne correspond aux filtres choisis.", icon=":material/filter_alt:")
    for champ in tree:
        st.subheader(fmt.escape_md(champ["champ"]))
        for axe in champ["axes"]:
            st.markdown(f"**{fmt.escape_md(axe['axe'])}**")
            for action in axe["actions"]:
                label = (f"{fmt.band_label(action['niveau'])} · "
                         f"{plan_views.action_label(action['numero_action'], action['action'])}"
                         f" — {action['statut'] or 'statut non renseigné'}")
                with st.expander(fmt.escape_md(label)):
                    st.dataframe(action["valeurs"], hide_index=True, width="stretch")

if not ctg_ui.editing_allowed():
    st.stop()

st.header("Ajouter ou modifier un indicateur")
NEW = -1
choices = {NEW: "— Nouvel indicateur —"} | editing.plan_row_choices(data)
row = st.selectbox("Indicateur", list(choices), format_func=choices.get, key="pa_ligne")
EDITED = [c for c in PLAN_ACTION.columns if c.key not in ("resultats_obtenus", "analyse")]
LONG = {"resultats_attendus", "partenaires"}
if row == NEW:
    values = {f"pa_f_{c.key}": "" for c in EDITED}
    values["pa_f_sens"] = "Hausse"
else:
    values = {f"pa_f_{c.key}": editing.raw_text(plan.iloc[row][c.key]) for c in EDITED}
ctg_ui.form_values("pa", (data.code, page.version_id, row), values)
with st.form("pa_formulaire"):
    cols = st.columns(2)
    for i, column in enumerate(EDITED):
        key = f"pa_f_{column.key}"
        label = column.label + (" *" if column.required else "")
        with cols[i % 2]:
            if column.type == "choice":
                st.selectbox(label, ["", *column.choices], key=key,
                             format_func=lambda s: s or "—")
            elif column.key in LONG:
                st.text_area(label, key=key, height=80, help=column.help)
            else:
                st.text_input(label, key=key, help=column.help)
    st.caption("Les valeurs de chaque année, les résultats obtenus et l'analyse se saisissent "
               "sur les pages Fiches actions et Évaluation par axe.")


    def build(d, row=row):
        fields = {c.key: st.session_state[f"pa_f_{c.key}"] for c in EDITED}
        return (editing.add_plan_row(d, fields) if row == NEW
                else editing.update_plan_row(d, row, fields))
    ctg_ui.save_button("Enregistrer l'indicateur", "pa", build,
                       "Indicateur ajouté au plan" if row == NEW else "Indicateur enregistré",
                       key="pa_enregistrer")
ctg_ui.edit_feedback("pa")
if row != NEW:
    ctg_ui.history_expander(data, "plan_action", row, key="pa")
