"""The B2B sales pipeline: opportunities moving lead -> qualified -> proposal -> won or lost; won deals
name an existing customer."""

from __future__ import annotations

import numpy as np

from crmlib.collect.synthetic.arrays import Rows, draw, lookup, make_rows, round_to, sort_rows
from crmlib.collect.synthetic.calendar import Calendar
from crmlib.collect.synthetic.customers import Customers, times_after_signup
from crmlib.collect.synthetic.world import DAY, NULL, OPPORTUNITY_RATE, OPPORTUNITY_SOURCES, STAGES


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
            value=value,
            source=source,
        ),
        "t",
    )
