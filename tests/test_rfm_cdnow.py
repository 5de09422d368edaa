"""rfm_summary on the real CDNOW sample equals the published per-customer summary shipped with lifetimes."""

from importlib.resources import files

import pandas as pd
import pytest

from crmlib.collect import Warehouse, load_cdnow
from crmlib.segment.summary import rfm_summary

CALIBRATION_END = "1997-09-30"  # 39 weeks, as in Fader, Hardie & Lee (2005)


@pytest.fixture(scope="module")
def published() -> pd.DataFrame:
    path = files("lifetimes") / "datasets" / "cdnow_customers_summary_with_transactions.csv"
    frame = pd.read_csv(path, dtype={"ID": str}).set_index("ID")
    return frame.rename(columns={"x": "frequency", "t_x": "recency", "zbar": "monetary_value"})


def check_equal(summary: pd.DataFrame, published: pd.DataFrame) -> None:
    assert sorted(summary.index) == sorted(published.index)  # 2,357 customers, no more, no fewer
    summary = summary.loc[published.index]
    assert (summary["frequency"] == published["frequency"]).all()
    for column in ("recency", "T", "monetary_value"):  # published to 2 decimals
        assert (summary[column] - published[column]).abs().max() <= 0.005 + 1e-9, column


def test_weekly_summary_equals_the_published_one(published):
    check_equal(rfm_summary(load_cdnow(), end=CALIBRATION_END, freq="W"), published)


def test_the_same_summary_from_the_warehouse_table(published, tmp_path):
    warehouse = Warehouse(tmp_path / "w.duckdb")
    warehouse.replace_tables(
        {"transactions": load_cdnow()},
        pd.DataFrame(columns=["table_name", "source", "row_number", "column_name", "check_name", "reason", "record"]),
        pd.DataFrame(columns=["table_name", "source", "sha256", "rows", "loaded", "quarantined", "ignored_columns"]),
    )
    check_equal(rfm_summary(warehouse, end=CALIBRATION_END, freq="W"), published)


def test_days_are_weeks_times_seven():
    days = rfm_summary(load_cdnow(), end=CALIBRATION_END, freq="D")
    weeks = rfm_summary(load_cdnow(), end=CALIBRATION_END, freq="W")
    pd.testing.assert_series_equal(days["T"] / 7, weeks["T"])
    assert days["T"].max() == 272  # 1997-01-01 to 1997-09-30
