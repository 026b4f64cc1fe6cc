"""The `export` and `schedule` subcommands of `serviq`.

    serviq export --period week --as-of 2026-07-26 --format xlsx,pdf --out DIR --lang zh
    serviq schedule --once            run what is due now, then exit
    serviq schedule                   keep running: pass, sleep until the next slot, repeat
    serviq schedule --status          print the run and delivery log

Errors are one sentence on stderr and a non-zero exit status.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

from pipelines.settings import SettingsError, get_settings

EXIT_FAILURE = 1


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def _sites(values: list[str] | None) -> tuple[str, ...]:
    sites: list[str] = []
    for value in values or []:
        sites += [part.strip() for part in value.split(",") if part.strip()]
    return tuple(dict.fromkeys(sites))


def _yesterday(timezone: str) -> dt.date:
    return dt.datetime.now(ZoneInfo(timezone)).date() - dt.timedelta(days=1)


def cmd_export(args: argparse.Namespace) -> int:
    from pipelines.export.render import RenderError
    from pipelines.export.run import ExportError, ExportRequest, export, parse_formats
    from pipelines.export.scorecard import NoDataError

    settings = get_settings()
    request = ExportRequest(
        period=args.period,
        as_of=args.as_of or _yesterday(settings.timezone),
        out_dir=Path(args.out) if args.out else settings.home / "exports",
        formats=parse_formats(args.format),
        sites=_sites(args.site),
        lang=args.lang,
    )
    started = time.perf_counter()
    try:
        result = export(request, settings.serving, progress=_say if args.verbose else None)
    except (NoDataError, ExportError, RenderError, SettingsError) as exc:
        _say(f"serviq: error: {exc}")
        return EXIT_FAILURE
    except OSError as exc:
        _say(f"serviq: error: could not write the export to {request.out_dir}: {exc}.")
        return EXIT_FAILURE
    took = time.perf_counter() - started
    for path in result.files:
        print(path)
    missing = result.missing_families
    note = f"; no data for this source: {', '.join(missing)}" if missing else ""
    _say(f"export: done in {took:.1f} s — {len(result.files)} files{note}")
    return 0


def _scheduler(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from pipelines.export.scheduler import Scheduler, SchedulerPaths
    from pipelines.export.schedules import load_schedules

    settings = get_settings()
    config_path = Path(args.config) if args.config else settings.home / "schedules.yml"
    config = load_schedules(config_path)
    out_dir = Path(args.out) if args.out else config.out_dir
    if out_dir is not None and not out_dir.is_absolute():
        out_dir = settings.home / out_dir
    return Scheduler(
        config=config,
        zone=config.zone(settings.timezone),
        paths=SchedulerPaths.under(settings.home, out_dir),
        serving=settings.serving,
        say=_say,
    )


def _print_status(scheduler) -> None:  # type: ignore[no-untyped-def]
    from pipelines.export.state import StateStore

    with StateStore.open(scheduler.paths.state) as store:
        for run in store.runs():
            error = f"  {run.error}" if run.error else ""
            print(
                f"{run.schedule}\t{run.slot}\tas of {run.as_of_date}\t{run.status}"
                f"\t{run.attempts} tries{error}"
            )
        for delivery in store.deliveries():
            error = f"  {delivery.error}" if delivery.error else ""
            print(
                f"{delivery.schedule}\t{delivery.slot}\tmail {delivery.status}"
                f"\t{delivery.attempts} tries{error}"
            )


def cmd_schedule(args: argparse.Namespace) -> int:
    from pipelines.export.scheduler import SystemClock
    from pipelines.export.schedules import ScheduleConfigError
    from pipelines.export.state import SchedulerBusy

    try:
        scheduler = _scheduler(args)
        if args.status:
            _print_status(scheduler)
            return 0
        if args.once:
            report = scheduler.run_pass(dt.datetime.now(dt.UTC))
            _say(report.summary())
            failed = [run for run in report.ran if run[2] != "ok"]
            undelivered = [d for d in report.delivered if d[2] != "sent"]
            return EXIT_FAILURE if failed or undelivered else 0
        _say(f"schedule: running {len(scheduler.config.schedules)} schedules; Ctrl-C to stop")
        scheduler.loop(SystemClock())
    except (ScheduleConfigError, SchedulerBusy, SettingsError) as exc:
        _say(f"serviq: error: {exc}")
        return EXIT_FAILURE
    return 0


def add_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser(
        "export", help="write the scorecard workbook, PDF one-pager, CSV or Parquet"
    )
    p.add_argument(
        "--period",
        choices=("day", "week", "month"),
        required=True,
        help="day, ISO week (Mon-Sun) or calendar month containing --as-of",
    )
    p.add_argument(
        "--as-of",
        type=_date,
        dest="as_of",
        help="last day covered, YYYY-MM-DD (default: yesterday, reporting time zone)",
    )
    p.add_argument(
        "--site",
        action="append",
        metavar="SITE",
        help="site code (repeat or comma-separate; default: all sites)",
    )
    p.add_argument(
        "--format",
        default="xlsx,pdf",
        help="comma-separated: xlsx,pdf,csv,parquet (default: xlsx,pdf)",
    )
    p.add_argument("--out", help="output folder (default: $SERVIQ_HOME/exports)")
    p.add_argument("--lang", choices=("zh", "en"), default="zh", help="language (default zh)")
    p.add_argument("-v", "--verbose", action="store_true", help="print each step")
    p.set_defaults(func=cmd_export)

    p = subparsers.add_parser("schedule", help="run the exports of schedules.yml when due")
    p.add_argument("--config", help="schedules file (default: $SERVIQ_HOME/schedules.yml)")
    p.add_argument(
        "--out", help="output folder (default: the file's out_dir or $SERVIQ_HOME/exports)"
    )
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--once", action="store_true", help="run what is due now and exit")
    mode.add_argument("--status", action="store_true", help="print the run and mail log")
    p.set_defaults(func=cmd_schedule)
