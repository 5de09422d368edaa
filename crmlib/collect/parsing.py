"""Parsing source values into their contract kinds: text, numbers, whole numbers, yes/no, times and dates.

A value that does not parse becomes missing; the caller tells it apart from a value that was missing already.

>>> parse_number(pd.Series(["Rp 1.234,50", "12", "abc"]), IngestOptions(decimal=",", thousands=".")).tolist()
[1234.5, 12.0, nan]
>>> parse_number(pd.Series(["Rp 150.000", "Rp 1,500,000", "150.5"]), IngestOptions()).tolist()  # the defaults
[150000.0, 1500000.0, 150.5]
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from crmlib.collect.options import IngestOptions

TRUE_WORDS = {"true", "t", "yes", "y", "1", "ya", "benar"}
FALSE_WORDS = {"false", "f", "no", "n", "0", "tidak", "salah"}
_TZ_SUFFIX = r"(?:Z|[+-]\d{2}:?\d{2})$"
ZONE_WORDS = {"UTC": "+00:00", "GMT": "+00:00", "Z": "+00:00", "WIB": "+07:00", "WITA": "+08:00", "WIT": "+09:00"}
"""Zones written as words; Indonesia's three are WIB, WITA and WIT."""
_ZONE_WORD = r"\s*(UTC|GMT|WIB|WITA|WIT|Z)?\s*(?:([+-])(\d{1,2})(?::?(\d{2}))?)?$"


def _zone_offsets(text: pd.Series) -> pd.Series:
    """Times whose zone is written as a word or a short offset with the zone as ±HH:MM, which pandas reads.

    >>> _zone_offsets(pd.Series(["2025-02-09 10:00:00+07", "2025-02-09 10:00 UTC", "2025-02-09 10:00 GMT+7",
    ...                          "2025-02-09 10:00 WIB", "2025-02-09", "9/2/2025"])).tolist()
    ... # doctest: +NORMALIZE_WHITESPACE
    ['2025-02-09 10:00:00+07:00', '2025-02-09 10:00+00:00', '2025-02-09 10:00+07:00', '2025-02-09 10:00+07:00',
     '2025-02-09', '9/2/2025']
    """
    parts = text.str.extract(r"^(.*\d:\d{2}(?::\d{2}(?:\.\d+)?)?)" + _ZONE_WORD)
    zoned = parts[1].notna() | parts[2].notna()
    if not zoned.any():
        return text
    word = parts[1].map(ZONE_WORDS).fillna("+00:00")
    hours = parts[3].fillna("0").astype(int)
    minutes = parts[4].fillna("0").astype(int)
    offset = word.where(parts[2].isna(), parts[2] + hours.map("{:02d}".format) + ":" + minutes.map("{:02d}".format))
    return text.where(~zoned, parts[0] + offset)


CONTROL = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
"""Control characters no text of a customer's data holds (tabs and line breaks aside): a damaged or binary file."""


def parse_text(values: pd.Series, options: IngestOptions) -> pd.Series:
    r"""Text, trimmed; empty is missing; a value holding a control character (a NUL, say) does not parse, so
    '1004\x00' is quarantined instead of loading as an id next to '1004'.

    >>> parse_text(pd.Series([" a ", "", "1004\x00", None]), IngestOptions()).tolist()
    ['a', nan, nan, nan]
    """
    if pd.api.types.is_float_dtype(values) and values.dropna().mod(1).eq(0).all():
        values = values.astype("Int64")  # ids stored as numbers: 123, not 123.0
    text = values.astype("str").where(values.notna()).str.strip()
    return text.mask(text.eq("") | text.str.contains(CONTROL, regex=True).fillna(False).astype(bool))


RUPIAH = r"^(?:Rp\.?|IDR)\s*"
"""A rupiah sign before an amount: `Rp 150.000`, `Rp150.000,50`, `IDR 1,500,000`."""


