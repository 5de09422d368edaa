"""Shop and marketplace downloads load as downloaded: each preset's layout, written from the synthetic world as the
platform exports it, loads with only `ingest.preset` set to the tidy world's orders, order by order; `crm map`
suggests a block that does the same."""

import subprocess
import sys

import pandas as pd
import pytest
import yaml

from crmlib.collect import IngestOptions, Warehouse, ingest_dir, profile
from crmlib.collect.synthetic import write_sample

END = "2025-06"
PREFIX = {"tokopedia": "INV/", "shopee": "25", "shopify": "#", "woocommerce": "", "lines": ""}
PRESET = {"tokopedia": "tokopedia", "shopee": "shopee", "shopify": "shopify", "woocommerce": "woocommerce",
          "lines": "uci"}  # fmt: skip
IDENTITY = {"tokopedia": "name", "shopee": "id", "shopify": "email", "woocommerce": "name", "lines": "id"}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """The tidy world and each layout of it, written with the same seed."""
    root = tmp_path_factory.mktemp("exports")
    for layout in ["tidy", *PREFIX]:
        write_sample(root / layout, customers=150, months=4, seed=5, end=END, layout=layout)
    return root


def loaded_orders(folder, options: IngestOptions, tmp_path, layout: str):
    warehouse = Warehouse(tmp_path / f"{layout}.duckdb")
    report = ingest_dir(folder, warehouse, options)
    orders = warehouse.query("SELECT transaction_id, ts, amount, kind FROM orders")
    orders["transaction_id"] = orders["transaction_id"].str.removeprefix(PREFIX[layout])
    return warehouse, report, orders.set_index("transaction_id").sort_index()


def tidy_orders(world):
    tidy = pd.read_csv(world / "tidy" / "transactions.csv", parse_dates=["ts"]).set_index("transaction_id")
    return tidy[["ts", "amount", "kind"]].sort_index()


def assert_same_orders(orders: pd.DataFrame, tidy: pd.DataFrame, layout: str):
    assert orders.index.tolist() == tidy.index.tolist()
    assert (orders["amount"] - tidy["amount"]).abs().max() < 0.5  # rupiah for rupiah
    assert orders["kind"].tolist() == tidy["kind"].tolist()
    minutes = (orders["ts"] - tidy["ts"].dt.floor("min")).dt.total_seconds().abs()
    assert minutes.max() < 60, layout  # to the minute (Shopee and the UCI layout write no seconds)


@pytest.mark.parametrize("layout", list(PREFIX))
def test_a_download_loads_with_only_its_preset(world, tmp_path, layout):
    options = IngestOptions(preset=PRESET[layout])
    warehouse, report, orders = loaded_orders(world / layout, options, tmp_path, layout)
    assert report.counts["transactions"]["quarantined"] == 0, report.counts
    assert_same_orders(orders, tidy_orders(world), layout)
    assert profile.identity(warehouse) == IDENTITY[layout]
    if layout != "lines":  # the platforms' cancelled orders: counted apart, in no figure
        sales = profile.sales(warehouse, pd.Timestamp("2025-07-01"))
        assert sales["cancelled"].sum() > 0 and sales["revenue"].sum() == pytest.approx(tidy_orders(world).amount.sum())


@pytest.mark.parametrize("layout", ["tokopedia", "shopee", "shopify", "woocommerce"])
def test_crm_map_suggests_a_block_that_loads_the_download(world, tmp_path, layout):
    printed = subprocess.run([sys.executable, "-m", "crmlib.cli", "map", str(world / layout)], cwd=tmp_path,
                             capture_output=True, text=True, check=True).stdout  # fmt: skip
    block = yaml.safe_load(printed)
    assert block["ingest"]["preset"] == PRESET[layout] and f"the {layout} layout" in printed
    _, _, orders = loaded_orders(world / layout, IngestOptions(**block["ingest"]), tmp_path, layout)
    assert_same_orders(orders, tidy_orders(world), layout)


def test_crm_map_guesses_the_columns_of_a_layout_it_does_not_know(tmp_path):
    (tmp_path / "penjualan-juni.csv").write_text(
        "Laporan toko kami\n"
        "No Pesanan,Nama Pelanggan,Tanggal Order,Total Bayar,Status,Kategori\n"
        'P-1,C1,2025-06-01 10:00,"150.000",Selesai,Fashion\n'
        'P-2,C2,2025-06-02 11:00,"1.114.200",Selesai,Elektronik\n'
        'P-3,,2025-06-03 12:00,"75.500",Batal,Fashion\n'
    )
    printed = subprocess.run([sys.executable, "-m", "crmlib.cli", "map", str(tmp_path)], cwd=tmp_path,
                             capture_output=True, text=True, check=True).stdout  # fmt: skip
    assert "Total Bayar -> amount (100% of the first rows read as amounts)" in printed
    settings = yaml.safe_load(printed)["ingest"]
    assert settings["values"] == {"transactions": {"kind": {"Selesai": "sale", "Batal": "cancelled"}}}
    warehouse = Warehouse(tmp_path / "w.duckdb")
    report = ingest_dir(tmp_path, warehouse, IngestOptions(**settings))
    assert report.counts["transactions"] == {"rows": 3, "loaded": 2, "guest": 1, "quarantined": 0}
    assert warehouse.query("SELECT sum(amount) AS s FROM orders")["s"][0] == 150000 + 1114200
