"""Running the campaigns on a chunk: rule-based audiences, holdouts, messages and their uplift.

Each campaign targets a consenting audience chosen by its type's rule. A random control share gets
a `campaign_holdout` event and nothing else; treated customers get the channel's send event, some
opens, clicks and unsubscribes, and a real uplift in purchase probability inside the campaign
window. Treated purchases inside the window carry the campaign's id.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from crmlib.collect.synthetic.arrays import Rows, make_rows
from crmlib.collect.synthetic.calendar import Calendar
from crmlib.collect.synthetic.campaign_plan import CampaignPlan
from crmlib.collect.synthetic.customers import Customers
from crmlib.collect.synthetic.history import History
from crmlib.collect.synthetic.response import response_chance
from crmlib.collect.synthetic.world import (
    CHANNEL_CODE,
    CLICK_RATE,
    DAY,
    EVENT_CODE,
    HOUR,
    MESSAGE_EVENTS,
    MINUTE,
    NULL,
    OPEN_RATE,
    PUT_OFF_DROP,
    UNSUBSCRIBE_RATE,
)


@dataclass(frozen=True)
class Snapshot:
    """What is known about every customer of a chunk at the moment a campaign is sent."""

    joined: np.ndarray
    days_since_signup: np.ndarray
    purchases: np.ndarray
    days_since_purchase: np.ndarray  # inf if never bought
    carts_14d: np.ndarray
    birthday_month: np.ndarray


AUDIENCES = {  # campaign type: who is eligible
    "welcome": lambda s: s.joined & (s.days_since_signup < 30),
    "cart_abandonment": lambda s: s.joined & (s.carts_14d > 0),
    "win_back": lambda s: (s.purchases > 0) & (s.days_since_purchase >= 60) & (s.days_since_purchase <= 240),
    "birthday": lambda s: s.joined & s.birthday_month,
    "loyalty_vip": lambda s: (s.purchases >= 5) & (s.days_since_purchase <= 120),
    "cross_sell": lambda s: (s.purchases >= 2) & (s.days_since_purchase <= 90),
}


def snapshot(cal: Calendar, customers: Customers, t0: int, sales: History, carts: History) -> Snapshot:
    """Each customer's state at time t0, from baseline purchases and abandoned carts."""
    everyone = np.arange(len(customers))
    last = sales.last_before(everyone, t0)
    return Snapshot(
        joined=customers.t_signup < t0,
        days_since_signup=(t0 - customers.t_signup) / DAY,
        purchases=sales.count_before(everyone, t0),
        days_since_purchase=np.where(last == NULL, np.inf, (t0 - last) / DAY),
        carts_14d=carts.count_before(everyone, t0) - carts.count_before(everyone, t0 - 14 * DAY),
        birthday_month=customers.birth_month == cal.month_of(t0),
    )


def reachable(customers: Customers, channel: str) -> np.ndarray:
    """Customers a channel may contact now: consent for email and WhatsApp/SMS, the app for push."""
    return {
        "email": customers.consent_email,
        "whatsapp": customers.consent_whatsapp,
        "sms": customers.consent_whatsapp,
        "push": customers.app_user,
    }[channel]


def withdraw_consent(customers: Customers, channel: str, who) -> None:
    """Customers who unsubscribed are no longer reachable on that channel."""
    if channel == "email":
        customers.consent_email[who] = False
    elif channel == "whatsapp":
        customers.consent_whatsapp[who] = False


def campaign_events(c: int, channel: str, event_type: str, owner, t) -> Rows:
    """Events of one type that campaign c caused on its channel."""
    return make_rows(owner=owner, t=t, type=EVENT_CODE[event_type], channel=CHANNEL_CODE[channel], campaign=c)


def message_events(c: int, channel: str, targets, sent_at, customers: Customers, rng, horizon: int):
    """Send, open, click and unsubscribe events of one campaign's treated customers.

    Returns the event bundles, who clicked and when they clicked (or would have)."""
    send, open_, click = MESSAGE_EVENTS[channel]
    n = len(targets)
    parts = [campaign_events(c, channel, send, targets, sent_at)]
    opened_at = sent_at + 60 + rng.exponential(2 * HOUR, n).astype(np.int64)
    opened = (rng.random(n) < OPEN_RATE[channel] * customers.engagement[targets]) & (opened_at < horizon) & bool(open_)
    if open_:
        parts.append(campaign_events(c, channel, open_, targets[opened], opened_at[opened]))
    clicked_at = np.where(open_ is not None, opened_at, sent_at) + 5 + rng.exponential(3 * MINUTE, n).astype(np.int64)
    could_click = opened if open_ else np.ones(n, dtype=bool)
    clicked = could_click & (rng.random(n) < CLICK_RATE[channel]) & (clicked_at < horizon) & bool(click)
    if click:
        parts.append(campaign_events(c, channel, click, targets[clicked], clicked_at[clicked]))
    left_at = opened_at + 30
    left = opened & (rng.random(n) < UNSUBSCRIBE_RATE[channel]) & (left_at < horizon)
    parts.append(campaign_events(c, channel, "unsubscribe", targets[left], left_at[left]))
    withdraw_consent(customers, channel, targets[left])
    return parts, clicked, clicked_at


