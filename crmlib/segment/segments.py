"""Named RFM segments: rules over the grid of R and FM scores, one segment per cell, and their summary.

The rules are parameters (the `segments:` section of params/default.yaml): each names a rectangle of the
grid by its R range and FM range, and together they must cover every cell exactly once, so every customer
lands in exactly one segment. The rules' order ranks the segments by value, the most valuable first.

The default grid (R rows, FM columns), the widely used RFM map with its low corner split into Hibernating and
Lost (see `SegmentRules.grid()`):

    R \\ FM   1               2                   3                   4          5
    5        new             potential_loyalist  potential_loyalist  champions  champions
    4        promising       potential_loyalist  potential_loyalist  loyal      loyal
    3        about_to_sleep  about_to_sleep      need_attention      loyal      loyal
    2        hibernating     hibernating         at_risk             at_risk    cant_lose_them
    1        lost            lost                at_risk             at_risk    cant_lose_them

>>> rules = default_segment_rules()
>>> scores = pd.DataFrame({"r": [5, 1, 3], "fm": [5, 1, 3]}, index=["a", "b", "c"])
>>> assign_segments(scores, rules).tolist()
['champions', 'lost', 'need_attention']
>>> segment_name("cant_lose_them", "id"), segment_name("champions", "en")
('Jangan sampai hilang', 'Champions')
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from crmlib import catalogue
from crmlib.catalogue import t

# key, English name, R range, FM range; in order of value, the most valuable first.
STANDARD_GRID: tuple[tuple[str, str, tuple[int, int], tuple[int, int]], ...] = (
    ("champions", "Champions", (5, 5), (4, 5)),
    ("loyal", "Loyal", (3, 4), (4, 5)),
    ("potential_loyalist", "Potential loyalist", (4, 5), (2, 3)),
    ("new", "New", (5, 5), (1, 1)),
    ("promising", "Promising", (4, 4), (1, 1)),
    ("need_attention", "Need attention", (3, 3), (3, 3)),
    ("about_to_sleep", "About to sleep", (3, 3), (1, 2)),
    ("at_risk", "At risk", (1, 2), (3, 4)),
    ("cant_lose_them", "Can't lose them", (1, 2), (5, 5)),
    ("hibernating", "Hibernating", (2, 2), (1, 2)),
    ("lost", "Lost", (1, 1), (1, 2)),
)


def _single_score_as_range(value):
    """`r: 5` in the parameters means the range [5, 5]."""
    return [value, value] if isinstance(value, int) and not isinstance(value, bool) else value


ScoreRange = Annotated[list[int], BeforeValidator(_single_score_as_range), Field(min_length=2, max_length=2)]


class SegmentRule(BaseModel):
    """One segment: the cells with r in [r[0], r[1]] and fm in [fm[0], fm[1]] (both ends included)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    key: str = Field(description="snake_case id, e.g. champions")
    name: str = Field(min_length=1, description="display name, e.g. Champions")
    r: ScoreRange
    fm: ScoreRange

    @field_validator("key")
    @classmethod
    def _snake_case(cls, value: str) -> str:
        if not re.fullmatch(r"[a-z][a-z0-9_]*", value):
            hint = re.sub(r"[^a-z0-9]+", "_", value.lower()).strip("_") or "my_segment"
            raise ValueError(t("error.segment.key", key=repr(value), hint=repr(hint)))
        return value

    @field_validator("r", "fm")
    @classmethod
    def _low_to_high(cls, value: list[int], info) -> list[int]:
        if value[0] > value[1]:
            raise ValueError(t("error.segment.backwards", axis=info.field_name, low=str(value[0]), high=str(value[1])))
        return value

    def cells(self) -> list[tuple[int, int]]:
        """The (r, fm) cells of the rule."""
        return [(r, fm) for r in range(self.r[0], self.r[1] + 1) for fm in range(self.fm[0], self.fm[1] + 1)]


def _standard_rules() -> list[SegmentRule]:
    return [SegmentRule(key=k, name=n, r=list(r), fm=list(fm)) for k, n, r, fm in STANDARD_GRID]


