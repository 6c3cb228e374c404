"""Bilan annuel: for a chosen year, what was achieved per axis, the indicators' values against
their targets, the analyses and the comités of the year — and the bilan report to download
(DOCX, PDF, PPTX or XLSX), built with a progress bar."""

import streamlit as st

import ctg_ui
from ctg_data import bilan, editing, indicators, plan_views, tables
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

status = indicators.plan_status(data, annee)
st.header(f"Ce qui a été réalisé en {annee}")
if status.empty:
    st.info("Le plan d'action est vide : saisissez-le sur la page Plan d'action.",
            icon=":material/info:")
else:
    summary = tables.TABLES["synthese_axes"]
    table = summary.build(data, annee, status=status)
    # This page's own title and file name for the same table.
    ctg_ui.table_block(table, f"bilan_synthese_{annee}", formats=summary.formats_for(table),
                       key="ba_synthese", title=f"Synthèse par axe en {annee}",
                       source=summary.source)
    evaluation, values = tables.TABLES["evaluation_axe"], tables.TABLES["indicateurs_axe"]
    overview = plan_views.actions_overview(data, annee)
    for number, axe in enumerate(plan_views.axes(data), start=1):
        st.subheader(fmt.escape_md(axe))
        for action in overview[overview["axe"] == axe].to_dict("records"):
            label = plan_views.action_label(action["numero_action"], action["action"])
            st.markdown(f"- {fmt.band_label(action['niveau'])} · {fmt.escape_md(label)} — "
                        f"{fmt.escape_md(action['statut'] or 'statut non renseigné')}")
        table = values.build(data, annee, status=status, axe=axe)
        ctg_ui.table_block(table, "bilan_" + values.file_name(annee, numero=number),
                           key=f"ba_valeurs_{number}", formats=values.formats_for(table),
                           title=values.title(annee, axe=axe), source=values.source)
        with st.expander("Tableau d'évaluation de l'axe", icon=":material/fact_check:"):
            ctg_ui.text_table_block(evaluation.build(data, annee, status=status, axe=axe),
                                    "bilan_" + evaluation.file_name(annee, numero=number),
                                    key=f"ba_evaluation_{number}",
                                    title=evaluation.title(annee, axe=axe),
                                    source=evaluation.source)
        analyses = status[(status["axe"].map(editing.raw_text) == axe)
                          & (status["analyse"].map(editing.raw_text) != "")]
        if len(analyses):
            st.markdown("**Analyses**")
            for r in analyses.to_dict("records"):
                st.markdown(f"- *{fmt.escape_md(r['indicateur'])}* : "
                            f"{fmt.escape_md(r['analyse'])}")

st.header(f"Comités de {annee}")
spec = tables.TABLES["comites_annee"]
held = spec.build(data, annee)
if held.empty:
    st.caption(f"Aucun comité enregistré en {annee}.")
else:
    ctg_ui.table_block(held, spec.file_name(annee), key="ba_comites", title=spec.title(annee),
                       source=spec.source)
