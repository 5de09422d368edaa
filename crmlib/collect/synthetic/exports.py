"""The world's orders as the shop and marketplace reports sellers download: Tokopedia, Shopee, Shopify, WooCommerce.

Each is written from the tidy sample (its transactions.csv and customers.csv, which it replaces with the
platform's file), in the platform's own layout: its file name, headers, statuses, number and date formats, and
where it puts an order's fields. The product lines are those of the order-line layout (`lines.order_lines`), so an
order's lines and its shipping add up to the tidy amount exactly; a refund is an order of its own with the
platform's refund status; a few cancelled orders (never paid) are added, which no figure may count. Loading such a
file with only `ingest.preset` set must give the tidy world's orders, order by order (a test holds them equal).

- **tokopedia**: `laporan-penjualan-<start>-<end>.xlsx`, four title rows above the header, Indonesian headers,
  amounts written `150.000` (text), times `02 Okt 2025 08:26:00`, statuses `Pesanan Selesai`, `Dibatalkan`,
  `Dikembalikan`; the buyer is known by name; the order's shipping is repeated on every line.
- **shopee**: `Order.all.<start>_<end>.xlsx`, Indonesian headers, numbers as numbers, `2025-10-02 08:26`, statuses
  `Selesai`, `Batal`, `Pengembalian Dana`; the buyer by username; shipping repeated on every line.
- **shopify**: `orders_export_1.csv`, one row per line item; the order's fields (`Email`, `Financial Status`,
  `Created at`, `Shipping`, `Total`) on its first line only; `paid`, `refunded`, `voided`; times with their zone.
- **woocommerce**: `wc-orders-report-export-<n>.csv` (Analytics → Orders → Download): one row per order, the
  customer by name, revenue written `Rp150.000`, statuses `Completed`, `Refunded`, `Cancelled`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from crmlib.collect.synthetic.lines import POSTAGE_CODE, order_lines

PLATFORMS = ("tokopedia", "shopee", "shopify", "woocommerce")
CANCELLED = 0.03  # share of orders that also appear cancelled, under ids of their own
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des")
"""Indonesian month abbreviations as Tokopedia writes them (the ones `parsing.MONTHS_ID` reads)."""


def write_export(folder: str | Path, platform: str, seed: int = 42) -> Path:
    """Replace the tidy sample's transactions.csv in `folder` by `platform`'s order report; return its path."""
    folder = Path(folder)
    tidy = pd.read_csv(folder / "transactions.csv", dtype=str, keep_default_na=False, na_values=[""])
    customers = pd.read_csv(folder / "customers.csv", dtype=str, keep_default_na=False, na_values=[""])
    rng = np.random.default_rng([seed, PLATFORMS.index(platform)])
    lines = _lines(tidy, rng)
    lines = pd.concat([lines, _cancelled(lines, rng)], ignore_index=True)
    people = customers.set_index("customer_id")
    path = _WRITERS[platform](folder, lines, people)
    (folder / "transactions.csv").unlink()
    return path


def _lines(tidy: pd.DataFrame, rng) -> pd.DataFrame:
    """The tidy orders as product lines with each order's shipping, status, time and buyer id."""
    table = pa.table({
        "transaction_id": tidy["transaction_id"], "customer_id": tidy["customer_id"],
        "ts": pa.array(pd.to_datetime(tidy["ts"]), pa.timestamp("s")), "amount": tidy["amount"].astype(float),
        "quantity": tidy["quantity"].fillna("1").astype(int), "unit_price": [None] * len(tidy),
        "category": tidy["category"], "product_id": tidy["product_id"], "channel": tidy["channel"],
        "campaign_id": tidy["campaign_id"], "kind": tidy["kind"],
    })  # fmt: skip
    lines = order_lines(table, rng)
    times = pd.to_datetime(tidy.set_index("transaction_id")["ts"])
    kinds = tidy.set_index("transaction_id")["kind"]
    postage = lines["StockCode"] == POSTAGE_CODE
    shipping = lines[postage].set_index("InvoiceNo")["UnitPrice"]
    out = lines[~postage].rename(columns={"InvoiceNo": "order", "StockCode": "sku", "Description": "product",
                                          "CustomerID": "customer"})  # fmt: skip
    out = out.assign(quantity=out["Quantity"].abs(), price=out["UnitPrice"], ts=out["order"].map(times).to_numpy(),
                     status=out["order"].map(kinds).to_numpy(),
                     shipping=out["order"].map(shipping).fillna(0).astype(int).to_numpy())  # fmt: skip
    return out[["order", "customer", "ts", "status", "sku", "product", "quantity", "price", "shipping"]]


def _cancelled(lines: pd.DataFrame, rng) -> pd.DataFrame:
    """Some sale orders again, cancelled: other ids (an `X`), the same lines."""
    orders = lines.loc[lines["status"] == "sale", "order"].unique()
    picked = rng.choice(orders, size=int(len(orders) * CANCELLED), replace=False) if len(orders) else []
    copies = lines[lines["order"].isin(picked)]
    return copies.assign(order="X" + copies["order"], status="cancelled")


def _first_of_order(frame: pd.DataFrame) -> pd.Series:
    return ~frame["order"].duplicated()


def _rupiah(amount) -> str:
    """150000 -> "150.000", as Indonesian reports write amounts."""
    return f"{round(amount):,}".replace(",", ".")


