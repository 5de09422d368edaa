"""The `crm` command: make sample data, ingest sources, run a period's report, backfill months.

Errors a user can cause print as one line on stderr (`crm: error: …`) with exit code 1, never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from pathlib import Path

from crmlib import catalogue, progress
from crmlib.catalogue import t
from crmlib.errors import CrmError, ParamsError
from crmlib.formats import format_number
from crmlib.periods import Period


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    _speak(argv)
    parser = _parser()
    args = parser.parse_args(argv)
    progress.configure(quiet=args.quiet or getattr(args, "json", False))
    try:
        return args.handler(args) or 0
    except CrmError as err:
        print(t("console.error", message=printable(str(err))), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(t("console.interrupted"), file=sys.stderr)
        return 130


def printable(message: str, most: int = 500) -> str:
    """`message` as one readable line: control and other unprintable characters (from a binary file read as
    text, say) as `?`, at most `most` characters.

    >>> printable("bad header 'a\\x00b\\x1f' in f.csv\\nmore")
    "bad header 'a?b?' in f.csv more"
    """
    line = "".join(c if c.isprintable() else " " if c in "\n\r\t" else "?" for c in message)
    return line if len(line) <= most else line[: most - 1] + "…"


def _speak(argv: list[str]) -> None:
    """Speak the project's language (its parameters' `language`) when there is a project; English otherwise."""
    from crmlib.report.params import find_project_dir, load_params

    given = argv[argv.index("--project") + 1] if "--project" in argv[:-1] else None
    with contextlib.suppress(CrmError):  # no project, or parameters with a mistake: the command says so itself
        catalogue.use(load_params(Path(given) if given else find_project_dir()).language)


def _parser() -> argparse.ArgumentParser:
    from crmlib.collect.synthetic.writer import LAYOUTS

    parser = argparse.ArgumentParser(prog="crm", description=t("help.crm"))
    parser.add_argument("--project", type=Path, default=None, help=t("help.project"))
    parser.add_argument("--quiet", action="store_true", help=t("help.quiet"))
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    sample = commands.add_parser("sample", help=t("help.sample"))
    sample.add_argument("--customers", type=int, default=None, help=t("help.sample.customers"))
    sample.add_argument("--months", type=int, default=None, help=t("help.sample.months"))
    sample.add_argument("--seed", type=int, default=None, help=t("help.sample.seed"))
    sample.add_argument("--end", default=None, help=t("help.sample.end"))
    sample.add_argument("--format", choices=["csv", "parquet"], default="csv")
    sample.add_argument("--layout", choices=list(LAYOUTS), default="tidy", help=t("help.sample.layout"))
    sample.add_argument("--truth", type=Path, default=None, help=t("help.sample.truth"))
    sample.add_argument("--out", type=Path, required=True)
    sample.set_defaults(handler=_sample)

    ingest = commands.add_parser("ingest", help=t("help.ingest"))
    ingest.add_argument("directory", type=Path, nargs="?", help=t("help.ingest.directory"))
    ingest.add_argument("--database", action="store_true", help=t("help.ingest.database"))
    ingest.add_argument("--warehouse", type=Path, default=None, help=t("help.ingest.warehouse"))
    ingest.add_argument("--json", action="store_true", help=t("help.ingest.json"))
    ingest.add_argument("--replace", action="store_true", help=t("help.ingest.replace"))
    ingest.set_defaults(handler=_ingest)

    suggest = commands.add_parser("map", help=t("help.map"))
    suggest.add_argument("directory", type=Path, help=t("help.map.directory"))
    suggest.set_defaults(handler=_map)

    data = commands.add_parser("data", help=t("help.data"))
    data.set_defaults(handler=_data)

    run = commands.add_parser("run", help=t("help.run"))
    run.add_argument("--period", default=None, help=t("help.run.period"))
    run.set_defaults(handler=_run)

    lists = commands.add_parser("lists", help=t("help.lists"))
    lists.add_argument("--period", default=None, help=t("help.run.period"))
    lists.set_defaults(handler=_lists)

    backfill = commands.add_parser("backfill", help=t("help.backfill"))
    backfill.add_argument("--from", dest="first", required=True, metavar="YYYY-MM")
    backfill.add_argument("--to", dest="last", required=True, metavar="YYYY-MM")
    backfill.set_defaults(handler=_backfill)

    export = commands.add_parser("export", help=t("help.export"))
    export.add_argument("--parquet", type=Path, required=True, metavar="FOLDER", help=t("help.export.parquet"))
    export.set_defaults(handler=_export)

    latest = commands.add_parser("latest-period", help=t("help.latest"))
    latest.set_defaults(handler=_latest)

    kpis = commands.add_parser("kpis", help=t("help.kpis"))
    kpis.set_defaults(handler=_kpis)
    return parser


def _kpis(args) -> None:
    from crmlib.monitor.reference import reference_table

    params = _params(args, required=False)
    print(reference_table(params.language if params else "en"))


def _sample(args) -> None:
    from crmlib.collect.synthetic import write_sample
    from crmlib.report.params import SampleParams

    params = _params(args, required=False)
    defaults = params.sample if params else SampleParams()
    customers, months, seed = (
        defaults.customers if args.customers is None else args.customers,
        defaults.months if args.months is None else args.months,
        defaults.seed if args.seed is None else args.seed,
    )
    if customers < 1 or months < 1:
        raise CrmError(t("error.cli.counts"))
    if args.end and Period.parse(args.end).kind != "M":
        raise CrmError(t("error.cli.end", end=args.end))
    counts = write_sample(
        args.out,
        customers=customers,
        months=months,
        seed=seed,
        end=args.end,
        fmt=args.format,
        layout=args.layout,
        truth_dir=args.truth,
    )
    total = ", ".join(t("console.sample.table", table=table, rows=rows) for table, rows in counts.items())
    print(t("console.sample.wrote", folder=str(args.out), total=total))


def _ingest(args) -> None:
    from crmlib.collect import IngestOptions, Warehouse, ingest_dir, ingest_raw
    from crmlib.collect.sources import read_database

    if (args.directory is None) == (not args.database):
        raise CrmError(t("error.cli.source"))
    params = _params(args, required=args.warehouse is None)
    options = params.ingest if params else IngestOptions()
    path = args.warehouse or params.path("warehouse")
    if args.database:
        raws = read_database(options)  # first: a database that cannot be reached leaves no empty warehouse behind
        warehouse = Warehouse(path)
        report = ingest_raw(raws, warehouse, options, replace=args.replace)
    else:
        warehouse = Warehouse(path)
        report = ingest_dir(args.directory, warehouse, options, replace=args.replace)
    for note in report.notes:
        print(t("console.note", note=printable(note)), file=sys.stderr)
    for warning in report.warnings:
        print(t("console.warning", warning=printable(warning)), file=sys.stderr)
    if args.json:
        print(json.dumps(report.counts))
        return
    _print_counts(report)
    print(t("console.ingest.warehouse", path=str(warehouse.path)))
    if any(c["quarantined"] for c in report.counts.values()):
        print(t("console.ingest.quarantine"))


def _map(args) -> None:
    from crmlib.collect.mapping import suggest

    print(suggest(args.directory).block(), end="")


def _print_counts(report) -> None:
    """rows = loaded + guest + quarantined per table, and the same in money for the tables that carry amounts."""
    language = catalogue.current()
    words = [t(k) for k in ("table", "rows", "loaded", "guest", "quarantined")]
    print(f"{words[0]:<22}" + "".join(f"{w:>18}" for w in words[1:]))
    for table, c in report.counts.items():
        print(
            f"{table:<22}"
            + "".join(f"{format_number(c[k], language):>18}" for k in ("rows", "loaded", "guest", "quarantined"))
        )
    for table, m in report.money.items():
        print(
            f"{t('console.ingest.money', table=table):<22}"
            + "".join(
                f"{format_number(m.get(k, 0.0), language):>18}" for k in ("source", "loaded", "guest", "quarantined")
            )
        )


def _data(args) -> None:
    """`make data`: never replace a business's own data with synthetic data."""
    from crmlib.collect import Warehouse, ingest_dir
    from crmlib.collect.synthetic import write_sample

    params = _params(args)
    raw, warehouse = params.path("raw_dir"), Warehouse(params.path("warehouse"))
    loaded = warehouse.query("SELECT source FROM loads")["source"].tolist()
    if not loaded and not (raw.is_dir() and any(raw.iterdir())):
        write_sample(raw, customers=params.sample.customers, months=params.sample.months, seed=params.sample.seed)
        print(t("console.data.sample", folder=str(raw)))
    elsewhere = [s for s in loaded if not s.startswith(str(raw)) and s != "derived from transactions"]
    if elsewhere:
        print(t("console.data.elsewhere", source=elsewhere[0], folder=str(raw)))
    elif raw.is_dir() and any(raw.iterdir()):
        report = ingest_dir(raw, warehouse, params.ingest)
        rows = sum(c["rows"] for c in report.counts.values())
        quarantined = sum(c["quarantined"] for c in report.counts.values())
        guests = sum(c["guest"] for c in report.counts.values())
        print(t("console.data.loaded", folder=str(raw), rows=rows, guests=guests, quarantined=quarantined))
        for warning in report.warnings:
            print(t("console.warning", warning=printable(warning)), file=sys.stderr)


