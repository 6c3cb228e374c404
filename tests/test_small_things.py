"""The small things a comité noticed (issue 11): chart text legible in the printed bilan, the
ALSH « pour 100 places » not read as an occupancy rate, the plan calendar in the order of the
action numbers, no overlapping names on the map, long category labels wrapped, not cut."""

from pathlib import Path

import pandas as pd
import pytest

from ctg_data import bilan, charts, formatting
from ctg_data.model import CtgData
from ctg_data.workbook import load_workbook

ANNEE = 2023
SAMPLE = Path(__file__).resolve().parent.parent / "sample_data" / "ctg_lys_lez_lannoy.xlsx"


@pytest.fixture(scope="module")
def sample() -> CtgData:
    report = load_workbook(SAMPLE.read_bytes(), SAMPLE.name)
    assert report.ok
    return report.datasets[0]


# 1. Chart text in the bilan ------------------------------------------------------------------

def test_printed_points_arithmetic():
    # 13 px on a 1,000-pixel image placed 170 mm wide: the 6 pt of the old bilan.
    assert charts.printed_points(13, 1000, 170) == pytest.approx(6.26, abs=0.01)
    assert charts.printed_points(24, 800, 170) == pytest.approx(2 * charts.printed_points(
        12, 800, 170))


def test_bilan_chart_text_prints_at_8_points_at_least(sample):
    content = bilan.bilan_content(sample, ANNEE, images=False)
    blocks = [b for b in content.blocks if isinstance(b, bilan.Chart) and b.figure is not None]
    assert len(blocks) >= 5
    for block in blocks:
        # The image is rendered block.width pixels wide (bilan_content) and placed at most
        # CHART_WIDTH_MM wide in the PDF and the DOCX.
        smallest = min(charts.font_sizes(block.figure))
        points = charts.printed_points(smallest, block.width, bilan.CHART_WIDTH_MM)
        assert points >= 8, (block.key, smallest, block.width, points)


def test_for_print_raises_small_text_only(sample):
    fig = charts.CHARTS["carte_structures"].build(sample, ANNEE, None)
    before = min(charts.font_sizes(fig))
    assert charts.printed_points(before, 1000, 170) < 8     # the defect, before the fix
    printed = charts.for_print(fig, 800, 170)
    assert charts.printed_points(min(charts.font_sizes(printed)), 800, 170) >= 8
    # A text already large enough keeps its size; the screen figure is left as it was.
    assert printed.layout.title.font.size == fig.layout.title.font.size
    assert min(charts.font_sizes(fig)) == before


# 2. ALSH « pour 100 places » ------------------------------------------------------------------

def test_alsh_children_per_places_is_not_called_a_rate(sample):
    fig = charts.CHARTS["alsh_remplissage"].build(sample, ANNEE, None)
    texts = [t.name or "" for t in fig.data] + [t.hovertemplate or "" for t in fig.data]
    texts += [str(x) for t in fig.data for x in t.x] + [fig.layout.yaxis.title.text]
    children = [t for t in texts if "enfants" in t.lower()]
    if not children:
        pytest.skip("the sample has hours for every ALSH period")
    joined = " ".join(texts)
    assert "pas un taux d'occupation" in joined
    assert "places ouvertes" in joined
    assert "remplissage" not in fig.layout.title.text


# 3. Plan calendar order -----------------------------------------------------------------------

def test_action_order_is_natural():
    numbers = ["10", "2", None, "1", "3", "2.1", "11"]
    assert sorted(numbers, key=charts.action_order) == \
        ["1", "2", "2.1", "3", "10", "11", None]


def test_plan_calendar_lists_actions_by_number(sample):
    overview = pd.DataFrame({
        "numero_action": ["1", "2", "4", "5", "3", "10"],
        "action": ["Un", "Deux", "Quatre", "Cinq", "Trois", "Dix"],
        "axe": ["Axe"] * 6, "debut": [2022, 2022, 2023, 2023, 2024, 2025],
        "fin": [2023] * 3 + [2024] * 3, "niveau": ["atteint"] * 6, "statut": ["En cours"] * 6,
        "periode_source": ["fiche"] * 6})
    fig = charts.action_timeline_figure(sample, overview)
    order = [label.split(".")[0] for label in fig.layout.yaxis.categoryarray]
    assert order == ["1", "2", "3", "4", "5", "10"]


# 4. Map labels --------------------------------------------------------------------------------

def _map(sample: CtgData, points: list[tuple[str, float, float]]):
    """The map of structures at `points` (name, latitude, longitude), rows like the sample's."""
    model = sample.table("equipements").iloc[0]
    rows = pd.DataFrame([model] * len(points)).reset_index(drop=True)
    rows["nom"] = [n for n, _, _ in points]
    rows["latitude"] = [lat for _, lat, _ in points]
    rows["longitude"] = [lon for _, _, lon in points]
    data = CtgData(territoire=dict(sample.territoire), tables={"equipements": rows})
    return charts.map_figure(data, ANNEE)


def _modes(fig) -> set[str]:
    return {t.mode for t in fig.data if t.mode and "markers" in t.mode}


def test_map_names_on_hover_when_structures_are_close(sample):
    # Three crèches 30-60 m apart: written names would overlap.
    fig = _map(sample, [("Crèche des Lilas", 50.6700, 3.2100), ("Micro-crèche Les Petits Pas",
                                                        50.6703, 3.2102),
                ("Crèche municipale", 50.6705, 3.2099)])
    assert _modes(fig) == {"markers"}
    assert "au survol" in fig.layout.meta["source"]


def test_map_names_written_when_few_and_far_apart(sample):
    fig = _map(sample, [("Crèche nord", 50.690, 3.200), ("Crèche sud", 50.650, 3.240)])
    assert _modes(fig) == {"markers+text"}


def test_map_sample_never_writes_overlapping_names(sample):
    fig = charts.CHARTS["carte_structures"].build(sample, ANNEE, None)
    written = [x for t in fig.data if t.mode == "markers+text" for x in t.text if x]
    shown = [t for t in fig.data if t.mode and "markers" in t.mode]
    # All names or none: with many structures, names are on hover only.
    assert not written or all(x for t in shown for x in t.text)


# 5. Long category labels ----------------------------------------------------------------------

def test_wrap_label():
    text = "Favoriser l'accès des familles vulnérables aux modes d'accueil <collectifs>"
    wrapped = formatting.wrap_label(text, 28)
    lines = wrapped.split("<br>")
    assert len(lines) > 1 and all(len(line.replace("&lt;", "<").replace("&gt;", ">")) <= 28
                                  for line in lines)
    assert "<collectifs>" not in wrapped and "&lt;collectifs&gt;" in wrapped
    assert formatting.wrap_label("Court") == "Court"
    cut = formatting.wrap_label("mot " * 40, 20, max_lines=2).split("<br>")
    assert len(cut) == 2 and cut[-1].endswith("…")


def test_plan_axes_labels_wrapped_not_cut(sample):
    fig = charts.CHARTS["plan_axes"].build(sample, ANNEE, None)
    labels = [str(y) for t in fig.data for y in t.y]
    assert labels and not any(label.endswith("…") for label in labels if len(label) < 60)
    assert all(len(line) <= 30 for label in labels for line in label.split("<br>"))
    assert fig.layout.yaxis.automargin
