"""Shapes of real data, made from the synthetic sample by dropping or changing parts: what a business brings.

Each shape is a function that edits a raw folder (one CSV per contract table, the sample's tidy layout) in place,
as a user's export would differ from the synthetic world; `minimal_export` edits the order-line layout instead.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

SIDE_TABLES = ("events", "feedback", "tickets", "opportunities", "calls")


def _read(raw: Path, table: str) -> pd.DataFrame:
    return pd.read_csv(raw / f"{table}.csv", dtype=str, keep_default_na=False)


def _write(raw: Path, table: str, frame: pd.DataFrame) -> None:
    frame.to_csv(raw / f"{table}.csv", index=False)


def _drop(raw: Path, *tables: str) -> None:
    for table in tables:
        (raw / f"{table}.csv").unlink(missing_ok=True)


def transactions_only(raw: Path) -> None:
    """Only the four required columns of the transactions; no other file."""
    _drop(raw, "customers", "campaigns", *SIDE_TABLES)
    _write(raw, "transactions", _read(raw, "transactions")[["transaction_id", "customer_id", "ts", "amount"]])


def no_categories(raw: Path) -> None:
    """Transactions without category or product."""
    _write(raw, "transactions", _read(raw, "transactions").drop(columns=["category", "product_id"]))


def no_customers(raw: Path) -> None:
    """No customers file: every customer is derived from the other tables."""
    _drop(raw, "customers")


def third_of_customers(raw: Path) -> None:
    """A customers file for a third of the buyers (as a loyalty programme keeps profiles)."""
    customers = _read(raw, "customers")
    _write(raw, "customers", customers.iloc[::3])


def no_contacts(raw: Path) -> None:
    """Customers without any contact or consent column."""
    customers = _read(raw, "customers")
    _write(raw, "customers", customers.drop(columns=["name", "email", "phone", "consent_email", "consent_whatsapp"]))


def no_events(raw: Path) -> None:
    _drop(raw, "events")


def no_feedback(raw: Path) -> None:
    _drop(raw, "feedback")


def no_service(raw: Path) -> None:
    """No tickets, opportunities or calls."""
    _drop(raw, "tickets", "opportunities", "calls")


def campaigns_only(raw: Path) -> None:
    """Campaigns listed, but no sends among the events and no campaign on any sale: no members, no holdouts."""
    events = _read(raw, "events")
    _write(raw, "events", events[~events["event_type"].str.endswith("_sent")].assign(campaign_id=""))
    _write(raw, "transactions", _read(raw, "transactions").assign(campaign_id=""))


def own_campaign_types(raw: Path) -> None:
    """Campaign types and channels of the business's own naming."""
    campaigns = _read(raw, "campaigns")
    types = {t: name for t, name in zip(sorted(campaigns["type"].unique()), ["Type A", "coupon", "Type B"] * 4)}
    channels = {c: name for c, name in zip(sorted(campaigns["channel"].unique()), ["direct_mail", "email"] * 4)}
    _write(raw, "campaigns", campaigns.assign(type=campaigns["type"].map(types),
                                              channel=campaigns["channel"].map(channels)))  # fmt: skip


def _keep_last_months(raw: Path, months: int) -> None:
    transactions = _read(raw, "transactions")
    end = pd.to_datetime(transactions["ts"]).max().to_period("M").to_timestamp() + pd.DateOffset(months=1)
    start = end - pd.DateOffset(months=months)
    for table, column in (("transactions", "ts"), ("events", "ts"), ("feedback", "ts"), ("tickets", "opened_at"),
                          ("opportunities", "created_at"), ("calls", "ts")):  # fmt: skip
        frame = _read(raw, table)
        _write(raw, table, frame[pd.to_datetime(frame[column]) >= start])
    campaigns = _read(raw, "campaigns")
    _write(raw, "campaigns", campaigns[pd.to_datetime(campaigns["start_date"]) >= start])


def twelve_months(raw: Path) -> None:
    """Exactly 12 months of history (the KPIs' active window)."""
    _keep_last_months(raw, 12)


def three_months(raw: Path) -> None:
    _keep_last_months(raw, 3)


def one_time_buyers(raw: Path) -> None:
    """95% of the buyers bought once: their later orders are removed."""
    transactions = _read(raw, "transactions")
    first = transactions.sort_values("ts").groupby("customer_id")["transaction_id"].transform("first").sort_index()
    rng = np.random.default_rng(1)
    buyers = transactions["customer_id"].unique()
    repeaters = set(rng.choice(buyers, size=max(1, len(buyers) // 20), replace=False))
    keep = (transactions["transaction_id"] == first) | transactions["customer_id"].isin(repeaters)
    keep |= transactions["customer_id"].eq("")  # guests stay
    _write(raw, "transactions", transactions[keep])


def single_category(raw: Path) -> None:
    _write(raw, "transactions", _read(raw, "transactions").assign(category="Semua"))


def concentrated(raw: Path) -> None:
    """One customer in 20 makes 80% of revenue."""
    transactions = _read(raw, "transactions")
    amount = transactions["amount"].astype(float)
    buyers = sorted(transactions["customer_id"].unique())
    whales = set(buyers[::20])
    big = transactions["customer_id"].isin(whales)
    factor = 4 * amount[~big].sum() / max(amount[big].sum(), 1)  # whales: 80% of the total
    _write(raw, "transactions", transactions.assign(amount=np.where(big, (amount * factor).round(), amount)))


def minimal_export(raw: Path) -> None:
    """An order-line export (the `lines` layout, in Windows-1252 as such exports come) without its Category,
    Channel and Campaign columns: invoice, stock code, quantity, date, price and customer only."""
    path = raw / "transactions.csv"
    lines = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="cp1252")
    lines.drop(columns=["Category", "Channel", "Campaign"]).to_csv(path, index=False, encoding="cp1252")


SHAPES: dict[str, Callable[[Path], None]] = {
    f.__name__: f
    for f in (
        transactions_only, no_categories, no_customers, third_of_customers, no_contacts, no_events, no_feedback,
        no_service, campaigns_only, own_campaign_types, twelve_months, three_months, one_time_buyers,
        single_category, concentrated, minimal_export,
    )
}  # fmt: skip
LINES_LAYOUT = {"minimal_export"}  # shapes made from the order-line layout of the sample


def make_shape(name: str, raw: Path) -> None:
    """Turn the sample in `raw` into the shape `name`."""
    SHAPES[name](raw)
