"""The customer portfolio: value tiers by lifetime value, the share of value each holds, and what each is offered.

>>> state = pd.DataFrame({"tier": ["top", "high", "rest", "rest"], "lifetime_value": [600.0, 300.0, 100.0, None],
...                       "segment": ["champions", "loyal", "lost", None]})
>>> portfolio(state, TierOptions()).set_index("tier")["value_share"].round(2).tolist()
[0.6, 0.3, 0.1]
"""

from __future__ import annotations

import pandas as pd

from crmlib.strategy.options import TierOptions

TIERS = ("top", "high", "rest")


def portfolio(state: pd.DataFrame, options: TierOptions) -> pd.DataFrame:
    """Per value tier: customers, their share, lifetime value in total and on average, the share of value, the
    largest segment and the tier's value proposition. Columns: tier, customers, customers_share, value,
    mean_value, value_share, main_segment, proposition."""
    value = state["lifetime_value"].fillna(0.0)
    rows = []
    for tier in TIERS:
        members = state["tier"] == tier
        segments = state.loc[members, "segment"].dropna()
        rows.append(
            {
                "tier": tier,
                "customers": int(members.sum()),
                "customers_share": float(members.mean()) if len(state) else 0.0,
                "value": float(value[members].sum()),
                "mean_value": float(value[members].mean()) if members.any() else 0.0,
                "value_share": float(value[members].sum() / value.sum()) if value.sum() else 0.0,
                "main_segment": segments.mode().iloc[0] if len(segments) else None,
                "proposition": options.proposition(tier),
            }
        )
    return pd.DataFrame(rows)
