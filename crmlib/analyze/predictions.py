"""Predictions that are scored later: what each period's analysis expects of its customers in the months after it,
and, once those months have passed, what the same customers did.

A period's analysis stores `predictions` (`Analysis.store`): for each of the next `months` calendar months after
the period (the value horizon, `analysis.lifetime_value.months`), the purchase days its customers are expected to
make from the period's end to the end of that month, the revenue they bring in it (expected purchases times
expected spend per purchase day, undiscounted) and, once per period, how many of them are expected to make no
purchase within the churn horizon (the sum of their churn probabilities).

A later period scores every earlier one whose first month has passed by its end (`scored`): the prediction for
the months that have passed (up to the horizon) beside what those customers did, counted by the rule the models
learn from (one purchase per customer and calendar day; a day's refunds netted into its value; a day with refunds
only is no purchase), and the error. Customers who first bought after the predicting period are on neither side:
the models predict the customers they know. Months are calendar months (a February window is 28 days), not
`units.DAYS_PER_MONTH`, so the prediction covers exactly the days that are counted.

>>> windows(Period.parse("2025-01"), 3)
   months  days window_end
0       1    28 2025-03-01
1       2    59 2025-04-01
2       3    89 2025-05-01
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from crmlib.analyze.stage import CUSTOMERS, Analysis
from crmlib.catalogue import t
from crmlib.collect.warehouse import Warehouse, one_connection
from crmlib.errors import MissingData
from crmlib.periods import Period
from crmlib.segment.purchase_days import purchase_days_cte
from crmlib.units import DAYS_PER

PREDICTIONS = "predictions"  # the stored result: one row per month ahead, per period

PREDICTION_TYPES = {"months": "int64", "days": "int64", "window_end": "datetime64[us]", "customers": "int64",
                    "purchases": "float64", "revenue": "float64", "churn_days": "int64", "no_purchase": "float64",
                    "model": "str"}  # fmt: skip
"""`predictions`' columns: months ahead, days from the period's end to the window's end (`window_end`, the first
day after it), the period's customers, their expected purchase days and revenue in the window, the churn horizon
in days with the expected number of customers who make no purchase in it, and the purchase model."""

SCORED_TYPES = {"period": "str", "months": "int64", "window_start": "datetime64[us]",
                "window_end": "datetime64[us]", "customers": "int64", "predicted_purchases": "float64",
                "actual_purchases": "float64", "purchases_error_pct": "float64", "predicted_revenue": "float64",
                "actual_revenue": "float64", "revenue_error_pct": "float64", "churn_days": "int64",
                "predicted_no_purchase": "float64", "actual_no_purchase": "float64",
                "no_purchase_error": "float64"}  # fmt: skip
"""`scored`'s columns: the predicting period, the months that have passed (up to its horizon) and their window
[window_start, window_end), its customers, predicted and actual purchase days and revenue with the error in %
((predicted − actual) / actual), and the predicted and actual share of customers with no purchase within
`churn_days` (NaN until those days have passed) with the difference of the shares."""

HEADING = "ana.predictions"  # the page section: what we predicted, what happened
COLUMNS = {"period": "period", "months": "months_ahead", "customers": "customers",
           "predicted_purchases": "predicted_purchases", "actual_purchases": "actual_purchases",
           "purchases_error_pct": "purchases_error_pct", "predicted_revenue": "predicted_revenue",
           "actual_revenue": "actual_revenue", "revenue_error_pct": "revenue_error_pct",
           "predicted_no_purchase": "predicted_no_purchase", "actual_no_purchase": "actual_no_purchase"}  # fmt: skip
"""The scored table's columns on a page and their labels: `show(table, ctx, COLUMNS, **FORMATS)`."""
FORMATS = {
    "numbers": ["months", "customers", "predicted_purchases", "actual_purchases"],
    "money": ["predicted_revenue", "actual_revenue"],
    "decimals": ["purchases_error_pct", "revenue_error_pct"],
    "percents": ["predicted_no_purchase", "actual_no_purchase"],
}

ACTUAL_SQL = f"""
WITH {purchase_days_cte(since=True)},
members AS (
  SELECT d.period, CAST(d.window_start AS DATE) AS window_start, CAST(d.window_end AS DATE) AS window_end,
         CAST(d.churn_end AS DATE) AS churn_end, v.customer_id
  FROM due d JOIN {CUSTOMERS} v ON v.period = d.period),
per_customer AS (
  SELECT m.period, m.customer_id, any_value(m.churn_end) AS churn_end,
         count(p.day) FILTER (WHERE p.day < m.window_end) AS purchases,
         coalesce(sum(p.value) FILTER (WHERE p.day < m.window_end), 0) AS revenue,
         count(p.day) FILTER (WHERE p.day < m.churn_end) AS churn_purchases
  FROM members m LEFT JOIN purchase_days p ON p.customer_id = m.customer_id AND p.day >= m.window_start
       AND p.day < greatest(m.window_end, coalesce(m.churn_end, m.window_end))
  GROUP BY m.period, m.customer_id)
SELECT period, count(*) AS actual_customers, CAST(sum(purchases) AS DOUBLE) AS actual_purchases,
       CAST(sum(revenue) AS DOUBLE) AS actual_revenue,
       CASE WHEN any_value(churn_end) IS NULL THEN NULL
            ELSE avg(CASE WHEN churn_purchases = 0 THEN 1.0 ELSE 0.0 END) END AS actual_no_purchase
FROM per_customer GROUP BY period
"""
"""What a period's customers did in its due window: purchase days (the RFM summary's rule), their net value, and
the share with no purchase day before `churn_end` (NULL when the churn horizon has not passed)."""

