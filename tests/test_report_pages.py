"""The published pages in a real browser (Debian's chromium, driven by playwright; never a downloaded browser).

Every page of a real report, in both languages (the executive summary, each stage, the period index and the
all-periods index): no console error, every image loads, nothing wider than a laptop's window, the summary's tiles
on the first screen. Screenshots are kept in `$CRM_ARTIFACTS` (default `test-artifacts/`) for a human to look at.
Without chromium or playwright these tests skip, except under CI (`CI=true`), where a missing tool is a failure.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import needs
from test_end_to_end import ROOT, crm, loaded_project
from test_runner import CHART_CODE, PERIOD, make_project

from crmlib.formats import month_name, stage_title
from crmlib.report.runner import run_period

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]

LAPTOP = {"width": 1280, "height": 800}
ARTIFACTS = Path(os.environ.get("CRM_ARTIFACTS", ROOT / "test-artifacts"))


@pytest.fixture(scope="module")
def reports(tmp_path_factory, browser) -> Path:
    project = make_project(tmp_path_factory.mktemp("pages"))
    run_period(PERIOD, project, log=lambda _: None)
    return project / "reports"


@pytest.fixture(scope="module")
def browser():
    needs(CHROMIUM.exists(), "Debian's chromium: apt-get install chromium")
    try:
        from playwright import sync_api
    except ImportError:
        needs(False, "playwright: pip install playwright (no browser download)")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    page = browser.new_page(viewport=LAPTOP)
    yield page
    page.close()


@pytest.fixture(scope="module")
def real_reports(tmp_path_factory, browser) -> Path:
    """A real project's reports: June 2025 in Indonesian (the default) and May 2025 in English (an override)."""
    root = loaded_project(tmp_path_factory.mktemp("real-pages"), 400, 12)
    (root / "params" / "2025-05.yaml").write_text("language: en\n")
    crm("--project", root, "backfill", "--from", "2025-05", "--to", "2025-06")
    return root / "reports"


def _pages(reports: Path) -> list[Path]:
    return [reports / "index.html", *sorted((reports / "2025-06").glob("*.html")),
            *sorted((reports / "2025-05").glob("*.html"))]  # fmt: skip


def test_every_page_of_a_real_report_in_a_browser(real_reports, page):
    """No console error, every image loads, nothing wider than the window, in both languages; screenshots kept."""
    pages = _pages(real_reports)
    assert len(pages) == 1 + 2 * 7, pages  # the overview; per period: summary, five stages, the period index
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    problems = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    for path in pages:
        before = len(problems)
        page.goto(path.as_uri())
        page.wait_for_load_state("load")
        broken = page.eval_on_selector_all(
            "img", "imgs => imgs.filter(i => !(i.complete && i.naturalWidth > 0)).length"
        )
        width = page.evaluate("document.documentElement.scrollWidth")
        name = f"{path.parent.name}-{path.stem}.png" if path.parent != real_reports else "index.png"
        page.screenshot(path=str(ARTIFACTS / name), full_page=True)
        assert broken == 0, (path, broken)
        assert width <= LAPTOP["width"], (path, width)
        assert len(problems) == before, (path, problems[before:])


def test_the_summary_comes_first_and_its_tiles_fit_the_first_screen(real_reports, page):
    for period, language in (("2025-06", "id"), ("2025-05", "en")):
        page.goto((real_reports / period / "index.html").as_uri())
        first = page.locator("ol li a").first
        assert first.inner_text() == stage_title("00_summary", language)
        first.click()
        page.wait_for_load_state()
        tiles = page.locator(".crm-tile")
        assert tiles.count() == 7  # six headline KPIs and the base's value with its interval
        assert "90%" in tiles.nth(6).inner_text()
        bottom = max(b["y"] + b["height"] for b in (tiles.nth(i).bounding_box() for i in range(7)))
        assert bottom <= LAPTOP["height"], bottom
        assert page.locator("svg polyline").count() >= 5  # the sparklines
        for link in page.locator("ol li a").all():  # every stage page it links to exists
            assert (real_reports / period / link.get_attribute("href")).is_file()


def test_the_overview_has_one_row_per_period_with_status_kpis_and_run_time(real_reports, page):
    page.goto((real_reports / "index.html").as_uri())
    rows = page.locator("table tr")
    assert rows.count() == 3  # the header, June, May
    june = rows.nth(1).inner_text()
    assert month_name("2025-06", "id") in june and "/ " in june and "Rp" in june and "dtk" in june
    # June's trends reach back to May; retention has none: it needs 13 months of history and the world has 12
    assert page.locator("table svg polyline").count() == 5
    assert "–" in june  # its value


def test_stage_page_shows_chart_and_no_code(reports, page):
    page.goto((reports / PERIOD / "01_data_collection.html").as_uri())
    widths = page.eval_on_selector_all("img", "imgs => imgs.map(i => i.complete ? i.naturalWidth : 0)")
    assert widths and all(w > 0 for w in widths)
    assert page.locator(".jp-CodeCell .jp-InputArea, .jp-InputPrompt, .jp-OutputPrompt").count() == 0
    text = page.inner_text("body")
    assert f"PERIOD-MARK {PERIOD}" in text
    assert CHART_CODE not in text and "project_dir" not in text and "STDERR-NOISE" not in text


def test_index_link_opens_the_stage_page(reports, page):
    page.goto((reports / "index.html").as_uri())
    assert page.title() == "Laporan CRM"
    title = stage_title("02_segmentation", "id")
    page.get_by_role("link", name=title).click()
    page.wait_for_load_state()
    assert page.url.endswith(f"/{PERIOD}/02_segmentation.html")
    assert page.title() == f"{title} · {month_name(PERIOD, 'id')}"
    page.get_by_role("link", name=month_name(PERIOD, "id")).click()  # the bar back to the period's index
    page.wait_for_load_state()
    assert page.url.endswith(f"/{PERIOD}/index.html")
    assert page.get_by_role("link", name=stage_title("01_data_collection", "id")).is_visible()
