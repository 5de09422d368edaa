"""Units of time the models and the reports share.

Model time is continuous, in days or in weeks (days / 7) as in the BG/NBD papers; a month is 365.25 / 12 days.

>>> DAYS_PER["W"], round(DAYS_PER_MONTH / DAYS_PER["W"], 3)
(7, 4.348)
"""

DAYS_PER = {"D": 1, "W": 7}
"""Days in one unit of model time: "D" (days) or "W" (weeks)."""

DAYS_PER_MONTH = 30.4375
"""365.25 / 12: twelve months make a year."""
