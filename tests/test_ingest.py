"""Ingest: every row loaded or quarantined with its reason; unusable files fail with one clear line."""

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from crmlib.collect import IngestOptions, Warehouse, ingest_dir
from crmlib.collect.contract import TABLES
from crmlib.errors import SourceError

pytestmark = pytest.mark.usefixtures("whole_and_in_parts")  # each test: whole, then in parts

CORPUS = Path(__file__).parent / "corpus"
NOW = pd.Timestamp("2026-01-01")


@pytest.fixture
def warehouse(tmp_path):
    return Warehouse(tmp_path / "w.duckdb")


def ingest(case: str, warehouse: Warehouse, **options):
    return ingest_dir(CORPUS / case, warehouse, IngestOptions(**options), now=NOW)


def quarantine(warehouse, table):
    return warehouse.query(f"SELECT * FROM quarantine WHERE table_name = '{table}' ORDER BY row_number")


def test_mixed_errors_are_quarantined_with_reasons_and_nothing_is_lost(warehouse):
    report = ingest("mixed_errors", warehouse)
    assert report.counts == {
        "customers": {"rows": 8, "loaded": 4, "guest": 0, "quarantined": 4},
        "transactions": {"rows": 12, "loaded": 6, "guest": 1, "quarantined": 5},
    }

    customers = quarantine(warehouse, "customers")
    reasons = dict(zip(customers["row_number"], customers["reason"]))
    assert reasons[4] == "duplicate customer_id 'C002' (first seen at row 3)"
    assert "signup_date 'kemarin' is not a date and time" in reasons[5]
    assert "birth_date '1985-13-40' is not a date" in reasons[5]  # a quarantined record lists every problem
    assert customers.set_index("row_number").loc[5, "column_name"] == "signup_date, birth_date"
    assert customers["check_name"].tolist() == ["duplicate", "unparsable", "missing", "future"]
    assert reasons[6] == "customer_id is required but missing"
    assert "signup_date 2099-01-01 00:00:00 is in the future" in reasons[8]

    tx = quarantine(warehouse, "transactions")
    reasons = dict(zip(tx["row_number"], tx["reason"]))
    assert "in the future" in reasons[6]
    assert "amount 'seratus ribu' is not a number" in reasons[7]
    both = (
        "transaction_id 'T001' names two customers: 'C001' (row 2) and 'C002' (row 8); the lines of one order "
        "belong to one customer: correct the customer_id"
    )
    assert reasons[2] == reasons[8] == both
    assert 9 not in reasons  # T007 has no customer: a guest sale, loaded
    assert reasons[11] == "kind 'return' must be one of sale, refund, cancelled"  # a sale or a refund? the row must say
    assert tx["check_name"].tolist() == ["conflict", "future", "unparsable", "conflict", "rule"]
    record = json.loads(tx.set_index("row_number").loc[7, "record"])
    assert record == {
        "transaction_id": "T006",
        "customer_id": "C002",
        "ts": "2025-01-12",
        "amount": "seratus ribu",
        "quantity": "1",
        "category": "Elektronik",
        "kind": "sale",
    }
    assert set(tx["source"]) == {str(CORPUS / "mixed_errors" / "transactions.csv")}

    loaded = warehouse.query("SELECT transaction_id, customer_id, amount, quantity, kind FROM transactions ORDER BY 1")
    assert loaded.astype(object).where(loaded.notna(), None).values.tolist() == [
        ["T002", "C001", 50000.0, 2, "sale"],
        ["T003", "C002", -25000.0, 1, "refund"],
        ["T004", "C999", 100000.0, 1, "sale"],  # a customer the customers file lacks: loaded, not lost
        ["T007", None, 100000.0, 1, "sale"],
        ["T008", "C006", 100000.0, None, "sale"],  # quantity '1.5' is optional: stored as missing
        ["T010", "C006", -75000.0, 1, "refund"],
        ["T011", "C003", 10000.0, 1, "sale"],  # C003's own row was quarantined: a customer without a profile
    ]
    consent = warehouse.query(
        "SELECT customer_id, consent_email, consent_whatsapp, profile_source IS NOT NULL AS profiled FROM customers "
        "ORDER BY 1"
    )
    assert consent.astype(object).where(consent.notna(), None).values.tolist() == [
        ["C001", True, False, True],
        ["C002", True, False, True],
        ["C003", None, None, False],
        ["C004", None, True, True],  # consent_email 'mungkin': no consent, the customer kept
        ["C006", None, None, True],
        ["C999", None, None, False],
    ]
    cleared = warehouse.query("SELECT table_name, row_number, column_name, check_name, reason FROM cleared ORDER BY 1")
    assert cleared.iloc[:, :4].values.tolist() == [
        ["customers", 7, "consent_email", "unparsable"],
        ["transactions", 10, "quantity", "unparsable"],
    ]
    assert cleared["reason"][0].startswith("consent_email 'mungkin' is not a yes/no value")
    assert cleared["reason"][1].startswith("quantity '1.5' is not a whole number")
    assert any("2 customers that other tables name have no row" in n for n in report.notes), report.notes
    assert any("1 optional values" in n and "quantity 1" in n for n in report.notes), report.notes


