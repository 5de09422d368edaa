"""Pareto/NBD (Schmittlein, Morrison & Colombo 1987), as derived in Fader & Hardie's 2005 note "Deriving an
expression for P(X(t) = x) under the Pareto/NBD model" (equations 18-20 and 41).

While alive a customer buys at rate lambda ~ Gamma(r, alpha) and dies at rate mu ~ Gamma(s, beta), at any time.
The likelihood's integral term is a Gauss hypergeometric function; its gradient is left to the optimiser's
finite differences.

>>> theta = np.array([0.553, 10.578, 0.606, 11.669])  # the CDNOW estimates, in weeks
>>> float(log_likelihood(theta, np.array([0.0]), np.array([0.0]), np.array([38.86]))[0]).__round__(4)
-0.521
"""

from __future__ import annotations

import numpy as np
from scipy.special import hyp2f1, logsumexp

from crmlib.analyze.models.family import Family
from crmlib.analyze.models.special import by_count, log_rising


def _log_a0(theta, x, t_x, T):
    """ln A_0 of equations (19) and (20): the integral over the moments the customer may have died."""
    r, alpha, s, beta = theta
    if alpha >= beta:
        low, high, second = beta, alpha, s + 1
    else:
        low, high, second = alpha, beta, r + x
    gap = high - low
    rsx = r + s + x
    p1, q1 = hyp2f1(rsx, second, rsx + 1, gap / (high + t_x)), high + t_x
    p2, q2 = hyp2f1(rsx, second, rsx + 1, gap / (high + T)), high + T
    sign = np.ones_like(p1)
    both = logsumexp([np.log(p1) + rsx * np.log(q2), np.log(p2) + rsx * np.log(q1)], axis=0, b=[sign, -sign])
    return both - rsx * np.log(q1 * q2)


def _alive_term(theta, x, T):
    r, alpha, s, beta = theta
    return -(r + x) * np.log(alpha + T) - s * np.log(beta + T)


def _a1(theta, x):
    r, alpha, s, beta = theta
    return by_count(lambda k: log_rising(r, k), x) + r * np.log(alpha) + s * np.log(beta)


def log_likelihood(theta, x, t_x, T):
    """Equation (18), per pattern."""
    r, alpha, s, beta = theta
    with np.errstate(divide="ignore", invalid="ignore"):  # t_x = T: the integral is 0, its log -inf
        a0 = np.where(t_x < T, _log_a0(theta, x, t_x, T), -np.inf)
    return _a1(theta, x) + np.logaddexp(_alive_term(theta, x, T), np.log(s) - np.log(r + s + x) + a0)


def p_alive(theta, x, t_x, T):
    """The share of the likelihood in which the customer is still alive at T."""
    return np.exp(_a1(theta, x) + _alive_term(theta, x, T) - log_likelihood(theta, x, t_x, T))


def conditional_expected(theta, t, x, t_x, T):
    """Equation (41)."""
    r, alpha, s, beta = theta
    growth = (1 - ((beta + T) / (beta + T + t)) ** (s - 1)) / (s - 1) if s != 1 else np.log1p(t / (beta + T))
    return p_alive(theta, x, t_x, T) * (r + x) * (beta + T) / (alpha + T) * growth


def expected(theta, t):
    r, alpha, s, beta = theta
    if s == 1:
        return r * beta / alpha * np.log1p(t / beta)
    return r * beta / (alpha * (s - 1)) * (1 - (beta / (beta + t)) ** (s - 1))


FAMILY = Family(
    "pnbd",
    ("r", "alpha", "s", "beta"),
    log_likelihood,
    None,
    rates=("alpha", "beta"),
    p_alive=p_alive,
    conditional_expected=conditional_expected,
    expected=expected,
)
