"""Pilotage: the calendar of the comités (technique, pilotage, groupes thématiques) with their
participants, agenda, decisions and follow-up, the next meeting and the decisions still open;
forms to add a comité and its decisions and to mark a decision done."""

import datetime as dt

import streamlit as st

import ctg_ui
from ctg_data import charts, editing, plan_views
from ctg_data import formatting as fmt
from ctg_data.schemas import INSTANCES, STATUTS_DECISION

page = ctg_ui.require_data(year=False)
data = page.data
st.title("Pilotage")
st.caption("Comité technique 3 à 4 fois par an, comité de pilotage une fois par an "
           "(annexe 2 de la convention).")
today = dt.date.today()

nxt = plan_views.next_comite(data, today)
if nxt:
    st.info(f"**Prochaine réunion : {fmt.escape_md(nxt['instance'])} le "
            f"{fmt.fr_date(nxt['date'])}**"
            + (f" — {fmt.escape_md(nxt['lieu'])}" if nxt.get("lieu") else "")
            + (f"  \nOrdre du jour : {fmt.escape_md(nxt['ordre_du_jour'])}"
               if nxt.get("ordre_du_jour") else ""), icon=":material/event:")
else:
    st.info("Aucune réunion à venir n'est enregistrée.", icon=":material/event_busy:")

st.header("Décisions en cours")
pending = plan_views.open_decisions(data, today)
if pending.empty:
    st.caption("Aucune décision ouverte.")
else:
    # « Échéance dépassée » depends on the day: the day is part of what the table is kept for.
    ctg_ui.spec_table("decisions_ouvertes", page, key="pi_ouvertes", decisions=pending,
                      today=today, jour=today.isoformat())

st.header("Calendrier des comités")
calendar = plan_views.comites_calendar(data)
if calendar.empty:
    st.caption("Aucun comité enregistré.")
else:
    figure = charts.comites_figure(data, calendar, today.isoformat(),
                                   version_date=page.updated_at)
    ctg_ui.figure_block(figure, data, "comites", key="pi_calendrier")
    ctg_ui.spec_table("comites", page, key="pi_comites", calendar=calendar)

if not ctg_ui.editing_allowed():
    st.stop()

st.header("Suivre une décision")
decisions = data.table("decisions")
if decisions.empty:
    st.caption("Aucune décision enregistrée.")
else:
    labels = editing.decision_choices(data)
    open_rows = [int(r) for r in pending["row"]]
    ordered = open_rows + [r for r in labels if r not in open_rows]
    row = st.selectbox("Décision", ordered, format_func=labels.get, key="pi_decision")
    current = decisions.iloc[row]
    ctg_ui.form_values("pi_suivi", (data.code, page.version_id, row), {
        "pi_statut": editing.raw_text(current["statut"]) or "Ouverte",
        "pi_suivi": editing.raw_text(current["suivi"]),
    })
    with st.form("pi_formulaire_suivi"):
        st.selectbox("Statut", list(STATUTS_DECISION), key="pi_statut")
        st.text_area("Suivi", key="pi_suivi", height=80)
        ctg_ui.save_button(
            "Enregistrer le suivi", "pi_suivi",
            lambda d, row=row: editing.set_decision_status(
                d, row, st.session_state["pi_statut"], st.session_state["pi_suivi"]),
            "Suivi de la décision enregistré", key="pi_enregistrer_suivi",
            icon=":material/task_alt:")
    ctg_ui.edit_feedback("pi_suivi")
    ctg_ui.history_expander(data, "decisions", row, key="pi_decision")