def test_customers_the_profiles_lack_are_quarantined_when_the_parameters_say_so(warehouse):
    report = ingest("mixed_errors", warehouse, unknown_customers="quarantine")
    assert report.counts["transactions"] == {"rows": 12, "loaded": 4, "guest": 1, "quarantined": 7}
    tx = quarantine(warehouse, "transactions")
    reasons = dict(zip(tx["row_number"], tx["reason"]))
    assert reasons[5].startswith("customer_id 'C999' is not in customers")
    assert reasons[13].startswith("customer_id 'C003' is not in customers")  # C003 itself was quarantined
    assert warehouse.query("SELECT count(*) AS n FROM customers WHERE profile_source IS NULL")["n"][0] == 0


def test_reingesting_the_same_files_leaves_the_warehouse_as_it_was(warehouse):
    first = ingest("mixed_errors", warehouse)
    tables = {t: warehouse.query(f"SELECT * FROM {t} ORDER BY ALL") for t in [*TABLES, "quarantine", "loads"]}
    second = ingest("mixed_errors", warehouse)
    assert second.counts == first.counts
    for name, before in tables.items():
        pd.testing.assert_frame_equal(warehouse.query(f"SELECT * FROM {name} ORDER BY ALL"), before)


def test_latin1_semicolon_file_loads_with_accents_intact(warehouse):
    report = ingest("latin1_semicolon", warehouse)
    assert report.counts["customers"] == {"rows": 2, "loaded": 2, "guest": 0, "quarantined": 0}
    names = warehouse.query("SELECT name, city FROM customers ORDER BY customer_id").values.tolist()
    assert names == [["José María", "Bandung"], ["André", "München"]]


def test_utf8_bom_tab_delimited_with_spreadsheet_headers(warehouse):
    report = ingest("utf8_bom_tab", warehouse)
    assert report.counts["transactions"] == {"rows": 3, "loaded": 3, "guest": 0, "quarantined": 0}
    assert warehouse.query("SELECT sum(amount) AS s FROM transactions")["s"][0] == 6000


def test_customers_are_derived_from_transactions_when_not_given(warehouse):
    report = ingest("utf8_bom_tab", warehouse)
    customers = warehouse.query("SELECT customer_id, signup_date FROM customers ORDER BY 1")
    assert customers["customer_id"].tolist() == ["C1", "C2", "C3"]
    assert customers["signup_date"].dt.strftime("%Y-%m-%d").tolist() == ["2025-03-05", "2025-03-06", "2025-03-07"]
    assert any("derived from the transactions" in n for n in report.notes)
    assert "customers" not in report.counts  # derived, not read: the counts are of source rows


def test_customers_loaded_earlier_are_kept_and_checked_against(tmp_path, warehouse):
    ingest("mixed_errors", warehouse)
    only_tx = tmp_path / "later"
    only_tx.mkdir()
    (only_tx / "transactions.csv").write_text(
        "transaction_id,customer_id,ts,amount\nX1,C001,2025-03-01,5\nX2,C404,2025-03-01,5\n"
    )
    report = ingest_dir(only_tx, warehouse, now=NOW, replace=True)  # 2 rows replace 7: on purpose
    assert report.counts["transactions"] == {"rows": 2, "loaded": 2, "guest": 0, "quarantined": 0}
    customers = warehouse.query("SELECT customer_id, profile_source IS NOT NULL AS p FROM customers ORDER BY 1")
    assert customers.values.tolist() == [  # the profile data was not replaced; only C404 is new, without a profile
        ["C001", True], ["C002", True], ["C004", True], ["C006", True], ["C404", False]]  # fmt: skip
    checked = IngestOptions(unknown_customers="quarantine")
    report = ingest_dir(only_tx, warehouse, checked, now=NOW, replace=True)
    assert report.counts["transactions"] == {"rows": 2, "loaded": 1, "guest": 0, "quarantined": 1}
    assert len(warehouse.query("SELECT * FROM customers")) == 4


