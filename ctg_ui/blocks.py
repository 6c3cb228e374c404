"""Blocks a page is made of: a key figure (`metric`, `rate_metric`), the methodology of
indicators, and a chart with everything that goes with it (source, methodology, image
downloads, the comité's comments)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ctg_data import charts, definitions, exports
from ctg_data import formatting as fmt
from ctg_data.formatting import escape_md
from ctg_data.model import CtgData
from ctg_ui.access import can
from ctg_ui.comments import comments_block
from ctg_ui.data import DRAWN_CHARTS, PageContext, figure
from ctg_ui.french import presentation_config
from ctg_ui.state import presentation

# -- key figures ---------------------------------------------------------------------------------


def metric(label: str, value: str, *, change: float | None = None, change_text: str | None = None,
           since: int | None = None, sens: str | None = None, help: str | None = None,
           qualifier: str | None = None) -> None:
    """st.metric with a French value and evolution: the arrow follows the sign of `change`, the
    colour says whether it is good (`sens` « hausse »/« baisse », as in the definitions) or
    neutral (no `sens`). Streamlit cannot read the French minus sign, hence the explicit arrow.
    `qualifier` completes « depuis 2022 » (« à composantes égales »). Only like-for-like
    changes may be given (see `rate_metric`)."""
    if change is None or change_text is None:
        st.metric(label, value, help=help)
        return
    arrow = "up" if change > 0 else "down" if change < 0 else "off"
    good = (change > 0) if sens == "hausse" else (change < 0) if sens == "baisse" else None
    colour = "gray" if good is None or change == 0 else "green" if good else "red"
    description = f"depuis {since}" if since else None
    if qualifier:
        description = f"{description}, {qualifier}" if description else qualifier
    st.metric(label, value, delta=change_text, delta_color=colour, delta_arrow=arrow, help=help,
              delta_description=description)


def _joined(*texts) -> str | None:
    return " ".join(t for t in texts if t) or None


def rate_metric(label: str, key: str, cov, prev, *, help: str | None = None) -> None:
    """A coverage rate of `cov` (`key`: global, eaje, individuel, prescolarisation) with its
    change since `prev` (`previous_coverage`), in points, higher is better — like for like
    (`indicators.coverage_change`): on the components of both years, said in the delta and
    the help; no arrow at all, with the reason in the help, when no honest comparison is
    possible."""
    from ctg_data import indicators
    value = fmt.fr_number(cov.taux.get(key), 1)
    if prev is None or cov.taux.get(key) is None:
        metric(label, value, help=help)
        return
    change = indicators.coverage_change(cov, prev, key)
    if change.value is None:
        metric(label, value, help=_joined(
            help, f"Évolution depuis {prev.annee} non affichée : {change.reason}."))
        return
    metric(label, value, change=change.value, change_text=fmt.fr_signed(change.value),
           since=change.annee_precedente, sens="hausse",
           qualifier="à composantes égales" if change.partial else None,
           help=_joined(help, change.reason[:1].upper() + change.reason[1:] + "."
                        if change.partial else None))


def methodology(codes=(), *, alertes=(), detail=(), title: str = "Méthodologie") -> None:
    """An expander with the definition, formula and source of each indicator code, the alerts
    (missing or approximated inputs) and, when given, the computation line by line."""
    codes = [c for c in codes if c]
    if not codes and not alertes and not detail:
        return
    with st.expander(title, icon=":material/menu_book:"):
        for code in codes:
            try:
                text = definitions.methodology_text(code)
            except KeyError:
                continue
            first, *rest = text.split("\n")
            st.markdown(f"**{escape_md(first)}**")
            for line in rest:
                st.markdown(escape_md(line))
        if alertes:
            st.markdown("**Alertes**")
            for alerte in alertes:
                st.markdown("- " + escape_md(alerte))
        if detail:
            st.markdown("**Calcul détaillé**")
            # Counts and rates mixed in one column: each value with the decimals it needs.
            lines = pd.DataFrame(
                [(label, fmt.fr_number(v, 0 if fmt.is_missing(v) or float(v).is_integer()
                                       else 1)) for label, v in detail],
                columns=["Étape", "Valeur"])
            st.dataframe(lines, hide_index=True, width="stretch")


# -- charts ----------------------------------------------------------------------------------------

def chart_block(spec_key: str, page: PageContext, *, key: str | None = None, alertes=(),
                detail=(), comments: bool = True, with_references: bool = True,
                **options) -> None:
    """One chart of the registry for the page's data and year, with everything that goes with
    it: the figure (the same builder as the bilan), its source line, the methodology, PNG/SVG
    downloads and the comité's comments (with a form to add one outside presentation mode).

    `key` distinguishes two blocks of the same chart on one page; `with_references=False`
    leaves the reference figures out (a chart that compares with none); `options` go to the
    builder (cible, delta_places, contour…)."""
    spec = charts.CHARTS[spec_key]
    wkey = key or spec_key
    data, annee = page.data, page.annee
    st.session_state.setdefault(DRAWN_CHARTS, set()).add(spec_key)
    references = page.references if with_references else None
    options.setdefault("version_date", page.updated_at)
    fig = figure(spec_key, page, references, options)
    shown = charts.presentation(fig) if page.presentation else fig
    file_name = charts.figure_file_name(spec_key, data, annee)
    config = charts.plotly_config(file_name) | {"locale": "fr"}
    with st.container(border=True, key=f"bloc_{wkey}"):
        st.plotly_chart(shown, key=f"graphique_{wkey}", config=config, theme=None)
        # The source line and the data date are written under the chart by its builder (so
        # that they follow the image into exports): no second copy here.
        methodology(spec.indicateurs, alertes=alertes, detail=detail)
        # A chart that says « Données non disponibles » has no image worth downloading.
        if not page.presentation and can("export") and not no_data(fig):
            # The images leave the app: built again with small counts of people hidden.
            build = spec.build
            _image_downloads(lambda: build(data, annee, references, **options, secret=True),
                             file_name, wkey)
        if comments:
            comments_block(spec_key, page, key=wkey)


def other_charts(page_name: str, page: PageContext, **options) -> None:
    """The charts the registry gives to page `page_name` (`ChartSpec.page`) that the page has
    not placed itself in this run, each under its title: a chart declared for a page is seen
    there without editing the page, which can then place it where it reads best. `options` go
    to the builders (as to the page's own blocks)."""
    drawn = st.session_state.get(DRAWN_CHARTS, set())
    for spec in charts.charts_on_page(page_name):
        if spec.key not in drawn:
            st.header(spec.titre, anchor=spec.key.replace("_", "-"))
            chart_block(spec.key, page, **options)


def slide_chart(spec_key: str, page: PageContext, **options) -> None:
    """One chart of the registry as a slide: the same figure as the chart block (kept per
    data version, year and options) with its title, fitted to the height the Présentation
    page gives it (`charts.presentation(fit=True)`), no toolbar; its source line under it."""
    options.setdefault("version_date", page.updated_at)
    fig = figure(spec_key, page, page.references, options)
    st.plotly_chart(charts.presentation(fig, fit=True), key=f"diapo_graphique_{spec_key}",
                    config=presentation_config(), theme=None, height="stretch")
    with st.container(key="diapo_source"):
        st.markdown(escape_md(charts.slide_source(fig)))


def no_data(fig) -> bool:
    """Whether `fig` is the « Données non disponibles » figure (`charts.no_data_figure`)."""
    return any(getattr(a, "name", None) == "no_data" for a in fig.layout.annotations)


def figure_block(fig, data: CtgData, name: str, *, key: str, export=None) -> None:
    """A figure that is not in the chart registry (one plan indicator, the actions timeline):
    the chart, its source line and PNG/SVG downloads outside presentation mode. `export`
    builds the figure for the images when it differs from the screen's (secrecy)."""
    shown = charts.presentation(fig) if presentation() else fig
    file_name = charts.figure_file_name(name, data)
    config = charts.plotly_config(file_name) | {"locale": "fr"}
    with st.container(border=True, key=f"bloc_{key}"):
        # The builder writes the source line under the plot, as in chart_block.
        st.plotly_chart(shown, key=key, config=config, theme=None)
        if not presentation() and can("export", data.code):
            _image_downloads(export or fig, file_name, key)


def _image_downloads(export, file_name: str, wkey: str) -> None:
    """PNG and SVG buttons; `export` is the figure to render, or a function that builds it
    (with statistical secrecy) when a button is clicked."""
    if not exports.image_export_available():
        st.caption(exports.image_export_message())
        return
    row = st.container(horizontal=True)
    # Deferred: the image is rendered only when the button is clicked (about 0,4 s each).
    build = export if callable(export) else (lambda: export)
    row.download_button("Image PNG", lambda: exports.figure_to_image(build(), "png"),
                        file_name=f"{file_name}.png", mime=exports.image_mime("png"),
                        key=f"png_{wkey}", icon=":material/image:", on_click="ignore")
    row.download_button("Image SVG", lambda: exports.figure_to_image(build(), "svg"),
                        file_name=f"{file_name}.svg", mime=exports.image_mime("svg"),
                        key=f"svg_{wkey}", icon=":material/draw:", on_click="ignore")
