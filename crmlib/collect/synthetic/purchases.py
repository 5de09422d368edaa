"""Purchases: when customers buy (MBG/NBD), what each order looks like (Gamma-Gamma spend), refunds and guests.

Most customers buy within hours or days of signup; after that each makes repeat purchases at a
rate lambda ~ Gamma(r, alpha) per day (in seasonally warped time) and drops out for good after each
purchase, the first one included, with probability p ~ Beta(a, b) (the MBG/NBD process: some customers
never come back after their first order). Amounts are Gamma(p, nu) with a customer-specific
nu ~ Gamma(q, gamma), scaled by the category's price level and rounded to Rp 100. Some sales go
wrong and come back as a negative `refund` row a day or more later. Guests (buyers without an account)
place orders of their own, with no customer id.
"""

from __future__ import annotations

import numpy as np

from crmlib.collect.synthetic.arrays import (
    Rows,
    column,
    concat_rows,
    group_starts,
    lookup,
    make_rows,
    round_to,
    shares,
    sort_rows,
    take_rows,
)
from crmlib.collect.synthetic.calendar import Calendar
from crmlib.collect.synthetic.customers import Customers
from crmlib.collect.synthetic.world import (
    AFFINITY_BOOST,
    AFFINITY_PAIRS,
    CATEGORIES,
    DAY,
    GG_GAMMA,
    GG_P,
    GG_Q,
    GUEST_CHANNEL_MIX,
    GUEST_ORDERS,
    HOME_CHANNEL_SHARE,
    NULL,
    REFUND_RATE,
    SALE_CHANNEL_MIX,
    SALE_CHANNELS,
)


def first_purchases(cal: Calendar, customers: Customers, rng) -> np.ndarray:
    """Raw day of each customer's first purchase (hours or days after signup), NaN if none in the window."""
    n = len(customers)
    soon = rng.random(n) < 0.6
    delay = 1 / 72 + np.where(soon, rng.exponential(2 / 24, n), rng.exponential(10.0, n))
    x0 = customers.x_signup + delay
    return np.where(customers.buyer & (x0 < cal.days), x0, np.nan)


def repeat_purchases(cal: Calendar, customers: Customers, x0, rng):
    """Repeat purchases after the first: Poisson at rate lambda in operational time until dropout.

    With N ~ Poisson(lambda * exposure) arrivals in the window and dropout after the K-th repeat
    (K + 1 ~ Geometric(p): K = 0 is dropout right after the first purchase), the customer shows the first
    m = min(N, K) of N sorted uniform arrivals. Those are drawn directly from exponential spacings:
    U(k) = S_k / (S_m + G), G ~ Gamma(N + 1 - m).
    Returns (owner, raw day) of every repeat purchase and each customer's dropout day (inf if alive).
    """
    who = np.flatnonzero(~np.isnan(x0))
    tau0 = cal.op(x0[who])
    exposure = cal.sales_cum[-1] - tau0
    arrivals = rng.poisson(customers.lam[who] * exposure)
    lifetime = rng.geometric(customers.p_drop[who]) - 1
    m = np.minimum(arrivals, lifetime)
    spacing = np.cumsum(rng.exponential(1.0, m.sum()))
    before = np.concatenate(([0.0], spacing))[group_starts(m)]
    within = spacing - np.repeat(before, m)
    last = np.concatenate(([0.0], within))[np.cumsum(m)] * (m > 0)
    total = last + rng.gamma(arrivals - m + 1.0)
    owner = np.repeat(who, m)
    x = cal.raw(np.repeat(tau0, m) + within / np.repeat(total, m) * np.repeat(exposure, m))
    dropout = np.full(len(customers), np.inf)
    dropped = lifetime <= arrivals
    dropout[who[dropped]] = cal.raw(tau0[dropped] + last[dropped] / total[dropped] * exposure[dropped])
    return owner, x, dropout


def baseline_sales(cal: Calendar, customers: Customers, rng) -> tuple[Rows, np.ndarray]:
    """Every customer's purchases without campaigns, as (owner, seconds) sorted, and the dropout day."""
    x0 = first_purchases(cal, customers, rng)
    owner, x, dropout = repeat_purchases(cal, customers, x0, rng)
    first = np.flatnonzero(~np.isnan(x0))
    sales = sort_rows(
        make_rows(owner=np.concatenate((first, owner)), t=cal.clock(np.concatenate((x0[first], x)))), "owner", "t"
    )
    return sales, dropout


def sale_details(customers: Customers, sales: Rows, rng) -> Rows:
    """Channel, category, product, quantity, Gamma-Gamma amount and whether it goes wrong, for every sale."""
    owner, n = sales["owner"], len(sales["owner"])
    k = len(CATEGORIES)
    mix = rng.choice(len(SALE_CHANNELS), n, p=SALE_CHANNEL_MIX)
    channel = np.where(rng.random(n) < HOME_CHANNEL_SHARE, customers.channel[owner], mix)
    home = customers.category[owner]
    other = _other_category(home, rng.random(n))
    category = np.where(rng.random(n) < customers.cross[owner], other, home)
    forced = sales["cross"] & (category == home)
    category = np.where(forced, (home + 1 + rng.integers(0, k - 1, n)) % k, category)
    products = lookup(CATEGORIES, "products", category)
    amount = rng.gamma(GG_P, 1.0 / customers.nu[owner]) * lookup(CATEGORIES, "price", category)
    return dict(
        channel=channel,
        category=category,
        product=1 + np.floor(products * rng.random(n) ** 2.5).astype(np.int64),
        quantity=1 + rng.poisson(lookup(CATEGORIES, "extra_units", category)),
        amount=np.clip(round_to(amount, 100.0), 15_000.0, 25_000_000.0),
        bad=rng.random(n) < REFUND_RATE * lookup(CATEGORIES, "refund_level", category),
    )


