"""The bundled table of national reference values and the comparison tables built from it.

`data/references_nationales.csv` holds national coverage rates by year (domain.md §3) in the
long reference format (niveau, code, nom, annee, indicateur, valeur, source, edition) plus two
columns: `confirme` (a value the domain reference does not confirm is never shown as a fact)
and `affichee` (the edition shown for its year: 2022 is 59,5 in the revised data.caf.fr file,
its first estimate 60,3 is kept apart as another edition; 2016 likewise). `national_references()`
returns only confirmed, shown rows unless asked otherwise.

Imported Caf files keep their edition too (`txcouv_pe_dep` or `txcouv_pe_dep_hist`, see
`opendata.caf_edition`): the store shows one edition per figure (`Store.references`), and a
stored figure wins over the bundled table for the same place, year and indicator.

A published rate and a locally computed one are never mixed: `comparison()` gives the
territory's own rate in one row marked « calculé localement » and every published Cnaf rate in
rows marked « publié par la Cnaf ».
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from pathlib import Path

import pandas as pd

from ctg_data.definitions import COVERAGE_CODES, PORTRAIT_CODES
from ctg_data.model import CtgData
from ctg_data.schemas import normalise

# Bump when the bundled CSV changes (the bilan's sources name it).
REFERENCES_VERSION = "2025.2"
REFERENCES_FILE = Path(__file__).resolve().parent / "data" / "references_nationales.csv"
REFERENCE_COLUMNS = ("niveau", "code", "nom", "annee", "indicateur", "valeur", "source",
                     "edition", "confirme")
NIVEAUX_ORDER = ("commune", "epci", "departement", "region", "france")
LOCAL = "calculé localement"
PUBLISHED = "publié par la Cnaf"
CLASSEUR = "saisi dans le classeur CTG"
PUBLISHED_OTHER = "publié"
# The territory's own coverage components, in the same codes as the reference rows.
_RATE_KEYS = {"taux_couverture_global": "global", "taux_couverture_eaje": "eaje",
              "taux_couverture_individuel": "individuel",
              "taux_couverture_prescolarisation": "prescolarisation"}
_PLACE_KEYS = {"taux_couverture_psu": "eaje_psu", "taux_couverture_hors_psu": "eaje_hors_psu",
               "taux_couverture_am": "am", "taux_couverture_gad": "gad"}


def national_references(include_unconfirmed: bool = False,
                        all_editions: bool = False) -> pd.DataFrame:
    """The bundled national values (long format + `confirme`): confirmed rows of the edition
    shown for each year, unless `include_unconfirmed` / `all_editions` (then also the other
    editions of a year, such as the first estimate of 2022). A copy: callers may change it."""
    return _national_table(include_unconfirmed, all_editions).copy()


@functools.lru_cache(maxsize=4)
def _national_table(include_unconfirmed: bool, all_editions: bool = False) -> pd.DataFrame:
    # The bundled file never changes while the process runs: read it once, not per chart.
    frame = pd.read_csv(REFERENCES_FILE, dtype={"code": str, "niveau": str, "nom": str,
                                                "indicateur": str, "source": str,
                                                "edition": str})
    frame["annee"] = frame["annee"].astype("int64")
    frame["valeur"] = frame["valeur"].astype("float64")
    frame["confirme"] = frame["confirme"].astype(str).str.lower().eq("true")
    shown = frame["affichee"].astype(str).str.lower().eq("true")
    if not include_unconfirmed:
        frame, shown = frame[frame["confirme"]], shown[frame["confirme"]]
    if not all_editions:
        frame = frame[shown]
    return frame[list(REFERENCE_COLUMNS)].reset_index(drop=True)


def edition_label(edition) -> str:
    """How an edition is named to users: « hist » and « courante » for the two data.caf.fr
    editions of a coverage file (`txcouv_pe_dep_hist`, `txcouv_pe_dep`), else the edition
    itself (« ONAPE 2023 »…)."""
    text = "" if edition is None or edition != edition else str(edition).strip()
    if text.startswith("txcouv_pe_"):
        return "hist" if text.endswith("_hist") else "courante"
    return text or "non précisée"


def edition_text(edition) -> str:
    """An edition as a source line names it: « txcouv_pe_dep (édition courante) »."""
    text = "" if edition is None or edition != edition else str(edition).strip()
    if text.startswith("txcouv_pe_"):
        return f"{text} (édition {edition_label(text)})"
    return text


def _without_stored(national: pd.DataFrame, stored: pd.DataFrame) -> pd.DataFrame:
    """The bundled rows that no stored figure replaces (same place, year and indicator: the
    user's imported file, with its chosen edition, wins)."""
    if stored.empty or national.empty:
        return national
    key = ["niveau", "code", "annee", "indicateur"]
    taken = set(map(tuple, stored[key].astype({"annee": "int64"}).itertuples(index=False)))
    keep = [tuple(r) not in taken for r in national[key].itertuples(index=False)]
    return national[keep]


NIVEAU_NAMES = {"commune": "commune", "epci": "epci", "departement": "departement",
                "region": "region", "national": "france"}


def shown_references(store, *, niveau: str | None = None, code: str | None = None,
                     annee: int | None = None) -> pd.DataFrame:
    """The reference values as the application shows them (`python -m ctg_data references`):
    the stored figures of the edition shown (filtered in SQL) and the bundled national table
    where no stored figure replaces it. `niveau` in the user's words (commune, epci,
    departement, region, national). Columns niveau (national for France), code, nom, annee,
    indicateur, valeur, source, edition, sorted by level, code, year and indicator."""
    level = None if niveau is None else NIVEAU_NAMES[niveau]
    stored = store.references(niveau=level, code=code, annee=annee)
    national = national_references()
    if level is not None:
        national = national[national["niveau"] == level]
    if code is not None:
        national = national[national["code"] == str(code)]
    if annee is not None:
        national = national[national["annee"] == int(annee)]
    national = _without_stored(national, stored)
    columns = list(REFERENCE_COLUMNS[:-1])
    frame = pd.concat([f[columns] for f in (stored, national) if len(f)], ignore_index=True) \
        if len(stored) or len(national) else pd.DataFrame(columns=columns)
    rank = {n: i for i, n in enumerate(NIVEAUX_ORDER)}
    frame = frame.assign(_rank=frame["niveau"].map(rank)).sort_values(
        ["_rank", "code", "annee", "indicateur"], kind="stable").drop(columns="_rank")
    frame["niveau"] = frame["niveau"].replace({"france": "national"})
    return frame.reset_index(drop=True)


# --- The references of one territory ------------------------------------------------------

# Territories whose references are kept (a Caf follows dozens of CTGs); each entry is a few
# hundred rows. Keyed on the database, its reference version and the territory's places.
_TERRITORY_CACHE_MAX = 64
_TERRITORY_CACHE: OrderedDict = OrderedDict()
_TERRITORY_LOCK = threading.Lock()


def _in_memory(url: str) -> bool:
    # Two in-memory SQLite stores share a URL but not their data: never cached.
    return url.startswith("sqlite") and (url.rstrip("/") in ("sqlite:", "sqlite:/")
                                         or ":memory:" in url or "mode=memory" in url)


def territory_places(store, data: CtgData) -> dict:
    """The places whose stored reference figures concern the territory of `data`, as
    {niveau: codes, or None for every code of the level} for `Store.references(codes=...)`:
    the territory itself, its EPCI (by SIREN or by name), its département (with or without a
    leading zero), every région and France. A level with a single place holding values (a
    file filtered on one EPCI or département) is kept whole, as the charts use it then. Only
    the distinct EPCI and département places are read to decide, never their values."""
    from ctg_data.charts.reference_levels import fold

    t = data.territoire
    own = str(t.get("code_insee") or "").strip()
    epci = str(t.get("epci") or "").strip()
    dep = str(t.get("departement") or "").strip().lstrip("0")
    places = store.reference_places(("epci", "departement"))
    places["key"] = places["code"].astype(str).str.strip()

    def single(level: pd.DataFrame) -> bool:
        # The charts count the places that have a value (blurred rows are dropped first).
        return level.loc[level["valeurs"] > 0, "key"].nunique() <= 1

    epcis = places[places["niveau"] == "epci"]
    if single(epcis):
        epci_codes = None
    else:
        wanted = {own, epci} - {""}
        match = epcis["key"].isin(wanted)
        if epci:
            names = epcis["nom"].fillna("").astype(str)
            match |= (names.map(normalise) == normalise(epci)) | \
                (names.map(fold) == fold(epci))
        epci_codes = sorted(wanted | set(epcis.loc[match, "code"]))
    deps = places[places["niveau"] == "departement"]
    if dep:
        dep_codes = sorted(set(deps.loc[deps["key"].str.lstrip("0") == dep, "code"]))
    else:
        dep_codes = None if single(deps) else []
    return {"commune": [own] if own else [], "epci": epci_codes, "departement": dep_codes,
            "region": None, "france": None}


def territory_references(store, data: CtgData | None, *, national: bool = True
                         ) -> pd.DataFrame:
    """THE references of a territory, for pages, charts and the bilan: the stored figures
    that concern it (`territory_places`, filtered in the database, one edition per figure as
    in `Store.references`) followed, when `national`, by the bundled national table
    (`national_references()`, confirmed rows of the edition shown, where no stored figure
    replaces them). Without `data`, only the national table.

    Kept across reruns and sessions (a small LRU) keyed on the database, its reference version
    (`Store.reference_version()`, which every import changes) and the territory's code, type,
    EPCI and département; a copy is returned, so callers may change it."""
    frames = []
    if data is not None:
        frames.append(_stored_for(store, data))
    if national:
        frames.append(_without_stored(national_references(),
                                      frames[0] if frames else pd.DataFrame()))
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=list(REFERENCE_COLUMNS[:-1]))
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0].copy()


