"""Read and validate one uploaded file: `load_workbook(bytes, name) -> Report`.

The report holds one CtgData per territory when the file is valid, and every error and warning
found (all at once). Nothing in a report with errors may be stored: its `datasets` is empty.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

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
    # The territory codes each problem concerns (its row's territory, or the territory whose
    # rule found it); a problem absent from it is about the whole file (a header, a tab).
    concerns: dict[Problem, tuple[str, ...]] = field(default_factory=dict)

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

    def warnings_by_territory(self) -> dict[str, list[Problem]]:
        """For each territory of `datasets`, the warnings that concern it: its own and those
        of the whole file, in the report's order (what its version stores)."""
        found: dict[str, list[Problem]] = {d.code: [] for d in self.datasets}
        for item in self.warnings:
            try:
                codes = self.concerns.get(item)
            except TypeError:  # a problem holding an unhashable value: about the whole file
                codes = None
            for code in (found if codes is None else codes):
                if code in found:
                    found[code].append(item)
        return found

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
    early = validation.EarlyParse()
    book = reading.read_workbook(content, file_name, on_sheet=early)
    found = validation.validate_book(book, file_name=file_name, sheet=sheet,
                                     territoire=territoire, early=early)
    errors = [p for p in found.problems if p.is_error]
    warnings = [p for p in found.problems if not p.is_error]
    return Report(datasets=[] if errors else found.datasets, errors=errors, warnings=warnings,
                  file_name=file_name, content_hash=content_hash, concerns=found.concerns)
