"""The warehouse: one embedded DuckDB file holding the canonical tables, the quarantine and each stage's results.

Every connection is taken under an exclusive file lock (`<file>.lock`), so two runs never write at once: the
second one waits (up to `timeout` seconds) and then reads what the first one committed. A connection is reentrant:
inside `with wh.connect():` (or a function decorated `one_connection`) every query of `wh` runs on a cursor of the
same one, since opening a DuckDB file costs tens of milliseconds.

>>> import tempfile, pathlib
>>> wh = Warehouse(pathlib.Path(tempfile.mkdtemp()) / "w.duckdb")
>>> int(wh.query("SELECT count(*) AS n FROM transactions")["n"][0])
0
"""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import duckdb
import pandas as pd
from filelock import FileLock, Timeout

from crmlib.catalogue import t
from crmlib.collect.contract import BUILD_ORDERS_SQL, ORDERS, SQL_TYPES, TABLE_ORDER, TABLES, create_table_sql
from crmlib.errors import WarehouseError
from crmlib.files import PRIVATE_FILE, private_umask
from crmlib.periods import Period, latest_complete_month
from crmlib.sql import tables_read

if TYPE_CHECKING:
    from crmlib.engines.spark import Lake

# `reason` in the language of the load; `reasons` as catalogue messages with their values (JSON), for any language.
QUARANTINE_SQL = """CREATE TABLE IF NOT EXISTS quarantine (
    table_name VARCHAR, source VARCHAR, row_number BIGINT, column_name VARCHAR, check_name VARCHAR, reason VARCHAR,
    reasons VARCHAR, record VARCHAR)"""
# Optional values a load stored as missing (unreadable, breaking a rule, in the future), one row each.
CLEARED_SQL = """CREATE TABLE IF NOT EXISTS cleared (
    table_name VARCHAR, source VARCHAR, row_number BIGINT, column_name VARCHAR, check_name VARCHAR, reason VARCHAR,
    reasons VARCHAR)"""
# Per loaded source: rows = loaded + guest + quarantined; for transactions, the orders and how many had lines at
# different times.
LOADS_COLUMNS = {
    "table_name": "VARCHAR",
    "source": "VARCHAR",
    "sha256": "VARCHAR",
    "rows": "BIGINT",
    "loaded": "BIGINT",
    "quarantined": "BIGINT",
    "ignored_columns": "VARCHAR",
    "guest": "BIGINT",
    "orders": "BIGINT",
    "spread_orders": "BIGINT",
    "loaded_at": "TIMESTAMP",  # when the load ran: each page says which load it reflects
}
# Per loaded source, month and outcome (loaded, guest, quarantined): rows and money, so a load visibly balances.
RECONCILIATION_COLUMNS = {
    "table_name": "VARCHAR",
    "source": "VARCHAR",
    "month": "TIMESTAMP",
    "outcome": "VARCHAR",
    "rows": "BIGINT",
    "amount": "DOUBLE",
}
COLUMNS_SQL = "SELECT table_name, column_name FROM information_schema.columns"
DERIVED = "derived from transactions"  # the source a load records for customers no source gave (kept as it was)
F = TypeVar("F", bound=Callable)
Frames = dict[str, pd.DataFrame]
BOOKKEEPING = {"loads": LOADS_COLUMNS, "reconciliation": RECONCILIATION_COLUMNS}


