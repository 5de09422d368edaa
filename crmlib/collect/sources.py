"""Reading sources: CSV (any common delimiter and encoding), Parquet, Excel and SQL databases.

A source becomes a `RawTable`: the values as read (not yet checked), with contract column names and the
row number of each record as a person finds it (in CSV and Excel the header is row 1).
"""

from __future__ import annotations

import contextlib
import csv
import errno
import fnmatch
import gzip
import hashlib
import io
import itertools
import os
import re
import stat
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TextIO

import numpy as np
import pandas as pd

from crmlib.catalogue import t
from crmlib.collect.contract import TABLES
from crmlib.collect.expressions import check_expression, evaluate
from crmlib.collect.headers import normalize_header
from crmlib.collect.options import IngestOptions
from crmlib.collect.parsing import money_reading, parse_number
from crmlib.collect.urls import database_url
from crmlib.collect.urls import shown as shown_url
from crmlib.errors import SourceError

CSV_SUFFIXES = {".csv", ".tsv", ".txt"}
EXCEL_SUFFIXES = {".xlsx", ".xlsm"}
PARQUET_SUFFIXES = {".parquet", ".pq"}
COMPRESSED_SUFFIXES = {".gz", ".zip"}  # a CSV file compressed, as many exports arrive
OLD_EXCEL_SUFFIXES = {".xls"}  # Excel 97-2003: not read (no maintained reader), said in one line
SUFFIXES = CSV_SUFFIXES | EXCEL_SUFFIXES | PARQUET_SUFFIXES | COMPRESSED_SUFFIXES
GZIP, ZIP = b"\x1f\x8b", b"PK\x03\x04"


def table_and_kind(path: Path) -> tuple[str, str]:
    """The table a file is named after and the kind of file it is (its suffix; a compressed CSV is `.csv`).

    >>> table_and_kind(Path("Transactions.csv.gz")), table_and_kind(Path("events.zip"))
    (('transactions', '.csv'), ('events', '.csv'))
    """
    name = Path(path.name.strip().lower())
    if name.suffix in COMPRESSED_SUFFIXES:
        name = Path(name.stem)
        return name.stem if name.suffix in CSV_SUFFIXES else name.name, ".csv"
    return name.stem, name.suffix


MAX_LINE_BYTES = 16 * 2**20  # a line of a text source longer than this is no record: a damaged or hostile file


class LineLimit(io.RawIOBase):
    r"""A binary stream that stops with a SourceError as soon as a line runs longer than `limit` bytes, before it
    is held in memory (a small compressed file may expand into one endless value).

    >>> io.BufferedReader(LineLimit(io.BytesIO(b"a,b\n1,2\n"), "f.csv", limit=20)).read()
    b'a,b\n1,2\n'
    >>> io.BufferedReader(LineLimit(io.BytesIO(b"a,b\n" + b"x" * 50), "f.csv", limit=20)).read()
    Traceback (most recent call last):
    crmlib.errors.SourceError: f.csv: line 2 is longer than 20 bytes; ...
    """

    def __init__(self, stream: IO[bytes], name: str, limit: int = MAX_LINE_BYTES):
        self.stream, self.name, self.limit = stream, name, limit
        self.since_newline, self.lines = 0, 1

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        block = self.stream.read(len(buffer))
        n = len(block)
        buffer[:n] = block
        last = block.rfind(b"\n")
        if last < 0:
            self.since_newline += n
        else:
            self.lines += block.count(b"\n")
            self.since_newline = n - last - 1
        if self.since_newline > self.limit:
            raise SourceError(t("error.source.long_line", source=self.name, line=self.lines, limit=self.limit))
        return n


