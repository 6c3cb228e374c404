"""Chart builders: every registered chart on the sample and on empty data, French layout,
fixed colours, source line, scenario, references of the same year, plan indicator chart."""

import math
import re
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import pytest

from ctg_data import charts, definitions, formatting
from ctg_data.charts import CHARTS, NO_DATA, plan_indicator_figure
from ctg_data.model import CtgData
from ctg_data.workbook import load_workbook

S = "\u202f"
ANNEE = 2022
SAMPLE = Path(__file__).resolve().parent.parent / "sample_data" / "ctg_lys_lez_lannoy.xlsx"


@pytest.fixture(scope="module")
def sample():
    """The Lys-lez-Lannoy example, read by the real workbook reader."""
    report = load_workbook(SAMPLE.read_bytes(), SAMPLE.name)
    assert report.ok
    return report.datasets[0]


@pytest.fixture(scope="module")
def sample_figures(sample):
    """Every registered chart built once on the sample."""
    return {key: spec.build(sample, ANNEE, None, cible=60.0, delta_places={"eaje_psu": 12})
            for key, spec in CHARTS.items()}


def _empty() -> CtgData:
    return CtgData(territoire={"code_insee": "59999", "nom": "Commune vide"})


def _annotations(fig, name):
    return [a for a in fig.layout.annotations if a.name == name]


def chart_title(fig) -> str:
    return fig.layout.title.text or ""


def _visible_texts(fig) -> list[str]:
    """Every text a reader can see: titles, annotations, axis titles, legend names, labels,
    hover templates and the values they show."""
    layout = fig.layout
    texts = [layout.title.text or "", (layout.title.subtitle.text or "")]
    texts += [a.text or "" for a in layout.annotations]
    for name in dir(layout):
        if re.fullmatch(r"[xy]axis\d*", name):
            axis = getattr(layout, name)
            texts.append(axis.title.text or "")
            texts += [str(t) for t in (axis.ticktext or ())]
    for trace in fig.data:
        texts += [trace.name or "", trace.hovertemplate or ""]
        texts += [str(t) for t in (trace.text if isinstance(trace.text, (list, tuple)) else
                                   [trace.text or ""])]
        if trace.customdata is not None:
            texts += [str(v) for row in trace.customdata
                      for v in (row if hasattr(row, "__len__") and not isinstance(row, str)
                                else [row])]
    return texts


def _numeric(values) -> bool:
    return values is not None and any(isinstance(v, (int, float)) and not isinstance(v, bool)
                                      for v in values)


def _is_no_data(fig) -> bool:
    return bool(_annotations(fig, "no_data"))


# ---------------------------------------------------------------------------------------------
# The registry
# ---------------------------------------------------------------------------------------------

def test_registry_is_consistent():
    assert len(CHARTS) >= 15
    for key, spec in CHARTS.items():
        assert spec.key == key
        assert spec.section in charts.SECTIONS
        assert spec.titre and spec.titre[0].isupper()
        # Every indicator named for the methodology has a definition.
        for code in spec.indicateurs:
            assert code in definitions.BY_CODE, (key, code)
    for section in charts.SECTIONS:
        assert charts.charts_in(section), section


@pytest.mark.parametrize("key", list(CHARTS))
def test_every_chart_builds_on_the_sample(key, sample_figures, sample):
    fig = sample_figures[key]
    assert isinstance(fig, go.Figure)
    assert not _is_no_data(fig), f"{key}: the sample should hold data for this chart"
    assert fig.data
    assert "Lys-lez-Lannoy" in chart_title(fig)
    assert fig.layout.separators == "," + S
    source = _annotations(fig, "source")
    assert len(source) == 1 and source[0].text.startswith("Source : ")
    assert "données" in source[0].text
    # Nothing technical leaks into what people read.
    for text in _visible_texts(fig):
        assert not re.search(r"\b(None|nan|NaN|null|undefined)\b|<NA>", text), (key, text)


