"""RFM scores: recency, frequency and monetary value of each customer as scores 1..bins by quantile bins.

A score comes from the value's rank among all customers, ties sharing their average rank, so equal values
always get the same score and a higher value never gets a lower score. R is higher for a more recent last
purchase; F and M are higher for more purchases and more spend. `fm` is the rounded mean of F and M
(halves round up).

>>> summary = pd.DataFrame({"frequency": [0.0, 1.0, 3.0, 3.0], "recency": [0.0, 10.0, 30.0, 50.0],
...                         "T": [60.0, 40.0, 60.0, 55.0], "monetary_value": [0.0, 20.0, 10.0, 40.0]},
...                        index=pd.Index(["a", "b", "c", "d"], name="customer_id"))
>>> rfm_scores(summary, bins=4)[["recency_days", "purchase_days", "r", "f", "fm"]]  # doctest: +NORMALIZE_WHITESPACE
             recency_days  purchase_days  r  f  fm
customer_id
a                    60.0          1  1  1  1
b                    30.0          2  3  2  3
c                    30.0          4  3  4  3
d                     5.0          4  4  4  4
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SUMMARY_COLUMNS = ("frequency", "recency", "T", "monetary_value")
SCORE_COLUMNS = ("r", "f", "m", "fm")


def quantile_scores(values: pd.Series, bins: int = 5) -> pd.Series:
    """Scores 1..bins from each value's rank (ties averaged): equal values share a score, order is kept.

    The score is 1 + floor(bins * (rank - 1/2) / n), the bin of the value's mid-rank quantile, computed in
    integers so no value lands in a bin by rounding error. All-equal values share the middle score.

    >>> quantile_scores(pd.Series([5.0, 1.0, 1.0, 9.0, 7.0]), bins=5).tolist()
    [3, 2, 2, 5, 4]
    """
    if not isinstance(bins, (int, np.integer)) or bins < 1:
        raise ValueError(f"bins must be a whole number of at least 1, not {bins!r}")
    if values.isna().any():
        raise ValueError(
            f"cannot score {values.name or 'values'}: {int(values.isna().sum())} missing value(s) "
            f"(first at {values.index[values.isna()][0]!r}); fill or drop them first"
        )
    n = len(values)
    twice_rank = (values.rank(method="average") * 2).round().astype("int64")  # average ranks are k or k + 1/2
    return ((twice_rank - 1) * bins // (2 * n) + 1 if n else twice_rank).astype("int64").rename(values.name)


def rfm_scores(summary: pd.DataFrame, bins: int = 5, spend: pd.Series | None = None) -> pd.DataFrame:
    """Per customer: recency_days, purchase_days, monetary and their scores r, f, m (1..bins) and fm.

    `summary` is `rfm_summary`'s result (one row per customer). The columns are:

    - recency_days: time since the last purchase, T - recency, in the summary's unit (days or weeks);
    - purchase_days: the number of purchase days, the summary's frequency + 1 (the first purchase counts; the
      summary's `frequency` stays the repeat purchase days of the papers, everywhere);
    - monetary: the mean spend per purchase day including the first, spend / purchase_days, when `spend` (the
      total net spend of each customer's purchase days, e.g. `customer_features(...)["spend"]`) is given;
      without it, the summary's monetary_value (the mean of the repeat days, 0 for one-time buyers), so
      one-time buyers then all share the lowest M score.
    """
    missing = [c for c in SUMMARY_COLUMNS if c not in summary]
    if missing:
        raise ValueError(f"summary lacks column(s) {', '.join(missing)}: pass the result of rfm_summary")
    frame = pd.DataFrame(index=summary.index)
    frame["recency_days"] = (summary["T"] - summary["recency"]).astype(float)
    frame["purchase_days"] = (summary["frequency"] + 1).round().astype("int64")
    frame["monetary"] = _monetary(summary, frame["purchase_days"], spend)
    frame["r"] = quantile_scores(-frame["recency_days"], bins)
    frame["f"] = quantile_scores(frame["purchase_days"], bins)
    frame["m"] = quantile_scores(frame["monetary"], bins)
    frame["fm"] = (frame["f"] + frame["m"] + 1) // 2
    return frame


def _monetary(summary: pd.DataFrame, purchases: pd.Series, spend: pd.Series | None) -> pd.Series:
    if spend is None:
        return summary["monetary_value"].astype(float)
    absent = summary.index.difference(spend.dropna().index)
    if len(absent):
        raise ValueError(
            f"spend has no value for {len(absent)} customer(s) of the summary, e.g. "
            f"{', '.join(map(repr, absent[:3]))}; pass one total per customer"
        )
    return spend.reindex(summary.index).astype(float) / purchases
