"""Stage 2, segmentation: the RFM summary, RFM scores, named segments, behavioural clusters, segment movement."""

from crmlib.segment.clusters import ClusterResult, behaviour_clusters
from crmlib.segment.customers import segment_customers
from crmlib.segment.features import customer_features
from crmlib.segment.movement import ENTERED, EXITED, movement_summary, segment_movement
from crmlib.segment.scores import quantile_scores, rfm_scores
from crmlib.segment.segments import (
    SegmentRule,
    SegmentRules,
    assign_segments,
    default_segment_rules,
    segment_action,
    segment_name,
    segment_summary,
)
from crmlib.segment.stage import Segmentation, rfm_grid, segmentation
from crmlib.segment.summary import rfm_summary

__all__ = [
    "ENTERED",
    "EXITED",
    "ClusterResult",
    "SegmentRule",
    "SegmentRules",
    "Segmentation",
    "assign_segments",
    "behaviour_clusters",
    "customer_features",
    "default_segment_rules",
    "movement_summary",
    "quantile_scores",
    "rfm_grid",
    "rfm_scores",
    "rfm_summary",
    "segment_action",
    "segment_customers",
    "segment_movement",
    "segment_name",
    "segment_summary",
    "segmentation",
]
