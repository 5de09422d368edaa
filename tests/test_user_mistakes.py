"""Every mistake a user makes with parameters, paths or files ends the command with exit 1 and one line,
`crm: error: …`, saying what is wrong and where; never a traceback. One table, one project copy per case."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from test_end_to_end import crm, loaded_project


@pytest.fixture(scope="module")
def loaded(tmp_path_factory) -> Path:
    """A small project with its sample loaded (data up to 2025-06)."""
    root = loaded_project(tmp_path_factory.mktemp("loaded"), 60, 4)
    return root


def _write(path: str, content: bytes | str) -> Callable[[Path], None]:
    def mutate(project: Path) -> None:
        target = project / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
        target.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))

    return mutate


def _folder(path: str) -> Callable[[Path], None]:
    def mutate(project: Path) -> None:
        (project / path).unlink()
        (project / path).mkdir()

    return mutate


def _period_params(text: str) -> Callable[[Path], None]:
    return _write("params/2025-06.yaml", text)


WAREHOUSE = "data/warehouse.duckdb"
CASES = {
    # name: (how the project is spoilt, the command, words the line must hold)
    "corrupt warehouse": (_write(WAREHOUSE, b"not a database at all"), ["latest-period"], ["warehouse.duckdb"]),
    "warehouse is a folder": (_folder(WAREHOUSE), ["run", "--period", "2025-06"], ["folder"]),
    "params not UTF-8": (_period_params(b"language: en\nnote: caf\xe9\n"), ["run", "--period", "2025-06"], ["UTF-8"]),
    "unknown key": (_period_params("langauge: en\n"), ["run", "--period", "2025-06"], ["langauge"]),
    "YAML tag": (_period_params("seed: !!python/object/apply:os.system ['true']\n"), ["run", "--period", "2025-06"],
                 ["2025-06.yaml"]),
    "unknown currency": (_period_params("currency: XYZ\n"), ["run", "--period", "2025-06"], ["XYZ"]),
    "unusable date format": (_write("params/default.yaml", "ingest: {date_format: '%Q'}\n"),
                             ["ingest", "data/raw"], ["%Q"]),
    "unknown timezone": (_write("params/default.yaml", "ingest: {timezone: Mars/Olympus}\n"), ["ingest", "data/raw"],
                         ["Mars/Olympus"]),
    "period a year ahead": (None, ["run", "--period", "2026-06"], ["2026-06", "2025-06"]),
    "period before the data": (None, ["run", "--period", "2020-01"], ["2020-01"]),
    "lists for a period before the data": (None, ["lists", "--period", "2020-01"], ["2020-01", "crm ingest"]),
    "lists folder in the reports": (_period_params("strategy: {lists_dir: reports/lists}\n"),
                                    ["run", "--period", "2025-06"], ["reports/lists", "reports_dir"]),
    "not a period": (None, ["run", "--period", "2025-13"], ["YYYY-MM"]),
    "no such folder": (None, ["ingest", "data/nowhere"], ["nowhere"]),
    "binary bytes named .csv": (_write("data/raw/tickets.csv", bytes(range(256)) * 40), ["ingest", "data/raw"],
                                ["tickets.csv", "CSV"]),
    "spark without tables": (_period_params("engine: spark\n"), ["run", "--period", "2025-06"], ["spark.parquet"]),
    "file without a required column": (_write("data/raw/transactions.csv", "transaction_id,ts\nT1,2025-01-01\n"),
                                       ["ingest", "data/raw"], ["transactions.csv", "customer_id"]),
}  # fmt: skip


@pytest.mark.parametrize("case", list(CASES))
def test_a_user_mistake_is_one_line_and_exit_1(loaded, tmp_path, case):
    spoil, command, words = CASES[case]
    project = tmp_path / "project"
    shutil.copytree(loaded, project, symlinks=True)
    if spoil is not None:
        spoil(project)
    run = crm("--project", project, *command, cwd=project, check=False)
    assert run.returncode == 1, (run.stdout, run.stderr)
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("crm: "), run.stderr
    assert "Traceback" not in run.stderr and all(w in lines[0] for w in words), lines[0]
