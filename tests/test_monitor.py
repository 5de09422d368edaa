"""Stage 5: every KPI on a tiny world worked out by hand, KPIs without their data, target status boundaries, the
anomaly checks, and campaign lift against the synthetic world's truth (coverage, CUPED, a broken split)."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crmlib.collect import Warehouse, ingest_dir
from crmlib.collect.synthetic import write_sample
from crmlib.collect.synthetic.response import read_truth, true_incremental_conversion, true_incremental_revenue
from crmlib.monitor import KPIS, MonitorOptions, Target, monitoring
from crmlib.monitor.anomalies import check
from crmlib.monitor.campaigns import evaluate, members, sample_ratio_p
from crmlib.monitor.status import status, target_level
from crmlib.monitor.values import kpi_values, missing_data
from crmlib.periods import Period
from crmlib.report.params import Params
from crmlib.report.scorecard import status_text
from crmlib.sql import run_sql
from crmlib.strategy.audiences import reachable
from crmlib.strategy.channels import email_subscribed_sql, unsubscribe_sql
from crmlib.strategy.state import REACH_SQL

FEB = Period.parse("2025-02")

TINY = {
    "customers": """customer_id,signup_date,referred_by,consent_email
c1,2024-01-05,,true
c2,2024-06-01,,true
c3,2025-02-03,c1,false
c4,2025-01-10,,false
c5,2024-02-01,,true
""",
    "campaigns": """campaign_id,name,type,channel,start_date,end_date,control_share
K1,Promo,win_back,email,2025-02-01,2025-02-14,0.1
""",
    "transactions": """transaction_id,customer_id,ts,amount,category,campaign_id,kind
t0,c5,2024-02-20,80,A,,sale
t1,c1,2024-02-15,100,A,,sale
t3,c2,2024-07-01,200,A,,sale
t2,c1,2025-02-05,300,B,K1,sale
t4,c3,2025-02-10,150,A,K1,sale
t5,,2025-02-12,50,A,,sale
t6,c2,2025-02-20,-20,A,,refund
""",
    "events": """event_id,customer_id,ts,event_type,channel,campaign_id,duration_s
e1,c1,2025-02-02 09:00,email_sent,email,K1,
e2,c1,2025-02-02 10:00,email_click,email,K1,
e3,c3,2025-02-09 10:00,email_click,email,K1,
e4,c1,2025-02-05 08:00,web_visit,web,,600
e5,c1,2025-02-05 08:02,product_view,web,,120
e6,c3,2025-02-10 08:00,web_visit,web,,300
e7,c4,2025-02-10 08:00,unsubscribe,email,,
""",
    "feedback": """response_id,customer_id,ts,nps_score,csat
f1,c1,2025-02-06,10,5
f2,c2,2025-02-07,8,4
f3,c3,2025-02-11,3,2
f4,c1,2025-02-20,6,
""",
    "tickets": """ticket_id,customer_id,opened_at,resolved_at,status,cost,channel
k1,c1,2025-02-01 10:00,2025-02-01 20:00,resolved,10000,phone
k2,c1,2025-02-05 10:00,2025-02-07 10:00,resolved,20000,email
k3,c2,2025-02-10 10:00,,open,,email
""",
    "opportunities": """opportunity_id,created_at,stage,customer_id,closed_at,value,proposal_at,kind
o1,2025-01-10,won,c1,2025-02-04,1000000,2025-01-25,renewal
o2,2025-02-02,lead,,,,,new
o3,2025-02-03,lost,,2025-02-20,,2025-02-10,renewal
o4,2025-01-05,proposal,,,,2025-02-01,new
""",
    "calls": """call_id,ts,direction,customer_id,answered,duration_s,handling_s,purpose,outcome,ticket_id,opportunity_id
