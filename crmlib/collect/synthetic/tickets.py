"""Service tickets: most bad orders, a few other orders and some account problems raise a ticket, which
gets a first response, a resolution, a status and a handling cost."""

from __future__ import annotations

import numpy as np

from crmlib.collect.synthetic.arrays import Rows, concat_rows, draw, lookup, make_rows, round_to, sort_rows, take_rows
from crmlib.collect.synthetic.calendar import Calendar
from crmlib.collect.synthetic.customers import Customers, times_after_signup
from crmlib.collect.synthetic.world import (
    ACCOUNT_TICKET_RATE,
    DAY,
    HOUR,
    NULL,
    REFUND_TICKET_RATE,
    RESOLUTION_HOURS,
    SALE_TICKET_RATE,
    SALE_TICKET_TOPICS,
    SLOW_TICKET,
    TICKET_CHANNELS,
    TICKET_STATUSES,
    TICKET_TOPICS,
)


def ticket_rows(sales: Rows, refund_due, customers: Customers, cal: Calendar, rng) -> Rows:
    """Tickets: most bad orders (topic refund), a few other orders, and some account problems."""
    n = len(sales["t"])
    bad = sales["bad"] & (rng.random(n) < REFUND_TICKET_RATE)
    bad_opened = sales["t"] + ((refund_due - sales["t"]) * rng.uniform(0.1, 0.5, n)).astype(np.int64)
    other = ~sales["bad"] & (rng.random(n) < SALE_TICKET_RATE)
    other_opened = sales["t"] + HOUR + rng.exponential(2 * DAY, n).astype(np.int64)
    topic = rng.choice(len(TICKET_TOPICS), n, p=SALE_TICKET_TOPICS)
    account = np.flatnonzero(rng.random(len(customers)) < ACCOUNT_TICKET_RATE)
    account_opened = times_after_signup(cal, customers, account, rng)
    rows = concat_rows(
        [
            make_rows(owner=sales["owner"][bad], t=bad_opened[bad], topic=TICKET_TOPICS.index("refund")),
            make_rows(owner=sales["owner"][other], t=other_opened[other], topic=topic[other]),
            make_rows(owner=account, t=account_opened, topic=TICKET_TOPICS.index("akun")),
        ]
    )
    rows = take_rows(rows, rows["t"] < cal.horizon)
    return sort_rows(dict(rows, **ticket_handling(rows["t"], rows["topic"], cal.horizon, rng)), "owner", "t")


def ticket_handling(opened, topic, horizon: int, rng) -> Rows:
    """Channel, first response, resolution, status and cost of tickets; times after the window stay NULL."""
    n = len(opened)
    channel = draw(rng, TICKET_CHANNELS, "share", n)
    first = opened + (lookup(TICKET_CHANNELS, "first_response", channel) * rng.lognormal(0.0, 1.0, n)).astype(np.int64)
    resolved = first + (RESOLUTION_HOURS[topic] * HOUR * rng.lognormal(0.0, 1.1, n)).astype(np.int64)
    answered, done = first < horizon, resolved < horizon
    closed = done & (resolved + 7 * DAY < horizon) & (rng.random(n) < 0.8)
    status = np.select(
        [~answered, ~done, closed],
        [TICKET_STATUSES.index(s) for s in ("open", "pending", "closed")],
        TICKET_STATUSES.index("resolved"),
    )
    hours = (np.minimum(resolved, horizon) - opened) / HOUR
    cost = lookup(TICKET_CHANNELS, "base_cost", channel) + 350.0 * np.minimum(hours, 240.0)
    return dict(
        channel=channel,
        first=np.where(answered, first, NULL),
        resolved=np.where(done, resolved, NULL),
        status=status,
        cost=round_to(cost, 100.0),
        slow=~done | (resolved - opened > SLOW_TICKET),
    )
