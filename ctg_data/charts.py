"""Plotly figure builders for every chart of the dashboard, the presentation mode and the bilan,
and the `CHARTS` registry that pages, comments (keyed by `ChartSpec.key`) and exports use.

Every builder has the same signature — ``build(data, annee, references=None, **options)`` — and
returns a `go.Figure` that stands on its own once exported: a French title naming the
territory, French axis titles, the French number separators, explicit tick/hover formats,
French hover labels with units, fixed colours per mode/level/period/band (ctg_data.formatting)
and, at the bottom, the source and the date of the data. A chart without data returns a
figure saying « Données non disponibles » instead of raising.

The numbers come from ctg_data.indicators (coverage, scenario, ALSH, plan) and the reference
levels from the long reference table (ctg_data.references / Store.references()).
"""

from __future__ import annotations

import math
import re
import textwrap
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ctg_data import indicators, secrecy, settings
from ctg_data import formatting as fmt
from ctg_data.formatting import (D3_DEC1, D3_INT, FONT_FAMILY, NNBSP, PCT_SUFFIX,
                                 PLOTLY_SEPARATORS)
from ctg_data.model import CtgData

NO_DATA = "Données non disponibles"
NO_REFERENCE_NOTE = (" Aucune valeur de comparaison (EPCI, département, France) n'est chargée "
                     "pour cette année : elles s'importent depuis la page Données.")
RATE_UNIT = "places pour 100 enfants"
RATE_AXIS = "Places pour 100 enfants de moins de 3 ans"
COUNT_COLOUR = "#4C6A88"     # a single count series (population, allocataires)
SECOND_COLOUR = "#882255"    # its companion line (births, share) — distinct for all readers
COG_AM_PER_RPE = 70          # COG 2018-2022 target: 1 full-time RPE animator per 70 AMs
# Markers of successive editions of a reference series (never joined to each other).
EDITION_SYMBOLS = ("x", "cross", "star", "hourglass", "bowtie", "asterisk-open")
SECTIONS = ("Diagnostic", "Offre et besoins", "Enfance-jeunesse", "Plan d'action")

# Modes that make up the Cnaf-comparable coverage rate, in stacking order.
RATE_MODES = indicators.COMPONENTS
COMPONENTS = (("global", "Taux global"), ("eaje", "EAJE (accueil collectif)"),
              ("individuel", "Accueil individuel (AM + GAD)"),
              ("prescolarisation", "Préscolarisation"))


@dataclass(frozen=True)
class ChartSpec:
    """One chart of the registry: its stable key (comments and file names use it), French
    title, page section, indicator definition codes (for the methodology) and builder."""

    key: str
    titre: str
    section: str
    indicateurs: tuple[str, ...]
    build: Callable[..., go.Figure]
    source: str = "classeur CTG"


# ---------------------------------------------------------------------------------------------
# Shared layout
# ---------------------------------------------------------------------------------------------


def _esc(text) -> str:
    """User text (names, indicators…) shown as text: plotly would read « <b> » or « <br> »
    inside it as markup."""
    return fmt.escape_plotly(text)


def chart_title(titre: str, data: CtgData) -> str:
    nom = (data.territoire or {}).get("nom")
    return f"{titre} — {_esc(nom)}" if nom else titre


def source_text(data: CtgData, source: str, annees: str | None = None,
                references_used: pd.DataFrame | None = None, **options) -> str:
    """The source line written under a chart: « Source : classeur CTG (version du 12/03/2024),
    Cnaf — data.caf.fr ; données 2022. » `options` may give `version_date` (date of the stored
    version) and `source` (a text replacing the default)."""
    base = options.get("source") or source
    version = options.get("version_date")
    if version:
        dated = f"classeur CTG (version du {fmt.fr_short_date(version)})"
        base = base.replace("classeur CTG", dated, 1)
    parts = [f"Source : {base}"]
    if references_used is not None and len(references_used):
        sources = sorted({str(s) for s in references_used.get("source", pd.Series(dtype=str))
                          .dropna() if str(s).strip()})
        editions = sorted({str(e) for e in references_used.get("edition", pd.Series(dtype=str))
                           .dropna() if str(e).strip()})
        refs = ", ".join(sources) or "références nationales"
        if editions:
            refs += f" (édition{'s' if len(editions) > 1 else ''} {', '.join(editions)})"
        parts.append(f"références : {refs}")
    text = " ; ".join(parts)
    if annees:
        text += f" — données {annees}"
    if (data.territoire or {}).get("avertissement"):
        text += f" — {data.territoire['avertissement'].rstrip('.')}"
    return text + "."


def _wrap(text: str, width: int = 120) -> str:
    return "<br>".join(textwrap.wrap(text, width, break_on_hyphens=False)) or text


def _legend_entries(fig: go.Figure) -> list[str]:
    if fig.layout.showlegend is False:
        return []
    names = [t.name for t in fig.data if t.showlegend is not False and t.name]
    names = list(dict.fromkeys(names))
    return [] if len(names) == 1 and fig.layout.showlegend is None else names


