"""Where data sits in the file (`Origin`: tab name, Excel rows, header texts), so that every
message points at the cell as Excel shows it; `default_origin` for data laid out as the app
writes it (in-app edits).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ctg_data.schemas import Column, Sheet


@dataclass
class Origin:
    """Where a sheet's data sits in the file, for messages: the tab name, the Excel row of
    each table row (or of each Territoire field) and the header text of each column."""

    sheet_name: str
    rows: list[int] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    header_row: int | None = None
    # Key-value Territoire sheet: Excel row of each field found.
    field_rows: dict[str, int] | None = None

    def column(self, column: Column | str) -> str:
        """The header the file used for `column` (its label when the file lacked it)."""
        key = column if isinstance(column, str) else column.key
        label = column if isinstance(column, str) else column.label
        return self.headers.get(key, label)

    def field_row(self, key: str) -> int | None:
        """The Excel row of Territoire field `key`: its own row in a key-value sheet, the
        territory's row in a table."""
        if self.field_rows is not None:
            return self.field_rows.get(key)
        return self.rows[0] if self.rows else None


def default_origin(sheet: Sheet, length: int = 0) -> Origin:
    """The origin of data laid out as the app writes it: header in row 1, data from row 2
    (key-value Territoire: one field per row in declared order)."""
    if sheet.key_value:
        return Origin(sheet.name, headers={c.key: c.label for c in sheet.columns},
                      field_rows={c.key: i + 2 for i, c in enumerate(sheet.columns)})
    return Origin(sheet.name, rows=[i + 2 for i in range(length)], header_row=1)
