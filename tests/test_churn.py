"""Churn risk tiers: the cut-offs, their validation, and properties over random churn probabilities (of no purchase
in the horizon)."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from crmlib.analyze.churn import TIERS, ChurnOptions, churn_summary, churn_tiers
from crmlib.errors import ParamsError


def test_cut_offs_are_strictly_above():
    risk = pd.Series([1.0, 0.6601, 0.66, 0.3301, 0.33, 0.0], index=list("abcdef"))
    tiers = churn_tiers(risk)
    assert tiers.tolist() == ["high", "high", "medium", "medium", "low", "low"]
    assert tiers.name == "churn_risk" and tiers.index.equals(risk.index)
    assert tiers.cat.ordered and list(tiers.cat.categories) == list(TIERS)


def test_other_thresholds():
    tiers = churn_tiers(pd.Series([0.6, 0.3, 0.1]), thresholds=[0.2, 0.5])
    assert tiers.tolist() == ["high", "medium", "low"]


@pytest.mark.parametrize("thresholds", [(0.7, 0.3), (0.3, 0.3), (0.0, 0.5), (0.3, 1.0), (0.3,), ("a", 0.5)])
def test_bad_thresholds_are_params_errors(thresholds):
    with pytest.raises(ParamsError, match="churn thresholds"):
        churn_tiers(pd.Series([0.5]), thresholds=thresholds)


def test_options_as_read_from_a_parameters_file():
    assert ChurnOptions.model_validate({"thresholds": [0.25, 0.75]}).thresholds == (0.25, 0.75)
    assert ChurnOptions().thresholds == (0.33, 0.66) and ChurnOptions().horizon_days == 90
    for bad in ({"threshold": [0.2, 0.5]}, {"thresholds": ["0.2", 0.5]}, {"thresholds": [0.8, 0.5]}):
        with pytest.raises(ValidationError):
            ChurnOptions.model_validate(bad)


@pytest.mark.parametrize("value", [np.nan, 1.2, -0.1])
def test_risk_must_be_a_probability(value):
    with pytest.raises(ValueError, match="risk must be a probability"):
        churn_tiers(pd.Series([0.5, value]))


def test_summary_with_value_at_risk():
    tiers = churn_tiers(pd.Series({"a": 0.9, "b": 0.8, "c": 0.1}))
    summary = churn_summary(tiers, value=pd.Series({"a": 10.0, "b": 30.0, "c": 60.0, "z": 1e9}))
    assert summary["customers"].to_dict() == {"high": 2, "medium": 0, "low": 1}
    assert summary["value"].to_dict() == {"high": 40.0, "medium": 0.0, "low": 60.0}
    assert summary["value_share"].to_dict() == pytest.approx({"high": 0.4, "medium": 0.0, "low": 0.6})
    with pytest.raises(ValueError, match="value is missing for 1"):
        churn_summary(tiers, value=pd.Series({"a": 1.0, "b": 1.0}))


def test_summary_of_no_customers():
    summary = churn_summary(churn_tiers(pd.Series([], dtype=float)))
    assert summary["customers"].tolist() == [0, 0, 0] and (summary["share"] == 0).all()


probabilities = st.lists(st.floats(0, 1), max_size=60)
cut_offs = st.tuples(st.floats(0.01, 0.98), st.floats(0.01, 0.98)).filter(lambda t: t[0] < t[1])


@given(probabilities, cut_offs)
def test_tiers_partition_the_customers(values, thresholds):
    risk = pd.Series(values, index=[f"c{i}" for i in range(len(values))], dtype=float)
    tiers = churn_tiers(risk, thresholds)
    assert tiers.notna().all() and len(tiers) == len(risk)
    low, high = thresholds
    assert ((tiers == "high") == (risk > high)).all()
    assert ((tiers == "low") == (risk <= low)).all()
    value = pd.Series(np.arange(len(values), dtype=float), index=risk.index)
    summary = churn_summary(tiers, value)
    assert summary["customers"].sum() == len(values)
    assert summary["value"].sum() == pytest.approx(value.sum())
