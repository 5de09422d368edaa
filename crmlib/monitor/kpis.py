"""The KPI catalogue: every KPI defined once, as SQL over the warehouse for any set of periods at once.

A KPI's SQL reads the registered table `windows` (period, start_ts, end_ts, base_start, base_end, days: one row per
period; `base_*` are the bounds shifted back by the active window, `monitor.active_months`) and returns one row
per period it has a value for: `period, value`. Windows start and end on a month; KPIs of buyers read the table
`buyer_months` (`BUYER_MONTHS_SQL`, made once for all KPIs: one row per customer and month with sales, their
orders, amount and the customer's first sale) instead of the orders. A KPI's name and formula in words are the
catalogue's `kpi.<key>` and `kpi.<key>.formula`; `needs` names the data it reads ("table" or "table.column"), so a
KPI whose data a business has not loaded is "no data: load …", never 0. A period in which nothing happened gets
`empty` (0 for counts and sums, no value for rates and means).

>>> KPIS["revenue"].unit, KPIS["revenue"].better, KPIS["revenue"].needs
('money', 'up', ('transactions',))
>>> len(KPIS), sorted({k.department for k in KPIS.values()})
(42, ['customer', 'marketing', 'sales', 'service'])
"""

from __future__ import annotations

from dataclasses import dataclass

from crmlib.strategy.channels import CHANNELS, CLICKED, email_subscribed_sql, unsubscribe_sql

UNITS = ("count", "money", "share", "days", "hours", "minutes", "score", "per_day", "ratio")
BOUNDS = {"share": (0.0, 1.0), "score": (-100.0, 100.0)}
"""The values a unit can take (any other: from 0 up); the anomaly check's expected range stays inside them."""
DEPARTMENTS = ("customer", "sales", "marketing", "service")


@dataclass(frozen=True)
class KPI:
    """One KPI: its key (names and formula in the catalogue), department, unit, better direction ("up"/"down"),
    the data it needs and its SQL (see the module)."""

    key: str
    department: str
    unit: str
    better: str
    needs: tuple[str, ...]
    sql: str
    empty: float | None = 0.0

    @property
    def needs_history(self) -> bool:
        """Whether the KPI compares the active window before the period (`base_start` ..): the data must reach
        that far back, else it would count only the buyers of a shorter window (retention 100% by construction).

        >>> KPIS["churn_rate"].needs_history, KPIS["revenue"].needs_history
        (True, False)
        """
        return "w.base_" in self.sql

    @property
    def name_key(self) -> str:
        return f"kpi.{self.key}"

    @property
    def formula_key(self) -> str:
        return f"kpi.{self.key}.formula"


def _in(column: str, lo: str = "w.start_ts", hi: str = "w.end_ts") -> str:
    """`column` inside a window: lo <= column < hi."""
    return f"{column} >= {lo} AND {column} < {hi}"


def _quoted(values) -> str:
    return ", ".join(f"'{v}'" for v in values)


def _count(table: str, column: str, where: str = "true") -> str:
    """Rows of `table` whose `column` falls in the window (and `where`)."""
    on = f"{_in('x.' + column)} AND ({where})"
    return f"SELECT w.period, count(*) AS value FROM windows w JOIN {table} x ON {on} GROUP BY 1"


def _mean(table: str, column: str, expression: str, where: str = "true") -> str:
    """The mean of `expression` over rows of `table` whose `column` falls in the window (and `where`)."""
    return (
        f"SELECT w.period, avg({expression}) AS value FROM windows w JOIN {table} x ON {_in('x.' + column)} "
        f"AND ({where}) GROUP BY 1"
    )


_SALES = "x.kind = 'sale'"
_HOURS = "date_diff('second', x.opened_at, x.resolved_at) / 3600.0"
_DAYS = "date_diff('second', {start}, x.closed_at) / 86400.0"

BUYER_MONTHS_SQL = """SELECT customer_id, date_trunc('month', ts) AS month, count(*) AS orders, sum(amount) AS amount,
       min(min(ts)) OVER (PARTITION BY customer_id) AS first_ts
FROM orders WHERE kind = 'sale' AND customer_id IS NOT NULL GROUP BY 1, 2"""

