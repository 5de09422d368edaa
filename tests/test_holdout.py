"""Calibration/holdout split and model validation, on the real CDNOW sample and on hand-made transactions.

CDNOW: calibration 1997-01-01..1997-09-30 (39 weeks), holdout 1997-10-01..1998-06-30 (39 weeks).
"""

import numpy as np
import pandas as pd
import pytest

from crmlib.analyze import MODELS, ModelError, calibration_holdout, fit_purchases, holdout_purchase_days, validate
from crmlib.collect import Warehouse, load_cdnow
from crmlib.segment.summary import rfm_summary

CALIBRATION_END, HOLDOUT_END = "1997-09-30", "1998-06-30"


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    return load_cdnow()


@pytest.fixture(scope="module")
def validation(cdnow):
    return validate(cdnow, CALIBRATION_END, HOLDOUT_END, freq="W")


def test_split_on_cdnow(cdnow):
    split = calibration_holdout(cdnow, CALIBRATION_END, HOLDOUT_END, freq="W")
    pd.testing.assert_frame_equal(
        split[["frequency", "recency", "T", "monetary_value"]], rfm_summary(cdnow, end=CALIBRATION_END, freq="W")
    )
    assert (split["duration_holdout"] == 39).all()
    # Independent count: distinct (customer, calendar day) pairs among the holdout transactions.
    holdout = cdnow[(cdnow["ts"] > CALIBRATION_END) & (cdnow["ts"] < "1998-07-01")]
    expected = holdout.groupby("customer_id")["ts"].nunique().reindex(split.index, fill_value=0)
    assert (split["frequency_holdout"] == expected).all()
    assert split["frequency_holdout"].sum() == 1882  # 1,959 transactions on 1,882 purchase days


def test_split_in_days_and_from_the_warehouse(cdnow, tmp_path):
    warehouse = Warehouse(tmp_path / "w.duckdb")
    warehouse.replace_tables(
        {"transactions": cdnow},
        pd.DataFrame(columns=["table_name", "source", "row_number", "column_name", "check_name", "reason", "record"]),
        pd.DataFrame(columns=["table_name", "source", "sha256", "rows", "loaded", "quarantined", "ignored_columns"]),
    )
    days = calibration_holdout(warehouse, CALIBRATION_END, HOLDOUT_END, freq="D")
    weeks = calibration_holdout(cdnow, CALIBRATION_END, HOLDOUT_END, freq="W")
    assert (days["duration_holdout"] == 273).all()
    pd.testing.assert_series_equal(days["frequency_holdout"], weeks["frequency_holdout"])
    pd.testing.assert_series_equal(days["T"] / 7, weeks["T"])


def test_holdout_follows_the_summary_day_rule():
    ts = pd.to_datetime(
        [
            "2025-01-05 10:00",
            "2025-01-31 23:59",  # calibration, up to the end of its last day
            "2025-02-01 09:00",
            "2025-02-01 17:00",  # two sales on one day: one purchase day
            "2025-02-03 10:00",
            "2025-02-03 12:00",  # a sale and a smaller refund on one day: one
            "2025-02-05 10:00",  # a refund-only day: none
            "2025-02-28 23:00",  # the holdout's last day: counted
            "2025-03-01 10:00",  # after the holdout: ignored
            "2025-02-10 10:00",
        ]
    )  # a customer new in the holdout: not followed
    transactions = pd.DataFrame(
        {
            "customer_id": ["a", "b", "a", "a", "b", "b", "a", "b", "a", "new"],
            "ts": ts,
            "amount": [10.0, 5, 20, 30, 40, -15, -10, 8, 9, 50],
            "kind": ["sale", "sale", "sale", "sale", "sale", "refund", "refund", "sale", "sale", "sale"],
        }
    )
    split = calibration_holdout(transactions, "2025-01-31", "2025-02-28", freq="D")
    assert split.index.tolist() == ["a", "b"]
    assert split["frequency_holdout"].tolist() == [1.0, 2.0]
    assert split["duration_holdout"].tolist() == [28.0, 28.0]
    days = holdout_purchase_days(transactions, "2025-01-31", "2025-02-28")
    assert sorted(zip(days["customer_id"], days["day"].dt.strftime("%m-%d"))) == [
        ("a", "02-01"),
        ("b", "02-03"),
        ("b", "02-28"),
        ("new", "02-10"),
    ]
    # Periods name their last day, and zoned times count in their own zone's calendar days.
    pd.testing.assert_frame_equal(calibration_holdout(transactions, "2025-01", "2025-02", freq="D"), split)
    zoned = transactions.assign(ts=transactions["ts"].dt.tz_localize("Asia/Jakarta"))
    pd.testing.assert_frame_equal(calibration_holdout(zoned, "2025-01-31", "2025-02-28", freq="D"), split)


def test_validation_table_and_choice(validation):
    table = validation.table
    assert table.index.tolist() == list(MODELS)
    assert (table["actual_total"] == 1882).all()
    best = table.sort_values(["mae", "rmse"]).index[0]
    assert validation.chosen == best
    for name, check in validation.checks.items():
        errors = check.predicted - validation.cal_holdout["frequency_holdout"]
        assert check.mae == pytest.approx(errors.abs().mean())
        assert check.rmse == pytest.approx(np.sqrt((errors**2).mean()))
        assert check.predicted_total == pytest.approx(check.predicted.sum())
        assert check.model.log_likelihood == pytest.approx(fit_purchases(validation.cal_holdout, name).log_likelihood)


