"""Read and validate one uploaded file: `load_workbook(bytes, name) -> Report`.

The report holds one CtgData per territory when the file is valid, and every error and warning
found (all at once). Nothing in a report with errors may be stored: its `datasets` is empty.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from ctg_data import reading, validation
from ctg_data.errors import Problem, problems_table
from ctg_data.model import CtgData


@dataclass
class Report:
    """The outcome of reading one file: datasets (empty when there are errors), errors,
    warnings, the file name and the sha256 of its bytes (to spot a file imported twice)."""

    datasets: list[CtgData]
    errors: list[Problem]
    warnings: list[Problem]
    file_name: str
    content_hash: str

    @property
    def ok(self) -> bool:
        """True when the file has no error (warnings do not block)."""
        return not self.errors

    @property
    def problems(self) -> list[Problem]:
        """Errors then warnings."""
        return [*self.errors, *self.warnings]

    def lines(self) -> list[str]:
        """Every problem as one French sentence, errors first."""
        return [p.as_line() for p in self.problems]

    def table(self):
        """Every problem as a table (Gravité, Feuille, Ligne, Colonne, Valeur, Message)."""
        return problems_table(self.problems)


def load_workbook(content: bytes, file_name: str, *, sheet: str | None = None,
                  territoire: str | None = None) -> Report:
    """Read and validate a workbook (.xlsx, .xlsm, .xls, .ods) or a one-sheet .csv.

    `sheet` names the sheet of a CSV (else it is guessed from its columns). `territoire`
    (a code) is the territory a file without a Territoire sheet applies to. Raises
    errors.UnreadableFile when the file cannot be read at all: not a workbook, empty, corrupt,
    too large, zip bomb, too slow to read, CSV with no recognisable columns."""
    content_hash = hashlib.sha256(content).hexdigest()
    book = reading.read_workbook(content, file_name)
    datasets, problems = validation.build_datasets(book, file_name=file_name, sheet=sheet,
                                                   territoire=territoire)
    errors = [p for p in problems if p.is_error]
    warnings = [p for p in problems if not p.is_error]
    return Report(datasets=[] if errors else datasets, errors=errors, warnings=warnings,
                  file_name=file_name, content_hash=content_hash)
