"""How long `crm ingest` takes, and its peak memory, on a synthetic sample in the tidy layout and as an order-line
export (the README's mapping); prints figures, asserts nothing.

    python benchmarks/bench_ingest.py [--customers 100000] [--months 24] [--layouts tidy lines]
"""

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
# Runs one ingest in a fresh interpreter and prints its counts and its own peak memory (MiB).
INGEST = """
import json, resource, sys
from crmlib.collect import Warehouse, ingest_dir
from crmlib.report.params import load_params
report = ingest_dir(sys.argv[1], Warehouse(sys.argv[2]), load_params(sys.argv[3]).ingest, replace=True)
print(json.dumps({"counts": report.counts, "peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


# DuckDB's own read_csv of the same files into a fresh database, one table per file: the engine under the load.
ENGINE = """
import duckdb, pathlib, sys
con = duckdb.connect(sys.argv[2])
for path in sorted(pathlib.Path(sys.argv[1]).glob("*.csv")):
    for encoding in ("utf-8", "latin-1"):  # the order-line export is Windows-1252, as the UCI file it imitates
        try:
            con.execute(f"CREATE OR REPLACE TABLE {path.stem} AS SELECT * FROM read_csv('{path}', "
                        f"all_varchar = true, encoding = '{encoding}')")
            break
        except duckdb.InvalidInputException:
            continue
"""


def order_line_mapping() -> dict:
    """The README's ingest block for an order-line export."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return yaml.safe_load(text.split("<!-- order-line mapping")[1].split("```yaml\n")[1].split("```")[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--layouts", nargs="+", default=["tidy", "lines"], choices=["tidy", "lines"])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp)
        (project / "params").mkdir()
        (project / "params" / "default.yaml").write_text(yaml.safe_dump(order_line_mapping()))
        for layout in args.layouts:
            raw, warehouse = project / layout, project / f"{layout}.duckdb"
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "crmlib.cli",
                    "sample",
                    "--customers",
                    str(args.customers),
                    "--months",
                    str(args.months),
                    "--seed",
                    "1",
                    "--layout",
                    layout,
                    "--out",
                    str(raw),
                ],
                check=True,
                cwd=tmp,
                capture_output=True,
            )
            size = (raw / "transactions.csv").stat().st_size
            for attempt in ("first load", "reload (same files)"):
                started = time.perf_counter()
                run = subprocess.run(
                    [sys.executable, "-c", INGEST, str(raw), str(warehouse), str(project)],
                    check=True,
                    cwd=tmp,
                    capture_output=True,
                    text=True,
                )
                seconds = time.perf_counter() - started
                out = json.loads(run.stdout.strip().splitlines()[-1])
                rows = sum(c["rows"] for c in out["counts"].values())
                lines = out["counts"]["transactions"]["rows"]
                print(
                    f"crm ingest, {layout} layout, {attempt}: {args.customers:,} customers, {rows:,} rows "
                    f"({lines:,} transaction rows, {size / 2**20:,.0f} MiB): {seconds:,.1f} s "
                    f"({rows / seconds:,.0f} rows/s), peak memory {out['peak']:,.0f} MiB"
                )
            print(f"warehouse file ({layout}): {warehouse.stat().st_size / 2**20:,.0f} MiB")
            started = time.perf_counter()
            engine = project / f"{layout}-engine.duckdb"
            subprocess.run([sys.executable, "-c", ENGINE, str(raw), str(engine)], check=True, cwd=tmp)
            plain = time.perf_counter() - started
            print(f"DuckDB's read_csv of the same files ({layout}): {plain:,.1f} s; crm ingest (last load) takes "
                  f"{seconds / plain:,.1f}x as long")  # fmt: skip


if __name__ == "__main__":
    main()
