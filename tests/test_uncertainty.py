"""Intervals on lifetime value: parameters drawn from the fit's approximate distribution (the Hessian's covariance).

- the interval on a simulated base covers the value under the parameters the base was drawn from;
- the sampling shortcut (each group's value recomputed on a sample) agrees with recomputing every customer;
- groups add up to the total, the draws are seeded, and a fit without standard errors gives no interval.
"""

import dataclasses

import numpy as np
import pandas as pd
import pytest

from crmlib.analyze import ModelError, fit_purchases, fit_spend
from crmlib.analyze.lifetime import MeanSpend
from crmlib.analyze.purchases import PurchaseModel
from crmlib.analyze.uncertainty import value_interval
from crmlib.analyze.value import customer_value
from crmlib.collect import load_cdnow
from crmlib.segment.summary import rfm_summary
from tests.test_purchase_models import simulate

TRUE = {"r": 0.5, "alpha": 4.0, "a": 0.8, "b": 3.0}


@pytest.fixture(scope="module")
def weeks() -> pd.DataFrame:
    return rfm_summary(load_cdnow(), end="1997-09-30", freq="W")


def test_the_interval_covers_the_value_under_the_true_parameters():
    covered = 0
    for seed in range(5):
        summary = simulate(seed, n=2000, weeks=52, r=TRUE["r"], alpha=TRUE["alpha"], a=TRUE["a"], b=TRUE["b"],
                           existing=0.6, drop_at_first=False).assign(monetary_value=1.0)  # fmt: skip
        fit = fit_purchases(summary, "bgnbd")
        spend = MeanSpend.of(1.0)  # one unit per purchase: the value is discounted purchases
        table = value_interval(fit, spend, summary, freq="W", n=200)
        truth = customer_value(PurchaseModel.from_params("bgnbd", TRUE), spend, summary, freq="W").sum()
        low, high = table.loc["total", ["lower", "upper"]]
        assert low < table.loc["total", "estimate"] < high
        assert (high - low) / table.loc["total", "estimate"] < 0.5
        covered += bool(low <= truth <= high)
    assert covered >= 4  # a 90% interval: 4 or 5 of 5 (a binomial 9-in-10 chance each)


def test_the_sample_shortcut_agrees_with_every_customer(weeks):
    purchases, spend = fit_purchases(weeks, "pnbd"), fit_spend(weeks)
    tiers = pd.Series(np.where(weeks["frequency"] > 0, "repeat", "once"), index=weeks.index)
    full = value_interval(purchases, spend, weeks, tiers, freq="W", n=60, sample=len(weeks))
    sampled = value_interval(purchases, spend, weeks, tiers, freq="W", n=60, sample=500)
    np.testing.assert_allclose(sampled.to_numpy(), full.to_numpy(), rtol=0.02)
    assert list(full.index) == ["total", "once", "repeat"]
    assert full.loc[["once", "repeat"], "estimate"].sum() == pytest.approx(full.loc["total", "estimate"])
    values = customer_value(purchases, spend, weeks, freq="W")
    assert full.loc["total", "estimate"] == pytest.approx(values.sum())


def test_draws_are_seeded_and_a_fit_without_standard_errors_has_no_interval(weeks):
    purchases, spend = fit_purchases(weeks, "bgnbd"), fit_spend(weeks)
    first = value_interval(purchases, spend, weeks, freq="W", n=40)
    pd.testing.assert_frame_equal(first, value_interval(purchases, spend, weeks, freq="W", n=40))
    assert not first.equals(value_interval(purchases, spend, weeks, freq="W", n=40, seed=1))
    published = PurchaseModel.from_params("bgnbd", {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
    with pytest.raises(ModelError, match="no standard errors"):
        value_interval(published, spend, weeks, freq="W")
    with pytest.raises(ModelError, match="no standard errors"):
        value_interval(dataclasses.replace(purchases, covariance=np.full((4, 4), np.nan)), spend, weeks)
