"""Where the transaction-level SQL runs (`engine:` and `spark:` in params/default.yaml).

`engine: duckdb` (the default) runs everything on the warehouse file. `engine: spark` runs every query that reads
a contract table on Spark, over the tables the `spark:` section names; the stages' results and the load records
stay in the warehouse file.

>>> options = SparkOptions(parquet="data/lake", tables={"customers": "crm.customers"})
>>> options.master, options.tables["customers"]
('local[2]', 'crm.customers')
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

LOCAL_MASTER = "local[2]"


class SparkOptions(BaseModel):
    """The Spark cluster and the tables it reads."""

    model_config = ConfigDict(extra="forbid", strict=True)

    master: str = LOCAL_MASTER
    """local[N], spark://host:7077, yarn, k8s://https://host:443, or sc://host:15002 (Spark Connect)."""
    config: dict[str, str] = {}
    """Spark configuration, e.g. {spark.executor.memory: 8g}."""
    parquet: str | None = None
    """A folder holding one Parquet folder (or file) per contract table: <parquet>/transactions/, …"""
    tables: dict[str, str] = {}
    """Catalogue tables, contract name -> table name (e.g. {transactions: sales.transactions}); they win over
    `parquet`."""
    results: str | None = None
    """Where Spark writes the per-customer scores as Parquet (a folder, or a URI such as s3a://bucket/crm);
    default <parquet>/_scores, or catalogue tables named crm_<table> when there is no `parquet`."""
