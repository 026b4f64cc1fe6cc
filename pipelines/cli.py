"""The `serviq` command: one entry point, one subcommand per stage.

    serviq generate   simulated centre -> landing files + truth.json
    serviq ingest     landing files -> DuckDB raw tables (quarantine, audit)
    serviq build      dbt build (seeds, models, tests), once
    serviq publish    atomic copy of the marts to the serving file
    serviq dashboard  serve the Streamlit app on the serving file
    serviq demo       all of the above on fresh demo data

Errors are one sentence on stderr and a non-zero exit status.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from pipelines.settings import REPO_ROOT, Settings, SettingsError, get_settings

EXIT_FAILURE = 1
EXIT_USAGE = 2


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class Stopwatch:
    def __init__(self, label: str) -> None:
        self.label = label
        self.start = time.perf_counter()

    def done(self, detail: str = "") -> None:
        took = time.perf_counter() - self.start
        _say(f"{self.label}: done in {took:.1f} s{(' — ' + detail) if detail else ''}")


# --------------------------------------------------------------------------
# ingest
# --------------------------------------------------------------------------
def _mapping_path(args: argparse.Namespace) -> Path:
    from pipelines.sources.mapping import builtin_mapping, resolve_mapping

    if getattr(args, "sources", None):
        return resolve_mapping(args.sources)
    return builtin_mapping("serviq_generator")


def cmd_ingest(args: argparse.Namespace) -> int:
    from pipelines.ingest import ingest
    from pipelines.sources.mapping import load_mapping

    settings = get_settings()
    key = settings.require_pii_key()
    mapping = load_mapping(_mapping_path(args))
    landing = Path(args.landing) if args.landing else settings.landing
    if not landing.is_dir():
        _say(f"serviq: error: landing folder {landing} does not exist.")
        return EXIT_FAILURE
    watch = Stopwatch("ingest")
    report = ingest(settings.warehouse, landing, mapping, key, _say if args.verbose else None)
    for warning in report.warnings:
        _say(f"warning: {warning}")
    watch.done(
        f"{len(report.loaded)} files loaded ({report.rows_loaded:,} rows, "
        f"{report.rows_quarantined:,} quarantined), {len(report.skipped)} already loaded"
    )
    if report.refusals:
        for refusal in report.refusals:
            _say(f"serviq: error: refused {refusal}")
        return EXIT_FAILURE
    return 0


# --------------------------------------------------------------------------
# build / publish
# --------------------------------------------------------------------------
def cmd_build(args: argparse.Namespace) -> int:
    from pipelines.build import build

    settings = get_settings()
    dbt_vars = json.loads(args.vars) if args.vars else None
    watch = Stopwatch("build")
    result = build(
        settings,
        dbt_vars=dbt_vars,
        select=args.select,
        full_refresh=args.full_refresh,
        unit_tests=args.unit_tests,
        engine=args.engine,
    )
    plan = f", {result.plan}" if result.plan else ""
    watch.done(f"{result.passed} nodes passed, {result.warned} warnings{plan}")
    return 0


def cmd_publish(args: argparse.Namespace) -> int:
    from pipelines.publish import publish

    settings = get_settings()
    watch = Stopwatch("publish")
    result = publish(settings.warehouse, settings.serving)
    watch.done(f"{result.tables} tables, {result.rows:,} rows -> {result.serving}")
    return 0


# --------------------------------------------------------------------------
# dashboard / demo
# --------------------------------------------------------------------------
def serve_dashboard(settings: Settings, port: int) -> int:
    app = REPO_ROOT / "dashboard" / "streamlit_app.py"
    env = {**os.environ, "SERVIQ_HOME": str(settings.home)}
    if settings.serving_path:
        env["SERVIQ_SERVING_PATH"] = str(settings.serving_path)
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(app),
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
    ]
    _say(f"dashboard: serving {settings.serving} on http://localhost:{port}")
    # Streamlit reads .streamlit/config.toml and secrets.toml (login) from
    # the working directory: always serve from the repository root.
    return subprocess.call(cmd, env=env, cwd=REPO_ROOT)


def cmd_dashboard(args: argparse.Namespace) -> int:
    settings = get_settings()
    if not settings.serving.exists():
        _say(f"serviq: error: nothing published yet at {settings.serving}: run `serviq publish`.")
        return EXIT_FAILURE
    return serve_dashboard(settings, args.port)


def cmd_demo(args: argparse.Namespace) -> int:
    from pipelines.build import build
    from pipelines.generate import GeneratorParams, generate
    from pipelines.ingest import ingest
    from pipelines.publish import publish
    from pipelines.sources.mapping import builtin_mapping, load_mapping

    settings = get_settings()
    key = settings.require_pii_key()
    total = Stopwatch("demo pipeline")
    landing = settings.landing
    if args.fresh or not (landing / "truth.json").exists():
        for stale in (settings.warehouse, Path(f"{settings.warehouse}.wal")):
            stale.unlink(missing_ok=True)
        watch = Stopwatch("generate")
        params = GeneratorParams(
            days=args.days, contacts_per_day=args.contacts_per_day, seed=args.seed
        )
        generate(params, landing, progress=_say if args.verbose else None)
        watch.done(f"{args.days} days -> {landing}")
    watch = Stopwatch("ingest")
    report = ingest(settings.warehouse, landing, load_mapping(builtin_mapping()), key)
    watch.done(f"{report.rows_loaded:,} rows loaded, {report.rows_quarantined:,} quarantined")
    if report.refusals:
        for refusal in report.refusals:
            _say(f"serviq: error: refused {refusal}")
        return EXIT_FAILURE
    watch = Stopwatch("build")
    result = build(settings)
    watch.done(f"{result.passed} nodes passed")
    watch = Stopwatch("publish")
    published = publish(settings.warehouse, settings.serving)
    watch.done(f"{published.tables} tables")
    total.done()
    if args.no_serve:
        return 0
    return serve_dashboard(settings, args.port)


# --------------------------------------------------------------------------
# parser
# --------------------------------------------------------------------------
Handler = Callable[[argparse.Namespace], int]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="serviq",
        description="Service-quality analytics warehouse for contact centres and back offices.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    from pipelines.generate.cli import add_parser as add_generate

    add_generate(sub)

    from pipelines.quality.cli import add_parser as add_check

    add_check(sub)

    from pipelines.export.cli import add_parser as add_export

    add_export(sub)

    from pipelines.sources.cli import add_parser as add_sources

    add_sources(sub)

    p = sub.add_parser("ingest", help="load landing files into the warehouse")
    p.add_argument(
        "--sources",
        help="source mapping YAML or built-in name, e.g. asterisk_queue_log (default: the "
        "generator's)",
    )
    p.add_argument("--landing", help="landing folder (default: $SERVIQ_HOME/landing)")
    p.add_argument("-v", "--verbose", action="store_true", help="one line per file")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("build", help="run dbt build (models, tests, unit tests) once")
    p.add_argument("--vars", help="dbt vars as JSON, e.g. '{\"repeat_window_days\": 3}'")
    p.add_argument("--select", help="dbt node selection")
    p.add_argument("--full-refresh", action="store_true", help="rebuild incremental models")
    p.add_argument(
        "--unit-tests", action="store_true", help="also run dbt's unit tests (development, CI)"
    )
    p.add_argument(
        "--engine",
        choices=("duckdb", "spark"),
        default="duckdb",
        help="build engine: duckdb (default) or spark (dbt-spark; marts loaded back for publish)",
    )
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("publish", help="atomically publish the marts to the serving file")
    p.set_defaults(func=cmd_publish)

    p = sub.add_parser("dashboard", help="serve the Streamlit dashboard")
    p.add_argument("--port", type=int, default=8501)
    p.set_defaults(func=cmd_dashboard)

    from pipelines.bench import add_parser as add_bench

    add_bench(sub)

    p = sub.add_parser("demo", help="generate demo data, run the pipeline, serve the dashboard")
    p.add_argument("--days", type=int, default=90)
    # a mid-sized centre: 90 days come to about 270,000 contacts
    p.add_argument("--contacts-per-day", type=int, default=3000)
    p.add_argument("--seed", type=int, default=20260601)
    p.add_argument("--port", type=int, default=8501)
    p.add_argument("--fresh", action="store_true", help="regenerate even if demo data exists")
    p.add_argument("--no-serve", action="store_true", help="stop after publishing")
    p.add_argument("-v", "--verbose", action="store_true")
    p.set_defaults(func=cmd_demo)
    return parser


# Polars' allocator (jemalloc) otherwise hands freed memory back at once and
# faults it in again; read when Polars is first imported, so set it before
# (ingest only, worker processes inherit it; DECISIONLOG "Ingestion").
INGEST_MALLOC_CONF = ("_RJEM_MALLOC_CONF", "dirty_decay_ms:5000,muzzy_decay_ms:5000")


def main(argv: list[str] | None = None) -> int:
    if (sys.argv[1:] if argv is None else argv)[:1] == ["ingest"]:
        os.environ.setdefault(*INGEST_MALLOC_CONF)
    from pipelines.bench import BenchError
    from pipelines.build import BuildError
    from pipelines.ingest import IngestError
    from pipelines.ingest.read import FileRefused
    from pipelines.publish import PublishError
    from pipelines.sources.mapping import MappingError

    args = build_parser().parse_args(argv)
    handler: Handler = args.func
    try:
        return handler(args)
    except (
        SettingsError,
        MappingError,
        IngestError,
        BuildError,
        PublishError,
        FileRefused,
        BenchError,
    ) as exc:
        _say(f"serviq: error: {exc}")
        return EXIT_FAILURE
    except KeyboardInterrupt:
        _say("serviq: interrupted; nothing half-written was kept.")
        return 130


if __name__ == "__main__":
    sys.exit(main())
