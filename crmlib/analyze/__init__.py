"""Stage 3, analysis: lifetime value (purchase and spend models, discounted value, holdout validation), churn risk,
cohort retention, the customer journey, loyalty, customer value components and the drivers of NPS and spend."""

from crmlib.analyze.churn import ChurnOptions, alive_matrix, churn_summary, churn_tiers
from crmlib.analyze.cohorts import average_retention, cohort_retention, cohort_sizes, retention_curves
from crmlib.analyze.components import ComponentOptions, value_components
from crmlib.analyze.drivers import DriverOptions, DriverResult, nps_drivers, spend_drivers
from crmlib.analyze.holdout import ModelCheck, Validation, calibration_holdout, holdout_purchase_days, validate
from crmlib.analyze.journey import customer_journey, journey_funnel
from crmlib.analyze.lifetime import LifetimeValue, lifetime_value, top_share
from crmlib.analyze.loyalty import loyalty_indicators, per_customer_loyalty
from crmlib.analyze.options import AnalysisOptions
from crmlib.analyze.purchases import MODELS, PurchaseModel, fit_purchases
from crmlib.analyze.spend import IndependenceWarning, SpendModel, fit_spend
from crmlib.analyze.stage import COMPONENTS, Analysis, analysis
from crmlib.analyze.value import customer_value
from crmlib.errors import ModelError

__all__ = [
    "COMPONENTS",
    "MODELS",
    "Analysis",
    "AnalysisOptions",
    "ChurnOptions",
    "ComponentOptions",
    "DriverOptions",
    "DriverResult",
    "IndependenceWarning",
    "LifetimeValue",
    "ModelCheck",
    "ModelError",
    "PurchaseModel",
    "SpendModel",
    "Validation",
    "alive_matrix",
    "analysis",
    "average_retention",
    "calibration_holdout",
    "churn_summary",
    "churn_tiers",
    "cohort_retention",
    "cohort_sizes",
    "customer_journey",
    "customer_value",
    "fit_purchases",
    "fit_spend",
    "holdout_purchase_days",
    "journey_funnel",
    "lifetime_value",
    "loyalty_indicators",
    "nps_drivers",
    "per_customer_loyalty",
    "retention_curves",
    "spend_drivers",
    "top_share",
    "validate",
    "value_components",
]
