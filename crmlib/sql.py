"""Running a query on the warehouse with the time window every transaction-level query shares.

A query may name `$end` (the last day it counts, included) and `$until` (the first instant after it) besides
its own parameters; only the parameters a query names are passed, so one helper serves every query.

>>> import tempfile, pathlib
>>> from crmlib.collect.warehouse import Warehouse
>>> wh = Warehouse(pathlib.Path(tempfile.mkdtemp()) / "w.duckdb")
>>> run_sql(wh, "SELECT CAST($end AS DATE) AS last_day, $n AS n", "2025-06", n=3).values.tolist()
[[Timestamp('2025-06-30 00:00:00'), 3]]
"""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING

import pandas as pd
import sqlglot
from sqlglot import exp

from crmlib.periods import end_day

if TYPE_CHECKING:
    from crmlib.collect.warehouse import Warehouse

PARAMETER = re.compile(r"\$(\w+)")


def run_sql(warehouse: Warehouse, sql: str, end, **params) -> pd.DataFrame:
    """Run `sql` on the warehouse with `$end` (the last day included), `$until` (the first instant after it) and
    `params`; only the parameters the SQL names are passed."""
    return warehouse.query(sql, parameters(sql, end, **params))


def parameters(sql: str, end, **params) -> dict:
    """The values of the parameters `sql` names: `$end`, `$until` (from `end`) and `params`.

    >>> parameters("SELECT $n WHERE ts < $until", "2025-06", n=3, unused=4)
    {'until': datetime.datetime(2025, 7, 1, 0, 0), 'n': 3}
    """
    day = end_day(end)
    values = {"end": day.to_pydatetime(), "until": (day + pd.Timedelta(days=1)).to_pydatetime(), **params}
    named = set(PARAMETER.findall(sql))
    return {name: value for name, value in values.items() if name in named}


@functools.lru_cache(maxsize=1024)
def tables_read(sql: str) -> frozenset[str]:
    """The tables (and registered frames) a DuckDB query reads, without its own CTEs and the catalogue's views.

    >>> sorted(tables_read("WITH a AS (SELECT * FROM orders) SELECT * FROM a JOIN customers USING (customer_id)"))
    ['customers', 'orders']
    """
    tree = sqlglot.parse_one(sql, read="duckdb")
    own = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    return frozenset(t.name for t in tree.find_all(exp.Table) if not t.db and t.name not in own)
