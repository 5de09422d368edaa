"""Stage 3, analysis: lifetime value (purchase and spend models, discounted value, holdout validation), churn risk,
cohort retention, the customer journey, loyalty, customer value components and the drivers of NPS and spend."""

from crmlib.errors import ModelError
from crmlib.lazy import lazy_namespace

__getattr__, __all__ = lazy_namespace(
    __name__,
    {
        "backtest": ["Backtest", "calibration_table", "churn_backtest", "risk_deciles"],
        "churn": ["ChurnOptions", "alive_matrix", "churn_summary", "churn_tiers"],
        "cohorts": ["average_retention", "cohort_retention", "cohort_sizes", "retention_curves"],
        "components": ["ComponentOptions", "value_components"],
        "drivers": ["DriverOptions", "DriverResult", "nps_drivers", "spend_drivers"],
        "holdout": ["ModelCheck", "Validation", "calibration_holdout", "holdout_purchase_days", "validate"],
        "journey": ["customer_journey", "journey_funnel"],
        "lifetime": ["LifetimeValue", "lifetime_value", "top_share"],
        "loyalty": ["loyalty_indicators", "per_customer_loyalty", "summarise_loyalty"],
        "options": ["AnalysisOptions"],
        "predictions": ["accuracy", "accuracy_line", "predicted", "scored", "track_record"],
        "purchases": ["MODELS", "PurchaseModel", "fit_purchases"],
        "spend": ["IndependenceWarning", "SpendModel", "fit_spend"],
        "stage": ["COMPONENTS", "Analysis", "analysis"],
        "uncertainty": ["DRAWS", "LEVEL", "value_interval"],
        "value": ["customer_value"],
    },
)
__all__ += ["ModelError"]
