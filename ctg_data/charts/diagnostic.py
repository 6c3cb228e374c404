"""Diagnostic charts (the territory's portrait): population and births, age bands, family
structure, key rates and median income beside the reference levels, Caf allocataires, and the
map of the structures. Titles and sources come from their `ChartSpec` (registry).
"""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ctg_data import indicators, secrecy
from ctg_data import formatting as fmt
from ctg_data.charts.inputs import latest_row, rows_up_to, years_text
from ctg_data.charts.layout import (COUNT_COLOUR, SECOND_COLOUR, finish_layout,
                                    no_data_figure, short_text, source_text, year_axis)
from ctg_data.charts.reference_levels import pick_reference, reference_rows
from ctg_data.charts.registry import spec_source, spec_title
from ctg_data.formatting import D3_DEC1, D3_INT, NNBSP, PCT_SUFFIX
from ctg_data.model import CtgData

NO_REFERENCE_NOTE = (" Aucune valeur de comparaison (EPCI, département, France) n'est chargée "
                     "pour cette année : elles s'importent depuis la page Données.")


def population_figure(data: CtgData, annee: int, references: pd.DataFrame | None = None,
                      **options) -> go.Figure:
    """Population (bars) and births (line, right axis) over the years up to `annee`."""
    titre = spec_title("population", data)
    rows = rows_up_to(data.table("population"), annee)
    rows = rows[rows[["population", "naissances"]].notna().any(axis=1)]
    src = spec_source("population")
    if rows.empty:
        return no_data_figure(titre, source_text(data, src, **options), "population")
    years = rows["annee"].astype(int).astype(str).tolist()
    limit = secrecy.secret_limit(options)
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_bar(x=years, y=rows["population"], name="Population municipale",
                marker_color=COUNT_COLOUR,
                hovertemplate="%{x} : %{y:,.0f} habitants<extra></extra>", secondary_y=False)
    secrecy.protect(fig.data[-1], rows["population"], limit,
            f"%{{x}} : habitants {secrecy.SECRET_HOVER}<extra></extra>")
    fig.add_scatter(x=years, y=rows["naissances"], name="Naissances (axe de droite)",
                    mode="lines+markers", line=dict(color=SECOND_COLOUR, width=3),
                    marker=dict(symbol="diamond", size=9),
                    hovertemplate="%{x} : %{y:,.0f} naissances<extra></extra>", secondary_y=True)
    secrecy.protect(fig.data[-1], rows["naissances"], limit,
            f"%{{x}} : naissances {secrecy.SECRET_HOVER}<extra></extra>")
    fig.update_yaxes(title_text="Habitants", tickformat=D3_INT, hoverformat=D3_INT,
                     rangemode="tozero", secondary_y=False)
    births = [v for v in rows["naissances"] if not fmt.is_missing(v)] or [1]
    # Births drawn at mid-height, clear of the population bars' tops.
    fig.update_yaxes(title_text="Naissances", tickformat=D3_INT, hoverformat=D3_INT,
                     range=[0, max(births) * 1.8], showgrid=False, tickmode="auto",
                     secondary_y=True)
    year_axis(fig)
    return finish_layout(fig, titre, source_text(data, src, years_text(years), **options),
                   key="population")


AGE_BANDS = (("enfants_0_2", "0-2 ans"), ("enfants_3_5", "3-5 ans"), ("enfants_6_10", "6-10 ans"),
             ("jeunes_11_17", "11-17 ans"))


