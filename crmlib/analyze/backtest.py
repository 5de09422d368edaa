"""Backtest of churn risk: would the risk the model gave `horizon_days` ago have told who then stayed away?

The cutoff is the period's last day less `churn.horizon_days` (90 by default). The value model (and the P(alive)
model, if it is another one) is refitted on the purchases up to the cutoff, with the penalizer fallback of the
lifetime value analysis, and each customer of the summary at the cutoff is scored three ways:

- churn_probability: the probability of no purchase in the next `horizon_days`, under the value model (the risk the
  page shows);
- p_alive: 1 − P(alive) under the P(alive) model (a baseline);
- recency_gap: T − recency, the time since the last purchase, alone (the baseline a model must beat).

The outcome is whether the customer stayed away: no purchase day in (cutoff, end], the `horizon_days` that followed.
Each score's ROC AUC says how well it ranked those who stayed away above those who bought; the churn tiers and the
deciles of the churn probability compare the predicted probability with the share that stayed away (a calibration
chart).

>>> from crmlib.collect import load_cdnow
>>> result = churn_backtest(load_cdnow(), "1998-06-30", "pnbd")
>>> str(result.cutoff.date()), result.n_customers, round(result.stayed_away, 3)
('1998-04-01', 2357, 0.873)
>>> result.scores["auc"].round(2).to_dict()
{'churn_probability': 0.84, 'p_alive': 0.8, 'recency_gap': 0.83}
>>> result.beats_recency
True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from crmlib.analyze.churn import ChurnOptions, churn_tiers
from crmlib.analyze.holdout import holdout_purchase_days
from crmlib.analyze.lifetime import PENALIZERS, _first_fit
from crmlib.analyze.options import LifetimeValueOptions
from crmlib.analyze.purchases import PurchaseModel, fit_purchases, model_family
from crmlib.catalogue import current, t
from crmlib.collect.warehouse import Warehouse
from crmlib.errors import ModelError
from crmlib.formats import format_number
from crmlib.periods import end_day
from crmlib.segment.summary import rfm_summary
from crmlib.units import DAYS_PER

SCORES = ("churn_probability", "p_alive", "recency_gap")
"""The scores compared, each oriented so that higher means more likely to stay away (p_alive as 1 − P(alive))."""


@dataclass(frozen=True, eq=False)
class Backtest:
    """Churn risk as it would have been given on `cutoff`, against who bought in the `horizon_days` after it.

    `customers` holds, per customer of the summary at the cutoff, the summary, the three scores (p_alive as
    P(alive) itself) and `stayed_away`; `scores` the ROC AUC of each score (index `score`, as in SCORES); `tiers`
    and `deciles` per churn tier and per decile of the churn probability (1 the lowest): customers, predicted (the
    mean churn probability) and observed (the share that stayed away)."""

    cutoff: pd.Timestamp  # the last day of the data the models were refitted on
    end: pd.Timestamp  # the last day of the outcome window (cutoff, end]
    horizon_days: int
    purchases: PurchaseModel  # the value model, refitted at the cutoff: the churn probability
    alive: PurchaseModel  # the P(alive) model, refitted at the cutoff (the value model itself when the same)
    customers: pd.DataFrame
    scores: pd.DataFrame
    tiers: pd.DataFrame
    deciles: pd.DataFrame

    @property
    def n_customers(self) -> int:
        """Customers scored: the buyers up to the cutoff."""
        return len(self.customers)

    @property
    def stayed_away(self) -> float:
        """The share of them who made no purchase in the `horizon_days` after the cutoff."""
        return float(self.customers["stayed_away"].mean())

    @property
    def auc(self) -> float:
        """The ROC AUC of the churn probability."""
        return float(self.scores.loc["churn_probability", "auc"])

    @property
    def beats_recency(self) -> bool:
        """Whether the churn probability ranks who stayed away better (a higher AUC) than the time since the last
        purchase alone."""
        return self.auc > float(self.scores.loc["recency_gap", "auc"])

    @property
    def calibration(self) -> pd.DataFrame:
        """The points of a calibration chart: per non-empty decile of the churn probability, the mean predicted
        probability (x) and the share that stayed away (y); on the diagonal when the risk is calibrated."""
        return self.deciles.loc[self.deciles["customers"] > 0, ["predicted", "observed"]]

    @property
    def verdict(self) -> str:
        """One sentence for the page: the AUC of the risk against that of recency alone, and whether it beats it."""
        key = "ana.backtest.beats" if self.beats_recency else "ana.backtest.not_better"
        return t(
            key,
            cutoff=f"{self.cutoff:%Y-%m-%d}",
            days=self.horizon_days,
            auc=format_number(self.auc, current(), decimals=3),
            recency=format_number(float(self.scores.loc["recency_gap", "auc"]), current(), decimals=3),
        )


def churn_backtest(
    transactions: pd.DataFrame | Warehouse,
    end,
    value_model: str,
    alive_model: str | None = None,
    options: LifetimeValueOptions | None = None,
    churn: ChurnOptions | None = None,
) -> Backtest:
    """Refit `value_model` (and `alive_model`, the model behind P(alive); None for the value model) on the
    purchases up to `churn.horizon_days` before day `end` (a date or a period's last day), score the customers of
    that day and compare with who bought up to `end`. `options` gives the time unit (`freq`); `churn` the horizon
    and the tier thresholds. `value_model`/`alive_model` are what `lifetime_value` chose: its `.purchases.model`
    and `.churn.model`.

    A ModelError, saying what the backtest needs, when the history is too short: no purchase up to the cutoff, no
    repeat buyer, no model fit, or every customer (or none) staying away."""
    options, churn = options or LifetimeValueOptions(), churn or ChurnOptions()
    model_family(value_model)
    alive_model = alive_model or value_model
    model_family(alive_model)
    last = end_day(end)
    cutoff = last - pd.Timedelta(days=churn.horizon_days)
    summary = rfm_summary(transactions, cutoff, freq=options.freq)
    dates = {"cutoff": f"{cutoff:%Y-%m-%d}", "end": f"{last:%Y-%m-%d}", "days": churn.horizon_days}
    if summary.empty:
        raise ModelError(t("error.backtest.history", first=_first_day(transactions), **dates))
    if not (summary["frequency"] > 0).any():
        raise ModelError(t("error.backtest.no_repeat", n=len(summary), **dates))
    bought = holdout_purchase_days(transactions, cutoff, last)["customer_id"]
    stayed_away = ~summary.index.isin(bought)
    if stayed_away.all() or not stayed_away.any():
        key = "error.backtest.all_stayed_away" if stayed_away.all() else "error.backtest.none_stayed_away"
        raise ModelError(t(key, n=len(summary), **dates))
    horizon = churn.horizon_days / DAYS_PER[options.freq]
    purchases = _refit(summary, value_model, horizon, dates)
    alive = purchases if alive_model == value_model else _refit(summary, alive_model, horizon, dates)
    customers = summary.assign(
        churn_probability=purchases.p_no_purchase(horizon, summary),
        p_alive=alive.p_alive(summary),
        recency_gap=summary["T"] - summary["recency"],
        stayed_away=stayed_away,
    )
    return Backtest(
        cutoff,
        last,
        churn.horizon_days,
        purchases,
        alive,
        customers,
        _scores(customers),
        calibration_table(customers["churn_probability"], customers["stayed_away"],
                          churn_tiers(customers["churn_probability"], churn.thresholds)),
        calibration_table(customers["churn_probability"], customers["stayed_away"],
                          risk_deciles(customers["churn_probability"])),
    )  # fmt: skip


def risk_deciles(risk: pd.Series) -> pd.Series:
    """The decile (1 to 10, 10 the highest risk) of each value of `risk` by its rank; equal values share the decile
    of the highest rank among them, so a customer's decile never depends on the order of the rows: decile =
    ceil(10 × rank / n), with the rank of ties their highest. An ordered categorical named decile.

    >>> risk_deciles(pd.Series([0.9, 0.1, 0.5, 0.5, 0.2])).tolist()
    [10, 2, 8, 8, 4]
    """
    ranks = risk.rank(method="max").to_numpy()
    codes = np.ceil(10 * ranks / len(risk)).astype(int) - 1
    deciles = pd.Categorical.from_codes(codes, categories=list(range(1, 11)), ordered=True)
    return pd.Series(deciles, index=risk.index, name="decile")


def calibration_table(predicted: pd.Series, stayed_away: pd.Series, groups: pd.Series) -> pd.DataFrame:
    """Per group (each category of the categorical `groups`, empty ones too): customers, the mean `predicted`
    probability and the observed share that `stayed_away`.

    >>> predicted, away = pd.Series([0.9, 0.8, 0.4, 0.1]), pd.Series([True, False, True, False])
    >>> calibration_table(predicted, away, churn_tiers(predicted))  # doctest: +NORMALIZE_WHITESPACE
                customers  predicted  observed
    churn_risk
    high                2       0.85       0.5
    medium              1       0.40       1.0
    low                 1       0.10       0.0
    """
    grouped = pd.DataFrame({"predicted": predicted, "observed": stayed_away.astype(float)}).groupby(
        groups, observed=False
    )
    table = grouped.mean().assign(customers=grouped.size())
    return table[["customers", "predicted", "observed"]].rename_axis(groups.name)


def _scores(customers: pd.DataFrame) -> pd.DataFrame:
    from sklearn.metrics import roc_auc_score

    oriented = {
        "churn_probability": customers["churn_probability"],
        "p_alive": 1 - customers["p_alive"],
        "recency_gap": customers["recency_gap"],
    }
    auc = [float(roc_auc_score(customers["stayed_away"], oriented[name])) for name in SCORES]
    return pd.DataFrame({"auc": auc}, index=pd.Index(SCORES, name="score"))


def _refit(summary: pd.DataFrame, model: str, horizon: float, dates: dict) -> PurchaseModel:
    """`model` fitted on `summary`, trying the penalizers in turn, with finite scores for every customer."""

    def attempt(penalizer: float) -> PurchaseModel:
        fitted = fit_purchases(summary, model, penalizer=penalizer)
        scores = pd.concat([fitted.p_no_purchase(horizon, summary), fitted.p_alive(summary)])
        if not np.isfinite(scores.to_numpy(dtype=float)).all():
            raise ModelError(t("error.lifetime.no_predictions", model=model))
        return fitted

    try:
        return _first_fit([lambda p=p: attempt(p) for p in PENALIZERS])
    except ModelError as err:
        raise ModelError(t("error.backtest.fit", model=model, reason=str(err), **dates)) from None


def _first_day(transactions: pd.DataFrame | Warehouse) -> str:
    """The first day with a customer's order, for the message of a history that starts after the cutoff."""
    if isinstance(transactions, Warehouse):
        first = transactions.query("SELECT min(ts) AS first FROM orders WHERE customer_id IS NOT NULL")["first"][0]
    else:
        first = transactions.loc[transactions["customer_id"].notna(), "ts"].min()
    return f"{pd.Timestamp(first):%Y-%m-%d}" if pd.notna(first) else "–"
