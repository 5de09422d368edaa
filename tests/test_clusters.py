"""Customer features from the warehouse, and behavioural clusters: planted groups are found and described."""

import numpy as np
import pandas as pd
import pytest

from crmlib.collect import TABLES, Warehouse
from crmlib.errors import ModelError
from crmlib.segment import behaviour_clusters, customer_features, rfm_summary
from crmlib.segment.clusters import CLUSTER_FEATURES, describe, describe_clusters, scaled_features

END = "2025-01-31"


# Features on a hand-made warehouse.


def table(name: str, *rows: dict) -> pd.DataFrame:
    """A canonical table from partial rows (missing columns empty), typed as the contract says."""
    kinds = {c.name: c.kind for c in TABLES[name].columns}
    frame = pd.DataFrame(list(rows)).reindex(columns=list(kinds))
    for column, kind in kinds.items():
        if kind in ("ts", "date"):
            frame[column] = pd.to_datetime(frame[column], format="ISO8601")
        elif kind in ("float", "int"):
            frame[column] = frame[column].astype(float)
        else:
            frame[column] = frame[column].astype(object)
    return frame


def load(warehouse: Warehouse, **tables: pd.DataFrame) -> None:
    empty_quarantine = pd.DataFrame(
        columns=["table_name", "source", "row_number", "column_name", "check_name", "reason", "record"]
    )
    empty_loads = pd.DataFrame(
        columns=["table_name", "source", "sha256", "rows", "loaded", "quarantined", "ignored_columns"]
    )
    warehouse.replace_tables(tables, empty_quarantine, empty_loads)


def numbered(prefix: str, rows: list[dict]) -> list[dict]:
    return [{f"{prefix}_id": f"{prefix[0].upper()}{i}", **r} for i, r in enumerate(rows)]


def sale(customer, ts, amount, category=None, kind="sale"):
    return {"customer_id": customer, "ts": ts, "amount": amount, "category": category, "kind": kind}


def event(customer, ts, event_type, session=None):
    return {"customer_id": customer, "ts": ts, "event_type": event_type, "session_id": session}


@pytest.fixture(scope="module")
def hand_made(tmp_path_factory) -> pd.DataFrame:
    warehouse = Warehouse(tmp_path_factory.mktemp("features") / "w.duckdb")
    customers = [
        {"customer_id": c, "signup_date": d}
        for c, d in [("c1", "2025-01-01"), ("c2", "2024-12-01"), ("c3", "2025-01-10"), ("c4", "2025-01-02")]
    ]
    transactions = [
        sale("c1", "2025-01-05 09:15", 100, "A"),
        sale("c1", "2025-01-05 18:00", -20, "A", "refund"),
        sale("c1", "2025-01-10 12:00", 50, "B"),
        sale("c1", "2025-01-12 08:00", -10, "B", "refund"),
        sale("c1", "2025-02-02 10:00", 70, "C"),  # after end
        sale("c2", "2025-01-20 10:00", 30, "A"),
        sale("c4", "2025-02-01 00:00", 5, "A"),  # buys only after end
        sale("c5", "2025-01-25 10:00", 10, None),  # no profile
    ]
    events = [
        event("c1", "2025-01-05 09:00", "web_visit", "S1"),
        event("c1", "2025-01-05 09:05", "product_view", "S1"),
        event("c1", "2025-01-05 09:10", "add_to_cart", "S1"),
        event("c1", "2025-01-05 09:12", "checkout_start", "S1"),
        event("c1", "2025-01-08 10:00", "web_visit", "S2"),
        event("c1", "2025-01-08 10:05", "add_to_cart", "S2"),
        event("c1", "2025-01-09 20:00", "web_visit", "S3"),
        event("c1", "2025-01-09 20:10", "add_to_cart", "S3"),
        event("c1", "2025-01-15 11:00", "web_visit", "S4"),
        event("c1", "2025-01-16 11:00", "web_visit"),  # a visit without a session id: a session of its own
        event("c1", "2025-01-31 23:00", "web_visit", "S5"),
        event("c1", "2025-01-31 23:01", "add_to_cart", "S5"),
        event("c1", "2025-02-01 09:00", "web_visit", "S6"),
        event("c1", "2025-02-01 09:01", "add_to_cart", "S6"),
        *[event("c1", f"2025-01-{d:02d} 07:00", "email_sent") for d in (2, 9, 16, 23)],
        event("c1", "2025-01-02 08:00", "email_open"),
        event("c1", "2025-01-09 08:00", "email_open"),
        event("c1", "2025-01-09 08:01", "email_click"),
        event("c1", "2025-02-05 07:00", "email_sent"),
        event("c3", "2025-01-11 10:00", "web_visit", "S7"),
    ]
    tickets = [{"customer_id": "c1", "opened_at": t} for t in ("2025-01-06", "2025-01-31 22:00", "2025-02-01")]
    load(
        warehouse,
        customers=table("customers", *customers),
        transactions=table("transactions", *numbered("transaction", transactions)),
        events=table("events", *numbered("event", events)),
        tickets=table("tickets", *numbered("ticket", tickets)),
    )
    return customer_features(warehouse, END)


