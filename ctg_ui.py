"""Streamlit helpers shared by every page of the CTG dashboard.

Sections, in order:
1. Application state (non-widget keys that survive page changes), the frame and the sidebar.
2. The store and the loaded data (cached), `require_data()` for the empty state.
3. French display helpers (escaping, numbers, dates, tables).
4. Blocks: chart block (figure, source, méthodologie, exports, comments), table block, metric.
5. Editing forms (Plan d'action, Fiches actions, Évaluation, Pilotage).
Pages call these; they never compute a figure themselves: every number comes from ctg_data.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import weakref
from collections import OrderedDict

import pandas as pd
import streamlit as st

from ctg_data import charts, definitions, exports, settings
from ctg_data import formatting as fmt
from ctg_data.model import CtgData

DONNEES_PAGE = "pages/donnees.py"
PRESENTATION_PAGE = "pages/presentation.py"

# ---------------------------------------------------------------------------------------------
# 1. Application state, frame and sidebar
# ---------------------------------------------------------------------------------------------

# Non-widget keys: Streamlit drops a widget's key when the widget is not drawn, these stay.
STATE_DEFAULTS = {"territoire": None, "annee": None, "auteur": "", "presentation": False,
                  "cible_taux": None, "diapo": 0}


def init_state() -> None:
    """Create the application state keys that do not exist yet."""
    for key, value in STATE_DEFAULTS.items():
        st.session_state.setdefault(key, value)
    if st.session_state["cible_taux"] is None:
        st.session_state["cible_taux"] = float(settings.get("cible_taux_couverture"))


def frame() -> None:
    """The shared frame of every page: state, page configuration, sidebar and, in presentation
    mode, the projector styling. app.py draws it once per run before the page."""
    init_state()
    st.set_page_config(page_title="CTG — tableau de bord", page_icon=":material/family_restroom:",
                       layout="wide",
                       initial_sidebar_state="collapsed" if presentation() else "auto")
    st.html(_FRENCH_WIDGETS_CSS)
    sidebar()
    if presentation():
        presentation_frame()


def _frame_drawn_this_run() -> bool:
    # The sidebar's author field is drawn on every run of the frame; Streamlit records the
    # widget keys of the current run (reset at each run), which tells whether app.py drew the
    # frame before this page.
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    ctx = get_script_run_ctx()
    shared = getattr(ctx, "shared", None)
    keys = getattr(shared, "widget_user_keys_this_run", None)
    return keys is not None and "w_auteur" in keys


def ensure_frame() -> None:
    """Make sure the page runs inside the app's frame (sidebar, state, navigation).

    Streamlit's older multipage mode runs a file of `pages/` directly, without app.py: a
    server does so when its very first request is a deep link (/offre_besoins), AppTest after
    every switch_page. On a server, register a navigation (which ends that mode for the
    process) and rerun the same page, now through app.py. Under AppTest (which restores that
    mode at each run, and where a rerun would swallow button clicks) or for a page run on its
    own, draw the frame here."""
    if _frame_drawn_this_run():
        return
    from streamlit import config
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    ctx = get_script_run_ctx()
    if PagesManager.uses_pages_directory and ctx is not None \
            and not config.get_option("global.appTest"):
        # The requested page must be in this navigation too, else Streamlit says « page not
        # found »; app.py registers the full menu on the rerun.
        current = ctx.pages_manager.get_pages().get(ctx.page_script_hash, {})
        pages = [st.Page(ctx.main_script_path, default=True)]
        if current.get("script_path") and current["script_path"] != ctx.main_script_path:
            pages.append(st.Page(current["script_path"]))
        st.navigation(pages, position="hidden")
        st.rerun()
    frame()


def presentation() -> bool:
    """Whether the app is in presentation mode (no editing controls, large text)."""
    return bool(st.session_state.get("presentation"))


def author() -> str:
    """The name typed in the sidebar, recorded with every change and comment."""
    return (st.session_state.get("auteur") or "").strip()


def consume_presentation_request() -> bool:
    """True once after presentation mode was switched on (the app then opens that page)."""
    return bool(st.session_state.pop("_ouvrir_presentation", False))


def _copy_widget(widget_key: str, state_key: str):
    def callback():
        st.session_state[state_key] = st.session_state[widget_key]
        if state_key == "presentation" and st.session_state[widget_key]:
            st.session_state["_ouvrir_presentation"] = True
    return callback


def set_presentation(on: bool) -> None:
    """Switch presentation mode on or off (buttons of the Présentation page)."""
    st.session_state["presentation"] = on


def bind(widget_key: str, state_key: str) -> dict:
    """Tie a page widget to an application-state key: the widget shows the state and writes
    it back when changed. Use as `st.number_input(…, key=k, **ctg_ui.bind(k, "cible_taux"))`."""
    _sync(widget_key, state_key)
    return {"on_change": _copy_widget(widget_key, state_key)}


def _sync(widget_key: str, state_key: str) -> None:
    # The widget shows the application state, which may have been changed elsewhere
    # (another page, a test, a territory change); set before the widget is drawn, and always:
    # the same key on another page is another widget, which would start from its default.
    st.session_state[widget_key] = st.session_state[state_key]


def target_input(key: str) -> float:
    """The target coverage rate, tied to the application state `cible_taux` (shared by the
    pages). Whole numbers: Streamlit would print a decimal point, not a French comma."""
    if presentation():
        return float(st.session_state["cible_taux"])
    st.session_state["cible_taux"] = int(round(float(st.session_state["cible_taux"])))
    return float(st.number_input(
        "Taux de couverture visé (places pour 100 enfants de moins de 3 ans)", min_value=0,
        max_value=200, step=1, key=key,
        help="Sert à calculer les places manquantes ; la valeur proposée vient des réglages "
             "(CTG_CIBLE_TAUX_COUVERTURE).", **bind(key, "cible_taux")))


def sidebar() -> None:
    """Draw the shared sidebar and keep `territoire` and `annee` valid for the database."""
    infos = read_territories()
    bar = st.sidebar
    if not infos:
        st.session_state["territoire"] = None
        st.session_state["annee"] = None
        bar.info("Aucune donnée chargée.")
        bar.page_link(DONNEES_PAGE, label="Charger des données", icon=":material/upload_file:")
    else:
        codes = [t.code for t in infos]
        names = {t.code: t.nom for t in infos}
        if st.session_state["territoire"] not in codes:
            st.session_state["territoire"] = codes[0]
        if len(codes) > 1:
            _sync("w_territoire", "territoire")
            bar.selectbox("Territoire", codes, key="w_territoire",
                          format_func=lambda c: f"{names.get(c, c)} ({c})",
                          on_change=_copy_widget("w_territoire", "territoire"))
        else:
            bar.subheader(escape_md(names[codes[0]]))
        data = current_data()
        years = year_choices(data) if data is not None else []
        if st.session_state["annee"] not in years:
            st.session_state["annee"] = default_year(data) if data is not None else None
        if years:
            _sync("w_annee", "annee")
            bar.selectbox("Année", years, key="w_annee", format_func=str,
                          on_change=_copy_widget("w_annee", "annee"))
        else:
            bar.caption("Aucune année renseignée.")
    _sync("w_auteur", "auteur")
    bar.text_input("Votre nom (pour l'historique)", key="w_auteur", max_chars=80,
                   on_change=_copy_widget("w_auteur", "auteur"))
    _sync("w_presentation", "presentation")
    bar.toggle("Mode présentation", key="w_presentation",
               help="Masque les commandes d'édition et la barre latérale, agrandit le texte et "
                    "fait défiler les graphiques clés un par un.",
               on_change=_copy_widget("w_presentation", "presentation"))


# Static CSS only (no user text). Streamlit writes its file uploader in English (« Upload »,
# « 50MB per file • XLSX… », « 49.5KB »); it offers no setting for that, so the English words
# are hidden and French ones drawn in their place. The accepted formats and the size limit are
# said in French by each page beside its uploader.
_FRENCH_WIDGETS_CSS = """
<style>
section[data-testid="stFileUploaderDropzone"] button[data-testid="stBaseButton-secondary"]
  div[data-testid="stMarkdownContainer"] p { font-size: 0 !important; }
