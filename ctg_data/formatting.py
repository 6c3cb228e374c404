"""French formatting of numbers, rates and dates, plotly number formats, and the palette: one
fixed, colour-blind-safe colour per childcare mode, comparison level, ALSH period and plan band,
so that the same thing has the same colour on every chart and export; user text made inert
for Streamlit's Markdown and HTML, and the layout of a table on screen. (How each kind of
value is shown, printed and written to Excel: `ctg_data.kinds`.)

Conventions (CLDR « fr », what INSEE and the Cnaf print):
- thousands separator: the narrow no-break space U+202F (``NNBSP``) — everywhere, including
  plotly (``PLOTLY_SEPARATORS``) ; the same narrow no-break space precedes ``%`` and ``€``;
- decimal comma; negative numbers take the minus sign U+2212 (as plotly's axes do);
- rounding is half away from zero on the decimal value as written (0,05 → 0,1 ; 2,675 → 2,68 ;
  −0,05 → −0,1), like Excel and a hand calculation — not Python's banker's rounding;
- a missing value (None, NaN, pandas NA) prints as an em dash ``—``.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation
from numbers import Integral

import pandas as pd

NNBSP = "\u202f"      # narrow no-break space: thousands separator, before % and €
NBSP = "\u00a0"       # no-break space: between a number and a word unit
MINUS = "\u2212"      # typographic minus sign
MISSING = "—"         # em dash for a missing value
# Abbreviated months as in French typography (« janv. 2021 »), for time axes.
MOIS_COURTS = ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.",
               "oct.", "nov.", "déc.")

MOIS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
        "octobre", "novembre", "décembre")

# --- numbers -------------------------------------------------------------------------------


def as_number(value) -> float | None:
    """`value` as a float, or None when it is missing (None, NaN, NA, empty) or not a number."""
    if is_missing(value):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def is_missing(x) -> bool:
    """True for None, NaN, pandas NA/NaT and empty strings."""
    if x is None:
        return True
    if isinstance(x, str):
        return x.strip() == ""
    try:
        return bool(pd.isna(x))
    except (TypeError, ValueError):   # list-likes are not "a missing value"
        return False


def _round(x, decimals: int) -> Decimal:
    """`x` rounded half away from zero, on its shortest decimal representation."""
    try:
        if isinstance(x, Decimal):
            d = x
        elif isinstance(x, Integral):
            d = Decimal(int(x))
        else:   # repr of a Python float is its shortest round-tripping decimal text
            d = Decimal(repr(float(x)))
    except (InvalidOperation, ValueError):
        raise ValueError(f"not a number: {x!r}") from None
    if not d.is_finite():  # infinity (a sum of huge values): callers print « ∞ »
        return d
    # Enough precision for the largest float (1e308 has 309 digits): the default 28 digits
    # made quantize fail on a huge value stored before the format bounded numbers.
    return d.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP,
                      context=_WIDE)


_WIDE = Context(prec=400, Emax=999_999, Emin=-999_999)


def fr_number(x, decimals: int = 0) -> str:
    """`x` in French: « 1 234,5 » (narrow no-break space, decimal comma, minus U+2212);
    « — » when missing. ``fr_number(1234.56, 1) == "1\u202f234,6"``."""
    if is_missing(x):
        return MISSING
    if isinstance(x, float) and math.isinf(x):
        return ("" if x > 0 else MINUS) + "∞"
    d = _round(x, decimals)
    negative = d < 0 and d != 0     # never print « −0 »
    d = abs(d)
    text = f"{d:,.{decimals}f}"     # "1,234.5"
    text = text.replace(",", NNBSP).replace(".", ",")
    return (MINUS if negative else "") + text


def parse_input_number(text: object, *, minimum: float | None = None,
                       maximum: float | None = None, decimals: int = 0) -> float:
    """A number typed in a form, read as French (« 55,5 », « 1 234 », « −3 ») or with a point
    (« 55.5 »), by the workbook's rules (`reading.parse_number`). Raises ValueError with the
    French reason (not a number, too many decimals, outside [minimum, maximum])."""
    from ctg_data.reading import parse_number

    raw = "" if text is None else str(text).strip()
    if not raw:
        raise ValueError("saisissez un nombre")
    try:
        value = parse_number(raw)
    except ValueError:
        example = "12" if decimals == 0 else "55,5"
        raise ValueError(f"nombre attendu (par exemple {example}), « {raw} » saisi") from None
    if decimals == 0 and not float(value).is_integer():
        raise ValueError(f"nombre entier attendu, « {raw} » saisi")
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        low = fr_number(minimum, decimals if minimum is not None and
                        not float(minimum).is_integer() else 0)
        high = fr_number(maximum, decimals if maximum is not None and
                         not float(maximum).is_integer() else 0)
        if minimum is not None and maximum is not None:
            raise ValueError(f"valeur entre {low} et {high} attendue, « {raw} » saisi")
        bound = f"au moins {low}" if minimum is not None else f"au plus {high}"
        raise ValueError(f"valeur de {bound} attendue, « {raw} » saisi")
    return float(value)


def input_number(x, decimals: int = 0) -> str:
    """`x` as it is written back into a number field: French, without trailing zeros
    (« 55,5 », « 60 », « 1 234 »), empty when missing."""
    if is_missing(x):
        return ""
    text = fr_number(x, decimals)
    if "," in text:
        text = text.rstrip("0").rstrip(",")
    return text


def fr_percent(x, decimals: int = 1) -> str:
    """A percentage given on the 0-100 scale: ``fr_percent(12.34) == "12,3\u202f%"``."""
    if is_missing(x):
        return MISSING
    return f"{fr_number(x, decimals)}{NNBSP}%"


def _plural(x, singular: str, plural: str | None = None) -> str:
    """French agreement: singular when |x| < 2 (« 1,5 place », « 2 places »)."""
    try:
        small = abs(float(x)) < 2
    except (TypeError, ValueError):
        small = False
    return singular if small else (plural or singular + "s")


def fr_rate(x, decimals: int = 1) -> str:
    """A coverage rate: ``fr_rate(40.6) == "40,6 places pour 100 enfants"``."""
    if is_missing(x):
        return MISSING
    rounded = float(_round(x, decimals))
    return f"{fr_number(x, decimals)}{NBSP}{_plural(rounded, 'place')} pour 100 enfants"


def fr_target(x, decimals: int = 1) -> str:
    """A target or a count that may be whole: « 60 », not « 60,0 »; « 62,5 » otherwise
    (`decimals` when it is not whole): ``fr_target(60.0) == "60"``."""
    if is_missing(x):
        return MISSING
    whole = float(_round(x, decimals)) == float(_round(x, 0))
    return fr_number(x, 0 if whole else decimals)


def fr_target_rate(x, decimals: int = 1) -> str:
    """A target coverage rate: « 60 places pour 100 enfants », « 62,5 places pour 100 enfants »."""
    if is_missing(x):
        return MISSING
    return f"{fr_target(x, decimals)}{NBSP}{_plural(float(_round(x, decimals)), 'place')} " \
           "pour 100 enfants"


def fr_euro(x, decimals: int = 0) -> str:
    """An amount in euros: ``fr_euro(19500) == "19\u202f500\u202f€"``."""
    if is_missing(x):
        return MISSING
    return f"{fr_number(x, decimals)}{NNBSP}€"


def fr_signed(x, decimals: int = 1, unit: str | None = "point", plural: str | None = None) -> str:
    """An evolution with its sign: ``fr_signed(1.2) == "+1,2 point"``, ``fr_signed(-3) ==
    "−3,0 points"``, zero without sign (« 0,0 point »). `unit=None` gives the bare number."""
    if is_missing(x):
        return MISSING
    text = fr_number(x, decimals)
    rounded = float(_round(x, decimals))
    if rounded > 0:
        text = "+" + text
    if unit:
        text += NBSP + _plural(rounded, unit, plural)
    return text


def fr_done(done, total, noun: str = "action", participle: str = "réalisée") -> str:
    """« 0/3 actions réalisées », « 1/1 action réalisée »: the noun and its participle agree
    with the total (the actions counted), not with the number done."""
    ending = "s" if total is not None and total > 1 else ""
    return f"{int(done)}/{int(total)} {noun}{ending} {participle}{ending}"


def fr_count(x, singular: str, plural: str | None = None) -> str:
    """A whole count with its noun: ``fr_count(37, "place") == "37 places"``."""
    if is_missing(x):
        return MISSING
    return f"{fr_number(x, 0)}{NBSP}{_plural(float(_round(x, 0)), singular, plural)}"


def fr_value(x, unite: str | None = None, decimals: int | None = None) -> str:
    """A value with a free-text unit (plan indicators): « % » → percent, « € » → euros,
    any other unit is written after the number; decimals default to 0 for whole numbers and 1
    otherwise."""
    if is_missing(x):
        return MISSING
    if decimals is None:
        decimals = 0 if float(x) == round(float(x)) else 1
    unite = (unite or "").strip()
    if unite in ("%", "pourcentage", "taux (%)"):
        return fr_percent(x, decimals)
    if unite in ("€", "euros", "euro"):
        return fr_euro(x, decimals)
    return fr_number(x, decimals) + (NBSP + unite if unite else "")


# --- dates ---------------------------------------------------------------------------------


def _as_date(d) -> dt.date | int | None:
    """A date from a date/datetime/Timestamp or an ISO text; a bare year gives an int."""
    if is_missing(d):
        return None
    if isinstance(d, dt.datetime):
        return d.date()
    if isinstance(d, dt.date):
        return d
    if isinstance(d, int):
        return d
    text = str(d).strip()
    if len(text) == 4 and text.isdigit():
        return int(text)
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        raise ValueError(f"date illisible : {d!r}") from None


def fr_date(d) -> str:
    """« 15 mars 2022 », « 1er juin 2021 »; a bare year (« 2022 ») is returned as is;
    « — » when missing. Accepts dates, datetimes, pandas Timestamps and ISO texts."""
    value = _as_date(d)
    if value is None:
        return MISSING
    if isinstance(value, int):
        return str(value)
    day = "1er" if value.day == 1 else str(value.day)
    return f"{day} {MOIS[value.month - 1]} {value.year}"


def fr_short_date(d) -> str:
    """« 12/03/2024 » (the form used in source notes and tables)."""
    value = _as_date(d)
    if value is None:
        return MISSING
    if isinstance(value, int):
        return str(value)
    return value.strftime("%d/%m/%Y")


def _paris(moment):
    try:
        from zoneinfo import ZoneInfo
        return moment.astimezone(ZoneInfo("Europe/Paris"))
    except Exception:  # no time zone database: the UTC date is still right to a few hours
        return moment


def local_date(moment) -> str:
    """A stored UTC timestamp as the French date of Paris (« 12 mars 2024 »)."""
    return MISSING if moment is None else fr_date(_paris(moment))


def local_datetime(moment) -> str:
    """A stored UTC timestamp as Paris time: « 12/03/2024 à 9 h 05 »."""
    if moment is None:
        return MISSING
    moment = _paris(moment)
    return f"{moment:%d/%m/%Y} à {moment.hour} h {moment:%M}"


# How a version came to be, as the version tables say it (storage `kind`).
VERSION_KINDS = {"import": "Import d'un classeur", "edit": "Modification dans l'application",
                 "restore": "Restauration", "opendata": "Données ouvertes"}


# --- user text in terminals, charts and documents -----------------------------------------

# C0 controls (ESC, NUL, line breaks…), DEL and C1 controls: what a terminal may interpret.
_TERMINAL_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_VISIBLE_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# Characters an XML document (DOCX, PPTX, XLSX) cannot hold or that openpyxl refuses: C0 except
# tab and line breaks, DEL and C1, lone surrogates, U+FFFE and U+FFFF.
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def printable(text: object) -> str:
    """`text` safe to print in a terminal: every control character (ESC of an ANSI sequence,
    NUL, a line break that would forge a new output line…) shown as a visible escape
    (« \\n », « \\x1b »). ``printable("a\\nb") == "a\\\\nb"``."""
    text = "" if text is None else str(text)
    return _TERMINAL_CONTROLS.sub(
        lambda m: _VISIBLE_ESCAPES.get(m.group(), f"\\x{ord(m.group()):02x}"), text)


def xml_safe(text: object) -> str:
    """`text` without the characters an Office document cannot hold (the bilan renderers'
    last line of defence: the import refuses them, older stored data may hold them)."""
    return _NOT_XML.sub("", "" if text is None else str(text))


def escape_plotly(text: object) -> str:
    """User text made inert in a plotly title, label, hover or annotation: plotly reads a few
    HTML tags there (`<a href>`, `<b>`, `<br>`…), so `<`, `>` and `&` become entities."""
    text = "" if text is None else str(text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def wrap_label(text: object, width: int = 28, max_lines: int = 3) -> str:
    """A long category label (an axis, an action…) for a plotly axis: escaped like
    `escape_plotly`, wrapped with `<br>` at word boundaries every `width` characters, at most
    `max_lines` lines (the last cut with « … »), so that it is never cut by the chart's edge."""
    import textwrap

    words = " ".join(str("" if text is None else text).split())
    lines = textwrap.wrap(words, width, break_long_words=True, break_on_hyphens=False) or [""]
    if len(lines) > max_lines:
        rest = " ".join(lines[max_lines - 1:])
        lines = lines[:max_lines - 1] + [rest[:width - 1].rstrip() + "…"]
    return "<br>".join(escape_plotly(line) for line in lines)


