"""Order lines into orders: what one order's lines must agree on, and what they inherit from each other.

Rows of a transactions source that share a transaction_id are the lines of one order. The lines of an order belong
to one customer (lines naming two customers are quarantined, with both rows named); a line that leaves the customer,
channel or campaign blank inherits them from the order's other lines (exports such as Shopify's fill them on the
first line only); every line takes the order's first time (exports stamp the lines of one order a minute or two
apart). A cancelled order (an id with the cancellation prefix, or a negative quantity or amount) is a refund;
an order whose kind says `cancelled` (a status mapped by `ingest.values`: never paid) is kept apart from the
orders; lines whose product code is a non-product code (postage, fees) are revenue but not products. Columns an
export gives on an order's first line only (`ingest.order_fields`) are filled from it before the lines are
checked; an order's charges (`ingest.order_charges`) and its refunded amount become lines of their own.

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
    refund = refund.astype(bool) & ~kind.eq("cancelled").fillna(False).astype(bool)
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


def fill_order_fields(frame: pd.DataFrame, fields: list[str]) -> pd.DataFrame:
    """Raw lines whose `fields` are blank take the value of their order's first line that has one.

    >>> raw = pd.DataFrame({"transaction_id": ["1", "1", "2"], "ts": ["2025-06-01 10:00", "", "2025-06-02"]})
    >>> fill_order_fields(raw, ["ts"])["ts"].tolist()
    ['2025-06-01 10:00', '2025-06-01 10:00', '2025-06-02']
    """
    present = [f for f in fields if f in frame]
    if not present:
        return frame
    out = frame.copy()
    order = out["transaction_id"].astype("str").str.strip()
    for field in present:
        values = out[field].mask(out[field].astype("str").str.strip().eq(""))
        out[field] = values.fillna(values.groupby(order, sort=False).transform("first"))
    return out


def order_lines(lines: pd.DataFrame, charges: dict[str, pd.Series], refunded: pd.Series | None) -> pd.DataFrame:
    """The lines an order's own columns make, one per order and charge: a non-product line of each charge (its
    code, the charge's amount, whether the export repeats it on every line or gives it once) and a refund line of
    the refunded amount; `lines` are the order's checked lines, `charges` and `refunded` their values (numbers).

    >>> lines = pd.DataFrame({"transaction_id": ["1", "1"], "customer_id": ["c", "c"], "amount": [5.0, 6.0],
    ...                       "ts": pd.to_datetime(["2025-06-01"] * 2), "channel": [None] * 2,
    ...                       "campaign_id": [None] * 2})
    >>> made = order_lines(lines, {"SHIPPING": pd.Series([9.0, 9.0])}, pd.Series([4.0, None]))
    >>> made[["product_id", "amount", "kind"]].values.tolist()
    [['SHIPPING', 9.0, 'sale'], ['REFUND', -4.0, 'refund']]
    """
    order = lines["transaction_id"]
    made = []
    wanted = [(code, values, "sale", 1.0) for code, values in charges.items()]
    if refunded is not None:
        wanted.append(("REFUND", refunded, "refund", -1.0))
    for code, values, kind, sign in wanted:
        per_order = values.groupby(order.to_numpy(), sort=False).first()
        per_order = per_order[per_order.notna() & per_order.ne(0)]
        base = lines.drop_duplicates("transaction_id").set_index("transaction_id").loc[per_order.index]
        made.append(
            pd.DataFrame(
                {"transaction_id": per_order.index, "customer_id": base["customer_id"].to_numpy(),
                 "ts": base["ts"].to_numpy(), "amount": sign * per_order.abs().to_numpy(),
                 "quantity": pd.array([pd.NA] * len(per_order), "Int64"), "product_id": code,
                 "channel": base["channel"].to_numpy(), "campaign_id": base["campaign_id"].to_numpy(), "kind": kind,
                 "is_product": False}
            )
        )  # fmt: skip
    return pd.concat(made, ignore_index=True) if made else pd.DataFrame(columns=lines.columns)
