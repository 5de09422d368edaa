"""Loading sources into the warehouse: every record is loaded, loaded as a guest sale, or quarantined; never dropped.

An ingest replaces, in one transaction, each table it has a source for (so loading the same files again
leaves the warehouse as it was) and leaves the other tables alone; the orders are rebuilt from the transaction
lines. With no customers source, customers are derived from the transactions, unless an earlier ingest loaded them
from a real source. Every load reconciles: per table and month, the source's rows and money = loaded + guest +
quarantined. A source with no data rows, or one that would shrink its table by more than `max_shrink`, stops the
load unless `replace` is given: a half-exported file must not wipe the history.
"""

from __future__ import annotations

import itertools
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from crmlib import progress
from crmlib.catalogue import current, t
from crmlib.collect.contract import BUILD_ORDERS_SQL, TABLE_ORDER, TABLES
from crmlib.collect.options import IngestOptions
from crmlib.collect.partitions import Spill
from crmlib.collect.reconcile import RECONCILIATION_COLUMNS, load_warnings, reconciliation
from crmlib.collect.sources import SAMPLE_MARKER, RawTable, Source, find_sources, open_files, read_database, whole
from crmlib.collect.validate import CLEARED_COLUMNS, QUARANTINE_COLUMNS, Checked, check
from crmlib.collect.warehouse import DERIVED, LOADS_COLUMNS, Warehouse, main_time_column
from crmlib.errors import SourceError
from crmlib.formats import format_percent

PART_BYTES = 24 << 20  # about this much of a file per part checked in memory (some 300,000 records)


@dataclass
class IngestReport:
    """Per table: rows read, loaded, loaded as guest sales and quarantined (and money, for transactions); notes
    worth telling the user; warnings when a load quarantined more than `max_quarantine_share` of a table."""

    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    money: dict[str, dict[str, float]] = field(default_factory=dict)


def ingest_dir(
    directory: str | Path,
    warehouse: Warehouse,
    options: IngestOptions | None = None,
    now: pd.Timestamp | None = None,
    replace: bool = False,
) -> IngestReport:
    """Load every contract file in `directory` (transactions.csv, customers.parquet, events.xlsx …)."""
    options = options or IngestOptions()
    paths, ignored = find_sources(directory, options.files)
    if not paths and ignored:  # files, but none of them a table's: say so instead of loading nothing
        raise SourceError(t("error.source.no_tables", folder=str(directory), n=len(ignored), tables=", ".join(TABLES)))
    sources = [open_files(paths[t], t, options) for t in TABLE_ORDER if t in paths]
    report = ingest_sources(sources, warehouse, options, now, replace)
    report.notes[:0] = ignored
    if not sources:
        report.notes.append(t("note.ingest.nothing", folder=str(directory)))
    return report


def ingest_database(
    warehouse: Warehouse, options: IngestOptions | None = None, now: pd.Timestamp | None = None, replace: bool = False
) -> IngestReport:
    """Load the contract tables found in the database named by the environment variable in the options."""
    options = options or IngestOptions()
    return ingest_sources([whole(raw) for raw in read_database(options)], warehouse, options, now, replace)


def ingest_raw(
    raws: list[RawTable],
    warehouse: Warehouse,
    options: IngestOptions,
    now: pd.Timestamp | None = None,
    replace: bool = False,
) -> IngestReport:
    """Check records already read (customers first) and replace their tables in the warehouse; all or nothing."""
    return ingest_sources([whole(raw) for raw in raws], warehouse, options, now, replace)


