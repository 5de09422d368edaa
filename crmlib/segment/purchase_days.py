"""The purchase-day rule, as SQL building blocks every transaction-level analysis shares.

A *purchase day* is a calendar day on which a customer made at least one sale; refunds on that day are netted
into its value (a refund given as a positive amount is subtracted) and a day with refunds only is no purchase.
They are read from the orders (one row per order, never per line); guests' orders (no customer_id) are no
customer's purchases.
Queries count data up to and including day `$end`; `$until` is the first instant after it.
"""

from __future__ import annotations

# A transaction is a sale unless its kind says refund (a row without a kind is a refund when its amount is negative).
IS_SALE = "coalesce(kind, CASE WHEN amount < 0 THEN 'refund' ELSE 'sale' END) = 'sale'"
NET_AMOUNT = "CASE WHEN kind = 'refund' THEN -abs(amount) ELSE amount END"


def purchase_days_cte(source: str = "orders", since: bool = False) -> str:
    """A CTE `purchase_days(customer_id, day, value)` over `source`, up to `$until` (and from `$start` if `since`)."""
    start = " AND ($start IS NULL OR ts >= $start)" if since else ""
    return f"""purchase_days AS (
    SELECT customer_id, CAST(ts AS DATE) AS day, sum({NET_AMOUNT}) AS value
    FROM {source} WHERE ts < $until AND customer_id IS NOT NULL{start}
    GROUP BY customer_id, day
    HAVING bool_or({IS_SALE}))"""


PURCHASE_DAYS = purchase_days_cte()
