"""Uplift targeting: who buys because of a campaign, learned from past campaigns' control groups.

Each past campaign with a control group is a small randomised experiment: the customers it sent a message
(`<channel>_sent` events with its campaign_id) against those it held out (`campaign_holdout`). For every member
the features are what was known when the campaign started (`FEATURES`: orders, recency, order value, tenure,
messages received, opened and clicked over the year before, abandoned carts), with the campaign's type and channel;
the outcome is whether they bought inside the campaign's window.

The model is a two-model (T-) learner: one purchase model for the treated and one for the held out, each an
L2-regularised logistic regression on the standardised features (log scales, missing-value indicators, the campaign
type and channel one-hot); a customer's incremental purchase probability is the difference of the two. Times their
expected order value it is the incremental revenue. Gradient boosting (as T- or X-learner) was tried first and
learns noise from a few hundred controls: on the sample its ranking of held-out members correlated −0.04 with the
true uplift (X-learner −0.07), against 0.40 for this model (`make bench` prints the figures). `validate` fits on
the earlier campaigns and draws the Qini curve on the later ones.

>>> rng = np.random.default_rng(0)
>>> x = pd.DataFrame({"engaged": rng.random(4000)})
>>> treated = rng.random(4000) < 0.8
>>> bought = rng.random(4000) < 0.1 + 0.3 * treated * x["engaged"]
>>> model = UpliftModel().fit(x, treated, bought)
>>> effect = model.effect(pd.DataFrame({"engaged": [0.05, 0.95]}))
>>> bool(effect[1] > effect[0] + 0.1)
True
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from crmlib.collect.warehouse import Warehouse

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline
from crmlib.periods import Period
from crmlib.sampling import at_most
from crmlib.strategy.channels import CHANNELS, CLICKED, OPENED, SENT

FEATURES = [
    "orders",
    "days_since_order",
    "average_order",
    "days_since_signup",
    "sent",
    "opened",
    "clicked",
    "open_rate",
    "click_rate",
    "carts_14d",
    "campaign",
    "channel",
]
CATEGORICAL = {"campaign", "channel"}

MEMBERS_SQL = f"""
SELECT DISTINCT e.customer_id, c.campaign_id, c.type AS campaign, c.channel, c.start_date, c.end_date,
       e.event_type <> 'campaign_holdout' AS treated
FROM events e JOIN campaigns c USING (campaign_id)
WHERE e.customer_id IS NOT NULL AND c.end_date < $until AND coalesce(c.control_share, 0) > 0
  AND e.event_type IN ('campaign_holdout', {", ".join(repr(SENT[c]) for c in CHANNELS)})
"""

OUTCOME_SQL = """
SELECT m.customer_id, m.campaign_id, count(o.transaction_id) > 0 AS bought, coalesce(sum(o.amount), 0) AS revenue
FROM members m LEFT JOIN orders o ON o.customer_id = m.customer_id AND o.kind = 'sale'
     AND o.ts >= m.start_date AND o.ts < m.end_date + INTERVAL 1 DAY
GROUP BY m.customer_id, m.campaign_id
"""


def _features_sql() -> str:
    """Features of each (customer_id, campaign_id, t0) in the registered `points`, as of t0 (excluded)."""
    listed = {
        what: ", ".join(repr(e) for c in CHANNELS for e in events.get(c, ()))
        for what, events in (("sent", {c: (SENT[c],) for c in CHANNELS}), ("opened", OPENED), ("clicked", CLICKED))
    }
    with_opens = ", ".join(repr(SENT[c]) for c in OPENED)
    return f"""
WITH o AS (
  SELECT p.customer_id, p.campaign_id, count(o.transaction_id) AS orders, max(o.ts) AS last_order,
         avg(o.amount) AS average_order
  FROM points p LEFT JOIN orders o ON o.customer_id = p.customer_id AND o.kind = 'sale' AND o.ts < p.t0
  GROUP BY ALL),
e AS (
  SELECT p.customer_id, p.campaign_id,
         count(*) FILTER (WHERE e.event_type IN ({listed["sent"]})) AS sent,
         count(*) FILTER (WHERE e.event_type IN ({with_opens})) AS sent_with_opens,
         count(*) FILTER (WHERE e.event_type IN ({listed["opened"]})) AS opened,
         count(*) FILTER (WHERE e.event_type IN ({listed["clicked"]})) AS clicked,
         count(*) FILTER (WHERE e.event_type = 'add_to_cart' AND e.ts >= p.t0 - INTERVAL 14 DAY) AS carts_14d
  FROM points p LEFT JOIN events e ON e.customer_id = p.customer_id AND e.ts < p.t0
       AND e.ts >= p.t0 - INTERVAL 365 DAY
  GROUP BY ALL)