@dataclass
class TableLoad:
    """What became of one source: its counts, orders, notes about its columns, and its reconciliation rows."""

    table: str
    source: str
    sha256: str
    first: RawTable  # the first chunk (its columns: ignored, computed)
    rows: int = 0
    loaded: int = 0
    guests: int = 0
    quarantined: int = 0
    orders: int = 0
    spread_orders: int = 0
    balances: list[pd.DataFrame] = field(default_factory=list)
    cleared: dict[str, int] = field(default_factory=dict)  # per column: optional values stored as missing
    made: int = 0  # lines the orders' own columns made (charges, refunds)

    @property
    def counts(self) -> dict[str, int]:
        """rows = loaded + guest + quarantined."""
        return {"rows": self.rows, "loaded": self.loaded, "guest": self.guests, "quarantined": self.quarantined}

    def add(self, result: Checked) -> None:
        self.rows += result.rows
        self.loaded += result.counts["loaded"]
        self.guests += result.guests
        self.quarantined += len(result.quarantine)
        self.orders += result.orders
        self.spread_orders += result.spread_orders
        self.made += result.made
        self.balances.append(reconciliation({self.table: result}).assign(source=self.source))
        for column, n in result.cleared["column_name"].value_counts().items():
            self.cleared[column] = self.cleared.get(column, 0) + int(n)


def ingest_sources(
    sources: list[Source],
    warehouse: Warehouse,
    options: IngestOptions,
    now: pd.Timestamp | None = None,
    replace: bool = False,
) -> IngestReport:
    """Check each source (customers first) and replace its table in the warehouse, in one transaction: a load
    that fails anywhere leaves the warehouse as it was. Sources are checked in parts that fit in memory."""
    now = pd.Timestamp.now() if now is None else pd.Timestamp(now)
    by_table = {source.table: source for source in sources}
    loads: dict[str, TableLoad] = {}
    with warehouse.reserved(), warehouse.transaction(options.memory_limit) as con:
        before = dict(con.execute("SELECT table_name, source FROM loads").fetchall())
        checked = options.unknown_customers == "quarantine"
        known = _customers_of_record(con) if checked and "customers" not in by_table else None
        for table in (t for t in TABLE_ORDER if t in by_table):
            held = _count(con, f'SELECT count(*) FROM "{table}"' + (HAS_PROFILE if table == "customers" else ""))
            con.execute(f'DELETE FROM "{table}"')
            loads[table] = _load(by_table[table], con, options, now, known)
            if not replace:
                _refuse_shrinking(loads[table], held, before.get(table), options)
            if table == "customers":
                con.execute("UPDATE customers SET profile_source = ?", [loads[table].source])
            if table == "customers" and checked:
                known = pd.Index(con.execute("SELECT customer_id FROM customers").df()["customer_id"])
        if "customers" in loads and checked:
            _refuse_orphans(con, loads["customers"].source, [t for t in REFERRING if t not in loads])
        balance = _balance(loads)
        report = IngestReport(
            counts={t: load.counts for t, load in loads.items()},
            money=_money(balance),
            warnings=load_warnings(balance, options.max_quarantine_share),
        )
        if "transactions" in loads:
            report.notes += _order_notes(loads["transactions"])
            con.execute("DELETE FROM orders")
            con.execute(BUILD_ORDERS_SQL)
        unprofiled = _derive_customers(con) if loads else 0
        profiles = _count(con, "SELECT count(*) FROM customers" + HAS_PROFILE)
        derived = unprofiled > 0 and not profiles
        if derived:
            report.notes.append(t("note.ingest.derived", n=unprofiled))
        elif unprofiled and loads:
            report.notes.append(t("note.ingest.unprofiled", n=unprofiled, profiles=profiles))
            report.warnings += _unprofiled_warning(con, options.max_unprofiled_share)
        for load in loads.values():
            if load.first.ignored_columns:
                report.notes.append(t("note.ingest.ignored_columns", source=load.source,
                                      columns=", ".join(load.first.ignored_columns)))  # fmt: skip
            if load.first.ignored_sheets:
                report.warnings.append(t("warning.load.sheets", source=load.source,
                                         sheets=", ".join(load.first.ignored_sheets)))  # fmt: skip
            if load.first.computed:
                report.notes.append(t("note.ingest.computed", source=load.source,
                                      columns=", ".join(load.first.computed)))  # fmt: skip
            if load.made:
                report.notes.append(t("note.ingest.made", source=load.source, n=load.made))
            for how in sorted(set(load.first.readings.values())):
                columns = ", ".join(c for c, h in sorted(load.first.readings.items()) if h == how)
                report.notes.append(t("note.ingest.grouped", source=load.source, columns=columns,
                                      how=t(f"note.ingest.grouped.{how}")))  # fmt: skip
            if load.first.three_decimals:
                report.warnings.append(t("warning.load.three_decimals", source=load.source,
                                         columns=", ".join(load.first.three_decimals)))  # fmt: skip
            if load.cleared:
                columns = ", ".join(f"{c} {n}" for c, n in sorted(load.cleared.items()))
                report.notes.append(t("note.ingest.cleared", source=load.source, n=sum(load.cleared.values()),
                                      columns=columns))  # fmt: skip
        names = list(loads) + (["customers"] if derived else [])
        for bookkeeping in ("loads", "reconciliation"):
            con.execute(f"DELETE FROM {bookkeeping} WHERE table_name IN (SELECT unnest(?))", [names])
        for bookkeeping, rows in (("loads", _loads(loads, derived_rows=unprofiled if derived else None, now=now)),
                                  ("reconciliation", balance)):  # fmt: skip
            if len(rows):
                con.register("incoming", rows)
                con.execute(f"INSERT INTO {bookkeeping} BY NAME SELECT * FROM incoming")
                con.unregister("incoming")
    return report


