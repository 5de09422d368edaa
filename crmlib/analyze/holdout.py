"""Calibration/holdout validation of the purchase models: fit on one period, predict the next, compare.

Purchases in the holdout follow the RFM summary's rule (one transaction per customer and calendar day, refund-only
days not counted): the holdout transactions go through `rfm_summary` keyed by (day, customer), so each row of that
summary is one purchase day. Only the calibration customers are followed; customers whose first purchase falls in
the holdout are new customers, outside the models' predictions. crmlib owns the split: lifetimes'
`calibration_and_holdout_data` fails on pandas 3.

>>> from crmlib.collect import load_cdnow
>>> split = calibration_holdout(load_cdnow(), "1997-09-30", "1998-06-30", freq="W")
>>> split.loc["1"].to_dict()  # doctest: +NORMALIZE_WHITESPACE
{'frequency': 2.0, 'recency': 30.428571428571427, 'T': 38.857142857142854, 'monetary_value': 22.345,
 'frequency_holdout': 1.0, 'duration_holdout': 39.0}
>>> int(split["frequency_holdout"].sum())
1882
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from crmlib.analyze.purchases import (
    MODELS,
    ModelError,
    PurchaseModel,
    fit_purchases,
    model_family,
)
from crmlib.catalogue import t
from crmlib.collect.warehouse import Warehouse
from crmlib.periods import end_day
from crmlib.segment.summary import rfm_summary
from crmlib.units import DAYS_PER

ONE_DAY = pd.Timedelta(days=1)


def _window(calibration_end, holdout_end) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The last days of calibration and holdout (dates, or periods such as "1998-06" for their last day)."""
    calibration_end, holdout_end = end_day(calibration_end), end_day(holdout_end)
    if holdout_end <= calibration_end:
        raise ModelError(
            t("error.holdout.order", holdout=str(holdout_end.date()), calibration=str(calibration_end.date()))
        )
    return calibration_end, holdout_end


def holdout_purchase_days(transactions: pd.DataFrame | Warehouse, calibration_end, holdout_end) -> pd.DataFrame:
    """One row (customer_id, day) per purchase day after `calibration_end`, up to and including `holdout_end`."""
    calibration_end, holdout_end = _window(calibration_end, holdout_end)
    first_day, until = calibration_end + ONE_DAY, holdout_end + ONE_DAY
    if isinstance(transactions, Warehouse):  # only the holdout window's rows leave the warehouse
        transactions = transactions.query(
            "SELECT customer_id, ts, amount, kind FROM orders WHERE ts >= $since AND ts < $until "
            "AND customer_id IS NOT NULL",
            {"since": first_day.to_pydatetime(), "until": until.to_pydatetime()},
        )
    wall_time = transactions["ts"].dt.tz_localize(None) if transactions["ts"].dt.tz else transactions["ts"]
    window = transactions.loc[(wall_time >= first_day) & (wall_time < until) & transactions["customer_id"].notna()]
    day_and_customer = window["ts"].dt.strftime("%Y-%m-%d") + "|" + window["customer_id"].astype(str)
    columns = [c for c in ("ts", "amount", "kind") if c in window]
    days = rfm_summary(window[columns].assign(customer_id=day_and_customer), end=holdout_end, start=first_day).index
    return pd.DataFrame({"customer_id": days.str[11:], "day": pd.to_datetime(days.str[:10])})


def _with_holdout(summary: pd.DataFrame, purchase_days: pd.DataFrame, duration: float) -> pd.DataFrame:
    counts = purchase_days["customer_id"].value_counts()
    frequency = counts.reindex(summary.index, fill_value=0).astype(float)
    return summary.assign(frequency_holdout=frequency.to_numpy(), duration_holdout=duration)


