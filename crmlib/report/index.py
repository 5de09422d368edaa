"""The index pages: `reports/index.html` (every period, newest first) and `reports/<period>/index.html`.

A period is a folder named like a period, its pages are the stage HTML files in it, titled from the labels by
their file names (01_data_collection.html -> "Pengumpulan Data"). The overview has one row per period: how many
KPIs with a target are on track, the headline KPIs with a trend line over the periods, the run time, and a failed
run with its reason (from the run log `reports/.runs.jsonl`, which the runner appends to). Plain HTML and CSS
(inline SVG trends), no JavaScript; Jinja2 escapes every value.
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path

import duckdb
import jinja2
import pandas as pd
from filelock import FileLock

from crmlib.errors import ParamsError, WarehouseError
from crmlib.formats import label, month_name, stage_title
from crmlib.periods import Period
from crmlib.report.scorecard import sparkline

INDEX = "index.html"

_TEMPLATES = {
    "base.html": """<!DOCTYPE html>
<html lang="{{ language }}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title>
<style>
  body { font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1f2328;
         max-width: 820px; margin: 0 auto; padding: 2rem 1.5rem; background: #fff; }
  h1 { font-size: 1.7rem; margin: 0 0 0.3rem; }
  h2 { font-size: 1.2rem; margin: 0 0 0.6rem; }
  a { color: #0b5cad; text-decoration: none; }
  a:hover { text-decoration: underline; }
  .meta { color: #59636e; font-size: 0.9rem; margin-bottom: 1.5rem; }
  .card { border: 1px solid #d0d7de; border-radius: 8px; padding: 1rem 1.25rem; margin-bottom: 1rem; }
  ol { margin: 0; padding-left: 1.4rem; }
  table { border-collapse: collapse; width: 100%; font-size: 0.9rem; }
  th, td { text-align: left; padding: 0.35rem 0.5rem; border-bottom: 1px solid #d0d7de; vertical-align: top; }
  .wrap { overflow-x: auto; }
  .failed { color: #cf222e; }
  ol.inline { display: flex; flex-wrap: wrap; gap: 0.2rem 1.2rem; list-style: none; padding: 0; }
  li { margin: 0.2rem 0; }
</style>
</head>
<body>
{% block body %}{% endblock %}
</body>
</html>
""",
    "reports.html": """{% extends "base.html" %}{% block body %}
<h1>{{ title }}</h1>
<p class="meta">{{ t("generated") }}: {{ generated }}</p>
{% if rows %}<div class="wrap"><table>
<tr><th>{{ t("period") }}</th><th>{{ t("on_track_count") }}</th>
{% for name in headline %}<th>{{ name }}</th>{% endfor %}<th>{{ t("run_time") }}</th></tr>
{% for row in rows %}<tr><td><a href="{{ row.href }}">{{ row.name }}</a></td><td>{{ row.status }}</td>
{% for cell in row.cells %}<td>{{ cell.value }}<br>{{ cell.trend | safe }}</td>{% endfor %}
<td>{{ row.seconds }}{% if row.failed %}<br>
<span class="failed">{{ t("run_failed") }}: {{ row.failed }}</span>{% endif %}</td></tr>
{% endfor %}</table></div>{% endif %}
{% for period in periods %}
<section class="card">
  <h2><a href="{{ period.href }}">{{ period.name }}</a>{% if period.incomplete %}
  <span class="failed">· {{ t("report.incomplete") }}</span>{% endif %}</h2>
  <ol class="inline">{% for page in period.pages %}<li><a href="{{ page.href }}">{{ page.title }}</a></li>
  {% endfor %}</ol>
</section>
{% else %}<p>{{ t("no_reports") }}</p>{% endfor %}
{% endblock %}""",
    "period.html": """{% extends "base.html" %}{% block body %}
<p><a href="../{{ index }}">{{ t("all_reports") }}</a></p>
<h1>{{ title }}</h1>
<p class="meta">{{ t("generated") }}: {{ generated }}</p>
{% if failed %}<p class="failed">{{ t("report.incomplete") }}: {{ failed | join(", ") }}</p>{% endif %}
<section class="card">
  <h2>{{ t("pages") }}</h2>
  <ol>{% for page in pages %}<li><a href="{{ page.href }}">{{ page.title }}</a></li>{% endfor %}</ol>
</section>
{% endblock %}""",
    "failed.html": """{% extends "base.html" %}{% block body %}
<p>{% for href, name in links %}<a href="{{ href }}">{{ name }}</a>{% if not loop.last %} · {% endif %}
{% endfor %}</p>
<h1>{{ title }}</h1>
<p class="failed">{{ t("report.stage_failed") }}</p>
<p>{{ error }}</p>
{% endblock %}""",
}
_ENV = jinja2.Environment(loader=jinja2.DictLoader(_TEMPLATES), autoescape=True)
INCOMPLETE = ".incomplete"  # in a published period folder: the stages that failed, one per line


def stage_pages(period_dir: Path, language: str = "id", prefix: str = "") -> list[dict[str, str]]:
    """The stage pages of a period folder in name order, as {href, title}; `prefix` goes before each href."""
    files = sorted(p for p in Path(period_dir).glob("*.html") if p.name != INDEX)
    return [{"href": prefix + p.name, "title": stage_title(p.stem, language)} for p in files]


def report_periods(reports_dir: Path) -> list[Period]:
    """The periods that have a published report folder, newest first (staging and failed folders are skipped)."""
    periods = []
    for folder in Path(reports_dir).iterdir() if Path(reports_dir).is_dir() else ():
        if folder.is_dir() and not folder.name.startswith("."):
            try:
                periods.append(Period.parse(folder.name))
            except ParamsError:
                continue
    return sorted(periods, key=lambda p: (p.start, p.months), reverse=True)


def write_period_index(period_dir: Path, period: Period, language: str = "id", failed=()) -> Path:
    """Write `<period_dir>/index.html` listing the period's stage pages; with `failed` stages (notebook names such as
    "03_analysis"), the period is marked incomplete: on the page, and in the file `INCOMPLETE` that the overview
    and the next run read (removed when none failed)."""
    title = f"{label('reports', language)} · {month_name(period, language)}"
    marker = Path(period_dir) / INCOMPLETE
    if failed:
        marker.write_text("".join(f"{name}\n" for name in failed), encoding="utf-8")
    else:
        marker.unlink(missing_ok=True)
    return _render(marker.with_name(INDEX), "period.html", language, title=title,
                   pages=stage_pages(period_dir, language),
                   failed=[stage_title(name, language) for name in failed])  # fmt: skip


def failed_stages(period_dir: Path) -> list[str]:
    """The stages (notebook names) that failed in the report a period folder holds."""
    marker = Path(period_dir) / INCOMPLETE
    return marker.read_text(encoding="utf-8").split() if marker.is_file() else []


def write_failure_page(path: Path, title: str, error: str, language: str, links: list[tuple[str, str]]) -> Path:
    """A page in place of a stage that failed: its title, that it failed, and the one line saying what and where
    the executed notebook is."""
    return _render(Path(path), "failed.html", language, title=title, error=error, links=links)


def is_complete(period_dir: Path) -> bool:
    """Whether a period folder holds a published report with every stage (none failed)."""
    return Path(period_dir).is_dir() and not (Path(period_dir) / INCOMPLETE).exists()


def write_reports_index(reports_dir: Path, language: str = "id", ctx=None) -> Path:
    """Write `<reports_dir>/index.html`: one row per period (newest first) with its KPI status, headline KPIs and
    their trend, run time and failed run, then each period's stage pages. `ctx` (a PeriodContext of the default
    parameters) formats the KPIs and reads them from its warehouse; without it the rows show runs only."""
    reports_dir = Path(reports_dir)
    published = report_periods(reports_dir)
    periods = [
        {
            "name": month_name(p, language),
            "href": f"{p}/{INDEX}",
            "pages": stage_pages(reports_dir / str(p), language, prefix=f"{p}/"),
            "incomplete": not is_complete(reports_dir / str(p)),
        }
        for p in published
    ]
    runs = read_runs(reports_dir)
    keys = list(ctx.params.monitor.headline) if ctx is not None else []
    cards = _scorecards(ctx) if ctx is not None else pd.DataFrame(columns=["period", "kpi"])
    rows = []
    for p in sorted({*published, *(Period.parse(r["period"]) for r in runs)}, key=lambda p: p.start, reverse=True):
        card = cards[cards["period"] == str(p)].set_index("kpi")
        last = next((r for r in reversed(runs) if r["period"] == str(p)), None)
        trend = cards[cards["period"] <= str(p)].sort_values("period")
        rows.append({
            "name": month_name(p, language), "href": f"{p}/{INDEX}" if p in published else "#",
            "status": f"{int((card['status'] == 'on_track').sum())} / {int(card['status'].notna().sum())}"
            if len(card) else "–",
            "cells": [{"value": ctx.measure(card.loc[k, "value"], card.loc[k, "unit"]) if k in card.index else "–",
                       "trend": sparkline(trend.loc[trend["kpi"] == k, "value"].tail(13), 90, 22)} for k in keys],
            "seconds": label("seconds", language).format(value=f"{last['seconds']:.0f}") if last else "",
            "failed": last.get("error", "") if last and not last["ok"] else "",
        })  # fmt: skip
    return _render(reports_dir / INDEX, "reports.html", language, title=label("reports", language), periods=periods,
                   rows=rows, headline=[label(f"kpi.{k}", language) for k in keys])  # fmt: skip


RUNS = ".runs.jsonl"


def record_run(reports_dir: Path, period: Period, seconds: float, error: str = "", published: bool = False) -> None:
    """Append a run of `period` to the run log: when, how long, whether it succeeded, and why not (`published`: it
    failed, yet published an incomplete report)."""
    entry = {"period": str(period), "at": datetime.now().isoformat(timespec="seconds"), "seconds": round(seconds, 1),
             "ok": not error, "error": error, "published": published or not error}  # fmt: skip
    Path(reports_dir).mkdir(parents=True, exist_ok=True)
    with (
        FileLock(str(Path(reports_dir) / f"{RUNS}.lock")),
        open(Path(reports_dir) / RUNS, "a", encoding="utf-8") as log,
    ):
        log.write(json.dumps(entry, ensure_ascii=False) + "\n")


def read_runs(reports_dir: Path) -> list[dict]:
    """The run log, oldest first (lines that do not parse are skipped)."""
    path = Path(reports_dir) / RUNS
    out = []
    for line in path.read_text(encoding="utf-8").splitlines() if path.is_file() else ():
        try:
            entry = json.loads(line)
            Period.parse(entry["period"])
        except (ValueError, KeyError, TypeError, ParamsError):
            continue
        out.append(entry)
    return out


def _scorecards(ctx) -> pd.DataFrame:
    """Every period's stored scorecard (period, kpi, unit, value, status); empty before any monitoring ran."""
    try:
        return ctx.warehouse.query("SELECT period, kpi, unit, value, status FROM kpis")
    except (duckdb.Error, WarehouseError):
        return pd.DataFrame(columns=["period", "kpi", "unit", "value", "status"])


def _render(path: Path, template: str, language: str, **values) -> Path:
    html = _ENV.get_template(template).render(
        language=language,
        index=INDEX,
        t=lambda key: label(key, language),
        generated=datetime.now().strftime("%Y-%m-%d %H:%M"),
        **values,
    )
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp.write_text(html, encoding="utf-8")
    os.replace(tmp, path)  # readers never see a half-written index
    return path
