"""rfm_summary on hand-made transactions whose summary is known, and properties on random transactions."""

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmlib.collect import Warehouse
from crmlib.segment import rfm_summary

END = "2025-01-31"


def tx(*rows, kind=True) -> pd.DataFrame:
    """Transactions from (customer_id, ts, amount[, kind]) rows; kind=False leaves out the kind column."""
    frame = pd.DataFrame(
        [r if len(r) == 4 else (*r, None) for r in rows], columns=["customer_id", "ts", "amount", "kind"]
    )
    frame["ts"] = pd.to_datetime(frame["ts"], format="ISO8601")
    frame["amount"] = frame["amount"].astype(float)
    return frame if kind else frame.drop(columns="kind")


def row(summary: pd.DataFrame, customer: str) -> dict:
    return summary.loc[customer].to_dict()


def test_purchases_on_one_day_are_one_transaction_and_add_up():
    s = rfm_summary(
        tx(
            ("a", "2025-01-01 09:00", 10),
            ("a", "2025-01-11 08:00", 20),
            ("a", "2025-01-11 21:30", 5),
            ("a", "2025-01-11 23:59", 1),
        ),
        end=END,
    )
    assert row(s, "a") == {"frequency": 1.0, "recency": 10.0, "T": 30.0, "monetary_value": 26.0}


def test_a_refund_on_a_purchase_day_is_netted_into_that_day():
    s = rfm_summary(
        tx(
            ("a", "2025-01-01 09:00", 10, "sale"),
            ("a", "2025-01-05 10:00", 50, "sale"),
            ("a", "2025-01-05 17:00", -15, "refund"),
            ("a", "2025-01-09 10:00", 30, "sale"),
        ),
        end=END,
    )
    assert row(s, "a") == {"frequency": 2.0, "recency": 8.0, "T": 30.0, "monetary_value": (35 + 30) / 2}


def test_a_refund_on_the_first_day_is_netted_too_and_does_not_touch_monetary_value():
    s = rfm_summary(
        tx(
            ("a", "2025-01-01 09:00", 40, "sale"),
            ("a", "2025-01-01 12:00", -40, "refund"),
            ("a", "2025-01-03 10:00", 7, "sale"),
        ),
        end=END,
    )
    assert row(s, "a") == {"frequency": 1.0, "recency": 2.0, "T": 30.0, "monetary_value": 7.0}


def test_a_refund_only_day_is_no_purchase():
    s = rfm_summary(
        tx(
            ("a", "2025-01-01 09:00", 10, "sale"),
            ("a", "2025-01-20 10:00", -10, "refund"),
            ("b", "2025-01-10 10:00", -5, "refund"),
        ),
        end=END,
    )
    assert row(s, "a") == {"frequency": 0.0, "recency": 0.0, "T": 30.0, "monetary_value": 0.0}
    assert "b" not in s.index  # refunds only: not a customer of the summary


def test_single_purchase_customers_have_zero_frequency_recency_and_monetary_value():
    s = rfm_summary(
        tx(("a", "2025-01-21 15:00", 99), ("b", "2025-01-01 00:00", 5), ("b", "2025-01-01 23:00", 6)), end=END
    )
    assert row(s, "a") == {"frequency": 0.0, "recency": 0.0, "T": 10.0, "monetary_value": 0.0}
    assert row(s, "b") == {"frequency": 0.0, "recency": 0.0, "T": 30.0, "monetary_value": 0.0}


def test_a_purchase_on_end_counts_and_one_the_day_after_does_not():
    s = rfm_summary(
        tx(
            ("a", "2025-01-01 10:00", 10),
            ("a", "2025-01-31 23:59:59", 20),
            ("a", "2025-02-01 00:00", 40),
            ("b", "2025-02-01 00:00:01", 5),
            ("c", "2025-01-31 00:00", 3),
        ),
        end=END,
    )
    assert row(s, "a") == {"frequency": 1.0, "recency": 30.0, "T": 30.0, "monetary_value": 20.0}
    assert row(s, "c") == {"frequency": 0.0, "recency": 0.0, "T": 0.0, "monetary_value": 0.0}
    assert "b" not in s.index


def test_t_counts_to_the_end_day_whatever_its_time_of_day():
    data = tx(("a", "2025-01-01 10:00", 10))
    assert rfm_summary(data, end="2025-01-31 18:45")["T"]["a"] == rfm_summary(data, end=END)["T"]["a"] == 30.0
    assert rfm_summary(data, end=pd.Timestamp("2025-03-01"))["T"]["a"] == 59.0


