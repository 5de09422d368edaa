"""Progress while crm works: plain timestamped lines on the standard output when it is no terminal (a cron log),
none with --quiet, and --json output that stays pure JSON."""

import json
import re
import subprocess
import sys

TX = "transaction_id,customer_id,ts,amount\nT1,C1,2025-01-05 10:00,150000\nT2,C2,2025-01-06 10:00,90000\n"
STAMP = r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} "


def ingest(tmp_path, *flags):
    raw = tmp_path / "raw"
    raw.mkdir(exist_ok=True)
    (raw / "transactions.csv").write_text(TX)
    return subprocess.run(
        [sys.executable, "-m", "crmlib.cli", *flags, "ingest", raw, "--warehouse", tmp_path / "w.duckdb"],
        capture_output=True, text=True, timeout=120, cwd=tmp_path, check=True,
    )  # fmt: skip


def test_a_load_says_what_it_read_in_timestamped_lines(tmp_path):
    lines = ingest(tmp_path).stdout.splitlines()
    read = [line for line in lines if re.match(STAMP + r"transactions: 2 records read and checked in [\d.]+ s$", line)]
    customers = [line for line in lines if re.match(STAMP + r"customers: ", line)]
    assert len(read) == 1 and len(customers) <= 1, lines


def test_quiet_keeps_to_the_results(tmp_path):
    quiet = ingest(tmp_path, "--quiet").stdout
    assert not re.search(STAMP, quiet, re.MULTILINE) and "transactions" in quiet


def test_json_output_stays_json(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "transactions.csv").write_text(TX)
    run = subprocess.run(
        [sys.executable, "-m", "crmlib.cli", "ingest", raw, "--warehouse", tmp_path / "w.duckdb", "--json"],
        capture_output=True, text=True, timeout=120, cwd=tmp_path, check=True,
    )  # fmt: skip
    assert json.loads(run.stdout)["transactions"]["loaded"] == 2
