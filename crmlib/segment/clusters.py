"""Behavioural segments: k-means clusters of the customer features, described in plain words in both languages.

Features are put on one scale first: counts and money through log1p (they are skewed), rates as they are,
missing values (an e-mail rate of a customer sent no e-mail) as the column's mean, then standardised. k is the
one in `k_range` with the best silhouette score (measured on a seeded sample of at most `SILHOUETTE_SAMPLE`
customers, their distances computed once for every k). On a large base k-means is fitted on a seeded sample of at
most `FIT_SAMPLE` customers and every customer gets the nearest centre. Clusters are numbered 1..k by size, the
largest first.

A cluster is described by the features that stand out: the cluster's mean on the standardised scale (a z-score
against all customers) at least +`STANDOUT` reads "high", at most -`STANDOUT` "low". The words live in `WORDS`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from babel.lists import format_list

from crmlib import catalogue
from crmlib.catalogue import t
from crmlib.errors import ModelError
from crmlib.sampling import at_most

SILHOUETTE_SAMPLE = 5_000
FIT_SAMPLE = 20_000  # enough to place a handful of centres; the fit's cost grows with it, k-means' accuracy hardly
STANDOUT = 0.5
MOST_WORDS = 4  # at most this many standing-out features make a description


@dataclass(frozen=True)
class Words:
    """How a feature enters a description: `kind` places it in the sentence (an "adjective" describes the buyers,
    "frequent buyers"; a "verb" says what they do, "buyers who open e-mails"); its words for a high and a low value
    are the catalogue's `cluster.<feature>.high` and `.low` (a side without a message says nothing)."""

    kind: str
    log: bool = True  # log1p before scaling (counts and money); False for rates


# The default clustering features, in the order descriptions mention them.
WORDS: dict[str, Words] = {
    "frequency": Words("adjective"),
    "avg_spend": Words("adjective"),
    "recency_days": Words("adjective"),
    "tenure_days": Words("adjective"),
    "categories": Words("verb"),
    "sessions": Words("verb"),
    "abandoned_carts": Words("verb"),
    "email_open_rate": Words("verb", log=False),
    "email_click_rate": Words("verb", log=False),
    "tickets": Words("verb"),
    "refunds": Words("verb"),
}
CLUSTER_FEATURES = tuple(WORDS)
NEEDS = {
    "feature.categories": ("transactions.category",),
    "feature.sessions": ("events",),
    "feature.abandoned_carts": ("events",),
    "feature.email_open_rate": ("events",),
    "feature.email_click_rate": ("events",),
    "feature.tickets": ("tickets",),
}
"""The data without which a clustering feature is the same for everyone (see `crmlib.collect.needs`)."""


@dataclass
class ClusterResult:
    """k-means clusters: labels per customer, the chosen k, silhouette per tried k, and what each cluster is.

    profile: per cluster size, share and the mean of each raw feature; z: per cluster the standardised mean of
    each clustering feature; names and descriptions: per cluster, one column per catalogue language.
    """

    labels: pd.Series
    k: int
    silhouette: dict[int, float]
    profile: pd.DataFrame
    z: pd.DataFrame
    names: pd.DataFrame
    descriptions: pd.DataFrame
    features: list[str] = field(default_factory=list)

    def describe(self, cluster: int, language: str = "id") -> str:
        """The description of one cluster in `language`."""
        return self.descriptions.loc[cluster, language]


def scaled_features(features: pd.DataFrame, columns=None) -> pd.DataFrame:
    """The clustering features on one scale: log1p for counts and money, missing as the mean, standardised.

    >>> scaled = scaled_features(pd.DataFrame({"frequency": [0.0, 3.0], "email_open_rate": [0.5, None]}))
    >>> scaled.round(2).values.tolist()
    [[-1.0, 0.0], [1.0, 0.0]]
    """
    if columns is not None:
        missing = [c for c in columns if c not in features]
        if missing:
            raise ValueError(f"features lack the column(s) {', '.join(missing)} named to cluster on")
    columns = [c for c in (columns or CLUSTER_FEATURES) if c in features]
    if not columns:
        raise ValueError(
            f"features have none of the clustering columns ({', '.join(CLUSTER_FEATURES)}): pass "
            "customer_features(...) or name the columns to use"
        )
    frame = features[columns].astype(float)
    for column in columns:
        if _words(column).log:  # a signed log: a negative net spend (refunds beyond a day's sales) stays negative
            frame[column] = np.sign(frame[column]) * np.log1p(frame[column].abs())
    frame = frame.fillna(frame.mean()).fillna(0.0)
    from sklearn.preprocessing import StandardScaler  # scikit-learn loads when customers are clustered

    return pd.DataFrame(StandardScaler().fit_transform(frame), index=frame.index, columns=columns)


def _words(column: str) -> Words:
    return WORDS.get(column, Words("verb"))