def test_start_ignores_earlier_purchases_and_customers_are_born_after_it():
    data = tx(
        ("a", "2024-12-20 10:00", 100),
        ("a", "2025-01-05 10:00", 10),
        ("a", "2025-01-15 10:00", 20),
        ("b", "2024-12-31 23:59", 7),
    )
    s = rfm_summary(data, end=END, start="2025-01-01")
    assert row(s, "a") == {"frequency": 1.0, "recency": 10.0, "T": 26.0, "monetary_value": 20.0}
    assert "b" not in s.index
    assert row(rfm_summary(data, end=END), "a")["frequency"] == 2.0


def test_weeks_are_days_divided_by_seven():
    data = tx(("a", "2025-01-01 10:00", 10), ("a", "2025-01-11 10:00", 20), ("b", "2025-01-30 10:00", 3))
    days, weeks = rfm_summary(data, end=END), rfm_summary(data, end=END, freq="W")
    pd.testing.assert_frame_equal(weeks[["recency", "T"]], days[["recency", "T"]] / 7)
    pd.testing.assert_frame_equal(weeks[["frequency", "monetary_value"]], days[["frequency", "monetary_value"]])
    assert weeks.loc["a", "recency"] == pytest.approx(10 / 7)


def test_an_unknown_freq_is_refused():
    with pytest.raises(ValueError, match="freq"):
        rfm_summary(tx(("a", "2025-01-01", 1)), end=END, freq="M")


def test_without_a_kind_column_negative_amounts_are_refunds():
    data = tx(
        ("a", "2025-01-01 10:00", 10),
        ("a", "2025-01-03 10:00", 30),
        ("a", "2025-01-03 11:00", -5),
        ("a", "2025-01-06 10:00", -4),
        ("b", "2025-01-02 10:00", -8),
        kind=False,
    )
    assert "kind" not in data
    s = rfm_summary(data, end=END)
    assert row(s, "a") == {"frequency": 1.0, "recency": 2.0, "T": 30.0, "monetary_value": 25.0}
    assert list(s.index) == ["a"]


def test_a_missing_kind_falls_back_to_the_sign_of_the_amount():
    s = rfm_summary(
        tx(
            ("a", "2025-01-01 10:00", 10, None),
            ("a", "2025-01-04 10:00", -3, None),
            ("a", "2025-01-06 10:00", 6, "sale"),
        ),
        end=END,
    )
    assert row(s, "a") == {"frequency": 1.0, "recency": 5.0, "T": 30.0, "monetary_value": 6.0}


def test_customer_ids_stay_strings():
    s = rfm_summary(
        tx(
            ("007", "2025-01-01 10:00", 1),
            ("7", "2025-01-02 10:00", 1),
            ("1e3", "2025-01-02 10:00", 1),
            ("00", "2025-01-03 10:00", 1),
        ),
        end=END,
    )
    assert sorted(s.index) == ["00", "007", "1e3", "7"]
    assert all(isinstance(c, str) for c in s.index)
    assert s.index.name == "customer_id"


def test_an_empty_input_gives_an_empty_summary():
    s = rfm_summary(tx(("a", "2025-03-01", 1)), end=END)
    assert s.empty and list(s.columns) == ["frequency", "recency", "T", "monetary_value"]


def test_the_warehouse_gives_the_same_summary_as_the_frame(tmp_path):
    data = tx(
        ("007", "2025-01-01 09:00", 10, "sale"),
        ("007", "2025-01-01 19:00", 5, "sale"),
        ("007", "2025-01-09 12:00", 30, "sale"),
        ("007", "2025-01-09 13:00", -10, "refund"),
        ("b", "2025-01-05 10:00", 7, "sale"),
        ("b", "2025-01-07 10:00", -7, "refund"),
        ("c", "2025-02-01 10:00", 3, "sale"),
    )
    data.insert(0, "transaction_id", [f"T{i}" for i in range(len(data))])
    warehouse = Warehouse(tmp_path / "w.duckdb")
    for column in ("quantity", "category", "product_id", "channel", "campaign_id"):
        data[column] = None
    warehouse.replace_tables(
        {"transactions": data},
        pd.DataFrame(columns=["table_name", "source", "row_number", "column_name", "check_name", "reason", "record"]),
        pd.DataFrame(columns=["table_name", "source", "sha256", "rows", "loaded", "quarantined", "ignored_columns"]),
    )
    pd.testing.assert_frame_equal(rfm_summary(warehouse, end=END), rfm_summary(data, end=END))
    assert row(rfm_summary(warehouse, end=END), "007") == {
        "frequency": 1.0,
        "recency": 8.0,
        "T": 30.0,
        "monetary_value": 20.0,
    }


