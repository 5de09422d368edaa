"""Campaign results against their control groups: rates, attributed revenue, and the lift the campaign caused.

A campaign's members are the customers its events name: a send event (any type ending in `_sent`, such as
`email_sent` or `direct_mail_sent`, or one of `send_events`) makes a recipient, a `campaign_holdout` a control.
Its window runs from the start date to the end date (or `attribution_days` when it has none); a member converted
when they placed an order in it. Against the control group:

- incremental conversion: the difference of the two order rates, with Newcombe's hybrid score interval;
- incremental revenue per recipient: Welch's interval on revenue in the window, sharpened by CUPED with the spend
  of `pre_period_days` before the start (θ = cov(pre, revenue) / var(pre) over all members);
- a sample-ratio-mismatch check: a chi-square test of recipients and controls against the planned control share,
  flagged below `srm_p` (a broken split: the lift then means nothing).

>>> lift = conversion_lift(120, 1000, 8, 250)
>>> round(lift.estimate, 3), round(lift.low, 3), round(lift.high, 3)
(0.088, 0.053, 0.115)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from crmlib.collect.needs import needs
from crmlib.collect.warehouse import Warehouse
from crmlib.strategy.channels import CLICKED, OPENED


@dataclass(frozen=True)
class Interval:
    estimate: float
    low: float
    high: float

    @property
    def width(self) -> float:
        return self.high - self.low


NONE = Interval(np.nan, np.nan, np.nan)


def _listed(events) -> str:
    return ", ".join(f"'{e}'" for e in events)


_OPENS, _CLICKS = (_listed(e for c in kind.values() for e in c) for kind in (OPENED, CLICKED))
_SEND = "(e.event_type LIKE '%\\_sent' ESCAPE '\\' OR e.event_type IN (SELECT event_type FROM sends))"


MEMBERS_SQL = f"""
WITH picked AS (SELECT c.campaign_id, c.start_date::TIMESTAMP AS start_ts,
    CASE WHEN c.end_date IS NULL THEN c.start_date::TIMESTAMP + to_days($days)
         ELSE c.end_date::TIMESTAMP + INTERVAL 1 DAY END AS end_ts
  FROM campaigns c WHERE c.campaign_id IN (SELECT campaign_id FROM wanted)),
sends AS (SELECT unnest(CAST($sends AS VARCHAR[])) AS event_type),
members AS (SELECT e.customer_id, e.campaign_id, bool_or(e.event_type <> 'campaign_holdout') AS treated,
    bool_or(e.event_type IN ({_OPENS})) AS opened, bool_or(e.event_type IN ({_CLICKS})) AS clicked,
    bool_or(e.event_type = 'unsubscribe') AS unsubscribed
  FROM events e WHERE e.campaign_id IN (SELECT campaign_id FROM picked) AND e.customer_id IS NOT NULL
    AND (e.event_type IN ('campaign_holdout', 'unsubscribe', {_OPENS}, {_CLICKS}) OR {_SEND})
  GROUP BY 1, 2 HAVING bool_or(e.event_type = 'campaign_holdout' OR {_SEND}))
SELECT m.*, count(o.transaction_id) FILTER (WHERE o.ts >= p.start_ts) > 0 AS bought,
       coalesce(sum(o.amount) FILTER (WHERE o.ts >= p.start_ts), 0) AS revenue,
       coalesce(sum(o.amount) FILTER (WHERE o.ts >= p.start_ts AND o.campaign_id = m.campaign_id), 0) AS attributed,
       coalesce(sum(o.amount) FILTER (WHERE o.ts < p.start_ts), 0) AS pre_spend
FROM members m JOIN picked p ON p.campaign_id = m.campaign_id
LEFT JOIN orders o ON o.customer_id = m.customer_id AND o.kind = 'sale' AND o.ts < p.end_ts
     AND o.ts >= p.start_ts - to_days($pre)
