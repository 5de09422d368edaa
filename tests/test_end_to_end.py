"""End to end through the `crm` command: sample data, ingest, run a period, publish HTML without code."""

import csv
import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import papermill
import pytest
import yaml

from crmlib.collect.contract import TABLES
from crmlib.report.params import deep_merge

ROOT = Path(__file__).resolve().parents[1]


def crm(*args, cwd=None, check=True) -> subprocess.CompletedProcess:
    run = subprocess.run(
        [sys.executable, "-m", "crmlib.cli", *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=900
    )
    if check:
        assert run.returncode == 0, run.stderr
    return run


def loaded_project(root: Path, customers: int, months: int) -> Path:
    """`root` as a user's project: the repository's params and notebooks, a sample of this size loaded."""
    shutil.copytree(ROOT / "params", root / "params")
    shutil.copytree(ROOT / "notebooks", root / "notebooks")
    raw = root / "data" / "raw"
    crm("--project", root, "sample", "--customers", customers, "--months", months, "--end", "2025-06", "--out", raw)
    crm("--project", root, "ingest", raw)
    return root


def records(path: Path) -> int:
    with open(path, newline="", encoding="utf-8") as handle:
        return sum(1 for _ in csv.reader(handle)) - 1


def test_sample_then_ingest_accounts_for_every_row_of_every_table(tmp_path):
    raw, warehouse = tmp_path / "raw", tmp_path / "w.duckdb"
    crm("sample", "--customers", 2000, "--months", 18, "--seed", 7, "--end", "2025-06", "--out", raw, cwd=tmp_path)
    counts = json.loads(crm("ingest", raw, "--warehouse", warehouse, "--json", cwd=tmp_path).stdout)
    assert sorted(counts) == sorted(TABLES)
    for table, c in counts.items():
        assert c["rows"] == records(raw / f"{table}.csv") > 0, table
        assert c["rows"] == c["loaded"] + c["guest"] + c["quarantined"], table
        assert c["quarantined"] == 0, table  # the synthetic world keeps the contract
    again = json.loads(crm("ingest", raw, "--warehouse", warehouse, "--json", cwd=tmp_path).stdout)
    assert again == counts


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A project folder like a user's: the repository's params and notebooks, a small sample loaded."""
    root = tmp_path_factory.mktemp("project")
    shutil.copytree(ROOT / "params", root / "params")
    shutil.copytree(ROOT / "notebooks", root / "notebooks")
    crm(
        "--project",
        root,
        "sample",
        "--customers",
        400,
        "--months",
        12,
        "--end",
        "2025-06",
        "--out",
        root / "data" / "raw",
    )
    crm("--project", root, "ingest", root / "data" / "raw")
    return root


def test_crm_run_publishes_every_stage_as_html_without_code(project):
    assert crm("--project", project, "latest-period").stdout.strip() == "2025-06"
    run = crm("--project", project, "run")  # no period: the latest complete month
    assert "reports/2025-06/index.html" in run.stdout + run.stderr
    page = (project / "reports" / "2025-06" / "01_data_collection.html").read_text(encoding="utf-8")
    assert "Pengumpulan Data · Juni 2025" in page
    assert "Data yang terkumpul" in page and "Kualitas data" in page
    assert "Data sesuai pemuatan" in page  # which load the page reflects
    assert page.count("<img") >= 4  # the charts
    for code in ("open_period", "import ", "profile.collected", 'class="jp-InputArea'):
        assert code not in page, code
    assert "Traceback" not in page and "Warning" not in page
    index = (project / "reports" / "index.html").read_text(encoding="utf-8")
    assert "2025-06" in index


def test_a_rerun_on_the_same_data_writes_the_same_pages(project):
    """Byte for byte, apart from the index's generated-at line: no random ids, no timestamps on the pages."""
    folder = project / "reports" / "2025-06"
    crm("--project", project, "run", "--period", "2025-06")
    before = {p.name: p.read_text(encoding="utf-8") for p in folder.glob("*.html")}
    crm("--project", project, "run", "--period", "2025-06")
    after = {p.name: p.read_text(encoding="utf-8") for p in folder.glob("*.html")}
    assert before.keys() == after.keys() and len(before) == 7
    for name, page in before.items():
        generated = re.compile(r'<p class="meta">.*?</p>')
        assert generated.sub("", after[name]) == generated.sub("", page), name


def test_the_segmentation_page_and_its_stored_result(project):
    crm("--project", project, "run", "--period", "2025-06")
    page = (project / "reports" / "2025-06" / "02_segmentation.html").read_text(encoding="utf-8")
    assert "Segmentasi Pelanggan · Juni 2025" in page
    assert "Juara" in page and "Perpindahan antarsegmen" in page and "Klaster perilaku" in page
    assert page.count("<img") >= 4 and "segment_customers" not in page
    stored = stored_result(project, "customer_segments", "2025-06")
    buyers = stored_result(project, "transactions", None)
    assert stored == buyers  # every customer with a purchase is in exactly one segment


def test_the_analysis_page_and_its_stored_results(project):
    crm("--project", project, "run", "--period", "2025-06")
    page = (project / "reports" / "2025-06" / "03_analysis.html").read_text(encoding="utf-8")
    assert "Analisis Pelanggan · Juni 2025" in page
    for section in (
        "Uji model pada data yang disisihkan",
        "Model terpilih",
        "Risiko churn",
        "Retensi per kohort",
        "Perjalanan pelanggan",
        "Indikator loyalitas",
        "Komponen nilai pelanggan",
        "Apa yang menggerakkan NPS",
        "Seberapa pasti nilai itu",
        "Parameter model beserta galat bakunya",
        "(uji balik)",
    ):
        assert section in page, section
    assert page.count("<img") == 8 and "lifetime_value(" not in page  # tracking … calibration … components
    assert stored_result(project, "customer_value", "2025-06") == stored_result(project, "transactions", None)
    assert stored_result(project, "lifetime_value_models", "2025-06") == 3
    assert stored_result(project, "lifetime_value_interval", "2025-06") == 4  # the base and three churn tiers
    assert stored_result(project, "predictions", "2025-06") == 12  # one row per month ahead


def test_the_strategy_page_lists_and_privacy(project):
    """crm run renders the plan and writes the lists outside the reports; `crm lists` writes the same ones; no page
    holds a customer's name, e-mail or phone."""
    crm("--project", project, "run", "--period", "2025-06")
    folder = project / "reports" / "2025-06"
    page = (folder / "04_strategy.html").read_text(encoding="utf-8")
    assert "Strategi dan Rencana Kampanye · Juni 2025" in page and "Rencana untuk Juli 2025" in page
    for section in ("Kampanye periode mendatang", "Penargetan uplift", "Kategori terbaik berikutnya",
                    "Target dan apa yang dibutuhkan", "Portofolio pelanggan", "Playbook"):  # fmt: skip
        assert section in page, section
    assert page.count("<img") >= 4
    lists = project / "data" / "lists" / "2025-06"
    written = {p.name: p.read_bytes() for p in lists.glob("*.csv")}
    assert "manifest.csv" in written and len(written) > 5
    out = crm("--project", project, "lists", "--period", "2025-06")
    assert "data/lists/2025-06" in out.stdout
    assert {p.name: p.read_bytes() for p in lists.glob("*.csv")} == written
    assert stored_result(project, "campaign_members", "2025-06") > 50
    people = subprocess.run(
        [sys.executable, "-c", "import duckdb, sys; [print(*r, sep='\\t') for r in duckdb.connect(sys.argv[1], "
         "read_only=True).execute('SELECT name, email, phone FROM customers').fetchall()]",
         str(project / "data" / "warehouse.duckdb")],
        capture_output=True, text=True, check=True,
    ).stdout.splitlines()  # fmt: skip
    html = " ".join(p.read_text(encoding="utf-8") for p in folder.rglob("*.html"))
    for name, email, phone in (line.split("\t") for line in people):
        assert email not in html and phone not in html and phone[-9:] not in html, email
        assert f">{name}<" not in html and f" {name} " not in html, name


def stored_result(project, name, period) -> int:
    """Rows of a stored stage result (or distinct buyers when `period` is None), read in a fresh process."""
    sql = (
        f"SELECT count(*) FROM {name} WHERE period = '{period}'"
        if period
        else "SELECT count(DISTINCT customer_id) FROM transactions WHERE kind = 'sale' AND ts < '2025-07-01'"
    )
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import duckdb, sys; print(duckdb.connect(sys.argv[1], read_only=True).execute(sys.argv[2]).fetchone()[0])",
            str(project / "data" / "warehouse.duckdb"),
            sql,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(out.stdout)


def test_a_failing_run_exits_non_zero_and_keeps_the_last_good_report(project):
    crm("--project", project, "run", "--period", "2025-05")
    published = project / "reports" / "2025-05" / "01_data_collection.html"
    before = published.read_bytes()
    override = project / "params" / "2025-05.yaml"
    (project / "data" / "corrupt.duckdb").write_bytes(b"not a database" * 1000)
    override.write_text("warehouse: data/corrupt.duckdb\n")  # valid parameters; the run fails on the file
    try:
        failed = crm("--project", project, "run", "--period", "2025-05", check=False)
    finally:
        override.unlink()
    assert failed.returncode == 1
    last = failed.stderr.strip().splitlines()[-1]
    assert last.startswith("crm: galat:") and "corrupt.duckdb" in last  # the project speaks id
    assert "Traceback" not in failed.stderr
    assert published.read_bytes() == before


def test_notebook_runs_on_its_defaults_as_an_analyst_opens_it(project, tmp_path):
    """No parameters given, working folder = notebooks/, as in JupyterLab: it finds the project and period."""
    papermill.execute_notebook(
        str(project / "notebooks" / "01_data_collection.ipynb"),
        str(tmp_path / "out.ipynb"),
        cwd=str(project / "notebooks"),
        kernel_name="python3",
        progress_bar=False,
    )
    stored = subprocess.run(
        [
            sys.executable,
            "-c",
            (
                "from crmlib.collect import Warehouse; import sys; "
                "print(len(Warehouse(sys.argv[1]).read_result('collection_summary', '2025-06')))"
            ),
            str(project / "data" / "warehouse.duckdb"),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert stored.stdout.strip() == str(len(TABLES))


def test_bad_input_is_one_line_without_a_traceback(tmp_path):
    (tmp_path / "transactions.csv").write_text("transaction_id,ts,amount\nT1,2025-01-01,5\n")
    run = crm("ingest", tmp_path, "--warehouse", tmp_path / "w.duckdb", cwd=tmp_path, check=False)
    assert run.returncode == 1
    assert run.stderr.count("\n") == 1 and run.stderr.startswith("crm: error: ")
    assert "transactions.csv" in run.stderr and "'customer_id'" in run.stderr
    bad_period = crm("--project", ROOT, "run", "--period", "2025-13", check=False)
    assert bad_period.returncode == 1 and "YYYY-MM" in bad_period.stderr and "Traceback" not in bad_period.stderr


def test_a_period_before_the_data_is_one_clear_line(project):
    run = crm("--project", project, "run", "--period", "2020-01", check=False)
    assert run.returncode == 1 and "Traceback" not in run.stderr
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith("crm: galat:") and "tidak ada transaksi sampai akhir 2020-01" in last


def test_crm_data_never_replaces_a_business_s_own_data(tmp_path):
    project = tmp_path / "shop"
    shutil.copytree(ROOT / "params", project / "params")
    (project / "params" / "default.yaml").write_text(
        (ROOT / "params" / "default.yaml")
        .read_text()
        .replace("customers: 2000", "customers: 150")
        .replace("months: 24 ", "months: 6 ")
    )
    first = crm("--project", project, "data")
    assert "data contoh sintetis ditulis" in first.stdout  # the project speaks id
    assert (project / "data" / "raw" / ".synthetic-sample").is_file()
    again = crm("--project", project, "data")  # the raw folder is the source: reloaded, nothing new made
    assert "data contoh" not in again.stdout and "dimuat" in again.stdout

    own = tmp_path / "exports"
    own.mkdir()
    (own / "transactions.csv").write_text("transaction_id,customer_id,ts,amount\nX1,C0000001,2025-01-02,5\n")
    crm("--project", project, "ingest", own)
    kept = crm("--project", project, "data")
    assert "dibiarkan apa adanya" in kept.stdout
    assert stored_result(project, "transactions", None) == 1  # still the business's own transaction


@pytest.fixture(scope="module")
def lines_project(tmp_path_factory, order_line_mapping):
    """A user's project whose transactions come as an order-line export, mapped as the README says, and the same
    world in the tidy layout beside it."""
    root = tmp_path_factory.mktemp("lines")
    shutil.copytree(ROOT / "params", root / "params")
    shutil.copytree(ROOT / "notebooks", root / "notebooks")
    default = yaml.safe_load((root / "params" / "default.yaml").read_text())
    (root / "params" / "default.yaml").write_text(yaml.safe_dump(deep_merge(default, order_line_mapping)))
    for layout in ("lines", "tidy"):
        crm(
            "--project",
            root,
            "sample",
            "--customers",
            500,
            "--months",
            12,
            "--seed",
            5,
            "--end",
            "2025-06",
            "--layout",
            layout,
            "--out",
            root / layout,
        )
    crm("--project", root, "ingest", root / "lines")  # into the project's warehouse
    crm("--project", root, "ingest", root / "tidy", "--warehouse", root / "tidy.duckdb")
    return root


def test_an_order_line_export_gives_the_tidy_layout_s_orders_revenue_and_rfm(lines_project):
    from crmlib.collect import Warehouse
    from crmlib.segment.summary import rfm_summary

    lines, tidy = Warehouse(lines_project / "data" / "warehouse.duckdb"), Warehouse(lines_project / "tidy.duckdb")
    orders = (
        "SELECT transaction_id, customer_id, date_trunc('minute', ts) AS ts, amount, kind FROM orders "
        "ORDER BY transaction_id"
    )
    assert lines.query(orders).equals(tidy.query(orders))  # the export is stamped to the minute
    assert lines.query("SELECT count(*) AS n FROM transactions")["n"][0] > 1.5 * len(tidy.query(orders))
    revenue = "SELECT sum(amount) AS revenue, sum(amount) FILTER (customer_id IS NULL) AS guests FROM orders"
    assert lines.query(revenue).equals(tidy.query(revenue))
    assert rfm_summary(lines, "2025-06", freq="W").equals(rfm_summary(tidy, "2025-06", freq="W"))
    balance = lines.query(
        "SELECT outcome, sum(rows) AS rows FROM reconciliation WHERE table_name = 'transactions' GROUP BY ALL"
    )
    assert set(balance["outcome"]) == {"loaded", "guest"}  # rows in = loaded + guest, nothing quarantined


def test_crm_run_renders_every_page_on_an_order_line_export(lines_project):
    crm("--project", lines_project, "run", "--period", "2025-06")
    folder = lines_project / "reports" / "2025-06"
    for name in ("01_data_collection", "02_segmentation", "03_analysis", "04_strategy"):
        assert (folder / f"{name}.html").is_file(), name
    page = (folder / "01_data_collection.html").read_text(encoding="utf-8")
    for text in ("Tamu (tanpa ID pelanggan)", "Rekonsiliasi transaksi per bulan", "baris ongkos kirim"):
        assert text in page, text
    assert "Perhatian" not in page  # nothing was quarantined, so no warning


def page_text(html: str) -> str:
    """The words a reader sees on a page: its text without tags, scripts and styles, spaces made single."""
    from html.parser import HTMLParser

    class Text(HTMLParser):
        def __init__(self):
            super().__init__()
            self.parts, self.skip = [], 0

        def handle_starttag(self, tag, attrs):
            self.skip += tag in ("script", "style")

        def handle_endtag(self, tag):
            self.skip -= tag in ("script", "style")

        def handle_data(self, data):
            if not self.skip:
                self.parts.append(data)

    parser = Text()
    parser.feed(html)
    return re.sub(r"\s+", " ", " ".join(parser.parts))


def sentences(language: str) -> set[str]:
    """Pieces of at least four words of the catalogue's messages in `language` that the other languages lack."""
    from crmlib import catalogue

    def pieces(text):
        return {p.strip(" .,;:()") for p in re.split(r"{\w+}|\*\*|`|\n", text)}

    others = set().union(
        *(pieces(v) for lang in catalogue.LANGUAGES if lang != language for v in catalogue.texts(lang).values())
    )
    return {
        p
        for text in catalogue.texts(language).values()
        for p in pieces(text)
        if len(re.findall(r"[^\W\d_]{2,}", p)) >= 4 and p not in others
    }


def test_every_page_speaks_only_its_language(project):
    """The June report in Indonesian (the default), May's in English (a period override): no page holds a
    sentence of the other catalogue."""
    (project / "params" / "2025-05.yaml").write_text("language: en\n")
    try:
        crm("--project", project, "run", "--period", "2025-05")
    finally:
        (project / "params" / "2025-05.yaml").unlink()
    crm("--project", project, "run", "--period", "2025-06")
    for period, language, other in (("2025-06", "id", "en"), ("2025-05", "en", "id")):
        foreign = sentences(other)
        pages = sorted((project / "reports" / period).glob("*.html"))
        assert len(pages) >= 4, pages
        for page in pages:
            text = page_text(page.read_text(encoding="utf-8"))
            found = sorted(s for s in foreign if s in text)
            assert found == [], (page.name, language, found[:5])
    english = page_text((project / "reports" / "2025-05" / "01_data_collection.html").read_text(encoding="utf-8"))
    assert "Data Collection · May 2025" in english and "What was collected" in english


def test_a_load_during_a_run_waits_for_it_so_every_page_reads_one_state(project, tmp_path):
    """The run reserves the warehouse for all its notebooks: a `crm ingest` started mid-run finishes after it,
    and every stage of the run counted the same customers."""
    copy = tmp_path / "copy"
    shutil.copytree(project, copy, symlinks=True)
    bigger = tmp_path / "bigger"
    crm("sample", "--customers", 800, "--months", 12, "--end", "2025-06", "--out", bigger)
    published = set((copy / "reports" / ".versions").glob("*"))
    run = subprocess.Popen(
        [sys.executable, "-m", "crmlib.cli", "--project", str(copy), "run", "--period", "2025-06"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 300
    while not [v for v in (copy / "reports" / ".versions").glob("*") if v not in published
               and (v / "notebooks" / "01_data_collection.ipynb").exists()]:  # fmt: skip
        assert run.poll() is None and time.monotonic() < deadline, run.stderr.read() if run.stderr else ""
        time.sleep(0.2)
    load = crm("--project", copy, "ingest", bigger)  # waits for the run's notebooks
    assert run.wait(timeout=300) == 0, run.stderr.read() if run.stderr else ""
    assert "800" in load.stdout
    with duckdb.connect(str(copy / "data" / "warehouse.duckdb"), read_only=True) as con:
        counts = [con.execute(f"SELECT count(*) FROM {t} WHERE period = '2025-06'").fetchone()[0]
                  for t in ("customer_segments", "customer_value")]  # fmt: skip
        assert counts[0] == counts[1] < 800


def test_a_two_month_world_renders_every_page(tmp_path):
    """Tiny data: two months of 80 customers (recency bins narrower than a week, no category bought twice)."""
    shutil.copytree(ROOT / "params", tmp_path / "params")
    shutil.copytree(ROOT / "notebooks", tmp_path / "notebooks")
    raw = tmp_path / "data" / "raw"
    crm("--project", tmp_path, "sample", "--customers", 80, "--months", 2, "--end", "2025-06", "--out", raw)
    crm("--project", tmp_path, "ingest", raw)
    assert crm("--project", tmp_path, "latest-period").stdout.strip() == "2025-06"
    crm("--project", tmp_path, "run", "--period", "2025-06")
    assert len(list((tmp_path / "reports" / "2025-06").glob("*.html"))) == 7