p1,2025-02-01 10:00,inbound,c1,true,300,420,service,resolved,k1,
p2,2025-02-03 10:00,inbound,c2,false,0,0,service,callback,,
p3,2025-02-04 10:00,outbound,c1,true,600,720,sales,sale,,o1
""",
}

# Worked out by hand from TINY for February 2025 (active window 12 months: the base is who bought from 2024-02-01
# to 2025-01-31, c1, c2 and c5; c1 and c2 bought again from 2024-03-01, c5 did not).
EXPECTED = {
    "revenue": 300 + 150 + 50 - 20, "orders": 3, "average_order_value": 500 / 3, "purchase_frequency": 1.0,
    "repeat_purchase_rate": 0.5, "retention_rate": 2 / 3, "churn_rate": 1 / 3, "nps": -25.0, "csat": 2 / 3,
    "prospects": 2, "customers_retained": 2, "close_rate": 0.5, "renewal_rate": 0.5, "new_customers": 1,
    "sales_from_calls": 1, "sales_opportunities": 1, "new_revenue": 150, "open_opportunities": 2,
    "sales_duration": 10.0, "sales_cycle_length": 25.0, "proposals_sent": 2, "campaigns_run": 1,
    "campaign_responses": 2, "buyers_from_campaigns": 2, "revenue_from_campaigns": 450,
    "new_customers_from_campaigns": 1, "referred_customers": 1, "web_page_views": 3, "time_per_web_visit": 7.5,
    "cross_sell_ratio": 1.0, "up_sell_ratio": 1.0, "email_list_growth": (3 - 4) / 4, "issues_raised": 3,
    "resolved_within_day": 1 / 3, "average_handling_time": (420 + 720) / 2 / 60, "services_per_day": 2 / 28,
    "complaint_resolution_time": (10 + 48) / 2, "customers_contacting_again": 1 / 3,
    "average_cost_per_service": 15000.0, "unanswered_calls": 0.5, "phone_resolution_time": 10.0,
}  # fmt: skip


@pytest.fixture(scope="module")
def tiny(csv_warehouse) -> Warehouse:
    return csv_warehouse(**TINY)


def test_every_kpi_on_a_tiny_world_worked_out_by_hand(tiny):
    values = kpi_values(tiny, [FEB.previous(), FEB]).pivot(index="period", columns="kpi", values="value")
    feb = values.loc[str(FEB)]
    assert set(EXPECTED) | {"customer_lifetime_value"} == set(KPIS)
    for key, expected in EXPECTED.items():
        assert feb[key] == pytest.approx(expected), key
    january = values.loc[str(FEB.previous())]
    assert january["revenue"] == 0 and january["orders"] == 0  # loaded data, nothing sold: a true 0
    assert np.isnan(january["average_order_value"]) and np.isnan(january["nps"])  # nothing to average: no value


def test_a_kpi_without_its_data_says_what_to_load_and_is_never_zero(csv_warehouse, tiny):
    bare = csv_warehouse(customers=TINY["customers"], transactions=TINY["transactions"])
    missing = missing_data(bare)
    assert missing["unanswered_calls"] == "calls.answered" and missing["nps"] == "feedback"
    assert missing["customer_lifetime_value"] == "customer_value"  # a stage result: stage 3 has not run
    assert "revenue" not in missing
    values = kpi_values(bare, [FEB])
    assert "unanswered_calls" not in set(values["kpi"]) and "revenue" in set(values["kpi"])
    card = monitoring(bare, FEB).scorecard.set_index("kpi")
    assert np.isnan(card.loc["unanswered_calls", "value"]) and pd.isna(card.loc["unanswered_calls", "status"])
    ctx = _Words()
    assert status_text(ctx, card.loc[["unanswered_calls"]].reset_index().iloc[0]) == "no data: load calls.answered"
    assert missing_data(tiny).keys() == {"customer_lifetime_value"}


class _Words:
    """The bits of a report context that `status_text` uses, in English."""

    def t(self, key, **values):
        from crmlib.catalogue import t

        return t(key, "en", **values)


@pytest.mark.parametrize(
    ("value", "level", "better", "expected"),
    [
        (100.0, 100.0, "up", "on_track"), (95.0, 100.0, "up", "at_risk"), (94.9, 100.0, "up", "off_track"),
        (0.05, 0.05, "down", "on_track"), (0.0525, 0.05, "down", "at_risk"), (0.06, 0.05, "down", "off_track"),
        (-10.0, -8.0, "up", "off_track"), (float("nan"), 1.0, "up", None), (1.0, float("nan"), "up", None),
    ],
)  # fmt: skip
def test_target_status_boundaries(value, level, better, expected):
    assert status(value, level, better, at_risk=0.05) == expected


def test_target_levels_against_the_previous_period_and_last_year():
    assert target_level(Target(value=30), 1.0, 2.0) == 30
    assert target_level(Target(change=0.1, against="previous"), 200.0, 100.0) == pytest.approx(220)
    assert target_level(Target(change=-0.2, against="last_year"), 200.0, 100.0) == pytest.approx(80)
    assert np.isnan(target_level(Target(change=0.1, against="last_year"), 200.0, float("nan")))
    with pytest.raises(ValueError, match="exactly one"):
        Target(value=1, change=0.1)
    with pytest.raises(ValueError, match="did you mean 'revenue'"):
        MonitorOptions(targets={"revenu": Target(value=1)})
    with pytest.raises(ValueError, match="not a KPI"):
        Params.model_validate({"monitor": {"headline": ["profit"]}})


def test_anomalies_are_judged_on_the_periods_before_only():
    rng = np.random.default_rng(1)
    months = np.arange(48)
    seasonal = 100 + 2 * months + 30 * np.sin(2 * np.pi * months / 12) + rng.normal(0, 2, 48)
    past = pd.Series(seasonal[:-1])
    usual, december_like = seasonal[-1], seasonal[-1] + 40
    assert check(past, usual).method == "seasonal" and not check(past, usual).anomaly
    assert check(past, december_like).anomaly
    # a control chart for a short history; a big seasonal swing is no anomaly once the decomposition knows it
    assert check(past[-20:], usual).method == "control_chart"
    assert not check(past, 100 + 2 * 47 + 30 * np.sin(2 * np.pi * 47 / 12)).anomaly
    assert check(pd.Series([0.5] * 10), 0.9, bounds=(0, 1)).high <= 1


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """The default sample (2000 customers, 24 months) with its truth."""
    folder = tmp_path_factory.mktemp("monitor")
    write_sample(folder / "raw", customers=2000, months=24, seed=42, end="2025-06", truth_dir=folder / "truth")
    warehouse = Warehouse(folder / "w.duckdb")
    ingest_dir(folder / "raw", warehouse)
    return warehouse, *read_truth(folder / "truth")


def test_campaign_lift_intervals_cover_the_world_s_true_effect(world):
    """On every campaign with enough controls, the 95% intervals of the extra ordering and extra revenue per
    recipient cover the truth for at least 90% of campaigns, and CUPED narrows the revenue intervals."""
    warehouse, truth, activity = world
    campaigns = warehouse.query("SELECT * FROM campaigns ORDER BY start_date")
    results = evaluate(warehouse, campaigns).set_index("campaign_id")
    people = members(warehouse, campaigns["campaign_id"])
    rows = []
    for c in campaigns.itertuples():
        group = people[people["campaign_id"] == c.campaign_id].assign(campaign=c.type, channel=c.channel)
        r = results.loc[c.campaign_id]
        if np.isnan(r["revenue_low"]):
            assert (~group["treated"]).sum() < 10
            continue
        days = (pd.Timestamp(c.end_date) - pd.Timestamp(c.start_date)).days + 1
        revenue = true_incremental_revenue(truth, group, c.start_date, days, activity).mean()
        conversion = true_incremental_conversion(truth, group, c.start_date, days, activity).mean()
        rows.append((r["revenue_low"] <= revenue <= r["revenue_high"], r["lift_low"] <= conversion <= r["lift_high"],
                     r["revenue_high"] - r["revenue_low"], r["raw_revenue_high"] - r["raw_revenue_low"]))  # fmt: skip
    found = pd.DataFrame(rows, columns=["revenue", "conversion", "cuped", "raw"])
    assert len(found) >= 20
    assert found["revenue"].mean() >= 0.9 and found["conversion"].mean() >= 0.9, found.mean()
    assert (found["cuped"] / found["raw"]).median() < 0.99 and found["cuped"].sum() < found["raw"].sum()
    assert not results["srm"].any()  # the world splits as planned


def test_a_broken_control_split_is_flagged(world):
    warehouse, _, _ = world
    campaigns = warehouse.query("SELECT * FROM campaigns ORDER BY start_date")
    claimed = campaigns.assign(control_share=0.5)  # the plan said half; the world held out about a tenth
    results = evaluate(warehouse, claimed)
    big = results["recipients"] + results["controls"] >= 100
    assert big.sum() >= 5 and results.loc[big, "srm"].all()
    assert sample_ratio_p(900, 100, 0.1) > 0.5 and sample_ratio_p(950, 50, 0.1) < 0.001
    assert np.isnan(sample_ratio_p(100, 0, 0.0))


def test_the_period_s_scorecard_and_its_stored_results(world):
    warehouse, _, _ = world
    stage = monitoring(warehouse, Period.parse("2025-06"))
    card = stage.scorecard.set_index("kpi")
    assert list(card.index) == list(KPIS)
    assert card.loc["revenue", "value"] > 0 and card.loc["revenue", "check"] == "control_chart"
    assert card.loc["revenue", "value"] == pytest.approx(
        warehouse.query("SELECT sum(amount) AS s FROM orders WHERE ts >= '2025-06-01' AND ts < '2025-07-01'")["s"][0]
    )
    assert set(stage.trend()["period"]) == {str(p) for p in pd.period_range("2024-06", "2025-06", freq="M")}
    stage.store(warehouse)
    again = type(stage).load(warehouse, stage.period)
    assert again.scorecard["value"].equals(stage.scorecard["value"]) and len(again.campaigns) == len(stage.campaigns)


def test_the_readme_s_kpi_table_is_the_generated_one():
    from pathlib import Path

    from crmlib.monitor.reference import END, START, reference_table

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    assert readme.split(START)[1].split(END)[0].strip() == reference_table("en")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["true", "false", ""]),  # the customers file's consent (empty: not known)
            st.lists(st.tuples(st.sampled_from(["email", "whatsapp", ""]), st.integers(-200, 27)), max_size=3),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_the_email_kpi_and_the_lists_count_the_same_subscribers(csv_warehouse, people):
    """For any consents and unsubscribes (on e-mail, another channel or none; duplicates included) before the
    period's end, the customers the e-mail list growth KPI counts as subscribers at the end are exactly those the
    lists may e-mail."""
    customers = "customer_id,signup_date,email,consent_email\n" + "".join(
        f"c{i},2024-01-01,c{i}@example.com,{consent}\n" for i, (consent, _) in enumerate(people)
    )
    events = "event_id,customer_id,ts,event_type,channel\n" + "".join(
        f"e{i}_{k},c{i},{(pd.Timestamp('2025-02-01') + pd.Timedelta(days=day)):%Y-%m-%d},unsubscribe,{channel}\n"
        for i, (_, unsubscribes) in enumerate(people)
        for k, (channel, day) in enumerate(unsubscribes)
    )
    warehouse = csv_warehouse(customers=customers, events=events)
    sql = f"""SELECT c.customer_id FROM customers c
      LEFT JOIN (SELECT customer_id, min(ts) AS first_ts FROM events WHERE {unsubscribe_sql("email")} GROUP BY 1) u
      USING (customer_id) WHERE c.signup_date < $until AND {email_subscribed_sql("$until")}"""
    counted = set(run_sql(warehouse, sql, FEB.last_day)["customer_id"])
    state = warehouse.query("SELECT customer_id, coalesce(consent_email, false) AS consent_email FROM customers")
    state = state.set_index("customer_id").join(run_sql(warehouse, REACH_SQL, FEB.last_day).set_index("customer_id"))
    state = state.assign(has_email=True, unsubscribed_email=state["unsubscribed_email"].fillna(False).astype(bool))
    listed = set(state.index[reachable(state, "email")])
    assert counted == listed
