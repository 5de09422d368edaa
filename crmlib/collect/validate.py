"""Checking records against the contract: each record is loaded (typed), loaded as a guest sale, or quarantined
with its reason. Only a required value (or a decisive one: a transaction's kind) quarantines a record; an optional
value that cannot be read, breaks its rule or lies in the future is stored as missing and recorded in `cleared`
with its row and reason, unless the record is quarantined anyway (then its reason lists it too).

The order of checks: values parse into their kinds; the pandera schema's rules (required values, ranges,
allowed values); times not in the future; then, for order lines, exact duplicates (a row equal to an earlier one in
every column) and the lines of each order (`orders`: one customer per order, the order's first time); customers
known; then, for the other tables, an id seen before (among the records still good) is a duplicate. A record that
fails several checks is quarantined once, with every reason. A transaction line without a customer is a guest sale.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pandera.pandas as pandera
import pyarrow as pa
import pyarrow.compute as pc

from crmlib.catalogue import t
from crmlib.collect.contract import PANDAS_TYPES, TABLES, Table
from crmlib.collect.headers import normalize_header
from crmlib.collect.options import IngestOptions
from crmlib.collect.orders import consolidate, fill_order_fields, mark_lines, order_lines
from crmlib.collect.parsing import PARSERS, parse_number, tidy_ids
from crmlib.collect.sources import RawTable

QUARANTINE_COLUMNS = ["table_name", "source", "row_number", "column_name", "check_name", "reason", "reasons", "record"]
CLEARED_COLUMNS = ["table_name", "source", "row_number", "column_name", "check_name", "reason", "reasons"]
# check_name values, one per kind of problem (a record with several problems lists each once)
CHECKS = ("malformed", "unparsable", "missing", "rule", "future", "conflict", "unknown_customer", "duplicate")
OUTCOMES = ("loaded", "guest", "quarantined")


@dataclass
class Checked:
    """The outcome of checking one source: typed good rows (guest sales among them), the quarantined ones with
    reasons, and per row what became of it (`outcomes`: outcome, month, amount, for the reconciliation)."""

    table: str
    source: str
    rows: int
    loaded: pd.DataFrame
    quarantine: pd.DataFrame
    guests: int = 0
    orders: int = 0
    spread_orders: int = 0  # orders whose lines were stamped at different times
    outcomes: pd.DataFrame = field(default_factory=pd.DataFrame)
    cleared: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=CLEARED_COLUMNS))
    made: int = 0  # lines an order's own columns made (charges, refunds): loaded, but no source row of their own

    @property
    def counts(self) -> dict[str, int]:
        """rows = loaded + guest + quarantined."""
        return {
            "rows": self.rows,
            "loaded": len(self.loaded) - self.guests - self.made,
            "guest": self.guests,
            "quarantined": len(self.quarantine),
        }


def check(raw: RawTable, options: IngestOptions, now: pd.Timestamp, known_customers: pd.Index | None = None) -> Checked:
    """Type and check every record of `raw`; `known_customers` turns on the customer reference check."""
    spec = TABLES[raw.table]
    lines = raw.table == "transactions"
    frame = fill_order_fields(raw.frame, options.order_fields) if lines else raw.frame
    typed, found = _parse(frame, spec, options, raw.readings)
    if lines:
        typed = mark_lines(typed, options)
    found += _schema_problems(typed, spec)
    found += _future_problems(typed, spec, now)
    problems = _explained(_combined(found), raw)
    optional = _optional_problems(problems, spec)
    problems = problems.drop(optional.index)
    typed = _cleared(typed, optional)
    orders = None
    if lines:
        problems = _combined([problems, _exact_duplicates(raw, exclude=problems["pos"])])
        orders = consolidate(typed, raw.row_numbers, exclude=problems["pos"].to_numpy())
        typed = orders.lines
        problems = _combined([problems, orders.conflicts])
    if known_customers is not None and spec.customer_link:
        problems = _combined([problems, _unknown_customers(typed, known_customers)])
    if not lines:
        problems = _combined([problems, _duplicates(typed, spec, raw.row_numbers, exclude=problems["pos"])])
    bad = np.zeros(len(typed), dtype=bool)
    bad[problems["pos"].to_numpy(dtype=int)] = True
    guest = typed["customer_id"].isna().to_numpy() & ~bad if lines else np.zeros(len(typed), dtype=bool)
    if guest.any() and options.guests == "quarantine":
        problems = _combined(
            [
                problems,
                _problem_frame(
                    np.flatnonzero(guest), "customer_id", "missing", [("quarantine.guest", {})] * int(guest.sum())
                ),
            ]
        )
        bad |= guest
        guest = np.zeros(len(typed), dtype=bool)

    quarantined = optional["pos"].isin(np.flatnonzero(bad)).to_numpy()
    problems = _combined([problems, optional[quarantined]])  # a quarantined record lists every problem it has
    loaded = typed.loc[~bad].reset_index(drop=True)
    made = _order_lines(frame.loc[~bad].reset_index(drop=True), loaded, options, raw.readings) if lines else None
    if made is not None and len(made):
        loaded = pd.concat([loaded, made.astype({c: loaded[c].dtype for c in made if c in loaded})], ignore_index=True)
    quarantine = pd.concat([_quarantine_rows(raw, problems), _malformed_rows(raw)], ignore_index=True)
    return Checked(
        raw.table,
        raw.source,
        len(typed) + _count(raw.malformed),
        loaded,
        quarantine.sort_values("row_number", kind="stable").reset_index(drop=True),
        guests=int(guest.sum()),
        orders=orders.orders if orders else 0,
        spread_orders=orders.spread if orders else 0,
        outcomes=_outcomes(raw, typed, spec, bad, guest),
        cleared=_cleared_rows(raw, optional[~quarantined]),
        made=0 if made is None else len(made),
    )


def _order_lines(frame: pd.DataFrame, loaded: pd.DataFrame, options: IngestOptions, readings: dict) -> pd.DataFrame:
    """The lines the loaded orders' own columns make (`orders.order_lines`): charges and refunds of sale orders,
    read as the money columns they are; none for a cancelled order."""
    keep = (loaded["kind"] != "cancelled").to_numpy()

    def amounts(column: str | None) -> pd.Series | None:
        name = normalize_header(column) if column else None
        if name is None or name not in frame:
            return None
        return parse_number(frame.loc[keep, name], options.reading(readings.get(name))).reset_index(drop=True)

    charges = {code: amounts(column) for column, code in options.order_charges.items()}
    found = {code: values for code, values in charges.items() if values is not None}
    kept = loaded.loc[keep].reset_index(drop=True)
    refunded = amounts(options.refunded_amount)
    if refunded is not None:  # a refund order is a refund already: its refunded amount is no second one
        refunded = refunded.where(kept["kind"].to_numpy() == "sale")
    return order_lines(kept, found, refunded)


def _optional_problems(problems: pd.DataFrame, spec: Table) -> pd.DataFrame:
    """The problems of optional values in records that no required (or decisive) value quarantines."""
    keeps_row = problems["column"].isin(spec.keeps_row)
    return problems[~keeps_row & ~problems["pos"].isin(problems.loc[keeps_row, "pos"])]


def _cleared(typed: pd.DataFrame, optional: pd.DataFrame) -> pd.DataFrame:
    """`typed` with the values of `optional` problems stored as missing."""
    for column, found in optional.groupby("column"):
        typed.loc[typed.index[found["pos"].to_numpy(dtype=int)], column] = pd.NA
    return typed


def _combined(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Problems found so far, one per (row position, column)."""
    frames = [f for f in frames if len(f)]
    if not frames:
        return _no_problems()
    return pd.concat(frames, ignore_index=True).drop_duplicates(["pos", "column"], keep="first")