class SegmentRules(BaseModel):
    """The segment rules: the score grid's size, which score the `fm` ranges read, and the rules in value order.

    Checked when made: every rule lies inside 1..bins, keys are unique, and the rules cover each (r, fm) cell
    of the grid exactly once; otherwise a ValueError (pydantic's ValidationError) names the cells.
    """

    model_config = ConfigDict(extra="forbid", strict=True)

    bins: int = Field(5, ge=2, le=10, description="scores run 1..bins")
    fm_score: Literal["fm", "f"] = Field(
        "fm", description="what the rules' fm ranges read: fm (mean of F and M) or f (frequency alone)"
    )
    rules: list[SegmentRule] = Field(default_factory=_standard_rules, min_length=1)

    @model_validator(mode="after")
    def _tile_the_grid(self) -> SegmentRules:
        if "rules" not in self.model_fields_set and self.bins != 5:
            raise ValueError(t("error.segment.default_bins", bins=str(self.bins)))
        seen: set[str] = set()
        for rule in self.rules:
            if rule.key in seen:
                raise ValueError(t("error.segment.twice", key=repr(rule.key)))
            seen.add(rule.key)
            for axis in ("r", "fm"):
                low, high = getattr(rule, axis)
                if low < 1 or high > self.bins:
                    raise ValueError(
                        t(
                            "error.segment.outside",
                            key=repr(rule.key),
                            axis=axis,
                            low=str(low),
                            high=str(high),
                            bins=str(self.bins),
                        )
                    )
        owners: dict[tuple[int, int], list[str]] = {cell: [] for cell in _grid_cells(self.bins)}
        for rule in self.rules:
            for cell in rule.cells():
                owners[cell].append(rule.key)
        problems = []
        uncovered = [cell for cell, keys in owners.items() if not keys]
        if uncovered:
            problems.append(t("error.segment.uncovered", n=len(uncovered), cells=_cells_text(uncovered)))
        doubled = {cell: keys for cell, keys in owners.items() if len(keys) > 1}
        if doubled:
            problems.append(
                t(
                    "error.segment.doubled",
                    n=len(doubled),
                    cells=_cells_text(list(doubled), lambda cell: f" ({' & '.join(doubled[cell])})"),
                )
            )
        if problems:
            raise ValueError(t("error.segment.tiling", problems="; ".join(problems)))
        return self

    @property
    def keys(self) -> list[str]:
        """Segment keys in value order, the most valuable first."""
        return [rule.key for rule in self.rules]

    def rule(self, key: str) -> SegmentRule:
        """The rule of one segment (KeyError naming the known keys if none)."""
        for rule in self.rules:
            if rule.key == key:
                return rule
        raise KeyError(f"no segment {key!r}; the segments are {', '.join(self.keys)}")

    def grid(self) -> pd.DataFrame:
        """The segment key of every cell: rows r from bins down to 1, columns fm 1..bins."""
        table = pd.DataFrame(
            "",
            index=pd.Index(range(self.bins, 0, -1), name="r"),
            columns=pd.Index(range(1, self.bins + 1), name=self.fm_score),
            dtype=object,
        )
        for rule in self.rules:
            for r, fm in rule.cells():
                table.loc[r, fm] = rule.key
        return table


def _grid_cells(bins: int) -> list[tuple[int, int]]:
    return [(r, fm) for r in range(1, bins + 1) for fm in range(1, bins + 1)]


def _cells_text(cells: list[tuple[int, int]], suffix=lambda cell: "", show: int = 12) -> str:
    text = ", ".join(f"(r={r}, fm={fm}){suffix((r, fm))}" for r, fm in cells[:show])
    return text + (f" (+{len(cells) - show})" if len(cells) > show else "")


def default_segment_rules() -> SegmentRules:
    """The standard 11 segments on a 5 x 5 grid of R and FM scores (see the module's table)."""
    return SegmentRules()


