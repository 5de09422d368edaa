"""`engine: spark`: the suite's transaction-level SQL on Apache Spark (local mode) against DuckDB's results.

Each query is the one DuckDB runs, translated by sqlglot; the tables are the warehouse's, exported as Parquet with
`crm export` (what a data lake holds). Counts must be equal, numbers equal to 1e-9, dates the same days; a whole
period run on Spark must store the same results and render the same pages as on DuckDB.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import socket

import duckdb
import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import needs
from test_end_to_end import ROOT, crm, loaded_project

from crmlib.analyze.loyalty import PER_CUSTOMER_SQL
from crmlib.collect.contract import ORDERS, TABLE_ORDER
from crmlib.collect.warehouse import Warehouse
from crmlib.engines.options import SparkOptions
from crmlib.errors import EngineError
from crmlib.segment.features import FEATURES_SQL
from crmlib.segment.summary import SUMMARY_SQL
from crmlib.sql import run_sql

END = "2025-06-30"
QUERIES = {
    "rfm summary (days)": (SUMMARY_SQL, {"per": 1.0, "start": None}),
    "rfm summary (weeks, from a start)": (SUMMARY_SQL, {"per": 7.0, "start": pd.Timestamp("2025-01-01")}),
    "customer features": (FEATURES_SQL, {}),
    "loyalty per customer": (PER_CUSTOMER_SQL, {}),
}
CONTRACT = (*TABLE_ORDER, ORDERS.name)


def needs_spark() -> None:
    needs(importlib.util.find_spec("pyspark") is not None, "pyspark: pip install pyspark")
    needs(shutil.which("java") is not None, "Java 17: apt-get install openjdk-17-jre-headless")


@pytest.fixture(scope="module")
def lake(sample_warehouse, tmp_path_factory):
    """The sample warehouse, and a twin whose contract tables are empty and whose lake holds them as Parquet."""
    needs_spark()
    from crmlib.engines.spark import Lake

    warehouse = sample_warehouse(customers=300, months=12, seed=3)
    folder = tmp_path_factory.mktemp("lake")
    warehouse.export_parquet(folder / "lake")
    twin = Warehouse(folder / "twin.duckdb", lake=Lake(SparkOptions(parquet=str(folder / "lake"))))
    yield warehouse, twin
    twin.lake.spark.stop()  # type: ignore[union-attr]


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
    warehouse, twin = lake
    sql, params = QUERIES[name]
    assert twin.lake.reads(sql)  # type: ignore[union-attr]
    want = _comparable(run_sql(warehouse, sql, END, **params))
    got = _comparable(run_sql(twin, sql, END, **params))
    assert len(want) > 100 and list(got.columns) == list(want.columns)
    for column in want:
        if pd.api.types.is_float_dtype(want[column]):
            np.testing.assert_allclose(got[column], want[column], rtol=1e-9, equal_nan=True, err_msg=column)
        else:
            assert got[column].astype(str).tolist() == want[column].astype(str).tolist(), column


def test_frames_and_warehouse_tables_a_lake_query_reads_are_handed_to_spark(lake):
    """A registered frame and a table of the warehouse file (a stage's result) join the lake's orders."""
    warehouse, twin = lake
    counts = warehouse.query("SELECT customer_id, count(*) AS n FROM orders GROUP BY 1 ORDER BY 1 LIMIT 2")
    wanted = counts[["customer_id"]]
    twin.write_result("picked", "2025-06", wanted.tail(1))
    sql = """SELECT o.customer_id, count(*) AS orders, bool_or(p.customer_id IS NOT NULL) AS picked
             FROM orders o JOIN wanted w USING (customer_id) LEFT JOIN picked p USING (customer_id)
             GROUP BY 1 ORDER BY 1"""
    got = twin.query(sql, frames={"wanted": wanted})
    assert got["customer_id"].tolist() == counts["customer_id"].tolist()
    assert got["orders"].tolist() == counts["n"].tolist()
    assert got["picked"].tolist() == [False, True]
    assert twin.query("SELECT count(*) AS n FROM picked")["n"][0] == 1  # no lake table read: DuckDB answers


def test_literals_and_intervals_keep_duckdb_s_meaning_on_spark(lake):
    """`1.0` is a double (Spark's decimals would round), `to_days`/`to_hours`/`to_months` are intervals, and a
    zoned result comes back zone-free like DuckDB's."""
    warehouse, twin = lake
    sql = """SELECT avg(CASE WHEN amount > 150000 THEN 1.0 ELSE 0.0 END) AS share, 2.0 / 3 AS third,
                    max(ts) + to_days(2) + to_hours(3) AS later, max(ts) - to_months($m) AS earlier,
                    date_trunc('month', max(ts)) AS month
             FROM orders"""
    want, got = warehouse.query(sql, {"m": 2}), twin.query(sql, {"m": 2})
    np.testing.assert_allclose(got[["share", "third"]].to_numpy(float), want[["share", "third"]].to_numpy(float), 1e-12)
    for column in ("later", "earlier", "month"):
        assert got[column].dtype == want[column].dtype and got[column][0] == want[column][0], column


def test_a_query_naming_an_unknown_parameter_is_refused():
    from crmlib.engines.spark import bind

    with pytest.raises(KeyError, match=r"\$since"):
        bind("SELECT * FROM orders WHERE ts >= $since", {"until": END})


# A whole period on Spark


@pytest.fixture(scope="module")
def twin_projects(tmp_path_factory):
    """A sample project run on DuckDB, and its twin on `engine: spark` over `crm export`'s Parquet: the twin's
    warehouse keeps only the load records, its contract tables emptied, so every figure must come from Spark."""
    needs_spark()
    duck = loaded_project(tmp_path_factory.mktemp("duck"), 300, 12)
    exported = crm("--project", duck, "export", "--parquet", duck / "lake").stdout
    spark = tmp_path_factory.mktemp("spark")
    shutil.copytree(duck, spark, dirs_exist_ok=True)
    shutil.rmtree(spark / "data" / "raw")
    with duckdb.connect(str(spark / "data" / "warehouse.duckdb")) as con:
        for table in CONTRACT:
            con.execute(f'DELETE FROM "{table}"')
    _set_params(spark, {"engine": "spark", "spark": {"parquet": "lake"}})
    for project in (duck, spark):
        crm("--project", project, "run", "--period", "2025-06")
    return duck, spark, exported


def _set_params(project, changes: dict) -> None:
    path = project / "params" / "default.yaml"
    params = yaml.safe_load(path.read_text())
    params.update(changes)
    path.write_text(yaml.safe_dump(params))


def test_crm_export_writes_one_parquet_folder_per_table(twin_projects):
    duck, _, printed = twin_projects
    with duckdb.connect(str(duck / "data" / "warehouse.duckdb"), read_only=True) as con:
        for table in CONTRACT:
            rows = con.execute(f"SELECT count(*) FROM read_parquet('{duck / 'lake' / table}/*.parquet')").fetchone()
            assert rows == con.execute(f'SELECT count(*) FROM "{table}"').fetchone(), table
    assert str(duck / "lake") in printed


def test_a_period_on_spark_stores_the_results_duckdb_stores(twin_projects):
    duck, spark, _ = twin_projects
    results = _results(duck)
    assert len(results) >= 10 and results.keys() == _results(spark).keys()
    for name, want in results.items():
        got = _results(spark)[name]
        assert got.shape == want.shape and list(got.columns) == list(want.columns), name
        for column in want:
            if pd.api.types.is_float_dtype(want[column]):
                np.testing.assert_allclose(got[column], want[column], rtol=1e-9, atol=1e-12, equal_nan=True)
            else:
                assert got[column].astype(str).tolist() == want[column].astype(str).tolist(), (name, column)


def test_spark_s_executors_score_every_customer_into_the_lake(twin_projects):
    """P(alive), expected purchases and value are computed by `mapInPandas` and written back as a Parquet table."""
    duck, spark, _ = twin_projects
    scores = spark / "lake" / "_scores" / "customer_scores" / "period=2025-06"
    with duckdb.connect() as con:
        written = con.execute(f"SELECT * FROM read_parquet('{scores}/*.parquet') ORDER BY customer_id").df()
    stored = _results(duck)["customer_value"].sort_values("customer_id", ignore_index=True)
    assert len(written) == len(stored) > 200 and not (duck / "lake" / "_scores").exists()
    for column in ("p_alive", "expected_purchases", "lifetime_value"):
        np.testing.assert_allclose(written[column], stored[column], rtol=1e-9, atol=1e-12)


def test_a_period_on_spark_renders_the_pages_duckdb_renders(twin_projects):
    duck, spark, _ = twin_projects
    pages = sorted((duck / "reports" / "2025-06").glob("*.html"))
    assert len(pages) == 7
    for page in pages:
        assert _page(spark / "reports" / "2025-06" / page.name) == _page(page), page.name


def test_the_latest_period_is_read_from_the_lake(twin_projects):
    _, spark, _ = twin_projects
    assert crm("--project", spark, "latest-period").stdout.strip() == "2025-06"


def _results(project) -> dict[str, pd.DataFrame]:
    """Every stage result in the project's warehouse, rows sorted."""
    with duckdb.connect(str(project / "data" / "warehouse.duckdb"), read_only=True) as con:
        names = {row[0] for row in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        out = {}
        for name in sorted(names - set(CONTRACT) - {"loads", "quarantine", "reconciliation"}):
            frame = con.execute(f'SELECT * FROM "{name}"').df()
            out[name] = frame.sort_values(list(frame.columns), ignore_index=True) if len(frame) else frame
    return out


def _page(path) -> str:
    """A page without the one line that differs between any two runs: when it was generated."""
    return re.sub(r'<p class="meta">.*?</p>', "", path.read_text(encoding="utf-8"))


# What goes wrong


@pytest.fixture
def spark_project(tmp_path):
    """A project on `engine: spark` over an exported lake, ready to be broken."""
    project = tmp_path / "project"
    shutil.copytree(ROOT / "params", project / "params")
    shutil.copytree(ROOT / "notebooks", project / "notebooks")
    crm("--project", project, "sample", "--customers", 50, "--months", 3, "--end", "2025-06", "--out", tmp_path / "raw")
    crm("--project", project, "ingest", tmp_path / "raw")
    crm("--project", project, "export", "--parquet", project / "lake")
    _set_params(project, {"engine": "spark", "spark": {"parquet": "lake"}})
    return project


def _one_line_error(run, *words: str) -> None:
    assert run.returncode == 1, run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("crm: "), run.stderr
    assert "Traceback" not in run.stderr and all(w in lines[0] for w in words), lines[0]


def test_an_unreachable_master_is_one_line(spark_project):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    _set_params(spark_project, {"spark": {"parquet": "lake", "master": f"spark://127.0.0.1:{port}"}})
    _one_line_error(crm("--project", spark_project, "run", "--period", "2025-06", check=False), f"127.0.0.1:{port}")


def test_a_missing_lake_folder_is_one_line(spark_project):
    shutil.rmtree(spark_project / "lake")
    _one_line_error(crm("--project", spark_project, "run", "--period", "2025-06", check=False), "spark.parquet")


def test_missing_java_is_one_line(spark_project, monkeypatch, tmp_path):
    (tmp_path / "bin").mkdir()
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))  # crm runs as sys.executable, which needs no PATH
    monkeypatch.delenv("JAVA_HOME", raising=False)
    _one_line_error(crm("--project", spark_project, "run", "--period", "2025-06", check=False), "Java 17")


def test_missing_pyspark_and_unknown_tables_say_how_to_fix_them(monkeypatch, tmp_path):
    from crmlib.engines import spark

    with pytest.raises(EngineError, match="spark.tables names sales"):
        spark.Lake(SparkOptions(tables={"sales": "db.sales"}))
    with pytest.raises(EngineError, match="spark.parquet"):
        spark.Lake(SparkOptions())
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "pyspark" else real(name, *a))
    with pytest.raises(EngineError, match=r"pip install 'crm-analytics\[spark\]'"):
        spark.check("local[2]")
