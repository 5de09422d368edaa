"""How a customer responds to a campaign message: the world's one definition of campaign uplift.

A treated customer buys (once more) inside the window with `response_chance`: the campaign type's uplift, times
the channel's, times how engaged the customer is ((engagement / 0.8) ** RESPONSE_POWER), halved for a customer who
has dropped out, doubled when they clicked (0.8 when they did not). A put-off customer does not respond; instead
PUT_OFF_DROP of their own purchases in the window do not happen. The truth file carries what this needs, so the
tests can tell an audience's true incremental purchases (`expected_incremental_purchases`).

>>> round(float(response_chance("win_back", "email", np.array([0.8]), np.array([True]), np.array([False]))[0]), 3)
0.096
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from crmlib.collect.synthetic.world import (
    CAMPAIGNS,
    CHANNEL_UPLIFT,
    CLICK_RATE,
    DEAD_UPLIFT,
    OPEN_RATE,
    PUT_OFF_DROP,
    RESPONSE_POWER,
)

CLICKED, NOT_CLICKED = 2.0, 0.8


def responsiveness(engagement) -> np.ndarray:
    return (np.asarray(engagement, dtype=float) / 0.8) ** RESPONSE_POWER


def response_chance(kind: str, channel: str, engagement, alive, clicked) -> np.ndarray:
    """The chance that a treated customer makes one purchase the campaign causes, inside its window."""
    base = CAMPAIGNS[kind].uplift * CHANNEL_UPLIFT[channel] * responsiveness(engagement)
    base = base * np.where(alive, 1.0, DEAD_UPLIFT)
    return np.minimum(base * np.where(clicked, CLICKED, NOT_CLICKED), 0.95)


def click_chance(channel: str, engagement) -> np.ndarray:
    """The chance that a treated customer clicks the message (opening first where the channel has opens)."""
    opened = OPEN_RATE[channel] * np.asarray(engagement, dtype=float) if OPEN_RATE[channel] else 1.0
    return np.minimum(opened, 1.0) * CLICK_RATE[channel]


def expected_incremental_purchases(kind: str, channel: str, engagement, alive, put_off, own_purchases) -> np.ndarray:
    """A contact's true effect on purchases in the window: the response averaged over clicking, or, for a put-off
    customer, minus the purchases they skip (`own_purchases`: those they would make in the window anyway)."""
    clicks = click_chance(channel, engagement)
    gain = clicks * response_chance(kind, channel, engagement, alive, True) + (1 - clicks) * response_chance(
        kind, channel, engagement, alive, False
    )
    return np.where(put_off, -PUT_OFF_DROP * np.asarray(own_purchases, dtype=float), gain)


def read_truth(folder):
    """The truth a sample wrote into `folder` (`crm sample --truth`): truth.csv indexed by customer_id, with
    `dropped_out_at` as dates, and activity.csv (None in a folder written before it existed)."""
    import pandas as pd

    from crmlib.collect.synthetic.tables import ACTIVITY

    folder = Path(folder)
    truth = pd.read_csv(folder / "truth.csv", parse_dates=["dropped_out_at"]).set_index("customer_id")
    return truth, pd.read_csv(folder / ACTIVITY) if (folder / ACTIVITY).is_file() else None


def operational_days(activity, start, end) -> np.ndarray:
    """Operational days from `start` to each of `end` (timestamps): the truth's `activity` (date, activity per
    day) summed over the stretch, fractions of days included; calendar days without it."""
    import pandas as pd

    start, end = pd.Timestamp(start), pd.to_datetime(pd.Series(end))
    if activity is None:
        return ((end - start).dt.total_seconds() / 86400).clip(lower=0).to_numpy()
    days = pd.to_datetime(activity["date"])
    cumulative = np.concatenate([[0.0], np.cumsum(activity["activity"].to_numpy(dtype=float))])
    grid = np.concatenate([(days - days.iloc[0]).dt.days.to_numpy(dtype=float), [len(days)]])

    def at(when):
        return np.interp((pd.to_datetime(when) - days.iloc[0]) / pd.Timedelta(days=1), grid, cumulative)

    return np.maximum(at(end) - at(pd.Series([start] * len(end))), 0.0)


def _contacted(truth, members, start, days: float, activity=None):
    """The truth's rows of `members`, whether each was alive at `start`, and their own expected purchases in the
    window: their rate over the operational days they are alive in it (one who drops out halfway buys half as
    long; a busy week gives more), none for one who never buys."""
    import pandas as pd

    known = truth.reindex(members["customer_id"])
    gone, start = known["dropped_out_at"], pd.Timestamp(start)
    alive = (gone.isna() | (gone > start)).to_numpy()
    stop = gone.where(gone.notna() & (gone < start + pd.Timedelta(days=days)), start + pd.Timedelta(days=days))
    stop = stop.where(alive, start)
    buys = known["buyer"].fillna(False).to_numpy(dtype=bool) if "buyer" in known else True  # some never buy at all
    return known, alive, known["purchase_rate_per_day"].to_numpy() * operational_days(activity, start, stop) * buys


def _by_campaign(members, known, alive, own, effect) -> np.ndarray:
    out = np.zeros(len(members))
    for (kind, channel), rows in members.groupby(["campaign", "channel"]).indices.items():
        out[rows] = effect(kind, channel, known["engagement"].to_numpy()[rows], alive[rows],
                           known["put_off"].to_numpy()[rows], own[rows])  # fmt: skip
    return out


def true_incremental_revenue(truth, members, start, days: float, activity=None) -> np.ndarray:
    """What contacting each of `members` (customer_id, campaign, channel) at `start` truly brings over a window of
    `days`: the expected incremental purchases times the customer's expected order value, from the truth file
    (a DataFrame indexed by customer_id, `dropped_out_at` parsed as dates) and its `activity` (activity.csv; without
    it every day counts the same)."""
    known, alive, own = _contacted(truth, members, start, days, activity)
    gain = _by_campaign(members, known, alive, own, expected_incremental_purchases)
    value = known["expected_order_value"].to_numpy()
    if "expected_cross_sell_value" in known:  # a cross-sell campaign's purchases are never in the home category
        caused = (members["campaign"].to_numpy() == "cross_sell") & (gain > 0)
        value = np.where(caused, known["expected_cross_sell_value"].to_numpy(), value)
    return gain * value


def incremental_conversion(kind: str, channel: str, engagement, alive, put_off, own_purchases) -> np.ndarray:
    """A contact's true effect on the chance of buying at all in the window, own purchases taken as Poisson: a
    responder converts unless they would not have bought and do not respond; a put-off customer keeps only
    1 − PUT_OFF_DROP of their own purchases."""
    own = np.asarray(own_purchases, dtype=float)
    clicks = click_chance(channel, engagement)
    respond = clicks * response_chance(kind, channel, engagement, alive, True) + (1 - clicks) * response_chance(
        kind, channel, engagement, alive, False
    )
    return np.where(put_off, np.exp(-own) - np.exp(-own * (1 - PUT_OFF_DROP)), respond * np.exp(-own))


def true_incremental_conversion(truth, members, start, days: float, activity=None) -> np.ndarray:
    """What contacting each of `members` truly adds to their chance of placing an order in the window (see
    `true_incremental_revenue` for the arguments)."""
    known, alive, own = _contacted(truth, members, start, days, activity)
    return _by_campaign(members, known, alive, own, incremental_conversion)
