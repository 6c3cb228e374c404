"""Plan d'action charts: the achievement of every plan indicator and the bands per axis (in the
registry: Plan d'action page, bilan, presentation); the figures the plan pages build from their
own inputs (declared in `registry.PAGE_FIGURES`): one plan indicator over the years (Fiches
actions), the timeline of the actions over the CTG years (Plan d'action) and the calendar of
the comités (Pilotage). The timeline and the calendar take a frame computed in
`ctg_data.plan_views` (never raw sheets).
"""

from __future__ import annotations

import re
import textwrap

import pandas as pd
import plotly.graph_objects as go

from ctg_data import indicators, secrecy, settings
from ctg_data import formatting as fmt
from ctg_data.charts.inputs import computed, years_text
from ctg_data.charts.layout import (finish_layout, no_data_figure, short_text,
                                    source_text, wrap)
from ctg_data.charts.registry import render_title, spec_source, spec_title
from ctg_data.formatting import D3_DEC1, NNBSP, PCT_SUFFIX
from ctg_data.model import CtgData


def _status(data: CtgData, annee: int, options) -> pd.DataFrame:
    return computed(options, "plan_status",
                    lambda: indicators.plan_status(data, annee, marge=options.get("marge")))


def _plan_counts(part: pd.DataFrame) -> list:
    """Per plan indicator, the smallest observed count of people (latest or reference value)
    when its unit counts people, else None: what secrecy is judged on."""
    out = []
    for _, r in part.iterrows():
        values = [fmt.as_number(r.get(c)) for c in ("derniere_valeur", "valeur_reference")]
        values = [v for v in values if v is not None and v > 0]
        out.append(min(values) if values and secrecy.is_count_unit(r.get("unite")) else None)
    return out


def plan_achievement_figure(data: CtgData, annee: int, references: pd.DataFrame | None = None,
                            **options) -> go.Figure:
    """Achievement of every plan indicator (horizontal bars, 100 % = target reached), coloured,
    hatched and labelled by band (« ✔ Atteint », « ✖ En retard »…)."""
    titre = spec_title("plan_atteinte", data, annee=annee)
    src = spec_source("plan_atteinte")
    status = _status(data, annee, options)
    if status is None or status.empty:
        return no_data_figure(titre, source_text(data, src, **options), "plan_atteinte")
    marge = options.get("marge")
    marge = float(marge) if marge is not None else float(settings.get("marge_en_bonne_voie"))
    labels = []
    for _, r in status.iterrows():
        prefix = (f"{r['numero_action']}. " if not fmt.is_missing(r.get("numero_action"))
                  else "")
        # Wrapped on two lines, not cut on one: a long label was clipped by the chart's edge.
        labels.append(fmt.wrap_label(f"{prefix}{r['indicateur']}", 34, 2))
    # Same label twice (same indicator in two actions) would merge bars: make them unique.
    seen: dict[str, int] = {}
    for i, lab in enumerate(labels):
        seen[lab] = seen.get(lab, 0) + 1
        if seen[lab] > 1:
            labels[i] = f"{lab} ({seen[lab]})"
    status = status.assign(_label=labels)
    fig = go.Figure()
    for band in fmt.BANDS:
        part = status[status["niveau"].fillna("non renseigné") == band]
        if part.empty:
            continue
        pct = [fmt.as_number(v) for v in part["atteinte_pct"]]
        shown = [min(max(v, 0), 150) if v is not None else 0 for v in pct]
        text = [f"{fmt.band_label(band)} · {fmt.fr_percent(v, 0)}" if v is not None
                else fmt.band_label(band) for v in pct]
        custom = list(zip([fmt.fr_percent(v, 0) for v in pct],
                          [fmt.escape_plotly(fmt.fr_value(v, u)) for v, u in zip(part["derniere_valeur"],
                                                                     part["unite"])],
                          [fmt.escape_plotly(fmt.fr_value(v, u)) for v, u in zip(part["cible"],
                                                                    part["unite"])],
                          [short_text(a, 80) for a in part["action"]]))
        fig.add_bar(y=part["_label"], x=shown, orientation="h", name=fmt.band_label(band),
                    marker=dict(color=fmt.band_colour(band),
                                pattern_shape=fmt.BAND_PATTERNS[band],
                                line=dict(color="#595959", width=1)),
                    text=text, textposition="outside", cliponaxis=False, customdata=custom,
                    hovertemplate="<b>%{y}</b><br>Action : %{customdata[3]}<br>Atteinte : "
                                  "%{customdata[0]}<br>Dernière valeur : %{customdata[1]} — "
                                  f"cible : %{{customdata[2]}}<br>{fmt.band_label(band)}"
                                  "<extra></extra>")
        # A small count of people (latest or reference value): its achievement, with the
        # reference and the target, gives it back — hidden as in the bilan's tables.
        secrecy.protect(fig.data[-1], _plan_counts(part), secrecy.secret_limit(options),
                f"<b>%{{y}}</b><br>{fmt.band_label(band)} — atteinte et valeurs : "
                f"{secrecy.SECRET_HOVER}<extra></extra>")
    fig.add_vline(x=100, line=dict(color=fmt.TEXTE, width=2))
    fig.add_vline(x=marge, line=dict(color=fmt.TEXTE, width=1, dash="dot"))
    ticks = sorted({0, 25, 50, 100, 150, round(marge, 1)})
    fig.update_xaxes(title_text="Atteinte de la cible (%) — trait plein : cible atteinte ; "
                                "pointillés : en bonne voie", range=[0, 190],
                     tickvals=ticks, ticktext=[f"{fmt.fr_number(t)}{PCT_SUFFIX}" for t in ticks],
                     hoverformat=",.0f")
    fig.update_yaxes(title_text="", autorange="reversed", categoryorder="array",
                     categoryarray=labels)
    n = len(status)
    return finish_layout(fig, titre, source_text(data, src, str(annee), **options)
                   + " Atteinte = (dernière valeur − référence) / (cible − référence).",
                   key="plan_atteinte", height=max(360, 160 + 40 * n), source_width=85)


