"""Tests of the synthetic CRM world (crmlib.collect.synthetic): the files keep the data contract and the
world behaves like a business: heterogeneous buyers who drop out, refunds, real campaign lift, NPS."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from crmlib.collect import synthetic
from crmlib.collect.contract import TABLE_ORDER, TABLES
from crmlib.collect.synthetic import write_sample
from crmlib.collect.synthetic.tables import TRUTH_COLUMNS
from crmlib.errors import ParamsError

END = "2025-06"
MONTHS = 18
WINDOW_START = pd.Timestamp("2024-01-01")
WINDOW_END = pd.Timestamp("2025-07-01")  # first instant after the end month
SEND_EVENTS = ("email_sent", "whatsapp_sent", "push_sent", "sms_sent")
TIME_FORMATS = {"ts": "%Y-%m-%d %H:%M:%S", "date": "%Y-%m-%d"}


def load(folder) -> dict[str, pd.DataFrame]:
    """Read the CSV files as text and type each column by its contract kind (strictly, so bad text fails)."""
    tables = {}
    for name, table in TABLES.items():
        df = pd.read_csv(folder / f"{name}.csv", dtype=str, keep_default_na=False, na_values=[""])
        for col in table.columns:
            if col.kind in TIME_FORMATS:
                df[col.name] = pd.to_datetime(df[col.name], format=TIME_FORMATS[col.kind])
            elif col.kind == "float":
                df[col.name] = df[col.name].astype(float)
            elif col.kind == "int":
                df[col.name] = df[col.name].astype(float).astype("Int64")
            elif col.kind == "bool":
                assert set(df[col.name].unique()) <= {"true", "false"}, (name, col.name)
                df[col.name] = df[col.name] == "true"
        tables[name] = df
    return tables


@pytest.fixture(scope="module")
def small_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("small")
    rows = write_sample(folder, customers=600, months=MONTHS, seed=11, end=END)
    return folder, rows


@pytest.fixture(scope="module")
def world(small_dir):
    return load(small_dir[0])


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    folder = tmp_path_factory.mktemp("big")
    write_sample(folder, customers=3000, months=MONTHS, seed=3, end=END)
    return load(folder)


def sales_of(world) -> pd.DataFrame:
    """The customers' sales (guests' orders have no customer)."""
    t = world["transactions"]
    return t[(t["kind"] == "sale") & t["customer_id"].notna()]


# ---------------------------------------------------------------------------------------------
# Files, determinism, formats
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_same_arguments_give_byte_identical_files(tmp_path, fmt):
    first = write_sample(tmp_path / "a", customers=300, months=6, seed=5, end="2025-03", fmt=fmt)
    second = write_sample(tmp_path / "b", customers=300, months=6, seed=5, end="2025-03", fmt=fmt)
    assert first == second
    for name in TABLE_ORDER:
        assert (tmp_path / "a" / f"{name}.{fmt}").read_bytes() == (tmp_path / "b" / f"{name}.{fmt}").read_bytes()


def test_another_seed_gives_another_world(tmp_path):
    write_sample(tmp_path / "a", customers=300, months=6, seed=5, end="2025-03")
    write_sample(tmp_path / "b", customers=300, months=6, seed=6, end="2025-03")
    for name in ("customers", "transactions", "events", "campaigns"):
        assert (tmp_path / "a" / f"{name}.csv").read_bytes() != (tmp_path / "b" / f"{name}.csv").read_bytes(), name


def test_every_contract_table_has_a_file_with_exactly_its_columns(small_dir):
    folder, rows = small_dir
    assert list(rows) == list(TABLE_ORDER)
    for name in TABLE_ORDER:
        header = (folder / f"{name}.csv").read_text(encoding="utf-8").splitlines()[0]
        assert header.split(",") == list(TABLES[name].names), name


def test_returned_row_counts_match_the_files(small_dir, world):
    _, rows = small_dir
    assert rows == {name: len(world[name]) for name in TABLE_ORDER}
    assert rows["customers"] == 600
    assert all(rows[name] > 0 for name in TABLE_ORDER)


def test_csv_text_formats(small_dir):
    folder, _ = small_dir
    lines = (folder / "customers.csv").read_text(encoding="utf-8").splitlines()[1:]
    fields = [line.split(",") for line in lines]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", f[1]) for f in fields)  # signup_date
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d", f[5]) for f in fields)  # birth_date
    assert {f[11] for f in fields} == {"true", "false"}
    assert "" in {f[10] for f in fields}  # referred_by is empty for non-referrals


def test_parquet_holds_the_same_rows_as_csv(tmp_path):
    write_sample(tmp_path / "csv", customers=400, months=6, seed=9, end="2025-03", fmt="csv")
    write_sample(tmp_path / "pq", customers=400, months=6, seed=9, end="2025-03", fmt="parquet")
    for name in TABLE_ORDER:
        from_parquet = pq.read_table(tmp_path / "pq" / f"{name}.parquet")
        assert from_parquet.column_names == list(TABLES[name].names)
        options = pacsv.ConvertOptions(
            column_types=from_parquet.schema,
            strings_can_be_null=True,
            null_values=[""],
            true_values=["true"],
            false_values=["false"],
        )
        from_csv = pacsv.read_csv(tmp_path / "csv" / f"{name}.csv", convert_options=options)
        assert from_csv.num_rows == from_parquet.num_rows > 0, name
        assert from_csv.equals(from_parquet), name


def test_parquet_is_written_in_row_groups_per_chunk(tmp_path, monkeypatch):
    monkeypatch.setattr(synthetic, "CHUNK", 100)
    write_sample(tmp_path, customers=250, months=4, seed=1, end="2025-03", fmt="parquet")
    assert pq.ParquetFile(tmp_path / "transactions.parquet").num_row_groups == 3


# ---------------------------------------------------------------------------------------------
# The contract's rules
# ---------------------------------------------------------------------------------------------
ID_PATTERNS = {
    "customers": r"C\d{7}",
    "campaigns": r"CMP\d{3}",
    "transactions": r"[TC]\d{9}",
    "events": r"E\d{10}",
    "feedback": r"R\d{8}",
    "tickets": r"K\d{8}",
    "opportunities": r"O\d{7}",
    "calls": r"P\d{8}",
}


def test_ids_are_unique_and_well_formed(world):
    for name, pattern in ID_PATTERNS.items():
        ids = world[name][TABLES[name].id_column]
        assert ids.is_unique, name
        assert ids.str.fullmatch(pattern).all(), name


def test_required_fields_are_present(world):
    for name, table in TABLES.items():
        missing = world[name][[c.name for c in table.columns if c.required and not c.nullable]].isna().sum()
        assert missing.sum() == 0, (name, missing[missing > 0].to_dict())


def test_values_lie_in_their_ranges(world):
    f, k, o, c = world["feedback"], world["tickets"], world["opportunities"], world["campaigns"]
    assert f["nps_score"].between(0, 10).all() and f["csat"].between(1, 5).all()
    assert set(world["transactions"]["kind"]) == {"sale", "refund"}
    assert set(k["status"]) <= {"open", "pending", "resolved", "closed"}
    assert set(o["stage"]) <= {"lead", "qualified", "proposal", "won", "lost"}
    assert (k["cost"] >= 0).all() and (o["value"] >= 0).all() and (c["cost"] > 0).all()
    assert (world["events"]["duration_s"].dropna() >= 0).all()
    assert c["control_share"].between(0.1, 0.2).all()
    assert (world["transactions"]["quantity"] >= 1).all()
    assert set(c["type"]) <= {"welcome", "cart_abandonment", "win_back", "birthday", "loyalty_vip", "cross_sell"}
    assert set(c["channel"]) <= {"email", "whatsapp", "push", "sms"}
    assert set(o["kind"]) <= {"new", "renewal", "upsell"}
    calls = world["calls"]
    assert set(calls["direction"]) == {"inbound", "outbound"} and set(calls["purpose"]) == {"sales", "service"}
    assert set(calls["outcome"]) <= {"sale", "no_sale", "resolved", "unresolved", "callback"}
    assert (calls[["duration_s", "handling_s"]] >= 0).all().all()


def test_references_name_known_customers_and_campaigns(world):
    customers = set(world["customers"]["customer_id"])
    for name in ("events", "feedback", "tickets"):
        assert set(world[name]["customer_id"]) <= customers, name
    for name in ("transactions", "opportunities", "calls"):  # guests, deals and unknown callers may have none
        assert set(world[name]["customer_id"].dropna()) <= customers, name
    assert set(world["customers"]["referred_by"].dropna()) <= customers
    campaigns = set(world["campaigns"]["campaign_id"])
    for name in ("transactions", "events"):
        used = set(world[name]["campaign_id"].dropna())
        assert used and used <= campaigns, name


def test_all_times_lie_inside_the_window(world):
    for name, table in TABLES.items():
        for col in table.columns:
            if col.kind == "ts":
                values = world[name][col.name].dropna()
                assert values.min() >= WINDOW_START and values.max() < WINDOW_END, (name, col.name)
    c = world["campaigns"]
    assert (c["start_date"] >= WINDOW_START).all() and (c["end_date"] < WINDOW_END).all()
    assert (c["end_date"] >= c["start_date"]).all()


def test_nothing_happens_before_the_customer_signed_up(world):
    signup = world["customers"].set_index("customer_id")["signup_date"]
    for name, column in (
        ("transactions", "ts"),
        ("events", "ts"),
        ("feedback", "ts"),
        ("tickets", "opened_at"),
        ("opportunities", "created_at"),
        ("calls", "ts"),
    ):
        df = world[name].dropna(subset=["customer_id"])
        assert (df[column] >= df["customer_id"].map(signup)).all(), name


def test_referrers_signed_up_earlier(world):
    c = world["customers"].set_index("customer_id")
    referred = c.dropna(subset=["referred_by"])
    assert len(referred) > 0
    assert (referred["acquisition_channel"] == "referral").all()
    assert c.loc[c["acquisition_channel"] == "referral", "referred_by"].notna().all()
    assert (c.loc[referred["referred_by"], "signup_date"].to_numpy() <= referred["signup_date"].to_numpy()).all()


def test_ticket_times_and_status_agree(world):
    k = world["tickets"]
    answered = k.dropna(subset=["first_response_at"])
    assert (answered["first_response_at"] >= answered["opened_at"]).all()
    resolved = k.dropna(subset=["resolved_at"])
    assert (resolved["resolved_at"] >= resolved["first_response_at"]).all()
    assert k.loc[k["resolved_at"].isna(), "status"].isin(["open", "pending"]).all()
    assert k.loc[k["resolved_at"].notna(), "status"].isin(["resolved", "closed"]).all()
    assert set(k["topic"]) <= {"pengiriman", "refund", "produk", "pembayaran", "akun"}


def test_pipeline_stages_agree_with_closing(world):
    o = world["opportunities"]
    closed = o["stage"].isin(["won", "lost"])
    assert (o["closed_at"].notna() == closed).all()
    assert (o.loc[closed, "closed_at"] >= o.loc[closed, "created_at"]).all()
    assert o.loc[o["stage"] == "won", "customer_id"].notna().all()


def test_proposals_and_kinds_of_deal(big):
    o = big["opportunities"]
    sent = o.dropna(subset=["proposal_at"])
    assert (sent["proposal_at"] >= sent["created_at"]).all()
    closed = sent.dropna(subset=["closed_at"])
    assert (closed["proposal_at"] <= closed["closed_at"]).all()
    assert o.loc[o["stage"].isin(["proposal", "won"]), "proposal_at"].notna().all()
    assert o.loc[o["stage"].isin(["lead", "qualified"]), "proposal_at"].isna().all()
    assert set(o.loc[o["customer_id"].isna(), "kind"]) == {"new"}  # renewals and upsells need a customer


def test_shares_of_proposals_kinds_and_answered_calls():
    """On many made-up deals: about half of the lost ones had a proposal, a fifth of the deals with a customer are
    renewals and some upsells; about 70 % of the sales calls are answered."""
    from crmlib.collect.synthetic.calls import sales_calls
    from crmlib.collect.synthetic.pipeline import proposals_and_kinds
    from crmlib.collect.synthetic.world import NULL, STAGES

    rng = np.random.default_rng(0)
    n, horizon = 20_000, 400 * 86_400
    created = rng.integers(0, 300 * 86_400, n)
    cycle = rng.integers(86_400, 90 * 86_400, n)
    stage = rng.integers(0, len(STAGES), n)
    closed = np.where(np.isin(stage, [STAGES.index("won"), STAGES.index("lost")]), created + cycle, NULL)
    owner = np.where(rng.random(n) < 0.5, rng.integers(0, 100, n), NULL)
    rows = {"t": created, "cycle": cycle, "stage": stage, "closed": closed, "owner": owner}
    extra = proposals_and_kinds(rows, rng)
    lost = stage == STAGES.index("lost")
    assert 0.45 < (extra["proposal"][lost] != NULL).mean() < 0.55
    kinds = np.bincount(extra["kind"][owner != NULL], minlength=3) / (owner != NULL).sum()
    assert abs(kinds[1] - 0.20) < 0.02 and abs(kinds[2] - 0.15) < 0.02  # renewal, upsell
    assert (extra["kind"][owner == NULL] == 0).all()
    calls = sales_calls(dict(rows, **extra), horizon, rng)
    assert 0.68 < calls["answered"].mean() < 0.76  # 70 %, plus the won deals' last calls
    assert (calls["t"] < np.where(closed == NULL, horizon, closed)[calls["opportunity"]]).all()


def test_service_calls_follow_the_phone_tickets(big):
    c, k = big["calls"], big["tickets"].set_index("ticket_id")
    service = c[c["purpose"] == "service"]
    assert (service["direction"] == "inbound").all() and service["opportunity_id"].isna().all()
    about = service.dropna(subset=["ticket_id"])
    assert about["ticket_id"].isin(k.index).all()
    assert (k.loc[about["ticket_id"], "channel"] == "phone").all()
    assert set(about["ticket_id"]) == set(k.index[k["channel"] == "phone"])  # every phone ticket has its call
    assert (about["customer_id"].to_numpy() == k.loc[about["ticket_id"], "customer_id"].to_numpy()).all()
    first = about.sort_values("ts").groupby("ticket_id").first()
    assert (first["ts"] == k.loc[first.index, "opened_at"]).all()  # the first call opens the ticket
    # a missed first call is followed by an answered one 5 to 120 minutes later
    missed = first[~first["answered"]]
    assert 0.05 < len(missed) / len(first) < 0.3
    calls_per_ticket = about.groupby("ticket_id").size()
    assert (calls_per_ticket.loc[first.index[first["answered"]]] == 1).all()
    assert (calls_per_ticket.loc[missed.index] <= 2).all()  # the second call may come after the window's end
    again = about[about["ticket_id"].isin(missed.index)].sort_values("ts").groupby("ticket_id")
    second = again.nth(1).set_index("ticket_id")
    gap = (second["ts"] - missed.loc[second.index, "ts"]).dt.total_seconds() / 60
    assert second["answered"].all() and gap.between(5, 120).all()
    # an answered call resolved the ticket when the ticket was resolved within a day
    answered = about[about["answered"]]
    ticket = k.loc[answered["ticket_id"]]
    quick = (ticket["resolved_at"] - ticket["opened_at"] <= pd.Timedelta(hours=24)).to_numpy()
    expected = np.where(quick, "resolved", "unresolved")
    assert (answered["outcome"].to_numpy() == expected).all()
    assert (service.loc[~service["answered"], "outcome"] == "callback").all()
    talk = answered["duration_s"] / 60
    assert 3 < talk.median() < 10
    strangers = service[service["ticket_id"].isna()]
    assert strangers["customer_id"].isna().all() and len(strangers) < 0.06 * len(first)


def test_calls_are_consistent(world, big):
    for w in (world, big):
        c = w["calls"]
        assert c["call_id"].is_unique and c["ts"].max() < WINDOW_END
        assert (c.loc[~c["answered"], "duration_s"] == 0).all()
        assert (c.loc[c["answered"], "duration_s"] > 0).all()
        assert (c["handling_s"] >= c["duration_s"]).all()
        assert ((c["purpose"] == "service") == c["direction"].eq("inbound")).all()
        assert c.loc[c["purpose"] == "sales", "outcome"].isin(["sale", "no_sale", "callback"]).all()
        assert c.loc[c["purpose"] == "service", "outcome"].isin(["resolved", "unresolved", "callback"]).all()


def test_sales_calls_follow_the_pipeline(big):
    c, o = big["calls"], big["opportunities"].set_index("opportunity_id")
    sales = c[c["purpose"] == "sales"]
    assert sales["ticket_id"].isna().all() and sales["opportunity_id"].isin(o.index).all()
    deal = o.loc[sales["opportunity_id"]]
    assert set(sales["opportunity_id"]) == set(o.index)  # every deal is called
    assert sales.groupby("opportunity_id").size().between(1, 3).all()
    assert (sales["ts"].to_numpy() >= deal["created_at"].to_numpy()).all()
    end = deal["closed_at"].fillna(WINDOW_END).to_numpy()
    assert (sales["ts"].to_numpy() < end).all()
    assert (sales["customer_id"].fillna("").to_numpy() == deal["customer_id"].fillna("").to_numpy()).all()
    # a sale is made on a won deal's last call, and only there
    sale = sales[sales["outcome"] == "sale"]
    assert (o.loc[sale["opportunity_id"], "stage"] == "won").all()
    won = o.index[o["stage"] == "won"]
    assert len(won) > 0 and sale["opportunity_id"].is_unique and set(sale["opportunity_id"]) == set(won)
    last = sales.sort_values("ts").groupby("opportunity_id")["call_id"].last()
    assert set(sale["call_id"]) == set(last.loc[won])


def test_profiles_look_indonesian(world):
    c = world["customers"]
    regions = {
        "Jakarta": "DKI Jakarta",
        "Surabaya": "Jawa Timur",
        "Bandung": "Jawa Barat",
        "Medan": "Sumatera Utara",
        "Makassar": "Sulawesi Selatan",
        "Denpasar": "Bali",
        "Yogyakarta": "DI Yogyakarta",
    }
    known = c[c["city"].isin(list(regions))]
    assert (known["region"] == known["city"].map(regions)).all() and len(known) > 100
    assert c["phone"].str.fullmatch(r"\+628\d{9,11}").all()
    assert c["email"].str.fullmatch(r"[a-z.]+\d+@[a-z.]+").all() and c["email"].is_unique
    assert set(c["gender"]) == {"F", "M"}
    age = (c["signup_date"] - c["birth_date"]).dt.days / 365.25
    assert age.between(16.9, 70.1).all()
    assert set(c["acquisition_channel"]) == {
        "organic",
        "paid_search",
        "social_media",
        "marketplace",
        "referral",
        "offline_store",
    }


def test_chunks_join_into_one_consistent_world(tmp_path, monkeypatch):
    monkeypatch.setattr(synthetic, "CHUNK", 70)
    write_sample(tmp_path, customers=250, months=6, seed=2, end="2025-03")
    w = load(tmp_path)
    assert list(w["customers"]["customer_id"]) == [f"C{i:07d}" for i in range(1, 251)]
    assert w["customers"]["signup_date"].is_monotonic_increasing  # ids follow signup order across chunks
    for name in ("transactions", "events", "feedback", "tickets", "calls"):
        ids = w[name][TABLES[name].id_column].str.lstrip("TCEKRP")  # refunds' ids start with C, sales' with T
        assert ids.is_unique and ids.is_monotonic_increasing, name
    assert set(w["transactions"]["customer_id"].dropna()) <= set(w["customers"]["customer_id"])


# ---------------------------------------------------------------------------------------------
# The end month
# ---------------------------------------------------------------------------------------------
def test_default_end_is_the_last_complete_month(tmp_path):
    write_sample(tmp_path, customers=40, months=2)
    w = load(tmp_path)
    this_month = pd.Timestamp.now().normalize().replace(day=1)
    first = this_month - pd.DateOffset(months=2)
    for name, column in (("customers", "signup_date"), ("transactions", "ts"), ("events", "ts")):
        assert w[name][column].min() >= first and w[name][column].max() < this_month, name


@pytest.mark.parametrize(
    "kwargs",
    [
        {"end": (pd.Timestamp.now() + pd.DateOffset(months=1)).strftime("%Y-%m")},
        {"end": pd.Timestamp.now().strftime("%Y-%m")},  # not complete yet
        {"end": "2025-13"},
        {"end": "2025-Q1"},
        {"fmt": "xlsx"},
        {"customers": 0},
        {"months": 0},
    ],
)
def test_bad_arguments_are_params_errors(tmp_path, kwargs):
    with pytest.raises(ParamsError):
        write_sample(tmp_path, **{"customers": 10, "months": 2, "end": "2025-03", **kwargs})


# ---------------------------------------------------------------------------------------------
# The world behaves like a business
# ---------------------------------------------------------------------------------------------
def test_refunds_are_negative_later_copies_of_sales(world):
    t = world["transactions"]
    refunds, sales = t[t["kind"] == "refund"], t[t["kind"] == "sale"]
    assert (refunds["amount"] < 0).all() and (sales["amount"] > 0).all()
    assert 0.01 <= len(refunds) / len(sales) <= 0.05
    pairs = refunds.assign(amount=-refunds["amount"]).merge(
        sales, on=["customer_id", "product_id", "amount"], suffixes=("_refund", "_sale")
    )
    pairs = pairs[pairs["ts_refund"].dt.normalize() > pairs["ts_sale"].dt.normalize()]
    assert pairs["transaction_id_refund"].nunique() == len(refunds)


def test_orders_are_realistic_idr_amounts(world):
    s = sales_of(world)
    assert (s["amount"] % 100 == 0).all()
    assert 100_000 <= s["amount"].median() <= 500_000
    assert s["amount"].between(50_000, 2_000_000).mean() > 0.8
    assert s["category"].nunique() >= 7 and set(s["channel"]) == {"web", "app", "marketplace", "offline_store"}


def test_customers_differ_in_how_much_they_buy(big):
    c, s = big["customers"], sales_of(big)
    early = c[c["signup_date"] < WINDOW_START + pd.DateOffset(months=4)]["customer_id"]
    counts = s.groupby("customer_id").size().reindex(early, fill_value=0)
    assert (counts == 0).mean() > 0.05  # some never buy
    assert (counts >= 15).mean() > 0.05  # and some buy often
    # Customers still buying at the end were alive all along: their counts differ by their own purchase rates,
    # far more than a common Poisson rate would allow (variance = mean).
    still_buying = s.loc[s["ts"] >= WINDOW_END - pd.DateOffset(months=3), "customer_id"].unique()
    alive = counts[counts.index.isin(still_buying)]
    assert len(alive) > 50 and alive.var() > 5 * alive.mean(), (len(alive), alive.var(), alive.mean())
    cross = s.groupby("customer_id")["category"].nunique()
    assert (cross >= 2).mean() > 0.3


def test_customers_stop_buying(big):
    c, s = big["customers"], sales_of(big)
    early = c[c["signup_date"] < WINDOW_START + pd.DateOffset(months=6)]["customer_id"]
    repeaters = s[s["customer_id"].isin(early)].groupby("customer_id").filter(lambda g: len(g) >= 2)
    last = repeaters.groupby("customer_id")["ts"].max()
    # Without dropout a customer with lambda ~ Gamma(1, 10) would miss 4 months with probability ~0.08 only.
    assert (last < WINDOW_END - pd.DateOffset(months=4)).mean() > 0.25


def test_most_buyers_buy_soon_after_signup(big):
    c, s = big["customers"].set_index("customer_id"), sales_of(big)
    first = s.groupby("customer_id")["ts"].min()
    delay = (first - c.loc[first.index, "signup_date"]).dt.total_seconds() / 86_400
    assert (delay <= 7).mean() > 0.6
    assert 0.05 < 1 - len(first) / len(c) < 0.4  # some never buy


def test_every_online_purchase_follows_a_checkout(world):
    e, s = world["events"], sales_of(world)
    online = s[s["channel"].isin(["web", "app"])]
    checkouts = e[e["event_type"] == "checkout_start"][["customer_id", "ts"]]
    pairs = online[["customer_id", "ts", "transaction_id"]].merge(checkouts, on="customer_id", suffixes=("", "_c"))
    gap = (pairs["ts"] - pairs["ts_c"]).dt.total_seconds()
    covered = pairs[(gap >= 0) & (gap <= 3600)]["transaction_id"].nunique()
    assert covered == len(online)
    sessions = e.dropna(subset=["session_id"]).groupby("session_id")["event_type"].agg(set)
    carts = sessions[sessions.map(lambda steps: "add_to_cart" in steps)]
    assert len(carts) > len(online) * 1.2  # many carts are abandoned
    assert {"web_visit", "product_view", "email_sent", "email_open", "app_install"} <= set(e["event_type"])


def test_campaign_audiences_follow_their_rules(big):
    e, c, cust = big["events"], big["campaigns"], big["customers"].set_index("customer_id")
    sent = e[e["event_type"].isin(SEND_EVENTS)].merge(c, on="campaign_id", suffixes=("", "_campaign"))
    welcome = sent[sent["type"] == "welcome"]
    age = (welcome["start_date"] - welcome["customer_id"].map(cust["signup_date"])).dt.days
    assert len(welcome) > 100 and age.between(-1, 31).all()
    emailed = sent[sent["event_type"] == "email_sent"]
    opens = e[e["event_type"] == "email_open"]
    assert 0.05 < len(opens) / len(emailed) < 0.5
    birthday = sent[sent["type"] == "birthday"]
    assert (birthday["customer_id"].map(cust["birth_date"]).dt.month == birthday["start_date"].dt.month).all()


def test_holdout_customers_get_no_message(big):
    e = big["events"]
    control = e[e["event_type"] == "campaign_holdout"][["customer_id", "campaign_id"]]
    messages = e[e["campaign_id"].notna() & (e["event_type"] != "campaign_holdout")][["customer_id", "campaign_id"]]
    assert len(control) > 100
    assert len(control.merge(messages.drop_duplicates(), on=["customer_id", "campaign_id"])) == 0


def test_campaigns_lift_purchases_over_the_control_group(big):
    e, c, s = big["events"], big["campaigns"], sales_of(big)
    groups = pd.concat(
        [
            e[e["event_type"].isin(SEND_EVENTS)][["customer_id", "campaign_id"]].assign(treated=True),
            e[e["event_type"] == "campaign_holdout"][["customer_id", "campaign_id"]].assign(treated=False),
        ]
    ).merge(c[["campaign_id", "start_date", "end_date"]], on="campaign_id")
    pairs = groups.merge(s[["customer_id", "ts", "campaign_id"]], on="customer_id", how="left", suffixes=("", "_sale"))
    in_window = (pairs["ts"] >= pairs["start_date"]) & (pairs["ts"] < pairs["end_date"] + pd.Timedelta(days=1))
    bought = pairs.assign(bought=in_window).groupby(["campaign_id", "customer_id", "treated"])["bought"].any()
    rate = bought.groupby("treated").agg(["mean", "size"])
    p1, n1, p0, n0 = rate.loc[True, "mean"], rate.loc[True, "size"], rate.loc[False, "mean"], rate.loc[False, "size"]
    z = (p1 - p0) / np.sqrt(p1 * (1 - p1) / n1 + p0 * (1 - p0) / n0)
    assert p1 - p0 > 0.03 and z > 2.5, (p1, p0, z)
    # Control purchases are never credited to the campaign they were held out of.
    control_sales = pairs[in_window & ~pairs["treated"]]
    assert (control_sales["campaign_id_sale"] != control_sales["campaign_id"]).all()


def test_nps_is_lower_after_tickets_and_bad_orders(big):
    f, k, t = big["feedback"], big["tickets"], big["transactions"]
    with_ticket = f["customer_id"].isin(k["customer_id"])
    assert f.loc[~with_ticket, "nps_score"].mean() - f.loc[with_ticket, "nps_score"].mean() > 0.4
    refunded = f["customer_id"].isin(t.loc[t["kind"] == "refund", "customer_id"])
    assert f.loc[refunded, "nps_score"].mean() < f.loc[~refunded, "nps_score"].mean()
    assert f["nps_score"].corr(f["csat"].astype(float)) > 0.5
    assert f["comment"].notna().mean() > 0.3


def test_frequent_buyers_score_higher(big):
    f, s = big["feedback"], sales_of(big)
    counts = s.groupby("customer_id").size()
    per_customer = f.groupby("customer_id")["nps_score"].mean().to_frame("nps").join(counts.rename("orders"))
    assert per_customer["nps"].corr(np.log(per_customer["orders"])) > 0.1


def test_acquisition_grows_over_the_window(big):
    months = big["customers"]["signup_date"].dt.to_period("M").value_counts().sort_index()
    assert months.iloc[-3:].mean() > 1.5 * months.iloc[:3].mean()


# ---------------------------------------------------------------------------------------------
# Guests, the order-line layout, and the truth behind the data
# ---------------------------------------------------------------------------------------------
def test_guests_buy_without_an_account(world):
    t = world["transactions"]
    guests = t[t["customer_id"].isna()]
    assert 0.04 < len(guests) / len(t) < 0.12
    assert set(guests["kind"]) == {"sale"} and set(guests["channel"]) <= {"web", "app", "offline_store"}
    assert 0.03 < guests["amount"].sum() / t["amount"].sum() < 0.12


def test_some_customers_never_return_after_their_first_order(tmp_path):
    """MBG/NBD drop-out: a customer may leave right after the first purchase; the truth file says who left."""
    write_sample(tmp_path / "raw", customers=2000, months=12, seed=5, end=END, truth_dir=tmp_path / "truth")
    truth = pd.read_csv(tmp_path / "truth" / "truth.csv", parse_dates=["dropped_out_at"])
    assert tuple(truth.columns) == TRUTH_COLUMNS
    assert len(truth) == 2000 and truth["customer_id"].is_unique
    t = pd.read_csv(tmp_path / "raw" / "transactions.csv", parse_dates=["ts"])
    sales = t[(t["kind"] == "sale") & t["customer_id"].notna()]
    first = sales.groupby("customer_id")["ts"].min()
    own = sales[sales["campaign_id"].isna()]  # a campaign may win a dropped-out customer back for one purchase
    last = own.groupby("customer_id")["ts"].max().reindex(first.index)
    buyers = truth.set_index("customer_id").loc[first.index]
    assert buyers["buyer"].all() and not truth.loc[~truth["customer_id"].isin(first.index), "buyer"].any()
    gone = buyers["dropped_out_at"].notna()
    assert (buyers.loc[gone, "dropped_out_at"] >= last[gone].fillna(first[gone]) - pd.Timedelta(seconds=1)).all()
    dropped_at_first = gone & (buyers["dropped_out_at"] - first).abs().le(pd.Timedelta(seconds=1))
    assert dropped_at_first.mean() > 0.05  # some leave right after their first order
    assert 0.2 < gone.mean() < 0.8
    assert (tmp_path / "raw" / ".synthetic-sample").is_file() and not (tmp_path / "raw" / "truth.csv").exists()


def test_the_order_line_layout_holds_the_same_orders(tmp_path):
    tidy_rows = write_sample(tmp_path / "tidy", customers=800, months=6, seed=9, end=END)
    line_rows = write_sample(tmp_path / "lines", customers=800, months=6, seed=9, end=END, layout="lines")
    for name in TABLE_ORDER:
        if name != "transactions":
            assert (tmp_path / "tidy" / f"{name}.csv").read_bytes() == (tmp_path / "lines" / f"{name}.csv").read_bytes()
    tidy = pd.read_csv(tmp_path / "tidy" / "transactions.csv", dtype={"customer_id": str})
    raw = (tmp_path / "lines" / "transactions.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")  # Windows-1252, as such exports are
    lines = pd.read_csv(tmp_path / "lines" / "transactions.csv", encoding="cp1252", dtype={"CustomerID": str})
    assert list(lines.columns) == [
        "InvoiceNo",
        "StockCode",
        "Description",
        "Category",
        "Quantity",
        "InvoiceDate",
        "UnitPrice",
        "CustomerID",
        "Country",
        "Channel",
        "Campaign",
    ]
    assert line_rows["transactions"] == len(lines) > 1.5 * tidy_rows["transactions"]
    totals = (lines["Quantity"] * lines["UnitPrice"]).groupby(lines["InvoiceNo"]).sum()
    assert totals.reindex(tidy["transaction_id"]).tolist() == tidy["amount"].tolist()  # Rupiah for Rupiah
    assert lines["InvoiceDate"].str.fullmatch(r"\d{1,2}/\d{1,2}/\d{4} \d{1,2}:\d\d").all()  # US style, minutes
    assert (lines.loc[lines["InvoiceNo"].str.startswith("C"), "Quantity"] < 0).all()
    assert lines["CustomerID"].isna().sum() > 0 and (lines["StockCode"] == "POST").sum() > 100
    assert (lines["UnitPrice"] > 0).all()
    per_order = lines.groupby("InvoiceNo")["InvoiceDate"].nunique()
    assert 0 < (per_order > 1).sum() < 0.1 * len(per_order)  # a few orders' lines are stamped a minute apart


def test_the_lines_layout_is_a_csv_export():
    with pytest.raises(ParamsError, match="--format csv"):
        write_sample("/tmp/unused", customers=10, months=1, end="2025-03", fmt="parquet", layout="lines")
    with pytest.raises(ParamsError, match="layout must be one of tidy, lines"):
        write_sample("/tmp/unused", customers=10, months=1, end="2025-03", layout="rows")


def test_campaigns_move_the_engaged_and_put_some_off(tmp_path):
    """Uplift differs by customer, as the truth file says: engaged customers respond, put-off ones buy less."""
    from crmlib.collect.synthetic.response import expected_incremental_purchases

    write_sample(tmp_path / "raw", customers=6000, months=12, seed=6, end=END, truth_dir=tmp_path / "truth")
    truth = pd.read_csv(tmp_path / "truth" / "truth.csv").set_index("customer_id")
    w = load(tmp_path / "raw")
    e, c, s = w["events"], w["campaigns"], sales_of(w)
    groups = pd.concat(
        [
            e[e["event_type"].isin(SEND_EVENTS)][["customer_id", "campaign_id"]].assign(treated=True),
            e[e["event_type"] == "campaign_holdout"][["customer_id", "campaign_id"]].assign(treated=False),
        ]
    ).merge(c[["campaign_id", "start_date", "end_date"]], on="campaign_id")
    pairs = groups.merge(s[["customer_id", "ts"]], on="customer_id", how="left")
    inside = (pairs["ts"] >= pairs["start_date"]) & (pairs["ts"] < pairs["end_date"] + pd.Timedelta(days=1))
    bought = (
        pairs.assign(bought=inside).groupby(["campaign_id", "customer_id", "treated"])["bought"].any().reset_index()
    )
    bought = bought.join(truth[["engagement", "put_off"]], on="customer_id")
    engaged = bought[(bought["engagement"] > 1.0) & ~bought["put_off"]].groupby("treated")["bought"].mean()
    put_off = bought[bought["put_off"]].groupby("treated")["bought"].mean()
    assert engaged[True] - engaged[False] > 0.08, engaged  # the engaged respond strongly
    assert put_off[True] < put_off[False], put_off  # the put-off buy less when contacted
    effect = expected_incremental_purchases(
        "win_back", "email", np.array([1.2, 0.3]), np.array([True, True]), np.array([False, True]), np.array([0.0, 0.4])
    )
    assert effect[0] > 0 > effect[1]
