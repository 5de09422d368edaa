"""The data-shape matrix: a full period runs and publishes every page on the shapes of data businesses bring.

One small synthetic world is made once; each shape drops or changes parts of it (`shapes.py`), is loaded into a
project of its own and run through `crm run`, two at a time. Every page must publish, hold no `Traceback`, `nan`,
`NaT`, `None` or `inf` as shown text, and say in one line what to load where a figure lacks its data.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml
from shapes import LINES_LAYOUT, SHAPES, make_shape
from test_end_to_end import ROOT, page_text

from crmlib.collect.synthetic import write_sample
from crmlib.report.params import deep_merge

PERIOD = "2025-06"
PAGES = ("00_summary", "01_data_collection", "02_segmentation", "03_analysis", "04_strategy", "05_monitoring")
ENGLISH = {"transactions_only"}  # shapes whose report is in English (the others speak the default, Bahasa Indonesia)
NEEDS = {
    "id": ("Butuh data yang belum dimuat", "Tidak ditampilkan karena datanya belum dimuat", "tidak ada data: muat"),
    "en": ("Needs data that is not loaded", "Left out, for lack of data", "no data: load"),
}
"""How a page begins a line naming what to load: a section's, a figure's parts left out, a KPI's."""
NOT_SHOWN = re.compile(r"(?<![\w.-])(nan|NaN|NaT|None|inf|-inf|<NA>|Traceback)(?![\w-])")

# Per shape and page: the data each "needs" line must name (as `table.column`, or a table).
EXPECTED: dict[str, dict[str, list[str]]] = {
    "transactions_only": {
        "01_data_collection": ["customers.email"],
        "02_segmentation": ["transactions.category", "events"],
        "03_analysis": ["events", "transactions.category", "customers.referred_by", "feedback"],
        "04_strategy": ["transactions.category", "customers.email", "customers.phone", "customers.birth_date"],
        "05_monitoring": ["feedback"],
    },
    "no_categories": {"03_analysis": ["transactions.category"], "04_strategy": ["transactions.category"]},
    "no_customers": {"01_data_collection": ["customers.email"], "04_strategy": ["customers.consent_email"]},
    "third_of_customers": {},
    "no_contacts": {"01_data_collection": ["customers.email"], "04_strategy": ["customers.consent_whatsapp"]},
    "no_events": {"03_analysis": ["events"], "04_strategy": ["events"], "05_monitoring": ["events"]},
    "no_feedback": {"03_analysis": ["feedback"], "04_strategy": ["feedback"], "05_monitoring": ["feedback"]},
    "no_service": {"02_segmentation": ["tickets"], "05_monitoring": ["tickets"]},
    "campaigns_only": {"05_monitoring": ["events.campaign_id"]},
    "own_campaign_types": {},
    "twelve_months": {},
    "three_months": {},
    "one_time_buyers": {},
    "single_category": {},
    "concentrated": {},
    "minimal_export": {"03_analysis": ["transactions.category"], "04_strategy": ["transactions.category"]},
}
# What a page must say besides: the KPIs of a short history, a first run's profile coverage, own names.
SAYS: dict[str, dict[str, list[str]]] = {
    "twelve_months": {"05_monitoring": ["butuh riwayat 13 bulan"], "00_summary": ["butuh riwayat 13 bulan"]},
    "three_months": {"05_monitoring": ["butuh riwayat 13 bulan"]},
    "third_of_customers": {"01_data_collection": ["tidak punya baris profil"]},
    "own_campaign_types": {"05_monitoring": ["Type A", "coupon", "direct_mail"]},
}


