"""The analysis stage of a period in one call: lifetime value, churn risk and value components per customer, and
what the period stores of them."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from crmlib.analyze import components as value_parts
from crmlib.analyze import journey as journeys
from crmlib.analyze import loyalty as loyalties
from crmlib.analyze.backtest import Backtest, churn_backtest
from crmlib.analyze.churn import churn_summary, churn_tiers
from crmlib.analyze.components import value_components
from crmlib.analyze.drivers import DriverResult, spend_drivers
from crmlib.analyze.lifetime import LifetimeValue, MeanSpend, lifetime_value
from crmlib.analyze.loyalty import per_customer_loyalty, summarise_loyalty
from crmlib.analyze.options import AnalysisOptions
from crmlib.analyze.purchases import PurchaseModel
from crmlib.analyze.spend import SpendModel
from crmlib.analyze.uncertainty import value_interval
from crmlib.collect.needs import left_out
from crmlib.collect.warehouse import Warehouse, one_connection
from crmlib.errors import available, outcome, part
from crmlib.periods import Period
from crmlib.segment.summary import SUMMARY_SQL, summary_parameters

CUSTOMERS, MODELS = "customer_value", "lifetime_value_models"  # the stored results, per period
PARAMETERS = "lifetime_value_parameters"  # the fitted purchase and spend models, for later stages' what-ifs
VALUE_RANGE = "lifetime_value_interval"  # the value of the base and of each churn tier with its interval
RANGE_COLUMNS = ["estimate", "lower", "upper"]
NOTES = "lifetime_value_notes"  # why a model could not be checked or fell back (model, note), for the summary
SCORES = "customer_scores"  # on `engine: spark`, the lake's table of each customer's scores, one folder per period
COMPONENTS = ["lifetime_value", "referral_value", "loyalty_value", "feedback_value"]


@dataclass
class Analysis:
    """A period's analysis: the lifetime value models, each customer's P(alive), churn risk, value and value
    components, the churn tiers with the value they hold, and the journey funnel. `gaps` says, per figure
    ("journey", "loyalty", "components"), which of its parts the data do not allow (one line, or none); `hidden`
    holds those parts' label keys."""

    value: LifetimeValue
    customers: pd.DataFrame  # summary, p_alive, expected purchases and spend, lifetime value, churn_risk
    churn: pd.DataFrame  # per tier: customers, share, value, value_share
    components: pd.DataFrame  # per customer: COMPONENTS and their total
    loyalty: pd.DataFrame  # per customer: per_customer_loyalty, read once for the components, page and drivers
    backtest: Backtest = part()  # the churn risk given horizon_days ago against who then bought
    value_range: pd.DataFrame = part()  # estimate, lower, upper of the value: the base ("total") and each churn tier
    journey: pd.DataFrame = field(default_factory=pd.DataFrame)  # the funnel's stages the data observe
    gaps: dict[str, str] = field(default_factory=dict)
    hidden: set[str] = field(default_factory=set)

    @property
    def high_risk(self) -> int:
        return int(self.churn.set_index("tier").loc["high", "customers"])

    def spend_drivers(self, warehouse: Warehouse, end, options=None, language: str = "en") -> DriverResult:
        """`spend_drivers` on this analysis' loyalty table (read once for the stage)."""
        return spend_drivers(warehouse, end, options, language, loyalty=self.loyalty)

    @property
    def shown_components(self) -> list[str]:
        """The value components the data allow (a referral value without referrals would be 0 by construction)."""
        return [c for c in COMPONENTS if c not in self.hidden]

    def component_totals(self) -> pd.DataFrame:
        """Each value component the data allow, summed over the customers: component, total."""
        return self.components[self.shown_components].sum().rename_axis("component").rename("total").reset_index()

    def loyalty_figures(self) -> pd.Series:
        """The loyalty indicators the data allow (`summarise_loyalty`)."""
        figures = summarise_loyalty(self.loyalty)
        return figures[[f"loyalty.{name}" not in self.hidden for name in figures.index]]

    def store(self, warehouse: Warehouse, period: Period | str) -> None:
        """Write `customer_value` (per customer), `lifetime_value_models` (the holdout check of each model),
        `lifetime_value_parameters` (the fitted models), `lifetime_value_interval` (the value with its interval, empty
        when the fit has no standard errors), `lifetime_value_notes` (what did not fit, if anything) and `predictions`
        (what the customers are expected to do in the months ahead, for later periods to score)."""
        from crmlib.analyze.predictions import PREDICTIONS, predicted

        warehouse.write_result(CUSTOMERS, period, self.customers.join(self.components.drop(columns="lifetime_value")))
        warehouse.write_result(PREDICTIONS, period, predicted(self, period))
        warehouse.write_result(PARAMETERS, period, model_parameters(self.value))
        value_range = self.value_range if available(self, "value_range") else pd.DataFrame(columns=RANGE_COLUMNS)
        warehouse.write_result(VALUE_RANGE, period, value_range.astype(float).rename_axis("group"))
        notes = [(k, n) for k, n in (("validation", self.value.validation_note), ("spend", self.value.spend_note)) if n]
        warehouse.write_result(NOTES, period, pd.DataFrame(notes, columns=["model", "note"], dtype=object))
        validation = self.value.validation
        if validation is not None:
            warehouse.write_result(
                MODELS, period, validation.table.assign(chosen=validation.table.index == validation.chosen)
            )


