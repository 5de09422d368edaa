"""Purchase models of the buy-till-you-die family (BG/NBD, Pareto/NBD, MBG/NBD), fitted on an RFM summary.

lifetimes 0.11.3 does the maximum-likelihood fit, on numpy arrays only. Customers with the same (frequency,
recency, T) contribute the same likelihood term, so the fit runs on the unique patterns weighted by how many
customers share each one; predictions are computed once per pattern too. Like lifetimes' fit, predictions and the
log-likelihood are evaluated with time rescaled so that the oldest customer's T is 1: lifetimes' Pareto/NBD
formulas return NaN for some heavy buyers in raw days, and expected counts and probabilities do not depend on
the time unit (the log-likelihood is converted back to the summary's unit).

>>> from crmlib.collect import load_cdnow
>>> from crmlib.segment.summary import rfm_summary
>>> summary = rfm_summary(load_cdnow(), end="1997-09-30", freq="W")
>>> model = fit_purchases(summary, "bgnbd")
>>> model
PurchaseModel('bgnbd', r=0.2426, alpha=4.414, a=0.7929, b=2.426, log_likelihood=-9582.43, n_customers=2,357)
>>> round(model.expected_purchases(39, summary).loc["1"], 3)  # the BG/NBD paper's worked example
np.float64(1.226)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from lifetimes import BetaGeoFitter, ModifiedBetaGeoFitter, ParetoNBDFitter
from lifetimes.utils import ConvergenceError

from crmlib.errors import ModelError

PATTERN = ("frequency", "recency", "T")


def _bg_log_likelihood(fitter_class, params, frequency, recency, age, weights) -> float:
    """Total log-likelihood of the BG/NBD family: lifetimes returns the weighted mean of its negative."""
    mean = fitter_class._negative_log_likelihood(np.log(params), frequency, recency, age, weights, 0.0)
    return float(-mean * weights.sum())


def _pareto_log_likelihood(fitter_class, params, frequency, recency, age, weights) -> float:
    """Total log-likelihood of the Pareto/NBD: lifetimes returns the weighted sum of its negative / mean weight."""
    normalised = fitter_class._negative_log_likelihood(params, frequency, recency, age, weights, 0.0)
    return float(-normalised * weights.mean())


@dataclass(frozen=True)
class _Spec:
    """How one model is fitted with lifetimes, and how its total log-likelihood is read back."""

    fitter: type
    names: tuple[str, ...]
    rates: tuple[str, ...]  # the parameters measured in time units, rescaled with time
    log_likelihood: object
    fit_options: dict = field(default_factory=dict)
    penalizer_per_pattern: bool = False  # lifetimes divides the penalty by the mean weight (Pareto/NBD)

    def fitter_for(self, params: dict[str, float], scale: float):
        """A lifetimes fitter holding `params` for time multiplied by `scale`."""
        fitter = self.fitter()
        fitter.params_ = pd.Series([params[n] * (scale if n in self.rates else 1.0) for n in self.names],
                                   index=list(self.names))
        return fitter


MODELS = {
    "bgnbd": _Spec(BetaGeoFitter, ("r", "alpha", "a", "b"), ("alpha",), _bg_log_likelihood),
    # Nelder-Mead from lifetimes' expected start, without its unseeded random jitter, and to a tight tolerance.
    "pnbd": _Spec(ParetoNBDFitter, ("r", "alpha", "s", "beta"), ("alpha", "beta"), _pareto_log_likelihood,
                  {"initial_params": np.ones(4), "tol": 1e-9, "maxiter": 10_000}, penalizer_per_pattern=True),
    "mbgnbd": _Spec(ModifiedBetaGeoFitter, ("r", "alpha", "a", "b"), ("alpha",), _bg_log_likelihood),
}


def unique_rows(frame: pd.DataFrame, columns) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The distinct rows of `columns` (as a float array), how many rows share each, and each row's distinct row.

    >>> rows, counts, inverse = unique_rows(pd.DataFrame({"x": [1, 0, 1], "y": [2, 5, 2]}), ["x", "y"])
    >>> rows.tolist(), counts.tolist(), inverse.tolist()
    ([[0.0, 5.0], [1.0, 2.0]], [1, 2], [1, 0, 1])
    """
    values = frame[list(columns)].to_numpy(dtype=float)
    order = np.lexsort(values.T[::-1])  # by the first column, then the next ... (several times faster than np.unique)
    ordered = values[order]
    starts = np.ones(len(values), dtype=bool)
    starts[1:] = (ordered[1:] != ordered[:-1]).any(axis=1)
    inverse = np.empty(len(values), dtype=np.int64)
    inverse[order] = np.cumsum(starts) - 1
    counts = np.diff(np.append(np.flatnonzero(starts), len(values)))
    return ordered[starts], counts, inverse


