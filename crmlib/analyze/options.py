"""The `analysis:` section of the parameters: lifetime value, churn, journey, value components, drivers."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from crmlib.analyze.churn import ChurnOptions
from crmlib.analyze.components import ComponentOptions
from crmlib.analyze.drivers import DriverOptions

Model = Literal["bgnbd", "pnbd", "mbgnbd"]
DEFAULT_MODELS: tuple[Model, ...] = ("bgnbd", "pnbd", "mbgnbd")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class LifetimeValueOptions(_Section):
    """How lifetime value is modelled and validated."""

    models: list[Model] = Field(default_factory=lambda: list(DEFAULT_MODELS), min_length=1)
    """The purchase models to compare; the one with the lowest holdout error is used."""
    freq: Literal["D", "W"] = "W"
    """Model time in days (D) or weeks (W = days / 7), as in the BG/NBD papers."""
    holdout_months: int = Field(6, ge=1, le=24)
    """The last months of history held out to validate the models."""
    months: int = Field(12, ge=1, le=120)
    """The lifetime value horizon, in months."""
    annual_discount_rate: float = Field(0.10, ge=0, lt=1)
    """The yearly rate future value is discounted at."""


class JourneyOptions(_Section):
    """Where the journey funnel draws its lines."""

    loyal_days: int = Field(4, ge=2)
    """Purchase days that make a customer loyal."""
    churn_days: int = Field(180, ge=1)
    """Days without a purchase after which a customer counts as churned (when no P(alive) is given)."""


class AnalysisOptions(_Section):
    """The `analysis:` section."""

    lifetime_value: LifetimeValueOptions = LifetimeValueOptions()
    churn: ChurnOptions = ChurnOptions()
    journey: JourneyOptions = JourneyOptions()
    components: ComponentOptions = ComponentOptions()
    drivers: DriverOptions = DriverOptions()
