"""The French tables of the pages and the bilan, declared once: one `TableSpec` per table (key,
title, source, build, display formats, the columns that count people) in `TABLES`.

`build(data, annee, references=None, **options) -> DataFrame` follows the chart builders'
calling convention: the options let a caller pass what it already computed (`status=` the plan
status, `alsh=` the ALSH coverage, `comparison=`, `coverage=`…) or choose a variant (`axe=` one
axis, `compact=True` the bilan's printed columns). A build returns the frame as shown, with
French headers and unmasked values: the secrecy masking of exports is done by the caller
(`TableSpec.mask`, `ctg_ui.table_block(counts=…)`). A page shows a table with:

    spec = tables.TABLES["alsh"]
    table = spec.build(data, annee, refs, alsh=coverage)
    ctg_ui.table_block(table, spec.file_name(annee), key="alsh", formats=spec.formats_for(table),
                       title=spec.title(annee), source=spec.source, counts=spec.count_columns)

`formats` maps headers to the display kinds of `ctg_ui.table_block` / `exports.table_to_xlsx`
(int, decimal, number, percent, rate, year, text…). The bilan (ctg_data/bilan/content.py)
prints its tables from the same specs: same title, source, frame and formats, masked with
`TableSpec.mask` (`secrecy.mask_plan_values` for the plan's values)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import pandas as pd

from ctg_data import definitions, formatting, indicators, kinds, plan_views, secrecy, settings
from ctg_data import references as refmod
from ctg_data.model import CtgData

Formats = Mapping[str, str] | Callable[[pd.DataFrame], Mapping[str, str]]


@dataclass(frozen=True)
class TableSpec:
    """One French table: its stable key, title and file name templates (fields `{annee}`,
    `{axe}`, `{numero}`), source line, builder, display formats (a dict, or a function of the
    frame when headers depend on the data), and the secrecy rules of its exports: the
    columns counting people (`count_columns`), those that are row totals of the others
    (`total_columns`), a function flagging the rows that hold counts in a mixed table
    (`count_rows`), and whether the last row is the column total (`total_row`)."""

    key: str
    titre: str
    source: str
    build: Callable[..., pd.DataFrame]
    formats: Formats
    count_columns: tuple[str, ...] = ()
    total_columns: tuple[str, ...] = ()
    stem: str = ""
    count_rows: Callable[[pd.DataFrame], list[bool]] | None = None
    total_row: bool = False
    display: Callable[[pd.DataFrame], pd.DataFrame] | None = None   # screen text, when units
                                                                  # differ from row to row

    def title(self, annee: int, **fields) -> str:
        """The table's title for year `annee` (and `axe`… when its template names them)."""
        return self.titre.format(annee=annee, **fields)

    def file_name(self, annee: int, **fields) -> str:
        """The stem of its download files (« alsh-2023 »; `numero` is an axis' position)."""
        return (self.stem or self.key).format(annee=annee, **fields)

    def formats_for(self, frame: pd.DataFrame) -> dict[str, str]:
        """The display kinds of `frame`'s columns (only the columns it has)."""
        formats = self.formats(frame) if callable(self.formats) else self.formats
        return {c: kind for c, kind in formats.items() if c in frame.columns}

    def mask(self, frame: pd.DataFrame, threshold: int | None = None) -> tuple[pd.DataFrame, str]:
        """`frame` with its small counts of people masked for a document or an export, and the
        French note (`secrecy.mask_small_counts` with this table's rules)."""
        rows = None
        if self.count_rows is not None:
            rows = [i for i, flag in enumerate(self.count_rows(frame)) if flag]
        return secrecy.mask_small_counts(
            frame, self.count_columns, threshold, total_columns=self.total_columns,
            total_rows=[frame.index[-1]] if self.total_row and len(frame) else (),
            count_rows=rows)


def _count_units(frame: pd.DataFrame) -> list[bool]:
    """The rows whose unit counts people (« habitants », « familles »), for mixed tables."""
    return [secrecy.is_count_unit(u) for u in frame["Unité"]]


