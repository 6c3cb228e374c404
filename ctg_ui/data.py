"""Data access for the pages: the store, the territories and the current data (read once per
run), the page context `require_data()` hands to a page, and the results kept between runs
(figures, coverage, comparisons) in Streamlit's resource cache."""

from __future__ import annotations

import json
import weakref
from dataclasses import dataclass
from functools import cached_property

import pandas as pd
import streamlit as st

from ctg_data import charts, settings
from ctg_data.formatting import escape_md
from ctg_data.model import CtgData

DONNEES_PAGE = "pages/donnees.py"

# -- the store and the territories -------------------------------------------------------------


def database_url() -> str:
    """The database URL (CTG_DATABASE_URL, else the settings default)."""
    return settings.get("database_url")


@st.cache_resource(show_spinner=False)
def _open_store(url: str):
    from ctg_data.storage import Store
    # Only the default database may be created here (`make run` creates the others through
    # `demo`): a mistyped CTG_DATABASE_URL is refused, not silently created empty.
    default = next(s.default for s in settings.SETTINGS if s.name == "database_url")
    return Store(url, create=url == default)


def store():
    """The one Store of this process for the configured database. A database that is
    missing, corrupt or unreachable stops the page with the French message (never a trace)."""
    from ctg_data.storage import StorageError
    try:
        return _open_store(database_url())
    except StorageError as error:
        st.error(escape_md(error.message), icon=":material/database:")
        st.stop()


@st.cache_resource(show_spinner=False, max_entries=32)
def load_version(url: str, code: str, version_id: int) -> CtgData | None:
    """Version `version_id` of territory `code`, kept across runs and sessions (a new import
    or edit makes a new version, hence a fresh load). Shared: treat it as read-only."""
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
    return load_version(database_url(), info.code, info.version_id)


def version_id() -> int | None:
    """The id of the selected territory's current version."""
    info = current_territory()
    return info.version_id if info is not None else None


def select_territory(code: str) -> None:
    """Make territory `code` the current one, as when it is picked in the sidebar (the
    sidebar then keeps the year if the territory has it, else takes its default year)."""
    st.session_state["territoire"] = code


def references(data: CtgData | None = None) -> pd.DataFrame:
    """The reference figures to compare the territory of `data` (default: the current one)
    with: the imported figures (Caf, INSEE) that concern it — filtered in the database and
    kept across reruns until the next reference import — and the confirmed bundled national
    values (`references.territory_references`)."""
    from ctg_data.references import territory_references

    return territory_references(store(), current_data() if data is None else data)


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


# -- the page context ----------------------------------------------------------------------------

# Session-state key: the chart keys drawn by the current page run (`ctg_ui.other_charts`).
DRAWN_CHARTS = "_graphiques_dessines"

@dataclass(frozen=True)
class PageContext:
    """What a page shows, read once at its top by `require_data()` and passed to the blocks:
    the selected territory's stored data, the selected year, its version and update time,
    and the presentation flag. The references are read when first asked for."""

    data: CtgData
    annee: int | None
    version_id: int
    updated_at: object
    presentation: bool

    @cached_property
    def references(self) -> pd.DataFrame:
        """The territory's reference figures (`references.territory_references`)."""
        # The version first: an import between the two reads then only costs a recomputation.
        version = store().reference_version()
        frame = references(self.data)
        _remember_references_key(frame, f"v{version}")
        return frame


def empty_state(message: str = "Aucune donnée n'est encore chargée.") -> None:
    """Say what to load, link to the Données page and stop the page."""
    st.info(message + " Chargez le classeur CTG de votre territoire (ou l'exemple fourni) "
            "depuis la page Données.", icon=":material/info:")
    st.page_link(DONNEES_PAGE, label="Aller à la page Données", icon=":material/upload_file:")
    st.stop()


