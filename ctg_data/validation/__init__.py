"""Raw sheets -> one CtgData per territory, and every problem of the file at once.

Everything here is driven by the declarations of `ctg_data.schemas`: the header row is the
first row that holds a sheet's required columns, headers are matched with `match_column`,
each cell is parsed by `parse_value` with its column's type, and `check_data` then runs the
typed, row and cross-sheet rules on the canonical data. Validation is lazy (as pandera's
`lazy=True`): nothing stops at the first problem. `check_data` is also what in-app edits call,
so they get the same messages as an import.

One module per step; this package's face is what callers use (`validation.parse_value`,
`validation.check_data`, `validation.validate_book`…):
  origin.py  where data sits in the file (tab, Excel rows, headers), for messages
  cells.py   one cell (`parse_value`, `text_problem`) and one column (`parse_column`)
  tables.py  one sheet: header row, columns, `parse_table`, `parse_territoire`
  book.py    the whole workbook: `validate_book`, `build_datasets`, `EarlyParse`
  rules.py   the rules on canonical data: `check_data`
The reading worker process (`ctg_data.reading`) never imports this package.
"""

from ctg_data.validation.book import (
    EarlyParse, Validation, build_datasets, guess_sheet, validate_book,
)
from ctg_data.validation.cells import (
    CODE_WIDTHS, NUMERIC_TYPES, is_missing, parse_column, parse_value, text_problem,
)
from ctg_data.validation.origin import Origin, default_origin
from ctg_data.validation.rules import check_data
from ctg_data.validation.tables import (
    HEADER_SEARCH_ROWS, KEY_VALUE_HEADER, ParsedTable, ParsedTerritory, find_header_row,
    parse_table, parse_territoire,
)

__all__ = [
    "CODE_WIDTHS", "HEADER_SEARCH_ROWS", "KEY_VALUE_HEADER", "NUMERIC_TYPES", "EarlyParse",
    "Origin", "ParsedTable", "ParsedTerritory", "Validation", "build_datasets", "check_data",
    "default_origin", "find_header_row", "guess_sheet", "is_missing", "parse_column",
    "parse_table", "parse_territoire", "parse_value", "text_problem", "validate_book",
]
