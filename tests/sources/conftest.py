"""One warehouse holding all four sample exports, loaded and built once.

Asterisk queue_log, Amazon Connect CTRs, Zendesk tickets and the awkward
GBK export each go through `ingest` with their own mapping into the same
warehouse (their calls are told apart by queue, the tickets by channel),
then one `dbt build` of the marts the tests read and everything upstream.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from pipelines.ingest import IngestReport, ingest
from pipelines.settings import Settings
from pipelines.sources.mapping import builtin_mapping, load_mapping
from tests.support import settings_for

SAMPLES = Path(__file__).resolve().parent / "samples"
DOCS_EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"

# (name, mapping file, landing folder)
SOURCES: tuple[tuple[str, Path, Path], ...] = (
    ("asterisk", builtin_mapping("asterisk_queue_log"), SAMPLES / "asterisk"),
    ("connect", builtin_mapping("amazon_connect_ctr"), SAMPLES / "connect"),
    ("zendesk", builtin_mapping("zendesk_tickets"), SAMPLES / "zendesk"),
    ("awkward", DOCS_EXAMPLES / "awkward_calls.yml", SAMPLES),
)
MARTS = "+mart_hotline_daily +mart_fcr_daily"


@dataclass
class SourcesWarehouse:
    settings: Settings
    reports: dict[str, IngestReport]

    @property
    def warehouse(self) -> Path:
        return self.settings.warehouse


@pytest.fixture(scope="session")
def sources_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SourcesWarehouse]:
    from pipelines.build import run_dbt

    settings = settings_for(tmp_path_factory.mktemp("sources"))
    key = settings.require_pii_key()
    reports = {
        name: ingest(settings.warehouse, landing, load_mapping(mapping), key)
        for name, mapping, landing in SOURCES
    }
    # the marts read here and everything upstream, with the data tests whose
    # every parent is built (tests of other marts would need their tables)
    result = run_dbt(
        "build",
        settings,
        extra=[
            "--select",
            *MARTS.split(),
            "--indirect-selection",
            "cautious",
            "--exclude-resource-type",
            "unit_test",
        ],
    )
    assert not result.failed, result.failed
    # dbt keeps this process's (read-write) connection to the warehouse open:
    # the tests connect with the same configuration, which shares it
    yield SourcesWarehouse(settings=settings, reports=reports)