class Warehouse:
    """A DuckDB warehouse file; creates the canonical tables (empty) on first use."""

    def __init__(self, path: str | Path, timeout: float = 600, lake: Lake | None = None):
        self.path = Path(path)
        self.timeout = timeout
        self.lake = lake  # with `engine: spark`, where the queries reading contract tables run
        self._held: duckdb.DuckDBPyConnection | None = None
        self._scratch: tuple[duckdb.DuckDBPyConnection, str] | None = None  # the connection holding `temporary`
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.connect() as con:
            had = set(
                con.execute("SELECT table_name || '.' || column_name FROM information_schema.columns").df().iloc[:, 0]
            )
            for table in (*(TABLES[name] for name in TABLE_ORDER), ORDERS):
                con.execute(create_table_sql(table))
                for col in table.stored:  # a warehouse made by an earlier version gains the new columns
                    con.execute(
                        f'ALTER TABLE "{table.name}" ADD COLUMN IF NOT EXISTS "{col.name}" {SQL_TYPES[col.kind]}'
                    )
            if "customers.customer_id" in had and "customers.profile_source" not in had:
                _profiles_of_record(con)
            con.execute(QUARANTINE_SQL)
            con.execute("ALTER TABLE quarantine ADD COLUMN IF NOT EXISTS reasons VARCHAR")
            con.execute(CLEARED_SQL)
            for name, columns in BOOKKEEPING.items():
                con.execute(f"CREATE TABLE IF NOT EXISTS {name} ({', '.join(f'{c} {t}' for c, t in columns.items())})")
                for column, kind in columns.items():
                    con.execute(f"ALTER TABLE {name} ADD COLUMN IF NOT EXISTS {column} {kind}")

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection held under the warehouse's exclusive lock; closed on exit. Nested in another, it is a cursor
        of the outer one: its own transaction, without opening the file again."""
        if self._held is not None:
            cursor = self._held.cursor()
            try:
                yield cursor
            finally:
                cursor.close()
            return
        lock = FileLock(str(self.path) + ".lock", timeout=self.timeout)
        try:
            lock.acquire()
        except Timeout:
            raise WarehouseError(t("error.warehouse.busy", path=str(self.path), seconds=self.timeout)) from None
        try:
            with private_umask():  # the database and its log hold personal data: owner only, whatever the umask
                con = self._held = _opened(self.path)
                _make_private(self.path)
                try:
                    yield con
                finally:
                    self._held = None
                    con.close()
        finally:
            lock.release()

    def reserved(self):
        """`reserved(self.path)`: the data held still for a block (see `reserved`)."""
        return reserved(self.path, self.timeout)

    @contextmanager
    def transaction(self, memory_limit: str | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection inside one transaction: committed when the block ends, rolled back when it raises, so a
        failed load leaves the warehouse as it was. `memory_limit` (DuckDB's, e.g. "1GB") bounds what the
        connection holds in memory; beyond it DuckDB works on disk."""
        with self.connect() as con:
            if memory_limit:
                con.execute(f"SET memory_limit = '{memory_limit}'")
            con.execute("BEGIN TRANSACTION")
            try:
                yield con
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise

    def query(self, sql: str, params: list | dict | None = None, frames: Frames | None = None) -> pd.DataFrame:
        """Run one SELECT and return its result as a DataFrame; `frames` are DataFrames it reads by name.

        With a lake (`engine: spark`), a query reading one of the lake's tables runs there."""
        if self.lake is not None and self.lake.reads(sql):
            if isinstance(params, list):
                raise TypeError("a query for the lake names its parameters ($name), since Spark binds them by name")
            return self.lake.query(sql, params or {}, frames or {}, self)
        scratch = self._scratch
        held = nullcontext(scratch[0]) if scratch and scratch[1] in tables_read(sql) else self.connect()
        with held as con, _registered(con, frames):
            return con.execute(sql, params).df()

    def score(self, sql: str, params: dict, scorer: Callable[[pd.DataFrame], pd.DataFrame], name: str) -> pd.DataFrame:
        """`scorer` applied to the rows of `sql` where the query runs: here, or on the lake's executors (Spark's
        `mapInPandas`), which also write the scores as the lake's table `name`."""
        if self.lake is not None and self.lake.reads(sql):
            return self.lake.score(sql, params, scorer, name)
        return scorer(self.query(sql, params))

    @contextmanager
    def temporary(self, name: str, sql: str, params: dict | None = None, frames: Frames | None = None):
        """The result of `sql` as table `name` for the queries inside the block (kept where `sql` runs)."""
        if self.lake is not None and self.lake.reads(sql):
            with self.lake.temporary(name, sql, params or {}, frames or {}, self):
                yield
            return
        with self.connect() as con:
            with _registered(con, frames):
                con.execute(f'CREATE TEMP TABLE "{name}" AS {sql}', params)
            self._scratch = (con, name)
            try:
                yield
            finally:
                self._scratch = None
                con.execute(f'DROP TABLE "{name}"')

    def table(self, name: str, until: pd.Timestamp | None = None) -> pd.DataFrame:
        """A canonical table, optionally only the rows whose main time lies before `until` (exclusive)."""
        if name not in TABLES and name != ORDERS.name:
            raise WarehouseError(t("error.warehouse.no_table", name=repr(name), tables=", ".join(TABLE_ORDER)))
        time_col = main_time_column(name)
        if until is None:
            return self.query(f'SELECT * FROM "{name}"')
        return self.query(
            f'SELECT * FROM "{name}" WHERE "{time_col}" < $until', {"until": pd.Timestamp(until).to_pydatetime()}
        )

    def replace_tables(
        self,
        frames: dict[str, pd.DataFrame],
        quarantine: pd.DataFrame,
        loads: pd.DataFrame,
        reconciliation: pd.DataFrame | None = None,
    ) -> None:
        """Replace canonical tables (and the orders, when the transactions change), their quarantine, load and
        reconciliation records, in one transaction."""
        with self.connect() as con:
            con.execute("BEGIN TRANSACTION")
            try:
                for name, frame in frames.items():
                    table = TABLES[name]
                    con.register("incoming", frame[[c.name for c in table.stored if c.name in frame]])
                    con.execute(f'DELETE FROM "{name}"')
                    con.execute(f'INSERT INTO "{name}" BY NAME SELECT * FROM incoming')
                    con.unregister("incoming")
                if "transactions" in frames:
                    con.execute("DELETE FROM orders")
                    con.execute(BUILD_ORDERS_SQL)
                names = list(frames)
                for bookkeeping in ("quarantine", "cleared", "loads", "reconciliation"):
                    con.execute(f"DELETE FROM {bookkeeping} WHERE table_name IN (SELECT unnest(?))", [names])
                for bookkeeping, rows in (
                    ("quarantine", quarantine),
                    ("loads", loads),
                    ("reconciliation", reconciliation),
                ):
                    if rows is not None and len(rows):
                        con.register("incoming", rows)
                        con.execute(f"INSERT INTO {bookkeeping} BY NAME SELECT * FROM incoming")
                        con.unregister("incoming")
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise

    def write_result(self, name: str, period: Period | str, frame: pd.DataFrame) -> None:
        """Store a stage's result for a period under `name`, replacing that period's earlier result."""
        period = str(period)
        data = frame.reset_index(drop=frame.index.name is None).assign(period=period)
        with self.connect() as con:
            con.register("incoming", data)
            found = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name])
            exists = (found.fetchone() or (0,))[0]
            if not exists and frame.empty:
                return  # nothing to store and nothing stale: the table's types come from the first real result
            if not exists:
                con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM incoming LIMIT 0')
            _add_new_columns(con, name)
            con.execute("BEGIN TRANSACTION")
            con.execute(f'DELETE FROM "{name}" WHERE period = ?', [period])
            con.execute(f'INSERT INTO "{name}" BY NAME SELECT * FROM incoming')
            con.execute("COMMIT")
            con.unregister("incoming")

    def read_result(self, name: str, period: Period | str) -> pd.DataFrame:
        """A stage's stored result for a period; a WarehouseError if the stage has not run for it."""
        try:
            frame = self.query(f'SELECT * FROM "{name}" WHERE period = $period', {"period": str(period)})
        except duckdb.CatalogException:
            frame = pd.DataFrame()
        if frame.empty:
            raise WarehouseError(
                t("error.warehouse.no_result", name=repr(name), period=str(period), path=str(self.path))
            )
        return frame.drop(columns="period")

    def export_parquet(self, folder: str | Path) -> dict[str, int]:
        """Write each canonical table and the orders as `<folder>/<table>/data.parquet` (what `engine: spark` reads
        as a data lake), replacing what an earlier export wrote; return the rows per table."""
        folder = Path(folder)
        if folder.exists() and not folder.is_dir():
            raise WarehouseError(t("error.export.folder", path=str(folder)))
        counts = {}
        with self.connect() as con:
            for name in (*TABLE_ORDER, ORDERS.name):
                (folder / name).mkdir(parents=True, exist_ok=True)
                target = str(folder / name / "data.parquet").replace("'", "''")
                con.execute(f"COPY \"{name}\" TO '{target}' (FORMAT parquet)")
                counts[name] = int((con.execute(f'SELECT count(*) FROM "{name}"').fetchone() or (0,))[0])
        return counts

    def check_period(self, period: Period) -> None:
        """A WarehouseError unless the data reach into `period` from before its end and have begun by its start."""
        found = self.query("SELECT min(ts) AS first, max(ts) AS last FROM orders")
        first, last = found["first"][0], found["last"][0]
        if pd.isna(first) or first >= period.end:
            start = t("error.period.empty") if pd.isna(first) else t("error.period.starts", day=f"{first:%Y-%m-%d}")
            raise WarehouseError(t("error.period.before_data", period=str(period), path=str(self.path), start=start))
        if last < period.start:
            latest = latest_complete_month(last)
            raise WarehouseError(
                t("error.period.after_data", period=str(period), path=str(self.path), last=f"{last:%Y-%m-%d}",
                  latest=str(latest if latest.end > first else Period.parse(f"{last:%Y-%m}")))
            )  # fmt: skip

    def last_complete_month(self) -> Period:
        """The latest month the transactions cover to its last day; a WarehouseError when none is covered whole
        (the data start within the month before their last)."""
        found = self.query("SELECT min(ts) AS first, max(ts) AS last FROM orders")
        first, last = found["first"][0], found["last"][0]
        if pd.isna(last):
            raise WarehouseError(t("error.warehouse.empty", path=str(self.path)))
        month = latest_complete_month(last)
        if month.end <= first:
            raise WarehouseError(
                t("error.warehouse.no_whole_month", first=f"{first:%Y-%m-%d}", last=f"{last:%Y-%m-%d}",
                  month=str(Period.parse(f"{last:%Y-%m}")))
            )  # fmt: skip
        return month


