"""MBG/NBD (Batislam, Denizel & Filiztekin 2007): BG/NBD where a customer may also drop out right after the first
purchase, so an old one-time buyer is probably gone. Same parameters (r, alpha, a, b) and the same common-drop-out
limit as BG/NBD (a, b -> infinity, a / (a + b) = p). Formulas as in lifetimes' ModifiedBetaGeoFitter.

>>> theta = np.array([0.5, 5.0, 0.8, 2.5])
>>> x, t_x, T = np.array([0.0, 0.0]), np.array([0.0, 0.0]), np.array([5.0, 50.0])
>>> p_alive(theta, x, t_x, T).round(3).tolist()  # one purchase, 5 or 50 weeks ago
[0.688, 0.485]
"""

from __future__ import annotations

import numpy as np
from scipy.special import digamma, expit, hyp2f1

from crmlib.analyze.models.family import Family, no_purchase_from
from crmlib.analyze.models.special import by_count, log_rising


def _parts(r, alpha, x, t_x, T):
    a1 = by_count(lambda k: log_rising(r, k), x) + r * np.log(alpha)
    a3 = -(r + x) * np.log(alpha + T)
    spread = (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
    return a1, a3, spread


def log_likelihood(theta, x, t_x, T):
    r, alpha, a, b = theta
    a1, a3, spread = _parts(r, alpha, x, t_x, T)
    a2 = by_count(lambda k: log_rising(b, k + 1) - log_rising(a + b, k + 1), x)
    a4 = np.log(a) - np.log(b + x) + spread
    return a1 + a2 + a3 + np.logaddexp(a4, 0.0)


def gradient(theta, x, t_x, T):
    """The log-likelihood and its derivatives by r, alpha, a and b, per pattern."""
    r, alpha, a, b = theta
    a1, a3, spread = _parts(r, alpha, x, t_x, T)
    a4 = np.log(a) - np.log(b + x) + spread
    w4 = expit(a4)
    value = a1 + by_count(lambda k: log_rising(b, k + 1) - log_rising(a + b, k + 1), x) + a3 + np.logaddexp(a4, 0.0)
    d_r = (
        by_count(lambda k: digamma(r + k), x)
        - digamma(r)
        + np.log(alpha)
        - np.log(alpha + T)
        + w4 * (np.log(alpha + T) - np.log(alpha + t_x))
    )
    d_alpha = r / alpha - (r + x) / (alpha + T) + w4 * (r + x) * (1 / (alpha + T) - 1 / (alpha + t_x))
    d_ab = by_count(lambda k: digamma(a + b) - digamma(a + b + k + 1), x)
    d_a = d_ab + w4 / a
    d_b = d_ab + by_count(lambda k: digamma(b + k + 1) - digamma(b), x) - w4 / (b + x)
    return value, np.column_stack([d_r, d_alpha, d_a, d_b])


def p_alive(theta, x, t_x, T):
    r, alpha, a, b = theta
    return 1.0 / (1.0 + a / (b + x) * ((alpha + T) / (alpha + t_x)) ** (r + x))


def conditional_expected(theta, t, x, t_x, T):
    r, alpha, a, b = theta
    hyp = hyp2f1(r + x, b + x + 1, a + b + x, t / (alpha + T + t))
    return (a + b + x) / (a - 1) * (1 - hyp * ((alpha + T) / (alpha + t + T)) ** (r + x)) * p_alive(theta, x, t_x, T)


def expected(theta, t):
    r, alpha, a, b = theta
    return b / (a - 1) * (1 - hyp2f1(r, b + 1, a + b, t / (alpha + t)) * (alpha / (alpha + t)) ** r)


# --- the limit a, b -> infinity with a / (a + b) = p ---------------------------------------------------------


def common_log_likelihood(theta, x, t_x, T):
    r, alpha, p = theta
    a1, a3, spread = _parts(r, alpha, x, t_x, T)
    return a1 + (x + 1) * np.log1p(-p) + a3 + np.logaddexp(np.log(p) - np.log1p(-p) + spread, 0.0)


def common_gradient(theta, x, t_x, T):
    r, alpha, p = theta
    a1, a3, spread = _parts(r, alpha, x, t_x, T)
    a4 = np.log(p) - np.log1p(-p) + spread
    w4 = expit(a4)
    value = a1 + (x + 1) * np.log1p(-p) + a3 + np.logaddexp(a4, 0.0)
    d_r = (
        by_count(lambda k: digamma(r + k), x)
        - digamma(r)
        + np.log(alpha)
        - np.log(alpha + T)
        + w4 * (np.log(alpha + T) - np.log(alpha + t_x))
    )
    d_alpha = r / alpha - (r + x) / (alpha + T) + w4 * (r + x) * (1 / (alpha + T) - 1 / (alpha + t_x))
    d_p = -(x + 1) / (1 - p) + w4 * (1 / p + 1 / (1 - p))
    return value, np.column_stack([d_r, d_alpha, d_p])


def common_p_alive(theta, x, t_x, T):
    r, alpha, p = theta
    return 1.0 / (1.0 + p / (1 - p) * ((alpha + T) / (alpha + t_x)) ** (r + x))


def common_conditional_expected(theta, t, x, t_x, T):
    r, alpha, p = theta
    return common_p_alive(theta, x, t_x, T) * (1 - ((alpha + T) / (alpha + T + p * t)) ** (r + x)) / p


p_no_purchase = no_purchase_from(p_alive)  # no purchase in (T, T + t] (see `family.stays_away`)
common_p_no_purchase = no_purchase_from(common_p_alive)


def common_expected(theta, t):
    r, alpha, p = theta
    return (1 - p) / p * (1 - (alpha / (alpha + p * t)) ** r)


COMMON = Family(
    "mbgnbd",
    ("r", "alpha", "p"),
    common_log_likelihood,
    common_gradient,
    ("log", "log", "logit"),
    ("alpha",),
    common_p_alive,
    common_conditional_expected,
    common_expected,
    p_no_purchase=common_p_no_purchase,
)
FAMILY = Family(
    "mbgnbd",
    ("r", "alpha", "a", "b"),
    log_likelihood,
    gradient,
    rates=("alpha",),
    p_alive=p_alive,
    conditional_expected=conditional_expected,
    expected=expected,
    p_no_purchase=p_no_purchase,
    limit=COMMON,
    limit_note="a, b",
)
