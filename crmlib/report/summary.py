"""The executive summary: headline KPI tiles, what needs attention, next period's top actions, the stage pages.

It reads what the other stages stored for the period (the monitoring scorecard and trends, the strategy's plan,
the analysis' model notes, the loads' reconciliation), so it runs last; its page comes first. The HTML is built
from a Jinja2 template with autoescaping: no value from the data reaches the page unescaped.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import jinja2
import pandas as pd
from IPython.display import HTML

from crmlib.analyze.stage import NOTES, VALUE_RANGE
from crmlib.collect.profile import load_warnings
from crmlib.errors import MissingData, WarehouseError
from crmlib.monitor.stage import Monitoring
from crmlib.report.scorecard import STATUS_BACKGROUNDS, STATUS_COLOURS, change_text, sparkline, status_text
from crmlib.strategy.stage import planned_actions

_TEMPLATE = jinja2.Environment(autoescape=True).from_string("""
<style>
.crm-tiles { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: 10px;
             margin: 8px 0 18px; }
.crm-tile { border: 1px solid #d0d7de; border-left: 6px solid var(--c); border-radius: 8px; padding: 10px 12px;
            background: var(--bg); break-inside: avoid; }
.crm-tile .name { font-size: 0.85rem; color: #59636e; }
.crm-tile .value { font-size: 1.25rem; font-weight: 650; margin: 2px 0; white-space: nowrap; }
.crm-tile .meta { font-size: 0.75rem; color: #1f2328; line-height: 1.35; }
.crm-list { margin: 4px 0 16px; padding-left: 1.3rem; }
@media print { .crm-tiles { grid-template-columns: repeat(3, 1fr); } }
</style>
<div class="crm-tiles">
{% for tile in tiles %}
<div class="crm-tile" style="--c: {{ tile.colour }}; --bg: {{ tile.background }}">
  <div class="name">{{ tile.name }}</div>
  <div class="value">{{ tile.value }}</div>
  <div class="meta">{{ tile.status }}{% if tile.target %} · {{ tile.target }}{% endif %}</div>
  {% if tile.change is not none %}
  <div class="meta">{{ tile.change }} {{ vs_previous }} · {{ tile.year }} {{ vs_last_year }}</div>{% endif %}
  {{ tile.sparkline | safe }}
</div>
{% endfor %}
</div>
<h2>{{ alerts_title }}</h2>
{% if alerts %}<ul class="crm-list">{% for alert in alerts[:shown] %}<li>{{ alert }}</li>{% endfor %}
{% if alerts | length > shown %}<li><a href="{{ monitoring }}">{{ more }}</a></li>{% endif %}</ul>
{% else %}<p>{{ no_alerts }}</p>{% endif %}
<h2>{{ actions_title }}</h2>
{% if actions %}<ol class="crm-list">{% for action in actions %}<li>{{ action }}</li>{% endfor %}</ol>
{% else %}<p>{{ no_actions }}</p>{% endif %}
<h2>{{ pages_title }}</h2>
<ol class="crm-list">{% for page in pages %}<li><a href="{{ page.href }}">{{ page.title }}</a></li>{% endfor %}</ol>
""")


SHOWN_ALERTS = 6  # the rest are one click away, on the monitoring page
MONITORING_PAGE = "05_monitoring.html"


@dataclass
class Summary:
    """What the summary page shows: the period's monitoring, the alerts in words, the top actions and the pages."""

    monitoring: Monitoring
    alerts: list[str]
    actions: pd.DataFrame
    pages: list[dict[str, str]]
    value: pd.DataFrame = field(default_factory=pd.DataFrame)  # the analysis' value with its interval, by group

    @property
    def on_track(self) -> int:
        return int((self.monitoring.scorecard["status"] == "on_track").sum())

    @property
    def with_target(self) -> int:
        return int(self.monitoring.scorecard["status"].notna().sum())


def executive_summary(ctx, pages: list[dict[str, str]]) -> Summary:
    """The summary of `ctx`'s period from the stored results; `pages` are the stage pages to link (href, title).
    A MissingData when the period's monitoring stage has stored no scorecard."""
    try:
        monitoring = Monitoring.load(ctx.warehouse, ctx.period, ctx.params.monitor)
    except WarehouseError:
        raise MissingData(ctx.t("sum.needs_monitoring", period=str(ctx.period))) from None
    try:
        value = ctx.warehouse.read_result(VALUE_RANGE, ctx.period).set_index("group")
    except WarehouseError:
        value = pd.DataFrame()
    return Summary(monitoring, alerts(ctx, monitoring), planned_actions(ctx.warehouse, ctx.period), pages, value)


def value_tile(summary: Summary, ctx) -> dict | None:
    """The tile of the base's lifetime value over the analysis' horizon with its interval (None without one)."""
    if "total" not in summary.value.index:
        return None
    low, estimate, high = (ctx.money_short(summary.value.loc["total", c]) for c in ("lower", "estimate", "upper"))
    return {"name": ctx.t("sum.value_tile", months=ctx.params.analysis.lifetime_value.months), "value": estimate,
            "status": ctx.t("sum.value_interval", low=low, high=high), "target": "", "change": None, "sparkline": "",
            "colour": "#8c959f", "background": "#fff"}  # fmt: skip


def alerts(ctx, monitoring: Monitoring) -> list[str]:
    """The alerts in words, most serious first: loads that quarantined too much, models that did not fit, broken
    control splits, off-track KPIs, then unusual ones."""
    limit = ctx.params.ingest.max_quarantine_share
    out = [
        ctx.t("collect.load_warning", share_rows=ctx.percent(row.row_share), table=ctx.t(row.table_name),
              share_money=ctx.percent(row.money_share) if pd.notna(row.money_share) else "–",
              limit=ctx.percent(limit, 0))
        for row in load_warnings(ctx.warehouse, limit).itertuples()
    ]  # fmt: skip
    try:
        notes = ctx.warehouse.read_result(NOTES, ctx.period)
    except WarehouseError:
        notes = pd.DataFrame(columns=["model", "note"])
    out += [ctx.t("alert.model", note=note) for note in notes["note"]]
    card = monitoring.scorecard.set_index("kpi")
    found = monitoring.alerts()
    order = {"srm": 0, "off_track": 1, "anomaly": 2}
    for kind, key in sorted(found.itertuples(index=False), key=lambda a: order[a[0]]):
        if kind == "srm":
            row = monitoring.campaigns.set_index("campaign_id").loc[key]
            out.append(ctx.t("alert.srm", name=row["name"], p=ctx.number(row["srm_p"], 4)))
            continue
        row = card.loc[key]
        value = ctx.measure(row["value"], row["unit"])
        if kind == "off_track":
            out.append(ctx.t("alert.off_track", kpi=ctx.t(f"kpi.{key}"), value=value,
                             target=ctx.measure(row["target"], row["unit"])))  # fmt: skip
        else:
            low, high = (ctx.measure(row[bound], row["unit"]) for bound in ("low", "high"))
            out.append(ctx.t("alert.anomaly", kpi=ctx.t(f"kpi.{key}"), value=value, low=low, high=high))
    return out


def tiles(summary: Summary, ctx) -> HTML:
    """The summary as HTML: tiles, alerts, actions and page links."""
    card = summary.monitoring.headline()
    trends = summary.monitoring.values.pivot(index="period", columns="kpi", values="value").sort_index()
    tiles = []
    for row in card.itertuples():
        status = row.status if isinstance(row.status, str) else None
        tiles.append({
            "name": ctx.t(f"kpi.{row.kpi}"),
            "value": ctx.money_short(row.value) if row.unit == "money" else ctx.measure(row.value, row.unit),
            "status": status_text(ctx, row),
            "target": ctx.t("sum.target", target=ctx.measure(row.target, row.unit)) if row.target == row.target else "",
            "change": change_text(ctx, row.change_previous), "year": change_text(ctx, row.change_year),
            "colour": STATUS_COLOURS.get(status or "", "#8c959f"),
            "background": STATUS_BACKGROUNDS.get(status or "", "#fff"),
            "sparkline": sparkline(trends[row.kpi]) if row.kpi in trends else "",
        })  # fmt: skip
    tiles += [tile for tile in [value_tile(summary, ctx)] if tile]
    actions = [
        ctx.t("sum.action", campaign=ctx.label_of("campaign.", a.campaign), n=ctx.number(a.treated),
              channel=ctx.channels(a.channel), revenue=ctx.money(a.expected_revenue))
        for a in summary.actions.itertuples()
    ]  # fmt: skip
    return HTML(_TEMPLATE.render(
        tiles=tiles, alerts=summary.alerts, actions=actions, pages=summary.pages, shown=SHOWN_ALERTS,
        more=ctx.t("sum.more_alerts", n=len(summary.alerts) - SHOWN_ALERTS), monitoring=MONITORING_PAGE,
        vs_previous=ctx.t("vs_previous"), vs_last_year=ctx.t("vs_last_year"), alerts_title=ctx.t("sum.alerts"),
        no_alerts=ctx.t("sum.no_alerts"), actions_title=ctx.t("sum.actions"), pages_title=ctx.t("sum.pages"),
        no_actions=ctx.t("sum.no_actions"),
    ))  # fmt: skip
