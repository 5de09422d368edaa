"""Benchmark stage 5 on synthetic worlds whose truth knows each campaign's effect.

Run: python benchmarks/bench_monitor.py [--customers 2000 10000] [--months 24] [--seed 42]
For each size: the time of the monitoring stage (every KPI over the history, the anomaly checks and the campaign
results of the last month), then over every campaign of the world with enough controls: how often the 95%
intervals of extra ordering and of extra revenue per recipient cover the world's true effect, and how much CUPED
narrows the revenue interval. It asserts nothing.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

try:
    import crmlib  # noqa: F401
except ImportError:  # run from a checkout without `pip install -e .`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from crmlib.collect import Warehouse, ingest_dir
from crmlib.collect.synthetic import write_sample
from crmlib.collect.synthetic.response import read_truth, true_incremental_conversion, true_incremental_revenue
from crmlib.monitor import MonitorOptions, monitoring
from crmlib.monitor.campaigns import evaluate, members
from crmlib.periods import Period

END = Period.parse("2025-06")


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, nargs="+", default=[2000, 10000])
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--seed", type=int, default=42)
    return parser.parse_args()


def coverage(warehouse: Warehouse, truth: pd.DataFrame, activity, options: MonitorOptions) -> pd.DataFrame:
    """Per campaign with an interval: whether each interval covers the truth, and both revenue interval widths."""
    campaigns = warehouse.query("SELECT * FROM campaigns ORDER BY start_date")
    results = evaluate(warehouse, campaigns, min_controls=options.min_controls).set_index("campaign_id")
    people = members(warehouse, campaigns["campaign_id"])
    rows = []
    for c in campaigns.itertuples():
        r = results.loc[c.campaign_id]
        if np.isnan(r["revenue_low"]):
            continue
        group = people[people["campaign_id"] == c.campaign_id].assign(campaign=c.type, channel=c.channel)
        days = (pd.Timestamp(c.end_date) - pd.Timestamp(c.start_date)).days + 1
        revenue = true_incremental_revenue(truth, group, c.start_date, days, activity).mean()
        conversion = true_incremental_conversion(truth, group, c.start_date, days, activity).mean()
        rows.append((r["revenue_low"] <= revenue <= r["revenue_high"], r["lift_low"] <= conversion <= r["lift_high"],
                     r["revenue_high"] - r["revenue_low"], r["raw_revenue_high"] - r["raw_revenue_low"]))  # fmt: skip
    return pd.DataFrame(rows, columns=["revenue", "conversion", "cuped", "raw"])


def main() -> None:
    args = _arguments()
    options = MonitorOptions()
    for customers in args.customers:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            write_sample(folder / "raw", customers=customers, months=args.months, seed=args.seed, end=str(END),
                         truth_dir=folder / "truth")  # fmt: skip
            warehouse = Warehouse(folder / "w.duckdb")
            ingest_dir(folder / "raw", warehouse)
            truth, activity = read_truth(folder / "truth")
            started = time.perf_counter()
            stage = monitoring(warehouse, END, options)
            seconds = time.perf_counter() - started
            counts = stage.on_track()
            print(f"-- {customers:,} customers × {args.months} months: monitoring stage {seconds:.1f} s "
                  f"({len(stage.values):,} KPI values over {stage.values['period'].nunique()} months, "
                  f"{len(stage.campaigns)} campaigns measured in {END}); {counts['on_track']} of {counts['targets']} "
                  f"KPIs with a target on track")  # fmt: skip
            found = coverage(warehouse, truth, activity, options)
            ratio = found["cuped"] / found["raw"]
            print(f"   {len(found)} campaigns with {options.min_controls}+ controls: 95% intervals cover the true "
                  f"effect for {found['conversion'].mean():.0%} (extra ordering) and {found['revenue'].mean():.0%} "
                  f"(extra revenue) of them; CUPED interval / plain one: median {ratio.median():.2f}, "
                  f"total {found['cuped'].sum() / found['raw'].sum():.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
