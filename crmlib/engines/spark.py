"""The suite's DuckDB queries on Apache Spark: the same SQL, translated by sqlglot, over tables Spark reads.

A query's `$end`, `$until` and other parameters are bound as SQL literals first (Spark SQL has no `$name`
parameters), then sqlglot writes it in Spark's dialect (DuckDB's zone-free TIMESTAMP becomes TIMESTAMP_NTZ).

A `Lake` is where the contract tables are (a Parquet folder per table, or catalogue tables): the warehouse sends
it every query that reads one of them. What else such a query reads (a registered frame, a stage's result in the
warehouse file) is handed to Spark as a temporary view; what comes back passes through DuckDB's conversion to
pandas, so both engines return the same types.

>>> print(spark_sql("SELECT count(*) FILTER (WHERE ts < $until) AS n FROM orders", {"until": dt.date(2025, 7, 1)}))
SELECT COUNT(*) FILTER(WHERE ts < CAST('2025-07-01' AS DATE)) AS n FROM orders
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import os
import re
import shutil
import socket
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import duckdb
import pandas as pd
import pyarrow as pa
import sqlglot
from sqlglot import exp

from crmlib.catalogue import t
from crmlib.collect.contract import BUILD_ORDERS_SQL, ORDERS, TABLE_ORDER
from crmlib.engines.options import LOCAL_MASTER, SparkOptions
from crmlib.errors import EngineError
from crmlib.sql import PARAMETER, tables_read

if TYPE_CHECKING:
    from crmlib.collect.warehouse import Frames, Warehouse

CONTRACT = (*TABLE_ORDER, ORDERS.name)
ORDERS_SELECT = BUILD_ORDERS_SQL.strip().removeprefix("INSERT INTO orders").strip()
REACH_SECONDS = 5.0
LOCAL_SETTINGS = {True: {"spark.sql.shuffle.partitions": "4", "spark.default.parallelism": "4"}}
"""On one machine, a few partitions: Spark's default of 200 makes every small aggregation 200 tasks."""