@pytest.mark.parametrize("key", list(CHARTS))
def test_every_chart_says_when_there_is_no_data(key):
    fig = CHARTS[key].build(_empty(), ANNEE)
    assert _is_no_data(fig), key
    assert _annotations(fig, "no_data")[0].text == NO_DATA
    assert chart_title(fig) and _annotations(fig, "source")
    assert fig.layout.separators == "," + S


def test_axes_have_french_titles_and_explicit_formats(sample_figures):
    english = re.compile(r"\b(count|value|year|variable|index|sum of)\b", re.I)
    for key, fig in sample_figures.items():
        if key == "carte_structures":
            continue   # a map has no axes
        layout = fig.layout
        axes = [getattr(layout, a) for a in dir(layout) if re.fullmatch(r"[xy]axis\d*", a)]
        titled = [ax for ax in axes if ax.title and ax.title.text]
        assert titled, key
        for ax in titled:
            assert not english.search(ax.title.text), (key, ax.title.text)
        # Every axis holding numbers says how to format them (no plotly default « 1.2k »).
        for name in [a for a in dir(layout) if re.fullmatch(r"[xy]axis\d*", a)]:
            ax = getattr(layout, name)
            ref = name[0] + name[5:]          # "yaxis2" -> "y2"
            traces = [t for t in fig.data
                      if (getattr(t, f"{name[0]}axis", None) or name[0]) == ref]
            values = [v for t in traces if getattr(t, name[0]) is not None
                      for v in getattr(t, name[0])]
            if ax.visible is False or ax.type == "category" or not _numeric(values):
                continue
            assert ax.tickformat or ax.tickvals is not None, (key, name, ax.title.text)


def test_hover_labels_are_french_templates(sample_figures):
    for key, fig in sample_figures.items():
        for trace in fig.data:
            if trace.hoverinfo == "skip" or (trace.x is not None and list(trace.x) == [None]):
                continue
            template = trace.hovertemplate
            assert template, (key, trace.name)
            assert "<extra>" in template, (key, trace.name)   # no English trace-name box
            for default in ("x=", "y=", "trace ", "%{x}=", "value", "count"):
                assert default not in template, (key, default)
            # The value shown in hover has an explicit d3 format, never the raw number.
            value = "x" if trace.orientation == "h" else "y"
            for axis, spec in re.findall(r"%\{([xy])(:[^}]*)?\}", template):
                if axis == value and _numeric(getattr(trace, value)):
                    assert spec, (key, template)


def test_same_mode_same_colour_on_every_chart(sample_figures):
    seen = {}
    for key in ("places_modes", "places_manquantes", "scenario"):
        for trace in sample_figures[key].data:
            if trace.type == "bar" and trace.legendgroup in formatting.MODES:
                colour = trace.marker.color
                assert colour == formatting.MODE_COLOURS[trace.legendgroup], (key, trace.name)
                seen.setdefault(trace.legendgroup, set()).add(colour)
    assert {"eaje_psu", "am"} <= set(seen)
    assert all(len(colours) == 1 for colours in seen.values())


def test_places_by_mode_matches_the_indicators(sample, sample_figures):
    from ctg_data import indicators
    fig = sample_figures["places_modes"]
    c = indicators.coverage(sample, ANNEE)
    bars = {t.legendgroup: t for t in fig.data if t.type == "bar"}
    position = list(bars["eaje_psu"].x).index(str(ANNEE))
    for mode in ("eaje_psu", "am", "prescolarisation"):
        assert bars[mode].y[position] == c.places[mode]
    # The out-of-territory offer is shown hatched, never added to the rate.
    assert bars["hors_territoire"].marker.pattern.shape == "/"
    rate = next(t for t in fig.data if t.name.startswith("Taux de couverture du territoire"))
    assert rate.y[position] == pytest.approx(c.taux["global"])
    # Years are categories: « 2022 », never « 2 022 ».
    assert fig.layout.xaxis.type == "category"


