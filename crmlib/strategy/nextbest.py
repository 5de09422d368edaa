"""Next-best category from order lines: which category a customer is likely to buy next, from the categories
customers buy together.

Item-item co-occurrence on customers: support(a, b) is how many customers bought both, lift(a, b) = support ×
customers / (buyers of a × buyers of b), and confidence P(b | a) = lift(a, b) × P(b), the share of a's buyers who
also bought b. Only pairs with at least `min_support` customers count. A customer's candidates are the categories
they have not bought, scored by their confidence summed over the categories the customer bought (lift alone
favours rare categories and loses to popularity on the sample). Customers with no such candidate get the most
popular categories they have not bought (`source` says which). `hit_rate` checks this on a time split against
that popularity baseline.

>>> lines = pd.DataFrame({"customer_id": list("aabbccd"), "category": ["x", "y", "x", "y", "z", "w", "x"]})
>>> model = CoPurchases.fit(lines, min_support=2)
>>> model.recommend(lines, k=1).loc["d", "recommended"]
['y']
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from crmlib.catalogue import t
from crmlib.collect.needs import needs
from crmlib.collect.warehouse import Warehouse
from crmlib.errors import ModelError
from crmlib.periods import Period
from crmlib.sql import run_sql

LINES_SQL = """
SELECT customer_id, category, min(ts) AS first_ts, max(ts) AS last_ts FROM transactions
WHERE ts < $until AND kind = 'sale' AND customer_id IS NOT NULL AND category IS NOT NULL
  AND coalesce(is_product, true)
GROUP BY customer_id, category
"""


@needs("transactions.category")
def bought_categories(warehouse: Warehouse, until: pd.Timestamp) -> pd.DataFrame:
    """The distinct (customer_id, category) pairs of product lines sold before `until`, with the first and last
    time each was bought (so that any earlier cut-off is a filter, not another scan)."""
    return run_sql(warehouse, LINES_SQL, until - pd.Timedelta(days=1))


def incidence(bought: pd.DataFrame, categories: pd.Index) -> tuple[pd.Index, pd.DataFrame]:
    """The customers of `bought` (sorted) and a customer x category table of booleans: who bought which of
    `categories` (others are left out).

    >>> customers, have = incidence(pd.DataFrame({"customer_id": ["b", "a", "b"], "category": list("xyz")}),
    ...                             pd.Index(["y", "x"]))
    >>> have.to_numpy().tolist()
    [[True, False], [False, True]]
    """
    rows, customers = pd.factorize(bought["customer_id"], sort=True)
    columns = categories.get_indexer(bought["category"])
    known = columns >= 0
    have = np.zeros((len(customers), len(categories)), dtype=bool)
    have[rows[known], columns[known]] = True
    return pd.Index(customers, name="customer_id"), pd.DataFrame(have, index=customers, columns=categories)


@dataclass(frozen=True)
class CoPurchases:
    """Fitted co-purchase state: the categories by popularity, and the support and lift of each pair."""

    popularity: pd.Series  # customers per category, most popular first
    support: pd.DataFrame  # category x category: customers who bought both
    lift: pd.DataFrame  # category x category; 0 where the support is below min_support
    min_support: int
    customers: int  # the customers it learned from

    @classmethod
    def fit(cls, bought: pd.DataFrame, min_support: int = 20) -> CoPurchases:
        """Learn from distinct (customer_id, category) pairs."""
        customers, have = incidence(bought, pd.Index(np.unique(bought["category"].to_numpy())))
        popularity = pd.Series(have.sum(axis=0), index=have.columns).sort_values(ascending=False, kind="stable")
        matrix = have[popularity.index].to_numpy(dtype=float)
        support = matrix.T @ matrix
        counts = np.diag(support).copy()
        with np.errstate(divide="ignore", invalid="ignore"):
            lift = support * len(customers) / np.outer(counts, counts)
        lift[(support < min_support) | ~np.isfinite(lift)] = 0.0
        np.fill_diagonal(lift, 0.0)
        names = popularity.index
        return cls(
            popularity,
            pd.DataFrame(support, index=names, columns=names),
            pd.DataFrame(lift, index=names, columns=names),
            min_support,
            len(customers),
        )

    @property
    def confidence(self) -> pd.DataFrame:
        """P(b | a) = lift(a, b) × P(b): the share of a's buyers who also bought b (0 below min_support)."""
        return self.lift * (self.popularity / self.customers)

    def pairs(self, top: int = 10) -> pd.DataFrame:
        """The strongest pairs (each once): category, with, support, lift; a ModelError when no pair has
        `min_support` customers who bought both."""
        names = list(self.lift.index)
        rows = [
            (a, b, int(self.support.loc[a, b]), float(self.lift.loc[a, b]))
            for i, a in enumerate(names)
            for b in names[i + 1 :]
            if self.lift.loc[a, b] > 1
        ]
        if not rows:
            raise ModelError(t("strat.no_pairs", n=self.min_support))
        table = pd.DataFrame(rows, columns=["category", "with", "support", "lift"])
        return table.sort_values(["lift", "support"], ascending=False).head(top).reset_index(drop=True)

    def recommend(self, bought: pd.DataFrame, k: int = 3, popularity_only: bool = False) -> pd.DataFrame:
        """Per customer of `bought`: `recommended` (up to k categories they have not bought, best first) and
        `source` ("co_purchase" or "popularity"). `popularity_only` gives the baseline."""
        names = list(self.popularity.index)
        customers, bought_frame = incidence(bought, self.popularity.index)
        have = bought_frame.to_numpy(dtype=bool)  # bool even when nobody bought anything yet
        rank = np.arange(len(names), 0, -1, dtype=float) / (len(names) + 1)  # popularity, in (0, 1)
        if popularity_only:
            score = np.broadcast_to(rank, have.shape).copy()
            lifted = np.zeros(len(customers), dtype=bool)
        else:
            confidence = self.confidence.to_numpy()
            summed = have.astype(float) @ confidence  # P(b | a) summed over the categories a they bought
            lifted = ((summed > 0) & ~have).any(axis=1)
            score = np.where(summed > 0, summed + 1, rank)  # a co-purchase candidate outranks every popular one
        score = np.where(have, -np.inf, score)
        order = np.argsort(-score, axis=1, kind="stable")[:, :k]
        chosen = [[names[j] for j in row if np.isfinite(score[i, j])] for i, row in enumerate(order)]
        return pd.DataFrame(
            {"recommended": chosen, "source": np.where(lifted, "co_purchase", "popularity")},
            index=pd.Index(customers, name="customer_id"),
        )


