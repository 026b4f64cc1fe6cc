"""Compare the marts a peer engine built with DuckDB's, table by table.

Two builds agree on a table when they have the same columns (same names,
same kind: number, text, boolean, date, timestamp), the same number of
rows, and, with both sorted by every non-float column and then by the
floats rounded, the same values: text, booleans, dates and timestamps
exactly; numbers within a relative tolerance (1e-9 by default), since two
engines may sum the same floats in a different order.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from pipelines.db import catalog_of, frame
from pipelines.peer.postgres import open_duckdb

MART_SCHEMA = "marts"


@dataclass
class TableComparison:
    table: str
    rows: int
    differences: list[str] = field(default_factory=list)

    @property
    def equal(self) -> bool:
        return not self.differences


def _kind(dtype: pl.DataType) -> str:
    if dtype.is_numeric():
        return "number"
    if isinstance(dtype, pl.Datetime):
        return "timestamp"
    if dtype == pl.Date:
        return "date"
    if dtype == pl.Boolean:
        return "boolean"
    if dtype == pl.Null:
        return "null"
    return "text"


def _normalise(data: pl.DataFrame) -> pl.DataFrame:
    """Numbers as Float64, tz-aware timestamps in UTC at microseconds."""
    columns = []
    for name, dtype in data.schema.items():
        column = pl.col(name)
        if dtype.is_numeric():
            column = column.cast(pl.Float64)
        elif isinstance(dtype, pl.Datetime):
            column = column.dt.cast_time_unit("us")
            if dtype.time_zone is not None:
                column = column.dt.convert_time_zone("UTC")
        columns.append(column)
    return data.select(columns)


def _sorted(data: pl.DataFrame) -> pl.DataFrame:
    keys = [name for name, dtype in data.schema.items() if dtype != pl.Float64]
    floats = [name for name, dtype in data.schema.items() if dtype == pl.Float64]
    rounded = [pl.col(name).round_sig_figs(6) for name in floats]
    order: list[Any] = [pl.col(name) for name in keys] + rounded
    if not order:
        return data
    return data.sort(order, nulls_last=True)


def _float_mismatches(left: pl.Series, right: pl.Series, tolerance: float) -> int:
    both_null = left.is_null() & right.is_null()
    both_nan = left.is_nan().fill_null(False) & right.is_nan().fill_null(False)
    scale = pl.max_horizontal(left.abs(), right.abs(), pl.lit(1e-12))
    close = pl.select(((left - right).abs() <= tolerance * scale).fill_null(False)).to_series()
    agree = both_null | both_nan | close
    return int((~agree).sum())


def compare_frames(
    table: str, expected: pl.DataFrame, actual: pl.DataFrame, tolerance: float = 1e-9
) -> TableComparison:
    """DuckDB's rows (`expected`) against the peer's (`actual`)."""
    result = TableComparison(table=table, rows=expected.height)
    if expected.columns != actual.columns:
        missing = sorted(set(expected.columns) - set(actual.columns))
        extra = sorted(set(actual.columns) - set(expected.columns))
        result.differences.append(f"columns differ: missing {missing}, extra {extra}")
        return result
    for name in expected.columns:
        kinds = {_kind(expected.schema[name]), _kind(actual.schema[name])} - {"null"}
        if len(kinds) > 1:
            result.differences.append(
                f"{name}: {expected.schema[name]} in DuckDB, {actual.schema[name]} in the peer"
            )
    if result.differences:
        return result
    if expected.height != actual.height:
        result.differences.append(f"{expected.height} rows in DuckDB, {actual.height} in the peer")
        return result
    left, right = _sorted(_normalise(expected)), _sorted(_normalise(actual))
    for name in left.columns:
        a, b = left[name], right[name]
        if a.dtype == pl.Float64 and b.dtype == pl.Float64:
            bad = _float_mismatches(a, b, tolerance)
        else:
            if a.dtype == pl.Null or b.dtype == pl.Null:
                a, b = a.cast(pl.String), b.cast(pl.String)
            bad = int((~a.eq_missing(b)).sum())
        if bad:
            first = next(i for i in range(len(a)) if not _same(a[i], b[i], tolerance))
            result.differences.append(
                f"{name}: {bad} of {len(a)} rows differ (first: {a[first]!r} vs {b[first]!r})"
            )
    return result


def _same(left: Any, right: Any, tolerance: float) -> bool:
    if isinstance(left, float) and isinstance(right, float):
        if left != left and right != right:  # both NaN
            return True
        return abs(left - right) <= tolerance * max(abs(left), abs(right), 1e-12)
    return bool(left == right)


def mart_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    names = frame(
        con,
        "select table_name from information_schema.tables "
        "where table_catalog = ? and table_schema = ? order by table_name",
        [catalog_of(con, MART_SCHEMA), MART_SCHEMA],
    )
    return [str(name) for name in names["table_name"].to_list()]


def postgres_frame(pg: Any, sql: str) -> pl.DataFrame:
    """A PostgreSQL query's result as a Polars frame (numeric -> float)."""
    with pg.cursor() as cur:
        cur.execute(sql)
        names = [column.name for column in cur.description]
        rows = cur.fetchall()
    if not rows:
        return pl.DataFrame({name: [] for name in names})
    data = pl.DataFrame(rows, schema=names, orient="row", infer_schema_length=None)
    decimals = [name for name, dtype in data.schema.items() if isinstance(dtype, pl.Decimal)]
    return data.with_columns(pl.col(decimals).cast(pl.Float64)) if decimals else data


def compare_marts(
    warehouse: Path, pg: Any, tables: Iterable[str] | None = None, tolerance: float = 1e-9
) -> list[TableComparison]:
    """Every table of DuckDB's marts schema against the same table in PostgreSQL."""
    con = open_duckdb(warehouse)
    try:
        names = list(tables) if tables is not None else mart_tables(con)
        results = []
        for name in names:
            expected = frame(con, f"select * from {MART_SCHEMA}.{name}")
            actual = postgres_frame(pg, f"select * from {MART_SCHEMA}.{name}")
            if actual.height == 0 and expected.height == 0:
                results.append(TableComparison(table=name, rows=0))
                continue
            results.append(compare_frames(name, expected, actual, tolerance))
        return results
    finally:
        con.close()
