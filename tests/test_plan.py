"""The plan's rules on hand-made customer states: triggers, priority, channels by consent and engagement, caps and
cool-downs, the budget, the what-if levers and the strategy parameters' checks."""

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from crmlib.analyze.purchases import PurchaseModel
from crmlib.errors import ParamsError
from crmlib.periods import Period
from crmlib.report.params import Params
from crmlib.strategy import Rule, StrategyOptions
from crmlib.strategy.audiences import choose_channel, eligible
from crmlib.strategy.goals import Forecast, what_if
from crmlib.strategy.nextbest import CoPurchases
from crmlib.strategy.options import Goal
from crmlib.strategy.plan import make_plan

END = Period.parse("2025-06")
NOW = END.end


def customer(**values) -> dict:
    """A customer state with nothing going on: no orders, no consent, no triggers."""
    base = dict(
        orders=0, days_since_signup=400.0, days_since_order=np.nan, abandoned_cart_at=pd.NaT, last_nps=np.nan,
        last_nps_at=pd.NaT, open_ticket_at=pd.NaT, birthday_next=False, p_alive_change=np.nan,
        recommended_category=None, favourite_category=None, segment=None, tier="rest", churn_risk=None,
        consent_email=False, consent_whatsapp=False, has_email=True, has_phone=True, app=False,
        unsubscribed_email=False, unsubscribed_phone=False, unsubscribed_push=False, lifetime_value=np.nan,
        expected_spend=np.nan, purchases_next=np.nan, p_alive=np.nan,
        **{f"{what}_{c}": 0 for c in ("email", "whatsapp", "push", "sms") for what in ("sent", "opened", "clicked")},
    )  # fmt: skip
    return {**base, **values}


def state(**customers) -> pd.DataFrame:
    return pd.DataFrame.from_dict({k: customer(**v) for k, v in customers.items()}, orient="index")


NO_CONTACTS = pd.DataFrame(columns=["customer_id", "campaign", "campaign_id", "contacted_at"])


def test_triggers_read_the_lifecycle():
    s = state(
        new=dict(days_since_signup=10.0),
        cart=dict(orders=2, abandoned_cart_at=NOW - pd.Timedelta(days=3)),
        old_cart=dict(orders=2, abandoned_cart_at=NOW - pd.Timedelta(days=40)),
        detractor=dict(orders=1, last_nps=4.0, last_nps_at=NOW - pd.Timedelta(days=20)),
        ticket=dict(orders=1, open_ticket_at=NOW - pd.Timedelta(days=200)),
        promoter=dict(orders=3, last_nps=10.0, last_nps_at=NOW - pd.Timedelta(days=5)),
        born=dict(birthday_next=True),
    )
    options = StrategyOptions()
    picked = {r.campaign: set(s.index[eligible(s, r, NOW)]) for r in options.playbook}
    assert picked["welcome"] == {"new"}
    assert picked["cart_abandonment"] == {"cart"}
    assert picked["detractor_recovery"] == {"detractor", "ticket"}
    assert picked["referral_ask"] == {"promoter"}
    assert picked["birthday"] == {"born"}


def test_rule_filters_narrow_by_segment_tier_and_risk():
    s = state(a=dict(orders=3, segment="champions", tier="top", churn_risk="low"),
              b=dict(orders=3, segment="lost", tier="top", churn_risk="low"))  # fmt: skip
    rule = Rule(campaign="loyalty_vip", priority=1, channels=["email"], segments=["champions"], tiers=["top"])
    assert list(s.index[eligible(s, rule, NOW)]) == ["a"]


def test_channel_by_consent_then_engagement():
    s = state(
        email_only=dict(consent_email=True),
        both=dict(consent_email=True, consent_whatsapp=True),
        ignores_email=dict(consent_email=True, consent_whatsapp=True, sent_email=5),
        unsubscribed=dict(consent_email=True, unsubscribed_email=True),
        bad_phone=dict(consent_whatsapp=True, has_phone=False),
        app=dict(app=True),
    )
    chosen = choose_channel(s, ["email", "whatsapp", "push"])
    assert chosen.fillna("none").to_dict() == {"email_only": "email", "both": "email", "ignores_email": "whatsapp",
                                               "unsubscribed": "none", "bad_phone": "none", "app": "push"}  # fmt: skip


