"""Drivers of satisfaction (NPS) and of spend: ordinary least squares with HC3 robust standard errors.

`nps_drivers`: one row per respondent, their latest survey response up to `end`; the score is regressed on what
the customer had lived through when answering: tickets opened in the `window_days` (120) days before, whether
one of them was slow (first response after `slow_first_response_hours` (24) or not resolved within
`slow_resolution_hours` (72), counted up to the answer), refunds in the same window, purchase days before
answering, the log of their mean order value, tenure in years, acquisition channel (and region, optional).
Respondents with no purchase before answering have no order value and are left out. A slow ticket counts a
slow fix as well as a slow first reply: first replies after a day are rare (about 1 % of tickets in the
synthetic data), so a reply-only definition leaves a feature with almost no variance.

`spend_drivers`: one row per buyer with a positive net revenue up to `end`; the log of that revenue is
regressed on tenure in years, e-mail open rate (opens / e-mails sent; 0 with a "no e-mails received" flag when
none were sent), web/app sessions, categories bought, acquisition channel (and region, optional).

Categorical levels with fewer than `min_count` rows are merged into "other" and the most common level is the
reference; a feature where fewer than `min_count` rows differ from its most common value is dropped (it has no,
or too little, variance to estimate: `DriverResult.dropped` says which). The coefficients are associations
in observational data, not proof of cause.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from babel.numbers import format_decimal, format_percent
from pydantic import BaseModel, ConfigDict, Field

from crmlib import catalogue
from crmlib.analyze.loyalty import per_customer_loyalty
from crmlib.catalogue import t
from crmlib.collect.needs import needs
from crmlib.collect.warehouse import Warehouse
from crmlib.errors import ModelError
from crmlib.periods import end_day
from crmlib.segment.purchase_days import IS_SALE
from crmlib.sql import run_sql

DAYS_PER_YEAR = 365.25


class DriverOptions(BaseModel):
    """The `drivers:` section of the parameters."""

    model_config = ConfigDict(extra="forbid", strict=True)

    window_days: int = Field(120, ge=1)
    """Tickets and refunds this many days before a survey answer count as recent experience."""
    slow_first_response_hours: float = Field(24.0, gt=0)
    """A ticket whose first response took longer than this is slow."""
    slow_resolution_hours: float = Field(72.0, gt=0)
    """A ticket not resolved within this many hours is slow."""
    min_rows: int = Field(30, ge=10)
    """Fewer respondents (or buyers) than this is an error: too few to estimate drivers."""
    min_count: int = Field(10, ge=1)
    """Rarer categories are merged into "other"; features where fewer rows differ from the usual value are dropped."""
    include_region: bool = False
    """Add the customer's region as a categorical feature."""


@dataclass(frozen=True)
class Feature:
    """How a feature reads in the table: the catalogue's `driver.<key>` (its name) and `driver.<key>.per` (the
    change its effect is told for), filled with `values`; `step` is the change in the feature `per` describes
    (log(2) for a doubling of a log)."""

    key: str
    values: dict = field(default_factory=dict)
    step: float = 1.0
    per_key: str | None = None  # another message for `per` (default: `driver.<key>.per`)

    def label(self, language: str) -> str:
        return t(f"driver.{self.key}", language, **self.values)

    def per(self, language: str) -> str:
        return t(self.per_key or f"driver.{self.key}.per", language, **self.values)


