"""Benchmark the BG/NBD fit: crmlib's fit_purchases (unique patterns with weights) against lifetimes' plain fit.

Run: python benchmarks/bench_fit.py [--customers 1000000] [--seed 7]
The RFM summary comes from purchases simulated by the BG/NBD process over two years (see bench_rfm.py) with the
CDNOW estimates of Fader, Hardie & Lee (2005) turned into days, in whole days, so customers share (frequency,
recency, T) patterns as they do in real bases. lifetimes' plain fit is
`BetaGeoFitter().fit(frequency, recency, T)` with one row per customer. Both maximise the same likelihood; the
script prints both times, both parameter sets and both total log-likelihoods. It asserts nothing.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from lifetimes import BetaGeoFitter

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench_rfm, the shared simulation
from bench_rfm import DAYS, START, _timed, synthetic_transactions

try:
    from crmlib.analyze.purchases import PATTERN, fit_purchases, total_log_likelihood, unique_rows
    from crmlib.segment.summary import rfm_summary
except ImportError:  # run from a checkout without `pip install -e .`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from crmlib.analyze.purchases import PATTERN, fit_purchases, total_log_likelihood, unique_rows
    from crmlib.segment.summary import rfm_summary


CDNOW_IN_DAYS = {"r": 0.243, "alpha": 30.898, "a": 0.793, "b": 2.426}  # the paper's weekly alpha 4.414, times 7


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=1, help="time each fit this many times, keep the best")
    return parser.parse_args()


def main() -> None:
    args = _arguments()
    transactions = synthetic_transactions(args.customers, args.seed, CDNOW_IN_DAYS)
    end = (START + np.timedelta64(DAYS - 1, "D")).astype(str)
    summary = rfm_summary(transactions, end=end, freq="D")
    del transactions
    patterns = len(unique_rows(summary, PATTERN)[1])
    print(
        f"summary: {len(summary):,} customers (days), {patterns:,} distinct (frequency, recency, T) patterns "
        f"({len(summary) / patterns:.1f} customers each); simulated with {CDNOW_IN_DAYS}"
    )

    frequency, recency, age = (summary[column].to_numpy() for column in PATTERN)
    ours, ours_seconds = _timed(fit_purchases, summary, "bgnbd", repeat=args.repeat)
    plain, plain_seconds = _timed(lambda: BetaGeoFitter().fit(frequency, recency, age), repeat=args.repeat)
    plain_params = dict(plain.params_)
    plain_log_likelihood = total_log_likelihood("bgnbd", plain_params, frequency, recency, age, np.ones_like(age))

    print(f"crmlib fit_purchases (compressed)     {ours_seconds:8.2f} s  (includes finding the patterns)")
    print(f"lifetimes BetaGeoFitter().fit (plain) {plain_seconds:8.2f} s")
    print(f"speed-up                              {plain_seconds / ours_seconds:8.1f} x")
    print(f"{'':<12}{'crmlib':>16}{'lifetimes':>16}{'relative gap':>14}")
    for name, theirs in plain_params.items():
        print(f"{name:<12}{ours.params[name]:>16.6f}{theirs:>16.6f}{abs(ours.params[name] / theirs - 1):>14.1e}")
    gap = abs(ours.log_likelihood - plain_log_likelihood)
    print(f"{'total LL':<12}{ours.log_likelihood:>16.3f}{plain_log_likelihood:>16.3f}{gap:>14.1e} (absolute)")


if __name__ == "__main__":
    main()