@pytest.fixture(scope="module")
def published(tmp_path_factory, order_line_mapping) -> dict[str, Path]:
    """Every shape loaded into a project of its own and run for PERIOD by two workers, each running its shapes on
    one kernel: shape -> project (its `run.log` holds what the load and the run printed, `run.code` their exit)."""
    world = tmp_path_factory.mktemp("world")
    for layout in ("tidy", "lines"):
        write_sample(world / layout, customers=150, months=24, seed=11, end=PERIOD, layout=layout)
    projects = {}
    for shape in SHAPES:
        root = tmp_path_factory.mktemp(shape)
        shutil.copytree(ROOT / "notebooks", root / "notebooks")
        shutil.copytree(ROOT / "params", root / "params")
        params = yaml.safe_load((root / "params" / "default.yaml").read_text(encoding="utf-8"))
        if shape in LINES_LAYOUT:
            mapping = {t: {s: c for s, c in cols.items() if c not in ("category", "channel", "campaign_id")}
                       for t, cols in order_line_mapping["ingest"]["columns"].items()}  # fmt: skip
            params = deep_merge(params, {"ingest": {**order_line_mapping["ingest"], "columns": mapping}})
        params["language"] = "en" if shape in ENGLISH else params["language"]
        (root / "params" / "default.yaml").write_text(yaml.safe_dump(params, allow_unicode=True), encoding="utf-8")
        raw = root / "data" / "raw"
        shutil.copytree(world / ("lines" if shape in LINES_LAYOUT else "tidy"), raw)
        (raw / ".synthetic-sample").unlink(missing_ok=True)  # a business's own data
        make_shape(shape, raw)
        projects[shape] = root

    halves = [list(projects.values())[i::2] for i in range(2)]  # two workers, each one kernel for its shapes
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(lambda roots: subprocess.run([sys.executable, "-c", WORKER, PERIOD, *map(str, roots)],
                                                   timeout=1800), halves))  # fmt: skip
    return projects


WORKER = """
import contextlib, sys
from pathlib import Path
from crmlib.cli import main
from crmlib.errors import CrmError
from crmlib.report.kernel import shared_kernel
from crmlib.report.runner import run_period

period, roots = sys.argv[1], map(Path, sys.argv[2:])
with shared_kernel() as km:  # as a backfill does: the shapes' periods on one kernel
    for root in roots:
        with open(root / "run.log", "w") as log, contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
            code = main(["--project", str(root), "ingest", str(root / "data" / "raw")])
            if not code:
                try:
                    run_period(period, root, log=print, km=km)
                except CrmError as err:
                    print("crm: error:", err)
                    code = 1
        (root / "run.code").write_text(str(code))
"""


@pytest.mark.parametrize("shape", list(SHAPES))
def test_every_page_publishes_and_names_what_it_lacks(published, shape):
    project = published[shape]
    log = (project / "run.log").read_text(encoding="utf-8")
    assert (project / "run.code").read_text() == "0", log[-2000:]
    assert "Traceback" not in log
    folder = project / "reports" / PERIOD
    texts = {page: page_text((folder / f"{page}.html").read_text(encoding="utf-8")) for page in PAGES}
    language = "en" if shape in ENGLISH else "id"
    for page, text in texts.items():
        shown = NOT_SHOWN.findall(text)
        assert not shown, (page, shown, [text[max(0, m.start() - 80) : m.end() + 40] for m in NOT_SHOWN.finditer(text)])
        for need in EXPECTED[shape].get(page, []):
            lines = [m for m in _need_lines(text, language) if re.search(rf"(?<![\w.]){re.escape(need)}(?![\w.])", m)]
            assert lines, (page, need, _need_lines(text, language))
        for words in SAYS.get(shape, {}).get(page, []):
            assert words in text, (page, words)
    if shape in ENGLISH:
        assert "Data Collection · June 2025" in texts["01_data_collection"]


def _need_lines(text: str, language: str) -> list[str]:
    """The "needs" lines of a page's text: each from its opening words to the end of its sentence (at most 1000
    characters: a KPI's cell has no full stop)."""
    starts = "|".join(re.escape(s) for s in NEEDS[language])
    return re.findall(rf"(?:{starts})(?:(?!\)\.|\. ).){{0,1000}}", text)
