"""BG/NBD (Fader, Hardie & Lee 2005, "Counting your customers the easy way"), and its common-drop-out limit.

While alive a customer buys at rate lambda ~ Gamma(r, alpha); after each repeat purchase they drop out with
probability p ~ Beta(a, b). When the data say that everyone has the same p, the likelihood keeps rising as a and b
grow together (a / (a + b) fixed): its supremum is the limit model with one p for all, `COMMON`, fitted with
parameters (r, alpha, p). Equation numbers are the paper's.

>>> theta = np.array([0.243, 4.414, 0.793, 2.426])  # the paper's estimates, in weeks
>>> x, t_x, T = np.array([2.0]), np.array([30.43]), np.array([38.86])
>>> round(float(conditional_expected(theta, 39, x, t_x, T)[0]), 3)  # the paper's worked example
1.226
"""

from __future__ import annotations

import numpy as np
from scipy.special import digamma, hyp2f1

from crmlib.analyze.models.family import Family, no_purchase_from
from crmlib.analyze.models.special import by_count, log_rising


def _terms(r, alpha, x, t_x, T):
    """ln Gamma(r + x) alpha^r / Gamma(r), and the time terms -(r + x) ln(alpha + T) and -(r + x) ln(alpha + t_x)."""
    return (
        by_count(lambda k: log_rising(r, k), x) + r * np.log(alpha),
        -(r + x) * np.log(alpha + T),
        -(r + x) * np.log(alpha + t_x),
    )


def log_likelihood(theta, x, t_x, T):
    """Equation (6), per pattern."""
    r, alpha, a, b = theta
    a1, a3, tx_term = _terms(r, alpha, x, t_x, T)
    a2 = by_count(lambda k: log_rising(b, k) - log_rising(a + b, k), x)
    a4 = np.where(x > 0, np.log(a) - np.log(np.where(x > 0, b + x - 1, 1.0)) + tx_term, -np.inf)
    return a1 + a2 + np.logaddexp(a3, a4)


def gradient(theta, x, t_x, T):
    """Equation (6) and its derivatives by r, alpha, a and b, per pattern: (values, one row of four per pattern)."""
    r, alpha, a, b = theta
    a1, a3, tx_term = _terms(r, alpha, x, t_x, T)
    bx1 = np.where(x > 0, b + x - 1, 1.0)
    a4 = np.where(x > 0, np.log(a) - np.log(bx1) + tx_term, -np.inf)
    both = np.logaddexp(a3, a4)
    w4 = np.exp(a4 - both)
    w3 = 1.0 - w4
    value = a1 + by_count(lambda k: log_rising(b, k) - log_rising(a + b, k), x) + both
    d_r = (
        by_count(lambda k: digamma(r + k), x)
        - digamma(r)
        + np.log(alpha)
        - w3 * np.log(alpha + T)
        - w4 * np.log(alpha + t_x)
    )
    d_alpha = r / alpha - (r + x) * (w3 / (alpha + T) + w4 / (alpha + t_x))
    d_ab = by_count(lambda k: digamma(a + b) - digamma(a + b + k), x)
    d_a = d_ab + w4 / a
    d_b = d_ab + by_count(lambda k: digamma(b + k) - digamma(b), x) - w4 / bx1
    return value, np.column_stack([d_r, d_alpha, d_a, d_b])


def p_alive(theta, x, t_x, T):
    """Equation (A2) of the paper's technical note: 1 for a customer without a repeat purchase."""
    r, alpha, a, b = theta
    odds = np.where(x > 0, a / np.where(x > 0, b + x - 1, 1.0) * ((alpha + T) / (alpha + t_x)) ** (r + x), 0.0)
    return 1.0 / (1.0 + odds)


def conditional_expected(theta, t, x, t_x, T):
    """Equation (10): expected repeat purchases in (T, T + t] given the history."""
    r, alpha, a, b = theta
    hyp = hyp2f1(r + x, b + x, a + b + x - 1, t / (alpha + T + t))
    return (
        (a + b + x - 1) / (a - 1) * (1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp) * p_alive(theta, x, t_x, T)
    )


def expected(theta, t):
    """Equation (9): a new customer's expected repeat purchases in (0, t]."""
    r, alpha, a, b = theta
    return (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp2f1(r, b, a + b - 1, t / (alpha + t)))


# --- the limit a, b -> infinity with a / (a + b) = p: one drop-out probability for everyone -------------------


def common_log_likelihood(theta, x, t_x, T):
    """Equation (6) in the limit: (1 - p)^x / (alpha + T)^(r + x) + p (1 - p)^(x - 1) / (alpha + t_x)^(r + x)."""
    r, alpha, p = theta
    a1, a3, tx_term = _terms(r, alpha, x, t_x, T)
    a4 = np.where(x > 0, np.log(p) - np.log1p(-p) + tx_term, -np.inf)
    return a1 + x * np.log1p(-p) + np.logaddexp(a3, a4)


def common_gradient(theta, x, t_x, T):
    r, alpha, p = theta
    a1, a3, tx_term = _terms(r, alpha, x, t_x, T)
    a4 = np.where(x > 0, np.log(p) - np.log1p(-p) + tx_term, -np.inf)
    both = np.logaddexp(a3, a4)
    w4 = np.exp(a4 - both)
    w3 = 1.0 - w4
    value = a1 + x * np.log1p(-p) + both
    d_r = (
        by_count(lambda k: digamma(r + k), x)
        - digamma(r)
        + np.log(alpha)
        - w3 * np.log(alpha + T)
        - w4 * np.log(alpha + t_x)
    )
    d_alpha = r / alpha - (r + x) * (w3 / (alpha + T) + w4 / (alpha + t_x))
    d_p = -x / (1 - p) + w4 * (1 / p + 1 / (1 - p))
    return value, np.column_stack([d_r, d_alpha, d_p])


def common_p_alive(theta, x, t_x, T):
    r, alpha, p = theta
    odds = np.where(x > 0, p / (1 - p) * ((alpha + T) / (alpha + t_x)) ** (r + x), 0.0)
    return 1.0 / (1.0 + odds)


def common_conditional_expected(theta, t, x, t_x, T):
    """Equation (10) in the limit: P(alive) (1 - ((alpha + T) / (alpha + T + p t))^(r + x)) / p."""
    r, alpha, p = theta
    return common_p_alive(theta, x, t_x, T) * (1 - ((alpha + T) / (alpha + T + p * t)) ** (r + x)) / p


p_no_purchase = no_purchase_from(p_alive)  # no purchase in (T, T + t] (see `family.stays_away`)
common_p_no_purchase = no_purchase_from(common_p_alive)


def common_expected(theta, t):
    r, alpha, p = theta
    return (1 - (alpha / (alpha + p * t)) ** r) / p


COMMON = Family(
    "bgnbd",
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
    "bgnbd",
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
