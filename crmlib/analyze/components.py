"""Customer value components, after Kumar's customer engagement value: what a customer is worth to the business
through their own purchases, the customers they bring, their loyalty and their feedback. Per customer, in the
business currency (IDR by default):

- lifetime_value: the customer lifetime value given (the expected value of their future purchases);
- referral_value: `referral_share` (default 0.5) × the lifetime value of the customers they referred (those
  whose referred_by names them, signed up by `end`; direct referrals only, a referred customer without a
  lifetime value counts 0). The share is the part of a referred customer's value credited to the referral rather
  than to the business's own marketing;
- loyalty_value: the net revenue their repeat purchases have brought so far: the value of their purchase days
  after the first, up to `end`. The first purchase is acquisition; every later one is the customer choosing to
  come back. It is money already earned, so it is easy to read, and it does not count the future purchases
  lifetime_value already holds;
- feedback_value: survey responses by `end` × `value_per_response` (default Rp 25.000) + service tickets by
  `end` × `value_per_ticket` (default 0): what the customer's voice is worth to improving the business;
- total: the sum of the four.
"""

from __future__ import annotations

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from crmlib.analyze.loyalty import per_customer_loyalty
from crmlib.collect.warehouse import Warehouse
from crmlib.sql import run_sql

COMPONENTS = ("lifetime_value", "referral_value", "loyalty_value", "feedback_value")
NEEDS = {"referral_value": ("customers.referred_by",), "feedback_value": ("feedback|tickets",)}
"""The data without which a component is 0 by construction (see `crmlib.collect.needs`)."""


class ComponentOptions(BaseModel):
    """The `components:` section of the parameters (amounts in the business currency)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    referral_share: float = Field(0.5, ge=0, le=1)
    """Share of a referred customer's lifetime value credited to the customer who referred them."""
    value_per_response: float = Field(25_000.0, ge=0)
    """Value of one survey (NPS/CSAT) response."""
    value_per_ticket: float = Field(0.0, ge=0)
    """Value of one service ticket as feedback (0: tickets are not counted as feedback value)."""


_VOICE_SQL = """
SELECT customer_id, sum(responses) AS responses, sum(tickets) AS tickets FROM (
    SELECT customer_id, count(*) AS responses, 0 AS tickets FROM feedback WHERE ts < $until GROUP BY customer_id
    UNION ALL
    SELECT customer_id, 0, count(*) FROM tickets WHERE opened_at < $until GROUP BY customer_id)
GROUP BY customer_id
"""


def referral_value(clv: pd.Series, referred_by: pd.Series, share: float = 0.5) -> pd.Series:
    """Per customer of `clv`: `share` × the summed CLV of the customers whose referred_by names them.

    >>> clv = pd.Series({"a": 100.0, "b": 40.0, "c": 10.0})
    >>> referral_value(clv, pd.Series({"a": None, "b": "a", "c": "b"})).to_dict()
    {'a': 20.0, 'b': 5.0, 'c': 0.0}
    """
    brought = clv.reindex(referred_by.index).fillna(0.0).groupby(referred_by.to_numpy()).sum()
    return (share * brought.reindex(clv.index, fill_value=0.0)).rename("referral_value")


def value_components(
    clv: pd.Series,
    warehouse: Warehouse,
    end,
    options: ComponentOptions | None = None,
    loyalty: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The four value components and their total for each customer of `clv` (index customer_id), from the
    warehouse up to `end` (see the module's definitions); `loyalty` is `per_customer_loyalty(warehouse, end)` when
    the caller has it already."""
    options = options or ComponentOptions()
    if clv.isna().any():
        raise ValueError(
            f"clv has no value for {int(clv.isna().sum())} customers, e.g. "
            f"{list(clv.index[clv.isna()][:3])}: give every customer a lifetime value (0 if none)"
        )
    clv = clv.astype(float).rename_axis("customer_id")
    loyalty = per_customer_loyalty(warehouse, end) if loyalty is None else loyalty
    voice = run_sql(warehouse, _VOICE_SQL, end).astype({"customer_id": str}).set_index("customer_id")
    voice = voice.reindex(clv.index, fill_value=0)
    frame = pd.DataFrame(
        {
            "lifetime_value": clv,
            "referral_value": referral_value(clv, loyalty["referred_by"].dropna(), options.referral_share),
            "loyalty_value": loyalty["repeat_revenue"].reindex(clv.index, fill_value=0.0),
            "feedback_value": voice["responses"] * options.value_per_response
            + voice["tickets"] * options.value_per_ticket,
        }
    )
    return frame.assign(total=frame[list(COMPONENTS)].sum(axis=1))