def _status(data: CtgData, annee: int, options: dict) -> pd.DataFrame:
    status = options.get("status")
    return indicators.plan_status(data, annee) if status is None else status


def _coverage(data: CtgData, annee: int, options: dict) -> indicators.Coverage:
    cov = options.get("coverage")
    return indicators.coverage(data, annee, cible=_cible(options)) if cov is None else cov


def _cible(options: dict) -> float:
    cible = options.get("cible")
    return float(settings.get("cible_taux_couverture") if cible is None else cible)


# ---------------------------------------------------------------------------------------------
# Diagnostic

def _portrait(data: CtgData, annee: int, references=None, *, comparison=None, **_) -> pd.DataFrame:
    """One row per portrait indicator of `annee` (Indicateur, Unité), one column per level
    (the territory, its EPCI, département, France… as `references.portrait_comparison`
    names them): units differ from row to row."""
    if comparison is None:
        comparison = refmod.portrait_comparison(data, annee, references)
    codes = [c for c in comparison.columns if c in definitions.BY_CODE]
    levels = list(comparison["libelle"])
    rows = []
    for code in codes:
        d = definitions.get(code)
        rows.append({"Indicateur": d.libelle, "Unité": d.unite,
                     **dict(zip(levels, comparison[code]))})
    if not rows:
        return pd.DataFrame(columns=["Indicateur", "Unité", *dict.fromkeys(levels)])
    table = pd.DataFrame(rows)
    for level in levels:
        table[level] = table[level].astype("float64")
    return table


def _level_formats(frame: pd.DataFrame) -> dict[str, str]:
    return {c: "decimal" for c in frame.columns if c not in ("Indicateur", "Unité")}


def portrait_display(frame: pd.DataFrame) -> pd.DataFrame:
    """The portrait table as the screen shows it: each value in its indicator's unit
    (`kinds.format_indicator`: « 12,3 % », « 19 500 € »)."""
    codes = {d.libelle: d.code for d in definitions.DEFINITIONS}
    if frame.empty:
        return frame.astype(object)
    levels = list(frame.columns[2:])
    return pd.DataFrame([{"Indicateur": r["Indicateur"], "Unité": r["Unité"],
                          **{k: kinds.format_indicator(r[k], codes[r["Indicateur"]]) for k in levels}}
                         for _, r in frame.iterrows()])


_STRUCTURE_COLUMNS = {"type": "Type", "gestionnaire": "Gestionnaire", "nom": "Nom",
                      "places": "Places", "financement": "Financement", "commune": "Commune",
                      "adresse": "Adresse", "age_min": "Âge min", "age_max": "Âge max"}


def _structures(data: CtgData, annee: int, references=None, **_) -> pd.DataFrame:
    """The structures open on 31 December of `annee`, by type, manager and name; an empty
    commune is the territory itself."""
    structures = indicators.structures_of_year(data, annee)
    if structures.empty:
        return pd.DataFrame(columns=list(_STRUCTURE_COLUMNS.values()))
    inventory = (structures[list(_STRUCTURE_COLUMNS)]
                 .sort_values(["type", "gestionnaire", "nom"], na_position="last")
                 .rename(columns=_STRUCTURE_COLUMNS))
    inventory["Commune"] = inventory["Commune"].where(inventory["Commune"].notna(), data.nom)
    return inventory.reset_index(drop=True)


def _portrait_latest(data: CtgData, annee: int, references=None, **_) -> pd.DataFrame:
    """Each portrait indicator's latest value up to `annee` (Indicateur, Année, Valeur, Unité),
    in the definitions' order."""
    portrait = indicators.portrait(data)
    portrait = portrait[portrait["annee"] <= annee]
    latest = portrait.sort_values("annee").groupby("indicateur", sort=False).tail(1)
    order = {d.code: i for i, d in enumerate(definitions.DEFINITIONS)}
    latest = latest.sort_values("indicateur", key=lambda s: s.map(order))
    frame = pd.DataFrame({"Indicateur": latest["libelle"].astype(object).tolist(),
                          "Année": latest["annee"].astype("Int64").tolist(),
                          "Valeur": latest["valeur"].tolist(),
                          "Unité": latest["unite"].astype(object).tolist()})
    frame["Année"] = frame["Année"].astype("Int64")
    return frame


