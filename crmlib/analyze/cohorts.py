"""Cohort retention: of the customers who first bought in a month, the share who bought again 1, 2, … months later.

A customer's cohort is the month (or week, quarter: `freq`) of their first purchase day up to `end`; they are
*active* in a later month when they made a sale in it. Counting is SQL on the warehouse. Month 0 is 1.0 by
construction; a cell that lies after `end` is NaN (not yet observed), not 0. The month holding `end` is counted
as far as the data go, so it is partial when `end` is not the month's last day.
"""

from __future__ import annotations

import pandas as pd

from crmlib.catalogue import t
from crmlib.collect.warehouse import Warehouse
from crmlib.errors import ParamsError
from crmlib.segment.purchase_days import PURCHASE_DAYS
from crmlib.sql import run_sql

UNITS = {"W": "week", "M": "month", "Q": "quarter"}

_SQL = """
WITH {purchase_days},
active AS (SELECT DISTINCT customer_id, CAST(date_trunc('{unit}', day) AS DATE) AS period FROM purchase_days),
members AS (SELECT customer_id, min(period) AS cohort FROM active GROUP BY customer_id),
sizes AS (SELECT cohort, count(*) AS size FROM members GROUP BY cohort),
counts AS (
    SELECT m.cohort, date_diff('{unit}', m.cohort, a.period) AS age, count(*) AS active
    FROM active a JOIN members m USING (customer_id) GROUP BY ALL)
SELECT s.cohort, g.age, s.size, coalesce(c.active, 0) AS active, coalesce(c.active, 0) / s.size AS retention
FROM sizes s
CROSS JOIN LATERAL (SELECT unnest(range(0, date_diff('{unit}', s.cohort,
                                                     CAST(date_trunc('{unit}', CAST($end AS DATE)) AS DATE)) + 1))
                    AS age) g
LEFT JOIN counts c ON c.cohort = s.cohort AND c.age = g.age
ORDER BY s.cohort, g.age
"""


def cohort_table(warehouse: Warehouse, end, freq: str = "M") -> pd.DataFrame:
    """Long form, one row per cohort and age up to `end`: cohort (first day of the first-purchase month), age
    (months since it), size (customers in the cohort), active (of them, buying in that month), retention."""
    if freq not in UNITS:
        raise ParamsError(t("error.cohort.freq", choices=", ".join(UNITS), value=repr(freq)))
    frame = run_sql(warehouse, _SQL.format(purchase_days=PURCHASE_DAYS, unit=UNITS[freq]), end)
    return frame.astype({"cohort": "datetime64[us]", "age": "int64", "size": "int64", "active": "int64"})


def cohort_retention(warehouse: Warehouse, end, freq: str = "M") -> pd.DataFrame:
    """The retention matrix: rows are cohorts, columns months since the first purchase (0, 1, 2, …), values the
    share of the cohort buying in that month; cells after `end` are NaN."""
    return retention_matrix(cohort_table(warehouse, end, freq), UNITS.get(freq, "period"))


def cohort_sizes(warehouse: Warehouse, end, freq: str = "M") -> pd.Series:
    """Customers per cohort (first purchase in that month up to `end`)."""
    table = cohort_table(warehouse, end, freq)
    return table.drop_duplicates("cohort").set_index("cohort")["size"]


def retention_matrix(table: pd.DataFrame, unit: str = "month") -> pd.DataFrame:
    """Pivot a `cohort_table` into the cohort × age matrix (cells the table lacks are NaN).

    >>> table = pd.DataFrame({"cohort": ["2025-01", "2025-01", "2025-02"], "age": [0, 1, 0],
    ...                       "retention": [1.0, 0.5, 1.0]})
    >>> retention_matrix(table).to_dict("index")
    {'2025-01': {0: 1.0, 1: 0.5}, '2025-02': {0: 1.0, 1: nan}}
    """
    matrix = table.pivot(index="cohort", columns="age", values="retention")
    return matrix.rename_axis(index="cohort", columns=f"{unit}s_since_first_purchase")


def retention_curves(matrix: pd.DataFrame) -> pd.DataFrame:
    """The matrix in long form for a line chart, one line per cohort: cohort, month (since the first purchase),
    retention; cells not yet observed are left out."""
    name, suffix = str(matrix.columns.name), "s_since_first_purchase"
    unit = name.removesuffix(suffix) if name.endswith(suffix) else "period"
    long = matrix.stack().dropna().rename("retention").reset_index()
    return long.set_axis(["cohort", unit, "retention"], axis=1)


def average_retention(matrix: pd.DataFrame, sizes: pd.Series) -> pd.Series:
    """The average retention curve, each cohort weighted by its size, over the cohorts observed at each age.

    >>> matrix = pd.DataFrame({0: [1.0, 1.0], 1: [0.5, float("nan")]}, index=["2025-01", "2025-02"])
    >>> average_retention(matrix, pd.Series({"2025-01": 30, "2025-02": 10})).tolist()
    [1.0, 0.5]
    """
    weights = sizes.reindex(matrix.index).astype(float)
    observed = matrix.notna().mul(weights, axis=0)
    average = matrix.fillna(0.0).mul(weights, axis=0).sum() / observed.sum()
    return average.rename("retention")