_MD_SPECIAL = re.compile(r"([\\`*_\[\]()<>#|~$&])")
_MD_LINE_START = re.compile(r"^(\s*)(?:([-+=>])|(\d+)([.)]))", re.MULTILINE)
# Streamlit's Markdown also turns text into links, emoji and icons after parsing, where a
# backslash no longer counts: bare URLs (`http://…`, `www.…`), e-mail addresses, `:smile:`,
# `:material/home:`, `:red[…]`. A WORD JOINER (U+2060, invisible, no width) after the `:` or
# `@`, or inside `www.`, breaks those patterns without changing what the reader sees.
_WORD_JOINER = "\u2060"
_MD_AUTOLINKS = re.compile(r":(?=[\w/+-])|@(?=\w)|(?<![\w.])(www)(?=\.)", re.IGNORECASE)


def escape_md(text: object) -> str:
    """Text from a user file made inert for Streamlit's Markdown (st.markdown, headings and
    widget labels): no emphasis, links, images, autolinks, HTML, entities, maths, emoji or icon
    shortcodes, list or heading markers (the text reads exactly as typed)."""
    text = _MD_SPECIAL.sub(r"\\\1", "" if text is None else str(text))
    text = _MD_AUTOLINKS.sub(lambda m: (m.group(1) or m.group()) + _WORD_JOINER, text)

    def inert(m: re.Match) -> str:
        if m.group(2):
            return m.group(1) + "\\" + m.group(2)
        return m.group(1) + m.group(3) + "\\" + m.group(4)
    return _MD_LINE_START.sub(inert, text)


