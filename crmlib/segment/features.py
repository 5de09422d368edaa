"""Behavioural features per customer, computed in SQL by the warehouse engine from data up to and including `end`.

One row per customer with at least one purchase day by `end` (the customers of `rfm_summary`), columns:

- frequency, recency, T, monetary_value: the RFM summary in days (see `rfm_summary`);
- recency_days: days since the last purchase day (T - recency);
- spend: total net value of the purchase days (refunds on a purchase day netted, as in the summary);
- avg_spend: spend per purchase day, spend / (frequency + 1);
- categories: distinct categories bought; refunds: refund rows;
- sessions: web/app sessions (distinct session_id; a web_visit without a session_id is a session of its own);
- product_views, add_to_cart: those events;
- abandoned_carts: sessions with an add_to_cart and no sale from the session's start to a day after its end;
- emails_sent, email_open_rate (email_open / email_sent), email_click_rate (email_click / email_sent): the rates
  are missing (NaN) for a customer sent no e-mail;
- tickets: service tickets opened;
- tenure_days: days from signup (or, without a profile, the first purchase) to `end`.
"""

from __future__ import annotations

import pandas as pd

from crmlib.collect.warehouse import Warehouse
from crmlib.segment.purchase_days import IS_SALE, PURCHASE_DAYS
from crmlib.segment.summary import rfm_summary
from crmlib.sql import run_sql

COUNT_COLUMNS = (
    "categories",
    "refunds",
    "sessions",
    "product_views",
    "add_to_cart",
    "abandoned_carts",
    "emails_sent",
    "tickets",
)

FEATURES_SQL = f"""
WITH {PURCHASE_DAYS},
tx AS (
    SELECT customer_id, ts, amount, CASE WHEN {IS_SALE} THEN 'sale' ELSE 'refund' END AS kind
    FROM orders WHERE ts < $until AND customer_id IS NOT NULL
),
bought AS (  -- product lines: postage and fee lines are no category
    SELECT customer_id, count(DISTINCT category) AS categories FROM transactions
    WHERE ts < $until AND customer_id IS NOT NULL AND {IS_SALE} AND coalesce(is_product, true)
    GROUP BY customer_id
),
buying AS (
    SELECT customer_id, sum(value) AS spend, min(day) AS first_day FROM purchase_days GROUP BY customer_id
),
buying_detail AS (
    SELECT customer_id, coalesce(any_value(b.categories), 0) AS categories,
           count(*) FILTER (WHERE kind = 'refund') AS refunds
    FROM tx LEFT JOIN bought b USING (customer_id) GROUP BY customer_id
),
ev AS (SELECT customer_id, ts, event_type, session_id FROM events WHERE ts < $until),
engagement AS (
    SELECT customer_id,
           count(DISTINCT session_id) + count(*) FILTER (WHERE session_id IS NULL AND event_type = 'web_visit')
               AS sessions,
           count(*) FILTER (WHERE event_type = 'product_view') AS product_views,
           count(*) FILTER (WHERE event_type = 'add_to_cart') AS add_to_cart,
           count(*) FILTER (WHERE event_type = 'email_sent') AS emails_sent,
           count(*) FILTER (WHERE event_type = 'email_open') AS emails_opened,
           count(*) FILTER (WHERE event_type = 'email_click') AS emails_clicked
    FROM ev GROUP BY customer_id
),
carts AS (
    SELECT customer_id, session_id, min(ts) AS started, max(ts) AS ended
    FROM ev WHERE session_id IS NOT NULL
    GROUP BY customer_id, session_id HAVING bool_or(event_type = 'add_to_cart')
),
abandoned AS (
    SELECT c.customer_id, count(*) AS abandoned_carts
    FROM carts c
    WHERE NOT EXISTS (SELECT 1 FROM tx WHERE tx.customer_id = c.customer_id AND tx.kind = 'sale'
                      AND tx.ts BETWEEN c.started AND c.ended + INTERVAL 1 DAY)
    GROUP BY c.customer_id
),
service AS (SELECT customer_id, count(*) AS tickets FROM tickets WHERE opened_at < $until GROUP BY customer_id)
SELECT b.customer_id, b.spend,
       d.categories, d.refunds,
       e.sessions, e.product_views, e.add_to_cart, a.abandoned_carts, e.emails_sent,
       CASE WHEN e.emails_sent > 0 THEN e.emails_opened / e.emails_sent END AS email_open_rate,
       CASE WHEN e.emails_sent > 0 THEN e.emails_clicked / e.emails_sent END AS email_click_rate,
       s.tickets,
       date_diff('day', coalesce(CAST(p.signup_date AS DATE), b.first_day), CAST($end AS DATE)) AS tenure_days
FROM buying b
LEFT JOIN buying_detail d USING (customer_id)
LEFT JOIN engagement e USING (customer_id)
LEFT JOIN abandoned a USING (customer_id)
LEFT JOIN service s USING (customer_id)
LEFT JOIN (SELECT customer_id, min(signup_date) AS signup_date FROM customers GROUP BY customer_id) p
    USING (customer_id)
ORDER BY b.customer_id
"""


def customer_features(warehouse: Warehouse, end) -> pd.DataFrame:
    """The features of every customer with a purchase by day `end` (inclusive), indexed by customer_id.

    >>> import pathlib, tempfile
    >>> wh = Warehouse(pathlib.Path(tempfile.mkdtemp()) / "w.duckdb")
    >>> customer_features(wh, "2025-06-30").shape[0]
    0
    """
    summary = rfm_summary(warehouse, end=end, freq="D")
    extra = run_sql(warehouse, FEATURES_SQL, end)
    extra["customer_id"] = extra["customer_id"].astype(str)
    extra = extra.set_index("customer_id").reindex(summary.index)
    frame = summary.copy()
    frame["recency_days"] = frame["T"] - frame["recency"]
    frame["spend"] = extra["spend"].astype(float)
    frame["avg_spend"] = frame["spend"] / (frame["frequency"] + 1)
    for column in extra.columns.drop("spend"):
        frame[column] = extra[column]
    for column in COUNT_COLUMNS:
        frame[column] = frame[column].fillna(0).astype("int64")
    frame["email_open_rate"] = frame["email_open_rate"].astype(float)
    frame["email_click_rate"] = frame["email_click_rate"].astype(float)
    frame["tenure_days"] = frame["tenure_days"].astype("int64")
    return frame