# ---------------------------------------------------------------------------------------------
# Offre et besoins

_RATE_CODES = ("taux_couverture_global", "taux_couverture_eaje", "taux_couverture_individuel",
               "taux_couverture_prescolarisation")


def _coverage_references(data: CtgData, annee: int, references=None, *, comparison=None,
                         **_) -> pd.DataFrame:
    """The coverage rates of `annee`: the territory's own computation and the published rates
    of its levels (Territoire, Source, Édition, one column per rate)."""
    if comparison is None:
        comparison = refmod.comparison(data, annee, references)
    table = comparison[["libelle", "source", "edition", *_RATE_CODES]].rename(columns={
        "libelle": "Territoire", "source": "Source", "edition": "Édition",
        **{c: definitions.get(c).libelle for c in _RATE_CODES}})
    table["Édition"] = table["Édition"].where(table["Édition"].astype(str).str.len() > 0, None)
    return table


def _besoins(data: CtgData, annee: int, references=None, **_) -> pd.DataFrame:
    """Every observation of the Besoins sheet, latest year first (Année, Thème, Indicateur,
    Valeur, Unité, Source)."""
    besoins = data.table("besoins").sort_values(["annee", "theme", "indicateur"],
                                                ascending=[False, True, True],
                                                na_position="last")
    table = pd.DataFrame({"Année": besoins["annee"], "Thème": besoins["theme"],
                          "Indicateur": besoins["indicateur"], "Valeur": besoins["valeur"],
                          "Unité": besoins["unite"], "Source": besoins["source"]})
    return table.reset_index(drop=True)


def besoins_display(frame: pd.DataFrame) -> pd.DataFrame:
    """The needs table as the screen shows it: French text, each value in its own unit
    (« 38 % », « 45 familles »): every observation has its unit."""
    shown = kinds.display_frame(frame, {"Année": "year"})
    shown["Valeur"] = [formatting.fr_value(v, u) for v, u in zip(frame["Valeur"], frame["Unité"])]
    return shown


def _besoins_of_year(data: CtgData, annee: int, references=None, **_) -> pd.DataFrame:
    """The Besoins observations of `annee`, in the sheet's order (Thème, Indicateur, Valeur,
    Unité, Source)."""
    besoins = data.table("besoins")
    besoins = besoins[besoins["annee"] == annee]
    return pd.DataFrame({
        "Thème": besoins["theme"].astype(object).tolist(),
        "Indicateur": besoins["indicateur"].astype(object).tolist(),
        "Valeur": besoins["valeur"].tolist(),
        "Unité": besoins["unite"].astype(object).tolist(),
        "Source": besoins["source"].astype(object).tolist()})


def latest_population(data: CtgData, annee: int) -> tuple[float | None, int | None]:
    """The latest population known up to `annee`, and its year (None, None when unknown)."""
    rows = data.table("population")
    rows = rows[(rows["annee"] <= annee) & rows["population"].notna()]
    if not len(rows):
        return None, None
    last = rows.sort_values("annee").iloc[-1]
    return float(last["population"]), int(last["annee"])


