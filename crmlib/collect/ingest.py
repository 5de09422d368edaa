"""Loading sources into the warehouse: every record is loaded, loaded as a guest sale, or quarantined; never dropped.

An ingest replaces, in one transaction, each table it has a source for (so loading the same files again
leaves the warehouse as it was) and leaves the other tables alone; the orders are rebuilt from the transaction
lines. With no customers source, customers are derived from the transactions, unless an earlier ingest loaded them
from a real source. Every load reconciles: per table and month, the source's rows and money = loaded + guest +
quarantined. A source with no data rows, or one that would shrink its table by more than `max_shrink`, stops the
load unless `replace` is given: a half-exported file must not wipe the history.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from crmlib.catalogue import current, t
from crmlib.collect.contract import TABLE_ORDER
from crmlib.collect.options import IngestOptions
from crmlib.collect.reconcile import load_warnings, reconciliation
from crmlib.collect.sources import SAMPLE_MARKER, RawTable, find_sources, read_database, read_file
from crmlib.collect.validate import QUARANTINE_COLUMNS, Checked, check, derive_customers
from crmlib.collect.warehouse import LOADS_COLUMNS, Warehouse
from crmlib.errors import SourceError
from crmlib.formats import format_percent

DERIVED = "derived from transactions"


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
    paths, ignored = find_sources(directory)
    raws = [read_file(paths[t], t, options) for t in TABLE_ORDER if t in paths]
    report = ingest_raw(raws, warehouse, options, now, replace)
    report.notes[:0] = ignored
    if not raws:
        report.notes.append(t("note.ingest.nothing", folder=str(directory)))
    return report


def ingest_database(
    warehouse: Warehouse, options: IngestOptions | None = None, now: pd.Timestamp | None = None, replace: bool = False
) -> IngestReport:
    """Load the contract tables found in the database named by the environment variable in the options."""
    options = options or IngestOptions()
    return ingest_raw(read_database(options), warehouse, options, now, replace)


def ingest_raw(
    raws: list[RawTable],
    warehouse: Warehouse,
    options: IngestOptions,
    now: pd.Timestamp | None = None,
    replace: bool = False,
) -> IngestReport:
    """Check each source (customers first) and replace its table in the warehouse; all or nothing."""
    now = pd.Timestamp.now() if now is None else pd.Timestamp(now)
    by_table = {raw.table: raw for raw in raws}
    known = _customers_of_record(warehouse) if "customers" not in by_table else None
    results: dict[str, Checked] = {}
    for table in TABLE_ORDER:
        if table in by_table:
            results[table] = check(by_table[table], options, now, known)
            if table == "customers":
                known = pd.Index(results[table].loaded["customer_id"])
    if not replace:
        _refuse_shrinking(results, warehouse, options)

    frames = {t: r.loaded for t, r in results.items()}
    balance = reconciliation(results)
    report = IngestReport(
        counts={t: r.counts for t, r in results.items()},
        money=_money(balance),
        warnings=load_warnings(balance, options.max_quarantine_share),
    )
    if "customers" not in frames and "transactions" in frames and known is None:
        frames["customers"] = derive_customers(frames["transactions"])
        report.notes.append(t("note.ingest.derived", n=len(frames["customers"])))
    if "transactions" in results:
        report.notes += _order_notes(results["transactions"])
    for raw in raws:
        if raw.ignored_columns:
            report.notes.append(
                t("note.ingest.ignored_columns", source=raw.source, columns=", ".join(raw.ignored_columns))
            )
        if raw.computed:
            report.notes.append(t("note.ingest.computed", source=raw.source, columns=", ".join(raw.computed)))

    warehouse.replace_tables(frames, _quarantine(results), _loads(results, by_table, frames), balance)
    return report


def _refuse_shrinking(results: dict[str, Checked], warehouse: Warehouse, options: IngestOptions) -> None:
    """A SourceError when a source has no data rows, or would shrink its table by more than `max_shrink`.
    Synthetic sample data is no history: a business's own data replaces it whatever its size."""
    sources = dict(warehouse.query("SELECT table_name, source FROM loads").values)
    for table, result in results.items():
        if table in sources and (Path(sources[table]).parent / SAMPLE_MARKER).is_file():
            continue
        held = int(warehouse.query(f'SELECT count(*) AS n FROM "{table}"')["n"][0])
        new = len(result.loaded)
        if result.rows == 0 and held:
            raise SourceError(t("error.ingest.no_rows", source=result.source, held=held, table=table))
        if held and new < held * (1 - options.max_shrink):
            raise SourceError(
                t(
                    "error.ingest.shrink",
                    source=result.source,
                    table=table,
                    held=held,
                    new=new,
                    lost=held - new,
                    limit=format_percent(options.max_shrink, current(), 0),
                )
            )


def _order_notes(result: Checked) -> list[str]:
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


def _customers_of_record(warehouse: Warehouse) -> pd.Index | None:
    """The customers loaded earlier from a real source, if any (None when they were derived or never loaded)."""
    loads = warehouse.query("SELECT source FROM loads WHERE table_name = 'customers'")
    if loads.empty or loads["source"][0] == DERIVED:
        return None
    return pd.Index(warehouse.query("SELECT customer_id FROM customers")["customer_id"])


def _quarantine(results: dict[str, Checked]) -> pd.DataFrame:
    frames = [r.quarantine for r in results.values() if len(r.quarantine)]
    if not frames:
        return pd.DataFrame(columns=QUARANTINE_COLUMNS)
    out = pd.concat(frames, ignore_index=True)
    return out.astype({"row_number": "int64"})


def _loads(results: dict[str, Checked], raws: dict[str, RawTable], frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    rows = [
        {
            "table_name": t,
            "source": r.source,
            "sha256": raws[t].sha256,
            **r.counts,
            "ignored_columns": ", ".join(raws[t].ignored_columns),
            "orders": r.orders,
            "spread_orders": r.spread_orders,
        }
        for t, r in results.items()
    ]
    if "customers" in frames and "customers" not in results:
        n = len(frames["customers"])
        rows.append(
            {
                "table_name": "customers",
                "source": DERIVED,
                "sha256": "",
                "rows": n,
                "loaded": n,
                "guest": 0,
                "quarantined": 0,
                "ignored_columns": "",
                "orders": 0,
                "spread_orders": 0,
            }
        )
    return pd.DataFrame(rows, columns=list(LOADS_COLUMNS))
