"""Stage 1, data collection: the data contract, sources, checking and quarantine, the warehouse, data sets."""

from crmlib.collect.cdnow import load_cdnow
from crmlib.collect.contract import TABLE_ORDER, TABLES
from crmlib.collect.ingest import IngestReport, ingest_database, ingest_dir
from crmlib.collect.options import IngestOptions
from crmlib.collect.warehouse import Warehouse

__all__ = [
    "TABLES",
    "TABLE_ORDER",
    "IngestOptions",
    "IngestReport",
    "Warehouse",
    "ingest_database",
    "ingest_dir",
    "load_cdnow",
]
