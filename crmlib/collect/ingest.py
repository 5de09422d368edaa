"""Loading sources into the warehouse: every record is loaded or quarantined, never dropped.

An ingest replaces, in one transaction, each table it has a source for (so loading the same files again
leaves the warehouse as it was) and leaves the other tables alone. With no customers source, customers are
derived from the transactions, unless an earlier ingest loaded them from a real source.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from crmlib.collect.contract import TABLE_ORDER
from crmlib.collect.options import IngestOptions
from crmlib.collect.sources import RawTable, find_sources, read_database, read_file
from crmlib.collect.validate import QUARANTINE_COLUMNS, Checked, check, derive_customers
from crmlib.collect.warehouse import Warehouse

DERIVED = "derived from transactions"


@dataclass
class IngestReport:
    """Per table: rows read, loaded and quarantined; and notes worth telling the user."""

    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def ingest_dir(directory: str | Path, warehouse: Warehouse, options: IngestOptions | None = None,
               now: pd.Timestamp | None = None) -> IngestReport:
    """Load every contract file in `directory` (transactions.csv, customers.parquet, events.xlsx …)."""
    options = options or IngestOptions()
    paths, ignored = find_sources(directory)
    raws = [read_file(paths[t], t, options) for t in TABLE_ORDER if t in paths]
    report = ingest_raw(raws, warehouse, options, now)
    report.notes[:0] = [f"ignored {note}" for note in ignored]
    if not raws:
        report.notes.append(f"{directory}: no contract files found; nothing was loaded")
    return report


def ingest_database(warehouse: Warehouse, options: IngestOptions | None = None,
                    now: pd.Timestamp | None = None) -> IngestReport:
    """Load the contract tables found in the database named by the environment variable in the options."""
    options = options or IngestOptions()
    return ingest_raw(read_database(options), warehouse, options, now)


def ingest_raw(raws: list[RawTable], warehouse: Warehouse, options: IngestOptions,
               now: pd.Timestamp | None = None) -> IngestReport:
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

    frames = {t: r.loaded for t, r in results.items()}
    report = IngestReport(counts={t: {"rows": r.rows, "loaded": len(r.loaded), "quarantined": len(r.quarantine)}
                                  for t, r in results.items()})
    if "customers" not in frames and "transactions" in frames and known is None:
        frames["customers"] = derive_customers(frames["transactions"])
        report.notes.append(f"customers: no customers source, so {len(frames['customers']):,} customers were "
                            "derived from the transactions (signup_date = first purchase)")
    for raw in raws:
        if raw.ignored_columns:
            report.notes.append(f"{raw.source}: ignored columns not in the contract: {', '.join(raw.ignored_columns)}")

    warehouse.replace_tables(frames, _quarantine(results), _loads(results, by_table, frames))
    return report


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
    rows = [{"table_name": t, "source": r.source, "sha256": raws[t].sha256, "rows": r.rows,
             "loaded": len(r.loaded), "quarantined": len(r.quarantine),
             "ignored_columns": ", ".join(raws[t].ignored_columns)} for t, r in results.items()]
    if "customers" in frames and "customers" not in results:
        n = len(frames["customers"])
        rows.append({"table_name": "customers", "source": DERIVED, "sha256": "", "rows": n, "loaded": n,
                     "quarantined": 0, "ignored_columns": ""})
    return pd.DataFrame(rows, columns=["table_name", "source", "sha256", "rows", "loaded", "quarantined",
                                       "ignored_columns"])
