"""Checking write_sample's arguments and finding the window's last month."""

from __future__ import annotations

import numpy as np
import pandas as pd

from crmlib.collect.synthetic.writer import FORMATS, LAYOUTS
from crmlib.errors import ParamsError
from crmlib.periods import Period


def check_arguments(customers, months, fmt, layout: str = "tidy") -> None:
    """Reject arguments a user could get wrong, saying how to fix them."""
    for name, count in (("customers", customers), ("months", months)):
        if not isinstance(count, (int, np.integer)) or count < 1:
            raise ParamsError(f"{name} must be a whole number of at least 1, not {count!r}")
    if fmt not in FORMATS:
        raise ParamsError(f"fmt must be one of {', '.join(FORMATS)}, not {fmt!r}")
    if layout not in LAYOUTS:
        raise ParamsError(f"layout must be one of {', '.join(LAYOUTS)}, not {layout!r}")
    if layout == "lines" and fmt != "csv":
        raise ParamsError("the lines layout is a shop system's CSV export: write it with --format csv")


def end_month(end: str | None) -> Period:
    """The last month of the window: `end`, or by default the last complete month before today."""
    now = pd.Timestamp.now()
    if end is None:
        return Period.parse(f"{now.year:04d}-{now.month:02d}").previous()
    month = Period.parse(end)
    if month.kind != "M":
        raise ParamsError(f"end must be a month written YYYY-MM (2025-06), not {end!r}")
    if month.end > now:
        raise ParamsError(f"end {end} is not a complete month yet: synthetic data never lies in the future; "
                          f"choose a month before {now.year:04d}-{now.month:02d}")
    return month
