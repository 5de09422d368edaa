"""KPI values for a run of periods: every KPI of the catalogue in one query each, over all the periods at once.

>>> row = windows([Period.parse("2025-06")], active_months=12).iloc[0]
>>> str(row["period"]), str(row["base_start"].date()), str(row["end_ts"].date()), int(row["days"])
('2025-06', '2024-06-01', '2025-07-01', 30)
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from crmlib.collect.warehouse import Warehouse
from crmlib.monitor.kpis import BUYER_MONTHS_SQL, KPI, KPIS
from crmlib.periods import Period


def history(period: Period, n: int, first: pd.Timestamp | None = None) -> list[Period]:
    """`period` and up to n − 1 periods before it, oldest first; none that ends before `first` (the data's start)."""
    out = [period]
    while len(out) < n and (first is None or out[-1].start > first):
        out.append(out[-1].previous())
    return out[::-1]


def windows(periods: list[Period], active_months: int) -> pd.DataFrame:
    """The `windows` table the KPIs' SQL reads: period, start_ts, end_ts, base_start, base_end, days."""
    shift = pd.DateOffset(months=active_months)
    return pd.DataFrame(
        {
            "period": [str(p) for p in periods],
            "start_ts": [p.start for p in periods],
            "end_ts": [p.end for p in periods],
            "base_start": [p.start - shift for p in periods],
            "base_end": [p.end - shift for p in periods],
            "days": [(p.end - p.start).days for p in periods],
        }
    )


def missing_data(warehouse: Warehouse, kpis: list[KPI] | None = None) -> dict[str, str]:
    """For each KPI whose data is not loaded, the first thing it needs ("calls.answered", say)."""
    counts: dict[str, int] = {}
    tables = set(warehouse.query("SELECT table_name FROM information_schema.tables")["table_name"])
    columns = warehouse.query("SELECT table_name, column_name FROM information_schema.columns")
    known = set(zip(columns["table_name"], columns["column_name"], strict=True))
    for need in sorted({n for k in kpis or KPIS.values() for n in k.needs}):
        table, _, column = need.partition(".")
        if table not in tables or (column and (table, column) not in known):
            counts[need] = 0
        else:
            counts[need] = int(warehouse.query(f'SELECT count({column or "*"}) AS n FROM "{table}"')["n"][0])
    return {k.key: next(n for n in k.needs if not counts[n]) for k in kpis or KPIS.values() if
            any(not counts[n] for n in k.needs)}  # fmt: skip


def short_history(periods: list[Period], active_months: int, first: pd.Timestamp | None) -> pd.Series:
    """Per period (by name): whether the data, beginning at `first`, begin in a later month than the period's
    active window before it, so a KPI that `needs_history` has no value for it.

    >>> short_history([Period.parse("2025-06"), Period.parse("2025-07")], 12, pd.Timestamp("2024-07-03")).tolist()
    [True, False]
    """
    frame = windows(periods, active_months)
    if first is None or pd.isna(first):
        return pd.Series(False, index=frame["period"].to_numpy())
    begun = pd.Timestamp(first).to_period("M").start_time
    return pd.Series((frame["base_start"] < begun).to_numpy(), index=frame["period"].to_numpy())


def history_needed(period: Period, active_months: int) -> int:
    """The months of history a KPI that `needs_history` reads for `period`: its active window and the period.

    >>> history_needed(Period.parse("2025-06"), 12)
    13
    """
    return active_months + period.months


def kpi_values(
    warehouse: Warehouse, periods: list[Period], active_months: int = 12, first: pd.Timestamp | None = None
) -> pd.DataFrame:
    """Every KPI whose data is loaded, for each of `periods`: kpi, period, value (`empty` where nothing happened,
    NaN for a rate with nothing to divide, and for a KPI that `needs_history` in a period the data, beginning at
    `first`, do not reach far enough back for)."""
    missing = missing_data(warehouse)
    frame = windows(periods, active_months)
    short = short_history(periods, active_months, first).to_numpy()
    out = []
    with warehouse.temporary("buyer_months", BUYER_MONTHS_SQL, frames={"windows": frame}):
        for kpi in KPIS.values():
            if kpi.key in missing:
                continue
            try:
                found = warehouse.query(kpi.sql, frames={"windows": frame})
            except duckdb.CatalogException:  # a result table (customer_value) no stage has written yet
                continue
            values = found.set_index("period")["value"].astype(float).reindex(frame["period"])
            empty = np.nan if kpi.empty is None else kpi.empty
            values = values.fillna(empty).to_numpy()
            if kpi.needs_history:
                values = np.where(short, np.nan, values)
            out.append(pd.DataFrame({"kpi": kpi.key, "period": frame["period"], "value": values}))
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame(columns=["kpi", "period", "value"])
