"""The output files: one per contract table, open for the whole run, appended to chunk by chunk."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from crmlib.collect.contract import TABLE_ORDER
from crmlib.collect.synthetic.arrow import schema

if TYPE_CHECKING:
    from crmlib.collect.synthetic.lines import LinesCsv


class CsvFile:
    """A UTF-8 CSV file: a header line, then unquoted rows (vocabularies hold no commas or quotes)."""

    def __init__(self, path: Path, table_schema: pa.Schema):
        self.sink = open(path, "wb")
        self.sink.write((",".join(table_schema.names) + "\n").encode("utf-8"))
        self.writer = pacsv.CSVWriter(
            self.sink, table_schema, write_options=pacsv.WriteOptions(include_header=False, quoting_style="none")
        )

    def write_table(self, table: pa.Table) -> None:
        self.writer.write_table(table)

    def close(self) -> None:
        self.writer.close()
        self.sink.close()


def parquet_file(path: Path, table_schema: pa.Schema) -> pq.ParquetWriter:
    """A zstd-compressed Parquet file; every written table becomes one row group."""
    return pq.ParquetWriter(path, table_schema, compression="zstd")


FILE_TYPES = {"csv": CsvFile, "parquet": parquet_file}
FORMATS = tuple(FILE_TYPES)


LAYOUTS = ("tidy", "lines", "tokopedia", "shopee", "shopify", "woocommerce")  # the last four: `exports`


class TableWriters:
    """One open output file per contract table; tables are appended chunk by chunk and their rows counted.

    With `lines`, transactions.csv is written in the order-line layout (a `LinesCsv`) instead.
    """

    def __init__(self, folder: Path, fmt: str, lines: LinesCsv | None = None):
        self.rows = {name: 0 for name in TABLE_ORDER}
        self.files = {
            name: FILE_TYPES[fmt](folder / f"{name}.{fmt}", schema(name))
            for name in TABLE_ORDER
            if not (lines and name == "transactions")
        }
        if lines:
            self.files["transactions"] = lines

    def write(self, name: str, table: pa.Table) -> None:
        """Append a table's rows to its file (one Parquet row group per call)."""
        written = self.files[name].write_table(table)
        self.rows[name] += table.num_rows if written is None else written

    def close(self) -> None:
        for file in self.files.values():
            file.close()

    def __enter__(self) -> TableWriters:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
