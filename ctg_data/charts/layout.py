"""The shared layout of every chart: French title naming the territory, source line under the
plot, separators and fonts (`finish_layout`), the « Données non disponibles » figure, and the
copies of a figure made for a projector (`presentation`), a slide (`presentation(fit=True)`)
and print (`for_print`), with the plotly config and file name of its image downloads.

Builders call `finish_layout` last; nothing here reads the data.
"""

from __future__ import annotations

import math
import re
import textwrap
import unicodedata

import pandas as pd
import plotly.graph_objects as go

from ctg_data import formatting as fmt
from ctg_data import secrecy
from ctg_data.formatting import FONT_FAMILY, PLOTLY_SEPARATORS
from ctg_data.model import CtgData

NO_DATA = "Données non disponibles"
RATE_UNIT = "places pour 100 enfants"
RATE_AXIS = "Places pour 100 enfants de moins de 3 ans"
COUNT_COLOUR = "#4C6A88"     # a single count series (population, allocataires)
SECOND_COLOUR = "#882255"    # its companion line (births, share) — distinct for all readers


def chart_title(titre: str, data: CtgData) -> str:
    """The figure title: `titre` followed by the territory's name (« … — Lys-lez-Lannoy »)."""
    nom = (data.territoire or {}).get("nom")
    return f"{titre} — {fmt.escape_plotly(nom)}" if nom else titre


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


def wrap(text: str, width: int = 120) -> str:
    """`text` cut into lines of at most `width` characters, joined by plotly's « <br> »."""
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
    source_html = wrap(source + secrecy.figure_secret_note(fig), source_width)
    title_html = wrap(titre, 75)
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
    note.text = wrap(note.text.replace("<br>", " "), chars)
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


def year_axis(fig: go.Figure, **kw) -> None:
    """The x axis of a yearly chart, titled « Année »."""
    # Years as categories: never « 2 022 » with the thousands separator, no fractional ticks.
    fig.update_xaxes(type="category", title_text="Année", **kw)


def short_text(text, width: int = 60) -> str:
    """User text on one line, cut to `width` characters, escaped for plotly."""
    text = " ".join(str(text or "").split())
    return fmt.escape_plotly(text if len(text) <= width else text[:width - 1].rstrip() + "…")