def test_time_zone_aware_timestamps_keep_their_local_days():
    local = tx(("a", "2025-01-01 10:00", 10), ("a", "2025-01-03 00:30", 20))
    aware = local.assign(ts=local["ts"].dt.tz_localize("Pacific/Kiritimati"))  # UTC+14: no server's own zone
    pd.testing.assert_frame_equal(rfm_summary(aware, end=END), rfm_summary(local, end=END))


def test_a_refund_given_as_a_positive_amount_is_subtracted():
    s = rfm_summary(
        tx(("a", "2025-01-01", 10), ("a", "2025-01-05 09:00", 50), ("a", "2025-01-05 10:00", 20, "refund")), end=END
    )
    assert row(s, "a")["monetary_value"] == 30.0


def test_start_counts_from_the_beginning_of_its_day():
    s = rfm_summary(tx(("a", "2025-01-03 08:00", 10), ("a", "2025-01-09", 5)), end=END, start="2025-01-03 12:00")
    assert row(s, "a") == {"frequency": 1.0, "recency": 6.0, "T": 28.0, "monetary_value": 5.0}


def test_a_period_as_end_means_its_last_day():
    s = rfm_summary(tx(("a", "2025-01-01", 10), ("a", "2025-01-31 23:00", 5)), end="2025-01")
    assert row(s, "a") == {"frequency": 1.0, "recency": 30.0, "T": 30.0, "monetary_value": 5.0}


# Properties on random transactions.

DAY0 = pd.Timestamp("2025-01-01")
rows = st.lists(
    st.tuples(
        st.sampled_from(["a", "b", "007", "7", "z9"]),  # customer
        st.integers(0, 40),  # day
        st.integers(0, 86_399),  # second of the day
        st.integers(1, 500),  # size of the amount
        st.sampled_from(["sale", "refund", None]),  # kind (None: by the amount's sign)
        st.booleans(),  # for kind None: a negative amount
    ),
    max_size=40,
)


def random_transactions(draw_rows) -> pd.DataFrame:
    records = []
    for customer, day, second, size, kind, negative in draw_rows:
        sign = -1 if kind == "refund" or (kind is None and negative) else 1
        records.append((customer, DAY0 + pd.Timedelta(days=day, seconds=second), float(sign * size), kind))
    return pd.DataFrame(records, columns=["customer_id", "ts", "amount", "kind"]).astype(
        {"ts": "datetime64[us]", "amount": float}
    )


@settings(max_examples=100, deadline=None)
@given(rows, st.integers(0, 45), st.sampled_from(["D", "W"]))
def test_random_transactions_keep_the_summary_s_invariants(draw_rows, end_day, freq):
    data = random_transactions(draw_rows)
    end = DAY0 + pd.Timedelta(days=end_day)
    s = rfm_summary(data, end=end, freq=freq)
    within = data[data["ts"] < end + pd.Timedelta(days=1)].assign(day=lambda f: f["ts"].dt.normalize())
    is_sale = within["amount"] >= 0  # every sale is positive and every refund negative here
    purchase_days = within[is_sale].groupby("customer_id")["day"].nunique()
    assert sorted(s.index) == sorted(purchase_days.index)  # those with a sale on or before end
    assert (s["frequency"] == purchase_days.reindex(s.index) - 1).all()
    assert (s["recency"] >= 0).all() and (s["recency"] <= s["T"] + 1e-12).all()
    per = 7 if freq == "W" else 1
    first = within[is_sale].groupby("customer_id")["day"].min().reindex(s.index)
    assert ((s["T"] * per).round(9) == (end.normalize() - first).dt.days).all()
    day_values = within.groupby(["customer_id", "day"])["amount"].sum()
    for customer in s.index:
        days = sorted(within[is_sale & (within["customer_id"] == customer)]["day"].unique())
        repeat = [day_values[(customer, d)] for d in days[1:]]
        assert s.loc[customer, "monetary_value"] == pytest.approx(sum(repeat) / len(repeat) if repeat else 0.0)
