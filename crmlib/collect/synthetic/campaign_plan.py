"""The campaign calendar: 2-4 campaigns a month (welcome, cart abandonment, win-back, birthday,
loyalty/VIP, cross-sell), their channels, windows, control shares and seasonal names."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from crmlib.collect.synthetic.calendar import Calendar, ramadan_starts
from crmlib.collect.synthetic.world import CAMPAIGN_TYPES, CAMPAIGNS, CONTROL_SHARES, DAY, HOUR, MONTHS_ID, SEND_HOUR


@dataclass
class CampaignPlan:
    """The campaign calendar (same for every chunk) and the sends counted over all chunks."""

    kind: list[str]
    channel: list[str]
    name: list[str]
    start_day: np.ndarray  # day index in the window
    end_day: np.ndarray  # inclusive
    control_share: np.ndarray
    sent: np.ndarray

    def __len__(self) -> int:
        return len(self.kind)

    def send_time(self, c: int) -> int:
        """When campaign c goes out, in seconds (its channel's usual hour on the first day)."""
        return int(self.start_day[c]) * DAY + SEND_HOUR[self.channel[c]] * HOUR

    def stop_time(self, c: int) -> int:
        """End of the campaign window (exclusive), in seconds."""
        return (int(self.end_day[c]) + 1) * DAY


def plan_campaigns(cal: Calendar, rng) -> CampaignPlan:
    """2-4 campaigns a month: always a welcome series, plus other types once there is an audience for them."""
    rows = []
    ramadan = ramadan_starts(cal.start, cal.start + pd.Timedelta(days=cal.days))
    for m in range(cal.months):
        month_start = cal.start + pd.DateOffset(months=m)
        offset = (month_start - cal.start).days
        allowed = [k for k in CAMPAIGN_TYPES[1:] if m >= CAMPAIGNS[k].first_month]
        extra = rng.choice(allowed, size=min(int(rng.integers(1, 4)), len(allowed)), replace=False)
        month_rows = []
        for kind in ["welcome", *map(str, extra)]:
            day = campaign_start_day(kind, month_start, rng)
            days = int(rng.integers(*CAMPAIGNS[kind].duration))
            channel = str(rng.choice(CAMPAIGNS[kind].channels))
            start = month_start + pd.Timedelta(days=day)
            month_rows.append(
                (
                    offset + day,
                    min(offset + day + days - 1, cal.days - 1),
                    kind,
                    channel,
                    float(rng.choice(CONTROL_SHARES)),
                    campaign_name(kind, start, ramadan),
                )
            )
        rows.extend(sorted(month_rows, key=lambda r: r[0]))
    start, end, kinds, channels, share, name = (list(col) for col in zip(*rows))
    return CampaignPlan(
        kind=kinds,
        channel=channels,
        name=name,
        start_day=np.array(start),
        end_day=np.array(end),
        control_share=np.array(share),
        sent=np.zeros(len(rows), dtype=np.int64),
    )


def campaign_start_day(kind: str, month_start: pd.Timestamp, rng) -> int:
    """Day of the month (0-based) a campaign starts: welcome on the 1st, Harbolnas offers on 10 December."""
    if kind == "welcome":
        return 0
    if month_start.month == 12 and kind in ("cross_sell", "loyalty_vip"):
        return 9
    return int(rng.integers(0, 20))


def campaign_name(kind: str, start: pd.Timestamp, ramadan: list[pd.Timestamp]) -> str:
    """A marketer's name for the campaign, tagged with the season it runs in.

    >>> campaign_name("birthday", pd.Timestamp("2024-12-10"), [])
    'Ulang Tahun Harbolnas 12.12 2024'
    """
    if start.month == 12 and 8 <= start.day <= 12:
        season = "Harbolnas 12.12"
    elif any(0 <= (start - r).days < 30 for r in ramadan):
        season = "Ramadan"
    else:
        season = MONTHS_ID[start.month - 1]
    return f"{CAMPAIGNS[kind].label} {season} {start.year}"