# --- tables on screen ------------------------------------------------------------------------

# The width a table has on a 1280 px screen with the sidebar open, and the width of one
# character of the grid's font (both in pixels, generous): what decides the layout below.
TABLE_WIDTH_PX = 820
_CHAR_PX = 7.6
_CELL_PADDING_PX = 22
# Columns that decide the reading of a table: kept at the left edge, always visible.
DECISIVE_COLUMNS = ("Niveau d'atteinte", "Niveau", "Gravité", "Message", "Statut")
# Beyond this many columns a table scrolls sideways rather than wrapping into the page.
MAX_FITTED_COLUMNS = 14


def table_layout(shown: pd.DataFrame) -> tuple[dict, int | None]:
    """The column settings (`{column: {"width": px, "pinned": True | None}}`, what
    `st.dataframe(column_config=…)` takes) and row height that make `shown` (French text)
    fit a 1280 px screen. When its columns would be wider than the page, each column gets at
    least the width of its header (headers do not wrap) and of its longest word, the rest of
    the page goes to the columns that need it most, and the rows are three lines high so that
    texts wrap (the grid wraps text when rows are taller than 4 rem); the decisive columns
    (`DECISIVE_COLUMNS`) stay pinned at the left. ({}, None) when the table fits as it is."""
    if shown.empty or not len(shown.columns):
        return {}, None
    minimum, wanted = {}, {}
    # One conversion of the shown cells, then plain Python: tables here are small, and pandas'
    # per-column string methods cost more than the work itself at each rerun.
    texts = shown.head(200).astype(str).to_numpy()
    for index, col in enumerate(shown.columns):
        cells = texts[:, index]
        longest = max(map(len, cells), default=0)
        word = max((len(w) for text in cells for w in text.split()), default=0)
        header = len(str(col)) * _CHAR_PX + _CELL_PADDING_PX
        # A long word (a place name) may be cut rather than widen the table past the page.
        minimum[col] = min(max(header, min(word, 12) * _CHAR_PX + _CELL_PADDING_PX), 220)
        wanted[col] = max(header, longest * _CHAR_PX + _CELL_PADDING_PX)
    if sum(wanted.values()) <= TABLE_WIDTH_PX:
        return {}, None
    if len(shown.columns) > MAX_FITTED_COLUMNS:
        # A wide table of figures (one row per territory…) cannot be squeezed into the page
        # without unreadable columns: it scrolls sideways, its decisive columns pinned.
        return {c: {"pinned": True} for c in shown.columns if c in DECISIVE_COLUMNS}, None
    spare = max(0.0, TABLE_WIDTH_PX - sum(minimum.values()))
    need = {c: max(0.0, wanted[c] - minimum[c]) for c in shown.columns}
    total_need = sum(need.values()) or 1.0
    width = {c: int(minimum[c] + spare * need[c] / total_need) for c in shown.columns}
    config = {c: {"width": width[c],
                  "pinned": True if c in DECISIVE_COLUMNS and width[c] <= 220 else None}
              for c in shown.columns}
    wraps = any(width[c] + 1 < wanted[c] for c in shown.columns)
    return config, (70 if wraps else None)