GROUP BY ALL
"""


def members(warehouse: Warehouse, campaign_ids, attribution_days: int = 14, pre_period_days: int = 90,
            send_events: list[str] | tuple[str, ...] = ()) -> pd.DataFrame:  # fmt: skip
    """One row per member of each campaign: customer_id, campaign_id, treated, opened, clicked, unsubscribed,
    bought, revenue (in the window), attributed (orders naming the campaign), pre_spend."""
    wanted = pd.DataFrame({"campaign_id": list(campaign_ids)}, dtype=object)
    params = {"days": attribution_days, "pre": pre_period_days, "sends": list(send_events)}
    return warehouse.query(MEMBERS_SQL, params, {"wanted": wanted})


def conversion_lift(buyers: int, recipients: int, control_buyers: int, controls: int) -> Interval:
    """The treated order rate minus the control's, with Newcombe's 95% hybrid score interval."""
    if not recipients or not controls:
        return NONE
    from statsmodels.stats.proportion import confint_proportions_2indep

    low, high = confint_proportions_2indep(buyers, recipients, control_buyers, controls, method="newcomb")
    return Interval(buyers / recipients - control_buyers / controls, float(low), float(high))


def revenue_lift(revenue: np.ndarray, treated: np.ndarray, pre: np.ndarray | None = None) -> Interval:
    """Mean revenue of the treated minus the controls', Welch's 95% interval; with `pre`, CUPED-adjusted first."""
    y = np.asarray(revenue, dtype=float)
    treated = np.asarray(treated, dtype=bool)
    if treated.sum() < 2 or (~treated).sum() < 2:
        return NONE
    if pre is not None:
        x = np.asarray(pre, dtype=float)
        groups = [(x[g], y[g], g.sum()) for g in (treated, ~treated)]
        spread = sum(np.var(gx, ddof=1) * (n - 1) for gx, _, n in groups)
        covariance = sum(np.cov(gx, gy)[0, 1] * (n - 1) for gx, gy, n in groups)
        theta = covariance / spread if spread > 0 else 0.0
        y = y - theta * (x - x.mean())
    from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

    compare = CompareMeans(DescrStatsW(y[treated]), DescrStatsW(y[~treated]))
    low, high = compare.tconfint_diff(alpha=0.05, usevar="unequal")
    return Interval(float(y[treated].mean() - y[~treated].mean()), float(low), float(high))


def sample_ratio_p(recipients: int, controls: int, control_share: float) -> float:
    """The chi-square p-value of the split against the planned control share (NaN without a control plan)."""
    if not 0 < control_share < 1 or recipients + controls == 0:
        return np.nan
    from scipy.stats import chisquare

    n = recipients + controls
    return float(chisquare([recipients, controls], [n * (1 - control_share), n * control_share]).pvalue)


RESULT_COLUMNS = [
    "campaign_id", "name", "campaign", "channel", "start_date", "end_date", "recipients", "controls", "open_rate",
    "click_rate", "order_rate", "control_order_rate", "unsubscribe_rate", "revenue_per_recipient",
    "attributed_revenue", "lift", "lift_low", "lift_high", "revenue_lift", "revenue_low", "revenue_high",
    "raw_revenue_lift", "raw_revenue_low", "raw_revenue_high", "incremental_revenue", "incremental_low",
    "incremental_high", "control_share", "srm_p", "srm",
]  # fmt: skip


def no_results() -> pd.DataFrame:
    """A table of campaign results without a campaign."""
    return pd.DataFrame(columns=RESULT_COLUMNS)


@needs("events.campaign_id")
def evaluate(warehouse: Warehouse, campaigns: pd.DataFrame, attribution_days: int = 14, pre_period_days: int = 90,
             srm_p: float = 0.001, min_controls: int = 10, send_events: list[str] | tuple[str, ...] = ()
             ) -> pd.DataFrame:  # fmt: skip
    """Per campaign of `campaigns` (rows of the contract's table): the `RESULT_COLUMNS`. Its members are named by
    events, so without events naming a campaign it raises `MissingData`."""
    if campaigns.empty:
        return no_results()
    people = members(warehouse, campaigns["campaign_id"], attribution_days, pre_period_days, send_events)
    rows = []
    for c in campaigns.itertuples():
        m = people[people["campaign_id"] == c.campaign_id]
        t, k = m[m["treated"]], m[~m["treated"]]
        n_t, n_c = len(t), len(k)
        measurable = n_c >= min_controls
        conv = conversion_lift(int(t["bought"].sum()), n_t, int(k["bought"].sum()), n_c) if measurable else NONE
        cuped = revenue_lift(m["revenue"], m["treated"], m["pre_spend"]) if measurable else NONE
        raw = revenue_lift(m["revenue"], m["treated"]) if measurable else NONE
        share = float(c.control_share) if pd.notna(c.control_share) else 0.0
        p = sample_ratio_p(n_t, n_c, share)
        rate = lambda s: float(s.mean()) if len(s) else np.nan
        rows.append((
            c.campaign_id, c.name, c.type, c.channel, c.start_date, c.end_date, n_t, n_c,
            rate(t["opened"]) if c.channel in OPENED else np.nan, rate(t["clicked"]), rate(t["bought"]),
            rate(k["bought"]), rate(t["unsubscribed"]), rate(t["revenue"]), float(t["attributed"].sum()),
            conv.estimate, conv.low, conv.high, cuped.estimate, cuped.low, cuped.high, raw.estimate, raw.low, raw.high,
            cuped.estimate * n_t, cuped.low * n_t, cuped.high * n_t, share, p, bool(p < srm_p) if p == p else False,
        ))  # fmt: skip
    return pd.DataFrame(rows, columns=RESULT_COLUMNS)


def by_type(results: pd.DataFrame) -> pd.DataFrame:
    """The results summed per campaign type: campaigns, recipients, controls, order rates (recipient-weighted),
    incremental revenue with a normal 95% interval from the campaigns' own (independent experiments add up)."""
    if results.empty:
        return pd.DataFrame(columns=["campaign", "campaigns", "recipients", "controls", "order_rate",
                                     "control_order_rate", "incremental_revenue", "incremental_low",
                                     "incremental_high"])  # fmt: skip
    ok = results.assign(se=(results["incremental_high"] - results["incremental_low"]) / (2 * 1.959964))
    grouped = ok.groupby("campaign")
    out = pd.DataFrame(
        {
            "campaigns": grouped.size(),
            "recipients": grouped["recipients"].sum(),
            "controls": grouped["controls"].sum(),
            "order_rate": grouped.apply(lambda g: np.average(g["order_rate"], weights=g["recipients"])
                                        if g["recipients"].sum() else np.nan, include_groups=False),
            "control_order_rate": grouped.apply(lambda g: np.average(g["control_order_rate"].fillna(0),
                                                weights=g["controls"]) if g["controls"].sum() else np.nan,
                                                include_groups=False),
            "incremental_revenue": grouped["incremental_revenue"].sum(min_count=1),
            "se": grouped["se"].apply(lambda s: float(np.sqrt((s**2).sum())) if s.notna().any() else np.nan),
        }
    )  # fmt: skip
    out["incremental_low"] = out["incremental_revenue"] - 1.959964 * out["se"]
    out["incremental_high"] = out["incremental_revenue"] + 1.959964 * out["se"]
    return out.drop(columns="se").reset_index()


def ended_in(warehouse: Warehouse, start: pd.Timestamp, end: pd.Timestamp, attribution_days: int = 14) -> pd.DataFrame:
    """The campaigns whose window ended within [start, end): the ones a period can measure in full."""
    return warehouse.query(
        "SELECT * FROM campaigns WHERE coalesce(end_date::TIMESTAMP + INTERVAL 1 DAY, "
        "start_date::TIMESTAMP + to_days($days)) > $start AND coalesce(end_date::TIMESTAMP + INTERVAL 1 DAY, "
        "start_date::TIMESTAMP + to_days($days)) <= $end ORDER BY start_date, campaign_id",
        {"days": attribution_days, "start": start.to_pydatetime(), "end": end.to_pydatetime()},
    )