def _key_figures(data: CtgData, annee: int, references=None, **options) -> pd.DataFrame:
    """The bilan's key figures (Indicateur, Valeur, Unité, Année): population, children
    under 3, coverage rate, places, places missing, plan bands and actions done."""
    cov, cible = _coverage(data, annee, options), _cible(options)
    status = _status(data, annee, options)
    summary = indicators.axis_summary(status) if len(status) else pd.DataFrame()
    population, annee_pop = latest_population(data, annee)
    rows = [
        ("Population", population, "habitants", annee_pop),
        ("Enfants de moins de 3 ans", cov.enfants_moins_3_ans, "enfants", cov.annee_population),
        ("Taux de couverture global", cov.taux.get("global"), "places pour 100 enfants", annee),
        ("Places d'accueil comptées dans le taux", cov.places.get("total"), "places", annee),
        (f"Places manquantes pour atteindre {formatting.fr_target(cible)} places pour 100 "
         "enfants", cov.places_manquantes, "places", annee),
    ]
    if len(summary):
        counts = summary[list(indicators.NIVEAUX)].sum()
        rows += [(f"Indicateurs du plan : {formatting.BAND_LABELS[n].lower()}",
                  float(counts[n]), "indicateurs", annee) for n in indicators.NIVEAUX]
        rows.append(("Actions réalisées", float(int(summary["actions_realisees"].sum())),
                     f"sur {int(summary['actions'].sum())} actions", annee))
    frame = pd.DataFrame(rows, columns=["Indicateur", "Valeur", "Unité", "Année"])
    frame["Année"] = frame["Année"].astype("Int64")
    return frame


def _places_by_mode(data: CtgData, annee: int, references=None, **options) -> pd.DataFrame:
    """Places of `annee` per mode of care counted in the coverage rate, the total last."""
    cov = _coverage(data, annee, options)
    rows = [(indicators.COMPONENT_LABELS[k], cov.places.get(k)) for k in indicators.COMPONENTS]
    rows.append(("Total (taux de couverture)", cov.places.get("total")))
    return pd.DataFrame(rows, columns=["Mode d'accueil", "Places"])


_EVOLUTION_PARTS = ("EAJE PSU", "EAJE hors PSU", "Assistantes maternelles", "Garde à domicile",
                    "Préscolarisation", "Total des places")


def _coverage_evolution(data: CtgData, annee: int, references=None, **options) -> pd.DataFrame:
    """Places per mode, children under 3 and the global rate, year by year up to `annee`
    (the years with places)."""
    series = options.get("series")
    if series is None:
        series = indicators.coverage_series(data, cible=options.get("cible"))
    if len(series):
        series = series[(series["annee"] <= annee) & series["places_total"].notna()]
    columns = ["Année", "Enfants de moins de 3 ans", *_EVOLUTION_PARTS,
               "Taux global (places pour 100 enfants)"]
    if not len(series):
        return pd.DataFrame(columns=columns)
    evolution = pd.DataFrame(dict(zip(columns, (
        series["annee"].astype("Int64").tolist(), series["enfants_moins_3_ans"].tolist(),
        *(series[f"places_{m}"].tolist() for m in ("eaje_psu", "eaje_hors_psu", "am", "gad",
                                                     "prescolarisation", "total")),
        series["taux_global"].tolist()))))
    evolution["Année"] = evolution["Année"].astype("Int64")
    return evolution


_COMPONENTS = (("global", "Taux global"), ("eaje", "EAJE"), ("individuel", "Individuel"),
               ("prescolarisation", "Préscolarisation"))


def _reference_levels(data: CtgData, annee: int, references=None, **options) -> pd.DataFrame:
    """The coverage rates of the territory (local computation; the rates named in `hidden`
    are « s ») and of its reference levels (the year `annee` or the latest earlier one), with
    the same reference rules as the comparison chart: Niveau, Nom, Année, four rates, Source."""
    from ctg_data import charts   # the chart's own reference rules (charts import tables' deps)

    cov, hidden = _coverage(data, annee, options), options.get("hidden") or set()
    rows = [["Territoire (calcul local)", data.nom or "", annee,
             *[secrecy.SECRET if k in hidden else cov.taux.get(k) for k, _ in _COMPONENTS],
             "Classeur CTG, calcul local"]]
    refs = charts.reference_rows(references)
    for niveau in ("commune", "epci", "departement", "region", "france"):
        picked = [charts.pick_reference(refs, niveau, f"taux_couverture_{k}", annee, data)
                  for k, _ in _COMPONENTS]
        if all(p is None for p in picked):
            continue
        first = next(p for p in picked if p is not None)
        # One row = one year: a component published only for another year stays empty
        # (never a 2009 sub-rate beside a 2021 total).
        picked = [p if p is not None and int(p["annee"]) == int(first["annee"]) else None
                  for p in picked]
        sources = sorted({str(p["source"]) for p in picked if p is not None
                          and not formatting.is_missing(p["source"])})
        editions = sorted({str(p["edition"]) for p in picked if p is not None
                           and not formatting.is_missing(p.get("edition"))})
        source = ", ".join(sources) + (f" (édition {', '.join(editions)})" if editions else "")
        label = formatting.LEVEL_LABELS.get(niveau, niveau) + \
            (" (publié par la Cnaf)" if niveau == "commune" else "")
        rows.append([label, "" if formatting.is_missing(first["nom"]) else str(first["nom"]),
                     int(first["annee"]), *[None if p is None else float(p["valeur"])
                                            for p in picked], source])
    frame = pd.DataFrame(rows, columns=["Niveau", "Nom", "Année",
                                        *[label for _, label in _COMPONENTS], "Source"])
    frame["Année"] = frame["Année"].astype("Int64")
    return frame


