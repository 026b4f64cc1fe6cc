"""Session fixtures: one small and one large pipeline run, shared by all tests.

- `small_pipeline`: 14 days, ~1,500 contacts a day: shape, dashboard and
  export tests. Its build also runs every dbt unit test (hand-worked
  cases): a failing unit test fails the fixture and every test using it.
- `large_pipeline`: 60 days, ~3,500 contacts a day (> 200,000 contacts):
  tests that recover the generator's planted rates.

`make test` runs the suite in two xdist workers. Each pipeline is then built
once per run, by the first worker that needs it, under a file lock in the
run's shared temporary folder; every worker works on its own copy of the
finished home, so no DuckDB file is ever opened by two processes.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support import TEST_PII_KEY, Pipeline, exclusive, run_pipeline, settings_for

os.environ.setdefault("SERVIQ_PII_KEY", TEST_PII_KEY)
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")

SMALL = {"days": 14, "contacts_per_day": 1500, "seed": 11}
LARGE = {"days": 60, "contacts_per_day": 3500, "seed": 20260601}


def shared_pipeline(factory: pytest.TempPathFactory, name: str, **params: Any) -> Pipeline:
    """The pipeline `name`, built once per test run and copied for this worker."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return run_pipeline(factory.mktemp(name), **params)
    shared = factory.getbasetemp().parent  # common to every worker of this run
    built = shared / f"shared-{name}"
    done = built / ".built"
    with exclusive(shared / f"shared-{name}.lock"):
        if not done.exists():
            shutil.rmtree(built, ignore_errors=True)
            run_pipeline(built, **params)
            done.touch()
    home = factory.mktemp(name)
    shutil.copytree(built, home, dirs_exist_ok=True, symlinks=True)
    settings = settings_for(home)
    truth = json.loads((settings.landing / "truth.json").read_text(encoding="utf-8"))
    return Pipeline(settings=settings, landing=settings.landing, truth=truth)


@pytest.fixture(scope="session")
def small_pipeline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pipeline]:
    yield shared_pipeline(tmp_path_factory, "small", **SMALL, unit_tests=True)


@pytest.fixture(scope="session")
def large_pipeline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pipeline]:
    yield shared_pipeline(tmp_path_factory, "large", **LARGE)
