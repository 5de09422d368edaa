"""The simulated business, an Indonesian online retailer selling in IDR: its rates and vocabularies.

Vocabulary strings hold no commas or quotes, because the CSV is written without quoting. A table
with several fields is a tuple of NamedTuples, and its rows are numbered by their position.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

DAY, HOUR, MINUTE = 86_400, 3_600, 60
NULL = -1  # missing code, id or time in the integer arrays

# ---------------------------------------------------------------------------------------------
# Model parameters
# ---------------------------------------------------------------------------------------------
ANNUAL_GROWTH = 1.8  # acquisitions per day grow 80 % a year
BGNBD_R, BGNBD_ALPHA = 1.0, 10.0  # purchase rate lambda ~ Gamma(r, scale 1/alpha) per day: mean 0.1
BGNBD_A, BGNBD_B = 1.2, 10.0  # dropout after each purchase (the first too) p ~ Beta(a, b): mean 0.107
GG_P, GG_Q, GG_GAMMA = 5.0, 3.5, 150_000.0  # Gamma-Gamma spend: mean order ~ Rp 300.000
REFUND_RATE = 0.025  # share of sales that go wrong and are refunded
GUEST_ORDERS = 0.08  # guest checkouts (no account, no customer id) per order of a customer
GUEST_CHANNEL_MIX = (0.45, 0.15, 0.0, 0.40)  # over SALE_CHANNELS: guests check out on the web or pay in a store
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
# Customers
# ---------------------------------------------------------------------------------------------
class City(NamedTuple):
    name: str
    province: str
    share: float  # of customers


class EmailDomain(NamedTuple):
    domain: str
    share: float


class Acquisition(NamedTuple):
    channel: str
    share: float  # of signups
    buyer_share: float  # share that ever buys
    home_channel: str | None  # the sales channel its recruits mostly stay in


CITIES = tuple(
    City(*row)
    for row in (
        ("Jakarta", "DKI Jakarta", 0.20),
        ("Surabaya", "Jawa Timur", 0.09),
        ("Bandung", "Jawa Barat", 0.08),
        ("Medan", "Sumatera Utara", 0.06),
        ("Semarang", "Jawa Tengah", 0.05),
        ("Makassar", "Sulawesi Selatan", 0.04),
        ("Denpasar", "Bali", 0.03),
        ("Yogyakarta", "DI Yogyakarta", 0.04),
        ("Palembang", "Sumatera Selatan", 0.04),
        ("Balikpapan", "Kalimantan Timur", 0.02),
        ("Tangerang", "Banten", 0.07),
        ("Bekasi", "Jawa Barat", 0.07),
        ("Depok", "Jawa Barat", 0.04),
        ("Malang", "Jawa Timur", 0.03),
        ("Pekanbaru", "Riau", 0.03),
        ("Batam", "Kepulauan Riau", 0.02),
        ("Pontianak", "Kalimantan Barat", 0.02),
        ("Manado", "Sulawesi Utara", 0.02),
        ("Bogor", "Jawa Barat", 0.03),
        ("Padang", "Sumatera Barat", 0.02),
    )
)
FIRST_NAMES = {
    "F": (
        "Siti",
        "Dewi",
        "Sri",
        "Putri",
        "Ayu",
        "Indah",
        "Rina",
        "Fitri",
        "Nur",
        "Wulan",
        "Ratna",
        "Lestari",
        "Sari",
        "Intan",
        "Dian",
        "Mega",
        "Novi",
        "Anisa",
        "Aulia",
        "Nabila",
        "Citra",
        "Kartika",
        "Maya",
        "Yuni",
        "Eka",
        "Ika",
        "Nadia",
        "Amelia",
        "Salsabila",
        "Zahra",
        "Aisyah",
        "Melati",
        "Kirana",
        "Larasati",
        "Anggun",
        "Wahyuni",
        "Rahma",
        "Tiara",
        "Yulia",
        "Puspita",
    ),
    "M": (
        "Budi",
        "Agus",
        "Andi",
        "Rizky",
        "Dimas",
        "Eko",
        "Bayu",
        "Joko",
        "Hendra",
        "Fajar",
        "Arief",
        "Ahmad",
        "Muhammad",
        "Yoga",
        "Rudi",
        "Iwan",
        "Dedi",
        "Hadi",
        "Irfan",
        "Reza",
        "Aditya",
        "Bambang",
        "Surya",
        "Teguh",
        "Wahyu",
        "Fauzi",
        "Ilham",
        "Gilang",
        "Arya",
        "Bagus",
        "Dani",
        "Rafi",
        "Yusuf",
        "Hasan",
        "Krisna",
        "Made",
        "Ketut",
        "Wayan",
        "Nyoman",
        "Galih",
    ),
}
LAST_NAMES = (
    "Santoso",
    "Wijaya",
    "Saputra",
    "Pratama",
    "Kusuma",
    "Hidayat",
    "Nugroho",
    "Setiawan",
    "Siregar",
    "Nasution",
    "Lubis",
    "Harahap",
    "Simanjuntak",
    "Sitompul",
    "Tanjung",
    "Hasibuan",
    "Gunawan",
    "Halim",
    "Rahman",
    "Hakim",
    "Wibowo",
    "Susanto",
    "Purnomo",
    "Hartono",
    "Firmansyah",
    "Ramadhan",
    "Maulana",
    "Syahputra",
    "Kurniawan",
    "Permana",
    "Utomo",
    "Prasetyo",
    "Handoko",
    "Salim",
    "Sinaga",
    "Sembiring",
    "Ginting",
    "Tarigan",
    "Mahendra",
    "Situmorang",
    "Pohan",
    "Daulay",
    "Wirawan",
    "Suryadi",
    "Hutapea",
)
SINGLE_NAME_SHARE = 0.12  # many Indonesians have one name only
EMAIL_DOMAINS = tuple(
    EmailDomain(*row)
    for row in (
        ("gmail.com", 0.70),
        ("yahoo.co.id", 0.12),
        ("yahoo.com", 0.06),
        ("outlook.com", 0.06),
        ("hotmail.com", 0.03),
        ("icloud.com", 0.03),
    )
)
PHONE_PREFIXES = (
    "11",
    "12",
    "13",
    "21",
    "22",
    "23",
    "52",
    "53",
    "14",
    "15",
    "16",
    "55",
    "56",
    "57",
    "58",
    "17",
    "18",
    "19",
    "59",
    "77",
    "78",
    "81",
    "82",
    "83",
    "95",
    "96",
    "97",
    "98",
    "99",
)
FEMALE_SHARE = 0.58
CONSENT_EMAIL, CONSENT_WHATSAPP = 0.75, 0.62
APP_USERS = 0.35
ACQUISITION = tuple(
    Acquisition(*row)
    for row in (
        ("organic", 0.25, 0.82, None),
        ("paid_search", 0.18, 0.78, None),
        ("social_media", 0.20, 0.70, None),
        ("marketplace", 0.17, 0.90, "marketplace"),
        ("referral", 0.10, 0.88, None),
        ("offline_store", 0.10, 0.92, "offline_store"),
    )
)
ACQUISITION_CODE = {a.channel: i for i, a in enumerate(ACQUISITION)}


# ---------------------------------------------------------------------------------------------
# Sales
# ---------------------------------------------------------------------------------------------
class Category(NamedTuple):
    name: str
    code: str  # product ids look like FSH-0042
    women: float  # popularity among women
    men: float  # and among men
    price: float  # price level
    extra_units: float  # mean units bought beyond the first
    refund_level: float  # how often its orders go wrong, relative to REFUND_RATE
    products: int


SALE_CHANNELS = ("web", "app", "marketplace", "offline_store")  # web and app are also EVENT_CHANNELS 0 and 1
SALE_CHANNEL_MIX = (0.20, 0.20, 0.35, 0.25)
HOME_CHANNEL_SHARE = 0.70  # share of a customer's purchases made in their home channel
ONLINE_HOME_SHARE = 0.65  # share of customers not recruited in a marketplace or store who shop mostly online
CATEGORIES = tuple(
    Category(*row)
    for row in (
        ("Fashion", "FSH", 0.30, 0.18, 1.0, 0.25, 1.4, 800),
        ("Elektronik", "ELK", 0.07, 0.22, 2.2, 0.05, 1.3, 400),
        ("Kecantikan", "KCT", 0.22, 0.04, 0.7, 0.60, 0.8, 600),
        ("Makanan & Minuman", "MKN", 0.12, 0.14, 0.45, 1.20, 0.3, 500),
        ("Rumah Tangga", "RMT", 0.13, 0.10, 1.0, 0.30, 1.0, 700),
        ("Olahraga", "OLR", 0.04, 0.14, 1.3, 0.15, 0.9, 300),
        ("Mainan & Hobi", "MNH", 0.07, 0.10, 0.9, 0.20, 0.8, 400),
        ("Buku & Alat Tulis", "BKU", 0.05, 0.08, 0.5, 0.40, 0.5, 500),
    )
)
# Categories bought together: a customer who shops outside their home category picks these pairs this many times
# more often than popularity alone says (so a next-best category can be learned from co-purchases).
AFFINITY_PAIRS = (
    ("Fashion", "Kecantikan"),
    ("Elektronik", "Mainan & Hobi"),
    ("Makanan & Minuman", "Rumah Tangga"),
    ("Olahraga", "Fashion"),
    ("Buku & Alat Tulis", "Mainan & Hobi"),
)
AFFINITY_BOOST = 5.0


# ---------------------------------------------------------------------------------------------
# Events and campaigns
# ---------------------------------------------------------------------------------------------
class CampaignType(NamedTuple):
    label: str
    channels: tuple[str, ...]
    uplift: float  # in purchase probability
    duration: tuple[int, int]  # days, drawn from [low, high)
    first_month: int  # of the window, once there is an audience
    fixed_cost: int  # IDR for the creative work


FUNNEL = ("web_visit", "product_view", "add_to_cart", "checkout_start")  # codes 0-3 of EVENT_TYPES
FUNNEL_AT = np.array([0.0, 0.15, 0.6, 0.85])  # when each step starts, as a share of the session
MESSAGE_EVENTS = {  # campaign channel: (send, open, click) event types; None where the channel has none
    "email": ("email_sent", "email_open", "email_click"),
    "whatsapp": ("whatsapp_sent", "whatsapp_read", "whatsapp_click"),
    "push": ("push_sent", "push_open", None),
    "sms": ("sms_sent", None, "sms_click"),
}
EVENT_TYPES = (
    FUNNEL
    + tuple(e for trio in MESSAGE_EVENTS.values() for e in trio if e)
    + ("unsubscribe", "app_install", "campaign_holdout")
)
EVENT_CODE = {name: i for i, name in enumerate(EVENT_TYPES)}
EVENT_CHANNELS = ("web", "app", "email", "whatsapp", "push", "sms")
CHANNEL_CODE = {name: i for i, name in enumerate(EVENT_CHANNELS)}

CAMPAIGNS = {
    name: CampaignType(*row)
    for name, row in {
        "welcome": ("Welcome Series", ("email", "whatsapp"), 0.20, (10, 15), 0, 2_500_000),
        "cart_abandonment": ("Keranjang Tertinggal", ("push", "whatsapp", "email"), 0.25, (4, 8), 0, 1_500_000),
        "win_back": ("Win-back", ("email", "sms", "whatsapp"), 0.12, (10, 15), 3, 3_000_000),
        "birthday": ("Ulang Tahun", ("whatsapp", "email"), 0.15, (14, 21), 0, 1_000_000),
        "loyalty_vip": ("VIP Loyalty", ("whatsapp", "email"), 0.12, (7, 15), 2, 5_000_000),
        "cross_sell": ("Cross-sell", ("email", "push"), 0.10, (7, 12), 1, 3_500_000),
    }.items()
}
CAMPAIGN_TYPES = tuple(CAMPAIGNS)
SEND_HOUR = {"email": 9, "whatsapp": 10, "push": 19, "sms": 11}
SEND_COST = {"email": 150, "whatsapp": 450, "push": 20, "sms": 350}  # IDR per message
OPEN_RATE = {"email": 0.22, "whatsapp": 0.65, "push": 0.08, "sms": 0.0}
CLICK_RATE = {"email": 0.18, "whatsapp": 0.20, "push": 0.0, "sms": 0.03}  # after an open (sms: after the send)
UNSUBSCRIBE_RATE = {"email": 0.006, "whatsapp": 0.004, "push": 0.0, "sms": 0.0}  # after an open
CHANNEL_UPLIFT = {"email": 1.0, "whatsapp": 1.25, "push": 0.8, "sms": 0.7}
# Campaigns do not move everyone alike: the engaged respond (uplift scales with (engagement / 0.8) ** 1.5), and
# some disengaged customers are put off: a message makes them skip purchases they would have made.
RESPONSE_POWER = 1.5
PUT_OFF_ENGAGEMENT, PUT_OFF_SHARE = 0.45, 0.6  # below this engagement, this share is put off by messages
PUT_OFF_DROP = 0.5  # share of a put-off customer's own purchases in the campaign window that do not happen
CONTROL_SHARES = (0.10, 0.15, 0.20)
MONTHS_ID = (
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
)


# ---------------------------------------------------------------------------------------------
# Service, surveys and the sales pipeline
# ---------------------------------------------------------------------------------------------
class TicketChannel(NamedTuple):
    name: str
    share: float
    first_response: int  # median seconds to the first response
    base_cost: int  # IDR to handle a ticket


class Comment(NamedTuple):
    text: str
    tone: int  # 0 detractor, 1 passive, 2 promoter, 3 a bad order


class OpportunitySource(NamedTuple):
    name: str
    share: float
    win_rate: float


TICKET_TOPICS = ("pengiriman", "refund", "produk", "pembayaran", "akun")
SALE_TICKET_TOPICS = (0.50, 0.05, 0.25, 0.20, 0.0)
TICKET_CHANNELS = tuple(
    TicketChannel(*row)
    for row in (
        ("whatsapp", 0.38, 30 * MINUTE, 12_000),
        ("email", 0.20, 5 * HOUR, 15_000),
        ("live_chat", 0.27, 3 * MINUTE, 10_000),
        ("phone", 0.10, 1 * MINUTE, 25_000),
        ("in_store", 0.05, 5 * MINUTE, 20_000),
    )
)
RESOLUTION_HOURS = np.array([18.0, 40.0, 24.0, 12.0, 6.0])  # median hours from first response, per topic
TICKET_STATUSES = ("open", "pending", "resolved", "closed")
SLOW_TICKET = 72 * HOUR

SURVEY_CHANNELS = ("email", "whatsapp", "app")
SURVEY_CHANNEL_MIX = (0.45, 0.35, 0.20)
COMMENTS = tuple(
    Comment(*row)
    for row in (
        ("Pengiriman lambat", 0),
        ("CS lambat merespons", 0),
        ("Refund lama diproses", 0),
        ("Kecewa dengan kualitas", 0),
        ("Aplikasi sering error", 0),
        ("Cukup baik", 1),
        ("Pengiriman agak lama", 1),
        ("Harga lumayan", 1),
        ("Pilihan produk terbatas", 1),
        ("Lumayan", 1),
        ("Pengiriman cepat", 2),
        ("Barang sesuai deskripsi", 2),
        ("Pelayanan ramah", 2),
        ("Kualitas bagus", 2),
        ("Harga terjangkau", 2),
        ("Packing rapi", 2),
        ("Puas belanja di sini", 2),
        ("Akan belanja lagi", 2),
        ("Barang rusak", 3),
        ("Barang tidak sesuai deskripsi", 3),
        ("Ukuran tidak sesuai", 3),
    )
)
COMMENT_SHARE = 0.55

STAGES = ("lead", "qualified", "proposal", "won", "lost")
OPPORTUNITY_SOURCES = tuple(
    OpportunitySource(*row)
    for row in (
        ("website", 0.25, 0.30),
        ("referral", 0.20, 0.45),
        ("pameran", 0.15, 0.25),
        ("cold_call", 0.15, 0.15),
        ("partner", 0.15, 0.35),
        ("linkedin", 0.10, 0.20),
    )
)
OPPORTUNITY_KINDS = ("new", "renewal", "upsell")
RENEWAL_SHARE, UPSELL_SHARE = 0.20, 0.15  # of the deals with a customer; the others, and deals without one, are new
PROPOSAL_AT = (0.45, 0.65)  # a proposal goes out after this share of the deal's cycle (before 2/3: stage proposal)
LOST_PROPOSAL_SHARE = 0.5  # lost deals that had got as far as a proposal

# ---------------------------------------------------------------------------------------------
# Calls: the contact centre's phone lines
# ---------------------------------------------------------------------------------------------
CALL_DIRECTIONS = ("inbound", "outbound")
CALL_PURPOSES = ("sales", "service")
CALL_OUTCOMES = ("sale", "no_sale", "resolved", "unresolved", "callback")
MISSED_CALL_SHARE = 0.15  # first calls about a phone ticket nobody answers; the customer calls again
CALL_AGAIN_MINUTES = (5, 120)  # the second call comes this many minutes after the missed one
SERVICE_TALK, SALES_TALK = 6 * MINUTE, 8 * MINUTE  # median talk time (lognormal)
TALK_SIGMA = 0.6
WRAP_UP_MINUTES = (1, 4)  # after-call work added to an answered call's talk time
RING_SECONDS = (20, 45)  # an agent's time on an outbound call nobody answers
FIRST_CALL_FIX = 24 * HOUR  # a service call resolves its ticket when the ticket is resolved within this
UNKNOWN_CALLERS = 0.02  # calls from callers with no customer record, per phone ticket
UNKNOWN_RESOLVED = 0.6  # their questions (opening hours, delivery areas) mostly end on the call
SALES_CALLS = (1, 3)  # outbound calls per opportunity, at least and at most
SALES_ANSWERED = 0.7
CALLBACK_SHARE = 0.35  # answered sales calls that end with a call back agreed rather than no sale