def test_national_editions_are_never_joined(sample):
    refs = pd.DataFrame([
        dict(niveau="france", code="FR", nom="France", annee=2020,
             indicateur="taux_couverture_global", valeur=58.0, source="A", edition="E1"),
        dict(niveau="france", code="FR", nom="France", annee=2021,
             indicateur="taux_couverture_global", valeur=58.5, source="A", edition="E1"),
        dict(niveau="france", code="FR", nom="France", annee=2022,
             indicateur="taux_couverture_global", valeur=61.0, source="B", edition="E2"),
    ])
    for key in ("couverture_evolution", "places_modes"):
        fig = CHARTS[key].build(sample, ANNEE, refs)
        lines = [t for t in fig.data if t.name and "édition E" in t.name]
        by_edition = {t.name.split("édition ")[1]: [float(v) for v in t.y] for t in lines}
        assert by_edition["E1"][-1] == 58.5 and 61.0 in by_edition["E2"], key
        assert all(61.0 not in by_edition[e] for e in by_edition if e != "E2")
        assert any("E1" in t.name for t in lines) and any("E2" in t.name for t in lines)


def test_coverage_references_use_the_same_year_only(sample):
    base = dict(niveau="departement", code="59", nom="Nord", source="Cnaf, data.caf.fr",
                edition="2023")
    refs = pd.DataFrame([
        base | dict(annee=2021, indicateur="taux_couverture_global", valeur=50.0),
        base | dict(annee=2022, indicateur="taux_couverture_global", valeur=51.5),
        base | dict(annee=2022, indicateur="taux_couverture_eaje", valeur=17.25),
        # Another département: never shown for a territory of the Nord.
        base | dict(code="62", annee=2022, indicateur="taux_couverture_global", valeur=99.0),
    ])
    fig = CHARTS["couverture_references"].build(sample, ANNEE, refs)
    dep = next(t for t in fig.data if t.name.startswith("Département"))
    assert list(dep.y[:2]) == [51.5, 17.25]
    assert 99.0 not in [v for t in fig.data for v in t.y if v is not None]
    assert "Cnaf, data.caf.fr" in _annotations(fig, "source")[0].text
    # 2023 asked: no 2023 value, so no bar, and the note names the latest earlier one.
    fig = CHARTS["couverture_references"].build(sample, 2023, refs)
    assert not any(t.name.startswith("Département") for t in fig.data)
    assert "Département 2022 : 51,5" in _annotations(fig, "source")[0].text


def test_unconfirmed_references_are_not_drawn(sample):
    refs = pd.DataFrame([dict(niveau="france", code="FR", nom="France", annee=ANNEE,
                              indicateur="taux_couverture_global", valeur=60.3, source="?",
                              edition="x", confirme=False)])
    fig = CHARTS["couverture_references"].build(sample, ANNEE, refs)
    assert 60.3 not in [v for t in fig.data for v in t.y if v is not None]


def test_scenario_shows_today_and_the_scenario(sample):
    from ctg_data import indicators
    today = indicators.coverage(sample, ANNEE)
    fig = CHARTS["scenario"].build(sample, ANNEE, cible=60.0,
                                   delta_places={"eaje_psu": 20, "am": -10})
    psu = next(t for t in fig.data if t.legendgroup == "eaje_psu")
    am = next(t for t in fig.data if t.legendgroup == "am")
    assert list(psu.x) == ["Aujourd'hui", "Scénario"]
    assert list(psu.y) == [today.places["eaje_psu"], today.places["eaje_psu"] + 20]
    assert list(am.y) == [today.places["am"], today.places["am"] - 10]
    rate = next(t for t in fig.data if t.name == "Taux de couverture")
    expected = 100 * (today.places["total"] + 10) / today.enfants_moins_3_ans
    assert rate.y[0] == pytest.approx(today.taux["global"])
    assert rate.y[1] == pytest.approx(expected)
    subtitle = fig.layout.title.subtitle.text
    assert formatting.fr_number(today.taux["global"], 1) in subtitle
    assert formatting.fr_number(expected, 1) in subtitle
    # A scenario on the number of children only.
    fig = CHARTS["scenario"].build(sample, ANNEE, enfants_moins_3_ans=400)
    rate = next(t for t in fig.data if t.name == "Taux de couverture")
    assert rate.y[1] == pytest.approx(100 * today.places["total"] / 400)


