"""Segmenting the customers of a period in one call: features, RFM scores and the named segment of each."""

from __future__ import annotations

import pandas as pd

from crmlib.collect.warehouse import Warehouse
from crmlib.segment.features import customer_features
from crmlib.segment.purchase_days import PURCHASE_DAYS
from crmlib.segment.scores import rfm_scores
from crmlib.segment.segments import SegmentRules, assign_segments, default_segment_rules
from crmlib.segment.summary import rfm_summary
from crmlib.sql import run_sql

SPEND_SQL = f"WITH {PURCHASE_DAYS} SELECT customer_id, sum(value) AS spend FROM purchase_days GROUP BY customer_id"


def segment_customers(warehouse: Warehouse, end, rules: SegmentRules | None = None) -> pd.DataFrame:
    """Every customer with a purchase by day `end` (a date or a period's last day): features, r/f/m/fm, segment.

    >>> import pathlib, tempfile
    >>> segment_customers(Warehouse(pathlib.Path(tempfile.mkdtemp()) / "w.duckdb"), "2025-06").shape[0]
    0
    """
    rules = rules or default_segment_rules()
    features = customer_features(warehouse, end)
    scores = rfm_scores(features, bins=rules.bins, spend=features["spend"])
    customers = features.join(scores[["purchase_days", "monetary", "r", "f", "m", "fm"]])
    return customers.assign(segment=assign_segments(scores, rules))


def customer_segments(warehouse: Warehouse, end, rules: SegmentRules | None = None) -> pd.Series:
    """The `segment` column of `segment_customers` from the RFM summary and the spend alone, without the
    behavioural features: what the movement since an earlier period needs of it.

    >>> import pathlib, tempfile
    >>> customer_segments(Warehouse(pathlib.Path(tempfile.mkdtemp()) / "w.duckdb"), "2025-06").shape
    (0,)
    """
    rules = rules or default_segment_rules()
    summary = rfm_summary(warehouse, end=end, freq="D")
    spend = run_sql(warehouse, SPEND_SQL, end).astype({"customer_id": str}).set_index("customer_id")["spend"]
    scores = rfm_scores(summary, bins=rules.bins, spend=spend.reindex(summary.index).astype(float))
    return assign_segments(scores, rules)