def check_summary(summary: pd.DataFrame, columns=PATTERN) -> None:
    """Raise ModelError unless `summary` is an RFM summary with usable `columns`."""
    if not isinstance(summary, pd.DataFrame):
        raise ModelError(f"expected an RFM summary DataFrame, got {type(summary).__name__}; "
                         "build one with crmlib.segment.summary.rfm_summary")
    missing = [c for c in columns if c not in summary.columns]
    if missing:
        raise ModelError(f"the RFM summary lacks column(s) {', '.join(missing)}; "
                         "build it with crmlib.segment.summary.rfm_summary")
    values = summary[list(columns)]
    problems = {
        "missing or infinite values": ~np.isfinite(values.to_numpy(dtype=float)).all(axis=1),
        # monetary_value may be negative: a purchase day whose refunds exceed its sales
        "a negative count or time": (values.drop(columns="monetary_value", errors="ignore") < 0).any(axis=1).to_numpy(),
    }
    if "frequency" in columns:
        problems["a fractional frequency"] = (values["frequency"] % 1 != 0).to_numpy()
    if "recency" in columns and "T" in columns:
        problems["recency greater than T"] = (values["recency"] > values["T"]).to_numpy()
    for problem, rows in problems.items():
        if rows.any():
            example = summary.index[rows][0]
            raise ModelError(f"the RFM summary has {problem} for {rows.sum():,} customer(s), e.g. {example!r}; "
                             "build it with crmlib.segment.summary.rfm_summary")


@dataclass(frozen=True)
class PurchaseModel:
    """A fitted purchase model: its parameters under the papers' names, and per-customer predictions."""

    model: str
    params: dict[str, float]
    log_likelihood: float  # total over customers, in the summary's time unit
    n_customers: int
    fitter: object = field(default=None, repr=False, compare=False)  # lifetimes' fitted object, for inspection

    @classmethod
    def from_params(cls, model: str, params: dict[str, float]) -> PurchaseModel:
        """A model with given (e.g. published) parameters, for predictions without a fit.

        >>> paper = PurchaseModel.from_params("bgnbd", {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
        >>> summary = pd.DataFrame({"frequency": [2.0], "recency": [30.43], "T": [38.86]})
        >>> round(float(paper.expected_purchases(39, summary).iloc[0]), 3)
        1.226
        """
        spec = model_spec(model)
        if sorted(params) != sorted(spec.names):
            raise ModelError(f"{model} takes parameters {', '.join(spec.names)}, not {', '.join(params)}")
        return cls(model, {n: float(params[n]) for n in spec.names}, float("nan"), 0)

    def expected_purchases(self, t: float, summary: pd.DataFrame) -> pd.Series:
        """Conditional expected number of purchases in the next `t` time units (the summary's unit), per customer."""
        if not t >= 0:
            raise ModelError(f"the horizon t must be a time of 0 or more, not {t!r}")
        if t == 0:
            check_summary(summary)
            return pd.Series(0.0, index=summary.index, name="expected_purchases")
        return self._per_customer(
            lambda fitter, scale, *pattern: fitter.conditional_expected_number_of_purchases_up_to_time(t * scale,
                                                                                                     *pattern),
            summary, "expected_purchases")

    def expected_purchases_new_customer(self, t) -> np.ndarray:
        """Unconditional expected number of repeat purchases in a new customer's first `t` time units.

        Summed over customers at their own ages this gives the papers' aggregate tracking forecasts.
        """
        t = np.asarray(t, dtype=float)
        if not (t >= 0).all():
            raise ModelError("the times t must be 0 or more")
        scale = 1 / t.max() if t.size and t.max() > 0 else 1.0
        fitter = model_spec(self.model).fitter_for(self.params, scale)
        values = fitter.expected_number_of_purchases_up_to_time(np.where(t > 0, t, 1.0) * scale)
        return np.where(t > 0, values, 0.0)

    def p_alive(self, summary: pd.DataFrame) -> pd.Series:
        """Probability that each customer is still active ("alive") at the end of the summary."""
        return self._per_customer(lambda fitter, _, *pattern: fitter.conditional_probability_alive(*pattern),
                                  summary, "p_alive")

    def _per_customer(self, compute, summary: pd.DataFrame, name: str) -> pd.Series:
        """compute(fitter, scale, frequency, recency, T) once per distinct pattern, in time rescaled by `scale`."""
        check_summary(summary)
        patterns, _, inverse = unique_rows(summary, PATTERN)
        frequency, recency, age = patterns.T
        scale = 1 / age.max() if len(age) and age.max() > 0 else 1.0
        fitter = model_spec(self.model).fitter_for(self.params, scale)
        values = np.asarray(compute(fitter, scale, frequency, recency * scale, age * scale), dtype=float)
        return pd.Series(values.reshape(-1)[inverse], index=summary.index, name=name)

    def __repr__(self) -> str:
        params = ", ".join(f"{name}={value:.4g}" for name, value in self.params.items())
        return (f"PurchaseModel({self.model!r}, {params}, log_likelihood={self.log_likelihood:.2f}, "
                f"n_customers={self.n_customers:,})")


