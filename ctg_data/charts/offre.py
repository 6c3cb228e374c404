"""Offre et besoins charts (the coverage rate): places by mode with the rate, the rate beside
the reference levels, its evolution, the places missing for the target, a scenario, the RPE
and waiting demands, the childminders. Titles and sources come from their `ChartSpec`.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ctg_data import indicators, secrecy
from ctg_data import formatting as fmt
from ctg_data.charts.inputs import computed, rows_up_to, target_rate, years_text
from ctg_data.charts.layout import (RATE_AXIS, RATE_UNIT, SECOND_COLOUR, finish_layout,
                                    no_data_figure, source_text, year_axis)
from ctg_data.charts.reference_levels import level_rows, pick_reference, reference_rows
from ctg_data.charts.registry import spec_source, spec_title
from ctg_data.formatting import D3_DEC1, D3_INT
from ctg_data.model import CtgData

COG_AM_PER_RPE = 70          # COG 2018-2022 target: 1 full-time RPE animator per 70 AMs
# Markers of successive editions of a reference series (never joined to each other).
EDITION_SYMBOLS = ("x", "cross", "star", "hourglass", "bowtie", "asterisk-open")
# Modes that make up the Cnaf-comparable coverage rate, in stacking order.
RATE_MODES = indicators.COMPONENTS
COMPONENTS = (("global", "Taux global"), ("eaje", "EAJE (accueil collectif)"),
              ("individuel", "Accueil individuel (AM + GAD)"),
              ("prescolarisation", "Préscolarisation"))


def _series(data: CtgData, annee: int, options: dict) -> pd.DataFrame:
    """indicators.coverage_series up to `annee`, keeping the years with places or a rate."""
    series = computed(options, "coverage_series",
                      lambda: indicators.coverage_series(data, cible=options.get("cible")))
    if series is None or series.empty or "annee" not in series:
        return pd.DataFrame()
    series = series[series["annee"].astype(int) <= int(annee)]
    has_places = series[[f"places_{m}" for m in RATE_MODES]].fillna(0).gt(0).any(axis=1)
    series = series[series["taux_global"].notna() | has_places]
    return series.sort_values("annee").reset_index(drop=True)


# Components of the rate counted in children, not in places: subject to secrecy in exports.
PEOPLE_MODES = ("gad", "prescolarisation")


def _mode_bar(fig, x, values, mode, *, name=None, secondary=None, width=None, orientation="v",
              showlegend=True, hover_x="%{x}", limit: int | None = None):
    kw = dict(secondary_y=secondary) if secondary is not None else {}
    if getattr(fig, "_grid_ref", None) and secondary is None:
        kw = dict(row=1, col=1)
    label = name or fmt.MODE_LABELS[mode]
    value_ref = "%{x:,.0f}" if orientation == "h" else "%{y:,.0f}"
    where = "%{y}" if orientation == "h" else hover_x
    fig.add_bar(x=x if orientation == "v" else values, y=values if orientation == "v" else x,
                orientation=orientation, name=label, legendgroup=mode, showlegend=showlegend,
                marker=dict(color=fmt.mode_colour(mode),
                            pattern_shape=fmt.MODE_PATTERNS.get(mode, ""),
                            line=dict(color="#FFFFFF", width=1)),
                width=width,
                hovertemplate=f"{where} — {label} : {value_ref} places<extra></extra>", **kw)
    if mode in PEOPLE_MODES:
        secrecy.protect(fig.data[-1], values, limit,
                f"{where} — {label} : enfants {secrecy.SECRET_HOVER}<extra></extra>")


def places_by_mode_figure(data: CtgData, annee: int, references: pd.DataFrame | None = None,
                          **options) -> go.Figure:
    """Places by mode, stacked per year, with the territory's coverage rate and the national
    rate of the same year (right axis). National values of different editions are never
    joined by one line."""
    titre = spec_title("places_modes", data)
    src = spec_source("places_modes")
    series = _series(data, annee, options)
    if series.empty:
        return no_data_figure(titre, source_text(data, src, **options), "places_modes")
    years = series["annee"].astype(int).astype(str).tolist()
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    for mode in RATE_MODES:
        values = [fmt.as_number(v) for v in series[f"places_{mode}"]]
        if any(v for v in values if v):
            _mode_bar(fig, years, values, mode, secondary=False, limit=secrecy.secret_limit(options))
    outside = [fmt.as_number(v) for v in series["places_hors_territoire"]]
    if any(v for v in outside if v):
        _mode_bar(fig, years, outside, "hors_territoire",
                  name="Offre mobilisable hors territoire (non comptée dans le taux)",
                  secondary=False)
    rates = [fmt.as_number(v) for v in series["taux_global"]]
    fig.add_scatter(x=years, y=rates, name="Taux de couverture du territoire (axe de droite)",
                    mode="lines+markers", line=dict(color=fmt.level_colour("territoire"),
                                                    width=3),
                    marker=dict(symbol="circle", size=10),
                    hovertemplate=f"%{{x}} — taux de couverture : %{{y:,.1f}} {RATE_UNIT}"
                                  "<extra></extra>", secondary_y=True)
    # Values written under the points on a white box: readable over the bars, on paper too.
    for i, r in enumerate(rates):   # on a category axis, annotations take the index
        if r is not None:
            fig.add_annotation(x=i, y=r, yref="y2", text=fmt.fr_number(r, 1), showarrow=False,
                               yshift=-20, bgcolor="rgba(255,255,255,0.85)",
                               font=dict(color=fmt.level_colour("territoire"), size=13),
                               name="taux")
    refs = reference_rows(references)
    national = refs[(refs["niveau"] == "france") & (refs["indicateur"] == "taux_couverture_global")
                    & refs["annee"].astype(str).isin(years)]
    for i, (edition, part) in enumerate(national.groupby(national["edition"].fillna("—"),
                                                         sort=True)):
        part = part.sort_values("annee").drop_duplicates("annee")
        name = "France (Cnaf)" + (f", édition {edition}" if edition != "—" else "")
        fig.add_scatter(x=part["annee"].astype(str), y=part["valeur"], name=name,
                        mode="lines+markers" if edition != "—" else "markers",
                        line=dict(color=fmt.level_colour("france"), width=2, dash="dash"),
                        marker=dict(symbol=EDITION_SYMBOLS[i % len(EDITION_SYMBOLS)], size=11,
                                    color=fmt.level_colour("france")),
                        hovertemplate=f"%{{x}} — {name} : %{{y:,.1f}} {RATE_UNIT}"
                                      "<extra></extra>", secondary_y=True)
    fig.update_layout(barmode="stack")
    year_axis(fig)
    fig.update_yaxes(title_text="Places", tickformat=D3_INT, hoverformat=D3_INT,
                     rangemode="tozero", secondary_y=False)
    top = max([r for r in rates if r is not None] + list(national["valeur"]) + [10])
    fig.update_yaxes(title_text=RATE_AXIS, tickformat=",.0f", hoverformat=D3_DEC1,
                     range=[0, top * 1.25], showgrid=False, tickmode="auto",
                     secondary_y=True)
    note = " Taux calculé localement (théorique), distinct des taux publiés par la Cnaf."
    if not series["complet"].astype(bool).all():
        note += " Certaines composantes sont manquantes ou approchées (voir la méthodologie)."
    return finish_layout(fig, titre, source_text(data, src, years_text(series["annee"]),
                                           national if len(national) else None, **options) + note,
                   key="places_modes", height=500)


def coverage_references_figure(data: CtgData, annee: int,
                               references: pd.DataFrame | None = None, **options) -> go.Figure:
    """The coverage rate of `annee` and its components, computed locally (bars), beside the
    levels published by the Cnaf for the SAME year: the territory's own published rate (bars),
    its EPCI, département, région and France drawn as labelled reference marks over each
    component (« France 59,4 (2021) » in the legend and the subtitle); the source line names
    each edition. When a level has no value that year, the note names its latest earlier
    value instead."""
    from ctg_data.references import edition_text

    titre = spec_title("couverture_references", data, annee=annee)
    src = spec_source("couverture_references")
    c = computed(options, "coverage",
                 lambda: indicators.coverage(data, annee, cible=options.get("cible")))
    refs = reference_rows(references)
    fig = go.Figure()
    labels = [lab for _, lab in COMPONENTS]
    values = [c.taux.get(k) for k, _ in COMPONENTS]
    used, earlier, marks = [], [], []
    if any(v is not None for v in values):
        fig.add_bar(x=labels, y=values, name="Territoire (calcul local)",
                    marker_color=fmt.level_colour("territoire"),
                    text=[fmt.fr_number(v, 1) for v in values], textposition="outside",
                    offsetgroup="territoire", alignmentgroup="niveaux",
                    hovertemplate=f"Territoire (calcul local) — %{{x}} : %{{y:,.1f}} {RATE_UNIT}"
                                  "<extra></extra>")
    for niveau in ("commune", "epci", "departement", "region", "france"):
        rows = [pick_reference(refs, niveau, f"taux_couverture_{k}", annee, data)
                for k, _ in COMPONENTS]
        same = [r if r is not None and int(r["annee"]) == int(annee) else None for r in rows]
        level = fmt.LEVEL_LABELS[niveau].replace(" (Cnaf)", "")
        if all(r is None for r in same):
            if rows[0] is not None:
                earlier.append(f"{fmt.LEVEL_LABELS[niveau]} {int(rows[0]['annee'])} : "
                               f"{fmt.fr_number(rows[0]['valeur'], 1)}")
            continue
        ys = [None if r is None else float(r["valeur"]) for r in same]
        used.extend(r for r in same if r is not None)
        if niveau == "commune":
            # The territory's own published rate: a bar beside the computed one.
            name = level + " (publié par la Cnaf)"
            fig.add_bar(x=labels, y=ys, name=name, marker_color=fmt.level_colour(niveau),
                        marker_pattern_shape=".", text=[fmt.fr_number(v, 1) for v in ys],
                        textposition="outside", offsetgroup=niveau,
                        alignmentgroup="niveaux",
                        hovertemplate=f"{name} — %{{x}} : %{{y:,.1f}} {RATE_UNIT}"
                                      "<extra></extra>")
            continue
        # A reference level: a labelled mark over each component, in its own slot.
        place = next((str(r["nom"]).strip() for r in same if r is not None
                      and isinstance(r.get("nom"), str) and r["nom"].strip()), "")
        named = level if niveau == "france" or not place else f"{level} {fmt.escape_plotly(place)}"
        head = (f"{named} {fmt.fr_number(ys[0], 1)} ({annee})" if ys[0] is not None
                else f"{named} ({annee})")
        if ys[0] is not None:
            marks.append(head)
        fig.add_scatter(x=labels, y=ys, name=head, mode="markers+text",
                        marker=dict(symbol="line-ew", size=30, color=fmt.level_colour(niveau),
                                    line=dict(width=4, color=fmt.level_colour(niveau))),
                        text=[fmt.fr_number(v, 1) for v in ys], textposition="top center",
                        textfont=dict(color=fmt.level_colour(niveau), size=12),
                        offsetgroup=niveau, alignmentgroup="niveaux", cliponaxis=False,
                        hovertemplate=f"{named} (publié par la Cnaf, {annee}) — %{{x}} : "
                                      f"%{{y:,.1f}} {RATE_UNIT}<extra></extra>")
    if not any(t.type == "bar" for t in fig.data):
        # References alone say nothing about the territory: no computed nor published rate.
        return no_data_figure(titre, source_text(data, src, **options), "couverture_references")
    fig.update_layout(barmode="group", scattermode="group")
    fig.update_xaxes(title_text="Composante du taux")
    top = max([v for t in fig.data for v in t.y if v is not None] + [10])
    # Room above the highest value for its label.
    fig.update_yaxes(title_text=RATE_AXIS, tickformat=",.0f", hoverformat=D3_DEC1,
                     range=[0, top * 1.18])
    note = " Le taux est théorique : une place peut être partagée par plusieurs enfants."
    if c.annee_population and c.annee_population != annee:
        note += f" Enfants de moins de 3 ans de {c.annee_population}."
    if earlier:
        note += (f" Pas de taux publié pour {annee} ; dernier taux global publié : "
                 + ", ".join(earlier) + ".")
    shown = None
    if used:
        shown = pd.DataFrame(used)
        shown["edition"] = shown["edition"].map(edition_text)
    subtitle = ("Taux global publié par la Cnaf : " + " · ".join(marks)) if marks else None
    return finish_layout(fig, titre, source_text(data, src, str(annee), shown, **options)
                         + note, key="couverture_references", subtitle=subtitle,
                         height=500 if subtitle else 460)


def coverage_evolution_figure(data: CtgData, annee: int,
                              references: pd.DataFrame | None = None, **options) -> go.Figure:
    """The global coverage rate over the years, with the reference levels; a reference line
    joins only the years of one edition (series were revised between editions)."""
    titre = spec_title("couverture_evolution", data)
    src = spec_source("couverture_evolution")
    series = _series(data, annee, options)
    series = series[series["taux_global"].notna()] if len(series) else series
    years = series["annee"].astype(int).tolist() if len(series) else []
    refs = reference_rows(references)
    fig = go.Figure()
    if years:
        rates = series["taux_global"].astype(float).tolist()
        fig.add_scatter(x=years, y=rates,
                        name="Territoire (calcul local)", mode="lines+markers+text",
                        line=dict(color=fmt.level_colour("territoire"), width=3),
                        marker=dict(size=10, symbol=fmt.LEVEL_SYMBOLS["territoire"]),
                        text=[fmt.fr_number(r, 1) for r in rates],
                        textposition="bottom center",
                        hovertemplate=f"%{{x}} — territoire : %{{y:,.1f}} {RATE_UNIT}"
                                      "<extra></extra>")
    if not years:
        return no_data_figure(titre, source_text(data, src, **options), "couverture_evolution")
    used = []
    first = min(years)
    for niveau in ("commune", "epci", "departement", "france"):
        rows = level_rows(refs, niveau, data)
        rows = rows[(rows["indicateur"] == "taux_couverture_global")
                    & (rows["annee"] <= annee) & (rows["annee"] >= first - 1)]
        for i, (edition, part) in enumerate(rows.groupby(rows["edition"].fillna("—"),
                                                         sort=True)):
            part = part.sort_values("annee").drop_duplicates("annee")
            used.append(part)
            symbol = EDITION_SYMBOLS[i % len(EDITION_SYMBOLS)] if i else fmt.LEVEL_SYMBOLS[niveau]
            name = fmt.LEVEL_LABELS[niveau] + (" (Cnaf)" if niveau != "commune" else "")
            if edition != "—":
                name += f", édition {edition}"
            fig.add_scatter(x=part["annee"], y=part["valeur"], name=name,
                            mode="lines+markers" if edition != "—" else "markers",
                            line=dict(color=fmt.level_colour(niveau), width=2, dash="dash"),
                            marker=dict(size=11, symbol=symbol,
                                        color=fmt.level_colour(niveau)),
                            hovertemplate=f"%{{x}} — {name} : %{{y:,.1f}} {RATE_UNIT}"
                                          "<extra></extra>")
    if not fig.data:
        return no_data_figure(titre, source_text(data, src, **options), "couverture_evolution")
    fig.update_xaxes(title_text="Année", tickformat="d", dtick=1, hoverformat="d")
    fig.update_yaxes(title_text=RATE_AXIS, tickformat=",.0f", hoverformat=D3_DEC1,
                     rangemode="tozero")
    return finish_layout(fig, titre, source_text(data, src, years_text(years or [annee]),
                                           pd.concat(used) if used else None, **options),
                   key="couverture_evolution")


def missing_places_figure(data: CtgData, annee: int, references: pd.DataFrame | None = None,
                          **options) -> go.Figure:
    """The places of `annee` (stacked by mode) against the places needed for the target rate
    (`cible`, default setting cible_taux_couverture), with the number of places missing."""
    cible = target_rate(options)
    titre = spec_title("places_manquantes", data, cible=fmt.fr_target_rate(cible), annee=annee)
    src = spec_source("places_manquantes")
    c = computed(options, "coverage", lambda: indicators.coverage(data, annee, cible=cible))
    if not c.enfants_moins_3_ans or (c.places.get("total") in (None, 0)
                                     and not any(c.places.get(m) for m in RATE_MODES)):
        return no_data_figure(titre, source_text(data, src, **options), "places_manquantes")
    needed = cible * c.enfants_moins_3_ans / 100
    fig = go.Figure()
    label = [f"Places {annee}"]
    for mode in RATE_MODES:
        if c.places.get(mode):
            _mode_bar(fig, label, [c.places[mode]], mode, orientation="h", width=0.5,
                      limit=secrecy.secret_limit(options))
    fig.add_vline(x=needed, line=dict(color=fmt.TEXTE, width=3, dash="dash"))
    fig.add_annotation(x=needed, y=0.5, yref="paper", xanchor="left", showarrow=False,
                       text=f" Cible : {fmt.fr_number(needed)} places<br> "
                            f"({fmt.fr_target_rate(cible)})", font=dict(size=13),
                       name="cible")
    missing = c.places_manquantes
    message = ("Cible atteinte" if not missing else
               f"Il manque {fmt.fr_count(missing, 'place')} pour atteindre la cible")
    subtitle = f"<b>{message}</b> — taux {annee} : {fmt.fr_rate(c.taux.get('global'))}"
    fig.update_layout(barmode="stack")
    total = sum(c.places.get(m) or 0 for m in RATE_MODES)
    fig.update_xaxes(title_text="Places d'accueil (enfants de moins de 3 ans)",
                     tickformat=D3_INT, hoverformat=D3_INT, range=[0, max(needed, total) * 1.3])
    fig.update_yaxes(title_text="")
    return finish_layout(fig, titre, source_text(data, src, str(annee), **options),
                   key="places_manquantes", height=330, subtitle=subtitle)


def scenario_figure(data: CtgData, annee: int, references: pd.DataFrame | None = None,
                    **options) -> go.Figure:
    """Today versus a scenario, side by side: stacked places by mode (left) and the coverage
    rate of each state against the target (right). `options`: `scenario` (a Coverage already
    computed) or `delta_places` ({mode: ± places}) and `enfants_moins_3_ans`; `cible`."""
    cible = options.get("cible")
    titre = spec_title("scenario", data, annee=annee)
    src = spec_source("scenario")
    today = computed(options, "coverage",
                     lambda: indicators.coverage(data, annee, cible=cible))
    sim = options.get("scenario")
    if sim is None:
        sim = indicators.scenario(data, annee, delta_places=options.get("delta_places") or {},
                                  enfants_moins_3_ans=options.get("enfants_moins_3_ans"),
                                  cible=cible)
    if today.taux.get("global") is None and sim.taux.get("global") is None:
        return no_data_figure(titre, source_text(data, src, **options), "scenario")
    states = ["Aujourd'hui", "Scénario"]
    fig = make_subplots(rows=1, cols=2, column_widths=[0.6, 0.4], horizontal_spacing=0.14)
    for mode in RATE_MODES:
        values = [today.places.get(mode) or 0, sim.places.get(mode) or 0]
        if any(values):
            _mode_bar(fig, states, values, mode, width=0.55, limit=secrecy.secret_limit(options))
    rates = [today.taux.get("global"), sim.taux.get("global")]
    enfants = [fmt.fr_number(today.enfants_moins_3_ans), fmt.fr_number(sim.enfants_moins_3_ans)]
    totals = [today.places.get("total"), sim.places.get("total")]
    fig.add_bar(x=states, y=rates, name="Taux de couverture", showlegend=False,
                marker=dict(color=fmt.level_colour("territoire"), pattern_shape=["", "/"],
                            line=dict(color="#595959", width=1)), width=0.55,
                # Above the bars: white text would vanish into the scenario's hatching.
                text=[fmt.fr_number(r, 1) for r in rates], textposition="outside",
                cliponaxis=False, textfont=dict(color=fmt.TEXTE, size=15),
                customdata=list(zip([fmt.fr_number(t) for t in totals], enfants)),
                hovertemplate=f"%{{x}} : %{{y:,.1f}} {RATE_UNIT} de moins de 3 ans<br>"
                              "%{customdata[0]} places pour %{customdata[1]} enfants"
                              "<extra></extra>", row=1, col=2)
    # Both states share the places scale, so that the change is seen at a glance.
    for i, t in enumerate(totals):
        if t is not None:
            fig.add_annotation(x=i, y=t, text=f"<b>{fmt.fr_number(t)}</b>",
                               yanchor="bottom", showarrow=False, row=1, col=1, name="total")
    if cible is not None:
        fig.add_hline(y=float(cible), line=dict(color=fmt.TEXTE, dash="dash", width=2),
                      row=1, col=2, annotation_text=f"Cible {fmt.fr_target(cible)}",
                      annotation_position="top right")
    fig.update_layout(barmode="stack")
    fig.update_xaxes(title_text="Places par mode d'accueil", row=1, col=1)
    fig.update_xaxes(title_text="Taux de couverture global", row=1, col=2)
    fig.update_yaxes(title_text="Places", tickformat=D3_INT, hoverformat=D3_INT,
                     rangemode="tozero", row=1, col=1)
    top = max([r for r in rates if r is not None] + [float(cible or 0), 10])
    fig.update_yaxes(title_text=RATE_AXIS.replace(" de moins", "<br>de moins"),
                     tickformat=",.0f", hoverformat=D3_DEC1, range=[0, top * 1.2], row=1, col=2)
    delta = None if None in rates else rates[1] - rates[0]
    summary = (f"Taux : {fmt.fr_number(rates[0], 1)} → {fmt.fr_number(rates[1], 1)} "
               f"{RATE_UNIT} ({fmt.fr_signed(delta)})")
    if sim.places_manquantes is not None:
        summary += (f" ; places manquantes pour la cible : "
                    f"{fmt.fr_number(today.places_manquantes)} → "
                    f"{fmt.fr_number(sim.places_manquantes)}")
    return finish_layout(fig, titre, source_text(data, src, str(annee), **options), key="scenario",
                   height=500, subtitle=summary)


def rpe_figure(data: CtgData, annee: int, references: pd.DataFrame | None = None,
               **options) -> go.Figure:
    """Active childminders per full-time RPE animator (COG target 70) and waiting demands
    per 100 children under 3, over the years."""
    titre = spec_title("rpe_attente", data)
    src = spec_source("rpe_attente")
    series = _series(data, annee, options)
    if len(series):
        series = series[series["am_par_etp_rpe"].notna() | series["demandes_pour_100"].notna()]
    if series.empty:
        return no_data_figure(titre, source_text(data, src, **options), "rpe_attente")
    years = series["annee"].astype(int).astype(str).tolist()
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    ratio = [fmt.as_number(v) for v in series["am_par_etp_rpe"]]
    if any(v is not None for v in ratio):
        fig.add_bar(x=years, y=ratio, name="AM en activité par ETP d'animateur RPE",
                    marker=dict(color=fmt.mode_colour("am")),
                    text=[fmt.fr_number(v, 0) for v in ratio], textposition="inside",
                    insidetextanchor="end", textfont=dict(color=fmt.TEXTE),
                    hovertemplate="%{x} : %{y:,.0f} assistantes maternelles par ETP "
                                  "d'animateur<extra></extra>", secondary_y=False)
        fig.add_hline(y=COG_AM_PER_RPE, line=dict(color=fmt.TEXTE, dash="dash", width=2),
                      annotation_text=f"Repère COG : 1 ETP pour {COG_AM_PER_RPE} AM",
                      annotation_position="top right", annotation_bgcolor="#FFFFFF",
                      secondary_y=False)
    waiting = [fmt.as_number(v) for v in series["demandes_pour_100"]]
    if any(v is not None for v in waiting):
        fig.add_scatter(x=years, y=waiting, name="Demandes en attente pour 100 enfants "
                        "(axe de droite)", mode="lines+markers",
                        line=dict(color=SECOND_COLOUR, width=3),
                        marker=dict(symbol="diamond", size=10),
                        hovertemplate="%{x} : %{y:,.1f} demandes en attente pour 100 enfants "
                                      "de moins de 3 ans<extra></extra>", secondary_y=True)
    year_axis(fig)
    fig.update_yaxes(title_text="AM en activité par ETP d'animateur", tickformat=D3_INT,
                     hoverformat=D3_INT, rangemode="tozero", secondary_y=False)
    top = max([v for v in waiting if v is not None] + [1])
    fig.update_yaxes(title_text="Demandes pour 100 enfants", tickformat=",.0f",
                     hoverformat=D3_DEC1, range=[0, top * 1.6], showgrid=False,
                     tickmode="auto", secondary_y=True)
    return finish_layout(fig, titre, source_text(data, src, years_text(series["annee"]), **options),
                   key="rpe_attente")


def childminders_figure(data: CtgData, annee: int, references: pd.DataFrame | None = None,
                        **options) -> go.Figure:
    """Licensed and active childminders over the years."""
    titre = spec_title("assistantes_maternelles", data)
    src = spec_source("assistantes_maternelles")
    rows = rows_up_to(data.table("assistantes_maternelles"), annee)
    rows = rows[rows[["am_agreees", "am_en_activite"]].notna().any(axis=1)]
    if rows.empty:
        return no_data_figure(titre, source_text(data, src, **options), "assistantes_maternelles")
    years = rows["annee"].astype(int).astype(str).tolist()
    fig = go.Figure()
    for col, name, pattern in (("am_agreees", "Agréées", "/"),
                               ("am_en_activite", "En activité", "")):
        if rows[col].notna().any():
            fig.add_bar(x=years, y=rows[col], name=name,
                        marker=dict(color=fmt.mode_colour("am"), pattern_shape=pattern,
                                    pattern_fgcolor="#7A5400" if pattern else None,
                                    line=dict(color="#7A5400", width=1)),
                        text=[fmt.fr_number(v) for v in rows[col]], textposition="outside",
                        hovertemplate=f"%{{x}} — {name.lower()} : %{{y:,.0f}} assistantes "
                                      "maternelles<extra></extra>")
    fig.update_layout(barmode="group")
    year_axis(fig)
    fig.update_yaxes(title_text="Assistantes maternelles", tickformat=D3_INT, hoverformat=D3_INT,
                     rangemode="tozero")
    return finish_layout(fig, titre, source_text(data, src, years_text(years), **options),
                   key="assistantes_maternelles")
