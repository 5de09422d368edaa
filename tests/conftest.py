"""Shared fixtures: warehouses built from hand-made CSV texts or the synthetic sample, and a real PostgreSQL
server for the database source tests; `needs`, for tests that use a tool CI installs."""

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
import yaml

from crmlib import catalogue
from crmlib.collect import Warehouse, ingest_dir
from crmlib.collect.synthetic import write_sample

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def needs(tool_found: bool, what: str) -> None:
    """Skip a test without `what`, but fail it under CI (`CI=true`), where .ci/run installs it."""
    if not tool_found:
        (pytest.fail if IN_CI else pytest.skip)(f"needs {what}")


@pytest.fixture(autouse=True)
def english_outside_a_run():
    """A test that opens a period (which speaks its report language from then on) leaves English behind."""
    yield
    catalogue.use(catalogue.DEFAULT)


@pytest.fixture(params=["whole", "in_parts"])
def whole_and_in_parts(request, monkeypatch):
    """Run a test twice: sources checked whole, then read three records at a time and checked in parts spilled
    by key (the way a file too big for memory is loaded). Both must give the same warehouse."""
    if request.param == "in_parts":
        from crmlib.collect import ingest, sources

        monkeypatch.setattr(sources, "CHUNK_ROWS", 3)
        monkeypatch.setattr(ingest, "PART_BYTES", 100)
    return request.param


@pytest.fixture(scope="session")
def csv_warehouse(tmp_path_factory) -> Callable[..., Warehouse]:
    """`build(now=None, **tables)`: write each text as `<table>.csv` into a fresh folder, ingest it into a new
    warehouse there (nothing may be quarantined) and return the warehouse."""

    def build(now: pd.Timestamp | None = None, **tables: str) -> Warehouse:
        folder = tmp_path_factory.mktemp("csv")
        for name, text in tables.items():
            (folder / f"{name}.csv").write_text(text)
        warehouse = Warehouse(folder / "w.duckdb")
        report = ingest_dir(folder, warehouse, now=now)
        assert all(c["quarantined"] == 0 for c in report.counts.values()), report.counts
        return warehouse

    return build


@pytest.fixture(scope="session")
def sample_warehouse(tmp_path_factory) -> Callable[..., Warehouse]:
    """`build(customers, months, seed, end="2025-06")`: the synthetic sample with these arguments, ingested into a
    warehouse; made once per distinct arguments and shared for the session, so tests must only read it."""
    made: dict[tuple, Warehouse] = {}

    def build(customers: int, months: int, seed: int, end: str = "2025-06") -> Warehouse:
        key = (customers, months, seed, end)
        if key not in made:
            folder = tmp_path_factory.mktemp(f"sample-{customers}-{months}-{seed}-{end}")
            write_sample(folder / "raw", customers=customers, months=months, seed=seed, end=end)
            warehouse = Warehouse(folder / "w.duckdb")
            ingest_dir(folder / "raw", warehouse)
            made[key] = warehouse
        return made[key]

    return build


@pytest.fixture(scope="session")
def order_line_mapping() -> dict:
    """The `ingest:` block the README gives for an order-line export, read from the README itself."""
    text = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    block = text.split("<!-- order-line mapping")[1].split("```yaml\n")[1].split("```")[0]
    return yaml.safe_load(block)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_postgres(args: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run its tools as the `postgres` user then."""
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """A throwaway PostgreSQL server on 127.0.0.1; yields its SQLAlchemy URL."""
    binaries = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
    assert binaries, "PostgreSQL server not installed: apt-get install postgresql (.ci/run does this)"
    bin_dir = Path(binaries[-1])
    root = Path(tempfile.mkdtemp(prefix="crm-pg-"))  # not under pytest's root-only folders
    data, sockets = root / "data", root / "sock"
    sockets.mkdir()
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        shutil.chown(sockets, "postgres")
    port = _free_port()
    subprocess.run(
        _as_postgres([str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", "crm"]),
        check=True,
        capture_output=True,
    )
    subprocess.run(
        _as_postgres(
            [
                str(bin_dir / "pg_ctl"),
                "-D",
                str(data),
                "-w",
                "-l",
                str(root / "log"),
                "-o",
                f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1",
                "start",
            ]
        ),
        check=True,
        capture_output=True,
    )
    try:
        yield f"postgresql+psycopg://crm:unused-secret@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            _as_postgres([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"]), capture_output=True
        )
        shutil.rmtree(root, ignore_errors=True)