def model_spec(model: str) -> _Spec:
    """How `model` is fitted; ValueError naming the choices when it is not one of MODELS."""
    if model not in MODELS:
        raise ValueError(f"unknown purchase model {model!r}; choose one of {', '.join(map(repr, MODELS))}")
    return MODELS[model]


def fit_purchases(summary: pd.DataFrame, model: str = "bgnbd", penalizer: float = 0.0) -> PurchaseModel:
    """Fit a purchase model ("bgnbd", "pnbd" or "mbgnbd") by maximum likelihood on an RFM summary.

    `penalizer` is lifetimes' `penalizer_coef` (an L2 penalty on the parameters), with the meaning it has when
    lifetimes fits the customers one by one. The parameters come back under the papers' names and the
    log-likelihood is the total over customers.
    """
    spec = model_spec(model)
    check_summary(summary)
    if summary.empty:
        raise ModelError("cannot fit a purchase model on an empty RFM summary: there are no customers")
    patterns, weights, _ = unique_rows(summary, PATTERN)
    frequency, recency, age = patterns.T
    if not frequency.any():
        raise ModelError(f"cannot fit a purchase model: none of the {len(summary):,} customers made a repeat "
                         "purchase, so the data say nothing about purchase rates or drop-out; use a longer "
                         "calibration period")
    if spec.penalizer_per_pattern:
        penalizer = penalizer * len(weights) / weights.sum()
    fitter = spec.fitter(penalizer_coef=penalizer)
    try:
        fitter.fit(frequency.astype(int), recency, age, weights=weights, **spec.fit_options)
    except ConvergenceError as error:
        raise ModelError(f"the {model} fit did not converge on {len(summary):,} customers; "
                         "try a small penalizer such as penalizer=0.001") from error
    params = {name: float(fitter.params_[name]) for name in spec.names}
    log_likelihood = total_log_likelihood(model, params, frequency, recency, age, weights)
    return PurchaseModel(model, params, log_likelihood, int(weights.sum()), fitter)


def total_log_likelihood(model: str, params: dict[str, float], frequency, recency, age, weights) -> float:
    """The model's log-likelihood summed over customers (pattern rows times their weights), in the data's unit.

    Evaluated with the oldest customer's T rescaled to 1, as lifetimes fits; changing the time unit by a factor
    c changes each customer's log-likelihood by -frequency * log(c), which converts it back.
    """
    spec = model_spec(model)
    scale = 1 / age.max() if age.max() > 0 else 1.0
    values = np.array(list(spec.fitter_for(params, scale).params_), dtype=float)
    scaled = spec.log_likelihood(spec.fitter, values, frequency, recency * scale, age * scale, weights)
    return scaled + float((weights * frequency).sum() * np.log(scale))