def test_missing_places_against_the_target(sample):
    from ctg_data import indicators
    c = indicators.coverage(sample, ANNEE)
    fig = CHARTS["places_manquantes"].build(sample, ANNEE, cible=60.0)
    expected = max(0, math.ceil(60.0 * c.enfants_moins_3_ans / 100 - c.places["total"]))
    assert f"Il manque {expected}\u00a0places" in fig.layout.title.subtitle.text
    line = [s for s in fig.layout.shapes if s.type == "line"][0]
    assert line.x0 == pytest.approx(60.0 * c.enfants_moins_3_ans / 100)
    fig = CHARTS["places_manquantes"].build(sample, ANNEE, cible=10.0)
    assert "Cible atteinte" in fig.layout.title.subtitle.text


def test_map_draws_points_and_contour_without_tiles(sample):
    contour = {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [
        [[3.19, 50.65], [3.24, 50.65], [3.24, 50.69], [3.19, 50.69], [3.19, 50.65]]]}}
    fig = CHARTS["carte_structures"].build(sample, ANNEE, contour=contour)
    assert {t.type for t in fig.data} == {"scatter"}        # no mapbox / map tiles
    limit = [t for t in fig.data if t.name == "Limite communale"]
    assert len(limit) == 1 and list(limit[0].x)[:2] == [3.19, 3.24]
    points = [t for t in fig.data if t.mode and "markers" in t.mode]
    names = {c[0] for t in points for c in t.customdata}
    assert "Multi-accueil La Pépinière" in names
    # Symbols differ between groups: colour is never the only cue.
    symbols = [t.marker.symbol for t in points]
    assert len(set(symbols)) == len(symbols)
    assert fig.layout.yaxis.scaleanchor == "x"


def test_plan_achievement_bands_carry_label_and_hatch(sample_figures):
    fig = sample_figures["plan_atteinte"]
    for trace in fig.data:
        band = next(b for b in formatting.BANDS if formatting.band_label(b) == trace.name)
        assert trace.marker.color == formatting.BAND_COLOURS[band]
        assert trace.marker.pattern.shape == formatting.BAND_PATTERNS[band]
        assert all(str(t).startswith(formatting.BAND_SYMBOLS[band]) for t in trace.text)


def test_plan_axes_counts_match_the_summary(sample, sample_figures):
    from ctg_data import indicators
    summary = indicators.axis_summary(indicators.plan_status(sample, ANNEE))
    fig = sample_figures["plan_axes"]
    total = [0] * len(summary)
    for trace in fig.data:
        total = [a + b for a, b in zip(total, trace.x)]
    assert total == list(summary["indicateurs"])


def test_plan_indicator_figure_by_hand():
    status = dict(row=4, indicateur="Réunions du comité", unite="réunions", sens="Hausse",
                  valeur_reference=0.0, annee_reference=2020, cible=6.0, annee_cible=2023,
                  niveau="en bonne voie", atteinte_pct=5 / 6 * 100, action="Piloter")
    plan = {"2021": 2.0, "2022": 5.0, "2023": None, "indicateur": "Réunions du comité"}
    fig = plan_indicator_figure(status, plan, [2021, 2022, 2023])
    observed = next(t for t in fig.data if t.name == "Valeur observée")
    assert list(observed.x) == [2021, 2022] and list(observed.y) == [2.0, 5.0]
    reference = next(t for t in fig.data if t.name == "Valeur de référence")
    assert list(reference.x) == [2020] and list(reference.y) == [0.0]
    target = [s for s in fig.layout.shapes if s.type == "line"]
    assert target and target[0].y0 == 6.0
    assert "↗" in chart_title(fig)
    assert "➜ En bonne voie" in fig.layout.title.subtitle.text
    assert "83" + S + "%" in fig.layout.title.subtitle.text
    assert _annotations(fig, "source")
    # Decreasing is better: said in the title.
    fig = plan_indicator_figure(status | {"sens": "Baisse"}, plan, [2021, 2022])
    assert "↘ moins est mieux" in chart_title(fig)
    # Nothing to draw.
    fig = plan_indicator_figure(dict(indicateur="Livrable", niveau="non renseigné"), {}, [2022])
    assert _is_no_data(fig)


