"""The churn-risk backtest: every number recomputed by hand from the raw transactions of a synthetic world, the
messages of a history too short to backtest, and the churn risk against recency alone where drop-out is real."""

import dataclasses

import numpy as np
import pandas as pd
import pytest

from crmlib import catalogue
from crmlib.analyze import ModelError, churn_backtest
from crmlib.analyze.churn import ChurnOptions
from crmlib.analyze.options import LifetimeValueOptions
from crmlib.collect import Warehouse, ingest_dir
from crmlib.collect.synthetic import write_sample

END, CUTOFF = pd.Timestamp("2025-06-30"), pd.Timestamp("2025-04-01")  # 90 days before the end


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """400 customers over 18 months (2024-01 to 2025-06): the warehouse and the raw transactions it was loaded from."""
    folder = tmp_path_factory.mktemp("backtest")
    write_sample(folder / "raw", customers=400, months=18, seed=42, end="2025-06")
    warehouse = Warehouse(folder / "w.duckdb")
    ingest_dir(folder / "raw", warehouse)
    raw = pd.read_csv(folder / "raw" / "transactions.csv", dtype={"customer_id": str})
    return warehouse, raw.assign(ts=pd.to_datetime(raw["ts"]))


@pytest.fixture(scope="module")
def weekly(world):
    """The world's backtest at 2025-06 in weeks: BG/NBD for the risk, MBG/NBD for P(alive)."""
    return churn_backtest(world[0], "2025-06", "bgnbd", "mbgnbd")


def purchase_days(raw: pd.DataFrame) -> pd.DataFrame:
    """(customer_id, day) for every calendar day a customer made a sale: refund-only days are no purchase."""
    assert raw["kind"].isin(["sale", "refund"]).all()
    sales = raw[raw["customer_id"].notna() & (raw["kind"] == "sale")]
    return sales.assign(day=sales["ts"].dt.normalize())[["customer_id", "day"]].drop_duplicates()


def mann_whitney_auc(score: pd.Series, positive: pd.Series) -> float:
    """The share of (stayed away, bought) pairs the score puts the right way round, ties counting half."""
    pos, neg = score[positive].to_numpy()[:, None], score[~positive].to_numpy()[None, :]
    return float(((pos > neg).sum() + 0.5 * (pos == neg).sum()) / (pos.size * neg.size))


def bgnbd_by_hand(params: dict, x, t_x, age, horizon):
    """BG/NBD (Fader, Hardie and Lee 2005): P(alive), and P(no purchase in the next `horizon`) = gone, or alive
    and no purchase at the posterior rate Gamma(r + x, alpha + T)."""
    r, alpha, a, b = (params[k] for k in ("r", "alpha", "a", "b"))
    odds = np.where(x > 0, a / (b + np.maximum(x, 1) - 1) * ((alpha + age) / (alpha + t_x)) ** (r + x), 0.0)
    alive = 1 / (1 + odds)
    return alive, 1 - alive + alive * ((alpha + age) / (alpha + age + horizon)) ** (r + x)


def mbgnbd_alive_by_hand(params: dict, x, t_x, age):
    """MBG/NBD (Batislam, Denizel and Filiztekin 2007): a customer may be gone after the first purchase too."""
    r, alpha, a, b = (params[k] for k in ("r", "alpha", "a", "b"))
    return 1 / (1 + a / (b + x) * ((alpha + age) / (alpha + t_x)) ** (r + x))


def test_the_bgnbd_formula_of_these_tests_is_the_papers_example():
    """The hand formula reproduces PurchaseModel.p_no_purchase's documented value for the BG/NBD paper's customer."""
    paper = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    _, away = bgnbd_by_hand(paper, np.array([2.0, 0.0]), np.array([30.43, 0.0]), np.array([38.86, 38.86]), 13)
    assert away.round(3).tolist() == [0.677, 0.938]


