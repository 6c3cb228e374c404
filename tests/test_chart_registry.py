"""The chart registry (ctg_data.charts.registry): every chart is declared once by a ChartSpec;
its builder exists, writes the spec's title and source on the figure, and every chart the bilan
or the presentation lists has a spec. check() reports a declaration that names no builder."""

import ast
import re
from pathlib import Path

import pandas as pd
import pytest

from ctg_data import charts, indicators, plan_views, settings
from ctg_data import formatting as fmt
from ctg_data.charts import registry
from ctg_data.charts.registry import CHARTS, PAGE_FIGURES, ChartSpec
from ctg_data.model import CtgData, plan_years
from ctg_data.workbook import load_workbook

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "sample_data" / "ctg_lys_lez_lannoy.xlsx"
KEY_LIKE = re.compile(r"[a-z][a-z0-9]*(_[a-z0-9]+)+|[a-z]+")


@pytest.fixture(scope="module")
def sample() -> CtgData:
    """The Lys-lez-Lannoy example, read by the real workbook reader."""
    report = load_workbook(SAMPLE.read_bytes(), SAMPLE.name)
    assert report.ok
    return report.datasets[0]


def _title(fig) -> str:
    return (fig.layout.title.text or "").replace("<br>", " ")


def _source(fig) -> str:
    notes = [a.text for a in fig.layout.annotations if a.name == "source"]
    assert len(notes) == 1
    return notes[0].replace("<br>", " ")


def _allowed_titles(spec: ChartSpec, data: CtgData, annee: int) -> list[str]:
    """The titles the spec allows on a figure asked for `annee`: its template filled with that
    year; for a chart that falls back on the latest earlier year with data (a `{note}` field),
    also with that year and the note that says so."""
    cible = fmt.fr_target_rate(float(settings.get("cible_taux_couverture")))
    fields = {"annee": annee, "cible": cible, "note": ""}
    titles = [registry.render_title(spec.key, **fields)]
    if "{note}" in spec.title_template:
        titles += [registry.render_title(spec.key, annee=y, cible=cible,
                                         note=f" (dernière année disponible : {y})")
                   for y in range(annee - 5, annee)]
    return [charts.chart_title(t, data) for t in titles]


# ---------------------------------------------------------------------------------------------
# Declarations
# ---------------------------------------------------------------------------------------------

def test_the_registry_declarations_have_no_problem():
    assert registry.check() == []


@pytest.mark.parametrize("spec", [*CHARTS.values(), *PAGE_FIGURES.values()],
                         ids=lambda s: s.key)
def test_every_builder_is_a_function_of_the_charts_package(spec):
    function = spec.builder_function()
    assert callable(function)
    module, name = spec.builder.split(":")
    assert function.__module__ == f"ctg_data.charts.{module}" and function.__name__ == name


def test_a_spec_naming_no_builder_is_reported():
    good = CHARTS["population"]
    broken = [
        ChartSpec("sans_fonction", "Sans fonction", "Diagnostic", (),
                  "diagnostic:no_such_figure"),
        ChartSpec("sans_module", "Sans module", "Diagnostic", (), "nowhere:population_figure"),
        ChartSpec("sans_deux_points", "Mal nommé", "Diagnostic", (), "population_figure"),
    ]
    problems = registry.check([good, *broken])
    assert len(problems) == 3
    assert "sans_fonction" in problems[0] and "no_such_figure" in problems[0]
    assert "sans_module" in problems[1] and "nowhere" in problems[1]
    assert "sans_deux_points" in problems[2]
    with pytest.raises(AttributeError):
        broken[0].build(CtgData(territoire={}), 2022)
    assert registry.check([good]) == []


def test_check_reports_places_given_twice_and_unknown_fields():
    a = ChartSpec("a", "A", "Diagnostic", (), "diagnostic:population_figure",
                  bilan=("offre", 1), diapositive=3)
    b = ChartSpec("b", "B", "Diagnostic", (), "diagnostic:income_figure", "INSEE",
                  "B en {anne}", bilan=("offre", 1), diapositive=3)
    c = ChartSpec("a", "C", "Ailleurs", (), "diagnostic:families_figure", bilan=("annexe", 1))
    problems = registry.check([a, b, c])
    assert "a: declared twice" in problems
    assert any(p.startswith("b: unknown title fields ['anne']") for p in problems)
    assert any(p.startswith("a: unknown section 'Ailleurs'") for p in problems)
    assert any("unknown bilan chapter 'annexe'" in p for p in problems)
    assert "('offre', 1) given to two charts" in problems
    assert "('diapositive', 3) given to two charts" in problems


