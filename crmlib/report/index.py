"""The index pages: `reports/index.html` (every period, newest first) and `reports/<period>/index.html`.

Both are built from what is on disk: a period is a folder named like a period, its pages are the stage HTML
files in it, titled from the labels by their file names (01_data_collection.html -> "Pengumpulan Data").
Plain HTML and CSS, no JavaScript.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import jinja2

from crmlib.errors import ParamsError
from crmlib.formats import label, month_name, stage_title
from crmlib.periods import Period

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
{% for period in periods %}
<section class="card">
  <h2><a href="{{ period.href }}">{{ period.name }}</a></h2>
  <ol>{% for page in period.pages %}<li><a href="{{ page.href }}">{{ page.title }}</a></li>{% endfor %}</ol>
</section>
{% else %}<p>{{ t("no_reports") }}</p>{% endfor %}
{% endblock %}""",
    "period.html": """{% extends "base.html" %}{% block body %}
<p><a href="../{{ index }}">{{ t("all_reports") }}</a></p>
<h1>{{ title }}</h1>
<p class="meta">{{ t("generated") }}: {{ generated }}</p>
<section class="card">
  <h2>{{ t("pages") }}</h2>
  <ol>{% for page in pages %}<li><a href="{{ page.href }}">{{ page.title }}</a></li>{% endfor %}</ol>
</section>
{% endblock %}""",
}
_ENV = jinja2.Environment(loader=jinja2.DictLoader(_TEMPLATES), autoescape=True)


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


def write_period_index(period_dir: Path, period: Period, language: str = "id") -> Path:
    """Write `<period_dir>/index.html` listing the period's stage pages."""
    title = f"{label('reports', language)} · {month_name(period, language)}"
    return _render(
        Path(period_dir) / INDEX, "period.html", language, title=title, pages=stage_pages(period_dir, language)
    )


def write_reports_index(reports_dir: Path, language: str = "id") -> Path:
    """Write `<reports_dir>/index.html` listing every period, newest first, with links to its stage pages."""
    reports_dir = Path(reports_dir)
    periods = [
        {
            "name": month_name(p, language),
            "href": f"{p}/{INDEX}",
            "pages": stage_pages(reports_dir / str(p), language, prefix=f"{p}/"),
        }
        for p in report_periods(reports_dir)
    ]
    return _render(reports_dir / INDEX, "reports.html", language, title=label("reports", language), periods=periods)


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
