"""The customer journey funnel up to a day: awareness, consideration, conversion, repeat, loyal; and churned.

Each customer is placed at the furthest stage they reached by `end` (data up to and including that day):

- awareness: the customer is known: signed up, or has any event or transaction;
- consideration: viewed a product, added to cart or started a checkout (product_view, add_to_cart,
  checkout_start), or bought: a purchase made offline or in a marketplace leaves no web event but implies it;
- conversion: made a first purchase (1+ purchase days: days with a sale);
- repeat: 2+ purchase days;
- loyal: `loyal_days`+ purchase days (default 4);
- churned, a side exit among converted customers: no purchase in the last `churn_days` days up to `end`
  (default 180: the last purchase day is on or before `end` - 180 days), or, when a P(alive) Series is given,
  P(alive) below `p_alive_threshold` (default 0.5, the high churn risk tier). A loyal customer can be churned.

The stages nest, so the counts never rise along the funnel. Events and purchases are read in SQL; placing
customers and counting them is done on the one-row-per-customer result.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crmlib.catalogue import t
from crmlib.collect.needs import left_out
from crmlib.collect.warehouse import Warehouse
from crmlib.errors import ParamsError
from crmlib.segment.purchase_days import PURCHASE_DAYS
from crmlib.sql import run_sql

STAGES = ("awareness", "consideration", "conversion", "repeat", "loyal")
CONSIDERATION_EVENTS = ("product_view", "add_to_cart", "checkout_start")
NEEDS = {"journey.awareness": ("events|customers.profile_source",), "journey.consideration": ("events",)}
"""The data without which a stage counts the buyers again (true by construction), so the funnel leaves it out:
awareness needs events or profile rows (people known before they buy), consideration needs events."""

_SQL = f"""
WITH {PURCHASE_DAYS},
known AS (
    SELECT customer_id FROM customers WHERE signup_date < $until
    UNION SELECT customer_id FROM events WHERE ts < $until
    UNION SELECT customer_id FROM orders WHERE ts < $until AND customer_id IS NOT NULL),
considering AS (
    SELECT DISTINCT customer_id FROM events WHERE ts < $until AND event_type IN (SELECT unnest($considering))),
buying AS (SELECT customer_id, count(*) AS purchase_days, max(day) AS last_purchase FROM purchase_days GROUP BY 1)
SELECT k.customer_id,
       CASE WHEN b.purchase_days >= $loyal THEN 4 WHEN b.purchase_days >= 2 THEN 3 WHEN b.purchase_days >= 1 THEN 2
            WHEN v.customer_id IS NOT NULL THEN 1 ELSE 0 END AS level,
       coalesce(b.purchase_days, 0) AS purchase_days, b.last_purchase,
       coalesce(b.last_purchase <= CAST($end AS DATE) - CAST($churn_days AS INTEGER), false) AS lapsed
