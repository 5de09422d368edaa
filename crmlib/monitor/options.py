"""The monitoring parameters (`monitor:` in params/default.yaml): targets per KPI, the headline tiles, the windows.

A target is a level (`value: 30`) or a change against the previous period or the same period last year
(`change: 0.10, against: last_year`, a relative change). A KPI within `at_risk` (relative) of its target on the
wrong side is at risk; further off it is off track.

>>> options = MonitorOptions(targets={"nps": Target(value=30)})
>>> options.targets["nps"].value, options.at_risk, options.headline[0]
(30.0, 0.05, 'revenue')
>>> MonitorOptions(targets={"revnue": Target(value=1)})
Traceback (most recent call last):
...
pydantic_core._pydantic_core.ValidationError: 1 validation error for MonitorOptions
...
"""

from __future__ import annotations

import difflib
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PositiveInt, field_validator, model_validator

from crmlib.catalogue import t
from crmlib.monitor.kpis import KPIS


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class Target(_Section):
    """A KPI's target: a level, or a relative change against the previous period or last year's same period."""

    value: float | None = None
    change: float | None = None
    against: Literal["previous", "last_year"] = "previous"

    @field_validator("value", "change", mode="before")
    @classmethod
    def _number(cls, v):
        return float(v) if isinstance(v, int) and not isinstance(v, bool) else v

    @model_validator(mode="after")
    def _one_kind(self) -> Target:
        if (self.value is None) == (self.change is None):
            raise ValueError(t("error.monitor.target_kind"))
        return self


def _known_kpi(key: str) -> str:
    if key not in KPIS:
        close = difflib.get_close_matches(key, list(KPIS), n=1)
        hint = t("error.params.did_you_mean", key=repr(close[0])) if close else ""
        raise ValueError(t("error.monitor.kpi", kpi=repr(key), hint=hint))
    return key


def _default_targets() -> dict[str, Target]:
    return {
        "revenue": Target(change=0.10, against="last_year"),
        "orders": Target(change=0.05, against="last_year"),
        "new_customers": Target(change=0.0, against="previous"),
        "retention_rate": Target(value=0.95),
        "churn_rate": Target(value=0.05),
        "nps": Target(value=30),
        "csat": Target(value=0.8),
        "average_order_value": Target(change=0.0, against="last_year"),
        "resolved_within_day": Target(value=0.6),
        "unanswered_calls": Target(value=0.1),
    }


class MonitorOptions(_Section):
    """Targets, the tiles of the executive summary, and the windows the KPIs and campaign results use."""

    targets: dict[str, Target] = Field(default_factory=_default_targets)
    at_risk: float = Field(0.05, ge=0, le=1)
    """Within this share of the target on the wrong side is at risk; further is off track."""
    headline: list[str] = Field(
        default_factory=lambda: ["revenue", "orders", "new_customers", "retention_rate", "nps", "average_order_value"]
    )
    active_months: PositiveInt = 12
    """A customer is active while their last purchase is at most this many months old (retention, churn)."""
    history_months: PositiveInt = 48
    """How many periods of history the trends and anomaly checks read."""
    trend_months: PositiveInt = 13
    attribution_days: PositiveInt = 14
    """A campaign's window when it has no end date: purchases this many days from its start are attributed to it."""
    pre_period_days: PositiveInt = 90
    """The spend before a campaign that CUPED uses to sharpen its revenue lift."""
    min_controls: PositiveInt = 10
    """A campaign with fewer controls than this gets no lift: too few to tell anything."""
    srm_p: float = Field(0.001, gt=0, lt=1)
    """A sample-ratio-mismatch p-value below this flags a broken control split."""
    send_events: list[str] = Field(default_factory=list)
    """Event types of the business's own that mark a campaign message sent (a letter posted, a coupon handed out),
    besides any type ending in `_sent` (email_sent, direct_mail_sent); the event names its campaign_id."""

    @field_validator("targets")
    @classmethod
    def _target_kpis(cls, targets: dict[str, Target]) -> dict[str, Target]:
        for key in targets:
            _known_kpi(key)
        return targets

    @field_validator("headline")
    @classmethod
    def _headline_kpis(cls, keys: list[str]) -> list[str]:
        return [_known_kpi(k) for k in keys]