def hit_rate(bought: pd.DataFrame, period: Period, months: int = 3, k: int = 3, min_support: int = 20) -> pd.DataFrame:
    """Hit rate at k on a time split of `bought_categories(warehouse, period.end)`: fit on everything before the
    last `months` months of `period`'s history, then for the customers who bought a category new to them in those
    months, the share whose top k held one of them; for the co-purchase model and the popularity baseline.
    Columns: method, customers, hit_rate."""
    cutoff = period.end - pd.DateOffset(months=months)
    pairs = ["customer_id", "category"]
    before = bought.loc[bought["first_ts"] < cutoff, pairs]
    after = bought.loc[bought["last_ts"] >= cutoff, pairs]
    model = CoPurchases.fit(before, min_support)
    new = after.merge(before, how="left", indicator=True).query("_merge == 'left_only'")
    new = new[new["customer_id"].isin(before["customer_id"])]
    wanted = new.groupby("customer_id")["category"].agg(set)
    rows = []
    for method, only in (("co_purchase", False), ("popularity", True)):
        picks = model.recommend(before[before["customer_id"].isin(wanted.index)], k, popularity_only=only)
        hits = [bool(set(p) & w) for p, w in zip(picks["recommended"].reindex(wanted.index), wanted, strict=True)]
        rows.append((method, len(hits), float(np.mean(hits)) if hits else float("nan")))
    return pd.DataFrame(rows, columns=["method", "customers", "hit_rate"])


@dataclass(frozen=True)
class NextBest:
    """The co-purchase model of a period, each customer's first recommended category, and the model's check."""

    model: CoPurchases
    picks: pd.Series  # per customer_id: the best category they have not bought (None when there is none)
    check: pd.DataFrame  # hit_rate: method, customers, hit_rate


def next_best(warehouse: Warehouse, period: Period, k: int = 3, min_support: int = 20) -> NextBest:
    """Fit the co-purchases on the categories bought up to `period`'s end and recommend; `MissingData` without
    categories (see `bought_categories`)."""
    bought = bought_categories(warehouse, period.end)
    if bought["category"].nunique() < 2:
        raise ModelError(t("strat.one_category", n=int(bought["category"].nunique())))
    model = CoPurchases.fit(bought, min_support)
    picks = model.recommend(bought, k)["recommended"].map(lambda chosen: chosen[0] if chosen else None)
    return NextBest(model, picks, hit_rate(bought, period, k=k, min_support=min_support))
