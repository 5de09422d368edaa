"""The period runner on a throwaway project with tiny notebooks of its own (no warehouse, no real notebooks)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from crmlib.errors import ParamsError, RunError
from crmlib.report.html import export_html
from crmlib.report.runner import backfill, run_period

PERIOD = "2025-06"
CHART_CODE = "fig, ax = plt.subplots()"
STAGE_CODE = f"""import pathlib, sys
import matplotlib.pyplot as plt
pathlib.Path(project_dir, "ran-STAGE-" + period).write_text(str(pathlib.Path.cwd()))
print("PERIOD-MARK", period)
print("STDERR-NOISE", file=sys.stderr)
{CHART_CODE}
ax.plot([1, 3, 2])
plt.show()"""


def make_notebook(path: Path, code: str = STAGE_CODE) -> Path:
    """A stage notebook: a `parameters` cell, a markdown cell, then `code` (STAGE in it becomes the file's stem)."""
    nb = new_notebook(
        cells=[
            new_code_cell("period = None\nproject_dir = None", metadata={"tags": ["parameters"]}),
            new_markdown_cell("Stage narrative"),
            new_code_cell(code.replace("STAGE", path.stem)),
        ]
    )
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def make_project(root: Path, names=("01_data_collection", "02_segmentation"), params: str = "language: id\n") -> Path:
    """A project folder with params/default.yaml and one good stage notebook per name."""
    (root / "params").mkdir(parents=True)
    (root / "params" / "default.yaml").write_text(params)
    for name in names:
        make_notebook(root / "notebooks" / f"{name}.ipynb")
    return root


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def leftovers(reports: Path) -> list[str]:
    return [p.name for p in reports.iterdir() if p.name.startswith((".staging", ".old"))]


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> Path:
    """A project whose two-stage report for PERIOD has been run and published."""
    project = make_project(tmp_path_factory.mktemp("published"))
    run_period(PERIOD, project, log=lambda _: None)
    return project


def test_pages_show_outputs_and_chart_but_no_code(published):
    folder = published / "reports" / PERIOD
    pages = sorted(p.name for p in folder.glob("*.html"))
    assert pages == ["01_data_collection.html", "02_segmentation.html", "index.html"]
    for page in pages[:2]:
        html = (folder / page).read_text()
        assert f"PERIOD-MARK {PERIOD}" in html and "Stage narrative" in html
        assert "data:image/png;base64," in html
        assert CHART_CODE not in html and "import pathlib" not in html and 'jp-InputPrompt"' not in html
        assert "STDERR-NOISE" not in html
        assert str(published) not in html  # the injected-parameters cell is gone
        assert '<html lang="id"' in html
    assert "<title>Pengumpulan Data · Juni 2025</title>" in (folder / pages[0]).read_text()


def test_notebooks_get_period_and_project_dir_and_run_in_order(published):
    first, second = (published / f"ran-{stem}-{PERIOD}" for stem in ("01_data_collection", "02_segmentation"))
    assert first.read_text() == second.read_text() == str(published / "notebooks")  # the kernel's cwd
    assert first.stat().st_mtime_ns < second.stat().st_mtime_ns
    executed = published / "reports" / PERIOD / "notebooks"
    assert sorted(p.name for p in executed.iterdir()) == ["01_data_collection.ipynb", "02_segmentation.ipynb"]


def test_indexes_link_the_period_and_its_pages(published):
    reports = published / "reports"
    top = (reports / "index.html").read_text()
    assert f'href="{PERIOD}/index.html"' in top and "Juni 2025" in top
    assert f'href="{PERIOD}/01_data_collection.html"' in top and "Segmentasi Pelanggan" in top
    period_index = (reports / PERIOD / "index.html").read_text()
    assert 'href="01_data_collection.html"' in period_index and 'href="../index.html"' in period_index
    assert "<script" not in top + period_index
    assert leftovers(reports) == []


def test_export_html_sets_title_and_language(published, tmp_path):
    executed = published / "reports" / PERIOD / "notebooks" / "01_data_collection.ipynb"
    html = export_html(executed, tmp_path / "page.html", "Data Collection · June 2025", "en").read_text()
    assert '<html lang="en"' in html and "<title>Data Collection · June 2025</title>" in html
    assert "<script" not in html


def test_failed_notebook_keeps_previous_report(tmp_path):
    project = make_project(tmp_path, names=("01_data_collection",))
    run_period(PERIOD, project, log=lambda _: None)
    reports = project / "reports"
    before, index_before = snapshot(reports / PERIOD), (reports / "index.html").read_bytes()
    make_notebook(project / "notebooks" / "02_segmentation.ipynb", STAGE_CODE + '\nraise ValueError("boom-42")')

    with pytest.raises(RunError) as caught:
        run_period(PERIOD, project, log=lambda _: None)

    kept = reports / ".failed" / PERIOD / "02_segmentation.ipynb"
    message = str(caught.value)
    assert "02_segmentation.ipynb" in message and "ValueError: boom-42" in message and str(kept) in message
    assert "\n" not in message
    assert kept.is_file() and "boom-42" in kept.read_text()
    assert snapshot(reports / PERIOD) == before
    index = (reports / "index.html").read_text()  # still links the last good report, and says the run failed
    assert index != index_before.decode() and f'href="{PERIOD}/index.html"' in index and "boom-42" in index
    assert leftovers(reports) == []


def test_backfill_runs_each_month_newest_first_in_index(tmp_path):
    project = make_project(tmp_path, names=("01_data_collection",))
    backfill("2025-04", PERIOD, project, log=lambda _: None)
    reports = project / "reports"
    assert sorted(p.name for p in reports.iterdir() if not p.name.startswith(".")) == [
        "2025-04",
        "2025-05",
        "2025-06",
        "index.html",
    ]
    top = (reports / "index.html").read_text()
    assert top.index("2025-06/index.html") < top.index("2025-05/index.html") < top.index("2025-04/index.html")


def test_backfill_stops_at_first_failure(tmp_path):
    project = make_project(tmp_path, names=())
    make_notebook(
        project / "notebooks" / "01_data_collection.ipynb",
        STAGE_CODE + '\nif period == "2025-05": raise RuntimeError("no data")',
    )
    with pytest.raises(RunError, match="2025-05.*RuntimeError: no data"):
        backfill("2025-04", PERIOD, project, log=lambda _: None)
    assert (project / "reports" / "2025-04").is_dir()
    assert (project / "reports" / "2025-05" / ".incomplete").is_file()  # its first run: published, incomplete
    assert not (project / "reports" / "2025-06").exists()
    assert not (project / f"ran-01_data_collection-{PERIOD}").exists()


def test_a_first_run_with_a_failing_stage_publishes_the_others_marked_incomplete(tmp_path):
    project = make_project(tmp_path, names=("01_data_collection", "03_analysis"))
    make_notebook(project / "notebooks" / "02_segmentation.ipynb", STAGE_CODE + '\nraise ValueError("boom-7")')
    with pytest.raises(RunError) as caught:
        run_period(PERIOD, project, log=lambda _: None)
    folder = project / "reports" / PERIOD
    message = str(caught.value)
    assert "1 tahap gagal" in message and "boom-7" in message
    assert "\n" not in message
    assert (project / f"ran-03_analysis-{PERIOD}").exists()  # the stage after the failed one still ran
    failed = (folder / "02_segmentation.html").read_text()
    assert "Segmentasi Pelanggan" in failed and "ValueError: boom-7" in failed and "Traceback" not in failed
    assert str(project / "reports" / ".failed" / PERIOD / "02_segmentation.ipynb") in failed
    assert "PERIOD-MARK" in (folder / "03_analysis.html").read_text()
    assert "Belum lengkap: Segmentasi Pelanggan" in (folder / "index.html").read_text()
    assert "Belum lengkap" in (project / "reports" / "index.html").read_text()

    make_notebook(project / "notebooks" / "02_segmentation.ipynb")  # mended: the next run is complete
    run_period(PERIOD, project, log=lambda _: None)
    assert "Belum lengkap" not in (folder / "index.html").read_text() + (project / "reports" / "index.html").read_text()
    assert not (folder / ".incomplete").exists() and "PERIOD-MARK" in (folder / "02_segmentation.html").read_text()


def test_rerun_replaces_folder_and_partial_run_keeps_other_pages(tmp_path):
    project = make_project(tmp_path, names=("01_data_collection",))
    folder = run_period(PERIOD, project, log=lambda _: None)
    make_notebook(project / "notebooks" / "02_segmentation.ipynb")
    run_period(PERIOD, project, notebooks=["02_segmentation.ipynb"], log=lambda _: None)
    assert {p.name for p in folder.glob("*.html")} == {"01_data_collection.html", "02_segmentation.html", "index.html"}
    assert "Segmentasi Pelanggan" in (folder / "index.html").read_text()

    (folder / "stale.html").write_text("old")
    messages = []
    assert run_period(PERIOD, project, log=messages.append) == folder
    assert not (folder / "stale.html").exists()
    assert str(folder / "index.html") in messages[-1]
    assert leftovers(project / "reports") == []


def test_params_are_validated_before_any_notebook_runs(tmp_path):
    project = make_project(tmp_path, names=("01_data_collection",))
    (project / "params" / f"{PERIOD}.yaml").write_text("langauge: en\n")
    with pytest.raises(ParamsError, match=rf"params/{PERIOD}.yaml: unknown key 'langauge'"):
        run_period(PERIOD, project, log=lambda _: None)
    with pytest.raises(ParamsError, match="2025-13"):
        run_period("2025-13", project, log=lambda _: None)
    bad_playbook = "strategy:\n  playbook:\n    - {campaign: winback, priority: 1, channels: [email]}\n"
    (project / "params" / f"{PERIOD}.yaml").write_text(bad_playbook)
    with pytest.raises(ParamsError, match=rf"params/{PERIOD}.yaml: strategy.playbook.0.campaign must be one of"):
        run_period(PERIOD, project, log=lambda _: None)
    assert list(project.glob("ran-*")) == [] and not (project / "reports").exists()


def test_missing_notebooks_are_a_run_error(tmp_path):
    project = make_project(tmp_path, names=())
    with pytest.raises(RunError, match="tidak ada notebook tahap"):  # the project speaks id
        run_period(PERIOD, project, log=lambda _: None)
    with pytest.raises(RunError, match="99_nothing.ipynb tidak ditemukan"):
        run_period(PERIOD, project, notebooks=["99_nothing.ipynb"], log=lambda _: None)


def test_notebooks_share_one_kernel_but_not_its_namespace(tmp_path):
    """The run's kernel keeps imported modules (one process for all notebooks), never a notebook's variables."""
    project = make_project(tmp_path, names=())
    make_notebook(project / "notebooks" / "01_data_collection.ipynb", "import os, pathlib\nleaked = os.getpid()\n"
                  "pathlib.Path(project_dir, 'pid1').write_text(str(leaked))\n" + STAGE_CODE)  # fmt: skip
    second = "import os, pathlib\npathlib.Path(project_dir, 'pid2').write_text(str(os.getpid()))\nprint(leaked)"
    make_notebook(project / "notebooks" / "02_segmentation.ipynb", second)
    with pytest.raises(RunError, match=r"02_segmentation.ipynb.*NameError: name 'leaked' is not defined"):
        run_period(PERIOD, project, log=lambda _: None)
    kept = nbformat.read(project / "reports" / ".failed" / PERIOD / "02_segmentation.ipynb", as_version=4)
    assert next(c.execution_count for c in kept.cells if c.cell_type == "code") == 1  # a new session

    no_figures = "import sys\nassert not sys.modules['matplotlib.pyplot'].get_fignums()"  # imported, figures closed
    make_notebook(project / "notebooks" / "02_segmentation.ipynb", second.replace("print(leaked)", no_figures))
    run_period(PERIOD, project, log=lambda _: None)
    ran = (project / "ran-01_data_collection-2025-06").read_text()
    assert ran == str(project / "notebooks")  # the kernel's working folder is the notebook's
    assert (project / "pid1").read_text() == (project / "pid2").read_text()  # one kernel process


KILLED_AT = r"""
import os, shutil, signal, sys
import subprocess
import sys
from pathlib import Path
from crmlib.report import publish

reports, step, pages, calls = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3], [0]

def killing(function):
    def counted(*args, **kwargs):
        calls[0] += 1
        if calls[0] == step:
            os.kill(os.getpid(), signal.SIGKILL)
        return function(*args, **kwargs)
    return counted

version = publish.staging(reports, "2025-06")
(version / "index.html").write_text(pages)
for name in ("replace", "symlink", "unlink", "rename", "readlink"):
    setattr(os, name, killing(getattr(os, name)))
shutil.rmtree = killing(shutil.rmtree)
publish.exchange = killing(publish.exchange)
publish.publish(version, reports / "2025-06")
print("published")
"""


@pytest.mark.parametrize("before", ["a link", "a folder of an earlier version"])
def test_a_kill_at_any_step_of_publishing_leaves_the_old_report_or_the_new(tmp_path, before):
    """Kill the publishing process at its first, second, … file operation until one run completes: after each
    kill the period shows exactly the old pages or the new ones, and the next run's clean-up removes the rest."""
    from crmlib.report.publish import remove_stale

    def publishing(reports: Path, step: int, pages: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-c", KILLED_AT, str(reports), str(step), pages], capture_output=True,
                              text=True)  # fmt: skip

    step, finished = 0, False
    while not finished:
        step += 1
        reports = tmp_path / f"step{step}"
        if before == "a link":
            publishing(reports, 0, "old")  # by an earlier run, now gone
        else:
            (reports / "2025-06").mkdir(parents=True)
            (reports / "2025-06" / "index.html").write_text("old")
        run = publishing(reports, step, "new")
        finished = "published" in run.stdout
        assert finished or run.returncode == -9, run.stderr
        shown = (reports / "2025-06" / "index.html").read_text()
        assert shown == ("new" if finished else shown) and shown in ("old", "new"), step
        remove_stale(reports)
        target = reports / "2025-06"
        versions = {p.resolve() for p in (reports / ".versions").iterdir()}
        assert versions == ({target.resolve()} if target.is_symlink() else set()), step  # only the one shown
        assert {p.name for p in reports.iterdir()} == {"2025-06", ".versions", ".2025-06.lock"}, step
    assert step > 3
