"""The order-line layout: the world's orders as a shop system exports them, one row per order line.

Columns as in the UCI online retail exports (InvoiceNo, StockCode, Description, Quantity, InvoiceDate, UnitPrice,
CustomerID, Country), plus the Category, Channel and Campaign a shop system also knows. No amount column: a line
is Quantity x UnitPrice; an order's lines add up to the tidy layout's amount exactly, Rupiah for Rupiah. Web and
app orders usually carry a POST line (shipping); an order may hold several products, and its lines may be stamped
a minute apart; cancellations are invoices with a C prefix and negative quantities; guests' lines have no
CustomerID; times are US-style (6/30/2025 14:05, to the minute); the file is Windows-1252.

The split into lines draws from a generator of its own, so the tidy files stay the same whichever layout is
written.

>>> import numpy as np, pyarrow as pa
>>> tidy = pa.table({"transaction_id": ["T1", "C2"], "customer_id": ["C0000001", None],
...                  "ts": pa.array([0, 86_400], pa.timestamp("s")), "amount": [250_000.0, -80_000.0],
...                  "quantity": [3, 2], "unit_price": [None, None], "category": ["Fashion", "Fashion"],
...                  "product_id": ["FSH-0001", "FSH-0002"], "channel": ["web", "offline_store"],
...                  "campaign_id": [None, None], "kind": ["sale", "refund"]})
>>> lines = order_lines(tidy, np.random.default_rng(1))
>>> lines.groupby("InvoiceNo").apply(lambda g: (g.Quantity * g.UnitPrice).sum(), include_groups=False).to_dict()
{'C2': -80000, 'T1': 250000}
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from crmlib.collect.synthetic.arrays import column, round_to
from crmlib.collect.synthetic.world import CATEGORIES

COLUMNS = (
    "InvoiceNo",
    "StockCode",
    "Description",
    "Category",
    "Quantity",
    "InvoiceDate",
    "UnitPrice",
    "CustomerID",
    "Country",
    "Channel",
    "Campaign",
)
ENCODING = "cp1252"
POSTAGE = (9_000, 12_000, 15_000, 18_000)  # Rupiah per web or app order that is not shipped free
POSTAGE_CODE, POSTAGE_TEXT = "POST", "Ongkos kirim \u2013 JNE/J&T"
FREE_SHIPPING = 0.2
EXTRA_PRODUCTS = 0.7  # mean products beyond the first in an order (Poisson), at most MAX_PRODUCTS in all
MAX_PRODUCTS = 4
SAME_CATEGORY = 0.6  # an extra product comes from the order's category this often
SPREAD = 0.05  # share of multi-line orders whose later lines are stamped a minute or two after the first
MIN_PRICE = 1_000


def order_lines(tidy: pa.Table, rng) -> pd.DataFrame:
    """One chunk's tidy transactions (one row per order) as order lines, in the export's columns."""
    t = tidy.to_pandas()
    n = len(t)
    amount, quantity = t["amount"].to_numpy(), t["quantity"].to_numpy(dtype=np.int64)
    sale = (t["kind"] == "sale").to_numpy()
    online = t["channel"].isin(["web", "app"]).to_numpy()
    postage = np.where(
        sale & online & (amount >= 30_000) & (rng.random(n) >= FREE_SHIPPING), rng.choice(POSTAGE, n), 0
    ).astype(float)
    rest = np.abs(amount) - postage
    products = np.where(sale, np.minimum(1 + rng.poisson(EXTRA_PRODUCTS, n), MAX_PRODUCTS), 1)
    products = np.where(rest >= 2 * MIN_PRICE * products, products, 1)
    first_units = np.where(products > 1, np.maximum(quantity - (products - 1), 1), quantity)

    # products after the first: a share of the rest each, whole Rupiah hundreds per unit, the last takes what is left
    order = np.repeat(np.arange(n), products)
    rank = np.arange(len(order)) - np.repeat(np.cumsum(products) - products, products)
    weight = rng.gamma(2.0, 1.0, len(order))
    share = weight / np.bincount(order, weight)[order]
    units = np.where(rank == 0, first_units[order], 1)
    last = rank == products[order] - 1
    price = np.maximum(MIN_PRICE, round_to(share * rest[order] / units, 100.0))
    spent = np.bincount(order, np.where(last, 0.0, units * price), minlength=n)
    too_much = spent > rest - MIN_PRICE
    price = np.where(last, rest[order] - spent[order], price)

    # an order whose products cannot share the amount is one product line; its units split when their price
    # would not be whole hundreds (Q - 1 units at a round price and one unit at the rest)
    single = (products == 1) | too_much
    keep = ~single[order]
    q, whole = quantity.clip(min=1), np.floor(rest / quantity.clip(min=1) / 100.0) * 100.0
    even = (rest % (100 * q) == 0) | (q == 1)
    single_units = [np.where(single & even, q, np.where(single, q - 1, 0)), np.where(single & ~even, 1, 0)]
    single_price = [np.where(even, rest / q, whole), rest - (q - 1) * whole]

    lines = []
    lines.append(
        pd.DataFrame(
            {
                "order": order[keep],
                "rank": rank[keep],
                "units": units[keep],
                "price": price[keep],
                "extra": rank[keep] > 0,
            }
        )
    )
    for k, (u, p) in enumerate(zip(single_units, single_price)):
        pick = single & (u > 0)
        lines.append(
            pd.DataFrame({"order": np.flatnonzero(pick), "rank": k, "units": u[pick], "price": p[pick], "extra": False})
        )
    pick = postage > 0
    lines.append(
        pd.DataFrame(
            {
                "order": np.flatnonzero(pick),
                "rank": MAX_PRODUCTS + 1,
                "units": 1,
                "price": postage[pick],
                "extra": False,
                "postage": True,
            }
        )
    )
    frame = pd.concat(lines, ignore_index=True).sort_values(["order", "rank"], kind="stable").reset_index(drop=True)
    frame["postage"] = frame["postage"].fillna(False).astype(bool)
    return _export(t, frame, rng)


def _export(t: pd.DataFrame, lines: pd.DataFrame, rng) -> pd.DataFrame:
    """The lines in the export's columns: products for the extra lines, signs, descriptions and stamped times."""
    order = lines["order"].to_numpy()
    m = len(lines)
    names, codes = np.array(column(CATEGORIES, "name")), np.array(column(CATEGORIES, "code"))
    home = pd.Categorical(t["category"], categories=names).codes[order]
    other = rng.integers(0, len(CATEGORIES), m)
    extra = lines["extra"].to_numpy()
    category = np.where(extra & (rng.random(m) >= SAME_CATEGORY), other, home)
    number = 1 + np.floor(np.array(column(CATEGORIES, "products"))[category] * rng.random(m) ** 2.5).astype(int)
    stock = np.where(
        extra,
        np.char.add(np.char.add(codes[category], "-"), np.char.zfill(number.astype(str), 4)),
        t["product_id"].to_numpy(dtype=str)[order],
    )
    category_name = names[category]
    postage = lines["postage"].to_numpy()
    stock = np.where(postage, POSTAGE_CODE, stock)
    description = np.where(
        postage,
        POSTAGE_TEXT,
        np.char.add(np.char.add(category_name, " \u2013 produk "), np.char.replace(stock, "-", " ")),
    )
    refund = (t["kind"] == "refund").to_numpy()[order]

    counts = np.bincount(order, minlength=len(t))
    spread = (counts > 1) & (rng.random(len(t)) < SPREAD)
    within = lines.groupby("order").cumcount().to_numpy()
    minutes = np.where(spread[order], np.minimum(within, 2), 0)
    stamp = pd.to_datetime(t["ts"]).dt.floor("min").to_numpy()[order] + minutes.astype("timedelta64[m]")
    stamp = pd.Series(stamp)
    date = (
        stamp.dt.month.astype(str)
        + "/"
        + stamp.dt.day.astype(str)
        + "/"
        + stamp.dt.year.astype(str)
        + " "
        + stamp.dt.hour.astype(str)
        + ":"
        + stamp.dt.strftime("%M")
    )
    return pd.DataFrame(
        {
            "InvoiceNo": t["transaction_id"].to_numpy()[order],
            "StockCode": stock,
            "Description": description,
            "Category": np.where(postage, "", category_name),
            "Quantity": np.where(refund, -1, 1) * lines["units"].to_numpy(dtype=np.int64),
            "InvoiceDate": date.to_numpy(),
            "UnitPrice": lines["price"].to_numpy().round().astype(np.int64),
            "CustomerID": t["customer_id"].to_numpy()[order],
            "Country": "Indonesia",
            "Channel": t["channel"].to_numpy()[order],
            "Campaign": t["campaign_id"].to_numpy()[order],
        },
        columns=list(COLUMNS),
    )


class LinesCsv:
    """transactions.csv in the order-line layout: Windows-1252, a header line, then the lines chunk by chunk."""

    def __init__(self, path, seed_sequence):
        self.sink = open(path, "w", encoding=ENCODING, newline="")
        self.sink.write(",".join(COLUMNS) + "\r\n")
        self.seed = seed_sequence

    def write_table(self, table: pa.Table) -> int:
        """Append one chunk's orders as lines; returns the number of lines written."""
        rng = np.random.default_rng(self.seed.spawn(1)[0])
        lines = order_lines(table, rng)
        lines.to_csv(self.sink, header=False, index=False, lineterminator="\r\n")
        return len(lines)

    def close(self) -> None:
        self.sink.close()
