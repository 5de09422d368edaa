"""Drivers of NPS and spend: features measured by hand, a known linear world, and the synthetic sample's planted
effects (tickets, slow tickets and refunds lower the score, purchases raise it)."""

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from crmlib.analyze.drivers import (
    DriverOptions,
    Feature,
    Outcome,
    fit_drivers,
    nps_drivers,
    nps_features,
    spend_drivers,
)
from crmlib.errors import ModelError

COLUMNS = ["feature", "coefficient", "ci_low", "ci_high", "p_value", "effect", "term"]

# A answers twice (the later answer counts): a slow first reply (30 h) in the window, an older ticket outside
# it, two purchase days (3 sales: mean 200) and a refund before answering, a sale after it.
# B: one ticket fixed in 25 h, one still open 4 days later when B answers, one after the answer.
# C answers only after the end; D answers without ever buying.
CUSTOMERS = """customer_id,signup_date,acquisition_channel
A,2024-06-10,organic
B,2024-01-01,referral
C,2024-01-01,organic
D,2024-01-01,
"""
FEEDBACK = """response_id,customer_id,ts,nps_score
r1,A,2025-05-01 10:00,5
r2,A,2025-06-10 00:00,3
r3,B,2025-06-01 10:00,9
r4,C,2025-07-05 10:00,10
r5,D,2025-06-01 10:00,7
"""
TICKETS = """ticket_id,customer_id,opened_at,first_response_at,resolved_at
k1,A,2025-03-01 10:00,2025-03-02 16:00,2025-03-02 17:00
k2,A,2024-12-01 10:00,2024-12-01 11:00,2024-12-01 12:00
k3,B,2025-05-20 08:00,2025-05-20 09:00,2025-05-21 09:00
k4,B,2025-05-28 10:00,2025-05-28 10:30,
k5,B,2025-06-05 10:00,2025-06-05 10:30,2025-06-05 11:00
"""
TRANSACTIONS = """transaction_id,customer_id,ts,amount,kind
t1,A,2025-01-01 09:00,100,sale
t2,A,2025-01-01 15:00,300,sale
t3,A,2025-04-01 10:00,200,sale
t4,A,2025-04-05 10:00,-200,refund
t5,A,2025-06-20 10:00,999,sale
t6,B,2025-05-01 10:00,100,sale
"""


@pytest.fixture(scope="module")
def toy(csv_warehouse):
    return csv_warehouse(customers=CUSTOMERS, feedback=FEEDBACK, tickets=TICKETS, transactions=TRANSACTIONS)


@pytest.fixture(scope="module")
def sample(sample_warehouse):
    """1,000 customers over two years: about 440 respondents, enough for the planted ticket effect at p < 0.01
    (it held for every one of ten seeds tried)."""
    return sample_warehouse(customers=1000, months=24, seed=7)


def test_nps_features_are_measured_at_the_answer(toy):
    features = nps_features(toy, "2025-06-30")
    assert features.index.tolist() == ["A", "B", "D"]
    a, b = features.loc["A"], features.loc["B"]
    assert a["nps_score"] == 3 and b["nps_score"] == 9
    assert (a["tickets"], a["slow_ticket"], a["refunds"], a["purchase_days"]) == (1, 1, 1, 2)
    assert a["log_order_value"] == pytest.approx(np.log(200))
    assert a["tenure_years"] == pytest.approx(365 / 365.25)
    assert (b["tickets"], b["slow_ticket"], b["refunds"], b["purchase_days"]) == (2, 1, 0, 1)
    assert pd.isna(features.loc["D", "log_order_value"]) and pd.isna(features.loc["D", "acquisition_channel"])


def test_slow_thresholds_and_window_are_options(toy):
    relaxed = nps_features(toy, "2025-06-30", DriverOptions(slow_first_response_hours=48, slow_resolution_hours=120))
    assert relaxed["slow_ticket"].tolist() == [0, 0, 0]
    short = nps_features(toy, "2025-06-30", DriverOptions(window_days=30))
    assert short.loc["A", "tickets"] == 0 and short.loc["A", "refunds"] == 0 and short.loc["B", "tickets"] == 2


def test_too_few_respondents_is_a_clear_error(toy, sample):
    with pytest.raises(ModelError, match="too few NPS respondents .* 2, .* at least 30"):
        nps_drivers(toy, "2025-06-30")
    with pytest.raises(ModelError, match="too few buyers"):
        spend_drivers(sample, "2023-07-03")