def _add_new_columns(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Give the stored result `name` the columns of `incoming` it lacks (a release that adds a column to a stage's
    result keeps writing to a warehouse an earlier one made; earlier periods hold no value there)."""
    have = {row[0] for row in con.execute(f'DESCRIBE "{name}"').fetchall()}
    for column, kind, *_ in con.execute("DESCRIBE incoming").fetchall():
        if column not in have:
            con.execute(f'ALTER TABLE "{name}" ADD COLUMN "{column}" {kind}')


def _profiles_of_record(con: duckdb.DuckDBPyConnection) -> None:
    """A warehouse of a release before `profile_source`: its customers came from the customers source its loads
    name (a release that derived them wrote "derived from transactions" there, and then they stay without one)."""
    con.execute(
        "UPDATE customers SET profile_source = (SELECT any_value(source) FROM loads "
        "WHERE table_name = 'customers' AND source <> ?)",
        [DERIVED],
    )


def _make_private(path: Path) -> None:
    """The warehouse file and its write-ahead log readable by their owner only (a file made before this rule
    included)."""
    for file in (path, path.with_name(path.name + ".wal")):
        with contextlib.suppress(OSError):  # absent, or another user's: nothing this process may change
            if file.is_file() and file.stat().st_mode & 0o077:
                os.chmod(file, PRIVATE_FILE)


def _opened(path: Path) -> duckdb.DuckDBPyConnection:
    """A connection to the warehouse file; a folder or a file that is no DuckDB database is a WarehouseError."""
    if path.is_dir():
        raise WarehouseError(t("error.warehouse.folder", path=str(path)))
    try:
        return duckdb.connect(str(path))
    except duckdb.Error as err:
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise WarehouseError(t("error.warehouse.unusable", path=str(path), reason=reason)) from None


def main_time_column(name: str) -> str:
    """The column that places a row of a canonical table (or of the orders) in time: its first time-kind column."""
    table = ORDERS if name == ORDERS.name else TABLES[name]
    return next(c.name for c in table.columns if c.kind in ("ts", "date"))


@contextmanager
def reserved(path: Path, timeout: float = 600) -> Iterator[None]:
    """Hold the warehouse file's data still for a block: a period run reserves it for all its notebooks and a load
    waits for the reservation (up to `timeout` seconds), so no run reads two states of the data. The file itself
    is neither opened nor made."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(path) + ".run.lock", timeout=timeout, is_singleton=True)
    try:
        lock.acquire()
    except Timeout:
        raise WarehouseError(t("error.warehouse.busy", path=str(path), seconds=timeout)) from None
    try:
        yield
    finally:
        lock.release()


@contextmanager
def _registered(con: duckdb.DuckDBPyConnection, frames: Frames | None) -> Iterator[None]:
    """`frames` registered on `con` by name for the block."""
    for name, frame in (frames or {}).items():
        con.register(name, frame)
    try:
        yield
    finally:
        for name in frames or {}:
            con.unregister(name)


def one_connection(function: F) -> F:
    """Run `function(warehouse, ...)` on one connection of its warehouse, however many queries it makes."""

    @functools.wraps(function)
    def held(warehouse: Warehouse, *args, **kwargs):
        with warehouse.connect():
            return function(warehouse, *args, **kwargs)

    return held  # type: ignore[return-value]