# Fits the page at 1280 px: headers and texts wrap (between words, hyphenated in French), a
# column is never narrower than its longest word; only a word longer than the page itself
# (a pasted address) would scroll, inside the table's frame, never the page.
_TEXT_TABLE_CSS = (
    "<style>div.ctg-texte-cadre{overflow-x:auto;max-width:100%}"
    "table.ctg-texte{width:100%;border-collapse:collapse;font-size:0.9rem;"
    "line-height:1.4}table.ctg-texte th,table.ctg-texte td{border:1px solid #D0D5DD;"
    "padding:0.35rem 0.5rem;vertical-align:top;text-align:left;overflow-wrap:break-word;"
    "hyphens:auto;white-space:pre-line}table.ctg-texte th{background:#F2F4F7;"
    "font-weight:600}</style>")


def inert_table_html(frame: pd.DataFrame) -> str:
    """`frame` (already French text) as an HTML table where every header and cell is escaped
    with `html.escape`: shown as typed, never as Markdown or HTML; line breaks kept."""
    import html

    def cell(tag: str, value) -> str:
        return f"<{tag}>{html.escape(MISSING if is_missing(value) else str(value))}</{tag}>"

    head = "".join(cell("th", c) for c in frame.columns)
    body = "".join("<tr>" + "".join(cell("td", v) for v in row) + "</tr>"
                   for row in frame.itertuples(index=False, name=None))
    return (f"{_TEXT_TABLE_CSS}<div class=\"ctg-texte-cadre\" lang=\"fr\">"
            f"<table class=\"ctg-texte\"><thead><tr>{head}</tr></thead>"
            f"<tbody>{body}</tbody></table></div>")


