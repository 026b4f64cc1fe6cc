"""Ingestion's second sink: the Parquet raw zone holds exactly what DuckDB holds.

The landing has a malformed row and a key already loaded from an earlier
file, so the sink must follow DuckDB's rules (quarantine, first key wins),
not just write the frame it was handed.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl
import pytest

from pipelines.ingest import ingest
from pipelines.ingest.rawzone import ENV_ROOT, LINEAGE_COLUMNS
from pipelines.schema import ENTITIES
from tests.reliability.landing import MAPPING
from tests.reliability.test_exactly_once import build_landing
from tests.support import TEST_PII_KEY


def test_ingest_writes_the_same_rows_to_the_raw_zone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    landing, zone, warehouse = tmp_path / "landing", tmp_path / "zone", tmp_path / "w.duckdb"
    build_landing(landing)
    monkeypatch.setenv(ENV_ROOT, str(zone))
    report = ingest(warehouse, landing, MAPPING, TEST_PII_KEY.encode())
    assert report.rows_quarantined >= 2  # the malformed row and the repeated key

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        for name, ent in ENTITIES.items():
            columns = [*ent.field_names, *LINEAGE_COLUMNS]
            table = con.sql(f"select {', '.join(columns)} from raw.{name}").to_arrow_table()
            expected = pl.DataFrame(pl.from_arrow(table)).sort(columns)
            parts = sorted((zone / f"entity={name}").rglob("*.parquet"))
            assert parts, f"no raw-zone parts for {name}"
            got = pl.concat([pl.read_parquet(p, hive_partitioning=False) for p in parts])
            got = got.select(columns).sort(columns)
            assert got.height == expected.height, name
            assert got.equals(expected.cast(dict(got.schema))), name  # type: ignore[arg-type]
    finally:
        con.close()

    # a second run over the same folder loads nothing and writes nothing
    before = {p: p.stat().st_mtime_ns for p in zone.rglob("*.parquet")}
    again = ingest(warehouse, landing, MAPPING, TEST_PII_KEY.encode())
    assert again.rows_loaded == 0
    assert {p: p.stat().st_mtime_ns for p in zone.rglob("*.parquet")} == before