REFERRING = [name for name in TABLE_ORDER if name != "customers" and "customer_id" in TABLES[name].names]
"""The tables whose rows name a customer, checked against the customers when those are loaded."""
NAMED_SQL = " UNION ALL ".join(
    f'SELECT customer_id, "{main_time_column(name)}" AS seen FROM "{name}"' for name in REFERRING
)
"""Every customer a row names, with the row's time."""


HAS_PROFILE = " WHERE profile_source IS NOT NULL"  # the customers a source gave (not derived)


def _derive_customers(con) -> int:
    """Customers without a profile row: every customer that rows of the other tables name and no customers source
    holds, first seen (signup_date) at their earliest row. Made anew at each load; returns how many there are."""
    con.execute("DELETE FROM customers WHERE profile_source IS NULL")
    con.execute(f"""INSERT INTO customers (customer_id, signup_date)
        SELECT customer_id, min(seen) FROM ({NAMED_SQL}) WHERE customer_id IS NOT NULL
          AND customer_id NOT IN (SELECT customer_id FROM customers) GROUP BY customer_id ORDER BY customer_id""")
    return _count(con, "SELECT count(*) FROM customers WHERE profile_source IS NULL")


def _count(con, sql: str) -> int:
    return int((con.execute(sql).fetchone() or (0,))[0])


def _unprofiled_warning(con, limit: float) -> list[str]:
    """A warning when the customers without a profile row bought more than `limit` of the net revenue."""
    share = con.execute("""SELECT sum(amount) FILTER (WHERE customer_id IN
            (SELECT customer_id FROM customers WHERE profile_source IS NULL)) / nullif(sum(amount), 0)
        FROM orders WHERE customer_id IS NOT NULL""").fetchone()
    if not share or share[0] is None or share[0] <= limit:
        return []
    return [t("warning.load.unprofiled", share=format_percent(share[0], current()),
              limit=format_percent(limit, current(), 0))]  # fmt: skip


def _refuse_orphans(con, source: str, tables: list[str]) -> None:
    """A SourceError (the load rolls back) when customers just loaded leave out customers that rows loaded earlier
    and kept now still name: those rows would refer to no one."""
    for table in tables:
        found = con.execute(
            f'SELECT count(*), min(customer_id) FROM "{table}" WHERE customer_id IS NOT NULL '
            "AND customer_id NOT IN (SELECT customer_id FROM customers)"
        ).fetchone()
        if found and found[0]:
            raise SourceError(t("error.source.orphans", source=source, table=table, n=found[0], customer=found[1]))


