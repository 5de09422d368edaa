"""A SQL database as a source: a real PostgreSQL server, the URL only ever from the environment."""

import pandas as pd
import pytest
import sqlalchemy as sa

from crmlib.cli import main
from crmlib.collect import IngestOptions, Warehouse, ingest_database
from crmlib.errors import SourceError

NOW = pd.Timestamp("2026-01-01")


@pytest.fixture
def shop_db(postgres_url):
    """A shop database: customers, and orders under another name and schema with their own column names."""
    engine = sa.create_engine(postgres_url)
    with engine.begin() as con:
        con.execute(sa.text("DROP SCHEMA IF EXISTS sales CASCADE; CREATE SCHEMA sales"))
        con.execute(sa.text("DROP TABLE IF EXISTS customers"))
        pd.DataFrame(
            {
                "customer_id": ["C1", "C2"],
                "signup_date": pd.to_datetime(["2025-01-01", "2025-01-02"]),
                "city": ["Surabaya", "Medan"],
            }
        ).to_sql("customers", con, index=False)
        pd.DataFrame(
            {
                "order_no": [1, 2, 3, 2],
                "buyer": ["C1", "C2", "C3", "C1"],
                "ordered_at": pd.to_datetime(
                    ["2025-02-01 10:00", "2025-02-02 00:00", "2025-02-03 00:00", "2025-02-04 00:00"]
                ),
                "total": [150000.0, -5000.0, 1.0, 2.0],
            }
        ).to_sql("orders", con, schema="sales", index=False)
    yield postgres_url
    engine.dispose()


OPTIONS = IngestOptions(
    database_tables={"transactions": "sales.orders"},
    columns={
        "transactions": {"order_no": "transaction_id", "buyer": "customer_id", "ordered_at": "ts", "total": "amount"}
    },
)


def test_postgres_tables_load_with_mapping_and_quarantine(shop_db, tmp_path, monkeypatch):
    monkeypatch.setenv("CRM_DATABASE_URL", shop_db)
    warehouse = Warehouse(tmp_path / "w.duckdb")
    report = ingest_database(warehouse, OPTIONS, now=NOW)
    assert report.counts == {
        "customers": {"rows": 2, "loaded": 2, "guest": 0, "quarantined": 0},
        "transactions": {"rows": 4, "loaded": 2, "guest": 0, "quarantined": 2},
    }
    loaded = warehouse.query("SELECT transaction_id, customer_id, amount, kind FROM transactions ORDER BY 1")
    assert loaded.values.tolist() == [["1", "C1", 150000.0, "sale"], ["3", "C3", 1.0, "sale"]]  # C3: no profile
    q = warehouse.query("SELECT source, row_number, reason FROM quarantine ORDER BY row_number")
    assert q["row_number"].tolist() == [2, 4]
    assert (
        q["reason"][0]
        == q["reason"][1]
        == (
            "transaction_id '2' names two customers: 'C2' (row 2) and 'C1' (row 4); "
            "the lines of one order belong to one customer: correct the customer_id"
        )
    )
    assert "sales.orders" in q["source"][0]
    assert "unused-secret" not in q["source"][0]  # the password never reaches the warehouse


def test_cli_reads_the_url_from_the_environment_and_never_prints_the_password(shop_db, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SHOP_DB", shop_db)
    project = tmp_path / "project"
    (project / "params").mkdir(parents=True)
    (project / "params" / "default.yaml").write_text(
        "ingest:\n  database_url_env: SHOP_DB\n  database_tables: {transactions: sales.orders}\n"
        "  columns:\n    transactions: {order_no: transaction_id, buyer: customer_id, ordered_at: ts, total: amount}\n"
    )
    code = main(
        ["--project", str(project), "ingest", "--database", "--warehouse", str(tmp_path / "w.duckdb"), "--json"]
    )
    out = capsys.readouterr()
    assert code == 0
    assert '"transactions": {"rows": 4, "loaded": 2, "guest": 0, "quarantined": 2}' in out.out
    assert "unused-secret" not in out.out + out.err


def test_missing_environment_variable_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.delenv("CRM_DATABASE_URL", raising=False)
    with pytest.raises(SourceError, match="environment variable CRM_DATABASE_URL is not set"):
        ingest_database(Warehouse(tmp_path / "w.duckdb"))


def test_unreachable_database_is_one_line_without_the_password(tmp_path, monkeypatch, postgres_url):
    monkeypatch.setenv("CRM_DATABASE_URL", postgres_url.replace("/postgres", "/no_such_db"))
    with pytest.raises(SourceError) as err:
        ingest_database(Warehouse(tmp_path / "w.duckdb"))
    assert "no_such_db" in str(err.value) and "unused-secret" not in str(err.value)
    assert "\n" not in str(err.value)


def test_a_mapped_table_that_does_not_exist(shop_db, tmp_path, monkeypatch):
    monkeypatch.setenv("CRM_DATABASE_URL", shop_db)
    with pytest.raises(SourceError, match="sales.nothing"):
        ingest_database(Warehouse(tmp_path / "w.duckdb"), IngestOptions(database_tables={"events": "sales.nothing"}))


@pytest.mark.parametrize(
    "spoil",
    [
        lambda url: url.replace("unused-secret", "p@ss-secret"),  # an unencoded @ in the password
        lambda url: url.replace(":unused-secret", "") + "?password=qs-secret&sslmode=disable",  # libpq's own form
    ],
    ids=["@ in the password", "password in the query"],
)
def test_a_password_in_any_form_of_url_reaches_no_output_table_or_page(shop_db, tmp_path, monkeypatch, capsys, spoil):
    monkeypatch.setenv("CRM_DATABASE_URL", spoil(shop_db))
    warehouse = Warehouse(tmp_path / "w.duckdb")
    report = ingest_database(warehouse, OPTIONS, now=NOW)
    assert report.counts["transactions"]["rows"] == 4
    stored = warehouse.query("SELECT source FROM loads UNION ALL SELECT source FROM quarantine")["source"]
    assert stored.str.contains("127.0.0.1").all()
    out = capsys.readouterr()
    for secret in ("ss-secret", "qs-secret"):
        assert not stored.str.contains(secret).any() and secret not in out.out + out.err + " ".join(report.notes)
