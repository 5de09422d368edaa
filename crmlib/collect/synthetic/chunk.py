"""One chunk of the world: customers lo..hi-1 and everything they do, simulated and turned into contract tables."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from crmlib.collect.synthetic.arrays import concat_rows, sort_rows, take_rows
from crmlib.collect.synthetic.calendar import Calendar
from crmlib.collect.synthetic.calls import call_rows
from crmlib.collect.synthetic.campaign_plan import CampaignPlan
from crmlib.collect.synthetic.campaigns import run_campaigns
from crmlib.collect.synthetic.customers import draw_customers
from crmlib.collect.synthetic.engagement import active_until, app_installs, session_events, session_times, sessionless
from crmlib.collect.synthetic.feedback import feedback_rows
from crmlib.collect.synthetic.ids import IdCounters
from crmlib.collect.synthetic.pipeline import opportunity_rows, proposals_and_kinds
from crmlib.collect.synthetic.purchases import baseline_sales, guest_sales, refunds, sale_details, sales_and_refunds
from crmlib.collect.synthetic.tables import (
    calls_table,
    customers_table,
    events_table,
    feedback_table,
    opportunities_table,
    tickets_table,
    transactions_table,
    truth_table,
)
from crmlib.collect.synthetic.tickets import ticket_rows
from crmlib.collect.synthetic.world import BROWSE_SESSIONS, CART_SESSIONS


def simulate_chunk(
    cal: Calendar, plan: CampaignPlan, lo: int, hi: int, total: int, rng, counters: IdCounters
) -> dict[str, pa.Table]:
    """Customers lo..hi-1 of `total` and everything they do, as contract tables (all but campaigns), plus the
    guests' orders of the chunk's share of the window, and `truth`: what the data cannot show (see truth_table).

    The order of the steps is the order of the draws from `rng`: changing it changes the world. New parts of the
    world draw after all the others (as the proposals, kinds of deal and calls do), so the old tables stay the same.
    """
    customers = draw_customers(cal, rng, lo, hi, total)
    base, dropout = baseline_sales(cal, customers, rng)
    bought = np.bincount(base["owner"], minlength=len(customers))
    until = active_until(cal, customers, dropout, bought > 0)
    browse = session_times(cal, customers, rng, BROWSE_SESSIONS, bought, until)
    carts = session_times(cal, customers, rng, CART_SESSIONS, bought, until)
    campaign_events, campaign, extra, skipped = run_campaigns(cal, plan, customers, base, dropout, carts, rng)
    base = take_rows(dict(base, campaign=campaign, cross=np.zeros(len(campaign), dtype=bool)), ~skipped)
    sales = sort_rows(concat_rows([base, *extra]), "owner", "t")
    sales.update(sale_details(customers, sales, rng))
    refund_at, refund_due = refunds(sales, rng, cal.horizon)
    tickets = ticket_rows(sales, refund_due, customers, cal, rng)
    events = concat_rows(
        [
            app_installs(customers),
            session_events(customers, sales, browse, carts, rng),
            *[sessionless(e) for e in campaign_events],
        ]
    )
    feedback = feedback_rows(sales, tickets, customers, cal, rng)
    pipeline = opportunity_rows(customers, cal, rng)
    customer_sales = sales_and_refunds(sales, refund_at)
    guests = guest_sales(cal, customer_sales, rng)
    # Drawn last, after everything above: the proposals, kinds of deal and calls came later to the world, and
    # drawing them here left every earlier column as it was.
    pipeline.update(proposals_and_kinds(pipeline, rng))
    calls = call_rows(tickets, pipeline, cal, rng)
    tables = {
        "customers": customers_table(cal, customers),
        "transactions": transactions_table(cal, customers, concat_rows([customer_sales, guests]), counters),
        "events": events_table(cal, customers, sort_rows(events, "owner", "t"), counters),
        "feedback": feedback_table(cal, customers, feedback, counters),
        "tickets": tickets_table(cal, customers, tickets, counters),
        "opportunities": opportunities_table(cal, customers, pipeline, counters),
    }
    return {
        **tables,
        "calls": calls_table(cal, customers, calls, counters, tables["tickets"], tables["opportunities"]),
        "truth": truth_table(cal, customers, dropout, np.bincount(sales["owner"], minlength=len(customers)) > 0),
    }
