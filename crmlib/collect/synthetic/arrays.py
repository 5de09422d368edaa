"""Array helpers: row bundles (dicts of equal-length numpy columns), groups, and vocabulary tables.

>>> rows = make_rows(owner=np.array([1, 0, 1]), t=np.array([5, 9, 2]), kind=0)
>>> {k: v.tolist() for k, v in sort_rows(rows, "owner", "t").items()}
{'owner': [0, 1, 1], 't': [9, 2, 5], 'kind': [0, 0, 0]}
>>> rank_in_group(np.array([2, 0, 3])).tolist()
[0, 1, 0, 1, 2]
"""

from __future__ import annotations

import numpy as np

Rows = dict[str, np.ndarray]


def make_rows(**columns) -> Rows:
    """A bundle of equal-length columns; scalars are broadcast to the length of the first array."""
    n = len(next(v for v in columns.values() if np.ndim(v)))
    return {k: (np.asarray(v) if np.ndim(v) else np.full(n, v)) for k, v in columns.items()}


def concat_rows(parts: list[Rows]) -> Rows:
    """Stack row bundles that share their columns."""
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def take_rows(rows: Rows, index) -> Rows:
    """The selected rows (a mask or positions) of a row bundle."""
    return {k: v[index] for k, v in rows.items()}


def sort_rows(rows: Rows, *keys: str) -> Rows:
    """Rows sorted by the keys, first key first (stable)."""
    return take_rows(rows, np.lexsort([rows[k] for k in reversed(keys)]))


def group_starts(counts: np.ndarray) -> np.ndarray:
    """Offset of each group in a flat array made of groups of `counts` items."""
    return np.cumsum(counts) - counts


def rank_in_group(counts: np.ndarray) -> np.ndarray:
    """0, 1, ... within each group, for a flat array made of groups of `counts` items."""
    return np.arange(counts.sum()) - np.repeat(group_starts(counts), counts)


def uniform_between(rng, lo, hi) -> np.ndarray:
    """One uniform draw in [lo, hi) per pair."""
    return lo + rng.random(len(lo)) * (hi - lo)


def round_to(values, step: float):
    """Values rounded to a multiple of `step` (prices to Rp 100, deal values to Rp 100.000)."""
    return np.round(values / step) * step


def shares(values) -> np.ndarray:
    """Normalised probabilities."""
    values = np.asarray(values, dtype=float)
    return values / values.sum()


def column(table, field: str) -> tuple:
    """One field of every row of a vocabulary table."""
    return tuple(getattr(row, field) for row in table)


def lookup(table, field: str, codes) -> np.ndarray:
    """A field of a vocabulary table for each row code."""
    return np.array(column(table, field))[codes]


def draw(rng, table, weight: str, n: int) -> np.ndarray:
    """n row codes of a vocabulary table, drawn in proportion to its `weight` field."""
    return rng.choice(len(table), n, p=shares(column(table, weight)))