def test_source_line_names_the_version_date(sample):
    fig = CHARTS["population"].build(sample, ANNEE, version_date="2024-03-12")
    text = _annotations(fig, "source")[0].text.replace("<br>", " ")
    assert "classeur CTG (version du 12/03/2024)" in text
    assert "données 2020-2022" in text


def test_presentation_and_file_name(sample, sample_figures):
    fig = sample_figures["population"]
    big = charts.presentation(fig)
    assert big.layout.font.size > fig.layout.font.size
    assert fig.layout.font.size == 13          # the original is untouched
    assert charts.figure_file_name("couverture_references", sample, 2022) == \
        "ctg_lys-lez-lannoy_couverture_references_2022"
    config = charts.plotly_config("ctg_x")
    assert config["toImageButtonOptions"]["filename"] == "ctg_x"
    assert config["displaylogo"] is False


def test_presentation_enlarges_every_text_not_only_the_base_font(sample_figures):
    """The builders size the legend, axis titles, ticks and the source line one by one: a
    projector needs each of them larger, and the canvas tall enough for one chart per screen."""
    fig = sample_figures["places_modes"]
    big = charts.presentation(fig, scale=1.5)
    assert big.layout.legend.font.size == fig.layout.legend.font.size * 1.5
    assert big.layout.xaxis.title.font.size == fig.layout.xaxis.title.font.size * 1.5
    assert big.layout.yaxis.tickfont.size == (fig.layout.yaxis.tickfont.size or 13) * 1.5
    source = [a for a in big.layout.annotations if a.name == "source"][0]
    original = [a for a in fig.layout.annotations if a.name == "source"][0]
    assert source.font.size == original.font.size * 1.5
    assert source.yshift == original.yshift * 1.5      # stays clear of the bigger x axis
    assert big.layout.margin.t > fig.layout.margin.t
    assert big.layout.height >= charts.PRESENTATION_HEIGHT
    assert original.font.size == 11                    # the original is untouched


def test_exported_image_carries_the_source(sample, sample_figures):
    """One quick SVG export: the source line and the French separator are in the image."""
    from ctg_data import exports

    svg = exports.figure_to_image(sample_figures["tranches_age"], "svg").decode("utf-8")
    assert "Source : classeur CTG" in svg
    population = sample.table("population")
    jeunes = float(population.loc[population["annee"] == ANNEE, "jeunes_11_17"].iloc[0])
    assert jeunes >= 1000                  # so that the thousands separator shows
    assert formatting.fr_number(jeunes) in svg


def test_user_text_is_not_read_as_markup(sample):
    data = CtgData(territoire=dict(sample.territoire, nom="Ville <b>X</b> & Y"),
                   tables=dict(sample.tables))
    fig = CHARTS["population"].build(data, ANNEE)
    assert "Ville &lt;b&gt;X&lt;/b&gt; &amp; Y" in chart_title(fig)
    assert "<b>X</b>" not in chart_title(fig)


# ---------------------------------------------------------------------------------------------
# Statistical secrecy in exported images
# ---------------------------------------------------------------------------------------------

