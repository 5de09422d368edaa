"""The data contract: the eight canonical tables, their columns and rules, as pandera schemas.

>>> TABLES["transactions"].required
('transaction_id', 'customer_id', 'ts', 'amount')
>>> [c.name for c in TABLES["transactions"].derived], [c.name for c in TABLES["customers"].derived]
(['is_product'], ['profile_source'])
>>> sorted(TABLES) == sorted(TABLE_ORDER)
True
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandera.pandas as pa

# Column kinds and the DuckDB type each loads as.
SQL_TYPES = {"str": "VARCHAR", "ts": "TIMESTAMP", "date": "DATE", "float": "DOUBLE", "int": "BIGINT", "bool": "BOOLEAN"}
PANDAS_TYPES = {
    "str": "str",
    "ts": "datetime64[us]",
    "date": "datetime64[us]",
    "float": "float64",
    "int": "Int64",
    "bool": "boolean",
}


@dataclass(frozen=True)
class Col:
    """One contract column: its kind, and the rule its values must keep (a pandera check, or none)."""

    name: str
    kind: str = "str"
    required: bool = False
    check: pa.Check | None = None
    not_future: bool = False  # a time that cannot lie after the moment of loading
    nullable: bool | None = None  # a required column whose values may be missing (None: not when required)
    decisive: bool = False  # optional, but what the row means hangs on it: an unreadable value quarantines the row
    money: bool = False  # an amount in the business currency (its digit grouping read as `parsing.money_reading`)


@dataclass(frozen=True)
class Table:
    """A canonical table: its columns (required first), its id column and the data kind it belongs to."""

    name: str
    data_kind: str
    columns: tuple[Col, ...]
    customer_link: bool = field(default=True)  # has a customer_id that must name a known customer
    derived: tuple[Col, ...] = ()  # columns the warehouse adds at loading; never read from a source

    @property
    def id_column(self) -> str:
        return self.columns[0].name

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def keeps_row(self) -> tuple[str, ...]:
        """The columns whose unreadable value quarantines the row: the required ones and the decisive ones (an
        unreadable optional value is stored as missing instead)."""
        return tuple(c.name for c in self.columns if c.required or c.decisive)

    @property
    def stored(self) -> tuple[Col, ...]:
        """The columns of the table in the warehouse: the contract's, then the derived ones."""
        return self.columns + self.derived

    def col(self, name: str) -> Col:
        return next(c for c in self.columns if c.name == name)

    def schema(self) -> pa.DataFrameSchema:
        """The pandera schema of the table's loaded (typed) form."""
        return pa.DataFrameSchema(
            {
                c.name: pa.Column(
                    PANDAS_TYPES[c.kind],
                    checks=[c.check] if c.check else [],
                    nullable=not c.required if c.nullable is None else c.nullable,
                    required=c.required,
                )
                for c in self.columns
            },
            strict=False,
            name=self.name,
        )


# A rule's error is its catalogue message and arguments, "key|arg|arg", put in words when a row is quarantined.
def _one_of(*values: str) -> pa.Check:
    return pa.Check.isin(values, error=f"rule.one_of|{', '.join(values)}")


def _between(low: float, high: float) -> pa.Check:
    return pa.Check.in_range(low, high, error=f"rule.between|{low:g}|{high:g}")


_NON_NEGATIVE = pa.Check.ge(0, error="rule.not_negative")
_SHARE = _between(0, 1)