def test_malformed_records_are_quarantined_not_dropped(warehouse):
    report = ingest("ragged", warehouse)
    assert report.counts["transactions"] == {"rows": 4, "loaded": 2, "guest": 0, "quarantined": 2}
    q = quarantine(warehouse, "transactions")
    assert q["row_number"].tolist() == [3, 5]
    assert q["reason"][0] == "has 6 fields but the header has 4; quote values that contain the delimiter"
    assert json.loads(q["record"][0]) == ["T2", "C2", "2025-03-06", "2000", "extra", "fields"]
    assert q["reason"][1] == "amount is required but missing"
    assert q["check_name"].tolist() == ["malformed", "missing"]


def test_declared_number_and_date_formats(warehouse):
    report = ingest("decimal_comma", warehouse, decimal=",", thousands=".", date_format="%d/%m/%Y %H:%M")
    # the third row has no time of day, so the declared format rejects it: say so, keep the others
    assert report.counts["transactions"] == {"rows": 3, "loaded": 2, "guest": 0, "quarantined": 1}
    rows = warehouse.query("SELECT ts, amount FROM transactions ORDER BY ts")
    assert rows["amount"].tolist() == [1234.56, 2000000.0]
    assert rows["ts"].dt.strftime("%Y-%m-%d %H:%M").tolist() == ["2025-03-05 10:00", "2025-03-06 11:30"]


def test_undeclared_indonesian_numbers_are_read_by_their_grouping_and_said_so(warehouse):
    report = ingest("decimal_comma", warehouse, dayfirst=True)
    assert warehouse.query("SELECT amount FROM transactions ORDER BY ts")["amount"].tolist() == [1234.56, 2e6, -99.5]
    assert any("amount read as 1.114.200 = 1,114,200 (dots group thousands)" in n for n in report.notes), report.notes


def test_a_column_mixing_groupings_is_quarantined_with_a_hint(tmp_path, warehouse):
    (tmp_path / "transactions.csv").write_text(
        'transaction_id,customer_id,ts,amount\nT1,C1,2025-03-05,"1.234,56"\nT2,C1,2025-03-06,"1,234.56"\n'
    )
    ingest_dir(tmp_path, warehouse, now=NOW)
    reasons = quarantine(warehouse, "transactions")["reason"].tolist()
    assert len(reasons) == 2 and all("set ingest.decimal and ingest.thousands" in r for r in reasons)


@pytest.mark.parametrize(
    ("currency", "written", "read", "warned"),
    [
        ("IDR", ["150.000", "75.500", "1.250"], [150000.0, 75500.0, 1250.0], False),  # rupiah: no minor units
        ("IDR", ["150.000", "1.114.200", "Rp 2.500"], [150000.0, 1114200.0, 2500.0], False),
        ("IDR", ["1,114,200", "150,000", "99"], [1114200.0, 150000.0, 99.0], False),
        ("USD", ["150.000", "75.500"], [150.0, 75.5], True),  # could be thousands: read as decimals, and warned
        ("USD", ["150.000", "1.114.200"], [150000.0, 1114200.0], False),  # two groups: thousands for sure
        ("USD", ["19.99", "150.000"], [19.99, 150.0], True),
        ("IDR", ["19.5", "12", "100.25"], [19.5, 12.0, 100.25], False),
    ],
)
def test_amounts_are_never_silently_a_thousandth(tmp_path, warehouse, currency, written, read, warned):
    rows = "".join(f'T{i},C1,2025-03-0{i + 1},"{v}"\n' for i, v in enumerate(written))
    (tmp_path / "transactions.csv").write_text("transaction_id,customer_id,ts,amount\n" + rows)
    report = ingest_dir(tmp_path, warehouse, IngestOptions(currency=currency), now=NOW)
    assert warehouse.query("SELECT amount FROM transactions ORDER BY ts")["amount"].tolist() == read
    assert any("exactly three decimals" in w for w in report.warnings) == warned


