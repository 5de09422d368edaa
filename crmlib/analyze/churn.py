"""Churn risk tiers from the probability that a customer makes no purchase in the next `horizon_days` (90 by
default) under the lifetime value model: the definition e-commerce platforms use (Klaviyo's churn risk).

A customer is at high risk when that probability is above 0.66, medium above 0.33, low otherwise; the cut-offs are
the `churn: thresholds` parameter. P(alive) stays a figure of its own (`alive_matrix`).

>>> risk = pd.Series({"a": 0.9, "b": 0.5, "c": 0.66, "d": 0.05})
>>> churn_tiers(risk).tolist()
['high', 'medium', 'medium', 'low']
>>> churn_summary(churn_tiers(risk), value=pd.Series({"a": 100.0, "b": 50.0, "c": 50.0, "d": 800.0}))
... # doctest: +NORMALIZE_WHITESPACE
            customers  share  value  value_share
churn_risk
high                1   0.25  100.0          0.1
medium              2   0.50  100.0          0.1
low                 1   0.25  800.0          0.8
"""

from __future__ import annotations

from typing import Annotated, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, Strict, StrictFloat, ValidationError, field_validator

from crmlib.catalogue import t
from crmlib.errors import ParamsError

TIERS = ("high", "medium", "low")


class ChurnOptions(BaseModel):
    """The `churn:` section of the parameters."""

    model_config = ConfigDict(extra="forbid", strict=True)

    horizon_days: int = Field(90, ge=1)
    """Churn risk is the probability of no purchase in this many days."""
    thresholds: Annotated[tuple[StrictFloat, StrictFloat], Strict(False)] = (0.33, 0.66)
    """A churn probability above the second is high risk, above the first medium risk, else low risk."""
    model: Literal["auto", "pnbd", "mbgnbd"] = "auto"
    """The model whose P(alive) the page shows: auto takes the lifetime value model when a one-time buyer can be
    gone in it (pnbd, mbgnbd), else the better checked of those two."""

    @field_validator("thresholds")
    @classmethod
    def _increasing_shares(cls, value: tuple[float, float]) -> tuple[float, float]:
        low, high = value
        if not 0 < low < high < 1:
            raise ValueError(t("error.churn.increasing", low=f"{low:g}", high=f"{high:g}"))
        return value


def churn_tiers(risk: pd.Series, thresholds=(0.33, 0.66)) -> pd.Series:
    """The churn risk tier of each customer from the probability of no purchase in the horizon (`risk`): an ordered
    categorical high < medium < low named churn_risk."""
    try:
        low, high = ChurnOptions(thresholds=thresholds).thresholds
    except ValidationError as err:
        raise ParamsError(
            t("error.churn.thresholds", problem=err.errors()[0]["msg"].removeprefix("Value error, "))
        ) from None
    values = pd.to_numeric(risk, errors="coerce").astype(float)
    bad = values.isna() | (values < 0) | (values > 1)
    if bad.any():
        raise ValueError(
            f"risk must be a probability (0 to 1) for every customer; {int(bad.sum())} are not, "
            f"e.g. {list(risk[bad].index[:3])}"
        )
    codes = np.select([values > high, values > low], [0, 1], 2)
    tiers = pd.Categorical.from_codes(codes, categories=list(TIERS), ordered=True)
    return pd.Series(tiers, index=risk.index, name="churn_risk")


def churn_summary(tiers: pd.Series, value: pd.Series | None = None) -> pd.DataFrame:
    """Customers per tier and their share; with `value` (e.g. CLV per customer) also the value in each tier and
    its share of the total: the value at risk."""
    counts = tiers.value_counts(sort=False).reindex(list(TIERS), fill_value=0)
    summary = pd.DataFrame({"customers": counts, "share": counts / max(len(tiers), 1)})
    if value is not None:
        missing = tiers.index.difference(value.index)
        if len(missing):
            raise ValueError(f"value is missing for {len(missing)} customers of the tiers, e.g. {list(missing[:3])}")
        held = value.reindex(tiers.index).groupby(tiers, observed=False).sum().reindex(list(TIERS), fill_value=0.0)
        total = held.sum()
        summary = summary.assign(value=held, value_share=held / total if total else np.nan)
    return summary.rename_axis("churn_risk")


def alive_matrix(
    summary: pd.DataFrame, p_alive: pd.Series, max_frequency: int = 10, recency_bins: int = 8
) -> pd.DataFrame:
    """Mean P(alive) by repeat purchases (rows, the last one "N+") and recency (columns, equal-width bins of the
    summary's time unit): who is still likely to buy, at a glance.

    >>> s = pd.DataFrame({"frequency": [0, 1, 12], "recency": [0.0, 10.0, 30.0], "T": [40.0, 40.0, 40.0]})
    >>> alive_matrix(s, pd.Series([1.0, 0.5, 0.9]), max_frequency=10, recency_bins=2).to_dict("index")
    {'0': {'0–15': 1.0, '15–30': nan}, '1': {'0–15': 0.5, '15–30': nan}, '10+': {'0–15': nan, '15–30': 0.9}}
    >>> list(alive_matrix(s.assign(recency=[0.0, 0.5, 1.0]), pd.Series([1.0, 0.5, 0.9]), recency_bins=4).columns)
    ['0.0–0.2', '0.2–0.5', '0.5–0.8', '0.8–1.0']
    """
    frequency = summary["frequency"].clip(upper=max_frequency).astype(int)
    rows = frequency.map(lambda f: f"{f}+" if f == max_frequency else str(f))
    edges = np.linspace(0, max(float(summary["recency"].max()), 1.0), recency_bins + 1)
    names = next(  # as few decimals as keep the bins apart: a short history has bins narrower than one unit
        labels
        for decimals in range(4)
        if len(set(labels := [f"{edges[i]:.{decimals}f}–{edges[i + 1]:.{decimals}f}" for i in range(recency_bins)]))
        == recency_bins
    )
    columns = pd.cut(summary["recency"], edges, labels=names, include_lowest=True)
    grid = p_alive.groupby([rows, columns], observed=False).mean().unstack()
    order = sorted(grid.index, key=lambda r: int(r.rstrip("+")))
    return grid.loc[order].rename_axis(index="frequency", columns="recency")
