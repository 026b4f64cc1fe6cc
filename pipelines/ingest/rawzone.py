"""The raw zone: validated, PII-protected raw rows as Parquet, for Spark.

Ingestion lands every file in DuckDB (`raw.<entity>`, pipelines/ingest/load.py).
The raw zone is one more sink for the same rows, so a distributed engine
(Apache Spark through dbt-spark, pipelines/spark/) can build the same dbt
project without reading the DuckDB file:

    <root>/entity=<entity>/date=<yyyy-mm-dd>/part-<file sha256[:16]>.parquet

Hive-style partitions: one folder per entity and per event date (UTC date of
the entity's event time, or of its first date key for reference entities).
Each landing file writes one part per date it covers, named by its content
hash. Every part is written to a temporary name and renamed into place
(`os.replace`), so a reader never sees half a file, and writing the same file
again replaces it with identical content (idempotent).

Two ways in, one writer:
- `write_loaded_file()` right after a file's DuckDB transaction commits,
  from the Polars frame ingestion just loaded (the sink);
- `sync_raw_zone()` before a Spark build: any load in `audit.load_audit`
  whose parts are missing (a process killed between the DuckDB commit and
  the Parquet rename, or a warehouse ingested before the raw zone existed)
  is exported from DuckDB's `raw.<entity>`. The raw zone therefore always
  converges to exactly the rows DuckDB holds.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import polars as pl

from pipelines.db import frame as query
from pipelines.schema import ENTITIES, Entity

if TYPE_CHECKING:
    from pipelines.ingest.load import FileLoad

PARTITION_COLUMN = "date"
LINEAGE_COLUMNS = ("_source_file", "_source_line", "_load_id")
_LINEAGE_DTYPES: dict[str, pl.DataType] = {
    "_source_file": pl.String(),
    "_source_line": pl.Int64(),
    "_load_id": pl.String(),
}
ENV_ROOT = "SERVIQ_RAW_ZONE"


def configured_root() -> Path | None:
    """The raw zone ingestion writes to, when `SERVIQ_RAW_ZONE` names one."""
    value = os.environ.get(ENV_ROOT, "").strip()
    return Path(value) if value else None


def default_root(home: Path) -> Path:
    """Where a Spark build keeps the raw zone when none is configured."""
    return configured_root() or home / "raw_zone"


def partition_field(ent: Entity) -> str | None:
    """The timestamp whose UTC date partitions the entity (None: the load's date)."""
    return ent.event_time


def entity_dir(root: Path, entity: str) -> Path:
    return root / f"entity={entity}"


def part_name(sha256: str) -> str:
    return f"part-{sha256[:16]}.parquet"


def canonical_frame(ent: Entity, rows: pl.DataFrame) -> pl.DataFrame:
    """The entity's fields and lineage columns, in order, with canonical dtypes."""
    dtypes = {**ent.polars_schema, **_LINEAGE_DTYPES}
    return rows.select(
        [
            pl.col(name).cast(dtype) if name in rows.columns else pl.lit(None, dtype).alias(name)
            for name, dtype in dtypes.items()
        ]
    )


def _partition_date(ent: Entity, load_date: dt.date | None) -> pl.Expr:
    column = partition_field(ent)
    if column is None:
        if load_date is None:
            raise ValueError(f"entity {ent.name} has no event time: give the load's date")
        day = pl.lit(load_date.isoformat())
    else:
        day = pl.col(column).dt.convert_time_zone("UTC").dt.date().cast(pl.String)
    return day.fill_null("__none__").alias(PARTITION_COLUMN)


def write_raw_zone(
    root: Path,
    entity: str,
    rows: pl.DataFrame,
    sha256: str,
    load_date: dt.date | None = None,
) -> list[Path]:
    """Write one landing file's loaded rows as one Parquet part per date; the paths.

    `load_date` (UTC date the load started) partitions entities without an
    event time (agents, agent shifts).
    """
    ent = ENTITIES[entity]
    data = canonical_frame(ent, rows)
    if data.height == 0:
        return []
    written: list[Path] = []
    for day, part in (
        data.with_columns(_partition_date(ent, load_date))
        .partition_by(PARTITION_COLUMN, as_dict=True, maintain_order=True)
        .items()
    ):
        day_text = str(day[0] if isinstance(day, tuple) else day)
        target = entity_dir(root, entity) / f"{PARTITION_COLUMN}={day_text}" / part_name(sha256)
        _atomic_parquet(part.drop(PARTITION_COLUMN), target)
        written.append(target)
    return written


def _atomic_parquet(data: pl.DataFrame, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        data.write_parquet(tmp, compression="zstd", statistics=True)
        with tmp.open("rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


# --------------------------------------------------------------------------
# the sink: called by ingestion after a file's transaction committed
# --------------------------------------------------------------------------
def write_loaded_file(
    con: duckdb.DuckDBPyConnection, root: Path, load: FileLoad, good: pl.DataFrame
) -> list[Path]:
    """The sink: the rows of one file DuckDB just committed, as raw-zone parts.

    `good` is the validated, PII-protected frame ingestion handed to
    `write_file` (source line in `LINE`). DuckDB keeps the first row of a
    key within a file and skips keys already loaded from other files; the
    same rule is applied here, and when the counts still disagree (a key
    loaded from an earlier file) the committed rows are read back from
    DuckDB, so the raw zone holds exactly what `raw.<entity>` holds.
    """
    from pipelines.ingest.load import _within_file_duplicates
    from pipelines.ingest.read import LINE

    if load.status != "loaded" or load.rows_loaded == 0:
        return []
    ent = load.entity
    kept, _ = _within_file_duplicates(good, list(ent.key))
    if kept.height == load.rows_loaded:
        rows = kept.rename({LINE: "_source_line"}).with_columns(
            _source_file=pl.lit(load.file_path), _load_id=pl.lit(load.load_id)
        )
    else:
        rows = loaded_rows(con, ent, [load.load_id])
    load_date = load.started_at.astimezone(dt.UTC).date()
    return write_raw_zone(root, ent.name, rows, load.sha256, load_date)


# --------------------------------------------------------------------------
# the fallback: converge the raw zone to DuckDB's raw tables
# --------------------------------------------------------------------------
@dataclass
class SyncReport:
    files_written: int = 0
    parts_written: int = 0
    rows_written: int = 0
    parts_removed: int = 0


def loaded_rows(
    con: duckdb.DuckDBPyConnection, ent: Entity, load_ids: Iterable[str]
) -> pl.DataFrame:
    columns = ", ".join([*ent.field_names, *LINEAGE_COLUMNS])
    return query(
        con,
        f"select {columns} from raw.{ent.name} where _load_id in ? order by _load_id, _source_line",
        [list(load_ids)],
    )


def _expected_parts(con: duckdb.DuckDBPyConnection, ent: Entity) -> pl.DataFrame:
    """(load_id, sha256, load_date, part path in the entity folder) per loaded file and date."""
    column = partition_field(ent)
    load_day = "cast(cast(timezone('UTC', audit.started_at) as date) as varchar)"
    day = (
        load_day
        if column is None
        else f"cast(cast(timezone('UTC', raw.{column}) as date) as varchar)"
    )
    return query(
        con,
        f"""
        select distinct audit.load_id, audit.content_sha256 as sha256,
            {load_day} as load_date, coalesce({day}, '__none__') as day
        from audit.load_audit as audit
        join raw.{ent.name} as raw on raw._load_id = audit.load_id
        where audit.entity = ? and audit.status = 'loaded'
        """,
        [ent.name],
    ).with_columns(
        (
            pl.lit(f"{PARTITION_COLUMN}=")
            + pl.col("day")
            + pl.lit("/part-")
            + pl.col("sha256").str.slice(0, 16)
            + pl.lit(".parquet")
        ).alias("part")
    )


def _present_parts(root: Path, entity: str) -> set[str]:
    base = entity_dir(root, entity)
    if not base.is_dir():
        return set()
    return {str(p.relative_to(base)) for p in base.glob(f"{PARTITION_COLUMN}=*/part-*.parquet")}


def sync_raw_zone(warehouse: Path, root: Path) -> SyncReport:
    """Export every loaded file missing from the raw zone; drop parts DuckDB no longer has."""
    report = SyncReport()
    con = _connect(warehouse)
    try:
        if not _has_audit(con):
            return report
        for ent in ENTITIES.values():
            _sync_entity(con, root, ent, report)
    finally:
        con.close()
    return report


def _connect(warehouse: Path) -> duckdb.DuckDBPyConnection:
    try:
        return duckdb.connect(str(warehouse), read_only=True)
    except duckdb.ConnectionException:
        # this process already has the file open read-write (dbt in-process)
        return duckdb.connect(str(warehouse))


def _has_audit(con: duckdb.DuckDBPyConnection) -> bool:
    found = con.execute(
        "select count(*) from information_schema.tables "
        "where table_schema = 'audit' and table_name = 'load_audit'"
    ).fetchall()
    return bool(found[0][0])


def _sync_entity(
    con: duckdb.DuckDBPyConnection, root: Path, ent: Entity, report: SyncReport
) -> None:
    expected = _expected_parts(con, ent)
    present = _present_parts(root, ent.name)
    missing = expected.filter(~pl.col("part").is_in(list(present)))
    keys = ["load_id", "sha256", "load_date"]
    for (load_id, sha256, load_date), _ in missing.group_by(keys, maintain_order=True):
        rows = loaded_rows(con, ent, [str(load_id)])
        day = dt.date.fromisoformat(str(load_date))
        written = write_raw_zone(root, ent.name, rows, str(sha256), day)
        report.files_written += 1
        report.parts_written += len(written)
        report.rows_written += rows.height
    for stale in present - set(expected["part"].to_list()):
        (entity_dir(root, ent.name) / stale).unlink(missing_ok=True)
        report.parts_removed += 1