def test_bilan_chapters_and_slides_name_registered_charts():
    for chapter in registry.BILAN_CHAPTERS:
        keys = registry.bilan_charts(chapter)
        assert keys, chapter
        assert all(k in CHARTS for k in keys), chapter
        assert all(CHARTS[k].bilan[0] == chapter for k in keys)
    shown = [k for c in registry.BILAN_CHAPTERS for k in registry.bilan_charts(c)]
    assert len(shown) == len(set(shown))
    assert charts.SLIDES and all(k in CHARTS for k in charts.SLIDES)
    assert len(charts.SLIDES) == len(set(charts.SLIDES))
    assert [CHARTS[k].diapositive for k in charts.SLIDES] == \
        sorted(CHARTS[k].diapositive for k in charts.SLIDES)


def _literal_key_lists(tree: ast.AST) -> list[list[str]]:
    """Every tuple or list literal made of key-like strings (« population », « plan_axes »)."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Tuple, ast.List)) and node.elts and all(
                isinstance(e, ast.Constant) and isinstance(e.value, str)
                and KEY_LIKE.fullmatch(e.value) for e in node.elts):
            found.append([e.value for e in node.elts])
    return found


def test_the_presentation_page_takes_its_slides_from_the_registry():
    tree = ast.parse((REPO / "pages" / "presentation.py").read_text(encoding="utf-8"))
    for keys in _literal_key_lists(tree):
        unknown = [k for k in keys if k not in CHARTS]
        assert not unknown, f"pages/presentation.py lists charts without a spec: {unknown}"
    assert any(isinstance(n, ast.Attribute) and n.attr == "SLIDES" for n in ast.walk(tree))


def test_the_bilan_charts_come_from_the_specs_only():
    """No module of the bilan writes a chart key: its chapters draw `CHART_KEYS`, derived from
    the specs' `bilan=` field, so a chart cannot be in the bilan without a spec."""
    from ctg_data import bilan

    assert bilan.CHART_KEYS == {c: registry.bilan_charts(c) for c in registry.BILAN_CHAPTERS}
    assert all(k in CHARTS for keys in bilan.CHART_KEYS.values() for k in keys)
    for path in sorted((REPO / "ctg_data" / "bilan").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            named = (node.args[0] if isinstance(node, ast.Call) and node.args
                     and isinstance(node.func, ast.Attribute)
                     and node.func.attr in ("chart", "build") else
                     node.slice if isinstance(node, ast.Subscript)
                     and getattr(node.value, "attr", getattr(node.value, "id", "")) == "CHARTS"
                     else None)
            assert not isinstance(named, ast.Constant), (
                f"{path.name}:{node.lineno} names the chart « {named.value} » instead of "
                "reading the specs")


def _page_chart_keys() -> dict[str, set[str]]:
    """The chart keys each page draws with `ctg_ui.chart_block("key", …)`."""
    drawn = {}
    for path in sorted((REPO / "pages").glob("*.py")):
        keys = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in ("chart_block", "slide_chart") and node.args
                    and isinstance(node.args[0], ast.Constant)):
                keys.add(node.args[0].value)
        drawn[path.stem] = keys
    return drawn


def test_every_chart_a_page_places_is_declared_for_that_page():
    """A page places only charts the registry gives it (`ChartSpec.page`)."""
    misplaced = {page: sorted(k for k in keys if k not in CHARTS or CHARTS[k].page != page)
                 for page, keys in _page_chart_keys().items() if page != "presentation"}
    assert {page: keys for page, keys in misplaced.items() if keys} == {}


def test_every_page_named_by_a_spec_draws_the_charts_it_did_not_place():
    """The page of each spec exists and ends with `ctg_ui.other_charts("<page>", …)`, so a
    chart declared for it is seen there without editing the page."""
    for page in sorted({s.page for s in CHARTS.values() if s.page}):
        path = REPO / "pages" / f"{page}.py"
        assert path.exists(), page
        assert re.search(rf'ctg_ui\.other_charts\("{page}"', path.read_text(encoding="utf-8")), page