SELECT p.customer_id, p.campaign_id, o.orders, date_diff('second', o.last_order, p.t0) / 86400 AS days_since_order,
       o.average_order, date_diff('second', c.signup_date, p.t0) / 86400 AS days_since_signup,
       e.sent, e.opened, e.clicked, e.opened / nullif(e.sent_with_opens, 0) AS open_rate,
       e.clicked / nullif(e.sent, 0) AS click_rate, e.carts_14d
FROM points p JOIN o USING (customer_id, campaign_id) JOIN e USING (customer_id, campaign_id)
LEFT JOIN customers c ON c.customer_id = p.customer_id
"""


def features_at(warehouse: Warehouse, points: pd.DataFrame) -> pd.DataFrame:
    """`FEATURES` (less campaign and channel) for each row of `points` (customer_id, campaign_id, t0), in its order."""
    found = warehouse.query(_features_sql(), frames={"points": points[["customer_id", "campaign_id", "t0"]]})
    return points[["customer_id", "campaign_id"]].merge(found, how="left", on=["customer_id", "campaign_id"])


def campaign_history(warehouse: Warehouse, period: Period) -> pd.DataFrame:
    """One row per member of every past campaign with a control group that ended within `period`'s history (a
    seeded sample of `HISTORY_ROWS` of them when there are more): customer_id, campaign_id, campaign, channel,
    start_date, treated, bought, revenue and the features."""
    until = period.end.to_pydatetime()
    members = warehouse.query(MEMBERS_SQL, {"until": until})
    if members.empty:
        return members
    members = members.sort_values(["start_date", "campaign_id", "customer_id", "treated"], ascending=[1, 1, 1, 0])
    members = members.drop_duplicates(["customer_id", "campaign_id"]).reset_index(drop=True)  # sent beats held out
    members = members.iloc[at_most(len(members), HISTORY_ROWS, np.random.default_rng(0))].reset_index(drop=True)
    outcome = warehouse.query(OUTCOME_SQL, frames={"members": members})
    features = features_at(warehouse, members.rename(columns={"start_date": "t0"}))
    return (
        members.merge(outcome, on=["customer_id", "campaign_id"])
        .merge(features, on=["customer_id", "campaign_id"])
        .reset_index(drop=True)
    )


REGULARISATION = 0.01  # the logistic regressions' C: strong, as a few hundred controls need (see the docstring)
HISTORY_ROWS = 300_000  # past campaign members learnt from: a seeded sample (both arms alike) of a larger history
FIT_ROWS = 50_000  # each arm's model learns from a seeded sample of at most this many members: a dozen
# coefficients, strongly regularised, are well known from 50,000 rows; more rows only cost time
LOG_SCALED = ["orders", "days_since_order", "average_order", "days_since_signup", "sent", "opened", "clicked"]


def _purchase_model(columns: list[str]) -> Pipeline:
    """P(buy | features): log scales, missing indicators and standardising before an L2 logistic regression."""
    from sklearn.compose import ColumnTransformer  # scikit-learn loads when a model is fitted, not on import
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

    numbers = [c for c in columns if c not in CATEGORICAL]
    logged = [c for c in numbers if c in LOG_SCALED]
    prepare = ColumnTransformer(
        [
            (
                "numbers",
                Pipeline(
                    [
                        (
                            "log",
                            ColumnTransformer(
                                [("log", FunctionTransformer(np.log1p), logged)], remainder="passthrough"
                            ),
                        ),
                        ("fill", SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True)),
                        ("scale", StandardScaler()),
                    ]
                ),
                numbers,
            ),
            ("kinds", OneHotEncoder(handle_unknown="ignore"), [c for c in columns if c in CATEGORICAL]),
        ]
    )
    return Pipeline([("prepare", prepare), ("logit", LogisticRegression(C=REGULARISATION, max_iter=5000))])


@dataclass
class UpliftModel:
    """A two-model learner: `fit(x, treated, bought)`, then `effect(x)`, the incremental purchase probability."""

    treated_model: Pipeline | None = field(default=None, init=False, repr=False)
    control_model: Pipeline | None = field(default=None, init=False, repr=False)
    columns: list[str] = field(default_factory=list, init=False)

    def fit(self, x: pd.DataFrame, treated, bought) -> UpliftModel:
        treated, bought = np.asarray(treated, dtype=bool), np.asarray(bought, dtype=bool)
        self.columns = list(x.columns)
        x = self._frame(x)
        rows = [np.flatnonzero(arm) for arm in (treated, ~treated)]
        arms = [r[at_most(len(r), FIT_ROWS, np.random.default_rng(0))] for r in rows]
        self.treated_model, self.control_model = (_purchase_model(self.columns).fit(x.iloc[a], bought[a]) for a in arms)
        return self

    def _frame(self, x: pd.DataFrame) -> pd.DataFrame:
        x = x[self.columns].copy()
        for name in CATEGORICAL & set(self.columns):
            x[name] = x[name].astype("string").fillna("")
        return x

    def effect(self, x: pd.DataFrame) -> np.ndarray:
        """Each customer's incremental purchase probability (negative: the message puts them off)."""
        if self.treated_model is None or self.control_model is None:
            raise ValueError("fit the model first")
        x = self._frame(x)
        return self.treated_model.predict_proba(x)[:, 1] - self.control_model.predict_proba(x)[:, 1]