def plan_axes_figure(data: CtgData, annee: int, references: pd.DataFrame | None = None,
                     **options) -> go.Figure:
    """Number of indicators per band for every axis of the plan (stacked horizontal bars),
    with the actions réalisées of each axis written beside its bar."""
    titre = spec_title("plan_axes", data, annee=annee)
    src = spec_source("plan_axes")
    status = _status(data, annee, options)
    if status is None or status.empty:
        return no_data_figure(titre, source_text(data, src, **options), "plan_axes")
    summary = indicators.axis_summary(status)
    labels = [fmt.wrap_label(a, 30, 2) for a in summary["axe"]]
    fig = go.Figure()
    for band in fmt.BANDS:
        values = [int(v) for v in summary[band]] if band in summary else []
        if not any(values):
            continue
        fig.add_bar(y=labels, x=values, orientation="h", name=fmt.band_label(band),
                    marker=dict(color=fmt.band_colour(band),
                                pattern_shape=fmt.BAND_PATTERNS[band],
                                line=dict(color="#595959", width=1)),
                    text=[str(v) if v else "" for v in values], textposition="inside",
                    insidetextanchor="middle", textangle=0,
                    hovertemplate=f"%{{y}} — {fmt.band_label(band)} : %{{x:d}} indicateur(s)"
                                  "<extra></extra>")
    for label, (_, r) in zip(labels, summary.iterrows()):
        fig.add_annotation(x=int(r["indicateurs"]), y=label, xanchor="left", showarrow=False,
                           text=" " + fmt.fr_done(r["actions_realisees"], r["actions"]),
                           font=dict(size=12, color=fmt.TEXTE), name="actions")
    fig.update_layout(barmode="stack")
    top = int(summary["indicateurs"].max()) if len(summary) else 1
    fig.update_xaxes(title_text="Nombre d'indicateurs", tickformat="d", dtick=1,
                     hoverformat="d", range=[0, top * 1.6 + 1])
    fig.update_yaxes(title_text="", autorange="reversed")
    return finish_layout(fig, titre, source_text(data, src, str(annee), **options), key="plan_axes",
                   height=max(320, 170 + 48 * len(summary)), source_width=85)


def _label_positions(ys: list[float], cible: float | None, ref: float | None) -> list[str]:
    """Value labels above their points, except under the target line when it passes just
    above a point (the label would sit on the line and its « Cible » text)."""
    values = ys + [v for v in (cible, ref) if v is not None] + [0]
    span = (max(values) - min(values)) or 1
    out = []
    for y in ys:
        close_above = cible is not None and 0 <= cible - y < 0.15 * span
        out.append("bottom center" if close_above else "top center")
    return out


