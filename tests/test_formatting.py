"""French number, rate and date formatting; plotly formats; the palette."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from ctg_data import formatting as f

S = "\u202f"   # narrow no-break space: thousands separator and before % / €
N = "\u00a0"   # no-break space: before a word unit
M = "\u2212"   # minus sign


@pytest.mark.parametrize("value, decimals, expected", [
    (0, 0, "0"),
    (7, 0, "7"),
    (999, 0, "999"),
    (1000, 0, "1" + S + "000"),
    (1234.5, 1, "1" + S + "234,5"),
    (1234567.891, 2, "1" + S + "234" + S + "567,89"),
    (13987, 0, "13" + S + "987"),
    (40.64, 1, "40,6"),
    (12, 1, "12,0"),
    (np.float64(59.95), 1, "60,0"),
    (np.int64(2550), 0, "2" + S + "550"),
    (-1234.5, 1, M + "1" + S + "234,5"),
    (-3, 0, M + "3"),
])
def test_fr_number(value, decimals, expected):
    assert f.fr_number(value, decimals) == expected


@pytest.mark.parametrize("value, decimals, expected", [
    # Half away from zero on the number as written, like Excel (not banker's rounding).
    (0.05, 1, "0,1"),
    (0.15, 1, "0,2"),
    (0.25, 1, "0,3"),
    (2.5, 0, "3"),
    (3.5, 0, "4"),
    (2.675, 2, "2,68"),     # binary 2.67499999… but written 2.675
    (-0.05, 1, M + "0,1"),
    (-2.5, 0, M + "3"),
    (0.04, 1, "0,0"),
    (-0.04, 1, "0,0"),      # never « −0,0 »
    (-0.4, 0, "0"),
])
def test_rounding_is_half_up(value, decimals, expected):
    assert f.fr_number(value, decimals) == expected


@pytest.mark.parametrize("missing", [None, float("nan"), np.nan, pd.NA, pd.NaT, ""])
def test_missing_values_print_an_em_dash(missing):
    for func in (f.fr_number, f.fr_percent, f.fr_rate, f.fr_euro, f.fr_signed, f.fr_date,
                 f.fr_short_date):
        assert func(missing) == "—"


def test_percent_euro_rate():
    assert f.fr_percent(12.34) == "12,3" + S + "%"
    assert f.fr_percent(17.7, 0) == "18" + S + "%"
    assert f.fr_percent(-2.25) == M + "2,3" + S + "%"
    assert f.fr_euro(19500) == "19" + S + "500" + S + "€"
    assert f.fr_euro(2600.456, 2) == "2" + S + "600,46" + S + "€"
    assert f.fr_rate(40.64) == "40,6" + N + "places pour 100 enfants"
    assert f.fr_rate(105.25) == "105,3" + N + "places pour 100 enfants"
    # French agreement: singular below 2.
    assert f.fr_rate(1.5) == "1,5" + N + "place pour 100 enfants"
    assert f.fr_rate(1.96) == "2,0" + N + "places pour 100 enfants"


def test_signed_evolutions():
    assert f.fr_signed(1.2) == "+1,2" + N + "point"
    assert f.fr_signed(2.0) == "+2,0" + N + "points"
    assert f.fr_signed(-3) == M + "3,0" + N + "points"
    assert f.fr_signed(0) == "0,0" + N + "point"
    assert f.fr_signed(0.04) == "0,0" + N + "point"
    assert f.fr_signed(1234, 0, unit="habitant") == "+1" + S + "234" + N + "habitants"
    assert f.fr_signed(-5, 0, unit=None) == M + "5"


def test_counts_and_free_units():
    assert f.fr_count(1, "place") == "1" + N + "place"
    assert f.fr_count(37, "place") == "37" + N + "places"
    assert f.fr_count(3, "animal", "animaux") == "3" + N + "animaux"
    assert f.fr_value(12, "%") == "12" + S + "%"
    assert f.fr_value(12.5, "%") == "12,5" + S + "%"
    assert f.fr_value(6, "réunions") == "6" + N + "réunions"
    assert f.fr_value(2500, "€") == "2" + S + "500" + S + "€"
    assert f.fr_value(3.25, None) == "3,3"


def test_dates_in_french():
    assert f.fr_date("2022-03-15") == "15 mars 2022"
    assert f.fr_date(dt.date(2021, 6, 1)) == "1er juin 2021"
    assert f.fr_date(dt.datetime(2024, 8, 9, 14, 30)) == "9 août 2024"
    assert f.fr_date(pd.Timestamp("2023-12-31")) == "31 décembre 2023"
    assert f.fr_date("2022") == "2022"          # a bare year stays a year
    assert f.fr_short_date("2024-03-12") == "12/03/2024"
    with pytest.raises(ValueError):
        f.fr_date("15 mars")


def test_every_month_name():
    names = [f.fr_date(dt.date(2023, m, 2)).split()[1] for m in range(1, 13)]
    assert names == ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
                     "septembre", "octobre", "novembre", "décembre"]


def test_plotly_formats():
    # Decimal mark first, then the same thousands separator as fr_number.
    assert f.PLOTLY_SEPARATORS == "," + S
    assert f.fr_number(1000)[1] == f.PLOTLY_SEPARATORS[1]
    # d3 "%" would multiply our 0-100 values by 100.
    assert "%" not in f.D3_DEC1 and f.PCT_SUFFIX == S + "%"


def _luminance(hex_colour):
    r, g, b = (int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5))
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def _contrast(a, b="#FFFFFF"):
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def test_palette_is_complete_distinct_and_accessible():
    assert set(f.MODE_COLOURS) == set(f.MODES) == set(f.MODE_LABELS)
    assert len(set(f.MODE_COLOURS.values())) == len(f.MODES)
    for level in ("territoire", "epci", "departement", "france"):
        assert f.level_colour(level).startswith("#")
    assert len({f.level_colour(x) for x in ("territoire", "epci", "departement", "france")}) == 4
    assert set(f.ALSH_PERIOD_COLOURS) == set(f.ALSH_PERIODS)
    # Bands: colour, symbol, hatch and label all differ (never colour alone).
    for table in (f.BAND_COLOURS, f.BAND_SYMBOLS, f.BAND_PATTERNS, f.BAND_LABELS):
        assert set(table) == set(f.BANDS)
        assert len(set(table.values())) == len(f.BANDS)
    assert f.band_label("atteint") == "✔ Atteint"
    assert f.band_label("inconnu") == "? Non renseigné"
    # Text colours pass WCAG AA (4.5:1) on white; the territory and the references at least
    # the 3:1 of graphical objects.
    assert _contrast(f.PRIMARY) >= 4.5 and _contrast(f.TEXTE) >= 4.5
    for level in ("territoire", "departement", "france"):
        assert _contrast(f.level_colour(level)) >= 3
    # Every equipment type of the format has a map style.
    from ctg_data.schemas import EQUIPEMENT_TYPES
    for kind in EQUIPEMENT_TYPES:
        assert f.STRUCTURE_GROUPS[kind] in f.STRUCTURE_STYLES


def test_streamlit_theme_uses_the_palette():
    import tomllib
    from pathlib import Path
    config = tomllib.loads((Path(__file__).resolve().parent.parent / ".streamlit" / "config.toml")
                           .read_text(encoding="utf-8"))
    assert config["theme"]["primaryColor"] == f.PRIMARY
    assert _contrast(config["theme"]["primaryColor"]) >= 4.5
    assert config["browser"]["gatherUsageStats"] is False
    assert config["client"]["toolbarMode"] == "minimal"
    assert config["server"]["runOnSave"] is False
    # No font fetched from a CDN.
    assert "http" not in str(config["theme"].get("font", ""))
    assert config["theme"]["chartCategoricalColors"][:7] == list(f.CATEGORICAL[:7])


def test_whole_targets_lose_their_decimal_comma():
    assert f.fr_target(60.0) == "60"
    assert f.fr_target(62.5) == "62,5"
    assert f.fr_target(59.96) == "60"          # rounds to a whole number at 1 decimal
    assert f.fr_target(None) == "—"
    assert f.fr_target_rate(60.0) == "60\u00a0places pour 100 enfants"
    assert f.fr_target_rate(1.0) == "1\u00a0place pour 100 enfants"
    assert f.fr_target_rate(40.6) == "40,6\u00a0places pour 100 enfants"


def test_as_number_gives_a_float_or_none_for_missing_and_text():
    assert f.as_number(12) == 12.0 and f.as_number("12.5") == 12.5
    for missing in (None, float("nan"), pd.NA, "", "  ", "douze"):
        assert f.as_number(missing) is None


# --- moved from the UI layer: pure helpers, tested without Streamlit -------------------------

def test_local_dates_are_paris_time():
    winter = dt.datetime(2024, 3, 12, 8, 5, tzinfo=dt.timezone.utc)     # UTC+1 in Paris
    summer = dt.datetime(2024, 7, 1, 22, 30, tzinfo=dt.timezone.utc)    # UTC+2: next day
    assert f.local_datetime(winter) == "12/03/2024 à 9 h 05"
    assert f.local_date(summer) == "2 juillet 2024"
    assert f.local_date(None) == f.local_datetime(None) == "—"


@pytest.mark.parametrize("text, expected", [
    ("**gras** et _souligné_", "\\*\\*gras\\*\\* et \\_souligné\\_"),
    ("- puce", "\\- puce"), ("1. liste", "1\\. liste"), ("<b>x</b>", "\\<b\\>x\\</b\\>"),
    ("a@b.fr", "a@\u2060b.fr"), (":smile:", ":\u2060smile:"), ("www.caf.fr", "www\u2060.caf.fr"),
    (None, ""), (12, "12"),
])
def test_escape_md(text, expected):
    assert f.escape_md(text) == expected


def test_table_layout_of_a_narrow_table_leaves_streamlit_alone():
    frame = pd.DataFrame({"Année": ["2023"], "Places": ["40"]})
    assert f.table_layout(frame) == ({}, None)
    assert f.table_layout(pd.DataFrame()) == ({}, None)


def test_inert_table_html_escapes_every_cell():
    html = f.inert_table_html(pd.DataFrame({"<i>En-tête</i>": ["<img src=x>", None]}))
    assert "<img" not in html and "&lt;img src=x&gt;" in html
    assert "&lt;i&gt;En-tête&lt;/i&gt;" in html and "<td>—</td>" in html


def test_latest_and_previous_skip_empty_years():
    portrait = pd.DataFrame({"indicateur": ["population"] * 3, "annee": [2020, 2021, 2022],
                             "valeur": [100.0, float("nan"), 120.0]})
    assert f.latest_and_previous(portrait, "population", 2022) == (120.0, 2022, 100.0, 2020)
    assert f.latest_and_previous(portrait, "population", 2019) == (None, None, None, None)


def test_version_kinds_are_french():
    assert f.VERSION_KINDS["edit"] == "Modification dans l'application"