def _outcomes(raw: RawTable, typed: pd.DataFrame, spec: Table, bad: np.ndarray, guest: np.ndarray) -> pd.DataFrame:
    """Per source row: loaded, guest or quarantined; its month (where its time could be read); its amount."""
    time = next(c.name for c in spec.columns if c.kind in ("ts", "date"))
    outcome = np.where(bad, "quarantined", np.where(guest, "guest", "loaded"))
    amount = typed["amount"].to_numpy(dtype=float) if "amount" in spec.names else np.full(len(typed), np.nan)
    frame = pd.DataFrame({"outcome": outcome, "month": typed[time].dt.to_period("M").dt.start_time, "amount": amount})
    malformed = _count(raw.malformed)
    if malformed:
        frame = pd.concat(
            [
                frame,
                pd.DataFrame(
                    {
                        "outcome": ["quarantined"] * malformed,
                        "month": pd.Series([pd.NaT] * malformed, dtype=frame["month"].dtype),
                        "amount": np.nan,
                    }
                ),
            ],
            ignore_index=True,
        )
    return frame


def derive_customers(transactions: pd.DataFrame) -> pd.DataFrame:
    """Customers from transactions alone: each customer_id with its first purchase as signup_date."""
    first = transactions.groupby("customer_id", sort=True)["ts"].min().rename("signup_date").reset_index()
    return conform(first, "customers")