# Customers' first sale, and the period's buyers with whether they had bought before.
_FIRSTS = """firsts AS (SELECT customer_id, any_value(first_ts) AS first_ts FROM buyer_months GROUP BY 1)"""
_BUYERS = f"""buyers AS (SELECT w.period, x.customer_id, any_value(w.start_ts) AS start_ts, sum(x.orders) AS orders,
                  sum(x.amount) AS amount, any_value(x.first_ts) AS first_ts
  FROM windows w JOIN buyer_months x ON {_in("x.month")} GROUP BY 1, 2)"""

# The active base: customers who bought in the active window before the period (`base_start` .. `start_ts`), and
# whether they still bought in the active window before its end (`base_end` .. `end_ts`).
_BASE = f"""WITH base AS (SELECT DISTINCT w.period, x.customer_id FROM windows w
  JOIN buyer_months x ON {_in("x.month", "w.base_start", "w.start_ts")}),
kept AS (SELECT DISTINCT w.period, x.customer_id FROM windows w
  JOIN buyer_months x ON {_in("x.month", "w.base_end", "w.end_ts")})
SELECT b.period, {{value}} AS value FROM base b LEFT JOIN kept k USING (period, customer_id) GROUP BY 1"""

# Each customer's first purchase of each category (product lines only).
_FIRST_CATEGORIES = """cats AS (SELECT customer_id, category, min(ts) AS first_ts FROM transactions
  WHERE kind = 'sale' AND coalesce(is_product, true) AND category IS NOT NULL AND customer_id IS NOT NULL
  GROUP BY 1, 2)"""

# E-mail subscribers at a time: signed up before it and subscribed then (`email_subscribed_sql`: the lists' rule,
# an unsubscribe naming no channel included).
_SUBSCRIBERS_AT = "count(*) FILTER (WHERE c.signup_date < w.{at} AND " + email_subscribed_sql("w.{at}") + ")"
_UNSUBSCRIBED = f"""(SELECT customer_id, min(ts) AS first_ts FROM events
  WHERE {unsubscribe_sql("email")} GROUP BY 1) u"""

_CLICKS = _quoted(e for c in CHANNELS for e in CLICKED.get(c, ()))
_PAGES = _quoted(("web_visit", "page_view", "product_view", "add_to_cart", "checkout_start"))

