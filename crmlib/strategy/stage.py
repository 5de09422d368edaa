"""The strategy stage of a period in one call: next period's plan, its target lists, the uplift and next-best
checks, the goals' what-if and the portfolio, and what the period stores of them.

The plan is for the period after the one reported on: a run for 2025-06 plans the campaigns of 2025-07.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from crmlib.analyze.options import LifetimeValueOptions
from crmlib.analyze.stage import stored_models
from crmlib.catalogue import current, t
from crmlib.collect.warehouse import Warehouse, one_connection
from crmlib.errors import MissingData, ModelError, WarehouseError, available, failed, outcome, part
from crmlib.formats import month_name
from crmlib.periods import Period
from crmlib.segment.summary import rfm_summary
from crmlib.strategy import uplift
from crmlib.strategy.goals import Forecast, what_if
from crmlib.strategy.lists import write_lists
from crmlib.strategy.nextbest import CoPurchases, next_best
from crmlib.strategy.options import Goal, StrategyOptions
from crmlib.strategy.plan import MEMBERS, Plan, make_plan, past_contacts, plan_gaps
from crmlib.strategy.portfolio import portfolio
from crmlib.strategy.state import customer_state

CAMPAIGNS = "planned_campaigns"  # the stored result: one row per planned campaign (the contract's campaigns columns)
GOALS = "strategy_goals"  # per goal and lever: the change it needs and the KPI that tracks it
MEMBER_COLUMNS = ["customer_id", "campaign_id", "campaign", "channel", "group", "rank", "ranked_by",
                  "expected_purchases", "expected_value", "cost", "segment", "tier", "churn_risk", "start_date",
                  "end_date"]  # fmt: skip
"""What `campaign_members` keeps of each member: no personal data, no offer text."""


@dataclass
class Strategy:
    """A period's strategy: the customer state, next period's plan (and what the data lack for some plays or
    channels, `gaps`), the uplift model's check, the next-best categories and their check, the portfolio and the
    goals' what-if. The uplift check and the categories are `Part`s: without the data for them, reading them
    raises the reason."""

    period: Period
    state: pd.DataFrame
    plan: Plan
    gaps: str  # the plays and channels the data do not allow, in one line ("" when none)
    modelled: list[str]
    portfolio: pd.DataFrame
    options: StrategyOptions
    uplift: uplift.UpliftValidation = part()
    co_purchases: CoPurchases = part()
    next_best: pd.DataFrame = part()  # method, customers, hit_rate
    goals: pd.DataFrame = part()  # goal, kpi, months, asked, lever, lever kpi, change needed, baseline, target, plan

    @property
    def planned(self) -> Plan:
        """The plan; a MissingData saying so when it holds no campaign (`gaps` says what the data lack, if anything)."""
        if self.plan.campaigns.empty:
            raise MissingData(t("strat.no_plan", next=month_name(self.plan.period, current())))
        return self.plan

    @property
    def expected_revenue(self) -> float:
        return float(self.plan.campaigns["expected_revenue"].sum())

    @property
    def cost(self) -> float:
        return float(self.plan.campaigns["cost"].sum())

    @property
    def roi(self) -> float:
        """(expected incremental revenue − cost) / cost of the whole plan (nan without cost)."""
        return (self.expected_revenue - self.cost) / self.cost if self.cost else float("nan")

    def goal_levers(self) -> list[tuple[Goal, pd.DataFrame]]:
        """Each goal with its what-if: lever, kpi, change (needed alone), baseline, target, plan (the plan's net)."""
        return [(goal, self.goals[self.goals["goal"] == i].reset_index(drop=True)) for i, goal in
                enumerate(self.options.goals)]  # fmt: skip

    def playbook(self) -> pd.DataFrame:
        """The plays in priority order with their offer and message theme (the value proposition per target group):
        priority, campaign, channels, offer, theme, control_share."""
        rules = sorted(self.options.playbook, key=lambda r: r.priority)
        return pd.DataFrame(
            [(r.priority, r.campaign, ", ".join(r.channels), r.offer_text(), r.theme_text(), r.control_share)
             for r in rules],
            columns=["priority", "campaign", "channels", "offer", "theme", "control_share"],
        )  # fmt: skip

    def audience(self, by: str = "segment") -> pd.DataFrame:
        """Planned contacts (treated and control) by campaign and `by` (segment, channel, tier or churn_risk)."""
        members = self.planned.members
        return pd.crosstab(members["campaign"], members[by].fillna(t("strat.no_segment")))

    def top_actions(self, n: int = 3) -> pd.DataFrame:
        """The campaigns with the most expected net revenue: campaign, treated, channel, expected_revenue, cost, roi."""
        return top_actions(self.planned.campaigns, n)

    def store(self, warehouse: Warehouse) -> None:
        """Write `campaign_members` (treated and control of every planned campaign), `planned_campaigns` and
        `strategy_goals` for the period."""
        warehouse.write_result(MEMBERS, self.period, self.plan.members[MEMBER_COLUMNS])
        warehouse.write_result(CAMPAIGNS, self.period, self.plan.campaigns)
        if available(self, "goals"):
            warehouse.write_result(GOALS, self.period, self.goals)

    def write_lists(self, warehouse: Warehouse, lists_dir: str | Path) -> pd.DataFrame:
        """The target lists into `lists_dir/<period>/`; returns the manifest (file, campaign_id, channel, rows)."""
        return write_lists(warehouse, self.plan.members, Path(lists_dir) / str(self.period), self.options)


def top_actions(campaigns: pd.DataFrame, n: int = 3) -> pd.DataFrame:
    """The `n` planned campaigns with the most expected net revenue (expected incremental revenue − cost)."""
    return campaigns.assign(net=campaigns["expected_revenue"] - campaigns["cost"]).nlargest(n, "net")


def planned_actions(warehouse: Warehouse, period: Period, n: int = 3) -> pd.DataFrame:
    """`top_actions` of the plan the period's strategy stage stored (empty if it has not run)."""
    try:
        return top_actions(warehouse.read_result(CAMPAIGNS, period), n)
    except WarehouseError:
        return pd.DataFrame(columns=["campaign", "treated", "channel", "expected_revenue", "cost", "roi", "net"])


@one_connection
def strategy(
    warehouse: Warehouse,
    period: Period,
    options: StrategyOptions | None = None,
    seed: int = 42,
    lifetime: LifetimeValueOptions | None = None,
) -> Strategy:
    """Plan the period after `period` from the results its segmentation and analysis stored."""
    options, lifetime = options or StrategyOptions(), lifetime or LifetimeValueOptions()
    state = customer_state(warehouse, period, options, lifetime.months)
    categories = outcome(next_best, warehouse, period, options.recommendations, options.min_support)
    state["recommended_category"] = categories.picks.reindex(state.index) if not failed(categories) else None
    history = uplift.campaign_history(warehouse, period)
    modelled = uplift.modelled_types(history, options.min_campaigns)
    model, features = None, None
    check: Any = ModelError(t("strategy.no_history", n=options.min_campaigns))  # or the check, once there is one
    if modelled:
        model = uplift.UpliftModel().fit(history[uplift.FEATURES], history["treated"], history["bought"])
        points = pd.DataFrame({"customer_id": state.index, "campaign_id": "next", "t0": period.end})
        features = uplift.features_at(warehouse, points).set_index("customer_id").drop(columns="campaign_id")
        check = outcome(_validated, history)
    contacts = past_contacts(warehouse, period, max(r.cooldown_days for r in options.playbook))
    plan = make_plan(state, options, period, seed, contacts, model, modelled, features)
    goals = outcome(_goals, warehouse, period, options, lifetime, plan)
    return Strategy(
        period, state, plan, plan_gaps(warehouse, options), modelled, portfolio(state, options.tiers), options,
        uplift=check, co_purchases=categories if failed(categories) else categories.model,
        next_best=categories if failed(categories) else categories.check, goals=goals,
    )  # fmt: skip


def _goals(warehouse: Warehouse, period: Period, options: StrategyOptions, lifetime: LifetimeValueOptions,
           plan: Plan) -> pd.DataFrame:  # fmt: skip
    """Each goal's what-if against the revenue the stored models forecast, with the plan's expected net."""
    purchases, spend = stored_models(warehouse, period)
    summary = rfm_summary(warehouse, period.last_day, freq=lifetime.freq)
    forecast = Forecast.at(warehouse, period, purchases, spend, summary, lifetime.freq)
    net = float(plan.campaigns["expected_revenue"].sum() - plan.campaigns["cost"].sum())
    frames = [what_if(forecast, goal).assign(goal=i, goal_kpi=goal.kpi, months=goal.months, asked=goal.change,
                                             plan=net) for i, goal in enumerate(options.goals)]  # fmt: skip
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _validated(history: pd.DataFrame) -> uplift.UpliftValidation:
    """The uplift check on held-out later campaigns; a ModelError saying why there is none."""
    campaigns = history["campaign_id"].nunique()
    if campaigns < 4 or history["treated"].all() or not history["treated"].any():
        raise ModelError(t("strategy.too_few_to_check", n=campaigns))
    return uplift.validate(history)