def _load(source: Source, con, options: IngestOptions, now: pd.Timestamp, known: pd.Index | None) -> TableLoad:
    """Check `source` part by part, then insert its good rows into its table and its bad ones into the quarantine
    (sorted by row, as a person reads the file). Checked parts wait on disk as Parquet files: inserting from them
    keeps the open transaction small (from pandas it held some 150 bytes a row in memory until the commit)."""
    table = source.table
    spec = TABLES[table]
    con.execute(f"DELETE FROM quarantine WHERE table_name = '{table}'")
    con.execute(f"DELETE FROM cleared WHERE table_name = '{table}'")
    with tempfile.TemporaryDirectory(prefix=f"crm-{table}-", dir=options.spill_dir) as name:
        folder = Path(name)
        load = None
        with progress.rows(table) as read:
            for n, part in enumerate(parts(source, folder)):
                load = load or TableLoad(table, source.name, source.sha256, part)
                result = check(part, options, now, known)
                load.add(result)
                read(len(part.frame) + (len(part.malformed) if part.malformed is not None else 0))
                _write(result.loaded, STORED_SCHEMAS[table], folder / "checked" / f"{n:06d}.parquet")
                _write(result.quarantine, QUARANTINE_SCHEMA, folder / "quarantine" / f"{n:06d}.parquet")
                _write(result.cleared, CLEARED_SCHEMA, folder / "cleared" / f"{n:06d}.parquet")
        if any((folder / "checked").glob("*.parquet")):
            names = ", ".join(f'"{c.name}"' for c in spec.stored)
            con.execute(f'INSERT INTO "{table}" ({names}) SELECT {names} FROM read_parquet(?)',
                        [str(folder / "checked" / "*.parquet")])  # fmt: skip
        for bookkeeping in ("quarantine", "cleared"):
            if any((folder / bookkeeping).glob("*.parquet")):
                con.execute(f"INSERT INTO {bookkeeping} BY NAME SELECT * FROM read_parquet(?) ORDER BY row_number",
                            [str(folder / bookkeeping / "*.parquet")])  # fmt: skip
    assert load is not None, "every source gives at least one chunk"
    return load


_ARROW = {"str": pa.string(), "ts": pa.timestamp("us"), "date": pa.timestamp("us"), "float": pa.float64(),
          "int": pa.int64(), "bool": pa.bool_()}  # fmt: skip
STORED_SCHEMAS = {name: pa.schema([(c.name, _ARROW[c.kind]) for c in spec.stored]) for name, spec in TABLES.items()}
QUARANTINE_SCHEMA = pa.schema([(c, pa.int64() if c == "row_number" else pa.string()) for c in QUARANTINE_COLUMNS])
CLEARED_SCHEMA = pa.schema([(c, pa.int64() if c == "row_number" else pa.string()) for c in CLEARED_COLUMNS])


def _write(frame: pd.DataFrame, schema: pa.Schema, path: Path) -> None:
    """`frame`'s columns of `schema` (missing ones empty) as a Parquet file, unless it has no rows."""
    if frame.empty:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    columns = {f.name: frame[f.name] if f.name in frame else pd.Series(None, index=frame.index, dtype=object)
               for f in schema}  # fmt: skip
    pq.write_table(pa.Table.from_pandas(pd.DataFrame(columns), schema=schema, preserve_index=False), path)


