"""Bilan annuel: for a chosen year, what was achieved per axis, the indicators' values against
their targets, the analyses and the comités of the year — and the bilan report to download
(DOCX, PDF, PPTX or XLSX), built with a progress bar."""

import streamlit as st

import ctg_ui
from ctg_data import bilan, editing, indicators
from ctg_data import formatting as fmt

data = ctg_ui.require_data()
annee_app = ctg_ui.require_year(data)
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
FORMATS = {"docx": "Word (DOCX)", "pdf": "PDF", "pptx": "Diaporama (PPTX)", "xlsx": "Excel (XLSX)"}
left, right = st.columns([2, 1])
choice = left.radio("Format", list(FORMATS), format_func=FORMATS.get, horizontal=True,
                    key="ba_format")
identity = (data.code, ctg_ui.version_id(), annee, choice)
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
    st.download_button(f"Télécharger le bilan {annee} ({FORMATS[choice]})", ready[1],
                       file_name=f"bilan_ctg_{data.code}_{annee}.{choice}",
                       mime=bilan.MIME_TYPES[choice], key="ba_telecharger",
                       icon=":material/download:", type="primary")
else:
    st.caption("Le bilan reprend les chiffres clés, les graphiques, les tableaux d'évaluation "
               "de chaque axe, les analyses et les commentaires du comité.")

status = indicators.plan_status(data, annee)
st.header(f"Ce qui a été réalisé en {annee}")
if status.empty:
    st.info("Le plan d'action est vide : saisissez-le sur la page Plan d'action.",
            icon=":material/info:")
else:
    ctg_ui.table_block(editing.axis_summary_table(status), f"bilan_synthese_{annee}",
                       formats=editing.SUMMARY_FORMATS, key="ba_synthese",
                       title=f"Synthèse par axe en {annee}",
                       source="classeur CTG (feuille Plan d'action)")
    overview = editing.actions_overview(data, annee)
    for number, axe in enumerate(editing.axes(data), start=1):
        st.subheader(ctg_ui.escape_md(axe))
        for action in overview[overview["axe"] == axe].to_dict("records"):
            label = editing.action_label(action["numero_action"], action["action"])
            st.markdown(f"- {fmt.band_label(action['niveau'])} · {ctg_ui.escape_md(label)} — "
                        f"{ctg_ui.escape_md(action['statut'] or 'statut non renseigné')}")
        ctg_ui.table_block(editing.indicator_values_table(status, axe),
                           f"bilan_indicateurs_axe_{number}_{annee}", key=f"ba_valeurs_{number}",
                           formats=editing.VALUES_FORMATS, title=f"Indicateurs — {axe}",
                           source="classeur CTG (feuille Plan d'action)")
        with st.expander("Tableau d'évaluation de l'axe", icon=":material/fact_check:"):
            ctg_ui.text_table_block(editing.evaluation_table(data, axe, annee, status=status),
                                    f"bilan_evaluation_axe_{number}_{annee}",
                                    key=f"ba_evaluation_{number}",
                                    title=f"Tableau d'évaluation — {axe}",
                                    source="classeur CTG (feuille Plan d'action)")
        analyses = status[(status["axe"].map(editing.raw_text) == axe)
                          & (status["analyse"].map(editing.raw_text) != "")]
        if len(analyses):
            st.markdown("**Analyses**")
            for r in analyses.to_dict("records"):
                st.markdown(f"- *{ctg_ui.escape_md(r['indicateur'])}* : "
                            f"{ctg_ui.escape_md(r['analyse'])}")

st.header(f"Comités de {annee}")
held = editing.comites_of_year(data, annee)
if held.empty:
    st.caption(f"Aucun comité enregistré en {annee}.")
else:
    ctg_ui.table_block(editing.comites_table(held), f"comites_{annee}", key="ba_comites",
                       title=f"Comités de {annee}",
                       source="classeur CTG (feuilles Comités et Décisions)")
