"""Checking records against the contract: each record is either loaded (typed) or quarantined with its reason.

The order of checks: values parse into their kinds; the pandera schema's rules (required values, ranges,
allowed values); times not in the future; customers known; then, among the records still good, an id seen
before is a duplicate. A record that fails several checks is quarantined once, with every reason.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pandera.pandas as pa

from crmlib.collect.contract import PANDAS_TYPES, TABLES, Col, Table
from crmlib.collect.options import IngestOptions
from crmlib.collect.sources import RawTable

QUARANTINE_COLUMNS = ["table_name", "source", "row_number", "column_name", "check_name", "reason", "record"]
# check_name values, one per kind of problem (a record with several problems lists each once)
CHECKS = ("malformed", "unparsable", "missing", "rule", "future", "unknown_customer", "duplicate")
KIND_WORDS = {"str": "text", "ts": "date and time", "date": "date", "float": "number", "int": "whole number",
              "bool": "yes/no value"}
TRUE_WORDS = {"true", "t", "yes", "y", "1", "ya", "benar"}
FALSE_WORDS = {"false", "f", "no", "n", "0", "tidak", "salah"}
_TZ_SUFFIX = r"(?:Z|[+-]\d{2}:?\d{2})$"


@dataclass
class Checked:
    """The outcome of checking one source: typed good rows, and the quarantined ones with reasons."""

    table: str
    source: str
    rows: int
    loaded: pd.DataFrame
    quarantine: pd.DataFrame


def check(raw: RawTable, options: IngestOptions, now: pd.Timestamp,
          known_customers: pd.Index | None = None) -> Checked:
    """Type and check every record of `raw`; `known_customers` turns on the customer reference check."""
    spec = TABLES[raw.table]
    typed, problems = _parse(raw.frame, spec, options)
    if raw.table == "transactions":
        typed = _sign_refunds(typed)
    problems += _schema_problems(typed, spec)
    problems += _future_problems(typed, spec, now)
    if known_customers is not None and spec.customer_link:
        problems.append(_unknown_customers(typed, known_customers))
    problems = pd.concat(problems, ignore_index=True) if problems else _no_problems()
    dup = _duplicates(typed, spec, raw.row_numbers, exclude=problems["pos"])
    problems = pd.concat([problems, dup], ignore_index=True).drop_duplicates(["pos", "column"], keep="first")

    bad = np.zeros(len(typed), dtype=bool)
    bad[problems["pos"].to_numpy(dtype=int)] = True
    loaded = typed.loc[~bad].reset_index(drop=True)
    quarantine = pd.concat([_quarantine_rows(raw, problems), _malformed_rows(raw)], ignore_index=True)
    return Checked(raw.table, raw.source, len(typed) + _count(raw.malformed), loaded,
                   quarantine.sort_values("row_number", kind="stable").reset_index(drop=True))


def derive_customers(transactions: pd.DataFrame) -> pd.DataFrame:
    """Customers from transactions alone: each customer_id with its first purchase as signup_date."""
    first = transactions.groupby("customer_id", sort=True)["ts"].min().rename("signup_date").reset_index()
    return conform(first, "customers")


def conform(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """Give `frame` every contract column of `table`, in order and typed (missing ones empty)."""
    spec = TABLES[table]
    return pd.DataFrame({c.name: frame[c.name].astype(PANDAS_TYPES[c.kind]) if c.name in frame
                         else pd.Series(index=frame.index, dtype=PANDAS_TYPES[c.kind])
                         for c in spec.columns})


# --- parsing -------------------------------------------------------------------------------------------------

def _parse(frame: pd.DataFrame, spec: Table, options: IngestOptions) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    """Each contract column parsed into its kind; a value that does not parse is a problem."""
    typed, problems = {}, []
    for col in spec.columns:
        if col.name not in frame:
            typed[col.name] = pd.Series(index=frame.index, dtype=PANDAS_TYPES[col.kind])
            continue
        values = frame[col.name]
        parsed = _PARSERS[col.kind](values, options)
        unparsed = values.notna().to_numpy() & parsed.isna().to_numpy()
        if unparsed.any():
            problems.append(_problem_frame(np.flatnonzero(unparsed), col.name, "unparsable",
                                           [_unparsed_reason(v, col, options) for v in values[unparsed]]))
        typed[col.name] = parsed.astype(PANDAS_TYPES[col.kind])
    return pd.DataFrame(typed, index=frame.index), problems


def _parse_text(values: pd.Series, options: IngestOptions) -> pd.Series:
    if pd.api.types.is_float_dtype(values) and values.dropna().mod(1).eq(0).all():
        values = values.astype("Int64")  # ids stored as numbers: 123, not 123.0
    text = values.astype("str").where(values.notna()).str.strip()
    return text.mask(text.eq(""))


def _parse_number(values: pd.Series, options: IngestOptions) -> pd.Series:
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        numbers = values.astype("float64")
    else:
        text = values.astype("str").where(values.notna()).str.strip()
        text = text.str.replace(r"^(?:Rp\.?|IDR)\s*", "", regex=True).str.replace(" ", "", regex=False)
        if options.thousands:
            text = text.str.replace(options.thousands.strip() or " ", "", regex=False)
        if options.decimal == ",":
            text = text.str.replace(",", ".", regex=False)
        is_number_like = text.str.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?").fillna(False).astype(bool)
        numbers = pd.to_numeric(text.where(is_number_like), errors="coerce").astype("float64")
    return numbers.where(np.isfinite(numbers))


def _parse_whole(values: pd.Series, options: IngestOptions) -> pd.Series:
    numbers = _parse_number(values, options)
    return numbers.where(numbers.mod(1).eq(0))


def _parse_bool(values: pd.Series, options: IngestOptions) -> pd.Series:
    if pd.api.types.is_bool_dtype(values):
        return values.astype("boolean")
    words = values.astype("str").where(values.notna()).str.strip().str.lower()
    words = words.str.replace(r"\.0$", "", regex=True)
    return words.map(lambda w: True if w in TRUE_WORDS else False if w in FALSE_WORDS else None).astype("boolean")


def _parse_time(values: pd.Series, options: IngestOptions) -> pd.Series:
    """Times as local, zone-free timestamps; zoned values are converted to `options.timezone` first."""
    if pd.api.types.is_datetime64_any_dtype(values):
        times = values
        if getattr(values.dt, "tz", None) is not None:
            times = values.dt.tz_convert(options.timezone).dt.tz_localize(None)
        return times.astype("datetime64[us]")
    text = values.astype("str").where(values.notna()).str.strip()
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[us]")
    zoned = text.str.contains(_TZ_SUFFIX, regex=True).fillna(False).astype(bool)
    if zoned.any():
        parsed = pd.to_datetime(text[zoned], format=options.date_format or "ISO8601", errors="coerce", utc=True)
        out[zoned] = parsed.dt.tz_convert(options.timezone).dt.tz_localize(None).astype("datetime64[us]")
    plain = text.notna() & ~zoned
    if plain.any():
        if options.date_format:
            parsed = pd.to_datetime(text[plain], format=options.date_format, errors="coerce")
        else:
            parsed = pd.to_datetime(text[plain], format="ISO8601", errors="coerce")
            retry = parsed.isna()
            if retry.any():  # other common layouts, such as 30/06/2025 or Jun 30 2025
                parsed[retry] = pd.to_datetime(text[plain][retry], format="mixed", dayfirst=options.dayfirst,
                                               errors="coerce")
        out[plain] = parsed.astype("datetime64[us]")
    return out


def _parse_date(values: pd.Series, options: IngestOptions) -> pd.Series:
    return _parse_time(values, options).dt.normalize()


_PARSERS = {"str": _parse_text, "float": _parse_number, "int": _parse_whole, "bool": _parse_bool,
            "ts": _parse_time, "date": _parse_date}


def _unparsed_reason(value: object, col: Col, options: IngestOptions) -> str:
    reason = f"{col.name} {str(value)[:60]!r} is not a {KIND_WORDS[col.kind]}"
    if col.kind in ("float", "int"):
        reason += " (if numbers are written like 1.234,56 set ingest.decimal and ingest.thousands in the parameters)"
    elif col.kind in ("ts", "date"):
        reason += " (write times as 2025-06-30 14:05, or set ingest.date_format in the parameters)"
    elif col.kind == "bool":
        reason += " (use true/false, yes/no, ya/tidak or 1/0)"
    return reason


# --- rules ---------------------------------------------------------------------------------------------------

def _sign_refunds(typed: pd.DataFrame) -> pd.DataFrame:
    """A negative amount is a refund; a refund given as a positive amount is made negative."""
    kind = typed["kind"].str.lower()
    refund = (typed["amount"].lt(0).fillna(False) | kind.eq("refund").fillna(False)).astype(bool)
    typed["amount"] = typed["amount"].where(~refund, -typed["amount"].abs())
    typed["kind"] = kind.mask(refund, "refund").fillna("sale")
    return typed


def _schema_problems(typed: pd.DataFrame, spec: Table) -> list[pd.DataFrame]:
    """Required values and value rules, as the pandera schema of the table reports them."""
    try:
        spec.schema().validate(typed, lazy=True)
        return []
    except pa.errors.SchemaErrors as err:
        cases = err.failure_cases.dropna(subset=["index"])
    cases = cases[cases["column"].isin(spec.names)]
    reasons = [f"{col} is required but missing" if check == "not_nullable"
               else f"{col} {value!r} {check}" for col, check, value in
               zip(cases["column"], cases["check"], cases["failure_case"])]
    positions = typed.index.get_indexer(cases["index"].astype(int))
    checks = np.where(cases["check"].eq("not_nullable"), "missing", "rule")
    return [_problem_frame(positions, cases["column"].to_numpy(), checks, reasons)]


def _future_problems(typed: pd.DataFrame, spec: Table, now: pd.Timestamp) -> list[pd.DataFrame]:
    out = []
    for col in spec.columns:
        if col.not_future:
            late = typed[col.name].gt(now).fillna(False).to_numpy(dtype=bool)
            if late.any():
                out.append(_problem_frame(np.flatnonzero(late), col.name, "future",
                                          [f"{col.name} {t} is in the future (after {now:%Y-%m-%d %H:%M})"
                                           for t in typed[col.name][late]]))
    return out


def _unknown_customers(typed: pd.DataFrame, known: pd.Index) -> pd.DataFrame:
    ids = typed["customer_id"]
    unknown = (ids.notna() & ~ids.isin(known)).to_numpy(dtype=bool)
    return _problem_frame(np.flatnonzero(unknown), "customer_id", "unknown_customer",
                          [f"customer_id {c!r} is not in customers; add the customer or correct the id"
                           for c in ids[unknown]])


def _duplicates(typed: pd.DataFrame, spec: Table, rows: pd.Series, exclude: pd.Series) -> pd.DataFrame:
    """Among records not already rejected, every repeat of an id after its first occurrence."""
    ids = typed[spec.id_column]
    candidates = pd.Series(True, index=range(len(ids)))
    candidates[exclude.to_numpy(dtype=int)] = False
    ids = ids.reset_index(drop=True)[candidates.to_numpy() & ids.notna().to_numpy()]
    repeated = ids.duplicated(keep="first")
    if not repeated.any():
        return _no_problems()
    first_row = rows.reset_index(drop=True)[ids.drop_duplicates(keep="first").index]
    first_row.index = ids.drop_duplicates(keep="first").to_numpy()
    dups = ids[repeated]
    return _problem_frame(dups.index.to_numpy(), spec.id_column, "duplicate",
                          [f"duplicate {spec.id_column} {i!r} (first seen at row {first_row[i]})" for i in dups])


# --- quarantine ----------------------------------------------------------------------------------------------

def _problem_frame(positions, column, check_name, reasons) -> pd.DataFrame:
    return pd.DataFrame({"pos": np.asarray(positions, dtype=int), "column": column, "check_name": check_name,
                         "reason": reasons})


def _no_problems() -> pd.DataFrame:
    return _problem_frame([], [], [], [])


def _quarantine_rows(raw: RawTable, problems: pd.DataFrame) -> pd.DataFrame:
    """One quarantine row per rejected record: all its columns and reasons, and the record as read."""
    if problems.empty:
        return pd.DataFrame(columns=QUARANTINE_COLUMNS)
    grouped = problems.sort_values("pos", kind="stable").groupby("pos", sort=True)
    positions = np.array(list(grouped.groups))
    records = raw.frame.iloc[positions]
    return pd.DataFrame({
        "table_name": raw.table,
        "source": raw.source,
        "row_number": raw.row_numbers.to_numpy()[positions],
        "column_name": grouped["column"].agg(", ".join).to_numpy(),
        "check_name": grouped["check_name"].agg(lambda c: ", ".join(dict.fromkeys(c))).to_numpy(),
        "reason": grouped["reason"].agg("; ".join).to_numpy(),
        "record": [json.dumps({k: (None if pd.isna(v) else str(v)) for k, v in rec.items()}, ensure_ascii=False)
                   for rec in records.to_dict("records")],
    })


def _malformed_rows(raw: RawTable) -> pd.DataFrame:
    if raw.malformed is None or raw.malformed.empty:
        return pd.DataFrame(columns=QUARANTINE_COLUMNS)
    m = raw.malformed
    return pd.DataFrame({"table_name": raw.table, "source": raw.source, "row_number": m["row_number"],
                         "column_name": "", "check_name": "malformed", "reason": m["reason"],
                         "record": [json.dumps(r, ensure_ascii=False) for r in m["record"]]})


def _count(frame: pd.DataFrame | None) -> int:
    return 0 if frame is None else len(frame)
