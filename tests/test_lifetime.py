"""lifetime_value: validate on a holdout, fit the chosen model on all history, value every customer."""

import pandas as pd
import pytest

from crmlib.analyze import ModelError, lifetime_value
from crmlib.analyze.options import LifetimeValueOptions
from crmlib.collect import Warehouse, load_cdnow
from crmlib.collect.validate import QUARANTINE_COLUMNS


def warehouse_with(tmp_path, transactions: pd.DataFrame) -> Warehouse:
    warehouse = Warehouse(tmp_path / "w.duckdb")
    loads = pd.DataFrame(columns=["table_name", "source", "sha256", "rows", "loaded", "quarantined", "ignored_columns"])
    warehouse.replace_tables({"transactions": transactions}, pd.DataFrame(columns=QUARANTINE_COLUMNS), loads)
    return warehouse


@pytest.fixture(scope="module")
def cdnow(tmp_path_factory):
    return warehouse_with(tmp_path_factory.mktemp("cdnow"), load_cdnow())


def test_cdnow_chooses_by_holdout_error_and_values_every_customer(cdnow):
    options = LifetimeValueOptions(holdout_months=9, months=12)  # 1997-10..1998-06: the paper's 39-week holdout
    result = lifetime_value(cdnow, "1998-06", options)
    table = result.validation.table
    assert result.purchases.model == table["mae"].idxmin() == result.validation.chosen
    customers = result.customers()
    assert len(customers) == 2357 and customers.notna().all().all()
    assert (customers["lifetime_value"] >= 0).all() and customers["p_alive"].between(0, 1).all()
    # value is expected purchases over the horizon times expected spend, discounted: never more than undiscounted
    assert (customers["lifetime_value"] <= customers["expected_purchases"] * customers["expected_spend"] + 1e-9).all()
    assert customers["lifetime_value"].sum() > 0


def test_too_little_history_falls_back_to_the_first_model_and_says_why(tmp_path):
    tx = load_cdnow()
    early = tx[tx["ts"] < "1997-03-01"]  # two months of data and a six-month holdout
    result = lifetime_value(warehouse_with(tmp_path, early), "1997-02", LifetimeValueOptions(models=["pnbd", "bgnbd"]))
    assert result.validation is None
    assert result.purchases.model == "pnbd" and "No check on held-out months" in result.validation_note
    assert len(result.customers()) == early["customer_id"].nunique()


@pytest.mark.parametrize("period", ["2025-01", "2025-02", "2025-06"])
def test_a_short_history_still_gets_a_lifetime_value(sample_warehouse, period):
    """Months where plain maximum likelihood did not converge (found in review): a small penalty makes them fit."""
    warehouse = sample_warehouse(300, 6, 42, end="2025-06")
    customers = lifetime_value(warehouse, period).customers()
    assert len(customers) > 0 and customers["lifetime_value"].notna().all()
    assert customers["p_alive"].between(0, 1).all()


def test_the_spend_fallback_says_so(sample_warehouse):
    result = lifetime_value(sample_warehouse(150, 6, 42, end="2025-06"), "2025-01")  # too few repeat buyers
    assert "Gamma-Gamma did not fit" in result.spend_note
    assert result.customers()["expected_spend"].nunique() == 1


def test_every_month_of_a_first_year_fits_or_says_why(sample_warehouse):
    """A shop's first year, month by month: the models fit, or the page gets a reason a manager can act on."""
    warehouse = sample_warehouse(1500, 12, 8, end="2025-06")
    reasons = ("repeat purchase", "customers", "longer history", "calibration period")
    for month in pd.period_range("2024-08", "2025-06", freq="M"):
        try:
            result = lifetime_value(warehouse, str(month))
        except ModelError as err:
            assert any(r in str(err) for r in reasons), (month, str(err))
            assert "\n" not in str(err)
            continue
        customers = result.customers()
        assert customers[["p_alive", "expected_purchases", "lifetime_value"]].notna().all().all(), month
        assert result.churn is not None and result.churn.model in ("mbgnbd", "pnbd"), month