def _ungrouped(text: pd.Series) -> pd.Series:
    """Amounts written with the rupiah sign, their digit grouping removed: Indonesian (150.000,50) or English
    (1,500,000.50) grouping is told apart by its pattern; an amount without grouping is left as written.

    >>> _ungrouped(pd.Series(["150.000", "1.500.000,50", "1,500,000.50", "150.5", "150000"])).tolist()
    ['150000', '1500000.50', '1500000.50', '150.5', '150000']
    """
    indonesian = text.str.fullmatch(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?", na=False)
    english = text.str.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?", na=False)
    out = text.where(~indonesian, text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False))
    return out.where(~english, text.str.replace(",", "", regex=False))


_DOTS = r"[-+]?\d{1,3}(?:\.\d{3})+(?:,\d+)?"  # 1.114.200, 150.000, 1.234,56
_COMMAS = r"[-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?"  # 1,114,200, 1,234.56
_POINT, _COMMA = r"[-+]?\d*\.\d+", r"[-+]?\d*,\d+"  # 150.5; 150,5


def money_reading(values: pd.Series, currency: str | None = None) -> tuple[str | None, bool]:
    """How a money column writes its numbers, when the parameters do not say: "dots" (dots group thousands, a
    comma marks decimals: 1.114.200, 150.000,50), "commas" (commas group thousands: 1,114,200.50) or None (plain),
    decided from all its values; and whether values with exactly three decimals are then read as decimals (a
    load warns: 150.000 may mean 150,000). A rupiah sign is no evidence either way (`_ungrouped` reads those).

    `150.000` alone could be 150 or 150,000: in a currency without minor units in practice (IDR, JPY, KRW, VND:
    Babel's precision 0) it is 150,000; in others it is read as 150 and the load warns.

    >>> money_reading(pd.Series(["150.000", "75.500", "1.114.200"]), "USD"), money_reading(pd.Series(["150.000"]))
    (('dots', False), ('dots', False))
    >>> money_reading(pd.Series(["150.000", "75.500"]), "USD"), money_reading(pd.Series(["150.5", "12"]))
    ((None, True), (None, False))
    >>> money_reading(pd.Series(["1,114,200", "150,000"])), money_reading(pd.Series(["-99,5", "12"]), "USD")
    (('commas', False), ('dots', False))
    """
    from babel.numbers import get_currency_precision

    text = values.astype("str").where(values.notna()).str.strip().str.replace(" ", "", regex=False)
    text = text[text.notna() & ~text.str.match(RUPIAH, na=False)]
    dots, commas = text.str.fullmatch(_DOTS), text.str.fullmatch(_COMMAS)
    point, comma = text.str.fullmatch(_POINT) & ~dots, text.str.fullmatch(_COMMA) & ~commas
    indonesian, english = bool(dots.any() or comma.any()), bool(commas.any() or point.any())
    if indonesian and not english:
        sure = comma.any() or text[dots].str.count(r"\.").gt(1).any() or text[dots].str.contains(",").any()
        if sure or get_currency_precision(currency or "IDR") == 0:
            return "dots", False
        return None, True
    if english and not indonesian:
        return ("commas" if commas.any() else None), False
    return None, bool(dots.any())


def parse_number(values: pd.Series, options: IngestOptions) -> pd.Series:
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        numbers = values.astype("float64")
    else:
        text = values.astype("str").where(values.notna()).str.strip()
        rupiah = text.str.match(RUPIAH, na=False)
        text = text.str.replace(RUPIAH, "", regex=True).str.replace(" ", "", regex=False)
        if options.thousands:
            text = text.str.replace(options.thousands.strip() or " ", "", regex=False)
        else:  # no grouping declared: a rupiah amount's own grouping is read by its pattern
            text = text.where(~rupiah, _ungrouped(text.where(rupiah)))
        if options.decimal == ",":
            text = text.str.replace(",", ".", regex=False)
        is_number_like = text.str.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?").fillna(False).astype(bool)
        numbers = pd.to_numeric(text.where(is_number_like), errors="coerce").astype("float64")
    return numbers.where(np.isfinite(numbers))