@contextmanager
def open_bytes(path: Path, max_line_bytes: int = MAX_LINE_BYTES) -> Iterator[IO[bytes]]:
    """A source file's bytes, uncompressed when they are gzip or a zip archive holding one file, whatever the
    file's name says; a line longer than `max_line_bytes` is a SourceError (`LineLimit`)."""
    with open(path, "rb") as handle:
        head = handle.read(4)
    with contextlib.ExitStack() as stack:
        if head.startswith(GZIP):
            stream: IO[bytes] = stack.enter_context(gzip.open(path, "rb"))  # type: ignore[arg-type]
        elif head.startswith(ZIP) and path.suffix.lower() not in EXCEL_SUFFIXES:
            archive = stack.enter_context(zipfile.ZipFile(path))
            members = [m for m in archive.namelist() if not m.endswith("/")]
            if len(members) != 1:
                raise SourceError(t("error.source.zip", path=str(path), n=len(members)))
            stream = stack.enter_context(archive.open(members[0]))
        else:
            stream = stack.enter_context(open(path, "rb"))
        if path.suffix.lower() in EXCEL_SUFFIXES | PARQUET_SUFFIXES:  # binary formats: no lines to bound
            yield stream
        else:
            yield io.BufferedReader(LineLimit(stream, str(path), max_line_bytes), buffer_size=1 << 16)


@contextmanager
def open_text(path: Path, encoding: str) -> Iterator[TextIO]:
    """A source file as text in `encoding`, lines kept as written (see `open_bytes`)."""
    with open_bytes(path) as stream, io.TextIOWrapper(stream, encoding=encoding, newline="") as text:
        yield text


DELIMITERS = (",", ";", "\t", "|")
NA_VALUES = ["", "NA", "N/A", "n/a", "NULL", "null", "None", "NaN", "nan"]
BLANK = set(NA_VALUES)  # a record of only these carries no data: skipped, as a blank line is
SAMPLE_MARKER = ".synthetic-sample"  # marks a folder of synthetic sample data: no business's history


@dataclass
class RawTable:
    """One source's records for one contract table, before checking."""

    table: str
    source: str
    frame: pd.DataFrame  # contract column names; values as read
    row_numbers: pd.Series  # aligned with frame: where a person finds each record
    sha256: str = ""
    ignored_columns: list[str] = field(default_factory=list)
    malformed: pd.DataFrame | None = None  # row_number, reason, record: records that could not be split
    record_hash: pd.Series | None = None  # aligned with frame: a hash of every column as read (exact duplicates)
    computed: list[str] = field(default_factory=list)  # contract columns computed by an expression
    ignored_sheets: list[str] = field(default_factory=list)  # an Excel file's other sheets, not read
    origins: pd.Series | None = None  # aligned with frame: the file of each record, when they come from several
    readings: dict[str, str] = field(default_factory=dict)  # money columns read "dots" (1.234,5) or "commas" (1,234.5)
    three_decimals: list[str] = field(default_factory=list)  # money columns read as decimals though all have three
    explained: dict[str, pd.Series] = field(default_factory=dict)  # computed column -> why a row has no value

    def origin(self, positions) -> object:
        """The file the records at `positions` came from: one name, or one per record."""
        return self.source if self.origins is None else self.origins.to_numpy()[positions]


def find_sources(
    directory: str | Path, patterns: dict[str, str | list[str]] | None = None
) -> tuple[dict[str, list[Path]], list[str]]:
    """Map each contract table to its files in `directory`: those its `patterns` match (globs such as
    "laporan-penjualan*.xlsx", in name order), else the one file named after it; also list the files left aside,
    with why."""
    directory = Path(directory).resolve()
    if not directory.is_dir():
        raise SourceError(t("error.source.no_folder", folder=str(directory)))
    entries = [p for p in sorted(directory.iterdir()) if not p.name.startswith(".")]
    for path in entries:
        table, kind = table_and_kind(path)
        if table in TABLES and path.is_dir():  # a folder named like a table's file: not silently passed over
            raise SourceError(t("error.source.folder_named", path=str(path), table=table))
    files = [p for p in entries if not p.is_dir()]
    found: dict[str, list[Path]] = {}
    for table, wanted in (patterns or {}).items():
        globs = [wanted] if isinstance(wanted, str) else wanted
        found[table] = [p for p in files if any(fnmatch.fnmatch(p.name.lower(), g.lower()) for g in globs)]
    claimed = [p for paths in found.values() for p in paths]
    twice = sorted({p.name for p in claimed if claimed.count(p) > 1})
    if twice:
        tables = [table for table, paths in found.items() if any(p.name == twice[0] for p in paths)]
        raise SourceError(t("error.source.two_patterns", file=twice[0], tables=", ".join(tables)))
    ignored = []
    for path in files:
        if path in claimed:
            continue
        table, kind = table_and_kind(path)
        if table in TABLES and table not in (patterns or {}) and kind in SUFFIXES - COMPRESSED_SUFFIXES:
            named = found.setdefault(table, [])
            if named:
                raise SourceError(t("error.source.two_files", folder=str(directory), table=table,
                                    files=", ".join(p.name for p in [*named, path])))  # fmt: skip
            named.append(path)
        else:
            ignored.append(
                t(
                    "note.ingest.ignored_file",
                    file=path.name,
                    tables=", ".join(TABLES),
                    suffixes=", ".join(sorted(SUFFIXES)),
                )
            )
    for path in files:  # an old Excel file that would have been a table's only source
        table, kind = table_and_kind(path)
        if table in TABLES and kind in OLD_EXCEL_SUFFIXES and not found.get(table):
            raise SourceError(t("error.source.old_excel", path=str(path), table=table))
    return {table: paths for table, paths in found.items() if paths}, ignored