TABLES: dict[str, Table] = {
    t.name: t
    for t in [
        Table(
            "customers",
            "profile",
            (
                Col("customer_id", required=True),
                Col("signup_date", "ts", required=True, not_future=True),
                Col("name"),
                Col("email"),
                Col("phone"),
                Col("birth_date", "date", not_future=True),
                Col("gender"),
                Col("city"),
                Col("region"),
                Col("acquisition_channel"),
                Col("referred_by"),
                Col("consent_email", "bool"),
                Col("consent_whatsapp", "bool"),
            ),
            customer_link=False,
            # the source a customer's profile row came from; missing for a customer only other tables name
            derived=(Col("profile_source"),),
        ),
        Table(
            "campaigns",
            "engagement",
            (
                Col("campaign_id", required=True),
                Col("name", required=True),
                Col("type", required=True),
                Col("channel", required=True),
                Col("start_date", "date", required=True),
                Col("end_date", "date"),
                Col("cost", "float", check=_NON_NEGATIVE, money=True),
                Col("control_share", "float", check=_SHARE),
            ),
            customer_link=False,
        ),
        # One row per order line: rows sharing a transaction_id are the lines of one order. A line without a
        # customer_id is a guest sale. amount may be left out when quantity and unit_price are given.
        Table(
            "transactions",
            "transactional",
            (
                Col("transaction_id", required=True),
                Col("customer_id", required=True, nullable=True),
                Col("ts", "ts", required=True, not_future=True),
                Col("amount", "float", required=True, money=True),
                Col("quantity", "int"),
                Col("unit_price", "float", money=True),
                Col("category"),
                Col("product_id"),
                Col("channel"),
                Col("campaign_id"),
                # a sale, a refund of its amount, or a cancelled order (never paid: neither revenue nor a refund)
                Col("kind", check=_one_of("sale", "refund", "cancelled"), decisive=True),
            ),
            derived=(Col("is_product", "bool"),),
        ),
        Table(
            "events",
            "engagement",
            (
                Col("event_id", required=True),
                Col("customer_id", required=True),
                Col("ts", "ts", required=True, not_future=True),
                Col("event_type", required=True),
                Col("channel"),
                Col("campaign_id"),
                Col("session_id"),
                Col("duration_s", "float", check=_NON_NEGATIVE),
            ),
        ),
        Table(
            "feedback",
            "feedback",
            (
                Col("response_id", required=True),
                Col("customer_id", required=True),
                Col("ts", "ts", required=True, not_future=True),
                Col("nps_score", "int", required=True, check=_between(0, 10)),
                Col("csat", "int", check=_between(1, 5)),
                Col("comment"),
                Col("channel"),
            ),
        ),
        Table(
            "tickets",
            "feedback",
            (
                Col("ticket_id", required=True),
                Col("customer_id", required=True),
                Col("opened_at", "ts", required=True, not_future=True),
                Col("first_response_at", "ts", not_future=True),
                Col("resolved_at", "ts", not_future=True),
                Col("channel"),
                Col("topic"),
                Col("status", check=_one_of("open", "pending", "resolved", "closed")),
                Col("cost", "float", check=_NON_NEGATIVE, money=True),
            ),
        ),
        Table(
            "opportunities",
            "transactional",
            (
                Col("opportunity_id", required=True),
                Col("created_at", "ts", required=True, not_future=True),
                Col("stage", required=True, check=_one_of("lead", "qualified", "proposal", "won", "lost")),
                Col("customer_id"),
                Col("closed_at", "ts", not_future=True),
                Col("value", "float", check=_NON_NEGATIVE, money=True),
                Col("source"),
                Col("proposal_at", "ts", not_future=True),  # when the proposal was sent; empty if none was
                Col("kind", check=_one_of("new", "renewal", "upsell")),
            ),
        ),
        # One row per phone call, inbound (service) or outbound (sales). An unknown caller has no customer_id, as a
        # deal may have none. duration_s is talk time; handling_s is talk, hold and wrap-up time.
        Table(
            "calls",
            "engagement",
            (
                Col("call_id", required=True),
                Col("ts", "ts", required=True, not_future=True),
                Col("direction", required=True, check=_one_of("inbound", "outbound")),
                Col("customer_id"),
                Col("answered", "bool"),
                Col("duration_s", "float", check=_NON_NEGATIVE),
                Col("handling_s", "float", check=_NON_NEGATIVE),
                Col("purpose", check=_one_of("sales", "service")),
                Col("outcome", check=_one_of("sale", "no_sale", "resolved", "unresolved", "callback")),
                Col("ticket_id"),
                Col("opportunity_id"),
            ),
        ),
    ]
}

# Load order: customers and campaigns first, so the tables that refer to them can be checked.
TABLE_ORDER: tuple[str, ...] = tuple(TABLES)

DATA_KINDS = ("profile", "transactional", "engagement", "feedback")


def create_table_sql(table: Table, name: str | None = None) -> str:
    """DuckDB DDL for a canonical table (typed, nothing NOT NULL so a failed stage never blocks a load)."""
    cols = ", ".join(f'"{c.name}" {SQL_TYPES[c.kind]}' for c in table.stored)
    return f'CREATE TABLE IF NOT EXISTS "{name or table.name}" ({cols})'


# The orders the warehouse builds from the transactions' lines: one row per transaction_id, at the order's first
# time, with the sum of its lines. Customer-level work (purchase days, RFM, cohorts, KPIs) reads orders; product
# work reads the lines.
ORDERS = Table(
    "orders",
    "transactional",
    (
        Col("transaction_id", required=True),
        Col("customer_id"),  # missing for a guest's order
        Col("ts", "ts", required=True),
        Col("amount", "float", required=True),
        Col("quantity", "int"),  # units of product lines
        Col("lines", "int"),
        Col("channel"),
        Col("campaign_id"),
        Col("kind"),  # sale when any line is a sale, else refund (cancelled orders are none)
    ),
)

BUILD_ORDERS_SQL = """
INSERT INTO orders
SELECT transaction_id, any_value(customer_id), min(ts), sum(amount),
       CAST(sum(quantity) FILTER (WHERE coalesce(is_product, true)) AS BIGINT), count(*), any_value(channel),
       any_value(campaign_id), CASE WHEN bool_or(kind = 'sale') THEN 'sale' ELSE 'refund' END
FROM transactions WHERE kind <> 'cancelled' GROUP BY transaction_id"""