def conform(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """Give `frame` every column of `table` as the warehouse stores it, in order and typed (missing ones empty)."""
    spec = TABLES[table]
    return pd.DataFrame(
        {
            c.name: frame[c.name].astype(PANDAS_TYPES[c.kind])
            if c.name in frame
            else pd.Series(index=frame.index, dtype=PANDAS_TYPES[c.kind])
            for c in spec.stored
        }
    )


# --- parsing -------------------------------------------------------------------------------------------------


def _parse(
    frame: pd.DataFrame, spec: Table, options: IngestOptions, readings: dict[str, str] | None = None
) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    """Each contract column parsed into its kind (a money column by its `readings`); a value that does not parse
    is a problem."""
    typed, problems = {}, []
    for col in spec.columns:
        if col.name not in frame:
            typed[col.name] = pd.Series(index=frame.index, dtype=PANDAS_TYPES[col.kind])
            continue
        values = frame[col.name]
        parsed = PARSERS[col.kind](values, options.reading((readings or {}).get(col.name)))
        if col.name.endswith("_id") or col.name == "referred_by":
            parsed = tidy_ids(parsed)
        unparsed = values.notna().to_numpy() & parsed.isna().to_numpy()
        if unparsed.any():
            problems.append(
                _problem_frame(
                    np.flatnonzero(unparsed),
                    col.name,
                    "unparsable",
                    [
                        (f"quarantine.unparsable.{col.kind}", {"column": col.name, "value": repr(str(v)[:60])})
                        for v in values[unparsed]
                    ],
                )
            )
        typed[col.name] = parsed.astype(PANDAS_TYPES[col.kind])
    return pd.DataFrame(typed, index=frame.index), problems


# --- rules ---------------------------------------------------------------------------------------------------


def _schema_problems(typed: pd.DataFrame, spec: Table) -> list[pd.DataFrame]:
    """Required values and value rules, as the pandera schema of the table reports them."""
    try:
        spec.schema().validate(typed, lazy=True)
        return []
    except pandera.errors.SchemaErrors as err:
        cases = err.failure_cases.dropna(subset=["index"])
    cases = cases[cases["column"].isin(spec.names)]
    reasons = [
        ("quarantine.missing", {"column": col})
        if check == "not_nullable"
        else ("quarantine.rule", {"column": col, "value": repr(_plain(value)), "rule": check})
        for col, check, value in zip(cases["column"], cases["check"], cases["failure_case"])
    ]
    positions = typed.index.get_indexer(cases["index"].astype(int))
    checks = np.where(cases["check"].eq("not_nullable"), "missing", "rule")
    return [_problem_frame(positions, cases["column"].to_numpy(), checks, reasons)]


def _plain(value):
    """A numpy scalar as the Python value it holds (a reason shows 11, not np.int64(11))."""
    return value.item() if isinstance(value, np.generic) else value


def _explained(problems: pd.DataFrame, raw: RawTable) -> pd.DataFrame:
    """A computed column's missing values with the reason they could not be computed (`RawTable.explained`)
    instead of "required but missing": the inputs missing on the row, or a result no finite number."""
    for column, reasons in raw.explained.items():
        rows = problems.index[(problems["column"] == column) & (problems["check_name"] == "missing")]
        why = reasons.to_numpy()[problems.loc[rows, "pos"].to_numpy(dtype=int)]
        known = np.array([reason is not None for reason in why], dtype=bool)
        problems.loc[rows[known], "reason"] = pd.Series(list(why[known]), index=rows[known], dtype=object)
        finite = np.array([reason is not None and reason[0] == "quarantine.not_finite" for reason in why], dtype=bool)
        problems.loc[rows[finite], "check_name"] = "not_finite"
    return problems


def _future_problems(typed: pd.DataFrame, spec: Table, now: pd.Timestamp) -> list[pd.DataFrame]:
    out = []
    for col in spec.columns:
        if col.not_future:
            late = typed[col.name].gt(now).fillna(False).to_numpy(dtype=bool)
            if late.any():
                out.append(
                    _problem_frame(
                        np.flatnonzero(late),
                        col.name,
                        "future",
                        [
                            (
                                "quarantine.future",
                                {"column": col.name, "value": str(when), "now": f"{now:%Y-%m-%d %H:%M}"},
                            )
                            for when in typed[col.name][late]
                        ],
                    )
                )
    return out


def _unknown_customers(typed: pd.DataFrame, known: pd.Index) -> pd.DataFrame:
    ids = typed["customer_id"]
    found = pc.is_in(pa.array(ids, type=pa.string(), from_pandas=True), value_set=_arrow(known))
    unknown = (ids.notna().to_numpy() & ~found.to_numpy(zero_copy_only=False)).astype(bool)
    return _problem_frame(
        np.flatnonzero(unknown),
        "customer_id",
        "unknown_customer",
        [("quarantine.unknown_customer", {"customer": repr(c)}) for c in ids[unknown]],
    )


def _arrow(known: pd.Index) -> pa.Array:
    """The known ids as an Arrow array (a hash lookup per check; pandas' `isin` on Arrow strings walks the known
    ids in Python, seconds for a million of them)."""
    return pa.array(known, type=pa.string(), from_pandas=True)


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
    return _problem_frame(
        dups.index.to_numpy(),
        spec.id_column,
        "duplicate",
        [
            ("quarantine.duplicate_id", {"column": spec.id_column, "value": repr(i), "row": str(first_row[i])})
            for i in dups
        ],
    )


def _exact_duplicates(raw: RawTable, exclude: pd.Series) -> pd.DataFrame:
    """Among records not already rejected, every record equal in every column (as read) to an earlier one."""
    assert raw.record_hash is not None, "sources give every record a hash"
    hashes = raw.record_hash.reset_index(drop=True)
    keep = np.ones(len(hashes), dtype=bool)
    keep[exclude.to_numpy(dtype=int)] = False
    hashes = hashes[keep]
    repeated = hashes.duplicated(keep="first")
    if not repeated.any():
        return _no_problems()
    firsts = hashes.drop_duplicates(keep="first")
    first_row = pd.Series(raw.row_numbers.to_numpy()[firsts.index], index=firsts.to_numpy())
    dups = hashes[repeated]
    return _problem_frame(
        dups.index.to_numpy(),
        raw.frame.columns[0],
        "duplicate",
        [("quarantine.duplicate_row", {"row": str(first_row[h])}) for h in dups],
    )


# --- quarantine ----------------------------------------------------------------------------------------------


def _problem_frame(positions, column, check_name, reasons) -> pd.DataFrame:
    """Problems at row positions: each reason a catalogue message and its values, (key, {name: value})."""
    return pd.DataFrame(
        {
            "pos": np.asarray(positions, dtype=int),
            "column": column,
            "check_name": check_name,
            "reason": pd.Series(list(reasons), dtype=object),
        }
    )


def _no_problems() -> pd.DataFrame:
    return _problem_frame([], [], [], [])


def _quarantine_rows(raw: RawTable, problems: pd.DataFrame) -> pd.DataFrame:
    """One quarantine row per rejected record: all its columns and reasons, and the record as read."""
    if problems.empty:
        return pd.DataFrame(columns=QUARANTINE_COLUMNS)
    grouped = problems.sort_values("pos", kind="stable").groupby("pos", sort=True)
    positions = np.array(list(grouped.groups))
    records = raw.frame.iloc[positions]
    return pd.DataFrame(
        {
            "table_name": raw.table,
            "source": raw.origin(positions),
            "row_number": raw.row_numbers.to_numpy()[positions],
            "column_name": grouped["column"].agg(", ".join).to_numpy(),
            "check_name": grouped["check_name"].agg(lambda c: ", ".join(dict.fromkeys(c))).to_numpy(),
            "reason": grouped["reason"].agg(lambda rs: "; ".join(reason_text(r) for r in rs)).to_numpy(),
            "reasons": grouped["reason"]
            .agg(lambda rs: json.dumps([list(r) for r in rs], ensure_ascii=False))
            .to_numpy(),
            "record": [
                json.dumps({k: (None if pd.isna(v) else str(v)) for k, v in rec.items()}, ensure_ascii=False)
                for rec in records.to_dict("records")
            ],
        }
    )


def _cleared_rows(raw: RawTable, cleared: pd.DataFrame) -> pd.DataFrame:
    """One row per optional value stored as missing: its row, column, kind of problem and reason."""
    if cleared.empty:
        return pd.DataFrame(columns=CLEARED_COLUMNS)
    found = cleared.sort_values(["pos", "column"], kind="stable")
    return pd.DataFrame(
        {
            "table_name": raw.table,
            "source": raw.origin(found["pos"].to_numpy(dtype=int)),
            "row_number": raw.row_numbers.to_numpy()[found["pos"].to_numpy(dtype=int)],
            "column_name": found["column"].to_numpy(),
            "check_name": found["check_name"].to_numpy(),
            "reason": [reason_text(r) for r in found["reason"]],
            "reasons": [json.dumps([list(r)], ensure_ascii=False) for r in found["reason"]],
        }
    )


def _malformed_rows(raw: RawTable) -> pd.DataFrame:
    if raw.malformed is None or raw.malformed.empty:
        return pd.DataFrame(columns=QUARANTINE_COLUMNS)
    m = raw.malformed
    return pd.DataFrame(
        {
            "table_name": raw.table,
            "source": m.get("source", raw.source),
            "row_number": m["row_number"],
            "column_name": "",
            "check_name": "malformed",
            "reason": [reason_text(r) for r in m["reason"]],
            "reasons": [json.dumps([list(r)], ensure_ascii=False) for r in m["reason"]],
            "record": [json.dumps(r, ensure_ascii=False) for r in m["record"]],
        }
    )


def reason_text(reason, language: str | None = None) -> str:
    """One reason, (message key, values), in words; a rule's own message (`rule.…|args`) is put in words too."""
    key, values = reason
    values = dict(values)
    if "rule" in values:
        values["rule"] = _rule_text(values["rule"], language)
    return t(key, language, **values)


def reasons_text(reasons_json: str, language: str | None = None) -> str:
    """A quarantine row's stored reasons (the `reasons` column) in `language`."""
    return "; ".join(reason_text(r, language) for r in json.loads(reasons_json))


def _rule_text(rule: str, language: str | None) -> str:
    key, _, args = rule.partition("|")
    low, _, high = args.partition("|")
    return t(key, language, values=args, low=low, high=high)


def _count(frame: pd.DataFrame | None) -> int:
    return 0 if frame is None else len(frame)