CHUNK_ROWS = 200_000  # records read at a time from a file


@dataclass
class Source:
    """One source of a contract table, read in chunks (`chunks(lenient)` starts reading afresh each time): a big
    file never has to fit in memory. `size` is its size in bytes (0 when not known)."""

    table: str
    name: str
    sha256: str
    size: int
    chunks: Callable[[bool], Iterator[RawTable]]


def open_file(path: Path, table: str, options: IngestOptions, chunk_rows: int | None = None) -> Source:
    """A file as the source of `table`: CSV and Parquet are read `chunk_rows` records at a time, Excel whole.

    A CSV file is read fast (pandas' C parser); `chunks(lenient=True)` reads it record by record instead, setting
    aside records with more fields than the header (`malformed`), for when the fast reader gives up. `chunk_rows`
    defaults to CHUNK_ROWS."""
    suffix, chunk_rows = table_and_kind(path)[1], chunk_rows or CHUNK_ROWS

    def chunks(lenient: bool) -> Iterator[RawTable]:
        ignored_sheets: list[str] = []
        header = Header(0)
        try:
            if suffix in CSV_SUFFIXES:
                pieces = _csv_chunks(path, chunk_rows, lenient, table, options)
                header = _csv_header(path, table, options)
            elif suffix in EXCEL_SUFFIXES:
                frame, ignored_sheets, header = _read_excel(path, table, options)
                pieces = iter([(frame, _numbered(frame, first=header.index + 2), None)])
            else:
                pieces = _parquet_chunks(path, chunk_rows)
            for frame, rows, malformed in pieces:
                raw = _to_contract(frame, table, str(path), options, rows, header.likely)
                raw.malformed = malformed
                raw.ignored_sheets = ignored_sheets
                yield raw
        except (SourceError, pd.errors.ParserError):
            raise
        except Exception as exc:  # a corrupt or foreign file: say which and why, in one line
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise SourceError(
                t("error.source.unreadable", path=str(path), format=suffix.lstrip("."), reason=reason)
            ) from None

    size = regular_file(path).st_size
    return Source(table, str(path), _sha256(path), size, chunks)


def regular_file(path: Path) -> os.stat_result:
    """The status of `path`, checked before anything reads it: a regular file this process may read; a
    SourceError in one line otherwise (missing, a broken or looping link, no permission, a folder, a FIFO, a device
    or a socket, which a read could block on or never finish)."""
    try:
        status = path.stat()
    except OSError as err:
        raise SourceError(
            t("error.source.unopenable", path=str(path), reason=err.strerror or type(err).__name__)
        ) from None
    if not stat.S_ISREG(status.st_mode):
        raise SourceError(t("error.source.not_regular", path=str(path)))
    if not os.access(path, os.R_OK):
        raise SourceError(t("error.source.unopenable", path=str(path), reason=os.strerror(errno.EACCES)))
    return status


def open_files(paths: list[Path], table: str, options: IngestOptions, chunk_rows: int | None = None) -> Source:
    """Several files of one table (one a month, say) as one source: each file's chunks in turn, its records
    numbered by its own lines and quarantined under its own name (see `open_file`)."""
    if len(paths) == 1:
        return open_file(paths[0], table, options, chunk_rows)
    sources = [open_file(path, table, options, chunk_rows) for path in paths]
    digest = hashlib.sha256("".join(s.sha256 for s in sources).encode()).hexdigest()
    name = t("source.files", first=sources[0].name, n=len(sources) - 1)
    return Source(table, name, digest, sum(s.size for s in sources),
                  lambda lenient: itertools.chain.from_iterable(s.chunks(lenient) for s in sources))  # fmt: skip


