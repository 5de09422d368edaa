"""A seeded synthetic CRM world: an Indonesian online retailer selling in IDR.

`write_sample` writes one file per contract table (customers, campaigns, transactions, events,
feedback, tickets, opportunities, calls) with exactly the contract's columns, for a window of whole
months, and returns the rows written per table. Same arguments give byte-identical files.
How the world works is told module by module: customers, purchases, campaign_plan and campaigns,
engagement, tickets, feedback, pipeline and calls, on the calendar of `calendar` and the rates of `world`.

Customers are simulated in chunks of `CHUNK`, each with its own generator spawned from the
seed, and appended to the open output files, so memory stays flat as the population grows.

>>> import tempfile
>>> with tempfile.TemporaryDirectory() as folder:
...     rows = write_sample(folder, customers=50, months=3, end="2025-06")
>>> rows["customers"], list(rows)[:3]
(50, ['customers', 'campaigns', 'transactions'])
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from crmlib.collect.sources import SAMPLE_MARKER
from crmlib.collect.synthetic.arguments import check_arguments, end_month
from crmlib.collect.synthetic.calendar import make_calendar
from crmlib.collect.synthetic.campaign_plan import plan_campaigns
from crmlib.collect.synthetic.chunk import simulate_chunk
from crmlib.collect.synthetic.exports import PLATFORMS, write_export
from crmlib.collect.synthetic.ids import IdCounters
from crmlib.collect.synthetic.lines import LinesCsv
from crmlib.collect.synthetic.tables import ACTIVITY, activity_table, campaigns_table
from crmlib.collect.synthetic.writer import LAYOUTS, TableWriters

__all__ = ["CHUNK", "LAYOUTS", "write_sample"]

CHUNK = 10_000  # customers simulated (and held in memory) at a time; read at each call, so it can be patched


def _generator(seed: int, key: int) -> np.random.Generator:
    """The generator for one part of the world (0 the campaign plan, k the k-th chunk): child `key` of the seed."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(key,)))


def write_sample(
    out_dir,
    customers: int = 2000,
    months: int = 24,
    seed: int = 42,
    end: str | None = None,
    fmt: str = "csv",
    layout: str = "tidy",
    truth_dir=None,
) -> dict[str, int]:
    """Write one file per contract table (customers.csv, transactions.csv, ...) into out_dir; return rows per table.

    The data covers the `months` whole months ending with `end` ("YYYY-MM"; default the last complete
    month before today). `fmt` is "csv" (UTF-8, header, ISO timestamps, true/false, empty for missing)
    or "parquet" (one row group per chunk). The same arguments always give byte-identical files; memory
    stays flat in `customers` because customers are simulated and appended in chunks of CHUNK.
    A campaign's control group is recorded as `campaign_holdout` events (its treated customers get the
    channel's `*_sent` event), so lift against the control group can be measured from the events.
    `layout` "lines" writes transactions.csv as an order-line export (see `lines`), the same orders as "tidy";
    "tokopedia", "shopee", "shopify" or "woocommerce" writes that platform's order report instead (`exports`).
    `truth_dir`, if given, receives truth.csv: per customer what the data cannot show (purchase rate, drop-out
    probability, when they dropped out), for checking models against the truth; and activity.csv: how busy each
    day is for purchases (operational days per calendar day, 1 on average), which the rates run in.
    Raises ParamsError for a bad month, an `end` month that is not over yet, a bad `fmt` or layout, or a count
    below 1. The defaults are those of the parameters' `sample:` section.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     rows = write_sample(folder, customers=30, months=2, end="2024-12", fmt="parquet")
    >>> rows["customers"], rows["campaigns"] >= 4
    (30, True)
    """
    check_arguments(customers, months, fmt, layout)
    cal = make_calendar(end_month(end), int(months))
    plan = plan_campaigns(cal, _generator(seed, 0))
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    counters = IdCounters()
    lines = (
        LinesCsv(folder / "transactions.csv", np.random.SeedSequence(seed, spawn_key=(0, 1)))
        if layout == "lines"
        else None
    )
    truth = []
    with TableWriters(folder, fmt, lines) as writers:
        for k, lo in enumerate(range(0, customers, CHUNK)):
            hi = min(lo + CHUNK, customers)
            for name, table in simulate_chunk(cal, plan, lo, hi, customers, _generator(seed, k + 1), counters).items():
                if name == "truth":
                    truth.append(table) if truth_dir is not None else None
                else:
                    writers.write(name, table)
        writers.write("campaigns", campaigns_table(cal, plan))
    if layout in PLATFORMS:
        write_export(folder, layout, seed)
    (folder / SAMPLE_MARKER).write_text(
        "synthetic sample data (crm sample); make clean removes data/raw when it holds this file\n"
    )
    if truth_dir is not None:
        Path(truth_dir).mkdir(parents=True, exist_ok=True)
        pacsv.write_csv(pa.concat_tables(truth), Path(truth_dir) / "truth.csv")
        activity_table(cal).to_csv(Path(truth_dir) / ACTIVITY, index=False)
    return dict(writers.rows)