FROM known k LEFT JOIN considering v USING (customer_id) LEFT JOIN buying b USING (customer_id)
ORDER BY k.customer_id
"""


def customer_journey(
    warehouse: Warehouse,
    end,
    loyal_days: int = 4,
    churn_days: int = 180,
    p_alive: pd.Series | None = None,
    p_alive_threshold: float = 0.5,
) -> pd.DataFrame:
    """Per known customer (index customer_id): stage (the furthest reached, an ordered categorical),
    purchase_days, last_purchase and churned (see the module's definitions)."""
    if not (isinstance(loyal_days, (int, np.integer)) and loyal_days >= 2):
        raise ParamsError(t("error.journey.loyal_days", value=repr(loyal_days)))
    if not (isinstance(churn_days, (int, np.integer)) and churn_days >= 1):
        raise ParamsError(t("error.journey.churn_days", value=repr(churn_days)))
    if not 0 < p_alive_threshold < 1:
        raise ParamsError(t("error.journey.threshold", value=repr(p_alive_threshold)))
    frame = run_sql(
        warehouse, _SQL, end, loyal=int(loyal_days), churn_days=int(churn_days), considering=list(CONSIDERATION_EVENTS)
    )
    frame = frame.astype({"customer_id": str}).set_index("customer_id")
    converted = frame["purchase_days"] > 0
    if p_alive is None:
        churned = frame["lapsed"]
    else:
        missing = frame.index[converted].difference(p_alive.index)
        if len(missing):
            raise ValueError(
                f"p_alive lacks {len(missing)} customers who bought by {end}, e.g. {list(missing[:3])}: "
                "compute P(alive) for the same end"
            )
        churned = converted & (p_alive.reindex(frame.index) < p_alive_threshold)
    stage = pd.Categorical.from_codes(frame["level"].to_numpy(), categories=list(STAGES), ordered=True)
    return pd.DataFrame(
        {
            "stage": stage,
            "purchase_days": frame["purchase_days"],
            "last_purchase": frame["last_purchase"],
            "churned": churned.astype(bool),
        },
        index=frame.index,
    )


def funnel_table(journey: pd.DataFrame) -> pd.DataFrame:
    """The funnel of a `customer_journey` table: one row per stage, then churned.

    Columns: stage; customers; base (the stage the rate is measured against: the previous one, and conversion for
    churned); rate_from_previous (customers / base); rate_from_awareness; drop_off (customers of the previous
    stage who went no further; none for churned).

    >>> journey = pd.DataFrame({"stage": pd.Categorical(["awareness", "conversion", "loyal", "repeat"],
    ...                                                  categories=STAGES, ordered=True),
    ...                         "churned": [False, True, False, False]})
    >>> funnel_table(journey)[["stage", "customers", "rate_from_previous"]].to_dict("list")
    ... # doctest: +NORMALIZE_WHITESPACE
    {'stage': ['awareness', 'consideration', 'conversion', 'repeat', 'loyal', 'churned'],
     'customers': [4, 3, 3, 2, 1, 1],
     'rate_from_previous': [nan, 0.75, 1.0, 0.6666666666666666, 0.5, 0.3333333333333333]}
    """
    level = journey["stage"].cat.codes
    reached = [int((level >= i).sum()) for i in range(len(STAGES))]
    counts = np.array(reached + [int(journey["churned"].sum())], dtype=float)
    base = np.array([np.nan] + reached[:-1] + [reached[STAGES.index("conversion")]], dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return pd.DataFrame(
            {
                "stage": [*STAGES, "churned"],
                "customers": counts.astype(int),
                "base": [None, *STAGES[:-1], "conversion"],
                "rate_from_previous": counts / base,
                "rate_from_awareness": counts / reached[0] if reached[0] else np.nan,
                "drop_off": np.append(base[:-1] - counts[:-1], np.nan),
            }
        )


def journey_funnel(
    warehouse: Warehouse,
    end,
    loyal_days: int = 4,
    churn_days: int = 180,
    p_alive: pd.Series | None = None,
    p_alive_threshold: float = 0.3,
) -> pd.DataFrame:
    """The journey funnel up to `end` (see the module's stage definitions and `funnel_table`'s columns)."""
    return funnel_table(customer_journey(warehouse, end, loyal_days, churn_days, p_alive, p_alive_threshold))


def observed(funnel: pd.DataFrame, warehouse: Warehouse) -> tuple[pd.DataFrame, str]:
    """The stages of a `funnel_table` the warehouse's data observe (see `NEEDS`), and one line naming the stages
    left out and what to load for them ("" when none is); without awareness, no rate is from awareness."""
    gone, note = left_out(warehouse, NEEDS)
    stages = [key.removeprefix("journey.") for key in gone]
    kept = funnel[~funnel["stage"].isin(stages)].reset_index(drop=True)
    if "awareness" in stages:
        kept["rate_from_awareness"] = np.nan
    kept.loc[0, ["rate_from_previous", "drop_off"]] = np.nan  # the first stage shown has none before it
    return kept, note
