"""Order-line exports: lines of one order, exact duplicates, guests, cancellations, non-product codes, computed
amounts, the reconciliation of every load, and loads that would lose history."""

import subprocess
import sys

import pandas as pd
import pytest

from crmlib.analyze.loyalty import per_customer_loyalty
from crmlib.collect import IngestOptions, Warehouse, ingest_dir, profile
from crmlib.errors import ParamsError, SourceError
from crmlib.report.params import load_params
from crmlib.segment.summary import rfm_summary

pytestmark = pytest.mark.usefixtures("whole_and_in_parts")  # each test: whole, then in parts

NOW = pd.Timestamp("2026-01-01")
CUSTOMERS = "customer_id,signup_date\nA,2025-01-01\nB,2025-01-01\n"


def load(tmp_path, transactions: str, customers: str | None = CUSTOMERS, replace: bool = False, **options):
    folder = tmp_path / "src"
    folder.mkdir(exist_ok=True)
    (folder / "transactions.csv").write_text(transactions, encoding="utf-8")
    if customers is not None:
        (folder / "customers.csv").write_text(customers)
    warehouse = Warehouse(tmp_path / "w.duckdb")
    report = ingest_dir(folder, warehouse, IngestOptions(**options), now=NOW, replace=replace)
    return warehouse, report


def quarantined(warehouse):
    return warehouse.query(
        "SELECT row_number, check_name, reason FROM quarantine WHERE table_name = 'transactions' ORDER BY row_number"
    )


LINES = """transaction_id,customer_id,ts,quantity,unit_price,product_id,category
1001,A,2025-03-01 10:00,2,50000,FSH-1,Fashion
1001,A,2025-03-01 10:01,1,20000,ELK-7,Elektronik
1001,A,2025-03-01 10:01,1,9000,POST,
1002,B,2025-03-02 09:00,1,75000,FSH-2,Fashion
"""


def test_lines_of_one_order_are_one_order_with_the_sum_of_its_lines(tmp_path):
    warehouse, report = load(tmp_path, LINES, non_product_codes=["POST"])
    assert report.counts["transactions"] == {"rows": 4, "loaded": 4, "guest": 0, "quarantined": 0}
    orders = warehouse.query(
        "SELECT transaction_id, customer_id, ts, amount, quantity, lines, kind FROM orders ORDER BY 1"
    )
    assert orders.values.tolist() == [
        ["1001", "A", pd.Timestamp("2025-03-01 10:00"), 129000.0, 3, 3, "sale"],  # 2 x 50,000 + 20,000 + 9,000
        ["1002", "B", pd.Timestamp("2025-03-02 09:00"), 75000.0, 1, 1, "sale"],
    ]
    lines = warehouse.query("SELECT amount, ts, is_product FROM transactions WHERE transaction_id = '1001' ORDER BY 1")
    assert lines["amount"].tolist() == [9000.0, 20000.0, 100000.0]  # amount = quantity x unit_price
    assert (lines["ts"] == pd.Timestamp("2025-03-01 10:00")).all()  # every line takes the order's first time
    assert lines["is_product"].tolist() == [False, True, True]
    assert any("1 of 2 orders had lines stamped at different times" in note for note in report.notes)
    assert any("computed amount" in note for note in report.notes)
    summary = rfm_summary(warehouse, end="2025-03-31")
    assert summary.loc["A", "frequency"] == 0  # three lines, one purchase
    figures = profile.order_lines(warehouse, pd.Timestamp("2025-04-01"))
    assert (figures["lines"], figures["orders"], figures["non_product_lines"], figures["spread_orders"]) == (4, 2, 1, 1)
    assert figures["non_product_revenue"] == 9000.0


def test_postage_lines_are_revenue_but_not_a_category(tmp_path):
    warehouse, _ = load(tmp_path, LINES, non_product_codes=["post"])  # codes match whatever their case
    loyalty = per_customer_loyalty(warehouse, "2025-03-31")
    assert loyalty.loc["A", "categories"] == 2  # Fashion and Elektronik; postage has no category
    assert loyalty.loc["A", "revenue"] == 129000.0  # postage counts in revenue


def test_only_a_line_equal_in_every_column_is_a_duplicate(tmp_path):
    text = LINES + "1002,B,2025-03-02 09:00,1,75000,FSH-2,Fashion\n1002,B,2025-03-02 09:00,1,75000,FSH-3,Fashion\n"
    warehouse, report = load(tmp_path, text)
    assert report.counts["transactions"] == {"rows": 6, "loaded": 5, "guest": 0, "quarantined": 1}
    q = quarantined(warehouse)
    assert q.values.tolist() == [[6, "duplicate", "the same as row 5 in every column (a line exported twice)"]]
    order = warehouse.query("SELECT amount, lines FROM orders WHERE transaction_id = '1002'")
    assert order.values.tolist() == [[150000.0, 2]]  # the line with another product is a second line


