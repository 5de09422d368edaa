"""The warehouse: canonical tables from the start, period-keyed results, safe against concurrent runs."""

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from filelock import FileLock

from crmlib.collect import Warehouse
from crmlib.collect.contract import TABLES
from crmlib.errors import WarehouseError

CORPUS = Path(__file__).parent / "corpus"


def test_new_warehouse_has_every_canonical_table_typed(tmp_path):
    wh = Warehouse(tmp_path / "w.duckdb")
    for name, spec in TABLES.items():
        assert tuple(wh.query(f"SELECT * FROM {name}").columns) == tuple(c.name for c in spec.stored)
    types = dict(
        wh.query(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'transactions'"
        ).values
    )
    assert types["ts"] == "TIMESTAMP" and types["amount"] == "DOUBLE" and types["quantity"] == "BIGINT"


def test_results_are_kept_per_period(tmp_path):
    wh = Warehouse(tmp_path / "w.duckdb")
    wh.write_result("segments", "2025-05", pd.DataFrame({"customer_id": ["a", "b"], "segment": ["x", "y"]}))
    wh.write_result("segments", "2025-06", pd.DataFrame({"customer_id": ["a"], "segment": ["z"]}))
    wh.write_result("segments", "2025-06", pd.DataFrame({"customer_id": ["a"], "segment": ["w"]}))  # a rerun
    assert wh.read_result("segments", "2025-05")["segment"].tolist() == ["x", "y"]
    assert wh.read_result("segments", "2025-06")["segment"].tolist() == ["w"]
    with pytest.raises(WarehouseError, match="crm run --period 2025-07"):
        wh.read_result("segments", "2025-07")


def test_no_month_is_named_before_the_data_begin(tmp_path):
    """Data from 3 to 20 June cover no month whole: the latest period is no month before them but a clear error."""
    wh = Warehouse(tmp_path / "w.duckdb")
    with wh.connect() as con:
        con.execute("INSERT INTO orders (transaction_id, customer_id, ts, amount, kind) VALUES "
                    "('T1', 'C1', TIMESTAMP '2025-06-03 10:00', 5, 'sale'), "
                    "('T2', 'C1', TIMESTAMP '2025-06-20 10:00', 5, 'sale')")  # fmt: skip
    with pytest.raises(WarehouseError, match=r"2025-06-03.*2025-06-20.*--period 2025-06"):
        wh.last_complete_month()


def test_last_complete_month_needs_transactions(tmp_path):
    with pytest.raises(WarehouseError, match="holds no transactions"):
        Warehouse(tmp_path / "w.duckdb").last_complete_month()


def test_a_busy_warehouse_waits_then_says_so(tmp_path):
    wh = Warehouse(tmp_path / "w.duckdb", timeout=0.2)
    with FileLock(str(wh.path) + ".lock"), pytest.raises(WarehouseError, match="is busy"):
        wh.query("SELECT 1")
    assert wh.query("SELECT 1 AS one")["one"][0] == 1


def test_two_processes_ingesting_at_once_both_succeed(tmp_path):
    """DuckDB allows one writer process; the lock makes the second wait instead of failing. (--replace: the two
    folders differ in size, and a smaller one may replace a bigger one here on purpose.)"""
    target = tmp_path / "w.duckdb"
    Warehouse(target)
    runs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "crmlib.cli",
                "ingest",
                str(CORPUS / case),
                "--warehouse",
                str(target),
                "--json",
                "--replace",
            ],
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for case in ["mixed_errors", "latin1_semicolon", "mixed_errors", "latin1_semicolon"]
    ]
    outcomes = [run.communicate(timeout=120) for run in runs]
    assert [run.returncode for run in runs] == [0, 0, 0, 0], [err for _, err in outcomes]
    ids = set(Warehouse(target).query("SELECT transaction_id FROM transactions")["transaction_id"])
    # both folders carry their customers, so the last writer leaves its own complete snapshot
    assert ids in ({"T002", "T003", "T004", "T007", "T008", "T010", "T011"}, {"T1", "T2"})


def test_a_stage_result_gains_the_columns_a_later_release_adds(tmp_path):
    """A warehouse made before a result had a column keeps taking that result: earlier periods hold no value."""
    wh = Warehouse(tmp_path / "w.duckdb")
    wh.write_result("kpis", "2025-05", pd.DataFrame({"kpi": ["revenue"], "value": [1.0]}))
    wh.write_result("kpis", "2025-06", pd.DataFrame({"kpi": ["revenue"], "value": [2.0], "history_months": [13.0]}))
    stored = wh.query("SELECT period, value, history_months FROM kpis ORDER BY period")
    assert stored["value"].tolist() == [1.0, 2.0]
    assert stored["history_months"].isna().tolist() == [True, False]
