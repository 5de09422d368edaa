"""What was collected up to a period, and how good it is: the figures behind the data collection report.

All aggregation is SQL run by the warehouse engine, so it scales with the data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crmlib.catalogue import t
from crmlib.collect.contract import DATA_KINDS, TABLES
from crmlib.collect.ingest import DERIVED
from crmlib.collect.needs import needs
from crmlib.collect.reconcile import over_limit
from crmlib.collect.validate import OUTCOMES, reasons_text
from crmlib.collect.warehouse import Warehouse, main_time_column


def collected(warehouse: Warehouse, until: pd.Timestamp) -> pd.DataFrame:
    """Per table: its data kind, rows before `until`, distinct customers, first and last time, source."""
    parts = []
    for name, spec in TABLES.items():
        time = main_time_column(name)
        customers = "count(DISTINCT customer_id)" if "customer_id" in spec.names else "NULL"
        parts.append(f"""SELECT '{name}' AS table_name, '{spec.data_kind}' AS data_kind, count(*) AS rows,
                         {customers} AS customers, min("{time}") AS first, max("{time}") AS last
                         FROM "{name}" WHERE "{time}" < $until""")
    frame = warehouse.query(" UNION ALL ".join(parts), {"until": _ts(until)})
    sources = warehouse.query("SELECT table_name, source FROM loads")
    sources["source"] = sources["source"].replace({DERIVED: t("source.derived")})
    frame = frame.merge(sources, on="table_name", how="left")
    return frame.sort_values("table_name", key=_contract_order, kind="stable").reset_index(drop=True)


def store_collection(warehouse: Warehouse, period, collected_tables: pd.DataFrame) -> None:
    """Write the period's result `collection_summary`: what was collected per table (see `collected`)."""
    warehouse.write_result("collection_summary", period, collected_tables)


def by_data_kind(collected_tables: pd.DataFrame) -> pd.DataFrame:
    """Rows per data kind (profile, transactional, engagement, feedback), in that order."""
    rows = collected_tables.groupby("data_kind")["rows"].sum()
    return rows.reindex(list(DATA_KINDS), fill_value=0).rename_axis("data_kind").reset_index()


def quarantine_by_check(warehouse: Warehouse) -> pd.DataFrame:
    """Quarantined records per table and kind of problem (a record with two problems counts under each)."""
    return warehouse.query("""
        SELECT table_name, trim(check_name) AS check_name, count(*) AS records
        FROM (SELECT table_name, unnest(string_split(check_name, ',')) AS check_name FROM quarantine)
        GROUP BY ALL ORDER BY records DESC, table_name, check_name""")


def quarantine_examples(warehouse: Warehouse, per_check: int = 3, language: str | None = None) -> pd.DataFrame:
    """A few quarantined records for each table and kind of problem, with the row to look at and the reason in
    `language` (default: the language of the load)."""
    frame = warehouse.query(
        """
        SELECT table_name, source, row_number, column_name, reason, reasons FROM quarantine
        QUALIFY row_number() OVER (PARTITION BY table_name, check_name ORDER BY row_number) <= $n
        ORDER BY table_name, check_name, row_number""",
        {"n": per_check},
    )
    if language is not None:
        worded = [
            reasons_text(r, language) if isinstance(r, str) else text
            for r, text in zip(frame["reasons"], frame["reason"])
        ]
        frame["reason"] = pd.Series(worded, index=frame.index, dtype=object)
    return frame.drop(columns="reasons")


def load_balance(warehouse: Warehouse) -> pd.DataFrame:
    """Per loaded source: rows read, loaded, loaded as guest sales and quarantined, and whether they add up."""
    frame = warehouse.query(
        "SELECT table_name, source, rows, loaded, coalesce(guest, 0) AS guest, quarantined FROM loads"
    )
    frame = frame.assign(balanced=frame["rows"] == frame["loaded"] + frame["guest"] + frame["quarantined"])
    return frame.sort_values("table_name", key=_contract_order, kind="stable").reset_index(drop=True)


