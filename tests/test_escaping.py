"""No value from the data reaches a management page as markup: a world whose ids and free text all carry a script
renders every page with the script escaped (shown as text), never as a tag."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
from test_end_to_end import ROOT, crm

PAYLOAD = '<script>alert("crm")</script><b>x</b>'
FREE_TEXT = {"name", "city", "region", "acquisition_channel", "category", "comment", "topic", "source", "purpose"}


def _marked(value: str) -> str:
    return value + PAYLOAD if value else value


@pytest.fixture(scope="module")
def marked_project(tmp_path_factory):
    """The sample with markup appended to every id (consistently, so references still hold) and free-text value,
    and one sale whose amount is markup (quarantined, and shown on page 01 with its reason)."""
    root = tmp_path_factory.mktemp("marked")
    shutil.copytree(ROOT / "params", root / "params")
    shutil.copytree(ROOT / "notebooks", root / "notebooks")
    raw = root / "data" / "raw"
    crm("--project", root, "sample", "--customers", 300, "--months", 12, "--end", "2025-06", "--out", raw)
    for path in raw.glob("*.csv"):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        for column in frame:
            if column.endswith("_id") or column in FREE_TEXT or column == "referred_by":
                frame[column] = frame[column].map(_marked)
        if path.stem == "transactions":
            bad = frame.iloc[[0]].assign(transaction_id="T-bad" + PAYLOAD, amount=PAYLOAD)
            frame = pd.concat([frame, bad], ignore_index=True)
        frame.to_csv(path, index=False)
    crm("--project", root, "ingest", raw)
    crm("--project", root, "run", "--period", "2025-06")
    return root


def test_no_page_holds_the_data_s_markup_as_a_tag(marked_project):
    pages = sorted((marked_project / "reports" / "2025-06").glob("*.html"))
    assert len(pages) == 7
    shown = 0
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert "<script>alert" not in html and "<b>x</b>" not in html, page.name
        shown += html.count("&lt;script&gt;alert")
    assert shown >= 3  # the data did reach the pages, as text