@pytest.mark.parametrize("freq", ["W", "D"])
def test_every_number_by_hand(world, weekly, freq):
    warehouse, raw = world
    result = (
        weekly
        if freq == "W"
        else churn_backtest(warehouse, "2025-06", "bgnbd", "mbgnbd", LifetimeValueOptions(freq="D"))
    )
    per = {"W": 7.0, "D": 1.0}[freq]

    # The summary at the cutoff and who bought after it, from the raw rows.
    days = purchase_days(raw)
    before = days[days["day"] <= CUTOFF].groupby("customer_id")["day"].agg(["min", "max", "count"])
    after = set(days.loc[(days["day"] > CUTOFF) & (days["day"] <= END), "customer_id"])
    x = (before["count"] - 1).astype(float)
    t_x, age = (before["max"] - before["min"]).dt.days / per, (CUTOFF - before["min"]).dt.days / per
    away = pd.Series(~before.index.isin(after), index=before.index)

    customers = result.customers
    assert (result.cutoff, result.end, result.horizon_days) == (CUTOFF, END, 90)
    assert list(customers.index) == list(before.index) and result.n_customers == len(before) == 258
    np.testing.assert_array_equal(customers["frequency"], x)
    np.testing.assert_allclose(customers["recency"], t_x)
    np.testing.assert_allclose(customers["T"], age)
    np.testing.assert_allclose(customers["recency_gap"], age - t_x)
    np.testing.assert_array_equal(customers["stayed_away"], away)
    assert result.stayed_away == pytest.approx(away.mean())
    assert 0.5 < result.stayed_away < 0.8  # and not a world where nearly everyone or no one came back

    # The refits: the models fitted on that summary, scored with the papers' formulas.
    assert (result.purchases.model, result.alive.model) == ("bgnbd", "mbgnbd")
    assert result.purchases.common_dropout is None  # an interior fit: the formulas below hold
    assert result.purchases.n_customers == result.alive.n_customers == len(before)
    _, churn = bgnbd_by_hand(result.purchases.params, x, t_x, age, 90 / per)
    alive = mbgnbd_alive_by_hand(result.alive.params, x, t_x, age)
    np.testing.assert_allclose(customers["churn_probability"], churn, rtol=1e-9)
    np.testing.assert_allclose(customers["p_alive"], alive, rtol=1e-9)

    # ROC AUC by counting pairs.
    by_hand = {
        "churn_probability": mann_whitney_auc(pd.Series(churn, index=x.index), away),
        "p_alive": mann_whitney_auc(pd.Series(1 - alive, index=x.index), away),
        "recency_gap": mann_whitney_auc(age - t_x, away),
    }
    assert result.scores.index.tolist() == list(by_hand)
    np.testing.assert_allclose(result.scores["auc"], list(by_hand.values()), rtol=1e-9)
    assert result.auc == pytest.approx(by_hand["churn_probability"])
    assert result.beats_recency == (by_hand["churn_probability"] > by_hand["recency_gap"])

    # Tiers: above 0.66 high, above 0.33 medium.
    churn = pd.Series(churn, index=x.index)
    tier = pd.Series(np.where(churn > 0.66, "high", np.where(churn > 0.33, "medium", "low")), index=x.index)
    assert result.tiers.index.tolist() == ["high", "medium", "low"]
    for name, row in result.tiers.iterrows():
        members = tier == name
        assert row["customers"] == members.sum()
        if members.any():
            assert row["predicted"] == pytest.approx(churn[members].mean())
            assert row["observed"] == pytest.approx(away[members].mean())
        else:
            assert np.isnan(row["predicted"]) and np.isnan(row["observed"])
    assert result.tiers["customers"].sum() == len(before)

    # Deciles: ceil(10 × the number of customers at or below one's risk / n), 10 the riskiest.
    ordered = np.sort(churn.to_numpy())
    decile = np.ceil(10 * np.searchsorted(ordered, churn.to_numpy(), side="right") / len(churn)).astype(int)
    assert result.deciles.index.tolist() == list(range(1, 11))
    for k, row in result.deciles.iterrows():
        members = decile == k
        assert row["customers"] == members.sum()
        if members.any():
            assert row["predicted"] == pytest.approx(churn[members].mean())
            assert row["observed"] == pytest.approx(away[members].mean())
    points = result.calibration
    assert list(points.columns) == ["predicted", "observed"]
    assert points.index.tolist() == sorted(set(decile.tolist()))
    assert points["predicted"].is_monotonic_increasing


def test_the_raw_transactions_give_the_same_backtest_as_the_warehouse(world):
    warehouse, raw = world
    from_rows = churn_backtest(raw, "2025-06", "pnbd")
    from_warehouse = churn_backtest(warehouse, "2025-06", "pnbd")
    pd.testing.assert_frame_equal(from_rows.customers, from_warehouse.customers)
    pd.testing.assert_frame_equal(from_rows.scores, from_warehouse.scores)
    assert from_rows.alive is from_rows.purchases  # no P(alive) model of its own: the value model's


def test_horizon_and_thresholds_come_from_the_churn_options(world):
    warehouse, raw = world
    result = churn_backtest(
        warehouse, "2025-06-15", "bgnbd", churn=ChurnOptions(horizon_days=30, thresholds=(0.5, 0.9))
    )
    cutoff = pd.Timestamp("2025-05-16")
    assert result.cutoff == cutoff and result.horizon_days == 30
    days = purchase_days(raw)
    buyers = days.loc[days["day"] <= cutoff, "customer_id"].unique()
    after = set(days.loc[(days["day"] > cutoff) & (days["day"] <= pd.Timestamp("2025-06-15")), "customer_id"])
    assert result.n_customers == len(buyers)
    assert result.stayed_away == pytest.approx(np.mean([c not in after for c in buyers]))
    risk = result.customers["churn_probability"]
    assert result.tiers.loc["high", "customers"] == (risk > 0.9).sum()
    assert result.tiers.loc["low", "customers"] == (risk <= 0.5).sum()