WHOLE_LIMIT = 2**53  # whole numbers beyond this are not exact as numbers, nor counts anyone means


def parse_whole(values: pd.Series, options: IngestOptions) -> pd.Series:
    """Whole numbers; a fraction, or a number beyond WHOLE_LIMIT (1e308, say), does not parse.

    >>> parse_whole(pd.Series(["2", "2.5", "1e308"]), IngestOptions()).tolist()
    [2.0, nan, nan]
    """
    numbers = parse_number(values, options)
    return numbers.where(numbers.mod(1).eq(0) & numbers.abs().lt(WHOLE_LIMIT))


def parse_bool(values: pd.Series, options: IngestOptions) -> pd.Series:
    if pd.api.types.is_bool_dtype(values):
        return values.astype("boolean")
    words = values.astype("str").where(values.notna()).str.strip().str.lower()
    words = words.str.replace(r"\.0$", "", regex=True)
    return words.map(lambda w: True if w in TRUE_WORDS else False if w in FALSE_WORDS else None).astype("boolean")


MONTHS_ID = {
    "januari": "Jan", "februari": "Feb", "maret": "Mar", "april": "Apr", "mei": "May", "juni": "Jun", "juli": "Jul",
    "agustus": "Aug", "agu": "Aug", "agt": "Aug", "ags": "Aug", "september": "Sep", "oktober": "Oct", "okt": "Oct",
    "november": "Nov", "nopember": "Nov", "nop": "Nov", "desember": "Dec", "des": "Dec",
}  # fmt: skip
"""Indonesian month names and abbreviations (Jan, Feb, Mar, Apr, Jun, Jul, Sep and Nov are the English ones)."""
_MONTH_ID = re.compile(r"(?<![^\W\d_])(?:" + "|".join(sorted(MONTHS_ID, key=len, reverse=True)) + r")(?![^\W\d_])",
                       re.IGNORECASE)  # fmt: skip


def english_months(text: pd.Series) -> pd.Series:
    """Times written with Indonesian month names, as seller centres export them, with the English abbreviation.

    >>> english_months(pd.Series(["02 Okt 2025 08:26:00", "17 Agustus 2025", "1 Mei 2025", "Meiji"])).tolist()
    ['02 Oct 2025 08:26:00', '17 Aug 2025', '1 May 2025', 'Meiji']
    """
    if not text.str.contains(_MONTH_ID, na=False).any():
        return text
    return text.str.replace(_MONTH_ID, lambda m: MONTHS_ID[m.group(0).lower()], regex=True)


def parse_time(values: pd.Series, options: IngestOptions) -> pd.Series:
    """Times as local, zone-free timestamps; zoned values are converted to `options.timezone` first.

    With `options.date_format`, values in that format are read by it and the others as ISO 8601 (so one format
    for an export's odd dates leaves the ISO dates of the other files readable); without it, ISO 8601 first,
    then other common layouts (30/06/2025, Jun 30 2025, 02 Okt 2025 08:26) with `options.dayfirst`. Indonesian
    month names read as their English abbreviations (a `date_format` with `%b` reads `Okt`).
    """
    if pd.api.types.is_datetime64_any_dtype(values):
        times = values
        if getattr(values.dt, "tz", None) is not None:
            times = values.dt.tz_convert(options.timezone).dt.tz_localize(None)
        return times.astype("datetime64[us]")
    text = english_months(_zone_offsets(values.astype("str").where(values.notna()).str.strip()))
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[us]")
    zoned = text.str.contains(_TZ_SUFFIX, regex=True).fillna(False).astype(bool)
    if zoned.any():
        parsed = pd.to_datetime(text[zoned], format=options.date_format or "ISO8601", errors="coerce", utc=True)
        out[zoned] = parsed.dt.tz_convert(options.timezone).dt.tz_localize(None).astype("datetime64[us]")
    plain = text.notna() & ~zoned
    if plain.any():
        if options.date_format:
            parsed = pd.to_datetime(text[plain], format=options.date_format, errors="coerce")
            retry = parsed.isna()
            if retry.any():
                parsed[retry] = pd.to_datetime(text[plain][retry], format="ISO8601", errors="coerce")
        else:
            parsed = pd.to_datetime(text[plain], format="ISO8601", errors="coerce")
            retry = parsed.isna()
            if retry.any():  # other common layouts, such as 30/06/2025 or Jun 30 2025
                parsed[retry] = _common_layouts(text[plain][retry], options.dayfirst)
        out[plain] = parsed.astype("datetime64[us]")
    return out


