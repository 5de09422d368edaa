"""Lifetime value for a period in one call: validate the purchase models on a holdout, fit the chosen one and the
spend model on all history, and value every customer, with each customer's churn risk and P(alive).

The value model is the one that predicts the holdout best. Churn risk is the probability of no purchase in the
next `churn.horizon_days` under it (defined under every model and its boundary: it falls with a long gap even where
P(alive) is 1). P(alive) is shown beside it from a model that lets a one-time buyer be gone: under BG/NBD a customer
who bought once is alive for sure, however long ago; so it reads the value model when it is MBG/NBD or Pareto/NBD,
otherwise the better checked of those two (`churn.model` chooses one outright)."""

from __future__ import annotations

import contextlib
import io
import warnings
from dataclasses import dataclass

import pandas as pd

from crmlib.analyze.churn import ChurnOptions
from crmlib.analyze.holdout import Validation, validate
from crmlib.analyze.options import LifetimeValueOptions
from crmlib.analyze.purchases import PurchaseModel, fit_purchases
from crmlib.analyze.spend import IndependenceWarning, SpendModel, fit_spend
from crmlib.analyze.value import customer_value
from crmlib.catalogue import t
from crmlib.collect.warehouse import Warehouse
from crmlib.errors import ModelError
from crmlib.periods import end_day
from crmlib.segment.summary import rfm_summary
from crmlib.units import DAYS_PER, DAYS_PER_MONTH


@dataclass
class LifetimeValue:
    """The models and per-customer results of a period's lifetime value analysis."""

    summary: pd.DataFrame
    validation: Validation | None  # None when the history is too short to hold some of it out
    validation_note: str  # why there is no validation, else ""
    purchases: PurchaseModel
    spend: SpendModel
    options: LifetimeValueOptions
    spend_note: str = ""  # why the spend model is the fallback mean, else ""
    churn: PurchaseModel | None = None  # the model behind P(alive) (None: the value model)
    churn_days: int = 90  # churn risk: the probability of no purchase in this many days, under the value model

    @property
    def scorer(self) -> Scorer:
        """The fitted models as one function of a summary, for this process or Spark's executors."""
        o = self.options
        return Scorer(self.purchases, self.spend, self.churn or self.purchases, o.months, o.annual_discount_rate,
                      o.freq, self.churn_days)  # fmt: skip

    @property
    def gamma_gamma(self) -> SpendModel:
        """The Gamma-Gamma spend model, whose frequency-spend check a page shows; a ModelError saying why when the
        expected spend is the fallback mean instead."""
        if isinstance(self.spend, MeanSpend):
            raise ModelError(self.spend_note)
        return self.spend

    @property
    def p_alive(self) -> pd.Series:
        """P(alive) per customer, from the churn model."""
        return self.scorer.p_alive(self.summary)

    @property
    def value(self) -> pd.Series:
        """Discounted expected value over the horizon, per customer."""
        return self.scorer.value(self.summary)

    def parameters(self) -> pd.DataFrame:
        """Every fitted parameter with its standard error (from the Hessian) and 95% interval: role (purchases,
        spend), parameter, coef, se, lower, upper; the purchase model's in the time unit `options.freq`."""
        tables = {"purchases": self.purchases.summary()}
        if not isinstance(self.spend, MeanSpend):
            tables["spend"] = self.spend.summary()
        return pd.concat(tables, names=["role"]).reset_index()

    def customers(self) -> pd.DataFrame:
        """Per customer: the summary, P(alive) (of the churn model), expected purchases and spend over the horizon (of
        the value models), lifetime value."""
        return self.scorer(self.summary)