def finish_layout(fig: go.Figure, titre: str, source: str, *, key: str, height: int = 460,
            bottom: int = 95, subtitle: str | None = None, source_width: int = 120,
            extra_top: int = 0) -> go.Figure:
    """Apply the common layout: title (and subtitle), legend under the title, French
    separators, font, source annotation under the x axis. The top margin is computed from the
    number of title and legend lines so that they never overlap; `bottom` is the room the x
    axis (ticks and title) needs above the source line."""
    source_html = _wrap(source + secrecy.figure_secret_note(fig), source_width)
    title_html = _wrap(titre, 75)
    entries = _legend_entries(fig)
    one_row = len(entries) <= 4 and sum(len(e) for e in entries) <= 80
    legend_rows = 0 if not entries else 1 if one_row else math.ceil(len(entries) / 2)
    top = 24 + 24 * (title_html.count("<br>") + 1)
    title = dict(text=title_html, x=0.01, xanchor="left", yref="container", y=1,
                 yanchor="top", pad=dict(t=14), font=dict(size=17))
    if subtitle:
        title["subtitle"] = dict(text=subtitle, font=dict(size=14, color=fmt.TEXTE))
        top += 22
    top += 22 * legend_rows + (8 if legend_rows else 0) + extra_top
    legend = dict(orientation="h", x=0, xanchor="left", y=1.02, yanchor="bottom",
                  traceorder="normal", font=dict(size=12), title=dict(text=""))
    if legend_rows > 1:
        legend.update(entrywidthmode="fraction", entrywidth=0.5)
    lines = source_html.count("<br>") + 1
    fig.update_layout(
        title=title,
        separators=PLOTLY_SEPARATORS,
        font=dict(family=FONT_FAMILY, size=13, color=fmt.TEXTE),
        paper_bgcolor="#FFFFFF", plot_bgcolor="#FFFFFF",
        height=height + 22 * max(0, legend_rows - 1),
        margin=dict(l=70, r=40, t=top, b=bottom + 16 * lines),
        legend=legend,
        hoverlabel=dict(font=dict(family=FONT_FAMILY, size=13), namelength=-1),
        bargap=0.25,
        meta=dict(chart=key, source=source + secrecy.figure_secret_note(fig)),
    )
    fig.add_annotation(text=source_html, xref="paper", yref="paper", x=0, y=0, xanchor="left",
                       yanchor="top", yshift=-(bottom - 10), showarrow=False, align="left",
                       font=dict(size=11, color="#595959"), name="source")
    fig.update_xaxes(showline=True, linecolor="#595959", ticks="outside", gridcolor="#E5E5E5",
                     automargin=True, title_font=dict(size=13))
    fig.update_yaxes(showline=True, linecolor="#595959", ticks="outside", gridcolor="#E5E5E5",
                     zeroline=False, automargin=True, title_font=dict(size=13))
    return fig


def no_data_figure(titre: str, source: str, key: str = "", message: str = NO_DATA) -> go.Figure:
    """A figure that says « Données non disponibles » (with its title and source line)."""
    fig = go.Figure()
    fig.add_annotation(text=message, xref="paper", yref="paper", x=0.5, y=0.5, showarrow=False,
                       font=dict(size=18, color="#595959"), name="no_data")
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return finish_layout(fig, titre, source, key=key, height=320, bottom=30)


PRESENTATION_HEIGHT = 700   # px: with the page's header, one chart fills a 1080-pixel screen


def presentation(fig: go.Figure, scale: float = 1.35,
                 min_height: int = PRESENTATION_HEIGHT, *, fit: bool = False) -> go.Figure:
    """A copy of `fig` for a projector: every text larger by `scale` — title, legend, axis
    titles and ticks, bar labels, annotations (the source line), hover labels, which the
    builders size one by one — with the margins that hold them, on a canvas at least
    `min_height` tall.

    With `fit` (a slide of the Présentation page), the canvas takes the height the page gives
    it (no fixed height: the page sizes it to the screen) and the legend entries are wrapped
    into rows that fit a 1280-pixel screen, the room above the plot computed from them."""
    if fit:
        return _fit_slide(presentation(fig, scale, min_height), scale)
    out = go.Figure(fig)
    lay = out.layout

    def big(size, default):
        return round((size or default) * scale, 1)

    top, bottom = lay.margin.t or 80, lay.margin.b or 80
    # Title and legend above the plot, the source line below it: their room grows with the
    # text, and the canvas with it, so that the plot itself keeps its share.
    grown = round((top + bottom) * (scale - 1))
    out.update_layout(
        font=dict(size=big(lay.font.size, 13)),
        height=max(int((lay.height or 460) * 1.2), min_height) + grown,
        # A little more room above the enlarged title: on a projector its top was clipped.
        title=dict(font=dict(size=big(lay.title.font.size, 17)),
                   pad=dict(t=round((lay.title.pad.t or 0) * scale) + 16)),
        legend=dict(font=dict(size=big(lay.legend.font.size, 12))),
        hoverlabel=dict(font=dict(size=big(lay.hoverlabel.font.size, 13))),
        margin=dict(t=round(top * scale) + 12, b=round(bottom * scale)))
    if lay.title.subtitle and lay.title.subtitle.text:
        out.update_layout(title_subtitle_font_size=big(lay.title.subtitle.font.size, 14))
    out.for_each_xaxis(lambda ax: ax.update(title_font_size=big(ax.title.font.size, 13),
                                            tickfont_size=big(ax.tickfont.size, 13)))
    out.for_each_yaxis(lambda ax: ax.update(title_font_size=big(ax.title.font.size, 13),
                                            tickfont_size=big(ax.tickfont.size, 13)))
    for note in out.layout.annotations:
        note.font.size = big(note.font.size, 13)
        if note.yshift:
            note.yshift = note.yshift * scale
    for trace in out.data:
        textfont = getattr(trace, "textfont", None)
        if textfont is not None and textfont.size is not None and \
                not isinstance(textfont.size, (list, tuple)):
            textfont.size = big(textfont.size, 13)
    return out


POINT_MM = 25.4 / 72        # one typographic point, in millimetres


