"""How long `crm ingest` takes, and its peak memory, on a synthetic sample; prints figures, asserts nothing.

    python benchmarks/bench_ingest.py [--customers 100000] [--months 24]
"""

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--months", type=int, default=24)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        raw, warehouse = Path(tmp) / "raw", Path(tmp) / "w.duckdb"
        subprocess.run([sys.executable, "-m", "crmlib.cli", "sample", "--customers", str(args.customers),
                        "--months", str(args.months), "--seed", "1", "--out", str(raw)], check=True, cwd=tmp,
                       capture_output=True)
        size = sum(p.stat().st_size for p in raw.iterdir())
        for attempt in ("first load", "reload (same files)"):
            started = time.perf_counter()
            run = subprocess.run([sys.executable, "-m", "crmlib.cli", "ingest", str(raw), "--warehouse",
                                  str(warehouse), "--json"], check=True, cwd=tmp, capture_output=True, text=True)
            seconds = time.perf_counter() - started
            peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
            rows = sum(c["rows"] for c in json.loads(run.stdout).values())
            print(f"crm ingest, {attempt}: {args.customers:,} customers, {rows:,} rows, {size / 2**20:,.0f} MiB of CSV: "
                  f"{seconds:,.1f} s ({rows / seconds:,.0f} rows/s), peak memory of any child so far {peak:,.0f} MiB")
        print(f"warehouse file: {warehouse.stat().st_size / 2**20:,.0f} MiB")


if __name__ == "__main__":
    main()