def test_lines_of_one_order_naming_two_customers_are_quarantined_naming_both_rows(tmp_path):
    text = LINES + "1002,A,2025-03-02 09:00,1,5000,FSH-9,Fashion\n"
    warehouse, report = load(tmp_path, text)
    assert report.counts["transactions"]["quarantined"] == 2
    q = quarantined(warehouse)
    assert q["row_number"].tolist() == [5, 6] and set(q["check_name"]) == {"conflict"}
    assert q["reason"][0] == (
        "transaction_id '1002' names two customers: 'B' (row 5) and 'A' (row 6); the lines of "
        "one order belong to one customer: correct the customer_id"
    )
    assert warehouse.query("SELECT transaction_id FROM orders")["transaction_id"].tolist() == ["1001"]


def test_a_line_that_leaves_order_fields_blank_inherits_them(tmp_path):
    """Shopify writes the customer, channel and campaign on an order's first line only."""
    text = (
        "transaction_id,customer_id,ts,amount,channel,campaign_id\n"
        "S1,A,2025-03-01 10:00,100,web,CMP1\nS1,,2025-03-01 10:00,50,,\n"
    )
    warehouse, report = load(tmp_path, text)
    assert report.counts["transactions"] == {"rows": 2, "loaded": 2, "guest": 0, "quarantined": 0}
    lines = warehouse.query("SELECT customer_id, channel, campaign_id FROM transactions")
    assert lines.values.tolist() == [["A", "web", "CMP1"], ["A", "web", "CMP1"]]


def test_guest_sales_count_in_revenue_not_as_customers(tmp_path):
    text = LINES + "1003,,2025-03-03 12:00,1,40000,FSH-4,Fashion\n1003,,2025-03-03 12:00,1,10000,FSH-5,Fashion\n"
    warehouse, report = load(tmp_path, text)
    assert report.counts["transactions"] == {"rows": 6, "loaded": 4, "guest": 2, "quarantined": 0}
    assert report.money["transactions"]["guest"] == 50000.0
    assert any("2 lines without a customer_id were loaded as guest sales" in note for note in report.notes)
    sales = profile.sales(warehouse, pd.Timestamp("2025-04-01")).set_index("buyer")
    assert sales.loc["guest", ["orders", "lines", "revenue"]].tolist() == [1, 2, 50000.0]
    assert sales.loc["guest", "revenue_share"] == pytest.approx(50000 / (129000 + 75000 + 50000))
    assert list(rfm_summary(warehouse, end="2025-03-31").index) == ["A", "B"]  # no guest among the customers
    assert set(warehouse.query("SELECT customer_id FROM customers")["customer_id"]) == {"A", "B"}


def test_guests_can_be_quarantined_instead(tmp_path):
    text = LINES + "1003,,2025-03-03 12:00,1,40000,FSH-4,Fashion\n"
    warehouse, report = load(tmp_path, text, guests="quarantine")
    assert report.counts["transactions"] == {"rows": 5, "loaded": 4, "guest": 0, "quarantined": 1}
    assert quarantined(warehouse)["reason"].tolist() == [
        "customer_id is missing: a guest sale (set ingest.guests: load to count guest sales as revenue)"
    ]


def test_customers_are_derived_without_guests(tmp_path):
    text = LINES + "1003,,2025-03-03 12:00,1,40000,FSH-4,Fashion\n"
    warehouse, _ = load(tmp_path, text, customers=None)
    assert warehouse.query("SELECT customer_id FROM customers ORDER BY 1")["customer_id"].tolist() == ["A", "B"]


def test_cancellations_are_refunds_of_that_customer(tmp_path):
    text = (
        LINES
        + "C1004,A,2025-03-05 08:00,-1,20000,ELK-7,Elektronik\n"  # the UCI way: C prefix, quantity < 0
        + "1005,B,2025-03-06 08:00,-1,75000,FSH-2,Fashion\n"  # a negative quantity alone
        + "C1006,B,2025-03-07 08:00,1,10000,FSH-2,Fashion\n"
    )  # the prefix alone
    warehouse, _ = load(tmp_path, text, cancellation_prefix="C")
    refunds = warehouse.query(
        "SELECT transaction_id, customer_id, amount, kind FROM orders WHERE transaction_id "
        "IN ('C1004', '1005', 'C1006') ORDER BY 1"
    )
    assert refunds.values.tolist() == [
        ["1005", "B", -75000.0, "refund"],
        ["C1004", "A", -20000.0, "refund"],
        ["C1006", "B", -10000.0, "refund"],
    ]
    summary = rfm_summary(warehouse, end="2025-03-31")
    assert summary.loc["A", "frequency"] == 0  # a refund-only day is no purchase


