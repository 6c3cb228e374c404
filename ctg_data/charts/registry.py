"""The chart registry: one `ChartSpec` per chart, the only place that says what a chart is called
(menus, slides, comments, methodology), the title written on its figure, its source, its page
section, the indicators its methodology explains, its builder, its place in the bilan and its
slide in the presentation. `CHARTS`, `charts_in`, `bilan_charts` and `SLIDES` derive from it.

A builder is named as text, « module:function » inside ctg_data.charts, and imported when it
is first used: the registry imports no builder module, so that every builder can read its own
title and source here (`spec_title`, `spec_source`) without an import cycle. `check()` lists
what is wrong with the declarations (tests/test_chart_registry.py).

Adding a chart: write its builder in the module of its page section, then one `ChartSpec`.
"""

from __future__ import annotations

import importlib
import string
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go

from ctg_data.charts.layout import chart_title
from ctg_data.model import CtgData

PACKAGE = "ctg_data.charts"
SECTIONS = ("Diagnostic", "Offre et besoins", "Enfance-jeunesse", "Plan d'action")
# Chapters of the bilan that hold charts (ctg_data.bilan), in reading order.
BILAN_CHAPTERS = ("diagnostic", "offre", "alsh", "plan")
# The named fields a figure title template may use.
TITLE_FIELDS = ("annee", "cible", "note", "indicateur", "sens")


@dataclass(frozen=True)
class ChartSpec:
    """One chart. `key` is stable (comments, file names and widgets use it); `titre` is its
    short French name; `titre_figure` the title written on the figure, a template with named
    fields (« … en {annee} »; the territory's name is appended), `titre` when empty; `source`
    starts the source line under the figure (« Source : … »); `builder` is
    « module:function » inside ctg_data.charts; `bilan` is (chapter, rank) when the bilan
    shows the chart, `diapositive` its rank among the presentation's slides, `page` the page
    (file stem in pages/) that shows it: the page places it, or `ctg_ui.other_charts` draws
    it at the end of the page — a new chart needs no page edit to be seen."""

    key: str
    titre: str
    section: str
    indicateurs: tuple[str, ...]
    builder: str
    source: str = "classeur CTG"
    titre_figure: str = ""
    bilan: tuple[str, int] | None = None
    diapositive: int | None = None
    page: str | None = None

    @property
    def title_template(self) -> str:
        """The figure title template (`titre_figure`, else `titre`)."""
        return self.titre_figure or self.titre

    def builder_function(self) -> Callable[..., go.Figure]:
        """The builder function, imported on first use (ImportError / AttributeError when
        `builder` names nothing: `check()` reports it)."""
        module, _, name = self.builder.partition(":")
        return getattr(importlib.import_module(f"{PACKAGE}.{module}"), name)

    def build(self, data: CtgData, annee: int, references: pd.DataFrame | None = None,
              **options) -> go.Figure:
        """The figure of `data` for `annee` (the common signature of `CHARTS` builders)."""
        return self.builder_function()(data, annee, references, **options)