def require_data(*, year: bool = True) -> PageContext:
    """The page context of the selected territory. On an empty database, the empty-state
    message and stop; with `year` (most pages), the same when the data hold no year at all.
    Also makes sure the shared frame (sidebar, state) is drawn."""
    from ctg_ui.frame import ensure_frame

    ensure_frame()
    info = current_territory()
    data = current_data()
    if info is None or data is None:
        empty_state()
    annee = st.session_state.get("annee")
    if year and annee is None:
        empty_state("Les données de ce territoire ne contiennent aucune année.")
    st.session_state[DRAWN_CHARTS] = set()   # the registry's charts this page run has drawn
    return PageContext(data=data, annee=None if annee is None else int(annee),
                       version_id=info.version_id, updated_at=info.updated_at,
                       presentation=bool(st.session_state.get("presentation")))


# -- results kept between runs ---------------------------------------------------------------------

# The key of a reference table: the reference version for the table a page context handed
# out (no hashing), else a digest of its content. A page passes the same table to each of
# its charts; hashing a large one (a Caf file of many communes) takes tenths of a second.
_REFERENCE_KEYS: dict[int, tuple] = {}
_REFERENCE_KEYS_MAX = 64


def _remember_references_key(frame: pd.DataFrame, key: str) -> None:
    for ident in [i for i, (ref, _) in _REFERENCE_KEYS.items() if ref() is None]:
        _REFERENCE_KEYS.pop(ident, None)
    while len(_REFERENCE_KEYS) >= _REFERENCE_KEYS_MAX:
        _REFERENCE_KEYS.pop(next(iter(_REFERENCE_KEYS)), None)
    _REFERENCE_KEYS[id(frame)] = (weakref.ref(frame), key)


def _references_key(references) -> str:
    if references is None or references.empty:
        return ""
    ref, key = _REFERENCE_KEYS.get(id(references), (lambda: None, ""))
    if ref() is not references:
        key = str(int(pd.util.hash_pandas_object(references.astype(str), index=False).sum()))
        _remember_references_key(references, key)
    return key


@st.cache_resource(show_spinner=False, max_entries=128)
def _kept(what: tuple, url: str, code: str, version: int, annee, references_key: str,
          options_key: str, _compute):
    # Keyed by everything the result depends on; `_compute` (not hashed) computes it once.
    return _compute()


def stored_result(key: tuple, compute, data: CtgData, annee: int, references=None,
                  options: dict | None = None):
    """`compute()` — a figure, a coverage, a comparison table of `data` for `annee` — kept for
    the next runs and sessions when `data` is the stored current version (a rerun after a click
    does not compute it again); other data (an edit being previewed) is computed each time.
    `key` names what is computed; `references` and `options` are what else it depends on. The
    result is shared: callers treat it as read-only."""
    info = current_territory()
    if info is None or info.code != data.code or data is not current_data():
        return compute()
    options_key = json.dumps(options or {}, sort_keys=True, default=repr)
    return _kept(tuple(key), database_url(), data.code, info.version_id, annee,
                 _references_key(references), options_key, compute)


def figure(spec_key: str, page: PageContext, references, options: dict):
    """The chart `spec_key` of the page's data and year, built by its registered builder,
    kept by `stored_result`."""
    build = charts.CHARTS[spec_key].build
    data, annee = page.data, page.annee
    return stored_result(("graphique", spec_key), lambda: build(data, annee, references, **options),
                         data, annee, references, options)


def computed(page: PageContext, function, *args, references=None, **options):
    """`function(page.data, page.annee, *args, **options)` — a result of ctg_data computed from
    the page's data and year (`indicators.coverage`, `indicators.plan_status`,
    `plan_views.actions_overview`…) — kept per stored version by `stored_result`, keyed on the
    function's module and name (a module-level function: a method's name is not unique) and
    the options. With `references`, they are passed as the third argument and are part of the
    key. `args` must derive from the page's data and year."""
    data, annee = page.data, page.annee
    extra = (references,) if references is not None else ()
    key = ("calcul", f"{function.__module__}.{function.__qualname__}")
    return stored_result(key, lambda: function(data, annee, *extra, *args, **options),
                         data, annee, references, options)
