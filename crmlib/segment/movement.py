"""Movement between segments from one period to the next: a matrix of customer counts and its summary.

Rows are the previous period's segments plus ENTERED (customers new since then), columns the current
period's segments plus EXITED (customers of the previous period missing now), both in the rules' value
order, so every customer of either period is counted once: row sums are the previous counts, column sums
the current ones. A move to a segment earlier in that order is up, to a later one down.

>>> previous = pd.Series({"a": "champions", "b": "loyal", "c": "lost"})
>>> current = pd.Series({"a": "loyal", "b": "champions", "c": "lost", "d": "new"})
>>> matrix = segment_movement(previous, current)
>>> int(matrix.loc["champions", "loyal"]), int(matrix.loc[ENTERED, "new"]), int(matrix.to_numpy().sum())
(1, 1, 4)
>>> movement_summary(matrix).to_dict()
{'stayed': 1, 'moved_up': 1, 'moved_down': 1, 'entered': 1, 'exited': 0}
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from crmlib.segment.segments import SegmentRules, default_segment_rules

ENTERED = "entered"  # the row of customers who were in no segment in the previous period
EXITED = "exited"  # the column of customers of the previous period who are in no segment now


def _order(order: SegmentRules | Sequence[str] | None) -> list[str]:
    keys = list(
        default_segment_rules().keys if order is None else order.keys if isinstance(order, SegmentRules) else order
    )
    clash = [k for k in (ENTERED, EXITED) if k in keys]
    if clash:
        raise ValueError(f"segment key(s) {', '.join(clash)} are reserved for the movement matrix; rename them")
    return keys


def segment_movement(
    previous: pd.Series, current: pd.Series, order: SegmentRules | Sequence[str] | None = None
) -> pd.DataFrame:
    """Customer counts from previous segment (rows, + ENTERED) to current segment (columns, + EXITED).

    `previous` and `current` are segment keys by customer (`assign_segments` of two periods); `order` the
    rules (or keys) giving the segments and their value order, by default the standard rules. A segment key
    outside the order is a ValueError; a customer missing from a period, or with no segment, counts as
    ENTERED or EXITED.
    """
    keys = _order(order)
    for name, series in (("previous", previous), ("current", current)):
        unknown = sorted(set(series.dropna()) - set(keys))
        if unknown:
            raise ValueError(
                f"{name} holds segment(s) {', '.join(map(repr, unknown))} not in the order "
                f"({', '.join(keys)}); pass the rules the segments were assigned with"
            )
        if series.index.has_duplicates:
            raise ValueError(f"{name} lists customer(s) twice, e.g. {series.index[series.index.duplicated()][0]!r}")
    customers = previous.dropna().index.union(current.dropna().index)
    before = previous.reindex(customers).fillna(ENTERED).astype(str)
    after = current.reindex(customers).fillna(EXITED).astype(str)
    matrix = pd.crosstab(
        pd.Categorical(before, categories=keys + [ENTERED]),
        pd.Categorical(after, categories=keys + [EXITED]),
        dropna=False,
    )
    matrix.index = pd.Index(keys + [ENTERED], name="previous")
    matrix.columns = pd.Index(keys + [EXITED], name="current")
    return matrix.astype("int64")


def movement_summary(matrix: pd.DataFrame) -> pd.Series:
    """Customers who stayed, moved up, moved down (by the matrix's segment order), entered and exited.

    The five counts add up to every customer of the matrix.
    """
    keys = [k for k in matrix.columns if k != EXITED]
    if [k for k in matrix.index if k != ENTERED] != keys:
        raise ValueError(
            "the matrix rows and columns must list the same segments in the same order: pass the "
            "result of segment_movement"
        )
    rank = {key: i for i, key in enumerate(keys)}
    counts = {"stayed": 0, "moved_up": 0, "moved_down": 0}
    for before in keys:
        for after in keys:
            n = int(matrix.loc[before, after])
            step = "stayed" if before == after else "moved_up" if rank[after] < rank[before] else "moved_down"
            counts[step] += n
    counts["entered"] = int(matrix.loc[ENTERED].sum())
    counts["exited"] = int(matrix[EXITED].sum())
    return pd.Series(counts, name="customers", dtype="int64")
