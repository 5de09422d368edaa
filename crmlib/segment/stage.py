"""The segmentation stage of a period in one call: what its page shows and what it stores.

>>> import pathlib, tempfile
>>> from crmlib.collect.warehouse import Warehouse
>>> rules = default_segment_rules()
>>> customers = pd.DataFrame({"r": [5, 1, 5], "fm": [5, 1, 4], "f": [5, 1, 2]}, index=["a", "b", "c"])
>>> rfm_grid(customers, rules).loc[5].tolist()  # R = 5, FM = 1..5: one customer at FM 4 and one at 5
[0, 0, 0, 1, 1]
>>> rfm_grid(customers, rules.model_copy(update={"fm_score": "f"})).loc[5].tolist()  # the grid reads F instead
[0, 1, 0, 0, 1]
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from crmlib.collect.needs import left_out
from crmlib.collect.warehouse import Warehouse, one_connection
from crmlib.errors import available, outcome, part
from crmlib.periods import Period
from crmlib.segment.clusters import CLUSTER_FEATURES, ClusterResult, behaviour_clusters
from crmlib.segment.clusters import NEEDS as CLUSTER_NEEDS
from crmlib.segment.customers import customer_segments, segment_customers
from crmlib.segment.movement import movement_summary, segment_movement
from crmlib.segment.segments import SegmentRules, default_segment_rules, segment_summary

RESULT = "customer_segments"  # the stored result: r, f, m, fm, segment and cluster per customer, per period


def rfm_grid(customers: pd.DataFrame, rules: SegmentRules) -> pd.DataFrame:
    """Customers per cell of the score grid the segments are drawn on: R (rows, high to low) by the score the rules
    read (`rules.fm_score`: FM, or F alone), every score 1..bins shown."""
    scores = range(1, rules.bins + 1)
    grid = pd.crosstab(customers["r"], customers[rules.fm_score]).reindex(index=scores, columns=scores, fill_value=0)
    return grid.sort_index(ascending=False).rename_axis(index="r", columns=rules.fm_score)


@dataclass
class Segmentation:
    """A period's segmentation: customers with their scores and segment, the segment table (value order), the
    RFM grid, the movement since the previous period, and the behavioural clusters (a `Part`: too few customers
    to cluster, and reading it raises why), with the line naming the features the data do not allow."""

    customers: pd.DataFrame
    table: pd.DataFrame  # segment, customers, customers_share, recency_days, purchase_days, monetary, revenue_share
    grid: pd.DataFrame
    movement: pd.DataFrame
    moves: pd.Series
    clusters_gap: str
    clusters: ClusterResult = part()

    @property
    def top_two(self) -> pd.DataFrame:
        """The two most valuable segments (rule order) with their share of customers and of net revenue."""
        return self.table.head(2)

    def store(self, warehouse: Warehouse, period: Period | str) -> None:
        """Write the period's result `customer_segments`: r, f, m, fm, segment and cluster per customer."""
        clusters = self.clusters.labels if available(self, "clusters") else None
        warehouse.write_result(
            RESULT, period, self.customers[["r", "f", "m", "fm", "segment"]].assign(cluster=clusters)
        )


@one_connection
def segmentation(
    warehouse: Warehouse, period: Period, rules: SegmentRules | None = None, seed: int = 0
) -> Segmentation:
    """Segment the customers of `period` and of the one before, and cluster them by behaviour."""
    rules = rules or default_segment_rules()
    customers = segment_customers(warehouse, period, rules)
    table = (
        segment_summary(customers, customers["segment"], value=customers["spend"], rules=rules)
        .rename(columns={"share": "customers_share", "value_share": "revenue_share"})
        .rename_axis("segment")
        .reset_index()
    )
    previous = customer_segments(warehouse, period.previous(), rules)
    movement = segment_movement(previous, customers["segment"], order=rules)
    gone, gap = left_out(warehouse, CLUSTER_NEEDS)
    columns = [c for c in CLUSTER_FEATURES if f"feature.{c}" not in gone]
    clusters = outcome(behaviour_clusters, customers, seed=seed, columns=columns)
    return Segmentation(
        customers, table, rfm_grid(customers, rules), movement, movement_summary(movement), gap, clusters
    )
