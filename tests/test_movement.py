"""Segment movement: hand-made periods with known counts, and every customer accounted for on random ones."""

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmlib.segment import ENTERED, EXITED, SegmentRules, default_segment_rules, movement_summary, segment_movement

KEYS = default_segment_rules().keys


@pytest.fixture
def periods() -> tuple[pd.Series, pd.Series]:
    previous = pd.Series(
        {
            "a": "champions",
            "b": "champions",
            "c": "loyal",
            "d": "at_risk",
            "e": "lost",
            "f": "new",
            "g": "hibernating",
            "h": "cant_lose_them",
        }
    )
    current = pd.Series(
        {
            "a": "champions",
            "b": "loyal",
            "c": "champions",
            "d": "lost",
            "e": "lost",
            "f": "potential_loyalist",
            "g": "about_to_sleep",
            "x": "new",
            "y": "new",
        }
    )
    return previous, current  # h is missing now; x and y are new


def test_the_matrix_counts_each_move(periods):
    matrix = segment_movement(*periods)
    assert list(matrix.index) == KEYS + [ENTERED] and list(matrix.columns) == KEYS + [EXITED]
    moves = {(p, c): int(n) for (p, c), n in matrix.stack().items() if n}
    assert moves == {
        ("champions", "champions"): 1,
        ("champions", "loyal"): 1,
        ("loyal", "champions"): 1,
        ("at_risk", "lost"): 1,
        ("lost", "lost"): 1,
        ("new", "potential_loyalist"): 1,
        ("hibernating", "about_to_sleep"): 1,
        ("cant_lose_them", EXITED): 1,
        (ENTERED, "new"): 2,
    }


def test_row_sums_are_previous_counts_and_column_sums_current_counts(periods):
    previous, current = periods
    matrix = segment_movement(previous, current)
    rows, columns = matrix.sum(axis=1), matrix.sum(axis=0)
    assert rows.drop(ENTERED).to_dict() == previous.value_counts().reindex(KEYS, fill_value=0).to_dict()
    assert columns.drop(EXITED).to_dict() == current.value_counts().reindex(KEYS, fill_value=0).to_dict()
    assert rows[ENTERED] == 2 and columns[EXITED] == 1
    assert matrix.to_numpy().sum() == 10  # a..h, x, y


def test_the_summary_counts_stays_ups_and_downs(periods):
    summary = movement_summary(segment_movement(*periods))
    # up: loyal -> champions, new -> potential_loyalist, hibernating -> about_to_sleep
    # down: champions -> loyal, at_risk -> lost
    assert summary.to_dict() == {"stayed": 2, "moved_up": 3, "moved_down": 2, "entered": 2, "exited": 1}
    assert summary.sum() == 10


def test_the_order_of_the_rules_decides_up_and_down():
    rules = SegmentRules.model_validate(
        {
            "bins": 2,
            "rules": [
                {"key": "gold", "name": "Gold", "r": [2, 2], "fm": [1, 2]},
                {"key": "tin", "name": "Tin", "r": [1, 1], "fm": [1, 2]},
            ],
        }
    )
    previous, current = pd.Series({"a": "tin", "b": "gold"}), pd.Series({"a": "gold", "b": "gold"})
    matrix = segment_movement(previous, current, rules)
    assert list(matrix.columns) == ["gold", "tin", EXITED]
    assert movement_summary(matrix)[["stayed", "moved_up", "moved_down"]].tolist() == [1, 1, 0]
    reverse = segment_movement(previous, current, order=["tin", "gold"])
    assert movement_summary(reverse)[["moved_up", "moved_down"]].tolist() == [0, 1]


def test_a_customer_without_a_segment_counts_as_entered_or_exited():
    previous = pd.Series({"a": "lost", "b": None})
    current = pd.Series({"a": None, "b": "new"})
    summary = movement_summary(segment_movement(previous, current))
    assert (summary["entered"], summary["exited"], summary.sum()) == (1, 1, 2)


def test_empty_periods_give_an_empty_matrix():
    matrix = segment_movement(pd.Series(dtype=str), pd.Series(dtype=str))
    assert matrix.shape == (len(KEYS) + 1, len(KEYS) + 1) and matrix.to_numpy().sum() == 0
    assert movement_summary(matrix).sum() == 0


@pytest.mark.parametrize(
    "previous, current, message",
    [
        ({"a": "vip"}, {"a": "lost"}, "previous holds segment.*'vip'"),
        ({"a": "lost"}, {"a": "gold", "b": "silver"}, "current holds segment.*'gold', 'silver'"),
    ],
)
def test_unknown_segments_are_refused(previous, current, message):
    with pytest.raises(ValueError, match=message):
        segment_movement(pd.Series(previous), pd.Series(current))


def test_a_customer_listed_twice_is_refused():
    with pytest.raises(ValueError, match="twice.*'a'"):
        segment_movement(pd.Series(["lost", "new"], index=["a", "a"]), pd.Series({"a": "lost"}))


def test_reserved_keys_and_foreign_matrices_are_refused():
    with pytest.raises(ValueError, match="reserved"):
        segment_movement(pd.Series({"a": "x"}), pd.Series({"a": "x"}), order=["x", EXITED])
    with pytest.raises(ValueError, match="same segments"):
        movement_summary(pd.DataFrame([[1]], index=["a"], columns=["b"]))


@settings(max_examples=100, deadline=None)
@given(
    st.dictionaries(st.sampled_from("abcdefghijklmnop"), st.sampled_from(KEYS)),
    st.dictionaries(st.sampled_from("abcdefghijklmnop"), st.sampled_from(KEYS)),
)
def test_every_customer_is_accounted_for(previous, current):
    previous, current = pd.Series(previous, dtype=object), pd.Series(current, dtype=object)
    matrix = segment_movement(previous, current)
    assert matrix.to_numpy().sum() == len(set(previous.index) | set(current.index))
    assert matrix.sum(axis=1).drop(ENTERED).sum() == len(previous)
    assert matrix.sum(axis=0).drop(EXITED).sum() == len(current)
    for key in KEYS:
        assert matrix.loc[key].sum() == (previous == key).sum()
        assert matrix[key].sum() == (current == key).sum()
    summary = movement_summary(matrix)
    assert summary.sum() == matrix.to_numpy().sum()
    both = previous.index.intersection(current.index)
    assert summary["stayed"] == int((previous[both] == current[both]).sum())
    assert summary["entered"] == len(current.index.difference(previous.index))
