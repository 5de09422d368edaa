"""Calls: the contact centre's phone lines. Every phone ticket opens with an inbound service call; some of those
calls go unanswered and the customer calls again; a few callers have no customer record. Sales agents call each
opportunity a few times while it is open, and a won deal's last call makes the sale.

Drawn after the rest of the world (see `chunk`), so adding calls changed no other table. A call's ticket and
opportunity are row positions in the chunk's ticket and pipeline rows; `calls_table` turns them into ids.
"""

from __future__ import annotations

import numpy as np

from crmlib.collect.synthetic.arrays import Rows, column, concat_rows, group_starts, make_rows, sort_rows, take_rows
from crmlib.collect.synthetic.calendar import Calendar
from crmlib.collect.synthetic.world import (
    CALL_AGAIN_MINUTES,
    CALL_DIRECTIONS,
    CALL_OUTCOMES,
    CALL_PURPOSES,
    CALLBACK_SHARE,
    DAY,
    FIRST_CALL_FIX,
    MINUTE,
    MISSED_CALL_SHARE,
    NULL,
    RING_SECONDS,
    SALES_ANSWERED,
    SALES_CALLS,
    SALES_TALK,
    SERVICE_TALK,
    STAGES,
    TALK_SIGMA,
    TICKET_CHANNELS,
    UNKNOWN_CALLERS,
    UNKNOWN_RESOLVED,
    WRAP_UP_MINUTES,
)

INBOUND, OUTBOUND = (CALL_DIRECTIONS.index(d) for d in ("inbound", "outbound"))
SALES, SERVICE = (CALL_PURPOSES.index(p) for p in ("sales", "service"))
SALE, NO_SALE, RESOLVED, UNRESOLVED, CALLBACK = (CALL_OUTCOMES.index(o) for o in CALL_OUTCOMES)
PHONE = column(TICKET_CHANNELS, "name").index("phone")


def call_rows(tickets: Rows, pipeline: Rows, cal: Calendar, rng) -> Rows:
    """The chunk's calls, in time order: service calls about phone tickets, unknown callers, sales calls."""
    calls = concat_rows(
        [service_calls(tickets, rng), unknown_callers(tickets, cal, rng), sales_calls(pipeline, cal.horizon, rng)]
    )
    calls = take_rows(calls, calls["t"] < cal.horizon)
    return sort_rows(calls, "t", "direction")


def _talk(rng, answered: np.ndarray, median: float) -> tuple[np.ndarray, np.ndarray]:
    """Talk time and handling time (talk + wrap-up) in seconds; an unanswered call has neither."""
    n = len(answered)
    talk = np.round(median * rng.lognormal(0.0, TALK_SIGMA, n))
    handling = talk + np.round(rng.uniform(*WRAP_UP_MINUTES, n) * MINUTE)
    return np.where(answered, talk, 0.0), np.where(answered, handling, 0.0)


def service_calls(tickets: Rows, rng) -> Rows:
    """A call at the opening of every phone ticket; a missed one is followed by a second call that gets through.
    An answered call resolved its ticket when the ticket was resolved within FIRST_CALL_FIX of opening."""
    phone = np.flatnonzero(tickets["channel"] == PHONE)
    m = len(phone)
    opened, resolved = tickets["t"][phone], tickets["resolved"][phone]
    fixed = (resolved != NULL) & (resolved - opened <= FIRST_CALL_FIX)
    missed = rng.random(m) < MISSED_CALL_SHARE
    again = opened + np.round(rng.uniform(*CALL_AGAIN_MINUTES, m) * MINUTE).astype(np.int64)
    ticket = np.concatenate([phone, phone[missed]])
    answered = np.concatenate([~missed, np.ones(int(missed.sum()), dtype=bool)])
    talk, handling = _talk(rng, answered, SERVICE_TALK)
    outcome = np.where(np.concatenate([fixed, fixed[missed]]), RESOLVED, UNRESOLVED)
    return make_rows(
        t=np.concatenate([opened, again[missed]]),
        direction=INBOUND,
        owner=tickets["owner"][ticket],
        answered=answered,
        duration=talk,
        handling=handling,
        purpose=SERVICE,
        outcome=np.where(answered, outcome, CALLBACK),
        ticket=ticket,
        opportunity=NULL,
    )


def unknown_callers(tickets: Rows, cal: Calendar, rng) -> Rows:
    """Callers with no customer record (UNKNOWN_CALLERS per phone ticket), when the customers call, give or take
    two days; nobody calls back a missed unknown caller."""
    phone_times = tickets["t"][tickets["channel"] == PHONE]
    n = int(rng.poisson(UNKNOWN_CALLERS * len(phone_times))) if len(phone_times) else 0
    t = np.clip(rng.choice(phone_times, n) + rng.integers(-2 * DAY, 2 * DAY, n), 0, cal.horizon - 1) if n else []
    answered = rng.random(n) >= MISSED_CALL_SHARE
    talk, handling = _talk(rng, answered, SERVICE_TALK)
    outcome = np.where(rng.random(n) < UNKNOWN_RESOLVED, RESOLVED, UNRESOLVED)
    return make_rows(
        t=np.asarray(t, dtype=np.int64),
        direction=INBOUND,
        owner=NULL,
        answered=answered,
        duration=talk,
        handling=handling,
        purpose=SERVICE,
        outcome=np.where(answered, outcome, CALLBACK),
        ticket=NULL,
        opportunity=NULL,
    )


def sales_calls(pipeline: Rows, horizon: int, rng) -> Rows:
    """SALES_CALLS calls per opportunity between its creation and its close (or the window's end); SALES_ANSWERED
    of them are answered. A won deal's last call is answered and makes the sale; other answered calls end with no
    sale or a call back agreed, unanswered ones with a call back due."""
    n = len(pipeline["t"])
    counts = rng.integers(SALES_CALLS[0], SALES_CALLS[1] + 1, n)
    deal = np.repeat(np.arange(n), counts)
    created = pipeline["t"][deal]
    end = np.where(pipeline["closed"] == NULL, horizon, pipeline["closed"])[deal]
    t = created + (rng.random(len(deal)) * (end - created)).astype(np.int64)
    t = t[np.lexsort([t, deal])]  # deal is sorted already: this puts each deal's calls in time order
    last = np.zeros(len(deal), dtype=bool)
    last[group_starts(counts) + counts - 1] = True
    won = (pipeline["stage"] == STAGES.index("won"))[deal] & last
    answered = won | (rng.random(len(deal)) < SALES_ANSWERED)
    talk, handling = _talk(rng, answered, SALES_TALK)
    ring = np.round(rng.uniform(*RING_SECONDS, len(deal)))
    callback = rng.random(len(deal)) < CALLBACK_SHARE
    return make_rows(
        t=t,
        direction=OUTBOUND,
        owner=pipeline["owner"][deal],
        answered=answered,
        duration=talk,
        handling=np.where(answered, handling, ring),
        purpose=SALES,
        outcome=np.select([won, answered & ~callback], [SALE, NO_SALE], CALLBACK),
        ticket=NULL,
        opportunity=deal,
    )