_SPECS = (
    # Diagnostic ----------------------------------------------------------------------------
    ChartSpec("population", "Population et naissances", "Diagnostic",
              ("population", "naissances", "taux_natalite"), "diagnostic:population_figure",
              "classeur CTG (feuille Population), INSEE", bilan=("diagnostic", 1),
              diapositive=1, page="diagnostic"),
    ChartSpec("tranches_age", "Enfants et jeunes par tranche d'âge", "Diagnostic",
              ("enfants_0_2", "enfants_3_5", "enfants_6_10", "jeunes_11_17"),
              "diagnostic:age_bands_figure", "classeur CTG (feuille Population), INSEE",
              "Enfants et jeunes par tranche d'âge en {annee}{note}", bilan=("diagnostic", 2),
              diapositive=2, page="diagnostic"),
    ChartSpec("familles", "Structure des familles avec enfants", "Diagnostic",
              ("familles_avec_enfants", "part_familles_monoparentales",
               "part_familles_nombreuses"), "diagnostic:families_figure",
              "classeur CTG (feuille Population), INSEE", bilan=("diagnostic", 3),
              diapositive=3, page="diagnostic"),
    ChartSpec("taux_comparaison", "Indicateurs clés : territoire et références", "Diagnostic",
              ("taux_activite_femmes", "taux_chomage", "taux_pauvrete",
               "part_familles_monoparentales"), "diagnostic:key_rates_figure",
              "classeur CTG (feuille Population), INSEE",
              "Indicateurs clés : le territoire et ses références", bilan=("diagnostic", 4),
              diapositive=4, page="diagnostic"),
    ChartSpec("revenu", "Revenu médian", "Diagnostic", ("revenu_median",),
              "diagnostic:income_figure", "classeur CTG (feuille Population), INSEE Filosofi",
              "Revenu médian par unité de consommation", page="diagnostic"),
    ChartSpec("allocataires", "Foyers allocataires de la Caf", "Diagnostic",
              ("allocataires", "part_allocataires"), "diagnostic:allocataires_figure",
              "classeur CTG (feuille Population), Cnaf", bilan=("diagnostic", 5),
              page="diagnostic"),
    ChartSpec("carte_structures", "Carte des structures", "Diagnostic", (),
              "diagnostic:map_figure", "classeur CTG (feuille Équipements)",
              "Carte des structures en {annee}", page="diagnostic"),
    # Offre et besoins ----------------------------------------------------------------------
    ChartSpec("places_modes", "Places par mode d'accueil et taux de couverture",
              "Offre et besoins", ("taux_couverture_global", "places_eaje_psu",
                                   "places_eaje_hors_psu", "places_am", "places_gad",
                                   "places_prescolarisation", "hors_territoire"),
              "offre:places_by_mode_figure",
              "classeur CTG (Équipements, Assistantes maternelles, Accueil petite enfance), "
              "INSEE", "Places d'accueil du jeune enfant par mode et taux de couverture",
              bilan=("offre", 1), diapositive=5, page="offre_besoins"),
    ChartSpec("couverture_references", "Taux de couverture : territoire et références",
              "Offre et besoins", ("taux_couverture_global", "taux_couverture_eaje",
                                   "taux_couverture_individuel",
                                   "taux_couverture_prescolarisation"),
              "offre:coverage_references_figure", "classeur CTG, calcul local",
              "Taux de couverture en {annee} : le territoire et ses références",
              bilan=("offre", 2), diapositive=6, page="offre_besoins"),
    ChartSpec("couverture_evolution", "Évolution du taux de couverture", "Offre et besoins",
              ("taux_couverture_global",), "offre:coverage_evolution_figure",
              "classeur CTG, calcul local", "Évolution du taux de couverture global",
              bilan=("offre", 3), diapositive=7, page="offre_besoins"),
    ChartSpec("places_manquantes", "Places manquantes pour atteindre la cible",
              "Offre et besoins", ("places_manquantes", "taux_couverture_global"),
              "offre:missing_places_figure", "classeur CTG, calcul local",
              "Places manquantes pour atteindre {cible} en {annee}", bilan=("offre", 4),
              diapositive=8, page="offre_besoins"),
    ChartSpec("scenario", "Scénario d'évolution de l'offre", "Offre et besoins",
              ("taux_couverture_global", "places_manquantes"), "offre:scenario_figure",
              "classeur CTG, calcul local (scénario non enregistré)",
              "Scénario : l'offre {annee} et après changement", page="scenarios"),
    ChartSpec("assistantes_maternelles", "Assistantes maternelles", "Offre et besoins",
              ("places_am",), "offre:childminders_figure",
              "classeur CTG (feuille Assistantes maternelles), PMI",
              "Assistantes maternelles agréées et en activité", bilan=("offre", 5),
              page="offre_besoins"),
    ChartSpec("rpe_attente", "Relais petite enfance et demandes en attente", "Offre et besoins",
              ("am_par_etp_rpe", "demandes_pour_100"), "offre:rpe_figure",
              "classeur CTG (Assistantes maternelles, Accueil petite enfance), calcul local",
              "Relais petite enfance et demandes d'accueil en attente", bilan=("offre", 6),
              diapositive=9, page="offre_besoins"),
    # Enfance-jeunesse ----------------------------------------------------------------------
    ChartSpec("alsh_couverture", "ALSH : places pour 100 enfants par période",
              "Enfance-jeunesse", ("couverture_alsh",), "enfance_jeunesse:alsh_coverage_figure",
              "classeur CTG (feuilles ALSH et Population), indicateur local",
              "Accueils de loisirs : places pour 100 enfants en {annee}", bilan=("alsh", 1),
              diapositive=10, page="enfance_jeunesse"),
    ChartSpec("alsh_remplissage", "ALSH : fréquentation par période", "Enfance-jeunesse",
              ("taux_remplissage_alsh",), "enfance_jeunesse:alsh_fill_figure",
              "classeur CTG (feuille ALSH), indicateur local",
              "Accueils de loisirs : fréquentation en {annee}", bilan=("alsh", 2),
              page="enfance_jeunesse"),
    # Plan d'action -------------------------------------------------------------------------
    ChartSpec("plan_atteinte", "Atteinte des indicateurs du plan d'action", "Plan d'action",
              ("atteinte_plan",), "plan:plan_achievement_figure",
              "classeur CTG (feuille Plan d'action), évaluation de la CTG",
              "Plan d'action : atteinte des indicateurs en {annee}", bilan=("plan", 2),
              diapositive=12),
    ChartSpec("plan_axes", "Indicateurs par axe et niveau d'atteinte", "Plan d'action",
              ("atteinte_plan", "part_actions_realisees"), "plan:plan_axes_figure",
              "classeur CTG (feuille Plan d'action), évaluation de la CTG",
              "Plan d'action : indicateurs par axe et niveau d'atteinte en {annee}",
              bilan=("plan", 1), diapositive=11, page="evaluation"),
)
CHARTS: dict[str, ChartSpec] = {s.key: s for s in _SPECS}