def _run(args) -> None:
    from crmlib.report.runner import run_period

    project = _project_dir(args)
    period = args.period or _latest_period(args)
    run_period(period, project)


def _lists(args) -> None:
    """Plan the period after P from its stored stage results, record the plan and write its target lists."""
    from crmlib.engines import open_warehouse
    from crmlib.periods import Period
    from crmlib.report.params import load_params
    from crmlib.strategy import strategy

    period = Period.parse(args.period or _latest_period(args))
    params = load_params(_project_dir(args), period)
    warehouse = open_warehouse(params)
    if params.engine != "spark":
        warehouse.check_period(period)  # a period the data do not reach: the same line crm run gives
    stage = strategy(warehouse, period, params.strategy, seed=params.seed, lifetime=params.analysis.lifetime_value)
    stage.store(warehouse)
    folder = params.lists_folder() / str(period)
    manifest = stage.write_lists(warehouse, params.lists_folder())
    for row in manifest.itertuples():
        print(t("console.lists.file", file=row.file, rows=row.rows))
    print(t("console.lists.wrote", n=len(manifest), folder=str(folder), period=str(stage.plan.period)))


def _backfill(args) -> None:
    from crmlib.report.runner import backfill

    backfill(args.first, args.last, _project_dir(args))


def _export(args) -> None:
    """The warehouse's contract tables as a data lake: one Parquet folder per table, for `engine: spark`."""
    from crmlib.collect import Warehouse

    params = _params(args)
    path = params.path("warehouse")
    if not path.exists():
        raise CrmError(t("error.cli.no_warehouse", path=str(path)))
    counts = Warehouse(path).export_parquet(args.parquet)
    total = ", ".join(t("console.sample.table", table=table, rows=rows) for table, rows in counts.items())
    print(t("console.export.wrote", tables=len(counts), folder=str(args.parquet), total=total))


def _latest(args) -> None:
    print(_latest_period(args))


def _latest_period(args) -> str:
    from crmlib.engines import open_warehouse

    params = _params(args)
    path = params.path("warehouse")
    if not path.exists():
        raise CrmError(t("error.cli.no_warehouse", path=str(path)))
    return str(open_warehouse(params).last_complete_month())


def _project_dir(args) -> Path:
    from crmlib.report.params import find_project_dir

    return (args.project or find_project_dir()).resolve()


def _params(args, required: bool = True):
    """The project's parameters; with `required=False`, None when there is no project to be found."""
    from crmlib.report.params import find_project_dir, load_params

    if args.project is None and not required:
        try:
            find_project_dir()
        except ParamsError:
            return None
    return load_params(_project_dir(args))


if __name__ == "__main__":
    sys.exit(main())
