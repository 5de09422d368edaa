"""The real CDNOW data set, as contract-shaped transactions."""

from crmlib.collect import load_cdnow
from crmlib.collect.contract import TABLES


def test_sample_counts_and_span():
    tx = load_cdnow()
    assert len(tx) == 6919
    assert tx["customer_id"].nunique() == 2357
    assert tx["ts"].min().strftime("%Y-%m-%d") == "1997-01-01"
    assert tx["ts"].max().strftime("%Y-%m-%d") == "1998-06-30"
    assert round(tx["amount"].sum(), 2) == 244091.94  # awk on CDNOW_sample.txt agrees


def test_master_counts():
    tx = load_cdnow(full=True)
    assert len(tx) == 69659
    assert tx["customer_id"].nunique() == 23570
    assert tx["transaction_id"].is_unique


def test_shaped_as_the_contract():
    tx = load_cdnow()
    assert tuple(tx.columns) == tuple(c.name for c in TABLES["transactions"].stored)
    TABLES["transactions"].schema().validate(tx)
    assert set(tx["kind"]) == {"sale"}
    first = tx.iloc[0]
    assert (first["customer_id"], first["ts"].strftime("%Y%m%d"), first["quantity"], first["amount"]) == (
        "1",
        "19970101",
        2,
        29.33,
    )
