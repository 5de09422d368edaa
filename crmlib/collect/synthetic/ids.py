"""Ids like C0000042 or T000000123: their formats, and the numbering carried from chunk to chunk."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from crmlib.collect.synthetic.world import NULL

ID_FORMATS = {
    "transactions": ("T", 9),
    "events": ("E", 10),
    "feedback": ("R", 8),
    "tickets": ("K", 8),
    "opportunities": ("O", 7),
    "calls": ("P", 8),  # P for phone: C and K are taken
    "sessions": ("S", 10),
    "campaigns": ("CMP", 3),
    "customers": ("C", 7),
}


def format_ids(series: str, numbers, width: int | None = None) -> pa.Array:
    """Ids of a series (prefix and zero padding) from whole numbers; NULL numbers give missing ids.

    >>> format_ids("campaigns", [7, -1]).to_pylist()
    ['CMP007', None]
    """
    prefix, default_width = ID_FORMATS[series]
    numbers = np.asarray(numbers, dtype=np.int64)
    digits = pc.utf8_lpad(
        pc.cast(pa.array(numbers, mask=numbers == NULL), pa.string()), width=width or default_width, padding="0"
    )
    return pc.binary_join_element_wise(prefix, digits, "")


def ids_at(series: str, positions, width: int | None = None) -> pa.Array:
    """Ids for 0-based positions (customer 0 is C0000001); NULL positions give missing ids."""
    positions = np.asarray(positions, dtype=np.int64)
    return format_ids(series, positions + (positions != NULL), width)


def customer_id_width(total: int) -> int:
    """Digits in the customer ids of a population of `total` customers (7 unless that is too few)."""
    return max(ID_FORMATS["customers"][1], len(str(total)))


class IdCounters:
    """The next number of each id series, carried from chunk to chunk."""

    def __init__(self):
        self.next = {
            "transactions": 1,
            "events": 1,
            "feedback": 1,
            "tickets": 1,
            "opportunities": 1,
            "sessions": 1,
            "calls": 1,
        }

    def take(self, series: str, n: int) -> int:
        """Reserve n consecutive numbers of a series; returns the first."""
        first = self.next[series]
        self.next[series] += n
        return first

    def new_ids(self, series: str, n: int) -> pa.Array:
        """The next n ids of a series."""
        return format_ids(series, self.take(series, n) + np.arange(n, dtype=np.int64))