def font_sizes(fig: go.Figure) -> list[float]:
    """The size in pixels of every text of `fig` (title, legend, axes, annotations, trace
    labels), a text without its own size counted at the layout's (plotly's default 12)."""
    lay = fig.layout
    base = lay.font.size or 12
    sizes = [base, lay.legend.font.size or base]
    if lay.title.text:
        sizes.append(lay.title.font.size or base * 1.4)
    for ax in list(fig.select_xaxes()) + list(fig.select_yaxes()):
        if ax.visible is False:
            continue
        sizes.append(ax.tickfont.size or base)
        if ax.title.text:
            sizes.append(ax.title.font.size or base)
    sizes += [note.font.size or base for note in lay.annotations if note.text]
    for trace in fig.data:
        textfont = getattr(trace, "textfont", None)
        if textfont is None or getattr(trace, "text", None) is None:
            continue
        size = textfont.size
        sizes += list(size) if isinstance(size, (list, tuple)) else [size or base]
    return [float(s) for s in sizes if s]


def printed_points(size_px: float, width_px: float, width_mm: float) -> float:
    """The printed size in points of a `size_px` text on a `width_px`-wide image placed
    `width_mm` wide on paper."""
    return size_px * width_mm / width_px / POINT_MM


def for_print(fig: go.Figure, width_px: int, width_mm: float, min_pt: float = 8) -> go.Figure:
    """A copy of `fig` whose every text prints at `min_pt` points at least once its
    `width_px`-wide image is placed `width_mm` wide on paper: smaller texts are raised to that
    size, larger ones kept, the margins that hold them grown alike. (A chart laid out for
    1,000-1,400 pixels printed 17 cm wide gave 5-6 pt text.)"""
    out = go.Figure(fig)
    lay = out.layout
    need = math.ceil(min_pt * POINT_MM * width_px / width_mm * 10) / 10   # pixels

    def up(size, default):
        return max(size or default, need)

    base = lay.font.size or 12
    grow = max(1.0, need / base)
    out.update_layout(
        font=dict(size=up(lay.font.size, 12)),
        legend=dict(font=dict(size=up(lay.legend.font.size, base))),
        margin=dict(t=round((lay.margin.t or 80) * grow), b=round((lay.margin.b or 80) * grow)))
    if lay.title.text:
        out.update_layout(title_font_size=up(lay.title.font.size, base * 1.4))
    if lay.title.subtitle and lay.title.subtitle.text:
        out.update_layout(title_subtitle_font_size=up(lay.title.subtitle.font.size, base))
    for ax in list(out.select_xaxes()) + list(out.select_yaxes()):
        ax.update(tickfont_size=up(ax.tickfont.size, base),
                  title_font_size=up(ax.title.font.size, base))
    for note in out.layout.annotations:
        note.font.size = up(note.font.size, base)
        if note.yshift:
            note.yshift = note.yshift * grow
    for trace in out.data:
        textfont = getattr(trace, "textfont", None)
        if textfont is None:
            continue
        if isinstance(textfont.size, (list, tuple)):
            textfont.size = [up(v, base) for v in textfont.size]
        elif textfont.size is not None:
            textfont.size = up(textfont.size, base)
    # Text inside bars is shrunk by plotly to fit the bar: kept at the printed minimum.
    out.update_layout(uniformtext=dict(minsize=need, mode="show"))
    _rewrap_source(out, width_px)
    return out


def _rewrap_source(fig: go.Figure, width_px: int) -> None:
    # The source line starts at the plot's left edge and was wrapped for a screen-wide chart:
    # on a narrower image with larger text it ran off the right edge. Rewrapped to the room
    # left of the left margin and the longest category label (estimated), the bottom margin
    # grown by the added lines.
    notes = [n for n in fig.layout.annotations if n.name == "source" and n.text]
    if not notes:
        return
    note = notes[0]
    size = note.font.size or fig.layout.font.size or 12
    labels = [str(v) for t in fig.data if getattr(t, "orientation", None) == "h"
              for v in (t.y if t.y is not None else ())]
    tick = fig.layout.yaxis.tickfont.size or fig.layout.font.size or 12
    longest = max((len(line) for lab in labels for line in lab.split("<br>")), default=0)
    left = max(fig.layout.margin.l or 80, longest * tick * 0.55 + 30)
    chars = max(40, int((width_px - left - 20) / (size * 0.55)))
    old = note.text.count("<br>") + 1
    note.text = _wrap(note.text.replace("<br>", " "), chars)
    added = note.text.count("<br>") + 1 - old
    if added > 0:
        fig.update_layout(margin=dict(b=(fig.layout.margin.b or 80) + round(added * size * 1.3)))


# A slide's plot is at least this wide on a 1280-pixel screen (page paddings and margins
# taken off); a legend laid out for it also fits a wider screen.
SLIDE_PLOT_WIDTH = 1000
SLIDE_LEGEND_CHARS = 28     # a legend entry is wrapped at this many characters


def _text_width(text: str, size: float) -> float:
    # A generous estimate (wide letters of DejaVu Sans) so that a row never overflows.
    return len(text) * size * 0.6


