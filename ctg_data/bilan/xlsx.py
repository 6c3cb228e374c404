"""The bilan as an Excel workbook: every table of the bilan, one worksheet each."""

from __future__ import annotations

from ctg_data import exports
from ctg_data.bilan.document import Bilan


def render_xlsx(bilan: Bilan) -> bytes:
    """Every table of the bilan, one worksheet each, styled by `exports.tables_to_xlsx` (real
    numbers, number formats, frozen bold header, title, source and secrecy note)."""
    sheets = [exports.TableSheet(t.frame, title=t.title, source=t.source or None,
                                 formats=t.formats, sheet_name=t.sheet_name, note=t.note or None)
              for t in bilan.tables()]
    return exports.tables_to_xlsx(sheets)