# --- key figures ---------------------------------------------------------------------------

def latest_and_previous(portrait: pd.DataFrame, code: str, year: int) -> tuple:
    """(value, year, previous value, previous year) of indicator `code` in a long table
    (indicateur, annee, valeur — `indicators.portrait`): the value of `year` or of the latest
    earlier year holding it, and the one before, for a key figure and its evolution. Nones
    when the indicator has no value up to `year`."""
    rows = portrait[(portrait["indicateur"] == code) & (portrait["annee"] <= year)
                    & portrait["valeur"].notna()].sort_values("annee")
    if rows.empty:
        return None, None, None, None
    last = rows.iloc[-1]
    prev = rows.iloc[-2] if len(rows) > 1 else None
    return (float(last["valeur"]), int(last["annee"]),
            None if prev is None else float(prev["valeur"]),
            None if prev is None else int(prev["annee"]))


# --- plotly --------------------------------------------------------------------------------

# plotly `layout.separators`: first character the decimal mark, second the thousands mark.
PLOTLY_SEPARATORS = "," + NNBSP
# d3-format strings for `tickformat` / `hoverformat` and `%{y:…}` in hover templates.
D3_INT = ",.0f"
D3_DEC1 = ",.1f"
# Percentages are stored on the 0-100 scale: never use d3's "%" (it multiplies by 100); add the
# unit as a suffix instead.
PCT_SUFFIX = NNBSP + "%"
EURO_SUFFIX = NNBSP + "€"
FONT_FAMILY = "Source Sans Pro, DejaVu Sans, Arial, sans-serif"