def _fit_slide(out: go.Figure, scale: float) -> go.Figure:
    # Laid out in lines of known font sizes, so that the whole figure fits whatever height
    # the page gives it: the legend above the plot when its entries fit in two rows, else in
    # a column at the right of the plot (a legend of many entries would leave no plot).
    lay = out.layout
    legend_px = lay.legend.font.size or 12 * scale
    for trace in out.data:
        if trace.showlegend is not False and trace.name and "<br>" not in trace.name:
            trace.name = "<br>".join(textwrap.wrap(trace.name, SLIDE_LEGEND_CHARS,
                                                   break_on_hyphens=False)) or trace.name
    entries = [(len(name.split("<br>")),
                max(_text_width(x, legend_px) for x in name.split("<br>")) + 50)
               for name in _legend_entries(out)]
    rows, width = [], SLIDE_PLOT_WIDTH
    for lines, w in entries:      # plotly fills a horizontal legend row by row
        if width + w > SLIDE_PLOT_WIDTH:
            rows.append(0)
            width = 0
        rows[-1] = max(rows[-1], lines)
        width += w
    legend_h = 0
    if len(rows) > 2:
        right_axis = any(ax.side == "right" for ax in out.select_yaxes())
        # At the right edge of the canvas, from its top (beside the title, which is wrapped
        # short): the whole height of the canvas, not only the plot's; the right margin holds
        # it (and the right axis, when there is one).
        legend_w = max(w for _, w in entries)
        out.update_layout(legend=dict(orientation="v", xref="container", x=1, xanchor="right",
                                      yref="container", y=0.98, yanchor="top",
                                      maxheight=0.96, entrywidth=None, entrywidthmode=None,
                                      tracegroupgap=2),
                          margin=dict(r=round(legend_w + (100 if right_axis else 20))))
    elif rows:
        out.update_layout(legend=dict(entrywidth=None, entrywidthmode=None))
        legend_h = sum(rows) * legend_px * 1.3 + 10 * len(rows)
    title_px = lay.title.font.size or 17 * scale
    top = ((lay.title.text or "").count("<br>") + 1) * title_px * 1.3 if lay.title.text else 0
    top += (lay.title.pad.t or 0) + 10
    if lay.title.subtitle and lay.title.subtitle.text:
        top += (lay.title.subtitle.font.size or 14 * scale) * 1.4
    margin = dict(t=round(top + legend_h + 8))
    # The source line leaves the figure: the slide writes it under the chart, across the whole
    # width (a note anchored at the plot's left edge would start mid-screen after long
    # labels); the room under the plot is the x axis's own (automargin).
    notes = list(out.layout.annotations)
    if any(n.name == "source" for n in notes):
        margin["b"] = 12
    out.layout.annotations = [n for n in notes if n.name != "source"]
    out.update_layout(height=None, autosize=True, margin=margin)
    return out


def slide_source(fig: go.Figure) -> str:
    """The source line of a chart (with its statistical-secrecy note), as plain text: a slide
    writes it under the chart."""
    meta = fig.layout.meta if isinstance(fig.layout.meta, dict) else {}
    return str(meta.get("source") or "")


def plotly_config(file_name: str) -> dict:
    """The plotly `config` for st.plotly_chart: the modebar's PNG button saves a 2× image
    under a French file name; no plotly logo."""
    return {"displaylogo": False,
            "toImageButtonOptions": {"format": "png", "filename": file_name, "scale": 2},
            "modeBarButtonsToRemove": ["lasso2d", "select2d", "autoScale2d"]}


def figure_file_name(key: str, data: CtgData, annee: int | None = None) -> str:
    """A file name without extension, e.g. « ctg_lys-lez-lannoy_couverture_2022 »."""
    nom = str((data.territoire or {}).get("nom") or "territoire")
    slug = unicodedata.normalize("NFKD", nom).encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9]+", "-", slug).strip("-") or "territoire"
    return f"ctg_{slug}_{key}" + (f"_{annee}" if annee else "")


def _year_axis(fig: go.Figure, **kw) -> None:
    # Years as categories: never « 2 022 » with the thousands separator, no fractional ticks.
    fig.update_xaxes(type="category", title_text="Année", **kw)


def _rows_up_to(frame: pd.DataFrame, annee: int) -> pd.DataFrame:
    """Rows of a yearly table up to `annee`, one per year, sorted."""
    if frame is None or frame.empty or "annee" not in frame:
        return frame.iloc[0:0] if frame is not None else pd.DataFrame()
    out = frame[frame["annee"].notna()]
    out = out[out["annee"].astype(int) <= int(annee)]
    return out.sort_values("annee").drop_duplicates("annee", keep="last")


def _latest_row(frame: pd.DataFrame, annee: int,
                columns: list[str]) -> tuple[pd.Series | None, int | None]:
    """The latest row at or before `annee` with a value in one of `columns`."""
    rows = _rows_up_to(frame, annee)
    if rows.empty:
        return None, None
    rows = rows[rows[columns].notna().any(axis=1)]
    if rows.empty:
        return None, None
    row = rows.iloc[-1]
    return row, int(row["annee"])


_num = fmt.as_number


def _years_text(years) -> str:
    years = sorted({int(y) for y in years})
    if not years:
        return ""
    return str(years[0]) if len(years) == 1 else f"{years[0]}-{years[-1]}"


# ---------------------------------------------------------------------------------------------
# Statistical secrecy in exported images
# ---------------------------------------------------------------------------------------------

# ---------------------------------------------------------------------------------------------
# References (long table: niveau, code, nom, annee, indicateur, valeur, source, edition)
# ---------------------------------------------------------------------------------------------

REF_COLUMNS = ("niveau", "code", "nom", "annee", "indicateur", "valeur", "source", "edition")


def reference_rows(references: pd.DataFrame | None) -> pd.DataFrame:
    """The given references completed with the bundled national table."""
    frames = []
    if references is not None and len(references):
        frames.append(references)
    try:
        from ctg_data import references as refmod
        national = refmod.national_references()
        if frames:   # a stored figure (the user's file, its chosen edition) wins
            national = refmod._without_stored(national, frames[0])
        if national is not None and len(national):
            frames.append(national)
    except (ImportError, AttributeError, FileNotFoundError):
        pass
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in REF_COLUMNS})
    out = pd.concat(frames, ignore_index=True)
    if "confirme" in out:
        # An unconfirmed value (domain.md) is never drawn as a fact.
        out = out[out["confirme"].map(lambda v: True if fmt.is_missing(v) else
                                      str(v).strip().lower() in ("true", "1", "oui"))]
    for c in REF_COLUMNS:
        if c not in out:
            out[c] = None
    out = out[out["annee"].notna() & out["valeur"].notna()].copy()
    out["annee"] = out["annee"].astype(int)
    out["valeur"] = out["valeur"].astype(float)
    out["niveau"] = out["niveau"].astype(str).str.lower()
    out["code"] = out["code"].map(lambda v: None if fmt.is_missing(v) else str(v).strip())
    return out.drop_duplicates(["niveau", "code", "annee", "indicateur", "edition"], keep="first")