# ---------------------------------------------------------------------------------------------
# Enfance-jeunesse

_ALSH_PRINTED = ("Période", "Tranche d'âge", "Structures", "Places", "Enfants de la tranche",
                 "Places pour 100 enfants", "Enfants accueillis", "Remplissage (pour 100)",
                 "Mesure du remplissage")


def _alsh(data: CtgData, annee: int, references=None, *, alsh=None, compact=False,
          **_) -> pd.DataFrame:
    """ALSH places per 100 children by period and age band, attendance and fill rate of
    `annee` (`alsh=` the `indicators.alsh_coverage` already computed). `compact`: the
    bilan's printed columns (hours and approximations left to the note)."""
    coverage = indicators.alsh_coverage(data, annee) if alsh is None else alsh
    table = pd.DataFrame({
        "Période": coverage["periode"], "Tranche d'âge": coverage["tranche"],
        "Structures": coverage["structures"], "Places": coverage["places"],
        "Enfants de la tranche": coverage["enfants"],
        "Places pour 100 enfants": coverage["couverture"],
        "Jours d'ouverture": coverage["jours_ouverture"],
        "Enfants accueillis": coverage["enfants_accueillis"],
        "Heures réalisées": coverage["heures_realisees"],
        "Heures offertes": coverage["heures_offertes"],
        # Not « % »: where hours are missing the value is children per 100 places, which
        # passes 100 and is not an occupancy rate (the next column says which measure).
        "Remplissage (pour 100)": coverage["taux_remplissage"],
        "Mesure du remplissage": coverage["mesure_remplissage"],
        "Approximations": coverage["approximations"]})
    return table[list(_ALSH_PRINTED)] if compact else table


# ---------------------------------------------------------------------------------------------
# Plan d'action and evaluation

def _axis_summary(data: CtgData, annee: int, references=None, **options) -> pd.DataFrame:
    """Per axis: indicators by band, actions and actions done (`status=` the plan status)."""
    return plan_views.axis_summary_table(_status(data, annee, options))


def _indicator_values(data: CtgData, annee: int, references=None, *, axe=None, compact=False,
                      **options) -> pd.DataFrame:
    """The indicators of axis `axe` (every axis when None) against target and reference
    (`plan_views.indicator_values_table`). `compact`: the bilan's printed table (Indicateur,
    Unité, Valeur de référence, Cible, Année cible, Dernière valeur (≤ annee), Année de la
    valeur, Atteinte (%), Niveau without its symbol), the one `secrecy.mask_plan_values`
    masks."""
    status = _status(data, annee, options)
    if not compact:
        return plan_views.indicator_values_table(status, axe)
    rows = status if axe is None else status[status["axe"].astype(str) == str(axe)]
    return pd.DataFrame({
        "Indicateur": rows["indicateur"].astype(object).tolist(),
        "Unité": rows["unite"].astype(object).tolist(),
        "Valeur de référence": rows["valeur_reference"].tolist(),
        "Cible": rows["cible"].tolist(),
        "Année cible": pd.array(rows["annee_cible"].tolist(), dtype="Int64"),
        f"Dernière valeur (≤ {annee})": rows["derniere_valeur"].tolist(),
        "Année de la valeur": pd.array(rows["annee_derniere_valeur"].tolist(), dtype="Int64"),
        "Atteinte (%)": rows["atteinte_pct"].astype("float64").tolist(),
        "Niveau": [formatting.BAND_LABELS.get(n, n) for n in rows["niveau"]],
    })


