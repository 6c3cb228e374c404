"""INSEE figures for a territory's Population sheet: `read_insee` (classic file or Melodi long
CSV) gives a commune's figures, `apply_population` writes them into a new CtgData."""

from __future__ import annotations

import mmap
from pathlib import Path

import pandas as pd

from ctg_data.errors import UnreadableFile
from ctg_data.model import CtgData
from ctg_data.opendata.common import InseeFigures, buffer, commune_code, read_head
from ctg_data.opendata.detection import kind_of
from ctg_data.opendata.insee import read_classic
from ctg_data.opendata.melodi import read_melodi
from ctg_data.schemas import POPULATION


def read_insee(content, file_name: str, code: str) -> InseeFigures:
    """The Population figures an INSEE commune file gives for commune `code`.

    `content` is the file's bytes (or a path, read through a memory map: the dossier complet
    is large). Only the needed columns are read, and only the commune's rows. IRIS files are
    summed over the rows of the commune (`COM`); the year comes from the column names (`P21_`
    -> 2021, `MED21` -> 2021, `NAISD22` -> 2022); for each figure the latest year of the file
    is kept. Counts are rounded to the unit (IRIS figures are weighted); the unemployment rate
    is `P..CHOM1564 / P..ACT1564 × 100`. Secret or blank values stay missing."""
    if isinstance(content, (str, Path)):
        return _read_insee_path(Path(content), file_name, code)
    content = buffer(content)
    head = read_head(content, file_name)
    kind = kind_of(head)
    if kind is None or not kind.startswith("insee_"):
        raise UnreadableFile.of("insee_non_reconnu", file=file_name)
    code = commune_code(code)
    if kind.startswith("insee_melodi_"):
        return read_melodi(content, head, kind, file_name, code)
    return read_classic(content, head, kind, file_name, code)


def _read_insee_path(path: Path, file_name: str, code: str) -> InseeFigures:
    with open(path, "rb") as handle:
        if path.stat().st_size == 0:
            raise UnreadableFile.of("fichier_vide", file=file_name)
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as view:
            return read_insee(view, file_name, code)


def apply_population(data: CtgData, figures: dict[int, dict]) -> CtgData:
    """A new CtgData whose Population table has the cells of `figures` ({year: {column key:
    value}}) filled or replaced — rows added for new years — and every other cell untouched.
    Missing values (None/NaN) never overwrite a figure. `present` is {"population"}."""
    keys = {c.key for c in POPULATION.columns}
    table = data.tables["population"].copy()
    added = False
    for year, values in sorted(figures.items()):
        mask = table["annee"] == int(year)
        if not mask.fillna(False).any():
            row = pd.DataFrame({"annee": pd.array([int(year)], dtype="Int64")})
            table = pd.concat([table, row], ignore_index=True)
            mask = table["annee"] == int(year)
            added = True
        mask = mask.fillna(False).astype(bool)
        for key, value in values.items():
            if key not in keys or key == "annee" or value is None or pd.isna(value):
                continue
            table.loc[mask, key] = float(value)
    if added:
        table = table.sort_values("annee", kind="stable", na_position="last")
    tables = dict(data.tables) | {"population": table.reset_index(drop=True)}
    return CtgData(dict(data.territoire), tables, frozenset({"population"}))