def test_dayfirst_dates_without_a_declared_format(warehouse):
    ingest("decimal_comma", warehouse, decimal=",", thousands=".", dayfirst=True)
    days = warehouse.query("SELECT ts FROM transactions ORDER BY ts")["ts"].dt.strftime("%Y-%m-%d").tolist()
    assert days == ["2025-03-05", "2025-03-06", "2025-03-07"]


def test_refund_semantics(warehouse):
    ingest("refunds", warehouse)
    rows = warehouse.query("SELECT transaction_id, amount, kind FROM transactions ORDER BY 1").values.tolist()
    assert rows == [
        ["T1", 100000.0, "sale"],
        ["T2", -40000.0, "refund"],
        ["T3", -30000.0, "refund"],
        ["T4", -10000.0, "refund"],
        ["T5", 0.0, "sale"],
    ]


def test_zoned_times_become_local_time_and_quoted_delimiters_stay(warehouse):
    ingest("pipe_quoted", warehouse)  # default timezone Asia/Jakarta (UTC+7)
    rows = warehouse.query("SELECT ts, category FROM transactions ORDER BY transaction_id")
    assert rows["ts"].dt.strftime("%Y-%m-%d %H:%M").tolist() == ["2025-03-05 10:00", "2025-03-05 10:00"]
    assert rows["category"].tolist() == ["Makanan | Minuman", 'Rumah "Tangga"']


def test_missing_required_column_is_a_one_line_error_naming_file_and_column(warehouse):
    with pytest.raises(SourceError) as err:
        ingest("missing_column", warehouse)
    message = str(err.value)
    assert "\n" not in message
    assert "missing_column/transactions.csv" in message and "'amount'" in message
    assert "ingest.columns.transactions" in message


def test_column_mapping_from_the_parameters(tmp_path, warehouse):
    (tmp_path / "transactions.csv").write_text("Order No,Buyer,Order Date,Total,Notes\nA1,B1,2025-01-02,10,x\n")
    report = ingest_dir(
        tmp_path,
        warehouse,
        IngestOptions(
            columns={
                "transactions": {
                    "order no": "transaction_id",
                    "Buyer": "customer_id",
                    "order_date": "ts",
                    "total": "amount",
                }
            }
        ),
        now=NOW,
    )
    assert report.counts["transactions"]["loaded"] == 1
    assert any("ignored columns not in the contract: notes" in n for n in report.notes)


def test_excel_and_parquet_sources(tmp_path, warehouse):
    frame = pd.DataFrame(
        {
            "transaction_id": ["T1", "T2", "T3"],
            "customer_id": [1, 2, 3],
            "ts": pd.to_datetime(["2025-01-01", "2025-01-02", "2030-01-01"]),
            "amount": [10.5, -2.0, 3.0],
        }
    )
    frame.to_parquet(tmp_path / "transactions.parquet")
    frame.rename(columns={"transaction_id": "event_id", "amount": "event_type"}).assign(
        event_type="web_visit"
    ).to_excel(tmp_path / "events.xlsx", sheet_name="events", index=False)
    report = ingest_dir(tmp_path, warehouse, now=NOW)
    assert report.counts == {
        "transactions": {"rows": 3, "loaded": 2, "guest": 0, "quarantined": 1},
        "events": {"rows": 3, "loaded": 2, "guest": 0, "quarantined": 1},
    }
    assert warehouse.query("SELECT customer_id FROM transactions ORDER BY 1")["customer_id"].tolist() == ["1", "2"]
    q = warehouse.query("SELECT table_name, row_number FROM quarantine ORDER BY 1").values.tolist()
    assert q == [["events", 4], ["transactions", 3]]  # Excel counts its header row, Parquet does not


@pytest.mark.parametrize(
    "name, content",
    [
        ("transactions.parquet", b"PAR1 this is not really parquet"),
        ("transactions.xlsx", b"PK\x03\x04 a broken zip"),
        ("transactions.csv", b""),
    ],
)
def test_unreadable_files_fail_with_one_line(tmp_path, warehouse, name, content):
    (tmp_path / name).write_bytes(content)
    with pytest.raises(SourceError) as err:
        ingest_dir(tmp_path, warehouse, now=NOW)
    assert name in str(err.value) and "\n" not in str(err.value)