def whole(raw: RawTable) -> Source:
    """A source already read (a database table): one chunk."""
    return Source(raw.table, raw.source, raw.sha256, 0, lambda lenient: iter([raw]))


def read_database(options: IngestOptions, tables: list[str] | None = None) -> list[RawTable]:
    """Read the contract tables found in the database whose SQLAlchemy URL is in `options.database_url_env`."""
    import sqlalchemy as sa

    url = os.environ.get(options.database_url_env)
    if not url:
        raise SourceError(t("error.source.no_url", variable=options.database_url_env))
    try:
        engine = sa.create_engine(database_url(url))
        shown = shown_url(engine.url)
    except Exception as exc:
        raise SourceError(
            t("error.source.bad_url", variable=options.database_url_env, reason=type(exc).__name__)
        ) from None
    out = []
    try:
        with engine.connect() as con:
            inspector = sa.inspect(con)
            for table in tables or list(TABLES):
                schema, name = _split_name(options.database_tables.get(table, table))
                if not inspector.has_table(name, schema=schema):
                    if table in options.database_tables:
                        raise SourceError(
                            t("error.source.no_table", database=shown, name=options.database_tables[table], table=table)
                        )
                    continue
                selectable = sa.Table(name, sa.MetaData(), schema=schema, autoload_with=con)
                frame = pd.read_sql(sa.select(selectable), con)
                source = f"database {shown} table {selectable.fullname}"
                raw = _to_contract(frame, table, source, options, _numbered(frame, first=1))
                raw.sha256 = hashlib.sha256(frame.to_csv(index=False).encode()).hexdigest()
                out.append(raw)
    except sa.exc.SQLAlchemyError as exc:
        detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise SourceError(t("error.source.database", database=shown, detail=detail)) from None
    finally:
        engine.dispose()
    return out


def _to_contract(
    frame: pd.DataFrame, table: str, source: str, options: IngestOptions, rows: pd.Series, likely: int | None = None
) -> RawTable:
    """Rename columns to the contract's names, compute columns, check the required ones are there, number rows
    (`likely`: a row further down that looks like a header, for the error when a required column is missing)."""
    record_hash = pd.util.hash_pandas_object(frame.astype(str).where(frame.notna()), index=False)
    mapping = {normalize_header(k): v for k, v in options.columns.get(table, {}).items()}
    renamed = [mapping.get(normalize_header(c), normalize_header(c)) for c in frame.columns]
    headers = [str(c) for c in frame.columns]  # a header written twice comes as `amount` and `amount.1` (pandas)
    duplicated = sorted({c for c in renamed if renamed.count(c) > 1})
    duplicated += [m.group(1) for c in headers if (m := re.fullmatch(r"(.+)\.\d+", c)) and m.group(1) in headers]
    if duplicated:
        raise SourceError(t("error.source.column_twice", source=source, column=repr(duplicated[0]), table=table))
    frame = frame.set_axis(renamed, axis=1)
    readings, three_decimals = _money_readings(frame, table, options)
    explained: dict[str, pd.Series] = {}
    computed = _compute(frame, table, source, options, readings, explained)
    spec = TABLES[table]
    missing = [c for c in spec.required if c not in frame.columns]
    if missing:
        found = ", ".join(map(str, frame.columns)) or "none"
        key = "error.source.no_amount" if missing[0] == "amount" else "error.source.missing_column"
        hint = t("error.source.header_hint", row=likely, table=table) if likely else ""
        raise SourceError(t(key, source=source, column=repr(missing[0]), table=table, found=found) + hint)
    kept = [c for c in (*spec.names, *order_columns(table, options)) if c in frame.columns]
    ignored = [c for c in frame.columns if c not in kept]
    frame = _mapped_values(frame[kept].reset_index(drop=True), options.values.get(table, {}))
    return RawTable(
        table,
        source,
        frame,
        rows.reset_index(drop=True),
        ignored_columns=ignored,
        record_hash=record_hash.reset_index(drop=True),
        computed=computed,
        readings=readings,
        three_decimals=three_decimals,
        explained={c: reasons.reset_index(drop=True) for c, reasons in explained.items()},
    )


