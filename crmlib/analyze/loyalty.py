"""Loyalty indicators: repeat buying, cross-category buying and referrals, counted in SQL on the warehouse.

A *purchase day* is a calendar day on which a customer made at least one sale; refunds on that day are netted
into its value and a day with refunds only is no purchase (as in `crmlib.segment.summary.rfm_summary`).
Everything counts data up to and including the day `end`: a date, or a period ("2025-06", a `Period`) for its
last day.
"""

from __future__ import annotations

import pandas as pd

from crmlib.collect.warehouse import Warehouse
from crmlib.segment.purchase_days import IS_SALE, PURCHASE_DAYS
from crmlib.sql import run_sql

PER_CUSTOMER_SQL = f"""
WITH {PURCHASE_DAYS},
buying AS (
    SELECT customer_id, count(*) AS purchase_days, min(day) AS first_purchase, max(day) AS last_purchase,
           coalesce(sum(value) FILTER (WHERE day > first_day), 0.0) AS repeat_revenue
    FROM (SELECT *, min(day) OVER (PARTITION BY customer_id) AS first_day FROM purchase_days)
    GROUP BY customer_id),
spending AS (
    SELECT customer_id, sum(amount) AS revenue FROM orders WHERE ts < $until GROUP BY customer_id),
bought AS (  -- product lines only: postage and fees are no category
    SELECT customer_id, count(DISTINCT category) AS categories FROM transactions
    WHERE ts < $until AND {IS_SALE} AND coalesce(is_product, true) GROUP BY customer_id),
known AS (SELECT customer_id, signup_date, referred_by FROM customers WHERE signup_date < $until),
referrals AS (SELECT referred_by AS customer_id, count(*) AS referrals FROM known GROUP BY referred_by)
SELECT k.customer_id, k.signup_date,
       date_diff('day', CAST(k.signup_date AS DATE), CAST($end AS DATE)) AS tenure_days,
       coalesce(b.purchase_days, 0) AS purchase_days, coalesce(c.categories, 0) AS categories,
       coalesce(s.revenue, 0.0) AS revenue, coalesce(b.repeat_revenue, 0.0) AS repeat_revenue,
       b.first_purchase, b.last_purchase, coalesce(r.referrals, 0) AS referrals, k.referred_by
FROM known k
LEFT JOIN buying b USING (customer_id)
LEFT JOIN spending s USING (customer_id)
LEFT JOIN bought c USING (customer_id)
LEFT JOIN referrals r USING (customer_id)
ORDER BY k.customer_id
"""


CATEGORIES, REFERRALS = ("transactions.category",), ("customers.referred_by",)
NEEDS = {
    "loyalty.cross_category_rate": CATEGORIES,
    "loyalty.mean_categories": CATEGORIES,
    "loyalty.referrers": REFERRALS,
    "loyalty.referred_customers": REFERRALS,
    "loyalty.referred_share": REFERRALS,
}
"""The data without which an indicator is 0 by construction (see `crmlib.collect.needs`)."""


def per_customer_loyalty(warehouse: Warehouse, end) -> pd.DataFrame:
    """One row per customer signed up by `end` (index customer_id).

    Columns: signup_date; tenure_days (signup day to `end`); purchase_days; categories (distinct categories of
    their sales); revenue (net: sales minus refunds); repeat_revenue (net value of the purchase days after the
    first); first_purchase and last_purchase (days, NaT for non-buyers); referrals (customers signed up by `end`
    who name them in referred_by); referred_by.
    """
    frame = run_sql(warehouse, PER_CUSTOMER_SQL, end)
    return frame.astype({"customer_id": str}).set_index("customer_id")


def summarise_loyalty(per_customer: pd.DataFrame) -> pd.Series:
    """The loyalty indicators of a `per_customer_loyalty` table.

    - customers, buyers (1+ purchase days);
    - repeat_purchase_rate: buyers with 2+ purchase days / buyers; mean_purchase_days per buyer;
    - cross_category_rate: buyers who bought in 2+ categories / buyers; mean_categories per buyer;
    - referrers: customers who referred at least one other customer; referred_customers: customers who came
      by a referral; referred_share: referred_customers / customers (the share of new customers referred).

    Rates over no buyers are NaN.

    >>> table = pd.DataFrame({"purchase_days": [3, 1, 0, 2], "categories": [2, 1, 0, 1], "referrals": [1, 0, 0, 0],
    ...                       "referred_by": [None, "a", None, None]})
    >>> s = summarise_loyalty(table)
    >>> s[["repeat_purchase_rate", "cross_category_rate", "referred_share"]].round(3).tolist()
    [0.667, 0.333, 0.25]
    """
    buyers = per_customer[per_customer["purchase_days"] > 0]
    customers = len(per_customer)
    referred = int(per_customer["referred_by"].notna().sum())
    return pd.Series(
        {
            "customers": customers,
            "buyers": len(buyers),
            "repeat_purchase_rate": (buyers["purchase_days"] >= 2).mean() if len(buyers) else float("nan"),
            "mean_purchase_days": buyers["purchase_days"].mean(),
            "cross_category_rate": (buyers["categories"] >= 2).mean() if len(buyers) else float("nan"),
            "mean_categories": buyers["categories"].mean(),
            "referrers": int((per_customer["referrals"] > 0).sum()),
            "referred_customers": referred,
            "referred_share": referred / customers if customers else float("nan"),
        },
        name="value",
        dtype=float,
    ).rename_axis("indicator")


def loyalty_indicators(warehouse: Warehouse, end) -> pd.Series:
    """Repeat, cross-category and referral indicators of the customers up to `end` (see `summarise_loyalty`)."""
    return summarise_loyalty(per_customer_loyalty(warehouse, end))
