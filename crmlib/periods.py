"""Reporting periods: a calendar month `YYYY-MM` by default; `YYYY-Qn` and `YYYY` also parse.

>>> p = Period.parse("2025-06")
>>> p.start, p.end
(Timestamp('2025-06-01 00:00:00'), Timestamp('2025-07-01 00:00:00'))
>>> str(p.previous()), str(Period.parse("2025-Q1").previous()), str(Period.parse("2024"))
('2025-05', '2024-Q4', '2024')
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from crmlib.catalogue import t
from crmlib.errors import ParamsError

_PATTERNS = {
    "M": re.compile(r"^(\d{4})-(\d{2})$"),
    "Q": re.compile(r"^(\d{4})-Q([1-4])$"),
    "Y": re.compile(r"^(\d{4})$"),
}


@dataclass(frozen=True, order=True)
class Period:
    """A half-open time span [start, end) named like `2025-06`, `2025-Q2` or `2025`."""

    start: pd.Timestamp
    kind: str  # "M", "Q" or "Y"

    @classmethod
    def parse(cls, text: str) -> Period:
        """Parse `YYYY-MM`, `YYYY-Qn` or `YYYY`; anything else is a ParamsError."""
        text = str(text).strip()
        for kind, pattern in _PATTERNS.items():
            m = pattern.match(text)
            if not m:
                continue
            year = int(m.group(1))
            if kind == "M":
                month = int(m.group(2))
                if not 1 <= month <= 12:
                    break
            elif kind == "Q":
                month = 3 * int(m.group(2)) - 2
            else:
                month = 1
            return cls(pd.Timestamp(year=year, month=month, day=1), kind)
        raise ParamsError(t("error.period.parse", text=repr(text)))

    @property
    def months(self) -> int:
        return {"M": 1, "Q": 3, "Y": 12}[self.kind]

    @property
    def end(self) -> pd.Timestamp:
        """The first instant after the period (exclusive end)."""
        return self.start + pd.DateOffset(months=self.months)

    @property
    def last_day(self) -> pd.Timestamp:
        return self.end - pd.Timedelta(days=1)

    def previous(self) -> Period:
        return Period(self.start - pd.DateOffset(months=self.months), self.kind)

    def next(self) -> Period:
        return Period(self.end, self.kind)

    def __str__(self) -> str:
        if self.kind == "M":
            return f"{self.start.year:04d}-{self.start.month:02d}"
        if self.kind == "Q":
            return f"{self.start.year:04d}-Q{(self.start.month - 1) // 3 + 1}"
        return f"{self.start.year:04d}"


def month_range(first: str, last: str) -> list[Period]:
    """Every month from `first` to `last`, both included."""
    start, stop = Period.parse(first), Period.parse(last)
    if start.kind != "M" or stop.kind != "M":
        raise ParamsError(t("error.period.backfill_months", first=repr(first), last=repr(last)))
    if stop < start:
        raise ParamsError(t("error.period.backfill_empty", first=str(first), last=str(last)))
    out = [start]
    while out[-1] != stop:
        out.append(out[-1].next())
    return out


def end_day(end) -> pd.Timestamp:
    """The last day an analysis includes: `end` itself (time of day dropped), or the last day of a period.

    >>> end_day("2025-06"), end_day("2025-06-15 13:00")
    (Timestamp('2025-06-30 00:00:00'), Timestamp('2025-06-15 00:00:00'))
    """
    if isinstance(end, Period):
        return end.last_day
    if isinstance(end, str) and re.fullmatch(r"\s*\d{4}(-(\d{2}|Q[1-4]))?\s*", end):
        return Period.parse(end).last_day
    try:
        day = pd.Timestamp(end)
    except (TypeError, ValueError):
        day = pd.NaT
    if pd.isna(day):
        raise ParamsError(t("error.period.day", end=repr(end)))
    return day.normalize()


def latest_complete_month(last_timestamp: pd.Timestamp) -> Period:
    """The latest month the data covers to its last day, given the newest timestamp in the data."""
    ts = pd.Timestamp(last_timestamp)
    month = Period.parse(f"{ts.year:04d}-{ts.month:02d}")
    return month if ts.normalize() >= month.last_day else month.previous()
