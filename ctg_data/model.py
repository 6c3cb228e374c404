"""The in-memory form of one territory's CTG data: what the reader produces, the store keeps
and every indicator, chart and export reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import pandas as pd

from ctg_data.schemas import PLAN_ACTION, SHEETS_BY_KEY, TABLE_SHEETS, TERRITOIRE, year_of_header

_DTYPES = {"int": "float64", "float": "float64", "percent": "float64", "year": "Int64"}
_TERRITORY_KEYS = tuple(c.key for c in TERRITOIRE.columns)
_TERRITORY_KEY_SET = frozenset(_TERRITORY_KEYS)


def empty_table(sheet_key: str) -> pd.DataFrame:
    """An empty DataFrame with the canonical columns and dtypes of a table sheet."""
    sheet = SHEETS_BY_KEY[sheet_key]
    return pd.DataFrame({c.key: pd.Series(dtype=_DTYPES.get(c.type, "object"))
                         for c in sheet.columns})


@lru_cache(maxsize=None)
def _empty_table(sheet_key: str) -> pd.DataFrame:
    return empty_table(sheet_key)


def territory_fields(values: dict) -> dict:
    """The Territoire fields in canonical order: every declared key (None when absent), then
    the unknown fields as found."""
    return {key: values.get(key) for key in _TERRITORY_KEYS} | {
        k: v for k, v in values.items() if k not in _TERRITORY_KEY_SET}


def conform(sheet_key: str, frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with every declared column present, in declared order, with canonical dtypes;
    extra columns (unknown headers, Plan d'action year columns) follow, kept as they are."""
    sheet = SHEETS_BY_KEY[sheet_key]
    frame = frame.reset_index(drop=True)
    n = len(frame)
    # Columns are gathered in a dict and assembled once: inserting them one by one into a
    # DataFrame is quadratic and dominated validation time.
    columns: dict[str, pd.Series] = {}
    for col in sheet.columns:
        dtype = _DTYPES.get(col.type, "object")
        if col.key in frame:
            values = frame[col.key]
            if dtype == "object":
                values = values.astype(object).where(values.notna(), None)
            columns[col.key] = values.astype(dtype)
        else:
            columns[col.key] = pd.Series([None] * n, dtype=dtype)
    extras = [c for c in frame.columns if c not in columns]
    # Year columns of the plan first, in year order, then other extras as found.
    years = sorted((c for c in extras if year_of_header(c)), key=str)
    for c in years:
        columns[str(c)] = pd.to_numeric(frame[c], errors="coerce").astype("float64")
    for c in extras:
        if c not in years:
            columns[c] = frame[c].astype(object).where(frame[c].notna(), None)
    return pd.DataFrame(columns, index=range(n))


def plan_years(plan: pd.DataFrame) -> list[int]:
    """The years for which the Plan d'action table has an observed-value column."""
    return sorted(int(y) for c in plan.columns if (y := year_of_header(c)) and c not in
                  {col.key for col in PLAN_ACTION.columns})