def test_a_failed_ingest_changes_nothing(tmp_path, warehouse):
    ingest("mixed_errors", warehouse)
    before = warehouse.query("SELECT * FROM transactions ORDER BY ALL")
    bad = tmp_path / "bad"
    shutil.copytree(CORPUS / "mixed_errors", bad)
    (bad / "events.csv").write_text("event_id,customer_id,ts\nE1,C001,2025-01-01\n")  # no event_type
    with pytest.raises(SourceError, match="event_type"):
        ingest_dir(bad, warehouse, now=NOW)
    pd.testing.assert_frame_equal(warehouse.query("SELECT * FROM transactions ORDER BY ALL"), before)


def test_two_files_for_one_table_is_an_error(tmp_path, warehouse):
    (tmp_path / "transactions.csv").write_text("transaction_id,customer_id,ts,amount\n")
    (tmp_path / "transactions.parquet").write_bytes(b"")
    with pytest.raises(SourceError, match="two files for table transactions"):
        ingest_dir(tmp_path, warehouse, now=NOW)


def test_calls_with_a_bad_direction_are_quarantined_and_good_ones_load(tmp_path, warehouse):
    (tmp_path / "customers.csv").write_text("customer_id,signup_date\nC1,2025-01-01\n")
    (tmp_path / "calls.csv").write_text(
        "call_id,ts,direction,customer_id,answered,duration_s,handling_s,purpose,outcome,ticket_id,opportunity_id\n"
        "P1,2025-02-01 10:00,inbound,C1,true,300,420,service,resolved,K1,\n"
        "P2,2025-02-01 11:00,sideways,C1,true,60,90,service,resolved,K2,\n"
        "P3,2025-02-02 09:00,outbound,,false,0,30,sales,callback,,O1\n"  # an unknown caller: no customer_id
        "P4,2025-02-02 09:30,outbound,C404,true,200,260,sales,sale,,O2\n"
    )
    report = ingest_dir(tmp_path, warehouse, now=NOW)
    assert report.counts["calls"] == {"rows": 4, "loaded": 3, "guest": 0, "quarantined": 1}
    q = quarantine(warehouse, "calls").set_index("row_number")
    assert q.loc[3, "reason"] == "direction 'sideways' must be one of inbound, outbound"
    assert q.loc[3, "check_name"] == "rule" and q.loc[3, "column_name"] == "direction"
    loaded = warehouse.query("SELECT call_id, customer_id, answered, handling_s FROM calls ORDER BY 1")
    assert loaded.astype(object).where(loaded.notna(), None).values.tolist() == [
        ["P1", "C1", True, 420.0],
        ["P3", None, False, 30.0],
        ["P4", "C404", True, 260.0],  # a caller the customers file lacks: a customer without a profile
    ]
    report = ingest_dir(tmp_path, warehouse, IngestOptions(unknown_customers="quarantine"), now=NOW, replace=True)
    assert report.counts["calls"] == {"rows": 4, "loaded": 2, "guest": 0, "quarantined": 2}
    assert quarantine(warehouse, "calls").set_index("row_number").loc[5, "check_name"] == "unknown_customer"


def _customers_csv(tmp_path, lines: list[str]) -> Path:
    folder = tmp_path / "src"
    folder.mkdir(exist_ok=True)
    (folder / "customers.csv").write_text("\n".join(["customer_id,signup_date,name", *lines]) + "\n", encoding="utf-8")
    return folder


def _people(n: int, quote_opened: int | None = None, quote_closed: int | None = None) -> list[str]:
    out = []
    for i in range(1, n + 1):
        name = f"Budi {i}"
        name = f'"{name}' if i == quote_opened else f'{name}"' if i == quote_closed else name
        out.append(f"C{i:07d},2025-01-{i:02d},{name}")
    return out


