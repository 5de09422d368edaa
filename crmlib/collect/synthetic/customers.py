"""Acquisition and profiles: who signs up when, what they look like, and the hidden traits behind their behaviour.

Customers arrive over the window at a rate that grows ANNUAL_GROWTH a year, on the same calendar as
purchases. Signup times are stratified quantiles, so customer ids follow signup order and
`referred_by` (referral customers only) always names an earlier customer.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
import pyarrow as pa

from crmlib.collect.synthetic.arrays import draw, lookup, uniform_between
from crmlib.collect.synthetic.calendar import Calendar
from crmlib.collect.synthetic.ids import customer_id_width, ids_at
from crmlib.collect.synthetic.world import (
    ACQUISITION,
    ACQUISITION_CODE,
    APP_USERS,
    BGNBD_A,
    BGNBD_ALPHA,
    BGNBD_B,
    BGNBD_R,
    CATEGORIES,
    CITIES,
    CONSENT_EMAIL,
    CONSENT_WHATSAPP,
    DAY,
    EMAIL_DOMAINS,
    FEMALE_SHARE,
    FIRST_NAMES,
    GG_GAMMA,
    GG_Q,
    LAST_NAMES,
    NULL,
    ONLINE_HOME_SHARE,
    PHONE_PREFIXES,
    PUT_OFF_ENGAGEMENT,
    PUT_OFF_SHARE,
    SALE_CHANNEL_MIX,
    SALE_CHANNELS,
    SATISFACTION_PER_LOG_RATE,
    SINGLE_NAME_SHARE,
)


@dataclass
class Customers:
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
    consent_email: np.ndarray  # as it stands after the unsubscribes so far
    consent_whatsapp: np.ndarray
    app_user: np.ndarray
    buyer: np.ndarray  # ever buys
    lam: np.ndarray  # BG/NBD purchase rate per day
    p_drop: np.ndarray  # dropout probability after each purchase (MBG/NBD)
    nu: np.ndarray  # Gamma-Gamma spend rate
    satisfaction: np.ndarray
    engagement: np.ndarray  # how readily messages are opened, and how much campaigns move the customer
    put_off: np.ndarray  # messages make this customer buy less, not more
    category: np.ndarray  # home category
    cross: np.ndarray  # cross-buying propensity
    channel: np.ndarray  # home sales channel
    id_width: int

    @cached_property
    def ids(self) -> pa.Array:
        """The chunk's customer ids."""
        return ids_at("customers", self.gidx, self.id_width)

    def __len__(self) -> int:
        return len(self.gidx)


def draw_customers(cal: Calendar, rng, lo: int, hi: int, total: int) -> Customers:
    """Customers lo..hi-1 of `total`: signup times are stratified quantiles, so ids follow signup order."""
    n = hi - lo
    gidx = np.arange(lo, hi, dtype=np.int64)
    x_signup = cal.signup_day((gidx + rng.random(n)) / total)
    t_signup = cal.clock(x_signup)
    female = rng.random(n) < FEMALE_SHARE
    acquisition = draw(rng, ACQUISITION, "share", n)
    referral = ACQUISITION_CODE["referral"]
    acquisition[(acquisition == referral) & (gidx == 0)] = ACQUISITION_CODE["organic"]  # nobody to refer the first
    app_user = rng.random(n) < APP_USERS
    birth_day, birth_month = birth_days(cal, rng, t_signup)
    lam = rng.gamma(BGNBD_R, 1.0 / BGNBD_ALPHA, n)
    engagement = np.clip(2.0 * rng.beta(2.0, 3.0, n), 0.05, 1.6)
    return Customers(
        gidx=gidx,
        x_signup=x_signup,
        t_signup=t_signup,
        female=female,
        first_name=rng.integers(0, len(FIRST_NAMES["F"]), n),
        last_name=np.where(rng.random(n) < SINGLE_NAME_SHARE, NULL, rng.integers(0, len(LAST_NAMES), n)),
        city=draw(rng, CITIES, "share", n),
        birth_day=birth_day,
        birth_month=birth_month,
        acquisition=acquisition,
        referred_by=np.where(acquisition == referral, np.floor(gidx * np.sqrt(rng.random(n))).astype(np.int64), NULL),
        email_domain=draw(rng, EMAIL_DOMAINS, "share", n),
        phone_prefix=rng.integers(0, len(PHONE_PREFIXES), n),
        phone_number=rng.integers(0, 10**8, n),
        consent_email=rng.random(n) < CONSENT_EMAIL,
        consent_whatsapp=rng.random(n) < CONSENT_WHATSAPP,
        app_user=app_user,
        buyer=rng.random(n) < lookup(ACQUISITION, "buyer_share", acquisition),
        lam=lam,
        p_drop=rng.beta(BGNBD_A, BGNBD_B, n),
        nu=rng.gamma(GG_Q, 1.0 / GG_GAMMA, n),
        satisfaction=SATISFACTION_PER_LOG_RATE * np.log(lam * BGNBD_ALPHA) + rng.normal(0.0, 0.8, n),
        engagement=engagement,
        put_off=(engagement < PUT_OFF_ENGAGEMENT) & (rng.random(n) < PUT_OFF_SHARE),
        category=home_category(rng, female),
        cross=rng.beta(0.8, 2.5, n),
        channel=home_channel(rng, acquisition, app_user),
        id_width=customer_id_width(total),
    )


def birth_days(cal: Calendar, rng, t_signup):
    """Birth dates (days since 1970-01-01) for adults of 17-70 at signup, and their months."""
    age_years = np.clip(17.0 + rng.gamma(2.2, 6.5, len(t_signup)), 17.0, 70.0)
    signup_day = (cal.epoch + t_signup) // DAY
    birth = (signup_day - np.floor(age_years * 365.25)).astype(np.int64)
    return birth, np.asarray(pd.to_datetime(birth, unit="D").month)


def home_category(rng, female) -> np.ndarray:
    """Each customer's favourite category, with different tastes for women and men."""
    women = draw(rng, CATEGORIES, "women", len(female))
    men = draw(rng, CATEGORIES, "men", len(female))
    return np.where(female, women, men)


def home_channel(rng, acquisition, app_user) -> np.ndarray:
    """Each customer's usual sales channel: marketplace and store recruits mostly stay there, others mostly
    shop online (the app if they use it) and some prefer the marketplace or a store."""
    n = len(acquisition)
    online = np.where(app_user, SALE_CHANNELS.index("app"), SALE_CHANNELS.index("web"))
    elsewhere = rng.choice(len(SALE_CHANNELS), n, p=SALE_CHANNEL_MIX)
    usual = np.where(rng.random(n) < ONLINE_HOME_SHARE, online, elsewhere)
    acquired_in = np.array([SALE_CHANNELS.index(a.home_channel) if a.home_channel else NULL for a in ACQUISITION])[
        acquisition
    ]
    return np.where((acquired_in != NULL) & (rng.random(n) < 0.7), acquired_in, usual)


def times_after_signup(cal: Calendar, customers: Customers, who, rng) -> np.ndarray:
    """A random clock time (seconds) between each listed customer's signup and the end of the window."""
    return cal.clock(uniform_between(rng, customers.x_signup[who], np.full(len(who), cal.last_day)))