DUE_SQL = f"""
SELECT * FROM "{PREDICTIONS}" WHERE window_end <= $end
QUALIFY row_number() OVER (PARTITION BY period ORDER BY months DESC) = 1
"""
"""Per earlier period, its prediction for the most months that have passed by `$end` (the scoring period's end)."""


def windows(period: Period, months: int) -> pd.DataFrame:
    """The windows of a prediction made at the end of `period`: for 1..`months` calendar months ahead, the days
    from the period's end and `window_end`, the first day after the window (see the module's example)."""
    ends = [period.end + pd.DateOffset(months=m) for m in range(1, months + 1)]
    return pd.DataFrame(
        {
            "months": np.arange(1, months + 1, dtype="int64"),
            "days": np.array([(end - period.end).days for end in ends], dtype="int64"),
            "window_end": pd.DatetimeIndex(ends).astype("datetime64[us]"),
        }
    )


def predicted(analysis: Analysis, period: Period | str, months: int | None = None) -> pd.DataFrame:
    """What `analysis` (the analysis of `period`) predicts for its customers in each of the next `months` calendar
    months (default: its value horizon), cumulative from the period's end: one row per month with the columns of
    `PREDICTION_TYPES`. Expected purchases are the value model's (purchase days); revenue is each customer's
    expected purchases times their expected spend per purchase day, undiscounted; `no_purchase` is the sum of the
    churn probabilities (no purchase in the next `churn_days`), the same on every row.

    On the 1,000-customer sample (seed 7, 18 months to 2025-06), the analysis of 2025-01 expects its 525 customers
    to make 378 purchase days in February and 2,583 in the 12 months to January 2026: within 0.1% of
    `customers["expected_purchases"].sum()` (365 calendar days against 12 × 30.4375)."""
    period = period if isinstance(period, Period) else Period.parse(str(period))
    value, customers = analysis.value, analysis.customers
    months = months or value.options.months
    ahead = windows(period, months)
    # customers with the same (frequency, recency, T) expect the same purchases: compute once per such pattern
    patterns = (
        customers.groupby(["frequency", "recency", "T"], sort=False)
        .agg(count=("expected_spend", "size"), spend=("expected_spend", "sum"))
        .reset_index()
    )
    horizons = ahead["days"].to_numpy(dtype=float) / DAYS_PER[value.options.freq]
    expected = value.purchases.expected_purchases_by_horizon(horizons, patterns)  # patterns × months
    purchases = patterns["count"].to_numpy(dtype=float) @ expected
    revenue = patterns["spend"].to_numpy(dtype=float) @ expected
    frame = ahead.assign(
        customers=len(customers),
        purchases=purchases,
        revenue=revenue,
        churn_days=int(value.churn_days),
        no_purchase=float(customers["churn_probability"].sum()),
        model=value.purchases.model,
    )
    return frame[list(PREDICTION_TYPES)].astype(PREDICTION_TYPES)


def no_scores() -> pd.DataFrame:
    """The scored table without a row (typed)."""
    return pd.DataFrame({c: pd.Series(dtype=k) for c, k in SCORED_TYPES.items()})