def _split(transactions, calibration_end, holdout_end, freq: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    calibration_end, holdout_end = _window(calibration_end, holdout_end)
    summary = rfm_summary(transactions, end=calibration_end, freq=freq)
    purchase_days = holdout_purchase_days(transactions, calibration_end, holdout_end)
    purchase_days = purchase_days[purchase_days["customer_id"].isin(summary.index)]
    duration = (holdout_end - calibration_end).days / DAYS_PER[freq]
    return _with_holdout(summary, purchase_days, duration), purchase_days


def calibration_holdout(
    transactions: pd.DataFrame | Warehouse, calibration_end, holdout_end, freq: str = "D"
) -> pd.DataFrame:
    """The RFM summary up to `calibration_end`, plus each customer's purchase days in the holdout.

    Columns: frequency, recency, T, monetary_value (calibration), frequency_holdout (purchase days in
    (calibration_end, holdout_end]) and duration_holdout (the holdout's length in the unit `freq`).
    """
    return _split(transactions, calibration_end, holdout_end, freq)[0]


@dataclass(frozen=True)
class ModelCheck:
    """How one purchase model, fitted on the calibration period, predicted the holdout."""

    model: PurchaseModel
    predicted: pd.Series  # expected holdout purchases per customer
    mae: float  # per-customer mean absolute error
    rmse: float  # per-customer root mean squared error
    actual_total: float
    predicted_total: float
    tracking: pd.DataFrame  # per period since calibration end: date, cumulative actual and predicted purchases


FAR_BEYOND = 3.0  # a held-out total error this many times the best other model's (and over 20%) sets a model aside
FAR_FLOOR = 20.0  # percent: below this no error is far beyond


@dataclass(frozen=True)
class Validation:
    """The holdout checks of several purchase models, the split they used, and the model to choose.

    `failed` holds, per model that could not be fitted on the calibration months, why; the others are still
    compared. `set_aside` adds the fits not to be trusted: a shape parameter run off (`PurchaseModel.runs_off`),
    or a held-out total error far beyond the other models'. The choice is made among the rest."""

    checks: dict[str, ModelCheck]
    cal_holdout: pd.DataFrame
    failed: dict[str, str] = field(default_factory=dict)

    @property
    def set_aside(self) -> dict[str, str]:
        """Model -> why it is not chosen (in the catalogue's words), for every model not fitted or not trusted."""
        reasons = dict(self.failed)
        errors = {name: abs(check.predicted_total / check.actual_total - 1) * 100 if check.actual_total else np.nan
                  for name, check in self.checks.items()}  # fmt: skip
        for name, check in self.checks.items():
            others = [e for other, e in errors.items() if other != name and np.isfinite(e)]
            if check.model.runs_off:
                values = ", ".join(f"{p} = {check.model.params[p]:,.0f}" for p in check.model.runs_off)
                reasons[name] = t("holdout.runs_off", values=values)
            elif others and errors[name] > max(FAR_FLOOR, FAR_BEYOND * min(others)):
                reasons[name] = t("holdout.far_beyond", error=f"{errors[name]:.0f}", best=f"{min(others):.0f}")
        return reasons

    @property
    def chosen(self) -> str:
        """The model with the lowest per-customer MAE (ties broken by RMSE) among those not set aside (among all
        checked ones when every one is)."""
        trusted = [name for name in self.checks if name not in self.set_aside] or list(self.checks)
        return min(trusted, key=lambda name: (self.checks[name].mae, self.checks[name].rmse))

    @property
    def table(self) -> pd.DataFrame:
        """One row per model: log-likelihood, MAE, RMSE, actual and predicted holdout totals, total error in %."""
        table = pd.DataFrame(
            {
                name: {
                    "log_likelihood": check.model.log_likelihood,
                    "mae": check.mae,
                    "rmse": check.rmse,
                    "actual_total": check.actual_total,
                    "predicted_total": check.predicted_total,
                    "total_error_pct": 100 * (check.predicted_total / check.actual_total - 1)
                    if check.actual_total
                    else np.nan,
                }
                for name, check in self.checks.items()
            }
        ).T
        table.index.name = "model"
        return table

    @property
    def tracking(self) -> pd.DataFrame:
        """Cumulative holdout purchases per period: date, actual, and one predicted column per model."""
        first = next(iter(self.checks.values())).tracking
        return first[["date", "actual"]].assign(
            **{name: check.tracking["predicted"] for name, check in self.checks.items()}
        )


def _tracking(model: PurchaseModel, cal_holdout: pd.DataFrame, days_after: np.ndarray, calibration_end, freq):
    """Cumulative actual vs predicted holdout purchases at the end of each day or week of the holdout."""
    per = DAYS_PER[freq]
    duration = float(cal_holdout["duration_holdout"].iloc[0])
    t = np.minimum(np.arange(1, math.ceil(duration - 1e-9) + 1), duration)
    actual = np.searchsorted(np.sort(days_after), t * per + 1e-9, side="right")
    predicted = model.expected_purchases_summed(t, cal_holdout)
    dates = calibration_end + pd.to_timedelta(np.round(t * per), unit="D")
    return pd.DataFrame(
        {"date": dates, "actual": actual.astype(float), "predicted": predicted}, index=pd.Index(t, name="t")
    )


def _check(model: PurchaseModel, cal_holdout: pd.DataFrame, days_after: np.ndarray, calibration_end, freq):
    duration = float(cal_holdout["duration_holdout"].iloc[0])
    predicted = model.expected_purchases(duration, cal_holdout)
    errors = predicted - cal_holdout["frequency_holdout"]
    return ModelCheck(
        model,
        predicted,
        float(errors.abs().mean()),
        float(np.sqrt((errors**2).mean())),
        float(cal_holdout["frequency_holdout"].sum()),
        float(predicted.sum()),
        _tracking(model, cal_holdout, days_after, calibration_end, freq),
    )


def validate(
    transactions: pd.DataFrame | Warehouse,
    calibration_end,
    holdout_end,
    freq: str = "W",
    models=tuple(MODELS),
    penalizer: float | tuple[float, ...] = 0.0,
) -> Validation:
    """Fit each of `models` on the purchases up to `calibration_end` and check its predictions up to `holdout_end`.
    A model that cannot be fitted is recorded in `failed` (with `penalizer` several values, each is tried in
    turn); a ModelError only when none can.

    >>> from crmlib.collect import load_cdnow
    >>> validation = validate(load_cdnow(), "1997-09-30", "1998-06-30", models=("bgnbd", "pnbd"))
    >>> validation.chosen, int(validation.checks["bgnbd"].actual_total)
    ('pnbd', 1882)
    """
    models = tuple(models)
    if not models:
        raise ModelError(t("error.holdout.no_models"))
    for name in models:
        model_family(name)
    calibration_end, holdout_end = _window(calibration_end, holdout_end)
    cal_holdout, purchase_days = _split(transactions, calibration_end, holdout_end, freq)
    days_after = (purchase_days["day"] - calibration_end).dt.days.to_numpy()
    checks, failed = {}, {}
    for name in models:
        try:
            model = _fit(cal_holdout, name, penalizer)
        except ModelError as err:
            failed[name] = str(err)
        else:
            checks[name] = _check(model, cal_holdout, days_after, calibration_end, freq)
    if not checks:
        raise ModelError(next(iter(failed.values())))
    return Validation(checks, cal_holdout, failed)


def _fit(summary: pd.DataFrame, model: str, penalizers) -> PurchaseModel:
    """The fit with the first of `penalizers` (one number, or several to try in turn) that fits."""
    error = None
    for penalizer in np.atleast_1d(penalizers):
        try:
            return fit_purchases(summary, model, float(penalizer))
        except ModelError as err:
            error = err
    raise error or ModelError(t("error.holdout.no_models"))