def test_a_quote_left_open_swallows_no_records(tmp_path, warehouse):
    """The open quote's record is quarantined on its own line; every record after it is read as itself."""
    folder = _customers_csv(tmp_path, _people(20, quote_opened=5))
    report = ingest_dir(folder, warehouse, IngestOptions(), now=NOW)
    assert report.counts["customers"] == {"rows": 20, "loaded": 19, "guest": 0, "quarantined": 1}
    q = quarantine(warehouse, "customers")
    assert q["row_number"].tolist() == [6] and "never closed" in q["reason"][0]
    names = warehouse.query("SELECT name FROM customers ORDER BY customer_id")["name"].tolist()
    assert "Budi 6" in names and "Budi 20" in names


def test_row_numbers_are_the_file_s_lines_after_blank_lines_and_multiline_values(tmp_path, warehouse):
    lines = _people(3) + ["", 'C0000004,2025-01-04,"Ani\nAyu"', "", "", "C0000005,not a date,Sari", " ", "C6,,x"]
    report = ingest_dir(_customers_csv(tmp_path, lines), warehouse, IngestOptions(), now=NOW)
    assert report.counts["customers"]["rows"] == 6  # blank lines are no records
    assert quarantine(warehouse, "customers")["row_number"].tolist() == [10, 12]  # as an editor numbers them
    names = warehouse.query("SELECT name FROM customers WHERE customer_id = 'C0000004'")["name"].tolist()
    assert names == ["Ani\nAyu"]


def test_an_excel_file_s_other_sheets_are_named_in_a_warning(tmp_path, warehouse):
    people = pd.DataFrame({"customer_id": ["C1", "C2"], "signup_date": ["2025-01-01", "2025-01-02"]})
    with pd.ExcelWriter(tmp_path / "customers.xlsx") as book:
        people.to_excel(book, sheet_name="Januari", index=False)
        people.assign(customer_id=["C3", "C4"]).to_excel(book, sheet_name="Februari", index=False)
    report = ingest_dir(tmp_path, warehouse, now=NOW)
    assert report.counts["customers"]["loaded"] == 2
    assert any("Februari" in w and "customers.xlsx" in w for w in report.warnings), report.warnings


def test_rupiah_amounts_are_read_with_their_own_grouping_under_the_defaults(tmp_path, warehouse):
    (tmp_path / "transactions.csv").write_text(
        "transaction_id,customer_id,ts,amount\n"
        'T1,C1,2025-01-01,Rp 150.000\nT2,C1,2025-01-02,"Rp 1.250.000,50"\nT3,C2,2025-01-03,"IDR 2,000,000"\n'
        "T4,C2,2025-01-04,75000.5\n",
        encoding="utf-8",
    )
    ingest_dir(tmp_path, warehouse, now=NOW)
    amounts = warehouse.query("SELECT amount FROM transactions ORDER BY transaction_id")["amount"].tolist()
    assert amounts == [150_000.0, 1_250_000.5, 2_000_000.0, 75_000.5]


@pytest.mark.parametrize(
    "written, local",
    [
        ("2025-02-09 10:00:00+07", "2025-02-09 10:00:00"),  # PostgreSQL's own text form
        ("2025-02-09 03:00:00 UTC", "2025-02-09 10:00:00"),
        ("2025-02-09 10:00 GMT+7", "2025-02-09 10:00:00"),
        ("2025-02-09 11:00:00+0800", "2025-02-09 10:00:00"),
        ("2025-02-09 10:00 WIB", "2025-02-09 10:00:00"),
    ],
)
def test_zoned_times_in_their_common_spellings_become_jakarta_time(tmp_path, warehouse, written, local):
    (tmp_path / "transactions.csv").write_text(
        f"transaction_id,customer_id,ts,amount\nT1,C1,{written},10\nT2,C1,2025-02-10 09:00:00,5\n", encoding="utf-8"
    )
    report = ingest_dir(tmp_path, warehouse, now=NOW)
    assert report.counts["transactions"]["loaded"] == 2
    times = warehouse.query("SELECT ts FROM transactions ORDER BY transaction_id")["ts"]
    assert str(times[0]) == local


def test_ambiguous_slash_dates_are_read_one_way_and_the_other_way_is_quarantined(tmp_path, warehouse):
    (tmp_path / "transactions.csv").write_text(
        "transaction_id,customer_id,ts,amount\nT1,C1,01/02/2025,10\nT2,C1,13/02/2025,5\n", encoding="utf-8"
    )
    ingest_dir(tmp_path, warehouse, now=NOW)
    assert str(warehouse.query("SELECT ts FROM transactions")["ts"][0]) == "2025-01-02 00:00:00"  # month first
    assert "ingest.dayfirst: true" in quarantine(warehouse, "transactions")["reason"][0]


