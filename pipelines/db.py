"""DuckDB access shared by the pipeline, the dashboard and the exports.

DuckDB 2.0's Python API: results come out through Arrow
(`to_arrow_table()`), never through removed helpers; every result is fully
drained before the next statement on the same connection.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

# dbt-duckdb builds the marts into their own file next to the build file
# (profiles.yml `attach`, dbt_project.yml `+database`), attached under this
# name; publish copies that finished file instead of writing the marts again.
MARTS_DATABASE = "serviq_marts"
MARTS_SCHEMA = "marts"


def marts_file(warehouse: Path) -> Path:
    """The marts file of a build file: `<stem>.marts.duckdb` beside it."""
    return warehouse.with_name(f"{warehouse.stem}.marts.duckdb")


def attach_marts(con: duckdb.DuckDBPyConnection, warehouse: Path, read_only: bool = False) -> bool:
    """Attach the warehouse's marts file (if it exists) so that SQL's `marts.x` names its tables.

    A process that ran dbt in-process already has it attached (same name).
    Returns whether the marts file is attached.
    """
    path = marts_file(warehouse)
    if not path.exists():
        return False
    if not marts_attached(con):
        quoted = str(path).replace("'", "''")
        mode = " (read_only)" if read_only else ""
        con.execute(f"attach if not exists '{quoted}' as {MARTS_DATABASE}{mode}")
    has_schema = scalar(
        con,
        "select count(*) from duckdb_schemas() where database_name = ? and schema_name = ?",
        [MARTS_DATABASE, MARTS_SCHEMA],
    )
    if has_schema:  # an empty marts file (no build yet) has none
        con.execute(f"set search_path = 'main,{MARTS_DATABASE}.{MARTS_SCHEMA}'")
    return True


def connect_warehouse(warehouse: Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A connection to the build file with its marts file attached (`marts.x` works)."""
    con = duckdb.connect(str(warehouse), read_only=read_only)
    try:
        attach_marts(con, warehouse, read_only=read_only)
    except BaseException:
        con.close()
        raise
    return con


def catalog_of(con: duckdb.DuckDBPyConnection, schema: str) -> str:
    """The database that holds `schema`: the marts file for `marts` when attached."""
    if schema == MARTS_SCHEMA and marts_attached(con):
        return MARTS_DATABASE
    return str(scalar(con, "select current_database()"))


def marts_attached(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether this connection's database instance has the marts file attached.

    True in a process that ran dbt in-process (dbt-duckdb attached it there).
    """
    return bool(
        scalar(
            con,
            "select count(*) from duckdb_databases() where database_name = ?",
            [MARTS_DATABASE],
        )
    )


def frame(
    con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] | None = None
) -> pl.DataFrame:
    """Run a query and return its whole result as a Polars frame."""
    table = con.sql(sql, params=list(params) if params else None).to_arrow_table()
    result = pl.from_arrow(table)
    assert isinstance(result, pl.DataFrame)
    return result


def frames(
    con: duckdb.DuckDBPyConnection,
    sql: str,
    params: Sequence[Any] | None = None,
    rows: int = 1_000_000,
) -> Iterator[pl.DataFrame]:
    """Run a query and yield its result in frames of at most `rows` rows.

    The result streams: memory holds one frame, not the whole result and its
    Arrow copy. Nothing else may run on `con` until the last frame is read.
    """
    relation = con.sql(sql, params=list(params) if params else None)
    with relation.to_arrow_reader(batch_size=rows) as reader:
        for batch in reader:
            part = pl.from_arrow(batch)
            assert isinstance(part, pl.DataFrame)
            yield part


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] | None = None) -> Any:
    rows = con.execute(sql, list(params) if params else None).fetchall()
    return rows[0][0] if rows else None


def cap_memory(con: duckdb.DuckDBPyConnection, limit: str | None = None) -> None:
    """Cap the memory of the DuckDB instance behind `con` (SERVIQ_DUCKDB_MEMORY_LIMIT).

    Set on the instance, not as a connect option: a process that ran dbt
    reuses dbt's open instance, which refuses a connection whose options differ.
    """
    if limit is None:
        from pipelines.settings import get_settings

        limit = get_settings().duckdb_memory_limit
    con.execute(f"set memory_limit = '{limit}'")


@contextmanager
def read_only(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A short-lived read-only connection, closed when the block ends.

    A build file gets its marts file attached (`connect_warehouse`); the
    serving file holds its own `marts` schema.
    """
    con = connect_warehouse(path, read_only=True)
    try:
        yield con
    finally:
        con.close()
