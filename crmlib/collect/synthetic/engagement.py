"""Engagement: funnel sessions (web_visit, product_view, add_to_cart, checkout_start) before every web or
app purchase, browse-only and abandoned-cart sessions, and app installs."""

from __future__ import annotations

import numpy as np

from crmlib.collect.synthetic.arrays import Rows, make_rows, rank_in_group, sort_rows, take_rows, uniform_between
from crmlib.collect.synthetic.calendar import Calendar
from crmlib.collect.synthetic.customers import Customers
from crmlib.collect.synthetic.world import CHANNEL_CODE, EVENT_CODE, FUNNEL, FUNNEL_AT, NULL, SALE_CHANNELS


def active_until(cal: Calendar, customers: Customers, dropout, has_bought) -> np.ndarray:
    """Raw day until which a customer still browses: a month past dropout, two months for non-buyers."""
    until = np.where(np.isfinite(dropout), dropout + 30.0, cal.days)
    until = np.where(has_bought, until, customers.x_signup + 60.0)
    return np.minimum(until, cal.last_day)


def session_times(cal: Calendar, customers: Customers, rng, per_customer: tuple[float, float], bought, until) -> Rows:
    """Poisson(a + b * purchases) session times per customer for per_customer = (a, b), between signup and
    `until`, sorted by customer and time."""
    counts = rng.poisson(per_customer[0] + per_customer[1] * bought)
    owner = np.repeat(np.arange(len(customers)), counts)
    signup = customers.x_signup[owner]
    x = uniform_between(rng, signup, np.maximum(until[owner], signup))
    return sort_rows(make_rows(owner=owner, t=cal.clock(x)), "owner", "t")


def funnel_sessions(owner, end, steps, channel, campaign, floor, rng) -> Rows:
    """Funnel events of sessions ending at `end`: the first `steps` of FUNNEL, numbered by session.

    A session lasts 2-60 minutes and never starts before the customer's signup (`floor`). The visit's
    duration is the whole session; every later step lasts until the next one (the last until `end`).
    """
    n = len(owner)
    span = np.minimum(120 + rng.gamma(2.0, 300.0, n), 3600).astype(np.int64)
    start = np.maximum(end - span, floor[owner])
    length = end - start
    step = rank_in_group(steps)
    s = np.repeat(np.arange(n), steps)
    begins = start[s] + np.floor(FUNNEL_AT[step] * length[s]).astype(np.int64)
    is_last = step + 1 == steps[s]
    next_at = FUNNEL_AT[np.minimum(step + 1, len(FUNNEL) - 1)]
    ends = np.where(is_last, end[s], start[s] + np.floor(next_at * length[s]).astype(np.int64))
    duration = np.where(step == 0, length[s], ends - begins).astype(float)
    return make_rows(
        owner=owner[s], t=begins, type=step, channel=channel[s], campaign=campaign[s], session=s, duration=duration
    )


def session_events(customers: Customers, sales: Rows, browse: Rows, carts: Rows, rng) -> Rows:
    """All funnel sessions: before every web/app purchase, browse-only visits and abandoned carts."""
    online_sale = sales["channel"] <= SALE_CHANNELS.index("app")
    online = np.where(customers.app_user, CHANNEL_CODE["app"], CHANNEL_CODE["web"])
    buy = take_rows(sales, online_sale)
    owner = np.concatenate((buy["owner"], browse["owner"], carts["owner"]))
    end = np.concatenate((buy["t"], browse["t"], carts["t"]))
    steps = np.concatenate(
        (np.full(len(buy["t"]), 4), np.full(len(browse["t"]), 2), 3 + (rng.random(len(carts["t"])) < 0.35))
    )
    channel = np.concatenate((buy["channel"], online[browse["owner"]], online[carts["owner"]]))
    campaign = np.concatenate((buy["campaign"], np.full(len(browse["t"]) + len(carts["t"]), NULL)))
    return funnel_sessions(owner, end, steps, channel, campaign, customers.t_signup, rng)


def sessionless(rows: Rows) -> Rows:
    """Campaign and install events: no session and no duration (and no campaign unless they have one)."""
    n = len(rows["owner"])
    return dict(
        rows, campaign=rows.get("campaign", np.full(n, NULL)), session=np.full(n, NULL), duration=np.full(n, np.nan)
    )


def app_installs(customers: Customers) -> Rows:
    """An app_install event at signup for every app user."""
    installs = np.flatnonzero(customers.app_user)
    return sessionless(
        make_rows(
            owner=installs, t=customers.t_signup[installs], type=EVENT_CODE["app_install"], channel=CHANNEL_CODE["app"]
        )
    )