comites_rows = data.table("comites")
if not comites_rows.empty:
    st.header("Compléter un comité")
    order = list(comites_rows.sort_values("date", ascending=False, kind="stable").index)
    names = editing.comite_choices(data)
    crow = st.selectbox("Comité", [int(i) for i in order], key="pi_comite",
                        format_func=lambda i: names.get(
                            editing.raw_text(comites_rows.at[i, "date"]), str(i)))
    ctg_ui.form_values("pi_comite_edition", (data.code, page.version_id, crow), {
        f"pi_e_{k}": editing.raw_text(comites_rows.at[crow, k])
        for k in ("lieu", "participants", "ordre_du_jour", "compte_rendu")})
    with st.form("pi_formulaire_comite_edition"):
        st.text_input("Lieu", key="pi_e_lieu")
        st.text_area("Participants", key="pi_e_participants", height=70)
        st.text_area("Ordre du jour", key="pi_e_ordre_du_jour", height=70)
        st.text_area("Compte rendu", key="pi_e_compte_rendu", height=90)
        ctg_ui.save_button(
            "Enregistrer le comité", "pi_comite",
            lambda d, crow=crow: editing.update_comite(d, crow, {
                k: st.session_state[f"pi_e_{k}"]
                for k in ("lieu", "participants", "ordre_du_jour", "compte_rendu")}),
            "Comité enregistré", key="pi_enregistrer_comite")
    ctg_ui.edit_feedback("pi_comite")
    ctg_ui.history_expander(data, "comites", crow, key="pi_comite")


def iso(value) -> str:
    return value.isoformat() if value else ""


def new_comite(d):
    return editing.add_comite(d, {
        "date": iso(st.session_state["pi_c_date"]),
        "instance": st.session_state["pi_c_instance"],
        "lieu": st.session_state["pi_c_lieu"],
        "participants": st.session_state["pi_c_participants"],
        "ordre_du_jour": st.session_state["pi_c_ordre_du_jour"],
        "compte_rendu": st.session_state["pi_c_compte_rendu"]})


def new_decision(d):
    return editing.add_decision(d, {
        "date_comite": st.session_state["pi_d_comite"],
        "decision": st.session_state["pi_d_decision"],
        "responsable": st.session_state["pi_d_responsable"],
        "echeance": iso(st.session_state["pi_d_echeance"])})


left, right = st.columns(2)
with left:
    st.header("Ajouter un comité")
    ctg_ui.form_values("pi_nouveau_comite", (data.code, page.version_id), {
        "pi_c_date": today, "pi_c_instance": INSTANCES[0], "pi_c_lieu": "",
        "pi_c_participants": "", "pi_c_ordre_du_jour": "", "pi_c_compte_rendu": ""})
    with st.form("pi_formulaire_comite"):
        st.date_input("Date *", key="pi_c_date", format="DD/MM/YYYY")
        st.selectbox("Instance *", list(INSTANCES), key="pi_c_instance")
        st.text_input("Lieu", key="pi_c_lieu")
        st.text_area("Participants", key="pi_c_participants", height=70)
        st.text_area("Ordre du jour", key="pi_c_ordre_du_jour", height=70)
        st.text_area("Compte rendu", key="pi_c_compte_rendu", height=70)
        ctg_ui.save_button("Ajouter le comité", "pi_nouveau_comite", new_comite, "Comité ajouté",
                           key="pi_ajouter_comite", icon=":material/add:")
    ctg_ui.edit_feedback("pi_nouveau_comite")

with right:
    st.header("Ajouter une décision")
    comites = editing.comite_choices(data)
    if not comites:
        st.caption("Ajoutez d'abord le comité qui prend la décision.")
    else:
        dates = list(comites)[::-1]  # most recent comité first
        ctg_ui.form_values("pi_decision_nouvelle", (data.code, page.version_id), {
            "pi_d_comite": dates[0], "pi_d_decision": "", "pi_d_responsable": "",
            "pi_d_echeance": None})
        with st.form("pi_formulaire_decision"):
            st.selectbox("Comité *", dates, format_func=comites.get, key="pi_d_comite")
            st.text_area("Décision *", key="pi_d_decision", height=70)
            st.text_input("Responsable", key="pi_d_responsable")
            st.date_input("Échéance", key="pi_d_echeance", format="DD/MM/YYYY")
            ctg_ui.save_button("Ajouter la décision", "pi_nouvelle_decision", new_decision,
                               "Décision ajoutée", key="pi_ajouter_decision",
                               icon=":material/add:")
        ctg_ui.edit_feedback("pi_nouvelle_decision")