def _fold(text) -> str:
    s = unicodedata.normalize("NFKD", str(text or "")).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "", s.lower())


def _level_rows(refs: pd.DataFrame, niveau: str, data: CtgData) -> pd.DataFrame:
    """Reference rows of `niveau` that concern this territory (its commune code, its EPCI by
    SIREN or name, its département); France and a single region whatever their code."""
    rows = refs[refs["niveau"] == niveau]
    if rows.empty:
        return rows
    terr = data.territoire or {}
    if niveau == "commune":
        return rows[rows["code"] == str(terr.get("code_insee") or "")]
    if niveau == "epci":
        wanted = str(terr.get("epci") or "").strip()
        if terr.get("type") == "EPCI" and not wanted:
            wanted = str(terr.get("code_insee") or "")
        match = rows[(rows["code"] == wanted) | (rows["nom"].map(_fold) == _fold(wanted))] \
            if wanted else rows.iloc[0:0]
        return match if len(match) or rows["code"].nunique() > 1 else rows
    if niveau == "departement":
        wanted = str(terr.get("departement") or "").strip().lstrip("0")
        if wanted:
            match = rows[rows["code"].map(lambda c: str(c or "").lstrip("0")) == wanted]
            return match
        return rows if rows["code"].nunique() <= 1 else rows.iloc[0:0]
    if niveau == "region":
        return rows if rows["code"].nunique() <= 1 else rows.iloc[0:0]
    return rows


def pick_reference(refs: pd.DataFrame, niveau: str, indicateur: str, annee: int,
          data: CtgData) -> pd.Series | None:
    """The reference value of `indicateur` for `niveau`: the year `annee`, else the latest
    earlier year (never a later one)."""
    rows = _level_rows(refs, niveau, data)
    rows = rows[(rows["indicateur"] == indicateur) & (rows["annee"] <= int(annee))]
    if rows.empty:
        return None
    return rows.sort_values(["annee"]).iloc[-1]


# ---------------------------------------------------------------------------------------------
# Diagnostic
# ---------------------------------------------------------------------------------------------

def population_figure(data: CtgData, annee: int, references: pd.DataFrame | None = None,
                      **options) -> go.Figure:
    """Population (bars) and births (line, right axis) over the years up to `annee`."""
    titre = chart_title("Population et naissances", data)
    rows = _rows_up_to(data.table("population"), annee)
    rows = rows[rows[["population", "naissances"]].notna().any(axis=1)]
    src = "classeur CTG (feuille Population), INSEE"
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
    _year_axis(fig)
    return finish_layout(fig, titre, source_text(data, src, _years_text(years), **options),
                   key="population")


AGE_BANDS = (("enfants_0_2", "0-2 ans"), ("enfants_3_5", "3-5 ans"), ("enfants_6_10", "6-10 ans"),
             ("jeunes_11_17", "11-17 ans"))


