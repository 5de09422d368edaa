"""Who each play of the playbook is for, and through which channel it can reach them.

A campaign type's trigger reads the customer state (`state.customer_state`) at the end of the period; the rule's
own filters (segments, value tiers, churn risk) narrow it. The channel is the first of the rule's channels the
customer can be reached on (consent, no unsubscribe, a valid address, the app for push) and still engages with: a
channel that has sent them `IGNORED_AFTER` messages in the past year with no open or click is passed over while
another is available.

>>> state = pd.DataFrame({"orders": [0, 0], "days_since_signup": [10.0, 200.0]}, index=["a", "b"])
>>> TRIGGERS["welcome"](state, Rule(campaign="welcome", priority=1, channels=["email"], min_days=7), None).tolist()
[True, False]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from crmlib.strategy.channels import CLICKED, OPENED
from crmlib.strategy.options import Rule

IGNORED_AFTER = 3


def _recent(when: pd.Series, now: pd.Timestamp, days: int) -> pd.Series:
    return when.notna() & (when >= now - pd.Timedelta(days=days))


Trigger = Callable[[pd.DataFrame, Rule, pd.Timestamp], pd.Series]
TRIGGERS: dict[str, Trigger] = {
    # signed up at least min_days and at most max_days ago, no purchase yet
    "welcome": lambda s, r, now: (s["orders"] == 0) & s["days_since_signup"].between(r.min_days, r.max_days),
    # added to the cart within max_days with no order in the following `hours`
    "cart_abandonment": lambda s, r, now: _recent(s["abandoned_cart_at"], now, r.max_days),
    # has bought, and P(alive) is not rising (the rule's tiers and churn risks say whom it is worth it for)
    "win_back": lambda s, r, now: (s["orders"] > 0) & ~(s["p_alive_change"] > 0),
    "birthday": lambda s, r, now: s["birthday_next"],
    "loyalty_vip": lambda s, r, now: s["orders"] > 0,
    # has bought and has a next-best category they have not bought
    "cross_sell": lambda s, r, now: (s["orders"] > 0) & s["recommended_category"].notna(),
    # a recent NPS of 0-6, or a ticket still open
    "detractor_recovery": lambda s, r, now: (
        (_recent(s["last_nps_at"], now, r.max_days) & (s["last_nps"] <= 6)) | s["open_ticket_at"].notna()
    ),
    # a recent NPS of 9-10
    "referral_ask": lambda s, r, now: _recent(s["last_nps_at"], now, r.max_days) & (s["last_nps"] >= 9),
}


NEEDS: dict[str, tuple[str, ...]] = {
    "cart_abandonment": ("events",),
    "birthday": ("customers.birth_date",),
    "cross_sell": ("transactions.category",),
    "detractor_recovery": ("feedback|tickets",),
    "referral_ask": ("feedback",),
}
"""The data (see `crmlib.collect.needs`) without which a play's trigger finds nobody."""


def eligible(state: pd.DataFrame, rule: Rule, now: pd.Timestamp) -> pd.Series:
    """Whether each customer qualifies for the rule's campaign: its trigger and the rule's filters."""
    chosen = TRIGGERS[rule.campaign](state, rule, now).fillna(False).astype(bool)
    for column, allowed in (("segment", rule.segments), ("tier", rule.tiers), ("churn_risk", rule.churn_risk)):
        if allowed is not None:
            chosen &= state[column].isin(allowed)
    return chosen


def reachable(state: pd.DataFrame, channel: str) -> pd.Series:
    """Whether each customer may be contacted on `channel` now (see `channels`)."""
    if channel == "email":
        return state["consent_email"] & state["has_email"] & ~state["unsubscribed_email"]
    if channel in ("whatsapp", "sms"):
        return state["consent_whatsapp"] & state["has_phone"] & ~state["unsubscribed_phone"]
    return state["app"] & ~state["unsubscribed_push"]


def ignores(state: pd.DataFrame, channel: str) -> pd.Series:
    """Whether the customer got IGNORED_AFTER or more messages on `channel` in the past year and opened or clicked
    none (a channel with neither opens nor clicks is never ignored)."""
    responses = [f"{what}_{channel}" for what, kinds in (("opened", OPENED), ("clicked", CLICKED)) if channel in kinds]
    if not responses:
        return pd.Series(False, index=state.index)
    return (state[f"sent_{channel}"] >= IGNORED_AFTER) & (state[responses].sum(axis=1) == 0)


def choose_channel(state: pd.DataFrame, channels: Sequence[str]) -> pd.Series:
    """Per customer, the first of `channels` that reaches them and that they engage with; else the first that
    reaches them; else missing (they cannot be contacted for this campaign)."""
    reach = np.column_stack([reachable(state, c).to_numpy() for c in channels])
    engaged = reach & ~np.column_stack([ignores(state, c).to_numpy() for c in channels])
    pick = np.where(engaged.any(axis=1), engaged.argmax(axis=1), reach.argmax(axis=1))
    chosen = np.where(reach.any(axis=1), np.asarray(channels, dtype=object)[pick], None)
    return pd.Series(chosen, index=state.index, name="channel")