@dataclass
class CtgData:
    """One territory's data: the Territoire fields and one DataFrame per table sheet.

    `territoire` maps the canonical keys of the Territoire sheet (`code_insee`, `nom`, …) to
    values. `tables` maps each table sheet key (`population`, `equipements`, …) to a DataFrame
    with canonical column keys (see `conform`). Sheets absent from a file are empty tables.
    `present` lists the sheet keys the source actually provided (a partial workbook updates
    only those).
    """

    territoire: dict
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    present: frozenset[str] = frozenset()

    def __post_init__(self):
        for sheet in TABLE_SHEETS:
            frame = self.tables.get(sheet.key)
            self.tables[sheet.key] = (empty_table(sheet.key) if frame is None
                                      else conform(sheet.key, frame))
        self.territoire = territory_fields(self.territoire)

    @classmethod
    def from_conformed(cls, territoire: dict, tables: dict[str, pd.DataFrame],
                       present: frozenset[str] = frozenset()) -> "CtgData":
        """The CtgData of frames that already went through `conform` (or are row slices of a
        conformed frame, with a fresh RangeIndex): the same object as `CtgData(...)` without
        conforming every table again (an import of 650 territories conforms each sheet once
        for the whole file)."""
        data = cls.__new__(cls)
        data.territoire = territory_fields(territoire)
        data.tables = tables
        for sheet in TABLE_SHEETS:
            if sheet.key not in tables:
                # A shallow copy: its own object, sharing the (empty) data until written.
                tables[sheet.key] = _empty_table(sheet.key).copy(deep=False)
        data.present = present
        return data

    @classmethod
    def of_file(cls, territoire: dict, file_tables: "FileTables", position: int,
                present: frozenset[str] = frozenset()) -> "CtgData":
        """The CtgData of territory `position` of `file_tables` (the conformed sheets of a whole
        file): its `tables` are cut from the file's on first use, so that storing 650
        territories of a file reads each sheet's rows once (`stored_rows`) instead of building
        7,000 small DataFrames. Equal to `from_conformed` on those cut tables."""
        data = cls.__new__(cls)
        data.territoire = territory_fields(territoire)
        data.present = present
        data._source = (file_tables, position)
        return data

    def __getattr__(self, name):
        # Only reached when `tables` was never set: a territory of a file (`of_file`) whose
        # tables are cut now, once.
        if name == "tables":
            source = self.__dict__.get("_source")
            if source is not None:
                tables = source[0].tables_of(source[1])
                self.__dict__["tables"] = tables
                return tables
        raise AttributeError(name)

    def stored_rows(self, key: str):
        """(file_tables, start, stop) when table `key` is still the untouched rows start:stop
        of the file's sheet (never cut, so never changed since validation), else None."""
        source = self.__dict__.get("_source")
        if source is None or "tables" in self.__dict__ or key not in source[0].frames:
            return None
        start, stop = source[0].span(key, source[1])
        return source[0], start, stop

    @property
    def code(self) -> str:
        """The territory's INSEE code (SIREN for an EPCI)."""
        return self.territoire["code_insee"]

    @property
    def nom(self) -> str:
        """The territory's name."""
        return self.territoire["nom"]

    def table(self, key: str) -> pd.DataFrame:
        """The DataFrame of table sheet `key` (never None)."""
        return self.tables[key]

    def ctg_years(self) -> tuple[int | None, int | None]:
        """First and last year of the convention, from `Début CTG` / `Fin CTG`."""
        def year(v):
            return int(str(v)[:4]) if v not in (None, "") else None
        return year(self.territoire.get("debut_ctg")), year(self.territoire.get("fin_ctg"))

    def years(self) -> list[int]:
        """Every year some table holds data for, ascending."""
        found: set[int] = set()
        for key, frame in self.tables.items():
            if "annee" in frame:
                found.update(int(v) for v in frame["annee"].dropna())
        found.update(plan_years(self.tables["plan_action"]))
        return sorted(found)

    def equals(self, other: "CtgData") -> bool:
        """Same territory fields and same table contents (used by round-trip checks)."""
        if self.territoire != other.territoire:
            return False
        for key in self.tables:
            a, b = self.tables[key], other.tables[key]
            if list(a.columns) != list(b.columns) or len(a) != len(b):
                return False
            if not a.reset_index(drop=True).equals(b.reset_index(drop=True)):
                return False
        return True


class FileTables:
    """The conformed table sheets of a whole file, each with its rows sorted by territory
    (a stable sort: file order within a territory), and where each territory's rows start:
    what `CtgData.of_file` cuts the per-territory tables from. `cache` is free for consumers
    that derive something from a whole sheet once (the store's plain rows)."""

    def __init__(self, frames: dict[str, pd.DataFrame], groups: dict, count: int):
        import numpy as np

        self.frames: dict[str, pd.DataFrame] = {}
        self.bounds: dict[str, list[int]] = {}
        self.count = count
        self.cache: dict = {}
        for key, frame in frames.items():
            group = np.asarray(groups[key])
            order = np.argsort(group, kind="stable")
            if not (order == np.arange(len(order))).all():
                frame = frame.take(order).reset_index(drop=True)
            self.frames[key] = frame
            self.bounds[key] = np.searchsorted(group[order], np.arange(count + 1)).tolist()

    def span(self, key: str, position: int) -> tuple[int, int]:
        """The rows start:stop of territory `position` in sheet `key`."""
        bounds = self.bounds[key]
        return bounds[position], bounds[position + 1]

    def tables_of(self, position: int) -> dict[str, pd.DataFrame]:
        """Territory `position`'s tables: its rows of each sheet (fresh RangeIndex), then an
        empty table for every sheet the file lacks (the key order of `from_conformed`)."""
        tables = {}
        for key, frame in self.frames.items():
            start, stop = self.span(key, position)
            piece = frame.iloc[start:stop]
            piece.index = pd.RangeIndex(stop - start)
            tables[key] = piece
        for sheet in TABLE_SHEETS:
            if sheet.key not in tables:
                tables[sheet.key] = _empty_table(sheet.key).copy(deep=False)
        return tables
