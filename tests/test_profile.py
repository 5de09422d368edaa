"""The data collection figures, on the hand-made corpus where every number is known."""

from pathlib import Path

import pandas as pd
import pytest

from crmlib.collect import IngestOptions, Warehouse, ingest_dir, profile
from crmlib.errors import MissingData

CORPUS = Path(__file__).parent / "corpus"
UNTIL = pd.Timestamp("2025-02-01")  # the period January 2025


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    wh = Warehouse(tmp_path_factory.mktemp("wh") / "w.duckdb")  # unknown customers quarantined, as they may be
    ingest_dir(
        CORPUS / "mixed_errors", wh, IngestOptions(unknown_customers="quarantine"), now=pd.Timestamp("2026-01-01")
    )
    return wh


def test_collected_counts_rows_up_to_the_period_only(warehouse):
    tables = profile.collected(warehouse, UNTIL).set_index("table_name")
    assert tables.loc["customers", "rows"] == 2  # C006 signed up in February
    assert tables.loc["transactions", "rows"] == 5  # T008's unreadable quantity is stored as missing
    assert tables.loc["transactions", "customers"] == 3
    assert tables.loc["events", "rows"] == 0
    assert tables.loc["transactions", "source"].endswith("mixed_errors/transactions.csv")
    kinds = profile.by_data_kind(tables.reset_index())
    assert kinds.set_index("data_kind")["rows"].to_dict() == {
        "profile": 2,
        "transactional": 5,
        "engagement": 0,
        "feedback": 0,
    }


def test_quarantine_by_kind_of_problem(warehouse):
    counts = profile.quarantine_by_check(warehouse)
    counts = {(t, c): n for t, c, n in counts.values}
    assert counts[("transactions", "unknown_customer")] == 2
    assert counts[("customers", "unparsable")] == 1  # row 7's unreadable consent is cleared, not quarantined
    assert sum(n for (t, _), n in counts.items() if t == "customers") == 4  # row 5's two problems are one kind
    examples = profile.quarantine_examples(warehouse, per_check=1)
    assert counts[("transactions", "conflict")] == 2  # both lines of an order that names two customers
    assert len(examples) == len(counts) == 9
    assert examples.groupby("table_name").size().to_dict() == {"customers": 4, "transactions": 5}
    balance = profile.load_balance(warehouse)
    assert balance["balanced"].all() and balance["table_name"].tolist() == ["customers", "transactions"]


def test_missing_values_share(warehouse):
    missing = profile.missing_values(warehouse, pd.Timestamp("2026-01-01")).set_index(["table_name", "column_name"])
    assert missing.loc[("customers", "birth_date"), "missing"] == 2
    assert missing.loc[("customers", "birth_date"), "missing_share"] == pytest.approx(2 / 4)
    assert missing.loc[("customers", "customer_id"), "missing_share"] == 0
    assert missing.loc[("events", "event_id"), "missing_share"] == 0  # an empty table is not "all missing"


def test_shared_contacts_find_likely_duplicate_profiles(csv_warehouse):
    wh = csv_warehouse(
        customers=(
            "customer_id,signup_date,email,phone\nA,2025-01-01,Ani@Mail.id,+62 812-1111\n"
            "B,2025-01-02,ani@mail.id ,\nC,2025-01-03,c@mail.id,0812 1111\nD,2025-01-04,d@mail.id,62-812-1111\n"
        )
    )
    shared = profile.shared_contacts(wh)
    assert shared[["contact", "value", "customers", "ids"]].values.tolist() == [
        ["email", "ani@mail.id", 2, "A, B"],
        ["phone", "628121111", 2, "A, D"],
    ]


def test_monthly_growth(warehouse):
    growth = profile.monthly_growth(warehouse, pd.Timestamp("2026-01-01"))
    jan = growth.iloc[0]
    assert jan["month"] == pd.Timestamp("2025-01-01")
    assert (jan["new_customers"], jan["orders"], jan["active_customers"]) == (2, 3, 2)
    # T002 50,000, a guest's T007 100,000, T008 100,000, refunds T003 and T010 (T001's two lines name two customers:
    # quarantined)
    assert jan["revenue"] == 50000 + 100000 + 100000 - 25000 - 75000  # refunds net, guests' sales count
    assert jan["guest_revenue"] == 100000
    assert growth["new_customers"].sum() == 4  # C001, C002 in January; C004 (its consent unreadable), C006


def test_missing_matrix_has_optional_columns_of_tables_with_rows(warehouse):
    matrix = profile.missing_matrix(warehouse, pd.Timestamp("2026-01-01"))
    assert sorted(matrix.columns) == ["customers", "transactions"]  # empty tables are left out
    assert "customer_id" not in matrix.index  # required columns are never missing after loading
    assert "name" not in matrix.index  # no gaps: nothing to show
    assert matrix.loc["birth_date", "customers"] == pytest.approx(2 / 4)
    assert pd.isna(matrix.loc["birth_date", "transactions"])  # not a column of transactions


def test_cleared_values_per_column_with_their_rows(tmp_path):
    wh = Warehouse(tmp_path / "w.duckdb")
    ingest_dir(CORPUS / "mixed_errors", wh, now=pd.Timestamp("2026-01-01"))
    cleared = profile.cleared_values(wh, language="en")
    assert cleared[["table_name", "column_name", "values"]].values.tolist() == [
        ["customers", "consent_email", 1],
        ["transactions", "quantity", 1],
    ]
    assert cleared["examples"][0].startswith("consent_email 'mungkin' is not a yes/no value")
    assert cleared["examples"][0].endswith("(Row 7)")


def test_buyers_without_a_profile_row(warehouse, csv_warehouse):
    assert profile.profiles(warehouse, UNTIL)[["buyers", "unprofiled"]].tolist() == [2, 0]  # all have a profile
    wh = csv_warehouse(
        customers="customer_id,signup_date\nA,2025-01-01\n",
        transactions="transaction_id,customer_id,ts,amount\nT1,A,2025-01-02,100\nT2,B,2025-01-03,300\n",
    )
    found = profile.profiles(wh, UNTIL)
    assert (found["buyers"], found["unprofiled"], found["revenue_share"]) == (2, 1, 0.75)


def test_shared_contacts_need_contacts(csv_warehouse):
    wh = csv_warehouse(customers="customer_id,signup_date\nA,2025-01-01\n")
    with pytest.raises(MissingData, match=r"`customers.email` \| `customers.phone`"):
        profile.shared_contacts(wh)