def test_features_of_the_buyers_by_end_only(hand_made):
    assert list(hand_made.index) == ["c1", "c2", "c5"]


def test_features_of_a_busy_customer(hand_made):
    c1 = hand_made.loc["c1"]
    expected = {
        "frequency": 1,
        "recency": 5,
        "T": 26,
        "monetary_value": 50,
        "recency_days": 21,
        "spend": 130,
        "avg_spend": 65,
        "categories": 2,
        "refunds": 2,
        "sessions": 6,
        "product_views": 1,
        "add_to_cart": 4,
        "abandoned_carts": 2,
        "emails_sent": 4,
        "email_open_rate": 0.5,
        "email_click_rate": 0.25,
        "tickets": 2,
        "tenure_days": 30,
    }
    assert {k: c1[k] for k in expected} == expected


def test_features_of_quiet_customers(hand_made):
    c2, c5 = hand_made.loc["c2"], hand_made.loc["c5"]
    assert c2[["sessions", "abandoned_carts", "emails_sent", "tickets", "refunds"]].sum() == 0
    assert np.isnan(c2["email_open_rate"]) and np.isnan(c2["email_click_rate"])  # no e-mail sent: no rate
    assert (c2["spend"], c2["categories"], c2["tenure_days"]) == (30, 1, 61)
    assert (c5["categories"], c5["tenure_days"]) == (0, 6)  # no category given; tenure from the first purchase


# Clusters on planted groups.


def planted(n: int = 150, seed: int = 1) -> tuple[pd.DataFrame, pd.Series]:
    """Three planted groups: recent frequent big spenders who open e-mails, lapsed one-off small spenders who
    ignore e-mails, and browsers who abandon carts; the other features come from one distribution for all."""
    rng = np.random.default_rng(seed)
    groups = {
        "vip": dict(frequency=20, avg_spend=13.5, recency=(0, 10), open=(8, 2), sessions=5, carts=0.5),
        "lapsed": dict(frequency=0.3, avg_spend=11.5, recency=(200, 360), open=(1, 12), sessions=5, carts=0.5),
        "browser": dict(frequency=3, avg_spend=12.5, recency=(30, 90), open=(3, 5), sessions=60, carts=15),
    }
    frames = []
    for name, g in groups.items():
        frames.append(
            pd.DataFrame(
                {
                    "frequency": rng.poisson(g["frequency"], n).astype(float),
                    "avg_spend": np.exp(rng.normal(g["avg_spend"], 0.3, n)),
                    "recency_days": rng.uniform(*g["recency"], n),
                    "tenure_days": rng.normal(500, 60, n),
                    "categories": 1 + rng.poisson(4, n),
                    "sessions": rng.poisson(g["sessions"], n),
                    "abandoned_carts": rng.poisson(g["carts"], n),
                    "email_open_rate": rng.beta(*g["open"], n),
                    "email_click_rate": rng.beta(5, 20, n),
                    "tickets": rng.poisson(3, n),
                    "refunds": rng.poisson(2, n),
                    "group": name,
                }
            )
        )
    frame = pd.concat(frames, ignore_index=True)
    frame.index = pd.Index([f"c{i:04d}" for i in range(len(frame))], name="customer_id")
    frame.loc[frame.sample(frac=0.2, random_state=seed).index, ["email_open_rate", "email_click_rate"]] = np.nan
    return frame.drop(columns="group"), frame["group"]


