"""What the chapters of a bilan share, computed once per bilan (`BilanInputs`), and the draft
they write into (`Draft`: the blocks, and the charts whose images are rendered at the end).

No chapter recomputes an indicator: the coverage, the plan status, the coverage series and the
ALSH table feed the text, the tables and the charts alike (see `charts.computed`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from ctg_data import exports, indicators, plan_views, secrecy, tables
from ctg_data.bilan.document import (CHART_WIDTH_MM, PRINT_MIN_PT, PRINT_WIDTH_PX, Chart,
                                     Paragraph)
from ctg_data.model import CtgData
from ctg_data.references import territory_references

Progress = Callable[[float, str], None]

# The rate that, with the places shown, gives each component of the coverage rate back.
_RATE_OF_PLACES = {"eaje_psu": "eaje", "eaje_hors_psu": "eaje", "am": "individuel",
                   "gad": "individuel", "prescolarisation": "prescolarisation", "total": "global"}


def reporter(progress: Progress | None) -> Progress:
    """`progress` with its fraction kept within 0-1, or a function doing nothing."""
    def report(fraction: float, message: str) -> None:
        if progress is not None:
            progress(max(0.0, min(1.0, float(fraction))), message)
    return report


def comment_line(comment) -> str:
    """A comité comment as printed: its text, then its author and date in brackets."""
    when = comment.created_at.strftime("%d/%m/%Y") if comment.created_at else ""
    who = ", ".join(x for x in (comment.author, when) if x)
    return f"{comment.text} ({who})" if who else comment.text


@dataclass
class BilanInputs:
    """The figures every chapter reads, computed once."""

    data: CtgData
    annee: int
    store: object | None
    cible: float              # target coverage rate
    threshold: int            # statistical secrecy: smaller counts of people are masked
    today: dt.date
    report: Progress
    # The stored figures that concern the territory (filtered in the database, cached); the
    # charts add the bundled national table themselves.
    references: pd.DataFrame | None
    options: dict             # options of every chart builder (cible, secret, computed…)
    comments: dict[str, list]  # the year's comité comments by chart key
    use_images: bool
    cov: indicators.Coverage
    previous: indicators.Coverage | None  # the coverage of the year before, like for like
    change: indicators.RateChange | None  # indicators.coverage_change(cov, previous)
    status: pd.DataFrame      # indicators.plan_status
    summary: pd.DataFrame     # indicators.axis_summary (empty without a plan)
    series: pd.DataFrame      # indicators.coverage_series
    alsh: pd.DataFrame        # indicators.alsh_coverage
    axes: list[str]           # the plan's axes, in order
    # The places by mode, masked (offer chapter), and what the masking hides: its note and
    # the local rates that would give a masked count back (methodology chapter too).
    places: pd.DataFrame
    places_note: str
    hidden_rates: set[str]

    @property
    def rate(self) -> float | None:
        """The global coverage rate of the year."""
        return self.cov.taux.get("global")


def _places_by_mode(data: CtgData, annee: int, cov,
                    threshold: int) -> tuple[pd.DataFrame, str, set[str]]:
    """The places of each mode and their total (`tables.TABLES["places_modes"]`), small counts
    masked, with the masking note and the local rates to mask with them."""
    spec = tables.TABLES["places_modes"]
    places, note = spec.mask(spec.build(data, annee, coverage=cov), threshold)
    # A sub-rate × the children shown, minus the visible places of its other component, would
    # give a masked count back: such sub-rates are masked too wherever the local rates appear.
    # The table's rows are the components in order, then the total.
    hidden = {_RATE_OF_PLACES[k] for k, v in zip([*indicators.COMPONENTS, "total"],
                                                  places["Places"]) if v == secrecy.SECRET}
    return places, note, hidden


def compute_inputs(data: CtgData, annee: int, *, store, cible, today: dt.date, images: bool,
                   report: Progress) -> BilanInputs:
    """Everything the chapters share: references, comments, indicators, chart options."""
    references = (territory_references(store, data, national=False)
                  if store is not None else None)
    threshold = secrecy.secrecy_threshold()
    # Statistical secrecy on the charts too: small counts of people are not written on them.
    options: dict = {"cible": cible, "secret": threshold}
    comments: dict[str, list] = {}
    if store is not None:
        current = [v for v in store.versions(data.code) if v.is_current]
        if current:
            options["version_date"] = current[0].created_at
        for comment in store.comments(data.code):
            if comment.annee in (None, annee):
                comments.setdefault(comment.chart_key, []).append(comment)
    cov = indicators.coverage(data, annee, cible=cible)
    status = indicators.plan_status(data, annee)
    series = indicators.coverage_series(data, cible=cible)
    alsh = indicators.alsh_coverage(data, annee)
    # Computed once for the text, the tables and the charts (see charts.computed).
    options["computed"] = {"coverage": cov, "plan_status": status, "coverage_series": series,
                           "alsh_coverage": alsh}
    # Like for like (indicators.coverage_change): never a rate against one lacking a component.
    previous = indicators.previous_coverage(data, annee)
    places, places_note, hidden_rates = _places_by_mode(data, annee, cov, threshold)
    return BilanInputs(
        data=data, annee=annee, store=store, cible=cible, threshold=threshold, today=today,
        report=report, references=references, options=options, comments=comments,
        use_images=images and exports.image_export_available(), cov=cov, previous=previous,
        change=indicators.coverage_change(cov, previous) if previous is not None else None,
        status=status,
        summary=indicators.axis_summary(status) if len(status) else pd.DataFrame(),
        series=series, alsh=alsh, axes=plan_views.axes(data), places=places,
        places_note=places_note, hidden_rates=hidden_rates)


@dataclass
class Draft:
    """The bilan being written: its blocks, the charts shown so far, and the figures whose
    images are rendered at the end (so that the browser started by `exports.warm_up()` boots
    while the content is assembled)."""

    inputs: BilanInputs
    blocks: list
    shown_keys: set[str] = field(default_factory=set)
    figures: list[tuple[Chart, object]] = field(default_factory=list)

    def add(self, *blocks) -> None:
        """Append blocks in reading order."""
        self.blocks.extend(blocks)

    def chart(self, key: str) -> None:
        """Append the chart `key` of `charts.CHARTS` laid out for print — or a note when it has
        no data for the year, or why it could not be built."""
        from ctg_data import charts

        inp = self.inputs
        spec = charts.CHARTS.get(key)
        if spec is None:
            return
        self.shown_keys.add(key)
        try:
            figure = spec.build(inp.data, inp.annee, inp.references, **inp.options)
        except Exception as error:  # noqa: BLE001 - one broken chart must not sink the bilan
            self.add(Chart(key, spec.titre, None, "", [], missing=(
                f"[Graphique non produit : erreur lors de sa construction ({error}).]")))
            return
        if any(getattr(a, "name", None) == "no_data" for a in figure.layout.annotations or ()):
            # charts.no_data_figure: a page of empty chart helps nobody in a printed bilan.
            self.add(Paragraph(f"{spec.titre} : données non disponibles pour {inp.annee}.",
                               "note"))
            return
        # In a document the chart's title is the caption above the image; the source and the
        # data date stay written on the image.
        figure.update_layout(title=None)
        # Laid out for the printed width: a 1,000-pixel chart shrunk to 17 cm gave 5-6 pt text.
        figure = charts.for_print(figure, PRINT_WIDTH_PX, CHART_WIDTH_MM, PRINT_MIN_PT)
        source = ""
        meta = figure.layout.meta
        if isinstance(meta, dict) and meta.get("source"):
            source = str(meta["source"]).removeprefix("Source : ")
        block = Chart(key, spec.titre, None, source,
                      [comment_line(c) for c in inp.comments.get(key, [])], PRINT_WIDTH_PX,
                      int(figure.layout.height or 460), figure=figure)
        self.add(block)
        self.figures.append((block, figure))

    def render_images(self) -> None:
        """Render every chart's PNG (when images are used), reporting each one."""
        if not self.inputs.use_images:
            return
        for done_count, (block, figure) in enumerate(self.figures, start=1):
            self.inputs.report(0.1 + 0.85 * done_count / len(self.figures),
                               f"Graphique : {block.title}")
            try:
                block.image = exports.figure_to_image(figure, "png", scale=2,
                                                      width=block.width, height=block.height)
            except exports.ImageExportError as error:
                block.missing = f"[Graphique non inclus : {error}]"