def age_bands_figure(data: CtgData, annee: int, references: pd.DataFrame | None = None,
                     **options) -> go.Figure:
    """Children and young people by age band, for `annee` (or the latest earlier year)."""
    cols = [c for c, _ in AGE_BANDS]
    row, year = latest_row(data.table("population"), annee, cols)
    src = spec_source("tranches_age")
    if row is None:
        return no_data_figure(spec_title("tranches_age", data, annee=annee, note=""),
                              source_text(data, src, **options), "tranches_age")
    note = "" if year == annee else f" (dernière année disponible : {year})"
    titre = spec_title("tranches_age", data, annee=year, note=note)
    values = [fmt.as_number(row[c]) for c in cols]
    labels = [lab for _, lab in AGE_BANDS]
    fig = go.Figure(go.Bar(
        x=labels, y=values, marker_color=COUNT_COLOUR, name="Effectif",
        text=[fmt.fr_number(v) for v in values], textposition="outside",
        hovertemplate="%{x} : %{y:,.0f} enfants ou jeunes<extra></extra>"))
    secrecy.protect(fig.data[0], values, secrecy.secret_limit(options),
            f"%{{x}} : enfants ou jeunes {secrecy.SECRET_HOVER}<extra></extra>")
    fig.update_xaxes(title_text="Tranche d'âge")
    fig.update_yaxes(title_text="Enfants ou jeunes", tickformat=D3_INT, hoverformat=D3_INT,
                     rangemode="tozero")
    fig.update_layout(showlegend=False)
    return finish_layout(fig, titre, source_text(data, src, str(year), **options), key="tranches_age")


def families_figure(data: CtgData, annee: int, references: pd.DataFrame | None = None,
                    **options) -> go.Figure:
    """Families with children: couples vs single-parent families (stacked shares, %), with
    the share of large families as a marker."""
    titre = spec_title("familles", data)
    src = spec_source("familles")
    rows = rows_up_to(data.table("population"), annee)
    rows = rows[rows["familles_avec_enfants"].notna() & (rows["familles_avec_enfants"] > 0)
                & rows["familles_monoparentales"].notna()]
    if rows.empty:
        return no_data_figure(titre, source_text(data, src, **options), "familles")
    years = rows["annee"].astype(int).astype(str).tolist()
    total = rows["familles_avec_enfants"].astype(float)
    mono = rows["familles_monoparentales"].astype(float)
    couples = (total - mono).clip(lower=0)
    nombreuses = rows["familles_nombreuses"].astype(float)
    fig = go.Figure()
    for name, counts, colour, pattern in (
            ("Couples avec enfants", couples, COUNT_COLOUR, ""),
            ("Familles monoparentales", mono, SECOND_COLOUR, "")):
        share = 100 * counts / total
        fig.add_bar(x=years, y=share, name=name, marker=dict(color=colour,
                    pattern_shape=pattern, line=dict(color="#FFFFFF", width=1)),
                    customdata=counts, text=[fmt.fr_percent(v) for v in share],
                    textposition="inside", insidetextanchor="middle",
                    hovertemplate=f"%{{x}} — {name} : %{{y:,.1f}}{NNBSP}% "
                                  f"(%{{customdata:,.0f}} familles)<extra></extra>")
        # The share of a masked count, with the total, would give the count back.
        secrecy.protect(fig.data[-1], counts, secrecy.secret_limit(options),
                f"%{{x}} — {name} : {secrecy.SECRET_HOVER}<extra></extra>")
    if nombreuses.notna().any():
        share = 100 * nombreuses / total
        fig.add_scatter(x=years, y=share, name="dont familles nombreuses (3 enfants ou plus)",
                        mode="markers+text", marker=dict(symbol="diamond", size=13,
                        color="#E69F00", line=dict(color="#000000", width=1)),
                        text=[fmt.fr_percent(v) for v in share], textposition="middle right",
                        textfont=dict(color="#FFFFFF"), customdata=nombreuses,
                        hovertemplate=f"%{{x}} — familles nombreuses : %{{y:,.1f}}{NNBSP}% "
                                      f"(%{{customdata:,.0f}} familles)<extra></extra>")
        secrecy.protect(fig.data[-1], nombreuses, secrecy.secret_limit(options),
                f"%{{x}} — familles nombreuses : {secrecy.SECRET_HOVER}<extra></extra>")
    fig.update_layout(barmode="stack")
    year_axis(fig)
    fig.update_yaxes(title_text="Part des familles avec enfants (%)", range=[0, 100],
                     ticksuffix=PCT_SUFFIX, tickformat=",.0f", hoverformat=D3_DEC1)
    return finish_layout(fig, titre, source_text(data, src, years_text(years), **options),
                   key="familles")


# Portrait rates compared with the references (code, label, how to compute it from a row).
KEY_RATES = (
    ("taux_activite_femmes", "Taux d'activité<br>des femmes 25-54 ans"),
    ("taux_chomage", "Taux de chômage"),
    ("taux_pauvrete", "Taux de pauvreté"),
    ("part_familles_monoparentales", "Part des familles<br>monoparentales"),
)