def _values_formats(frame: pd.DataFrame) -> dict[str, str]:
    if "Valeur attendue (trajectoire)" in frame.columns:   # the screen's table
        return dict(plan_views.VALUES_FORMATS)
    # The printed table: each value with the decimals it needs.
    latest = next((c for c in frame.columns if c.startswith("Dernière valeur")), None)
    return {"Unité": "text", "Année cible": "year", "Année de la valeur": "year",
            "Atteinte (%)": "percent", "Niveau": "text", "Valeur de référence": "number",
            "Cible": "number", **({latest: "number"} if latest else {})}


def _evaluation(data: CtgData, annee: int, references=None, *, axe=None,
                **options) -> pd.DataFrame:
    """The convention's evaluation table (annex 6) of axis `axe`, every axis when None."""
    status = _status(data, annee, options)
    axes = plan_views.axes(data) if axe is None else [axe]
    frames = [plan_views.evaluation_table(data, a, annee, status=status) for a in axes]
    if not frames:
        return pd.DataFrame(columns=list(plan_views.EVALUATION_COLUMNS), dtype=object)
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


# ---------------------------------------------------------------------------------------------
# Pilotage

def _open_decisions(data: CtgData, annee: int | None = None, references=None, *,
                    today: dt.date | None = None, decisions=None, compact=False,
                    **_) -> pd.DataFrame:
    """The decisions still open, oldest comité first, with « Échéance dépassée » as of
    `today` (`decisions=` the `plan_views.open_decisions` already computed). `compact`: Comité du,
    Décision, Responsable, Échéance (the bilan's columns)."""
    if decisions is None:
        decisions = plan_views.open_decisions(data, today)
    table = plan_views.decisions_table(decisions)
    return table[["Comité du", "Décision", "Responsable", "Échéance"]] if compact else table


def _comites(data: CtgData, annee: int | None = None, references=None, *, calendar=None,
             **_) -> pd.DataFrame:
    """Every comité by date with its decisions (`calendar=` `plan_views.comites_calendar`)."""
    return plan_views.comites_table(plan_views.comites_calendar(data) if calendar is None
                                    else calendar)


def _comites_of_year(data: CtgData, annee: int, references=None, *, compact=False,
                     **_) -> pd.DataFrame:
    """The comités held in `annee`, by date. `compact`: Date, Instance, Ordre du jour,
    Compte rendu (the bilan's columns)."""
    table = plan_views.comites_table(plan_views.comites_of_year(data, annee))
    return table[["Date", "Instance", "Ordre du jour", "Compte rendu"]] if compact else table


def _all_text(frame: pd.DataFrame) -> dict[str, str]:
    return {c: "text" for c in frame.columns}


_PLAN = "classeur CTG (feuille Plan d'action)"
_KEY_FORMATS = {"Valeur": "number", "Année": "year", "Unité": "text"}