@pytest.mark.parametrize("option", [{"timezone": "Mars/Olympus"}, {"date_format": "%Q"}])
def test_an_unusable_timezone_or_date_format_is_refused_with_its_name(option):
    with pytest.raises(ValueError, match=repr(next(iter(option.values())))):
        IngestOptions(**option)


TRANSACTIONS = "transaction_id,customer_id,ts,amount\nT1,C1,2025-01-01,10\nT2,C2,2025-01-02,20\n"


@pytest.mark.parametrize("name", ["transactions.csv.gz", "transactions.zip", "transactions.csv", "utf16"])
def test_compressed_and_odd_encoded_exports_load_as_the_plain_file_does(tmp_path, warehouse, name):
    """gzip and zip (one CSV inside) as exports arrive, gzip bytes under a .csv name, UTF-16 without a BOM."""
    import gzip
    import zipfile

    if name == "transactions.zip":
        with zipfile.ZipFile(tmp_path / name, "w") as archive:
            archive.writestr("export-2025.csv", TRANSACTIONS)
    elif name == "utf16":
        (tmp_path / "transactions.csv").write_bytes(TRANSACTIONS.encode("utf-16-le"))
    else:
        (tmp_path / name).write_bytes(gzip.compress(TRANSACTIONS.encode("utf-8")))
    report = ingest_dir(tmp_path, warehouse, now=NOW)
    assert report.counts["transactions"] == {"rows": 2, "loaded": 2, "guest": 0, "quarantined": 0}
    assert warehouse.query("SELECT sum(amount) AS s FROM transactions")["s"][0] == 30


def test_a_zip_holding_two_files_is_one_line_naming_it(tmp_path, warehouse):
    import zipfile

    with zipfile.ZipFile(tmp_path / "transactions.zip", "w") as archive:
        archive.writestr("a.csv", TRANSACTIONS)
        archive.writestr("b.csv", TRANSACTIONS)
    with pytest.raises(SourceError, match="transactions.zip.*2 files"):
        ingest_dir(tmp_path, warehouse, now=NOW)


def test_reloading_customers_without_some_that_transactions_name(tmp_path, warehouse):
    """By default C2 stays a customer, without a profile; with unknown_customers: quarantine the load is refused."""
    first, again = tmp_path / "first", tmp_path / "again"
    first.mkdir()
    again.mkdir()
    people = "customer_id,signup_date\n" + "".join(f"C{i},2025-01-01\n" for i in range(1, 11))
    (first / "customers.csv").write_text(people, encoding="utf-8")
    (first / "transactions.csv").write_text(TRANSACTIONS, encoding="utf-8")
    checked = IngestOptions(unknown_customers="quarantine")
    ingest_dir(first, warehouse, checked, now=NOW)
    (again / "customers.csv").write_text(people.replace("C2,2025-01-01\n", ""), encoding="utf-8")
    with pytest.raises(SourceError, match=r"transactions.*C2"):
        ingest_dir(again, warehouse, checked, now=NOW)
    assert warehouse.query("SELECT count(*) AS n FROM customers")["n"][0] == 10  # the load changed nothing
    ingest_dir(again, warehouse, now=NOW)
    unprofiled = warehouse.query("SELECT customer_id FROM customers WHERE profile_source IS NULL")["customer_id"]
    assert unprofiled.tolist() == ["C2"]


