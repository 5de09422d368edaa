"""KPIs and campaign results as management tables: values in their units, status in colour, "no data: load …".

>>> line = sparkline([1.0, 3.0, 2.0], width=40, height=10)
>>> line.startswith("<svg"), line.count(","), sparkline([1.0])
(True, 3, '')
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crmlib.report.tables import styled

STATUS_COLOURS = {"on_track": "#1a7f37", "at_risk": "#bf8700", "off_track": "#cf222e"}
STATUS_BACKGROUNDS = {"on_track": "#dafbe1", "at_risk": "#fff8c5", "off_track": "#ffebe9"}


def sparkline(values, width: int = 120, height: int = 28, colour: str = "#0b5cad") -> str:
    """A small inline SVG line of `values` (missing ones skipped), the last point marked; "" for fewer than two."""
    y = np.asarray(pd.to_numeric(pd.Series(values), errors="coerce"), dtype=float)
    x = np.flatnonzero(~np.isnan(y))
    if len(x) < 2:
        return ""
    low, high = np.nanmin(y), np.nanmax(y)
    span = (high - low) or 1.0
    px = 2 + (width - 4) * x / max(len(y) - 1, 1)
    py = height - 2 - (height - 4) * (y[x] - low) / span
    points = " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(px, py, strict=True))
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img"><polyline fill="none" stroke="{colour}" stroke-width="1.6" points="{points}"/>'
        f'<circle cx="{px[-1]:.1f}" cy="{py[-1]:.1f}" r="2.4" fill="{colour}"/></svg>'
    )


def change_text(ctx, fraction) -> str:
    """A signed relative change, "+4,2%", or "–" without one."""
    if fraction is None or fraction != fraction:
        return "–"
    return ("+" if fraction > 0 else "") + ctx.percent(fraction)


def status_text(ctx, row) -> str:
    """The status word, "no target", or why there is no value ("no data: load calls.answered", "needs 13 months of
    history")."""
    if isinstance(row.missing, str) and row.missing:
        return ctx.t("kpi.no_data", what=row.missing)
    months = getattr(row, "history_months", None)
    if months is not None and months == months:
        return ctx.t("kpi.needs_history", months=int(months))
    if row.value != row.value:
        return ctx.t("kpi.no_value")
    return ctx.t(f"status.{row.status}") if isinstance(row.status, str) else ctx.t("no_target")


def kpi_table(rows: pd.DataFrame, ctx) -> pd.io.formats.style.Styler:
    """Scorecard rows as a table: KPI, value, target, status, change against the previous period and last year,
    the expected range and whether the value is unusual; the status cell coloured."""
    shown = pd.DataFrame(
        {
            ctx.t("kpi_name"): [ctx.t(f"kpi.{k}") for k in rows["kpi"]],
            ctx.t("kpi_value"): [ctx.measure(r.value, r.unit) for r in rows.itertuples()],
            ctx.t("target"): [ctx.measure(r.target, r.unit) if r.target == r.target else "" for r in rows.itertuples()],
            ctx.t("status"): [status_text(ctx, r) for r in rows.itertuples()],
            ctx.t("vs_previous"): [change_text(ctx, v) for v in rows["change_previous"]],
            ctx.t("vs_last_year"): [change_text(ctx, v) for v in rows["change_year"]],
            ctx.t("expected_range"): [
                f"{ctx.measure(r.low, r.unit)} – {ctx.measure(r.high, r.unit)}" if r.low == r.low else ""
                for r in rows.itertuples()
            ],
            ctx.t("unusual"): ["⚠" if bool(a) else "" for a in rows["anomaly"].fillna(False)],
        }
    )
    colours = [STATUS_BACKGROUNDS.get(s, "") if isinstance(s, str) else "" for s in rows["status"]]
    status_column = ctx.t("status")
    return (
        styled(shown)
        .apply(lambda col: [f"background-color: {c}" if c else "" for c in colours], subset=[status_column])
        .set_properties(subset=[ctx.t("kpi_name"), status_column], **{"text-align": "left"})
    )


def interval_text(ctx, estimate, low, high, fmt) -> str:
    """ "estimate (low to high)" in `fmt` (ctx.money or ctx.percent), or "–"."""
    if estimate != estimate or low != low:
        return "–"
    return ctx.t("interval", estimate=fmt(estimate), low=fmt(low), high=fmt(high))


def campaign_table(results: pd.DataFrame, ctx) -> pd.io.formats.style.Styler:
    """Who each campaign reached and what they did: type, channel, start, recipients, control, open, click, order
    and unsubscribe rates, revenue per recipient and attributed revenue."""
    pct = ctx.percent
    shown = pd.DataFrame(
        {
            ctx.t("campaign"): [ctx.label_of("campaign.", c) for c in results["campaign"]],
            ctx.t("channel"): [ctx.channels(c) for c in results["channel"]],
            ctx.t("start_date"): pd.to_datetime(results["start_date"]).dt.strftime("%d-%m").tolist(),
            ctx.t("recipients"): [ctx.number(v) for v in results["recipients"]],
            ctx.t("controls"): [ctx.number(v) for v in results["controls"]],
            ctx.t("open_rate"): ["–" if v != v else pct(v) for v in results["open_rate"]],
            ctx.t("click_rate"): [pct(v) for v in results["click_rate"]],
            ctx.t("order_rate"): [pct(v) for v in results["order_rate"]],
            ctx.t("unsubscribe_rate"): [pct(v) for v in results["unsubscribe_rate"]],
            ctx.t("revenue_per_recipient"): [ctx.money(v) for v in results["revenue_per_recipient"]],
            ctx.t("attributed_revenue"): [ctx.money(v) for v in results["attributed_revenue"]],
        }
    )
    return _left(shown, ctx.t("campaign"), ctx.t("channel"))


def lift_table(results: pd.DataFrame, ctx) -> pd.io.formats.style.Styler:
    """What each campaign caused against its control group: order rates, extra ordering and extra revenue with
    their 95% intervals, and the split check."""
    pct = ctx.percent
    shown = pd.DataFrame(
        {
            ctx.t("campaign"): [ctx.label_of("campaign.", c) for c in results["campaign"]],
            ctx.t("order_rate"): [pct(v) for v in results["order_rate"]],
            ctx.t("control_order_rate"): ["–" if v != v else pct(v) for v in results["control_order_rate"]],
            ctx.t("incremental_conversion"): [interval_text(ctx, r.lift, r.lift_low, r.lift_high, pct)
                                              for r in results.itertuples()],
            ctx.t("incremental_revenue"): [interval_text(ctx, r.incremental_revenue, r.incremental_low,
                                                         r.incremental_high, ctx.money_short)
                                           for r in results.itertuples()],
            ctx.t("split_check"): [ctx.t("split.broken", p=ctx.number(r.srm_p, 4)) if r.srm else ctx.t("split.ok")
                                   for r in results.itertuples()],
        }
    )  # fmt: skip
    return _left(shown, ctx.t("campaign"), ctx.t("split_check"))


def _left(shown: pd.DataFrame, *columns: str) -> pd.io.formats.style.Styler:
    return styled(shown).set_properties(subset=list(columns), **{"text-align": "left"})
