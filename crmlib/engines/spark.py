"""The suite's DuckDB queries on Apache Spark: the same SQL, translated by sqlglot, over tables Spark reads.

A query's `$end`, `$until` and other parameters are bound as SQL literals first (Spark SQL has no `$name`
parameters), then sqlglot writes it in Spark's dialect (DuckDB's zone-free TIMESTAMP becomes TIMESTAMP_NTZ).
Tables are registered as temporary views, one Parquet folder (or file) per table.

>>> print(spark_sql("SELECT count(*) FILTER (WHERE ts < $until) AS n FROM orders", "2025-06"))
SELECT COUNT(*) FILTER(WHERE ts < CAST('2025-07-01 00:00:00' AS TIMESTAMP_NTZ)) AS n FROM orders
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pandas as pd
import sqlglot

from crmlib.sql import PARAMETER, parameters

LOCAL_MASTER = "local[2]"


def _literal(value: Any) -> str:
    """`value` as a DuckDB SQL literal (sqlglot translates it with the rest of the query)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (dt.datetime, pd.Timestamp)):
        return f"TIMESTAMP '{pd.Timestamp(value):%Y-%m-%d %H:%M:%S}'"
    if isinstance(value, dt.date):
        return f"DATE '{value:%Y-%m-%d}'"
    return "'" + str(value).replace("'", "''") + "'"


def bind(sql: str, end, **params) -> str:
    """`sql` with `$end` (the last day counted), `$until` (the first instant after it) and `params` as literals,
    as `crmlib.sql.run_sql` passes them to DuckDB.

    >>> bind("SELECT $n AS n, CAST($end AS DATE) AS d", "2025-06", n=3)
    "SELECT 3 AS n, CAST(TIMESTAMP '2025-06-30 00:00:00' AS DATE) AS d"
    """
    values = parameters(sql, end, **params)

    def literal(match: re.Match) -> str:
        name = match.group(1)
        if name not in values:
            raise KeyError(f"the query names ${name}, which is not given")
        return _literal(values[name])

    return PARAMETER.sub(literal, sql)


def spark_sql(sql: str, end, **params) -> str:
    """A DuckDB query of the suite, its parameters bound, in Spark SQL."""
    return sqlglot.transpile(bind(sql, end, **params), read="duckdb", write="spark")[0]


def session(master: str = LOCAL_MASTER, config: dict[str, str] | None = None):
    """A Spark session (the existing one, if any) on `master` with `config`; timestamps read as written (UTC)."""
    from pyspark.sql import SparkSession  # pyspark (and its Java) load only when Spark is used

    builder = SparkSession.builder.master(master).appName("crm-analytics")
    settings = {"spark.ui.enabled": "false", "spark.sql.session.timeZone": "UTC", **(config or {})}
    for key, value in settings.items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


def register_parquet(spark, tables: dict[str, str | Path]) -> None:
    """Register each table (name -> Parquet folder or file) as a temporary view of `spark`."""
    for name, path in tables.items():
        spark.read.parquet(str(path)).createOrReplaceTempView(name)


def query(spark, sql: str, end, **params) -> pd.DataFrame:
    """Run one of the suite's DuckDB queries on Spark and bring back its (small) result as a DataFrame."""
    return spark.sql(spark_sql(sql, end, **params)).toPandas()
