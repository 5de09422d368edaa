"""Benchmark the synthetic CRM world: wall time, rows per table, bytes written and peak memory of write_sample.

Run: python benchmarks/bench_sample.py [--customers 100000] [--months 24] [--fmt csv|parquet]
It prints figures and asserts nothing.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

try:
    from crmlib.collect.synthetic import CHUNK, write_sample
except ImportError:  # run from a checkout without `pip install -e .`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from crmlib.collect.synthetic import CHUNK, write_sample


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--end", default=None, help="last month YYYY-MM (default: last complete month)")
    parser.add_argument("--fmt", default="csv", choices=("csv", "parquet"))
    return parser.parse_args()


def _peak_mib() -> float:
    """Peak resident memory of this process so far (ru_maxrss is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    args = _arguments()
    before = _peak_mib()
    with tempfile.TemporaryDirectory(prefix="crm-bench-") as folder:
        started = time.perf_counter()
        rows = write_sample(
            folder, customers=args.customers, months=args.months, seed=args.seed, end=args.end, fmt=args.fmt
        )
        seconds = time.perf_counter() - started
        sizes = {path.stem: path.stat().st_size for path in Path(folder).iterdir()}
    peak = _peak_mib()
    print(
        f"write_sample: {args.customers:,} customers x {args.months} months, seed {args.seed}, {args.fmt}, "
        f"chunks of {CHUNK:,}"
    )
    print(f"{'table':<15}{'rows':>14}{'MiB':>10}")
    for name, count in rows.items():
        print(f"{name:<15}{count:>14,}{sizes.get(name, 0) / 2**20:>10.1f}")
    total_rows, total_bytes = sum(rows.values()), sum(sizes.values())
    print(f"{'total':<15}{total_rows:>14,}{total_bytes / 2**20:>10.1f}")
    print(f"wall time        {seconds:.1f} s ({total_rows / seconds:,.0f} rows/s)")
    print(f"bytes written    {total_bytes:,}")
    print(f"peak memory      {peak:.0f} MiB (after imports {before:.0f} MiB)")


if __name__ == "__main__":
    main()