def test_the_verdict_says_whether_the_risk_beats_recency(weekly):
    result = weekly
    auc, recency = result.scores["auc"]["churn_probability"], result.scores["auc"]["recency_gap"]
    assert result.beats_recency == (auc > recency)
    better = result.verdict
    assert "2025-04-01" in better and f"{auc:.3f}" in better and f"{recency:.3f}" in better
    worse = dataclasses.replace(result, scores=result.scores.assign(auc=[0.7, 0.8, 0.75]))
    assert not worse.beats_recency
    assert "no better than" in worse.verdict and "0.700" in worse.verdict and "0.750" in worse.verdict
    assert ("no better than" in better) != result.beats_recency
    tied = dataclasses.replace(result, scores=result.scores.assign(auc=[0.8, 0.7, 0.8]))
    assert not tied.beats_recency and "no better than" in tied.verdict
    catalogue.use("id")
    assert "tidak lebih baik" in worse.verdict and "0,700" in worse.verdict


def test_a_history_too_short_says_what_the_backtest_needs(world):
    warehouse, _ = world  # the data begin on 2024-01-02
    with pytest.raises(ModelError, match=r"needs purchases on or before 2024-01-01, and the data begin on 2024-01-02"):
        churn_backtest(warehouse, "2024-03", "bgnbd")


CSV_HEADER = "transaction_id,customer_id,ts,amount\n"


@pytest.mark.parametrize(
    "rows, message",
    [
        # everyone bought once before the cutoff (2025-04-01): nothing to fit a model on
        (
            ["a,2025-01-10", "b,2025-02-01", "a,2025-05-01"],
            r"none of the 2 buyers up to 2025-04-01 .* had bought twice",
        ),
        # nobody bought after the cutoff: data not complete up to the end?
        (
            ["a,2025-01-10", "a,2025-02-10", "b,2025-03-01"],
            r"none of the 2 buyers up to 2025-04-01 bought in the 90 days",
        ),
        # everybody bought again
        (["a,2025-01-10", "a,2025-02-10", "b,2025-03-01", "a,2025-05-01", "b,2025-06-30"], r"all 2 buyers .* again"),
        # no purchase at all before the cutoff
        (
            ["a,2025-05-10", "a,2025-06-10"],
            r"needs purchases on or before 2025-04-01, and the data begin on 2025-05-10",
        ),
    ],
    ids=["no-repeat", "all-stayed-away", "none-stayed-away", "starts-after-cutoff"],
)
def test_each_reason_the_backtest_cannot_be_made_is_one_line(csv_warehouse, rows, message):
    lines = [f"T{i},{row} 12:00,100" for i, row in enumerate(rows)]
    warehouse = csv_warehouse(transactions=CSV_HEADER + "\n".join(lines) + "\n")
    with pytest.raises(ModelError, match=message) as caught:
        churn_backtest(warehouse, "2025-06", "bgnbd")
    assert "\n" not in str(caught.value)


def dropout_world(seed: int, customers: int = 1000, days: int = 540) -> tuple[pd.DataFrame, pd.Timestamp]:
    """Real drop-out, and purchase rates that differ a lot: half the customers buy about every 7 days, half about
    every 60, each until an exponential lifetime (mean 180 days) ends. A gap of a month is then a frequent buyer
    gone, or a rare buyer between two purchases: recency alone cannot tell them apart, frequency can."""
    rng = np.random.default_rng(seed)
    start, rows = pd.Timestamp("2024-01-01"), []
    for i in range(customers):
        gap = (7 if rng.random() < 0.5 else 60) * rng.gamma(4.0, 1 / 4.0)
        birth = rng.uniform(0, days - 150)
        death, day = birth + rng.exponential(180), birth
        while day < min(death, days):
            rows.append((f"C{i:04d}", start + pd.Timedelta(days=float(day)), 100.0))
            day += rng.exponential(gap)
    return pd.DataFrame(rows, columns=["customer_id", "ts", "amount"]), start + pd.Timedelta(days=days - 1)


def test_where_drop_out_is_real_the_risk_beats_recency_alone():
    transactions, end = dropout_world(seed=0)
    result = churn_backtest(transactions, end, "bgnbd", "mbgnbd")
    auc = result.scores["auc"]
    assert auc["churn_probability"] > auc["recency_gap"] and result.beats_recency
    assert auc["churn_probability"] >= 0.9 and auc["p_alive"] > 0.85
    # Among customers with about the same gap (3 to 10 weeks) only the risk still tells who stays away.
    same_gap = result.customers[result.customers["recency_gap"].between(3, 10)]
    assert len(same_gap) > 100
    risk = mann_whitney_auc(same_gap["churn_probability"], same_gap["stayed_away"])
    gap = mann_whitney_auc(same_gap["recency_gap"], same_gap["stayed_away"])
    assert risk > gap + 0.1, (risk, gap)
    # The tiers and deciles order who stayed away: more in high than medium than low, the top decile the most.
    observed = result.tiers["observed"]
    assert observed["high"] > observed["medium"] > observed["low"]
    assert result.deciles["observed"].iloc[-1] == result.deciles["observed"].max()
    assert "no better than" not in result.verdict


def test_on_the_sample_world_the_risk_ranks_who_stays_away(weekly):
    """The synthetic sample's customers drop out for real: the refitted risk ranks them well."""
    assert weekly.auc >= 0.85
    assert weekly.scores.loc["p_alive", "auc"] >= 0.85
    observed = weekly.tiers["observed"]
    assert observed["high"] > observed["low"]
