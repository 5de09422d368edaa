"""Benchmark the RFM summary on Spark (local mode, over a Parquet lake) beside DuckDB (the warehouse file).

Run: python benchmarks/bench_spark.py [--customers 1640000] [--master local[2]]
The default makes about 8.7 million transactions with bench_rfm's BG/NBD simulation. DuckDB runs the suite's
`SUMMARY_SQL` on the warehouse's `orders` table; Spark runs the same SQL, translated by sqlglot, over the orders
written as Parquet (what `crm export` writes), and brings back one row per customer. Both results are compared.
It prints figures and asserts nothing.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_rfm import DAYS, START, synthetic_transactions

try:
    from crmlib.collect.warehouse import Warehouse
except ImportError:  # run from a checkout without `pip install -e .`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from crmlib.collect.warehouse import Warehouse
from crmlib.engines.options import SparkOptions
from crmlib.engines.spark import Lake
from crmlib.segment.summary import SUMMARY_SQL
from crmlib.sql import run_sql


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_640_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--repeat", type=int, default=2, help="time each engine this many times, keep the best")
    return parser.parse_args()


def _best(function, repeat: int):
    """The result and the best wall time of `repeat` calls."""
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - started)
    return result, min(times)


def main() -> None:
    args = _arguments()
    started = time.perf_counter()
    transactions = synthetic_transactions(args.customers, args.seed)
    end = str((START + np.timedelta64(DAYS - 1, "D")).astype("datetime64[D]"))
    params = {"per": 1.0, "start": None}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        warehouse = Warehouse(folder / "w.duckdb")
        with warehouse.connect() as con:
            con.register("incoming", transactions)
            con.execute("INSERT INTO orders BY NAME SELECT * FROM incoming")
            (folder / "lake" / "orders").mkdir(parents=True)
            con.execute(f"COPY incoming TO '{folder / 'lake' / 'orders' / 'data.parquet'}' (FORMAT parquet)")
        made = time.perf_counter() - started
        print(f"data: {len(transactions):,} transactions, {START}..{end} (made and written in {made:.1f} s)")

        duck, duck_seconds = _best(lambda: run_sql(warehouse, SUMMARY_SQL, end, **params), args.repeat)
        lake = Lake(SparkOptions(master=args.master, parquet=str(folder / "lake")))
        twin = Warehouse(folder / "twin.duckdb", lake=lake)
        started = time.perf_counter()
        lake.spark.sql("SELECT 1").collect()
        spark_start = time.perf_counter() - started
        spark, spark_seconds = _best(lambda: run_sql(twin, SUMMARY_SQL, end, **params), args.repeat)
        lake.spark.stop()

    print(f"best of {args.repeat} runs each; {len(duck):,} customers come back")
    print(f"DuckDB (warehouse file)          {duck_seconds:8.2f} s")
    print(
        f"Spark {args.master:<10} (Parquet)   {spark_seconds:8.2f} s  (session start {spark_start:.1f} s, not counted)"
    )
    duck, spark = (
        duck.sort_values("customer_id", ignore_index=True),
        spark.sort_values("customer_id", ignore_index=True),
    )
    same = duck["customer_id"].equals(spark["customer_id"])
    print(f"same customers: {same}")
    if same:
        for column in ("frequency", "recency", "T", "monetary_value"):
            gap = ((duck[column] - spark[column]).abs() / duck[column].abs().clip(lower=1)).max()
            print(f"{column:<15} equal within 1e-9 relative: {bool(gap <= 1e-9)} (max gap {gap:.1e})")


if __name__ == "__main__":
    main()