def _stored_for(store, data: CtgData) -> pd.DataFrame:
    """The stored rows of `territory_places`, through the cache."""
    version = store.reference_version()
    if not version:
        return pd.DataFrame(columns=list(REFERENCE_COLUMNS[:-1]))
    t = data.territoire
    key = (store.url, version, *(str(t.get(k) or "").strip()
                                 for k in ("code_insee", "type", "epci", "departement")))
    cache = not _in_memory(store.url)
    if cache:
        with _TERRITORY_LOCK:
            found = _TERRITORY_CACHE.get(key)
            if found is not None:
                _TERRITORY_CACHE.move_to_end(key)
                return found.copy()
    frame = store.references(codes=territory_places(store, data))
    if cache:
        with _TERRITORY_LOCK:
            _TERRITORY_CACHE[key] = frame
            while len(_TERRITORY_CACHE) > _TERRITORY_CACHE_MAX:
                _TERRITORY_CACHE.popitem(last=False)
    return frame.copy()


def _confirmed(references: pd.DataFrame | None) -> pd.DataFrame:
    """Reference rows that may be shown as facts (rows without `confirme` are imported
    published files, hence confirmed)."""
    if references is None or references.empty:
        return pd.DataFrame(columns=list(REFERENCE_COLUMNS))
    refs = references.copy()
    if "confirme" in refs:
        refs = refs[refs["confirme"].fillna(True).astype(bool)]
    refs["niveau"] = refs["niveau"].astype(str).str.lower()
    refs["code"] = refs["code"].astype(str).str.strip()
    return refs