def behaviour_clusters(features: pd.DataFrame, k_range=range(2, 9), seed: int = 0, columns=None) -> ClusterResult:
    """Cluster customers with k-means on `scaled_features`, k by the best silhouette; same seed, same result.

    `features` is `customer_features(...)` (one row per customer); `columns` the features to cluster on (default:
    those of `CLUSTER_FEATURES` present).
    """
    from sklearn.cluster import KMeans
    from sklearn.metrics import pairwise_distances, silhouette_score
    from threadpoolctl import threadpool_limits

    scaled = scaled_features(features, columns)
    ks = [int(k) for k in k_range if 2 <= k < len(scaled)]
    if not ks:
        raise ModelError(t("error.clusters.k", n=len(scaled), k=str(list(k_range))))
    points = scaled.to_numpy()
    distinct = len(np.unique(points, axis=0))
    if distinct < 2:
        raise ModelError(t("error.clusters.alike"))
    rng = np.random.default_rng(seed)
    fitted = points[at_most(len(points), FIT_SAMPLE, rng)]
    judged = at_most(len(points), SILHOUETTE_SAMPLE, rng)
    distances = pairwise_distances(points[judged])
    silhouette, fits = {}, {}
    with threadpool_limits(1):  # small parallel loops: one thread is as fast, and never stalls on a busy machine
        for k in (k for k in ks if k <= distinct):  # no more clusters than distinct customers
            fits[k] = KMeans(n_clusters=k, n_init=10, random_state=seed).fit(fitted).predict(points)
            if len(np.unique(fits[k][judged])) > 1:
                silhouette[k] = float(silhouette_score(distances, fits[k][judged], metric="precomputed"))
    if not silhouette:
        raise ValueError(f"only {distinct} distinct customers: too few for k in {list(k_range)}")
    best = max(silhouette, key=lambda k: (silhouette[k], -k))
    labels = _number_by_size(pd.Series(fits[best], index=scaled.index, name="cluster"))
    z = scaled.groupby(labels).mean()
    names, descriptions = describe_clusters(z)
    return ClusterResult(
        labels=labels,
        k=best,
        silhouette=silhouette,
        profile=_profile(features, labels),
        z=z,
        names=names,
        descriptions=descriptions,
        features=list(scaled.columns),
    )


def _number_by_size(labels: pd.Series) -> pd.Series:
    """Renumber clusters 1..k, the largest first (ties by the first customer in it), so numbers are stable."""
    sizes = labels.value_counts()
    first = pd.Series(np.arange(len(labels)), index=labels.to_numpy()).groupby(level=0).min()
    order = sorted(sizes.index, key=lambda c: (-sizes[c], first[c]))
    return labels.map({old: new for new, old in enumerate(order, start=1)}).astype("int64")


def _profile(features: pd.DataFrame, labels: pd.Series) -> pd.DataFrame:
    numeric = features.select_dtypes("number")
    table = numeric.groupby(labels).mean()
    table.insert(0, "share", labels.value_counts(normalize=True).reindex(table.index))
    table.insert(0, "size", labels.value_counts().reindex(table.index).astype("int64"))
    table.index.name = "cluster"
    return table


def standouts(z: pd.Series, threshold: float = STANDOUT, most: int = MOST_WORDS) -> list[tuple[str, str]]:
    """(feature, "high" or "low") of the features that stand out, the strongest `most`, in feature order.

    >>> standouts(pd.Series({"frequency": 1.2, "avg_spend": 0.1, "recency_days": -0.8}))
    [('frequency', 'high'), ('recency_days', 'low')]
    """
    said = [
        c for c in z.index if _phrase(c, "high" if z[c] > 0 else "low", catalogue.DEFAULT) and abs(z[c]) >= threshold
    ]
    strongest = set(sorted(said, key=lambda c: -abs(z[c]))[:most])
    return [(c, "high" if z[c] > 0 else "low") for c in z.index if c in strongest]


def _phrase(column: str, side: str, language: str) -> str | None:
    key = f"cluster.{column}.{side}"
    return t(key, language) if column in WORDS and catalogue.known(key) else None


def describe(z: pd.Series, language: str) -> tuple[str, str]:
    """A short name and a plain-words description of a cluster from its z-scores, in `language`.

    >>> describe(pd.Series({"frequency": 1.2, "avg_spend": 0.9, "recency_days": -0.8, "email_open_rate": 0.7}), "en")
    ('Frequent, high-spending buyers', 'Frequent, high-spending, recent buyers who open e-mails')
    >>> describe(pd.Series({"frequency": 1.2, "avg_spend": 0.9, "recency_days": -0.8, "email_open_rate": 0.7}), "id")
    ('Pembeli sering, belanja tinggi', 'Pembeli sering, belanja tinggi, baru saja membeli yang membuka e-mail')
    """
    chosen = standouts(z)
    if not chosen:
        return t("cluster.average_name", language), t("cluster.average", language)
    strongest = set(c for c, _ in sorted(chosen, key=lambda cs: -abs(z[cs[0]]))[:2])
    return (_sentence([cs for cs in chosen if cs[0] in strongest], language), _sentence(chosen, language))


def _sentence(chosen: list[tuple[str, str]], language: str) -> str:
    """The catalogue's sentence of the chosen words: adjectives describe the buyers, verbs say what they do."""
    phrases = [(_words(c).kind, _phrase(c, side, language)) for c, side in chosen]
    adjectives = [text for kind, text in phrases if kind == "adjective" and text]
    verbs = [text for kind, text in phrases if kind != "adjective" and text]
    text = (
        t("cluster.adjectives", language, adjectives=", ".join(adjectives))
        if adjectives
        else t("cluster.buyers", language)
    )
    if verbs:
        text = t("cluster.who", language, buyers=text, verbs=format_list(verbs, locale=catalogue.locale(language)))
    return text[0].upper() + text[1:]


def describe_clusters(z: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Names and descriptions (a column per language) of every cluster (row of `z`); a repeated name gets "(2)"."""
    names = pd.DataFrame(index=z.index, columns=list(catalogue.LANGUAGES), dtype=object)
    descriptions = names.copy()
    for cluster, row in z.iterrows():
        for language in catalogue.LANGUAGES:
            names.loc[cluster, language], descriptions.loc[cluster, language] = describe(row, language)
    for language in catalogue.LANGUAGES:
        repeat = names.groupby(language).cumcount()
        names[language] = names[language] + repeat.map(lambda n: f" ({n + 1})" if n else "")
    return names, descriptions