def _with_small_counts(sample) -> CtgData:
    """The sample with 3 children in garde à domicile in ANNEE, and 3 births that year."""
    tables = {k: v.copy() for k, v in sample.tables.items()}
    acc = tables["accueil_petite_enfance"]
    acc.loc[acc["annee"] == ANNEE, "enfants_gardes_domicile"] = 3
    pop = tables["population"]
    pop.loc[pop["annee"] == ANNEE, "naissances"] = 3
    return CtgData(territoire=dict(sample.territoire), tables=tables)


def _point_texts(trace, i) -> list[str]:
    """What a reader can see of point `i` of a trace: its label and its hover text, with the
    values its template reads."""
    template = trace.hovertemplate
    template = template[i] if isinstance(template, (list, tuple)) else template or ""
    text = trace.text
    label = text[i] if isinstance(text, (list, tuple)) else text or ""
    custom = trace.customdata[i] if trace.customdata is not None else None
    values = [str(v) for v in (custom if isinstance(custom, (list, tuple)) else [custom])
              if v is not None]
    shown = template
    for axis in ("x", "y"):
        data = getattr(trace, axis)
        if data is not None and f"%{{{axis}" in template:
            shown += f" {data[i]}"
    return [str(label), shown, *values]


def _trace(fig, name):
    return next(t for t in fig.data if t.name == name)


@pytest.mark.parametrize("key", ["places_modes", "places_manquantes", "scenario"])
def test_secret_hides_a_small_count_of_children_in_exports(sample, key):
    data = _with_small_counts(sample)
    label = formatting.MODE_LABELS["gad"]
    screen = CHARTS[key].build(data, ANNEE, None, cible=60.0)
    export = CHARTS[key].build(data, ANNEE, None, cible=60.0, secret=True)
    for fig, hidden in ((screen, False), (export, True)):
        trace = _trace(fig, label)
        values = list(trace.x if trace.orientation == "h" else trace.y)
        i = [k for k, v in enumerate(values) if v == 3][-1]
        texts = " ".join(_point_texts(trace, i))
        assert ("3" in re.findall(r"\d+", texts)) is not hidden, (key, hidden, texts)
        assert ("secret statistique" in texts) is hidden
    # The exported image says why, on its source line; places stay exact.
    assert "secret statistique" in _annotations(export, "source")[0].text.replace("<br>", " ")
    assert "secret statistique" not in _annotations(screen, "source")[0].text
    psu = _trace(export, formatting.MODE_LABELS["eaje_psu"])
    assert isinstance(psu.hovertemplate, str) and "secret" not in psu.hovertemplate


def test_secret_hides_small_births_and_follows_the_threshold(sample):
    data = _with_small_counts(sample)
    years = [str(y) for y in _trace(CHARTS["population"].build(data, ANNEE), "Naissances "
                                    "(axe de droite)").x]
    i = years.index(str(ANNEE))
    births = "Naissances (axe de droite)"
    fig = CHARTS["population"].build(data, ANNEE, None, secret=True)
    assert "%{y" not in _trace(fig, births).hovertemplate[i]
    # A threshold of 3 (per-source override): 3 is not under it, the value shows.
    fig = CHARTS["population"].build(data, ANNEE, None, secret=3)
    assert "%{y" in (_trace(fig, births).hovertemplate or "")
    # Population in thousands: never hidden.
    assert isinstance(_trace(fig, "Population municipale").hovertemplate, str)


def test_secret_hides_small_age_band_labels(sample):
    tables = {k: v.copy() for k, v in sample.tables.items()}
    pop = tables["population"]
    pop.loc[pop["annee"] == ANNEE, "enfants_0_2"] = 4
    data = CtgData(territoire=dict(sample.territoire), tables=tables)
    screen = CHARTS["tranches_age"].build(data, ANNEE)
    export = CHARTS["tranches_age"].build(data, ANNEE, None, secret=True)
    assert screen.data[0].text[0] == "4"
    assert export.data[0].text[0] == "s"
    assert export.data[0].text[1] == screen.data[0].text[1] != "s"


