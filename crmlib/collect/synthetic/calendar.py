"""The window's calendar: daily shopping weights (weekdays, payday, Ramadan and Lebaran, twin dates
9.9 to 12.12, year end), the hour-of-day profile, and the time warp purchases run in."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from crmlib.collect.synthetic.world import ANNUAL_GROWTH, DAY, HOUR
from crmlib.periods import Period

HOURS = np.array(
    [
        0.8,
        0.5,
        0.3,
        0.2,
        0.3,
        0.8,
        1.5,
        2.5,
        3.2,
        3.8,
        4.2,
        4.6,  # activity by hour (WIB)
        5.5,
        5.2,
        4.6,
        4.4,
        4.5,
        4.8,
        5.2,
        6.2,
        7.2,
        7.5,
        6.0,
        3.2,
    ]
)
WEEKDAY = np.array([1.0, 0.97, 0.97, 1.0, 1.05, 1.1, 1.05])  # Monday first
TWIN_DATES = {9: 1.6, 10: 1.8, 11: 2.2, 12: 3.0}  # 9.9, 10.10, 11.11, 12.12 (Harbolnas)
RAMADAN_1445 = pd.Timestamp("2024-03-11")
LUNAR_YEAR_DAYS = 354.367


def ramadan_starts(first: pd.Timestamp, last: pd.Timestamp) -> list[pd.Timestamp]:
    """First days of Ramadan (to within a day or two) from a year before `first` to a year after `last`."""
    lo = int(np.floor((first - RAMADAN_1445).days / LUNAR_YEAR_DAYS)) - 1
    hi = int(np.ceil((last - RAMADAN_1445).days / LUNAR_YEAR_DAYS)) + 1
    return [RAMADAN_1445 + pd.Timedelta(days=round(k * LUNAR_YEAR_DAYS)) for k in range(lo, hi + 1)]


def ramadan_effect(dates: pd.DatetimeIndex) -> np.ndarray:
    """Ramadan lifts shopping, most in the ten days before Lebaran; the Lebaran holiday itself is quiet."""
    effect = np.ones(len(dates))
    for start in ramadan_starts(dates[0], dates[-1]):
        day = np.asarray((dates - start).days)
        effect *= np.select(
            [(day >= 0) & (day < 20), (day >= 20) & (day < 30), (day >= 30) & (day < 33)], [1.15, 1.5, 0.6], 1.0
        )
    return effect


def daily_weights(dates: pd.DatetimeIndex) -> np.ndarray:
    """Relative shopping activity per day (mean 1): weekday, payday, Ramadan, twin dates, year end."""
    month, day = np.asarray(dates.month), np.asarray(dates.day)
    w = WEEKDAY[np.asarray(dates.day_of_week)]
    w = w * np.where((day >= 25) | (day <= 2), 1.12, 1.0)  # gajian
    w = w * ramadan_effect(dates)
    twin = np.array([TWIN_DATES.get(m, 1.0) for m in range(13)])
    w = w * np.where(month == day, twin[month], 1.0)
    w = w * np.where((month == 12) & (np.abs(day - 12) <= 2) & (day != 12), 1.4, 1.0)  # Harbolnas week
    w = w * np.where((month == 12) & (day >= 20), 1.15, 1.0)
    return w / w.mean()


@dataclass(frozen=True)
class Calendar:
    """The window in days and seconds since its start, and the maps between raw and clock time.

    Raw time x is in days; within a day it is spread evenly and `clock` maps it to a time of day that
    follows the hourly activity profile. Purchase processes run in operational time tau (`op`), where
    busy days are longer, so a constant rate in tau gives a seasonal rate on the clock.
    """

    start: pd.Timestamp
    months: int
    days: int
    sales_cum: np.ndarray  # cumulative purchase activity at each day boundary, ends at `days`
    acquisition_cum: np.ndarray  # cumulative share of signups at each day boundary, ends at 1
    hour_cum: np.ndarray  # cumulative share of a day's activity at each hour boundary

    @property
    def horizon(self) -> int:
        """Seconds in the window: every time t satisfies 0 <= t < horizon."""
        return self.days * DAY

    @property
    def last_day(self) -> float:
        """The latest raw day inside the window (just before its end)."""
        return self.days - 1e-9

    @property
    def epoch(self) -> int:
        """The window start in Unix seconds."""
        return int((self.start - pd.Timestamp("1970-01-01")) // pd.Timedelta(seconds=1))

    @property
    def grid(self) -> np.ndarray:
        return np.arange(self.days + 1, dtype=float)

    def op(self, x):
        """Raw days to operational time."""
        return np.interp(x, self.grid, self.sales_cum)

    def raw(self, tau):
        """Operational time back to raw days."""
        return np.interp(tau, self.sales_cum, self.grid)

    def signup_day(self, q):
        """Raw day at which a share q of all signups has happened."""
        return np.interp(q, self.acquisition_cum, self.grid)

    def clock(self, x) -> np.ndarray:
        """Raw days to whole seconds since the window start, with a realistic time of day (monotone)."""
        day = np.floor(x)
        hour = np.interp(x - day, self.hour_cum, np.arange(25.0))
        return np.minimum((day * DAY + np.floor(hour * HOUR)).astype(np.int64), self.horizon - 1)

    def month_of(self, t: int) -> int:
        """Calendar month (1-12) of a time in seconds."""
        return (self.start + pd.Timedelta(seconds=int(t))).month


def make_calendar(last: Period, months: int) -> Calendar:
    """The calendar of the `months` months ending with `last`; signups grow ANNUAL_GROWTH a year.

    >>> cal = make_calendar(Period.parse("2025-06"), 2)
    >>> str(cal.start.date()), cal.days, cal.horizon == 61 * 86_400
    ('2025-05-01', 61, True)
    """
    start = last.start - pd.DateOffset(months=months - 1)
    dates = pd.date_range(start, last.end, freq="D", inclusive="left")
    weights = daily_weights(dates)
    acquisition = np.exp(np.log(ANNUAL_GROWTH) * np.arange(len(dates)) / 365.0) * weights**1.3
    return Calendar(
        start=pd.Timestamp(start),
        months=months,
        days=len(dates),
        sales_cum=np.concatenate(([0.0], np.cumsum(weights))),
        acquisition_cum=cumulative_share(acquisition),
        hour_cum=cumulative_share(HOURS),
    )


def cumulative_share(weights) -> np.ndarray:
    """Cumulative shares with a leading 0 and an exact 1 at the end."""
    cum = np.concatenate(([0.0], np.cumsum(weights)))
    cum /= cum[-1]
    cum[-1] = 1.0
    return cum
