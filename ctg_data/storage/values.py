"""Cell values as the database stores them: `plain` (JSON-safe Python values) and the rows of
a version's tables, converted by whole columns (a Caf's import is 68,000 rows at once).
"""

from __future__ import annotations

import math
from datetime import date, datetime

import numpy as np
import pandas as pd

from ctg_data.model import CtgData


def plain(value):
    """`value` as a JSON-safe Python value: NaN/NA → None, numpy scalars → int/float/bool,
    dates → ISO text. Infinite numbers are refused (no database JSON can hold them)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        if math.isnan(value):
            return None
        if math.isinf(value):
            raise ValueError(f"Valeur infinie impossible à enregistrer : {value}.")
        return value
    if isinstance(value, str):
        return value
    if isinstance(value, datetime):
        return (value.date().isoformat() if value.time() == datetime.min.time()
                and value.tzinfo is None else value.isoformat())
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    return str(value)


def _frame_to_rows(frame: pd.DataFrame) -> tuple[list, list[list]]:
    """Column names and rows of plain values of a canonical table."""
    columns = [plain(c) for c in frame.columns]
    rows = [[plain(v) for v in row] for row in frame.itertuples(index=False, name=None)]
    return columns, rows


def _tables_rows(frames: list[pd.DataFrame]) -> list[tuple[list, list[list]]]:
    """`_frame_to_rows` of each frame (the same plain values), computed for all frames with the
    same columns at once: 650 territories' tables cost a few array operations, not 7,000
    pandas calls per column."""
    out: list = [None] * len(frames)
    groups: dict[tuple, list[int]] = {}
    for i, frame in enumerate(frames):
        groups.setdefault(tuple(frame.columns.tolist()), []).append(i)
    for labels, members in groups.items():
        columns = [plain(c) for c in labels]
        arrays = [frames[i].to_numpy(dtype=object) for i in members if len(frames[i])]
        rows = _plain_rows(np.concatenate(arrays)) if arrays and labels else []
        start = 0
        for i in members:
            stop = start + len(frames[i])
            out[i] = (list(columns), rows[start:stop] if labels else [[] for _ in range(
                len(frames[i]))])
            start = stop
    return out


def datasets_rows(datasets: list[CtgData], wanted: list[tuple[int, str]]) -> dict:
    """{(dataset index, sheet key): (column names, rows of plain values)} for `wanted`: the
    tables of a file's territories never cut from the file's sheets (`CtgData.stored_rows`)
    are slices of the whole sheet's rows, converted once; the others go by `_tables_rows`.
    Both give exactly `_frame_to_rows` of each table."""
    out: dict = {}
    others = []
    for i, key in wanted:
        found = datasets[i].stored_rows(key)
        if found is None:
            others.append((i, key))
            continue
        file_tables, start, stop = found
        cached = file_tables.cache.get(("plain_rows", key))
        if cached is None:
            frame = file_tables.frames[key]
            columns = [plain(c) for c in frame.columns]
            rows = _frame_plain_rows(frame)
            cached = file_tables.cache[("plain_rows", key)] = (columns, rows)
        out[(i, key)] = (list(cached[0]), cached[1][start:stop])
    out.update(zip(others, _tables_rows([datasets[i].tables[key] for i, key in others])))
    return out


def row_encoder():
    """`_json_encoder()` for a list (one stored row), with the same C encoder built once
    instead of at each call (a third of the cost of 68,000 rows); the same text."""
    import json

    encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
    c_make_encoder = getattr(json.encoder, "c_make_encoder", None)
    if c_make_encoder is None:
        return encoder.encode
    one_shot = c_make_encoder(None, encoder.default, json.encoder.encode_basestring, None,
                              encoder.key_separator, encoder.item_separator, False, False,
                              True)
    join = "".join
    slow = encoder.encode

    def encode(row):
        return join(one_shot(row, 0)) if row.__class__ is list else slow(row)

    return encode


def _plain_rows(cells: np.ndarray) -> list[list]:
    """The rows of a 2-D object array with `plain` applied to every value, column by column
    (numbers and texts vectorised, anything else value by value)."""
    out = np.empty(cells.shape, dtype=object)
    for j in range(cells.shape[1]):
        out[:, j] = _plain_column(cells[:, j])
    return out.tolist()


def _plain_column(column: np.ndarray) -> list | np.ndarray:
    """`plain` of every value of a 1-D object array (see `_plain_rows`)."""
    kind = pd.api.types.infer_dtype(column, skipna=True)
    if kind == "floating" and all(v.__class__ is float for v in column.tolist()):
        return _plain_floats(column.astype("float64"))
    if kind in ("string", "empty"):
        return [v if v.__class__ is str else plain(v) for v in column.tolist()]
    return [plain(v) for v in column.tolist()]


def _plain_floats(numbers: np.ndarray) -> np.ndarray:
    """`plain` of every value of a float64 array: Python floats, None for NaN (an infinite
    value raises, with plain's message)."""
    if np.isinf(numbers).any():
        plain(float(numbers[np.isinf(numbers)][0]))
    fixed = numbers.astype(object)
    fixed[np.isnan(numbers)] = None
    return fixed


def _frame_plain_rows(frame: pd.DataFrame) -> list[list]:
    """`_plain_rows(frame.to_numpy(dtype=object))`, column by column from the frame's own
    arrays (a float64 column is never turned into an object array first)."""
    columns = []
    for j in range(frame.shape[1]):
        series = frame.iloc[:, j]
        if series.dtype == np.float64:
            columns.append(_plain_floats(series.to_numpy()).tolist())
        else:
            column = _plain_column(series.to_numpy(dtype=object))
            columns.append(column if isinstance(column, list) else column.tolist())
    return [list(row) for row in zip(*columns)] if columns else [[] for _ in range(len(frame))]


def _json_encoder():
    """The function that writes one stored row as compact JSON text (what the JSON column
    holds; the column type reads it back)."""
    import json

    return json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def rows_to_frame(columns: list, rows: list[list]) -> pd.DataFrame:
    """A stored table back as a DataFrame of the stored values (before `model.conform`)."""
    # dtype=object keeps each stored Python value as it was; conform() restores the dtypes.
    return pd.DataFrame(rows, columns=columns, dtype=object)
