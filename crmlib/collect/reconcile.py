"""Every load reconciles: per table and month, the source's rows (and money) = loaded + guest + quarantined.

>>> from crmlib.collect.validate import Checked
>>> outcomes = pd.DataFrame({"outcome": ["loaded", "guest", "quarantined"],
...                          "month": pd.to_datetime(["2025-06-01"] * 3), "amount": [100.0, 20.0, 30.0]})
>>> result = Checked("transactions", "tx.csv", 3, pd.DataFrame(), pd.DataFrame(), outcomes=outcomes)
>>> balance = reconciliation({"transactions": result})
>>> balance[["outcome", "rows", "amount"]].values.tolist()
[['loaded', 1, 100.0], ['guest', 1, 20.0], ['quarantined', 1, 30.0]]
>>> load_warnings(balance, 0.05)  # doctest: +ELLIPSIS
['transactions: 1 of 3 rows (33.3%) and 30.00 of 150.00 in money (20.0%) were quarantined...']
"""

from __future__ import annotations

import pandas as pd

from crmlib.catalogue import current, t
from crmlib.formats import format_number, format_percent

RECONCILIATION_COLUMNS = ("table_name", "source", "month", "outcome", "rows", "amount")


def reconciliation(results: dict) -> pd.DataFrame:
    """Rows and money per table, month (NaT where a row's time could not be read) and outcome."""
    parts = []
    for table, result in results.items():
        frame = result.outcomes
        if frame.empty:
            continue
        grouped = frame.groupby(["month", "outcome"], dropna=False, sort=True).agg(
            rows=("outcome", "size"), amount=("amount", lambda a: a.sum(min_count=1))
        )
        parts.append(grouped.reset_index().assign(table_name=table, source=result.source))
    if not parts:
        return pd.DataFrame(columns=list(RECONCILIATION_COLUMNS))
    out = pd.concat(parts, ignore_index=True)[list(RECONCILIATION_COLUMNS)]
    order = {"loaded": 0, "guest": 1, "quarantined": 2}
    return out.sort_values(
        ["table_name", "month", "outcome"], key=lambda c: c.map(order) if c.name == "outcome" else c, kind="stable"
    ).reset_index(drop=True)


def quarantine_shares(balance: pd.DataFrame) -> pd.DataFrame:
    """Per table: rows and money of the source, how much of each was quarantined, and the shares."""
    rows = balance.assign(
        held=balance["rows"].where(balance["outcome"] == "quarantined", 0),
        money=balance["amount"].abs(),
        lost=balance["amount"].abs().where(balance["outcome"] == "quarantined", 0.0),
    )
    out = rows.groupby("table_name", sort=False).agg(
        rows=("rows", "sum"),
        quarantined=("held", "sum"),
        money=("money", lambda m: m.sum(min_count=1)),
        quarantined_money=("lost", "sum"),
    )
    out["row_share"] = out["quarantined"] / out["rows"].where(out["rows"] > 0)
    out["money_share"] = out["quarantined_money"] / out["money"].where(out["money"] > 0)
    out.loc[out["money"].isna(), "quarantined_money"] = float("nan")
    return out.fillna({"row_share": 0.0}).reset_index()


def over_limit(balance: pd.DataFrame, max_share: float) -> pd.DataFrame:
    """The tables whose quarantined share of rows or of money is above `max_share`."""
    shares = quarantine_shares(balance)
    return shares[(shares["row_share"] > max_share) | (shares["money_share"].fillna(0.0) > max_share)]


def load_warnings(balance: pd.DataFrame, max_share: float) -> list[str]:
    """One console line per table whose quarantined share of rows or of money is above `max_share`."""
    out, language = [], current()
    for row in over_limit(balance, max_share).itertuples():
        in_money = (
            t(
                "warning.load.money",
                held=format_number(row.quarantined_money, language, 2),
                total=format_number(row.money, language, 2),
                share=format_percent(row.money_share, language),
            )
            if pd.notna(row.money)
            else ""
        )
        out.append(
            t(
                "warning.load.quarantined",
                table=row.table_name,
                held=int(row.quarantined),
                rows=int(row.rows),
                share=format_percent(row.row_share, language),
                money=in_money,
                limit=format_percent(max_share, language, 0),
            )
        )
    return out
