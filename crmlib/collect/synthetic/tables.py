"""The contract tables of a chunk (and the campaign calendar) as Arrow tables: codes become labels and ids."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from crmlib.collect.contract import TABLES
from crmlib.collect.synthetic.arrays import Rows, column, round_to
from crmlib.collect.synthetic.arrow import contract_table, labels, to_arrow
from crmlib.collect.synthetic.calendar import Calendar
from crmlib.collect.synthetic.campaign_plan import CampaignPlan
from crmlib.collect.synthetic.customers import Customers
from crmlib.collect.synthetic.ids import IdCounters, format_ids, ids_at
from crmlib.collect.synthetic.purchases import expected_order_values
from crmlib.collect.synthetic.world import (
    ACQUISITION,
    CALL_DIRECTIONS,
    CALL_OUTCOMES,
    CALL_PURPOSES,
    CAMPAIGNS,
    CATEGORIES,
    CITIES,
    COMMENTS,
    DAY,
    EMAIL_DOMAINS,
    EVENT_CHANNELS,
    EVENT_TYPES,
    FIRST_NAMES,
    LAST_NAMES,
    NULL,
    OPPORTUNITY_KINDS,
    OPPORTUNITY_SOURCES,
    PHONE_PREFIXES,
    SALE_CHANNELS,
    SEND_COST,
    STAGES,
    SURVEY_CHANNELS,
    TICKET_CHANNELS,
    TICKET_STATUSES,
    TICKET_TOPICS,
)


def customers_table(cal: Calendar, customers: Customers) -> pa.Table:
    """The chunk's profile rows (consents as they stand after the window's unsubscribes)."""
    first = np.where(customers.female, customers.first_name, customers.first_name + len(FIRST_NAMES["F"]))
    first_names = labels(FIRST_NAMES["F"] + FIRST_NAMES["M"], first)
    last_names = labels(LAST_NAMES, customers.last_name)
    local = pc.binary_join_element_wise(
        pc.utf8_lower(first_names), pc.utf8_lower(last_names), ".", null_handling="skip"
    )
    domain = labels(column(EMAIL_DOMAINS, "domain"), customers.email_domain)
    number = pc.cast(pa.array(customers.gidx + 1), pa.string())
    prefix = labels(PHONE_PREFIXES, customers.phone_prefix)
    subscriber = pc.utf8_lpad(pc.cast(pa.array(customers.phone_number), pa.string()), width=8, padding="0")
    return contract_table(
        "customers",
        cal.epoch,
        {
            "customer_id": customers.ids,
            "signup_date": customers.t_signup,
            "name": pc.binary_join_element_wise(first_names, last_names, " ", null_handling="skip"),
            "email": pc.binary_join_element_wise(local, number, "@", domain, ""),
            "phone": pc.binary_join_element_wise("+628", prefix, subscriber, ""),
            "birth_date": customers.birth_day,
            "gender": labels(("F", "M"), np.where(customers.female, 0, 1)),
            "city": labels(column(CITIES, "name"), customers.city),
            "region": labels(column(CITIES, "province"), customers.city),
            "acquisition_channel": labels(column(ACQUISITION, "channel"), customers.acquisition),
            "referred_by": ids_at("customers", customers.referred_by, customers.id_width),
            "consent_email": customers.consent_email,
            "consent_whatsapp": customers.consent_whatsapp,
        },
    )


def customer_rows_table(
    name: str, cal: Calendar, customers: Customers, rows: Rows, counters: IdCounters, columns: dict
) -> pa.Table:
    """A table whose every row belongs to a chunk customer: a new id and the owner's customer_id, then `columns`."""
    return contract_table(
        name,
        cal.epoch,
        {
            TABLES[name].id_column: counters.new_ids(name, len(rows["t"])),
            "customer_id": customers.ids.take(rows["owner"]),
            **columns,
        },
    )


