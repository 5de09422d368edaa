"""Stage 1, data collection: the data contract, sources, checking and quarantine, the warehouse, data sets."""

from crmlib.lazy import lazy_namespace

__getattr__, __all__ = lazy_namespace(
    __name__,
    {
        "cdnow": ["load_cdnow"],
        "contract": ["TABLE_ORDER", "TABLES"],
        "ingest": ["IngestReport", "ingest_database", "ingest_dir", "ingest_raw"],
        "options": ["IngestOptions"],
        "warehouse": ["Warehouse"],
    },
)
