"""What was collected up to a period, and how good it is: the figures behind the data collection report.

All aggregation is SQL run by the warehouse engine, so it scales with the data.
"""

from __future__ import annotations

import pandas as pd

from crmlib.collect.contract import DATA_KINDS, TABLES
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
    frame = frame.merge(sources, on="table_name", how="left")
    return frame.sort_values("table_name", key=_contract_order, kind="stable").reset_index(drop=True)


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


def quarantine_examples(warehouse: Warehouse, per_check: int = 3) -> pd.DataFrame:
    """A few quarantined records for each table and kind of problem, with the row to look at."""
    return warehouse.query("""
        SELECT table_name, source, row_number, column_name, reason FROM quarantine
        QUALIFY row_number() OVER (PARTITION BY table_name, check_name ORDER BY row_number) <= $n
        ORDER BY table_name, check_name, row_number""", {"n": per_check})


def load_balance(warehouse: Warehouse) -> pd.DataFrame:
    """Per loaded source: rows read, loaded and quarantined, and whether they add up (they must)."""
    frame = warehouse.query("SELECT table_name, source, rows, loaded, quarantined FROM loads")
    frame = frame.assign(balanced=frame["rows"] == frame["loaded"] + frame["quarantined"])
    return frame.sort_values("table_name", key=_contract_order, kind="stable").reset_index(drop=True)


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


def shared_contacts(warehouse: Warehouse) -> pd.DataFrame:
    """Customers whose e-mail or phone another customer also has: likely duplicate profiles to merge."""
    return warehouse.query("""
        WITH contacts AS (
            SELECT customer_id, 'email' AS contact, lower(trim(email)) AS value FROM customers WHERE email IS NOT NULL
            UNION ALL
            SELECT customer_id, 'phone', regexp_replace(phone, '[^0-9]', '', 'g') FROM customers WHERE phone IS NOT NULL)
        SELECT contact, value, count(*) AS customers, string_agg(customer_id, ', ' ORDER BY customer_id) AS ids
        FROM contacts WHERE value <> '' GROUP BY contact, value HAVING count(*) > 1
        ORDER BY customers DESC, contact, value""")


def monthly_growth(warehouse: Warehouse, until: pd.Timestamp) -> pd.DataFrame:
    """Per month before `until`: new customers, transactions, net revenue, active (buying) customers."""
    return warehouse.query("""
        WITH months AS (
            SELECT date_trunc('month', signup_date) AS month, count(*) AS new_customers, 0 AS transactions,
                   0.0 AS revenue, 0 AS active_customers
            FROM customers WHERE signup_date < $until GROUP BY 1
            UNION ALL
            SELECT date_trunc('month', ts), 0, count(*) FILTER (kind = 'sale'), sum(amount),
                   count(DISTINCT customer_id) FILTER (kind = 'sale')
            FROM transactions WHERE ts < $until GROUP BY 1)
        SELECT month, sum(new_customers)::BIGINT AS new_customers, sum(transactions)::BIGINT AS transactions,
               sum(revenue) AS revenue, sum(active_customers)::BIGINT AS active_customers
        FROM months GROUP BY month ORDER BY month""", {"until": _ts(until)})


def _contract_order(names: pd.Series) -> pd.Series:
    return names.map({name: i for i, name in enumerate(TABLES)})


def _ts(value: pd.Timestamp):
    return pd.Timestamp(value).to_pydatetime()
