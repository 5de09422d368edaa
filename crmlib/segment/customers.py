"""Segmenting the customers of a period in one call: features, RFM scores and the named segment of each."""

from __future__ import annotations

import pandas as pd

from crmlib.collect.warehouse import Warehouse
from crmlib.segment.features import customer_features
from crmlib.segment.scores import rfm_scores
from crmlib.segment.segments import SegmentRules, assign_segments, default_segment_rules


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