def reconciliation(warehouse: Warehouse, table: str = "transactions") -> pd.DataFrame:
    """Per month of a table's source: rows and money read, loaded, guest and quarantined (NaT: time unreadable).

    The source's total is by construction loaded + guest + quarantined; the page shows it so a reader sees at once
    how much of the source (in rows and money) did not reach the figures.
    """
    frame = warehouse.query(
        """
        SELECT month, outcome, sum(rows)::BIGINT AS rows, sum(amount) AS amount FROM reconciliation
        WHERE table_name = $table GROUP BY ALL""",
        {"table": table},
    )
    rows = frame.pivot_table(index="month", columns="outcome", values="rows", aggfunc="sum", dropna=False)
    money = frame.pivot_table(index="month", columns="outcome", values="amount", aggfunc="sum", dropna=False)
    out = pd.DataFrame(index=rows.index if len(rows) else pd.Index([], name="month"))
    for kind in OUTCOMES:
        out[f"{kind}_rows"] = rows.get(kind, 0)
        out[f"{kind}_amount"] = money.get(kind, 0.0)
    out = out.fillna(0)
    out.insert(0, "source_rows", out[[f"{k}_rows" for k in OUTCOMES]].sum(axis=1))
    out.insert(1, "source_amount", out[[f"{k}_amount" for k in OUTCOMES]].sum(axis=1))
    out = out.astype({c: "int64" for c in out.columns if c.endswith("_rows")})
    return out.sort_index(na_position="last").reset_index()


def quarantined_share_by_month(warehouse: Warehouse) -> pd.DataFrame:
    """Per month (rows; NaT where the time could not be read) and table (columns): the share of the source's rows
    that were quarantined. A load that lost rows shows at once; a table without rows in a month is left empty."""
    frame = warehouse.query("""
        SELECT month, table_name, coalesce(sum(rows) FILTER (outcome = 'quarantined'), 0) / sum(rows) AS share
        FROM reconciliation GROUP BY ALL""")
    if frame.empty:
        return pd.DataFrame()
    matrix = frame.pivot(index="month", columns="table_name", values="share")
    return matrix[[t for t in TABLES if t in matrix.columns]].sort_index(na_position="last")


def load_warnings(warehouse: Warehouse, max_share: float) -> pd.DataFrame:
    """The loaded tables whose quarantined share of rows or money is above `max_share` (see reconcile.over_limit)."""
    balance = warehouse.query("SELECT table_name, outcome, rows, amount FROM reconciliation")
    return over_limit(balance, max_share).reset_index(drop=True)


def sales(warehouse: Warehouse, until: pd.Timestamp) -> pd.DataFrame:
    """Orders and net revenue before `until`, of customers and of guests (sales without a customer), with the lines
    that make them, and the cancelled orders (never paid: no revenue) and their value (empty when none was)."""
    frame = warehouse.query(
        """
        SELECT CASE WHEN customer_id IS NULL THEN 'guest' ELSE 'customer' END AS buyer,
               count(*) FILTER (WHERE kind = 'sale') AS orders, count(*) FILTER (WHERE kind = 'refund') AS refunds,
               sum(lines)::BIGINT AS lines, sum(amount) AS revenue
        FROM orders WHERE ts < $until GROUP BY ALL""",
        {"until": _ts(until)},
    )
    frame = frame.set_index("buyer").reindex(["customer", "guest"]).fillna(0)
    frame["revenue_share"] = frame["revenue"] / frame["revenue"].sum() if frame["revenue"].sum() else 0.0
    cancelled = warehouse.query(
        """
        SELECT CASE WHEN customer_id IS NULL THEN 'guest' ELSE 'customer' END AS buyer,
               count(DISTINCT transaction_id) AS cancelled, sum(amount) AS cancelled_value
        FROM transactions WHERE kind = 'cancelled' AND ts < $until GROUP BY ALL""",
        {"until": _ts(until)},
    ).set_index("buyer")
    if len(cancelled):  # without cancellations the columns stay empty, and a table leaves them out
        frame = frame.join(cancelled.reindex(frame.index).fillna(0))
    else:
        frame = frame.assign(cancelled=np.nan, cancelled_value=np.nan)
    return frame.astype({"orders": "int64", "refunds": "int64", "lines": "int64"}).reset_index()


