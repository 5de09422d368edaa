"""Odd files in the data folder: every one is one clear line from `crm ingest`, before anything is read, and none
blocks (a FIFO or a device is never opened). Table-driven; each case runs the real command with a time limit."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

TX = "transaction_id,customer_id,ts,amount\nT1,C1,2025-01-05 10:00,150000\n"


def fifo(path: Path) -> None:
    os.mkfifo(path)  # a reader would wait forever for a writer


def loop(path: Path) -> None:
    path.symlink_to(path.name)


def device(path: Path) -> None:
    path.symlink_to("/dev/zero")  # endless bytes


def broken(path: Path) -> None:
    path.symlink_to("nowhere.csv")


def folder(path: Path) -> None:
    path.mkdir()
    (path / "part1.csv").write_text(TX)


def old_excel(path: Path) -> None:
    path.with_suffix(".xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512)


def unreadable(path: Path) -> None:
    path.write_text(TX)
    path.chmod(0)


CASES = {
    "fifo": (fifo, "is not a regular file"),
    "symlink-loop": (loop, "cannot be opened"),
    "link-to-dev-zero": (device, "is not a regular file"),
    "broken-link": (broken, "cannot be opened"),
    "folder-named-like-the-table": (folder, "is a folder, not a file of the transactions table"),
    "old-excel-only": (old_excel, r"old Excel format \(.xls\) is not read"),
    "unreadable": (unreadable, "cannot be opened"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_an_odd_file_is_one_line_and_never_blocks(tmp_path, case):
    make, expected = CASES[case]
    if case == "unreadable" and os.geteuid() == 0:
        pytest.skip("root reads any file: permissions cannot make a file unreadable here")
    raw = tmp_path / "raw"
    raw.mkdir()
    make(raw / "transactions.csv")
    run = subprocess.run(
        [sys.executable, "-m", "crmlib.cli", "ingest", raw, "--warehouse", tmp_path / "w.duckdb"],
        capture_output=True, text=True, timeout=60, cwd=tmp_path,
    )  # fmt: skip
    assert run.returncode != 0
    assert "Traceback" not in run.stderr and len(run.stderr.strip().splitlines()) == 1, run.stderr
    assert re.search(expected, run.stderr), run.stderr


def ingest(raw: Path, tmp_path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "crmlib.cli", "ingest", raw, "--warehouse", tmp_path / "w.duckdb"],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )  # fmt: skip


def test_text_from_files_reaches_the_terminal_printable_and_bounded(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "transactions.csv").write_text(TX)
    (raw / "notes\x1b[31m\x07.csv").write_text("x\n")  # a file name with ESC and BEL: ignored, with a note
    wide = ",".join(f"extra_column_number_{i}" for i in range(3000))  # 69,000 characters of ignored columns
    (raw / "feedback.csv").write_text(f"response_id,customer_id,ts,nps_score,{wide}\nF1,C1,2025-01-06,11,"
                                      + ",".join("x" * 3000) + "\n")  # fmt: skip
    run = ingest(raw, tmp_path)
    assert run.returncode == 0, run.stderr
    assert "\x1b" not in run.stderr and "\x07" not in run.stderr
    assert max(len(line) for line in run.stderr.splitlines()) <= 520
    reasons = subprocess.run(
        [sys.executable, "-c", "import duckdb, sys; print(duckdb.connect(sys.argv[1]).execute("
         "'SELECT reason FROM quarantine').fetchall())", tmp_path / "w.duckdb"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert "nps_score 11" in reasons and "np.int64" not in reasons


def test_a_value_with_a_nul_byte_is_quarantined_not_a_new_id(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    pd.DataFrame({"transaction_id": ["1004", "1004\x00"], "customer_id": "C1", "ts": ["2025-01-05", "2025-01-06"],
                  "amount": 150000.0}).to_parquet(raw / "transactions.parquet")  # fmt: skip
    run = ingest(raw, tmp_path)
    assert run.returncode == 0, run.stderr
    found = subprocess.run(
        [sys.executable, "-c", "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print(c.execute("
         "'SELECT count(*) FROM transactions').fetchone()[0], c.execute('SELECT reason FROM quarantine')"
         ".fetchall())", tmp_path / "w.duckdb"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert found.startswith("1 ") and "holds a control character" in found


def test_a_small_archive_expanding_into_one_endless_value_is_one_line(tmp_path):
    import gzip

    raw = tmp_path / "raw"
    raw.mkdir()
    with gzip.open(raw / "transactions.csv.gz", "wb") as archive:
        archive.write(b"transaction_id,customer_id,ts,amount\nT1,C1,2025-01-05,")
        for _ in range(40):
            archive.write(b"9" * (1 << 20))  # 40 MB of one value from a file of some 40 KB
    run = ingest(raw, tmp_path)
    assert run.returncode != 0 and "Traceback" not in run.stderr
    assert "line 2 is longer than" in run.stderr and len(run.stderr.strip().splitlines()) == 1, run.stderr


def test_a_column_written_twice_is_one_line_not_a_column_dropped(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "transactions.csv").write_text("transaction_id,customer_id,ts,amount,amount\nT1,C1,2025-01-05,1,2\n")
    run = ingest(raw, tmp_path)
    assert run.returncode != 0 and "column 'amount' appears twice" in run.stderr, run.stderr


def test_a_database_that_cannot_be_reached_leaves_no_warehouse_behind(tmp_path):
    run = subprocess.run(
        [sys.executable, "-m", "crmlib.cli", "ingest", "--database", "--warehouse", tmp_path / "w.duckdb"],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
        env={**os.environ, "CRM_DATABASE_URL": "postgresql://crm:a/b:c@127.0.0.1:1/shop"},
    )  # fmt: skip
    assert run.returncode != 0 and "connection failed" in run.stderr and "a/b:c" not in run.stderr, run.stderr
    assert not (tmp_path / "w.duckdb").exists()
