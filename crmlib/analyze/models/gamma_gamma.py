"""The Gamma-Gamma model of spend per transaction (Fader & Hardie 2013, "The Gamma-Gamma model of monetary value").

A customer's transactions are Gamma(p, nu) with nu ~ Gamma(q, v) across customers; the data of a customer are the
number x of repeat transactions and their mean value m. Equation (1a) of the note, per customer.

>>> theta = np.array([6.25, 3.74, 15.44])
>>> round(float(conditional_expected_spend(theta, np.array([2.0]), np.array([22.35]))[0]), 1)
24.7
"""

from __future__ import annotations

import numpy as np
from scipy.special import digamma, gammaln

from crmlib.analyze.models.family import Family


def log_likelihood(theta, x, m):
    p, q, v = theta
    return (gammaln(p * x + q) - gammaln(p * x) - gammaln(q) + q * np.log(v) + (p * x - 1) * np.log(m)
            + p * x * np.log(x) - (p * x + q) * np.log(x * m + v))


def gradient(theta, x, m):
    p, q, v = theta
    d_p = x * (digamma(p * x + q) - digamma(p * x) + np.log(m) + np.log(x) - np.log(x * m + v))
    d_q = digamma(p * x + q) - digamma(q) + np.log(v) - np.log(x * m + v)
    d_v = q / v - (p * x + q) / (x * m + v)
    return np.column_stack([d_p, d_q, d_v])


def conditional_expected_spend(theta, x, m):
    """The customer's expected spend per transaction: their mean blended with the population's p v / (q - 1)."""
    p, q, v = theta
    weight = p * x / (p * x + q - 1)
    return weight * m + (1 - weight) * v * p / (q - 1)


FAMILY = Family("gamma_gamma", ("p", "q", "v"), log_likelihood, gradient)