def test_fit_recovers_a_known_linear_world_and_drops_constant_features():
    rng = np.random.default_rng(0)
    n = 400
    data = pd.DataFrame(
        {
            "x": rng.normal(size=n),
            "flag": rng.random(n) < 0.3,
            "constant": 1.0,
            "rare": np.r_[np.ones(3), np.zeros(n - 3)],
            "channel": rng.choice(["web", "store", "tiny"], n, p=[0.6, 0.39, 0.01]),
        }
    )
    data["y"] = 1.0 + 0.5 * data["x"] - 2.0 * data["flag"] + 0.8 * (data["channel"] == "store")
    data["y"] += rng.normal(0, 0.1, n)
    features = {
        "x": Feature("sessions"),
        "flag": Feature("no_emails"),
        "constant": Feature("categories"),
        "rare": Feature("purchase_days"),
    }
    result = fit_drivers(data, Outcome("y", "driver.points"), features, ["channel"], DriverOptions())
    table = result.table.set_index("term")
    # "tiny" (a handful of rows) is merged into "other", which is then too rare to keep
    assert (data["channel"] == "tiny").sum() < DriverOptions().min_count
    assert result.dropped == {
        "constant": "too little variance",
        "rare": "too little variance",
        "channel=other": "too little variance",
    }
    assert set(table.index) == {"x", "flag", "channel=store"}
    assert table.loc["x", "coefficient"] == pytest.approx(0.5, abs=0.03)
    assert table.loc["flag", "coefficient"] == pytest.approx(-2.0, abs=0.05)
    assert table.loc["channel=store", "coefficient"] == pytest.approx(0.8, abs=0.05)
    assert table.loc["channel=store", "feature"] == "channel: store"
    assert table.loc["channel=store", "effect"].endswith("points vs web")
    assert result.n == n and result.r_squared > 0.95
    assert result.fit.cov_type == "HC3"


def test_effects_read_in_points_or_percent():
    tickets, tenure = Feature("tickets", {"window": 120}), Feature("tenure_years")
    assert Outcome("nps_score", "driver.points").effect(0.8, tickets) == "+0.80 points per extra ticket"
    assert Outcome("nps_score", "driver.points").effect(0.8, tickets, "id") == "+0,80 poin per tiket tambahan"
    assert (
        Outcome("log_revenue", "driver.spend", logged=True).effect(np.log(0.9), tenure)
        == "-10.0% spend per extra year as a customer"
    )
    assert tickets.label("id") == "Tiket dalam 120 hari sebelum menjawab"


def test_options_reject_unknown_keys():
    with pytest.raises(ValidationError):
        DriverOptions.model_validate({"window": 90})


def test_nps_drivers_find_the_planted_effects(sample):
    result = nps_drivers(sample, "2025-06")
    table = result.table.set_index("term")
    assert list(result.table.columns) == COLUMNS
    assert table.loc["tickets", "coefficient"] < 0 and table.loc["tickets", "p_value"] < 0.01
    assert table.loc["tickets", "ci_high"] < 0
    assert table.loc["slow_ticket", "coefficient"] < 0 and table.loc["refunds", "coefficient"] < 0
    assert table.loc["purchase_days", "coefficient"] > 0 and table.loc["purchase_days", "p_value"] < 0.05
    assert table.loc["tickets", "effect"].startswith("-")
    assert table.loc["tickets", "effect"].endswith("points per extra ticket")
    assert 300 < result.n < 1000 and 0 < result.r_squared < 1
    assert "const" not in table.index


def test_tables_are_sorted_by_t_and_intervals_hold_the_estimate(sample):
    for result in (nps_drivers(sample, "2025-06"), spend_drivers(sample, "2025-06")):
        t = (result.fit.params / result.fit.bse).drop("const")
        assert np.abs(t[result.table["term"]]).is_monotonic_decreasing
        told = result.table["effect"].str.extract(r"^([+-][\d.]+)")[0].astype(float)  # the effect, in its unit
        assert (result.table["ci_low"] <= told + 0.01).all() and (told - 0.01 <= result.table["ci_high"]).all()
        assert result.table["p_value"].between(0, 1).all()


def test_spend_drivers_on_the_sample(sample):
    result = spend_drivers(sample, "2025-06")
    table = result.table.set_index("term")
    assert table.loc["categories", "coefficient"] > 0 and table.loc["categories", "p_value"] < 0.01
    assert table.loc["categories", "effect"].endswith("% spend per extra category")
    assert result.n > 500


def test_region_is_optional(sample):
    terms = nps_drivers(sample, "2025-06", DriverOptions(include_region=True)).table["term"]
    assert terms.str.startswith("region=").any()
    assert not nps_drivers(sample, "2025-06").table["term"].str.startswith("region=").any()


def test_the_table_reads_in_indonesian_too(sample):
    english = nps_drivers(sample, "2025-06")
    indonesian = nps_drivers(sample, "2025-06", language="id")
    assert indonesian.table["coefficient"].tolist() == english.table["coefficient"].tolist()
    tickets = indonesian.table.set_index("term").loc["tickets"]
    assert tickets["feature"].startswith("Tiket dalam") and "poin per tiket tambahan" in tickets["effect"]


def test_the_interval_is_in_the_unit_of_the_effect(sample):
    table = spend_drivers(sample, "2025-06").table.set_index("term")
    row = table.loc["email_open_rate"]  # told "per 10 points more e-mails opened", in percent of spend
    told = float(row["effect"].split("%")[0])
    assert row["ci_low"] <= told <= row["ci_high"]
    assert row["ci_low"] == pytest.approx(
        100 * np.expm1(spend_drivers(sample, "2025-06").fit.conf_int().loc["email_open_rate", 0] * 0.1)
    )