# Figures a page builds from inputs of its own (a filtered plan overview, the comités calendar,
# one plan indicator, several territories), not from one territory's data and a year: their
# page calls the builder directly and shows them with `ctg_ui.figure_block`. Declared here for
# their title, source and section; not in CHARTS, whose builders share one signature.
_PAGE_FIGURES = (
    ChartSpec("plan_calendrier", "Calendrier des actions du plan", "Plan d'action", (),
              "plan:action_timeline_figure",
              "classeur CTG (feuilles Plan d'action et Fiches actions)"),
    ChartSpec("comites", "Calendrier des comités", "Pilotage", (), "plan:comites_figure",
              "classeur CTG (feuille Comités)"),
    ChartSpec("plan_indicateur", "Indicateur du plan d'action", "Fiches actions",
              ("atteinte_plan",), "plan:plan_indicator_figure",
              "classeur CTG (feuille Plan d'action)", "{indicateur} ({sens})"),
    ChartSpec("territoires_distribution", "Taux de couverture global des territoires",
              "Territoires", ("taux_couverture_global",), "territoires:distribution_figure",
              "classeurs CTG des territoires, calcul de l'application",
              "Taux de couverture global des territoires en {annee}"),
    ChartSpec("territoires_evolution", "Évolution du taux de couverture des territoires",
              "Territoires", ("taux_couverture_global",), "territoires:comparison_figure",
              "classeurs CTG des territoires, calcul de l'application",
              "Évolution du taux de couverture global des territoires choisis"),
)
PAGE_FIGURES: dict[str, ChartSpec] = {s.key: s for s in _PAGE_FIGURES}


def spec(key: str) -> ChartSpec:
    """The declaration of chart or page figure `key` (KeyError when there is none)."""
    return CHARTS[key] if key in CHARTS else PAGE_FIGURES[key]


def render_title(key: str, **fields) -> str:
    """The title template of `key` filled with `fields` (annee, cible…), without the
    territory's name."""
    return spec(key).title_template.format(**fields)


