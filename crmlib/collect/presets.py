"""Presets: the `ingest:` settings of the order reports that shop and marketplace systems let sellers download.

`ingest.preset: tokopedia` (or shopee, shopify, woocommerce, uci) fills the file pattern, column mapping, value
mappings, order-level fields and charges for that layout; anything the parameters set themselves wins (a mapping is
merged key by key). The layouts are those of the platforms' help pages and of public parsers of real downloads,
as of 2025 (see the README's section on each); `crmlib.collect.synthetic.exports` writes them from the sample.

>>> sorted(PRESETS)
['shopee', 'shopify', 'tokopedia', 'uci', 'woocommerce']
>>> PRESETS["tokopedia"]["columns"]["transactions"]["Nomor Invoice"]
'transaction_id'
"""

from __future__ import annotations

from typing import Any

PRESETS: dict[str, dict[str, Any]] = {
    # Tokopedia Seller → Penjualan → Download Laporan Penjualan (.xlsx; title rows above the header).
    "tokopedia": {
        "files": {"transactions": "*laporan*penjualan*"},
        "columns": {"transactions": {
            "Nomor Invoice": "transaction_id", "Tanggal Pembayaran": "ts", "Status Terakhir": "kind",
            "Nomor SKU": "product_id", "Jumlah Produk Dibeli": "quantity", "Harga Jual (IDR)": "unit_price",
            "Total Penjualan (IDR)": "amount", "Nama Pembeli": "customer_id"}},
        "values": {"transactions": {"kind": {
            "Pesanan Selesai": "sale", "Pesanan Tiba": "sale", "Sedang Dikirim": "sale", "Pesanan Diterima": "sale",
            "Dibatalkan": "cancelled", "Dibatalkan Pembeli": "cancelled", "Dibatalkan Penjual": "cancelled",
            "Dibatalkan Sistem": "cancelled", "Dikembalikan": "refund", "Pengembalian Dana": "refund"}}},
        "order_charges": {"Total Biaya Pengiriman (IDR)": "SHIPPING"},
    },
    # Shopee Seller Centre → Pesanan Saya → Export (Order.all.<dates>.xlsx).
    "shopee": {
        "files": {"transactions": "order.all*"},
        "columns": {"transactions": {
            "No. Pesanan": "transaction_id", "Status Pesanan": "kind", "Waktu Pesanan Dibuat": "ts",
            "Nomor Referensi SKU": "product_id", "Harga Setelah Diskon": "unit_price", "Jumlah": "quantity",
            "Total Harga Produk": "amount", "Username (Pembeli)": "customer_id"}},
        "values": {"transactions": {"kind": {
            "Selesai": "sale", "Sedang Dikirim": "sale", "Perlu Dikirim": "sale", "Batal": "cancelled",
            "Pembatalan": "cancelled", "Pengembalian Dana": "refund", "Pengembalian Barang/Dana": "refund"}}},
        "order_charges": {"Ongkos Kirim Dibayar oleh Pembeli": "SHIPPING"},
    },
    # Shopify admin → Orders → Export → "All orders", CSV for Excel (orders_export_1.csv).
    "shopify": {
        "files": {"transactions": "orders_export*"},
        "columns": {"transactions": {
            "Name": "transaction_id", "Email": "customer_id", "Financial Status": "kind", "Created at": "ts",
            "Lineitem quantity": "quantity", "Lineitem price": "unit_price", "Lineitem sku": "product_id"}},
        "values": {"transactions": {"kind": {
            "paid": "sale", "partially_paid": "sale", "partially_refunded": "sale", "authorized": "sale",
            "pending": "sale", "refunded": "refund", "voided": "cancelled"}}},
        "order_fields": ["customer_id", "kind", "ts"],
        "order_charges": {"Shipping": "SHIPPING"},
        "refunded_amount": "Refunded Amount",
    },
    # WooCommerce → Analytics → Orders → Download (wc-orders-report-export-*.csv): one row per order.
    "woocommerce": {
        "files": {"transactions": "wc-orders-report-export*"},
        "columns": {"transactions": {
            "Order #": "transaction_id", "Date": "ts", "Status": "kind", "Customer": "customer_id",
            "N. Revenue": "amount", "Items sold": "quantity"}},
        "values": {"transactions": {"kind": {
            "Completed": "sale", "Processing": "sale", "On hold": "sale", "Refunded": "refund",
            "Cancelled": "cancelled", "Failed": "cancelled", "Pending payment": "cancelled"}}},
    },
    # The UCI online retail files, and `crm sample --layout lines`.
    "uci": {
        "columns": {"transactions": {
            "InvoiceNo": "transaction_id", "StockCode": "product_id", "Quantity": "quantity", "InvoiceDate": "ts",
            "UnitPrice": "unit_price", "CustomerID": "customer_id", "Category": "category", "Channel": "channel",
            "Campaign": "campaign_id"}},
        "cancellation_prefix": "C",
        "non_product_codes": ["POST", "DOT", "M", "D", "C2", "S", "B", "BANK CHARGES", "AMAZONFEE", "CRUK", "PADS"],
    },
}  # fmt: skip
"""Each preset's `ingest:` settings."""

IDENTITY: dict[str, str] = {"tokopedia": "name", "shopee": "username", "shopify": "email", "woocommerce": "name",
                            "uci": "id"}  # fmt: skip
"""How each layout identifies a customer (a name may belong to several buyers)."""


def with_preset(settings: dict[str, Any]) -> dict[str, Any]:
    """The `ingest:` settings with their preset's filled in underneath (the settings' own keys win; mappings are
    merged key by key).

    >>> merged = with_preset({"preset": "uci", "columns": {"transactions": {"Kode": "product_id"}}})
    >>> mapping = merged["columns"]["transactions"]
    >>> merged["cancellation_prefix"], mapping["Kode"], mapping["InvoiceNo"]
    ('C', 'product_id', 'transaction_id')
    """
    name = settings.get("preset")
    if name not in PRESETS:
        return settings
    return _merged(PRESETS[name], settings)


def _merged(base: dict, over: dict) -> dict:
    out = dict(base)
    for key, value in over.items():
        out[key] = _merged(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out
