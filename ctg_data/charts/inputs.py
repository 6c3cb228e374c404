"""What the builders read besides the figure's own table: the yearly rows of a sheet up to the
chosen year, the latest filled row, a span of years as text, the target rate, and the
indicators already computed by the caller (the bilan computes each once for all its charts).
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from ctg_data import settings


def rows_up_to(frame: pd.DataFrame, annee: int) -> pd.DataFrame:
    """Rows of a yearly table up to `annee`, one per year, sorted."""
    if frame is None or frame.empty or "annee" not in frame:
        return frame.iloc[0:0] if frame is not None else pd.DataFrame()
    out = frame[frame["annee"].notna()]
    out = out[out["annee"].astype(int) <= int(annee)]
    return out.sort_values("annee").drop_duplicates("annee", keep="last")


def latest_row(frame: pd.DataFrame, annee: int,
               columns: list[str]) -> tuple[pd.Series | None, int | None]:
    """The latest row at or before `annee` with a value in one of `columns`."""
    rows = rows_up_to(frame, annee)
    if rows.empty:
        return None, None
    rows = rows[rows[columns].notna().any(axis=1)]
    if rows.empty:
        return None, None
    row = rows.iloc[-1]
    return row, int(row["annee"])


def years_text(years) -> str:
    """« 2021 » or « 2019-2022 »: the span of the years shown, for the source line."""
    years = sorted({int(y) for y in years})
    if not years:
        return ""
    return str(years[0]) if len(years) == 1 else f"{years[0]}-{years[-1]}"


def computed(options: dict, name: str, compute: Callable):
    """The result of the indicators function `name` (« coverage », « coverage_series »,
    « alsh_coverage », « plan_status ») for a chart: the one the caller passed in
    `options["computed"]` — the bilan computes each once, with the same data, year and
    options, for its text, tables and charts — else `compute()`."""
    given = (options.get("computed") or {}).get(name)
    return compute() if given is None else given


def target_rate(options) -> float:
    """The target coverage rate: `options["cible"]`, else the setting cible_taux_couverture."""
    cible = options.get("cible")
    return float(cible) if cible is not None else float(settings.get("cible_taux_couverture"))
