"""The raw zone converges to DuckDB's raw tables, whatever was lost on the way.

`sync_raw_zone()` runs before every Spark build: a part lost between the
DuckDB commit and its rename (a killed process) is written again from
DuckDB, a part DuckDB no longer has is removed, and the zone then holds
exactly the rows of `raw.*` (no more, no fewer). DuckDB only; seconds.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl
import pytest

from pipelines.ingest.rawzone import sync_raw_zone
from pipelines.schema import ENTITIES
from tests.spark.test_spark_build import _copy_warehouse
from tests.support import Pipeline


def _zone_rows(root: Path, entity: str) -> int:
    parts = sorted((root / f"entity={entity}").glob("date=*/part-*.parquet"))
    return sum(pl.read_parquet(part).height for part in parts)


def _raw_rows(warehouse: Path, entity: str) -> int:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return int(con.execute(f"select count(*) from raw.{entity}").fetchall()[0][0])
    finally:
        con.close()


def test_sync_restores_lost_parts_and_drops_stale_ones(
    small_pipeline: Pipeline, tmp_path_factory: pytest.TempPathFactory
) -> None:
    home = tmp_path_factory.mktemp("rawzone")
    warehouse = home / "warehouse.duckdb"
    _copy_warehouse(small_pipeline.warehouse, warehouse)
    root = home / "raw_zone"
    first = sync_raw_zone(warehouse, root)
    assert first.files_written > 0

    calls = sorted((root / "entity=calls").glob("date=*/part-*.parquet"))
    lost = calls[len(calls) // 2]
    lost_rows = pl.read_parquet(lost).height
    lost.unlink()  # killed between the DuckDB commit and the rename
    stale = root / "entity=calls" / "date=1999-01-01" / "part-0000000000000000.parquet"
    stale.parent.mkdir(parents=True)
    pl.read_parquet(calls[0]).write_parquet(stale)  # rows DuckDB does not hold there

    again = sync_raw_zone(warehouse, root)
    assert again.files_written == 1
    assert again.rows_written >= lost_rows
    assert again.parts_removed == 1 and not stale.exists()
    assert lost.exists()
    for entity in ENTITIES:
        assert _zone_rows(root, entity) == _raw_rows(warehouse, entity), entity
    assert sync_raw_zone(warehouse, root).files_written == 0