# --- palette -------------------------------------------------------------------------------

# Okabe & Ito (2008) colour-blind-safe categorical colours, in the order used for anything
# without a fixed colour (yellow last: weak contrast on white).
CATEGORICAL = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000",
               "#F0E442")
GRIS = "#8C8C8C"          # 3.4:1 on white
TEXTE = "#2B2B2B"
PRIMARY = "#005A8C"       # theme primary colour (7.4:1 on white)

MODES = ("eaje_psu", "eaje_hors_psu", "am", "gad", "prescolarisation", "hors_territoire")
MODE_LABELS = {
    "eaje_psu": "EAJE financés par la PSU",
    "eaje_hors_psu": "EAJE hors PSU (micro-crèches PAJE)",
    "am": "Assistantes maternelles",
    "gad": "Garde à domicile",
    "prescolarisation": "Préscolarisation (2 ans)",
    "hors_territoire": "Offre mobilisable hors territoire",
}
MODE_COLOURS = {
    "eaje_psu": "#0072B2", "eaje_hors_psu": "#56B4E9", "am": "#E69F00", "gad": "#CC79A7",
    "prescolarisation": "#009E73", "hors_territoire": "#BBBBBB",
}
# The out-of-territory offer is not in the Cnaf-comparable rate: hatched, not only paler.
MODE_PATTERNS = {"hors_territoire": "/"}