def order_lines(warehouse: Warehouse, until: pd.Timestamp) -> dict[str, float]:
    """How the transactions came: lines, orders, lines per order, non-product lines and their revenue, and the
    orders whose lines had different times (from the latest load)."""
    counts = (
        warehouse.query(
            """
        SELECT count(*) AS lines, count(DISTINCT transaction_id) AS orders,
               count(*) FILTER (WHERE NOT coalesce(is_product, true)) AS non_product_lines,
               coalesce(sum(amount) FILTER (WHERE NOT coalesce(is_product, true)), 0) AS non_product_revenue
        FROM transactions WHERE ts < $until AND kind <> 'cancelled'""",
            {"until": _ts(until)},
        )
        .iloc[0]
        .to_dict()
    )
    spread = warehouse.query(
        "SELECT coalesce(max(spread_orders), 0) AS n FROM loads WHERE table_name = 'transactions'"
    )["n"][0]
    counts["spread_orders"] = int(spread)
    counts["lines_per_order"] = counts["lines"] / counts["orders"] if counts["orders"] else 0.0
    return counts


def missing_values(warehouse: Warehouse, until: pd.Timestamp) -> pd.DataFrame:
    """Share of missing values per table and column (rows before `until`), tables as rows, columns long."""
    parts = []
    for name, spec in TABLES.items():
        time = main_time_column(name)
        for col in spec.columns:
            parts.append(f"""SELECT '{name}' AS table_name, '{col.name}' AS column_name, {col.required} AS required,
                             count(*) AS rows, count(*) - count("{col.name}") AS missing
                             FROM "{name}" WHERE "{time}" < $until""")
    frame = warehouse.query(" UNION ALL ".join(parts), {"until": _ts(until)})
    share = frame["missing"] / frame["rows"].where(frame["rows"] > 0)
    return frame.assign(missing_share=share.fillna(0.0))


def missing_matrix(warehouse: Warehouse, until: pd.Timestamp) -> pd.DataFrame:
    """Optional columns that have gaps (rows) by table (columns): the share of missing values."""
    frame = missing_values(warehouse, until)
    frame = frame[~frame["required"] & (frame["rows"] > 0)]
    matrix = frame.pivot(index="column_name", columns="table_name", values="missing_share")
    return matrix[matrix.gt(0).any(axis=1)].dropna(axis=1, how="all")


def profiles(warehouse: Warehouse, until: pd.Timestamp) -> pd.Series:
    """How many of the customers who bought before `until` have no profile row (the customers source lacks them,
    or there is none), and the share of those buyers' net revenue: buyers, unprofiled, revenue_share."""
    found = warehouse.query(
        """
        SELECT count(DISTINCT o.customer_id) FILTER (WHERE o.kind = 'sale') AS buyers,
               count(DISTINCT o.customer_id) FILTER (WHERE o.kind = 'sale' AND c.profile_source IS NULL) AS unprofiled,
               coalesce(sum(o.amount) FILTER (WHERE c.profile_source IS NULL) / nullif(sum(o.amount), 0), 0)
                 AS revenue_share
        FROM orders o JOIN customers c USING (customer_id) WHERE o.ts < $until""",
        {"until": _ts(until)},
    )
    return found.iloc[0]


IDENTITY_SQL = """
SELECT count(*) AS buyers,
       count(*) FILTER (WHERE regexp_matches(id, '^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$')) AS email,
       count(*) FILTER (WHERE regexp_matches(id, '^\\+?[0-9][0-9 ().-]{7,}$')) AS phone,
       count(*) FILTER (WHERE regexp_matches(id, '^[^\\d@_]+$') AND regexp_matches(id, '[^\\W\\d_]{2}')) AS name
FROM (SELECT DISTINCT customer_id AS id FROM orders WHERE customer_id IS NOT NULL)"""