def test_bgnbd_holdout_forecast_on_cdnow(validation):
    """The BG/NBD's conditional forecast of the holdout, summed over customers, against the 1,882 actual.

    The model under-forecasts this holdout: 1,653 predicted (-12%), as the published conditional-expectation plots
    show for CDNOW (customers with no calibration repeat buy more than predicted). The paper's aggregate curve,
    counted from each customer's first purchase, is within 5% at week 78 (test_lifetime_value).
    """
    check = validation.checks["bgnbd"]
    assert check.actual_total == 1882
    assert check.predicted_total == pytest.approx(1653.4, abs=0.5)
    assert 0.85 < check.predicted_total / check.actual_total < 0.95


def test_tracking_curves_end_at_the_totals(validation):
    for check in validation.checks.values():
        tracking = check.tracking
        assert tracking.index.tolist() == list(range(1, 40))
        assert tracking["date"].iloc[-1] == pd.Timestamp(HOLDOUT_END)
        assert tracking["actual"].iloc[-1] == check.actual_total
        assert tracking["predicted"].iloc[-1] == pytest.approx(check.predicted_total)
        assert tracking["actual"].is_monotonic_increasing and tracking["predicted"].is_monotonic_increasing
    assert validation.tracking.columns.tolist() == ["date", "actual", *MODELS]


def test_actual_tracking_counts_purchase_days_by_week(validation, cdnow):
    holdout = cdnow[(cdnow["ts"] > CALIBRATION_END) & (cdnow["ts"] < "1998-07-01")]
    week = ((holdout["ts"] - pd.Timestamp(CALIBRATION_END)).dt.days + 6) // 7  # days 1..7 are week 1
    weekly = holdout.assign(week=week).drop_duplicates(["customer_id", "ts"]).groupby("week").size()
    expected = weekly.reindex(range(1, 40), fill_value=0).cumsum()
    assert validation.checks["pnbd"].tracking["actual"].tolist() == expected.astype(float).tolist()


def test_daily_validation_agrees_with_weekly(cdnow, validation):
    daily = validate(cdnow, CALIBRATION_END, HOLDOUT_END, freq="D", models=("bgnbd",))
    check = daily.checks["bgnbd"]
    assert len(check.tracking) == 273
    assert check.actual_total == 1882
    assert check.predicted_total == pytest.approx(validation.checks["bgnbd"].predicted_total, rel=1e-3)
    assert check.tracking["actual"].iloc[6::7].tolist() == validation.checks["bgnbd"].tracking["actual"].tolist()


def test_validation_rejects_bad_arguments(cdnow):
    with pytest.raises(ModelError, match="must come after calibration_end"):
        calibration_holdout(cdnow, HOLDOUT_END, CALIBRATION_END)
    with pytest.raises(ModelError, match="at least one model"):
        validate(cdnow, CALIBRATION_END, HOLDOUT_END, models=())
    with pytest.raises(ValueError, match="unknown purchase model 'nbd'"):
        validate(cdnow, CALIBRATION_END, HOLDOUT_END, models=("bgnbd", "nbd"))


def common_lifetime_transactions(seed: int, n: int = 1500) -> pd.DataFrame:
    """18 months of a shop whose customers all leave at one rate (exponential lifetimes of mean 60 weeks) and buy at
    rates of their own: Pareto/NBD's s may stop at a huge value, a fit with no spread of lifetimes."""
    rng = np.random.default_rng(seed)
    start, rows = pd.Timestamp("2024-01-01"), []
    for customer in range(n):
        t, rate = rng.uniform(0, 280), rng.gamma(2, 1 / 4) / 7
        end = min(t + rng.exponential(420), 546)
        while t < end:
            rows.append((str(customer), start + pd.Timedelta(days=float(t)), 10.0))
            t += rng.exponential(1 / rate)
    return pd.DataFrame(rows, columns=["customer_id", "ts", "amount"])


def test_a_fit_that_ran_off_is_checked_but_set_aside_with_its_reason():
    validation = validate(common_lifetime_transactions(3), "2024-12-31", "2025-06-30", models=("bgnbd", "pnbd"))
    assert set(validation.checks) == {"bgnbd", "pnbd"} and validation.failed == {}
    assert validation.checks["pnbd"].model.runs_off == ("s",)
    assert "ran off (s = " in validation.set_aside["pnbd"]
    assert validation.chosen == "bgnbd"


def test_when_no_model_can_be_fitted_the_reason_is_one_line():
    """Everyone buys every other week to the day and nobody leaves: no spread of purchase rates to estimate."""
    days = pd.date_range("2024-01-01", "2025-06-30", freq="14D")
    transactions = pd.DataFrame(
        [(str(c), day + pd.Timedelta(days=c % 14), 10.0) for c in range(300) for day in days],
        columns=["customer_id", "ts", "amount"],
    )
    with pytest.raises(ModelError, match="cannot be estimated on these 300 customers") as raised:
        validate(transactions, "2024-12-31", "2025-06-30", models=("bgnbd", "pnbd"))
    assert "\n" not in str(raised.value)
