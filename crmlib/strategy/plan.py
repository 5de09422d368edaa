"""Next period's campaign plan: one campaign per customer by priority, caps and cool-downs across periods, the
channel, the expected incremental value of each contact, the budget, and a seeded control group per campaign.

Each customer gets the highest-priority play they qualify for and can be reached for, unless they already had
`cap` contacts of that campaign type within its cool-down (past sends in the events and earlier plans). A contact's
expected incremental purchases come from the uplift model for the campaign types it knows (`ranked_by` "model"),
else from the rule's `expected_uplift` ("rule"); times the customer's expected order value it is the expected
incremental revenue, and minus the channel's cost the contact's net value. Contacts not worth their cost are
dropped; within a campaign the audience is ranked by net value (model) or lifetime value (rule). A budget keeps
the contacts with the most expected value per cost. Then each campaign holds out a seeded random draw of exactly
its control share, recorded with the treated so monitoring can measure the lift.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from crmlib.collect.needs import left_out
from crmlib.collect.warehouse import Warehouse
from crmlib.periods import Period
from crmlib.strategy import audiences, channels
from crmlib.strategy.audiences import choose_channel, eligible
from crmlib.strategy.channels import CHANNELS, SENT
from crmlib.strategy.options import StrategyOptions
from crmlib.strategy.uplift import UpliftModel

MEMBERS = "campaign_members"  # the stored result: every planned contact and control, per period

PAST_CONTACTS_SQL = f"""
SELECT DISTINCT e.customer_id, c.type AS campaign, e.campaign_id, e.ts AS contacted_at
FROM events e JOIN campaigns c USING (campaign_id)
WHERE e.ts < $until AND e.ts >= $since AND e.customer_id IS NOT NULL
  AND e.event_type IN ({", ".join(repr(SENT[c]) for c in CHANNELS)})
"""


def campaign_id(period: Period, campaign: str) -> str:
    """The id of a planned campaign, e.g. `2025-07-win_back` (the period it runs in, then its type)."""
    return f"{period}-{campaign}"


def past_contacts(warehouse: Warehouse, period: Period, days: int) -> pd.DataFrame:
    """Contacts within `days` before the end of `period`: sends in the events and the treated of earlier plans
    (one row per customer and campaign): customer_id, campaign, campaign_id, contacted_at."""
    since = (period.end - pd.Timedelta(days=days)).to_pydatetime()
    sent = warehouse.query(PAST_CONTACTS_SQL, {"until": period.end.to_pydatetime(), "since": since})
    try:
        planned = warehouse.query(
            f"SELECT customer_id, campaign, campaign_id, start_date AS contacted_at FROM {MEMBERS} "
            "WHERE \"group\" = 'treated' AND start_date < $until AND start_date >= $since",
            {"until": period.end.to_pydatetime(), "since": since},
        )
    except duckdb.CatalogException:  # no plan stored yet
        planned = sent.iloc[:0]
    both = pd.concat([sent, planned], ignore_index=True)
    return both.drop_duplicates(["customer_id", "campaign_id"])


def plan_gaps(warehouse: Warehouse, options: StrategyOptions) -> str:
    """The plays and channels of the playbook that the data loaded do not allow, in one line naming what to load
    ("" when the data allow them all)."""
    rules = sorted(options.playbook, key=lambda r: r.priority)
    declared = {f"campaign.{r.campaign}": audiences.NEEDS.get(r.campaign, ()) for r in rules}
    declared |= {f"channel.{c}": channels.NEEDS[c] for r in rules for c in r.channels}
    return left_out(warehouse, declared)[1]


def capped(contacts: pd.DataFrame, campaign: str, cap: int, cooldown_days: int, now: pd.Timestamp) -> pd.Index:
    """The customers who had `cap` or more contacts of `campaign` within `cooldown_days` before `now`.

    >>> past = pd.DataFrame({"customer_id": ["a", "a", "b"], "campaign": "win_back",
    ...                      "contacted_at": pd.to_datetime(["2025-06-01", "2025-06-20", "2025-01-01"])})
    >>> list(capped(past, "win_back", 1, 90, pd.Timestamp("2025-07-01")))
    ['a']
    """
    recent = contacts[
        (contacts["campaign"] == campaign) & (contacts["contacted_at"] >= now - pd.Timedelta(days=cooldown_days))
    ]
    counts = recent.groupby("customer_id").size()
    return counts.index[counts >= cap]


def control_draw(customer_ids: pd.Index, share: float, seed: int, period: Period, campaign: str) -> np.ndarray:
    """Whether each customer is held out: exactly round(share × n) of them, drawn at random with a seed made of
    the parameters' seed, the period and the campaign (so a rerun draws the same group).

    >>> ids = pd.Index([f"C{i}" for i in range(10)])
    >>> int(control_draw(ids, 0.2, 42, Period.parse("2025-07"), "win_back").sum())
    2
    """
    order = np.argsort(np.asarray(customer_ids, dtype=str), kind="stable")
    rng = np.random.default_rng([seed, zlib.crc32(f"{period}:{campaign}".encode())])
    held = np.zeros(len(customer_ids), dtype=bool)
    picked = rng.choice(len(customer_ids), size=round(share * len(customer_ids)), replace=False)
    held[order[picked]] = True
    return held


@dataclass
class Plan:
    """The members of next period's campaigns (treated and control) and one row per campaign."""

    period: Period  # the period the campaigns run in
    members: pd.DataFrame
    campaigns: pd.DataFrame
    funnel: pd.DataFrame  # per campaign: eligible, unreachable, capped, taken by a higher priority, not worth it


