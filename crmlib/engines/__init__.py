"""Engines that run the suite's transaction-level SQL: DuckDB (the warehouse, the default) and Apache Spark.

Every query is written once, in DuckDB's dialect; `spark` runs it where the data lives through sqlglot's
translation and brings back only what is small.
"""
