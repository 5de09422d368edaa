"""Odd files in the data folder: every one is one clear line from `crm ingest`, before anything is read, and none
blocks (a FIFO or a device is never opened). Table-driven; each case runs the real command with a time limit."""

import os
import re
import subprocess
import sys
from pathlib import Path

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
