"""A seeded synthetic CRM world: an Indonesian online retailer selling in IDR.

`write_sample` writes one file per contract table (customers, campaigns, transactions, events,
feedback, tickets, opportunities) with exactly the contract's columns, for a window of whole
months, and returns the rows written per table. Same arguments give byte-identical files.

How the world works
-------------------
* Acquisition: customers arrive over the window at a rate that grows ~80 % a year, with the
  same calendar as purchases (Ramadan and the Lebaran rush, twin dates 9.9 to 11.11, Harbolnas
  12.12, payday at month end, weekends). Customer ids follow signup order, so `referred_by`
  (referral customers only) always names an earlier customer.
* Buying (BG/NBD): most customers buy within hours or days of signup; after that each makes
  repeat purchases at a rate lambda ~ Gamma(r, alpha) per day (seasonally time-warped) and after
  each repeat purchase drops out for good with probability p ~ Beta(a, b).
* Spend (Gamma-Gamma): amount ~ Gamma(p, nu) with a customer-specific nu ~ Gamma(q, gamma),
  scaled by the category's price level and rounded to Rp 100. Customers have a home category
  and a cross-buying propensity, a home sales channel, and an engagement level.
* Refunds: ~2.5 % of sales go wrong; they come back as a negative `refund` row a day or more
  later, usually with a `refund` ticket and a low NPS if surveyed.
* Campaigns: 2-4 a month (welcome, cart abandonment, win-back, birthday, loyalty/VIP,
  cross-sell). Each targets a rule-based, consenting audience; a random control share gets a
  `campaign_holdout` event and nothing else; treated customers get the channel's send event,
  some opens/clicks/unsubscribes, and a real uplift in purchase probability inside the
  campaign window. Treated purchases inside the window carry the campaign_id.
* Engagement: every web/app purchase has a funnel session (web_visit, product_view,
  add_to_cart, checkout_start); extra browse-only and abandoned-cart sessions; app installs.
* Service and voice of the customer: tickets follow purchases (and a few account issues), with
  first response and resolution times; NPS/CSAT surveys follow some purchases and fall with
  tickets, slow resolutions and bad orders, and rise with purchase frequency.
* Sales pipeline: B2B opportunities moving lead -> qualified -> proposal -> won/lost; won
  deals name an existing customer.

Customers are simulated in chunks of `CHUNK`, each with its own generator spawned from the
seed, and appended to the open output files, so memory stays flat as the population grows.

>>> import tempfile
>>> with tempfile.TemporaryDirectory() as folder:
...     rows = write_sample(folder, customers=50, months=3, end="2025-06")
>>> rows["customers"], list(rows)[:3]
(50, ['customers', 'campaigns', 'transactions'])
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from crmlib.collect.contract import TABLE_ORDER, TABLES
from crmlib.errors import ParamsError
from crmlib.periods import Period

CHUNK = 10_000  # customers simulated (and held in memory) at a time
FORMATS = ("csv", "parquet")
DAY, HOUR, MINUTE = 86_400, 3_600, 60
NULL = -1  # missing code, id or time in the integer arrays

# ---------------------------------------------------------------------------------------------
# Model parameters
# ---------------------------------------------------------------------------------------------
ANNUAL_GROWTH = 1.8  # acquisitions per day grow 80 % a year
BGNBD_R, BGNBD_ALPHA = 1.0, 10.0  # purchase rate lambda ~ Gamma(r, scale 1/alpha) per day: mean 0.1
BGNBD_A, BGNBD_B = 1.2, 10.0  # dropout after each repeat purchase p ~ Beta(a, b): mean 0.107
GG_P, GG_Q, GG_GAMMA = 5.0, 3.5, 150_000.0  # Gamma-Gamma spend: mean order ~ Rp 300.000
REFUND_RATE = 0.025  # share of sales that go wrong and are refunded
SALE_TICKET_RATE, REFUND_TICKET_RATE, ACCOUNT_TICKET_RATE = 0.035, 0.8, 0.015
SURVEY_RATE, BAD_SURVEY_RATE = 0.12, 0.25
OPPORTUNITY_RATE = 0.012  # B2B opportunities per customer
BROWSE_SESSIONS = (0.4, 0.12)  # browse-only sessions per customer: Poisson(a + b * purchases)
CART_SESSIONS = (0.25, 0.30)  # abandoned-cart sessions per customer, likewise
NPS_BASE = 7.2  # the score of an average customer with one order and no trouble
NPS_PER_LOG_ORDER = 0.7  # frequent buyers are happier: + this per log(1 + orders so far)
NPS_TICKET, NPS_SLOW_TICKET, NPS_BAD_ORDER = 2.0, 1.2, 2.5  # points lost for a recent ticket, a slow one, a bad order
SATISFACTION_PER_LOG_RATE = 0.5  # happier customers buy more often (satisfaction rises with log lambda)
TICKET_MEMORY = 120 * DAY  # tickets older than this no longer weigh on the score
DEAD_UPLIFT = 0.5  # a campaign moves a dropped-out customer this much less than a live one

# ---------------------------------------------------------------------------------------------
# Vocabularies (no commas or quotes: the CSV is written without quoting)
# ---------------------------------------------------------------------------------------------
CITIES = (  # city, province, share of customers
    ("Jakarta", "DKI Jakarta", 0.20), ("Surabaya", "Jawa Timur", 0.09), ("Bandung", "Jawa Barat", 0.08),
    ("Medan", "Sumatera Utara", 0.06), ("Semarang", "Jawa Tengah", 0.05), ("Makassar", "Sulawesi Selatan", 0.04),
    ("Denpasar", "Bali", 0.03), ("Yogyakarta", "DI Yogyakarta", 0.04), ("Palembang", "Sumatera Selatan", 0.04),
    ("Balikpapan", "Kalimantan Timur", 0.02), ("Tangerang", "Banten", 0.07), ("Bekasi", "Jawa Barat", 0.07),
    ("Depok", "Jawa Barat", 0.04), ("Malang", "Jawa Timur", 0.03), ("Pekanbaru", "Riau", 0.03),
    ("Batam", "Kepulauan Riau", 0.02), ("Pontianak", "Kalimantan Barat", 0.02), ("Manado", "Sulawesi Utara", 0.02),
    ("Bogor", "Jawa Barat", 0.03), ("Padang", "Sumatera Barat", 0.02),
)
FIRST_NAMES = {
    "F": ("Siti", "Dewi", "Sri", "Putri", "Ayu", "Indah", "Rina", "Fitri", "Nur", "Wulan", "Ratna", "Lestari",
          "Sari", "Intan", "Dian", "Mega", "Novi", "Anisa", "Aulia", "Nabila", "Citra", "Kartika", "Maya", "Yuni",
          "Eka", "Ika", "Nadia", "Amelia", "Salsabila", "Zahra", "Aisyah", "Melati", "Kirana", "Larasati", "Anggun",
          "Wahyuni", "Rahma", "Tiara", "Yulia", "Puspita"),
    "M": ("Budi", "Agus", "Andi", "Rizky", "Dimas", "Eko", "Bayu", "Joko", "Hendra", "Fajar", "Arief", "Ahmad",
          "Muhammad", "Yoga", "Rudi", "Iwan", "Dedi", "Hadi", "Irfan", "Reza", "Aditya", "Bambang", "Surya", "Teguh",
          "Wahyu", "Fauzi", "Ilham", "Gilang", "Arya", "Bagus", "Dani", "Rafi", "Yusuf", "Hasan", "Krisna", "Made",
          "Ketut", "Wayan", "Nyoman", "Galih"),
}
LAST_NAMES = ("Santoso", "Wijaya", "Saputra", "Pratama", "Kusuma", "Hidayat", "Nugroho", "Setiawan", "Siregar",
              "Nasution", "Lubis", "Harahap", "Simanjuntak", "Sitompul", "Tanjung", "Hasibuan", "Gunawan", "Halim",
              "Rahman", "Hakim", "Wibowo", "Susanto", "Purnomo", "Hartono", "Firmansyah", "Ramadhan", "Maulana",
              "Syahputra", "Kurniawan", "Permana", "Utomo", "Prasetyo", "Handoko", "Salim", "Sinaga", "Sembiring",
              "Ginting", "Tarigan", "Mahendra", "Situmorang", "Pohan", "Daulay", "Wirawan", "Suryadi", "Hutapea")
SINGLE_NAME_SHARE = 0.12  # many Indonesians have one name only
EMAIL_DOMAINS = (("gmail.com", 0.70), ("yahoo.co.id", 0.12), ("yahoo.com", 0.06), ("outlook.com", 0.06),
                 ("hotmail.com", 0.03), ("icloud.com", 0.03))
PHONE_PREFIXES = ("11", "12", "13", "21", "22", "23", "52", "53", "14", "15", "16", "55", "56", "57", "58", "17",
                  "18", "19", "59", "77", "78", "81", "82", "83", "95", "96", "97", "98", "99")
FEMALE_SHARE = 0.58
CONSENT_EMAIL, CONSENT_WHATSAPP = 0.75, 0.62
APP_USERS = 0.35

ACQUISITION = (  # acquisition channel, share of signups, share that ever buys, home sales channel
    ("organic", 0.25, 0.82, None), ("paid_search", 0.18, 0.78, None), ("social_media", 0.20, 0.70, None),
    ("marketplace", 0.17, 0.90, "marketplace"), ("referral", 0.10, 0.88, None),
    ("offline_store", 0.10, 0.92, "offline_store"),
)
ACQUISITION_CODE = {a[0]: i for i, a in enumerate(ACQUISITION)}
SALE_CHANNELS = ("web", "app", "marketplace", "offline_store")  # web and app are also EVENT_CHANNELS 0 and 1
SALE_CHANNEL_MIX = (0.20, 0.20, 0.35, 0.25)
HOME_CHANNEL_SHARE = 0.70  # share of a customer's purchases made in their home channel
ONLINE_HOME_SHARE = 0.65  # share of customers not recruited in a marketplace or store who shop mostly online

CATEGORIES = (  # name, product-id code, popularity (women, men), price level, extra units, refund level, products
    ("Fashion", "FSH", 0.30, 0.18, 1.0, 0.25, 1.4, 800),
    ("Elektronik", "ELK", 0.07, 0.22, 2.2, 0.05, 1.3, 400),
    ("Kecantikan", "KCT", 0.22, 0.04, 0.7, 0.60, 0.8, 600),
    ("Makanan & Minuman", "MKN", 0.12, 0.14, 0.45, 1.20, 0.3, 500),
    ("Rumah Tangga", "RMT", 0.13, 0.10, 1.0, 0.30, 1.0, 700),
    ("Olahraga", "OLR", 0.04, 0.14, 1.3, 0.15, 0.9, 300),
    ("Mainan & Hobi", "MNH", 0.07, 0.10, 0.9, 0.20, 0.8, 400),
    ("Buku & Alat Tulis", "BKU", 0.05, 0.08, 0.5, 0.40, 0.5, 500),
)

FUNNEL = ("web_visit", "product_view", "add_to_cart", "checkout_start")  # codes 0-3 of EVENT_TYPES
FUNNEL_AT = np.array([0.0, 0.15, 0.6, 0.85])  # when each step starts, as a share of the session
MESSAGE_EVENTS = {  # campaign channel: (send, open, click) event types; None where the channel has none
    "email": ("email_sent", "email_open", "email_click"),
    "whatsapp": ("whatsapp_sent", "whatsapp_read", "whatsapp_click"),
    "push": ("push_sent", "push_open", None),
    "sms": ("sms_sent", None, "sms_click"),
}
EVENT_TYPES = FUNNEL + tuple(e for trio in MESSAGE_EVENTS.values() for e in trio if e) + (
    "unsubscribe", "app_install", "campaign_holdout")
EVENT_CODE = {name: i for i, name in enumerate(EVENT_TYPES)}
EVENT_CHANNELS = ("web", "app", "email", "whatsapp", "push", "sms")
CHANNEL_CODE = {name: i for i, name in enumerate(EVENT_CHANNELS)}

CAMPAIGNS = {  # type: label, channels, uplift in purchase probability, duration days, first month, fixed cost
    "welcome": ("Welcome Series", ("email", "whatsapp"), 0.20, (10, 15), 0, 2_500_000),
    "cart_abandonment": ("Keranjang Tertinggal", ("push", "whatsapp", "email"), 0.25, (4, 8), 0, 1_500_000),
    "win_back": ("Win-back", ("email", "sms", "whatsapp"), 0.12, (10, 15), 3, 3_000_000),
    "birthday": ("Ulang Tahun", ("whatsapp", "email"), 0.15, (14, 21), 0, 1_000_000),
    "loyalty_vip": ("VIP Loyalty", ("whatsapp", "email"), 0.12, (7, 15), 2, 5_000_000),
    "cross_sell": ("Cross-sell", ("email", "push"), 0.10, (7, 12), 1, 3_500_000),
}
CAMPAIGN_TYPES = tuple(CAMPAIGNS)
SEND_HOUR = {"email": 9, "whatsapp": 10, "push": 19, "sms": 11}
SEND_COST = {"email": 150, "whatsapp": 450, "push": 20, "sms": 350}  # IDR per message
OPEN_RATE = {"email": 0.22, "whatsapp": 0.65, "push": 0.08, "sms": 0.0}
CLICK_RATE = {"email": 0.18, "whatsapp": 0.20, "push": 0.0, "sms": 0.03}  # after an open (sms: after the send)
UNSUBSCRIBE_RATE = {"email": 0.006, "whatsapp": 0.004, "push": 0.0, "sms": 0.0}  # after an open
CHANNEL_UPLIFT = {"email": 1.0, "whatsapp": 1.25, "push": 0.8, "sms": 0.7}
CONTROL_SHARES = (0.10, 0.15, 0.20)
MONTHS_ID = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
             "November", "Desember")

TICKET_TOPICS = ("pengiriman", "refund", "produk", "pembayaran", "akun")
SALE_TICKET_TOPICS = (0.50, 0.05, 0.25, 0.20, 0.0)
TICKET_CHANNELS = (  # channel, share, median first response (s), base handling cost (IDR)
    ("whatsapp", 0.38, 30 * MINUTE, 12_000), ("email", 0.20, 5 * HOUR, 15_000), ("live_chat", 0.27, 3 * MINUTE, 10_000),
    ("phone", 0.10, 1 * MINUTE, 25_000), ("in_store", 0.05, 5 * MINUTE, 20_000),
)
RESOLUTION_HOURS = np.array([18.0, 40.0, 24.0, 12.0, 6.0])  # median hours from first response, per topic
TICKET_STATUSES = ("open", "pending", "resolved", "closed")
SLOW_TICKET = 72 * HOUR

SURVEY_CHANNELS = ("email", "whatsapp", "app")
COMMENTS = (  # (comment, group): 0 detractor, 1 passive, 2 promoter, 3 a bad order
    ("Pengiriman lambat", 0), ("CS lambat merespons", 0), ("Refund lama diproses", 0), ("Kecewa dengan kualitas", 0),
    ("Aplikasi sering error", 0), ("Cukup baik", 1), ("Pengiriman agak lama", 1), ("Harga lumayan", 1),
    ("Pilihan produk terbatas", 1), ("Lumayan", 1), ("Pengiriman cepat", 2), ("Barang sesuai deskripsi", 2),
    ("Pelayanan ramah", 2), ("Kualitas bagus", 2), ("Harga terjangkau", 2), ("Packing rapi", 2),
    ("Puas belanja di sini", 2), ("Akan belanja lagi", 2), ("Barang rusak", 3), ("Barang tidak sesuai deskripsi", 3),
    ("Ukuran tidak sesuai", 3),
)
COMMENT_SHARE = 0.55

STAGES = ("lead", "qualified", "proposal", "won", "lost")
OPPORTUNITY_SOURCES = (  # source, share, win rate
    ("website", 0.25, 0.30), ("referral", 0.20, 0.45), ("pameran", 0.15, 0.25), ("cold_call", 0.15, 0.15),
    ("partner", 0.15, 0.35), ("linkedin", 0.10, 0.20),
)

HOURS = np.array([0.8, 0.5, 0.3, 0.2, 0.3, 0.8, 1.5, 2.5, 3.2, 3.8, 4.2, 4.6,  # activity by hour (WIB)
                  5.5, 5.2, 4.6, 4.4, 4.5, 4.8, 5.2, 6.2, 7.2, 7.5, 6.0, 3.2])
WEEKDAY = np.array([1.0, 0.97, 0.97, 1.0, 1.05, 1.1, 1.05])  # Monday first
TWIN_DATES = {9: 1.6, 10: 1.8, 11: 2.2, 12: 3.0}  # 9.9, 10.10, 11.11, 12.12 (Harbolnas)
RAMADAN_1445 = pd.Timestamp("2024-03-11")
LUNAR_YEAR_DAYS = 354.367


def _column(table, i):
    """Column i of a vocabulary table, as a tuple."""
    return tuple(row[i] for row in table)


def _code(vocabulary, name: str) -> int:
    """The code of a name in a vocabulary."""
    return vocabulary.index(name)


def _shares(values):
    """Normalised probabilities."""
    values = np.asarray(values, dtype=float)
    return values / values.sum()


# ---------------------------------------------------------------------------------------------
# Arguments, window and calendar
# ---------------------------------------------------------------------------------------------
def _check_arguments(customers, months, fmt) -> None:
    """Reject arguments a user could get wrong, saying how to fix them."""
    if not isinstance(customers, (int, np.integer)) or customers < 1:
        raise ParamsError(f"customers must be a whole number of at least 1, not {customers!r}")
    if not isinstance(months, (int, np.integer)) or months < 1:
        raise ParamsError(f"months must be a whole number of at least 1, not {months!r}")
    if fmt not in FORMATS:
        raise ParamsError(f"fmt must be one of {', '.join(FORMATS)}, not {fmt!r}")


def _end_month(end: str | None) -> Period:
    """The last month of the window: `end`, or by default the last complete month before today."""
    now = pd.Timestamp.now()
    if end is None:
        return Period.parse(f"{now.year:04d}-{now.month:02d}").previous()
    month = Period.parse(end)
    if month.kind != "M":
        raise ParamsError(f"end must be a month written YYYY-MM (2025-06), not {end!r}")
    if month.end > now:
        raise ParamsError(f"end {end} is not a complete month yet: synthetic data never lies in the future; "
                          f"choose a month before {now.year:04d}-{now.month:02d}")
    return month


def _ramadan_starts(first: pd.Timestamp, last: pd.Timestamp) -> list[pd.Timestamp]:
    """First days of Ramadan (to within a day or two) from a year before `first` to a year after `last`."""
    lo = int(np.floor((first - RAMADAN_1445).days / LUNAR_YEAR_DAYS)) - 1
    hi = int(np.ceil((last - RAMADAN_1445).days / LUNAR_YEAR_DAYS)) + 1
    return [RAMADAN_1445 + pd.Timedelta(days=round(k * LUNAR_YEAR_DAYS)) for k in range(lo, hi + 1)]


def _ramadan_effect(dates: pd.DatetimeIndex) -> np.ndarray:
    """Ramadan lifts shopping, most in the ten days before Lebaran; the Lebaran holiday itself is quiet."""
    effect = np.ones(len(dates))
    for start in _ramadan_starts(dates[0], dates[-1]):
        day = np.asarray((dates - start).days)
        effect *= np.select([(day >= 0) & (day < 20), (day >= 20) & (day < 30), (day >= 30) & (day < 33)],
                            [1.15, 1.5, 0.6], 1.0)
    return effect


def _daily_weights(dates: pd.DatetimeIndex) -> np.ndarray:
    """Relative shopping activity per day (mean 1): weekday, payday, Ramadan, twin dates, year end."""
    month, day = np.asarray(dates.month), np.asarray(dates.day)
    w = WEEKDAY[np.asarray(dates.day_of_week)]
    w = w * np.where((day >= 25) | (day <= 2), 1.12, 1.0)  # gajian
    w = w * _ramadan_effect(dates)
    twin = np.array([TWIN_DATES.get(m, 1.0) for m in range(13)])
    w = w * np.where(month == day, twin[month], 1.0)
    w = w * np.where((month == 12) & (np.abs(day - 12) <= 2) & (day != 12), 1.4, 1.0)  # Harbolnas week
    w = w * np.where((month == 12) & (day >= 20), 1.15, 1.0)
    return w / w.mean()


@dataclass(frozen=True)
class _Calendar:
    """The window in days and seconds since its start, and the maps between raw and clock time.

    Raw time x is in days; within a day it is spread evenly and `clock` maps it to a time of day that
    follows the hourly activity profile. Purchase processes run in operational time tau (`op`), where
    busy days are longer, so a constant rate in tau gives a seasonal rate on the clock.
    """

    start: pd.Timestamp
    months: int
    days: int
    sales_cum: np.ndarray  # cumulative purchase activity at each day boundary, ends at `days`
    acquisition_cum: np.ndarray  # cumulative share of signups at each day boundary, ends at 1
    hour_cum: np.ndarray  # cumulative share of a day's activity at each hour boundary

    @property
    def horizon(self) -> int:
        """Seconds in the window: every time t satisfies 0 <= t < horizon."""
        return self.days * DAY

    @property
    def epoch(self) -> int:
        """The window start in Unix seconds."""
        return int((self.start - pd.Timestamp("1970-01-01")) // pd.Timedelta(seconds=1))

    @property
    def grid(self) -> np.ndarray:
        return np.arange(self.days + 1, dtype=float)

    def op(self, x):
        """Raw days to operational time."""
        return np.interp(x, self.grid, self.sales_cum)

    def raw(self, tau):
        """Operational time back to raw days."""
        return np.interp(tau, self.sales_cum, self.grid)

    def signup_day(self, q):
        """Raw day at which a share q of all signups has happened."""
        return np.interp(q, self.acquisition_cum, self.grid)

    def clock(self, x) -> np.ndarray:
        """Raw days to whole seconds since the window start, with a realistic time of day (monotone)."""
        day = np.floor(x)
        hour = np.interp(x - day, self.hour_cum, np.arange(25.0))
        return np.minimum((day * DAY + np.floor(hour * HOUR)).astype(np.int64), self.horizon - 1)

    def month_of(self, t: int) -> int:
        """Calendar month (1-12) of a time in seconds."""
        return (self.start + pd.Timedelta(seconds=int(t))).month


def _calendar(last: Period, months: int) -> _Calendar:
    """The calendar of the `months` months ending with `last`."""
    start = last.start - pd.DateOffset(months=months - 1)
    dates = pd.date_range(start, last.end, freq="D", inclusive="left")
    weights = _daily_weights(dates)
    acquisition = np.exp(np.log(ANNUAL_GROWTH) * np.arange(len(dates)) / 365.0) * weights ** 1.3
    return _Calendar(
        start=pd.Timestamp(start), months=months, days=len(dates),
        sales_cum=np.concatenate(([0.0], np.cumsum(weights))),
        acquisition_cum=_cumulative_share(acquisition),
        hour_cum=_cumulative_share(HOURS),
    )


def _cumulative_share(weights) -> np.ndarray:
    """Cumulative shares with a leading 0 and an exact 1 at the end."""
    cum = np.concatenate(([0.0], np.cumsum(weights)))
    cum /= cum[-1]
    cum[-1] = 1.0
    return cum


# ---------------------------------------------------------------------------------------------
# Small array helpers
# ---------------------------------------------------------------------------------------------
def _rng(seed: int, key: int) -> np.random.Generator:
    """The generator for one part of the world: child `key` of the seed's SeedSequence."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(key,)))


