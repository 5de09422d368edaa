"""The monitoring stage of a period in one call: every KPI against its target, with its change, trend and anomaly
check, the results of the campaigns whose window ended in the period, and what the period stores of them.

>>> seasons(Period.parse("2025-06")), seasons(Period.parse("2025-Q2"))
(12, 4)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from crmlib.collect.warehouse import Warehouse, one_connection
from crmlib.errors import MissingData, WarehouseError, failed, outcome
from crmlib.monitor import anomalies, campaigns
from crmlib.monitor.kpis import BOUNDS, KPIS
from crmlib.monitor.options import MonitorOptions
from crmlib.monitor.status import change, status, target_level
from crmlib.monitor.values import history, history_needed, kpi_values, missing_data, short_history
from crmlib.periods import Period

SCORECARD, TRENDS, CAMPAIGN_RESULTS = "kpis", "kpi_trends", "campaign_results"  # the stored results, per period
SCORECARD_COLUMNS = ["kpi", "department", "unit", "better", "value", "previous", "last_year", "change_previous",
                     "change_year", "target", "status", "expected", "low", "high", "anomaly", "check",
                     "missing", "history_months"]  # fmt: skip


def seasons(period: Period) -> int:
    """Periods in a year: 12 for months, 4 for quarters, 1 for years."""
    return 12 // period.months


@dataclass
class Monitoring:
    """A period's monitoring: the KPI history (kpi, period, value), the scorecard (one row per KPI, catalogue order,
    `SCORECARD_COLUMNS`) and the campaign results (`campaigns.RESULT_COLUMNS`)."""

    period: Period
    values: pd.DataFrame
    scorecard: pd.DataFrame
    campaigns: pd.DataFrame  # empty when none ended in the period, or the data cannot measure them (`unmeasured`)
    options: MonitorOptions
    unmeasured: str = ""  # why the campaigns that ended cannot be measured (what to load), else ""

    def measured(self) -> pd.DataFrame:
        """The campaign results; a MissingData naming what to load when the data cannot measure them."""
        if self.unmeasured:
            raise MissingData(self.unmeasured)
        return self.campaigns

    def department(self, name: str) -> pd.DataFrame:
        """The scorecard rows of one department (customer, sales, marketing, service)."""
        return self.scorecard[self.scorecard["department"] == name].reset_index(drop=True)

    def trend(self, keys: list[str] | None = None) -> pd.DataFrame:
        """The last `trend_months` periods of `keys` (default: the headline): kpi, period, value, unit."""
        keys = keys or self.options.headline
        periods = sorted(self.values["period"].unique())[-self.options.trend_months :]
        picked = self.values[self.values["kpi"].isin(keys) & self.values["period"].isin(periods)]
        return picked.assign(unit=picked["kpi"].map(lambda k: KPIS[k].unit)).reset_index(drop=True)

    def on_track(self) -> dict[str, int]:
        """How many KPIs are on track, at risk and off track, and how many have a target."""
        counts = self.scorecard["status"].value_counts()
        return {**{s: int(counts.get(s, 0)) for s in ("on_track", "at_risk", "off_track")},
                "targets": int(counts.sum())}  # fmt: skip

    def headline(self) -> pd.DataFrame:
        """The scorecard rows of the headline KPIs, in their order."""
        return self.scorecard.set_index("kpi").loc[self.options.headline].reset_index()

    def alerts(self) -> pd.DataFrame:
        """What needs a look: off-track KPIs, anomalous KPIs and campaigns whose split is broken (kind, key)."""
        card = self.scorecard
        rows = [("off_track", k) for k in card.loc[card["status"] == "off_track", "kpi"]]
        rows += [("anomaly", k) for k in card.loc[card["anomaly"].fillna(False).astype(bool), "kpi"]]
        rows += [("srm", c) for c in self.campaigns.loc[self.campaigns["srm"].astype(bool), "campaign_id"]]
        return pd.DataFrame(rows, columns=["kind", "key"])

    def campaign_types(self) -> pd.DataFrame:
        return campaigns.by_type(self.measured())

    def store(self, warehouse: Warehouse) -> None:
        """Write `kpis` (the scorecard), `kpi_trends` (every KPI's last `trend_months` periods, as `month`) and
        `campaign_results` for the period."""
        warehouse.write_result(SCORECARD, self.period, self.scorecard.astype({"missing": object}))
        trend = self.trend(list(KPIS)).drop(columns="unit").rename(columns={"period": "month"})
        warehouse.write_result(TRENDS, self.period, trend)
        warehouse.write_result(CAMPAIGN_RESULTS, self.period, self.campaigns)

    @classmethod
    def load(cls, warehouse: Warehouse, period: Period, options: MonitorOptions | None = None) -> Monitoring:
        """The monitoring a period's stage stored (a WarehouseError if it has not run): the values hold the trends."""
        card = warehouse.read_result(SCORECARD, period)
        values = warehouse.read_result(TRENDS, period).rename(columns={"month": "period"})
        try:
            results = warehouse.read_result(CAMPAIGN_RESULTS, period)
        except WarehouseError:
            results = campaigns.no_results()
        return cls(period, values, card, results, options or MonitorOptions())


def scorecard(
    values: pd.DataFrame, period: Period, options: MonitorOptions, missing: dict[str, str], short: bool = False
) -> pd.DataFrame:
    """One row per KPI for `period` from the history `values` (kpi, period, value); `missing` names the data a KPI
    lacks, `short` says the data begin after `period`'s active window (`history_months` then holds the months a
    KPI that `needs_history` needs)."""
    needed = float(history_needed(period, options.active_months)) if short else np.nan
    table = values.pivot(index="period", columns="kpi", values="value") if len(values) else pd.DataFrame()
    current, previous = str(period), str(period.previous())
    year_ago = str(Period(period.start - pd.DateOffset(years=1), period.kind))
    rows = []
    for kpi in KPIS.values():
        series = table[kpi.key] if kpi.key in table else pd.Series(dtype=float, index=pd.Index([], dtype=object))
        value, before, last_year = (float(series.get(p, np.nan)) for p in (current, previous, year_ago))
        level = target_level(options.targets.get(kpi.key), before, last_year)
        check = anomalies.check(
            series[series.index < current], value, seasons(period), BOUNDS.get(kpi.unit, (0, np.inf))
        )
        rows.append((
            kpi.key, kpi.department, kpi.unit, kpi.better, value, before, last_year, change(value, before),
            change(value, last_year), level, status(value, level, kpi.better, options.at_risk), check.expected,
            check.low, check.high, check.anomaly, check.method, missing.get(kpi.key),
            needed if kpi.needs_history and kpi.key not in missing else np.nan,
        ))  # fmt: skip
    return pd.DataFrame(rows, columns=SCORECARD_COLUMNS)


@one_connection
def monitoring(warehouse: Warehouse, period: Period, options: MonitorOptions | None = None) -> Monitoring:
    """Measure `period`: the KPIs over `history_months` periods up to it, and its campaigns' results."""
    options = options or MonitorOptions()
    first = warehouse.query("SELECT min(ts) AS first FROM orders")["first"][0]
    first = None if pd.isna(first) else pd.Timestamp(first)
    periods = history(period, options.history_months, first)
    values = kpi_values(warehouse, periods, options.active_months, first)
    short = bool(short_history([period], options.active_months, first).iloc[0])
    card = scorecard(values, period, options, missing_data(warehouse), short)
    ended = campaigns.ended_in(warehouse, period.start, period.end, options.attribution_days)
    results = outcome(campaigns.evaluate, warehouse, ended, options.attribution_days, options.pre_period_days,
                      options.srm_p, options.min_controls, options.send_events)  # fmt: skip
    if failed(results):
        return Monitoring(period, values, card, campaigns.no_results(), options, str(results) if len(ended) else "")
    return Monitoring(period, values, card, results, options)
