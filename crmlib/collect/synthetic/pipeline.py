"""The B2B sales pipeline: opportunities moving lead -> qualified -> proposal -> won or lost; won deals
name an existing customer. A deal that got as far as a proposal says when it was sent; a deal with a customer may
be a renewal or an upsell."""

from __future__ import annotations

import numpy as np

from crmlib.collect.synthetic.arrays import Rows, draw, lookup, make_rows, round_to, sort_rows
from crmlib.collect.synthetic.calendar import Calendar
from crmlib.collect.synthetic.customers import Customers, times_after_signup
from crmlib.collect.synthetic.world import (
    DAY,
    LOST_PROPOSAL_SHARE,
    NULL,
    OPPORTUNITY_KINDS,
    OPPORTUNITY_RATE,
    OPPORTUNITY_SOURCES,
    PROPOSAL_AT,
    RENEWAL_SHARE,
    STAGES,
    UPSELL_SHARE,
)


def opportunity_rows(customers: Customers, cal: Calendar, rng) -> Rows:
    """B2B deals opened by existing customers' companies; open deals advance with age, old ones are won or lost."""
    n = int(rng.poisson(len(customers) * OPPORTUNITY_RATE))
    who = rng.integers(0, len(customers), n)
    created = times_after_signup(cal, customers, who, rng)
    cycle = DAY + (rng.gamma(2.0, 20.0, n) * DAY).astype(np.int64)
    source = draw(rng, OPPORTUNITY_SOURCES, "share", n)
    closed = created + cycle < cal.horizon
    won = closed & (rng.random(n) < lookup(OPPORTUNITY_SOURCES, "win_rate", source))
    progress = (cal.horizon - created) / cycle
    stage = np.select(
        [won, closed, progress < 1 / 3, progress < 2 / 3],
        [STAGES.index(s) for s in ("won", "lost", "lead", "qualified")],
        STAGES.index("proposal"),
    )
    value = np.maximum(round_to(rng.lognormal(np.log(25e6), 1.0, n), 1e5), 1e6)
    linked = won | (rng.random(n) < 0.3)
    return sort_rows(
        make_rows(
            owner=np.where(linked, who, NULL),
            t=created,
            stage=stage,
            closed=np.where(closed, created + cycle, NULL),
            cycle=cycle,
            value=value,
            source=source,
        ),
        "t",
    )


def proposals_and_kinds(rows: Rows, rng) -> Rows:
    """When each deal's proposal went out (NULL: none did) and its kind (new, renewal, upsell).

    Deals at stage proposal, won deals and LOST_PROPOSAL_SHARE of the lost ones had a proposal, sent after a share
    PROPOSAL_AT of their cycle: before the close, and (below 2/3 of the cycle) before the window's end for the open
    deals at stage proposal. Drawn after the rest of the world, so the other columns stay as they were.
    """
    n = len(rows["t"])
    stage = rows["stage"]
    lost = stage == STAGES.index("lost")
    reached = np.isin(stage, [STAGES.index("proposal"), STAGES.index("won")]) | (
        lost & (rng.random(n) < LOST_PROPOSAL_SHARE)
    )
    sent = rows["t"] + (rows["cycle"] * rng.uniform(*PROPOSAL_AT, n)).astype(np.int64)
    u = rng.random(n)
    kind = np.select(
        [rows["owner"] == NULL, u < RENEWAL_SHARE, u < RENEWAL_SHARE + UPSELL_SHARE],
        [OPPORTUNITY_KINDS.index(k) for k in ("new", "renewal", "upsell")],
        OPPORTUNITY_KINDS.index("new"),
    )
    return dict(proposal=np.where(reached, sent, NULL), kind=kind)
