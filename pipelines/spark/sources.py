"""dbt's sources on Spark: `raw.<entity>` views over the Parquet raw zone.

The dbt sources (models/staging/serviq/_serviq__sources.yml, schema `raw`)
resolve on Spark to one view per canonical entity:

    create or replace view raw.calls as
    select cast(call_id as string) as call_id, ... , _load_id
    from parquet.`<raw zone>/entity=calls`

The view projects exactly the canonical fields of pipelines/schema.py with
their Spark types, whatever older parts lack (Parquet schemas are merged;
a field added later reads as null in older files), and drops the `date`
partition column. An entity with no part yet is an empty view of the same
shape, so the staging models build empty instead of failing. The same
statements work through a Thrift server (`sql` may be any executor).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pipelines.ingest.rawzone import LINEAGE_COLUMNS, entity_dir
from pipelines.schema import ENTITIES, Entity, Kind

RAW_DATABASE = "raw"

SPARK_TYPES: dict[Kind, str] = {
    Kind.STRING: "string",
    Kind.INTEGER: "bigint",
    Kind.DOUBLE: "double",
    Kind.BOOLEAN: "boolean",
    Kind.TIMESTAMP: "timestamp",
    Kind.DATE: "date",
}
_LINEAGE_TYPES = {"_source_file": "string", "_source_line": "bigint", "_load_id": "string"}

Sql = Callable[[str], object]


def _columns(ent: Entity, present: bool) -> list[str]:
    typed = [(f.name, SPARK_TYPES[f.kind]) for f in ent.fields]
    typed += [(name, _LINEAGE_TYPES[name]) for name in LINEAGE_COLUMNS]
    if present:
        return [f"cast(`{name}` as {kind}) as `{name}`" for name, kind in typed]
    return [f"cast(null as {kind}) as `{name}`" for name, kind in typed]


def view_sql(ent: Entity, root: str, present: bool) -> str:
    """The view of one entity; `root` is the raw zone as Spark sees it (path or URI)."""
    body = ",\n    ".join(_columns(ent, present))
    location = f"{root.rstrip('/')}/entity={ent.name}"
    source = f"parquet.`{location}`" if present else "(select 1) as empty where false"
    return f"create or replace view {RAW_DATABASE}.{ent.name} as\nselect\n    {body}\nfrom {source}"


def has_parts(root: Path, entity: str) -> bool:
    return any(entity_dir(root, entity).glob("date=*/part-*.parquet"))


def register_sources(sql: Sql, root: Path, spark_root: str | None = None) -> list[str]:
    """Create the `raw` database and one view per entity; the entities with data."""
    sql(f"create database if not exists {RAW_DATABASE}")
    with_data: list[str] = []
    for ent in ENTITIES.values():
        present = has_parts(root, ent.name)
        sql(view_sql(ent, spark_root or str(root.resolve()), present))
        if present:
            with_data.append(ent.name)
    return with_data