def _affinity() -> np.ndarray:
    """Row h: the chance of each category for a purchase outside home category h (popularity, affine pairs boosted)."""
    names = column(CATEGORIES, "name")
    weights = np.tile(shares(np.add(column(CATEGORIES, "women"), column(CATEGORIES, "men"))), (len(names), 1))
    for a, b in AFFINITY_PAIRS:
        i, j = names.index(a), names.index(b)
        weights[i, j] *= AFFINITY_BOOST
        weights[j, i] *= AFFINITY_BOOST
    return np.cumsum(weights / weights.sum(axis=1, keepdims=True), axis=1)


AFFINITY = _affinity()


def expected_order_values(customers: Customers) -> tuple[np.ndarray, np.ndarray]:
    """Each customer's mean order value as `sale_details` draws it (its Gamma-Gamma scale times the mean price of
    the categories it buys, home or, with its cross-buying propensity, another by affinity) and the same for a
    purchase a cross-sell campaign causes (never the home category). Clipping and rounding left aside."""
    price = np.asarray(lookup(CATEGORIES, "price", np.arange(len(CATEGORIES))), dtype=float)
    home, q = customers.category, customers.cross
    chance = np.diff(AFFINITY, prepend=0.0, axis=1)[home]  # the category of an "other" purchase, per customer
    ordinary = (1 - q) * price[home] + q * (chance @ price)
    stays_home = 1 - q + q * chance[np.arange(len(home)), home]
    others = (price.sum() - price[home]) / (len(price) - 1)
    cross = q * (chance @ price - chance[np.arange(len(home)), home] * price[home]) + stays_home * others
    scale = GG_P / customers.nu
    return scale * ordinary, scale * cross


def _other_category(home: np.ndarray, u: np.ndarray) -> np.ndarray:
    """A category drawn from each home category's affinity row, by the uniform draws `u`."""
    return np.minimum((u[:, None] > AFFINITY[home]).sum(axis=1), len(CATEGORIES) - 1)


def refunds(sales: Rows, rng, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """For each bad sale: when the refund is paid (a day or more later, NULL if after the window), and when
    it would be due regardless of the window."""
    n = len(sales["t"])
    at = sales["t"] + DAY + rng.exponential(4 * DAY, n).astype(np.int64)
    return np.where(sales["bad"] & (at < horizon), at, NULL), at


def sales_and_refunds(sales: Rows, refund_at) -> Rows:
    """Sales plus refund rows (negative amount, kind refund), sorted by customer and time."""
    refunded = refund_at != NULL
    refund_rows = take_rows(sales, refunded)
    refund_rows["t"], refund_rows["amount"] = refund_at[refunded], -refund_rows["amount"]
    sales = dict(sales, kind=np.zeros(len(sales["t"]), dtype=np.int64))
    refund_rows["kind"] = np.ones(int(refunded.sum()), dtype=np.int64)
    return sort_rows(concat_rows([sales, refund_rows]), "owner", "t")


def guest_sales(cal: Calendar, customer_sales: Rows, rng) -> Rows:
    """Guest checkouts, about GUEST_ORDERS per customer order, with the columns of `customer_sales`.

    Guests shop when the customers do (a customer order's time, give or take two days), so they grow and follow
    the seasons with the business. A guest has no account: owner is NULL; spend is Gamma-Gamma with a guest's own
    nu, the category from the overall mix, the channel the web or a store; guests' orders are never refunded here.
    """
    sale_times = customer_sales["t"][customer_sales["kind"] == 0]
    n = rng.poisson(GUEST_ORDERS * len(sale_times)) if len(sale_times) else 0
    k = len(CATEGORIES)
    category = rng.choice(k, n, p=shares(np.add(column(CATEGORIES, "women"), column(CATEGORIES, "men"))))
    nu = rng.gamma(GG_Q, 1.0 / GG_GAMMA, n)
    amount = rng.gamma(GG_P, 1.0 / nu) * lookup(CATEGORIES, "price", category)
    jitter = rng.integers(-2 * DAY, 2 * DAY, n) if n else np.zeros(0, dtype=np.int64)
    t = np.sort(np.clip(rng.choice(sale_times, n) + jitter, 0, cal.horizon - 1)) if n else np.zeros(0, np.int64)
    values = dict(
        owner=np.full(n, NULL),
        t=t,
        campaign=np.full(n, NULL),
        cross=np.zeros(n, dtype=bool),
        channel=rng.choice(len(SALE_CHANNELS), n, p=GUEST_CHANNEL_MIX),
        category=category,
        product=1 + np.floor(lookup(CATEGORIES, "products", category) * rng.random(n) ** 2.5).astype(np.int64),
        quantity=1 + rng.poisson(lookup(CATEGORIES, "extra_units", category)),
        amount=np.clip(round_to(amount, 100.0), 15_000.0, 25_000_000.0),
        bad=np.zeros(n, dtype=bool),
        kind=np.zeros(n, dtype=np.int64),
    )
    return {key: values[key] for key in customer_sales}