def test_a_computed_column_from_an_expression(tmp_path):
    text = (
        "order,customer,time,qty,price,discount\n"
        "1,A,2025-03-01,2,50000,10000\n2,A,2025-03-08,1,30000,\n3,B,2025-03-09,1,abc,0\n"
    )
    columns = {
        "transactions": {
            "order": "transaction_id",
            "customer": "customer_id",
            "time": "ts",
            "qty": "quantity",
            "price": "unit_price",
        }
    }
    warehouse, report = load(
        tmp_path,
        text,
        columns=columns,
        computed={"transactions": {"amount": "quantity * unit_price - coalesce(discount, 0)"}},
    )
    amounts = warehouse.query("SELECT transaction_id, amount FROM transactions ORDER BY 1").values.tolist()
    assert amounts == [["1", 90000.0], ["2", 30000.0]]
    reason = quarantined(warehouse)["reason"][0]
    assert "unit_price 'abc' is not a number" in reason
    assert "amount = quantity * unit_price - coalesce(discount, 0) cannot be computed: unit_price missing" in reason


def test_the_readme_s_round_and_rows_an_expression_cannot_compute(tmp_path):
    """round(x, 2) works on columns; an empty price and an overflow each say why the amount is not there."""
    text = (
        "transaction_id,customer_id,ts,quantity,unit_price\n"
        "1,A,2025-03-01,3,0.3333\n2,A,2025-03-02,1,\n3,B,2025-03-03,2,1e308\n"
    )
    warehouse, _ = load(tmp_path, text, computed={"transactions": {"amount": "round(quantity * unit_price, 2)"}})
    assert warehouse.query("SELECT amount FROM transactions")["amount"].tolist() == [1.0]
    found = quarantined(warehouse)
    reasons = dict(zip(found["row_number"], found["reason"]))
    assert reasons[3] == (
        "amount = round(quantity * unit_price, 2) cannot be computed: unit_price missing or not a number on this row"
    )
    assert reasons[4].startswith("amount = round(quantity * unit_price, 2) is not a finite number on this row")
    assert dict(zip(found["row_number"], found["check_name"]))[4] == "not_finite"


@pytest.mark.parametrize(
    "expression, message",
    [
        (
            "quantity * * unit_price",
            "ingest.computed: transactions.amount: 'quantity * * unit_price' is not a valid expression",
        ),
        ("__import__('os')", "'__import__' is not an allowed function"),
        ("__import__('os').system('ls')", "is not allowed in an expression"),
        ("quantity.real", "'quantity.real' is not allowed in an expression"),
        ("read_csv('x.csv')", "'read_csv' is not an allowed function"),
        ("'text'", "\"'text'\" is not allowed"),
        ("min(quantity)", "min() was given 1 argument(s); write it as min(x, y, ...)"),
        ("round(quantity, unit_price)", "round() was given 2 argument(s); write it as round(x) or round(x, 2)"),
        ("abs(quantity, 2)", "abs() was given 2 argument(s)"),
        ("(" * 300 + "quantity" + ")" * 300, "too long or too deeply nested (608 characters, 300 levels"),
        (" + ".join(["quantity"] * 3000), "too long or too deeply nested (32,997 characters"),
    ],
)
def test_a_bad_expression_is_a_one_line_error_naming_the_key(tmp_path, expression, message):
    (tmp_path / "params").mkdir()
    (tmp_path / "params" / "default.yaml").write_text(
        f'ingest:\n  computed:\n    transactions:\n      amount: "{expression}"\n'
    )
    with pytest.raises(ParamsError) as err:
        load_params(tmp_path)
    assert message in str(err.value) and str(err.value).startswith("params/default.yaml: ingest.computed")
    assert "\n" not in str(err.value)