def _territory_rate(data: CtgData, code: str, annee: int) -> tuple[float | None, int | None]:
    frame = data.table("population")
    if code == "part_familles_monoparentales":
        rows = rows_up_to(frame, annee)
        rows = rows[rows["familles_monoparentales"].notna()
                    & (rows["familles_avec_enfants"] > 0)]
        if rows.empty:
            return None, None
        r = rows.iloc[-1]
        return 100 * float(r["familles_monoparentales"]) / float(r["familles_avec_enfants"]), \
            int(r["annee"])
    row, year = latest_row(frame, annee, [code])
    return (None, None) if row is None else (fmt.as_number(row[code]), year)


def key_rates_figure(data: CtgData, annee: int, references: pd.DataFrame | None = None,
                     **options) -> go.Figure:
    """Key rates of the territory beside the EPCI, département, region and France (grouped
    bars); only the levels with a value are drawn."""
    titre = spec_title("taux_comparaison", data)
    src = spec_source("taux_comparaison")
    refs = reference_rows(references)
    labels = {code: lab for code, lab in KEY_RATES}
    fig = go.Figure()
    used = []
    years_seen = set()
    territory = {code: _territory_rate(data, code, annee) for code, _ in KEY_RATES}
    x, y, years = [], [], []
    for code, (value, year) in territory.items():
        if value is not None:
            x.append(labels[code]); y.append(value); years.append(year); years_seen.add(year)
    if x:
        fig.add_bar(x=x, y=y, name="Territoire", marker_color=fmt.level_colour("territoire"),
                    customdata=years, text=[fmt.fr_percent(v) for v in y],
                    textposition="outside",
                    hovertemplate=f"Territoire — %{{x}} : %{{y:,.1f}}{NNBSP}% "
                                  "(%{customdata})<extra></extra>")
    if not fig.data:   # references alone say nothing about the territory
        return no_data_figure(titre, source_text(data, src, **options), "taux_comparaison")
    for niveau in ("epci", "departement", "region", "france"):
        x, y, years = [], [], []
        for code, _ in KEY_RATES:
            row = pick_reference(refs, niveau, code, annee, data)
            if row is not None:
                x.append(labels[code]); y.append(row["valeur"]); years.append(int(row["annee"]))
                used.append(row)
        if x:
            name = fmt.LEVEL_LABELS[niveau]
            nom = used[-1].get("nom")
            if niveau != "france" and nom and not fmt.is_missing(nom):
                name = f"{name} ({fmt.escape_plotly(nom)})"
            fig.add_bar(x=x, y=y, name=name, marker_color=fmt.level_colour(niveau),
                        customdata=years, text=[fmt.fr_percent(v) for v in y],
                        textposition="outside",
                        hovertemplate=f"{name} — %{{x}} : %{{y:,.1f}}{NNBSP}% "
                                      "(%{customdata})<extra></extra>")
    if not fig.data:
        return no_data_figure(titre, source_text(data, src, **options), "taux_comparaison")
    fig.update_layout(barmode="group")
    fig.update_xaxes(title_text="Indicateur", categoryorder="array",
                     categoryarray=[lab for _, lab in KEY_RATES])
    fig.update_yaxes(title_text="Pourcentage (%)", ticksuffix=PCT_SUFFIX, tickformat=",.0f",
                     hoverformat=D3_DEC1, rangemode="tozero")
    used_frame = pd.DataFrame(used) if used else None
    return finish_layout(fig, titre, source_text(data, src, years_text(years_seen), used_frame,
                                           **options) + ("" if used else NO_REFERENCE_NOTE),
                   key="taux_comparaison", bottom=115)