def assign_segments(scores: pd.DataFrame, rules: SegmentRules | None = None) -> pd.Series:
    """The segment key of each customer, from its `r` score and its `fm` (or `f`) score.

    `scores` is `rfm_scores(summary, bins=rules.bins)`; a score outside 1..bins is a ValueError (the scores were
    made with another number of bins).
    """
    rules = rules or default_segment_rules()
    axis = rules.fm_score
    missing = [c for c in ("r", axis) if c not in scores]
    if missing:
        raise ValueError(f"scores lack column(s) {', '.join(missing)}: pass the result of rfm_scores")
    for column in ("r", axis):
        outside = ~scores[column].between(1, rules.bins)
        if outside.any():
            raise ValueError(
                f"{int(outside.sum())} {column} score(s) lie outside 1..{rules.bins} (e.g. "
                f"{scores[column][outside].iloc[0]!r} for {scores.index[outside][0]!r}): make the "
                f"scores with rfm_scores(summary, bins={rules.bins})"
            )
    lookup = np.empty((rules.bins, rules.bins), dtype=object)
    for rule in rules.rules:
        lookup[rule.r[0] - 1 : rule.r[1], rule.fm[0] - 1 : rule.fm[1]] = rule.key
    keys = lookup[scores["r"].to_numpy(dtype="int64") - 1, scores[axis].to_numpy(dtype="int64") - 1]
    return pd.Series(keys, index=scores.index, name="segment", dtype="str")


def segment_summary(
    scores: pd.DataFrame, segments: pd.Series, value: pd.Series | None = None, rules: SegmentRules | None = None
) -> pd.DataFrame:
    """Per segment, in value order (all segments, empty ones too): customers, share of customers, the mean
    recency_days, purchase_days and monetary, and with `value` (per customer, e.g. net revenue or CLV) its sum
    `value` and `value_share` of the total.

    >>> scores = pd.DataFrame({"recency_days": [1.0, 3.0, 90.0], "purchase_days": [8, 6, 1],
    ...                        "monetary": [5.0, 7.0, 2.0], "r": [5, 5, 1], "fm": [5, 4, 1]}, index=["a", "b", "c"])
    >>> table = segment_summary(scores, assign_segments(scores), value=pd.Series({"a": 40.0, "b": 42.0, "c": 2.0}))
    >>> table.loc[["champions", "lost", "loyal"], ["customers", "share", "purchase_days", "value_share"]]
    ... # doctest: +NORMALIZE_WHITESPACE
               customers     share  purchase_days  value_share
    segment
    champions          2  0.666667        7.0     0.97619
    lost               1  0.333333        1.0     0.02381
    loyal              0  0.000000        NaN     0.00000
    """
    rules = rules or default_segment_rules()
    unknown = sorted(set(segments.dropna()) - set(rules.keys))
    if unknown:
        raise ValueError(
            f"segments {', '.join(map(repr, unknown))} are not in the rules ({', '.join(rules.keys)}); "
            "pass the rules the segments were assigned with"
        )
    segments = segments.reindex(scores.index)
    groups = scores.groupby(segments)
    table = pd.DataFrame(index=pd.Index(rules.keys, name="segment"))
    table["customers"] = segments.value_counts().reindex(table.index, fill_value=0).astype("int64")
    table["share"] = table["customers"] / max(len(segments), 1)
    for column in ("recency_days", "purchase_days", "monetary"):
        if column in scores:
            table[column] = groups[column].mean().reindex(table.index).astype(float)
    if value is not None:
        table["value"] = value.reindex(scores.index).groupby(segments).sum().reindex(table.index, fill_value=0.0)
        total = table["value"].sum()
        table["value_share"] = table["value"] / total if total else np.nan
    return table


def segment_name(key: str, language: str = "id", rules: SegmentRules | None = None) -> str:
    """A segment's display name: the rule's own name when a business renamed it, else the standard name in
    `language` (from the catalogue), else the key."""
    standard = _standard_text(key, "name", language)
    if rules is not None and key in rules.keys:
        own = rules.rule(key).name
        if standard is None or own != dict((k, n) for k, n, *_ in STANDARD_GRID).get(key):
            return own  # a business's own name for the segment wins
    return standard or key


def segment_action(key: str, language: str = "id") -> str | None:
    """The recommended action for a standard segment in `language` (None for a segment of one's own)."""
    return _standard_text(key, "action", language)


def _standard_text(key: str, kind: str, language: str) -> str | None:
    catalogue.check_language(language)
    message = f"segment.{key}.{kind}"
    return t(message, language) if catalogue.known(message) else None