def test_one_campaign_per_customer_by_priority_and_cool_downs_across_periods():
    s = state(
        both=dict(orders=1, last_nps=3.0, last_nps_at=NOW - pd.Timedelta(days=5), birthday_next=True,
                  consent_email=True, consent_whatsapp=True, expected_spend=300_000.0),
        birthday=dict(birthday_next=True, consent_whatsapp=True, expected_spend=300_000.0),
        greeted=dict(birthday_next=True, consent_whatsapp=True, expected_spend=300_000.0),
    )  # fmt: skip
    contacts = pd.DataFrame({"customer_id": ["greeted"], "campaign": ["birthday"], "campaign_id": ["X"],
                             "contacted_at": [NOW - pd.Timedelta(days=100)]})  # fmt: skip
    plan = make_plan(s, StrategyOptions(), END, 42, contacts)
    members = plan.members.set_index("customer_id")
    assert members.loc["both", "campaign"] == "detractor_recovery"  # priority 1 beats birthday (6)
    assert members.loc["birthday", "campaign"] == "birthday"
    assert "greeted" not in members.index  # birthday's cool-down is 300 days
    funnel = plan.funnel.set_index("campaign")
    assert funnel.loc["birthday", "capped"] == 1 and funnel.loc["birthday", "other_campaign"] == 1
    assert (plan.campaigns["start_date"] == pd.Timestamp("2025-07-01")).all()
    assert set(plan.members["campaign_id"]) <= {"2025-07-detractor_recovery", "2025-07-birthday"}


def test_the_budget_keeps_the_contacts_worth_most_per_cost():
    rich = {f"r{i}": dict(birthday_next=True, consent_whatsapp=True, consent_email=True, expected_spend=900_000.0)
            for i in range(20)}  # fmt: skip
    poor = {f"p{i}": dict(birthday_next=True, consent_email=True, consent_whatsapp=True, expected_spend=50_000.0)
            for i in range(20)}  # fmt: skip
    s = state(**rich, **poor)
    birthday = Rule(campaign="birthday", priority=1, channels=["whatsapp"], expected_uplift=0.06)
    options = StrategyOptions(playbook=[birthday], budget=20 * 450.0 * 0.9 + 1)  # the rich ones' messages
    plan = make_plan(s, options, END, 42, NO_CONTACTS)
    assert set(plan.members["customer_id"]) == set(rich)
    assert plan.members.query("group == 'treated'")["cost"].sum() <= options.budget
    everyone = make_plan(s, StrategyOptions(), END, 42, NO_CONTACTS)
    assert len(everyone.members) == 40 and everyone.campaigns["control"].sum() == round(0.1 * 40)


def test_parameters_name_the_bad_key():
    with pytest.raises(ValidationError, match="win_back has two rules"):
        StrategyOptions(playbook=[Rule(campaign="win_back", priority=1, channels=["email"]),
                                  Rule(campaign="win_back", priority=2, channels=["sms"])])  # fmt: skip
    with pytest.raises(ValidationError, match="no cost"):
        StrategyOptions(channels={"email": {"cost": 1.0}}, playbook=[Rule(campaign="welcome", priority=1,
                                                                          channels=["sms"])])  # fmt: skip
    with pytest.raises(ValidationError, match="segment vip"):
        Params.model_validate({"strategy": {"playbook": [{"campaign": "win_back", "priority": 1,
                                                          "channels": ["email"], "segments": ["vip"]}]}})  # fmt: skip
    with pytest.raises(ParamsError, match="personal data"):
        Params.model_validate({"strategy": {"lists_dir": "reports/lists"}}).lists_folder()
    with pytest.raises(ValidationError, match="must leave a rest"):
        StrategyOptions(tiers={"top": 0.5, "high": 0.5})


def test_each_lever_alone_meets_the_goal():
    model = PurchaseModel.from_params("pnbd", {"r": 0.55, "alpha": 10.58, "s": 0.61, "beta": 11.67})
    summary = pd.DataFrame({"frequency": [2.0, 0.0, 7.0], "recency": [30.0, 0.0, 50.0], "T": [40.0, 30.0, 52.0]})
    forecast = Forecast(model, summary, pd.Series(100.0, index=summary.index), 100.0, 2.0, 80.0, "W")
    levers = what_if(forecast, Goal(change=0.10, months=12)).set_index("lever")
    assert levers.loc["order_value", "change"] == pytest.approx(0.10)
    for lever, change in levers["change"].items():
        keyword = {"retention": "dropout"}.get(lever, lever)
        assert forecast.revenue(12, **{keyword: 1 + change}) == pytest.approx(levers["target"].iloc[0], rel=1e-4)
    assert levers.loc["retention", "change"] < 0 < levers.loc["frequency", "change"]
    assert levers.loc["acquisition", "change"] > levers.loc["frequency", "change"]  # new customers are a small part


def test_co_purchases_recommend_the_category_bought_together_not_one_already_bought():
    lines = pd.DataFrame(
        {"customer_id": [c for c in "abcdefgh" for _ in (0, 1)],
         "category": ["tea", "cups"] * 4 + ["tea", "shoes"] * 2 + ["shoes", "socks"] * 2}
    )  # fmt: skip
    model = CoPurchases.fit(pd.concat([lines, pd.DataFrame({"customer_id": ["z"], "category": ["tea"]})]), 2)
    picks = model.recommend(pd.DataFrame({"customer_id": ["z", "a"], "category": ["tea", "tea"]}), k=1)
    assert picks.loc["z", "recommended"] == ["cups"] and picks.loc["z", "source"] == "co_purchase"
    assert "tea" not in model.recommend(lines, k=3).loc["a", "recommended"]