def income_figure(data: CtgData, annee: int, references: pd.DataFrame | None = None,
                  **options) -> go.Figure:
    """Median disposable income per consumption unit: territory and reference levels."""
    titre = spec_title("revenu", data)
    src = spec_source("revenu")
    refs = reference_rows(references)
    names, values, colours, years, used = [], [], [], [], []
    row, year = latest_row(data.table("population"), annee, ["revenu_median"])
    if row is None:
        return no_data_figure(titre, source_text(data, src, **options), "revenu")
    names.append("Territoire"); values.append(float(row["revenu_median"]))
    colours.append(fmt.level_colour("territoire")); years.append(year)
    for niveau in ("epci", "departement", "region", "france"):
        ref = pick_reference(refs, niveau, "revenu_median", annee, data)
        if ref is not None:
            label = fmt.LEVEL_LABELS[niveau]
            if niveau != "france" and not fmt.is_missing(ref.get("nom")):
                label += f"<br>({fmt.escape_plotly(ref['nom'])})"
            names.append(label); values.append(float(ref["valeur"]))
            colours.append(fmt.level_colour(niveau)); years.append(int(ref["annee"]))
            used.append(ref)
    if not values:
        return no_data_figure(titre, source_text(data, src, **options), "revenu")
    fig = go.Figure(go.Bar(
        x=names, y=values, marker_color=colours, customdata=years, name="Revenu médian",
        text=[fmt.fr_euro(v) for v in values], textposition="outside",
        hovertemplate=f"%{{x}} : %{{y:,.0f}}{NNBSP}€ par an (%{{customdata}})<extra></extra>"))
    fig.update_xaxes(title_text="Niveau géographique")
    fig.update_yaxes(title_text="Euros par an et par unité de consommation",
                     tickformat=D3_INT, hoverformat=D3_INT, ticksuffix=fmt.EURO_SUFFIX,
                     rangemode="tozero")
    fig.update_layout(showlegend=False)
    return finish_layout(fig, titre, source_text(data, src, years_text(years),
                                           pd.DataFrame(used) if used else None, **options)
                   + ("" if used else NO_REFERENCE_NOTE), key="revenu",
                   bottom=115 if used else 95)


def allocataires_figure(data: CtgData, annee: int, references: pd.DataFrame | None = None,
                        **options) -> go.Figure:
    """Caf allocataire households over the years (bars)."""
    titre = spec_title("allocataires", data)
    src = spec_source("allocataires")
    rows = rows_up_to(data.table("population"), annee)
    rows = rows[rows["allocataires"].notna()]
    if rows.empty:
        return no_data_figure(titre, source_text(data, src, **options), "allocataires")
    years = rows["annee"].astype(int).astype(str).tolist()
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_bar(x=years, y=rows["allocataires"], name="Foyers allocataires",
                marker_color=COUNT_COLOUR, text=[fmt.fr_number(v) for v in rows["allocataires"]],
                textposition="inside", insidetextanchor="end",
                textfont=dict(color="#FFFFFF"),
                hovertemplate="%{x} : %{y:,.0f} foyers allocataires<extra></extra>",
                secondary_y=False)
    secrecy.protect(fig.data[-1], rows["allocataires"], secrecy.secret_limit(options),
            f"%{{x}} : foyers allocataires {secrecy.SECRET_HOVER}<extra></extra>")
    menages = rows["menages"].astype(float)
    if (menages > 0).any():
        share = 100 * rows["allocataires"].astype(float) / menages.where(menages > 0)
        fig.add_scatter(x=years, y=share, name="Part des ménages (axe de droite)",
                        mode="lines+markers", line=dict(color=SECOND_COLOUR, width=3),
                        marker=dict(symbol="diamond", size=9),
                        hovertemplate=f"%{{x}} : %{{y:,.1f}}{NNBSP}% des ménages<extra></extra>",
                        secondary_y=True)
        fig.update_yaxes(title_text="Part des ménages (%)", ticksuffix=PCT_SUFFIX,
                         tickformat=",.0f", hoverformat=D3_DEC1, range=[0, 100],
                         showgrid=False, tickmode="auto", secondary_y=True)
    fig.update_yaxes(title_text="Foyers allocataires", tickformat=D3_INT, hoverformat=D3_INT,
                     rangemode="tozero", secondary_y=False)
    year_axis(fig)
    return finish_layout(fig, titre, source_text(data, src, years_text(years), **options),
                   key="allocataires")


