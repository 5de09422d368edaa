"""Pareto/NBD (Schmittlein, Morrison & Colombo 1987), as derived in Fader & Hardie's 2005 note "Deriving an
expression for P(X(t) = x) under the Pareto/NBD model" (equations 18-20 and 41).

While alive a customer buys at rate lambda ~ Gamma(r, alpha) and dies at rate mu ~ Gamma(s, beta), at any time.
The likelihood's integral term (the customer died between t_x and T) is a Gauss hypergeometric function, which
`log_likelihood` evaluates with scipy's hyp2f1. `gradient` computes the same integral, and its derivatives by the
parameters, by quadrature of one integrand (see `_death_integral`), so its values and derivatives agree. When
nobody visibly drops out the likelihood rises as s -> 0: its supremum is the NBD (`NO_DROPOUT`), drop-out 0 for all.

>>> theta = np.array([0.553, 10.578, 0.606, 11.669])  # the CDNOW estimates, in weeks
>>> x, t_x, T = np.array([0.0, 2.0, 5.0]), np.array([0.0, 30.43, 38.86]), np.array([38.86, 38.86, 38.86])
>>> float(log_likelihood(theta, x, t_x, T)[0]).__round__(4)
-0.521
>>> values, derivatives = gradient(theta, x, t_x, T)
>>> bool(np.allclose(values, log_likelihood(theta, x, t_x, T), rtol=1e-12)), derivatives.shape
(True, (3, 4))
"""

from __future__ import annotations

import numpy as np
from scipy.special import digamma, hyp2f1, logsumexp

from crmlib.analyze.models.family import Family
from crmlib.analyze.models.special import by_count, log_rising, tanh_sinh

_RULE = tanh_sinh(41, 0.16)  # 1e-10 relative or better on the death integral, against hyp2f1 (see the tests)
_BLOCK = 8192  # patterns per block: the quadrature holds a few arrays of block x nodes
_TINY = -700.0  # exponents below: e^-700 (1e-304) for 0, without subnormal numbers (slow arithmetic)


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


def _death_integral(theta, x, t_x, T):
    """ln I, I = Int_{t_x}^T (alpha + tau)^-(r + x) (beta + tau)^-(s + 1) dtau (s I is the death term of equation
    (18) without its leading factor), and the means over tau, weighted by the integrand, of ln(alpha + tau),
    1 / (alpha + tau), ln(beta + tau), 1 / (beta + tau): the derivatives of ln I by r, alpha, s, beta are minus
    these means times 1, r + x, 1, s + 1.

    With M the larger of alpha and beta, m the other and k the power of (m + tau), substitute
    v = ((M + t_x) / (M + tau))^n, n = r + s + x: the power of (M + tau) becomes flat and
    I = (M + t_x)^-n / n Int_{v_T}^1 (1 - z v^(1/n))^-k dv, z = (M - m) / (M + t_x) (Euler's integral of 2F1).
    The rest can still be steep at v = 1 or singular at v = 0 (large x), which the tanh-sinh rule absorbs.
    t_x = T gives ln I = -inf (and means 0).
    """
    r, alpha, s, beta = theta
    y, rest, weights = _RULE
    low = y < 0.5  # nodes measured from v_T, the others from 1, so that each is exact near its end
    swap = alpha < beta  # M = beta: k = r + x
    big, small = (beta, alpha) if swap else (alpha, beta)
    k = r + x if swap else np.full_like(x, s + 1.0)
    n = r + s + x
    q = big + t_x
    z = (big - small) / q
    ln_v_T = n * np.log(q / (big + T))
    span = -np.expm1(ln_v_T)  # 1 - v_T
    ln_v = np.concatenate(
        [
            np.log(np.exp(np.maximum(ln_v_T, _TINY))[:, None] + span[:, None] * y[low]),
            np.log1p(-span[:, None] * rest[~low]),
        ],
        axis=1,
    )
    ln_t = ln_v / n[:, None]  # t = (M + t_x) / (M + tau)
    t = np.exp(ln_t)
    ln_ratio = np.log1p(-z[:, None] * t)  # ln((m + tau) / (M + tau))
    log_terms = -k[:, None] * ln_ratio + np.log(weights[np.r_[np.flatnonzero(low), np.flatnonzero(~low)]])
    top = log_terms.max(axis=1, keepdims=True)
    share = np.exp(np.maximum(log_terms - top, _TINY))
    total = share.sum(axis=1)
    share /= total[:, None]
    with np.errstate(divide="ignore"):
        ln_integral = -n * np.log(q) - np.log(n) + np.log(span) + top[:, 0] + np.log(total)
    ln_q = np.log(q)
    mean_ln_t = np.einsum("ij,ij->i", share, ln_t)
    ln_big = ln_q - mean_ln_t
    inv_big = np.einsum("ij,ij->i", share, t) / q
    ln_small = ln_big + np.einsum("ij,ij->i", share, ln_ratio)
    inv_small = np.einsum("ij,ij->i", share, t / (1 - z[:, None] * t)) / q
    means = (ln_small, inv_small, ln_big, inv_big) if swap else (ln_big, inv_big, ln_small, inv_small)
    dead = span == 0
    return ln_integral, [np.where(dead, 0.0, m) for m in means]


