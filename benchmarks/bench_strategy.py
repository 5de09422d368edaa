"""Benchmark stage 4 on synthetic worlds whose truth knows each customer's response to a campaign.

Run: python benchmarks/bench_strategy.py [--customers 2000 10000] [--months 24] [--seed 42]
For each size: the sample (2000 customers is `make report`'s), stages 2 and 3, then the strategy; it prints the
time of the strategy stage, the plan, the uplift model's check on held-out campaigns, the true incremental revenue
of the model's audience against the rule's (by lifetime value) and a random one at the same number of contacts,
the rank correlation of predicted and true uplift for this model and for gradient-boosting T- and X-learners (why
crmlib uses regularised logistic regressions), and the next-best hit rate against popularity. It asserts nothing.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import spearmanr
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

try:
    import crmlib  # noqa: F401
except ImportError:  # run from a checkout without `pip install -e .`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from crmlib.analyze import analysis
from crmlib.collect import Warehouse, ingest_dir
from crmlib.collect.synthetic import write_sample
from crmlib.collect.synthetic.response import true_incremental_revenue
from crmlib.periods import Period
from crmlib.report.params import Params
from crmlib.segment import segmentation
from crmlib.strategy import strategy, uplift
from crmlib.strategy.plan import assign_campaigns, past_contacts, value_contacts

END = Period.parse("2025-06")


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, nargs="+", default=[2000, 10000])
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--seed", type=int, default=42)
    return parser.parse_args()


def _boosted_effects(train: pd.DataFrame, test: pd.DataFrame) -> dict[str, np.ndarray]:
    """Gradient-boosting T- and X-learners on the same features (the alternative crmlib measured and left)."""
    columns = [c for c in uplift.FEATURES if c not in uplift.CATEGORICAL]
    x, xt = train[columns], test[columns]
    t, y = train["treated"].to_numpy(bool), train["bought"].to_numpy(float)
    options = dict(max_depth=3, learning_rate=0.05, max_iter=150, min_samples_leaf=40, random_state=0)
    m1 = HistGradientBoostingClassifier(**options).fit(x[t], y[t])
    m0 = HistGradientBoostingClassifier(**options).fit(x[~t], y[~t])
    t_learner = m1.predict_proba(xt)[:, 1] - m0.predict_proba(xt)[:, 1]
    d1, d0 = y[t] - m0.predict_proba(x[t])[:, 1], m1.predict_proba(x[~t])[:, 1] - y[~t]
    tau1 = HistGradientBoostingRegressor(**options).fit(x[t], d1)
    tau0 = HistGradientBoostingRegressor(**options).fit(x[~t], d0)
    g = t.mean()
    return {"gradient boosting T-learner": t_learner,
            "gradient boosting X-learner": g * tau0.predict(xt) + (1 - g) * tau1.predict(xt)}  # fmt: skip


def _true_uplift(truth: pd.DataFrame, members: pd.DataFrame) -> np.ndarray:
    """Each past campaign member's true incremental purchases, over their campaign's own window."""
    members = members.reset_index(drop=True)
    effect = np.zeros(len(members))
    for _, rows in members.groupby("campaign_id"):
        start, days = rows["start_date"].iloc[0], (rows["end_date"].iloc[0] - rows["start_date"].iloc[0]).days + 1
        order_value = truth["expected_order_value"].reindex(rows["customer_id"]).to_numpy()
        effect[rows.index] = true_incremental_revenue(truth, rows, start, days) / order_value
    return effect


def _world(folder: Path, customers: int, months: int, seed: int) -> tuple[Warehouse, pd.DataFrame]:
    write_sample(folder / "raw", customers=customers, months=months, seed=seed, end=str(END),
                 truth_dir=folder / "truth")  # fmt: skip
    warehouse = Warehouse(folder / "w.duckdb")
    ingest_dir(folder / "raw", warehouse)
    params = Params()
    segmentation(warehouse, END, params.segments, seed=params.seed).store(warehouse, END)
    analysis(warehouse, END, params.analysis).store(warehouse, END)
    truth = pd.read_csv(folder / "truth" / "truth.csv", parse_dates=["dropped_out_at"]).set_index("customer_id")
    return warehouse, truth


def main() -> None:
    args = _arguments()
    params = Params()
    for customers in args.customers:
        with tempfile.TemporaryDirectory() as tmp:
            warehouse, truth = _world(Path(tmp), customers, args.months, args.seed)
            started = time.perf_counter()
            stage = strategy(warehouse, END, params.strategy, seed=params.seed,
                             lifetime=params.analysis.lifetime_value)  # fmt: skip
            seconds = time.perf_counter() - started
            plan = stage.plan.campaigns
            print(f"-- {customers:,} customers × {args.months} months: strategy stage {seconds:.1f} s")
            print(f"   plan for {stage.plan.period}: {len(plan)} campaigns, {plan['treated'].sum():,} contacts, "
                  f"{plan['control'].sum():,} held out; expected extra revenue {stage.expected_revenue:,.0f}, "
                  f"cost {stage.cost:,.0f}, ROI {stage.roi:.0%}")  # fmt: skip
            if stage.uplift is not None:
                check = stage.uplift
                print(f"   uplift check on the {check.campaigns} latest campaigns ({check.members:,} members): top 30% "
                      f"by the model +{check.top_uplift:.1%} purchases vs +{check.overall_uplift:.1%} for all; "
                      f"Qini coefficient {check.qini:.4f}")  # fmt: skip
            history = uplift.campaign_history(warehouse, END)
            model = uplift.UpliftModel().fit(history[uplift.FEATURES], history["treated"], history["bought"])
            points = pd.DataFrame({"customer_id": stage.state.index, "campaign_id": "next", "t0": END.end})
            features = uplift.features_at(warehouse, points).set_index("customer_id").drop(columns="campaign_id")
            members, _ = assign_campaigns(stage.state, stage.options, END.end, past_contacts(warehouse, END, 365))
            pool = value_contacts(members, stage.state, stage.options, model, stage.modelled, features)
            pool = pool[pool["ranked_by"] == "model"].reset_index()
            gain = true_incremental_revenue(truth, pool, END.end, 31)
            n = len(pool) // 2
            value = stage.state["lifetime_value"].reindex(pool["customer_id"]).fillna(0).to_numpy()
            by_model = gain[np.argsort(-pool["net_value"].to_numpy(), kind="stable")[:n]].sum()
            by_rule = gain[np.argsort(-value, kind="stable")[:n]].sum()
            print(f"   true extra revenue of {n:,} contacts (half the modelled audiences): model {by_model:,.0f}, "
                  f"rule (lifetime value) {by_rule:,.0f}, random {gain.mean() * n:,.0f}, "
                  f"best possible {np.sort(gain)[::-1][:n].sum():,.0f}")  # fmt: skip
            starts = history.groupby("campaign_id")["start_date"].min().sort_values()
            later = history["campaign_id"].isin(starts.index[-max(1, round(0.3 * len(starts))) :]).to_numpy()
            train, test = history[~later], history[later]
            truth_effect = _true_uplift(truth, test)
            effects = {"crmlib (logistic T-learner)": uplift.UpliftModel().fit(
                train[uplift.FEATURES], train["treated"], train["bought"]).effect(test[uplift.FEATURES]),
                **_boosted_effects(train, test)}  # fmt: skip
            for name, effect in effects.items():
                print(f"   rank correlation with the true uplift on held-out members, {name}: "
                      f"{spearmanr(effect, truth_effect).statistic:.2f}")  # fmt: skip
            rates = stage.next_best.set_index("method")
            print(
                f"   next-best category hit rate at {params.strategy.recommendations} "
                f"({rates.loc['co_purchase', 'customers']:,} customers): co-purchase "
                f"{rates.loc['co_purchase', 'hit_rate']:.1%}, popularity {rates.loc['popularity', 'hit_rate']:.1%}"
            )


if __name__ == "__main__":
    main()