section[data-testid="stFileUploaderDropzone"] button[data-testid="stBaseButton-secondary"]
  div[data-testid="stMarkdownContainer"] p::after { content: "Parcourir"; font-size: 0.875rem; }
div[data-testid="stFileUploaderDropzoneInstructions"] span { font-size: 0 !important; }
div[data-testid="stFileUploaderDropzoneInstructions"] span::after
  { content: "ou glissez-déposez le fichier ici"; font-size: 0.875rem; }
div[data-testid="stFileChipName"] + div { display: none !important; }
</style>
"""

# Static CSS only (no user text): hide the sidebar and its toggle, enlarge text for a projector.
_PRESENTATION_CSS = """
<style>
section[data-testid="stSidebar"], div[data-testid="stSidebarCollapsedControl"],
button[data-testid="stExpandSidebarButton"], header[data-testid="stHeader"]
  { display: none !important; }
div[data-testid="stMainBlockContainer"] { max-width: 100% !important;
  padding-top: 1rem !important; }
div[data-testid="stMarkdownContainer"] p, div[data-testid="stMarkdownContainer"] li
  { font-size: 1.45rem !important; line-height: 1.5; }
div[data-testid="stMetricValue"] { font-size: 3.2rem !important; }
div[data-testid="stMetricLabel"] p { font-size: 1.4rem !important; }
h1 { font-size: 2.8rem !important; } h2 { font-size: 2.2rem !important; }
</style>
"""


def presentation_frame() -> None:
    """In presentation mode: the projector CSS and the one way out (the sidebar is hidden)."""
    st.html(_PRESENTATION_CSS)
    st.button("Quitter le mode présentation", key="quitter_presentation",
              icon=":material/close_fullscreen:", type="tertiary", shortcut="Esc",
              on_click=set_presentation, args=(False,))


# ---------------------------------------------------------------------------------------------
# 2. Store and data
# ---------------------------------------------------------------------------------------------

def database_url() -> str:
    """The database URL (CTG_DATABASE_URL, else the settings default)."""
    return settings.get("database_url")


@st.cache_resource(show_spinner=False)
def _open_store(url: str):
    from ctg_data.storage import Store
    return Store(url)


def store():
    """The one Store of this process for the configured database."""
    return _open_store(database_url())


@st.cache_resource(show_spinner=False, max_entries=32)
def _load(url: str, code: str, version_id: int) -> CtgData | None:
    # Keyed by version: a new import or edit makes a new version, hence a fresh load.
    # The object is shared, so pages must treat it as read-only.
    return _open_store(url).load(code, version_id)


def territories() -> list:
    """The territories stored in the database (TerritoryInfo: code, nom, version_id…), as read
    at the start of this run by `read_territories`."""
    infos = st.session_state.get("_territoires")
    return infos if infos is not None else read_territories()


def read_territories() -> list:
    """Query the store for the territories and keep the answer for the rest of the run: the
    sidebar calls it first thing in every run, so that the helpers needing the current version
    (each chart block, twice) do not each query the database. A callback that stores a change
    calls it too, before reading the data it edits."""
    infos = list(store().territories())
    st.session_state["_territoires"] = infos
    return infos


def current_territory():
    """The TerritoryInfo of the selected territory, or None when the database is empty."""
    infos = territories()
    for info in infos:
        if info.code == st.session_state.get("territoire"):
            return info
    return infos[0] if infos else None


def current_data() -> CtgData | None:
    """The data of the selected territory (current version), or None."""
    info = current_territory()
    if info is None:
        return None
    return _load(database_url(), info.code, info.version_id)


def references() -> pd.DataFrame:
    """The reference figures to compare with: those imported into the database (Caf, INSEE)
    and the bundled national values that are confirmed."""
    from ctg_data.references import national_references

    stored = store().references()
    national = national_references()
    frames = [f for f in (stored, national) if len(f)]
    if not frames:
        return stored
    return pd.concat(frames, ignore_index=True)


def empty_state(message: str = "Aucune donnée n'est encore chargée.") -> None:
    """Say what to load, link to the Données page and stop the page."""
    st.info(message + " Chargez le classeur CTG de votre territoire (ou l'exemple fourni) "
            "depuis la page Données.", icon=":material/info:")
    st.page_link(DONNEES_PAGE, label="Aller à la page Données", icon=":material/upload_file:")
    st.stop()


def require_data() -> CtgData:
    """The selected territory's data; on an empty database, the empty-state message and stop.
    Also makes sure the shared frame (sidebar, state) is drawn."""
    ensure_frame()
    data = current_data()
    if data is None:
        empty_state()
    return data


def require_year(data: CtgData) -> int:
    """The selected year; when the data hold no year at all, say so and stop."""
    annee = st.session_state.get("annee")
    if annee is None:
        empty_state("Les données de ce territoire ne contiennent aucune année.")
    return int(annee)


def year_choices(data: CtgData) -> list[int]:
    """The years some table holds data for, newest first (the year select's options)."""
    return sorted(data.years(), reverse=True)


def default_year(data: CtgData) -> int | None:
    """The latest year with a population figure, else the latest year with any data."""
    pop = data.table("population")
    known = pop.loc[pop["population"].notna() | pop["enfants_0_2"].notna(), "annee"].dropna()
    if len(known):
        return int(known.max())
    years = data.years()
    return years[-1] if years else None


# ---------------------------------------------------------------------------------------------
# 3. French display helpers
# ---------------------------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~$])")
_MD_LINE_START = re.compile(r"^(\s*)(?:([-+=>])|(\d+)([.)]))", re.MULTILINE)


def escape_md(text: object) -> str:
    """Text from a user file made inert for st.markdown / headings: no emphasis, links, HTML,
    maths or list markers (the text reads exactly as typed)."""
    text = _MD_SPECIAL.sub(r"\\\1", "" if text is None else str(text))

    def inert(m: re.Match) -> str:
        if m.group(2):
            return m.group(1) + "\\" + m.group(2)
        return m.group(1) + m.group(3) + "\\" + m.group(4)
    return _MD_LINE_START.sub(inert, text)


def _paris(moment):
    try:
        from zoneinfo import ZoneInfo
        return moment.astimezone(ZoneInfo("Europe/Paris"))
    except Exception:  # no time zone database: the UTC date is still right to a few hours
        return moment


def local_date(moment) -> str:
    """A stored UTC timestamp as the French date of Paris (« 12 mars 2024 »)."""
    return fmt.MISSING if moment is None else fmt.fr_date(_paris(moment))


def local_datetime(moment) -> str:
    """« 12/03/2024 à 9 h 05 », Paris time."""
    if moment is None:
        return fmt.MISSING
    moment = _paris(moment)
    return f"{moment:%d/%m/%Y} à {moment.hour} h {moment:%M}"


# How a version came to be, as the version tables say it (storage `kind`).
VERSION_KINDS = {"import": "Import d'un classeur", "edit": "Modification dans l'application",
                 "restore": "Restauration", "opendata": "Données ouvertes"}


# Display kinds, the same vocabulary as exports.table_to_xlsx `formats` so that one dict
# describes a table on screen and in its Excel download.
_DISPLAY = {
    "int": lambda v: fmt.fr_number(v, 0),
    "decimal": lambda v: fmt.fr_number(v, 1),
    "decimal2": lambda v: fmt.fr_number(v, 2),
    "percent": lambda v: fmt.fr_percent(v, 1),
    "rate": lambda v: fmt.fr_number(v, 1),
    "euro": lambda v: fmt.fr_euro(v, 0),
    "year": lambda v: fmt.MISSING if fmt.is_missing(v) else str(int(v)),
    "date": fmt.fr_short_date,
}
_EXPORT_KIND = {"decimal2": "decimal", "rate": "decimal", "date": "text"}


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


def display_frame(frame: pd.DataFrame, formats: dict | None = None) -> pd.DataFrame:
    """A copy of `frame` whose numeric columns are French text (« 1 234,5 », « 12,3 % »,
    « — » when missing): Streamlit's own number formats follow the browser's locale, not French.
    `formats` maps a column to int, decimal, decimal2, percent, rate, euro, year, date or text;
    other numeric columns are shown as whole numbers when they hold only integers, else with
    one decimal."""
    formats = dict(formats or {})
    out = frame.copy()
    for col in out.columns:
        kind = formats.get(col)
        series = out[col]
        if kind is None:
            if pd.api.types.is_bool_dtype(series):
                out[col] = series.map(lambda v: "oui" if v is True else "non" if v is False
                                      else fmt.MISSING).astype(object)
                continue
            if not pd.api.types.is_numeric_dtype(series):
                out[col] = series.astype(object).where(series.notna(), fmt.MISSING)
                continue
            whole = series.dropna()
            kind = "int" if whole.empty or (whole == whole.round()).all() else "decimal"
        if kind == "text":
            out[col] = series.astype(object).where(series.notna(), fmt.MISSING)
        else:
            out[col] = series.astype(object).map(_DISPLAY[kind]).astype(object)
    return out


def indicator_kind(code: str) -> str:
    """The display kind of an indicator's values, from its unit in the definitions."""
    d = definitions.get(code)
    if d.unite == "%":
        return "percent"
    if "€" in d.unite:
        return "euro"
    if d.facteur is None and d.unite != "AM par ETP":
        return "int"
    return "decimal"


def format_indicator(value, code: str) -> str:
    """A value of indicator `code` in French, by its unit (« 12,3 % », « 1 234 », « 19 500 € »,
    « 11,2 ‰ »)."""
    if definitions.get(code).unite == "‰" and not fmt.is_missing(value):
        return f"{fmt.fr_number(value, 1)}{fmt.NNBSP}‰"
    return _DISPLAY[indicator_kind(code)](value)


def _export_formats(formats: dict | None) -> dict:
    return {col: _EXPORT_KIND.get(kind, kind) for col, kind in (formats or {}).items()}


# ---------------------------------------------------------------------------------------------
# 4. Blocks
# ---------------------------------------------------------------------------------------------

def methodology(codes=(), *, alertes=(), detail=(), title: str = "Méthodologie") -> None:
    """An expander with the definition, formula and source of each indicator code, the alerts
    (missing or approximated inputs) and, when given, the computation line by line."""
    codes = [c for c in codes if c]
    if not codes and not alertes and not detail:
        return
    with st.expander(title, icon=":material/menu_book:"):
        for code in codes:
            try:
                text = definitions.methodology_text(code)
            except KeyError:
                continue
            first, *rest = text.split("\n")
            st.markdown(f"**{escape_md(first)}**")
            for line in rest:
                st.markdown(escape_md(line))
        if alertes:
            st.markdown("**Alertes**")
            for alerte in alertes:
                st.markdown("- " + escape_md(alerte))
        if detail:
            st.markdown("**Calcul détaillé**")
            # Counts and rates mixed in one column: each value with the decimals it needs.
            lines = pd.DataFrame(
                [(label, fmt.fr_number(v, 0 if fmt.is_missing(v) or float(v) == round(float(v))
                                       else 1)) for label, v in detail],
                columns=["Étape", "Valeur"])
            st.dataframe(lines, hide_index=True, width="stretch")


def metric(label: str, value: str, *, change: float | None = None, change_text: str | None = None,
           since: int | None = None, sens: str | None = None, help: str | None = None) -> None:
    """st.metric with a French value and evolution: the arrow follows the sign of `change`, the
    colour says whether it is good (`sens` « hausse »/« baisse », as in the definitions) or
    neutral (no `sens`). Streamlit cannot read the French minus sign, hence the explicit arrow."""
    if change is None or change_text is None:
        st.metric(label, value, help=help)
        return
    arrow = "up" if change > 0 else "down" if change < 0 else "off"
    good = (change > 0) if sens == "hausse" else (change < 0) if sens == "baisse" else None
    colour = "gray" if good is None or change == 0 else "green" if good else "red"
    st.metric(label, value, delta=change_text, delta_color=colour, delta_arrow=arrow, help=help,
              delta_description=f"depuis {since}" if since else None)


def previous_coverage(data: CtgData, annee: int):
    """The coverage of the last year before `annee` that holds data, for the evolution of the
    rates (None when `annee` is the first)."""
    from ctg_data import indicators
    earlier = [y for y in data.years() if y < annee]
    return indicators.coverage(data, earlier[-1]) if earlier else None


def rate_metric(label: str, key: str, cov, prev, *, help: str | None = None) -> None:
    """A coverage rate of `cov` (`key`: global, eaje, individuel, prescolarisation) with its
    change since `prev` (`previous_coverage`), in points; higher is better."""
    now = cov.taux.get(key)
    before = prev.taux.get(key) if prev else None
    change = None if now is None or before is None else now - before
    metric(label, fmt.fr_number(now, 1), change=change,
           change_text=None if change is None else fmt.fr_signed(change),
           since=prev.annee if prev else None, sens="hausse", help=help)


def chart_block(spec_key: str, data: CtgData, annee: int, references: pd.DataFrame | None = None,
                *, key: str | None = None, alertes=(), detail=(), comments: bool = True,
                **options) -> None:
    """One chart of the registry with everything that goes with it: the figure (the same
    builder as the bilan), its source line, the methodology, PNG/SVG downloads and the
    comité's comments (with a form to add one outside presentation mode).

    `key` distinguishes two blocks of the same chart on one page; `options` go to the builder
    (cible, delta_places, contour…)."""
    spec = charts.CHARTS[spec_key]
    wkey = key or spec_key
    info = current_territory()
    if info is not None and info.code == data.code:
        options.setdefault("version_date", info.updated_at)
    fig = _figure(spec_key, data, annee, references, options)
    shown = charts.presentation(fig) if presentation() else fig
    file_name = charts.figure_file_name(spec_key, data, annee)
    config = charts.plotly_config(file_name) | {"locale": "fr"}
    with st.container(border=True, key=f"bloc_{wkey}"):
        st.plotly_chart(shown, key=f"graphique_{wkey}", config=config, theme=None)
        # The source line and the data date are written under the chart by its builder (so
        # that they follow the image into exports): no second copy here.
        methodology(spec.indicateurs, alertes=alertes, detail=detail)
        if not presentation():
            # The images leave the app: built again with small counts of people hidden.
            build = spec.build
            _image_downloads(lambda: build(data, annee, references, **options, secret=True),
                             file_name, wkey)
        if comments:
            comments_block(spec_key, data, annee, key=wkey)


_FIGURES: OrderedDict = OrderedDict()
_FIGURES_MAX = 64
_FIGURES_LOCK = threading.Lock()


# The digest of the last reference table seen: a page passes the same table to each of its
# charts, and hashing a large one (a Caf file of many communes) takes tenths of a second.
_REFERENCES_DIGEST: tuple = (lambda: None, "")


def _references_digest(references) -> str:
    global _REFERENCES_DIGEST
    if references is None or references.empty:
        return ""
    seen, digest = _REFERENCES_DIGEST
    if seen() is not references:
        digest = str(int(pd.util.hash_pandas_object(references.astype(str), index=False).sum()))
        _REFERENCES_DIGEST = (weakref.ref(references), digest)
    return digest


def _fingerprint(version_id: int, data: CtgData, annee: int, references, options: dict) -> str:
    refs = _references_digest(references)
    opts = json.dumps(options, sort_keys=True, default=repr)
    return hashlib.sha1(f"{database_url()}|{data.code}|{version_id}|{annee}|{refs}|{opts}"
                        .encode()).hexdigest()


def _figure(spec_key: str, data: CtgData, annee: int, references, options: dict):
    """The chart built by its registered builder. For the stored current version, the figure
    is kept for the next runs with the same year, references and options (a rerun after a
    click does not rebuild every chart); other data (an edit being previewed) is never cached."""
    build = charts.CHARTS[spec_key].build
    info = current_territory()
    if info is None or info.code != data.code or data is not current_data():
        return build(data, annee, references, **options)
    key = (spec_key, _fingerprint(info.version_id, data, annee, references, options))
    with _FIGURES_LOCK:   # one cache for every session of the server
        fig = _FIGURES.get(key)
        if fig is not None:
            _FIGURES.move_to_end(key)
            return fig
    fig = build(data, annee, references, **options)
    with _FIGURES_LOCK:
        _FIGURES[key] = fig
        while len(_FIGURES) > _FIGURES_MAX:
            _FIGURES.popitem(last=False)
    return fig


def _image_downloads(export, file_name: str, wkey: str) -> None:
    """PNG and SVG buttons; `export` is the figure to render, or a function that builds it
    (with statistical secrecy) when a button is clicked."""
    if not exports.image_export_available():
        st.caption(exports.image_export_message())
        return
    row = st.container(horizontal=True)
    # Deferred: the image is rendered only when the button is clicked (about 0,4 s each).
    figure = export if callable(export) else (lambda: export)
    row.download_button("Image PNG", lambda: exports.figure_to_image(figure(), "png"),
                        file_name=f"{file_name}.png", mime=exports.image_mime("png"),
                        key=f"png_{wkey}", icon=":material/image:", on_click="ignore")
    row.download_button("Image SVG", lambda: exports.figure_to_image(figure(), "svg"),
                        file_name=f"{file_name}.svg", mime=exports.image_mime("svg"),
                        key=f"svg_{wkey}", icon=":material/draw:", on_click="ignore")


def _save_comment(code: str, chart_key: str, annee: int, text_key: str) -> None:
    text = (st.session_state.get(text_key) or "").strip()
    if not text:
        st.session_state["_message_commentaire"] = (text_key, "warning",
                                                    "Le commentaire est vide : rien n'a été "
                                                    "enregistré.")
        return
    store().add_comment(code, chart_key, text, author=author(), annee=annee)
    st.session_state[text_key] = ""
    st.session_state["_message_commentaire"] = (text_key, "success", "Commentaire enregistré.")


@st.fragment
def comments_block(chart_key: str, data: CtgData, annee: int, *, key: str | None = None) -> None:
    """The comité's saved comments on a chart (newest first, dated) and, outside presentation
    mode, a small form to add one. A fragment: saving a comment reruns only this block, not
    every chart of the page."""
    wkey = key or chart_key
    saved = store().comments(data.code, chart_key)
    text_key = f"commentaire_{wkey}"
    flash = st.session_state.get("_message_commentaire")
    if presentation() and not saved:
        return
    with st.expander(f"Commentaires du comité ({len(saved)})", expanded=bool(saved),
                     icon=":material/forum:"):
        for c in saved:
            who = f" — {escape_md(c.author)}" if c.author else ""
            year = f" (lecture de l'année {c.annee})" if c.annee else ""
            st.markdown(f"**{local_date(c.created_at)}**{who}{year}")
            st.markdown(escape_md(c.text).replace("\n", "  \n"))
        if not saved:
            st.caption("Aucun commentaire pour l'instant.")
        if presentation():
            return
        if flash and flash[0] == text_key:
            getattr(st, flash[1])(flash[2])
            st.session_state.pop("_message_commentaire", None)
        st.text_area("Lecture du comité", key=text_key, max_chars=2000, height=90,
                     placeholder="Ce que le comité retient de ce graphique…")
        st.button("Enregistrer le commentaire", key=f"enregistrer_{wkey}",
                  icon=":material/save:", on_click=_save_comment,
                  args=(data.code, chart_key, annee, text_key))


def table_block(frame: pd.DataFrame, name: str, *, formats: dict | None = None,
                key: str | None = None, title: str | None = None, source: str | None = None,
                note: str | None = None, display: pd.DataFrame | None = None,
                height: int | str = "auto", counts: tuple[str, ...] = ()) -> None:
    """A table shown in French format, with Excel (real numbers and number formats) and CSV
    (French Excel) downloads outside presentation mode. `name` is the file name stem;
    `display` replaces the automatic French rendering when a column needs per-row units.
    `counts` name the columns that count people: the downloads mask their small values
    (statistical secrecy) and say so, while the screen shows the exact figures to the editor."""
    wkey = key or exports.export_file_name(name, "x").removesuffix(".x")
    shown = display if display is not None else display_frame(frame, formats)
    st.dataframe(shown, hide_index=True, width="stretch", height=height, key=f"tableau_{wkey}")
    if note:
        st.caption(escape_md(note))
    if presentation():
        return
    if counts:
        frame, secret_note = exports.mask_small_counts(frame, counts)
        note = " ".join(n for n in (note, secret_note) if n) or None
        if secret_note:
            st.caption(escape_md(f"Téléchargements : {secret_note}"))
    _table_downloads(frame, name, wkey, title=title or name, source=source,
                     formats=_export_formats(formats), note=note)


def _table_downloads(frame: pd.DataFrame, name: str, wkey: str, **xlsx_options) -> None:
    """The Excel and CSV download buttons of a table, side by side. Deferred: each file is
    built only when its button is clicked."""
    row = st.container(horizontal=True)
    row.download_button(
        "Tableau Excel", lambda: exports.table_to_xlsx(frame, **xlsx_options),
        file_name=exports.export_file_name(name, "xlsx"), key=f"xlsx_{wkey}",
        mime=exports.XLSX_MIME,
        icon=":material/table_view:", on_click="ignore")
    row.download_button("CSV", lambda: exports.table_to_csv(frame),
                        file_name=exports.export_file_name(name, "csv"), key=f"csv_{wkey}",
                        mime="text/csv", icon=":material/csv:", on_click="ignore")


# ---------------------------------------------------------------------------------------------
# 5. Editing forms (Plan d'action, Fiches actions, Évaluation, Pilotage)
# ---------------------------------------------------------------------------------------------

def editing_allowed() -> bool:
    """Whether the editing forms are drawn: never in presentation mode."""
    return not presentation()


def save_button(label: str, tag: str, build, success: str, *, key: str,
                icon: str = ":material/save:") -> None:
    """The save button of an editing form (inside `st.form`). On click, before the page runs
    again, `build(data)` makes the `editing.Edit` from the form's widget values and the current
    data; an accepted edit is stored as a new version (author from the sidebar, the changes for
    the history), a refused one stores nothing. `edit_feedback(tag)` then says which.

    A callback rather than the button's return value: the page then reads the new version in
    the same run, and a rerun cannot swallow the click."""
    st.form_submit_button(label, key=key, type="primary", icon=icon, on_click=_save,
                          args=(tag, build, success))


def _save(tag: str, build, success: str) -> None:
    from ctg_data import editing
    read_territories()   # callbacks run before the sidebar: edit the latest version
    data = current_data()
    if data is None:
        return
    edit = build(data)
    if not edit.ok:
        result = ("refus", [p.as_line() for p in edit.problems if p.is_error],
                  [p.as_line() for p in edit.problems if not p.is_error])
    elif not edit.changes:
        result = ("inchange", [], [])
    else:
        store().save([edit.data], kind="edit", author=author(), changes=edit.changes,
                     summary=editing.summary(edit.changes))
        result = ("enregistre", [success], [p.as_line() for p in edit.problems])
    st.session_state[f"_resultat_{tag}"] = result


def edit_feedback(tag: str) -> None:
    """What became of the last save of form `tag` (shown once): saved (by whom), unchanged, or
    refused with the French message of each problem — nothing stored."""
    result = st.session_state.pop(f"_resultat_{tag}", None)
    if result is None:
        return
    outcome, lines, warnings = result
    if outcome == "enregistre":
        who = f" par {author()}" if author() else " (indiquez votre nom dans la barre latérale)"
        st.success(escape_md(lines[0] + who + "."), icon=":material/check_circle:")
    elif outcome == "inchange":
        st.info("Aucune modification : rien n'a été enregistré.", icon=":material/info:")
    else:
        st.error("\n".join(["Rien n'a été enregistré.", ""]
                           + [f"- {escape_md(line)}" for line in lines]), icon=":material/error:")
    if warnings:
        st.warning("\n".join(f"- {escape_md(line)}" for line in warnings),
                   icon=":material/warning:")


def form_values(tag: str, identity, values: dict) -> None:
    """Fill the widgets of an editing form (widget key → value) when the edited object changes
    (`identity`, which should include the version id) or when Streamlit forgot them; values
    typed in a refused save stay as typed."""
    marker = f"_formulaire_{tag}"
    if st.session_state.get(marker) != identity or any(k not in st.session_state for k in values):
        for k, v in values.items():
            st.session_state[k] = v
        st.session_state[marker] = identity


def version_id() -> int | None:
    """The id of the selected territory's current version."""
    info = current_territory()
    return info.version_id if info is not None else None


def history_expander(data: CtgData, sheet_key: str, row: int, *, key: str,
                     title: str = "Historique") -> None:
    """An expander listing who changed row `row` of `sheet_key`, when, from what to what."""
    from ctg_data import editing
    with st.expander(title, icon=":material/history:"):
        table = editing.row_history(store(), data, sheet_key, row)
        if table.empty:
            st.caption("Aucune modification enregistrée dans l'application pour cette ligne.")
        else:
            st.dataframe(table, hide_index=True, width="stretch", key=f"historique_{key}")


def text_table_block(frame: pd.DataFrame, name: str, *, key: str, title: str | None = None,
                     source: str | None = None) -> None:
    """A table of long texts (the convention's evaluation table) shown whole, lines wrapped,
    with the same Excel and CSV downloads as `table_block` outside presentation mode."""
    st.table(display_frame(frame), hide_index=True)
    if presentation():
        return
    _table_downloads(frame, name, key, title=title or name, source=source)


def figure_block(fig, data: CtgData, name: str, *, key: str, export=None) -> None:
    """A figure that is not in the chart registry (one plan indicator, the actions timeline):
    the chart, its source line and PNG/SVG downloads outside presentation mode. `export`
    builds the figure for the images when it differs from the screen's (secrecy)."""
    shown = charts.presentation(fig) if presentation() else fig
    file_name = charts.figure_file_name(name, data)
    config = charts.plotly_config(file_name) | {"locale": "fr"}
    with st.container(border=True, key=f"bloc_{key}"):
        # The builder writes the source line under the plot, as in chart_block.
        st.plotly_chart(shown, key=key, config=config, theme=None)
        if not presentation():
            _image_downloads(export or fig, file_name, key)