def spec_title(key: str, data: CtgData, **fields) -> str:
    """The title written on the figure of `key`: its template filled with `fields`, then the
    territory's name (`layout.chart_title`)."""
    return chart_title(render_title(key, **fields), data)


def spec_source(key: str) -> str:
    """The source of `key`, as written after « Source : » under its figure."""
    return spec(key).source


def charts_in(section: str) -> list[ChartSpec]:
    """The registered charts of a section, in display order."""
    return [s for s in _SPECS if s.section == section]


def charts_on_page(page: str) -> list[ChartSpec]:
    """The registered charts the page `page` (file stem in pages/) shows, in declared order."""
    return [s for s in _SPECS if s.page == page]


def build(key: str, data: CtgData, annee: int, references: pd.DataFrame | None = None,
          **options) -> go.Figure:
    """Build the registered chart `key`."""
    return CHARTS[key].build(data, annee, references, **options)


def bilan_charts(chapter: str) -> tuple[str, ...]:
    """Keys of the charts of a bilan chapter (BILAN_CHAPTERS), in reading order."""
    placed = [(s.bilan[1], s.key) for s in _SPECS if s.bilan and s.bilan[0] == chapter]
    return tuple(key for _, key in sorted(placed))


# The charts of the Présentation page's slides, in order (after the key-figure panel).
SLIDES: tuple[str, ...] = tuple(s.key for s in sorted(
    (s for s in _SPECS if s.diapositive is not None), key=lambda s: s.diapositive))


def _builder_problem(s: ChartSpec) -> str | None:
    module, sep, name = s.builder.partition(":")
    if not sep or not module or not name:
        return f"{s.key}: builder {s.builder!r} is not « module:function »"
    try:
        function = s.builder_function()
    except ImportError:
        return f"{s.key}: no module ctg_data.charts.{module} (builder {s.builder!r})"
    except AttributeError:
        return f"{s.key}: no function {name} in ctg_data.charts.{module}"
    return None if callable(function) else f"{s.key}: {s.builder!r} is not callable"


def _title_problem(s: ChartSpec) -> str | None:
    try:
        fields = [f for _, f, _, _ in string.Formatter().parse(s.title_template) if f is not None]
    except ValueError as error:
        return f"{s.key}: title template {s.title_template!r}: {error}"
    unknown = [f for f in fields if f not in TITLE_FIELDS]
    return f"{s.key}: unknown title fields {unknown}" if unknown else None


def check(charts: Iterable[ChartSpec] | None = None,
          page_figures: Iterable[ChartSpec] = ()) -> list[str]:
    """What is wrong with the declarations (empty when nothing): duplicate keys, a builder
    that names no function, an unknown section or title field, a bilan chapter or a slide
    rank used twice. By default the registry's own `CHARTS` and `PAGE_FIGURES`."""
    if charts is None:
        charts, page_figures = _SPECS, _PAGE_FIGURES
    charts, page_figures = list(charts), list(page_figures)
    problems = []
    keys = [s.key for s in charts + page_figures]
    problems += [f"{k}: declared twice" for k in sorted({k for k in keys if keys.count(k) > 1})]
    for s in charts + page_figures:
        if not s.titre or not s.source:
            problems.append(f"{s.key}: no titre or no source")
        problems += [p for p in (_builder_problem(s), _title_problem(s)) if p]
    for s in charts:
        if s.section not in SECTIONS:
            problems.append(f"{s.key}: unknown section {s.section!r}")
        if s.bilan is not None and s.bilan[0] not in BILAN_CHAPTERS:
            problems.append(f"{s.key}: unknown bilan chapter {s.bilan[0]!r}")
    places = [s.bilan for s in charts if s.bilan] + \
        [("diapositive", s.diapositive) for s in charts if s.diapositive is not None]
    problems += [f"{place} given to two charts" for place in sorted(
        {p for p in places if places.count(p) > 1}, key=str)]
    for s in page_figures:
        if s.bilan is not None or s.diapositive is not None:
            problems.append(f"{s.key}: a page figure cannot be in the bilan or a slide")
    return problems