def _geojson_lines(geojson) -> list[tuple[list[float], list[float]]]:
    """The rings of a GeoJSON FeatureCollection / Feature / Polygon / MultiPolygon."""
    if not isinstance(geojson, dict):
        return []
    kind = geojson.get("type")
    if kind == "FeatureCollection":
        return [ring for f in geojson.get("features", []) for ring in _geojson_lines(f)]
    if kind == "Feature":
        return _geojson_lines(geojson.get("geometry"))
    coords = geojson.get("coordinates") or []
    polygons = [coords] if kind == "Polygon" else coords if kind == "MultiPolygon" else []
    if kind == "LineString":
        polygons = [[coords]]
    return [([p[0] for p in ring], [p[1] for p in ring]) for poly in polygons for ring in poly]


def _spread_duplicates(frame: pd.DataFrame, radius: float = 0.0006) -> pd.DataFrame:
    """Structures at the same address drawn around it (≈ 60 m apart) instead of on top of
    each other; the first keeps the exact position."""
    out = frame.copy()
    keys = list(zip(out["latitude"].round(5), out["longitude"].round(5)))
    groups: dict = {}
    for idx, key in zip(out.index, keys):
        groups.setdefault(key, []).append(idx)
    for members in groups.values():
        n = len(members)
        for i, idx in enumerate(members[1:], start=1):
            angle = 2 * math.pi * (i - 1) / max(1, n - 1) + math.pi / 2
            lat = float(out.at[idx, "latitude"])
            out.at[idx, "latitude"] = lat + radius * math.sin(angle)
            out.at[idx, "longitude"] = float(out.at[idx, "longitude"]) + \
                radius * math.cos(angle) / math.cos(math.radians(lat))
    return out


MAP_LABEL_LIMIT = 8     # more structures than this: names on hover only (and in the table)


def _labelled(frame: pd.DataFrame, limit: int = MAP_LABEL_LIMIT) -> pd.Series:
    """Which structures get their name written on the map: all of them, or none — on hover
    only — when there are more than `limit` or when one written name would overlap another
    name or marker (estimated in pixels on the map's canvas). Some names written and others
    not read as if the others were missing."""
    none = pd.Series(False, index=frame.index)
    if len(frame) > limit or frame.empty:
        return none
    lons, lats = frame["longitude"].astype(float), frame["latitude"].astype(float)
    # The plot area of a 600-pixel-high map about 860 pixels wide; one degree of latitude
    # is 1/cos(lat) degrees of longitude on the screen (see map_figure).
    ratio = 1 / math.cos(math.radians((lats.min() + lats.max()) / 2))
    xspan = max(lons.max() - lons.min(), 0.01) * 1.16
    yspan = max(lats.max() - lats.min(), 0.005) * ratio
    px = min(860 / xspan, 420 / yspan)          # pixels per degree of longitude
    points = [(x * px, y * px * ratio) for x, y in zip(lons, lats)]
    boxes = []                                  # name above its marker: x0, x1, y0, y1
    for (x, y), name in zip(points, frame["nom"]):
        half = min(len(" ".join(str(name or "").split())), 30) * 10 * 0.6 / 2 + 4
        boxes.append((x - half, x + half, y + 7, y + 24))
    markers = [(x - 9, x + 9, y - 9, y + 9) for x, y in points]

    def overlap(a, b):
        return a[0] < b[1] and b[0] < a[1] and a[2] < b[3] and b[2] < a[3]

    for i, box in enumerate(boxes):
        others = [b for j, b in enumerate(boxes) if j != i] + \
            [m for j, m in enumerate(markers) if j != i]
        if any(overlap(box, other) for other in others):
            return none
    return pd.Series(True, index=frame.index)


def _scale_bar(fig: go.Figure, lons: list[float], lats: list[float]) -> None:
    """A distance scale (« 500 m », « 1 km »…) in the bottom-left corner of the plane."""
    lon0, lon1, lat0 = min(lons), max(lons), min(lats)
    km_per_degree = 111.32 * math.cos(math.radians((min(lats) + max(lats)) / 2))
    span_km = max((lon1 - lon0) * km_per_degree, 0.2)
    length = min((0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100),
                 key=lambda v: abs(v - span_km / 5))
    x0 = lon0
    y0 = lat0 - 0.06 * max(max(lats) - lat0, 0.005)
    x1 = x0 + length / km_per_degree
    fig.add_shape(type="line", x0=x0, x1=x1, y0=y0, y1=y0, xref="x", yref="y",
                  line=dict(color=fmt.TEXTE, width=3))
    label = f"{fmt.fr_number(length * 1000)} m" if length < 1 else f"{fmt.fr_number(length)} km"
    fig.add_annotation(x=(x0 + x1) / 2, y=y0, text=label, showarrow=False, yshift=12,
                       font=dict(size=12), name="echelle")