LEVEL_LABELS = {
    "territoire": "Territoire", "commune": "Commune (Cnaf)", "epci": "EPCI",
    "departement": "Département", "region": "Région", "france": "France",
}
# The territory stands out in vermillion; references are greys of distinct lightness (readable
# by everybody, even printed in black and white).
LEVEL_COLOURS = {
    "territoire": "#D55E00", "commune": "#E8A27A", "epci": "#A6A6A6", "departement": "#6E6E6E",
    "region": "#4A4A4A", "france": "#1A1A1A",
}
LEVEL_SYMBOLS = {
    "territoire": "circle", "commune": "circle-open", "epci": "square", "departement": "diamond",
    "region": "triangle-up", "france": "x",
}

ALSH_PERIODS = ("Mercredis", "Petites vacances", "Juillet", "Août", "Périscolaire", "Année")
ALSH_PERIOD_COLOURS = {
    "Mercredis": "#0072B2", "Petites vacances": "#009E73", "Juillet": "#E69F00",
    "Août": "#D55E00", "Périscolaire": "#CC79A7", "Année": "#56B4E9",
}

BANDS = ("atteint", "en bonne voie", "en retard", "non renseigné")
BAND_LABELS = {"atteint": "Atteint", "en bonne voie": "En bonne voie", "en retard": "En retard",
               "non renseigné": "Non renseigné"}
# Traffic light in colour-blind-safe hues, always doubled by a symbol, a hatch and the label.
BAND_COLOURS = {"atteint": "#009E73", "en bonne voie": "#E69F00", "en retard": "#D55E00",
                "non renseigné": "#BBBBBB"}
BAND_SYMBOLS = {"atteint": "✔", "en bonne voie": "➜", "en retard": "✖", "non renseigné": "?"}
BAND_PATTERNS = {"atteint": "", "en bonne voie": "/", "en retard": "x", "non renseigné": "."}

# Structure types on the map: colour and marker symbol (never colour alone).
STRUCTURE_GROUPS = {
    "Multi-accueil": "EAJE", "Crèche collective": "EAJE", "Crèche familiale": "EAJE",
    "Crèche parentale": "EAJE", "Micro-crèche": "Micro-crèche", "MAM": "MAM",
    "Berceaux réservés": "Berceaux réservés", "Relais petite enfance": "Relais petite enfance",
    "LAEP": "Parentalité (LAEP, PMI)", "Consultation PMI": "Parentalité (LAEP, PMI)",
    "ALSH": "Enfance-jeunesse", "Accueil jeunes": "Enfance-jeunesse",
    "Centre social": "Vie sociale", "Espace de vie sociale": "Vie sociale", "Autre": "Autre",
}
STRUCTURE_STYLES = {   # group -> (colour, plotly marker symbol)
    "EAJE": ("#0072B2", "circle"),
    "Micro-crèche": ("#56B4E9", "circle-dot"),
    "MAM": ("#E69F00", "square"),
    "Berceaux réservés": ("#8C8C8C", "circle-open"),
    "Relais petite enfance": ("#CC79A7", "diamond"),
    "Parentalité (LAEP, PMI)": ("#D55E00", "cross"),
    "Enfance-jeunesse": ("#009E73", "triangle-up"),
    "Vie sociale": ("#000000", "star"),
    "Autre": ("#8C8C8C", "x"),
}


def mode_colour(mode: str) -> str:
    """The colour of a childcare mode key (``eaje_psu``, ``am``…)."""
    return MODE_COLOURS[mode]


def level_colour(level: str) -> str:
    """The colour of a comparison level (``territoire``, ``epci``, ``departement``…)."""
    return LEVEL_COLOURS.get(level, GRIS)


def band_colour(band: str) -> str:
    """The colour of a plan achievement band (« atteint », « en retard »…)."""
    return BAND_COLOURS.get(band, BAND_COLOURS["non renseigné"])


def band_label(band: str) -> str:
    """The band as people read it, symbol first: « ✔ Atteint »."""
    band = band if band in BAND_LABELS else "non renseigné"
    return f"{BAND_SYMBOLS[band]} {BAND_LABELS[band]}"
