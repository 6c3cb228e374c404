"""Cell-level changes between versions: `Change` records, rows paired by their label
(`row_label`, the sheet's identifying columns), the diff of two versions (`changes_between`)
and the three-way merge of an edit made on an older version into the current one
(`merge_changes`, used when two people save the same territory).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pandas as pd

from ctg_data.model import CtgData
from ctg_data.schemas import SHEETS, SHEETS_BY_KEY, TABLE_SHEETS, TERRITOIRE
from ctg_data.storage.values import plain


@dataclass(frozen=True)
class Change:
    """One changed value. Callers of `Store.save` give sheet, row_label, column, old and new
    (and `code` when one call saves several territories); the store fills version_id, at and
    author. `column` is the column key ("" for a whole added/removed row)."""

    sheet: str
    row_label: str = ""
    column: str = ""
    old: object = None
    new: object = None
    version_id: int | None = None
    at: datetime | None = None
    author: str = ""
    code: str | None = None


def row_label(sheet_key: str, row) -> str:
    """A readable label for a table row, from the sheet's `unique` columns
    (e.g. « Multi-accueil La Pépinière · 2022 »); missing parts are left out."""
    sheet = SHEETS_BY_KEY[sheet_key]
    parts = []
    for key in sheet.unique:
        v = plain(row.get(key) if hasattr(row, "get") else row[key])
        if v is None or v == "":
            continue
        parts.append(str(int(v)) if isinstance(v, float) and v.is_integer() else str(v))
    return " · ".join(parts)


def _row_key(sheet_key: str, row: dict) -> tuple:
    sheet = SHEETS_BY_KEY[sheet_key]
    out = []
    for k in sheet.unique:
        v = plain(row.get(k))
        out.append(v.strip().casefold() if isinstance(v, str) else v)
    return tuple(out)


def match_rows(sheet_key: str, old: pd.DataFrame, new: pd.DataFrame):
    """Pair the rows of two versions of a table on the sheet's `unique` columns.

    Returns (pairs, added, removed): pairs of (old_row, new_row) dicts for rows with the same key
    (in order, when a key repeats), new rows without a partner, old rows without a partner."""
    def records(frame):
        return [{c: plain(v) for c, v in zip(frame.columns, row)}
                for row in frame.itertuples(index=False, name=None)]
    by_key: dict[tuple, list[dict]] = {}
    for row in records(old):
        by_key.setdefault(_row_key(sheet_key, row), []).append(row)
    pairs, added = [], []
    for row in records(new):
        candidates = by_key.get(_row_key(sheet_key, row))
        if candidates:
            pairs.append((candidates.pop(0), row))
        else:
            added.append(row)
    removed = [row for rows in by_key.values() for row in rows]
    return pairs, added, removed


def same_value(a, b) -> bool:
    """True when two cell values are equal once plain (NaN and None alike, 2 == 2.0)."""
    a, b = plain(a), plain(b)
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not (
            isinstance(a, bool) or isinstance(b, bool)):
        return float(a) == float(b)
    return a == b


def changed_columns(old: dict, new: dict) -> list:
    """The keys whose values differ between two rows (or two sets of Territoire fields), a key
    missing on one side counting as an empty value; in order of appearance."""
    return [k for k in dict.fromkeys([*old, *new]) if not same_value(old.get(k), new.get(k))]


def changes_between(old: CtgData | None, new: CtgData, sheets=None) -> list[Change]:
    """The cell-level changes that turn `old` into `new` (Territoire fields and table cells),
    to pass to `Store.save(changes=...)` after an in-app edit. A row whose key columns changed
    is a removed row plus an added row (column ""). `sheets` limits the tables compared."""
    out: list[Change] = []
    old_fields = old.territoire if old is not None else {}
    for key in changed_columns(old_fields, new.territoire):
        out.append(Change(sheet="territoire", column=key, old=plain(old_fields.get(key)),
                          new=plain(new.territoire.get(key)), code=new.code))
    for sheet in TABLE_SHEETS:
        if sheets is not None and sheet.key not in sheets:
            continue
        before = old.tables[sheet.key] if old is not None else new.tables[sheet.key].iloc[:0]
        pairs, added, removed = match_rows(sheet.key, before, new.tables[sheet.key])
        for a, b in pairs:
            out += [Change(sheet=sheet.key, row_label=row_label(sheet.key, b), column=str(col),
                           old=a.get(col), new=b.get(col), code=new.code)
                    for col in changed_columns(a, b)]
        for row in removed:
            out.append(Change(sheet=sheet.key, row_label=row_label(sheet.key, row), old=row,
                              code=new.code))
        for row in added:
            out.append(Change(sheet=sheet.key, row_label=row_label(sheet.key, row), new=row,
                              code=new.code))
    return out


def _labels(sheet_key: str, frame: pd.DataFrame) -> list[str]:
    return [row_label(sheet_key, row) for row in frame.to_dict("records")]


class CellConflict(Exception):
    """Raised by `merge_changes`: `change`'s cell (or its whole row, `row_missing`) was changed
    by someone else; `newer` is the value now stored. The store turns it into `EditConflict`."""

    def __init__(self, change: Change, newer, row_missing: bool = False):
        super().__init__(change.column)
        self.change = change
        self.newer = newer
        self.row_missing = row_missing


def merge_changes(current: CtgData, base: CtgData | None, mine: CtgData,
                  changes: list[Change]) -> CtgData:
    """`current` with the cell changes of an edit made on `base` (giving `mine`) applied: the
    three-way merge of two editors' saves. Rows are found by their label (`row_label`); a row
    the edit added is appended. Raises `CellConflict` when a changed cell (or its row) was
    changed by someone else since `base`."""
    territoire = dict(current.territoire)
    tables = {key: frame.copy() for key, frame in current.tables.items()}
    labels: dict[str, list[str]] = {}

    def labels_of(source: dict, cache: dict, sheet: str) -> list[str]:
        if sheet not in cache:
            cache[sheet] = _labels(sheet, source[sheet])
        return cache[sheet]

    base_labels: dict[str, list[str]] = {}
    mine_labels: dict[str, list[str]] = {}
    # Rows are located before any change is applied: changing a key column renames a row.
    targets: dict[tuple[str, str], int] = {}
    for change in changes:
        if change.sheet == TERRITOIRE.key:
            if not same_value(territoire.get(change.column), change.old):
                raise CellConflict(change, territoire.get(change.column))
            continue
        key = (change.sheet, change.row_label)
        if key in targets:
            continue
        found = [i for i, label in enumerate(labels_of(tables, labels, change.sheet))
                 if label == change.row_label]
        if len(found) > 1:  # same label twice: the row whose changed cells still hold `old`
            frame = tables[change.sheet]
            same = [i for i in found if all(
                c.column not in frame.columns or same_value(frame.at[i, c.column], c.old)
                for c in changes if (c.sheet, c.row_label) == key and c.column)]
            found = same or found
        if found:
            targets[key] = found[0]
            continue
        in_base = base is not None and change.row_label in labels_of(
            base.tables, base_labels, change.sheet)
        in_mine = [i for i, label in enumerate(labels_of(mine.tables, mine_labels, change.sheet))
                   if label == change.row_label]
        if in_base or not in_mine:  # removed or renamed by someone else meanwhile
            raise CellConflict(change, None, row_missing=True)
        # A row added by this edit: appended, as the editor built it.
        frame = tables[change.sheet]
        row = mine.tables[change.sheet].iloc[in_mine[-1]]
        for column in row.index:
            if column not in frame.columns:
                frame[column] = pd.Series([None] * len(frame), dtype=object)
        frame = pd.concat([frame.astype(object), pd.DataFrame([row.to_dict()], dtype=object)],
                          ignore_index=True)
        tables[change.sheet] = frame
        labels[change.sheet] = labels.get(change.sheet, []) + [change.row_label]
        targets[key] = len(frame) - 1
        # Its cells already hold the new values: nothing more to check for them.
    added = {k for k, i in targets.items() if i >= len(current.tables[k[0]])}
    for change in changes:
        key = (change.sheet, change.row_label)
        if change.sheet == TERRITOIRE.key:
            territoire[change.column] = plain(change.new)
            continue
        if key in added or not change.column:
            continue
        frame, index = tables[change.sheet], targets[key]
        if change.column not in frame.columns:  # a new year column of the plan
            frame[change.column] = pd.Series([None] * len(frame), dtype=object)
        value = frame.at[index, change.column]
        if not same_value(value, change.old):
            raise CellConflict(change, plain(value))
        frame[change.column] = frame[change.column].astype(object)
        frame.at[index, change.column] = plain(change.new)
    return CtgData(territoire, tables, frozenset(s.key for s in SHEETS))