def qini_curve(effect, treated, outcome, points: int = 20) -> pd.DataFrame:
    """The Qini curve: targeting a share of the customers (`targeted`) with the highest predicted effect, the
    incremental outcome per member of the whole group (treated outcome minus control outcome scaled to the treated
    count); `random` is the line of targeting at random.

    >>> curve = qini_curve([3, 2, 1, 0], [True, False, True, False], [1, 0, 0, 0], points=2)
    >>> curve["incremental"].round(2).tolist(), curve["random"].round(2).tolist()
    ([0.0, 0.25, 0.25], [0.0, 0.12, 0.25])
    """
    order = np.argsort(-np.asarray(effect, dtype=float), kind="stable")
    treated = np.asarray(treated, dtype=bool)[order]
    outcome = np.asarray(outcome, dtype=float)[order]
    n = len(order)
    rows = []
    for share in np.linspace(0, 1, points + 1):
        k = round(share * n)
        t, c = treated[:k], ~treated[:k]
        gain = outcome[:k][t].sum() - (outcome[:k][c].sum() * t.sum() / c.sum() if c.sum() else 0.0)
        rows.append((share, gain / n))
    curve = pd.DataFrame(rows, columns=["targeted", "incremental"])
    curve["random"] = curve["targeted"] * curve["incremental"].iloc[-1]
    return curve


def qini_coefficient(curve: pd.DataFrame) -> float:
    """The area between the Qini curve and the random line (positive: the model ranks better than chance)."""
    gap = (curve["incremental"] - curve["random"]).to_numpy()
    return float(np.sum((gap[1:] + gap[:-1]) / 2 * np.diff(curve["targeted"].to_numpy())))


@dataclass(frozen=True)
class UpliftValidation:
    """The check on held-out later campaigns: their number and members, the Qini curve and coefficient, and the
    incremental purchases per 100 contacts among the model's top 30% against everyone."""

    campaigns: int
    members: int
    curve: pd.DataFrame
    qini: float
    top_uplift: float
    overall_uplift: float


def _uplift(treated, bought) -> float:
    treated, bought = np.asarray(treated, dtype=bool), np.asarray(bought, dtype=float)
    if treated.all() or not treated.any():
        return float("nan")
    return float(bought[treated].mean() - bought[~treated].mean())


def validate(history: pd.DataFrame, held_out: float = 0.3, top: float = 0.3) -> UpliftValidation:
    """Fit on the earlier campaigns, check on the latest `held_out` share of them (by start date)."""
    starts = history.groupby("campaign_id")["start_date"].min().sort_values(kind="stable")
    n_test = max(1, round(len(starts) * held_out))
    test_ids = set(starts.index[-n_test:])
    test = history["campaign_id"].isin(test_ids).to_numpy()
    train, check = history[~test], history[test]
    model = UpliftModel().fit(train[FEATURES], train["treated"], train["bought"])
    effect = model.effect(check[FEATURES])
    curve = qini_curve(effect, check["treated"], check["bought"])
    best = np.argsort(-effect, kind="stable")[: max(1, round(top * len(check)))]
    return UpliftValidation(
        campaigns=n_test,
        members=len(check),
        curve=curve,
        qini=qini_coefficient(curve),
        top_uplift=_uplift(check["treated"].to_numpy()[best], check["bought"].to_numpy()[best]),
        overall_uplift=_uplift(check["treated"], check["bought"]),
    )


def modelled_types(history: pd.DataFrame, min_campaigns: int) -> list[str]:
    """The campaign types with at least `min_campaigns` past campaigns with a control group: those the model ranks."""
    if history.empty:
        return []
    counts = history.groupby("campaign")["campaign_id"].nunique()
    return sorted(counts.index[counts >= min_campaigns])