@pytest.fixture(scope="module")
def planted_result():
    features, groups = planted()
    return features, groups, behaviour_clusters(features, seed=0)


def cluster_of(groups: pd.Series, labels: pd.Series) -> dict[str, int]:
    """Each planted group's cluster; asserts nearly all of the group is in it."""
    found = {}
    for group in groups.unique():
        counts = labels[groups == group].value_counts()
        assert counts.iloc[0] >= 0.95 * counts.sum(), (group, counts.to_dict())
        found[group] = int(counts.index[0])
    return found


def test_k_means_finds_the_planted_groups(planted_result):
    features, groups, result = planted_result
    assert result.k == 3
    assert max(result.silhouette, key=result.silhouette.get) == 3 and sorted(result.silhouette) == list(range(2, 9))
    assert sorted(set(cluster_of(groups, result.labels).values())) == [1, 2, 3]
    assert result.labels.index.equals(features.index) and result.labels.name == "cluster"


def test_descriptions_tell_the_planted_differences(planted_result):
    _, groups, result = planted_result
    cluster = cluster_of(groups, result.labels)
    said = {g: (result.descriptions.loc[c, "en"], result.descriptions.loc[c, "id"]) for g, c in cluster.items()}
    for words, group in (
        (("Frequent", "high-spending", "recent", "open e-mails"), "vip"),
        (("nfrequent", "low-spending", "lapsed", "ignore e-mails"), "lapsed"),
        (("browse often", "abandon carts"), "browser"),
    ):
        for word in words:
            assert word in said[group][0], (group, said[group])
    assert said["vip"][1].startswith("Pembeli sering, belanja tinggi")
    assert "membuka e-mail" in said["vip"][1] and "meninggalkan keranjang" in said["browser"][1]
    assert "high-spending" not in said["lapsed"][0] and "recent" not in said["lapsed"][0]
    assert result.names.loc[cluster["vip"], "en"] != result.names.loc[cluster["lapsed"], "en"]
    assert result.describe(cluster["vip"], "en") == said["vip"][0]


def test_the_profile_has_sizes_shares_and_raw_means(planted_result):
    features, groups, result = planted_result
    profile = result.profile
    assert profile["size"].sum() == len(features) and profile["share"].sum() == pytest.approx(1)
    assert list(profile.index) == [1, 2, 3] and profile["size"].is_monotonic_decreasing
    vip = cluster_of(groups, result.labels)["vip"]
    members = features[result.labels == vip]
    assert profile.loc[vip, "frequency"] == pytest.approx(members["frequency"].mean())
    assert profile.loc[vip, "email_open_rate"] == pytest.approx(members["email_open_rate"].mean())  # NaN skipped
    assert result.z.loc[vip, "frequency"] > 0.5 and list(result.z.columns) == result.features


def test_the_same_seed_gives_the_same_clusters(planted_result):
    features, _, result = planted_result
    again = behaviour_clusters(features, seed=0)
    pd.testing.assert_series_equal(again.labels, result.labels)
    assert again.silhouette == result.silhouette
    pd.testing.assert_frame_equal(again.descriptions, result.descriptions)


def test_the_silhouette_sample_is_seeded(planted_result, monkeypatch):
    features, _, _ = planted_result
    monkeypatch.setattr("crmlib.segment.clusters.SILHOUETTE_SAMPLE", 100)
    first, second = (behaviour_clusters(features, k_range=[2, 3, 4], seed=5) for _ in range(2))
    assert first.silhouette == second.silhouette and first.k == second.k


# Descriptions, scaling and refusals.


def test_description_wording():
    z = pd.Series({"frequency": 0.2, "sessions": -0.9, "tickets": 1.5})
    assert describe(z, "en") == (
        "Buyers who rarely visit and contact customer service",
        "Buyers who rarely visit and contact customer service",
    )
    assert describe(z, "id")[1] == "Pembeli yang jarang berkunjung dan sering menghubungi layanan pelanggan"
    assert describe(pd.Series({"frequency": 0.1, "tickets": -2.0}), "en")[0] == "Typical buyers"  # nothing to say
    many = pd.Series({"frequency": 0.6, "avg_spend": 2.0, "recency_days": -1.5, "sessions": 1.0, "tickets": 0.7})
    assert describe(many, "en") == (
        "High-spending, recent buyers",
        "High-spending, recent buyers who browse often and contact customer service",
    )


