"""The `crm` command: make sample data, ingest sources, run a period's report, backfill months.

Errors a user can cause print as one line on stderr (`crm: error: …`) with exit code 1, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from crmlib.errors import CrmError, ParamsError
from crmlib.periods import Period


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args) or 0
    except CrmError as err:
        print(f"crm: error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("crm: interrupted", file=sys.stderr)
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="crm", description="CRM Analytics Suite: data, reports, backfills.")
    parser.add_argument("--project", type=Path, default=None,
                        help="project folder holding params/default.yaml (default: found from the current folder)")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    sample = commands.add_parser("sample", help="write a seeded synthetic CRM data set, one file per table")
    sample.add_argument("--customers", type=int, default=None, help="default: sample.customers in the parameters")
    sample.add_argument("--months", type=int, default=None, help="default: sample.months in the parameters")
    sample.add_argument("--seed", type=int, default=None, help="default: sample.seed in the parameters")
    sample.add_argument("--end", default=None, help="last month covered, YYYY-MM (default: last complete month)")
    sample.add_argument("--format", choices=["csv", "parquet"], default="csv")
    sample.add_argument("--layout", choices=["tidy", "lines"], default="tidy",
                        help="tidy: one row per order in the contract's columns; lines: transactions.csv as a shop's "
                             "order-line export (see the README for its mapping)")
    sample.add_argument("--truth", type=Path, default=None,
                        help="also write truth.csv here: who dropped out and when, for checking the models")
    sample.add_argument("--out", type=Path, required=True)
    sample.set_defaults(handler=_sample)

    ingest = commands.add_parser("ingest", help="load a folder of source files (or a database) into the warehouse")
    ingest.add_argument("directory", type=Path, nargs="?", help="folder with transactions.csv, customers.xlsx …")
    ingest.add_argument("--database", action="store_true",
                        help="read from the database whose SQLAlchemy URL is in $CRM_DATABASE_URL "
                             "(or the variable named by ingest.database_url_env)")
    ingest.add_argument("--warehouse", type=Path, default=None, help="DuckDB file (default: from the parameters)")
    ingest.add_argument("--json", action="store_true", help="print the per-table counts as one JSON object")
    ingest.add_argument("--replace", action="store_true",
                        help="load even a source with no data rows, or one that shrinks its table a lot")
    ingest.set_defaults(handler=_ingest)

    data = commands.add_parser("data", help="make sure the warehouse holds data: sample data only when there is "
                                             "none at all, and the raw folder reloaded when it is the warehouse's source")
    data.set_defaults(handler=_data)

    run = commands.add_parser("run", help="run every stage notebook for a period and publish its HTML report")
    run.add_argument("--period", default=None, help="YYYY-MM (default: the latest complete month in the data)")
    run.set_defaults(handler=_run)

    backfill = commands.add_parser("backfill", help="run the report for every month from FROM to TO")
    backfill.add_argument("--from", dest="first", required=True, metavar="YYYY-MM")
    backfill.add_argument("--to", dest="last", required=True, metavar="YYYY-MM")
    backfill.set_defaults(handler=_backfill)

    latest = commands.add_parser("latest-period", help="print the latest complete month in the warehouse")
    latest.set_defaults(handler=_latest)
    return parser


def _sample(args) -> None:
    from crmlib.collect.synthetic import write_sample
    from crmlib.report.params import SampleParams

    params = _params(args, required=False)
    defaults = params.sample if params else SampleParams()
    customers, months, seed = (defaults.customers if args.customers is None else args.customers,
                               defaults.months if args.months is None else args.months,
                               defaults.seed if args.seed is None else args.seed)
    if customers < 1 or months < 1:
        raise CrmError("--customers and --months must be at least 1")
    if args.end and Period.parse(args.end).kind != "M":
        raise CrmError(f"--end {args.end} is not a month; write it as YYYY-MM")
    counts = write_sample(args.out, customers=customers, months=months, seed=seed, end=args.end, fmt=args.format,
                          layout=args.layout, truth_dir=args.truth)
    total = ", ".join(f"{table} {rows:,}" for table, rows in counts.items())
    print(f"wrote sample data to {args.out}: {total}")


def _ingest(args) -> None:
    from crmlib.collect import IngestOptions, Warehouse, ingest_database, ingest_dir

    if (args.directory is None) == (not args.database):
        raise CrmError("give either a folder to ingest (crm ingest data/raw) or --database, not both or neither")
    params = _params(args, required=args.warehouse is None)
    options = params.ingest if params else IngestOptions()
    warehouse = Warehouse(args.warehouse or params.path("warehouse"))
    if args.database:
        report = ingest_database(warehouse, options, replace=args.replace)
    else:
        report = ingest_dir(args.directory, warehouse, options, replace=args.replace)
    for note in report.notes:
        print(f"note: {note}", file=sys.stderr)
    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if args.json:
        print(json.dumps(report.counts))
        return
    _print_counts(report)
    print(f"warehouse: {warehouse.path}")
    if any(c["quarantined"] for c in report.counts.values()):
        print("quarantined rows and their reasons are in the warehouse table `quarantine`")


def _print_counts(report) -> None:
    """rows = loaded + guest + quarantined per table, and the same in money for the tables that carry amounts."""
    print(f"{'table':<20}{'rows':>18}{'loaded':>18}{'guest':>18}{'quarantined':>18}")
    for table, c in report.counts.items():
        print(f"{table:<20}{c['rows']:>18,}{c['loaded']:>18,}{c['guest']:>18,}{c['quarantined']:>18,}")
    for table, m in report.money.items():
        print(f"{table + ' (money)':<20}" + "".join(f"{m.get(k, 0.0):>18,.0f}"
                                                   for k in ("source", "loaded", "guest", "quarantined")))


def _data(args) -> None:
    """`make data`: never replace a business's own data with synthetic data."""
    from crmlib.collect import Warehouse, ingest_dir
    from crmlib.collect.synthetic import write_sample

    params = _params(args)
    raw, warehouse = params.path("raw_dir"), Warehouse(params.path("warehouse"))
    loaded = warehouse.query("SELECT source FROM loads")["source"].tolist()
    if not loaded and not (raw.is_dir() and any(raw.iterdir())):
        write_sample(raw, customers=params.sample.customers, months=params.sample.months, seed=params.sample.seed)
        print(f"no data yet: wrote synthetic sample data to {raw}")
    elsewhere = [s for s in loaded if not s.startswith(str(raw)) and s != "derived from transactions"]
    if elsewhere:
        print(f"the warehouse was loaded from {elsewhere[0]}, not {raw}: left as it is (load again with crm ingest)")
    elif raw.is_dir() and any(raw.iterdir()):
        report = ingest_dir(raw, warehouse, params.ingest)
        rows = sum(c["rows"] for c in report.counts.values())
        quarantined = sum(c["quarantined"] for c in report.counts.values())
        guests = sum(c["guest"] for c in report.counts.values())
        print(f"loaded {raw}: {rows:,} rows, {guests:,} of them guest sales, {quarantined:,} quarantined "
              "(see the warehouse table quarantine)")
        for warning in report.warnings:
            print(f"warning: {warning}", file=sys.stderr)



def _run(args) -> None:
    from crmlib.report.runner import run_period

    project = _project_dir(args)
    period = args.period or _latest_period(args)
    run_period(period, project)


def _backfill(args) -> None:
    from crmlib.report.runner import backfill

    backfill(args.first, args.last, _project_dir(args))


def _latest(args) -> None:
    print(_latest_period(args))


def _latest_period(args) -> str:
    from crmlib.collect import Warehouse

    path = _params(args).path("warehouse")
    if not path.exists():
        raise CrmError(f"no warehouse at {path}: load data first (make data, or crm ingest DIR)")
    return str(Warehouse(path).last_complete_month())


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
