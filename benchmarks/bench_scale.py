"""The suite end to end as a user runs it, at several sizes: `crm sample`, `crm ingest`, `crm run` for the latest
month, each timed with the peak memory of its whole process tree (the kernels included); prints one table.

Run: python benchmarks/bench_scale.py [--sizes 1000x6 100000x24 1000000x24] [--lines 100000x24] [--no-run 1000000]
It asserts nothing. A size is CUSTOMERSxMONTHS; `--lines` adds sizes whose transactions come as an order-line export
(the README's mapping); `--no-run` lists sizes for which only the sample and the ingest are measured.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import yaml

ROOT = Path(__file__).resolve().parents[1]


def measured(command: list[str], cwd: Path) -> tuple[float, float, str]:
    """Run `command`; its seconds, the peak RSS of its process tree (GiB, sampled every 0.1 s) and its output."""
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    peak, root = 0, psutil.Process(process.pid)
    while process.poll() is None:
        try:
            tree = [root, *root.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
        except psutil.Error:
            pass
        time.sleep(0.1)
    output = process.stdout.read() if process.stdout else ""
    if process.returncode:
        raise SystemExit(f"{' '.join(command)} failed:\n{output[-2000:]}")
    return time.perf_counter() - started, peak / 2**30, output


def notebook_seconds(report: Path) -> dict[str, float]:
    """Each executed notebook's duration, from papermill's metadata."""
    out = {}
    for book in sorted((report / "notebooks").glob("*.ipynb")):
        meta = json.loads(book.read_text(encoding="utf-8")).get("metadata", {}).get("papermill", {})
        out[book.stem] = float(meta.get("duration") or 0.0)
    return out


def project(folder: Path, lines: bool) -> Path:
    (folder / "params").mkdir(parents=True)
    params = yaml.safe_load((ROOT / "params" / "default.yaml").read_text(encoding="utf-8"))
    if lines:
        readme = (ROOT / "README.md").read_text(encoding="utf-8")
        mapping = yaml.safe_load(readme.split("<!-- order-line mapping")[1].split("```yaml\n")[1].split("```")[0])
        params["ingest"].update(mapping["ingest"])
    (folder / "params" / "default.yaml").write_text(yaml.safe_dump(params), encoding="utf-8")
    (folder / "notebooks").symlink_to(ROOT / "notebooks")
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["1000x6", "100000x24", "1000000x24"])
    parser.add_argument("--lines", nargs="*", default=["100000x24"])
    parser.add_argument("--no-run", nargs="*", type=int, default=[])
    args = parser.parse_args()
    crm = [sys.executable, "-m", "crmlib.cli"]
    print("| size | layout | sample | ingest | rows/s | run (per notebook) | peak memory (sample / ingest / run) |")
    print("|---|---|---|---|---|---|---|")
    for size, layout in [(s, "tidy") for s in args.sizes] + [(s, "lines") for s in args.lines]:
        customers, months = (int(v) for v in size.split("x"))
        with tempfile.TemporaryDirectory() as tmp:
            root = project(Path(tmp), layout == "lines")
            base = [*crm, "--project", str(root)]
            sample = measured([*base, "sample", "--customers", str(customers), "--months", str(months), "--seed", "1",
                               "--layout", layout, "--out", str(root / "data" / "raw")], root)  # fmt: skip
            ingest = measured([*base, "ingest", str(root / "data" / "raw"), "--json"], root)
            counts = json.loads(ingest[2].strip().splitlines()[-1])  # the --json line comes last
            rows = sum(c["rows"] for c in counts.values())
            run_text, run_peak = "not run", float("nan")
            if customers not in args.no_run:
                period = subprocess.run([*base, "latest-period"], capture_output=True, text=True, check=True)
                run = measured([*base, "run", "--period", period.stdout.strip()], root)
                books = notebook_seconds(root / "reports" / period.stdout.strip())
                shares = " / ".join(f"{v:.1f}" for v in books.values())
                run_text, run_peak = f"{run[0]:.1f} s ({shares})", run[1]
            cells = [
                f"{customers:,} × {months} months, {rows:,} rows",
                layout,
                f"{sample[0]:.1f} s",
                f"{ingest[0]:.1f} s",
                f"{rows / ingest[0]:,.0f}",
                run_text,
                f"{sample[1]:.1f} / {ingest[1]:.1f} / {run_peak:.1f} GiB",
            ]
            print("| " + " | ".join(cells) + " |", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