def test_secret_in_a_plan_indicator_counting_people():
    status = {"indicateur": "Familles accompagnées", "unite": "familles", "sens": "Hausse",
              "valeur_reference": 2, "annee_reference": 2020, "cible": 10, "annee_cible": 2024,
              "niveau": "en retard", "atteinte_pct": 12.5, "row": 0, "action": "Accompagner"}
    plan = {"2021": 3, "2022": 12}
    screen = plan_indicator_figure(status, plan, [2021, 2022])
    export = plan_indicator_figure(status, plan, [2021, 2022], secret=True)
    assert list(screen.data[0].text) == ["3\u00a0familles", "12\u00a0familles"]
    assert list(export.data[0].text) == ["s", "12\u00a0familles"]
    # The achievement with the reference and the target would give the value back.
    assert "atteinte" in screen.layout.title.subtitle.text
    assert "atteinte" not in export.layout.title.subtitle.text
    # The target is an objective, not an observation: it stays.
    assert any("10" in (a.text or "") for a in export.layout.annotations)
    # A rate is not a count of people: nothing hidden.
    rate = plan_indicator_figure(dict(status, unite="%"), plan, [2021, 2022], secret=True)
    assert rate.data[0].text[0] == "3\u202f%"


def test_whole_target_written_without_decimal(sample):
    fig = CHARTS["places_manquantes"].build(sample, ANNEE, None, cible=60.0)
    assert "atteindre 60\u00a0places pour 100 enfants" in chart_title(fig)
    fig = CHARTS["scenario"].build(sample, ANNEE, None, cible=60.0,
                                   delta_places={"eaje_psu": 12})
    assert any((a.text or "") == "Cible 60" for a in fig.layout.annotations)
    fig = CHARTS["scenario"].build(sample, ANNEE, None, cible=62.5)
    assert any((a.text or "") == "Cible 62,5" for a in fig.layout.annotations)


def test_comites_calendar_months_in_french(sample):
    vals, texts = charts.month_ticks(["2021-01-15", "2021-06-03"])
    assert texts == ["janv. 2021", "févr. 2021", "mars 2021", "avr. 2021", "mai 2021",
                     "juin 2021"]
    assert vals[0] == "2021-01-01"
    # Two years and a half: every quarter would be 11 ticks, every half-year 6.
    vals, texts = charts.month_ticks(["2021-02-10", "2023-07-01"])
    assert texts == ["janv. 2021", "juil. 2021", "janv. 2022", "juil. 2022", "janv. 2023",
                     "juil. 2023"]
    calendar = pd.DataFrame({"date": ["2021-03-02", "2022-11-20"],
                             "instance": ["Comité technique", "Comité de pilotage"],
                             "ordre_du_jour": ["Diagnostic", "Bilan"]})
    fig = charts.comites_figure(sample, calendar, "2022-01-01")
    assert fig.layout.xaxis.ticktext[:2] == ("janv. 2021", "avr. 2021")
    assert not any(re.fullmatch(r"\d\d/\d{4}", t) for t in fig.layout.xaxis.ticktext)
    source = _annotations(fig, "source")[0].text
    assert all(len(line) <= 95 for line in source.split("<br>"))


def test_plan_indicator_label_leaves_the_target_line_readable():
    status = {"indicateur": "Taux de réponse", "unite": "%", "sens": "Hausse",
              "valeur_reference": 20, "annee_reference": 2020, "cible": 60, "annee_cible": 2024,
              "niveau": "en bonne voie", "atteinte_pct": 92.5, "row": 1}
    fig = plan_indicator_figure(status, {"2021": 30, "2022": 57}, [2021, 2022])
    # 57 is 3 points under the target 60 (range 0-60): its label goes under the point.
    assert list(fig.data[0].textposition) == ["top center", "bottom center"]


def test_alsh_fill_has_no_misleading_legend(sample_figures):
    fig = sample_figures["alsh_remplissage"]
    assert fig.layout.showlegend is False
    colours = [c for t in fig.data if t.type == "bar" for c in t.marker.color]
    assert len(set(colours)) > 1   # one colour per period, named under each bar