def _slash_layouts(dayfirst: bool) -> list[str]:
    """The slash layout `dayfirst` says, then a day and a month's name (30 Jun 2025), with minutes, seconds or
    no time."""
    day = "%d/%m/%Y" if dayfirst else "%m/%d/%Y"
    return [date + time for date in (day, "%d %b %Y", "%d %B %Y") for time in (" %H:%M", " %H:%M:%S", "")]


def _common_layouts(text: pd.Series, dayfirst: bool) -> pd.Series:
    """Dates that are not ISO 8601: the usual slash layout read by its format (fast, in C), what it leaves by
    dateutil's guess (one value at a time: a US export of two million lines took minutes that way).

    >>> times = _common_layouts(pd.Series(["6/30/2025 14:05", "Jun 30 2025", "13/02/2025"]), dayfirst=False)
    >>> times.dt.strftime("%m-%d %H:%M").tolist()  # 13/02/2025 is no month/day date: not read (see _guessed)
    ['06-30 14:05', '06-30 00:00', nan]
    """
    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[us]")
    left = pd.Series(True, index=text.index)
    for layout in _slash_layouts(dayfirst):
        if not left.any():
            break
        parsed = pd.to_datetime(text[left], format=layout, errors="coerce")
        out[parsed.dropna().index] = parsed.dropna().astype("datetime64[us]")
        left &= out.isna()
    if left.any():
        out[left] = text[left].map(lambda value: _guessed(value, dayfirst)).astype("datetime64[us]")
    return out


NUMERIC_DATE = re.compile(r"^\s*\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}\b")


def _guessed(value: str, dayfirst: bool) -> pd.Timestamp:
    """One time in a layout dateutil recognises, NaT if none. Not guessed: a zone it names (EST, say), and a
    numeric date the slash layouts could not read (13/02/2025 when `dayfirst` is false): guessing it as 13 February
    would read the same column's 01/02/2025 as 2 January and 13/02/2025 the other way round.

    >>> _guessed("Jun 30 2025", False), _guessed("Jun 30 2025 10:00 EST", False), _guessed("13/02/2025", False)
    (Timestamp('2025-06-30 00:00:00'), NaT, NaT)
    """
    if NUMERIC_DATE.match(value):
        return pd.NaT
    try:
        time = pd.to_datetime(value, dayfirst=dayfirst)
    except (ValueError, TypeError, OverflowError):
        return pd.NaT
    return pd.NaT if time.tzinfo is not None else time


def parse_date(values: pd.Series, options: IngestOptions) -> pd.Series:
    return parse_time(values, options).dt.normalize()


def tidy_ids(values: pd.Series) -> pd.Series:
    """Ids that a spreadsheet turned into numbers, "17850.0", back into "17850" (other ids as they are).

    >>> tidy_ids(pd.Series(["17850.0", "C0001", "12.5", None])).tolist()
    ['17850', 'C0001', '12.5', nan]
    """
    return values.str.replace(r"^(\d+)\.0+$", r"\1", regex=True)


PARSERS = {
    "str": parse_text,
    "float": parse_number,
    "int": parse_whole,
    "bool": parse_bool,
    "ts": parse_time,
    "date": parse_date,
}
"""The parser of each column kind: parser(values, options) -> values of that kind, missing where they do not parse."""
