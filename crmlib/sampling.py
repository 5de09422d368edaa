"""Seeded samples of rows, for the models that learn as well from a sample of a large customer base.

>>> at_most(5, 10, np.random.default_rng(0)).tolist()  # few enough rows: all of them
[0, 1, 2, 3, 4]
>>> len(at_most(1_000, 10, np.random.default_rng(0)))
10
"""

from __future__ import annotations

import numpy as np


def at_most(n: int, most: int, rng: np.random.Generator) -> np.ndarray:
    """Positions of a sample of at most `most` of n rows, drawn with `rng`, in their order (all when n <= most)."""
    return np.arange(n) if n <= most else np.sort(rng.choice(n, most, replace=False))