def test_an_expression_naming_a_column_the_source_lacks_stops_before_loading(tmp_path):
    with pytest.raises(
        SourceError,
        match=r"ingest.computed.transactions.amount \('qty \* price'\) reads column "
        r"'price', which the source does not have",
    ):
        load(
            tmp_path,
            "transaction_id,customer_id,ts,qty\n1,A,2025-03-01,2\n",
            computed={"transactions": {"amount": "qty * price"}},
        )
    assert (
        not (tmp_path / "w.duckdb").exists()
        or Warehouse(tmp_path / "w.duckdb").query("SELECT count(*) AS n FROM transactions")["n"][0] == 0
    )


def test_other_columns_cannot_be_computed():
    with pytest.raises(ValueError, match="only number columns can be computed"):
        IngestOptions(computed={"transactions": {"customer_id": "a + b"}})
    with pytest.raises(ValueError, match="'net' is not a column of transactions"):
        IngestOptions(computed={"transactions": {"net": "a + b"}})


def test_every_load_reconciles_in_rows_and_money_per_month(tmp_path):
    text = (
        LINES
        + "1003,,2025-04-03 12:00,1,40000,FSH-4,Fashion\n"
        + "1004,A,2025-04-04 12:00,1,abc,FSH-4,Fashion\n"  # unreadable price: quarantined, money unknown
        + "1005,Z,2025-04-05 12:00,2,30000,FSH-4,Fashion\n"  # unknown customer: quarantined with its money
        + "1006,A,kemarin,1,5000,FSH-4,Fashion\n"
    )  # unreadable time: no month
    warehouse, report = load(tmp_path, text, unknown_customers="quarantine")
    balance = profile.reconciliation(warehouse).set_index("month")
    march, april = balance.loc[pd.Timestamp("2025-03-01")], balance.loc[pd.Timestamp("2025-04-01")]
    assert (march["source_rows"], march["loaded_rows"], march["source_amount"]) == (4, 4, 204000.0)
    assert (april["source_rows"], april["loaded_rows"], april["guest_rows"], april["quarantined_rows"]) == (3, 0, 1, 2)
    assert (april["guest_amount"], april["quarantined_amount"]) == (40000.0, 60000.0)
    unknown = balance.loc[balance.index.isna()].iloc[0]
    assert (unknown["source_rows"], unknown["quarantined_rows"], unknown["quarantined_amount"]) == (1, 1, 5000.0)
    assert (
        balance["source_rows"].sum()
        == 8
        == sum(report.counts["transactions"][k] for k in ("loaded", "guest", "quarantined"))
    )
    money = report.money["transactions"]
    assert money["source"] == money["loaded"] + money["guest"] + money["quarantined"] == 309000.0


def test_a_load_that_quarantines_too_much_warns(tmp_path):
    text = LINES + "1005,Z,2025-04-05 12:00,2,30000,FSH-4,Fashion\n"
    _, report = load(tmp_path, text, unknown_customers="quarantine")
    assert report.warnings == [
        "transactions: 1 of 5 rows (20.0%) and 60,000.00 of 264,000.00 in money (22.7%) were quarantined, more than "
        "ingest.max_quarantine_share = 5%; the figures of this period leave them out (see the quarantine table for "
        "the reasons)"
    ]
    (tmp_path / "again").mkdir()
    _, quiet = load(tmp_path / "again", text, max_quarantine_share=0.25, unknown_customers="quarantine")
    assert quiet.warnings == []


def test_a_header_only_source_does_not_wipe_the_history(tmp_path):
    warehouse, _ = load(tmp_path, LINES)
    with pytest.raises(SourceError, match=r"has no data rows: loading it would replace the 4 transactions rows"):
        load(tmp_path, "transaction_id,customer_id,ts,amount\n")
    assert warehouse.query("SELECT count(*) AS n FROM transactions")["n"][0] == 4  # untouched
    load(tmp_path, "transaction_id,customer_id,ts,amount\n", replace=True)
    assert warehouse.query("SELECT count(*) AS n FROM transactions")["n"][0] == 0


def test_a_source_that_shrinks_its_table_a_lot_stops(tmp_path):
    warehouse, _ = load(tmp_path, LINES)
    with pytest.raises(
        SourceError,
        match=r"would shrink transactions from 4 to 2 rows \(2 lost, more than "
        r"ingest.max_shrink = 20%\)",
    ):
        load(tmp_path, "\n".join(LINES.splitlines()[:3]) + "\n")
    load(tmp_path, LINES.rsplit("\n", 2)[0] + "\n", max_shrink=0.5)  # 3 of 4: within the allowed share


