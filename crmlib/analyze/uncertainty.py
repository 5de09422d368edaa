"""How sure the lifetime value is: parameters drawn from their approximate distribution after the fit (normal on
the optimiser's scale, with the Hessian's covariance; seeded), the base's value and each group's (a churn tier, say)
recomputed under every draw, and the central interval of those totals.

Each group's total moves like its customers' value on a seeded sample of at most `sample` of them (the ratio of
the drawn to the fitted value on the sample scales the group's fitted total), so a million customers cost what a
few thousand do.

>>> from crmlib.collect import load_cdnow
>>> from crmlib.analyze import fit_purchases, fit_spend
>>> from crmlib.segment.summary import rfm_summary
>>> summary = rfm_summary(load_cdnow(), end="1997-09-30", freq="W")
>>> interval = value_interval(fit_purchases(summary), fit_spend(summary), summary, freq="W")
>>> interval.round(-2).astype(int).to_dict("records")  # US dollars over the next 12 months, 90% interval
[{'estimate': 72400, 'lower': 66700, 'upper': 79000}]
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from crmlib.analyze.models.mle import draws
from crmlib.analyze.purchases import PurchaseModel
from crmlib.analyze.spend import SpendModel
from crmlib.analyze.value import customer_value
from crmlib.catalogue import t
from crmlib.errors import ModelError

DRAWS = 100
SAMPLE = 2000  # customers per group whose value is recomputed under each draw
LEVEL = 0.9


def drawn_purchases(model: PurchaseModel, n: int, rng: np.random.Generator) -> list[PurchaseModel]:
    """`n` copies of `model` with parameters drawn around the fit (the limit's, at a boundary)."""
    names = model.family.names
    out = []
    for theta in draws(model.theta, model.covariance, model.family.parameter_kinds, n, rng):
        values = dict(zip(names, map(float, theta)))
        if model.common_dropout is None:
            out.append(dataclasses.replace(model, params=values))
        else:
            dropout = values.pop("p", model.common_dropout)
            out.append(dataclasses.replace(model, params={**model.params, **values}, common_dropout=dropout))
    return out


def drawn_spend(model, n: int, rng: np.random.Generator) -> list:
    """`n` copies of a Gamma-Gamma model with drawn p, q, v (q kept above 1); the fallback mean as it is."""
    if not isinstance(model, SpendModel):
        return [model] * n
    names = list(model.params)
    theta = np.array([model.params[k] for k in names])
    drawn = draws(theta, model.covariance, ("log",) * len(names), n, rng)
    drawn[:, names.index("q")] = np.maximum(drawn[:, names.index("q")], 1 + 1e-6)
    return [dataclasses.replace(model, params=dict(zip(names, map(float, row)))) for row in drawn]


def value_interval(
    purchases: PurchaseModel,
    spend,
    summary: pd.DataFrame,
    groups: pd.Series | None = None,
    months: int = 12,
    annual_discount_rate: float = 0.10,
    freq: str = "D",
    n: int = DRAWS,
    level: float = LEVEL,
    seed: int = 0,
    sample: int = SAMPLE,
) -> pd.DataFrame:
    """The fitted value of the whole base (row "total") and of each group of `groups` (customer -> group), with the
    central `level` interval over `n` parameter draws: estimate, lower, upper. A ModelError when the purchase fit
    has no standard errors (given parameters, or no proper optimum); a spend fit without them is taken as it is."""
    if purchases.covariance is None or not np.isfinite(purchases.covariance).all():
        raise ModelError(t("error.value.no_interval", model=purchases.model))
    rng = np.random.default_rng(seed)
    groups = pd.Series("total", index=summary.index) if groups is None else groups
    order = list(groups.cat.categories) if isinstance(groups.dtype, pd.CategoricalDtype) else sorted(set(groups))
    groups = groups.astype(str)
    sampled = pd.concat(
        [members.sample(min(len(members), sample), random_state=seed) for _, members in groups.groupby(groups)]
    )
    fitted = customer_value(purchases, spend, summary, months, annual_discount_rate, freq)
    totals = fitted.groupby(groups).sum()
    on_sample = fitted.loc[sampled.index].groupby(sampled).sum()
    rows = summary.loc[sampled.index]
    ratios = [
        customer_value(model, spent, rows, months, annual_discount_rate, freq).groupby(sampled).sum() / on_sample
        for model, spent in zip(drawn_purchases(purchases, n, rng), drawn_spend(spend, n, rng))
    ]
    per_draw = pd.DataFrame(ratios).fillna(1.0) * totals  # draws x groups: a group worth 0 stays 0
    if list(totals.index) != ["total"]:
        totals["total"], per_draw["total"] = totals.sum(), per_draw.sum(axis=1)
    tail = (1 - level) / 2
    table = pd.DataFrame({"estimate": totals, "lower": per_draw.quantile(tail), "upper": per_draw.quantile(1 - tail)})
    return table.loc[["total", *[str(g) for g in order if str(g) in table.index and g != "total"]]]