def _own_level(data: CtgData) -> str:
    return "epci" if data.territoire.get("type") == "EPCI" else "commune"


def _relevant(refs: pd.DataFrame, data: CtgData) -> pd.DataFrame:
    """The reference rows that describe this territory's levels: itself (published), its
    EPCI (by SIREN or name), its département, any région given, France."""
    t = data.territoire
    own = str(t.get("code_insee") or "").strip()
    epci = str(t.get("epci") or "").strip()
    dep = str(t.get("departement") or "").strip().lstrip("0")
    own_level = _own_level(data)

    def keep(row) -> bool:
        niveau, code = row["niveau"], row["code"]
        if niveau == own_level and code == own:
            return True
        if niveau == "epci" and own_level == "commune":
            return bool(epci) and (code == epci or normalise(row.get("nom")) == normalise(epci))
        if niveau == "departement":
            return bool(dep) and code.lstrip("0") == dep
        return niveau in ("region", "france")

    if refs.empty:
        return refs
    return refs[refs.apply(keep, axis=1)]


def _order(frame: pd.DataFrame) -> pd.DataFrame:
    rank = {n: i for i, n in enumerate(NIVEAUX_ORDER)}
    frame = frame.assign(_local=(frame["nature"] != LOCAL) & (frame["nature"] != CLASSEUR),
                         _rank=frame["niveau"].map(rank).fillna(len(rank)))
    return frame.sort_values(["_local", "_rank", "code"], kind="stable") \
        .drop(columns=["_local", "_rank"]).reset_index(drop=True)


