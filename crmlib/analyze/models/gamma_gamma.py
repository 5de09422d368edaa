"""The Gamma-Gamma model of spend per transaction (Fader & Hardie 2013, "The Gamma-Gamma model of monetary value").

A customer's transactions are Gamma(p, nu) with nu ~ Gamma(q, v) across customers; the data of a customer are the
number x of repeat transactions and their mean value m. Equation (1a) of the note, per customer.

>>> theta = np.array([6.25, 3.74, 15.44])
>>> round(float(conditional_expected_spend(theta, np.array([2.0]), np.array([22.35]))[0]), 1)
24.7
"""

from __future__ import annotations

import numpy as np
from scipy.special import digamma, gammaln, xlogy

from crmlib.analyze.models.family import Family
from crmlib.analyze.models.special import by_count


def log_likelihood(theta, x, m):
    p, q, v = theta
    return (
        by_count(lambda k: gammaln(p * k + q) - gammaln(p * np.maximum(k, 1)) - gammaln(q) + xlogy(p * k, k), x)
        + q * np.log(v)
        + (p * x - 1) * np.log(m)
        - (p * x + q) * np.log(x * m + v)
    )


def gradient(theta, x, m):
    """The log-likelihood and its derivatives by p, q and v, per customer."""
    p, q, v = theta
    log_spend = np.log(x * m + v)
    d_p = x * (
        by_count(lambda k: digamma(p * k + q) - digamma(p * np.maximum(k, 1)) + np.log(np.maximum(k, 1)), x)
        + np.log(m)
        - log_spend
    )  # (the customers have x >= 1; the table's x = 0 entry is never read)
    d_q = by_count(lambda k: digamma(p * k + q) - digamma(q), x) + np.log(v) - log_spend
    d_v = q / v - (p * x + q) / (x * m + v)
    return log_likelihood(theta, x, m), np.column_stack([d_p, d_q, d_v])


def conditional_expected_spend(theta, x, m):
    """The customer's expected spend per transaction: their mean blended with the population's p v / (q - 1)."""
    p, q, v = theta
    weight = p * x / (p * x + q - 1)
    return weight * m + (1 - weight) * v * p / (q - 1)


FAMILY = Family("gamma_gamma", ("p", "q", "v"), log_likelihood, gradient)
