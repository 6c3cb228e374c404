"""Présentation: the key figures and the key charts one per screen, for the comité around a
projector. In presentation mode each slide (its title, one chart or the key-figure panel, its
source line, the comité's saved comments) fits the screen without scrolling, from 1280×720 to
1920×1080; a list of the slides, Précédent / Suivant (← →) move between them; nothing can be
edited. Outside presentation mode, the page shows the same slides as ordinary chart blocks."""

import streamlit as st

import ctg_ui
from ctg_data import charts, indicators, settings
from ctg_data import formatting as fmt

KEY_FIGURES = "chiffres_cles"
# The slides a comité reads together, in the order of the CTG's life cycle: the key figures,
# then the key charts (`ChartSpec.diapositive` in ctg_data.charts.registry).

# Static CSS only (no user text). The slide's chart takes the height of the screen left by the
# slide bar (and by the comments box when the chart has comments): plotly redraws the figure
# to that height (`charts.presentation(fit=True)` leaves its height free).
SLIDE_CSS = """
<style>
.st-key-diapo_barre { padding-right: 17rem; }
.st-key-diapo_titre, .st-key-diapo_titre * { position: absolute !important; top: 0; left: 0;
  width: 1px !important; height: 1px !important; margin: 0 !important; padding: 0 !important;
  overflow: hidden !important; clip-path: inset(50%); white-space: nowrap; }
.st-key-diapo_contenu { height: calc(100vh - 5.5rem) !important; flex: 0 0 auto !important;
  flex-wrap: nowrap !important; }
.st-key-diapo_contenu > div:has([data-testid="stPlotlyChart"]) { flex: 1 1 0 !important;
  min-height: 0; }
.st-key-diapo_contenu [data-testid="stPlotlyChart"] { height: 100% !important; }
.st-key-diapo_commentaires { flex: 0 0 auto; max-height: 16vh; overflow-y: auto;
  padding: 0.25rem 0.75rem; border-left: 4px solid #005A8C; background: #F2F4F7; }
.st-key-diapo_commentaires div[data-testid="stMarkdownContainer"] p
  { font-size: 1.1rem !important; margin-bottom: 0.2rem; }
.st-key-diapo_source { flex: 0 0 auto; }
.st-key-diapo_source div[data-testid="stMarkdownContainer"] p
  { font-size: 0.85rem !important; line-height: 1.25; color: #595959; }
</style>
"""

page = ctg_ui.require_data()
data, annee = page.data, page.annee
slides = [KEY_FIGURES, *charts.SLIDES]
TITLES = {KEY_FIGURES: "Chiffres clés"} | {k: charts.CHARTS[k].titre for k in slides[1:]}
showing = page.presentation


def move(step: int) -> None:
    st.session_state["diapo"] = (st.session_state.get("diapo", 0) + step) % len(slides)


def key_figures() -> None:
    """The key-figure panel: coverage, places, children, missing places, population and
    births of the year, with their evolution."""
    cible = float(st.session_state.get("cible_taux") or settings.get("cible_taux_couverture"))
    cov = indicators.coverage(data, annee, cible=cible)
    prev = ctg_ui.computed(page, indicators.previous_coverage)
    portrait = indicators.portrait(data)

    def portrait_metric(code: str, label: str, unit: str) -> None:
        value, year, before, before_year = fmt.latest_and_previous(portrait, code, annee)
        change = None if value is None or before is None else value - before
        ctg_ui.metric(label + (f" ({year})" if year and year != annee else ""),
                      fmt.fr_number(value), change=change,
                      change_text=None if change is None else fmt.fr_signed(change, 0, unit),
                      since=before_year)

    if showing:
        st.subheader(f"Chiffres clés {annee} — {fmt.escape_md(data.nom)}", anchor=False)
    first, second = st.columns(3), st.columns(3)
    with first[0]:
        ctg_ui.rate_metric("Taux de couverture global (places pour 100 enfants)", "global",
                           cov, prev)
    with first[1]:
        ctg_ui.metric("Places comptées dans le taux", fmt.fr_number(cov.places.get("total")))
    with first[2]:
        ctg_ui.metric(f"Places manquantes (cible {fmt.fr_target(cible)})",
                      fmt.fr_number(cov.places_manquantes))
    with second[0]:
        ctg_ui.metric("Enfants de moins de 3 ans", fmt.fr_number(cov.enfants_moins_3_ans))
    with second[1]:
        portrait_metric("population", "Population", "habitant")
    with second[2]:
        portrait_metric("naissances", "Naissances", "naissance")
    version = f" (version du {fmt.fr_short_date(page.updated_at)})"
    with st.container(key="diapo_source"):
        st.markdown(f"Source : classeur CTG{version} — données {annee}. Évolutions depuis la "
                    "dernière année renseignée.")


def slide_comments(key: str, saved: list) -> None:
    """The comité's saved comments on the slide's chart, newest first, in a box of bounded
    height under the chart (it scrolls inside when they are long)."""
    with st.container(key="diapo_commentaires"):
        for c in saved:
            who = f" — {fmt.escape_md(c.author)}" if c.author else ""
            text = fmt.escape_md(c.text).replace("\n", "  \n")
            st.markdown(f"**Commentaire du comité, {fmt.local_date(c.created_at)}{who}** : "
                        f"{text}")


st.session_state["diapo"] = st.session_state.get("diapo", 0) % len(slides)
title = f"Présentation — {fmt.escape_md(data.nom)}, {annee}"
if showing:
    st.html(SLIDE_CSS)
else:
    st.title(title)
    st.markdown("Le mode présentation masque la barre latérale et les commandes d'édition, "
                "agrandit le texte et les graphiques pour un vidéoprojecteur, et fait défiler "
                "les chiffres clés et les graphiques clés un par un, chacun à la taille de "
                "l'écran.")
    st.button("Démarrer la présentation", key="demarrer_presentation", type="primary",
              icon=":material/slideshow:", on_click=ctg_ui.set_presentation, args=(True,))

with st.container(key="diapo_barre", horizontal=True, vertical_alignment="center"):
    if showing:
        # The page keeps its title for screen readers, without taking a slide's height.
        with st.container(key="diapo_titre", width="content"):
            st.title(title, anchor=False)
    st.selectbox("Diapositive", range(len(slides)), key="w_diapo",
                 format_func=lambda i: f"{i + 1} / {len(slides)} — {TITLES[slides[i]]}",
                 label_visibility="collapsed", width=460, **ctg_ui.bind("w_diapo", "diapo"))
    st.button("Précédent", key="precedent", on_click=move, args=(-1,),
              icon=":material/arrow_back:", shortcut="Left")
    st.button("Suivant", key="suivant", on_click=move, args=(1,),
              icon=":material/arrow_forward:", icon_position="right", shortcut="Right")

key = slides[st.session_state["diapo"]]
if key == KEY_FIGURES:
    with st.container(key="diapo_contenu"):
        key_figures()
elif showing:
    saved = ctg_ui.chart_comments(data.code, key)
    with st.container(key="diapo_contenu"):
        ctg_ui.slide_chart(key, page, cible=st.session_state.get("cible_taux"))
        if saved:
            slide_comments(key, saved)
else:
    ctg_ui.chart_block(key, page, key=f"diapo_{key}", cible=st.session_state.get("cible_taux"))
