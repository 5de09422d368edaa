"""Every customer's state at the end of a period, as the playbook reads it: lifecycle (signup, orders, abandoned
carts, birthday), feedback (last NPS, open tickets), reach (consent, unsubscribes, the app) and past engagement per
channel, with the segment, churn risk, P(alive), lifetime value and value tier the earlier stages stored.

No personal data: names, e-mails and phones stay in the warehouse until a target list is written (`lists`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crmlib.analyze.stage import CUSTOMERS as VALUE_RESULT
from crmlib.collect.warehouse import Warehouse
from crmlib.errors import WarehouseError
from crmlib.periods import Period
from crmlib.segment.stage import RESULT as SEGMENT_RESULT
from crmlib.sql import run_sql
from crmlib.strategy.channels import CHANNELS, CLICKED, OPENED, SENT, e164, event_channel_sql, unsubscribe_sql
from crmlib.strategy.options import StrategyOptions

ENGAGEMENT_DAYS = 365  # past engagement counts the messages of this many days before the period's end

PROFILE_SQL = """
SELECT customer_id, signup_date, birth_date, coalesce(consent_email, false) AS consent_email,
       coalesce(consent_whatsapp, false) AS consent_whatsapp,
       coalesce(trim(email), '') LIKE '%_@_%._%' AS has_email, CASE WHEN consent_whatsapp THEN phone END AS phone
FROM customers WHERE signup_date < $until
"""

ORDERS_SQL = """
SELECT customer_id, count(*) AS orders, max(ts) AS last_order
FROM orders WHERE ts < $until AND kind = 'sale' AND customer_id IS NOT NULL GROUP BY customer_id
"""

FAVOURITE_SQL = """
SELECT customer_id, arg_max(category, spend) AS favourite_category FROM (
  SELECT customer_id, category, sum(amount) AS spend FROM transactions
  WHERE ts < $until AND kind = 'sale' AND customer_id IS NOT NULL AND category IS NOT NULL
        AND coalesce(is_product, true)
  GROUP BY customer_id, category)
GROUP BY customer_id
"""

CARTS_SQL = """
SELECT c.customer_id, max(c.ts) AS abandoned_cart_at
FROM events c
WHERE c.event_type = 'add_to_cart' AND c.ts < $until AND c.customer_id IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.customer_id AND o.kind = 'sale'
                  AND o.ts >= c.ts AND o.ts < c.ts + to_hours(CAST($hours AS BIGINT)))
GROUP BY c.customer_id
"""

FEEDBACK_SQL = """
SELECT customer_id, arg_max(nps_score, ts) AS last_nps, max(ts) AS last_nps_at
FROM feedback WHERE ts < $until AND nps_score IS NOT NULL GROUP BY customer_id
"""

TICKETS_SQL = """
SELECT customer_id, max(opened_at) AS open_ticket_at FROM tickets
WHERE opened_at < $until AND (resolved_at IS NULL OR resolved_at >= $until)
  AND lower(coalesce(status, 'open')) NOT IN ('resolved', 'closed')
GROUP BY customer_id
"""

REACH_SQL = f"""
SELECT customer_id,
       bool_or(event_type = 'app_install') AS app,
       bool_or({unsubscribe_sql("email")}) AS unsubscribed_email,
       bool_or({unsubscribe_sql("phone")}) AS unsubscribed_phone,
       bool_or({unsubscribe_sql("push")}) AS unsubscribed_push
FROM events WHERE ts < $until AND customer_id IS NOT NULL AND event_type IN ('app_install', 'unsubscribe')
GROUP BY customer_id
"""


def _engagement_sql() -> str:
    counts = []
    for channel in CHANNELS:
        for what, events in (
            ("sent", (SENT[channel],)),
            ("opened", OPENED.get(channel)),
            ("clicked", CLICKED[channel]),
        ):
            if events:
                listed = ", ".join(repr(e) for e in events)
                counts.append(f"count(*) FILTER (WHERE event_type IN ({listed})) AS {what}_{channel}")
    return f"""
SELECT customer_id, {", ".join(counts)}
FROM events WHERE ts < $until AND ts >= $until - to_days(CAST($days AS BIGINT)) AND customer_id IS NOT NULL
  AND {event_channel_sql()} IS NOT NULL