def transactions_table(cal: Calendar, customers: Customers, rows: Rows, counters: IdCounters) -> pa.Table:
    """Sales and refunds, one row per order; guests' orders have no customer_id; refunds' ids start with C."""
    codes = labels(column(CATEGORIES, "code"), rows["category"])
    numbers = pc.utf8_lpad(pc.cast(pa.array(rows["product"]), pa.string()), width=4, padding="0")
    ids = counters.new_ids("transactions", len(rows["t"]))
    owner = rows["owner"]
    return contract_table(
        "transactions",
        cal.epoch,
        {
            "transaction_id": pc.if_else(
                pa.array(rows["kind"] == 1), pc.replace_substring(ids, "T", "C", max_replacements=1), ids
            ),
            "customer_id": customers.ids.take(pa.array(owner, mask=owner == NULL)),
            "ts": rows["t"],
            "amount": rows["amount"],
            "quantity": rows["quantity"],
            "unit_price": np.full(len(owner), np.nan),
            "category": labels(column(CATEGORIES, "name"), rows["category"]),
            "product_id": pc.binary_join_element_wise(codes, numbers, "-"),
            "channel": labels(SALE_CHANNELS, rows["channel"]),
            "campaign_id": ids_at("campaigns", rows["campaign"]),
            "kind": labels(("sale", "refund"), rows["kind"]),
        },
    )


def events_table(cal: Calendar, customers: Customers, rows: Rows, counters: IdCounters) -> pa.Table:
    """Engagement events; session numbers within the chunk become global session ids."""
    session = rows["session"]
    first = counters.take("sessions", int(session.max()) + 1 if len(session) else 0)
    return customer_rows_table(
        "events",
        cal,
        customers,
        rows,
        counters,
        {
            "ts": rows["t"],
            "event_type": labels(EVENT_TYPES, rows["type"]),
            "channel": labels(EVENT_CHANNELS, rows["channel"]),
            "campaign_id": ids_at("campaigns", rows["campaign"]),
            "session_id": format_ids("sessions", np.where(session == NULL, NULL, first + session)),
            "duration_s": rows["duration"],
        },
    )


def feedback_table(cal: Calendar, customers: Customers, rows: Rows, counters: IdCounters) -> pa.Table:
    """Survey responses."""
    return customer_rows_table(
        "feedback",
        cal,
        customers,
        rows,
        counters,
        {
            "ts": rows["t"],
            "nps_score": rows["nps"],
            "csat": rows["csat"],
            "comment": labels(column(COMMENTS, "text"), rows["comment"]),
            "channel": labels(SURVEY_CHANNELS, rows["channel"]),
        },
    )


def tickets_table(cal: Calendar, customers: Customers, rows: Rows, counters: IdCounters) -> pa.Table:
    """Service tickets."""
    return customer_rows_table(
        "tickets",
        cal,
        customers,
        rows,
        counters,
        {
            "opened_at": rows["t"],
            "first_response_at": rows["first"],
            "resolved_at": rows["resolved"],
            "channel": labels(column(TICKET_CHANNELS, "name"), rows["channel"]),
            "topic": labels(TICKET_TOPICS, rows["topic"]),
            "status": labels(TICKET_STATUSES, rows["status"]),
            "cost": rows["cost"],
        },
    )


def opportunities_table(cal: Calendar, customers: Customers, rows: Rows, counters: IdCounters) -> pa.Table:
    """The B2B pipeline; deals not linked to a customer have no customer_id."""
    owner = rows["owner"]
    return contract_table(
        "opportunities",
        cal.epoch,
        {
            "opportunity_id": counters.new_ids("opportunities", len(owner)),
            "created_at": rows["t"],
            "stage": labels(STAGES, rows["stage"]),
            "customer_id": customers.ids.take(pa.array(owner, mask=owner == NULL)),
            "closed_at": rows["closed"],
            "value": rows["value"],
            "source": labels(column(OPPORTUNITY_SOURCES, "name"), rows["source"]),
            "proposal_at": rows["proposal"],
            "kind": labels(OPPORTUNITY_KINDS, rows["kind"]),
        },
    )