TABLES: dict[str, TableSpec] = {spec.key: spec for spec in (
    TableSpec("portrait", "Portrait du territoire et niveaux de référence, {annee}",
              "Classeur CTG ; INSEE et Caf (niveaux de référence)", _portrait, _level_formats,
              stem="portrait-{annee}", display=portrait_display),
    TableSpec("structures", "Structures ouvertes au 31 décembre {annee}",
              "Classeur CTG, feuille Équipements", _structures,
              {"Places": "int", "Âge min": "number", "Âge max": "number"},
              stem="structures-{annee}"),
    TableSpec("portrait_derniere_annee", "Portrait du territoire (dernière année connue)",
              "INSEE et Caf, saisis dans le classeur CTG", _portrait_latest, _KEY_FORMATS,
              count_columns=("Valeur",), count_rows=_count_units),
    TableSpec("couverture_references", "Taux de couverture (places pour 100 enfants), {annee}",
              "Classeur CTG ; Cnaf (data.caf.fr)", _coverage_references,
              {definitions.get(c).libelle: "rate" for c in _RATE_CODES},
              stem="taux-couverture-references-{annee}"),
    TableSpec("besoins", "Besoins exprimés", "Classeur CTG, feuille Besoins", _besoins,
              {"Année": "year", "Valeur": "decimal"}, count_columns=("Valeur",),
              count_rows=_count_units, stem="besoins", display=besoins_display),
    TableSpec("besoins_annee", "Besoins observés en {annee}", "classeur CTG (feuille Besoins)",
              _besoins_of_year, {"Valeur": "number", "Unité": "text"}, count_columns=("Valeur",),
              count_rows=_count_units),
    TableSpec("chiffres_cles", "Chiffres clés {annee}",
              "classeur CTG, calculs du tableau de bord", _key_figures, _KEY_FORMATS,
              count_columns=("Valeur",), count_rows=_count_units),
    TableSpec("places_modes", "Places par mode d'accueil en {annee}",
              "classeur CTG, calcul local", _places_by_mode, {"Places": "int"},
              count_columns=("Places",), total_row=True),
    TableSpec("evolution_offre", "Places par mode et taux de couverture, année par année",
              "classeur CTG, calcul local", _coverage_evolution,
              {"Année": "year", **{c: "int" for c in _EVOLUTION_PARTS},
               "Enfants de moins de 3 ans": "int",
               "Taux global (places pour 100 enfants)": "decimal"},
              count_columns=("Enfants de moins de 3 ans", *_EVOLUTION_PARTS),
              total_columns=("Total des places",)),
    TableSpec("references_niveaux", "Taux de couverture {annee} (places pour 100 enfants de "
              "moins de 3 ans) : territoire et références",
              "classeur CTG ; Cnaf (data.caf.fr, ONAPE)", _reference_levels,
              {"Année": "year", **{label: "decimal" for _, label in _COMPONENTS},
               "Source": "text", "Nom": "text"}),
    TableSpec("alsh", "ALSH : couverture et fréquentation par période, {annee}",
              "Classeur CTG (feuilles ALSH et Population) ; indicateur local", _alsh,
              {"Places": "int", "Enfants de la tranche": "int", "Places pour 100 enfants": "rate",
               "Jours d'ouverture": "int", "Enfants accueillis": "int", "Heures réalisées": "int",
               "Heures offertes": "int", "Remplissage (pour 100)": "rate"},
              count_columns=("Enfants de la tranche", "Enfants accueillis"), stem="alsh-{annee}"),
    TableSpec("synthese_axes", "Synthèse de l'évaluation par axe en {annee}", _PLAN,
              _axis_summary, plan_views.SUMMARY_FORMATS, stem="synthese_axes_{annee}"),
    TableSpec("indicateurs_axe", "Valeurs des indicateurs — {axe}", _PLAN, _indicator_values,
              _values_formats, stem="indicateurs_axe_{numero}_{annee}"),
    TableSpec("evaluation_axe", "Tableau d'évaluation — {axe}", _PLAN, _evaluation, _all_text,
              stem="evaluation_axe_{numero}_{annee}"),
    TableSpec("decisions_ouvertes", "Décisions en cours", "classeur CTG (feuille Décisions)",
              _open_decisions, _all_text, stem="decisions_ouvertes"),
    TableSpec("comites", "Comités", "classeur CTG (feuilles Comités et Décisions)", _comites,
              _all_text, stem="comites"),
    TableSpec("comites_annee", "Comités de {annee}", "classeur CTG (feuilles Comités et "
              "Décisions)", _comites_of_year, _all_text, stem="comites_{annee}"),
)}
