"""Predictions scored later, on a 6-month backfill (2025-01 … 2025-06) of the synthetic sample: each period's
analysis stores what it expects of its customers month by month, and scoring at 2025-06 puts every earlier
prediction beside what the raw transaction file says those customers did (counted here in pandas, apart from the
warehouse's SQL)."""

import numpy as np
import pandas as pd
import pytest

from crmlib.analyze import analysis
from crmlib.analyze.predictions import (
    COLUMNS,
    FORMATS,
    PREDICTION_TYPES,
    PREDICTIONS,
    SCORED_TYPES,
    accuracy,
    accuracy_line,
    scored,
    track_record,
)
from crmlib.collect import Warehouse, ingest_dir
from crmlib.collect.synthetic import write_sample
from crmlib.errors import MissingData
from crmlib.periods import Period, month_range
from crmlib.report.params import Params
from crmlib.units import DAYS_PER

PARAMS = Params()
PERIODS = month_range("2025-01", "2025-06")
END = PERIODS[-1]


@pytest.fixture(scope="module")
def backfill(tmp_path_factory):
    """A sample of 1,000 customers over 18 months, the analysis of each of the six months stored in turn (what
    `crm backfill` does for stage 3), the first period's analysis and the raw transactions."""
    folder = tmp_path_factory.mktemp("predictions")
    write_sample(folder / "raw", customers=1000, months=18, seed=7, end=str(END))
    warehouse = Warehouse(folder / "w.duckdb")
    ingest_dir(folder / "raw", warehouse)
    first = None
    for period in PERIODS:
        stage = analysis(warehouse, period, PARAMS.analysis)
        stage.store(warehouse, period)
        first = first or stage
    raw = pd.read_csv(folder / "raw" / "transactions.csv", dtype={"customer_id": str, "transaction_id": str})
    return warehouse, first, purchase_days(raw)


def purchase_days(lines: pd.DataFrame) -> pd.DataFrame:
    """The purchase-day rule in pandas, from the raw order lines: an order is its lines (first time, summed amount,
    a sale if any line is); a customer's calendar day counts when it holds a sale, its value net of the day's
    refunds. Guests' orders are no customer's. Columns customer_id, day, value."""
    lines = lines[lines["customer_id"].notna() & (lines["kind"] != "cancelled")].assign(
        ts=pd.to_datetime(lines["ts"]), sale=lines["kind"] == "sale"
    )
    orders = lines.groupby("transaction_id").agg(
        customer_id=("customer_id", "first"), ts=("ts", "min"), amount=("amount", "sum"), sale=("sale", "any")
    )
    orders["net"] = np.where(orders["sale"], orders["amount"], -orders["amount"].abs())
    days = orders.assign(day=orders["ts"].dt.normalize()).groupby(["customer_id", "day"])
    out = days.agg(value=("net", "sum"), sale=("sale", "any")).reset_index()
    return out[out["sale"]].drop(columns="sale")


def happened(days: pd.DataFrame, period: Period, months: int, churn_days: int) -> dict:
    """What the customers of `period` (a purchase day by its last day) did in the `months` after it, and the share
    of them without a purchase day in the `churn_days` after it."""
    customers = days.loc[days["day"] <= period.last_day, "customer_id"].unique()
    theirs = days[days["customer_id"].isin(customers)]
    window = theirs[(theirs["day"] >= period.end) & (theirs["day"] < period.end + pd.DateOffset(months=months))]
    churn = theirs[(theirs["day"] >= period.end) & (theirs["day"] < period.end + pd.Timedelta(days=churn_days))]
    return {
        "customers": set(customers),
        "purchases": float(len(window)),
        "revenue": float(window["value"].sum()),
        "no_purchase": 1 - churn["customer_id"].nunique() / len(customers),
    }


def test_each_period_stores_what_it_predicts_month_by_month(backfill):
    warehouse, first, _ = backfill
    stored = warehouse.read_result(PREDICTIONS, PERIODS[0])
    assert list(stored.columns) == list(PREDICTION_TYPES)
    customers, value = first.customers, first.value
    assert stored["months"].tolist() == list(range(1, 13))
    assert stored["window_end"].tolist() == [pd.Timestamp("2025-02-01") + pd.DateOffset(months=m) for m in range(1, 13)]
    assert stored["days"].iloc[0] == 28 and stored["days"].iloc[-1] == 365  # calendar months: February is short
    assert (stored["customers"] == len(customers)).all()
    assert stored["purchases"].is_monotonic_increasing and stored["revenue"].is_monotonic_increasing
    # each month by hand, customer by customer (the stage groups customers of one history together)
    for row in stored.itertuples():
        expected = value.purchases.expected_purchases(row.days / DAYS_PER[value.options.freq], customers)
        assert row.purchases == pytest.approx(expected.sum(), rel=1e-9)
        assert row.revenue == pytest.approx((expected * customers["expected_spend"]).sum(), rel=1e-9)
    # 12 calendar months (365 days) against the value horizon's 12 × 30.4375 days
    assert stored["purchases"].iloc[-1] == pytest.approx(customers["expected_purchases"].sum(), rel=1e-3)
    assert stored["no_purchase"].tolist() == pytest.approx([customers["churn_probability"].sum()] * 12, rel=1e-12)
    assert (stored["churn_days"] == PARAMS.analysis.churn.horizon_days).all()
    assert (stored["model"] == value.purchases.model).all()


