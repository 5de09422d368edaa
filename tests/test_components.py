"""Customer value components: a referral chain whose values are known by hand, the options, and a sample."""

import pandas as pd
import pytest
from pydantic import ValidationError

from crmlib.analyze.components import COMPONENTS, ComponentOptions, referral_value, value_components

END = "2025-06-30"

# The chain A -> B -> C (B referred by A, C by B); A also referred E (no lifetime value) and D, who signs up
# after the end.
CUSTOMERS = """customer_id,signup_date,referred_by
A,2024-01-01,
B,2024-02-01,A
C,2024-03-01,B
D,2025-07-02,A
E,2024-04-01,A
"""
# A: day one 100; day two 60 with a 10 refund the same day (net 50); a refund-only day. B: one day.
TRANSACTIONS = """transaction_id,customer_id,ts,amount,kind
t1,A,2025-01-01 10:00,100,sale
t2,A,2025-02-01 10:00,60,sale
t3,A,2025-02-01 16:00,-10,refund
t4,A,2025-03-01 10:00,-20,refund
t5,B,2025-03-01 10:00,80,sale
t6,B,2025-07-01 10:00,80,sale
"""
FEEDBACK = """response_id,customer_id,ts,nps_score
r1,A,2025-01-10 10:00,9
r2,A,2025-04-10 10:00,8
r3,B,2025-03-10 10:00,6
r4,C,2025-07-10 10:00,10
"""
TICKETS = """ticket_id,customer_id,opened_at
k1,B,2025-03-05 10:00
k2,C,2025-07-03 10:00
"""
CLV = pd.Series({"A": 100.0, "B": 40.0, "C": 10.0, "D": 1000.0})


@pytest.fixture(scope="module")
def toy(csv_warehouse):
    return csv_warehouse(customers=CUSTOMERS, transactions=TRANSACTIONS, feedback=FEEDBACK, tickets=TICKETS)


def test_the_referral_chain(toy):
    options = ComponentOptions(value_per_ticket=10_000.0)
    frame = value_components(CLV, toy, END, options)
    assert list(frame.columns) == [*COMPONENTS, "total"]
    assert frame.to_dict("index") == {
        # A: half of B's 40 (D signed up after the end, E has no lifetime value); repeat day net 50; 2 responses
        "A": {
            "lifetime_value": 100.0,
            "referral_value": 20.0,
            "loyalty_value": 50.0,
            "feedback_value": 50_000.0,
            "total": 50_170.0,
        },
        # B: half of C's 10; one purchase day by the end; one response and one ticket
        "B": {
            "lifetime_value": 40.0,
            "referral_value": 5.0,
            "loyalty_value": 0.0,
            "feedback_value": 35_000.0,
            "total": 35_045.0,
        },
        "C": {
            "lifetime_value": 10.0,
            "referral_value": 0.0,
            "loyalty_value": 0.0,
            "feedback_value": 0.0,
            "total": 10.0,
        },
        "D": {
            "lifetime_value": 1000.0,
            "referral_value": 0.0,
            "loyalty_value": 0.0,
            "feedback_value": 0.0,
            "total": 1000.0,
        },
    }


def test_the_referral_share_scales_referral_value_only(toy):
    full = value_components(CLV, toy, END, ComponentOptions(referral_share=1.0))
    none = value_components(CLV, toy, END, ComponentOptions(referral_share=0.0))
    assert full["referral_value"].to_dict() == {"A": 40.0, "B": 10.0, "C": 0.0, "D": 0.0}
    assert (none["referral_value"] == 0).all()
    pd.testing.assert_series_equal(full["loyalty_value"], none["loyalty_value"])


def test_referral_value_counts_direct_referrals_only():
    referred_by = pd.Series({"b": "a", "c": "b", "d": "b", "e": "x"})
    clv = pd.Series({"a": 1.0, "b": 2.0, "c": 4.0, "d": 8.0})
    assert referral_value(clv, referred_by, share=0.25).to_dict() == {"a": 0.5, "b": 3.0, "c": 0.0, "d": 0.0}


@pytest.mark.parametrize(
    "bad",
    [{"referral_share": 1.5}, {"value_per_response": -1.0}, {"referal_share": 0.5}, {"value_per_response": "25000"}],
)
def test_options_reject_bad_values_and_unknown_keys(bad):
    with pytest.raises(ValidationError):
        ComponentOptions.model_validate(bad)


def test_a_missing_lifetime_value_is_an_error(toy):
    with pytest.raises(ValueError, match="lifetime value"):
        value_components(pd.Series({"A": 1.0, "B": float("nan")}), toy, END)


def test_sample_totals_add_up_and_referral_value_is_conserved(sample_warehouse):
    warehouse = sample_warehouse(customers=400, months=12, seed=9)
    customers = warehouse.table("customers")
    clv = pd.Series(range(len(customers)), index=customers["customer_id"], dtype=float)
    frame = value_components(clv, warehouse, "2025-06")
    pd.testing.assert_series_equal(frame["total"], frame[list(COMPONENTS)].sum(axis=1), check_names=False)
    referred = customers.dropna(subset=["referred_by"])
    assert len(referred) > 0
    assert frame["referral_value"].sum() == pytest.approx(0.5 * clv[referred["customer_id"]].sum())
    responses = len(warehouse.table("feedback", until=pd.Timestamp("2025-07-01")))
    assert frame["feedback_value"].sum() == 25_000 * responses
