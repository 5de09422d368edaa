"""Benchmark the BG/NBD and Pareto/NBD fits: crmlib's fit_purchases (unique patterns, weights) against lifetimes'.

Run: python benchmarks/bench_fit.py [--customers 1000000] [--seed 7] [--models bgnbd,pnbd]
The RFM summary comes from purchases simulated by the BG/NBD process over two years (see bench_rfm.py) with the
CDNOW estimates of Fader, Hardie & Lee (2005) turned into days, in whole days, so customers share (frequency,
recency, T) patterns as they do in real bases; the Pareto/NBD is fitted to the same summary. lifetimes' plain fits
are `BetaGeoFitter().fit(frequency, recency, T)` and `ParetoNBDFitter().fit(frequency, recency, T)` with one row
per customer, as its users call them. Both maximise the same likelihood; the script prints both times, both
parameter sets and both total log-likelihoods, then one line per model for a README table:
`model, crmlib s, lifetimes s, ratio, max relative parameter gap`. It asserts nothing.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from lifetimes import BetaGeoFitter, ParetoNBDFitter

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
FITTERS = {"bgnbd": BetaGeoFitter, "pnbd": ParetoNBDFitter}


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=1, help="time each fit this many times, keep the best")
    parser.add_argument("--models", default="bgnbd,pnbd", help="comma-separated: bgnbd, pnbd")
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
    lines = []
    for model in args.models.split(","):
        lines.append(_compare(model, summary, frequency, recency, age, args.repeat))
    print("\nmodel, crmlib s, lifetimes s, ratio, max relative parameter gap")
    for line in lines:
        print(line)


def _compare(model: str, summary, frequency, recency, age, repeat: int) -> str:
    """Fit `model` both ways, print the figures, return the summary line."""
    fitter = FITTERS[model]
    ours, ours_seconds = _timed(fit_purchases, summary, model, repeat=repeat)
    plain, plain_seconds = _timed(lambda: fitter().fit(frequency, recency, age), repeat=repeat)
    plain_params = dict(plain.params_)
    plain_log_likelihood = total_log_likelihood(model, plain_params, frequency, recency, age, np.ones_like(age))
    call = f"{fitter.__name__}().fit (plain)"
    print(f"\n{model}")
    print(f"crmlib fit_purchases (compressed) {ours_seconds:8.2f} s  (includes finding the patterns)")
    print(f"lifetimes {call:<23} {plain_seconds:8.2f} s")
    print(f"speed-up                          {plain_seconds / ours_seconds:8.1f} x")
    print(f"{'':<12}{'crmlib':>16}{'lifetimes':>16}{'relative gap':>14}")
    gaps = []
    for name, theirs in plain_params.items():
        gaps.append(abs(ours.params[name] / theirs - 1))
        print(f"{name:<12}{ours.params[name]:>16.6f}{theirs:>16.6f}{gaps[-1]:>14.1e}")
    gap = ours.log_likelihood - plain_log_likelihood
    print(f"{'total LL':<12}{ours.log_likelihood:>16.3f}{plain_log_likelihood:>16.3f}{gap:>14.1e} (crmlib - lifetimes)")
    return f"{model}, {ours_seconds:.2f}, {plain_seconds:.2f}, {plain_seconds / ours_seconds:.1f}, {max(gaps):.1e}"


if __name__ == "__main__":
    main()
