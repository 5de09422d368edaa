"""Upgrading keeps working: a warehouse (and its target lists) written by an earlier release (commit 8de9ead, a
60-customer sample run for 2025-05; `tests/fixtures/release-8de9ead.tar.gz`) runs a period with today's code.

Stage results gain the columns added since (customer_value's churn_probability), new result tables appear, and the
lists that release wrote (without today's marker) are replaced as the suite's own."""

import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "release-8de9ead.tar.gz"


def test_a_warehouse_of_an_earlier_release_runs_a_period_after_the_upgrade(tmp_path):
    with tarfile.open(FIXTURE) as archive:
        archive.extractall(tmp_path, filter="data")
    shutil.copytree(ROOT / "params", tmp_path / "params")
    shutil.copytree(ROOT / "notebooks", tmp_path / "notebooks")
    (tmp_path / "params" / "2025-05.yaml").write_text("language: en\n")
    before = duckdb.connect(str(tmp_path / "data" / "warehouse.duckdb"), read_only=True)
    old_columns = {r[0] for r in before.execute("DESCRIBE customer_value").fetchall()}
    before.close()
    assert "churn_probability" not in old_columns  # the fixture is of the earlier shape
    run = subprocess.run([sys.executable, "-m", "crmlib.cli", "--project", tmp_path, "run", "--period", "2025-05"],
                         capture_output=True, text=True, timeout=900)  # fmt: skip
    assert run.returncode == 0, run.stderr
    after = duckdb.connect(str(tmp_path / "data" / "warehouse.duckdb"), read_only=True)
    columns = {r[0] for r in after.execute("DESCRIBE customer_value").fetchall()}
    assert {"churn_probability", *old_columns} <= columns
    missing = after.execute(
        "SELECT count(*) FROM customer_value WHERE period = '2025-05' AND churn_probability IS NULL"
    )
    assert missing.fetchone()[0] == 0
    assert after.execute("SELECT count(*) FROM predictions WHERE period = '2025-05'").fetchone()[0] == 12
    lists = tmp_path / "data" / "lists" / "2025-05"
    assert (lists / ".crm-lists").is_file() and (lists / "manifest.csv").is_file()
