"""The suite's transaction-level SQL on Apache Spark (local mode) against DuckDB's results on the sample world.

Each query is the one DuckDB runs, translated by sqlglot; the tables are the warehouse's, exported as Parquet
(what a data lake holds). Counts must be equal, numbers equal to 1e-9, dates the same days.
"""

from __future__ import annotations

import importlib.util
import shutil

import numpy as np
import pandas as pd
import pytest
from conftest import needs

from crmlib.analyze.loyalty import _PER_CUSTOMER_SQL
from crmlib.segment.features import _SQL as FEATURES_SQL
from crmlib.segment.summary import _sql as summary_sql
from crmlib.sql import run_sql

END = "2025-06-30"
TABLES = ("customers", "transactions", "orders", "events", "tickets")
QUERIES = {
    "rfm summary (days)": (summary_sql("orders"), {"per": 1.0, "start": None}),
    "customer features": (FEATURES_SQL, {}),
    "loyalty per customer": (_PER_CUSTOMER_SQL, {}),
}


@pytest.fixture(scope="module")
def lake(sample_warehouse, tmp_path_factory):
    """The sample warehouse and its tables as Parquet files, registered in a local Spark session."""
    needs(importlib.util.find_spec("pyspark") is not None, "pyspark: pip install pyspark")
    needs(shutil.which("java") is not None, "Java 17: apt-get install openjdk-17-jre-headless")
    from crmlib.engines.spark import register_parquet, session

    warehouse = sample_warehouse(customers=300, months=12, seed=3)
    folder = tmp_path_factory.mktemp("lake")
    with warehouse.connect() as con:
        for table in TABLES:
            con.execute(f"COPY \"{table}\" TO '{folder / table}.parquet' (FORMAT parquet)")
    spark = session()
    register_parquet(spark, {table: folder / f"{table}.parquet" for table in TABLES})
    yield warehouse, spark
    spark.stop()


def _comparable(frame: pd.DataFrame) -> pd.DataFrame:
    """Dates and timestamps as days, numbers as floats, missing as NaN; rows in customer order."""
    out = frame.copy()
    for column in out:
        values = out[column]
        if values.map(lambda v: hasattr(v, "year")).any() or pd.api.types.is_datetime64_any_dtype(values):
            out[column] = pd.to_datetime(values).dt.normalize()
        elif column != "customer_id":
            converted = pd.to_numeric(values, errors="coerce")
            if converted.notna().sum() == values.notna().sum():
                out[column] = converted.astype(float)
    return out.sort_values("customer_id").reset_index(drop=True)


@pytest.mark.parametrize("name", list(QUERIES))
def test_a_query_gives_on_spark_what_it_gives_on_duckdb(lake, name):
    from crmlib.engines.spark import query

    warehouse, spark = lake
    sql, params = QUERIES[name]
    want = _comparable(run_sql(warehouse, sql, END, **params))
    got = _comparable(query(spark, sql, END, **params))
    assert len(want) > 100 and list(got.columns) == list(want.columns)
    for column in want:
        if pd.api.types.is_float_dtype(want[column]):
            np.testing.assert_allclose(got[column], want[column], rtol=1e-9, equal_nan=True, err_msg=column)
        else:
            assert got[column].astype(str).tolist() == want[column].astype(str).tolist(), column


def test_a_query_naming_an_unknown_parameter_is_refused():
    from crmlib.engines.spark import bind

    with pytest.raises(KeyError, match=r"\$since"):
        bind("SELECT * FROM orders WHERE ts >= $since", END)
