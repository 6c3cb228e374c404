"""Enfance-jeunesse charts (ALSH, accueils de loisirs): places per 100 children of the age
bands each period serves, and the use of the places by period. Titles and sources come from
their `ChartSpec`.
"""

from __future__ import annotations

import re

import pandas as pd
import plotly.graph_objects as go

from ctg_data import indicators, secrecy
from ctg_data import formatting as fmt
from ctg_data.charts.inputs import computed
from ctg_data.charts.layout import finish_layout, no_data_figure, source_text
from ctg_data.charts.registry import spec_source, spec_title
from ctg_data.formatting import D3_DEC1, NNBSP
from ctg_data.model import CtgData


def _alsh(data: CtgData, annee: int, options: dict) -> pd.DataFrame:
    """indicators.alsh_coverage, one row per period in the order of the format."""
    frame = computed(options, "alsh_coverage", lambda: indicators.alsh_coverage(data, annee))
    if frame is None or frame.empty:
        return pd.DataFrame(columns=["periode"])
    order = {p: i for i, p in enumerate(fmt.ALSH_PERIODS)}
    return frame.assign(_o=frame["periode"].map(order)).sort_values("_o").drop(columns="_o")


def _short_band(tranche) -> str:
    """« 3-5 + 6-10 + 11-17 ans » → « 3-17 ans » (contiguous INSEE bands)."""
    numbers = [int(n) for n in re.findall(r"\d+", str(tranche or ""))]
    if len(numbers) >= 2 and len(numbers) % 2 == 0:
        pairs = list(zip(numbers[::2], numbers[1::2]))
        if all(b[0] == a[1] + 1 for a, b in zip(pairs, pairs[1:])):
            return f"{pairs[0][0]}-{pairs[-1][1]} ans"
    return str(tranche or "")


def _period_label(periode: str, tranche) -> str:
    return f"{periode}<br>({_short_band(tranche)})" if not fmt.is_missing(tranche) else periode


def alsh_coverage_figure(data: CtgData, annee: int, references: pd.DataFrame | None = None,
                         **options) -> go.Figure:
    """ALSH places per 100 children of the age bands each period serves (local indicator):
    one bar per period, coloured by period, its age bands under the bar."""
    titre = spec_title("alsh_couverture", data, annee=annee)
    src = spec_source("alsh_couverture")
    frame = _alsh(data, annee, options)
    frame = frame[frame["couverture"].notna()] if "couverture" in frame else frame.iloc[0:0]
    if frame.empty:
        return no_data_figure(titre, source_text(data, src, **options), "alsh_couverture")
    fig = go.Figure()
    for _, r in frame.iterrows():
        p = r["periode"]
        x = [_period_label(p, r["tranche"])]
        fig.add_bar(x=x, y=[r["couverture"]], name=p,
                    marker_color=fmt.ALSH_PERIOD_COLOURS.get(p, fmt.GRIS),
                    customdata=[[fmt.fr_number(r["places"]), fmt.fr_number(r["enfants"]),
                                 str(r.get("structures") or ""), str(r["tranche"])]],
                    text=[fmt.fr_number(r["couverture"], 1)], textposition="outside",
                    hovertemplate=f"<b>{p}</b> — %{{y:,.1f}} places pour 100 enfants<br>"
                                  "%{customdata[0]} places pour %{customdata[1]} enfants "
                                  "de %{customdata[3]}<br>"
                                  "%{customdata[2]}<extra></extra>")
        # With the places, the rate gives the number of children back: both are hidden.
        secrecy.protect(fig.data[-1], [r["enfants"]], secrecy.secret_limit(options),
                f"<b>{p}</b> — {secrecy.SECRET_HOVER}<extra></extra>")
    fig.update_layout(showlegend=False)
    fig.update_xaxes(title_text="Période (tranches d'âge accueillies)", tickangle=0)
    # On two lines: on one, the axis title ran into the chart title.
    fig.update_yaxes(title_text="Places pour 100 enfants<br>des tranches d'âge",
                     tickformat=",.0f", hoverformat=D3_DEC1, rangemode="tozero")
    note = " Indicateur local, sans référence nationale."
    if "approximations" in frame and frame["approximations"].notna().any():
        note += " Tranches d'âge couvertes en partie comptées au prorata (voir la méthodologie)."
    return finish_layout(fig, titre, source_text(data, src, str(annee), **options) + note,
                   key="alsh_couverture", bottom=118)


ALSH_CHILDREN_PER_PLACES = ("Enfants accueillis pour 100 places ouvertes (indicateur local, "
                            "pas un taux d'occupation)")


def alsh_fill_figure(data: CtgData, annee: int, references: pd.DataFrame | None = None,
                     **options) -> go.Figure:
    """ALSH use by period: hours realised / hours offered (%), or, where hours are missing,
    children welcomed per 100 places — the measure is written under each bar."""
    titre = spec_title("alsh_remplissage", data, annee=annee)
    src = spec_source("alsh_remplissage")
    frame = _alsh(data, annee, options)
    frame = frame[frame["taux_remplissage"].notna()] if "taux_remplissage" in frame \
        else frame.iloc[0:0]
    if frame.empty:
        return no_data_figure(titre, source_text(data, src, **options), "alsh_remplissage")
    hours = frame["mesure_remplissage"].fillna("").str.startswith("heures")
    fig = go.Figure()
    for measured, name, pattern in ((True, "Heures réalisées / heures offertes (%)", ""),
                                    (False, ALSH_CHILDREN_PER_PLACES, "/")):
        part = frame[hours == measured]
        if part.empty:
            continue
        periods = part["periode"].tolist()
        # Children welcomed per 100 places is a count of children, not a share of places: it
        # goes past 100 and must not read as an occupancy rate (« 463 pour 100 places »).
        unit = (f"{NNBSP}% des heures offertes" if measured
                else " " + ALSH_CHILDREN_PER_PLACES[0].lower() + ALSH_CHILDREN_PER_PLACES[1:])
        fig.add_bar(x=[f"{p}<br>({'% des heures' if measured else 'enfants pour<br>100 places'})"
                       for p in periods],
                    y=part["taux_remplissage"], name=name,
                    marker=dict(color=[fmt.ALSH_PERIOD_COLOURS.get(p, fmt.GRIS) for p in periods],
                                pattern_shape=pattern, line=dict(color="#595959", width=1)),
                    text=[fmt.fr_number(v, 0) for v in part["taux_remplissage"]],
                    textposition="outside",
                    hovertemplate=f"%{{x}} : %{{y:,.0f}}{unit}<extra></extra>")
    fig.add_hline(y=100, line=dict(color=fmt.TEXTE, width=1, dash="dot"))
    # Bars are coloured by period and their measure is written under them: a legend of the
    # measures would show one period's colour for all.
    fig.update_layout(showlegend=False)
    fig.update_xaxes(title_text="Période (mesure)", tickangle=0)
    fig.update_yaxes(title_text="% des heures offertes,<br>ou enfants pour 100 places",
                     tickformat=",.0f",
                     hoverformat=",.0f", rangemode="tozero")
    from ctg_data.definitions import ALSH_HOURS_PER_DAY
    note = (" Heures offertes = places × jours d'ouverture × "
            f"{fmt.fr_number(ALSH_HOURS_PER_DAY)} h. "
            "« Enfants accueillis pour 100 places ouvertes » (quand les heures manquent) "
            "compte des enfants, pas des places occupées : ce n'est pas un taux d'occupation et "
            "il peut dépasser 100.")
    return finish_layout(fig, titre, source_text(data, src, str(annee), **options) + note,
                   key="alsh_remplissage", bottom=118)