def _group_starts(counts: np.ndarray) -> np.ndarray:
    """Offset of each group in a flat array made of groups of `counts` items."""
    return np.cumsum(counts) - counts


def _rank_in_group(counts: np.ndarray) -> np.ndarray:
    """0, 1, ... within each group, for a flat array made of groups of `counts` items."""
    return np.arange(counts.sum()) - np.repeat(_group_starts(counts), counts)


def _rows(**columns) -> dict[str, np.ndarray]:
    """A bundle of equal-length columns; scalars are broadcast to the length of the first array."""
    n = len(next(v for v in columns.values() if np.ndim(v)))
    return {k: (np.asarray(v) if np.ndim(v) else np.full(n, v)) for k, v in columns.items()}


def _concat(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Stack row bundles that share their columns."""
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def _take(rows: dict[str, np.ndarray], index) -> dict[str, np.ndarray]:
    """The selected rows (a mask or positions) of a row bundle."""
    return {k: v[index] for k, v in rows.items()}


def _sort(rows: dict[str, np.ndarray], *keys: str) -> dict[str, np.ndarray]:
    """Rows sorted by the keys, first key first (stable)."""
    return _take(rows, np.lexsort([rows[k] for k in reversed(keys)]))


def _uniform_between(rng, lo, hi) -> np.ndarray:
    """One uniform draw in [lo, hi) per pair."""
    return lo + rng.random(len(lo)) * (hi - lo)


class _History:
    """Per-customer sorted times, answering 'how many (or how much) before t' for many customers at once."""

    def __init__(self, owner, t, horizon: int, weight=None):
        order = np.lexsort((t, owner))
        self.span = horizon + 1
        self.t = t[order]
        self.key = owner[order].astype(np.int64) * self.span + self.t
        w = np.ones(len(order)) if weight is None else np.asarray(weight, dtype=float)[order]
        self.cum = np.concatenate(([0.0], np.cumsum(w)))

    def _index(self, owner, t):
        return np.searchsorted(self.key, owner.astype(np.int64) * self.span + np.clip(t, 0, self.span - 1))

    def count_before(self, owner, t) -> np.ndarray:
        """Items of each owner strictly before t."""
        return self._index(owner, t) - self._index(owner, 0)

    def weight_before(self, owner, t) -> np.ndarray:
        """Summed weights of each owner's items strictly before t."""
        return self.cum[self._index(owner, t)] - self.cum[self._index(owner, 0)]

    def last_before(self, owner, t) -> np.ndarray:
        """Each owner's latest time strictly before t, or NULL."""
        idx = self._index(owner, t)
        has = idx > self._index(owner, 0)
        return np.where(has, self.t[np.maximum(idx - 1, 0)], NULL)


# ---------------------------------------------------------------------------------------------
# Customers and their hidden traits
# ---------------------------------------------------------------------------------------------
@dataclass
class _Chunk:
    """The customers of one chunk: profile fields and the hidden traits that drive their behaviour."""

    gidx: np.ndarray  # global position, 0-based, in signup order
    x_signup: np.ndarray  # raw days
    t_signup: np.ndarray  # seconds
    female: np.ndarray
    first_name: np.ndarray
    last_name: np.ndarray  # NULL: one name only
    city: np.ndarray
    birth_day: np.ndarray  # days since 1970-01-01
    birth_month: np.ndarray
    acquisition: np.ndarray
    referred_by: np.ndarray  # global position or NULL
    email_domain: np.ndarray
    phone_prefix: np.ndarray
    phone_number: np.ndarray
    consent_email: np.ndarray
    consent_whatsapp: np.ndarray
    app_user: np.ndarray
    buyer: np.ndarray
    lam: np.ndarray
    p_drop: np.ndarray
    nu: np.ndarray
    satisfaction: np.ndarray
    engagement: np.ndarray
    category: np.ndarray
    cross: np.ndarray
    channel: np.ndarray
    id_width: int

    @cached_property
    def ids(self) -> pa.Array:
        """The chunk's customer ids."""
        return _customer_ids(self.gidx, self.id_width)

    def __len__(self) -> int:
        return len(self.gidx)


def _draw_customers(cal: _Calendar, rng, lo: int, hi: int, total: int) -> _Chunk:
    """Customers lo..hi-1 of `total`: signup times are stratified quantiles, so ids follow signup order."""
    n = hi - lo
    gidx = np.arange(lo, hi, dtype=np.int64)
    x_signup = cal.signup_day((gidx + rng.random(n)) / total)
    t_signup = cal.clock(x_signup)
    female = rng.random(n) < FEMALE_SHARE
    acquisition = rng.choice(len(ACQUISITION), n, p=_shares(_column(ACQUISITION, 1)))
    referral = ACQUISITION_CODE["referral"]
    acquisition[(acquisition == referral) & (gidx == 0)] = ACQUISITION_CODE["organic"]  # nobody to refer the first
    app_user = rng.random(n) < APP_USERS
    birth_day, birth_month = _birth_days(cal, rng, t_signup)
    lam = rng.gamma(BGNBD_R, 1.0 / BGNBD_ALPHA, n)
    return _Chunk(
        gidx=gidx, x_signup=x_signup, t_signup=t_signup, female=female,
        first_name=rng.integers(0, len(FIRST_NAMES["F"]), n),
        last_name=np.where(rng.random(n) < SINGLE_NAME_SHARE, NULL, rng.integers(0, len(LAST_NAMES), n)),
        city=rng.choice(len(CITIES), n, p=_shares(_column(CITIES, 2))),
        birth_day=birth_day, birth_month=birth_month, acquisition=acquisition,
        referred_by=np.where(acquisition == referral, np.floor(gidx * np.sqrt(rng.random(n))).astype(np.int64), NULL),
        email_domain=rng.choice(len(EMAIL_DOMAINS), n, p=_shares(_column(EMAIL_DOMAINS, 1))),
        phone_prefix=rng.integers(0, len(PHONE_PREFIXES), n), phone_number=rng.integers(0, 10**8, n),
        consent_email=rng.random(n) < CONSENT_EMAIL, consent_whatsapp=rng.random(n) < CONSENT_WHATSAPP,
        app_user=app_user,
        buyer=rng.random(n) < np.array(_column(ACQUISITION, 2))[acquisition],
        lam=lam, p_drop=rng.beta(BGNBD_A, BGNBD_B, n),
        nu=rng.gamma(GG_Q, 1.0 / GG_GAMMA, n),
        satisfaction=SATISFACTION_PER_LOG_RATE * np.log(lam * BGNBD_ALPHA) + rng.normal(0.0, 0.8, n),
        engagement=np.clip(2.0 * rng.beta(2.0, 3.0, n), 0.05, 1.6),
        category=_home_category(rng, female), cross=rng.beta(0.8, 2.5, n),
        channel=_home_channel(rng, acquisition, app_user),
        id_width=max(ID_WIDTH["customers"][1], len(str(total))),
    )


def _birth_days(cal: _Calendar, rng, t_signup):
    """Birth dates (days since 1970-01-01) for adults of 17-70 at signup, and their months."""
    age_years = np.clip(17.0 + rng.gamma(2.2, 6.5, len(t_signup)), 17.0, 70.0)
    signup_day = (cal.epoch + t_signup) // DAY
    birth = (signup_day - np.floor(age_years * 365.25)).astype(np.int64)
    return birth, np.asarray(pd.to_datetime(birth, unit="D").month)


def _home_category(rng, female) -> np.ndarray:
    """Each customer's favourite category, with different tastes for women and men."""
    women = rng.choice(len(CATEGORIES), len(female), p=_shares(_column(CATEGORIES, 2)))
    men = rng.choice(len(CATEGORIES), len(female), p=_shares(_column(CATEGORIES, 3)))
    return np.where(female, women, men)


def _home_channel(rng, acquisition, app_user) -> np.ndarray:
    """Each customer's usual sales channel: marketplace and store recruits mostly stay there, others mostly
    shop online (the app if they use it) and some prefer the marketplace or a store."""
    n = len(acquisition)
    online = np.where(app_user, SALE_CHANNELS.index("app"), SALE_CHANNELS.index("web"))
    elsewhere = rng.choice(len(SALE_CHANNELS), n, p=SALE_CHANNEL_MIX)
    usual = np.where(rng.random(n) < ONLINE_HOME_SHARE, online, elsewhere)
    acquired_in = np.array([SALE_CHANNELS.index(a[3]) if a[3] else NULL for a in ACQUISITION])[acquisition]
    return np.where((acquired_in != NULL) & (rng.random(n) < 0.7), acquired_in, usual)


# ---------------------------------------------------------------------------------------------
# Purchases (BG/NBD), browsing sessions
# ---------------------------------------------------------------------------------------------
def _first_purchases(cal: _Calendar, ch: _Chunk, rng):
    """Raw day of each customer's first purchase (hours or days after signup), NaN if none in the window."""
    n = len(ch)
    soon = rng.random(n) < 0.6
    delay = 1 / 72 + np.where(soon, rng.exponential(2 / 24, n), rng.exponential(10.0, n))
    x0 = ch.x_signup + delay
    return np.where(ch.buyer & (x0 < cal.days), x0, np.nan)


def _repeat_purchases(cal: _Calendar, ch: _Chunk, x0, rng):
    """BG/NBD repeat purchases after the first: Poisson at rate lambda in operational time until dropout.

    With N ~ Poisson(lambda * exposure) arrivals in the window and dropout after the K-th repeat
    (K ~ Geometric(p)), the customer shows the first m = min(N, K) of N sorted uniform arrivals. Those are
    drawn directly from exponential spacings: U(k) = S_k / (S_m + G), G ~ Gamma(N + 1 - m).
    Returns (owner, raw day) of every repeat purchase and each customer's dropout day (inf if alive).
    """
    who = np.flatnonzero(~np.isnan(x0))
    tau0 = cal.op(x0[who])
    exposure = cal.sales_cum[-1] - tau0
    arrivals = rng.poisson(ch.lam[who] * exposure)
    lifetime = rng.geometric(ch.p_drop[who])
    m = np.minimum(arrivals, lifetime)
    spacing = np.cumsum(rng.exponential(1.0, m.sum()))
    before = np.concatenate(([0.0], spacing))[_group_starts(m)]
    within = spacing - np.repeat(before, m)
    last = np.concatenate(([0.0], within))[np.cumsum(m)] * (m > 0)
    total = last + rng.gamma(arrivals - m + 1.0)
    owner = np.repeat(who, m)
    x = cal.raw(np.repeat(tau0, m) + within / np.repeat(total, m) * np.repeat(exposure, m))
    dropout = np.full(len(ch), np.inf)
    dropped = (lifetime <= arrivals) & (m > 0)
    dropout[who[dropped]] = cal.raw(tau0[dropped] + last[dropped] / total[dropped] * exposure[dropped])
    return owner, x, dropout


def _baseline_sales(cal: _Calendar, ch: _Chunk, rng):
    """Every customer's purchases without campaigns, as (owner, seconds) sorted, and the dropout day."""
    x0 = _first_purchases(cal, ch, rng)
    owner, x, dropout = _repeat_purchases(cal, ch, x0, rng)
    first = np.flatnonzero(~np.isnan(x0))
    sales = _sort(_rows(owner=np.concatenate((first, owner)), t=cal.clock(np.concatenate((x0[first], x)))),
                  "owner", "t")
    return sales, dropout


def _active_until(cal: _Calendar, ch: _Chunk, dropout, has_bought) -> np.ndarray:
    """Raw day until which a customer still browses: a month past dropout, two months for non-buyers."""
    until = np.where(np.isfinite(dropout), dropout + 30.0, cal.days)
    until = np.where(has_bought, until, ch.x_signup + 60.0)
    return np.minimum(until, cal.days - 1e-9)


def _browse_times(cal: _Calendar, ch: _Chunk, rng, counts, until) -> dict[str, np.ndarray]:
    """`counts` session times per customer, spread between signup and `until`."""
    owner = np.repeat(np.arange(len(ch)), counts)
    x = _uniform_between(rng, ch.x_signup[owner], np.maximum(until[owner], ch.x_signup[owner]))
    return _sort(_rows(owner=owner, t=cal.clock(x)), "owner", "t")


# ---------------------------------------------------------------------------------------------
# Campaigns: plan, audiences, messages and uplift
# ---------------------------------------------------------------------------------------------
@dataclass
class _Plan:
    """The campaign calendar (same for every chunk) and the sends counted over all chunks."""

    kind: list[str]
    channel: list[str]
    name: list[str]
    start_day: np.ndarray  # day index in the window
    end_day: np.ndarray  # inclusive
    control_share: np.ndarray
    sent: np.ndarray

    def __len__(self) -> int:
        return len(self.kind)

    def send_time(self, c: int) -> int:
        return int(self.start_day[c]) * DAY + SEND_HOUR[self.channel[c]] * HOUR

    def stop_time(self, c: int) -> int:
        """End of the campaign window (exclusive), in seconds."""
        return (int(self.end_day[c]) + 1) * DAY


def _plan_campaigns(cal: _Calendar, rng) -> _Plan:
    """2-4 campaigns a month: always a welcome series, plus other types once there is an audience for them."""
    rows = []
    ramadan = _ramadan_starts(cal.start, cal.start + pd.Timedelta(days=cal.days))
    for m in range(cal.months):
        month_start = cal.start + pd.DateOffset(months=m)
        offset = (month_start - cal.start).days
        allowed = [k for k in CAMPAIGN_TYPES[1:] if m >= CAMPAIGNS[k][4]]
        extra = rng.choice(allowed, size=min(int(rng.integers(1, 4)), len(allowed)), replace=False)
        month_rows = []
        for kind in ["welcome", *map(str, extra)]:
            day = _campaign_start_day(kind, month_start, rng)
            days = int(rng.integers(*CAMPAIGNS[kind][3]))
            channel = str(rng.choice(CAMPAIGNS[kind][1]))
            start = month_start + pd.Timedelta(days=day)
            month_rows.append((offset + day, min(offset + day + days - 1, cal.days - 1), kind, channel,
                               float(rng.choice(CONTROL_SHARES)), _campaign_name(kind, start, ramadan)))
        rows.extend(sorted(month_rows, key=lambda r: r[0]))
    start, end, kind, channel, share, name = (list(col) for col in zip(*rows))
    return _Plan(kind=kind, channel=channel, name=name, start_day=np.array(start), end_day=np.array(end),
                 control_share=np.array(share), sent=np.zeros(len(rows), dtype=np.int64))


def _campaign_start_day(kind: str, month_start: pd.Timestamp, rng) -> int:
    """Day of the month (0-based) a campaign starts: welcome on the 1st, Harbolnas offers on 10 December."""
    if kind == "welcome":
        return 0
    if month_start.month == 12 and kind in ("cross_sell", "loyalty_vip"):
        return 9
    return int(rng.integers(0, 20))


def _campaign_name(kind: str, start: pd.Timestamp, ramadan: list[pd.Timestamp]) -> str:
    """A marketer's name for the campaign, tagged with the season it runs in."""
    if start.month == 12 and 8 <= start.day <= 12:
        season = "Harbolnas 12.12"
    elif any(0 <= (start - r).days < 30 for r in ramadan):
        season = "Ramadan"
    else:
        season = MONTHS_ID[start.month - 1]
    return f"{CAMPAIGNS[kind][0]} {season} {start.year}"


@dataclass(frozen=True)
class _Snapshot:
    """What is known about every customer of a chunk at the moment a campaign is sent."""

    joined: np.ndarray
    days_since_signup: np.ndarray
    purchases: np.ndarray
    days_since_purchase: np.ndarray  # inf if never bought
    carts_14d: np.ndarray
    birthday_month: np.ndarray


AUDIENCES = {  # campaign type: who is eligible
    "welcome": lambda s: s.joined & (s.days_since_signup < 30),
    "cart_abandonment": lambda s: s.joined & (s.carts_14d > 0),
    "win_back": lambda s: (s.purchases > 0) & (s.days_since_purchase >= 60) & (s.days_since_purchase <= 240),
    "birthday": lambda s: s.joined & s.birthday_month,
    "loyalty_vip": lambda s: (s.purchases >= 5) & (s.days_since_purchase <= 120),
    "cross_sell": lambda s: (s.purchases >= 2) & (s.days_since_purchase <= 90),
}


def _snapshot(cal: _Calendar, ch: _Chunk, t0: int, sales: _History, carts: _History) -> _Snapshot:
    """Each customer's state at time t0, from baseline purchases and abandoned carts."""
    everyone = np.arange(len(ch))
    last = sales.last_before(everyone, t0)
    return _Snapshot(
        joined=ch.t_signup < t0,
        days_since_signup=(t0 - ch.t_signup) / DAY,
        purchases=sales.count_before(everyone, t0),
        days_since_purchase=np.where(last == NULL, np.inf, (t0 - last) / DAY),
        carts_14d=carts.count_before(everyone, t0) - carts.count_before(everyone, t0 - 14 * DAY),
        birthday_month=ch.birth_month == cal.month_of(t0),
    )


def _reachable(ch: _Chunk, channel: str) -> np.ndarray:
    """Customers a channel may contact: consent for email and WhatsApp/SMS, the app for push."""
    return {"email": ch.consent_email, "whatsapp": ch.consent_whatsapp, "sms": ch.consent_whatsapp,
            "push": ch.app_user}[channel]


def _message_events(c: int, channel: str, targets, sent_at, ch: _Chunk, rng, horizon: int):
    """Send, open, click and unsubscribe events of one campaign's treated customers.

    Returns the event bundles, who clicked and when they clicked (or would have)."""
    send, open_, click = MESSAGE_EVENTS[channel]
    n = len(targets)
    code = CHANNEL_CODE[channel]
    parts = [_rows(owner=targets, t=sent_at, type=EVENT_CODE[send], channel=code, campaign=c)]
    opened_at = sent_at + 60 + rng.exponential(2 * HOUR, n).astype(np.int64)
    opened = (rng.random(n) < OPEN_RATE[channel] * ch.engagement[targets]) & (opened_at < horizon) & bool(open_)
    if open_:
        parts.append(_rows(owner=targets[opened], t=opened_at[opened], type=EVENT_CODE[open_], channel=code,
                           campaign=c))
    clicked_at = np.where(open_ is not None, opened_at, sent_at) + 5 + rng.exponential(3 * MINUTE, n).astype(np.int64)
    could_click = opened if open_ else np.ones(n, dtype=bool)
    clicked = could_click & (rng.random(n) < CLICK_RATE[channel]) & (clicked_at < horizon) & bool(click)
    if click:
        parts.append(_rows(owner=targets[clicked], t=clicked_at[clicked], type=EVENT_CODE[click], channel=code,
                           campaign=c))
    left_at = opened_at + 30
    left = opened & (rng.random(n) < UNSUBSCRIBE_RATE[channel]) & (left_at < horizon)
    parts.append(_rows(owner=targets[left], t=left_at[left], type=EVENT_CODE["unsubscribe"], channel=code, campaign=c))
    _withdraw_consent(ch, channel, targets[left])
    return parts, clicked, clicked_at


def _withdraw_consent(ch: _Chunk, channel: str, who) -> None:
    """Customers who unsubscribed are no longer reachable on that channel."""
    if channel == "email":
        ch.consent_email[who] = False
    elif channel == "whatsapp":
        ch.consent_whatsapp[who] = False


def _campaign_purchases(c: int, plan: _Plan, targets, sent_at, clicked, clicked_at, alive, rng):
    """Incremental purchases a campaign causes among its treated customers, inside its window."""
    kind, channel = plan.kind[c], plan.channel[c]
    stop = plan.stop_time(c)
    chance = CAMPAIGNS[kind][2] * CHANNEL_UPLIFT[channel] * np.where(alive, 1.0, DEAD_UPLIFT)
    chance = np.minimum(chance * np.where(clicked, 2.0, 0.8), 0.95)
    buys = rng.random(len(targets)) < chance
    later = sent_at + 600 + ((stop - sent_at - 600) * rng.random(len(targets)) ** 1.5).astype(np.int64)
    soon = clicked_at + 60 + rng.exponential(30 * MINUTE, len(targets)).astype(np.int64)
    t = np.minimum(np.where(clicked, soon, later), stop - 1)
    return _rows(owner=targets[buys], t=t[buys], campaign=c, cross=kind == "cross_sell")


def _attribute(sales, campaign, who, sent_at, stop: int, n_customers: int, c: int) -> None:
    """Give campaign c the treated customers' not yet attributed purchases inside its window."""
    when = np.full(n_customers, np.iinfo(np.int64).max)
    when[who] = sent_at
    hit = (sales["t"] >= when[sales["owner"]]) & (sales["t"] < stop) & (campaign == NULL)
    campaign[hit] = c


def _run_campaigns(cal: _Calendar, plan: _Plan, ch: _Chunk, sales, dropout, carts, rng):
    """Every campaign on this chunk in date order: audience, holdout, messages, uplift and attribution.

    Returns the campaign events, the baseline sales' campaign ids and the incremental sales.
    """
    n = len(ch)
    sales_history = _History(sales["owner"], sales["t"], cal.horizon)
    cart_history = _History(carts["owner"], carts["t"], cal.horizon)
    campaign = np.full(len(sales["t"]), NULL)
    events, extra = [], []
    for c in range(len(plan)):
        t0, channel = plan.send_time(c), plan.channel[c]
        state = _snapshot(cal, ch, t0, sales_history, cart_history)
        audience = np.flatnonzero(AUDIENCES[plan.kind[c]](state) & _reachable(ch, channel))
        held_out = rng.random(len(audience)) < plan.control_share[c]
        control, targets = audience[held_out], audience[~held_out]
        events.append(_rows(owner=control, t=np.full(len(control), t0), type=EVENT_CODE["campaign_holdout"],
                            channel=CHANNEL_CODE[channel], campaign=c))
        sent_at = t0 + rng.integers(0, HOUR, len(targets))
        parts, clicked, clicked_at = _message_events(c, channel, targets, sent_at, ch, rng, cal.horizon)
        events.extend(parts)
        alive = dropout[targets] * DAY > t0
        extra.append(_campaign_purchases(c, plan, targets, sent_at, clicked, clicked_at, alive, rng))
        _attribute(sales, campaign, targets, sent_at, plan.stop_time(c), n, c)
        plan.sent[c] += len(targets)
    return events, campaign, extra


# ---------------------------------------------------------------------------------------------
# What each purchase looks like; refunds, sessions, tickets, feedback, pipeline
# ---------------------------------------------------------------------------------------------
def _sale_details(ch: _Chunk, sales, rng) -> dict[str, np.ndarray]:
    """Channel, category, product, quantity and Gamma-Gamma amount of every sale."""
    owner, n = sales["owner"], len(sales["owner"])
    k = len(CATEGORIES)
    mix = rng.choice(len(SALE_CHANNELS), n, p=SALE_CHANNEL_MIX)
    channel = np.where(rng.random(n) < HOME_CHANNEL_SHARE, ch.channel[owner], mix)
    home = ch.category[owner]
    other = rng.choice(k, n, p=_shares(np.add(_column(CATEGORIES, 2), _column(CATEGORIES, 3))))
    category = np.where(rng.random(n) < ch.cross[owner], other, home)
    forced = sales["cross"] & (category == home)
    category = np.where(forced, (home + 1 + rng.integers(0, k - 1, n)) % k, category)
    products = np.array(_column(CATEGORIES, 7))[category]
    amount = rng.gamma(GG_P, 1.0 / ch.nu[owner]) * np.array(_column(CATEGORIES, 4))[category]
    return dict(
        channel=channel, category=category,
        product=1 + np.floor(products * rng.random(n) ** 2.5).astype(np.int64),
        quantity=1 + rng.poisson(np.array(_column(CATEGORIES, 5))[category]),
        amount=np.clip(np.round(amount / 100.0) * 100.0, 15_000.0, 25_000_000.0),
        bad=rng.random(n) < REFUND_RATE * np.array(_column(CATEGORIES, 6))[category],
    )


def _refunds(sales, rng, horizon: int):
    """For each bad sale: when the refund is paid (a day or more later), NULL if after the window."""
    n = len(sales["t"])
    at = sales["t"] + DAY + rng.exponential(4 * DAY, n).astype(np.int64)
    return np.where(sales["bad"] & (at < horizon), at, NULL), at


def _transactions(sales, refund_at):
    """Sales plus refund rows (negative amount, kind refund), sorted by customer and time."""
    refunded = refund_at != NULL
    refunds = _take(sales, refunded)
    refunds["t"], refunds["amount"] = refund_at[refunded], -refunds["amount"]
    sales = dict(sales, kind=np.zeros(len(sales["t"]), dtype=np.int64))
    refunds["kind"] = np.ones(int(refunded.sum()), dtype=np.int64)
    return _sort(_concat([sales, refunds]), "owner", "t")


def _funnel_sessions(owner, end, steps, channel, campaign, floor, rng) -> dict[str, np.ndarray]:
    """Funnel events of sessions ending at `end`: the first `steps` of FUNNEL, numbered by session.

    A session lasts 2-60 minutes and never starts before the customer's signup (`floor`). The visit's
    duration is the whole session; every later step lasts until the next one (the last until `end`).
    """
    n = len(owner)
    span = np.minimum(120 + rng.gamma(2.0, 300.0, n), 3600).astype(np.int64)
    start = np.maximum(end - span, floor[owner])
    length = end - start
    step = _rank_in_group(steps)
    s = np.repeat(np.arange(n), steps)
    begins = start[s] + np.floor(FUNNEL_AT[step] * length[s]).astype(np.int64)
    is_last = step + 1 == steps[s]
    next_at = FUNNEL_AT[np.minimum(step + 1, len(FUNNEL) - 1)]
    ends = np.where(is_last, end[s], start[s] + np.floor(next_at * length[s]).astype(np.int64))
    duration = np.where(step == 0, length[s], ends - begins).astype(float)
    return _rows(owner=owner[s], t=begins, type=step, channel=channel[s], campaign=campaign[s], session=s,
                 duration=duration)


def _session_events(ch: _Chunk, sales, browse, carts, rng) -> dict[str, np.ndarray]:
    """All funnel sessions: before every web/app purchase, browse-only visits and abandoned carts."""
    online_sale = sales["channel"] <= SALE_CHANNELS.index("app")
    online = np.where(ch.app_user, CHANNEL_CODE["app"], CHANNEL_CODE["web"])
    buy = _take(sales, online_sale)
    owner = np.concatenate((buy["owner"], browse["owner"], carts["owner"]))
    end = np.concatenate((buy["t"], browse["t"], carts["t"]))
    steps = np.concatenate((np.full(len(buy["t"]), 4), np.full(len(browse["t"]), 2),
                            3 + (rng.random(len(carts["t"])) < 0.35)))
    channel = np.concatenate((buy["channel"], online[browse["owner"]], online[carts["owner"]]))
    campaign = np.concatenate((buy["campaign"], np.full(len(browse["t"]) + len(carts["t"]), NULL)))
    return _funnel_sessions(owner, end, steps, channel, campaign, ch.t_signup, rng)


def _with_event_defaults(rows) -> dict[str, np.ndarray]:
    """Campaign and install events have no session and no duration."""
    n = len(rows["owner"])
    return dict(rows, campaign=rows.get("campaign", np.full(n, NULL)), session=np.full(n, NULL),
                duration=np.full(n, np.nan))


def _ticket_rows(sales, refund_due, ch: _Chunk, cal: _Calendar, rng) -> dict[str, np.ndarray]:
    """Tickets: most bad orders (topic refund), a few other orders, and some account problems."""
    n = len(sales["t"])
    bad = sales["bad"] & (rng.random(n) < REFUND_TICKET_RATE)
    bad_opened = sales["t"] + ((refund_due - sales["t"]) * rng.uniform(0.1, 0.5, n)).astype(np.int64)
    other = ~sales["bad"] & (rng.random(n) < SALE_TICKET_RATE)
    other_opened = sales["t"] + HOUR + rng.exponential(2 * DAY, n).astype(np.int64)
    topic = rng.choice(len(TICKET_TOPICS), n, p=SALE_TICKET_TOPICS)
    account = np.flatnonzero(rng.random(len(ch)) < ACCOUNT_TICKET_RATE)
    account_opened = cal.clock(_uniform_between(rng, ch.x_signup[account], np.full(len(account), cal.days - 1e-9)))
    rows = _concat([
        _rows(owner=sales["owner"][bad], t=bad_opened[bad], topic=TICKET_TOPICS.index("refund")),
        _rows(owner=sales["owner"][other], t=other_opened[other], topic=topic[other]),
        _rows(owner=account, t=account_opened, topic=TICKET_TOPICS.index("akun")),
    ])
    rows = _take(rows, rows["t"] < cal.horizon)
    return _sort(dict(rows, **_ticket_handling(rows["t"], rows["topic"], cal.horizon, rng)), "owner", "t")


def _ticket_handling(opened, topic, horizon: int, rng) -> dict[str, np.ndarray]:
    """Channel, first response, resolution, status and cost of tickets; times after the window stay NULL."""
    n = len(opened)
    channel = rng.choice(len(TICKET_CHANNELS), n, p=_shares(_column(TICKET_CHANNELS, 1)))
    first = opened + (np.array(_column(TICKET_CHANNELS, 2))[channel] * rng.lognormal(0.0, 1.0, n)).astype(np.int64)
    resolved = first + (RESOLUTION_HOURS[topic] * HOUR * rng.lognormal(0.0, 1.1, n)).astype(np.int64)
    answered, done = first < horizon, resolved < horizon
    closed = done & (resolved + 7 * DAY < horizon) & (rng.random(n) < 0.8)
    status = np.select([~answered, ~done, closed], [_code(TICKET_STATUSES, s) for s in ("open", "pending", "closed")],
                       _code(TICKET_STATUSES, "resolved"))
    hours = (np.minimum(resolved, horizon) - opened) / HOUR
    cost = np.array(_column(TICKET_CHANNELS, 3))[channel] + 350.0 * np.minimum(hours, 240.0)
    return dict(channel=channel, first=np.where(answered, first, NULL), resolved=np.where(done, resolved, NULL),
                status=status, cost=np.round(cost / 100.0) * 100.0, slow=~done | (resolved - opened > SLOW_TICKET))


def _feedback_rows(sales, tickets, ch: _Chunk, cal: _Calendar, rng) -> dict[str, np.ndarray]:
    """NPS/CSAT surveys a few days after some purchases, driven by the customer's experience so far."""
    n = len(sales["t"])
    asked = rng.random(n) < np.where(sales["bad"], BAD_SURVEY_RATE, SURVEY_RATE)
    at = sales["t"] + 2 * DAY + rng.integers(0, 8 * DAY, n)
    keep = np.flatnonzero(asked & (at < cal.horizon))
    owner, t, bad = sales["owner"][keep], at[keep], sales["bad"][keep]
    purchases = _History(sales["owner"], sales["t"], cal.horizon).count_before(owner, t)
    ticket_history = _History(tickets["owner"], tickets["t"], cal.horizon, weight=tickets["slow"])
    since = t - TICKET_MEMORY
    had_ticket = ticket_history.count_before(owner, t) > ticket_history.count_before(owner, since)
    had_slow = ticket_history.weight_before(owner, t) > ticket_history.weight_before(owner, since)
    mood = (ch.satisfaction[owner] + NPS_PER_LOG_ORDER * np.log1p(purchases) - NPS_TICKET * had_ticket
            - NPS_SLOW_TICKET * had_slow - NPS_BAD_ORDER * bad + rng.normal(0.0, 1.0, len(keep)))
    nps = np.clip(np.rint(NPS_BASE + mood), 0, 10).astype(np.int64)
    csat = np.clip(np.rint(1 + nps * 0.4 + rng.normal(0.0, 0.6, len(keep))), 1, 5).astype(np.int64)
    return _sort(_rows(owner=owner, t=t, nps=nps, csat=csat, comment=_comments(nps, bad, rng),
                       channel=rng.choice(len(SURVEY_CHANNELS), len(keep), p=(0.45, 0.35, 0.20))), "owner", "t")


def _comments(nps, bad, rng) -> np.ndarray:
    """A short comment code (or NULL) that matches the score, and the bad order if there was one."""
    group = np.array(_column(COMMENTS, 1))
    tone = np.select([bad & (nps <= 6), nps <= 6, nps <= 8], [3, 0, 1], 2)
    pools = [np.flatnonzero(group == g) for g in range(4)]
    sizes = np.array([len(p) for p in pools])
    first = np.array([p[0] for p in pools])  # each pool is a contiguous block of COMMENTS
    code = first[tone] + (rng.random(len(nps)) * sizes[tone]).astype(np.int64)
    return np.where(rng.random(len(nps)) < COMMENT_SHARE, code, NULL)


def _opportunity_rows(ch: _Chunk, cal: _Calendar, rng) -> dict[str, np.ndarray]:
    """B2B deals opened by existing customers' companies; open deals advance with age, old ones are won or lost."""
    n = int(rng.poisson(len(ch) * OPPORTUNITY_RATE))
    who = rng.integers(0, len(ch), n)
    created = cal.clock(_uniform_between(rng, ch.x_signup[who], np.full(n, cal.days - 1e-9)))
    cycle = DAY + (rng.gamma(2.0, 20.0, n) * DAY).astype(np.int64)
    source = rng.choice(len(OPPORTUNITY_SOURCES), n, p=_shares(_column(OPPORTUNITY_SOURCES, 1)))
    closed = created + cycle < cal.horizon
    won = closed & (rng.random(n) < np.array(_column(OPPORTUNITY_SOURCES, 2))[source])
    progress = (cal.horizon - created) / cycle
    stage = np.select([won, closed, progress < 1 / 3, progress < 2 / 3],
                      [_code(STAGES, s) for s in ("won", "lost", "lead", "qualified")], _code(STAGES, "proposal"))
    value = np.maximum(np.round(rng.lognormal(np.log(25e6), 1.0, n) / 1e5) * 1e5, 1e6)
    linked = won | (rng.random(n) < 0.3)
    return _sort(_rows(owner=np.where(linked, who, NULL), t=created, stage=stage,
                       closed=np.where(closed, created + cycle, NULL), value=value, source=source), "t")


# ---------------------------------------------------------------------------------------------
# Arrow tables and files
# ---------------------------------------------------------------------------------------------
ARROW_TYPES = {"str": pa.string(), "ts": pa.timestamp("s"), "date": pa.date32(), "float": pa.float64(),
               "int": pa.int64(), "bool": pa.bool_()}


def _schema(name: str) -> pa.Schema:
    """The Arrow schema of a contract table (its columns in contract order)."""
    return pa.schema([(c.name, ARROW_TYPES[c.kind]) for c in TABLES[name].columns])


def _ids(prefix: str, numbers, width: int) -> pa.Array:
    """Ids like C0000042 from whole numbers; NULL numbers give missing ids."""
    numbers = np.asarray(numbers, dtype=np.int64)
    digits = pc.utf8_lpad(pc.cast(pa.array(numbers, mask=numbers == NULL), pa.string()), width=width, padding="0")
    return pc.binary_join_element_wise(prefix, digits, "")


def _labels(vocabulary, codes) -> pa.Array:
    """Strings for vocabulary codes; NULL codes give missing values."""
    codes = np.asarray(codes, dtype=np.int64)
    return pa.array(list(vocabulary), pa.string()).take(pa.array(codes, mask=codes == NULL))


def _arrow(kind: str, values, cal: _Calendar) -> pa.Array:
    """One column in its contract kind: times are seconds since the window start (NULL missing)."""
    if isinstance(values, (pa.Array, pa.ChunkedArray)):
        return values.cast(ARROW_TYPES[kind])
    values = np.asarray(values)
    if kind == "ts":
        return pa.array(values + cal.epoch, pa.timestamp("s"), mask=values == NULL)
    if kind == "date":
        return pa.array(values.astype(np.int32), pa.date32(), mask=values == NULL)
    if kind == "float":
        return pa.array(values.astype(float), pa.float64(), from_pandas=True)
    return pa.array(values, ARROW_TYPES[kind])


def _table(name: str, cal: _Calendar, columns: dict) -> pa.Table:
    """A contract table from its columns, which must be exactly the contract's, in order."""
    if tuple(columns) != TABLES[name].names:
        raise ValueError(f"{name}: columns {tuple(columns)} differ from the contract {TABLES[name].names}")
    kinds = {c.name: c.kind for c in TABLES[name].columns}
    return pa.Table.from_arrays([_arrow(kinds[k], v, cal) for k, v in columns.items()], schema=_schema(name))


class _Writers:
    """One open output file per contract table; tables are appended chunk by chunk and their rows counted."""

    def __init__(self, folder: Path, fmt: str):
        self.fmt = fmt
        self.rows = {name: 0 for name in TABLE_ORDER}
        self.files = {name: self._open(folder / f"{name}.{fmt}", _schema(name)) for name in TABLE_ORDER}

    def _open(self, path: Path, schema: pa.Schema):
        if self.fmt == "parquet":
            return pq.ParquetWriter(path, schema, compression="zstd")
        sink = open(path, "wb")
        sink.write((",".join(schema.names) + "\n").encode("utf-8"))
        return sink, pacsv.CSVWriter(sink, schema, write_options=pacsv.WriteOptions(include_header=False,
                                                                                     quoting_style="none"))

    def write(self, name: str, table: pa.Table) -> None:
        """Append a table's rows to its file (one Parquet row group per call)."""
        writer = self.files[name]
        (writer if self.fmt == "parquet" else writer[1]).write_table(table)
        self.rows[name] += table.num_rows

    def close(self) -> None:
        for writer in self.files.values():
            if self.fmt == "parquet":
                writer.close()
            else:
                writer[1].close()
                writer[0].close()

    def __enter__(self) -> "_Writers":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class _Counters:
    """The next number of each id series, carried from chunk to chunk."""

    def __init__(self):
        self.next = {"transactions": 1, "events": 1, "feedback": 1, "tickets": 1, "opportunities": 1, "sessions": 1}

    def take(self, series: str, n: int) -> int:
        """Reserve n consecutive numbers of a series; returns the first."""
        first = self.next[series]
        self.next[series] += n
        return first


ID_WIDTH = {"transactions": ("T", 9), "events": ("E", 10), "feedback": ("R", 8), "tickets": ("K", 8),
            "opportunities": ("O", 7), "sessions": ("S", 10), "campaigns": ("CMP", 3), "customers": ("C", 7)}


def _new_ids(counters: _Counters, series: str, n: int) -> pa.Array:
    """The next n ids of a series."""
    prefix, width = ID_WIDTH[series]
    return _ids(prefix, counters.take(series, n) + np.arange(n, dtype=np.int64), width)


# ---------------------------------------------------------------------------------------------
# The tables of one chunk
# ---------------------------------------------------------------------------------------------
def _customers_table(cal: _Calendar, ch: _Chunk) -> pa.Table:
    """The chunk's profile rows (consents as they stand after the window's unsubscribes)."""
    first = np.where(ch.female, ch.first_name, ch.first_name + len(FIRST_NAMES["F"]))
    first_names = _labels(FIRST_NAMES["F"] + FIRST_NAMES["M"], first)
    last_names = _labels(LAST_NAMES, ch.last_name)
    local = pc.binary_join_element_wise(pc.utf8_lower(first_names), pc.utf8_lower(last_names), ".",
                                        null_handling="skip")
    domain = _labels(_column(EMAIL_DOMAINS, 0), ch.email_domain)
    number = pc.cast(pa.array(ch.gidx + 1), pa.string())
    prefix = _labels(PHONE_PREFIXES, ch.phone_prefix)
    subscriber = pc.utf8_lpad(pc.cast(pa.array(ch.phone_number), pa.string()), width=8, padding="0")
    return _table("customers", cal, {
        "customer_id": ch.ids,
        "signup_date": ch.t_signup,
        "name": pc.binary_join_element_wise(first_names, last_names, " ", null_handling="skip"),
        "email": pc.binary_join_element_wise(local, number, "@", domain, ""),
        "phone": pc.binary_join_element_wise("+628", prefix, subscriber, ""),
        "birth_date": ch.birth_day,
        "gender": _labels(("F", "M"), np.where(ch.female, 0, 1)),
        "city": _labels(_column(CITIES, 0), ch.city),
        "region": _labels(_column(CITIES, 1), ch.city),
        "acquisition_channel": _labels(_column(ACQUISITION, 0), ch.acquisition),
        "referred_by": _customer_ids(ch.referred_by, ch.id_width),
        "consent_email": ch.consent_email,
        "consent_whatsapp": ch.consent_whatsapp,
    })


def _customer_ids(gidx, width: int) -> pa.Array:
    """C0000001-style ids for global customer positions (NULL: none)."""
    gidx = np.asarray(gidx, dtype=np.int64)
    return _ids("C", gidx + (gidx != NULL), width)


def _campaign_ids(codes) -> pa.Array:
    """CMP001-style ids for campaign codes (NULL: no campaign)."""
    codes = np.asarray(codes, dtype=np.int64)
    return _ids("CMP", codes + (codes != NULL), ID_WIDTH["campaigns"][1])


def _transactions_table(cal, ch, rows, counters) -> pa.Table:
    """Sales and refunds."""
    n = len(rows["t"])
    codes = _labels(_column(CATEGORIES, 1), rows["category"])
    product = pc.binary_join_element_wise(codes, pc.utf8_lpad(pc.cast(pa.array(rows["product"]), pa.string()),
                                                              width=4, padding="0"), "-")
    return _table("transactions", cal, {
        "transaction_id": _new_ids(counters, "transactions", n),
        "customer_id": ch.ids.take(rows["owner"]),
        "ts": rows["t"], "amount": rows["amount"], "quantity": rows["quantity"],
        "category": _labels(_column(CATEGORIES, 0), rows["category"]),
        "product_id": product,
        "channel": _labels(SALE_CHANNELS, rows["channel"]),
        "campaign_id": _campaign_ids(rows["campaign"]),
        "kind": _labels(("sale", "refund"), rows["kind"]),
    })


def _events_table(cal, ch, rows, counters) -> pa.Table:
    """Engagement events; session numbers become global session ids."""
    n = len(rows["t"])
    session = rows["session"]
    first = counters.take("sessions", int(session.max()) + 1 if n else 0)
    numbers = np.where(session == NULL, NULL, first + session)
    prefix, width = ID_WIDTH["sessions"]
    return _table("events", cal, {
        "event_id": _new_ids(counters, "events", n),
        "customer_id": ch.ids.take(rows["owner"]),
        "ts": rows["t"],
        "event_type": _labels(EVENT_TYPES, rows["type"]),
        "channel": _labels(EVENT_CHANNELS, rows["channel"]),
        "campaign_id": _campaign_ids(rows["campaign"]),
        "session_id": _ids(prefix, numbers, width),
        "duration_s": rows["duration"],
    })


def _feedback_table(cal, ch, rows, counters) -> pa.Table:
    """Survey responses."""
    return _table("feedback", cal, {
        "response_id": _new_ids(counters, "feedback", len(rows["t"])),
        "customer_id": ch.ids.take(rows["owner"]),
        "ts": rows["t"], "nps_score": rows["nps"], "csat": rows["csat"],
        "comment": _labels(_column(COMMENTS, 0), rows["comment"]),
        "channel": _labels(SURVEY_CHANNELS, rows["channel"]),
    })


def _tickets_table(cal, ch, rows, counters) -> pa.Table:
    """Service tickets."""
    return _table("tickets", cal, {
        "ticket_id": _new_ids(counters, "tickets", len(rows["t"])),
        "customer_id": ch.ids.take(rows["owner"]),
        "opened_at": rows["t"], "first_response_at": rows["first"], "resolved_at": rows["resolved"],
        "channel": _labels(_column(TICKET_CHANNELS, 0), rows["channel"]),
        "topic": _labels(TICKET_TOPICS, rows["topic"]),
        "status": _labels(TICKET_STATUSES, rows["status"]),
        "cost": rows["cost"],
    })


def _opportunities_table(cal, ch, rows, counters) -> pa.Table:
    """The B2B pipeline."""
    owner = rows["owner"]
    return _table("opportunities", cal, {
        "opportunity_id": _new_ids(counters, "opportunities", len(owner)),
        "created_at": rows["t"],
        "stage": _labels(STAGES, rows["stage"]),
        "customer_id": ch.ids.take(pa.array(owner, mask=owner == NULL)),
        "closed_at": rows["closed"], "value": rows["value"],
        "source": _labels(_column(OPPORTUNITY_SOURCES, 0), rows["source"]),
    })


def _campaigns_table(cal: _Calendar, plan: _Plan) -> pa.Table:
    """The campaign calendar; cost is a fixed creative cost plus the messages actually sent."""
    fixed = np.array([CAMPAIGNS[k][5] for k in plan.kind], dtype=float)
    per_message = np.array([SEND_COST[c] for c in plan.channel], dtype=float)
    start = cal.epoch // DAY
    return _table("campaigns", cal, {
        "campaign_id": _campaign_ids(np.arange(len(plan))),
        "name": pa.array(plan.name, pa.string()),
        "type": pa.array(plan.kind, pa.string()),
        "channel": pa.array(plan.channel, pa.string()),
        "start_date": start + plan.start_day,
        "end_date": start + plan.end_day,
        "cost": np.round((fixed + per_message * plan.sent) / 1000.0) * 1000.0,
        "control_share": plan.control_share,
    })


def _simulate_chunk(cal: _Calendar, plan: _Plan, lo: int, hi: int, total: int, rng,
                    counters: _Counters) -> dict[str, pa.Table]:
    """Customers lo..hi-1 and everything they do, as contract tables."""
    ch = _draw_customers(cal, rng, lo, hi, total)
    base, dropout = _baseline_sales(cal, ch, rng)
    bought = np.bincount(base["owner"], minlength=len(ch))
    until = _active_until(cal, ch, dropout, bought > 0)
    browse = _browse_times(cal, ch, rng, rng.poisson(BROWSE_SESSIONS[0] + BROWSE_SESSIONS[1] * bought), until)
    carts = _browse_times(cal, ch, rng, rng.poisson(CART_SESSIONS[0] + CART_SESSIONS[1] * bought), until)
    campaign_events, campaign, extra = _run_campaigns(cal, plan, ch, base, dropout, carts, rng)
    base = dict(base, campaign=campaign, cross=np.zeros(len(campaign), dtype=bool))
    sales = _sort(_concat([base, *extra]), "owner", "t")
    sales.update(_sale_details(ch, sales, rng))
    refund_at, refund_due = _refunds(sales, rng, cal.horizon)
    tickets = _ticket_rows(sales, refund_due, ch, cal, rng)
    installs = np.flatnonzero(ch.app_user)
    events = _concat([
        _with_event_defaults(_rows(owner=installs, t=ch.t_signup[installs], type=EVENT_CODE["app_install"],
                                   channel=CHANNEL_CODE["app"])),
        _session_events(ch, sales, browse, carts, rng),
        *[_with_event_defaults(e) for e in campaign_events],
    ])
    return {
        "customers": _customers_table(cal, ch),
        "transactions": _transactions_table(cal, ch, _transactions(sales, refund_at), counters),
        "events": _events_table(cal, ch, _sort(events, "owner", "t"), counters),
        "feedback": _feedback_table(cal, ch, _feedback_rows(sales, tickets, ch, cal, rng), counters),
        "tickets": _tickets_table(cal, ch, tickets, counters),
        "opportunities": _opportunities_table(cal, ch, _opportunity_rows(ch, cal, rng), counters),
    }


# ---------------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------------
def write_sample(out_dir, customers: int = 2000, months: int = 18, seed: int = 7,
                 end: str | None = None, fmt: str = "csv") -> dict[str, int]:
    """Write one file per contract table (customers.csv, transactions.csv, ...) into out_dir; return rows per table.

    The data covers the `months` whole months ending with `end` ("YYYY-MM"; default the last complete
    month before today). `fmt` is "csv" (UTF-8, header, ISO timestamps, true/false, empty for missing)
    or "parquet" (one row group per chunk). The same arguments always give byte-identical files; memory
    stays flat in `customers` because customers are simulated and appended in chunks of CHUNK.
    A campaign's control group is recorded as `campaign_holdout` events (its treated customers get the
    channel's `*_sent` event), so lift against the control group can be measured from the events.
    Raises ParamsError for a bad month, an `end` month that is not over yet, a bad `fmt` or a count below 1.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     rows = write_sample(folder, customers=30, months=2, end="2024-12", fmt="parquet")
    >>> rows["customers"], rows["campaigns"] >= 4
    (30, True)
    """
    _check_arguments(customers, months, fmt)
    cal = _calendar(_end_month(end), int(months))
    plan = _plan_campaigns(cal, _rng(seed, 0))
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    counters = _Counters()
    with _Writers(folder, fmt) as writers:
        for k, lo in enumerate(range(0, customers, CHUNK)):
            hi = min(lo + CHUNK, customers)
            for name, table in _simulate_chunk(cal, plan, lo, hi, customers, _rng(seed, k + 1), counters).items():
                writers.write(name, table)
        writers.write("campaigns", _campaigns_table(cal, plan))
    return dict(writers.rows)
