"""The voice of the customer: NPS/CSAT surveys a few days after some purchases, with a score that falls
with recent tickets, slow resolutions and bad orders and rises with purchase frequency."""

from __future__ import annotations

import numpy as np

from crmlib.collect.synthetic.arrays import Rows, column, make_rows, sort_rows
from crmlib.collect.synthetic.calendar import Calendar
from crmlib.collect.synthetic.customers import Customers
from crmlib.collect.synthetic.history import History
from crmlib.collect.synthetic.world import (
    BAD_SURVEY_RATE,
    COMMENT_SHARE,
    COMMENTS,
    DAY,
    NPS_BAD_ORDER,
    NPS_BASE,
    NPS_PER_LOG_ORDER,
    NPS_SLOW_TICKET,
    NPS_TICKET,
    NULL,
    SURVEY_CHANNEL_MIX,
    SURVEY_CHANNELS,
    SURVEY_RATE,
    TICKET_MEMORY,
)


def feedback_rows(sales: Rows, tickets: Rows, customers: Customers, cal: Calendar, rng) -> Rows:
    """NPS/CSAT surveys a few days after some purchases, driven by the customer's experience so far."""
    n = len(sales["t"])
    asked = rng.random(n) < np.where(sales["bad"], BAD_SURVEY_RATE, SURVEY_RATE)
    at = sales["t"] + 2 * DAY + rng.integers(0, 8 * DAY, n)
    keep = np.flatnonzero(asked & (at < cal.horizon))
    owner, t, bad = sales["owner"][keep], at[keep], sales["bad"][keep]
    purchases = History(sales["owner"], sales["t"], cal.horizon).count_before(owner, t)
    ticket_history = History(tickets["owner"], tickets["t"], cal.horizon, weight=tickets["slow"])
    since = t - TICKET_MEMORY
    had_ticket = ticket_history.count_before(owner, t) > ticket_history.count_before(owner, since)
    had_slow = ticket_history.weight_before(owner, t) > ticket_history.weight_before(owner, since)
    mood = (
        customers.satisfaction[owner]
        + NPS_PER_LOG_ORDER * np.log1p(purchases)
        - NPS_TICKET * had_ticket
        - NPS_SLOW_TICKET * had_slow
        - NPS_BAD_ORDER * bad
        + rng.normal(0.0, 1.0, len(keep))
    )
    nps = np.clip(np.rint(NPS_BASE + mood), 0, 10).astype(np.int64)
    csat = np.clip(np.rint(1 + nps * 0.4 + rng.normal(0.0, 0.6, len(keep))), 1, 5).astype(np.int64)
    return sort_rows(
        make_rows(
            owner=owner,
            t=t,
            nps=nps,
            csat=csat,
            comment=comments(nps, bad, rng),
            channel=rng.choice(len(SURVEY_CHANNELS), len(keep), p=SURVEY_CHANNEL_MIX),
        ),
        "owner",
        "t",
    )


def comments(nps, bad, rng) -> np.ndarray:
    """A short comment code (or NULL) that matches the score, and the bad order if there was one."""
    group = np.array(column(COMMENTS, "tone"))
    tone = np.select([bad & (nps <= 6), nps <= 6, nps <= 8], [3, 0, 1], 2)
    pools = [np.flatnonzero(group == g) for g in range(4)]
    sizes = np.array([len(p) for p in pools])
    first = np.array([p[0] for p in pools])  # each pool is a contiguous block of COMMENTS
    code = first[tone] + (rng.random(len(nps)) * sizes[tone]).astype(np.int64)
    return np.where(rng.random(len(nps)) < COMMENT_SHARE, code, NULL)