@dataclass(frozen=True)
class Outcome:
    """What is regressed: a column, and how a change in it is told (points, or percent when it is a log).

    >>> Outcome("nps_score", "driver.points").effect(-0.8, Feature("tickets", {"window": 120}))
    '-0.80 points per extra ticket'
    >>> Outcome("log_revenue", "driver.spend", logged=True).effect(np.log(1.25), Feature("sessions"), "id")
    '+25,0% belanja per kunjungan tambahan'
    """

    column: str
    unit: str  # the message naming what the effect is in: points, spend
    logged: bool = False

    def scaled(self, change: float) -> float:
        """A change of the regression's scale in the effect's unit: points, or percent when the outcome is a log."""
        return float(100 * np.expm1(change)) if self.logged else float(change)

    def effect(self, change: float, feature: Feature, language: str = "en") -> str:
        pattern = "+#,##0.0%;-#,##0.0%" if self.logged else "+#,##0.00;-#,##0.00"
        value = self.scaled(change) / 100 if self.logged else change
        number = (
            format_percent(value, format=pattern, locale=catalogue.locale(language))
            if self.logged
            else format_decimal(value, format=pattern, locale=catalogue.locale(language))
        )
        return t("driver.effect", language, number=number, unit=t(self.unit, language), per=feature.per(language))


@dataclass(frozen=True)
class DriverResult:
    """A fitted drivers model: the readable coefficient `table` (sorted by |t|; its 95% interval `ci_low`/`ci_high`
    is in the unit of `effect`: points, or percent), R², rows used, the statsmodels result `fit`, and the features
    `dropped` with the reason."""

    table: pd.DataFrame
    r_squared: float
    n: int
    fit: object = field(repr=False)
    dropped: dict[str, str] = field(default_factory=dict)


_TENURE = Feature("tenure_years")

_NPS_SQL = f"""
WITH latest AS (
    SELECT customer_id, ts AS answered, nps_score FROM feedback WHERE ts < $until
    QUALIFY row_number() OVER (PARTITION BY customer_id ORDER BY ts DESC, response_id DESC) = 1),
buying AS (
    SELECT l.customer_id,
           count(DISTINCT CAST(t.ts AS DATE)) FILTER (WHERE {IS_SALE}) AS purchase_days,
           avg(t.amount) FILTER (WHERE {IS_SALE}) AS mean_order_value,
           count(*) FILTER (WHERE NOT ({IS_SALE}) AND t.ts >= l.answered - to_days(CAST($window AS INTEGER)))
               AS refunds
    FROM latest l JOIN orders t ON t.customer_id = l.customer_id AND t.ts < l.answered
    GROUP BY l.customer_id),
service AS (
    SELECT l.customer_id, count(*) AS tickets,
           bool_or(date_diff('second', k.opened_at, least(coalesce(k.first_response_at, l.answered), l.answered))
                       > $slow_reply * 3600
                   OR date_diff('second', k.opened_at, least(coalesce(k.resolved_at, l.answered), l.answered))
                       > $slow_fix * 3600) AS slow
    FROM latest l JOIN tickets k ON k.customer_id = l.customer_id AND k.opened_at < l.answered
                                 AND k.opened_at >= l.answered - to_days(CAST($window AS INTEGER))
    GROUP BY l.customer_id)
SELECT l.customer_id, l.nps_score, c.acquisition_channel, c.region,
       date_diff('day', c.signup_date, CAST(l.answered AS DATE)) / {DAYS_PER_YEAR} AS tenure_years,
       coalesce(s.tickets, 0) AS tickets, CAST(coalesce(s.slow, false) AS INTEGER) AS slow_ticket,
       coalesce(b.refunds, 0) AS refunds, coalesce(b.purchase_days, 0) AS purchase_days,
       CASE WHEN b.mean_order_value > 0 THEN ln(b.mean_order_value) END AS log_order_value
FROM latest l
LEFT JOIN customers c USING (customer_id)
LEFT JOIN buying b USING (customer_id)
LEFT JOIN service s USING (customer_id)
ORDER BY l.customer_id
"""

_ENGAGEMENT_SQL = """
SELECT c.customer_id, c.acquisition_channel, c.region,
       count(e.event_id) FILTER (WHERE e.event_type = 'email_sent') AS emails_sent,
       count(e.event_id) FILTER (WHERE e.event_type = 'email_open') AS emails_opened,
       count(DISTINCT e.session_id) AS sessions
FROM customers c LEFT JOIN events e ON e.customer_id = c.customer_id AND e.ts < $until
WHERE c.signup_date < $until
GROUP BY ALL
"""