def order_columns(table: str, options: IngestOptions) -> list[str]:
    """The source columns (normalised) a transactions source keeps besides the contract's: an order's charges and
    its refunded amount, which become lines of their own."""
    if table != "transactions":
        return []
    return [normalize_header(c) for c in [*options.order_charges, *filter(None, [options.refunded_amount])]]


def _mapped_values(frame: pd.DataFrame, mappings: dict[str, dict[str, str]]) -> pd.DataFrame:
    """Columns whose values the parameters map (`ingest.values`), matched ignoring case and spaces; other values
    as they are.

    >>> _mapped_values(pd.DataFrame({"kind": ["Pesanan  Selesai", "dibatalkan", "x"]}),
    ...                {"kind": {"Pesanan Selesai": "sale", "Dibatalkan": "cancelled"}})["kind"].tolist()
    ['sale', 'cancelled', 'x']
    """
    for column, mapping in mappings.items():
        if column in frame:
            keys = {_value_key(k): v for k, v in mapping.items()}
            found = frame[column].map(lambda v, keys=keys: keys.get(_value_key(v)) if pd.notna(v) else None)
            frame[column] = found.where(found.notna(), frame[column])
    return frame


def _value_key(value: object) -> str:
    return " ".join(str(value).split()).casefold()


def _money_readings(frame: pd.DataFrame, table: str, options: IngestOptions) -> tuple[dict[str, str], list[str]]:
    """How each money column of `frame` (and each column a computed amount reads) writes its numbers, when the
    parameters do not say (`money_reading`): the columns read with a grouping, and those read as decimals though
    every value with a point has three."""
    if options.declares_numbers:
        return {}, []
    spec = TABLES[table]
    wanted = {c.name for c in spec.columns if c.money and c.name in frame} | set(order_columns(table, options))
    wanted &= set(frame.columns)
    for column, expression in options.computed.get(table, {}).items():
        if spec.col(column).money:
            wanted |= check_expression(expression, f"ingest.computed.{table}.{column}") & set(frame.columns)
    readings, warned = {}, []
    for column in sorted(wanted):
        how, three = money_reading(frame[column], options.currency)
        if how:
            readings[column] = how
        if three:
            warned.append(column)
    return readings, warned


def _compute(
    frame: pd.DataFrame,
    table: str,
    source: str,
    options: IngestOptions,
    readings: dict[str, str] | None = None,
    explained: dict[str, pd.Series] | None = None,
) -> list[str]:
    """Add the computed columns of `table` to `frame` (in place): the expressions of `ingest.computed`, and
    amount = quantity * unit_price for transactions that give those but no amount. Returns their names; into
    `explained`, per column, why a row has no value (`why_not_computed`)."""
    expressions = dict(options.computed.get(table, {}))
    if (
        table == "transactions"
        and "amount" not in frame
        and "amount" not in expressions
        and {"quantity", "unit_price"} <= set(frame.columns)
    ):
        expressions["amount"] = "quantity * unit_price"
    for column, expression in expressions.items():
        key = f"ingest.computed.{table}.{column}"
        names = check_expression(expression, key)
        unknown = sorted(names - set(frame.columns))
        if unknown:
            raise SourceError(
                t(
                    "error.source.expression_column",
                    source=source,
                    key=key,
                    expression=repr(expression),
                    column=repr(unknown[0]),
                    columns=", ".join(map(str, frame.columns)),
                )
            )
        numbers = {n: parse_number(frame[n], options.reading((readings or {}).get(n))) for n in names}
        frame[column] = evaluate(expression, numbers)
        if explained is not None:
            explained[column] = why_not_computed(frame[column], numbers, column, expression)
    return list(expressions)