def plan_indicator_figure(status_row, plan_row, years, **options) -> go.Figure:
    """One plan indicator: observed values per year (from the plan row's year columns) against
    the reference value and the target (a horizontal line), the desired direction in the title.
    `status_row` is a row of plan_status(), `plan_row` the matching row of the plan table."""
    status_row = dict(status_row)
    plan_row = dict(plan_row) if plan_row is not None else {}
    # The unit is user text that lands in titles, hovers and labels: escaped once here.
    unite = fmt.escape_plotly(status_row.get("unite") or plan_row.get("unite") or "")
    sens = status_row.get("sens") or plan_row.get("sens") or "Hausse"
    arrow = "↗ plus est mieux" if sens != "Baisse" else "↘ moins est mieux"
    label = fmt.escape_plotly(status_row.get("indicateur") or plan_row.get("indicateur") or "Indicateur")
    titre = wrap(render_title("plan_indicateur", indicateur=label, sens=arrow), 80)
    source = "Source : " + spec_source("plan_indicateur")
    if options.get("version_date"):
        # The version date joins the parenthesis: « classeur CTG (version du 12/03/2024),
        # feuille Plan d'action ».
        sheet = spec_source("plan_indicateur").removeprefix("classeur CTG (").removesuffix(")")
        source = (f"Source : classeur CTG (version du {fmt.fr_short_date(options['version_date'])}"
                  f"), {sheet}")
    xs, ys = [], []
    for y in sorted(int(v) for v in years):
        value = fmt.as_number(plan_row.get(str(y)))
        if value is not None:
            xs.append(y); ys.append(value)
    ref, ref_year = fmt.as_number(status_row.get("valeur_reference")), status_row.get("annee_reference")
    cible, cible_year = fmt.as_number(status_row.get("cible")), status_row.get("annee_cible")
    key = f"plan_indicateur_{status_row.get('row', '')}"
    if not xs and ref is None:
        return no_data_figure(titre, source + ".", key)
    suffix = NNBSP + unite if unite and unite not in ("%",) else (PCT_SUFFIX if unite else "")
    hover_unit = f" {unite}" if unite and unite != "%" else (f"{NNBSP}%" if unite else "")
    limit = secrecy.secret_limit(options) if secrecy.is_count_unit(unite) else None
    fig = go.Figure()
    hidden = False
    if xs:
        fig.add_scatter(x=xs, y=ys, name="Valeur observée", mode="lines+markers+text",
                        line=dict(color="#0072B2", width=3), marker=dict(size=10),
                        text=[fmt.fr_value(v, unite) for v in ys],
                        textposition=_label_positions(ys, cible, ref),
                        hovertemplate=f"%{{x}} : %{{y:,.1f}}{hover_unit}<extra></extra>")
        hidden = secrecy.protect(fig.data[-1], ys, limit, f"%{{x}} : {secrecy.SECRET_HOVER}<extra></extra>")
    if ref is not None:
        rx = int(ref_year) if not fmt.is_missing(ref_year) else (xs[0] if xs else None)
        if rx is not None:
            fig.add_scatter(x=[rx], y=[ref], name="Valeur de référence", mode="markers",
                            cliponaxis=False,
                            marker=dict(symbol="diamond-open", size=13, color=fmt.GRIS,
                                        line=dict(width=3)),
                            hovertemplate=f"Référence %{{x}} : %{{y:,.1f}}{hover_unit}"
                                          "<extra></extra>")
            hidden |= secrecy.protect(fig.data[-1], [ref], limit, f"Référence %{{x}} : {secrecy.SECRET_HOVER}"
                              "<extra></extra>")
    if ref is not None and cible is not None and not fmt.is_missing(ref_year) \
            and not fmt.is_missing(cible_year) and int(cible_year) > int(ref_year):
        # The straight path from the reference to the target: the band compares with it
        # before the target year (indicators.expected_share).
        fig.add_scatter(x=[int(ref_year), int(cible_year)], y=[ref, cible], mode="lines",
                        name="Trajectoire vers la cible", cliponaxis=False,
                        line=dict(color=fmt.GRIS, width=2, dash="dot"),
                        hovertemplate=f"Trajectoire %{{x}} : %{{y:,.1f}}{hover_unit}"
                                      "<extra></extra>")
        hidden |= secrecy.protect(fig.data[-1], [ref, cible], limit,
                          f"Trajectoire %{{x}} : {secrecy.SECRET_HOVER}<extra></extra>")
    if cible is not None:
        when = f" ({int(cible_year)})" if not fmt.is_missing(cible_year) else ""
        fig.add_hline(y=cible, line=dict(color=fmt.BAND_COLOURS["atteint"], width=2, dash="dash"),
                      annotation_text=f"Cible{when} : {fmt.fr_value(cible, unite)}",
                      annotation_position="top left")
        fig.add_scatter(x=[None], y=[None], mode="lines", name="Cible", hoverinfo="skip",
                        line=dict(color=fmt.BAND_COLOURS["atteint"], width=2, dash="dash"))
    band = status_row.get("niveau") or "non renseigné"
    subtitle = f"<b>{fmt.band_label(band)}</b>"
    pct = fmt.as_number(status_row.get("atteinte_pct"))
    if pct is not None and not hidden:   # with the reference and the target, it reveals
        subtitle += f" — atteinte : {fmt.fr_percent(pct, 0)} de la cible"
    action = status_row.get("action") or plan_row.get("action")
    if action:
        subtitle += f" — action : {short_text(action, 60)}"
    fig.update_xaxes(title_text="Année", tickformat="d", dtick=1, hoverformat="d")
    top = max(ys + [v for v in (ref, cible) if v is not None] + [0])
    bottom_value = min(ys + [v for v in (ref, cible) if v is not None] + [0])
    fig.update_yaxes(title_text=unite or "Valeur", tickformat=",.0f", hoverformat=D3_DEC1,
                     ticksuffix=suffix if unite == "%" else "",
                     range=[bottom_value * 1.2, (top or 1) * 1.25])
    data_years = years_text(xs) if xs else ""
    text = source + (f" — données {data_years}" if data_years else "") + "."
    return finish_layout(fig, titre, text, key=key, height=380, bottom=80, subtitle=subtitle)


