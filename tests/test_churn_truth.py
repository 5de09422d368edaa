"""Churn risk against the truth of the synthetic world, which knows who has dropped out and when.

At the latest month the churn risk (no purchase in the next 90 days) must tell the dropped-out buyers from the
alive (AUC at least 0.85 over two years); P(alive) must too (at least 0.8), its high-risk cut-off holding about as
many buyers as have truly dropped out (within 10 points), over a long and a short history.
"""

import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from crmlib.analyze import churn_tiers, lifetime_value
from crmlib.analyze.churn import ChurnOptions
from crmlib.analyze.options import LifetimeValueOptions
from crmlib.collect import Warehouse, ingest_dir
from crmlib.collect.synthetic import write_sample
from crmlib.periods import Period

END = "2025-06"


@pytest.fixture(scope="module", params=[(3000, 24), (2000, 12)], ids=["24-months", "12-months"])
def world(request, tmp_path_factory):
    customers, months = request.param
    folder = tmp_path_factory.mktemp(f"truth-{months}")
    write_sample(folder / "raw", customers=customers, months=months, seed=42, end=END, truth_dir=folder / "truth")
    warehouse = Warehouse(folder / "w.duckdb")
    ingest_dir(folder / "raw", warehouse)
    truth = pd.read_csv(folder / "truth" / "truth.csv", parse_dates=["dropped_out_at"]).set_index("customer_id")
    return warehouse, truth


def test_p_alive_tells_the_alive_from_the_gone_and_the_high_risk_tier_is_their_size(world):
    warehouse, truth = world
    value = lifetime_value(warehouse, END)
    customers = value.customers()
    alive = ~(truth.loc[customers.index, "dropped_out_at"] < Period.parse(END).end)
    auc = roc_auc_score(alive, customers["p_alive"])
    high, gone = (customers["p_alive"] < 0.5).mean(), 1 - alive.mean()
    assert auc >= 0.8, auc
    assert abs(high - gone) <= 0.10, (high, gone)
    assert value.churn.model in ("mbgnbd", "pnbd")


def test_churn_risk_tells_the_gone_from_the_alive(world):
    warehouse, truth = world
    customers = lifetime_value(warehouse, END).customers()
    gone = truth.loc[customers.index, "dropped_out_at"] < Period.parse(END).end
    auc = roc_auc_score(gone, customers["churn_probability"])
    assert auc >= (0.85 if len(customers) > 2000 else 0.8), auc
    tiers = churn_tiers(customers["churn_probability"], ChurnOptions().thresholds)
    assert gone[tiers == "high"].mean() > gone.mean() > gone[tiers == "low"].mean()


def test_bgnbd_alone_would_call_old_one_time_buyers_safe(world):
    """The reason churn reads another model: with BG/NBD every one-time buyer is alive for sure."""
    warehouse, truth = world
    value = lifetime_value(warehouse, END, LifetimeValueOptions(models=["bgnbd"]))
    assert value.purchases.model == "bgnbd" and value.churn.model in ("mbgnbd", "pnbd")
    summary = value.summary
    old_once = (summary["frequency"] == 0) & (summary["T"] > 26)  # bought once, more than half a year ago
    assert (value.purchases.p_alive(summary[old_once]) == 1).all()
    assert value.p_alive[old_once].mean() < 0.6
    gone = truth.loc[summary.index[old_once], "dropped_out_at"].notna().mean()
    assert gone > 0.3  # and many of them are indeed gone


def test_the_churn_model_can_be_chosen(world):
    warehouse, _ = world
    value = lifetime_value(warehouse, END, churn=ChurnOptions(model="pnbd"))
    assert value.churn.model == "pnbd"


def test_without_any_drop_out_the_risk_follows_the_purchase_gaps(tmp_path):
    """Every customer alive: P(alive) may be 1 for all (a boundary fit), yet a long gap still makes a high risk."""
    import numpy as np
    from scipy.stats import spearmanr

    rng = np.random.default_rng(3)
    rows, start = [], pd.Timestamp("2024-07-01")
    for i in range(600):
        rate = rng.gamma(1.0, 1 / 90)  # purchases per day: every 90 days on average, many much rarer
        first = rng.uniform(0, 300)
        days = first + np.cumsum(rng.exponential(1 / rate, 40))
        for k, day in enumerate([first, *days[days < 365]]):
            rows.append((f"T{i}-{k}", f"C{i}", start + pd.Timedelta(days=float(day)), 100000.0))
    (tmp_path / "raw").mkdir()
    pd.DataFrame(rows, columns=["transaction_id", "customer_id", "ts", "amount"]).to_csv(
        tmp_path / "raw" / "transactions.csv", index=False
    )
    warehouse = Warehouse(tmp_path / "w.duckdb")
    ingest_dir(tmp_path / "raw", warehouse)
    value = lifetime_value(warehouse, END, LifetimeValueOptions(models=["bgnbd"]))
    customers = value.customers()
    gap = value.summary["T"] - value.summary["recency"]
    tiers = churn_tiers(customers["churn_probability"], ChurnOptions().thresholds)
    assert tiers.value_counts()["low"] < len(tiers) * 0.9 and (tiers == "high").any()
    assert spearmanr(gap, customers["churn_probability"]).statistic > 0.5
