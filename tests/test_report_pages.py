"""The published pages in a real browser (Debian's chromium, driven by playwright; never a downloaded browser)."""

from __future__ import annotations

from pathlib import Path

import pytest
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

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium: apt-get install chromium")


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> Path:
    project = make_project(tmp_path_factory.mktemp("pages"))
    run_period(PERIOD, project, log=lambda _: None)
    return project / "reports"


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    page = browser.new_page()
    yield page
    page.close()


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
