"""Labels and number formats in the report languages: Bahasa Indonesia ("id") and English ("en").

>>> label("customers", "en"), label("stage.segmentation", "id")
('Customers', 'Segmentasi Pelanggan')
>>> format_money(1234567), format_money(1234567, language="en"), format_money(1234.5, "USD", "en")
('Rp1.234.567', 'IDR 1,234,567', 'USD 1,234.50')
>>> format_percent(0.125), format_percent(0.125, language="en"), month_name("2025-06", "id")
('12,5%', '12.5%', 'Juni 2025')

Later stages add their own words with `add_labels({"key": {"id": "…", "en": "…"}})`.
"""

from __future__ import annotations

import difflib
import re

import pandas as pd

from crmlib.periods import Period

LANGUAGES = ("id", "en")

LABELS: dict[str, dict[str, str]] = {}
"""key -> {"id": text, "en": text}; grow it with `add_labels`, never by editing it from outside."""


def add_labels(labels: dict[str, dict[str, str]]) -> None:
    """Add (or replace) labels; each needs a text for every language in LANGUAGES."""
    for key, texts in labels.items():
        missing = [lang for lang in LANGUAGES if not texts.get(lang)]
        if missing:
            raise ValueError(f"label {key!r} has no text for {', '.join(missing)}; give one for each of {LANGUAGES}")
        LABELS[key] = dict(texts)


def _pairs(prefix: str, rows: dict[str, tuple[str, str]]) -> dict[str, dict[str, str]]:
    return {prefix + key: {"id": id_text, "en": en_text} for key, (id_text, en_text) in rows.items()}


add_labels(_pairs("stage.", {
    "data_collection": ("Pengumpulan Data", "Data Collection"),
    "segmentation": ("Segmentasi Pelanggan", "Customer Segmentation"),
    "analysis": ("Analisis Pelanggan", "Customer Analysis"),
    "strategy": ("Strategi dan Implementasi", "Strategy and Implementation"),
    "monitoring": ("Pemantauan dan Evaluasi", "Monitoring and Evaluation"),
    "executive_summary": ("Ringkasan Eksekutif", "Executive Summary"),
}))
add_labels(_pairs("kind.", {
    "profile": ("Data profil", "Profile data"),
    "transactional": ("Data transaksi", "Transactional data"),
    "engagement": ("Data keterlibatan", "Engagement data"),
    "feedback": ("Data umpan balik", "Feedback data"),
}))
# Canonical table names double as the everyday words for them ("customers", "transactions", …).
add_labels(_pairs("", {
    "customers": ("Pelanggan", "Customers"),
    "transactions": ("Transaksi", "Transactions"),
    "events": ("Aktivitas keterlibatan", "Engagement events"),
    "feedback": ("Umpan balik", "Feedback"),
    "tickets": ("Tiket layanan", "Service tickets"),
    "opportunities": ("Peluang penjualan", "Sales opportunities"),
    "campaigns": ("Kampanye", "Campaigns"),
    "quarantine": ("Karantina", "Quarantine"),
    "loaded": ("Dimuat", "Loaded"),
    "quarantined": ("Dikarantina", "Quarantined"),
    "rows": ("Baris", "Rows"),
    "reason": ("Alasan", "Reason"),
    "source": ("Sumber", "Source"),
    "table": ("Tabel", "Table"),
    "column": ("Kolom", "Column"),
    "period": ("Periode", "Period"),
    "previous_period": ("Periode sebelumnya", "Previous period"),
    "change": ("Perubahan", "Change"),
    "total": ("Total", "Total"),
    "count": ("Jumlah", "Count"),
    "share": ("Porsi", "Share"),
    "amount": ("Nilai", "Amount"),
    "revenue": ("Pendapatan", "Revenue"),
    "segment": ("Segmen", "Segment"),
    "target": ("Target", "Target"),
    "status": ("Status", "Status"),
    "trend": ("Tren", "Trend"),
    "date": ("Tanggal", "Date"),
    "reports": ("Laporan CRM", "CRM Reports"),
    "all_reports": ("Semua laporan", "All reports"),
    "no_reports": ("Belum ada laporan.", "No reports yet."),
    "generated": ("Dibuat", "Generated"),
    "pages": ("Halaman", "Pages"),
}))


