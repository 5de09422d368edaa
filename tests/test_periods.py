"""Periods: months by default, quarters and years parse; the latest complete month of the data."""

import pandas as pd
import pytest

from crmlib.errors import ParamsError
from crmlib.periods import Period, latest_complete_month, month_range


@pytest.mark.parametrize(
    "text, start, end",
    [
        ("2025-06", "2025-06-01", "2025-07-01"),
        ("2025-12", "2025-12-01", "2026-01-01"),
        ("2025-Q4", "2025-10-01", "2026-01-01"),
        ("2024", "2024-01-01", "2025-01-01"),
    ],
)
def test_parse_bounds_and_round_trip(text, start, end):
    period = Period.parse(text)
    assert (period.start, period.end) == (pd.Timestamp(start), pd.Timestamp(end))
    assert str(period) == text


def test_previous_crosses_years():
    assert str(Period.parse("2025-01").previous()) == "2024-12"
    assert str(Period.parse("2025-Q1").previous()) == "2024-Q4"


@pytest.mark.parametrize("bad", ["2025-13", "2025-6", "June", "2025-Q5", ""])
def test_bad_periods_say_how_to_write_one(bad):
    with pytest.raises(ParamsError, match="YYYY-MM"):
        Period.parse(bad)


def test_month_range():
    assert [str(p) for p in month_range("2024-11", "2025-02")] == ["2024-11", "2024-12", "2025-01", "2025-02"]
    with pytest.raises(ParamsError, match="empty"):
        month_range("2025-02", "2025-01")


@pytest.mark.parametrize(
    "last, expected",
    [
        ("2025-06-30 23:59", "2025-06"),  # data reaches the month's last day: complete
        ("2025-06-30 00:00", "2025-06"),
        ("2025-06-29 12:00", "2025-05"),  # the month is not over yet in the data
        ("2025-07-01 00:00", "2025-06"),
    ],
)
def test_latest_complete_month(last, expected):
    assert str(latest_complete_month(pd.Timestamp(last))) == expected
