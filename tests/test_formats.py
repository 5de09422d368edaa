"""Labels from the message catalogue, and money, number, percent and month formats from Babel."""

from __future__ import annotations

import math

import pytest

from crmlib import catalogue
from crmlib.formats import (
    format_money,
    format_money_short,
    format_number,
    format_percent,
    label,
    month_name,
    stage_title,
)
from crmlib.periods import Period


@pytest.mark.parametrize(
    "amount, currency, language, expected",
    [
        (1234567, "IDR", "id", "Rp1.234.567"),
        (1234567, "IDR", "en", "IDR 1,234,567"),
        (1234567.6, "IDR", "id", "Rp1.234.568"),
        (-2500, "IDR", "id", "-Rp2.500"),
        (1234.5, "USD", "en", "$1,234.50"),
        (1234.5, "USD", "id", "US$1.234,50"),
        (1234.5, "SGD", "en", "SGD 1,234.50"),
        (0, "IDR", "en", "IDR 0"),
        (None, "IDR", "id", "–"),
        (math.nan, "USD", "en", "–"),
    ],
)
def test_format_money(amount, currency, language, expected):
    assert format_money(amount, currency, language) == expected


@pytest.mark.parametrize(
    "amount, language, expected",
    [
        (2_460_000_000, "id", "Rp2,5 M"),
        (250_000_000, "id", "Rp250 jt"),
        (2_460_000_000, "en", "IDR 2.5B"),
        (-250_000, "en", "-IDR 250K"),
        (900, "id", "Rp900"),
        (None, "id", "–"),
    ],
)
def test_compact_money_for_tiles_and_axes(amount, language, expected):
    assert format_money_short(amount, "IDR", language) == expected


@pytest.mark.parametrize(
    "fraction, language, decimals, expected",
    [
        (0.125, "id", 1, "12,5%"),
        (0.125, "en", 1, "12.5%"),
        (1.5, "id", 0, "150%"),
        (-0.031, "en", 1, "-3.1%"),
        (None, "en", 1, "–"),
    ],
)
def test_format_percent(fraction, language, decimals, expected):
    assert format_percent(fraction, language, decimals) == expected


def test_format_number():
    assert format_number(1234567.891, "id", 2) == "1.234.567,89"
    assert format_number(1234567.891, "en", 2) == "1,234,567.89"
    assert format_number(-0.2, "id") == "0"
    assert format_number(1234567.891, "en", 1, locale="de_DE") == "1.234.567,9"  # a locale of one's own


def test_month_names():
    assert month_name("2025-06", "id") == "Juni 2025"
    assert month_name(Period.parse("2025-06"), "en") == "June 2025"
    assert month_name("2024-02", "id") == "Februari 2024"
    assert month_name("2025-Q1", "en") == "Quarter 1 2025"


def test_labels_exist_in_every_language():
    for key in [
        "stage.data_collection",
        "stage.segmentation",
        "stage.analysis",
        "kind.profile",
        "kind.transactional",
        "kind.engagement",
        "kind.feedback",
        "customers",
        "transactions",
        "loaded",
        "quarantined",
        "reason",
        "period",
    ]:
        assert all(label(key, lang) for lang in catalogue.LANGUAGES)
    assert label("period", "id") == "Periode"
    assert label("stage.analysis", "en") == "Customer Analysis"


def test_unknown_key_and_language_fail_clearly():
    with pytest.raises(KeyError, match="no label 'custmers': did you mean 'customers'"):
        label("custmers", "id")
    with pytest.raises(ValueError, match="language 'fr' has no catalogue; there are en, id"):
        label("customers", "fr")
    with pytest.raises(ValueError, match="language 'de'"):
        format_money(1, language="de")
    with pytest.raises(KeyError, match="no message 'nope'"):
        catalogue.t("nope", "en")


def test_stage_titles_from_notebook_names():
    assert stage_title("01_data_collection", "id") == "Pengumpulan Data"
    assert stage_title("03_analysis.ipynb", "en") == "Customer Analysis"
    assert stage_title("07_churn_deep_dive", "id") == "Churn deep dive"