def label(key: str, language: str = "id") -> str:
    """The text for `key` in `language`; a KeyError naming close matches for an unknown key."""
    _check_language(language)
    try:
        return LABELS[key][language]
    except KeyError:
        close = difflib.get_close_matches(key, LABELS, n=3)
        hint = f"did you mean {', '.join(map(repr, close))}? " if close else ""
        raise KeyError(f"no label {key!r}: {hint}add it with crmlib.report.labels.add_labels") from None


def stage_title(notebook_name: str, language: str = "id") -> str:
    """The readable title of a stage page from its notebook name; unknown stages get a tidied name.

    >>> stage_title("02_segmentation", "en"), stage_title("07_churn_deep_dive.ipynb", "en")
    ('Customer Segmentation', 'Churn deep dive')
    """
    stem = re.sub(r"^\d+_", "", notebook_name.removesuffix(".ipynb"))
    key = "stage." + stem
    return label(key, language) if key in LABELS else stem.replace("_", " ").capitalize()


def _check_language(language: str) -> None:
    if language not in LANGUAGES:
        raise ValueError(f"language {language!r} is not a report language; use one of {', '.join(LANGUAGES)}")


def _missing(x) -> bool:
    """True for None, NaN, NaT and pd.NA."""
    try:
        return bool(pd.isna(x))
    except (TypeError, ValueError):
        return False


def format_number(x, language: str = "id", decimals: int = 0) -> str:
    """A number with the language's separators: 1.234.567,5 (id) or 1,234,567.5 (en); "–" when missing.

    >>> format_number(1234567.49), format_number(-0.4), format_number(1234.5, "en", decimals=1)
    ('1.234.567', '0', '1,234.5')
    """
    _check_language(language)
    if _missing(x):
        return "–"
    text = f"{float(x):,.{decimals}f}"
    if float(text.replace(",", "")) == 0:
        text = text.lstrip("-")
    return text.translate(str.maketrans(",.", ".,")) if language == "id" else text


# ISO 4217 currencies without minor units that the business is likely to meet; all others show 2 decimals.
_NO_DECIMALS = {"IDR", "JPY", "KRW", "VND"}


def format_money(amount, currency: str = "IDR", language: str = "id") -> str:
    """An amount in a currency: "Rp1.234.567" (IDR in id), "IDR 1,234,567" (en), "USD 1,234.50"."""
    decimals = 0 if currency in _NO_DECIMALS else 2
    number = format_number(amount, language, decimals)
    if number == "–":
        return number
    sign, digits = ("-", number[1:]) if number.startswith("-") else ("", number)
    return f"{sign}{_money_prefix(currency, language)}{digits}"


_SCALES = {"id": ((1e12, "T"), (1e9, "M"), (1e6, "jt"), (1e3, "rb")),
           "en": ((1e12, "tn"), (1e9, "bn"), (1e6, "m"), (1e3, "k"))}


def format_money_short(amount, currency: str = "IDR", language: str = "id") -> str:
    """A compact amount for chart axes: "Rp1,5 M" (miliar), "Rp250 jt" (juta) in id; "IDR 1.5 bn" in en.

    >>> format_money_short(2_460_000_000), format_money_short(-250_000, language="en"), format_money_short(900)
    ('Rp2,5 M', '-IDR 250 k', 'Rp900')
    """
    if _missing(amount):
        return "–"
    for size, word in _SCALES[language]:
        if abs(amount) >= size:
            number = format_number(abs(amount) / size, language, 1).removesuffix(",0").removesuffix(".0")
            return f"{'-' if amount < 0 else ''}{_money_prefix(currency, language)}{number} {word}"
    return format_money(amount, currency, language)