def map_figure(data: CtgData, annee: int, references: pd.DataFrame | None = None,
               **options) -> go.Figure:
    """The structures on a plain lon/lat plane (no tile server: works offline), coloured and
    shaped by type, named when there are few, with a distance scale and the commune contour
    when `options["contour"]` holds a GeoJSON dict (FeatureCollection, Feature or geometry)."""
    titre = spec_title("carte_structures", data, annee=annee)
    src = spec_source("carte_structures")
    rows = indicators.structures_of_year(data, annee)
    contour = _geojson_lines(options.get("contour"))
    located = rows[rows["latitude"].notna() & rows["longitude"].notna()] if len(rows) else rows
    if located.empty and not contour:
        return no_data_figure(titre, source_text(data, src, **options), "carte_structures")
    fig = go.Figure()
    for i, (lon, lat) in enumerate(contour):
        fig.add_scatter(x=lon, y=lat, mode="lines", line=dict(color="#595959", width=1.5),
                        name="Limite communale", showlegend=i == 0, legendgroup="contour",
                        hoverinfo="skip")
    if len(located):
        located = _spread_duplicates(located)
        located = located.assign(_nomme=_labelled(located))
        located = located.assign(_groupe=located["type"].map(
            lambda t: fmt.STRUCTURE_GROUPS.get(t, "Autre")))
        for group, (colour, symbol) in fmt.STRUCTURE_STYLES.items():
            part = located[located["_groupe"] == group]
            if part.empty:
                continue
            places = [fmt.fr_count(p, "place") if not fmt.is_missing(p) else "capacité non "
                      "renseignée" for p in part["places"]]
            custom = list(zip(part["nom"].map(fmt.escape_plotly), part["type"], places,
                              part["gestionnaire"].fillna("—"),
                              part["adresse"].fillna("—").map(fmt.escape_plotly)))
            names = [short_text(n, 30) if shown else "" for n, shown in zip(part["nom"],
                                                                         part["_nomme"])]
            # Names written only when none overlaps (see _labelled); else on hover only.
            fig.add_scatter(x=part["longitude"], y=part["latitude"],
                            mode="markers+text" if any(names) else "markers",
                            name=group, text=names, textposition="top center",
                            textfont=dict(size=10, color=fmt.TEXTE),
                            marker=dict(color=colour, symbol=symbol, size=14,
                                        line=dict(color="#FFFFFF" if "open" not in symbol
                                                  else colour, width=1.5)),
                            customdata=custom,
                            hovertemplate="<b>%{customdata[0]}</b><br>%{customdata[1]} — "
                                          "%{customdata[2]}<br>Gestionnaire : %{customdata[3]}"
                                          "<br>%{customdata[4]}<extra></extra>")
    lons = list(located["longitude"]) + [v for lo, _ in contour for v in lo]
    lats = list(located["latitude"]) + [v for _, la in contour for v in la]
    mid = (min(lats) + max(lats)) / 2
    _scale_bar(fig, lons, lats)
    pad = 0.08 * max(max(lons) - min(lons), 0.01)
    # Equirectangular correction: one degree of latitude is 1/cos(lat) degrees of longitude.
    fig.update_yaxes(scaleanchor="x", scaleratio=1 / math.cos(math.radians(mid)),
                     visible=False)
    fig.update_xaxes(visible=False, range=[min(lons) - pad, max(lons) + pad])
    missing = len(rows) - len(located)
    note = (f" {fmt.fr_count(missing, 'structure')} sans coordonnées "
            f"{'ne figurent' if missing > 1 else 'ne figure'} pas sur la carte.") if missing else ""
    if len(located) and not located["_nomme"].any():
        note += " Nom de chaque structure au survol de son symbole."
    note += " Fond de carte absent : positions d'après les coordonnées du classeur."
    return finish_layout(fig, titre, source_text(data, src, str(annee), **options) + note,
                   key="carte_structures", height=600, bottom=30)
