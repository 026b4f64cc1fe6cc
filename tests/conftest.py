"""Session fixtures: one small and one large pipeline run, shared by all tests.

- `small_pipeline`: 14 days, ~1,500 contacts a day: shape, dashboard and
  export tests. Its build also runs every dbt unit test (hand-worked
  cases): a failing unit test fails the fixture and every test using it.
- `large_pipeline`: 60 days, ~3,500 contacts a day (> 200,000 contacts):
  tests that recover the generator's planted rates.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.support import TEST_PII_KEY, Pipeline, run_pipeline

os.environ.setdefault("SERVIQ_PII_KEY", TEST_PII_KEY)
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")

SMALL = {"days": 14, "contacts_per_day": 1500, "seed": 11}
LARGE = {"days": 60, "contacts_per_day": 3500, "seed": 20260601}


@pytest.fixture(scope="session")
def small_pipeline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pipeline]:
    yield run_pipeline(tmp_path_factory.mktemp("small"), **SMALL, unit_tests=True)


@pytest.fixture(scope="session")
def large_pipeline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pipeline]:
    yield run_pipeline(tmp_path_factory.mktemp("large"), **LARGE)


# Tests that share a session fixture run in one xdist worker, so each
# expensive pipeline is built once per test run, not once per worker; the
# rest are spread over the workers (`make test` runs `-n 2 --dist loadgroup`).
# A module may name its own group with `pytestmark = pytest.mark.xdist_group(...)`.
_GROUPS = (("large_pipeline", "large"), ("small_pipeline", "small"))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("xdist_group") is not None:
            continue
        names = getattr(item, "fixturenames", ())
        for fixture, group in _GROUPS:
            if fixture in names:
                item.add_marker(pytest.mark.xdist_group(group))
                break