def _money_prefix(currency: str, language: str) -> str:
    return "Rp" if (currency, language) == ("IDR", "id") else currency + " "


def format_percent(fraction, language: str = "id", decimals: int = 1) -> str:
    """A fraction as a percentage: 0.125 -> "12,5%" (id) or "12.5%" (en)."""
    number = format_number(None if _missing(fraction) else float(fraction) * 100, language, decimals)
    return number if number == "–" else number + "%"


_MONTHS = {
    "id": "Januari Februari Maret April Mei Juni Juli Agustus September Oktober November Desember".split(),
    "en": "January February March April May June July August September October November December".split(),
}
_QUARTER = {"id": "Kuartal", "en": "Quarter"}


def month_name(period: Period | str, language: str = "id") -> str:
    """A period's readable name: "Juni 2025" / "June 2025"; quarters "Kuartal 2 2025", years "2025".

    >>> month_name("2025-06", "en"), month_name("2025-Q2", "id"), month_name("2024", "en")
    ('June 2025', 'Kuartal 2 2025', '2024')
    """
    _check_language(language)
    p = period if isinstance(period, Period) else Period.parse(period)
    year = p.start.year
    if p.kind == "M":
        return f"{_MONTHS[language][p.start.month - 1]} {year}"
    if p.kind == "Q":
        return f"{_QUARTER[language]} {(p.start.month - 1) // 3 + 1} {year}"
    return str(year)


