"""How the indicator computations read a text cell: a stripped text or "" (numbers are read
with `formatting.as_number`, as everywhere in the app)."""

from __future__ import annotations

import math


def text(value) -> str:
    """The cell as stripped text; "" for None and NaN."""
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else \
        str(value).strip()