# ---------------------------------------------------------------------------------------------
# Timeline of the actions and calendar of the comités (Plan d'action and Pilotage pages)
# ---------------------------------------------------------------------------------------------

PERIOD_SOURCES = {"fiche": "fiche action (Début, Fin)", "calendrier": "calendrier du plan",
                  "valeurs": "années renseignées", "CTG": "période de la CTG"}


def _wrap_label(text: str, width: int = 45) -> str:
    """An action's label on lines of at most `width` characters (never empty)."""
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
    `plan_views.actions_overview` (possibly filtered)."""
    titre = spec_title("plan_calendrier", data)
    debut_ctg, fin_ctg = data.ctg_years()
    rows = overview.dropna(subset=["debut"]).copy()
    # In the order of the action numbers (1, 2, 3… 10), whatever the order of the sheet or of
    # the start years: a calendar read 1, 2, 4, 5, 3 looked like a mistake.
    rows = rows.iloc[sorted(range(len(rows)),
                            key=lambda i: action_order(rows["numero_action"].iloc[i]))]
    if rows.empty:
        return no_data_figure(titre, source_text(data, spec_source("plan_calendrier"), **options),
                              "plan_calendrier")
    rows["label"] = [_wrap_label(fmt.escape_plotly(f"{n}. {a}" if n else a), 40) for n, a in
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
    source = source_text(data, spec_source("plan_calendrier"), **options)
    # The source names two sheets and the example's warning: wrapped shorter than the
    # default, or its end ran off the right edge at the page's width.
    return finish_layout(fig, titre, source, key="plan_calendrier",
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
    """The comités on a time line, one row per instance (`plan_views.comites_calendar`), with
    a dotted line on `today` (ISO date)."""
    titre = spec_title("comites", data)
    source = source_text(data, spec_source("comites"), **options)
    calendar = calendar.dropna(subset=["date"])
    if calendar.empty:
        return no_data_figure(titre, source, "comites")
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
    return finish_layout(fig, titre, source, key="comites", height=320, bottom=70,
                         source_width=SOURCE_WIDTH)