def model_parameters(value: LifetimeValue) -> pd.DataFrame:
    """The fitted purchase and spend models as rows: role (purchases, spend), model, name, value; the time unit is
    the analysis' `freq`. A purchase model on its common drop-out boundary has a row `common_dropout`."""
    purchases = value.purchases
    rows = [("purchases", purchases.model, name, v) for name, v in purchases.params.items()]
    if purchases.common_dropout is not None:
        rows.append(("purchases", purchases.model, "common_dropout", purchases.common_dropout))
    spend = value.spend
    if isinstance(spend, MeanSpend):
        rows.append(("spend", "mean", "population_mean", spend.population_mean))
    else:
        rows += [("spend", "gamma_gamma", name, v) for name, v in spend.params.items()]
    return pd.DataFrame(rows, columns=["role", "model", "name", "value"])


def stored_models(warehouse: Warehouse, period: Period | str) -> tuple[PurchaseModel, SpendModel | MeanSpend]:
    """The purchase and spend models the period's analysis fitted (`model_parameters`), ready to predict."""
    rows = warehouse.read_result(PARAMETERS, period)
    purchases = rows[rows["role"] == "purchases"]
    values = dict(zip(purchases["name"], purchases["value"]))
    common = values.pop("common_dropout", None)
    model = PurchaseModel(str(purchases["model"].iloc[0]), values, float("nan"), 0, common_dropout=common)
    spend_rows = rows[rows["role"] == "spend"]
    spend_values = dict(zip(spend_rows["name"], spend_rows["value"]))
    if spend_rows["model"].iloc[0] == "mean":
        return model, MeanSpend.of(spend_values["population_mean"])
    return model, SpendModel(spend_values, float("nan"), 0, float("nan"))


@one_connection
def analysis(warehouse: Warehouse, period: Period, options: AnalysisOptions | None = None) -> Analysis:
    """Fit and check the lifetime value models on the period's history and value and tier every customer."""
    options = options or AnalysisOptions()
    value = lifetime_value(warehouse, period, options.lifetime_value, options.churn)
    scored = summary_parameters(period.last_day, options.lifetime_value.freq)
    customers = warehouse.score(SUMMARY_SQL, scored, value.scorer, f"{SCORES}/period={period}")
    customers["churn_risk"] = churn_tiers(customers["churn_probability"], options.churn.thresholds)
    churn = churn_summary(customers["churn_risk"], customers["lifetime_value"]).rename_axis("tier").reset_index()
    loyalty = per_customer_loyalty(warehouse, period)
    components = value_components(customers["lifetime_value"], warehouse, period, options.components, loyalty)
    funnel = journeys.journey_funnel(
        warehouse,
        period,
        options.journey.loyal_days,
        options.journey.churn_days,
        p_alive=1 - customers["churn_probability"],  # churned: at high churn risk
        p_alive_threshold=1 - options.churn.thresholds[1],
    )
    funnel, journey_gap = journeys.observed(funnel, warehouse)
    gaps, hidden = {"journey": journey_gap}, set()
    for figure, declared in (("loyalty", loyalties.NEEDS), ("components", value_parts.NEEDS)):
        gone, gaps[figure] = left_out(warehouse, declared)
        hidden |= set(gone)
    lv = options.lifetime_value
    backtest = outcome(churn_backtest, warehouse, period, value.purchases.model,
                       value.churn.model if value.churn else None, lv, options.churn)  # fmt: skip
    value_range = outcome(value_interval, value.purchases, value.spend, value.summary, customers["churn_risk"],
                          lv.months, lv.annual_discount_rate, lv.freq)  # fmt: skip
    return Analysis(value, customers, churn, components, loyalty, backtest, value_range, funnel, gaps, hidden)