def assign_campaigns(
    state: pd.DataFrame, options: StrategyOptions, now: pd.Timestamp, contacts: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each customer's campaign (the highest-priority play they qualify for, can be reached for and are not capped
    for) and channel: members (index customer_id: campaign, channel), and per campaign the funnel: eligible,
    unreachable, capped, other_campaign (taken by a higher priority)."""
    taken = pd.Series(False, index=state.index)
    picked, funnel = [], []
    for rule in sorted(options.playbook, key=lambda r: r.priority):
        wanted = eligible(state, rule, now)
        channel = choose_channel(state, rule.channels)
        blocked = state.index.isin(capped(contacts, rule.campaign, rule.cap, rule.cooldown_days, now))
        chosen = wanted & channel.notna() & ~blocked & ~taken
        funnel.append(
            {
                "campaign": rule.campaign,
                "eligible": int(wanted.sum()),
                "unreachable": int((wanted & channel.isna()).sum()),
                "capped": int((wanted & channel.notna() & blocked).sum()),
                "other_campaign": int((wanted & channel.notna() & ~blocked & taken).sum()),
            }
        )
        taken |= chosen
        picked.append(pd.DataFrame({"campaign": rule.campaign, "channel": channel[chosen]}))
    return pd.concat(picked).rename_axis("customer_id"), pd.DataFrame(funnel).set_index("campaign")


def make_plan(
    state: pd.DataFrame,
    options: StrategyOptions,
    period: Period,
    seed: int,
    contacts: pd.DataFrame,
    model: UpliftModel | None = None,
    modelled: list[str] | tuple[str, ...] = (),
    features: pd.DataFrame | None = None,
) -> Plan:
    """The plan for the period after `period` from the customer state at its end (see the module docstring).

    `model` scores the campaign types in `modelled` from `features` (uplift FEATURES less campaign and channel, by
    customer_id); `contacts` are the past contacts (`past_contacts`)."""
    runs_in = period.next()
    members, funnel = assign_campaigns(state, options, period.end, contacts)
    members = value_contacts(members, state, options, model, modelled, features)
    worth = members["net_value"] > 0
    funnel["not_worth"] = members[~worth].groupby("campaign").size().reindex(funnel.index, fill_value=0)
    members = _within_budget(members[worth], options.budget, options)
    members = _hold_out(members, options, seed, runs_in)
    members["campaign_id"] = [campaign_id(runs_in, c) for c in members["campaign"]]
    members["start_date"], members["end_date"] = runs_in.start, runs_in.last_day
    return Plan(runs_in, members.reset_index(), _campaigns(members, options, runs_in), funnel.reset_index())


def value_contacts(
    members: pd.DataFrame,
    state: pd.DataFrame,
    options: StrategyOptions,
    model: UpliftModel | None = None,
    modelled: list[str] | tuple[str, ...] = (),
    features: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Expected incremental purchases and revenue, cost (the message, and the offer's discount on the purchases the
    customer makes in the period, caused or not) and net value of each contact."""
    uplift = members["campaign"].map({r.campaign: r.expected_uplift for r in options.playbook}).astype(float)
    by_model = members["campaign"].isin(list(modelled)) if model is not None else pd.Series(False, index=members.index)
    if by_model.any() and model is not None and features is not None:
        scored = members[by_model]
        x = features.reindex(scored.index).assign(campaign=scored["campaign"], channel=scored["channel"])
        uplift[by_model] = model.effect(x[model.columns])
    order_value = state["expected_spend"].reindex(members.index)
    order_value = order_value.fillna(state["expected_spend"].mean()).fillna(0.0)
    rules = {r.campaign: r for r in options.playbook}
    discount = members["campaign"].map({c: r.discount for c, r in rules.items()}).astype(float)
    anyway = state["purchases_next"].reindex(members.index).fillna(0.0)
    contact = members["channel"].map({c: o.cost for c, o in options.channels.items()}).astype(float)
    cost = contact + discount * order_value * (anyway + uplift.clip(lower=0))
    value = uplift * order_value
    rank_value = np.where(by_model, value - cost, state["lifetime_value"].reindex(members.index).fillna(0.0))
    return members.assign(
        ranked_by=np.where(by_model, "model", "rule"),
        expected_purchases=uplift,
        expected_value=value,
        cost=cost,
        net_value=value - cost,
        rank_value=rank_value,
        segment=state["segment"].reindex(members.index),
        tier=state["tier"].reindex(members.index),
        churn_risk=state["churn_risk"].reindex(members.index),
        favourite_category=state["favourite_category"].reindex(members.index),
        recommended_category=state["recommended_category"].reindex(members.index),
        offer=members["campaign"].map({c: r.offer_text() for c, r in rules.items()}),
    )