@dataclass(frozen=True)
class Scorer:
    """Each customer's P(alive), churn probability (no purchase in the next `churn_days`, under the value model),
    expected purchases and spend over the horizon, and lifetime value, from fitted models and the customer's
    summary alone: so any part of the customers can be scored apart (it pickles, for Spark's `mapInPandas`), with
    the same result as all of them at once."""

    purchases: PurchaseModel
    spend: SpendModel  # or its fallback, MeanSpend
    churn: PurchaseModel
    months: int
    annual_discount_rate: float
    freq: str
    churn_days: int = 90

    def __call__(self, summary: pd.DataFrame) -> pd.DataFrame:
        """`summary` (index customer_id, or a customer_id column) with p_alive, churn_probability,
        expected_purchases, expected_spend and lifetime_value."""
        if "customer_id" in summary.columns:
            summary = summary.astype({"customer_id": str}).set_index("customer_id")
        horizon = self.months * DAYS_PER_MONTH / DAYS_PER[self.freq]
        return summary.assign(
            p_alive=self.p_alive(summary),
            churn_probability=self.churn_probability(summary),
            expected_purchases=self.purchases.expected_purchases(horizon, summary),
            expected_spend=self.spend.expected_spend(summary),
            lifetime_value=self.value(summary),
        )

    def p_alive(self, summary: pd.DataFrame) -> pd.Series:
        return self.churn.p_alive(summary).rename("p_alive")

    def churn_probability(self, summary: pd.DataFrame) -> pd.Series:
        """P(no purchase in the next `churn_days`) under the value model."""
        days = self.churn_days / DAYS_PER[self.freq]
        return self.purchases.p_no_purchase(days, summary).rename("churn_probability")

    def value(self, summary: pd.DataFrame) -> pd.Series:
        return customer_value(
            self.purchases, self.spend, summary, self.months, self.annual_discount_rate, self.freq
        ).rename("lifetime_value")


PENALIZERS = (0.0, 0.001, 0.01)
"""Small data may not converge without a penalty; each fit tries these in turn (0 first: the plain MLE)."""


def lifetime_value(
    warehouse: Warehouse, end, options: LifetimeValueOptions | None = None, churn: ChurnOptions | None = None
) -> LifetimeValue:
    """Validate, choose, fit and value, with data up to day `end` (a date or a period's last day).

    Each fit tries the penalizers in PENALIZERS in turn; the final purchase fit falls back to the other configured
    models, so a short history still gets a report. A ModelError only when no model fits at all."""
    options, churn = options or LifetimeValueOptions(), churn or ChurnOptions()
    last = end_day(end)
    calibrated = calibration_end(last, options.holdout_months)
    first = warehouse.query("SELECT min(ts) AS first FROM orders WHERE customer_id IS NOT NULL")["first"][0]
    try:
        if pd.isna(first) or first > calibrated:  # nothing before the held-out months to fit on
            raise ModelError(t("note.validation_history", months=options.holdout_months,
                               first=f"{first:%Y-%m-%d}" if pd.notna(first) else "–"))  # fmt: skip
        validation = _first_fit(
            [lambda: validate(warehouse, calibrated, last, options.freq, tuple(options.models), PENALIZERS)]
        )
        chosen, note = validation.chosen, ""
    except ModelError as err:
        validation, chosen = None, options.models[0]
        note = t("note.no_validation", reason=str(err))
    summary = rfm_summary(warehouse, last, freq=options.freq)
    aside = validation.set_aside if validation is not None else {}
    order = sorted(options.models, key=lambda m: (m != chosen, m in aside))
    horizon = options.months * DAYS_PER_MONTH / DAYS_PER[options.freq]
    purchases = _first_fit(
        [
            lambda m=m, p=p, strict=strict: _predicting(fit_purchases(summary, m, p), summary, horizon, strict)
            for strict in (True, False)  # a fit run off only when no other model fits
            for m in order
            for p in PENALIZERS
        ]
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IndependenceWarning)  # reported through spend.independence_ok instead
        try:
            spend = _first_fit([lambda p=p: fit_spend(summary, penalizer=p) for p in PENALIZERS])
        except ModelError as err:
            spend = MeanSpend(summary)
            spend_note = t("note.mean_spend", reason=str(err))
        else:
            spend_note = ""
    churn_model = _churn_model(purchases, validation, churn.model, summary, horizon)
    return LifetimeValue(summary, validation, note, purchases, spend, options, spend_note, churn_model,
                         churn.horizon_days)  # fmt: skip