def test_the_crm_command_refuses_a_header_only_file_in_one_line_and_replace_overrides(tmp_path):
    warehouse, _ = load(tmp_path, LINES)
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "transactions.csv").write_text("transaction_id,customer_id,ts,amount\n")
    command = [sys.executable, "-m", "crmlib.cli", "ingest", str(empty), "--warehouse", str(warehouse.path)]
    refused = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path)  # no project: English
    assert refused.returncode == 1 and refused.stderr.count("\n") == 1
    assert "would replace the 4 transactions rows in the warehouse with none" in refused.stderr
    replaced = subprocess.run([*command, "--replace"], capture_output=True, text=True, cwd=tmp_path)
    assert replaced.returncode == 0, replaced.stderr
    assert warehouse.query("SELECT count(*) AS n FROM transactions")["n"][0] == 0


def test_every_page_of_the_period_warns_when_a_load_quarantined_too_much(tmp_path):
    from crmlib.report.context import open_period

    (tmp_path / "params").mkdir()
    (tmp_path / "params" / "default.yaml").write_text("language: en\nwarehouse: w.duckdb\n")
    load(tmp_path, LINES + "1005,Z,2025-04-05 12:00,2,30000,FSH-4,Fashion\n", unknown_customers="quarantine")
    title = open_period("2025-03", tmp_path).title("stage.segmentation").data
    assert title.startswith("# Customer Segmentation · March 2025")
    assert (
        "**Warning:** at loading, 20.0% of the rows and 22.7% of the money of Transactions were quarantined "
        "(more than 5%)"
    ) in title
    (tmp_path / "params" / "default.yaml").write_text(
        "language: id\nwarehouse: w.duckdb\ningest: {max_quarantine_share: 0.5}\n"
    )
    assert "Perhatian" not in open_period("2025-03", tmp_path).title("stage.analysis").data


SHOPIFY_LIKE = (
    "Name,Email,Financial Status,Created at,Lineitem quantity,Lineitem price,Lineitem sku,Shipping,Refunded Amount\n"
    "#1001,a@x.id,paid,2025-06-02 10:00:00 +0700,2,50000,SKU1,15000,0\n"
    "#1001,,,,1,30000,SKU2,,\n"  # later lines leave the order's fields blank
    "#1002,b@x.id,partially_refunded,2025-06-03 09:00:00 +0700,1,100000,SKU1,10000,40000\n"
    "#1003,c@x.id,voided,2025-06-04 12:00:00 +0700,1,70000,SKU3,0,0\n"
)
SHOPIFY_OPTIONS = dict(
    columns={"transactions": {"Name": "transaction_id", "Email": "customer_id", "Financial Status": "kind",
                              "Created at": "ts", "Lineitem quantity": "quantity", "Lineitem price": "unit_price",
                              "Lineitem sku": "product_id"}},
    values={"transactions": {"kind": {"paid": "sale", "partially_refunded": "sale", "voided": "cancelled"}}},
    order_fields=["ts", "customer_id", "kind"],
    order_charges={"Shipping": "SHIPPING"},
    refunded_amount="Refunded Amount",
)  # fmt: skip


def test_order_fields_charges_refunds_and_cancelled_orders(tmp_path):
    warehouse, report = load(tmp_path, SHOPIFY_LIKE, customers=None, **SHOPIFY_OPTIONS)
    assert report.counts["transactions"] == {"rows": 4, "loaded": 4, "guest": 0, "quarantined": 0}
    assert any("3 lines made from order columns" in note for note in report.notes), report.notes
    orders = warehouse.query("SELECT transaction_id, customer_id, amount, kind FROM orders ORDER BY 1")
    assert orders.values.tolist() == [
        ["#1001", "a@x.id", 2 * 50000 + 30000 + 15000.0, "sale"],  # the shipping once, not once per line
        ["#1002", "b@x.id", 100000 + 10000 - 40000.0, "sale"],  # the partial refund nets out
    ]  # #1003 was voided: never paid, no order
    made = warehouse.query("SELECT transaction_id, product_id, amount, is_product FROM transactions "
                           "WHERE product_id IN ('SHIPPING', 'REFUND') ORDER BY 1, 2")  # fmt: skip
    assert made.values.tolist() == [["#1001", "SHIPPING", 15000.0, False], ["#1002", "REFUND", -40000.0, False],
                                    ["#1002", "SHIPPING", 10000.0, False]]  # fmt: skip
    sales = profile.sales(warehouse, pd.Timestamp("2025-07-01")).set_index("buyer")
    assert (sales.loc["customer", "cancelled"], sales.loc["customer", "cancelled_value"]) == (1, 70000.0)
    assert sales.loc["customer", "revenue"] == 215000.0