def _tokopedia(folder: Path, lines: pd.DataFrame, people: pd.DataFrame) -> Path:
    ts = pd.to_datetime(lines["ts"])
    status = lines["status"].map({"sale": "Pesanan Selesai", "refund": "Dikembalikan", "cancelled": "Dibatalkan"})
    written = ts.dt.strftime("%d ") + ts.dt.month.map(lambda m: _MONTHS[m - 1]) + ts.dt.strftime(" %Y %H:%M:%S")
    frame = pd.DataFrame({
        "No": np.arange(1, len(lines) + 1),
        "Nomor Invoice": "INV/" + lines["order"],
        "Tanggal Pembayaran": written,
        "Status Terakhir": status,
        "Nama Produk": lines["product"],
        "Nomor SKU": lines["sku"],
        "Jumlah Produk Dibeli": lines["quantity"],
        "Harga Jual (IDR)": lines["price"].map(_rupiah),
        "Total Penjualan (IDR)": (lines["price"] * lines["quantity"]).map(_rupiah),
        "Nama Pembeli": lines["customer"].map(people["name"]),
        "Total Biaya Pengiriman (IDR)": lines["shipping"].map(_rupiah),
    })  # fmt: skip
    start, end = ts.min(), ts.max()
    path = folder / f"laporan-penjualan-{start:%Y%m%d}-{end:%Y%m%d}.xlsx"
    titles = pd.DataFrame([["Laporan Penjualan"], ["Toko: Toko Contoh"],
                           [f"Periode: {start:%d-%m-%Y} s/d {end:%d-%m-%Y}"], [""]])  # fmt: skip
    with pd.ExcelWriter(path, engine="openpyxl") as sheet:
        titles.to_excel(sheet, sheet_name="Laporan Penjualan", header=False, index=False)
        frame.to_excel(sheet, sheet_name="Laporan Penjualan", startrow=len(titles), index=False)
    return path


def _shopee(folder: Path, lines: pd.DataFrame, people: pd.DataFrame) -> Path:
    ts = pd.to_datetime(lines["ts"])
    status = lines["status"].map({"sale": "Selesai", "refund": "Pengembalian Dana", "cancelled": "Batal"})
    names = lines["customer"].map(people["name"])
    username = names.str.lower().str.replace(r"[^a-z]", "", regex=True) + lines["customer"].str[-4:]
    frame = pd.DataFrame({
        "No. Pesanan": "25" + lines["order"],
        "Status Pesanan": status,
        "Waktu Pesanan Dibuat": ts.dt.strftime("%Y-%m-%d %H:%M"),
        "Nomor Referensi SKU": lines["sku"],
        "Nama Produk": lines["product"],
        "Harga Setelah Diskon": lines["price"],
        "Jumlah": lines["quantity"],
        "Total Harga Produk": lines["price"] * lines["quantity"],
        "Ongkos Kirim Dibayar oleh Pembeli": lines["shipping"],
        "Username (Pembeli)": username,
        "Nama Penerima": names,
    })  # fmt: skip
    path = folder / f"Order.all.{ts.min():%Y%m%d}_{ts.max():%Y%m%d}.xlsx"
    frame.to_excel(path, sheet_name="orders", index=False, engine="openpyxl")
    return path


def _shopify(folder: Path, lines: pd.DataFrame, people: pd.DataFrame) -> Path:
    ts = pd.to_datetime(lines["ts"])
    first = _first_of_order(lines)
    totals = (lines["price"] * lines["quantity"]).groupby(lines["order"]).sum()
    totals += lines.groupby("order")["shipping"].first()
    status = lines["status"].map({"sale": "paid", "refund": "refunded", "cancelled": "voided"})
    on_first = lambda values: values.where(first, "")  # Shopify gives the order's fields once
    refunded = lines["order"].map(totals).where(lines["status"] == "refund", 0)
    frame = pd.DataFrame({
        "Name": "#" + lines["order"],
        "Email": on_first(lines["customer"].map(people["email"]).fillna("")),
        "Financial Status": on_first(status),
        "Created at": on_first(ts.dt.strftime("%Y-%m-%d %H:%M:%S +0700")),
        "Currency": on_first(pd.Series("IDR", index=lines.index)),
        "Shipping": on_first(lines["shipping"].map("{:.2f}".format)),
        "Total": on_first(lines["order"].map(totals).map("{:.2f}".format)),
        "Refunded Amount": on_first(refunded.map("{:.2f}".format)),
        "Lineitem quantity": lines["quantity"],
        "Lineitem name": lines["product"],
        "Lineitem price": lines["price"].map("{:.2f}".format),
        "Lineitem sku": lines["sku"],
    })  # fmt: skip
    path = folder / "orders_export_1.csv"
    frame.to_csv(path, index=False)
    return path


def _woocommerce(folder: Path, lines: pd.DataFrame, people: pd.DataFrame) -> Path:
    lines = lines.assign(value=lines["price"] * lines["quantity"])
    orders = lines.groupby("order", sort=False).agg(
        ts=("ts", "first"), status=("status", "first"), customer=("customer", "first"), value=("value", "sum"),
        shipping=("shipping", "first"), items=("quantity", "sum"),
        products=("product", lambda p: ", ".join(p)),
    )  # fmt: skip
    ts = pd.to_datetime(orders["ts"])
    frame = pd.DataFrame({
        "Date": ts.dt.strftime("%Y-%m-%d %H:%M:%S"),
        "Order #": orders.index,
        "N. Revenue": (orders["value"] + orders["shipping"]).map(lambda v: "Rp" + _rupiah(v)),
        "Status": orders["status"].map({"sale": "Completed", "refund": "Refunded", "cancelled": "Cancelled"}),
        "Customer": orders["customer"].map(people["name"]).fillna(""),
        "Product(s)": orders["products"],
        "Items sold": orders["items"],
    })  # fmt: skip
    path = folder / "wc-orders-report-export-1.csv"
    frame.to_csv(path, index=False)
    return path


_WRITERS = {"tokopedia": _tokopedia, "shopee": _shopee, "shopify": _shopify, "woocommerce": _woocommerce}
