"""Cohort retention: a three-cohort toy known by hand, random purchase histories, and the synthetic sample."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crmlib.analyze.cohorts import (
    average_retention,
    cohort_retention,
    cohort_sizes,
    cohort_table,
    retention_curves,
)
from crmlib.errors import ParamsError

# Cohorts January (A, B), February (C, D) and March (E) 2025, seen up to 31 March 2025.
# A buys in months 0, 1, 2; B in 0 and 2; C only in 0 (its March row is a refund); D in 0 and 1; E in 0.
# A's April sale and F (first sale in April) lie after the end.
TOY = """transaction_id,customer_id,ts,amount,kind
t1,A,2025-01-05 10:00,100,sale
t2,A,2025-02-10 10:00,100,sale
t3,A,2025-03-01 10:00,100,sale
t4,A,2025-04-05 10:00,100,sale
t5,B,2025-01-20 10:00,100,sale
t6,B,2025-03-15 10:00,100,sale
t7,C,2025-02-03 10:00,100,sale
t8,C,2025-03-04 10:00,-100,refund
t9,D,2025-02-28 10:00,100,sale
t10,D,2025-03-01 10:00,100,sale
t11,E,2025-03-31 23:59,100,sale
t12,F,2025-04-02 10:00,100,sale
"""


def customers_of(transactions: str) -> str:
    """A customers table holding everyone in the transactions, all signed up on 1 December 2024."""
    ids = sorted({line.split(",")[1] for line in transactions.splitlines()[1:]})
    return "customer_id,signup_date\n" + "".join(f"{c},2024-12-01\n" for c in ids)


@pytest.fixture(scope="module")
def toy(csv_warehouse):
    return csv_warehouse(customers=customers_of(TOY), transactions=TOY)


@pytest.fixture(scope="module")
def sample(sample_warehouse):
    return sample_warehouse(customers=600, months=18, seed=11)


def test_toy_retention_matrix(toy):
    matrix = cohort_retention(toy, "2025-03-31")
    expected = pd.DataFrame(
        [[1.0, 0.5, 1.0], [1.0, 0.5, np.nan], [1.0, np.nan, np.nan]],
        index=pd.to_datetime(["2025-01-01", "2025-02-01", "2025-03-01"]),
        columns=[0, 1, 2],
    )
    pd.testing.assert_frame_equal(matrix, expected, check_names=False, check_index_type=False)
    assert matrix.columns.name == "months_since_first_purchase"


def test_a_period_as_end_means_its_last_day(toy):
    pd.testing.assert_frame_equal(cohort_retention(toy, "2025-03"), cohort_retention(toy, "2025-03-31 08:00"))


def test_toy_sizes_curves_and_weighted_average(toy):
    sizes = cohort_sizes(toy, "2025-03-31")
    assert sizes.tolist() == [2, 2, 1]
    matrix = cohort_retention(toy, "2025-03-31")
    curves = retention_curves(matrix)
    assert list(curves.columns) == ["cohort", "month", "retention"]
    assert len(curves) == 6  # the three future cells are left out
    assert average_retention(matrix, sizes).tolist() == [1.0, 0.5, 1.0]


def test_an_end_in_april_adds_a_cohort_and_a_column(toy):
    matrix = cohort_retention(toy, "2025-04-30")
    assert matrix.shape == (4, 4)
    assert matrix.loc["2025-01-01", 3] == 0.5  # A bought in April, B did not
    assert matrix.loc["2025-02-01", 2] == 0.0  # observed and nobody bought: 0, not NaN


def test_quarters(toy):
    table = cohort_table(toy, "2025-03-31", freq="Q")
    assert table[["age", "size", "active"]].values.tolist() == [[0, 5, 5]]
    assert cohort_retention(toy, "2025-06-30", freq="Q").loc["2025-01-01", 1] == pytest.approx(1 / 5)


def test_bad_freq_is_a_params_error(toy):
    with pytest.raises(ParamsError, match="freq"):
        cohort_retention(toy, "2025-03-31", freq="D")


histories = st.lists(st.tuples(st.sampled_from("PQRSTU"), st.integers(0, 400), st.booleans()), min_size=1, max_size=25)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories, st.integers(30, 420))
def test_random_histories_keep_the_retention_rules(csv_warehouse, rows, end_offset):
    start = pd.Timestamp("2024-01-01 12:00")
    lines = [
        f"t{i},{c},{start + pd.Timedelta(days=d)},{100 if sale else -100},{'sale' if sale else 'refund'}"
        for i, (c, d, sale) in enumerate(rows)
    ]
    end = start.normalize() + pd.Timedelta(days=end_offset)
    transactions = "transaction_id,customer_id,ts,amount,kind\n" + "\n".join(lines) + "\n"
    warehouse = csv_warehouse(customers=customers_of(transactions), transactions=transactions)
    matrix = cohort_retention(warehouse, end)
    sizes = cohort_sizes(warehouse, end)
    buyers = {c for c, d, sale in rows if sale and start + pd.Timedelta(days=d) < end + pd.Timedelta(days=1)}
    assert sizes.sum() == len(buyers)
    if matrix.empty:
        return
    assert (matrix[0] == 1.0).all()
    values = matrix.stack().dropna()
    assert ((values >= 0) & (values <= 1)).all()
    last = end.to_period("M")
    for cohort, row in matrix.iterrows():
        future = [cohort.to_period("M") + int(k) > last for k in matrix.columns]
        assert row.isna().tolist() == future


def test_sample_month_zero_is_one_and_retention_a_share(sample):
    matrix = cohort_retention(sample, "2025-06")
    assert len(matrix) == 18
    assert (matrix[0] == 1.0).all()
    values = matrix.stack().dropna()
    assert values.between(0, 1).all()
    assert matrix.iloc[-1, 1:].isna().all() and matrix.iloc[0].notna().all()
    average = average_retention(matrix, cohort_sizes(sample, "2025-06"))
    assert average[0] == 1.0 and average[1:].between(0, 1).all()
