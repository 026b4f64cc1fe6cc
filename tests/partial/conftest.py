"""A warehouse built from call logs alone (issue 8), shared by the tests of this folder.

The call files of `small_pipeline`'s landing (those the built-in mapping
names for the `calls` entity) are copied into a landing of their own, then
ingested, built (`dbt build`: seeds, models, every data test), checked (the
GX suites) and published with `require_check=True`, as the CLI would. Using
the small pipeline's own calls lets the tests compare the call-based marts
with the full warehouse's on the very same calls; its 14 days also outlast
the 7-day repeat window, so one-contact resolution has judged episodes.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from pipelines.build import BuildResult
from pipelines.ingest import IngestReport
from pipelines.quality import CheckRun
from pipelines.sources.mapping import SourceMapping
from tests.support import Pipeline, settings_for

CALLS = "calls"


@dataclass
class CallsOnly:
    """The calls-only warehouse, what each step reported, and the full one it came from."""

    pipeline: Pipeline
    full: Pipeline
    ingest: IngestReport
    build: BuildResult
    check: CheckRun
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def home(self) -> Path:
        return self.pipeline.settings.home


def builtin() -> SourceMapping:
    from pipelines.sources.mapping import builtin_mapping, load_mapping

    return load_mapping(builtin_mapping())


def land_calls(source: Path, landing: Path) -> list[Path]:
    """Copy the call files (the mapping's `calls` glob) of one landing into another."""
    copied = []
    for path in sorted(source.glob(builtin().entities[CALLS].files)):
        target = landing / path.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
        copied.append(target)
    return copied


@pytest.fixture(scope="session")
def calls_only(small_pipeline: Pipeline, tmp_path_factory: pytest.TempPathFactory) -> CallsOnly:
    from pipelines.build import build
    from pipelines.ingest import ingest
    from pipelines.publish import publish
    from pipelines.quality import run_checks

    settings = settings_for(tmp_path_factory.mktemp("calls_only"))
    seconds: dict[str, float] = {}
    clock = time.perf_counter()
    assert land_calls(small_pipeline.landing, settings.landing), "no call files to copy"
    report = ingest(settings.warehouse, settings.landing, builtin(), settings.require_pii_key())
    assert not report.refusals, report.refusals
    seconds["ingest"] = time.perf_counter() - clock
    clock = time.perf_counter()
    built = build(settings)  # raises BuildError naming any failed model or data test
    seconds["build"] = time.perf_counter() - clock
    clock = time.perf_counter()
    checked = run_checks(settings.warehouse)
    seconds["check"] = time.perf_counter() - clock
    clock = time.perf_counter()
    publish(settings.warehouse, settings.serving, require_check=True)  # the quality gate
    seconds["publish"] = time.perf_counter() - clock
    print("calls-only warehouse:", ", ".join(f"{k} {v:.1f} s" for k, v in seconds.items()))
    return CallsOnly(
        pipeline=Pipeline(settings=settings, landing=settings.landing, truth={}),
        full=small_pipeline,
        ingest=report,
        build=built,
        check=checked,
        seconds=seconds,
    )