# Stage 1, data collection.
add_labels(_pairs("", {
    "data_kind": ("Jenis data", "Data kind"),
    "first_seen": ("Pertama", "First"),
    "last_seen": ("Terakhir", "Last"),
    "balanced": ("Seimbang", "Balanced"),
    "row": ("Baris ke", "Row"),
    "records": ("Baris", "Records"),
    "new_customers": ("Pelanggan baru", "New customers"),
    "active_customers": ("Pelanggan aktif (membeli)", "Active (buying) customers"),
    "guest": ("Tamu", "Guest"),
    "buyer": ("Pembeli", "Buyer"),
    "buyer.customer": ("Pelanggan terdaftar", "Registered customers"),
    "buyer.guest": ("Tamu (tanpa ID pelanggan)", "Guests (no customer id)"),
    "orders": ("Pesanan", "Orders"),
    "refunds": ("Pengembalian", "Refunds"),
    "lines": ("Baris pesanan", "Order lines"),
    "month": ("Bulan", "Month"),
    "source_rows": ("Baris sumber", "Source rows"),
    "loaded_rows": ("Dimuat", "Loaded"),
    "guest_rows": ("Tamu", "Guest"),
    "quarantined_rows": ("Dikarantina", "Quarantined"),
    "source_amount": ("Nilai sumber", "Source money"),
    "loaded_amount": ("Nilai dimuat", "Money loaded"),
    "guest_amount": ("Nilai tamu", "Guest money"),
    "quarantined_amount": ("Nilai dikarantina", "Money quarantined"),
    "unknown_month": ("Waktu tak terbaca", "Time unreadable"),
}))
add_labels(_pairs("collect.", {
    "what": ("Data yang terkumpul", "What was collected"),
    "by_kind": ("Jumlah baris per jenis data", "Rows per data kind"),
    "quality": ("Kualitas data", "Data quality"),
    "balance_note": ("Setiap baris sumber dimuat, dimuat sebagai penjualan tamu, atau dikarantina beserta "
                     "alasannya; tidak ada yang hilang.",
                     "Every source row is loaded, loaded as a guest sale, or quarantined with its reason; nothing "
                     "is lost."),
    "quarantine_by_check": ("Baris dikarantina per jenis masalah", "Quarantined rows by kind of problem"),
    "no_quarantine": ("Tidak ada baris yang dikarantina.", "No rows were quarantined."),
    "examples": ("Contoh baris yang dikarantina", "Examples of quarantined rows"),
    "missing": ("Nilai kosong pada kolom opsional", "Missing values in optional columns"),
    "growth": ("Pertumbuhan pelanggan dan transaksi", "Growth of customers and transactions"),
    "customers_per_month": ("Pelanggan per bulan", "Customers per month"),
    "transactions_per_month": ("Pesanan per bulan", "Orders per month"),
    "sales": ("Pesanan pelanggan dan tamu", "Orders of customers and of guests"),
    "guest_note": ("Penjualan tanpa ID pelanggan (tamu) dihitung dalam pendapatan dan jumlah pesanan, tetapi tidak "
                   "dalam analisis per pelanggan (segmen, nilai seumur hidup, perjalanan).",
                   "Sales without a customer id (guests) count in revenue and orders, but not in the analyses per "
                   "customer (segments, lifetime value, journeys)."),
    "lines": ("Pesanan dan baris pesanan", "Orders and their lines"),
    "lines_note": ("**{lines}** baris membentuk **{orders}** pesanan ({per} baris per pesanan); **{spread}** pesanan "
                   "punya baris dengan waktu berbeda dan memakai waktu baris pertamanya; **{fees}** baris ongkos "
                   "kirim atau biaya ({fee_money}) dihitung sebagai pendapatan tetapi bukan produk.",
                   "**{lines}** lines make **{orders}** orders ({per} lines per order); **{spread}** orders had lines "
                   "stamped at different times and take their first line's time; **{fees}** postage or fee lines "
                   "({fee_money}) count as revenue but not as products."),
    "quarantined_by_month": ("Porsi baris sumber yang dikarantina, per bulan dan tabel",
                             "Share of the source rows quarantined, per month and table"),
    "reconciliation": ("Rekonsiliasi transaksi per bulan: sumber = dimuat + tamu + dikarantina",
                       "Transactions reconciled per month: source = loaded + guest + quarantined"),
    "load_warning": ("**Perhatian:** saat dimuat, {share_rows} baris dan {share_money} nilai {table} dikarantina "
                     "(lebih dari {limit}); angka periode ini tidak memuatnya. Lihat halaman Pengumpulan Data.",
                     "**Warning:** at loading, {share_rows} of the rows and {share_money} of the money of {table} "
                     "were quarantined (more than {limit}); this period's figures leave them out. See the Data "
                     "Collection page."),
}))
add_labels(_pairs("check.", {
    "malformed": ("Baris rusak", "Malformed row"),
    "unparsable": ("Nilai tak terbaca", "Unreadable value"),
    "missing": ("Nilai wajib kosong", "Required value missing"),
    "rule": ("Melanggar aturan", "Breaks a rule"),
    "future": ("Waktu di masa depan", "Time in the future"),
    "unknown_customer": ("Pelanggan tak dikenal", "Unknown customer"),
    "conflict": ("Satu pesanan, dua pelanggan", "One order, two customers"),
    "duplicate": ("Ganda", "Duplicate"),
}))


