"""Fiches actions: every field of one action's fiche and its indicators, each with its series
against the reference and the target; a form to enter a year's value (the chart follows), and
forms to edit the fiche or add a new action."""

import streamlit as st

import ctg_ui
from ctg_data import charts, editing, plan_views
from ctg_data import formatting as fmt
from ctg_data.model import plan_years
from ctg_data.schemas import FICHES_ACTIONS

page = ctg_ui.require_data()
data, annee = page.data, page.annee
st.title("Fiches actions")

numbers = plan_views.fiche_numbers(data)
if not numbers and not ctg_ui.editing_allowed():
    ctg_ui.empty_state("Aucune fiche action n'est encore saisie pour ce territoire.")


def fiche_title(numero: str) -> str:
    return plan_views.action_label(numero, plan_views.fiche(data, numero)["intitule"])


if numbers:
    numero = st.selectbox("Action", numbers, format_func=fiche_title, key="fa_fiche")
    fiche = plan_views.fiche(data, numero)
    st.header(fmt.escape_md(fiche_title(numero)))
    if fiche["axe"]:
        st.caption(fmt.escape_md(fiche["axe"]))
    if not fiche["exists"]:
        st.info("Cette action figure au plan d'action mais n'a pas encore de fiche : "
                "complétez-la ci-dessous.", icon=":material/info:")
    left, right = st.columns(2)
    for i, (label, text) in enumerate(fiche["fields"]):
        with (left if i % 2 == 0 else right):
            st.markdown(f"**{fmt.escape_md(label)}**")
            st.markdown(fmt.escape_md(text) if text else "—")

    st.subheader("Indicateurs de l'action")
    status = plan_views.fiche_indicators(data, numero, annee)
    plan = data.table("plan_action")
    years = plan_years(plan)
    if status.empty:
        st.caption("Aucun indicateur n'est rattaché à cette action dans le plan d'action.")
    for r in status.to_dict("records"):
        row = int(r["row"])
        st.markdown(f"**{fmt.escape_md(r['indicateur'])}** — "
                    f"{plan_views.direction_text(r['sens'])}")
        if plan_views.is_numeric_indicator(data, row):
            plan_row = plan.iloc[row].to_dict()
            dated = {"version_date": page.updated_at}
            fig = charts.plan_indicator_figure(r, plan_row, years, **dated)
            ctg_ui.figure_block(
                fig, data, f"indicateur_{numero}_{row}", key=f"fa_graphique_{row}",
                # The downloaded images hide small counts of people (statistical secrecy).
                export=lambda r=r, plan_row=plan_row: charts.plan_indicator_figure(
                    r, plan_row, years, secret=True, **dated))
        else:
            st.caption(f"Indicateur suivi par son statut : {r['statut'] or '—'}.")

    # The value form lists the indicators followed by numbers, in chart order; the others
    # follow their status (page Évaluation par axe).
    rows = [int(r) for r in status["row"] if plan_views.is_numeric_indicator(data, int(r))]
    if ctg_ui.editing_allowed() and rows:
        st.subheader("Saisir une valeur")
        labels = dict(zip(status["row"].astype(int), status["indicateur"].map(editing.raw_text)))
        a, b = st.columns([3, 1])
        row = a.selectbox("Indicateur", rows, format_func=labels.get, key="fa_indicateur")
        st.session_state.setdefault("fa_annee", editing.entry_year(data, annee))
        year = b.number_input("Année", min_value=1990, max_value=2100, step=1, key="fa_annee")
        ctg_ui.form_values("fa_valeur", (data.code, page.version_id, row, year),
                           {"fa_valeur": editing.raw_text(plan.iloc[row].get(str(year)))})
        with st.form("fa_formulaire_valeur"):
            unite = editing.raw_text(plan.iloc[row]["unite"])
            st.text_input(f"Valeur observée en {year}"
                          + (f" ({fmt.escape_md(unite)})" if unite else ""),
                          key="fa_valeur", help="Un nombre (ex. 12 ou 12,5) ; vide si non connue.")
            # An unusual value (more than 10 times the previous one…) is saved once confirmed.
            if st.session_state.get("_fa_a_confirmer") == (row, year):
                st.checkbox(editing.CONFIRM_LABEL, key="fa_confirmer",
                            help="La valeur saisie sort de l'ordre de grandeur habituel : "
                                 "cochez si elle est juste, puis enregistrez à nouveau.")

            def build(d, row=row, year=year):
                edit = editing.set_indicator_value(
                    d, row, year, st.session_state["fa_valeur"],
                    confirmed=bool(st.session_state.get("fa_confirmer")))
                st.session_state["_fa_a_confirmer"] = \
                    (row, year) if edit.needs_confirmation else None
                return edit
            ctg_ui.save_button("Enregistrer la valeur", "fa_valeur", build,
                               f"Valeur {year} enregistrée", key="fa_enregistrer")
        ctg_ui.edit_feedback("fa_valeur")
        ctg_ui.history_expander(data, "plan_action", row, key="fa_indicateur")
    elif ctg_ui.editing_allowed() and not status.empty:
        st.caption("Les indicateurs de cette action sont suivis par leur statut : saisissez-le "
                   "sur la page Évaluation par axe.")

if not ctg_ui.editing_allowed():
    st.stop()

FIELDS = [c for c in FICHES_ACTIONS.columns]
LONG = {"cadre_strategique", "objectif_strategique", "objectifs_operationnels", "moyens",
        "resultats_attendus", "modalites", "partenaires"}


def fiche_inputs(prefix: str) -> None:
    for column in FIELDS:
        key = f"{prefix}_{column.key}"
        label = column.label + (" *" if column.required else "")
        if column.key in LONG:
            st.text_area(label, key=key, height=80)
        else:
            st.text_input(label, key=key, help=column.help)


def fiche_fields(prefix: str) -> dict:
    return {c.key: st.session_state[f"{prefix}_{c.key}"] for c in FIELDS}


if numbers:
    fiches = data.table("fiches_actions")
    found = fiches[fiches["numero_action"].astype(str) == str(numero)]
    if len(found):
        with st.expander("Modifier la fiche", icon=":material/edit:"):
            current = found.iloc[0]
            ctg_ui.form_values("fa_modif", (data.code, page.version_id, numero),
                               {f"fa_m_{c.key}": editing.raw_text(current[c.key]) for c in FIELDS})
            with st.form("fa_formulaire_fiche"):
                fiche_inputs("fa_m")
                ctg_ui.save_button(
                    "Enregistrer la fiche", "fa_modif",
                    lambda d, numero=numero: editing.update_fiche(d, numero, fiche_fields("fa_m")),
                    "Fiche action enregistrée", key="fa_enregistrer_fiche")
            ctg_ui.edit_feedback("fa_modif")
            ctg_ui.history_expander(data, "fiches_actions", int(found.index[0]),
                                    key="fa_fiche", title="Historique de la fiche")

with st.expander("Nouvelle action (fiche)", icon=":material/add:"):
    ctg_ui.form_values("fa_nouvelle", (data.code, page.version_id),
                       {f"fa_n_{c.key}": "" for c in FIELDS})
    with st.form("fa_formulaire_nouvelle"):
        fiche_inputs("fa_n")
        st.caption("Ajoutez ensuite ses indicateurs depuis la page Plan d'action.")
        ctg_ui.save_button("Ajouter la fiche", "fa_nouvelle",
                           lambda d: editing.add_fiche(d, fiche_fields("fa_n")),
                           "Fiche action ajoutée", key="fa_ajouter_fiche", icon=":material/add:")
    ctg_ui.edit_feedback("fa_nouvelle")