GROUP BY customer_id
"""


def customer_state(
    warehouse: Warehouse, period: Period, options: StrategyOptions | None = None, horizon_months: int = 12
) -> pd.DataFrame:
    """One row per customer signed up by the end of `period` (index customer_id); see the module docstring.
    `purchases_next` are the purchases expected in the next period without a campaign, from the expected purchases
    over the lifetime value horizon of `horizon_months`.

    Needs the period's segmentation and analysis results (stages 2 and 3); a WarehouseError says which is missing.
    """
    options = options or StrategyOptions()
    hours = next((r.hours for r in options.playbook if r.campaign == "cart_abandonment"), 24)
    end = period.last_day
    until = period.end
    state = run_sql(warehouse, PROFILE_SQL, end).set_index("customer_id")
    state["has_phone"] = state.pop("phone").map(lambda p: e164(p, options.phone_region)).notna()
    for sql, params in (
        (ORDERS_SQL, {}),
        (FAVOURITE_SQL, {}),
        (CARTS_SQL, {"hours": hours}),
        (FEEDBACK_SQL, {}),
        (TICKETS_SQL, {}),
        (REACH_SQL, {}),
        (_engagement_sql(), {"days": ENGAGEMENT_DAYS}),
    ):
        state = state.join(run_sql(warehouse, sql, end, **params).set_index("customer_id"))
    flags = ["app", "unsubscribed_email", "unsubscribed_phone", "unsubscribed_push"]
    state[flags] = state[flags].fillna(False).astype(bool)
    counts = [c for c in state if c.startswith(("sent_", "opened_", "clicked_"))] + ["orders"]
    state[counts] = state[counts].fillna(0).astype(int)
    state["days_since_signup"] = (until - state["signup_date"]).dt.total_seconds() / 86400
    state["days_since_order"] = (until - state["last_order"]).dt.total_seconds() / 86400
    state["birthday_next"] = birthday_in(state["birth_date"], period.next())
    state = state.join(_stored(warehouse, period))
    state["tier"] = value_tiers(state["lifetime_value"], options.tiers.top, options.tiers.high)
    state["p_alive_change"] = state["p_alive"] - state.pop("p_alive_before")
    state["purchases_next"] = state["expected_purchases"] * period.next().months / horizon_months
    return state.sort_index()


def _stored(warehouse: Warehouse, period: Period) -> pd.DataFrame:
    """The segment and the value figures of the period (stages 2 and 3), with the previous period's P(alive)."""
    value = warehouse.read_result(VALUE_RESULT, period).set_index("customer_id")
    segments = warehouse.read_result(SEGMENT_RESULT, period).set_index("customer_id")
    try:
        before = warehouse.read_result(VALUE_RESULT, period.previous()).set_index("customer_id")["p_alive"]
    except WarehouseError:
        before = pd.Series(dtype=float)
    columns = ["frequency", "monetary_value", "p_alive", "expected_purchases", "expected_spend", "lifetime_value"]
    return value[[*columns, "churn_risk"]].join(segments["segment"]).assign(p_alive_before=before)


def birthday_in(birth_date: pd.Series, period: Period) -> pd.Series:
    """Whether each birthday (month and day; 29 February on 28 February in other years) falls in `period`.

    >>> born = pd.Series(pd.to_datetime(["1990-07-14", "1985-03-01", None]))
    >>> birthday_in(born, Period.parse("2025-07")).tolist()
    [True, False, False]
    """
    days = pd.date_range(period.start, period.last_day, freq="D")
    wanted = {(d.month, d.day) for d in days}
    if (2, 28) in wanted:
        wanted.add((2, 29))
    born = pd.to_datetime(birth_date)
    keys = list(zip(born.dt.month, born.dt.day))
    return pd.Series([k in wanted for k in keys], index=birth_date.index) & born.notna()


def value_tiers(value: pd.Series, top: float, high: float) -> pd.Series:
    """`top` for the highest `top` share of lifetime value, `high` for the next `high` share, `rest` otherwise
    (customers with no value yet, who have not bought, are `rest`).

    >>> value_tiers(pd.Series(range(100), dtype=float), 0.01, 0.19).value_counts().to_dict()
    {'rest': 80, 'high': 19, 'top': 1}
    """
    rank = value.rank(ascending=False, method="first")
    n = value.notna().sum()
    tiers = np.select([rank <= max(round(n * top), 1), rank <= round(n * (top + high))], ["top", "high"], "rest")
    return pd.Series(tiers, index=value.index, name="tier")
