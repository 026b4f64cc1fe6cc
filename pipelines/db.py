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


def frame(
    con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] | None = None
) -> pl.DataFrame:
    """Run a query and return its whole result as a Polars frame."""
    table = con.sql(sql, params=list(params) if params else None).to_arrow_table()
    result = pl.from_arrow(table)
    assert isinstance(result, pl.DataFrame)
    return result


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
    """A short-lived read-only connection, closed when the block ends."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        yield con
    finally:
        con.close()
