"""The analysis stage of a period in one call: lifetime value, churn risk and value components per customer, and
what the period stores of them."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from crmlib.analyze.churn import churn_summary, churn_tiers
from crmlib.analyze.components import value_components
from crmlib.analyze.lifetime import LifetimeValue, lifetime_value
from crmlib.analyze.options import AnalysisOptions
from crmlib.collect.warehouse import Warehouse
from crmlib.periods import Period

CUSTOMERS, MODELS = "customer_value", "lifetime_value_models"  # the stored results, per period
COMPONENTS = ["lifetime_value", "referral_value", "loyalty_value", "feedback_value"]


@dataclass
class Analysis:
    """A period's analysis: the lifetime value models, each customer's P(alive), churn risk, value and value
    components, and the churn tiers with the value they hold."""

    value: LifetimeValue
    customers: pd.DataFrame  # summary, p_alive, expected purchases and spend, lifetime value, churn_risk
    churn: pd.DataFrame  # per tier: customers, share, value, value_share
    components: pd.DataFrame  # per customer: COMPONENTS and their total

    @property
    def high_risk(self) -> int:
        return int(self.churn.set_index("tier").loc["high", "customers"])

    def component_totals(self) -> pd.DataFrame:
        """Each value component summed over the customers: component, total."""
        return self.components[COMPONENTS].sum().rename_axis("component").rename("total").reset_index()

    def store(self, warehouse: Warehouse, period: Period | str) -> None:
        """Write `customer_value` (per customer) and `lifetime_value_models` (the holdout check of each model)."""
        warehouse.write_result(CUSTOMERS, period, self.customers.join(self.components.drop(columns="lifetime_value")))
        validation = self.value.validation
        if validation is not None:
            warehouse.write_result(
                MODELS, period, validation.table.assign(chosen=validation.table.index == validation.chosen)
            )


def analysis(warehouse: Warehouse, period: Period, options: AnalysisOptions | None = None) -> Analysis:
    """Fit and check the lifetime value models on the period's history and value and tier every customer."""
    options = options or AnalysisOptions()
    value = lifetime_value(warehouse, period, options.lifetime_value, options.churn)
    customers = value.customers()
    customers["churn_risk"] = churn_tiers(customers["p_alive"], options.churn.thresholds)
    churn = churn_summary(customers["churn_risk"], customers["lifetime_value"]).rename_axis("tier").reset_index()
    components = value_components(customers["lifetime_value"], warehouse, period, options.components)
    return Analysis(value, customers, churn, components)