def _within_budget(members: pd.DataFrame, budget: float | None, options: StrategyOptions) -> pd.DataFrame:
    """The contacts with the most expected value per cost whose expected cost (the treated share of each
    campaign's audience pays) stays within `budget`; all of them when there is none."""
    if budget is None:
        return members
    share = members["campaign"].map({r.campaign: r.control_share for r in options.playbook})
    expected_cost = members["cost"] * (1 - share)
    ratio = members["expected_value"] / members["cost"].where(members["cost"] > 0, np.nan)
    order = ratio.fillna(np.inf).sort_values(ascending=False, kind="stable").index
    keep = expected_cost.loc[order].cumsum() <= budget
    return members.loc[order[keep.to_numpy()]]


def _hold_out(members: pd.DataFrame, options: StrategyOptions, seed: int, runs_in: Period) -> pd.DataFrame:
    """Each campaign's audience ranked, and its control group drawn."""
    parts = []
    for rule in options.playbook:
        audience = members[members["campaign"] == rule.campaign].sort_values(
            ["rank_value"], ascending=False, kind="stable"
        )
        if audience.empty:
            continue
        held = control_draw(audience.index, rule.control_share, seed, runs_in, rule.campaign)
        parts.append(audience.assign(group=np.where(held, "control", "treated"), rank=np.arange(1, len(audience) + 1)))
    if not parts:
        return members.assign(group=pd.Series(dtype=str), rank=pd.Series(dtype=int))
    return pd.concat(parts)


def _campaigns(members: pd.DataFrame, options: StrategyOptions, runs_in: Period) -> pd.DataFrame:
    """One row per planned campaign: audience, treated, control, channels, expected incremental revenue of the
    treated, their cost, ROI ((revenue − cost) / cost) and how the audience was ranked."""
    rows = []
    for rule in sorted(options.playbook, key=lambda r: r.priority):
        group = members[members["campaign"] == rule.campaign]
        if group.empty:
            continue
        treated = group[group["group"] == "treated"]
        revenue, cost = float(treated["expected_value"].sum()), float(treated["cost"].sum()) + rule.fixed_cost
        rows.append(
            {
                "campaign_id": campaign_id(runs_in, rule.campaign),
                "campaign": rule.campaign,
                "channel": ", ".join(c for c in rule.channels if (group["channel"] == c).any()),
                "start_date": runs_in.start,
                "end_date": runs_in.last_day,
                "audience": len(group),
                "treated": len(treated),
                "control": len(group) - len(treated),
                "control_share": rule.control_share,
                "expected_revenue": revenue,
                "cost": cost,
                "roi": (revenue - cost) / cost if cost > 0 else np.nan,
                "ranked_by": group["ranked_by"].iloc[0],
            }
        )
    return pd.DataFrame(rows, columns=list(CAMPAIGN_TYPES)).astype(CAMPAIGN_TYPES)


CAMPAIGN_TYPES = {"campaign_id": "str", "campaign": "str", "channel": "str", "start_date": "datetime64[us]",
                  "end_date": "datetime64[us]", "audience": "int64", "treated": "int64", "control": "int64",
                  "control_share": "float64", "expected_revenue": "float64", "cost": "float64", "roi": "float64",
                  "ranked_by": "str"}  # fmt: skip
"""The planned campaigns' columns and types (the same with no campaign planned: an empty plan is a typed table)."""