def why_not_computed(values: pd.Series, inputs: dict[str, pd.Series], column: str, expression: str) -> pd.Series:
    """Per row without a computed value, why: the inputs missing (or not numbers) there, or, with every input
    present, a result that is no finite number (an overflow, a division by zero); None where there is a value.

    >>> inputs = {"quantity": pd.Series([2.0, 1.0, 1e308]), "unit_price": pd.Series([5.0, None, 10.0])}
    >>> why = why_not_computed(pd.Series([10.0, None, None]), inputs, "amount", "quantity * unit_price")
    >>> [r and r[0] for r in why]
    [None, 'quarantine.computed_missing', 'quarantine.not_finite']
    """
    reasons: list = [None] * len(values)
    for position in np.flatnonzero(values.isna().to_numpy()):
        gone = [name for name, series in inputs.items() if pd.isna(series.iloc[position])]
        reasons[position] = (
            ("quarantine.computed_missing", {"column": column, "expression": expression, "inputs": ", ".join(gone)})
            if gone
            else ("quarantine.not_finite", {"column": column, "expression": expression})
        )
    return pd.Series(reasons, index=values.index, dtype=object)


def _numbered(frame: pd.DataFrame, first: int) -> pd.Series:
    """Row numbers first, first + 1, … for a frame read in one piece."""
    return pd.Series(range(first, first + len(frame)), dtype="int64")


@dataclass(frozen=True)
class Header:
    """Where a file's column names are: the row's index (0 = the first row), and, when no row names a column the
    table knows, a row further down that looks like a header (1-based, for the error's hint), else None."""

    index: int
    likely: int | None = None


HEADER_SCAN = 30  # rows looked at for the header


def find_header(rows: list[list[str]], table: str, options: IngestOptions) -> Header:
    """The header among the first rows of a file: `options.header_row`, else the first row naming most of the
    columns the table knows (the contract's, the mapping's and the computed expressions'); the first row when none
    names any.

    >>> find_header([["Laporan Penjualan"], ["Periode: Juni"], [], ["Invoice", "Waktu", "customer_id", "amount"],
    ...              ["INV1", "02 Okt 2025", "A", "150.000"]], "transactions", IngestOptions()).index
    3
    >>> find_header([["Laporan"], ["Nomor", "Nama", "Jumlah"], ["1", "Ani", "5"]], "transactions", IngestOptions())
    Header(index=0, likely=2)
    """
    declared = options.header_of(table)
    if declared:
        return Header(declared - 1)
    known = _known_names(table, options)
    scores = [sum(normalize_header(cell) in known for cell in row if str(cell).strip()) for row in rows]
    best = max(scores, default=0)
    if best:
        return Header(scores.index(best))
    widest = max((len([c for c in row if str(c).strip()]) for row in rows), default=0)
    for number, row in enumerate(rows[1:], start=2):
        cells = [str(c).strip() for c in row if str(c).strip()]
        if len(cells) >= max(2, 0.6 * widest) and not any(_numeric(c) for c in cells):
            return Header(0, number)
    return Header(0)


def _known_names(table: str, options: IngestOptions) -> set[str]:
    names = set(TABLES[table].names) | {normalize_header(k) for k in options.columns.get(table, {})}
    for column, expression in options.computed.get(table, {}).items():
        names |= check_expression(expression, f"ingest.computed.{table}.{column}")
    return names


def _numeric(text: str) -> bool:
    return bool(re.fullmatch(r"[-+]?(Rp\.?\s*)?[\d.,]+", text))


def _csv_layout(path: Path) -> tuple[str, str]:
    """A delimited text file's encoding and delimiter (the one its first line uses most)."""
    encoding = _detect_encoding(path)
    with open_text(path, encoding) as handle:
        sample = handle.read(1 << 16)
    unreadable = sum(1 for c in sample if not c.isprintable() and c not in "\r\n\t")
    if unreadable > 0.01 * len(sample):
        raise SourceError(t("error.source.binary", path=str(path)))
    lines = sample.splitlines()
    if not lines or not lines[0].strip():
        raise SourceError(t("error.source.empty", path=str(path)))
    if any(d in lines[0] for d in DELIMITERS):
        return encoding, max(DELIMITERS, key=lambda d: lines[0].count(d))
    return encoding, max(DELIMITERS, key=lambda d: sum(line.count(d) for line in lines[:HEADER_SCAN]))  # a title