def identity(warehouse: Warehouse) -> str:
    """How the buyers are identified, read from their ids: "email", "phone", "name" (words without digits, as
    marketplaces export a buyer's name: namesakes become one customer) or "id" (anything else), by the majority.

    >>> import tempfile, pathlib
    >>> wh = Warehouse(pathlib.Path(tempfile.mkdtemp()) / "w.duckdb")
    >>> identity(wh)
    'id'
    """
    found = warehouse.query(IDENTITY_SQL).iloc[0]
    kind = max(("email", "phone", "name"), key=lambda k: found[k])
    return kind if found["buyers"] and found[kind] > found["buyers"] / 2 else "id"


def cleared_values(warehouse: Warehouse, language: str | None = None, examples: int = 2) -> pd.DataFrame:
    """Optional values the loads stored as missing (unreadable, breaking their rule, in the future), per table and
    column: values, and the first `examples` reasons with their rows (in `language`; default: the load's)."""
    frame = warehouse.query(
        """
        SELECT table_name, column_name, count(*) OVER (PARTITION BY table_name, column_name) AS "values",
               row_number, reason, reasons FROM cleared
        QUALIFY row_number() OVER (PARTITION BY table_name, column_name ORDER BY row_number) <= $n""",
        {"n": examples},
    )
    if language is not None:
        frame["reason"] = [reasons_text(r, language) for r in frame["reasons"]]
    frame["example"] = [
        f"{reason} ({t('row', language)} {row})" for reason, row in zip(frame["reason"], frame["row_number"])
    ]
    grouped = frame.groupby(["table_name", "column_name"], sort=False)
    out = grouped.agg(values=("values", "first"), examples=("example", "; ".join)).reset_index()
    return out.sort_values(["table_name", "values"], key=_table_first, ascending=[True, False]).reset_index(drop=True)


@needs("customers.email|customers.phone")
def shared_contacts(warehouse: Warehouse) -> pd.DataFrame:
    """Customers whose e-mail or phone another customer also has: likely duplicate profiles to merge."""
    return warehouse.query("""
        WITH contacts AS (
            SELECT customer_id, 'email' AS contact, lower(trim(email)) AS value FROM customers WHERE email IS NOT NULL
            UNION ALL
            SELECT customer_id, 'phone', regexp_replace(phone, '[^0-9]', '', 'g') FROM customers
            WHERE phone IS NOT NULL)
        SELECT contact, value, count(*) AS customers, string_agg(customer_id, ', ' ORDER BY customer_id) AS ids
        FROM contacts WHERE value <> '' GROUP BY contact, value HAVING count(*) > 1
        ORDER BY customers DESC, contact, value""")


def monthly_growth(warehouse: Warehouse, until: pd.Timestamp) -> pd.DataFrame:
    """Per month before `until`: new customers, orders (sales; guests' too), net revenue (guests' too, and on its
    own), active (buying) customers."""
    return warehouse.query(
        """
        WITH months AS (
            SELECT date_trunc('month', signup_date) AS month, count(*) AS new_customers, 0 AS orders,
                   0.0 AS revenue, 0.0 AS guest_revenue, 0 AS active_customers
            FROM customers WHERE signup_date < $until GROUP BY 1
            UNION ALL
            SELECT date_trunc('month', ts), 0, count(*) FILTER (kind = 'sale'), sum(amount),
                   coalesce(sum(amount) FILTER (customer_id IS NULL), 0.0),
                   count(DISTINCT customer_id) FILTER (kind = 'sale')
            FROM orders WHERE ts < $until GROUP BY 1)
        SELECT month, sum(new_customers)::BIGINT AS new_customers, sum(orders)::BIGINT AS orders,
               sum(revenue) AS revenue, sum(guest_revenue) AS guest_revenue,
               sum(active_customers)::BIGINT AS active_customers
        FROM months GROUP BY month ORDER BY month""",
        {"until": _ts(until)},
    )


def _contract_order(names: pd.Series) -> pd.Series:
    return names.map({name: i for i, name in enumerate(TABLES)})


def _table_first(column: pd.Series) -> pd.Series:
    return _contract_order(column) if column.name == "table_name" else column


def _ts(value: pd.Timestamp):
    return pd.Timestamp(value).to_pydatetime()
