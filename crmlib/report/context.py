"""What a stage notebook needs for one period, in one call after its `parameters` cell.

period = None        # the parameters cell: papermill fills both in; None means "latest complete month"
project_dir = None

ctx = open_period(period, project_dir)
ctx.title("stage.segmentation")
ctx.md("seg.headline", n=ctx.number(1234), ...)   # a sentence of the catalogue, its values filled in
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from IPython.display import Markdown, display

from crmlib import catalogue
from crmlib.collect.profile import load_warnings
from crmlib.collect.warehouse import Warehouse
from crmlib.engines import open_warehouse
from crmlib.errors import NOT_POSSIBLE
from crmlib.formats import (
    format_datetime,
    format_money,
    format_money_short,
    format_number,
    format_percent,
    label,
    month_name,
    stage_title,
)
from crmlib.periods import Period
from crmlib.report.params import Params, find_project_dir, load_params
from crmlib.segment.movement import ENTERED, EXITED
from crmlib.segment.segments import segment_action, segment_name

SUMMARY_PREFIX = "00_"  # the executive summary's notebook: run last, listed first


@dataclass(frozen=True)
class PeriodContext:
    """The parameters, period and warehouse of a run, with labels and formats in the report language."""

    params: Params
    period: Period
    warehouse: Warehouse
    reasons: set[str] = field(default_factory=set, compare=False)  # the reasons a section gave on this page

    @property
    def language(self) -> str:
        return self.params.language

    @property
    def project_dir(self) -> Path:
        return self.params.project_dir

    @property
    def period_name(self) -> str:
        """The period in words, e.g. "Juni 2025"."""
        return month_name(self.period, self.language, self.params.locale)

    @property
    def previous_period_name(self) -> str:
        """The period before, in words, e.g. "Mei 2025"."""
        return month_name(self.period.previous(), self.language, self.params.locale)

    def name_of(self, period: Period) -> str:
        """Any period in words, e.g. the plan's "Juli 2025"."""
        return month_name(period, self.language, self.params.locale)

    def t(self, key: str, **values) -> str:
        """The catalogue's message `key` in the report language, its placeholders filled with `values`."""
        return label(key, self.language) if not values else catalogue.t(key, self.language, **values)

    def segment(self, key: str) -> str:
        """A segment's display name in the report language (also the movement rows "entered"/"exited")."""
        if key in (ENTERED, EXITED):
            return self.t(f"movement.{key}")
        return segment_name(key, self.language, self.params.segments)

    def segment_action(self, key: str) -> str:
        """The recommended action for a segment in the report language ("" for a segment of one's own)."""
        return segment_action(key, self.language) or ""

    def label_of(self, prefix: str, value) -> str:
        """A data value as the report names it: the label `<prefix><value>` when the catalogue has one, else the
        value as the business named it (a campaign type "Type A", a channel "direct_mail")."""
        key = f"{prefix}{value}"
        return self.t(key) if catalogue.known(key) else str(value)

    def channels(self, keys: str) -> str:
        """Channel keys as the report names them: "email, whatsapp" -> "E-mail, WhatsApp"."""
        return ", ".join(self.label_of("channel.", key.strip()) for key in str(keys).split(",") if key.strip())

    def money(self, amount) -> str:
        """An amount in the business currency, e.g. "Rp1.234.567"."""
        return format_money(amount, self.params.currency, self.language, self.params.locale)

    def money_short(self, amount) -> str:
        """A compact amount for chart axes, e.g. "Rp1,5 M"."""
        return format_money_short(amount, self.params.currency, self.language, self.params.locale)

    def number(self, x, decimals: int = 0) -> str:
        return format_number(x, self.language, decimals, self.params.locale)

    def percent(self, fraction, decimals: int = 1) -> str:
        """A fraction as a percentage: 0.125 -> "12,5%" (id)."""
        return format_percent(fraction, self.language, decimals, self.params.locale)

    def measure(self, value, unit: str) -> str:
        """A KPI value in its unit: money, a percentage, a count, or a number with its unit's word ("3,5 jam")."""
        if value is None or value != value:
            return "–"
        if unit == "money":
            return self.money(value)
        if unit == "share":
            return self.percent(value)
        if unit == "count":
            return self.number(value)
        shown = self.number(value, 2 if unit in ("ratio", "per_day") else 1)
        return self.t(f"unit.{unit}", value=shown) if unit in ("days", "hours", "minutes", "per_day") else shown

    def stage_pages(self) -> list[dict[str, str]]:
        """The period's stage pages other than the summary, as {href, title} (next to the summary's page)."""
        books = sorted((self.project_dir / "notebooks").glob("[0-9][0-9]_*.ipynb"))
        return [{"href": f"{b.stem}.html", "title": stage_title(b.stem, self.language)} for b in books
                if not b.stem.startswith(SUMMARY_PREFIX)]  # fmt: skip

    @contextmanager
    def section(self, heading: str | None = None, level: int = 2) -> Iterator[None]:
        """A part of the page: its heading (a label key), then what the block displays. When the data do not allow
        it (a `MissingData` naming what to load, or a model the data are too few for), the part is one line saying
        so, and the page goes on; a reason the page gave already is not repeated (a part with a heading says "see
        above", one without says nothing).

        with ctx.section("ana.churn"):
            display(show(stage.churn, ...))
        """
        if heading:
            display(self.heading(heading, level))
        try:
            yield
        except NOT_POSSIBLE as why:
            if str(why) not in self.reasons:
                display(self.note(str(why)))
            elif heading:
                display(self.md("needs.see_above"))
            self.reasons.add(str(why))

    def heading(self, key: str, level: int = 2) -> Markdown:
        """A markdown heading from the label `key`."""
        return Markdown(f"{'#' * level} {self.t(key)}")

    def title(self, stage_key: str) -> Markdown:
        """The page title (stage and period), then a warning for each table whose load quarantined more than
        `ingest.max_quarantine_share` of its rows or money, so no reader misses that the figures lack them."""
        lines = [f"# {self.t(stage_key)} · {self.period_name}"]
        loaded = self.warehouse.query("SELECT max(loaded_at) AS at FROM loads")["at"][0]
        if pd.notna(loaded):  # which state of the data the page reflects
            lines.append(self.t("data.loaded_at", at=format_datetime(loaded, self.language, self.params.locale)))
        limit = self.params.ingest.max_quarantine_share
        for row in load_warnings(self.warehouse, limit).itertuples():
            money = self.percent(row.money_share) if pd.notna(row.money_share) else "–"
            lines.append(
                "> ⚠ "
                + self.t(
                    "collect.load_warning",
                    share_rows=self.percent(row.row_share),
                    share_money=money,
                    table=self.t(row.table_name),
                    limit=self.percent(limit, 0),
                )
            )
        return Markdown("\n\n".join(lines))

    def md(self, key: str, **values) -> Markdown:
        """Narrative as markdown: the catalogue's message `key` in the report language, filled with `values`,
        each escaped (a value from the data shows as text, never as markup)."""
        return Markdown(self.t(key, **{name: _escaped(value) for name, value in values.items()}))

    def note(self, text: str) -> Markdown:
        """A sentence crmlib already wrote in the report language (a model's note, say), as markdown; escaped,
        since it may quote the data."""
        return Markdown(_escaped(text))


def _escaped(value):
    """Text with `<`, `>` and `&` as HTML entities (markdown passes raw HTML through); other values as they are.

    >>> _escaped("<b>Rp 1.000</b>"), _escaped(3)
    ('&lt;b&gt;Rp 1.000&lt;/b&gt;', 3)
    """
    return html.escape(value, quote=False) if isinstance(value, str) else value


def open_period(period: str | Period | None = None, project_dir: str | Path | None = None) -> PeriodContext:
    """Load the parameters, open the warehouse and resolve the period (None: the latest complete month)."""
    project = Path(project_dir) if project_dir else find_project_dir()
    params = load_params(project, period)
    warehouse = open_warehouse(params)
    if period is None:
        period = warehouse.last_complete_month()
        params = load_params(project, period)  # now with that period's override, if any
    period = Period.parse(str(period))
    catalogue.use(params.language)  # errors raised on the page speak its language
    warehouse.check_period(period)
    return PeriodContext(params, period, warehouse)