# Stage 2, segmentation.
add_labels(_pairs("", {
    "customers_share": ("Porsi pelanggan", "Share of customers"),
    "value_share": ("Porsi nilai (belanja)", "Share of value (spend)"),
    "action": ("Tindakan yang disarankan", "Recommended action"),
    "recency_days": ("Hari sejak pembelian terakhir", "Days since last purchase"),
    "frequency": ("Frekuensi (hari belanja)", "Frequency (purchase days)"),
    "monetary": ("Rata-rata belanja per hari belanja", "Mean spend per purchase day"),
    "cluster": ("Klaster", "Cluster"),
    "description": ("Gambaran", "Description"),
    "size": ("Jumlah", "Size"),
    "r": ("Skor R (kebaruan)", "R score (recency)"),
    "fm": ("Skor FM (frekuensi & nilai)", "FM score (frequency & money)"),
}))
add_labels(_pairs("seg.", {
    "sizes": ("Ukuran segmen dan porsi nilainya", "Segment sizes and their share of value"),
    "table": ("Segmen dan tindakan yang disarankan", "Segments and what to do"),
    "grid": ("Pelanggan pada kisi RFM", "Customers on the RFM grid"),
    "movement": ("Perpindahan antarsegmen dari periode sebelumnya", "Movement between segments since the previous period"),
    "clusters": ("Klaster perilaku", "Behavioural clusters"),
    "cluster_profile": ("Perbedaan antarklaster (skor-z terhadap rata-rata)", "How the clusters differ (z-score against the average)"),
}))
add_labels(_pairs("movement.", {
    "entered": ("Baru masuk", "Entered"),
    "exited": ("Keluar", "Exited"),
    "stayed": ("Tetap", "Stayed"),
    "moved_up": ("Naik", "Moved up"),
    "moved_down": ("Turun", "Moved down"),
}))
add_labels(_pairs("feature.", {
    "frequency": ("Frekuensi", "Frequency"),
    "recency": ("Masa aktif", "Active span"),
    "T": ("Umur pelanggan", "Customer age"),
    "monetary_value": ("Nilai rata-rata", "Mean value"),
    "recency_days": ("Hari sejak beli", "Days since purchase"),
    "spend": ("Total belanja", "Total spend"),
    "avg_spend": ("Belanja rata-rata", "Mean spend"),
    "categories": ("Kategori", "Categories"),
    "refunds": ("Pengembalian dana", "Refunds"),
    "sessions": ("Kunjungan", "Sessions"),
    "product_views": ("Lihat produk", "Product views"),
    "add_to_cart": ("Masuk keranjang", "Add to cart"),
    "abandoned_carts": ("Keranjang ditinggal", "Abandoned carts"),
    "emails_sent": ("E-mail terkirim", "E-mails sent"),
    "email_open_rate": ("Tingkat buka e-mail", "E-mail open rate"),
    "email_click_rate": ("Tingkat klik e-mail", "E-mail click rate"),
    "tickets": ("Tiket layanan", "Service tickets"),
    "tenure_days": ("Lama jadi pelanggan", "Tenure"),
}))


