"""Discounted customer lifetime value: expected purchases month by month, times expected spend, discounted.

value = expected spend × Σ_{m=1..months} (E[purchases in (0, m]] − E[purchases in (0, m−1]]) / (1 + d)^m,
with the monthly rate d = (1 + annual rate)^(1/12) − 1, so twelve months discount like one year. A month is
30.4375 days (weeks: 30.4375 / 7). crmlib owns this sum: lifetimes' `customer_lifetime_value` fails on pandas 3.

>>> from crmlib.collect import load_cdnow
>>> from crmlib.analyze import fit_purchases, fit_spend
>>> from crmlib.segment.summary import rfm_summary
>>> summary = rfm_summary(load_cdnow(), end="1997-09-30", freq="W")
>>> value = customer_value(fit_purchases(summary), fit_spend(summary), summary, months=12, freq="W")
>>> round(float(value.loc["1"]), 2)  # US dollars over the next 12 months
36.73
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crmlib.analyze.purchases import PATTERN, ModelError, PurchaseModel, check_summary, unique_rows
from crmlib.analyze.spend import SpendModel
from crmlib.catalogue import t
from crmlib.units import DAYS_PER, DAYS_PER_MONTH


def monthly_discount_rate(annual_discount_rate: float) -> float:
    """The monthly rate that compounds to the annual one.

    >>> round(monthly_discount_rate(0.10), 6)
    0.007974
    """
    if not annual_discount_rate >= 0:
        raise ModelError(t("error.value.rate", value=repr(annual_discount_rate)))
    return (1 + annual_discount_rate) ** (1 / 12) - 1


def customer_value(
    purchases: PurchaseModel,
    spend: SpendModel,
    summary: pd.DataFrame,
    months: int = 12,
    annual_discount_rate: float = 0.10,
    freq: str = "D",
) -> pd.Series:
    """Discounted expected value of each customer over the next `months` months, in the amounts' currency.

    `freq` is the time unit of the summary ("D" days or "W" weeks), as given to `rfm_summary`.
    """
    if isinstance(months, bool) or not isinstance(months, (int, np.integer)) or months < 1:
        raise ModelError(t("error.value.months", value=repr(months)))
    if freq not in DAYS_PER:
        raise ModelError(t("error.value.freq", value=repr(freq)))
    check_summary(summary, (*PATTERN, "monetary_value"))
    discount = (1 + monthly_discount_rate(annual_discount_rate)) ** -np.arange(1, months + 1)
    # Customers sharing frequency, recency, T and monetary value share their value: compute it once per pattern.
    rows, _, inverse = unique_rows(summary, (*PATTERN, "monetary_value"))
    patterns = pd.DataFrame(rows, columns=[*PATTERN, "monetary_value"])
    month_length = DAYS_PER_MONTH / DAYS_PER[freq]
    cumulative = purchases.expected_purchases_by_horizon(np.arange(months + 1) * month_length, patterns)
    per_month = np.diff(cumulative, axis=1)
    values = per_month @ discount * spend.expected_spend(patterns).to_numpy()
    return pd.Series(values[inverse], index=summary.index, name="customer_value")