def test_a_backfill_of_six_months_fills_what_we_predicted_with_the_right_numbers(backfill):
    warehouse, _, days = backfill
    table = scored(warehouse, END)
    assert list(table.columns) == list(SCORED_TYPES)
    assert table["period"].tolist() == [str(p) for p in PERIODS[:-1]]  # every earlier period, oldest first
    assert table["months"].tolist() == [5, 4, 3, 2, 1]  # the months that have passed by the end of June
    assert (table["window_end"] == END.end).all()
    for row in table.itertuples():
        period = Period.parse(row.period)
        assert row.window_start == period.end
        truth = happened(days, period, row.months, row.churn_days)
        value = warehouse.read_result("customer_value", period)
        assert set(value["customer_id"]) == truth["customers"]  # that period's customers, and no one since
        assert row.customers == len(truth["customers"])
        assert row.actual_purchases == truth["purchases"] > 0
        assert row.actual_revenue == pytest.approx(truth["revenue"], rel=1e-9)
        predicted = warehouse.read_result(PREDICTIONS, period).set_index("months").loc[row.months]
        assert row.predicted_purchases == predicted["purchases"]
        assert row.predicted_revenue == predicted["revenue"]
        assert row.purchases_error_pct == pytest.approx(100 * (predicted["purchases"] / truth["purchases"] - 1))
        assert row.revenue_error_pct == pytest.approx(100 * (predicted["revenue"] / truth["revenue"] - 1))
        if period.end + pd.Timedelta(days=row.churn_days) <= END.end:  # January to March: 90 days have passed
            share = predicted["no_purchase"] / row.customers
            assert row.predicted_no_purchase == pytest.approx(share)
            assert row.actual_no_purchase == pytest.approx(truth["no_purchase"])
            assert row.no_purchase_error == pytest.approx(share - truth["no_purchase"])
        else:
            assert np.isnan(row.predicted_no_purchase) and np.isnan(row.actual_no_purchase)
    assert table["actual_no_purchase"].notna().tolist() == [True, True, True, False, False]
    # the models know this world: purchases within 30%, the no-purchase share within 5 points
    assert (table["purchases_error_pct"].abs() < 30).all(), table
    assert (table["no_purchase_error"].dropna().abs() < 0.05).all(), table


def test_the_error_over_every_scored_period_in_one_line(backfill):
    warehouse, _, _ = backfill
    table = scored(warehouse, END)
    measured = accuracy(table)
    assert measured["periods"] == 5 and measured["churn_periods"] == 3
    assert measured["purchases_mape"] == pytest.approx(table["purchases_error_pct"].abs().mean())
    assert measured["revenue_bias"] == pytest.approx(table["revenue_error_pct"].mean())
    assert measured["no_purchase_mae"] == pytest.approx(table["no_purchase_error"].abs().mean())
    line = accuracy_line(table, "en")
    assert line.startswith("Over 5 earlier periods") and "over 3 periods" in line
    assert f"{round(measured['purchases_mape'], 1):g}%" in line
    assert accuracy_line(table, "id").startswith("Selama 5 periode")
    assert set(COLUMNS) <= set(table.columns)
    assert {c for cols in FORMATS.values() for c in cols} <= set(COLUMNS)


def test_a_period_scores_only_what_has_passed_by_its_end(backfill):
    """Scored at March (a rerun after the backfill): the predictions of April to June are still to come."""
    warehouse, _, days = backfill
    table = scored(warehouse, "2025-03")
    assert table["period"].tolist() == ["2025-01", "2025-02"] and table["months"].tolist() == [2, 1]
    assert table["actual_no_purchase"].isna().all()  # 90 days from February 1 reach into May
    january = happened(days, PERIODS[0], 2, 90)
    assert table["actual_purchases"].iloc[0] == january["purchases"]


def test_months_the_data_do_not_hold_are_not_scored(backfill):
    """Scored at September while the data end on June 30: the same as at June (nothing after June has passed)."""
    warehouse, _, _ = backfill
    pd.testing.assert_frame_equal(scored(warehouse, "2025-09"), scored(warehouse, END))


def test_a_first_period_has_nothing_to_score_and_says_why(backfill, tmp_path):
    warehouse, _, _ = backfill
    table = scored(warehouse, PERIODS[0])  # later periods' predictions are stored, but none before January
    assert table.empty and list(table.columns) == list(SCORED_TYPES)
    assert table.dtypes.astype(str).tolist() == [str(pd.Series(dtype=k).dtype) for k in SCORED_TYPES.values()]
    with pytest.raises(MissingData, match="No period before 2025-01 has stored predictions"):
        track_record(warehouse, PERIODS[0])
    fresh = Warehouse(tmp_path / "w.duckdb")  # no analysis has ever stored predictions
    assert scored(fresh, END).empty
    assert len(track_record(warehouse, END)) == 5