# Stage 3, analysis.
add_labels(_pairs("", {
    "model": ("Model", "Model"),
    "bgnbd": ("BG/NBD", "BG/NBD"),
    "pnbd": ("Pareto/NBD", "Pareto/NBD"),
    "mbgnbd": ("MBG/NBD", "MBG/NBD"),
    "actual": ("Aktual", "Actual"),
    "log_likelihood": ("Log-likelihood", "Log-likelihood"),
    "mae": ("Galat absolut rata-rata per pelanggan", "Mean absolute error per customer"),
    "rmse": ("RMSE per pelanggan", "RMSE per customer"),
    "actual_total": ("Total aktual", "Actual total"),
    "predicted_total": ("Total prediksi", "Predicted total"),
    "total_error_pct": ("Selisih total (%)", "Error of the total (%)"),
    "churn_risk": ("Risiko churn", "Churn risk"),
    "value": ("Nilai seumur hidup", "Lifetime value"),
    "stage": ("Tahap", "Stage"),
    "rate_from_previous": ("Dari tahap sebelumnya", "From the previous stage"),
    "rate_from_awareness": ("Dari tahap kesadaran", "From awareness"),
    "drop_off": ("Hilang di tahap ini", "Drop-off"),
    "indicator": ("Indikator", "Indicator"),
    "figure": ("Angka", "Figure"),
    "lifetime_value": ("Nilai seumur hidup", "Lifetime value"),
    "referral_value": ("Nilai referensi", "Referral value"),
    "loyalty_value": ("Nilai loyalitas", "Loyalty value"),
    "feedback_value": ("Nilai umpan balik", "Feedback value"),
    "p_alive": ("Peluang masih aktif", "Probability alive"),
    "expected_purchases": ("Perkiraan pembelian", "Expected purchases"),
    "feature": ("Faktor", "Factor"),
    "coefficient": ("Koefisien", "Coefficient"),
    "ci_low": ("Batas bawah 95%", "95% low"),
    "ci_high": ("Batas atas 95%", "95% high"),
    "p_value": ("Nilai p", "p-value"),
    "effect": ("Pengaruh", "Effect"),
    "customer_id": ("ID pelanggan", "Customer id"),
    "months_since_first_purchase": ("Bulan sejak pembelian pertama", "Months since first purchase"),
    "cohort": ("Kohort (bulan pembelian pertama)", "Cohort (first-purchase month)"),
    "retention": ("Retensi", "Retention"),
}))
add_labels(_pairs("tier.", {
    "high": ("Risiko tinggi", "High risk"),
    "medium": ("Risiko sedang", "Medium risk"),
    "low": ("Risiko rendah", "Low risk"),
}))
add_labels(_pairs("journey.", {
    "awareness": ("Kesadaran", "Awareness"),
    "consideration": ("Pertimbangan", "Consideration"),
    "conversion": ("Konversi (pembelian pertama)", "Conversion (first purchase)"),
    "repeat": ("Pembelian ulang", "Repeat"),
    "loyal": ("Setia", "Loyal"),
    "churned": ("Berhenti (churn)", "Churned"),
}))
add_labels(_pairs("loyalty.", {
    "customers": ("Pelanggan", "Customers"),
    "buyers": ("Pembeli", "Buyers"),
    "repeat_purchase_rate": ("Tingkat pembelian ulang", "Repeat purchase rate"),
    "mean_purchase_days": ("Rata-rata hari belanja per pembeli", "Mean purchase days per buyer"),
    "cross_category_rate": ("Pembeli lintas kategori", "Cross-category buyers"),
    "mean_categories": ("Rata-rata kategori per pembeli", "Mean categories per buyer"),
    "referrers": ("Pelanggan yang mereferensikan", "Customers who referred someone"),
    "referred_customers": ("Pelanggan hasil referensi", "Referred customers"),
    "referred_share": ("Porsi pelanggan hasil referensi", "Share of customers referred"),
}))
add_labels(_pairs("ana.", {
    "validation": ("Uji model pada data yang disisihkan", "Model check on held-out data"),
    "tracking": ("Pembelian ulang kumulatif: aktual dan prediksi", "Cumulative repeat purchases: actual and predicted"),
    "value": ("Nilai seumur hidup pelanggan", "Customer lifetime value"),
    "value_distribution": ("Sebaran nilai seumur hidup per pelanggan", "Lifetime value per customer"),
    "alive": ("Peluang masih aktif menurut frekuensi dan kebaruan",
              "Probability alive by repeat purchases and recency"),
    "churn": ("Risiko churn dan nilai yang dipertaruhkan", "Churn risk and the value at stake"),
    "cohorts": ("Retensi per kohort", "Retention by cohort"),
    "retention_curve": ("Kurva retensi rata-rata", "Average retention curve"),
    "journey": ("Perjalanan pelanggan", "Customer journey"),
    "loyalty": ("Indikator loyalitas", "Loyalty indicators"),
    "components": ("Komponen nilai pelanggan", "Customer value components"),
    "top_customers": ("Pelanggan dengan nilai total tertinggi", "Customers with the highest total value"),
    "nps_drivers": ("Apa yang menggerakkan NPS", "What drives NPS"),
    "spend_drivers": ("Apa yang menyertai belanja lebih tinggi", "What goes with higher spend"),
}))
add_labels(_pairs("ana.", {
    "independence_ok": ("asumsi independensi terpenuhi", "the independence assumption holds"),
    "independence_doubtful": ("asumsi independensi patut diragukan", "the independence assumption is doubtful"),
}))
