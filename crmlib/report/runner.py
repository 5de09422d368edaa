"""Run the stage notebooks for a period with papermill and publish their HTML pages as `reports/<period>/`.

The parameters are validated before any notebook runs. Notebooks execute into a staging folder inside the reports
folder; when every one of them succeeded, the staging folder replaces `reports/<period>/` (under a file lock). When
a stage fails, the others still run: if the period has a good (complete) report, it is kept as it was, so a failed
run never destroys it; if not, the pages that ran are published with a failure page in place of each failed stage
and the period is marked incomplete (a first run on one's own data never ends with zero pages). Either way the run
raises RunError. A failed executed notebook is kept in `reports/.failed/<period>/` for debugging.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from pathlib import Path

import papermill
from jupyter_client.manager import AsyncKernelManager
from papermill.exceptions import PapermillExecutionError

from crmlib import progress
from crmlib.catalogue import t, use
from crmlib.collect.warehouse import Warehouse, reserved
from crmlib.engines import open_warehouse
from crmlib.errors import RunError
from crmlib.formats import label, month_name, stage_title
from crmlib.periods import Period, month_range
from crmlib.report.context import SUMMARY_PREFIX, PeriodContext
from crmlib.report.html import export_html
from crmlib.report.index import (
    INDEX,
    failed_stages,
    is_complete,
    record_run,
    write_failure_page,
    write_period_index,
    write_reports_index,
)
from crmlib.report.kernel import fresh_namespace, shared_kernel
from crmlib.report.params import load_params
from crmlib.report.publish import publish, remove_stale
from crmlib.report.publish import staging as new_version

STAGE_PATTERN = "[0-9][0-9]_*.ipynb"
EXECUTED = "notebooks"  # subfolder of a published period holding the executed notebooks


def stage_notebooks(project_dir: Path) -> list[Path]:
    """The stage notebooks of a project in the order they run: `notebooks/NN_*.ipynb` in name order, the executive
    summary (`00_*`, which reads the other stages' results) last."""
    books = sorted((Path(project_dir) / "notebooks").glob(STAGE_PATTERN))
    return sorted(books, key=lambda b: b.name.startswith(SUMMARY_PREFIX))


def run_period(
    month: str | Period,
    project_dir: str | Path,
    notebooks: Sequence[str | Path] | None = None,
    log: Callable[[str], object] = print,
    km: AsyncKernelManager | None = None,
) -> Path:
    """Run every stage notebook for `period` and publish `reports/<period>/`; return that folder.

    `notebooks` overrides which notebooks run (paths relative to the project, or names in notebooks/); pages of
    stages not run this time are kept from the previous report. `km` is a kernel to run them on (a backfill's,
    shared by its periods); by default the run starts its own. Raises ParamsError for bad parameters (before
    anything runs) and RunError, naming the notebook, when a notebook fails (see the module for what is published).
    """
    project = Path(project_dir).resolve()
    period = Period.parse(str(month))
    params = load_params(project, period)
    use(params.language)  # the console and errors speak the report's language
    if params.engine == "spark":  # a missing Java or an unreachable master is one line before anything runs
        from crmlib.engines.spark import Lake

        Lake(params.spark, project).check()
    elif params.path("warehouse").is_file():  # a period the data do not reach is one line, not a run of errors
        open_warehouse(params).check_period(period)  # (on Spark the first notebook checks it: one JVM per run)
    books = _resolve(project, notebooks) if notebooks is not None else stage_notebooks(project)
    if not books:
        raise RunError(t("error.run.no_notebooks", folder=str(project / "notebooks")))
    language, reports = params.language, params.path("reports_dir")
    target = reports / str(period)
    remove_stale(reports)
    shutil.rmtree(reports / ".failed" / str(period), ignore_errors=True)
    staging = new_version(reports, str(period))
    if notebooks is not None and target.is_dir():
        shutil.copytree(target, staging, dirs_exist_ok=True)
    links = [(INDEX, month_name(period, language)), (f"../{INDEX}", label("all_reports", language))]
    started = time.monotonic()
    failures: dict[Path, RunError] = {}
    try:
        kernel = nullcontext(km) if km is not None else shared_kernel()
        with reserved(params.path("warehouse")), kernel as km:  # a load waits until the notebooks end
            for book in books:
                log(t("console.run.running", period=str(period), notebook=book.name))
                begun = time.monotonic()
                title = f"{stage_title(book.stem, language)} · {month_name(period, language)}"
                try:
                    executed = _execute(book, staging / EXECUTED / book.name, period, project, reports, km)
                except RunError as failure:  # the other stages still run: a first report shows what they could
                    failures[book] = failure
                    continue
                export_html(executed, staging / f"{book.stem}.html", title, language, links)
                progress.say(t("console.run.done", period=str(period), notebook=book.name,
                               seconds=round(time.monotonic() - begun, 1)))  # fmt: skip
        if failures and is_complete(target):  # a good report stays as it was
            raise next(iter(failures.values()))
        for book, why in failures.items():
            title = f"{stage_title(book.stem, language)} · {month_name(period, language)}"
            write_failure_page(staging / f"{book.stem}.html", title, str(why), language, links)
        earlier = [name for name in failed_stages(staging) if name not in {b.stem for b in books}]  # not run now
        write_period_index(staging, period, language, failed=[*earlier, *(b.stem for b in failures)])
        publish(staging, target)
    except BaseException as err:
        shutil.rmtree(staging, ignore_errors=True)
        if isinstance(err, RunError):
            record_run(reports, period, time.monotonic() - started, str(err))
            write_overview(project, reports)
        raise
    if failures:
        first = next(iter(failures.values()))
        error = t("error.run.incomplete", period=str(period), n=len(failures), page=str(target / INDEX),
                  failure=str(first))  # fmt: skip
        record_run(reports, period, time.monotonic() - started, error, published=True)
        write_overview(project, reports)
        raise RunError(error)
    record_run(reports, period, time.monotonic() - started)
    write_overview(project, reports)
    log(t("console.run.published", period=str(period), page=str(target / INDEX), index=str(reports / INDEX)))
    return target


def write_overview(project: Path, reports: Path) -> Path:
    """The all-periods index in the default parameters' language, its KPIs from the warehouse when there is one."""
    params = load_params(project)
    warehouse = params.path("warehouse")
    any_period = Period.parse("2000-01")  # the context only formats values and reads every period's results
    ctx = PeriodContext(params, any_period, Warehouse(warehouse)) if warehouse.is_file() else None
    return write_reports_index(reports, params.language, ctx)


def backfill(first: str, last: str, project_dir: str | Path, log: Callable[[str], object] = print) -> list[Path]:
    """Run every month from `first` to `last` in order, on one kernel; the first failure stops the backfill (and is
    raised)."""
    with shared_kernel() as km:
        return [run_period(str(month), project_dir, log=log, km=km) for month in month_range(first, last)]


def _resolve(project: Path, notebooks: Sequence[str | Path]) -> list[Path]:
    out = []
    for item in notebooks:
        path = Path(item)
        candidates = [path] if path.is_absolute() else [project / path, project / "notebooks" / path]
        found = next((c for c in candidates if c.is_file()), None)
        if found is None:
            raise RunError(
                t("error.run.no_notebook", notebook=str(item), project=str(project), folder=str(project / "notebooks"))
            )
        out.append(found)
    return out


def _execute(book: Path, output: Path, period: Period, project: Path, reports: Path, km: AsyncKernelManager) -> Path:
    """Execute one notebook into `output` on the run's kernel `km`; on failure keep it under
    reports/.failed/<period>/ and raise RunError."""
    output.parent.mkdir(parents=True, exist_ok=True)
    try:
        fresh_namespace(km, book.parent)
        with _importable(project):
            papermill.execute_notebook(
                str(book),
                str(output),
                parameters={"period": str(period), "project_dir": str(project)},
                kernel_name="python3",
                cwd=str(book.parent),
                progress_bar=False,
                extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
                km=km,
            )  # no kernel chatter in scheduled logs
    except Exception as err:  # any failure of a stage is reported the same way, naming the notebook
        kept = reports / ".failed" / str(period) / book.name
        if output.is_file():
            kept.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(output, kept)
            where = t("error.run.kept", path=str(kept))
        else:
            where = ""
        if isinstance(err, PapermillExecutionError):
            cell = t("error.run.cell", cell=str(err.exec_count)) if err.exec_count else ""
            what = f"{err.ename}: {err.evalue}{cell}"
        else:
            what = f"{type(err).__name__}: {err}"
        raise RunError(
            t("error.run.failed", period=str(period), notebook=book.name, what=_one_line(what), where=where)
        ) from err
    return output


def _one_line(text: str, limit: int = 300) -> str:
    text = re.sub(r"\s+", " ", str(text)).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


@contextmanager
def _importable(project: Path) -> Iterator[None]:
    """Let the notebook's kernel import this project's crmlib even when the package is not installed."""
    before = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(project), before]))
    try:
        yield
    finally:
        if before is None:
            del os.environ["PYTHONPATH"]
        else:
            os.environ["PYTHONPATH"] = before
