"""Charts of the Territoires page (several territories at once): the distribution of the
coverage rate with the France and département references drawn as labelled lines, and the
global rate of selected territories over the years.

They take the cross-territory tables of ctg_data.territories rather than one territory's
CtgData, hence are declared in `registry.PAGE_FIGURES`, not in `CHARTS` (whose builders take
one territory); they share its layout, reference reading and palette.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from ctg_data import formatting as fmt
from ctg_data.charts.layout import RATE_AXIS, RATE_UNIT, finish_layout, no_data_figure
from ctg_data.charts.reference_levels import reference_rows
from ctg_data.charts.registry import render_title, spec_source
from ctg_data.formatting import D3_DEC1, escape_plotly

# Beyond this many départements in the rows shown, their lines would hide the histogram.
MAX_DEPARTEMENT_LINES = 4


def _reference(refs: pd.DataFrame, niveau: str, annee: int, code: str | None = None):
    """The published global rate of `niveau` (and `code`) for `annee`, else the latest earlier
    year: (value, year, row) or None."""
    rows = refs[(refs["niveau"] == niveau) & (refs["indicateur"] == "taux_couverture_global")
                & (refs["annee"] <= int(annee))]
    if code is not None:
        rows = rows[rows["code"].map(lambda c: str(c or "").lstrip("0")) == code.lstrip("0")]
    if rows.empty:
        return None
    row = rows.sort_values("annee", kind="stable").iloc[-1]
    return float(row["valeur"]), int(row["annee"]), row


def reference_lines(table: pd.DataFrame, annee: int,
                    references: pd.DataFrame | None) -> list[dict]:
    """The reference values drawn on the distribution: France, then each département of the
    rows (at most MAX_DEPARTEMENT_LINES): niveau, code, label, valeur, annee, row."""
    refs = reference_rows(references)
    lines = []
    found = _reference(refs, "france", annee)
    if found:
        lines.append({"niveau": "france", "code": "France", "label": "France",
                      "valeur": found[0], "annee": found[1], "row": found[2]})
    deps = sorted({str(d).strip() for d in table["departement"].dropna() if str(d).strip()})
    if len(deps) <= MAX_DEPARTEMENT_LINES:
        for dep in deps:
            found = _reference(refs, "departement", annee, dep)
            if found:
                nom = found[2].get("nom")
                name = f"{nom} ({dep})" if isinstance(nom, str) and nom.strip() else \
                    f"Département {dep}"
                lines.append({"niveau": "departement", "code": dep, "label": name,
                              "valeur": found[0], "annee": found[1], "row": found[2]})
    return lines


def distribution_figure(table: pd.DataFrame, annee: int,
                        references: pd.DataFrame | None = None, **options) -> go.Figure:
    """Histogram of the global coverage rate of the territories of `table` (one row per
    territory, ctg_data.territories.territory_table) with the published France and
    département rates as vertical labelled lines."""
    titre = render_title("territoires_distribution", annee=annee)
    rates = table["taux_couverture_global"].dropna().astype(float) if len(table) else \
        pd.Series(dtype=float)
    src = f"Source : {spec_source('territoires_distribution')} — données {annee}."
    if rates.empty:
        return no_data_figure(titre, src, "territoires_distribution")
    fig = go.Figure()
    fig.add_histogram(x=rates, xbins=dict(size=5), name="Territoires",
                      marker=dict(color=fmt.PRIMARY, line=dict(color="#FFFFFF", width=1)),
                      hovertemplate="%{y} territoire(s) entre %{x} places pour 100 enfants"
                                    "<extra></extra>")
    lines = reference_lines(table, annee, references)
    used = []
    for i, line in enumerate(lines):
        colour = fmt.level_colour(line["niveau"])
        year = "" if line["annee"] == int(annee) else f" ({line['annee']})"
        text = f"{escape_plotly(line['label'])}{year} : {fmt.fr_number(line['valeur'], 1)}"
        fig.add_vline(x=line["valeur"], line=dict(color=colour, width=2,
                                                  dash="dash" if i else "solid"),
                      annotation=dict(text=text, textangle=0, font=dict(size=12, color=colour),
                                      bgcolor="rgba(255,255,255,0.85)",
                                      yshift=-18 * i),
                      annotation_position="top right")
        used.append(line["row"])
    median = float(rates.median())
    fig.update_xaxes(title_text=RATE_AXIS, tickformat=",.0f", hoverformat=D3_DEC1)
    fig.update_yaxes(title_text="Nombre de territoires", tickformat=",d", rangemode="tozero")
    note = (f" {fmt.fr_number(len(rates))} territoires dont le taux est calculable ; médiane "
            f"{fmt.fr_number(median, 1)}. Taux publiés par la Cnaf pour les références, "
            "calculés localement pour les territoires.")
    if used:
        refs = pd.DataFrame(used)
        sources = sorted({str(s) for s in refs.get("source", pd.Series(dtype=str)).dropna()
                          if str(s).strip()})
        if sources:
            note += " Références : " + ", ".join(sources) + "."
    return finish_layout(fig, titre, src + note, key="territoires_distribution",
                         extra_top=18 * max(0, len(lines) - 1))


def comparison_figure(series: pd.DataFrame, names: dict, annee: int,
                      references: pd.DataFrame | None = None, **options) -> go.Figure:
    """The global coverage rate over the years up to `annee` of the territories `names`
    (code → name), one line each, with France (published) as a dashed line.
    `series` is ctg_data.territories.coverage_table."""
    titre = render_title("territoires_evolution")
    src = f"Source : {spec_source('territoires_evolution')} ; France : Cnaf."
    rows = series[series["code_insee"].isin(list(names)) & (series["annee"] <= int(annee))
                  & series["taux_couverture_global"].notna()]
    if rows.empty:
        return no_data_figure(titre, src, "territoires_evolution")
    fig = go.Figure()
    for i, code in enumerate(names):
        part = rows[rows["code_insee"] == code].sort_values("annee")
        if part.empty:
            continue
        name = f"{escape_plotly(names[code])} ({escape_plotly(code)})"
        colour = fmt.CATEGORICAL[i % len(fmt.CATEGORICAL)]
        fig.add_scatter(x=part["annee"], y=part["taux_couverture_global"], name=name,
                        mode="lines+markers", line=dict(color=colour, width=3),
                        marker=dict(size=9),
                        hovertemplate=f"%{{x}} — {name} : %{{y:,.1f}} {RATE_UNIT}"
                                      "<extra></extra>")
    years = sorted(rows["annee"].unique())
    refs = reference_rows(references)
    france = refs[(refs["niveau"] == "france") & (refs["indicateur"] == "taux_couverture_global")
                  & refs["annee"].between(min(years), int(annee))]
    france = france.sort_values("annee").drop_duplicates("annee", keep="last")
    if len(france):
        fig.add_scatter(x=france["annee"], y=france["valeur"], name="France (Cnaf)",
                        mode="lines+markers",
                        line=dict(color=fmt.level_colour("france"), width=2, dash="dash"),
                        marker=dict(size=10, symbol=fmt.LEVEL_SYMBOLS["france"]),
                        hovertemplate=f"%{{x}} — France : %{{y:,.1f}} {RATE_UNIT}"
                                      "<extra></extra>")
    fig.update_xaxes(title_text="Année", tickformat="d", dtick=1, hoverformat="d")
    fig.update_yaxes(title_text=RATE_AXIS, tickformat=",.0f", hoverformat=D3_DEC1,
                     rangemode="tozero")
    return finish_layout(fig, titre, src, key="territoires_evolution")
