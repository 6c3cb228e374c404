"""Plotly figures of the plan d'action and the pilotage that the chart registry does not hold:
the timeline of the actions over the CTG years and the calendar of the comités.

Each builder takes the data and a frame computed in `ctg_data.editing` (never raw sheets) and
returns a `go.Figure` laid out like every chart of `ctg_data.charts` (French title with the
territory, separators, palette, source line under the plot).
"""

from __future__ import annotations

import re
import textwrap

import pandas as pd
import plotly.graph_objects as go

from ctg_data import charts
from ctg_data import formatting as fmt
from ctg_data.model import CtgData

PLAN_SOURCE = "classeur CTG (feuilles Plan d'action et Fiches actions)"
PERIOD_SOURCES = {"fiche": "fiche action (Début, Fin)", "calendrier": "calendrier du plan",
                  "valeurs": "années renseignées", "CTG": "période de la CTG"}


def _wrap(text: str, width: int = 45) -> str:
    return "<br>".join(textwrap.wrap(str(text), width)) or " "


def action_order(numero) -> tuple:
    """Sort key of an action number in natural order (« 1 », « 2 », « 3 », « 10 », « 2.1 »
    after « 2 »), actions without a number last."""
    text = "" if fmt.is_missing(numero) else str(numero).strip()
    if not text:
        return (1, ())
    return (0, tuple((0, int(part), "") if part.isdigit() else (1, 0, part.casefold())
                     for part in re.findall(r"\d+|[^\d\s.,-]+", text)))


def action_timeline_figure(data: CtgData, overview: pd.DataFrame, **options) -> go.Figure:
    """Each action as a bar from its first to its last year (inclusive), coloured, hatched and
    labelled by its band, over the years of the convention (shaded). `overview` is
    `editing.actions_overview` (possibly filtered)."""
    titre = charts.chart_title("Calendrier des actions du plan", data)
    debut_ctg, fin_ctg = data.ctg_years()
    rows = overview.dropna(subset=["debut"]).copy()
    # In the order of the action numbers (1, 2, 3… 10), whatever the order of the sheet or of
    # the start years: a calendar read 1, 2, 4, 5, 3 looked like a mistake.
    rows = rows.iloc[sorted(range(len(rows)),
                            key=lambda i: action_order(rows["numero_action"].iloc[i]))]
    if rows.empty:
        return charts.no_data_figure(titre, charts.source_text(data, PLAN_SOURCE, **options),
                                     "plan_calendrier")
    rows["label"] = [_wrap(fmt.escape_plotly(f"{n}. {a}" if n else a), 40) for n, a in
                     zip(rows["numero_action"], rows["action"])]
    fig = go.Figure()
    for band in fmt.BANDS:
        part = rows[rows["niveau"] == band]
        if part.empty:
            continue
        starts = part["debut"].astype(int)
        ends = part["fin"].fillna(part["debut"]).astype(int)
        custom = list(zip(starts, ends, part["statut"].map(lambda s: s or fmt.MISSING),
                          part["axe"].map(fmt.escape_plotly),
                          part["periode_source"].map(PERIOD_SOURCES).fillna("")))
        fig.add_bar(
            y=part["label"], x=(ends - starts + 1).tolist(), base=(starts - 0.5).tolist(),
            orientation="h", name=fmt.band_label(band),
            marker=dict(color=fmt.band_colour(band), pattern_shape=fmt.BAND_PATTERNS[band],
                        line=dict(color="#595959", width=1), opacity=0.75),
            # Dark label on a lighter bar: readable on every band, hatched or not.
            text=[fmt.band_label(band)] * len(part), textposition="inside",
            insidetextanchor="middle", textfont=dict(color=fmt.TEXTE, size=13),
            customdata=custom,
            hovertemplate=("<b>%{y}</b><br>%{customdata[3]}<br>De %{customdata[0]} à "
                           "%{customdata[1]} (d'après : %{customdata[4]})<br>Statut : "
                           "%{customdata[2]}<extra>" + fmt.band_label(band) + "</extra>"))
    axis_title = "Année"
    if debut_ctg and fin_ctg:
        fig.add_vrect(x0=debut_ctg - 0.5, x1=fin_ctg + 0.5, fillcolor=fmt.PRIMARY, opacity=0.08,
                      line_width=0, layer="below")
        axis_title = f"Année (zone teintée : CTG {debut_ctg}-{fin_ctg})"
    years = [int(y) for y in pd.concat([rows["debut"], rows["fin"]]).dropna()]
    years += [y for y in (debut_ctg, fin_ctg) if y]
    fig.update_xaxes(title_text=axis_title, range=[min(years) - 0.6, max(years) + 0.6], dtick=1,
                     tickformat="d", hoverformat="d")
    fig.update_yaxes(title_text="", autorange="reversed", categoryorder="array",
                     categoryarray=list(rows["label"]))
    fig.update_layout(barmode="overlay")
    source = charts.source_text(data, PLAN_SOURCE, **options)
    # The source names two sheets and the example's warning: wrapped shorter than the
    # default, or its end ran off the right edge at the page's width.
    return charts.finish_layout(fig, titre, source, key="plan_calendrier",
                          height=max(340, 190 + 64 * len(rows)), source_width=SOURCE_WIDTH)