def _pivot(rows: pd.DataFrame, codes, nature: str) -> list[dict]:
    """One dict per (niveau, code) of long reference rows: indicator values side by side."""
    out = []
    for (niveau, code), part in rows.groupby(["niveau", "code"], sort=False):
        nom = next((str(n) for n in part.get("nom", []) if isinstance(n, str) and n), code)
        record = {"niveau": niveau, "code": code,
                  "libelle": f"{nom} ({nature})", "nature": nature,
                  "source": " ; ".join(dict.fromkeys(str(s) for s in part["source"].dropna())),
                  "edition": " ; ".join(dict.fromkeys(str(s) for s in
                                                      part.get("edition", pd.Series()).dropna()))}
        for indicator in codes:
            values = part.loc[part["indicateur"] == indicator, "valeur"]
            record[indicator] = float(values.iloc[-1]) if len(values) else None
        out.append(record)
    return out


def _published(references: pd.DataFrame | None, data: CtgData, annee: int, codes,
               nature: str) -> list[dict]:
    """The confirmed reference values of `annee` for `codes` at the territory's levels, one
    record per (niveau, code) (see `_pivot`)."""
    refs = _confirmed(references)
    if refs.empty:
        return []
    refs = refs[(refs["annee"].astype(int) == int(annee)) & refs["indicateur"].isin(codes)]
    return _pivot(_relevant(refs, data), codes, nature)


def comparison(data: CtgData, annee: int, references: pd.DataFrame | None) -> pd.DataFrame:
    """The coverage rates of `annee`: the territory's own computed rate (one row, « calculé
    localement ») and the published Cnaf rates of the same year for the territory, its EPCI,
    its département, région and France (« publié par la Cnaf »), never mixed.

    Columns: niveau, code, libelle, annee, nature, source, edition, complet, then one column
    per coverage code (taux_couverture_global, _eaje, _individuel, _prescolarisation, _psu,
    _hors_psu, _am, _gad). Values are unrounded; None where not available."""
    from ctg_data.indicators import coverage

    c = coverage(data, annee)
    local = {"niveau": _own_level(data),
             "code": data.code, "libelle": f"{data.nom} ({LOCAL})", "nature": LOCAL,
             "source": "Classeur CTG, calcul de l'application", "edition": "",
             "complet": c.complet}
    for code, key in _RATE_KEYS.items():
        local[code] = c.taux.get(key)
    for code, key in _PLACE_KEYS.items():
        places = c.places.get(key)
        enfants = c.enfants_moins_3_ans
        local[code] = 100 * places / enfants if places is not None and enfants else None
    published = _published(references, data, annee, COVERAGE_CODES, PUBLISHED)
    for record in published:
        record["complet"] = None
    frame = pd.DataFrame([local, *published])
    frame["annee"] = int(annee)
    columns = ["niveau", "code", "libelle", "annee", "nature", "source", "edition", "complet",
               *COVERAGE_CODES]
    frame = _order(frame[columns])
    for code in COVERAGE_CODES:
        frame[code] = pd.to_numeric(frame[code], errors="coerce").astype("float64")
    return frame


def portrait_comparison(data: CtgData, annee: int,
                        references: pd.DataFrame | None) -> pd.DataFrame:
    """Portrait indicators of `annee`: the territory's values (from its workbook, « saisi dans
    le classeur CTG », or computed from it) beside the published values of its EPCI,
    département, région and France for the same year (« publié »).

    Columns: niveau, code, libelle, annee, nature, source, edition, then one column per portrait
    code present in either side."""
    from ctg_data.indicators import portrait

    own = portrait(data)
    own = own[own["annee"] == int(annee)]
    local = {"niveau": _own_level(data),
             "code": data.code, "libelle": f"{data.nom} ({CLASSEUR})", "nature": CLASSEUR,
             "source": "Classeur CTG (feuille Population)", "edition": ""}
    for _, r in own.iterrows():
        local[r["indicateur"]] = float(r["valeur"])
    published = _published(references, data, annee, PORTRAIT_CODES, PUBLISHED_OTHER)
    codes = [c for c in PORTRAIT_CODES
             if c in local or any(r.get(c) is not None for r in published)]
    frame = pd.DataFrame([local, *published])
    frame["annee"] = int(annee)
    for code in codes:
        if code not in frame:
            frame[code] = None
        frame[code] = pd.to_numeric(frame[code], errors="coerce").astype("float64")
    columns = ["niveau", "code", "libelle", "annee", "nature", "source", "edition", *codes]
    return _order(frame[columns])