_ALL = [
    # customer
    KPI("revenue", "customer", "money", "up", ("transactions",),
        "SELECT w.period, sum(x.amount) AS value FROM windows w JOIN orders x ON " + _in("x.ts") + " GROUP BY 1"),
    KPI("orders", "customer", "count", "up", ("transactions",), _count("orders", "ts", _SALES)),
    KPI("average_order_value", "customer", "money", "up", ("transactions",),
        _mean("orders", "ts", "x.amount", _SALES), None),
    KPI("purchase_frequency", "customer", "ratio", "up", ("transactions",),
        f"WITH {_BUYERS} SELECT period, avg(orders) AS value FROM buyers GROUP BY 1", None),
    KPI("repeat_purchase_rate", "customer", "share", "up", ("transactions",),
        f"WITH {_BUYERS} SELECT period, avg(CASE WHEN first_ts < start_ts THEN 1.0 ELSE 0.0 END) AS value "
        "FROM buyers GROUP BY 1", None),
    KPI("retention_rate", "customer", "share", "up", ("transactions",),
        _BASE.format(value="count(k.customer_id) / count(*)"), None),
    KPI("churn_rate", "customer", "share", "down", ("transactions",),
        _BASE.format(value="1 - count(k.customer_id) / count(*)"), None),
    KPI("nps", "customer", "score", "up", ("feedback",),
        _mean("feedback", "ts", "CASE WHEN x.nps_score >= 9 THEN 100.0 WHEN x.nps_score <= 6 THEN -100.0 ELSE 0 END",
              "x.nps_score IS NOT NULL"), None),
    KPI("csat", "customer", "share", "up", ("feedback.csat",),
        _mean("feedback", "ts", "CASE WHEN x.csat >= 4 THEN 1.0 ELSE 0.0 END", "x.csat IS NOT NULL"), None),
    # sales
    KPI("prospects", "sales", "count", "up", ("opportunities",), _count("opportunities", "created_at")),
    KPI("customers_retained", "sales", "count", "up", ("transactions",), _BASE.format(value="count(k.customer_id)")),
    KPI("close_rate", "sales", "share", "up", ("opportunities.closed_at",),
        _mean("opportunities", "closed_at", "CASE WHEN x.stage = 'won' THEN 1.0 ELSE 0.0 END",
              "x.stage IN ('won', 'lost')"), None),
    KPI("renewal_rate", "sales", "share", "up", ("opportunities.kind", "opportunities.closed_at"),
        _mean("opportunities", "closed_at", "CASE WHEN x.stage = 'won' THEN 1.0 ELSE 0.0 END",
              "x.stage IN ('won', 'lost') AND x.kind = 'renewal'"), None),
    KPI("new_customers", "sales", "count", "up", ("transactions",),
        f"WITH {_FIRSTS} SELECT w.period, count(*) AS value FROM windows w JOIN firsts x ON {_in('x.first_ts')} "
        "GROUP BY 1"),
    KPI("sales_from_calls", "sales", "count", "up", ("calls.outcome",), _count("calls", "ts", "x.outcome = 'sale'")),
    KPI("sales_opportunities", "sales", "count", "up", ("opportunities",),
        _count("opportunities", "created_at", "x.stage <> 'lead'")),
    KPI("new_revenue", "sales", "money", "up", ("transactions",),
        f"WITH {_BUYERS} SELECT period, sum(amount) AS value FROM buyers WHERE first_ts >= start_ts GROUP BY 1"),
    KPI("open_opportunities", "sales", "count", "up", ("opportunities",),
        "SELECT w.period, count(*) AS value FROM windows w JOIN opportunities x ON x.created_at < w.end_ts "
        "AND (x.closed_at IS NULL OR x.closed_at >= w.end_ts) AND (x.closed_at IS NOT NULL "
        "OR x.stage NOT IN ('won', 'lost')) GROUP BY 1"),
    KPI("sales_duration", "sales", "days", "down", ("opportunities.proposal_at", "opportunities.closed_at"),
        _mean("opportunities", "closed_at", _DAYS.format(start="x.proposal_at"),
              "x.stage = 'won' AND x.proposal_at IS NOT NULL"), None),
    KPI("sales_cycle_length", "sales", "days", "down", ("opportunities.closed_at",),
        _mean("opportunities", "closed_at", _DAYS.format(start="x.created_at"), "x.stage = 'won'"), None),
    KPI("proposals_sent", "sales", "count", "up", ("opportunities.proposal_at",),
        _count("opportunities", "proposal_at")),
    # marketing
    KPI("campaigns_run", "marketing", "count", "up", ("campaigns",), _count("campaigns", "start_date")),
    KPI("campaign_responses", "marketing", "count", "up", ("events.campaign_id",),
        "SELECT w.period, count(DISTINCT (x.customer_id, x.campaign_id)) AS value FROM windows w JOIN events x "
        f"ON {_in('x.ts')} AND x.campaign_id IS NOT NULL AND x.event_type IN ({_CLICKS}) GROUP BY 1"),
    KPI("buyers_from_campaigns", "marketing", "count", "up", ("transactions.campaign_id",),
        "SELECT w.period, count(DISTINCT x.customer_id) AS value FROM windows w JOIN orders x ON "
        f"{_in('x.ts')} AND {_SALES} AND x.campaign_id IS NOT NULL AND x.customer_id IS NOT NULL GROUP BY 1"),
    KPI("revenue_from_campaigns", "marketing", "money", "up", ("transactions.campaign_id",),
        "SELECT w.period, sum(x.amount) AS value FROM windows w JOIN orders x ON "
        f"{_in('x.ts')} AND x.campaign_id IS NOT NULL GROUP BY 1"),
    KPI("new_customers_from_campaigns", "marketing", "count", "up", ("transactions.campaign_id",),
        f"WITH {_FIRSTS} SELECT w.period, count(*) AS value FROM windows w JOIN firsts f ON {_in('f.first_ts')} "
        "JOIN orders x ON x.customer_id = f.customer_id AND x.ts = f.first_ts AND x.kind = 'sale' "
        "AND x.campaign_id IS NOT NULL GROUP BY 1"),
    KPI("referred_customers", "marketing", "count", "up", ("customers.referred_by",),
        _count("customers", "signup_date", "x.referred_by IS NOT NULL")),
    KPI("web_page_views", "marketing", "count", "up", ("events",),
        _count("events", "ts", f"x.event_type IN ({_PAGES}) AND coalesce(x.channel, 'web') = 'web'")),
    KPI("time_per_web_visit", "marketing", "minutes", "up", ("events.duration_s",),
        _mean("events", "ts", "x.duration_s / 60.0", "x.event_type = 'web_visit' AND x.duration_s IS NOT NULL"),
        None),
    KPI("customer_lifetime_value", "marketing", "money", "up", ("customer_value",),
        "SELECT w.period, avg(v.lifetime_value) AS value FROM windows w JOIN customer_value v ON v.period = w.period "
        "GROUP BY 1", None),
    KPI("cross_sell_ratio", "marketing", "share", "up", ("transactions.category",),
        f"WITH {_BUYERS}, {_FIRST_CATEGORIES},\n"
        f"new AS (SELECT DISTINCT w.period, x.customer_id FROM windows w JOIN cats x ON {_in('x.first_ts')})\n"
        "SELECT b.period, avg(CASE WHEN n.customer_id IS NULL THEN 0.0 ELSE 1.0 END) AS value FROM buyers b "
        "LEFT JOIN new n USING (period, customer_id) WHERE b.first_ts < b.start_ts GROUP BY 1", None),
    KPI("up_sell_ratio", "marketing", "share", "up", ("transactions",),
        f"WITH {_BUYERS},\nbefore AS (SELECT b.period, b.customer_id, avg(x.amount) AS average FROM buyers b "
        f"JOIN orders x ON x.customer_id = b.customer_id AND x.ts < b.start_ts AND {_SALES} GROUP BY 1, 2)\n"
        "SELECT b.period, avg(CASE WHEN b.amount / b.orders >= 1.1 * p.average THEN 1.0 ELSE 0.0 END) AS value "
        "FROM buyers b JOIN before p USING (period, customer_id) GROUP BY 1", None),
    KPI("email_list_growth", "marketing", "share", "up", ("customers.consent_email",),
        "SELECT w.period, (" + _SUBSCRIBERS_AT.format(at="end_ts") + " - " + _SUBSCRIBERS_AT.format(at="start_ts")
        + ") / nullif(" + _SUBSCRIBERS_AT.format(at="start_ts") + ", 0) AS value "
        f"FROM windows w CROSS JOIN customers c LEFT JOIN {_UNSUBSCRIBED} USING (customer_id) GROUP BY 1", None),
    # service
    KPI("issues_raised", "service", "count", "down", ("tickets",), _count("tickets", "opened_at")),
    KPI("resolved_within_day", "service", "share", "up", ("tickets.resolved_at",),
        _mean("tickets", "opened_at", f"CASE WHEN {_HOURS} <= 24 THEN 1.0 ELSE 0.0 END")),
    KPI("average_handling_time", "service", "minutes", "down", ("calls.handling_s",),
        _mean("calls", "ts", "x.handling_s / 60.0", "x.answered AND x.handling_s IS NOT NULL"), None),
    KPI("services_per_day", "service", "per_day", "up", ("tickets.resolved_at",),
        "SELECT w.period, count(*) / any_value(w.days) AS value FROM windows w JOIN tickets x ON "
        f"{_in('x.resolved_at')} GROUP BY 1"),
    KPI("complaint_resolution_time", "service", "hours", "down", ("tickets.resolved_at",),
        _mean("tickets", "resolved_at", _HOURS), None),
    KPI("customers_contacting_again", "service", "share", "down", ("tickets",),
        "SELECT w.period, avg(CASE WHEN EXISTS (SELECT 1 FROM tickets p WHERE p.customer_id = x.customer_id "
        "AND p.opened_at < x.opened_at AND p.opened_at >= x.opened_at - INTERVAL 7 DAY) THEN 1.0 ELSE 0.0 END) "
        f"AS value FROM windows w JOIN tickets x ON {_in('x.opened_at')} GROUP BY 1", None),
    KPI("average_cost_per_service", "service", "money", "down", ("tickets.cost",),
        _mean("tickets", "resolved_at", "x.cost", "x.cost IS NOT NULL"), None),
    KPI("unanswered_calls", "service", "share", "down", ("calls.answered",),
        _mean("calls", "ts", "CASE WHEN x.answered THEN 0.0 ELSE 1.0 END",
              "x.direction = 'inbound' AND x.answered IS NOT NULL"), None),
    KPI("phone_resolution_time", "service", "hours", "down", ("calls.ticket_id", "tickets.resolved_at"),
        _mean("tickets", "resolved_at", _HOURS,
              "x.ticket_id IN (SELECT ticket_id FROM calls WHERE purpose = 'service' AND ticket_id IS NOT NULL)"),
        None),
]  # fmt: skip

KPIS: dict[str, KPI] = {k.key: k for k in _ALL}
"""Every KPI by key, in the order the monitoring page lists them (customer, sales, marketing, service)."""
