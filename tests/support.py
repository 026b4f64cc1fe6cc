"""Shared helpers for the test-suite (not fixtures: plain functions)."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pipelines.settings import Settings

if TYPE_CHECKING:
    from pipelines.ingest import IngestReport

TEST_PII_KEY = "serviq-test-key-0123456789abcdef"


@contextlib.contextmanager
def exclusive(lock: Path) -> Iterator[None]:
    """Hold an exclusive file lock: one xdist worker builds a shared fixture at a time."""
    with lock.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require(available: bool, reason: str) -> None:
    """Skip with the reason on a laptop that lacks a system part; fail in CI."""
    if available:
        return
    if in_ci():
        pytest.fail(f"CI=true and {reason}", pytrace=False)
    pytest.skip(reason)


def require_binary(name: str, package: str) -> str:
    found = shutil.which(name)
    require(found is not None, f"`{name}` is not installed (Debian package {package})")
    assert found is not None
    return found


@dataclass
class Pipeline:
    """A generated, ingested, built and published warehouse for tests."""

    settings: Settings
    landing: Path
    truth: dict[str, Any]

    @property
    def warehouse(self) -> Path:
        return self.settings.warehouse

    @property
    def serving(self) -> Path:
        return self.settings.serving


def settings_for(home: Path) -> Settings:
    return Settings(home=home, pii_key=TEST_PII_KEY)  # type: ignore[arg-type]


def ingest_landing(settings: Settings) -> IngestReport:
    """Ingest `settings.landing` with the built-in mapping, as the CLI does;
    no file may be refused. Returns the ingest report."""
    from pipelines.ingest import ingest
    from pipelines.sources.mapping import builtin_mapping, load_mapping

    report = ingest(
        settings.warehouse,
        settings.landing,
        load_mapping(builtin_mapping()),
        settings.require_pii_key(),
    )
    assert not report.refusals, report.refusals
    return report


def run_pipeline(
    home: Path,
    days: int,
    contacts_per_day: int,
    seed: int,
    dbt_vars: dict[str, Any] | None = None,
    unit_tests: bool = False,
) -> Pipeline:
    """generate -> ingest -> build -> publish into `home`, as the CLI does."""
    from pipelines.build import build
    from pipelines.generate import GeneratorParams, generate
    from pipelines.publish import publish

    settings = settings_for(home)
    landing = settings.landing
    truth = generate(
        GeneratorParams(days=days, contacts_per_day=contacts_per_day, seed=seed), landing
    )
    ingest_landing(settings)
    build(settings, dbt_vars=dbt_vars, unit_tests=unit_tests)
    publish(settings.warehouse, settings.serving)
    if not truth:
        truth = json.loads((landing / "truth.json").read_text(encoding="utf-8"))
    return Pipeline(settings=settings, landing=landing, truth=truth)


def copy_warehouse(source: Path, target: Path) -> None:
    """Copy a build file with its marts file (pipelines/db.py `marts_file`).

    Both are checkpointed first: this process may still hold them open
    (dbt in-process), with rows not yet in the files; dbt's instance gets
    its marts file back afterwards, as publish does.
    """
    import duckdb

    from pipelines.db import MARTS_DATABASE, attach_marts, marts_attached, marts_file

    con = duckdb.connect(str(source))
    try:
        in_process = marts_attached(con)
        con.execute("checkpoint")
        if attach_marts(con, source):
            con.execute(f"checkpoint {MARTS_DATABASE}")
            con.execute("reset search_path")
            con.execute(f"detach {MARTS_DATABASE}")
        for src, dst in ((source, target), (marts_file(source), marts_file(target))):
            for suffix in ("", ".wal"):
                origin = Path(f"{src}{suffix}")
                if origin.exists():
                    shutil.copyfile(origin, f"{dst}{suffix}")
        if in_process:
            attach_marts(con, source)
    finally:
        con.close()


def write_marts(warehouse: Path, sql: str) -> None:
    """Run `sql` (creating `marts.*` tables) on the warehouse's marts file, as dbt would."""
    import duckdb

    from pipelines.db import marts_file

    con = duckdb.connect(str(marts_file(warehouse)))
    try:
        con.execute("create schema if not exists marts")
        con.execute(sql)
    finally:
        con.close()