def _literal(value: Any) -> str:
    """`value` as a DuckDB SQL literal (sqlglot translates it with the rest of the query)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (dt.datetime, pd.Timestamp)):
        return f"TIMESTAMP '{pd.Timestamp(value):%Y-%m-%d %H:%M:%S.%f}'"
    if isinstance(value, dt.date):
        return f"DATE '{value:%Y-%m-%d}'"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    return "'" + str(value).replace("'", "''") + "'"


def bind(sql: str, values: dict[str, Any]) -> str:
    """`sql` with each `$name` replaced by the literal of `values[name]` (as DuckDB would bind it).

    >>> bind("SELECT $n AS n, CAST($end AS DATE) AS d", {"n": 3, "end": dt.datetime(2025, 6, 30)})
    "SELECT 3 AS n, CAST(TIMESTAMP '2025-06-30 00:00:00.000000' AS DATE) AS d"
    """

    def literal(match: re.Match) -> str:
        name = match.group(1)
        if name not in values:
            raise KeyError(f"the query names ${name}, which is not given")
        return _literal(values[name])

    return PARAMETER.sub(literal, sql)


def spark_sql(sql: str, values: dict[str, Any]) -> str:
    """A DuckDB query of the suite, its parameters bound, in Spark SQL, with DuckDB's meaning kept where the
    dialects differ: a literal such as `1.0` is a double (Spark's decimals would round averages to 5 places), and
    `to_days(n)`, `to_hours(n)`, `to_months(n)` become Spark's intervals.

    >>> spark_sql("SELECT avg(x * 1.0) AS r, ts + to_hours($h) AS t FROM y", {"h": 2})
    'SELECT AVG(x * CAST(1.0 AS DOUBLE)) AS r, ts + MAKE_DT_INTERVAL(0, 2) AS t FROM y'
    """
    tree = sqlglot.parse_one(bind(sql, values), read="duckdb")
    return tree.transform(_as_duckdb_means).sql(dialect="spark")


INTERVALS = {"to_days": ("make_dt_interval", 0), "to_hours": ("make_dt_interval", 1),
             "to_minutes": ("make_dt_interval", 2), "to_years": ("make_ym_interval", 0),
             "to_months": ("make_ym_interval", 1)}  # fmt: skip
"""DuckDB's interval functions: Spark's function and the position of the amount among its arguments."""


def _as_duckdb_means(node: exp.Expression) -> exp.Expression:
    """One node of a DuckDB query rewritten so that Spark computes what DuckDB does."""
    if isinstance(node, exp.Literal) and not node.is_string and not node.this.isdigit():
        return exp.cast(node, exp.DataType.Type.DOUBLE)
    name = "to_days" if isinstance(node, exp.ToDays) else node.name.lower() if isinstance(node, exp.Anonymous) else ""
    if name in INTERVALS:
        function, position = INTERVALS[name]
        amount = node.this if isinstance(node, exp.ToDays) else node.expressions[0]
        return exp.Anonymous(this=function, expressions=[exp.Literal.number(0)] * position + [amount])
    return node


def to_pandas(frame) -> pd.DataFrame:
    """A (small) Spark result as DuckDB would return it: through Arrow and DuckDB's own conversion to pandas."""
    table = frame.toArrow()
    zone_free = pa.schema(  # Spark's zoned timestamps are UTC here (the session's zone): the warehouse's wall time
        [f.with_type(pa.timestamp(f.type.unit)) if pa.types.is_timestamp(f.type) else f for f in table.schema]
    )
    return duckdb.arrow(table.cast(zone_free)).df()


class Lake:
    """The contract tables as Spark reads them, and the session reading them (started at its first query).

    `locations` maps each table the lake has to a Parquet folder or file, or a catalogue table name; the others
    stay in the warehouse file. When the transactions are there and the orders are not, the orders are a view of
    them made by the warehouse's own SQL.
    """

    def __init__(self, options: SparkOptions, project_dir: Path | str = "."):
        self.options = options
        self.locations = _locations(options, Path(project_dir))
        self.results = _results(options, Path(project_dir))
        self._views: set[str] = set()  # temporary results kept on Spark
        self._spark = None

    def check(self) -> None:
        """Raise an EngineError if Spark cannot start here (see `check`)."""
        check(self.options.master)

    def reads(self, sql: str) -> bool:
        """Whether `sql` reads a table of the lake (so it must run there)."""
        return bool(tables_read(sql) & (self.locations.keys() | self._views))

    @property
    def spark(self):
        """The Spark session, its contract tables registered as temporary views."""
        if self._spark is None:
            self._spark = session(self.options.master, self.options.config)
            for name, location in self.locations.items():
                if isinstance(location, Path):
                    frame = self._spark.read.parquet(str(location))
                elif location == ORDERS_SELECT:
                    frame = self._spark.sql(spark_sql(ORDERS_SELECT, {}))
                else:
                    frame = self._spark.table(location)
                frame.createOrReplaceTempView(name)
        return self._spark

    def query(self, sql: str, params: dict, frames: Frames, local: Warehouse) -> pd.DataFrame:
        """Run `sql` on Spark with `params`, the `frames` it reads and the warehouse tables it reads."""
        self._expose(sql, frames, local)
        return to_pandas(self.spark.sql(spark_sql(sql, params)))

    @contextmanager
    def temporary(self, name: str, sql: str, params: dict, frames: Frames, local: Warehouse) -> Iterator[None]:
        """The result of `sql` cached on Spark as view `name` for the queries inside the block."""
        self._expose(sql, frames, local)
        result = self.spark.sql(spark_sql(sql, params)).cache()
        result.createOrReplaceTempView(name)
        self._views.add(name)
        try:
            yield
        finally:
            self._views.discard(name)
            self.spark.catalog.dropTempView(name)
            result.unpersist()

    def score(self, sql: str, params: dict, scorer: Callable[[pd.DataFrame], pd.DataFrame], name: str) -> pd.DataFrame:
        """Apply `scorer` (rows -> scores, indexed by the first column) to the rows of `sql` on Spark's executors
        with `mapInPandas`, write the scores as the table `name` under `results`, and return them in the order of
        their first column."""
        rows = self.spark.sql(spark_sql(sql, params))
        example = scorer(to_pandas(rows.limit(1))).reset_index()
        schema = self.spark.createDataFrame(pa.Table.from_pandas(example, preserve_index=False)).schema

        def apply(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
            for batch in batches:
                yield scorer(batch).reset_index()[schema.names]

        scored = rows.mapInPandas(apply, schema)
        if self.results is None:
            table = "crm_" + re.sub(r"\W", "_", name)
            scored.write.mode("overwrite").saveAsTable(table)
            written = self.spark.table(table)
        else:
            path = f"{self.results.rstrip('/')}/{name}"
            scored.write.mode("overwrite").parquet(path)
            written = self.spark.read.parquet(path)
        return to_pandas(written.orderBy(schema.names[0])).set_index(schema.names[0])

    def _expose(self, sql: str, frames: Frames, local: Warehouse) -> None:
        """Register what `sql` reads besides the lake's tables: the frames given, and the warehouse's tables."""
        for name in tables_read(sql) - self.locations.keys() - self._views:
            if name in frames:
                table = pa.Table.from_pandas(frames[name], preserve_index=False)
            else:  # a stage's result or a load record, in the warehouse file (CatalogException if none)
                with local.connect() as con:
                    table = con.sql(f'SELECT * FROM "{name}"').to_arrow_table()
            self.spark.createDataFrame(table).createOrReplaceTempView(name)


def _locations(options: SparkOptions, project: Path) -> dict[str, Path | str]:
    """Where each contract table is: `tables` (catalogue names) over `parquet` (a folder per table)."""
    unknown = sorted(set(options.tables) - set(CONTRACT))
    if unknown:
        raise EngineError(t("error.engine.table", table=unknown[0], tables=", ".join(CONTRACT)))
    found: dict[str, Path | str] = {}
    if options.parquet is not None:
        folder = (project / options.parquet).resolve()
        if not folder.is_dir():
            raise EngineError(t("error.engine.parquet", path=str(folder)))
        for name in CONTRACT:
            for candidate in (folder / name, folder / f"{name}.parquet"):
                if candidate.exists():
                    found[name] = candidate
    found.update(options.tables)
    if not found:
        raise EngineError(t("error.engine.no_tables"))
    if "transactions" in found and ORDERS.name not in found:
        found[ORDERS.name] = ORDERS_SELECT
    return found


def _results(options: SparkOptions, project: Path) -> str | None:
    """Where the scores are written as Parquet: `results` (a URI as given, a folder from the project), else
    `<parquet>/_scores`; None for catalogue tables."""
    if options.results is not None:
        return options.results if "://" in options.results else str((project / options.results).resolve())
    if options.parquet is not None:
        return str((project / options.parquet / "_scores").resolve())
    return None


def session(master: str = LOCAL_MASTER, config: dict[str, str] | None = None):
    """A Spark session (the existing one, if any) on `master` with `config`; timestamps read as written (UTC).

    A missing pyspark or Java, or a master that cannot be reached, is an EngineError saying how to fix it."""
    check(master)
    from pyspark.sql import SparkSession  # pyspark (and its Java) load only when Spark is used

    if master.startswith("local"):  # the executors score with this Python and its crmlib (a cluster has its own)
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder.appName("crm-analytics")
    builder = builder.remote(master) if master.startswith("sc://") else builder.master(master)
    settings = {
        **LOCAL_SETTINGS.get(master.startswith("local"), {}),
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.session.timeZone": "UTC",
        **(config or {}),
    }
    for key, value in settings.items():
        builder = builder.config(key, value)
    try:
        spark = builder.getOrCreate()
        if not master.startswith("sc://"):
            spark.sparkContext.setLogLevel("OFF")  # errors reach the user as one line of crmlib's, not as Java logs
        return spark
    except Exception as err:  # Py4J and PySpark errors: the first line says what Spark refused
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise EngineError(t("error.engine.start", master=master, reason=reason)) from None


def check(master: str) -> None:
    """Raise an EngineError if Spark cannot start here: no pyspark, no Java, or a master that does not answer."""
    if importlib.util.find_spec("pyspark") is None:
        raise EngineError(t("error.engine.pyspark"))
    if not master.startswith("sc://") and not (shutil.which("java") or os.environ.get("JAVA_HOME")):
        raise EngineError(t("error.engine.java"))
    address = _address(master)
    if address is not None:
        try:
            socket.create_connection(address, timeout=REACH_SECONDS).close()
        except OSError as err:
            raise EngineError(t("error.engine.unreachable", master=master, reason=err.strerror or str(err))) from None


def _address(master: str) -> tuple[str, int] | None:
    """The host and port a master URL names (None for local and yarn, which have none in the URL).

    >>> _address("spark://head:7077"), _address("k8s://https://api.example:443"), _address("local[2]")
    (('head', 7077), ('api.example', 443), None)
    """
    url = master.removeprefix("k8s://")
    if not url.startswith(("spark://", "sc://", "https://", "http://")):
        return None
    parts = urlsplit(url.split(",")[0])
    default = {"spark": 7077, "sc": 15002, "https": 443, "http": 80}[parts.scheme]
    return (parts.hostname or "localhost", parts.port or default)
