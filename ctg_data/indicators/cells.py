"""How the indicator computations read a cell: a number or None, a stripped text or ""."""

from __future__ import annotations

import math

from ctg_data.formatting import as_number

# A number or None (NaN, empty and text are None), as everywhere in the app.
number = as_number


def text(value) -> str:
    """The cell as stripped text; "" for None and NaN."""
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else \
        str(value).strip()
