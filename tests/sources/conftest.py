"""One warehouse holding all four sample exports, loaded and built once per test run.

Asterisk queue_log, Amazon Connect CTRs, Zendesk tickets and the awkward
GBK export each go through `ingest` with their own mapping into the same
warehouse (their calls are told apart by queue, the tickets by channel),
then one `dbt build` of the marts the tests read and everything upstream.

Built once per test run, whatever the number of xdist workers: the first
worker to need it builds it under a file lock in the run's shared temporary
folder (dbt in a child process, so no connection stays open), and every
worker then works on its own copy of the finished file.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from pipelines.ingest import ingest
from pipelines.settings import Settings
from pipelines.sources.mapping import builtin_mapping, load_mapping
from tests.support import copy_warehouse, exclusive, settings_for

REPO = Path(__file__).resolve().parents[2]
SAMPLES = Path(__file__).resolve().parent / "samples"
DOCS_EXAMPLES = REPO / "docs" / "examples"

# (name, mapping file, landing folder)
SOURCES: tuple[tuple[str, Path, Path], ...] = (
    ("asterisk", builtin_mapping("asterisk_queue_log"), SAMPLES / "asterisk"),
    ("connect", builtin_mapping("amazon_connect_ctr"), SAMPLES / "connect"),
    ("zendesk", builtin_mapping("zendesk_tickets"), SAMPLES / "zendesk"),
    ("awkward", DOCS_EXAMPLES / "awkward_calls.yml", SAMPLES),
)
MARTS = "+mart_hotline_daily +mart_fcr_daily"

# the marts read here and everything upstream, with the data tests whose
# every parent is built (tests of other marts would need their tables)
BUILD = f"""
from pathlib import Path
from pipelines.build import run_dbt
from tests.support import settings_for
result = run_dbt(
    "build",
    settings_for(Path({{home!r}})),
    extra=["--select", *{MARTS.split()!r}, "--indirect-selection", "cautious",
           "--exclude-resource-type", "unit_test"],
)
assert not result.failed, result.failed
"""


@dataclass(frozen=True)
class Loaded:
    """What one source's ingest run reported."""

    rows_loaded: int
    rows_quarantined: int


@dataclass
class SourcesWarehouse:
    settings: Settings
    reports: dict[str, Loaded]

    @property
    def warehouse(self) -> Path:
        return self.settings.warehouse


def _build(home: Path) -> None:
    settings = settings_for(home)
    key = settings.require_pii_key()
    reports = {}
    for name, mapping, landing in SOURCES:
        report = ingest(settings.warehouse, landing, load_mapping(mapping), key)
        reports[name] = {
            "rows_loaded": report.rows_loaded,
            "rows_quarantined": report.rows_quarantined,
        }
    completed = subprocess.run(
        [sys.executable, "-c", BUILD.format(home=str(home))],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, (completed.stdout + completed.stderr)[-3000:]
    (home / "reports.json").write_text(json.dumps(reports), encoding="utf-8")


@pytest.fixture(scope="session")
def sources_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SourcesWarehouse]:
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if base.name.startswith("popen-gw") else base
    built = shared / "sources-built"
    settings = settings_for(tmp_path_factory.mktemp("sources"))
    with exclusive(shared / "sources-built.lock"):
        if not (built / "reports.json").exists():
            shutil.rmtree(built, ignore_errors=True)
            built.mkdir(parents=True)
            _build(built)
        # under the lock too: the copy opens the shared file to checkpoint it,
        # and two workers copying at once collided on DuckDB's file lock
        copy_warehouse(settings_for(built).warehouse, settings.warehouse)  # with its marts file
    raw = json.loads((built / "reports.json").read_text(encoding="utf-8"))
    reports = {name: Loaded(**values) for name, values in raw.items()}
    yield SourcesWarehouse(settings=settings, reports=reports)
