"""Loyalty indicators on a hand-made warehouse where every figure is known, and on the synthetic sample."""

import pandas as pd
import pytest

from crmlib.analyze.loyalty import loyalty_indicators, per_customer_loyalty, summarise_loyalty
from crmlib.errors import ParamsError
from crmlib.periods import Period, end_day

END = "2025-06-30"

# A refers B and C, B refers D; E (referred by A) signs up after the end. F buys only after the end.
CUSTOMERS = """customer_id,signup_date,referred_by
A,2024-01-01,
B,2024-02-01,A
C,2024-03-01,A
D,2024-04-01,B
E,2025-07-01,A
F,2024-05-01,
"""
# A: one day with two categories, a second day (50), then a refund-only day whose row has no kind.
# B: one day. C: three days, two categories. F: after the end.
TRANSACTIONS = """transaction_id,customer_id,ts,amount,category,kind
t1,A,2025-01-01 09:00,100,Fashion,sale
t2,A,2025-01-01 15:00,200,Elektronik,sale
t3,A,2025-02-01 10:00,50,Fashion,sale
t4,A,2025-02-10 10:00,-50,Fashion,
t5,B,2025-03-01 10:00,80,Fashion,sale
t6,C,2025-03-05 10:00,40,Kecantikan,sale
t7,C,2025-04-05 10:00,60,Kecantikan,sale
t8,C,2025-05-05 10:00,30,Olahraga,sale
t9,F,2025-07-02 10:00,500,Fashion,sale
"""


@pytest.fixture(scope="module")
def toy(csv_warehouse):
    return csv_warehouse(customers=CUSTOMERS, transactions=TRANSACTIONS)


def test_per_customer_figures(toy):
    table = per_customer_loyalty(toy, END)
    assert table.index.tolist() == ["A", "B", "C", "D", "F"]
    assert table["purchase_days"].to_dict() == {"A": 2, "B": 1, "C": 3, "D": 0, "F": 0}
    assert table["categories"].to_dict() == {"A": 2, "B": 1, "C": 2, "D": 0, "F": 0}
    assert table["referrals"].to_dict() == {"A": 2, "B": 1, "C": 0, "D": 0, "F": 0}
    assert table["revenue"].to_dict() == {"A": 300.0, "B": 80.0, "C": 130.0, "D": 0.0, "F": 0.0}
    assert table["repeat_revenue"].to_dict() == {"A": 50.0, "B": 0.0, "C": 90.0, "D": 0.0, "F": 0.0}
    assert table.loc["A", "tenure_days"] == 546
    assert table.loc["C", "last_purchase"] == pd.Timestamp("2025-05-05") and pd.isna(table.loc["D", "last_purchase"])


def test_indicators(toy):
    indicators = loyalty_indicators(toy, END)
    assert indicators.to_dict() == pytest.approx(
        {
            "customers": 5,
            "buyers": 3,
            "repeat_purchase_rate": 2 / 3,
            "mean_purchase_days": 2.0,
            "cross_category_rate": 2 / 3,
            "mean_categories": 5 / 3,
            "referrers": 2,
            "referred_customers": 3,
            "referred_share": 3 / 5,
        }
    )


def test_an_end_before_everything_gives_no_buyers(toy):
    indicators = loyalty_indicators(toy, "2023-12-31")
    assert indicators["customers"] == 0 and indicators["buyers"] == 0
    assert pd.isna(indicators["repeat_purchase_rate"]) and pd.isna(indicators["referred_share"])


def test_end_day_reads_days_and_periods():
    assert end_day("2025-06") == end_day(Period.parse("2025-06")) == pd.Timestamp("2025-06-30")
    assert end_day("2025-Q1") == pd.Timestamp("2025-03-31")
    assert end_day(pd.Timestamp("2025-06-15 18:30")) == pd.Timestamp("2025-06-15")
    with pytest.raises(ParamsError, match="not a day"):
        end_day("last month")


def test_sample_indicators_are_consistent(sample_warehouse):
    warehouse = sample_warehouse(customers=300, months=12, seed=5)
    table = per_customer_loyalty(warehouse, "2025-06")
    indicators = summarise_loyalty(table)
    assert indicators["customers"] == 300
    assert 0 < indicators["repeat_purchase_rate"] < 1 and 0 < indicators["cross_category_rate"] < 1
    assert indicators["mean_categories"] >= 1 and indicators["mean_purchase_days"] >= 1
    assert table["referrals"].sum() == indicators["referred_customers"]  # every referrer is a known customer
    buyers = table[table["purchase_days"] > 0]
    assert (buyers["categories"] >= 1).all() and (buyers["categories"] <= 8).all()
    assert (table.loc[table["purchase_days"] <= 1, "repeat_revenue"] == 0).all()