def preview(path: Path, rows: int = HEADER_SCAN) -> list[list[str]]:
    """The first `rows` rows of a CSV or Excel file as text cells (empty for missing), as they stand in the file."""
    suffix = table_and_kind(path)[1]
    if suffix in EXCEL_SUFFIXES:
        top = pd.read_excel(path, header=None, nrows=rows, dtype=object, engine="openpyxl")
        return [["" if pd.isna(v) else str(v) for v in row] for row in top.itertuples(index=False)]
    if suffix not in CSV_SUFFIXES:
        return []
    encoding, delimiter = _csv_layout(path)
    with open_text(path, encoding) as handle:
        lines = list(itertools.islice(handle, rows))
    return list(csv.reader(lines, delimiter=delimiter, skipinitialspace=True))


def _csv_header(path: Path, table: str, options: IngestOptions) -> Header:
    """The header of a delimited text file (see `find_header`): title lines above it are skipped."""
    return find_header(preview(path), table, options)


Piece = tuple[pd.DataFrame, pd.Series, pd.DataFrame | None]


def _csv_chunks(path: Path, chunk_rows: int, lenient: bool, table: str, options: IngestOptions) -> Iterator[Piece]:
    """A delimited text file's records as text, `chunk_rows` at a time, with the line each starts on (header = 1;
    blank lines and records of empty fields skipped) and, read leniently, the malformed records set aside.

    A quote left open to the end of the file makes the fast reader give up (ParserError), and the file is read
    leniently, where that quote's record is set aside and the lines after it are read as records."""
    encoding, delimiter = _csv_layout(path)
    skip = _csv_header(path, table, options).index
    if lenient:
        yield from _lenient_chunks(path, encoding, delimiter, chunk_rows, skip)
        return
    read = dict(
        sep=delimiter,
        encoding=encoding,
        dtype=str,
        keep_default_na=False,
        na_values=NA_VALUES,
        skipinitialspace=True,
        skip_blank_lines=False,
        skiprows=skip,
    )
    line = skip + 2
    with (
        open_bytes(path, options.max_line_bytes) as stream,
        pd.read_csv(stream, engine="c", chunksize=chunk_rows, **read) as reader,
    ):
        for frame in reader:
            breaks = _line_breaks(frame)
            starts = line + np.arange(len(frame)) + np.cumsum(breaks) - breaks
            line += len(frame) + int(breaks.sum())
            keep = frame.notna().any(axis=1).to_numpy()
            yield frame[keep].reset_index(drop=True), pd.Series(starts[keep], dtype="int64"), None


def _line_breaks(frame: pd.DataFrame) -> np.ndarray:
    """The line breaks inside each record's values (a quoted value may hold some)."""
    breaks = np.zeros(len(frame), dtype="int64")
    for column in frame:
        values = frame[column]
        if values.dtype == object or pd.api.types.is_string_dtype(values):
            breaks += values.str.count("\n").fillna(0).to_numpy(dtype="int64")
    return breaks


def _lenient_chunks(path: Path, encoding: str, delimiter: str, chunk_rows: int, skip: int = 0) -> Iterator[Piece]:
    """Read record by record, setting aside those with more fields than the header and those opening a quote that
    is never closed (the lines after such a record are read as records of their own); `skip` lines of title
    come before the header."""
    with open_text(path, encoding) as handle:
        lines = _Lines(handle)
        for _ in range(skip):
            lines.next_line()
        first = lines.next_line()
        header = next(csv.reader([first[1] if first else ""], delimiter=delimiter, skipinitialspace=True), [])
        good: list[list[str]] = []
        numbers: list[int] = []
        bad: list[tuple] = []

        def piece() -> Piece:
            frame = pd.DataFrame(good, columns=header, dtype=object).replace(NA_VALUES, None)
            malformed = pd.DataFrame(bad, columns=["row_number", "reason", "record"])
            return frame, pd.Series(numbers, dtype="int64"), malformed

        for row_number, record in _records(lines, delimiter):
            if record is None:
                bad.append((row_number, ("quarantine.unclosed_quote", {}), lines.last_text))
            elif len(record) > len(header):
                reason = ("quarantine.malformed", {"fields": str(len(record)), "header": str(len(header))})
                bad.append((row_number, reason, record))
            elif any(field.lstrip(" ") not in BLANK for field in record):  # blank as the fast reader sees it
                good.append(record + [""] * (len(header) - len(record)))
                numbers.append(row_number)
            if len(good) + len(bad) >= chunk_rows:
                yield piece()
                good, numbers, bad = [], [], []
        if good or bad or not numbers:
            yield piece()