def campaign_purchases(
    c: int, plan: CampaignPlan, customers: Customers, targets, sent_at, clicked, clicked_at, alive, rng
) -> Rows:
    """Incremental purchases a campaign causes among its treated customers, inside its window (see `response`)."""
    kind, channel = plan.kind[c], plan.channel[c]
    stop = plan.stop_time(c)
    chance = response_chance(kind, channel, customers.engagement[targets], alive, clicked)
    buys = (rng.random(len(targets)) < chance) & ~customers.put_off[targets]
    later = sent_at + 600 + ((stop - sent_at - 600) * rng.random(len(targets)) ** 1.5).astype(np.int64)
    soon = clicked_at + 60 + rng.exponential(30 * MINUTE, len(targets)).astype(np.int64)
    t = np.minimum(np.where(clicked, soon, later), stop - 1)
    return make_rows(owner=targets[buys], t=t[buys], campaign=c, cross=kind == "cross_sell")


def put_off_purchases(sales: Rows, who, sent_at, stop: int, n_customers: int, rng) -> np.ndarray:
    """The put-off customers' own purchases inside a campaign's window that they skip (PUT_OFF_DROP of them)."""
    when = np.full(n_customers, np.iinfo(np.int64).max)
    when[who] = sent_at
    inside = (sales["t"] >= when[sales["owner"]]) & (sales["t"] < stop)
    return inside & (rng.random(len(inside)) < PUT_OFF_DROP)


def attribute(sales: Rows, campaign, who, sent_at, stop: int, n_customers: int, c: int) -> None:
    """Give campaign c the treated customers' not yet attributed purchases inside its window."""
    when = np.full(n_customers, np.iinfo(np.int64).max)
    when[who] = sent_at
    hit = (sales["t"] >= when[sales["owner"]]) & (sales["t"] < stop) & (campaign == NULL)
    campaign[hit] = c


def run_campaigns(cal: Calendar, plan: CampaignPlan, customers: Customers, sales: Rows, dropout, carts: Rows, rng):
    """Every campaign on this chunk in date order: audience, holdout, messages, uplift and attribution.

    Returns the campaign events, the baseline sales' campaign ids, the incremental sales and which baseline sales
    do not happen (put-off customers skip them).
    """
    sales_history = History(sales["owner"], sales["t"], cal.horizon)
    cart_history = History(carts["owner"], carts["t"], cal.horizon)
    campaign = np.full(len(sales["t"]), NULL)
    skipped = np.zeros(len(sales["t"]), dtype=bool)
    events, extra = [], []
    for c in range(len(plan)):
        t0, channel = plan.send_time(c), plan.channel[c]
        state = snapshot(cal, customers, t0, sales_history, cart_history)
        audience = np.flatnonzero(AUDIENCES[plan.kind[c]](state) & reachable(customers, channel))
        held_out = rng.random(len(audience)) < plan.control_share[c]
        control, targets = audience[held_out], audience[~held_out]
        events.append(campaign_events(c, channel, "campaign_holdout", control, np.full(len(control), t0)))
        sent_at = t0 + rng.integers(0, HOUR, len(targets))
        parts, clicked, clicked_at = message_events(c, channel, targets, sent_at, customers, rng, cal.horizon)
        events.extend(parts)
        alive = dropout[targets] * DAY > t0
        extra.append(campaign_purchases(c, plan, customers, targets, sent_at, clicked, clicked_at, alive, rng))
        put_off = targets[customers.put_off[targets]]
        skipped |= put_off_purchases(
            sales, put_off, sent_at[customers.put_off[targets]], plan.stop_time(c), len(customers), rng
        )
        attribute(sales, campaign, targets, sent_at, plan.stop_time(c), len(customers), c)
        plan.sent[c] += len(targets)
    return events, campaign, extra, skipped