DROP_AT_FIRST = ("mbgnbd", "pnbd")
"""The models in which a customer may be gone after the first purchase: the ones churn risk may read."""


def _churn_model(
    purchases: PurchaseModel, validation: Validation | None, choice: str, summary: pd.DataFrame, horizon: float
) -> PurchaseModel:
    """The value model when churn may read it, else the churn model asked for or the better checked one."""
    if choice == "auto" and purchases.model in DROP_AT_FIRST:
        return purchases
    if choice != "auto":
        order = [choice]
    elif validation is not None:
        checked = [m for m in DROP_AT_FIRST if m in validation.checks]
        order = sorted(checked, key=lambda m: (validation.checks[m].mae, validation.checks[m].rmse))
        order += [m for m in DROP_AT_FIRST if m not in order]
    else:
        order = list(DROP_AT_FIRST)
    if purchases.model == order[0]:
        return purchases
    return _first_fit(
        [
            lambda m=m, p=p: _predicting(fit_purchases(summary, m, penalizer=p), summary, horizon)
            for m in order
            for p in PENALIZERS
        ]
    )


class MeanSpend:
    """The fallback spend model when Gamma-Gamma cannot fit (too few repeat buyers): everyone's expected spend is
    the mean value of the repeat purchase days observed."""

    params: dict = {}
    frequency_spend_correlation = float("nan")
    independence_ok = True

    def __init__(self, summary: pd.DataFrame):
        repeat = summary[summary["frequency"] > 0]
        if repeat.empty or not (repeat["monetary_value"] > 0).any():
            raise ModelError(t("error.lifetime.no_repeat_value"))
        weights = repeat["frequency"]
        self.population_mean = float((repeat["monetary_value"] * weights).sum() / weights.sum())

    @classmethod
    def of(cls, population_mean: float) -> MeanSpend:
        """The fallback with a known mean (as stored by the analysis stage)."""
        spend = cls.__new__(cls)
        spend.population_mean = float(population_mean)
        return spend

    def expected_spend(self, summary: pd.DataFrame) -> pd.Series:
        return pd.Series(self.population_mean, index=summary.index, name="expected_spend")


def calibration_end(last: pd.Timestamp, holdout_months: int) -> pd.Timestamp:
    """The last day of calibration: `holdout_months` whole months before the day after `last`.

    >>> calibration_end(pd.Timestamp("2025-06-30"), 6), calibration_end(pd.Timestamp("2025-02-28"), 6)
    (Timestamp('2024-12-31 00:00:00'), Timestamp('2024-08-31 00:00:00'))
    """
    return last + pd.Timedelta(days=1) - pd.DateOffset(months=holdout_months) - pd.Timedelta(days=1)


def _predicting(model: PurchaseModel, summary: pd.DataFrame, horizon: float, strict: bool = False) -> PurchaseModel:
    """`model`, if it gives finite predictions over `horizon` for every customer (a degenerate fit may not), and,
    when `strict`, if none of its parameters ran off."""
    if strict and model.runs_off:
        raise ModelError(t("error.lifetime.no_predictions", model=model.model))
    predictions = pd.concat([model.expected_purchases(horizon, summary), model.p_alive(summary)])
    if not predictions.notna().all() or not (predictions < float("inf")).all():
        raise ModelError(t("error.lifetime.no_predictions", model=model.model))
    return model


def _first_fit(attempts):
    """The result of the first attempt that fits (lifetimes' prints kept off the report); else the last error."""
    for attempt in attempts:
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                return attempt()
        except ModelError as err:
            error = err
    raise error


def top_share(values: pd.Series, fraction: float = 0.1) -> float:
    """The share of total value held by the most valuable `fraction` of customers.

    >>> top_share(pd.Series([90.0, 5.0, 3.0, 1.0, 1.0, 0, 0, 0, 0, 0]), 0.1)
    0.9
    """
    ordered = values.sort_values(ascending=False)
    top = max(1, round(len(ordered) * fraction))
    total = ordered.sum()
    return float(ordered.iloc[:top].sum() / total) if total else 0.0
