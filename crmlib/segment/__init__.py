"""Stage 2, segmentation: the RFM summary, RFM scores, named segments, behavioural clusters, segment movement."""

from crmlib.lazy import lazy_namespace

__getattr__, __all__ = lazy_namespace(
    __name__,
    {
        "clusters": ["ClusterResult", "behaviour_clusters"],
        "customers": ["segment_customers"],
        "features": ["customer_features"],
        "movement": ["ENTERED", "EXITED", "movement_summary", "segment_movement"],
        "scores": ["quantile_scores", "rfm_scores"],
        "segments": [
            "SegmentRule",
            "SegmentRules",
            "assign_segments",
            "default_segment_rules",
            "segment_action",
            "segment_name",
            "segment_summary",
        ],
        "stage": ["Segmentation", "rfm_grid", "segmentation"],
        "summary": ["rfm_summary"],
    },
)