def test_a_chart_added_to_the_registry_appears_on_its_page(db_url, monkeypatch):
    """Adding a chart = its builder and one ChartSpec: here a new spec (reusing a builder)
    given to the Diagnostic page is drawn there, with its methodology, by the page run."""
    from streamlit.testing.v1 import AppTest

    from ctg_data.importing import import_file
    from ctg_data.storage import Store

    store = Store(db_url)
    import_file(store, SAMPLE.read_bytes(), SAMPLE.name, author="test")
    store.close()
    extra = ChartSpec("naissances_essai", "Naissances (graphique ajouté)", "Diagnostic",
                      ("naissances",), "diagnostic:population_figure",
                      "classeur CTG (feuille Population), INSEE", page="diagnostic")
    monkeypatch.setitem(registry.CHARTS, extra.key, extra)
    monkeypatch.setattr(registry, "_SPECS", (*registry._SPECS, extra))
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=30)
    at.run()
    at.switch_page("pages/diagnostic.py").run()
    assert not at.exception, [e.value for e in at.exception]
    headers = [h.value for h in at.header]
    assert headers[-1] == "Naissances (graphique ajouté)"
    assert headers.count("Naissances (graphique ajouté)") == 1
    # The charts the page places itself are not drawn a second time.
    assert headers.count("Population et naissances") == 1


def test_every_spec_is_shown_somewhere():
    """A spec nobody draws is a chart people never see: its page (`page=`) shows it, or the
    bilan or the presentation lists it through its spec."""
    unseen = [s.key for s in CHARTS.values()
              if s.page is None and s.bilan is None and s.diapositive is None]
    assert unseen == []


# ---------------------------------------------------------------------------------------------
# Builders write their spec's title and source
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("key", list(CHARTS))
def test_every_chart_writes_its_spec_title_and_source(key, sample):
    spec = CHARTS[key]
    annee = max(sample.years())
    fig = spec.build(sample, annee, None)
    title = _title(fig)
    assert any(title.startswith(t) for t in _allowed_titles(spec, sample, annee)), title
    assert _source(fig).startswith(f"Source : {spec.source}")
    # The « Données non disponibles » figure too.
    empty = CtgData(territoire={"code_insee": "59999", "nom": "Commune vide"})
    fig = spec.build(empty, 2022, None)
    assert any(a.name == "no_data" for a in fig.layout.annotations)
    assert _title(fig).startswith(_allowed_titles(spec, empty, 2022)[0])
    assert _source(fig).startswith(f"Source : {spec.source}")


def test_the_plan_and_pilotage_figures_write_their_spec_title_and_source(sample):
    annee = max(sample.years())
    timeline = charts.action_timeline_figure(sample, plan_views.actions_overview(sample, annee))
    comites = charts.comites_figure(sample, plan_views.comites_calendar(sample), "2022-06-01")
    for key, fig in (("plan_calendrier", timeline), ("comites", comites)):
        assert not any(a.name == "no_data" for a in fig.layout.annotations), key
        assert _title(fig) == charts.chart_title(PAGE_FIGURES[key].titre, sample)
        assert _source(fig).startswith(f"Source : {PAGE_FIGURES[key].source}")
    status = indicators.plan_status(sample, annee)
    plan = sample.table("plan_action")
    row = status.iloc[0]
    fig = charts.plan_indicator_figure(row, plan.iloc[int(row["row"])], plan_years(plan))
    sens = "↘ moins est mieux" if row["sens"] == "Baisse" else "↗ plus est mieux"
    assert _title(fig) == registry.render_title(
        "plan_indicateur", indicateur=fmt.escape_plotly(row["indicateur"]), sens=sens)
    assert _source(fig).startswith(f"Source : {PAGE_FIGURES['plan_indicateur'].source}")


def test_the_territories_figures_write_their_spec_title_and_source():
    table = pd.DataFrame({"code_insee": ["59367", "59013"], "departement": ["59", "59"],
                          "taux_couverture_global": [48.5, 61.0]})
    fig = charts.distribution_figure(table, 2021)
    assert _title(fig) == registry.render_title("territoires_distribution", annee=2021)
    assert _source(fig).startswith(
        f"Source : {PAGE_FIGURES['territoires_distribution'].source}")
    series = table.assign(annee=2021)
    fig = charts.comparison_figure(series, {"59367": "Lys"}, 2021)
    assert _title(fig) == registry.render_title("territoires_evolution")
    assert _source(fig).startswith(f"Source : {PAGE_FIGURES['territoires_evolution'].source}")
