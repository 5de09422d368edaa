"""What a likelihood family is: its parameters, how they are kept positive in the optimiser, and its functions."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


def _not_given(*args, **kwargs) -> np.ndarray:
    raise NotImplementedError("this family makes no such prediction")


@dataclass(frozen=True)
class Family:
    """A model's parameter names and functions; `limit` is the family its boundary leads to, if any.

    `log_likelihood(theta, *data)` gives one value per pattern; `gradient(theta, *data)` gives those values and,
    computed alongside, one row per pattern of the derivatives by each parameter; `kinds` says how the optimiser
    reaches each parameter: "log" for a positive number, "logit" for a probability. `rates` are the parameters
    measured in time units (scaled with time).
    """

    name: str
    names: tuple[str, ...]
    log_likelihood: Callable[..., np.ndarray]
    gradient: Callable[..., np.ndarray] | None = None  # None: the optimiser differentiates numerically
    kinds: tuple[str, ...] = ()
    rates: tuple[str, ...] = ()
    p_alive: Callable[..., np.ndarray] = _not_given
    conditional_expected: Callable[..., np.ndarray] = _not_given  # (theta, t, x, t_x, T)
    expected: Callable[..., np.ndarray] = _not_given  # (theta, t): a new customer's repeat purchases in (0, t]
    p_no_purchase: Callable[..., np.ndarray] = _not_given  # (theta, t, x, t_x, T): no purchase in (T, T + t]
    limit: Family | None = None
    limit_note: str = ""  # which parameters run off to infinity in the limit

    @property
    def parameter_kinds(self) -> tuple[str, ...]:
        return self.kinds or ("log",) * len(self.names)

    def scaled(self, theta: np.ndarray, scale: float) -> np.ndarray:
        """Parameters for time multiplied by `scale` (rates scale with it, shapes and probabilities do not)."""
        return np.array([v * scale if n in self.rates else v for n, v in zip(self.names, theta)], dtype=float)


def stays_away(p_alive: np.ndarray, r: float, alpha: float, t, x, T) -> np.ndarray:
    """P(no purchase in (T, T + t]) in the BG/NBD family (a customer drops out only at a purchase, so one alive at T
    stays alive until the next): gone, or alive and the posterior purchase rate Gamma(r + x, alpha + T) brings no
    purchase, 1 - P(alive) + P(alive) ((alpha + T) / (alpha + T + t))^(r + x). Even where P(alive) is 1 (a
    common drop-out of 0, say) it falls with a long gap, through the posterior rate.

    >>> stays_away(np.array([1.0]), 0.5, 10.0, 13.0, np.array([1.0]), np.array([40.0])).round(3).tolist()
    [0.707]
    """
    return 1.0 - p_alive * (1.0 - ((alpha + T) / (alpha + T + t)) ** (r + x))


def no_purchase_from(p_alive: Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
    """A BG/NBD-family model's P(no purchase in (T, T + t]) from its P(alive) (see `stays_away`)."""

    def p_no_purchase(theta, t, x, t_x, T):
        r, alpha = theta[:2]
        return stays_away(p_alive(theta, x, t_x, T), r, alpha, t, x, T)

    return p_no_purchase
