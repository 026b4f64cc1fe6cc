"""Source coverage: which canonical entities a warehouse holds, how many rows, which days.

A centre may land only some entities (e.g. call logs alone, issue 8): every
raw table exists (schema-driven DDL) and every model builds, empty where its
source is empty. `meta.source_coverage` says which sources are there, so the
dashboard and the exports write "no data for this source" instead of
showing empty figures as if they were zero.

One row per entity of `pipelines/schema.py`:
`entity, row_count, is_present, first_date, last_date, dated_by`, dates in
the reporting time zone, from the entity's event time (or its first date
field when it has none). Written by `serviq publish` into the serving file.
"""

from __future__ import annotations

import duckdb
import polars as pl

from pipelines.db import frame
from pipelines.quality.rules import quote, sql_literal
from pipelines.schema import ENTITIES, Entity

TABLE = "meta.source_coverage"
COLUMNS = ("entity", "row_count", "is_present", "first_date", "last_date", "dated_by")


def dated_by(ent: Entity) -> str | None:
    """The column that dates a row: the event time, else the first date or timestamp field."""
    if ent.event_time:
        return ent.event_time
    for f in ent.fields:
        if f.duckdb_type.upper() in ("DATE", "TIMESTAMPTZ", "TIMESTAMP WITH TIME ZONE"):
            return f.name
    return None


def _day(column: str, kind: str, timezone: str) -> str:
    if kind.upper() == "DATE":
        return quote(column)
    return f"cast(timezone({sql_literal(timezone)}, {quote(column)}) as date)"


def _entity_sql(ent: Entity, schema: str, timezone: str, exists: bool = True) -> str:
    column = dated_by(ent)
    if not exists:  # an entity added to the schema after this warehouse was loaded
        return (
            f"select {sql_literal(ent.name)} as entity, 0::bigint as row_count, "
            f"false as is_present, null::date as first_date, null::date as last_date, "
            f"{sql_literal(column)}::varchar as dated_by"
        )
    if column is None:
        first = last = "null::date"
    else:
        day = _day(column, ent.field(column).duckdb_type, timezone)
        first, last = f"min({day})", f"max({day})"
    return (
        f"select {sql_literal(ent.name)} as entity, count(*)::bigint as row_count, "
        f"count(*) > 0 as is_present, {first} as first_date, {last} as last_date, "
        f"{sql_literal(column)}::varchar as dated_by "
        f"from {schema}.{quote(ent.name)}"
    )


def raw_tables(con: duckdb.DuckDBPyConnection, schema: str = "raw") -> set[str]:
    """Names of the tables in `schema` of the connection's database."""
    listing = frame(
        con,
        "select table_name from information_schema.tables "
        "where table_catalog = current_database() and table_schema = ?",
        [schema],
    )
    return set(listing["table_name"].to_list())


def coverage_sql(schema: str, timezone: str, present: set[str]) -> str:
    """One query over the raw tables: a row per entity, in schema order."""
    return "\nunion all\n".join(
        _entity_sql(ent, schema, timezone, ent.name in present) for ent in ENTITIES.values()
    )


def source_coverage(
    con: duckdb.DuckDBPyConnection, schema: str = "raw", timezone: str = "UTC"
) -> pl.DataFrame:
    """The coverage frame (empty when the database has no raw tables at all)."""
    present = raw_tables(con, schema)
    if not present & set(ENTITIES):
        return pl.DataFrame()
    return frame(con, coverage_sql(schema, timezone, present))


def write_coverage(
    con: duckdb.DuckDBPyConnection, target: str, schema: str = "raw", timezone: str = "UTC"
) -> bool:
    """Create `<target>.meta.source_coverage` from the raw tables.

    A database without raw tables (marts built elsewhere) gets no coverage
    table: readers then treat every source as present, as before.
    """
    present = raw_tables(con, schema)
    if not present & set(ENTITIES):
        return False
    con.execute(f"create schema if not exists {target}.meta")
    con.execute(
        f"create table {target}.meta.source_coverage as "
        f"select * from ({coverage_sql(schema, timezone, present)})"
    )
    return True