def gradient(theta, x, t_x, T):
    """Equation (18) and its derivatives by r, alpha, s and beta, per pattern: (values, one row of four per pattern).

    The death term's integral comes from `_death_integral`, by quadrature (its value agrees with hyp2f1's to about
    1e-10 relative), in blocks of patterns to bound the memory.
    """
    r, alpha, s, beta = theta
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    ln_integral, means = np.empty(len(x)), np.empty((4, len(x)))
    for start in range(0, len(x), _BLOCK):
        block = slice(start, start + _BLOCK)
        ln_integral[block], means[:, block] = _death_integral(theta, x[block], t_x[block], T[block])
    alive = _alive_term(theta, x, T)
    dead = np.log(s) + ln_integral
    both = np.logaddexp(alive, dead)
    w_dead = np.exp(dead - both)
    w_alive = 1.0 - w_dead
    ln_alpha_tau, inv_alpha_tau, ln_beta_tau, inv_beta_tau = means
    value = _a1(theta, x) + both
    d_r = (
        by_count(lambda k: digamma(r + k), x)
        - digamma(r)
        + np.log(alpha)
        - w_alive * np.log(alpha + T)
        - w_dead * ln_alpha_tau
    )
    d_alpha = r / alpha - (r + x) * (w_alive / (alpha + T) + w_dead * inv_alpha_tau)
    d_s = np.log(beta) - w_alive * np.log(beta + T) + w_dead * (1 / s - ln_beta_tau)
    d_beta = s / beta - w_alive * s / (beta + T) - w_dead * (s + 1) * inv_beta_tau
    return value, np.column_stack([d_r, d_alpha, d_s, d_beta])


def p_alive(theta, x, t_x, T):
    """The share of the likelihood in which the customer is still alive at T."""
    return np.exp(_a1(theta, x) + _alive_term(theta, x, T) - log_likelihood(theta, x, t_x, T))


def conditional_expected(theta, t, x, t_x, T):
    """Equation (41)."""
    r, alpha, s, beta = theta
    growth = (1 - ((beta + T) / (beta + T + t)) ** (s - 1)) / (s - 1) if s != 1 else np.log1p(t / (beta + T))
    return p_alive(theta, x, t_x, T) * (r + x) * (beta + T) / (alpha + T) * growth


_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(32)  # Gauss-Legendre on [-1, 1]


def p_no_purchase(theta, t, x, t_x, T):
    """No purchase in (T, T + t]: 1 - P(alive) * P(a purchase comes before death and before T + t), the latter
    the integral over u in (0, t] of E[lambda e^(-lambda u)] E[e^(-mu u)] under the posterior rates
    lambda ~ Gamma(r + x, alpha + T), mu ~ Gamma(s, beta + T):
    (r + x) / (alpha + T) ((alpha + T) / (alpha + T + u))^(r + x + 1) ((beta + T) / (beta + T + u))^s
    (Gauss-Legendre, 32 nodes: the integrand is smooth and monotone).

    >>> theta = np.array([0.55, 10.58, 0.61, 11.67])  # the CDNOW fit, weeks
    >>> p_no_purchase(theta, 1e-9, np.array([2.0]), np.array([30.4]), np.array([38.9])).round(6).tolist()
    [1.0]
    """
    r, alpha, s, beta = theta
    t, x, T = np.broadcast_arrays(np.asarray(t, float), np.asarray(x, float), np.asarray(T, float))
    u = (np.asarray(t)[..., None] / 2.0) * (_NODES + 1.0)
    a, b, rx = (alpha + T)[..., None], (beta + T)[..., None], (r + x)[..., None]
    density = rx / a * (a / (a + u)) ** (rx + 1.0) * (b / (b + u)) ** s
    purchase = (density @ _WEIGHTS) * t / 2.0
    return 1.0 - p_alive(theta, x, t_x, T) * purchase


def expected(theta, t):
    r, alpha, s, beta = theta
    if s == 1:
        return r * beta / alpha * np.log1p(t / beta)
    return r * beta / (alpha * (s - 1)) * (1 - (beta / (beta + t)) ** (s - 1))


# --- the limit s -> 0 (or beta -> infinity): nobody drops out, the NBD -----------------------------------------


def nbd_log_likelihood(theta, x, t_x, T):
    """The NBD: Gamma(r + x) alpha^r / (Gamma(r) (alpha + T)^(r + x)), the Pareto/NBD's as s -> 0."""
    r, alpha = theta
    return log_rising(r, x) + r * np.log(alpha) - (r + x) * np.log(alpha + T)


def nbd_gradient(theta, x, t_x, T):
    r, alpha = theta
    d_r = by_count(lambda k: digamma(r + k), x) - digamma(r) + np.log(alpha) - np.log(alpha + T)
    d_alpha = r / alpha - (r + x) / (alpha + T)
    return nbd_log_likelihood(theta, x, t_x, T), np.column_stack([d_r, d_alpha])


def nbd_p_alive(theta, x, t_x, T):
    return np.ones(np.broadcast(x, T).shape)


def nbd_conditional_expected(theta, t, x, t_x, T):
    r, alpha = theta
    return (r + x) / (alpha + T) * t


def nbd_p_no_purchase(theta, t, x, t_x, T):
    r, alpha = theta
    return ((alpha + T) / (alpha + T + t)) ** (r + x)


def nbd_expected(theta, t):
    r, alpha = theta
    return r / alpha * t


NO_DROPOUT = Family(
    "pnbd",
    ("r", "alpha"),
    nbd_log_likelihood,
    nbd_gradient,
    rates=("alpha",),
    p_alive=nbd_p_alive,
    conditional_expected=nbd_conditional_expected,
    expected=nbd_expected,
    p_no_purchase=nbd_p_no_purchase,
)
FAMILY = Family(
    "pnbd",
    ("r", "alpha", "s", "beta"),
    log_likelihood,
    gradient,
    rates=("alpha", "beta"),
    p_alive=p_alive,
    conditional_expected=conditional_expected,
    expected=expected,
    p_no_purchase=p_no_purchase,
    limit=NO_DROPOUT,
    limit_note="s",
)
