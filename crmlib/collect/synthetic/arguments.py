"""Checking write_sample's arguments and finding the window's last month."""

from __future__ import annotations

import numpy as np
import pandas as pd

from crmlib.catalogue import t
from crmlib.collect.synthetic.writer import FORMATS, LAYOUTS
from crmlib.errors import ParamsError
from crmlib.periods import Period


def check_arguments(customers, months, fmt, layout: str = "tidy") -> None:
    """Reject arguments a user could get wrong, saying how to fix them."""
    for name, count in (("customers", customers), ("months", months)):
        if not isinstance(count, (int, np.integer)) or count < 1:
            raise ParamsError(t("error.sample.count", name=name, value=repr(count)))
    if fmt not in FORMATS:
        raise ParamsError(t("error.sample.choice", name="fmt", choices=", ".join(FORMATS), value=repr(fmt)))
    if layout not in LAYOUTS:
        raise ParamsError(t("error.sample.choice", name="layout", choices=", ".join(LAYOUTS), value=repr(layout)))
    if layout != "tidy" and fmt != "csv":
        raise ParamsError(t("error.sample.lines_csv"))


def end_month(end: str | None) -> Period:
    """The last month of the window: `end`, or by default the last complete month before today."""
    now = pd.Timestamp.now()
    if end is None:
        return Period.parse(f"{now.year:04d}-{now.month:02d}").previous()
    month = Period.parse(end)
    if month.kind != "M":
        raise ParamsError(t("error.sample.end_month", end=repr(end)))
    if month.end > now:
        raise ParamsError(t("error.sample.future", end=end, month=f"{now.year:04d}-{now.month:02d}"))
    return month
