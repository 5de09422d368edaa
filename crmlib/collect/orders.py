"""Order lines into orders: what one order's lines must agree on, and what they inherit from each other.

Rows of a transactions source that share a transaction_id are the lines of one order. The lines of an order belong
to one customer (lines naming two customers are quarantined, with both rows named); a line that leaves the customer,
channel or campaign blank inherits them from the order's other lines (exports such as Shopify's fill them on the
first line only); every line takes the order's first time (exports stamp the lines of one order a minute or two
apart). A cancelled order (an id with the cancellation prefix, or a negative quantity or amount) is a refund;
lines whose product code is a non-product code (postage, fees) are revenue but not products.

>>> from crmlib.collect.options import IngestOptions
>>> lines = pd.DataFrame({"transaction_id": ["A", "A", "C9"], "customer_id": ["c1", None, "c2"],
...                       "ts": pd.to_datetime(["2025-06-01 10:00", "2025-06-01 10:01", "2025-06-02 00:00"]),
...                       "amount": [10.0, 2.5, 4.0], "quantity": pd.array([1, 1, 1], "Int64"),
...                       "product_id": ["P1", "POST", "P1"], "kind": [None, None, None],
...                       "channel": [None] * 3, "campaign_id": [None] * 3})
>>> marked = mark_lines(lines, IngestOptions(cancellation_prefix="C", non_product_codes=["post"]))
>>> marked[["kind", "amount", "is_product"]].values.tolist()
[['sale', 10.0, True], ['sale', 2.5, False], ['refund', -4.0, True]]
>>> orders = consolidate(marked, pd.Series([2, 3, 4]), exclude=np.array([], dtype=int))
>>> orders.lines["customer_id"].tolist(), orders.lines["ts"].dt.strftime("%H:%M").tolist(), orders.spread
(['c1', 'c1', 'c2'], ['10:00', '10:00', '00:00'], 1)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from crmlib.collect.options import IngestOptions

INHERITED = ("customer_id", "channel", "campaign_id")  # order-level fields a line may leave blank


def mark_lines(typed: pd.DataFrame, options: IngestOptions) -> pd.DataFrame:
    """Sale or refund for every line (amounts of refunds made negative), and whether it is a product line."""
    kind = typed["kind"].str.lower()
    refund = (
        typed["amount"].lt(0).fillna(False)
        | kind.eq("refund").fillna(False)
        | typed["quantity"].lt(0).fillna(False).astype(bool)
    )
    if options.cancellation_prefix:
        refund |= typed["transaction_id"].str.startswith(options.cancellation_prefix).fillna(False)
    refund = refund.astype(bool)
    typed["amount"] = typed["amount"].where(~refund, -typed["amount"].abs())
    typed["kind"] = kind.mask(refund, "refund").fillna("sale")
    codes = {code.upper() for code in options.non_product_codes}
    typed["is_product"] = (~typed["product_id"].str.strip().str.upper().isin(codes)).astype("boolean")
    return typed


@dataclass
class Orders:
    """Lines made consistent within their orders; the lines of orders naming two customers, as problems."""

    lines: pd.DataFrame
    conflicts: pd.DataFrame  # pos, column, check_name, reason
    spread: int  # orders whose lines were stamped at different times
    orders: int


def consolidate(lines: pd.DataFrame, row_numbers: pd.Series, exclude: np.ndarray) -> Orders:
    """Check and fill the lines of each order, leaving out the rows at positions `exclude` (already rejected)."""
    good = np.ones(len(lines), dtype=bool)
    good[np.asarray(exclude, dtype=int)] = False
    frame = lines.loc[good]
    order = frame["transaction_id"]
    customers = frame.groupby(order, sort=False)["customer_id"].transform("nunique")
    conflicting = frame[customers > 1]
    conflicts = _conflicts(conflicting, row_numbers, lines.index)
    fine = frame.index[customers <= 1]
    by_order = frame.loc[fine].groupby(order.loc[fine], sort=False)
    filled = lines.copy()
    for column in INHERITED:
        filled.loc[fine, column] = by_order[column].transform("first")
    first, last = by_order["ts"].transform("min"), by_order["ts"].transform("max")
    filled.loc[fine, "ts"] = first
    spread = int(order.loc[fine][(last > first).to_numpy()].nunique())
    return Orders(filled, conflicts, spread, int(order.loc[fine].nunique()))


def _conflicts(lines: pd.DataFrame, row_numbers: pd.Series, index: pd.Index) -> pd.DataFrame:
    """One problem per line of an order that names several customers, naming the first rows of two of them."""
    if lines.empty:
        return pd.DataFrame({"pos": np.array([], dtype=int), "column": [], "check_name": [], "reason": []})
    rows = row_numbers.to_numpy()[index.get_indexer(lines.index)]
    firsts = (
        lines.assign(row=rows)
        .drop_duplicates(["transaction_id", "customer_id"])
        .dropna(subset=["customer_id"])
        .groupby("transaction_id")
        .head(2)
    )
    named = {tid: list(zip(g["customer_id"], g["row"])) for tid, g in firsts.groupby("transaction_id")}
    reasons = []
    for tid in lines["transaction_id"]:
        (a, row_a), (b, row_b) = named[tid][:2]
        reasons.append(
            (
                "quarantine.conflict",
                {"order": repr(tid), "a": repr(a), "row_a": str(row_a), "b": repr(b), "row_b": str(row_b)},
            )
        )
    return pd.DataFrame(
        {
            "pos": index.get_indexer(lines.index),
            "column": "customer_id",
            "check_name": "conflict",
            "reason": pd.Series(reasons, dtype=object),
        }
    )
