"""Is this period's value unusual? A robust check fitted on the periods before it, never on the period itself.

With three years of monthly history or more, a seasonal decomposition (statsmodels' STL, a 13-year seasonal
smoother so the season stays steady) predicts the month as the last trend, plus its recent slope, plus the same
month's seasonal effect; the spread is the residuals', times √2 for forecasting a month the fit has not seen (STL's
robust mode was tried and leaves most residuals near 0, so its spread is far too small). Before that, a control
chart centres on the median of the last 12 periods with their robust spread (1.4826 × the median absolute
deviation). The limits are three spreads either side.

>>> flat = pd.Series([100.0, 104, 98, 101, 97, 103, 99, 102])
>>> check(flat, 101.0).anomaly, check(flat, 140.0).anomaly, check(flat, 140.0).method
(False, True, 'control_chart')
>>> check(flat[:3], 140.0).method
'too_short'
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

SEASONAL_AFTER = 36  # months of history before the seasonal decomposition is used
SHORTEST = 6  # fewer periods of history than this: no check
SIGMAS = 3.0
RECENT = 12  # periods the control chart centres on


@dataclass(frozen=True)
class Check:
    expected: float
    low: float
    high: float
    anomaly: bool
    method: str  # seasonal, control_chart or too_short


def _spread(values: np.ndarray) -> float:
    """A robust standard deviation: 1.4826 × MAD, or the plain one when more than half the values are equal."""
    mad = 1.4826 * float(np.median(np.abs(values - np.median(values))))
    return mad if mad > 0 else float(np.std(values))


def check(past: pd.Series, value: float, season: int = 12, bounds: tuple[float, float] = (-np.inf, np.inf)) -> Check:
    """`value` against `past` (the values of the periods before it, oldest first; missing ones are dropped); the
    expected range is kept inside `bounds`, the values the KPI can take."""
    past = past.dropna().astype(float)
    if value != value or len(past) < SHORTEST:
        return Check(np.nan, np.nan, np.nan, False, "too_short")
    if len(past) >= SEASONAL_AFTER and season > 1:
        from statsmodels.tsa.seasonal import STL

        fit = STL(past.to_numpy(), period=season, seasonal=13).fit()
        slope = float(np.median(np.diff(fit.trend[-season:])))
        expected = float(fit.trend[-1] + slope + fit.seasonal[-season])
        resid = np.asarray(fit.resid)
        spread, method = np.sqrt(2.0) * max(_spread(resid), float(np.std(resid))), "seasonal"
    else:
        recent = past.to_numpy()[-RECENT:]
        expected, spread, method = float(np.median(recent)), _spread(recent), "control_chart"
    low, high = max(expected - SIGMAS * spread, bounds[0]), min(expected + SIGMAS * spread, bounds[1])
    return Check(expected, low, high, bool(value < low or value > high), method)
