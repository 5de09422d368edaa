"""Data needs, checked in one place: what is loaded, what a figure lacks, and how a page section says so."""

from dataclasses import dataclass

import pytest

from crmlib.collect.needs import left_out, missing, needs, require
from crmlib.errors import MissingData, ModelError, available, outcome, part
from crmlib.report import context

CUSTOMERS = "customer_id,signup_date,email\nA,2025-01-01,a@mail.id\nB,2025-01-02,\n"
TRANSACTIONS = "transaction_id,customer_id,ts,amount\nT1,A,2025-01-05,100\n"


@pytest.fixture(scope="module")
def warehouse(csv_warehouse):
    return csv_warehouse(customers=CUSTOMERS, transactions=TRANSACTIONS)


def test_a_table_needs_rows_and_a_column_needs_a_value(warehouse):
    assert missing(warehouse, ["transactions", "customers.email", "customers.phone", "events"]) == [
        "customers.phone",
        "events",
    ]
    assert missing(warehouse, ["customers.phone|customers.email", "feedback|tickets"]) == ["feedback|tickets"]


def test_require_names_what_to_load(warehouse):
    require(warehouse, "transactions", "customers.email")
    with pytest.raises(MissingData, match=r"load `events`, `feedback` \| `tickets`") as caught:
        require(warehouse, "events", "feedback|tickets", "transactions")
    assert caught.value.needs == ("events", "feedback|tickets")


def test_a_declared_function_does_not_run_without_its_data(warehouse):
    ran = []

    @needs("transactions.category")
    def categories(wh, until=None):
        ran.append(wh)
        return "drawn"

    with pytest.raises(MissingData, match="transactions.category"):
        categories(warehouse)
    assert ran == [] and categories.needs == ("transactions.category",)
    with pytest.raises(ValueError, match="not a contract table or column"):
        needs("transactions.colour")


def test_parts_left_out_are_grouped_by_what_to_load(warehouse):
    categories = ("transactions.category",)
    gone, line = left_out(
        warehouse,
        {"loyalty.cross_category_rate": categories, "loyalty.mean_categories": categories,
         "loyalty.repeat_purchase_rate": ("transactions",), "referral_value": ("customers.referred_by",)},
    )  # fmt: skip
    assert gone == ["loyalty.cross_category_rate", "loyalty.mean_categories", "referral_value"]
    assert line == (
        "Left out, for lack of data: Cross-category buyers, Mean categories per buyer (load "
        "`transactions.category`); Referral value (load `customers.referred_by`)."
    )
    assert left_out(warehouse, {"loyalty.buyers": ("transactions",)}) == ([], "")


def test_what_is_loaded_is_counted_again_after_a_load(tmp_path, csv_warehouse):
    from crmlib.collect import ingest_dir

    wh = csv_warehouse(customers=CUSTOMERS, transactions=TRANSACTIONS)
    assert missing(wh, ["events"]) == ["events"]
    (tmp_path / "events.csv").write_text("event_id,customer_id,ts,event_type\nE1,A,2025-01-03,web_visit\n")
    ingest_dir(tmp_path, wh)
    assert missing(wh, ["events"]) == []


@dataclass
class Stage:
    plan: str
    churn: int = part()


def test_a_part_holds_its_result_or_raises_why_not():
    stage = Stage("plan", outcome(lambda: 3))
    assert stage.churn == 3 and available(stage, "churn")
    stage = Stage("plan", outcome(lambda: (_ for _ in ()).throw(ModelError("too few buyers"))))
    assert not available(stage, "churn")
    with pytest.raises(ModelError, match="too few buyers"):
        _ = stage.churn
    with pytest.raises(ValueError):  # only what the data do not allow is kept; a bug still raises
        outcome(int, "x")


def test_a_section_shows_why_in_one_line_once(monkeypatch, warehouse):
    shown = []
    monkeypatch.setattr(context, "display", lambda item: shown.append(getattr(item, "data", item)))
    ctx = context.PeriodContext(params=_params(), period=None, warehouse=warehouse)
    with ctx.section("ana.churn"):
        raise MissingData("Needs data that is not loaded: load `events`.")
    with ctx.section():  # the same reason again, without a heading: nothing
        raise MissingData("Needs data that is not loaded: load `events`.")
    with ctx.section("ana.journey"):  # with a heading: a pointer to it
        raise MissingData("Needs data that is not loaded: load `events`.")
    with ctx.section("ana.loyalty"):
        shown.append("drawn")
    with pytest.raises(KeyError), ctx.section("ana.cohorts"):  # a bug is not hidden
        raise KeyError("bug")
    assert shown == [
        "## Churn risk and the value at stake",
        "Needs data that is not loaded: load `events`.",
        "## Customer journey",
        "*Not shown: see the note above.*",
        "## Loyalty indicators",
        "drawn",
        "## Retention by cohort",
    ]


def _params():
    from crmlib.report.params import Params

    return Params(language="en")
