"""The journey funnel: a hand-made warehouse where every stage count is known, and properties on a sample."""

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmlib.analyze.journey import STAGES, customer_journey, funnel_table, journey_funnel
from crmlib.errors import ParamsError

END = "2025-06-30"  # churn_days 180: lapsed when the last purchase day is on or before 2025-01-01

CUSTOMERS = """customer_id,signup_date
A,2024-05-01
B,2024-05-02
C,2024-05-03
D,2024-05-04
E,2024-05-05
F,2024-05-06
G,2024-05-07
H,2024-05-08
I,2025-07-05
K,2025-07-10
"""
EVENTS = """event_id,customer_id,ts,event_type
e1,B,2025-01-10 10:00,web_visit
e2,C,2025-02-10 10:00,web_visit
e3,C,2025-02-10 10:01,product_view
e4,D,2025-02-28 10:00,add_to_cart
e5,K,2025-06-20 10:00,product_view
e6,A,2025-07-01 09:00,product_view
"""
TRANSACTIONS = """transaction_id,customer_id,ts,amount,kind
t1,D,2025-03-01 10:00,100,sale
t2,E,2025-02-01 10:00,100,sale
t3,E,2025-04-01 10:00,100,sale
t4,F,2024-10-01 10:00,100,sale
t5,F,2024-11-01 10:00,100,sale
t6,F,2024-12-01 10:00,100,sale
t7,F,2024-12-01 18:00,100,sale
t8,F,2025-01-01 10:00,100,sale
t9,G,2025-05-01 10:00,100,sale
t10,G,2025-05-01 12:00,100,sale
t11,G,2025-06-01 10:00,100,sale
t12,G,2025-06-30 22:00,100,sale
t13,H,2024-06-01 10:00,100,sale
t14,H,2025-05-01 10:00,-100,refund
t15,I,2025-07-06 10:00,100,sale
t16,D,2025-07-02 10:00,100,sale
"""


@pytest.fixture(scope="module")
def toy(csv_warehouse):
    return csv_warehouse(customers=CUSTOMERS, events=EVENTS, transactions=TRANSACTIONS)


@pytest.fixture(scope="module")
def sample(sample_warehouse):
    return sample_warehouse(customers=400, months=18, seed=3)


def counts(funnel: pd.DataFrame) -> dict:
    return dict(zip(funnel["stage"], funnel["customers"]))


def test_stage_counts_on_the_hand_made_journey(toy):
    funnel = journey_funnel(toy, END)
    # aware: A-H and K (events before signup count); consideration: C, K by views, D-H by buying (E bought
    # offline); conversion D-H; repeat E, F, G; loyal F (4 days; G has 3 days from 4 sales); churned F (last day
    # exactly 180 days before the end) and H (a refund-only day is no purchase)
    assert counts(funnel) == {
        "awareness": 9,
        "consideration": 7,
        "conversion": 5,
        "repeat": 3,
        "loyal": 1,
        "churned": 2,
    }
    row = funnel.set_index("stage")
    assert row.loc["consideration", "rate_from_previous"] == pytest.approx(7 / 9)
    assert row.loc["repeat", "rate_from_awareness"] == pytest.approx(3 / 9)
    assert row.loc["loyal", "drop_off"] == 2
    assert row.loc["churned", "base"] == "conversion"
    assert row.loc["churned", "rate_from_previous"] == pytest.approx(2 / 5)
    assert pd.isna(row.loc["awareness", "rate_from_previous"]) and pd.isna(row.loc["churned", "drop_off"])


def test_parameters_move_the_loyal_and_churned_lines(toy):
    assert counts(journey_funnel(toy, END, loyal_days=3))["loyal"] == 2
    assert counts(journey_funnel(toy, END, churn_days=1))["churned"] == 4  # all but G, who bought on the end day
    assert counts(journey_funnel(toy, END, churn_days=181))["churned"] == 1  # F's last day is then inside


def test_an_earlier_end_sees_less(toy):
    journey = customer_journey(toy, "2024-12-31")
    assert journey.loc["F", "purchase_days"] == 3 and journey.loc["F", "stage"] == "repeat"
    assert "A" in journey.index and "E" in journey.index and "K" not in journey.index


def test_churn_from_p_alive(toy):
    p_alive = pd.Series({"D": 0.1, "E": 0.5, "F": 0.9, "G": 0.2, "H": 0.29, "A": 0.0})
    journey = customer_journey(toy, END, p_alive=p_alive)
    assert sorted(journey.index[journey["churned"]]) == ["D", "G", "H"]  # A never bought: not churned
    assert counts(journey_funnel(toy, END, p_alive=p_alive, p_alive_threshold=0.6))["churned"] == 4
    with pytest.raises(ValueError, match="p_alive lacks 1 customers"):
        customer_journey(toy, END, p_alive=p_alive.drop("E"))


@pytest.mark.parametrize(
    "kwargs", [{"loyal_days": 1}, {"churn_days": 0}, {"loyal_days": 2.5}, {"p_alive_threshold": 1.0}]
)
def test_bad_parameters_are_params_errors(toy, kwargs):
    with pytest.raises(ParamsError, match="journey"):
        journey_funnel(toy, END, **kwargs)


@given(st.lists(st.tuples(st.sampled_from(STAGES), st.booleans()), max_size=40))
def test_funnel_counts_never_rise_along_the_stages(rows):
    journey = pd.DataFrame(
        {
            "stage": pd.Categorical([s for s, _ in rows], categories=STAGES, ordered=True),
            "churned": [c for _, c in rows],
        }
    )
    funnel = funnel_table(journey)
    stages = funnel["customers"].iloc[: len(STAGES)]
    assert stages.is_monotonic_decreasing
    assert stages.iloc[0] == len(rows)
    assert (funnel["drop_off"].iloc[1 : len(STAGES)] >= 0).all()


@pytest.mark.parametrize("end", ["2024-03-31", "2024-12-31", "2025-06-30"])
def test_sample_funnel_nests(sample, end):
    journey = customer_journey(sample, end)
    funnel = journey_funnel(sample, end).set_index("stage")["customers"]
    assert funnel[list(STAGES)].is_monotonic_decreasing
    assert funnel["churned"] <= funnel["conversion"]
    assert funnel["conversion"] == (journey["purchase_days"] > 0).sum()
    assert not journey.loc[journey["purchase_days"] == 0, "churned"].any()
    assert ((journey["stage"] >= "repeat") == (journey["purchase_days"] >= 2)).all()
