"""The `generate` subcommand: every scalar GeneratorParams field is a flag."""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import sys
import time
from pathlib import Path
from typing import Any

from pipelines.generate.core import generate
from pipelines.generate.params import GeneratorParams

HELP = {
    "seed": "random seed (same seed, same bytes)",
    "start_date": "first local day (YYYY-MM-DD)",
    "days": "number of days to simulate",
    "contacts_per_day": "average contacts (calls + tickets) per day",
    "fcr_mean": "volume-weighted P(first handled contact resolves the episode)",
    "prediction_accuracy": "target share of predictions equal to the final intent",
    "bot_containment": "P(bot contains a fully bot-eligible, understood contact)",
    "proactive_share": "company-initiated share of handled contacts",
    "preemption_rate": "P(no inbound contact on the intent within 7 days of a proactive one)",
    "offer_rate_agent": "P(agent recommends a product on a service contact)",
    "offer_acceptance": "P(a service-contact offer is accepted)",
    "mis_selling_complaint_rate": "P(complaint after an accepted offer)",
    "survey_response_rate": "share of handled contacts with a survey answer",
    "surge_factor": "volume multiplier on surge days",
    "mean_patience_seconds": "mean caller patience in queue",
    "home_productivity": "home / office handled contacts per logged-in hour",
    "attendance": "attended / scheduled shifts",
    "disruption_site": "site that goes mostly home-based during the disruption",
    "disruption_start": "first day of the disruption",
    "disruption_end": "last day of the disruption",
    "backoffice_items_per_day": "branch-originated back-office items per day",
    "backoffice_reject_rate": "mean back-office rejection probability",
    "backoffice_return_rate": "mean back-office return probability",
    "intervention_date": "effective date of 'machine entry + single review' for account filing",
    "unknown_customer_share": "share of issues with an unknown customer",
}


def _default_out() -> Path:
    try:
        from pipelines.settings import get_settings

        return get_settings().landing
    except Exception:  # settings are optional for the generator
        return Path("var/landing")


def _flag_type(value: Any) -> Any:
    if isinstance(value, bool):
        return lambda s: s.lower() in ("1", "true", "yes")
    if isinstance(value, dt.date):
        return dt.date.fromisoformat
    return type(value)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="landing folder (default: settings landing dir, var/landing)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    defaults = GeneratorParams()
    for f in dataclasses.fields(GeneratorParams):
        value = getattr(defaults, f.name)
        if isinstance(value, tuple):
            continue
        flag = "--" + f.name.replace("_", "-")
        text = HELP.get(f.name, f.name.replace("_", " "))
        shown = value.isoformat() if isinstance(value, dt.date) else value
        parser.add_argument(
            flag,
            dest=f.name,
            type=_flag_type(value),
            default=value,
            help=f"{text} (default: {shown})",
        )


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register `generate` on an argparse subparsers object."""
    parser = subparsers.add_parser(
        "generate",
        help="simulate a contact centre and back office into landing files + truth.json",
        description=(
            "Simulate a bank/insurer contact centre and back office; "
            "write landing files and truth.json."
        ),
    )
    add_arguments(parser)
    parser.set_defaults(func=run)
    return parser


def params_from_args(args: argparse.Namespace) -> GeneratorParams:
    values = {
        f.name: getattr(args, f.name)
        for f in dataclasses.fields(GeneratorParams)
        if hasattr(args, f.name)
    }
    return GeneratorParams(**values)


def run(args: argparse.Namespace) -> int:
    out = args.out or _default_out()
    params = params_from_args(args)
    started = time.perf_counter()
    progress = (
        None if args.quiet else (lambda msg: print(f"generate: {msg}", file=sys.stderr, flush=True))
    )
    try:
        truth = generate(params, out, progress)
    except ValueError as exc:
        print(f"generate: {exc}", file=sys.stderr)
        return 2
    r = truth["realised"]
    print(
        f"wrote {r['contacts']:,} contacts ({r['calls']:,} calls, {r['tickets']:,} tickets) over "
        f"{params.days} days to {out} in {time.perf_counter() - started:.1f} s; "
        f"truth in {out / 'truth.json'}"
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pipelines.generate",
        description="Simulate a contact centre and back office into landing files + truth.json.",
    )
    add_arguments(parser)
    return run(parser.parse_args(argv))
