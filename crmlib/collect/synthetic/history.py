"""Customers' past events (purchases, carts, tickets) looked up at many moments at once."""

from __future__ import annotations

import numpy as np

from crmlib.collect.synthetic.world import NULL


class History:
    """Per-customer sorted times, answering 'how many (or how much) before t' for many customers at once.

    >>> h = History(np.array([0, 0, 1]), np.array([10, 20, 5]), horizon=100)
    >>> h.count_before(np.array([0, 1]), np.array([15, 15])).tolist(), h.last_before(np.array([0, 1]), 25).tolist()
    ([1, 1], [20, 5])
    """

    def __init__(self, owner, t, horizon: int, weight=None):
        order = np.lexsort((t, owner))
        self.span = horizon + 1
        self.t = t[order]
        self.key = owner[order].astype(np.int64) * self.span + self.t
        w = np.ones(len(order)) if weight is None else np.asarray(weight, dtype=float)[order]
        self.cum = np.concatenate(([0.0], np.cumsum(w)))

    def _index(self, owner, t):
        return np.searchsorted(self.key, owner.astype(np.int64) * self.span + np.clip(t, 0, self.span - 1))

    def count_before(self, owner, t) -> np.ndarray:
        """Items of each owner strictly before t."""
        return self._index(owner, t) - self._index(owner, 0)

    def weight_before(self, owner, t) -> np.ndarray:
        """Summed weights of each owner's items strictly before t."""
        return self.cum[self._index(owner, t)] - self.cum[self._index(owner, 0)]

    def last_before(self, owner, t) -> np.ndarray:
        """Each owner's latest time strictly before t, or NULL."""
        idx = self._index(owner, t)
        has = idx > self._index(owner, 0)
        return np.where(has, self.t[np.maximum(idx - 1, 0)], NULL)
