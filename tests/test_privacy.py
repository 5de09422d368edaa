"""Personal data stays where it belongs: target lists only in a folder of their own, never over a user's files,
replaced in one rename, owner-only files; the warehouse owner-only too.

- `strategy.lists_dir` is resolved (`..`, absolute paths, symbolic links) before it is compared: a folder in or over
  the reports, the source files or the code, the project folder or one above it, or a file system's root is refused;
- a period's list folder holding files crm did not write is never replaced, and says so; stale staging folders of
  killed runs go at the next write;
- lists, their folder, the warehouse and its log are readable by their owner only, whatever the umask.
"""

import os
import shutil
from pathlib import Path

import pandas as pd
import pytest

from crmlib.collect import Warehouse, ingest_dir
from crmlib.collect.synthetic import write_sample
from crmlib.errors import ParamsError
from crmlib.report.params import load_params
from crmlib.strategy.lists import MANIFEST, MARKER, STAGING, write_lists
from crmlib.strategy.options import StrategyOptions

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def project(tmp_path) -> Path:
    root = tmp_path / "shop"
    shutil.copytree(ROOT / "params", root / "params")
    (root / "reports").mkdir()
    (root / "reports-link").symlink_to(root / "reports")
    return root


def lists_dir(project: Path, value: str):
    (project / "params" / "2025-06.yaml").write_text(f"strategy:\n  lists_dir: {value!r}\n")
    return load_params(project, "2025-06").lists_folder()


@pytest.mark.parametrize(
    ("value", "clash"),
    [
        ("reports/lists", "reports_dir"),
        ("reports", "reports_dir"),
        ("{root}/reports/lists", "reports_dir"),  # absolute
        ("../shop/reports/lists", "reports_dir"),  # through the folder above
        ("reports-link/lists", "reports_dir"),  # a symbolic link into the reports
        ("reports/../reports/x", "reports_dir"),
        ("data/raw/lists", "raw_dir"),
        ("data", "raw_dir"),  # a folder holding the source files
        ("notebooks/lists", "notebooks"),
        ("params", "params"),
    ],
)
def test_a_lists_folder_overlapping_reports_data_or_code_is_refused(project, value, clash):
    with pytest.raises(ParamsError, match=f"overlaps {clash}"):
        lists_dir(project, value.format(root=project))


@pytest.mark.parametrize("value", ["/", ".", "..", "{root}"])
def test_a_lists_folder_at_a_root_the_project_or_above_it_is_refused(project, value):
    with pytest.raises(ParamsError, match="folder of their own"):
        lists_dir(project, value.format(root=project))


def test_a_lists_folder_of_its_own_is_resolved(project, tmp_path):
    assert lists_dir(project, "data/lists") == project / "data" / "lists"
    assert lists_dir(project, str(tmp_path / "exports")) == tmp_path / "exports"
    (project / "out").symlink_to(tmp_path / "elsewhere")
    assert lists_dir(project, "out/lists") == tmp_path / "elsewhere" / "lists"


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    """A small sample's warehouse and a plan's worth of treated members with e-mail consent."""
    folder = tmp_path_factory.mktemp("privacy")
    write_sample(folder / "raw", customers=80, months=3, seed=3, end="2025-06")
    warehouse = Warehouse(folder / "w.duckdb")
    ingest_dir(folder / "raw", warehouse)
    ids = warehouse.query("SELECT customer_id FROM customers WHERE consent_email ORDER BY 1 LIMIT 5")["customer_id"]
    members = pd.DataFrame({"customer_id": ids, "group": "treated", "campaign_id": "2025-07-welcome", "rank": 1,
                            "channel": "email", "favourite_category": None, "recommended_category": None,
                            "offer": "10%", "expected_value": 1000.0, "segment": "new"})  # fmt: skip
    return warehouse, members


def test_lists_are_private_and_a_rerun_replaces_only_its_own(shop, tmp_path):
    warehouse, members = shop
    old = os.umask(0o022)
    try:
        folder = tmp_path / "lists" / "2025-07"
        write_lists(warehouse, members, folder, StrategyOptions())
        first = {p.name for p in folder.iterdir()}
        write_lists(warehouse, members, folder, StrategyOptions())
    finally:
        os.umask(old)
    assert {p.name for p in folder.iterdir()} == first and {MANIFEST, MARKER} <= first
    assert oct(folder.stat().st_mode & 0o777) == "0o700"
    assert {oct(p.stat().st_mode & 0o777) for p in folder.iterdir()} == {"0o600"}
    assert [p.name for p in folder.parent.iterdir()] == ["2025-07"]  # no staging folder left


@pytest.mark.parametrize("own_files", [False, True], ids=["a-folder-of-the-user", "crm-lists-plus-a-note"])
def test_a_folder_holding_files_crm_did_not_write_is_never_replaced(shop, tmp_path, own_files):
    warehouse, members = shop
    folder = tmp_path / "exports" / "2025-07"
    if own_files:
        write_lists(warehouse, members, folder, StrategyOptions())
    else:
        folder.mkdir(parents=True)
        (folder / "mine.csv").write_text("my own list\n")
    (folder / "notes.txt").write_text("keep me\n")
    with pytest.raises(ParamsError, match=r"crm did not write \(such as (mine.csv|notes.txt)\)"):
        write_lists(warehouse, members, folder, StrategyOptions())
    assert (folder / "notes.txt").read_text() == "keep me\n"


def test_a_link_in_place_of_a_list_folder_is_one_line(shop, tmp_path):
    warehouse, members = shop
    (tmp_path / "lists").mkdir()
    (tmp_path / "lists" / "2025-07").symlink_to(tmp_path)
    with pytest.raises(ParamsError, match="is a link or a file"):
        write_lists(warehouse, members, tmp_path / "lists" / "2025-07", StrategyOptions())


def test_a_killed_writer_s_staging_folder_goes_at_the_next_write(shop, tmp_path):
    warehouse, members = shop
    stale = tmp_path / f"{STAGING}2025-07.999999999.x1y2"  # a process id no process has
    stale.mkdir()
    (stale / "2025-07-welcome-email-mailchimp.csv").write_text("Email Address\nsomeone@example.com\n")
    write_lists(warehouse, members, tmp_path / "2025-07", StrategyOptions())
    assert not stale.exists()


def test_the_warehouse_and_its_log_are_its_owner_s_only(tmp_path):
    old = os.umask(0o022)
    try:
        warehouse = Warehouse(tmp_path / "w.duckdb")
        with warehouse.connect() as con:
            con.execute("CREATE TABLE t AS SELECT 'someone@example.com' AS email")
            modes = {p.name: oct(p.stat().st_mode & 0o777) for p in tmp_path.iterdir() if "duckdb" in p.name}
    finally:
        os.umask(old)
    assert modes["w.duckdb"] == "0o600" and modes.get("w.duckdb.wal", "0o600") == "0o600"
    (tmp_path / "w.duckdb").chmod(0o644)  # a warehouse made before the rule
    warehouse.query("SELECT 1")
    assert oct((tmp_path / "w.duckdb").stat().st_mode & 0o777) == "0o600"