def calls_table(
    cal: Calendar, customers: Customers, rows: Rows, counters: IdCounters, tickets: pa.Table, opportunities: pa.Table
) -> pa.Table:
    """Phone calls; a call's ticket and opportunity (row positions in the chunk's `tickets` and `opportunities`
    tables) become their ids; unknown callers and deals without a customer have no customer_id."""
    owner, ticket, deal = rows["owner"], rows["ticket"], rows["opportunity"]
    return contract_table(
        "calls",
        cal.epoch,
        {
            "call_id": counters.new_ids("calls", len(owner)),
            "ts": rows["t"],
            "direction": labels(CALL_DIRECTIONS, rows["direction"]),
            "customer_id": customers.ids.take(pa.array(owner, mask=owner == NULL)),
            "answered": pa.array(rows["answered"], pa.bool_()),
            "duration_s": rows["duration"],
            "handling_s": rows["handling"],
            "purpose": labels(CALL_PURPOSES, rows["purpose"]),
            "outcome": labels(CALL_OUTCOMES, rows["outcome"]),
            "ticket_id": tickets["ticket_id"].take(pa.array(ticket, mask=ticket == NULL)),
            "opportunity_id": opportunities["opportunity_id"].take(pa.array(deal, mask=deal == NULL)),
        },
    )


def campaigns_table(cal: Calendar, plan: CampaignPlan) -> pa.Table:
    """The campaign calendar; cost is a fixed creative cost plus the messages actually sent."""
    fixed = np.array([CAMPAIGNS[k].fixed_cost for k in plan.kind], dtype=float)
    per_message = np.array([SEND_COST[c] for c in plan.channel], dtype=float)
    start = cal.epoch // DAY
    return contract_table(
        "campaigns",
        cal.epoch,
        {
            "campaign_id": ids_at("campaigns", np.arange(len(plan))),
            "name": pa.array(plan.name, pa.string()),
            "type": pa.array(plan.kind, pa.string()),
            "channel": pa.array(plan.channel, pa.string()),
            "start_date": start + plan.start_day,
            "end_date": start + plan.end_day,
            "cost": round_to(fixed + per_message * plan.sent, 1000.0),
            "control_share": plan.control_share,
        },
    )


ACTIVITY = "activity.csv"  # the truth's calendar: how busy each day is for purchases


def activity_table(cal: Calendar):
    """Per calendar day of the window: operational days in it (purchase rates run in operational time; 1 on
    average), so a truth check can tell how many purchases a rate gives over any stretch of days."""
    import pandas as pd

    days = pd.date_range(cal.start, periods=cal.days, freq="D")
    return pd.DataFrame({"date": days.strftime("%Y-%m-%d"), "activity": np.diff(cal.sales_cum)})


TRUTH_COLUMNS = (
    "customer_id",
    "buyer",
    "purchase_rate_per_day",
    "dropout_probability",
    "dropped_out_at",
    "engagement",
    "put_off",
    "expected_order_value",
    "expected_cross_sell_value",
)


def truth_table(cal: Calendar, customers: Customers, dropout: np.ndarray, bought: np.ndarray) -> pa.Table:
    """What the world knows and the data do not show: per customer whether they bought, their purchase rate
    (per day, in operational time) and drop-out probability, and when they dropped out of buying on their own
    (missing: still alive); a campaign may still win a dropped-out customer back for one purchase. And how
    campaigns move them (engagement, put off: see `response`), with the mean value of their orders and of an order a
    cross-sell campaign causes."""
    gone = np.isfinite(dropout)
    seconds = np.where(gone, cal.clock(np.where(gone, dropout, 0.0)), NULL)
    ordinary, cross_sell = expected_order_values(customers)
    return pa.table(
        {
            "customer_id": customers.ids,
            "buyer": pa.array(bought),
            "purchase_rate_per_day": pa.array(customers.lam),
            "dropout_probability": pa.array(customers.p_drop),
            "dropped_out_at": to_arrow("ts", seconds, cal.epoch),
            "engagement": pa.array(customers.engagement),
            "put_off": pa.array(customers.put_off),
            "expected_order_value": pa.array(ordinary),
            "expected_cross_sell_value": pa.array(cross_sell),
        }
    )
