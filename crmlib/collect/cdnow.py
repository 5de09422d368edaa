"""The real CDNOW data set (Fader, Hardie & Lee 2005), as shipped inside the lifetimes package.

>>> len(load_cdnow()), load_cdnow()["customer_id"].nunique()
(6919, 2357)
"""

from __future__ import annotations

from importlib.resources import files

import pandas as pd

from crmlib.collect.validate import conform


def load_cdnow(full: bool = False) -> pd.DataFrame:
    """CDNOW transactions as the contract's `transactions` table (amounts in US dollars, 1997-01 to 1998-06).

    The default is the 1/10 sample of 2,357 customers (6,919 transactions) that the BG/NBD and Pareto/NBD papers
    use, with customer ids 1…2357 as in the published per-customer summary; `full=True` gives the master file of
    23,570 customers (69,659 transactions).
    """
    folder = files("lifetimes") / "datasets"
    if full:
        raw = pd.read_csv(
            folder / "CDNOW_master.txt",
            sep=r"\s+",
            skiprows=1,
            header=None,
            dtype=str,
            names=["customer", "date", "quantity", "amount"],
        )
    else:
        raw = pd.read_csv(
            folder / "CDNOW_sample.txt",
            sep=r"\s+",
            header=None,
            dtype=str,
            names=["master_id", "customer", "date", "quantity", "amount"],
        )
    transactions = pd.DataFrame(
        {
            "transaction_id": [f"{'M' if full else 'S'}{i:06d}" for i in range(1, len(raw) + 1)],
            "customer_id": raw["customer"].astype(int).astype(str),
            "ts": pd.to_datetime(raw["date"], format="%Y%m%d"),
            "amount": raw["amount"].astype(float),
            "quantity": raw["quantity"].astype(int),
            "kind": "sale",
        }
    )
    return conform(transactions, "transactions")
