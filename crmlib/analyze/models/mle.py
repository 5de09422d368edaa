"""Maximum likelihood for any `Family`: weighted patterns, parameters on the log (or logit) scale, several starts,
L-BFGS with the family's analytic gradient, and a check that the optimum found is one.

>>> from crmlib.analyze.models import gamma_gamma
>>> rng = np.random.default_rng(1)
>>> x = rng.integers(1, 6, 400).astype(float)
>>> m = rng.gamma(6 * x, 1 / rng.gamma(4, 1 / 15, 400)) / x  # mean spend of x purchases, Gamma(6, nu) each
>>> fit = maximize(gamma_gamma.FAMILY, (x, m), np.ones(400), starts=[np.ones(3)])
>>> p, q, v = fit.theta
>>> fit.converged, fit.diverging, round(float(p * v / (q - 1)), 1)  # the mean spend per purchase: 6 * 15 / 3 = 30
(True, (), 30.1)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import expit, logit
from scipy.stats import norm as normal

from crmlib.analyze.models.family import Family

BOUND = 30.0  # |log parameter| (or |logit|) the optimiser may reach: e^30 is 1e13
EXTREME = 15.0  # beyond e^15 (3e6) or below e^-15, in time where the oldest customer's T is 1, a parameter diverges
GRADIENT_TOLERANCE = 1e-5  # largest derivative of the mean log-likelihood (per log parameter) at an optimum
STEP = 1e-6  # finite-difference step, on the log scale, for families without an analytic gradient


@dataclass(frozen=True)
class MLE:
    """The best of the starts: parameters, total (weighted) log-likelihood, and whether it is a true optimum."""

    theta: np.ndarray
    log_likelihood: float
    converged: bool  # the gradient vanishes at a point where no parameter diverges
    diverging: tuple[tuple[str, str], ...]  # (parameter, "up" or "down"): those running off to infinity or to 0
    gradient_norm: float
    covariance: np.ndarray | None = None  # of theta, from the Hessian at the optimum (NaN where it is not one)


def _to_theta(u: np.ndarray, kinds) -> np.ndarray:
    return np.array([np.exp(v) if k == "log" else expit(v) for v, k in zip(u, kinds)])


def _dtheta_du(theta: np.ndarray, kinds) -> np.ndarray:
    return np.array([t if k == "log" else t * (1 - t) for t, k in zip(theta, kinds)])


def _to_u(theta: np.ndarray, kinds) -> np.ndarray:
    return np.array([np.log(t) if k == "log" else logit(t) for t, k in zip(theta, kinds)])


def objective(family: Family, data, weights: np.ndarray, penalizer: float = 0.0):
    """f(u) = -(weighted mean log-likelihood) + penalizer * sum(theta^2), and its gradient in u."""
    kinds, total = family.parameter_kinds, weights.sum()

    def value(u):
        theta = _to_theta(u, kinds)
        with np.errstate(all="ignore"):
            ll = family.log_likelihood(theta, *data)
        mean = float(weights @ ll) / total
        return -mean + penalizer * float(theta @ theta) if np.isfinite(mean) else np.inf

    def value_and_gradient(u):
        theta = _to_theta(u, kinds)
        if family.gradient is None:
            f = value(u)
            if not np.isfinite(f):
                return np.inf, np.zeros_like(u)
            grad = np.array([(value(u + STEP * e) - value(u - STEP * e)) / (2 * STEP) for e in np.eye(len(u))])
            return f, grad
        with np.errstate(all="ignore"):
            ll, per_pattern = family.gradient(theta, *data)
            mean = float(weights @ ll) / total
            g = weights @ per_pattern / total
        if not np.isfinite(mean):
            return np.inf, np.zeros_like(u)
        grad = (-g + 2 * penalizer * theta) * _dtheta_du(theta, kinds)
        return -mean + penalizer * float(theta @ theta), np.where(np.isfinite(grad), grad, 0.0)

    return value, value_and_gradient


def maximize(family: Family, data, weights: np.ndarray, starts, penalizer: float = 0.0, agree: int = 2) -> MLE:
    """Maximise the weighted log-likelihood from the starts (parameter vectors) in turn, until `agree` of them have
    reached the same optimum (or all were tried); return the best optimum found."""
    kinds = family.parameter_kinds
    _, value_and_gradient = objective(family, data, weights, penalizer)
    best, reached = None, []
    for start in starts:
        u0 = np.clip(_to_u(np.asarray(start, dtype=float), kinds), -BOUND + 1, BOUND - 1)
        result = minimize(
            value_and_gradient,
            u0,
            jac=True,
            method="L-BFGS-B",
            bounds=[(-BOUND, BOUND)] * len(u0),
            options={"maxiter": 5000, "ftol": 1e-15, "gtol": 1e-10, "maxcor": 20},
        )
        if not np.isfinite(result.fun):
            continue
        if best is None or result.fun < best.fun:
            best = result
        if np.max(np.abs(result.x)) < EXTREME:
            reached.append(result.fun)
        if sum(abs(f - best.fun) <= 1e-9 * max(1.0, abs(best.fun)) for f in reached) >= agree:
            break
    if best is None:
        return MLE(np.asarray(starts[0], dtype=float), -np.inf, False, (), np.inf)
    u = best.x
    _, grad = value_and_gradient(u)
    edge = np.abs(u) > BOUND - 1
    norm = float(np.max(np.abs(grad[~edge]))) if (~edge).any() else 0.0
    theta = _to_theta(u, kinds)
    log_likelihood = -(best.fun - penalizer * float(theta @ theta)) * weights.sum()
    diverging = tuple((n, "up" if v > 0 else "down") for n, v in zip(family.names, u) if abs(v) > EXTREME)
    converged = bool(norm < GRADIENT_TOLERANCE and not diverging)
    covariance = _covariance(value_and_gradient, u, kinds, weights.sum()) if converged else None
    return MLE(theta, float(log_likelihood), converged, diverging, norm, covariance)


def _covariance(value_and_gradient, u: np.ndarray, kinds, n: float) -> np.ndarray:
    """The covariance of theta: the inverse of the observed information (the Hessian of the total negative
    log-likelihood, by central differences of the analytic gradient) on the optimiser's scale, carried to theta by
    the delta method. NaN when the Hessian is not positive definite (no proper optimum)."""
    step = 1e-5
    gradient = lambda at: value_and_gradient(at)[1]
    hessian = np.array([(gradient(u + step * e) - gradient(u - step * e)) / (2 * step) for e in np.eye(len(u))])
    information = n * (hessian + hessian.T) / 2
    try:
        np.linalg.cholesky(information)
    except np.linalg.LinAlgError:
        return np.full((len(u), len(u)), np.nan)
    jacobian = _dtheta_du(_to_theta(u, kinds), kinds)
    return np.linalg.inv(information) * np.outer(jacobian, jacobian)


def estimates(names, theta: np.ndarray, covariance: np.ndarray | None, kinds, level: float = 0.95) -> pd.DataFrame:
    """One row per parameter: coef, se (standard error), lower and upper (the `level` interval, symmetric on the
    optimiser's scale, so a positive parameter's interval stays positive), as lifetimes' `summary` has them.

    >>> estimates(["r"], np.array([2.0]), np.array([[0.04]]), ["log"]).round(3).to_dict("records")
    [{'coef': 2.0, 'se': 0.2, 'lower': 1.644, 'upper': 2.433}]
    """
    theta = np.asarray(theta, dtype=float)
    variance = np.diag(covariance) if covariance is not None else np.full(len(theta), np.nan)
    se = np.sqrt(variance)
    z = float(normal.ppf(0.5 + level / 2))
    jacobian = _dtheta_du(theta, kinds)
    u, se_u = _to_u(theta, kinds), se / jacobian
    lower, upper = _to_theta(u - z * se_u, kinds), _to_theta(u + z * se_u, kinds)
    index = pd.Index(names, name="parameter")
    return pd.DataFrame({"coef": theta, "se": se, "lower": lower, "upper": upper}, index=index)


def draws(theta: np.ndarray, covariance: np.ndarray | None, kinds, n: int, rng: np.random.Generator) -> np.ndarray:
    """`n` parameter vectors (rows) drawn from the fit's approximate distribution: normal on the optimiser's scale
    (log, logit) with the covariance carried there by the delta method, so every draw is a valid parameter; `theta`
    itself `n` times when there is no covariance (a fit without standard errors is taken as it is).

    >>> rows = draws(np.array([2.0]), np.array([[0.04]]), ["log"], 4000, np.random.default_rng(0))
    >>> bool((rows > 0).all()), round(float(np.log(rows).std()), 2)  # se 0.2 at 2: 0.1 on the log scale
    (True, 0.1)
    """
    theta = np.asarray(theta, dtype=float)
    if covariance is None or not np.isfinite(covariance).all():
        return np.tile(theta, (n, 1))
    jacobian = _dtheta_du(theta, kinds)
    covariance_u = covariance / np.outer(jacobian, jacobian)
    u = rng.multivariate_normal(_to_u(theta, kinds), covariance_u, size=n, method="cholesky")
    return np.array([_to_theta(row, kinds) for row in u])