def age_bands_figure(data: CtgData, annee: int, references: pd.DataFrame | None = None,
                     **options) -> go.Figure:
    """Children and young people by age band, for `annee` (or the latest earlier year)."""
    cols = [c for c, _ in AGE_BANDS]
    row, year = _latest_row(data.table("population"), annee, cols)
    src = "classeur CTG (feuille Population), INSEE"
    if row is None:
        return no_data_figure(chart_title(f"Enfants et jeunes par tranche d'âge en {annee}", data),
                              source_text(data, src, **options), "tranches_age")
    note = "" if year == annee else f" (dernière année disponible : {year})"
    titre = chart_title(f"Enfants et jeunes par tranche d'âge en {year}{note}", data)
    values = [_num(row[c]) for c in cols]
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
    titre = chart_title("Structure des familles avec enfants", data)
    src = "classeur CTG (feuille Population), INSEE"
    rows = _rows_up_to(data.table("population"), annee)
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
    _year_axis(fig)
    fig.update_yaxes(title_text="Part des familles avec enfants (%)", range=[0, 100],
                     ticksuffix=PCT_SUFFIX, tickformat=",.0f", hoverformat=D3_DEC1)
    return finish_layout(fig, titre, source_text(data, src, _years_text(years), **options),
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
        rows = _rows_up_to(frame, annee)
        rows = rows[rows["familles_monoparentales"].notna()
                    & (rows["familles_avec_enfants"] > 0)]
        if rows.empty:
            return None, None
        r = rows.iloc[-1]
        return 100 * float(r["familles_monoparentales"]) / float(r["familles_avec_enfants"]), \
            int(r["annee"])
    row, year = _latest_row(frame, annee, [code])
    return (None, None) if row is None else (_num(row[code]), year)


def key_rates_figure(data: CtgData, annee: int, references: pd.DataFrame | None = None,
                     **options) -> go.Figure:
    """Key rates of the territory beside the EPCI, département, region and France (grouped
    bars); only the levels with a value are drawn."""
    titre = chart_title("Indicateurs clés : le territoire et ses références", data)
    src = "classeur CTG (feuille Population), INSEE"
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
                name = f"{name} ({_esc(nom)})"
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
    return finish_layout(fig, titre, source_text(data, src, _years_text(years_seen), used_frame,
                                           **options) + ("" if used else NO_REFERENCE_NOTE),
                   key="taux_comparaison", bottom=115)


def income_figure(data: CtgData, annee: int, references: pd.DataFrame | None = None,
                  **options) -> go.Figure:
    """Median disposable income per consumption unit: territory and reference levels."""
    titre = chart_title("Revenu médian par unité de consommation", data)
    src = "classeur CTG (feuille Population), INSEE Filosofi"
    refs = reference_rows(references)
    names, values, colours, years, used = [], [], [], [], []
    row, year = _latest_row(data.table("population"), annee, ["revenu_median"])
    if row is None:
        return no_data_figure(titre, source_text(data, src, **options), "revenu")
    names.append("Territoire"); values.append(float(row["revenu_median"]))
    colours.append(fmt.level_colour("territoire")); years.append(year)
    for niveau in ("epci", "departement", "region", "france"):
        ref = pick_reference(refs, niveau, "revenu_median", annee, data)
        if ref is not None:
            label = fmt.LEVEL_LABELS[niveau]
            if niveau != "france" and not fmt.is_missing(ref.get("nom")):
                label += f"<br>({_esc(ref['nom'])})"
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
    return finish_layout(fig, titre, source_text(data, src, _years_text(years),
                                           pd.DataFrame(used) if used else None, **options)
                   + ("" if used else NO_REFERENCE_NOTE), key="revenu",
                   bottom=115 if used else 95)


def allocataires_figure(data: CtgData, annee: int, references: pd.DataFrame | None = None,
                        **options) -> go.Figure:
    """Caf allocataire households over the years (bars)."""
    titre = chart_title("Foyers allocataires de la Caf", data)
    src = "classeur CTG (feuille Population), Cnaf"
    rows = _rows_up_to(data.table("population"), annee)
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
    _year_axis(fig)
    return finish_layout(fig, titre, source_text(data, src, _years_text(years), **options),
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
    titre = chart_title(f"Carte des structures en {annee}", data)
    src = "classeur CTG (feuille Équipements)"
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
            custom = list(zip(part["nom"].map(_esc), part["type"], places,
                              part["gestionnaire"].fillna("—"),
                              part["adresse"].fillna("—").map(_esc)))
            names = [_short(n, 30) if shown else "" for n, shown in zip(part["nom"],
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


# ---------------------------------------------------------------------------------------------
# Offre et besoins (coverage rate)
# ---------------------------------------------------------------------------------------------

def computed(options: dict, name: str, compute: Callable):
    """The result of the indicators function `name` (« coverage », « coverage_series »,
    « alsh_coverage », « plan_status ») for a chart: the one the caller passed in
    `options["computed"]` — the bilan computes each once, with the same data, year and
    options, for its text, tables and charts — else `compute()`."""
    given = (options.get("computed") or {}).get(name)
    return compute() if given is None else given


def _cible(options) -> float:
    cible = options.get("cible")
    return float(cible) if cible is not None else float(settings.get("cible_taux_couverture"))


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
    titre = chart_title("Places d'accueil du jeune enfant par mode et taux de couverture", data)
    src = "classeur CTG (Équipements, Assistantes maternelles, Accueil petite enfance), INSEE"
    series = _series(data, annee, options)
    if series.empty:
        return no_data_figure(titre, source_text(data, src, **options), "places_modes")
    years = series["annee"].astype(int).astype(str).tolist()
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    for mode in RATE_MODES:
        values = [_num(v) for v in series[f"places_{mode}"]]
        if any(v for v in values if v):
            _mode_bar(fig, years, values, mode, secondary=False, limit=secrecy.secret_limit(options))
    outside = [_num(v) for v in series["places_hors_territoire"]]
    if any(v for v in outside if v):
        _mode_bar(fig, years, outside, "hors_territoire",
                  name="Offre mobilisable hors territoire (non comptée dans le taux)",
                  secondary=False)
    rates = [_num(v) for v in series["taux_global"]]
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
    _year_axis(fig)
    fig.update_yaxes(title_text="Places", tickformat=D3_INT, hoverformat=D3_INT,
                     rangemode="tozero", secondary_y=False)
    top = max([r for r in rates if r is not None] + list(national["valeur"]) + [10])
    fig.update_yaxes(title_text=RATE_AXIS, tickformat=",.0f", hoverformat=D3_DEC1,
                     range=[0, top * 1.25], showgrid=False, tickmode="auto",
                     secondary_y=True)
    note = " Taux calculé localement (théorique), distinct des taux publiés par la Cnaf."
    if not series["complet"].astype(bool).all():
        note += " Certaines composantes sont manquantes ou approchées (voir la méthodologie)."
    return finish_layout(fig, titre, source_text(data, src, _years_text(series["annee"]),
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

    titre = chart_title(f"Taux de couverture en {annee} : le territoire et ses références", data)
    src = "classeur CTG, calcul local"
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
        named = level if niveau == "france" or not place else f"{level} {_esc(place)}"
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
    titre = chart_title("Évolution du taux de couverture global", data)
    src = "classeur CTG, calcul local"
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
        rows = _level_rows(refs, niveau, data)
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
    return finish_layout(fig, titre, source_text(data, src, _years_text(years or [annee]),
                                           pd.concat(used) if used else None, **options),
                   key="couverture_evolution")


def missing_places_figure(data: CtgData, annee: int, references: pd.DataFrame | None = None,
                          **options) -> go.Figure:
    """The places of `annee` (stacked by mode) against the places needed for the target rate
    (`cible`, default setting cible_taux_couverture), with the number of places missing."""
    cible = _cible(options)
    titre = chart_title(f"Places manquantes pour atteindre {fmt.fr_target_rate(cible)} en {annee}",
                   data)
    src = "classeur CTG, calcul local"
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
    titre = chart_title(f"Scénario : l'offre {annee} et après changement", data)
    src = "classeur CTG, calcul local (scénario non enregistré)"
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
    titre = chart_title("Relais petite enfance et demandes d'accueil en attente", data)
    src = "classeur CTG (Assistantes maternelles, Accueil petite enfance), calcul local"
    series = _series(data, annee, options)
    if len(series):
        series = series[series["am_par_etp_rpe"].notna() | series["demandes_pour_100"].notna()]
    if series.empty:
        return no_data_figure(titre, source_text(data, src, **options), "rpe_attente")
    years = series["annee"].astype(int).astype(str).tolist()
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    ratio = [_num(v) for v in series["am_par_etp_rpe"]]
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
    waiting = [_num(v) for v in series["demandes_pour_100"]]
    if any(v is not None for v in waiting):
        fig.add_scatter(x=years, y=waiting, name="Demandes en attente pour 100 enfants "
                        "(axe de droite)", mode="lines+markers",
                        line=dict(color=SECOND_COLOUR, width=3),
                        marker=dict(symbol="diamond", size=10),
                        hovertemplate="%{x} : %{y:,.1f} demandes en attente pour 100 enfants "
                                      "de moins de 3 ans<extra></extra>", secondary_y=True)
    _year_axis(fig)
    fig.update_yaxes(title_text="AM en activité par ETP d'animateur", tickformat=D3_INT,
                     hoverformat=D3_INT, rangemode="tozero", secondary_y=False)
    top = max([v for v in waiting if v is not None] + [1])
    fig.update_yaxes(title_text="Demandes pour 100 enfants", tickformat=",.0f",
                     hoverformat=D3_DEC1, range=[0, top * 1.6], showgrid=False,
                     tickmode="auto", secondary_y=True)
    return finish_layout(fig, titre, source_text(data, src, _years_text(series["annee"]), **options),
                   key="rpe_attente")


def childminders_figure(data: CtgData, annee: int, references: pd.DataFrame | None = None,
                        **options) -> go.Figure:
    """Licensed and active childminders over the years."""
    titre = chart_title("Assistantes maternelles agréées et en activité", data)
    src = "classeur CTG (feuille Assistantes maternelles), PMI"
    rows = _rows_up_to(data.table("assistantes_maternelles"), annee)
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
    _year_axis(fig)
    fig.update_yaxes(title_text="Assistantes maternelles", tickformat=D3_INT, hoverformat=D3_INT,
                     rangemode="tozero")
    return finish_layout(fig, titre, source_text(data, src, _years_text(years), **options),
                   key="assistantes_maternelles")


# ---------------------------------------------------------------------------------------------
# Enfance-jeunesse (ALSH)
# ---------------------------------------------------------------------------------------------

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
    titre = chart_title(f"Accueils de loisirs : places pour 100 enfants en {annee}", data)
    src = "classeur CTG (feuilles ALSH et Population), indicateur local"
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
    titre = chart_title(f"Accueils de loisirs : fréquentation en {annee}", data)
    src = "classeur CTG (feuille ALSH), indicateur local"
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


# ---------------------------------------------------------------------------------------------
# Plan d'action
# ---------------------------------------------------------------------------------------------

def _short(text, width: int = 60) -> str:
    """User text on one line, cut to `width` characters, escaped for plotly."""
    text = " ".join(str(text or "").split())
    return _esc(text if len(text) <= width else text[:width - 1].rstrip() + "…")


def _status(data: CtgData, annee: int, options) -> pd.DataFrame:
    return computed(options, "plan_status",
                    lambda: indicators.plan_status(data, annee, marge=options.get("marge")))


def _plan_counts(part: pd.DataFrame) -> list:
    """Per plan indicator, the smallest observed count of people (latest or reference value)
    when its unit counts people, else None: what secrecy is judged on."""
    out = []
    for _, r in part.iterrows():
        values = [_num(r.get(c)) for c in ("derniere_valeur", "valeur_reference")]
        values = [v for v in values if v is not None and v > 0]
        out.append(min(values) if values and secrecy.is_count_unit(r.get("unite")) else None)
    return out


def plan_achievement_figure(data: CtgData, annee: int, references: pd.DataFrame | None = None,
                            **options) -> go.Figure:
    """Achievement of every plan indicator (horizontal bars, 100 % = target reached), coloured,
    hatched and labelled by band (« ✔ Atteint », « ✖ En retard »…)."""
    titre = chart_title(f"Plan d'action : atteinte des indicateurs en {annee}", data)
    src = "classeur CTG (feuille Plan d'action), évaluation de la CTG"
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
        pct = [_num(v) for v in part["atteinte_pct"]]
        shown = [min(max(v, 0), 150) if v is not None else 0 for v in pct]
        text = [f"{fmt.band_label(band)} · {fmt.fr_percent(v, 0)}" if v is not None
                else fmt.band_label(band) for v in pct]
        custom = list(zip([fmt.fr_percent(v, 0) for v in pct],
                          [_esc(fmt.fr_value(v, u)) for v, u in zip(part["derniere_valeur"],
                                                                     part["unite"])],
                          [_esc(fmt.fr_value(v, u)) for v, u in zip(part["cible"],
                                                                    part["unite"])],
                          [_short(a, 80) for a in part["action"]]))
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
    titre = chart_title(f"Plan d'action : indicateurs par axe et niveau d'atteinte en {annee}", data)
    src = "classeur CTG (feuille Plan d'action), évaluation de la CTG"
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
    unite = _esc(status_row.get("unite") or plan_row.get("unite") or "")
    sens = status_row.get("sens") or plan_row.get("sens") or "Hausse"
    arrow = "↗ plus est mieux" if sens != "Baisse" else "↘ moins est mieux"
    label = _esc(status_row.get("indicateur") or plan_row.get("indicateur") or "Indicateur")
    titre = _wrap(f"{label} ({arrow})", 80)
    source = "Source : classeur CTG (feuille Plan d'action)"
    if options.get("version_date"):
        source = (f"Source : classeur CTG (version du {fmt.fr_short_date(options['version_date'])}"
                  "), feuille Plan d'action")
    xs, ys = [], []
    for y in sorted(int(v) for v in years):
        value = _num(plan_row.get(str(y)))
        if value is not None:
            xs.append(y); ys.append(value)
    ref, ref_year = _num(status_row.get("valeur_reference")), status_row.get("annee_reference")
    cible, cible_year = _num(status_row.get("cible")), status_row.get("annee_cible")
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
    pct = _num(status_row.get("atteinte_pct"))
    if pct is not None and not hidden:   # with the reference and the target, it reveals
        subtitle += f" — atteinte : {fmt.fr_percent(pct, 0)} de la cible"
    action = status_row.get("action") or plan_row.get("action")
    if action:
        subtitle += f" — action : {_short(action, 60)}"
    fig.update_xaxes(title_text="Année", tickformat="d", dtick=1, hoverformat="d")
    top = max(ys + [v for v in (ref, cible) if v is not None] + [0])
    bottom_value = min(ys + [v for v in (ref, cible) if v is not None] + [0])
    fig.update_yaxes(title_text=unite or "Valeur", tickformat=",.0f", hoverformat=D3_DEC1,
                     ticksuffix=suffix if unite == "%" else "",
                     range=[bottom_value * 1.2, (top or 1) * 1.25])
    data_years = _years_text(xs) if xs else ""
    text = source + (f" — données {data_years}" if data_years else "") + "."
    return finish_layout(fig, titre, text, key=key, height=380, bottom=80, subtitle=subtitle)


# ---------------------------------------------------------------------------------------------
# Registry
# ---------------------------------------------------------------------------------------------

_SPECS = (
    ChartSpec("population", "Population et naissances", "Diagnostic",
              ("population", "naissances", "taux_natalite"), population_figure, "INSEE"),
    ChartSpec("tranches_age", "Enfants et jeunes par tranche d'âge", "Diagnostic",
              ("enfants_0_2", "enfants_3_5", "enfants_6_10", "jeunes_11_17"), age_bands_figure,
              "INSEE"),
    ChartSpec("familles", "Structure des familles avec enfants", "Diagnostic",
              ("familles_avec_enfants", "part_familles_monoparentales",
               "part_familles_nombreuses"), families_figure, "INSEE"),
    ChartSpec("taux_comparaison", "Indicateurs clés : territoire et références", "Diagnostic",
              ("taux_activite_femmes", "taux_chomage", "taux_pauvrete",
               "part_familles_monoparentales"), key_rates_figure, "INSEE"),
    ChartSpec("revenu", "Revenu médian", "Diagnostic", ("revenu_median",), income_figure,
              "INSEE Filosofi"),
    ChartSpec("allocataires", "Foyers allocataires de la Caf", "Diagnostic",
              ("allocataires", "part_allocataires"),
              allocataires_figure, "Cnaf"),
    ChartSpec("carte_structures", "Carte des structures", "Diagnostic", (), map_figure,
              "classeur CTG"),
    ChartSpec("places_modes", "Places par mode d'accueil et taux de couverture",
              "Offre et besoins", ("taux_couverture_global", "places_eaje_psu",
                                   "places_eaje_hors_psu", "places_am", "places_gad",
                                   "places_prescolarisation", "hors_territoire"),
              places_by_mode_figure,
              "classeur CTG, Cnaf"),
    ChartSpec("couverture_references", "Taux de couverture : territoire et références",
              "Offre et besoins", ("taux_couverture_global", "taux_couverture_eaje",
                                   "taux_couverture_individuel",
                                   "taux_couverture_prescolarisation"),
              coverage_references_figure, "classeur CTG, Cnaf"),
    ChartSpec("couverture_evolution", "Évolution du taux de couverture", "Offre et besoins",
              ("taux_couverture_global",), coverage_evolution_figure, "classeur CTG, Cnaf"),
    ChartSpec("places_manquantes", "Places manquantes pour atteindre la cible",
              "Offre et besoins", ("places_manquantes", "taux_couverture_global"),
              missing_places_figure, "classeur CTG"),
    ChartSpec("scenario", "Scénario d'évolution de l'offre", "Offre et besoins",
              ("taux_couverture_global", "places_manquantes"), scenario_figure, "classeur CTG"),
    ChartSpec("assistantes_maternelles", "Assistantes maternelles", "Offre et besoins",
              ("places_am",), childminders_figure, "PMI"),
    ChartSpec("rpe_attente", "Relais petite enfance et demandes en attente", "Offre et besoins",
              ("am_par_etp_rpe", "demandes_pour_100"), rpe_figure, "classeur CTG"),
    ChartSpec("alsh_couverture", "ALSH : places pour 100 enfants par période",
              "Enfance-jeunesse", ("couverture_alsh",), alsh_coverage_figure, "classeur CTG"),
    ChartSpec("alsh_remplissage", "ALSH : fréquentation par période", "Enfance-jeunesse",
              ("taux_remplissage_alsh",), alsh_fill_figure, "classeur CTG"),
    ChartSpec("plan_atteinte", "Atteinte des indicateurs du plan d'action", "Plan d'action",
              ("atteinte_plan",), plan_achievement_figure, "classeur CTG"),
    ChartSpec("plan_axes", "Indicateurs par axe et niveau d'atteinte", "Plan d'action",
              ("atteinte_plan", "part_actions_realisees"), plan_axes_figure, "classeur CTG"),
)
CHARTS: dict[str, ChartSpec] = {s.key: s for s in _SPECS}


def charts_in(section: str) -> list[ChartSpec]:
    """The registered charts of a section, in display order."""
    return [s for s in _SPECS if s.section == section]


def build(key: str, data: CtgData, annee: int, references: pd.DataFrame | None = None,
          **options) -> go.Figure:
    """Build the registered chart `key`."""
    return CHARTS[key].build(data, annee, references, **options)
