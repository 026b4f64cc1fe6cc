"""`serviq check`: run the data-quality checkpoints over the warehouse.

Exit status 0 when no critical expectation failed, 1 otherwise; each failed
expectation is one line naming the suite, column, count and failing rows.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

EXIT_FAILURE = 1


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def add_parser(subparsers: Any) -> None:
    from pipelines.quality.runner import DEFAULT_SAMPLE_ROWS

    p = subparsers.add_parser(
        "check", help="run the data-quality checks (Great Expectations) over the warehouse"
    )
    p.add_argument(
        "--sample-rows",
        type=int,
        default=DEFAULT_SAMPLE_ROWS,
        help="largest table GX validates whole; above it GX sees a sample and SQL counts exactly "
        f"(default {DEFAULT_SAMPLE_ROWS:,})",
    )
    p.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override a suite parameter (JSON value), e.g. surveys__contact_id__min_coverage=0.95",
    )
    p.add_argument(
        "--suite",
        action="append",
        default=[],
        metavar="NAME",
        help="run only this suite or those below it (e.g. raw, raw.calls, marts); repeatable",
    )
    p.add_argument("--list-params", action="store_true", help="print every parameter and exit")
    p.add_argument("-v", "--verbose", action="store_true", help="one line per suite")
    p.set_defaults(func=cmd_check)


def parse_overrides(items: list[str]) -> dict[str, Any]:
    overrides: dict[str, Any] = {}
    for item in items:
        name, sep, text = item.partition("=")
        if not sep or not name:
            raise ValueError(f"--param {item!r} is not NAME=VALUE.")
        try:
            overrides[name.strip()] = json.loads(text)
        except json.JSONDecodeError:
            overrides[name.strip()] = text
    return overrides


def cmd_check(args: argparse.Namespace) -> int:
    from pipelines.quality.runner import CheckError, run_checks
    from pipelines.quality.suites import default_params
    from pipelines.settings import get_settings

    if args.list_params:
        for name, value in sorted(default_params().items()):
            print(f"{name}={json.dumps(value, ensure_ascii=False)}")
        return 0
    settings = get_settings()
    started = time.perf_counter()
    try:
        overrides = parse_overrides(args.param)
        run = run_checks(
            settings.warehouse,
            overrides,
            args.sample_rows,
            _say if args.verbose else None,
            suites=args.suite or None,
        )
    except (CheckError, ValueError) as exc:
        _say(f"serviq: error: {exc}")
        return EXIT_FAILURE
    critical, warnings = run.failures("critical"), run.failures("warning")
    for row in warnings:
        _say(f"warning: {describe(row)}")
    for row in critical:
        _say(f"serviq: error: critical check failed: {describe(row)}")
    took = time.perf_counter() - started
    _say(
        f"check: done in {took:.1f} s — {len(run.results)} expectations in {len(run.suites)} "
        f"suites, {len(critical)} critical failures, {len(warnings)} warnings "
        f"(run {run.run_id[:12]}, results in quality.check_results)"
    )
    return EXIT_FAILURE if critical else 0


def describe(row: Any) -> str:
    """One line: which expectation failed on which rows."""
    count = "" if row.unexpected_count is None else f"{row.unexpected_count:,} rows"
    observed = f"observed {row.observed_value}" if row.observed_value else ""
    rows = f"e.g. {row.keys_text()}" if row.failing_row_keys else ""
    detail = ", ".join(part for part in (count, observed, rows) if part)
    return f"{row.expectation} on {row.suite}.{row.column_name}" + (
        f" ({detail})" if detail else ""
    )