def month_ticks(dates, most: int = 8) -> tuple[list[str], list[str]]:
    """Ticks of a time axis on the first of a month, at most about `most` of them, named in
    French (« janv. 2021 »): plotly's own month names are English."""
    stamps = pd.to_datetime(pd.Series(list(dates)), errors="coerce").dropna()
    if stamps.empty:
        return [], []
    first, last = stamps.min(), stamps.max()
    months = (last.year - first.year) * 12 + last.month - first.month + 1
    step = next((s for s in (1, 2, 3, 6, 12, 24) if months / s <= most), 24)
    # Ticks on months that divide by the step (janv., avr., juil., oct. for 3) read better.
    index = first.year * 12 + first.month - 1
    index -= index % step
    vals, texts = [], []
    while index <= last.year * 12 + last.month - 1:
        year, month = divmod(index, 12)
        vals.append(f"{year:04d}-{month + 1:02d}-01")
        texts.append(f"{fmt.MOIS_COURTS[month]} {year}")
        index += step
    return vals, texts


SOURCE_WIDTH = 95

INSTANCE_STYLES = {"Comité technique": ("#0072B2", "circle"),
                   "Comité de pilotage": ("#D55E00", "diamond"),
                   "Groupe thématique": ("#009E73", "square")}


def comites_figure(data: CtgData, calendar: pd.DataFrame, today: str | None = None,
                   **options) -> go.Figure:
    """The comités on a time line, one row per instance (`editing.comites_calendar`), with
    a dotted line on `today` (ISO date)."""
    titre = charts.chart_title("Calendrier des comités", data)
    source = charts.source_text(data, "classeur CTG (feuille Comités)", **options)
    calendar = calendar.dropna(subset=["date"])
    if calendar.empty:
        return charts.no_data_figure(titre, source, "comites")
    fig = go.Figure()
    for instance, part in calendar.groupby("instance", sort=False):
        colour, symbol = INSTANCE_STYLES.get(instance, (fmt.GRIS, "circle"))
        fig.add_scatter(
            x=part["date"], y=part["instance"], mode="markers", name=instance,
            marker=dict(size=15, symbol=symbol, color=colour, line=dict(color="#FFFFFF", width=1)),
            customdata=[[fmt.fr_date(d), fmt.escape_plotly(o or "")] for d, o in
                        zip(part["date"], part["ordre_du_jour"])],
            hovertemplate="<b>%{y}</b> — %{customdata[0]}<br>%{customdata[1]}<extra></extra>")
    if today:
        fig.add_vline(x=today, line=dict(color=fmt.TEXTE, width=1, dash="dot"))
    tickvals, ticktext = month_ticks(list(calendar["date"]) + ([today] if today else []))
    fig.update_xaxes(title_text="", tickvals=tickvals, ticktext=ticktext,
                     hoverformat="%d/%m/%Y")
    fig.update_yaxes(title_text="", categoryorder="array",
                     categoryarray=[i for i in INSTANCE_STYLES if i in set(calendar["instance"])])
    return charts.finish_layout(fig, titre, source, key="comites", height=320, bottom=70,
                          source_width=SOURCE_WIDTH)
