"""Business goals and what they ask: a what-if on the fitted lifetime value models.

The forecast of revenue over the goal's months is the existing customers' expected purchases (the period's
purchase model, conditional on each one's history) times their expected spend, plus the new customers the
business wins at its recent monthly rate, each with their first order and the repeat purchases the model expects
of a new customer in the months left. A goal asks this forecast to change by `change`. Each lever alone is moved
until the forecast meets the goal (Brent's method):

* retention: the drop-out rate of every customer is multiplied by k (BG/NBD and MBG/NBD: the mean of the Beta
  drop-out probability, its concentration kept; Pareto/NBD: the mean of the Gamma drop-out rate);
* frequency: every customer's purchases from now on, multiplied by k (exact for Pareto/NBD, whose drop-out runs
  in time; close for the BG/NBD family, where a faster buyer also has more chances to drop out);
* order_value: the spend per purchase, multiplied by k;
* acquisition: the new customers per month, multiplied by k.

`change` is k − 1 (a drop-out rate −30% is k = 0.7); missing when the lever cannot reach the goal alone.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.optimize import brentq

from crmlib.analyze.purchases import PurchaseModel
from crmlib.collect.warehouse import Warehouse
from crmlib.periods import Period
from crmlib.sql import run_sql
from crmlib.strategy.options import Goal
from crmlib.units import DAYS_PER, DAYS_PER_MONTH

LEVERS = ("retention", "frequency", "order_value", "acquisition")
KPIS = {  # lever -> the KPI the monitoring stage tracks for it
    "retention": "churn_rate",
    "frequency": "purchase_frequency",
    "order_value": "average_order_value",
    "acquisition": "new_customers",
}

NEW_CUSTOMERS_SQL = """
SELECT count(*) / CAST($months AS DOUBLE) AS per_month, avg(amount) AS first_order FROM (
  SELECT customer_id, arg_min(amount, ts) AS amount, min(ts) AS first_ts FROM orders
  WHERE kind = 'sale' AND customer_id IS NOT NULL AND ts < $until GROUP BY customer_id)
WHERE first_ts >= $until - to_months(CAST($months AS BIGINT))
"""


def scaled_model(model: PurchaseModel, dropout: float) -> PurchaseModel:
    """The model with every customer's drop-out multiplied by `dropout`.

    >>> m = PurchaseModel.from_params("pnbd", {"r": 0.55, "alpha": 10.58, "s": 0.61, "beta": 11.67})
    >>> scaled_model(m, dropout=0.5).params
    {'r': 0.55, 'alpha': 10.58, 's': 0.61, 'beta': 23.34}
    """
    params = dict(model.params)
    if "beta" in params:
        params["beta"] = params["beta"] / dropout
    elif model.common_dropout is None:
        total = params["a"] + params["b"]
        params["a"] = min(params["a"] * dropout, total * (1 - 1e-9))
        params["b"] = total - params["a"]
    common = None if model.common_dropout is None else min(model.common_dropout * dropout, 1.0)
    return dataclasses.replace(model, params=params, common_dropout=common)


@dataclass(frozen=True)
class Forecast:
    """What the revenue forecast needs: the models, the customers' summary, and the recent new customers."""

    purchases: PurchaseModel
    summary: pd.DataFrame  # frequency, recency, T per customer, in `freq` units
    spend: pd.Series  # expected spend per purchase, per customer of `summary`
    mean_spend: float  # expected spend per purchase of a new customer
    new_per_month: float
    first_order: float
    freq: str
    _existing: dict = field(default_factory=dict, compare=False, repr=False)  # (months, dropout) -> its revenue

    @classmethod
    def at(cls, warehouse: Warehouse, period: Period, purchases, spend, summary, freq: str) -> Forecast:
        new = run_sql(warehouse, NEW_CUSTOMERS_SQL, period.last_day, months=12).iloc[0]
        spends = spend.expected_spend(summary)
        mean = float(getattr(spend, "population_mean", spends.mean()))
        first = float(new["first_order"]) if pd.notna(new["first_order"]) else 0.0
        return cls(purchases, summary, spends, mean, float(new["per_month"] or 0.0), first, freq)

    def revenue(self, months: int, dropout=1.0, frequency=1.0, order_value=1.0, acquisition=1.0) -> float:
        """Expected revenue over the next `months` months with the levers at these multiples."""
        model = scaled_model(self.purchases, dropout)
        unit = DAYS_PER_MONTH / DAYS_PER[self.freq]
        if (months, dropout) not in self._existing:  # only the drop-out lever changes what customers will buy
            expected = model.expected_purchases(months * unit, self.summary)
            self._existing[months, dropout] = float((expected * self.spend).sum())
        existing = frequency * self._existing[months, dropout]
        left = (months - np.arange(months) - 0.5) * unit  # each month's new customers: the time they have left
        repeats = frequency * float(model.expected_purchases_new_customer(left).sum())
        new = self.new_per_month * acquisition * (self.first_order + repeats * self.mean_spend)
        return (existing + new) * order_value


def what_if(forecast: Forecast, goal: Goal) -> pd.DataFrame:
    """For a goal: per lever, the change it needs alone (k − 1) and the KPI that tracks it; with the baseline and the
    goal's revenue. Columns: lever, kpi, change, baseline, target."""
    baseline = forecast.revenue(goal.months)
    target = baseline * (1 + goal.change)
    rows = []
    for lever in LEVERS:
        keyword = "dropout" if lever == "retention" else lever

        def gap(k: float, keyword: str = keyword) -> float:
            return forecast.revenue(goal.months, **{keyword: k}) - target

        # retention: less drop-out (k < 1) raises revenue; the others: k > 1 does
        low, high = (1e-6, 1.0) if lever == "retention" else (1.0, 50.0)
        if goal.change < 0:
            low, high = (1.0, 50.0) if lever == "retention" else (1e-6, 1.0)
        try:
            k = brentq(gap, low, high, xtol=1e-6) if np.sign(gap(low)) != np.sign(gap(high)) else np.nan
        except ValueError:
            k = np.nan
        rows.append((lever, KPIS[lever], k - 1, baseline, target))
    return pd.DataFrame(rows, columns=["lever", "kpi", "change", "baseline", "target"])
