"""Scénarios: add or remove places of a given mode, change the number of children under 3,
and see the new coverage rate and gap beside today's — nothing is stored."""

import streamlit as st

import ctg_ui
from ctg_data import indicators
from ctg_data import formatting as fmt

page = ctg_ui.require_data()
data, annee = page.data, page.annee

st.title("Scénarios d'évolution de l'offre")
st.markdown("Que deviendrait le taux de couverture si l'on ouvrait ou fermait des places, ou si "
            "le nombre d'enfants de moins de 3 ans changeait ? **Rien n'est enregistré** : les "
            "données du territoire restent celles du classeur.")

today = indicators.coverage(data, annee)
MODES = (("eaje_psu", "EAJE financés par la PSU"),
         ("eaje_hors_psu", "Micro-crèches PAJE (hors PSU)"),
         ("am", "Assistantes maternelles"),
         ("gad", "Garde à domicile"),
         ("prescolarisation", "Préscolarisation à 2 ans"))
DELTA_KEYS = [f"delta_{mode}" for mode, _ in MODES]


def reset() -> None:
    # Forgetting the fields' values redraws the inputs at their initial values.
    for k in (*DELTA_KEYS, "enfants_scenario"):
        ctg_ui.reset_number_field(k)


# A scenario starts from one territory and year: another choice starts afresh.
if st.session_state.get("_scenario_base") != (data.code, annee):
    reset()
    st.session_state["_scenario_base"] = (data.code, annee)


st.header("Hypothèses", anchor="hypotheses")
st.markdown("Places ajoutées (+) ou retirées (−) par mode d'accueil :")
cols = st.columns(3)
delta = {}
for i, (mode, label) in enumerate(MODES):
    with cols[i % 3]:
        now = today.places.get(mode)
        delta[mode] = int(ctg_ui.number_field(
            label, f"delta_{mode}", value=0, minimum=-10_000, maximum=10_000,
            help=f"Aujourd'hui : {fmt.fr_number(now)}. Un nombre négatif retire des places."))
with cols[2]:
    enfants_now = today.enfants_moins_3_ans
    enfants = ctg_ui.number_field(
        "Enfants de moins de 3 ans", "enfants_scenario", minimum=0, maximum=10_000_000,
        # Clamped: a huge value stored before the format bounded numbers must not fail here.
        value=int(min(enfants_now or 0, 10_000_000)),
        help=f"Aujourd'hui : {fmt.fr_number(enfants_now)} ({today.annee_population or annee}). "
             "Modifiez-le pour simuler l'effet d'une hausse ou d'une baisse des naissances.")
cible = ctg_ui.target_input("cible_scenario")
st.button("Réinitialiser le scénario", key="reinitialiser_scenario", on_click=reset,
          icon=":material/restart_alt:",
          help="Revenir à la situation actuelle. Sinon, le scénario reste en place pendant "
               "toute la session, même en passant par d'autres pages.")

enfants_arg = None if enfants_now is not None and int(enfants) == int(enfants_now) else enfants
today = indicators.coverage(data, annee, cible=cible)
sim = indicators.scenario(data, annee, delta_places=delta, enfants_moins_3_ans=enfants_arg,
                          cible=cible)

st.header("Résultat", anchor="resultat")
for limite in sim.limites:
    # A removal larger than the places there are is capped: said, never silent.
    st.warning(fmt.escape_md(limite), icon=":material/warning:")


def gap(a, b):
    return None if a is None or b is None else a - b


# One row per figure, today on the left and the scenario on the right, aligned.
rows = (
    ("Taux de couverture global", today.taux.get("global"), sim.taux.get("global"), 1,
     lambda d: fmt.fr_signed(d), "hausse"),
    ("Places comptées dans le taux", today.places.get("total"), sim.places.get("total"), 0,
     lambda d: fmt.fr_signed(d, 0, "place"), "hausse"),
    ("Enfants de moins de 3 ans", today.enfants_moins_3_ans, sim.enfants_moins_3_ans, 0,
     lambda d: fmt.fr_signed(d, 0, "enfant"), None),
    (f"Places manquantes (cible {fmt.fr_target(cible)})", today.places_manquantes,
     sim.places_manquantes, 0, lambda d: fmt.fr_signed(d, 0, "place"), "baisse"),
)
left, right = st.columns(2)
left.subheader("Aujourd'hui")
right.subheader("Scénario")
for label, now, then, decimals, signed, sens in rows:
    left, right = st.columns(2)
    with left:
        ctg_ui.metric(label, fmt.fr_number(now, decimals))
    with right:
        change = gap(then, now)
        ctg_ui.metric(label, fmt.fr_number(then, decimals),
                      change=change or None, change_text=signed(change) if change else None,
                      sens=sens)

ctg_ui.chart_block("scenario", page, scenario=sim, cible=cible,
                   alertes=sim.alertes, detail=sim.detail)

# Charts the registry gives this page and that it has not placed above.
ctg_ui.other_charts("scenarios", page, cible=cible)