class _Lines:
    """A text's lines with their numbers (from 1), any of which can be put back to be read again."""

    def __init__(self, handle):
        self._lines = enumerate(handle, start=1)
        self._back: list[tuple[int, str]] = []
        self.last_text = ""  # the first line of the last record found malformed

    def next_line(self) -> tuple[int, str] | None:
        return self._back.pop() if self._back else next(self._lines, None)

    def put_back(self, lines: list[tuple[int, str]]) -> None:
        self._back.extend(reversed(lines))


def _records(lines: _Lines, delimiter: str) -> Iterator[tuple[int, list[str] | None]]:
    r"""Each record with the line it starts on; None for one whose quote is never closed to the end of the text
    (the lines after it are then read again, as records of their own). A quote closed further on is valid CSV:
    its value holds the lines between, as Python's csv module reads it.

    >>> import io
    >>> list(_records(_Lines(io.StringIO('C1,"Ani\nAyu"\nC2,"Budi\nC3,Sari\n')), ","))
    [(1, ['C1', 'Ani\nAyu']), (3, None), (4, ['C3', 'Sari'])]
    """
    while (first := lines.next_line()) is not None:
        held = [first]
        while (record := _complete(held, delimiter)) is None:
            following = lines.next_line()
            if following is None:
                lines.put_back(held[1:] + ([following] if following else []))
                lines.last_text = first[1].rstrip("\r\n")
                yield first[0], None
                break
            held.append(following)
        else:
            yield first[0], record


def _complete(held: list[tuple[int, str]], delimiter: str) -> list[str] | None:
    """The record these lines make, or None while a quoted value in them is still open."""
    texts = [text for _, text in held]
    try:
        return next(csv.reader(texts, delimiter=delimiter, skipinitialspace=True, strict=True), [])
    except csv.Error as err:
        if "unexpected end of data" in str(err):
            return None
        return next(csv.reader(texts, delimiter=delimiter, skipinitialspace=True), [])


def _parquet_chunks(path: Path, chunk_rows: int) -> Iterator[Piece]:
    import pyarrow.parquet as pq

    file, first = pq.ParquetFile(path), 1
    for batch in file.iter_batches(batch_size=min(chunk_rows, 1 << 30)):
        frame = batch.to_pandas()
        yield frame, _numbered(frame, first=first), None
        first += len(frame)
    if first == 1:
        frame = file.schema_arrow.empty_table().to_pandas()
        yield frame, _numbered(frame, first=1), None


def _read_excel(path: Path, table: str, options: IngestOptions) -> tuple[pd.DataFrame, list[str], Header]:
    """The sheet named after the table, else the first sheet, from its header row on (see `find_header`); the
    names of the sheets left unread; and the header found."""
    sheets = [str(s) for s in pd.ExcelFile(path, engine="openpyxl").sheet_names]
    sheet = next((s for s in sheets if s.strip().lower() == table), sheets[0])
    top = pd.read_excel(path, sheet_name=sheet, header=None, nrows=HEADER_SCAN, dtype=object, engine="openpyxl")
    rows = [[("" if pd.isna(v) else str(v)) for v in row] for row in top.itertuples(index=False)]
    header = find_header(rows, table, options)
    frame = pd.read_excel(path, sheet_name=sheet, header=header.index, dtype=object, engine="openpyxl")
    return frame, [s for s in sheets if s != sheet], header


def _detect_encoding(path: Path) -> str:
    """UTF-16 (with a BOM, or without one when every other byte of the text is NUL) or UTF-8 (with or without
    BOM) when the bytes say so; otherwise Windows-1252, else Latin-1."""
    with open_bytes(path) as handle:
        head = handle.read(64)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    if len(head) >= 4 and head[1::2].count(0) == len(head[1::2]) and head[0::2].count(0) == 0:
        return "utf-16-le"
    if len(head) >= 4 and head[0::2].count(0) == len(head[0::2]) and head[1::2].count(0) == 0:
        return "utf-16-be"
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            with open_text(path, encoding) as text:
                for _ in iter(lambda: text.read(1 << 20), ""):
                    pass
            return encoding
        except UnicodeDecodeError:
            continue
    return "latin-1"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _split_name(qualified: str) -> tuple[str | None, str]:
    schema, _, name = qualified.rpartition(".")
    return (schema or None), name
