"""Words and formats: labels from the message catalogue, and money, numbers, percents and month names from Babel,
in a language's locale (or a `locale` of one's own). Pages, the console and errors all format through here.

>>> label("customers", "en"), label("stage.segmentation", "id")
('Customers', 'Segmentasi Pelanggan')
>>> format_money(1234567), format_money(1234567, language="en"), format_money(1234.5, "USD", "en")
('Rp1.234.567', 'IDR 1,234,567', '$1,234.50')
>>> format_money_short(2_460_000_000), format_money_short(250_000, language="en")
('Rp2,5 M', 'IDR 250K')
>>> format_percent(0.125), format_percent(0.125, language="en"), month_name("2025-06", "id")
('12,5%', '12.5%', 'Juni 2025')
"""

from __future__ import annotations

import difflib
import re

import pandas as pd
from babel.dates import format_date, format_time
from babel.numbers import format_compact_currency, format_currency, format_decimal
from babel.numbers import format_percent as _percent

from crmlib import catalogue
from crmlib.periods import Period


def label(key: str, language: str = "id") -> str:
    """The text for `key` in `language`; a KeyError naming close matches for an unknown key."""
    catalogue.check_language(language)
    if key not in catalogue.message_ids(language):
        close = difflib.get_close_matches(key, catalogue.message_ids(language), n=3)
        hint = f"did you mean {', '.join(map(repr, close))}? " if close else ""
        raise KeyError(f"no label {key!r}: {hint}add it to every catalogue in crmlib/locale") from None
    return catalogue.t(key, language)


def stage_title(notebook_name: str, language: str = "id") -> str:
    """The readable title of a stage page from its notebook name; unknown stages get a tidied name.

    >>> stage_title("02_segmentation", "en"), stage_title("07_churn_deep_dive.ipynb", "en")
    ('Customer Segmentation', 'Churn deep dive')
    """
    stem = re.sub(r"^\d+_", "", notebook_name.removesuffix(".ipynb"))
    key = "stage." + stem
    return label(key, language) if catalogue.known(key) else stem.replace("_", " ").capitalize()


def _missing(x) -> bool:
    """True for None, NaN, NaT and pd.NA."""
    try:
        return bool(pd.isna(x))
    except (TypeError, ValueError):
        return False


def _locale(language: str, locale: str | None):
    catalogue.check_language(language)
    return locale or catalogue.locale(language)


MISSING = "–"


def format_number(x, language: str = "id", decimals: int = 0, locale: str | None = None) -> str:
    """A number in the language's way: 1.234.567,5 (id) or 1,234,567.5 (en); "–" when missing.

    >>> format_number(1234567.49), format_number(-0.4), format_number(1234.5, "en", decimals=1)
    ('1.234.567', '0', '1,234.5')
    """
    if _missing(x):
        return MISSING
    value = round(float(x), decimals) + 0.0  # -0.4 shows as 0, not -0
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(value, format=pattern, locale=_locale(language, locale))


def format_money(amount, currency: str = "IDR", language: str = "id", locale: str | None = None) -> str:
    """An amount in a currency, as the locale writes it: "Rp1.234.567" (IDR in id), "IDR 1,234,567" (en); whole
    Rupiah, cents for currencies that have them."""
    if _missing(amount):
        return MISSING
    return _spaced(format_currency(float(amount), currency, locale=_locale(language, locale)), currency)


def format_money_short(amount, currency: str = "IDR", language: str = "id", locale: str | None = None) -> str:
    """A compact amount for tiles and chart axes: "Rp2,5 M" (miliar), "Rp250 rb" in id; "IDR 1.5B" in en."""
    if _missing(amount):
        return MISSING
    text = format_compact_currency(float(amount), currency, locale=_locale(language, locale), fraction_digits=1)
    return _spaced(text, currency)


def _spaced(text: str, currency: str) -> str:
    """An ISO code glued to its number ("IDR1,234") gets a space, as people write it ("IDR 1,234")."""
    return re.sub(rf"{currency}(?=[\d-])", f"{currency} ", text.replace("\xa0", " "))


def format_percent(fraction, language: str = "id", decimals: int = 1, locale: str | None = None) -> str:
    """A fraction as a percentage: 0.125 -> "12,5%" (id) or "12.5%" (en)."""
    if _missing(fraction):
        return MISSING
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "") + "%"
    value = round(float(fraction) * 100, decimals) / 100 + 0.0
    return _percent(value, format=pattern, locale=_locale(language, locale)).replace("\xa0", " ")


def format_datetime(moment, language: str = "id", locale: str | None = None) -> str:
    """A moment to the minute in the locale's own way: its medium date, then its short time.

    >>> moment = pd.Timestamp("2025-07-01 09:30")
    >>> format_datetime(moment, "en").replace("\u202f", " "), format_datetime(moment)
    ('Jul 1, 2025 9:30 AM', '1 Jul 2025 09.30')
    """
    when, where = pd.Timestamp(moment).to_pydatetime(), _locale(language, locale)
    return f"{format_date(when, 'medium', locale=where)} {format_time(when, 'short', locale=where)}"


def month_name(period: Period | str, language: str = "id", locale: str | None = None) -> str:
    """A period's readable name: "Juni 2025" / "June 2025"; quarters "Kuartal 2 2025", years "2025".

    >>> month_name("2025-06", "en"), month_name("2025-Q2", "id"), month_name("2024", "en")
    ('June 2025', 'Kuartal 2 2025', '2024')
    """
    p = period if isinstance(period, Period) else Period.parse(period)
    if p.kind == "M":
        return format_date(p.start.date(), "LLLL yyyy", locale=_locale(language, locale))
    if p.kind == "Q":
        return catalogue.t(
            "period.quarter", language, quarter=str((p.start.month - 1) // 3 + 1), year=str(p.start.year)
        )
    return str(p.start.year)
