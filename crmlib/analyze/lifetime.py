"""Lifetime value for a period in one call: validate the purchase models on a holdout, fit the chosen one and the
spend model on all history, and value every customer."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import pandas as pd

from crmlib.analyze.holdout import Validation, validate
from crmlib.analyze.options import LifetimeValueOptions
from crmlib.analyze.purchases import PurchaseModel, fit_purchases
from crmlib.analyze.spend import IndependenceWarning, SpendModel, fit_spend
from crmlib.analyze.value import DAYS_PER_MONTH, customer_value
from crmlib.collect.warehouse import Warehouse
from crmlib.errors import ModelError
from crmlib.periods import end_day
from crmlib.segment.summary import DAYS_PER, rfm_summary


@dataclass
class LifetimeValue:
    """The models and per-customer results of a period's lifetime value analysis."""

    summary: pd.DataFrame
    validation: Validation | None  # None when the history is too short to hold some of it out
    validation_note: str  # why there is no validation, else ""
    purchases: PurchaseModel
    spend: SpendModel
    options: LifetimeValueOptions

    @property
    def p_alive(self) -> pd.Series:
        return self.purchases.p_alive(self.summary).rename("p_alive")

    @property
    def value(self) -> pd.Series:
        """Discounted expected value over the horizon, per customer."""
        o = self.options
        return customer_value(self.purchases, self.spend, self.summary, months=o.months,
                              annual_discount_rate=o.annual_discount_rate, freq=o.freq).rename("lifetime_value")

    def customers(self) -> pd.DataFrame:
        """Per customer: the summary, P(alive), expected purchases and spend over the horizon, lifetime value."""
        horizon = self.options.months * DAYS_PER_MONTH / DAYS_PER[self.options.freq]
        return self.summary.assign(
            p_alive=self.p_alive,
            expected_purchases=self.purchases.expected_purchases(horizon, self.summary),
            expected_spend=self.spend.expected_spend(self.summary),
            lifetime_value=self.value,
        )


def lifetime_value(warehouse: Warehouse, end, options: LifetimeValueOptions | None = None) -> LifetimeValue:
    """Validate, choose, fit and value, with data up to day `end` (a date or a period's last day)."""
    options = options or LifetimeValueOptions()
    last = end_day(end)
    calibration_end = last - pd.DateOffset(months=options.holdout_months)
    try:
        validation = validate(warehouse, calibration_end, last, freq=options.freq, models=tuple(options.models))
        chosen, note = validation.chosen, ""
    except ModelError as err:
        validation, chosen = None, options.models[0]
        note = f"no holdout validation ({err}); using {chosen}"
    summary = rfm_summary(warehouse, last, freq=options.freq)
    purchases = fit_purchases(summary, chosen)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IndependenceWarning)  # reported through spend.independence_ok instead
        spend = fit_spend(summary)
    return LifetimeValue(summary, validation, note, purchases, spend, options)


def top_share(values: pd.Series, fraction: float = 0.1) -> float:
    """The share of total value held by the most valuable `fraction` of customers.

    >>> top_share(pd.Series([90.0, 5.0, 3.0, 1.0, 1.0, 0, 0, 0, 0, 0]), 0.1)
    0.9
    """
    ordered = values.sort_values(ascending=False)
    top = max(1, int(round(len(ordered) * fraction)))
    total = ordered.sum()
    return float(ordered.iloc[:top].sum() / total) if total else 0.0
