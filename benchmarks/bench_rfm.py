"""Benchmark rfm_summary (SQL in DuckDB) against lifetimes' summary_data_from_transaction_data on the same data.

Run: python benchmarks/bench_rfm.py [--customers 1000000] [--seed 7]
The default makes about 5 million transactions: customers buy as in the BG/NBD model (gamma purchase rates,
beta drop-out after each repeat purchase) over two years, amounts in IDR, string ids, ts as datetime64.
Both functions summarise by calendar day with freq="D" and sum the amounts of a day; every transaction is a
sale, so refunds (which only rfm_summary nets) play no part and the two results must be equal.
It prints figures and asserts nothing.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

try:
    from crmlib.segment.summary import rfm_summary
except ImportError:  # run from a checkout without `pip install -e .`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from crmlib.segment.summary import rfm_summary

START = np.datetime64("2023-07-01")
DAYS = 731  # two years, 2023-07-01 .. 2025-06-30
BGNBD = {"r": 0.9, "alpha": 45.0, "a": 0.5, "b": 3.0}  # time in days: about 7 purchases a year while active


def simulate_purchases(
    customers: int, seed: int, params: dict = BGNBD, days: int = DAYS
) -> tuple[np.ndarray, np.ndarray]:
    """Purchase times (days since START, continuous) per customer index, from the BG/NBD process.

    Each customer's first purchase falls uniformly in the window; purchase rates are Gamma(r, alpha), and after
    each repeat purchase the customer drops out with a Beta(a, b) probability.
    """
    rng = np.random.default_rng(seed)
    rate = rng.gamma(params["r"], 1 / params["alpha"], customers)
    drop = rng.beta(params["a"], params["b"], customers)
    active = np.arange(customers)
    when = rng.uniform(0, days, customers)
    who_parts, when_parts = [active], [when]
    while active.size:
        when = when + rng.exponential(1 / rate[active])
        still = when < days
        active, when = active[still], when[still]
        who_parts.append(active)
        when_parts.append(when)
        alive = rng.random(active.size) >= drop[active]
        active, when = active[alive], when[alive]
    return np.concatenate(who_parts), np.concatenate(when_parts)


def synthetic_transactions(customers: int, seed: int, params: dict = BGNBD) -> pd.DataFrame:
    """A transactions table (customer_id, ts, amount, kind) of simulated BG/NBD purchases, ordered by time."""
    who, when = simulate_purchases(customers, seed, params)
    order = np.argsort(when, kind="stable")
    who, when = who[order], when[order]
    rng = np.random.default_rng(seed + 1)
    amount = np.round(rng.lognormal(np.log(150_000), 0.8, who.size), -2)  # IDR, to 100
    ids = np.array([f"C{i:07d}" for i in range(customers)], dtype=object)
    return pd.DataFrame(
        {
            "customer_id": pd.array(ids[who], dtype="str"),
            "ts": START + (when * 86_400_000_000).astype("timedelta64[us]"),
            "amount": amount,
            "kind": "sale",
        }
    )


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3, help="time each function this many times, keep the best")
    return parser.parse_args()


def _timed(function, *args, repeat: int = 1, **kwargs):
    """The result and the best wall time of `repeat` runs (the machine may be shared: the best is the least noisy)."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = function(*args, **kwargs)
        times.append(time.perf_counter() - started)
    return result, min(times)


def main() -> None:
    from lifetimes.utils import summary_data_from_transaction_data

    args = _arguments()
    transactions, seconds = _timed(synthetic_transactions, args.customers, args.seed)
    end = (START + np.timedelta64(DAYS - 1, "D")).astype(str)
    warm_up = transactions.head(1000)  # first calls load code paths (DuckDB's pandas scan, pandas' groupby)
    rfm_summary(warm_up, end=end, freq="D")
    summary_data_from_transaction_data(
        warm_up, "customer_id", "ts", monetary_value_col="amount", observation_period_end=end, freq="D"
    )
    ours, ours_seconds = _timed(rfm_summary, transactions, end=end, freq="D", repeat=args.repeat)
    purchase_days = int(ours["frequency"].sum()) + len(ours)
    print(
        f"data: {len(transactions):,} transactions by {len(ours):,} customers on {purchase_days:,} purchase days, "
        f"{START}..{end} (made in {seconds:.1f} s)"
    )
    theirs, their_seconds = _timed(
        summary_data_from_transaction_data,
        transactions,
        "customer_id",
        "ts",
        monetary_value_col="amount",
        observation_period_end=end,
        freq="D",
        repeat=args.repeat,
    )
    print(f"best of {args.repeat} runs each")
    print(f"crmlib rfm_summary (DuckDB SQL)            {ours_seconds:8.2f} s")
    print(f"lifetimes summary_data_from_transaction_data {their_seconds:6.2f} s")
    print(f"speed-up                                   {their_seconds / ours_seconds:8.1f} x")

    theirs = theirs.sort_index()
    theirs.index = theirs.index.astype(str)
    ours = ours.sort_index()
    same_customers = ours.index.equals(theirs.index)
    print(f"same customers: {same_customers} ({len(ours):,} vs {len(theirs):,})")
    if same_customers:
        for column in ("frequency", "recency", "T"):
            print(f"{column:<15} equal: {bool((ours[column] == theirs[column]).all())}")
        gap = (ours["monetary_value"] - theirs["monetary_value"]).abs() / theirs["monetary_value"].abs().clip(lower=1)
        print(f"monetary_value  equal within 1e-9 relative: {bool((gap <= 1e-9).all())} (max gap {gap.max():.1e})")


if __name__ == "__main__":
    main()
