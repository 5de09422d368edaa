"""Spend per transaction: the Gamma-Gamma model (Fader & Hardie 2013), fitted on the repeat customers.

The model explains each repeat customer's mean spend per purchase day (`monetary_value` in the RFM summary) and
assumes spend is independent of how often a customer buys; `fit_spend` measures that correlation and warns
when it looks violated.

>>> from crmlib.collect import load_cdnow
>>> from crmlib.segment.summary import rfm_summary
>>> summary = rfm_summary(load_cdnow(), end="1997-09-30", freq="W")
>>> spend = fit_spend(summary)
>>> spend
SpendModel(p=6.25, q=3.744, v=15.44, log_likelihood=-4055.92, n_customers=946, frequency_spend_correlation=0.11)
>>> round(float(spend.expected_spend(summary).loc["1"]), 2)  # x = 2 repeat days at $22.35 on average
24.65
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from crmlib.analyze.models import gamma_gamma
from crmlib.analyze.models.mle import estimates, maximize
from crmlib.analyze.purchases import ModelError, check_summary, unique_rows
from crmlib.catalogue import t

SPEND_COLUMNS = ("frequency", "monetary_value")


class IndependenceWarning(UserWarning):
    """Frequency and spend per transaction look correlated, against the Gamma-Gamma model's assumption."""


def _covered(summary: pd.DataFrame) -> pd.Series:
    """The customers the model describes: a repeat purchase, and a positive mean spend over the repeat days."""
    return (summary["frequency"] > 0) & (summary["monetary_value"] > 0)


@dataclass(frozen=True)
class SpendModel:
    """A fitted Gamma-Gamma spend model: params p, q and v (the papers' gamma), and expected spend per customer."""

    params: dict[str, float]
    log_likelihood: float  # total over the repeat customers it was fitted on
    n_customers: int
    frequency_spend_correlation: float  # Pearson, frequency vs monetary_value among repeat customers
    max_correlation: float = 0.3
    covariance: np.ndarray | None = field(default=None, compare=False, repr=False)  # of p, q, v, from the Hessian

    def summary(self, level: float = 0.95) -> pd.DataFrame:
        """p, q and v with standard errors from the Hessian and `level` intervals: coef, se, lower, upper."""
        names = gamma_gamma.FAMILY.names
        theta = np.array([self.params[n] for n in names])
        return estimates(names, theta, self.covariance, gamma_gamma.FAMILY.parameter_kinds, level)

    @property
    def independence_ok(self) -> bool:
        """Whether |correlation(frequency, spend)| is below `max_correlation`, as the model assumes."""
        return bool(abs(self.frequency_spend_correlation) < self.max_correlation)

    @property
    def population_mean(self) -> float:
        """Expected spend per transaction of a customer the model knows nothing about: p v / (q - 1)."""
        return self.params["p"] * self.params["v"] / (self.params["q"] - 1)

    def expected_spend(self, summary: pd.DataFrame) -> pd.Series:
        """Conditional expected spend per transaction of each customer.

        A blend of the customer's own mean spend and the population mean, weighted by their number of repeat
        purchases. Customers without a repeat purchase (or whose repeat purchases net to 0 or less) get the
        population mean.
        """
        check_summary(summary, SPEND_COLUMNS)
        covered = _covered(summary).to_numpy()
        frequency = np.where(covered, summary["frequency"].to_numpy(dtype=float), 0.0)
        theta = np.array([self.params[n] for n in gamma_gamma.FAMILY.names])
        spend = gamma_gamma.conditional_expected_spend(theta, frequency, summary["monetary_value"].to_numpy(float))
        return pd.Series(np.asarray(spend, dtype=float), index=summary.index, name="expected_spend")

    def __repr__(self) -> str:
        params = ", ".join(f"{name}={value:.4g}" for name, value in self.params.items())
        return (
            f"SpendModel({params}, log_likelihood={self.log_likelihood:.2f}, n_customers={self.n_customers:,}, "
            f"frequency_spend_correlation={self.frequency_spend_correlation:.2f})"
        )


def _pearson(x: np.ndarray, y: np.ndarray) -> float:
    """Pearson correlation; NaN when it is undefined (fewer than 3 points, or a constant variable)."""
    if len(x) < 3 or x.std() == 0 or y.std() == 0:
        return float("nan")
    return float(np.corrcoef(x, y)[0, 1])


def fit_spend(summary: pd.DataFrame, penalizer: float = 0.0, max_correlation: float = 0.3) -> SpendModel:
    """Fit the Gamma-Gamma spend model on the repeat customers of an RFM summary.

    Warns (IndependenceWarning) when |Pearson correlation| between frequency and monetary_value among repeat
    customers is `max_correlation` or more. `penalizer` adds penalizer * (p^2 + q^2 + v^2) to the mean negative
    log-likelihood, as lifetimes' `penalizer_coef` does.
    """
    check_summary(summary, SPEND_COLUMNS)
    repeat = summary.loc[_covered(summary), list(SPEND_COLUMNS)]
    if len(repeat) < 2:
        raise ModelError(t("error.spend.too_few", n=len(repeat), total=len(summary)))
    patterns, counts, _ = unique_rows(repeat, SPEND_COLUMNS)
    weights = counts.astype(float)
    mean = float(weights @ patterns[:, 1] / weights.sum())
    starts = [np.ones(3), np.array([2.0, 3.0, 2.0 * mean]), np.array([5.0, 5.0, mean])]
    fit = maximize(gamma_gamma.FAMILY, tuple(patterns.T), weights, starts, penalizer)
    if not fit.converged:
        raise ModelError(t("error.spend.no_optimum", n=len(repeat)))
    params = dict(zip(gamma_gamma.FAMILY.names, map(float, fit.theta)))
    if params["q"] <= 1:
        raise ModelError(t("error.spend.q", q=round(params["q"], 3)))
    log_likelihood = fit.log_likelihood
    correlation = _pearson(repeat["frequency"].to_numpy(float), repeat["monetary_value"].to_numpy(float))
    model = SpendModel(params, float(log_likelihood), len(repeat), correlation, max_correlation, fit.covariance)
    if not model.independence_ok:
        found = (
            t("warning.spend.unmeasured")
            if np.isnan(correlation)
            else t("warning.spend.is", value=round(correlation, 2))
        )
        warnings.warn(
            t("warning.spend.correlated", n=len(repeat), found=found, limit=max_correlation),
            IndependenceWarning,
            stacklevel=2,
        )
    return model
