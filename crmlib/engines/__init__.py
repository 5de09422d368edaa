"""Engines that run the suite's transaction-level SQL: DuckDB (the warehouse, the default) and Apache Spark.

Every query is written once, in DuckDB's dialect; with `engine: spark` the warehouse sends the queries that read
a contract table to a `spark.Lake`, which runs them where the data lives through sqlglot's translation and brings
back only what is small.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from crmlib.collect.warehouse import Warehouse

if TYPE_CHECKING:
    from crmlib.report.params import Params


def open_warehouse(params: Params) -> Warehouse:
    """The warehouse file of `params`, its contract tables on Spark when `engine: spark`."""
    lake = None
    if params.engine == "spark":
        from crmlib.engines.spark import Lake

        lake = Lake(params.spark, params.project_dir)
    return Warehouse(params.path("warehouse"), lake=lake)
