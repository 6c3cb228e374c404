"""Bilan annuel: for a chosen year, what was achieved per axis, the indicators' values against
their targets, the analyses and the comités of the year — and the bilan report to download
(DOCX, PDF, PPTX or XLSX), built with a progress bar."""

import streamlit as st

import ctg_ui
from ctg_data import bilan, editing, indicators, plan_views
from ctg_data import formatting as fmt

page = ctg_ui.require_data()
data, annee_app = page.data, page.annee
st.title("Bilan annuel")

debut, fin = data.ctg_years()
years = sorted(set(data.years()) | ({y for y in range(debut, fin + 1)} if debut and fin else set()),
               reverse=True)
if annee_app not in years:
    years.insert(0, annee_app)
if st.session_state.get("ba_annee") not in years:
    st.session_state["ba_annee"] = annee_app
annee = st.selectbox("Année du bilan", years, key="ba_annee", format_func=str)

st.header("Télécharger le bilan")
FORMATS = {r.name: r for r in bilan.RENDERERS}  # name -> label, MIME type, extension
left, right = st.columns([2, 1])
choice = left.radio("Format", list(FORMATS), format_func=lambda f: FORMATS[f].label,
                    horizontal=True, key="ba_format")
identity = (data.code, page.version_id, annee, choice)
if not ctg_ui.can("export", data.code):
    right.caption("Le téléchargement du bilan est réservé aux éditeurs du territoire et aux "
                  "administrateurs.")
elif right.button("Préparer le bilan", key="ba_generer", type="primary",
                  icon=":material/summarize:"):
    bar = st.progress(0.0, text="Préparation du bilan…")
    content = bilan.build_bilan(data, annee, choice, store=ctg_ui.store(),
                                cible=st.session_state.get("cible_taux"),
                                progress=lambda f, m: bar.progress(min(max(float(f), 0.0), 1.0),
                                                                   text=m))
    bar.empty()
    ctg_ui.record_export(f"Bilan {annee} ({choice}).", data.code)
    st.session_state["_bilan"] = (identity, content)
ready = st.session_state.get("_bilan")
if ready and ready[0] == identity and ctg_ui.can("export", data.code):
    st.download_button(f"Télécharger le bilan {annee} ({FORMATS[choice].label})", ready[1],
                       file_name=f"bilan_ctg_{data.code}_{annee}.{FORMATS[choice].extension}",
                       mime=FORMATS[choice].mime, key="ba_telecharger",
                       icon=":material/download:", type="primary")
else:
    st.caption("Le bilan reprend les chiffres clés, les graphiques, les tableaux d'évaluation "
               "de chaque axe, les analyses et les commentaires du comité.")

status = ctg_ui.computed(page, indicators.plan_status)
st.header(f"Ce qui a été réalisé en {annee}")
if status.empty:
    st.info("Le plan d'action est vide : saisissez-le sur la page Plan d'action.",
            icon=":material/info:")
else:
    # This page's own file names for the tables the Évaluation page also shows.
    ctg_ui.spec_table("synthese_axes", page, key="ba_synthese", status=status,
                      name=f"bilan_synthese_{annee}")
    overview = ctg_ui.computed(page, plan_views.actions_overview)
    for number, axe in enumerate(plan_views.axes(data), start=1):
        st.subheader(fmt.escape_md(axe))
        for action in overview[overview["axe"] == axe].to_dict("records"):
            label = plan_views.action_label(action["numero_action"], action["action"])
            st.markdown(f"- {fmt.band_label(action['niveau'])} · {fmt.escape_md(label)} — "
                        f"{fmt.escape_md(action['statut'] or 'statut non renseigné')}")
        fields = {"axe": axe, "numero": number}
        ctg_ui.spec_table("indicateurs_axe", page, key=f"ba_valeurs_{number}", fields=fields,
                          name=f"bilan_indicateurs_axe_{number}_{annee}", status=status, axe=axe)
        with st.expander("Tableau d'évaluation de l'axe", icon=":material/fact_check:"):
            ctg_ui.spec_table("evaluation_axe", page, key=f"ba_evaluation_{number}", text=True,
                              fields=fields, name=f"bilan_evaluation_axe_{number}_{annee}",
                              status=status, axe=axe)
        analyses = status[(status["axe"].map(editing.raw_text) == axe)
                          & (status["analyse"].map(editing.raw_text) != "")]
        if len(analyses):
            st.markdown("**Analyses**")
            for r in analyses.to_dict("records"):
                st.markdown(f"- *{fmt.escape_md(r['indicateur'])}* : "
                            f"{fmt.escape_md(r['analyse'])}")

st.header(f"Comités de {annee}")
ctg_ui.spec_table("comites_annee", page, key="ba_comites",
                  empty=f"Aucun comité enregistré en {annee}.")