def nps_features(warehouse: Warehouse, end, options: DriverOptions | None = None) -> pd.DataFrame:
    """One row per respondent up to `end` (index customer_id): their latest nps_score and the features
    `nps_drivers` uses, measured at the time of that answer (see the module's definitions)."""
    options = options or DriverOptions()
    frame = run_sql(
        warehouse,
        _NPS_SQL,
        end,
        window=options.window_days,
        slow_reply=float(options.slow_first_response_hours),
        slow_fix=float(options.slow_resolution_hours),
    )
    return frame.astype({"customer_id": str}).set_index("customer_id")


def spend_features(warehouse: Warehouse, end, loyalty: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per buyer with a positive net revenue up to `end` (index customer_id): log_revenue and the
    features `spend_drivers` uses (see the module's definitions); `loyalty` is `per_customer_loyalty(warehouse,
    end)` when the caller has it already."""
    buyers = per_customer_loyalty(warehouse, end) if loyalty is None else loyalty
    buyers = buyers[(buyers["purchase_days"] > 0) & (buyers["revenue"] > 0)]
    engagement = run_sql(warehouse, _ENGAGEMENT_SQL, end).astype({"customer_id": str}).set_index("customer_id")
    data = buyers.join(engagement, how="inner")
    sent = data["emails_sent"]
    return data.assign(
        log_revenue=np.log(data["revenue"]),
        tenure_years=data["tenure_days"] / DAYS_PER_YEAR,
        email_open_rate=(data["emails_opened"] / sent.where(sent > 0)).clip(upper=1.0).fillna(0.0),
        no_emails=(sent == 0).astype(int),
    )


@needs("feedback")
def nps_drivers(warehouse: Warehouse, end, options: DriverOptions | None = None, language: str = "en") -> DriverResult:
    """What moves the NPS score: OLS (HC3) of each respondent's latest score up to `end` on their experience.
    The table reads in `language` ("en" or "id")."""
    options = options or DriverOptions()
    window = options.window_days
    reply, fix = f"{options.slow_first_response_hours:g}", f"{options.slow_resolution_hours:g}"
    features = {
        "tickets": Feature("tickets", {"window": window}),
        "slow_ticket": Feature("slow_ticket", {"reply": reply, "fix": fix}),
        "refunds": Feature("refunds", {"window": window}),
        "purchase_days": Feature("purchase_days"),
        "log_order_value": Feature("log_order_value", step=np.log(2)),
        "tenure_years": _TENURE,
    }
    return fit_drivers(
        nps_features(warehouse, end, options),
        Outcome("nps_score", "driver.points"),
        features,
        _categorical(options),
        options,
        language,
        what=t("drivers.nps_rows", end=f"{end_day(end):%Y-%m-%d}"),
    )


def spend_drivers(
    warehouse: Warehouse,
    end,
    options: DriverOptions | None = None,
    language: str = "en",
    loyalty: pd.DataFrame | None = None,
) -> DriverResult:
    """What goes with higher spend: OLS (HC3) of log net revenue per buyer up to `end` on their features.
    The table reads in `language` ("en" or "id"); `loyalty` as in `spend_features`."""
    options = options or DriverOptions()
    features = {
        "tenure_years": _TENURE,
        "email_open_rate": Feature("email_open_rate", step=0.1),
        "no_emails": Feature("no_emails"),
        "sessions": Feature("sessions"),
        "categories": Feature("categories"),
    }
    return fit_drivers(
        spend_features(warehouse, end, loyalty),
        Outcome("log_revenue", "driver.spend", logged=True),
        features,
        _categorical(options),
        options,
        language,
        what=t("drivers.spend_rows", end=f"{end_day(end):%Y-%m-%d}"),
    )


def _categorical(options: DriverOptions) -> list[str]:
    return ["acquisition_channel"] + (["region"] if options.include_region else [])


def fit_drivers(
    data: pd.DataFrame,
    outcome: Outcome,
    features: dict[str, Feature],
    categorical: list[str],
    options: DriverOptions,
    language: str = "en",
    what: str = "",
) -> DriverResult:
    """OLS with HC3 standard errors of `outcome` on the numeric `features` and the `categorical` columns of
    `data`; rows missing any of them are left out. Raises ModelError when fewer than `options.min_rows`
    rows remain."""
    data = data.dropna(subset=[outcome.column, *features])
    n, what = len(data), what or t("drivers.rows")
    if n < options.min_rows:
        raise ModelError(t("error.drivers.too_few", what=what, n=n, least=options.min_rows))
    columns = {name: data[name].astype(float) for name in features}
    labels = dict(features)
    for name in categorical:
        dummies, reference = _dummies(data[name], options.min_count)
        for level in dummies:
            term = f"{name}={level}"
            columns[term] = dummies[level]
            key = name if catalogue.known(f"driver.{name}") else "level"  # a column without words of its own
            labels[term] = Feature(
                key, {"name": name, "level": level, "reference": reference}, per_key="driver.level.per"
            )
    design = pd.DataFrame(columns, index=data.index)
    dropped = {term: "too little variance" for term in design if _too_uniform(design[term], options.min_count)}
    design = design.drop(columns=list(dropped))
    if n <= design.shape[1] + 1:
        raise ModelError(t("error.drivers.features", what=what, n=n, features=design.shape[1]))
    import statsmodels.api as sm  # only when drivers are fitted: importing statsmodels takes a second

    fit = sm.OLS(data[outcome.column].astype(float), sm.add_constant(design, has_constant="add")).fit(cov_type="HC3")
    return DriverResult(
        table=_table(fit, labels, outcome, language), r_squared=float(fit.rsquared), n=n, fit=fit, dropped=dropped
    )


def _dummies(values: pd.Series, min_count: int) -> tuple[pd.DataFrame, str]:
    """0/1 columns for every level but the most common (the reference); rare levels merged into "other"."""
    values = values.astype(object).where(values.notna(), "unknown").astype(str)
    counts = values.value_counts()
    values = values.where(values.map(counts) >= min_count, "other")
    counts = values.value_counts()
    reference = str(counts.index[0])
    levels = sorted(level for level in counts.index if level != reference)
    return pd.DataFrame({level: (values == level).astype(float) for level in levels}, index=values.index), reference


def _too_uniform(column: pd.Series, min_count: int) -> bool:
    """True when fewer than `min_count` values differ from the most common one (or none do)."""
    usual = column.value_counts().iloc[0] if len(column) else 0
    return len(column) - usual < max(min_count, 1)


def _table(fit, labels: dict[str, Feature], outcome: Outcome, language: str) -> pd.DataFrame:
    """The readable coefficient table, intercept left out, sorted by |t|."""
    terms = [term for term in fit.params.index if term != "const"]
    ci = fit.conf_int(0.05)
    table = pd.DataFrame(
        {
            "feature": [labels[term].label(language) for term in terms],
            "coefficient": fit.params[terms].to_numpy(),
            "ci_low": [outcome.scaled(ci.loc[term, 0] * labels[term].step) for term in terms],
            "ci_high": [outcome.scaled(ci.loc[term, 1] * labels[term].step) for term in terms],
            "p_value": fit.pvalues[terms].to_numpy(),
            "effect": [outcome.effect(fit.params[term] * labels[term].step, labels[term], language) for term in terms],
            "term": terms,
        }
    )
    order = np.argsort(-np.abs(fit.tvalues[terms].to_numpy()), kind="stable")
    return table.iloc[order].reset_index(drop=True)
