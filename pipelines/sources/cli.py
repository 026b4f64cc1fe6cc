"""`serviq sources ...`: work with source mappings without loading anything."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipelines.sources.mapping import load_mapping, resolve_mapping


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("sources", help="check a source mapping against landing files")
    actions = p.add_subparsers(dest="sources_command", required=True, metavar="ACTION")
    v = actions.add_parser(
        "validate",
        help="dry run: what maps, null rates, first rejected rows, metrics supported",
    )
    v.add_argument(
        "--sources",
        required=True,
        help="source mapping YAML, or a built-in name (asterisk_queue_log, amazon_connect_ctr, "
        "zendesk_tickets, serviq_generator)",
    )
    v.add_argument("--landing", help="folder of the export files (default: $SERVIQ_HOME/landing)")
    v.set_defaults(func=cmd_sources_validate)


def cmd_sources_validate(args: argparse.Namespace) -> int:
    from pipelines.settings import get_settings
    from pipelines.sources.dryrun import dry_run, render

    mapping = load_mapping(resolve_mapping(args.sources))
    settings = get_settings()
    landing = Path(args.landing) if args.landing else settings.landing
    if not landing.is_dir():
        print(f"serviq: error: landing folder {landing} does not exist.", file=sys.stderr)
        return 1
    key = settings.pii_key.get_secret_value().encode() if settings.pii_key else None
    run = dry_run(mapping, landing, key, settings.timezone)
    sys.stdout.write(render(run))
    return 0 if run.ok else 1