def test_files_not_named_after_a_table_are_mapped_by_pattern_and_several_are_one_source(tmp_path, warehouse):
    tmp_path = tmp_path / "exports"
    tmp_path.mkdir()
    header = "Nomor Invoice,Pembeli,Waktu,Total\n"
    (tmp_path / "laporan-penjualan-2025-05.csv").write_text(header + "INV1,A,2025-05-02 10:00,100\n")
    (tmp_path / "laporan-penjualan-2025-06.csv").write_text(header + "INV2,B,2025-06-03 11:00,200\nINV3,,x,5\n")
    (tmp_path / "catatan.txt").write_text("notes of my own\n")
    columns = {"transactions": {"Nomor Invoice": "transaction_id", "Pembeli": "customer_id", "Waktu": "ts",
                                "Total": "amount"}}  # fmt: skip
    with pytest.raises(SourceError, match=r"holds 3 file\(s\) but none is named after a contract table"):
        ingest_dir(tmp_path, warehouse, IngestOptions(columns=columns), now=NOW)
    options = IngestOptions(columns=columns, files={"transactions": "laporan-penjualan-*.csv"})
    report = ingest_dir(tmp_path, warehouse, options, now=NOW)
    assert report.counts["transactions"] == {"rows": 3, "loaded": 2, "guest": 0, "quarantined": 1}
    assert any("catatan.txt" in note for note in report.notes)  # left aside, and said so
    q = quarantine(warehouse, "transactions")
    assert q["source"].tolist() == [str(tmp_path / "laporan-penjualan-2025-06.csv")] and q["row_number"].tolist() == [3]
    source = warehouse.query("SELECT source FROM loads WHERE table_name = 'transactions'")["source"][0]
    assert source == f"{tmp_path / 'laporan-penjualan-2025-05.csv'} and 1 more files"
    with pytest.raises(SourceError, match="matches the ingest.files patterns of transactions, events"):
        ingest_dir(tmp_path, warehouse, options.model_copy(update={"files": {"transactions": "*.csv",
                                                                             "events": "laporan*"}}))  # fmt: skip


TITLED = (
    "Laporan Penjualan\nPeriode: 01/06/2025 - 30/06/2025\n\n"
    "Nomor Invoice,Pembeli,Waktu,Total\nINV1,A,2025-06-02 10:00,100\nINV2,B,2025-06-03 11:00,200\n"
)
TITLED_COLUMNS = {"transactions": {"Nomor Invoice": "transaction_id", "Pembeli": "customer_id", "Waktu": "ts",
                                   "Total": "amount"}}  # fmt: skip


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_a_header_below_title_rows_is_found(tmp_path, warehouse, suffix):
    folder = tmp_path / "exports"
    folder.mkdir()
    if suffix == "csv":
        (folder / "transactions.csv").write_text(TITLED)
    else:
        rows = [(line.split(",") + [""] * 4)[:4] for line in TITLED.splitlines()]
        pd.DataFrame(rows).to_excel(folder / "transactions.xlsx", header=False, index=False)
    report = ingest_dir(folder, warehouse, IngestOptions(columns=TITLED_COLUMNS), now=NOW)
    assert report.counts["transactions"] == {"rows": 2, "loaded": 2, "guest": 0, "quarantined": 0}
    (folder / f"transactions.{suffix}").unlink()
    (folder / "transactions.csv").write_text(
        TITLED.replace("Nomor Invoice,Pembeli", "Invoice,Pembeli").replace("INV2,B,2025-06-03 11:00,200", "INV2,,x,")
    )
    with pytest.raises(SourceError, match=r"row 4 looks like a header: set ingest.header_row: \{transactions: 4\}"):
        ingest_dir(folder, warehouse, now=NOW)
    declared = IngestOptions(columns={"transactions": {"Invoice": "transaction_id", **TITLED_COLUMNS["transactions"]}},
                             header_row={"transactions": 4})  # fmt: skip
    report = ingest_dir(folder, warehouse, declared, now=NOW, replace=True)
    assert report.counts["transactions"]["rows"] == 2
    assert quarantine(warehouse, "transactions")["row_number"].tolist() == [6]  # the file's own line


def test_an_expression_may_name_a_header_as_written(tmp_path, warehouse):
    (tmp_path / "transactions.csv").write_text(
        "Nomor Invoice,Pembeli,Waktu,Harga Jual (IDR),Jumlah Produk Dibeli\nINV1,A,2025-06-02 10:00,150.000,2\n"
    )
    options = IngestOptions(
        columns={"transactions": {"Nomor Invoice": "transaction_id", "Pembeli": "customer_id", "Waktu": "ts"}},
        computed={"transactions": {"amount": "`Harga Jual (IDR)` * `Jumlah Produk Dibeli`"}},
    )
    ingest_dir(tmp_path, warehouse, options, now=NOW)
    assert warehouse.query("SELECT amount FROM transactions")["amount"].tolist() == [300000.0]  # 150.000 in IDR
