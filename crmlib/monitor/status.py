"""A KPI against its target: the level it asks for this period and whether the value is on track.

>>> target_level(Target(change=0.1, against="last_year"), previous=90.0, last_year=100.0)
110.00000000000001
>>> status(104.0, 110.0, "up", at_risk=0.05), status(106.0, 110.0, "up", 0.05), status(0.04, 0.05, "down", 0.05)
('off_track', 'at_risk', 'on_track')
"""

from __future__ import annotations

import math

from crmlib.monitor.options import Target

STATUSES = ("on_track", "at_risk", "off_track")


def target_level(target: Target | None, previous: float, last_year: float) -> float:
    """The level `target` asks for: its value, or its base (previous period or last year) times 1 + change; NaN
    without a target or without the base it is measured against."""
    if target is None:
        return math.nan
    if target.value is not None:
        return target.value
    base = previous if target.against == "previous" else last_year
    return base * (1 + (target.change or 0.0)) if base == base else math.nan


def status(value: float, level: float, better: str, at_risk: float) -> str | None:
    """on_track when `value` reaches `level` in the better direction, at_risk when it misses by at most `at_risk`
    of the level, else off_track; None without a value or a level."""
    if value != value or level != level:
        return None
    gap = (value - level) if better == "up" else (level - value)
    if gap >= 0:
        return "on_track"
    return "at_risk" if -gap <= at_risk * abs(level) else "off_track"


def change(value: float, base: float) -> float:
    """The relative change from `base` to `value` (NaN when base is missing or 0)."""
    return (value - base) / abs(base) if base == base and base != 0 and value == value else math.nan