def parts(source: Source, folder: Path) -> Iterator[RawTable]:
    """The source's records in parts that fit in memory: the whole source when it comes in one chunk, else
    spilled to `folder` by key (see `partitions`); malformed records last, as a part of their own. A CSV file
    the fast reader cannot split is read again leniently."""
    try:
        chunks = source.chunks(False)
        first = next(chunks)
        second = next(chunks, None)
    except pd.errors.ParserError:
        chunks = source.chunks(True)
        first, second = next(chunks), next(chunks, None)
    if second is None:
        yield first
        return
    spill = Spill(folder / "spill", parts=max(2, -(-source.size // PART_BYTES)))
    malformed = []
    lenient = first.malformed is not None
    try:
        for chunk in itertools.chain([first, second], chunks):
            spill.add(chunk)
            if chunk.malformed is not None and len(chunk.malformed):
                malformed.append(chunk.malformed.assign(source=chunk.source))
    except pd.errors.ParserError:
        if lenient:
            raise
        spill.remove()
        yield from parts(_lenient(source), folder)
        return
    for part in spill.parts():
        part.ignored_columns, part.computed, part.sha256 = first.ignored_columns, first.computed, source.sha256
        part.readings, part.three_decimals = first.readings, first.three_decimals
        yield part
    if malformed:
        empty = first.frame.iloc[:0]
        yield RawTable(source.table, source.name, empty, pd.Series([], dtype="int64"), malformed=pd.concat(malformed),
                       record_hash=pd.Series([], dtype="uint64"), ignored_columns=first.ignored_columns,
                       computed=first.computed)  # fmt: skip


def _lenient(source: Source) -> Source:
    """The same source, read leniently only."""
    return Source(source.table, source.name, source.sha256, source.size, lambda lenient: source.chunks(True))


def _balance(loads: dict[str, TableLoad]) -> pd.DataFrame:
    """The reconciliation of every load: its parts' rows and money summed per table, month and outcome."""
    frames = [b for load in loads.values() for b in load.balances if len(b)]
    if not frames:
        return pd.DataFrame(columns=list(RECONCILIATION_COLUMNS))
    joined = pd.concat(frames, ignore_index=True)
    summed = joined.groupby(["table_name", "source", "month", "outcome"], dropna=False, sort=False).agg(
        rows=("rows", "sum"), amount=("amount", lambda a: a.sum(min_count=1))
    )
    order = {"loaded": 0, "guest": 1, "quarantined": 2}
    return (
        summed.reset_index()[list(RECONCILIATION_COLUMNS)]
        .sort_values(
            ["table_name", "month", "outcome"], key=lambda c: c.map(order) if c.name == "outcome" else c, kind="stable"
        )
        .reset_index(drop=True)
    )


def _refuse_shrinking(load: TableLoad, held: int, previous: str | None, options: IngestOptions) -> None:
    """A SourceError when a source has no data rows, or would shrink its table by more than `max_shrink`.
    Synthetic sample data is no history: a business's own data replaces it whatever its size."""
    if previous and (Path(previous).parent / SAMPLE_MARKER).is_file():
        return
    new = load.loaded + load.guests
    if load.rows == 0 and held:
        raise SourceError(t("error.ingest.no_rows", source=load.source, held=held, table=load.table))
    if held and new < held * (1 - options.max_shrink):
        raise SourceError(
            t(
                "error.ingest.shrink",
                source=load.source,
                table=load.table,
                held=held,
                new=new,
                lost=held - new,
                limit=format_percent(options.max_shrink, current(), 0),
            )
        )


def _order_notes(result: TableLoad) -> list[str]:
    notes = []
    if result.guests:
        notes.append(t("note.ingest.guests", n=result.guests))
    if result.spread_orders:
        notes.append(t("note.ingest.spread", n=result.spread_orders, orders=result.orders))
    return notes


def _money(balance: pd.DataFrame) -> dict[str, dict[str, float]]:
    """Per table with amounts: the money of the source, loaded, guest and quarantined."""
    with_money = balance[balance["amount"].notna()]
    totals = with_money.groupby(["table_name", "outcome"])["amount"].sum().unstack(fill_value=0.0)
    return {
        table: {"source": float(row.sum()), **{k: float(v) for k, v in row.items()}} for table, row in totals.iterrows()
    }


def _customers_of_record(con) -> pd.Index | None:
    """The customers loaded earlier from a real source, if any (None when they were derived or never loaded)."""
    known = con.execute("SELECT customer_id FROM customers" + HAS_PROFILE).df()["customer_id"]
    return pd.Index(known) if len(known) else None


def _loads(loads: dict[str, TableLoad], derived_rows: int | None, now: pd.Timestamp) -> pd.DataFrame:
    rows = [
        {
            "table_name": t,
            "source": load.source,
            "sha256": load.sha256,
            **load.counts,
            "ignored_columns": ", ".join(load.first.ignored_columns),
            "orders": load.orders,
            "spread_orders": load.spread_orders,
        }
        for t, load in loads.items()
    ]
    if derived_rows is not None:
        rows.append({"table_name": "customers", "source": DERIVED, "sha256": "", "rows": derived_rows,
                     "loaded": derived_rows, "guest": 0, "quarantined": 0, "ignored_columns": "", "orders": 0,
                     "spread_orders": 0})  # fmt: skip
    return pd.DataFrame(rows, columns=list(LOADS_COLUMNS)).assign(loaded_at=now.floor("s").to_pydatetime())
