"""The RFM summary of buy-till-you-die models, computed in SQL by the warehouse engine (DuckDB).

A customer's purchases on one calendar day are one transaction: the day counts when it holds a sale, and its
value is the day's net amount (refunds on that day netted). A day with refunds only is not a purchase.
Per customer, as in the BG/NBD and Pareto/NBD papers:

- frequency: the number of repeat purchase days (purchase days after the first);
- recency: time from the first to the last purchase day;
- T: time from the first purchase day to `end`;
- monetary_value: the mean value of the repeat purchase days (0 for a customer with no repeat).

Time is continuous: days, or weeks as days / 7.

>>> tx = pd.DataFrame({"customer_id": ["a", "a", "a", "b"], "amount": [10.0, 5.0, 30.0, 7.0],
...                    "ts": pd.to_datetime(["2025-01-01 09:00", "2025-01-01 18:00", "2025-01-08 12:00",
...                                          "2025-01-05 10:00"])})
>>> rfm_summary(tx, end="2025-01-15").to_dict("index")  # doctest: +NORMALIZE_WHITESPACE
{'a': {'frequency': 1.0, 'recency': 7.0, 'T': 14.0, 'monetary_value': 30.0},
 'b': {'frequency': 0.0, 'recency': 0.0, 'T': 10.0, 'monetary_value': 0.0}}
"""

from __future__ import annotations

import duckdb
import pandas as pd

from crmlib.collect.warehouse import Warehouse
from crmlib.periods import end_day
from crmlib.segment.purchase_days import purchase_days_cte
from crmlib.units import DAYS_PER

_SQL = """
WITH {purchase_days}
SELECT customer_id,
       CAST(count(*) - 1 AS DOUBLE) AS frequency,
       date_diff('day', min(day), max(day)) / $per AS recency,
       date_diff('day', min(day), CAST($end AS DATE)) / $per AS "T",
       CASE WHEN count(*) > 1 THEN (sum(value) - arg_min(value, day)) / (count(*) - 1) ELSE 0.0 END
           AS monetary_value  -- the mean of the repeat days: all days but the first
FROM purchase_days
GROUP BY customer_id
ORDER BY customer_id
"""


def rfm_summary(transactions: pd.DataFrame | Warehouse, end, freq: str = "D", start=None) -> pd.DataFrame:
    """Frequency, recency, T and monetary value per customer, from purchases up to and including day `end`
    (a date, or a period such as "2025-06" for its last day).

    `transactions` is a DataFrame with customer_id, ts, amount (and optionally kind), or a Warehouse whose
    `orders` are summarised in place. Rows without a customer_id (guests' sales) are left out. `freq` is "D"
    (days) or "W" (weeks = days / 7). `start`, if given, ignores purchases before its day (customers are then
    "born" at their first purchase on or after it).
    Zoned times count in their own zone's calendar days; a refund given as a positive amount is subtracted.
    """
    params = summary_parameters(end, freq, start)
    if isinstance(transactions, Warehouse):
        frame = transactions.query(SUMMARY_SQL, params)
    else:
        with duckdb.connect() as con:
            columns = ["customer_id", "ts", "amount"] + (["kind"] if "kind" in transactions else [])
            con.register("tx", _local_time(transactions[columns]))
            source = "tx" if "kind" in transactions else "(SELECT *, NULL::VARCHAR AS kind FROM tx)"
            frame = con.execute(summary_sql(source), params).df()
    frame["customer_id"] = frame["customer_id"].astype(str)
    return frame.set_index("customer_id")


def summary_parameters(end, freq: str = "D", start=None) -> dict:
    """The values of `SUMMARY_SQL`'s parameters for `rfm_summary(…, end, freq, start)`.

    >>> summary_parameters("2025-06", "W")["per"]
    7.0
    """
    if freq not in DAYS_PER:
        raise ValueError(f"freq must be 'D' (days) or 'W' (weeks), not {freq!r}")
    last = end_day(end)
    return {
        "until": (last + pd.Timedelta(days=1)).to_pydatetime(),
        "end": last.to_pydatetime(),
        "start": None if start is None else pd.Timestamp(start).normalize().to_pydatetime(),
        "per": float(DAYS_PER[freq]),
    }


def summary_sql(source: str) -> str:
    """The RFM summary of the purchases in `source` (a table or a subquery with customer_id, ts, amount, kind)."""
    return _SQL.format(purchase_days=purchase_days_cte(source, since=True))


SUMMARY_SQL = summary_sql("orders")
"""The RFM summary of the warehouse's orders (parameters `$until`, `$end`, `$start`, `$per`)."""


def _local_time(transactions: pd.DataFrame) -> pd.DataFrame:
    """Zoned times as the wall-clock time of their own zone, so days never depend on the machine's zone."""
    if getattr(transactions["ts"].dtype, "tz", None) is None:
        return transactions
    return transactions.assign(ts=transactions["ts"].dt.tz_localize(None))