@one_connection
def scored(warehouse: Warehouse, period: Period | str) -> pd.DataFrame:
    """What earlier periods predicted beside what happened, one row per earlier period whose first predicted month
    has passed by the end of `period` (columns `SCORED_TYPES`), oldest first; empty (typed) when there is none
    (`track_record` says why). Each is scored over the months that have passed, up to its horizon: the analysis of
    2025-01 scored at 2025-06 covers February to June (5 months); its churn share once `churn_days` have passed.
    Only days the data cover count as passed (up to the day of the latest order), so a period beyond the data
    scores no month the data do not hold.

    On a 6-month backfill of that sample, `scored(wh, "2025-06")` has five rows (2025-01 … 2025-05, over 5 … 1
    months) with purchase errors of +11, +11, +25, +8 and −0.2%."""
    period = period if isinstance(period, Period) else Period.parse(str(period))
    last = warehouse.query("SELECT max(ts) AS last FROM orders")["last"][0]
    if pd.isna(last):
        return no_scores()
    end = min(period.end, pd.Timestamp(last).normalize() + pd.Timedelta(days=1))  # only days the data cover
    try:
        due = warehouse.query(DUE_SQL, {"end": end.to_pydatetime()})
    except duckdb.CatalogException:  # no period has stored predictions yet
        return no_scores()
    if due.empty:
        return no_scores()
    starts = pd.DatetimeIndex([Period.parse(p).end for p in due["period"]]).astype("datetime64[us]")
    due["window_start"] = starts
    churn_end = starts + pd.to_timedelta(due["churn_days"].to_numpy(), unit="D")
    due["churn_end"] = pd.Series(churn_end, index=due.index).where(churn_end <= end)
    asked = due[["period", "window_start", "window_end", "churn_end"]]
    params = {"start": starts.min().to_pydatetime(), "until": end.to_pydatetime()}  # every window ends by it
    actual = warehouse.query(ACTUAL_SQL, params, frames={"due": asked})
    table = due.merge(actual, on="period", how="inner")
    shares = table["no_purchase"] / table["customers"]
    table = table.assign(
        predicted_purchases=table["purchases"],
        purchases_error_pct=error_pct(table["purchases"], table["actual_purchases"]),
        predicted_revenue=table["revenue"],
        revenue_error_pct=error_pct(table["revenue"], table["actual_revenue"]),
        predicted_no_purchase=shares.where(table["churn_end"].notna()),
        no_purchase_error=(shares - table["actual_no_purchase"]).where(table["churn_end"].notna()),
    )
    table["order"] = [Period.parse(p).start for p in table["period"]]
    table = table.sort_values(["order", "period"], kind="stable").reset_index(drop=True)
    return table[list(SCORED_TYPES)].astype(SCORED_TYPES)


def error_pct(predicted: pd.Series, actual: pd.Series) -> pd.Series:
    """(predicted − actual) / actual in %, NaN where nothing happened.

    >>> error_pct(pd.Series([110.0, 5.0]), pd.Series([100.0, 0.0])).round(6).tolist()
    [10.0, nan]
    """
    actual = actual.astype(float)
    return 100 * (predicted.astype(float) / actual.where(actual != 0) - 1)


def accuracy(table: pd.DataFrame) -> pd.Series:
    """The error over every scored period of `table` (`scored`): periods, the mean absolute % error of purchases
    and of revenue (`*_mape`), their mean signed % error (`*_bias`: above 0, the predictions ran high), and for the
    periods whose churn horizon has passed (`churn_periods`) the mean absolute difference of the no-purchase shares.

    >>> table = pd.DataFrame({"purchases_error_pct": [10.0, -20.0], "revenue_error_pct": [5.0, -5.0],
    ...                       "no_purchase_error": [0.02, np.nan]})
    >>> accuracy(table).round(3).to_dict()  # doctest: +NORMALIZE_WHITESPACE
    {'periods': 2.0, 'purchases_mape': 15.0, 'purchases_bias': -5.0, 'revenue_mape': 5.0, 'revenue_bias': 0.0,
     'churn_periods': 1.0, 'no_purchase_mae': 0.02}
    """
    return pd.Series(
        {
            "periods": float(len(table)),
            "purchases_mape": table["purchases_error_pct"].abs().mean(),
            "purchases_bias": table["purchases_error_pct"].mean(),
            "revenue_mape": table["revenue_error_pct"].abs().mean(),
            "revenue_bias": table["revenue_error_pct"].mean(),
            "churn_periods": float(table["no_purchase_error"].notna().sum()),
            "no_purchase_mae": table["no_purchase_error"].abs().mean(),
        },
        dtype=float,
    )


def track_record(warehouse: Warehouse, period: Period | str) -> pd.DataFrame:
    """`scored(warehouse, period)`, or a MissingData saying why there is nothing to score yet (shown on a page as
    one line): no earlier period has stored predictions a month or more of which has passed."""
    table = scored(warehouse, period)
    if table.empty:
        raise MissingData(t("ana.predictions.none", period=str(period)))
    return table


def accuracy_line(table: pd.DataFrame, language: str | None = None) -> str:
    """One sentence on the error over every scored period of `table` (`scored`, not empty), in `language`.

    >>> table = pd.DataFrame({"purchases_error_pct": [10.0, -20.0], "revenue_error_pct": [5.0, -5.0],
    ...                       "no_purchase_error": [0.02, np.nan], "churn_days": [90, 90]})
    >>> accuracy_line(table, "en")  # doctest: +ELLIPSIS
    'Over 2 earlier periods the predicted purchases were off by 15% ... revenue by 5% ... 2 percentage points ...'
    """
    measured = accuracy(table)
    mape = {k: round(float(measured[f"{k}_mape"]), 1) for k in ("purchases", "revenue")}
    line = t("ana.predictions.error", language, periods=int(measured["periods"]), **mape)
    if measured["churn_periods"]:
        points = round(100 * float(measured["no_purchase_mae"]), 1)
        days = int(table["churn_days"].iloc[0])
        line += " " + t("ana.predictions.churn_error", language, periods=int(measured["churn_periods"]), days=days,
                        points=points)  # fmt: skip
    return line
