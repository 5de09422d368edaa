"""Purchase models of the buy-till-you-die family (BG/NBD, Pareto/NBD, MBG/NBD), fitted on an RFM summary.

crmlib maximises the likelihoods of `crmlib.analyze.models` itself: customers with the same (frequency, recency, T)
contribute the same term, so the fit runs on the distinct patterns weighted by how many customers share each one,
on the log scale of the parameters, from several starts, with analytic gradients (all three models), and checks
that the optimum it found is one. Time is rescaled for the computation so that the oldest customer's T is 1
(expected counts and probabilities do not depend on the unit; the log-likelihood is converted back).

When the BG/NBD or MBG/NBD likelihood keeps rising as a and b grow together, the data say every customer has the
same drop-out probability p = a / (a + b): the fit reports that limit (`common_dropout`), with a = b = inf, the
limit's log-likelihood (the supremum) and its predictions. A fit that finds no optimum raises a ModelError that
says why in words a manager can act on. lifetimes 0.11.3 stays the reference the tests compare against.

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

from crmlib.analyze.models import PURCHASE_FAMILIES, Family
from crmlib.analyze.models.mle import MLE, estimates, maximize
from crmlib.catalogue import t
from crmlib.errors import ModelError

t_ = t  # inside methods whose argument is named t (a horizon)

PATTERN = ("frequency", "recency", "T")
MODELS = tuple(PURCHASE_FAMILIES)
BOUNDARY_TOLERANCE = 1e-3  # an interior fit no higher than the limit plus this is the limit (log-likelihood)
HORIZON_BLOCK = 8  # horizons computed together by expected_purchases_summed: 8 arrays the size of the patterns
NEAR_BOUNDARY = 1e3  # a + b beyond this (or no optimum): the common drop-out limit is fitted too, to compare
RUN_OFF = 1e4  # a shape parameter (r, a, b, s) beyond this has run off: its heterogeneity is not estimated


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
        raise ModelError(t("error.model.not_a_summary", kind=type(summary).__name__))
    missing = [c for c in columns if c not in summary.columns]
    if missing:
        raise ModelError(t("error.model.summary_columns", columns=", ".join(missing)))
    values = summary[list(columns)]
    problems = {
        "missing": ~np.isfinite(values.to_numpy(dtype=float)).all(axis=1),
        # monetary_value may be negative: a purchase day whose refunds exceed its sales
        "negative": (values.drop(columns="monetary_value", errors="ignore") < 0).any(axis=1).to_numpy(),
    }
    if "frequency" in columns:
        problems["fractional"] = (values["frequency"] % 1 != 0).to_numpy()
    if "recency" in columns and "T" in columns:
        problems["recency"] = (values["recency"] > values["T"]).to_numpy()
    for problem, rows in problems.items():
        if rows.any():
            raise ModelError(
                t(
                    "error.model.summary",
                    problem=t(f"error.model.summary.{problem}"),
                    n=int(rows.sum()),
                    example=repr(summary.index[rows][0]),
                )
            )


def _time_scale(age: np.ndarray) -> float:
    """The factor that makes the oldest T equal to 1 (1 when there is no time at all)."""
    return 1 / age.max() if len(age) and age.max() > 0 else 1.0


@dataclass(frozen=True)
class PurchaseModel:
    """A fitted purchase model: its parameters under the papers' names, and per-customer predictions.

    `common_dropout` is set when the fit lies on its boundary, where every customer has this drop-out probability:
    a, b -> inf (BG/NBD, MBG/NBD; `params` holds a = b = inf), or s -> 0 (Pareto/NBD: nobody drops out, the NBD;
    s = 0, beta = inf, common_dropout 0). Predictions are those of the limit model.
    """

    model: str
    params: dict[str, float]
    log_likelihood: float  # total over customers, in the summary's time unit
    n_customers: int
    common_dropout: float | None = None
    n_patterns: int = 0  # distinct (frequency, recency, T) the fit ran on
    covariance: np.ndarray | None = field(default=None, compare=False, repr=False)  # of `theta`, from the Hessian
    runs_off: tuple[str, ...] = ()  # shape parameters at the top of their range: a fit not to be trusted

    def summary(self, level: float = 0.95) -> pd.DataFrame:
        """The parameters of `family` (the limit's at a boundary) with standard errors from the Hessian at the
        optimum and `level` intervals, as lifetimes' `summary`: coef, se, lower, upper.

        >>> from crmlib.collect import load_cdnow
        >>> from crmlib.segment.summary import rfm_summary
        >>> model = fit_purchases(rfm_summary(load_cdnow(), end="1997-09-30", freq="W"), "bgnbd")
        >>> model.summary().round(3)  # doctest: +NORMALIZE_WHITESPACE
                    coef     se  lower  upper
        parameter
        r          0.243  0.013  0.219  0.268
        alpha      4.414  0.378  3.731  5.221
        a          0.793  0.186  0.501  1.255
        b          2.426  0.705  1.372  4.289
        """
        return estimates(self.family.names, self.theta, self.covariance, self.family.parameter_kinds, level)

    @classmethod
    def from_params(cls, model: str, params: dict[str, float]) -> PurchaseModel:
        """A model with given (e.g. published) parameters, for predictions without a fit.

        >>> paper = PurchaseModel.from_params("bgnbd", {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
        >>> summary = pd.DataFrame({"frequency": [2.0], "recency": [30.43], "T": [38.86]})
        >>> round(float(paper.expected_purchases(39, summary).iloc[0]), 3)
        1.226
        """
        family = model_family(model)
        if sorted(params) != sorted(family.names):
            raise ModelError(
                t("error.model.params", model=model, names=", ".join(family.names), given=", ".join(params))
            )
        return cls(model, {n: float(params[n]) for n in family.names}, float("nan"), 0)

    @property
    def family(self) -> Family:
        """The likelihood family the predictions use (the limit family at the common-drop-out boundary)."""
        family = model_family(self.model)
        return family.limit if self.common_dropout is not None and family.limit else family

    @property
    def theta(self) -> np.ndarray:
        """The parameter vector of `family`, in the summary's time unit."""
        values = {**self.params, "p": self.common_dropout}
        return np.array([values[n] for n in self.family.names], dtype=float)

    def expected_purchases(self, t: float, summary: pd.DataFrame) -> pd.Series:
        """Conditional expected number of purchases in the next `t` time units (the summary's unit), per customer."""
        if not t >= 0:
            raise ModelError(t_("error.model.horizon", value=repr(t)))
        if t == 0:
            check_summary(summary)
            return pd.Series(0.0, index=summary.index, name="expected_purchases")
        return self._per_customer(
            lambda theta, scale, *pattern: self.family.conditional_expected(theta, t * scale, *pattern),
            summary,
            "expected_purchases",
        )

    def expected_purchases_summed(self, horizons, summary: pd.DataFrame) -> np.ndarray:
        """For each horizon t > 0 of `horizons`, the expected purchases in the next t summed over the customers of
        `summary`: every distinct history computed once, for a block of horizons at a time.

        >>> from crmlib.collect import load_cdnow
        >>> from crmlib.segment.summary import rfm_summary
        >>> summary = rfm_summary(load_cdnow(), end="1997-09-30", freq="W")
        >>> model = fit_purchases(summary, "bgnbd")
        >>> summed = model.expected_purchases_summed([13, 39], summary)
        >>> bool(np.allclose(summed, [model.expected_purchases(t, summary).sum() for t in (13, 39)], rtol=1e-12))
        True
        """
        horizons = np.asarray(horizons, dtype=float)
        if not (horizons > 0).all():
            raise ModelError(t_("error.model.horizon", value=repr(horizons.min())))
        theta, scale, pattern, counts, _ = self._patterns(summary)
        blocks = np.array_split(horizons, max(1, len(horizons) // HORIZON_BLOCK))
        with np.errstate(all="ignore"):
            values = [self.family.conditional_expected(theta, block[:, None] * scale, *pattern) for block in blocks]
        return np.concatenate([np.asarray(v, dtype=float) @ counts for v in values])

    def expected_purchases_by_horizon(self, horizons, summary: pd.DataFrame) -> np.ndarray:
        """Expected purchases of each customer (rows, in `summary`'s order) in the next t for each of `horizons`
        (columns, t >= 0): every distinct history computed once, for all horizons together.

        >>> paper = PurchaseModel.from_params("bgnbd", {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
        >>> summary = pd.DataFrame({"frequency": [2.0], "recency": [30.43], "T": [38.86]})
        >>> paper.expected_purchases_by_horizon([0, 39], summary).round(3).tolist()
        [[0.0, 1.226]]
        """
        horizons = np.asarray(horizons, dtype=float)
        if not (horizons >= 0).all():
            raise ModelError(t_("error.model.horizon", value=repr(horizons.min())))
        theta, scale, pattern, counts, inverse = self._patterns(summary)
        positive = np.where(horizons > 0, horizons, 1.0)[:, None] * scale
        with np.errstate(all="ignore"):
            values = self.family.conditional_expected(theta, positive, *pattern)
        values = np.where(horizons[:, None] > 0, np.broadcast_to(values, (len(horizons), len(counts))), 0.0)
        return values.T[inverse]

    def expected_purchases_new_customer(self, t) -> np.ndarray:
        """Unconditional expected number of repeat purchases in a new customer's first `t` time units.

        Summed over customers at their own ages this gives the papers' aggregate tracking forecasts.
        """
        t = np.asarray(t, dtype=float)
        if not (t >= 0).all():
            raise ModelError(t_("error.model.horizon", value=repr(t.min())))
        scale = _time_scale(t.reshape(-1))
        with np.errstate(all="ignore"):
            values = self.family.expected(self.family.scaled(self.theta, scale), np.where(t > 0, t, 1.0) * scale)
        return np.where(t > 0, values, 0.0)

    def p_no_purchase(self, t: float, summary: pd.DataFrame) -> pd.Series:
        """Probability that each customer makes no purchase in the next `t` time units (the summary's unit): gone,
        or alive and not buying in time. Defined under every model, the common drop-out limit included.

        >>> paper = PurchaseModel.from_params("bgnbd", {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
        >>> summary = pd.DataFrame({"frequency": [2.0, 0.0], "recency": [30.43, 0.0], "T": [38.86, 38.86]})
        >>> paper.p_no_purchase(13, summary).round(3).tolist()
        [0.677, 0.938]
        """
        if not t > 0:
            raise ModelError(t_("error.model.horizon", value=repr(t)))
        return self._per_customer(
            lambda theta, scale, *pattern: self.family.p_no_purchase(theta, t * scale, *pattern),
            summary,
            "p_no_purchase",
        )

    def p_alive(self, summary: pd.DataFrame) -> pd.Series:
        """Probability that each customer is still active ("alive") at the end of the summary."""
        return self._per_customer(lambda theta, _, *pattern: self.family.p_alive(theta, *pattern), summary, "p_alive")

    def _per_customer(self, compute, summary: pd.DataFrame, name: str) -> pd.Series:
        """compute(theta, scale, frequency, recency, T) once per distinct pattern, in time rescaled by `scale`."""
        theta, scale, pattern, _, inverse = self._patterns(summary)
        with np.errstate(all="ignore"):
            values = np.asarray(compute(theta, scale, *pattern), dtype=float)
        return pd.Series(values.reshape(-1)[inverse], index=summary.index, name=name)

    def _patterns(self, summary: pd.DataFrame):
        """The summary's distinct (frequency, recency, T) in time rescaled so the oldest T is 1, with the parameters
        for that time: theta, scale, (frequency, recency, T), how many customers share each, each customer's."""
        check_summary(summary)
        patterns, counts, inverse = unique_rows(summary, PATTERN)
        frequency, recency, age = patterns.T
        scale = _time_scale(age)
        return self.family.scaled(self.theta, scale), scale, (frequency, recency * scale, age * scale), counts, inverse

    def __repr__(self) -> str:
        params = ", ".join(f"{name}={value:.4g}" for name, value in self.params.items())
        if self.common_dropout is not None:
            params += f", p={self.common_dropout:.4g} (the same for every customer)"
        return (
            f"PurchaseModel({self.model!r}, {params}, log_likelihood={self.log_likelihood:.2f}, "
            f"n_customers={self.n_customers:,})"
        )


def model_family(model: str) -> Family:
    """The likelihood family of `model`; ValueError naming the choices when it is not one of MODELS."""
    if model not in PURCHASE_FAMILIES:
        raise ValueError(f"unknown purchase model {model!r}; choose one of {', '.join(map(repr, MODELS))}")
    return PURCHASE_FAMILIES[model]


def _starts(family: Family, frequency, age, weights) -> list[np.ndarray]:
    """Start points in rescaled time: lifetimes' all-ones, and two from the observed purchase rate."""
    rate = max(float(weights @ frequency) / float(weights @ age), 1e-3)
    guesses = {
        "r": (1.0, 0.5, 2.0),
        "alpha": (1.0, 0.5 / rate, 2.0 / rate),
        "a": (1.0, 0.8, 2.0),
        "b": (1.0, 2.5, 10.0),
        "s": (1.0, 0.5, 2.0),
        "beta": (1.0, 0.5, 4.0),
        "p": (0.5, 0.2, 0.05),
    }
    return [np.array([guesses[n][k] for n in family.names]) for k in range(3)]


_DIVERGENCE = {  # what a parameter running off says about the customers: the catalogue's words for a manager
    ("r", "up"): "same_rate",
    ("alpha", "up"): "same_rate",
    ("s", "up"): "same_lifetime",
    ("beta", "up"): "same_lifetime",
    ("a", "down"): "no_dropout",
    ("p", "down"): "no_dropout",
    ("s", "down"): "no_dropout",
}


def _no_optimum(model: str, fits: list[MLE], n: int, repeaters: int) -> ModelError:
    """Why no fit found an optimum, in words a manager can act on."""
    diverging = [d for fit in fits for d in fit.diverging]
    why = next((t(f"error.model.why.{_DIVERGENCE[d]}") for d in diverging if d in _DIVERGENCE), None)
    if why is None:
        why = (
            t("error.model.why.runs_off", names=", ".join(sorted({name for name, _ in diverging})))
            if diverging
            else t("error.model.why.no_maximum")
        )
    return ModelError(t("error.model.no_optimum", model=model, n=n, repeaters=repeaters, why=why))


def family_is_logit(family: Family) -> np.ndarray:
    """Which parameters are probabilities (no random spread for them)."""
    return np.array([kind == "logit" for kind in family.parameter_kinds])


def _in_unit(fit: MLE, family: Family, scale: float) -> np.ndarray | None:
    """The fit's covariance in the summary's time unit (rates are divided by `scale`)."""
    if fit.covariance is None:
        return None
    factor = np.array([1 / scale if name in family.rates else 1.0 for name in family.names])
    return fit.covariance * np.outer(factor, factor)


def fit_purchases(summary: pd.DataFrame, model: str = "bgnbd", penalizer: float = 0.0) -> PurchaseModel:
    """Fit a purchase model ("bgnbd", "pnbd" or "mbgnbd") by maximum likelihood on an RFM summary.

    `penalizer` adds penalizer * sum(parameters^2) (parameters in the rescaled time) to the mean negative
    log-likelihood per customer, as lifetimes' BetaGeoFitter does. The parameters come back under the papers'
    names; the log-likelihood is the total over customers, without the penalty.
    """
    family = model_family(model)
    check_summary(summary)
    if summary.empty:
        raise ModelError(t("error.model.empty"))
    patterns, counts, _ = unique_rows(summary, PATTERN)
    frequency, recency, age = patterns.T
    weights = counts.astype(float)
    if not frequency.any():
        raise ModelError(t("error.model.no_repeat", n=len(summary)))
    scale = _time_scale(age)
    data = (frequency, recency * scale, age * scale)
    starts = _starts(family, frequency, data[2], weights)
    fit = maximize(family, data, weights, starts, penalizer)
    if not fit.converged:  # more starts before giving up: around the first ones, seeded
        rng = np.random.default_rng(0)
        spread = [start * np.exp(rng.uniform(-2, 2, len(start))) for start in starts + starts[1:]]
        wider = maximize(family, data, weights, [np.where(family_is_logit(family), 0.5, s) for s in spread], penalizer)
        fit = max(fit, wider, key=lambda f: (f.converged, f.log_likelihood))
    values = dict(zip(family.names, fit.theta))
    near = not fit.converged or values.get("a", 0.0) + values.get("b", 0.0) > NEAR_BOUNDARY
    limit = (
        family.limit
        and near
        and maximize(family.limit, data, weights, _starts(family.limit, frequency, data[2], weights), penalizer)
    )
    unit_shift = float(weights @ frequency) * np.log(scale)  # log-likelihood in the summary's unit
    n, repeaters = int(weights.sum()), int(weights[frequency > 0].sum())
    interior_best = fit.converged and (not limit or fit.log_likelihood > limit.log_likelihood + BOUNDARY_TOLERANCE)
    if interior_best:
        theta = fit.theta / np.array([scale if name in family.rates else 1.0 for name in family.names])
        return PurchaseModel(
            model,
            dict(zip(family.names, map(float, theta))),
            fit.log_likelihood + unit_shift,
            n,
            n_patterns=len(weights),
            covariance=_in_unit(fit, family, scale),
            runs_off=tuple(name for name, v in zip(family.names, theta) if name not in family.rates and v > RUN_OFF),
        )
    # p running to 0 is still the supremum: nobody has visibly dropped out yet (a short history), p ~ 0 for all
    # ... unless the full model rises above it elsewhere (Pareto/NBD's s, beta -> inf: one drop-out rate for all)
    above = fit.log_likelihood - max(BOUNDARY_TOLERANCE, 1e-6 * abs(fit.log_likelihood))
    if (
        limit
        and family.limit
        and (limit.converged or limit.diverging == (("p", "down"),))
        and limit.log_likelihood >= above
    ):
        r, alpha, *p = limit.theta  # the Pareto/NBD's limit, the NBD, has no p: drop-out 0
        params = {name: 0.0 if name == "s" else float("inf") for name in family.names}
        params.update(r=float(r), alpha=float(alpha / scale))
        dropout = float(p[0]) if p else 0.0
        covariance = _in_unit(limit, family.limit, scale)
        return PurchaseModel(model, params, limit.log_likelihood + unit_shift, n, dropout, len(weights), covariance)
    raise _no_optimum(model, [fit, limit] if limit else [fit], n, repeaters)


def total_log_likelihood(
    model: str, params: dict[str, float], frequency, recency, age, weights, common_dropout: float | None = None
) -> float:
    """The model's log-likelihood summed over customers (pattern rows times their weights), in the data's unit.

    >>> round(total_log_likelihood("bgnbd", {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426},
    ...                            np.array([2.0]), np.array([30.43]), np.array([38.86]), np.array([1.0])), 4)
    -9.4586
    """
    family = model_family(model)
    if common_dropout is not None:
        assert family.limit is not None, f"{model} has no common drop-out limit"
        family, params = family.limit, {**params, "p": common_dropout}
    theta = np.array([params[n] for n in family.names], dtype=float)
    with np.errstate(all="ignore"):
        values = family.log_likelihood(
            theta, np.asarray(frequency, float), np.asarray(recency, float), np.asarray(age, float)
        )
    return float(np.asarray(weights, float) @ values)