def test_clusters_with_the_same_name_are_told_apart():
    z = pd.DataFrame({"frequency": [1.0, 1.1, -1.0]}, index=[1, 2, 3])
    names, descriptions = describe_clusters(z)
    assert names["en"].tolist() == ["Frequent buyers", "Frequent buyers (2)", "Infrequent buyers"]
    assert descriptions.loc[2, "id"] == "Pembeli sering"


def test_scaling_logs_counts_and_fills_missing_rates():
    scaled = scaled_features(
        pd.DataFrame({"frequency": [0.0, np.e - 1, np.e**2 - 1], "email_open_rate": [0.0, np.nan, 1.0]})
    )
    assert scaled["frequency"].round(6).tolist() == pytest.approx([-1.224745, 0.0, 1.224745])
    assert scaled["email_open_rate"].tolist() == pytest.approx([-1.224745, 0.0, 1.224745])
    signed = scaled_features(pd.DataFrame({"avg_spend": [-(np.e - 1), 0.0, np.e - 1]}))  # a refund beyond the sales
    assert signed["avg_spend"].tolist() == pytest.approx([-1.224745, 0.0, 1.224745])
    with pytest.raises(ValueError, match="none of the clustering columns"):
        scaled_features(pd.DataFrame({"shoe_size": [1.0]}))
    with pytest.raises(ValueError, match="lack the column.*tickets"):
        scaled_features(pd.DataFrame({"frequency": [1.0]}), columns=["frequency", "tickets"])
    assert list(scaled_features(pd.DataFrame({"shoe_size": [1.0, 2.0]}), columns=["shoe_size"])) == ["shoe_size"]


def test_too_few_or_identical_customers_are_refused():
    features, _ = planted(n=1)
    with pytest.raises(ModelError, match="cannot cluster 3 customers"):
        behaviour_clusters(features, k_range=range(3, 6))
    alike = pd.DataFrame({"frequency": [2.0] * 20, "sessions": [3] * 20})
    with pytest.raises(ModelError, match="alike"):
        behaviour_clusters(alike, k_range=[2, 3])


# On realistic data.


@pytest.fixture(scope="module")
def synthetic(sample_warehouse) -> Warehouse:
    return sample_warehouse(customers=800, months=12, seed=5)


def test_synthetic_features_agree_with_the_raw_tables(synthetic):
    end = pd.Timestamp("2025-05-31")
    features = customer_features(synthetic, end)
    assert features.index.equals(rfm_summary(synthetic, end).index)
    assert set(CLUSTER_FEATURES) <= set(features.columns)
    until = end + pd.Timedelta(days=1)
    events = synthetic.table("events", until)
    counts = events.groupby(["customer_id", "event_type"]).size().unstack(fill_value=0)
    counts = counts.reindex(features.index, fill_value=0)
    assert (features["product_views"] == counts["product_view"]).all()
    assert (features["emails_sent"] == counts["email_sent"]).all()
    sessions = events.dropna(subset=["session_id"]).groupby("customer_id")["session_id"].nunique()
    assert (features["sessions"] == sessions.reindex(features.index, fill_value=0)).all()
    sent = counts["email_sent"] > 0
    open_rate = counts.loc[sent, "email_open"] / counts.loc[sent, "email_sent"]
    assert (features.loc[sent, "email_open_rate"] == open_rate).all()
    assert features.loc[~sent, "email_open_rate"].isna().all()
    tickets = synthetic.table("tickets", until).groupby("customer_id").size()
    assert (features["tickets"] == tickets.reindex(features.index, fill_value=0)).all()
    assert (features["abandoned_carts"] <= features["add_to_cart"]).all()
    assert (features["tenure_days"] >= features["T"]).all()  # signup comes before the first purchase


def test_synthetic_customers_cluster(synthetic):
    features = customer_features(synthetic, "2025-06-30")
    result = behaviour_clusters(features, k_range=range(2, 6), seed=3)
    assert 2 <= result.k <= 5 and result.labels.index.equals(features.index)
    assert result.profile["size"].sum() == len(features) and result.labels.between(1, result.k).all()
    assert result.descriptions.notna().all().all() and result.names.notna().all().all()
