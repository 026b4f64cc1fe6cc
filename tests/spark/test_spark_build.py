"""The same dbt project built by Apache Spark gives the same marts as DuckDB.

Reuses the session's `small_pipeline` (its DuckDB build is the reference):
the raw zone is exported from its warehouse (`sync_raw_zone`, the fallback
path of pipelines/ingest/rawzone.py), a copy of the warehouse is built by
Spark in session mode (local pyspark, one session for the whole test), the
marts come back into the copy, and every table of the `marts` schema must
equal the DuckDB build's: same columns, same rows; text, dates, timestamps
and booleans exactly, numbers to a relative 1e-9 (Spark and DuckDB may sum
doubles in a different order). Then `publish` serves the Spark-built marts.

The data tests already ran on the reference build of the same data, so the
Spark build runs seeds and models only (`data_tests=False`), which keeps
this test within its share of `make test`.
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import polars as pl
import pytest

from pipelines.db import catalog_of, connect_warehouse
from pipelines.ingest.rawzone import sync_raw_zone
from tests.support import Pipeline, copy_warehouse, require, settings_for

RELATIVE_TOLERANCE = 1e-9
ABSOLUTE_TOLERANCE = 1e-9  # for figures that are 0 on one side and ~1e-12 on the other


def _java_available() -> bool:
    return shutil.which("java") is not None


def _copy_warehouse(source: Path, target: Path) -> None:
    """Copy a build file (and its marts file) this process may hold open: checkpointed first."""
    copy_warehouse(source, target)


def _tables(warehouse: Path, schema: str) -> dict[str, pl.DataFrame]:
    """A build file's tables (its marts in its marts file) or a serving file's."""
    con = connect_warehouse(warehouse, read_only=True)
    try:
        names = [
            row[0]
            for row in con.execute(
                "select table_name from information_schema.tables where table_catalog = ? "
                "and table_schema = ? and table_type = 'BASE TABLE' order by table_name",
                [catalog_of(con, schema), schema],
            ).fetchall()
        ]
        return {
            name: pl.from_arrow(con.sql(f'select * from {schema}."{name}"').to_arrow_table())  # type: ignore[misc]
            for name in names
        }
    finally:
        con.close()


def _normalised(frame: pl.DataFrame) -> pl.DataFrame:
    """Engine-neutral dtypes: integers and decimals as floats, instants as naive UTC."""
    columns: list[pl.Expr] = []
    for name, dtype in frame.schema.items():
        column = pl.col(name)
        if dtype.is_numeric():
            column = column.cast(pl.Float64)
        elif isinstance(dtype, pl.Datetime):
            if dtype.time_zone is not None:
                column = column.dt.convert_time_zone("UTC").dt.replace_time_zone(None)
            column = column.dt.cast_time_unit("us")
        columns.append(column.alias(name))
    return frame.select(columns)


def _sorted(frame: pl.DataFrame) -> pl.DataFrame:
    exact = [n for n, t in frame.schema.items() if t != pl.Float64]
    floats = [n for n, t in frame.schema.items() if t == pl.Float64]
    return frame.sort([*exact, *floats], nulls_last=True)


def _differences(table: str, duck: pl.DataFrame, spark: pl.DataFrame) -> list[str]:
    if set(duck.columns) != set(spark.columns):
        return [f"{table}: columns differ: {sorted(set(duck.columns) ^ set(spark.columns))}"]
    if duck.height != spark.height:
        return [f"{table}: {duck.height} rows on DuckDB, {spark.height} on Spark"]
    duck = _sorted(_normalised(duck))
    spark = _sorted(_normalised(spark.select(duck.columns)))
    problems: list[str] = []
    for name, dtype in duck.schema.items():
        left, right = duck[name], spark[name]
        if spark.schema[name] != dtype:
            problems.append(f"{table}.{name}: {dtype} on DuckDB, {spark.schema[name]} on Spark")
            continue
        if (left.is_null() != right.is_null()).any():
            problems.append(f"{table}.{name}: nulls differ")
            continue
        if dtype == pl.Float64:
            both = pl.DataFrame({"a": left, "b": right}).drop_nulls()
            bad = both.filter(
                (pl.col("a") - pl.col("b")).abs()
                > pl.max_horizontal(
                    RELATIVE_TOLERANCE * pl.max_horizontal(pl.col("a").abs(), pl.col("b").abs()),
                    pl.lit(ABSOLUTE_TOLERANCE),
                )
            )
            if bad.height:
                problems.append(f"{table}.{name}: {bad.height} values differ, e.g. {bad.row(0)}")
        elif not left.equals(right, check_names=False):
            mismatch = (left != right).fill_null(True)
            first = mismatch.arg_true()[0] if mismatch.any() else None
            problems.append(
                f"{table}.{name}: values differ"
                + (f", e.g. {left[first]!r} vs {right[first]!r}" if first is not None else "")
            )
    return problems


@pytest.mark.slow
def test_spark_builds_every_mart_equal_to_duckdb(
    small_pipeline: Pipeline, tmp_path_factory: pytest.TempPathFactory
) -> None:
    require(
        _java_available(),
        "`java` (Java 17) is not installed (Debian package openjdk-17-jre-headless)",
    )
    require(
        importlib.util.find_spec("pyspark") is not None, "pyspark is not installed (`make env`)"
    )
    from pipelines.publish import publish
    from pipelines.spark.build import build_on_spark
    from pipelines.spark.session import SessionOptions, get_session, stop_session

    home = tmp_path_factory.mktemp("spark")
    settings = settings_for(home)
    # two copies of the fixture's build file: the DuckDB reference, and the
    # file the Spark build loads its marts into
    reference_file = home / "reference.duckdb"
    _copy_warehouse(small_pipeline.warehouse, reference_file)
    _copy_warehouse(small_pipeline.warehouse, settings.warehouse)
    settings.marts.unlink()  # the marts compared below can only come from Spark
    raw_zone = home / "raw_zone"
    sync = sync_raw_zone(reference_file, raw_zone)
    assert sync.rows_written > 0
    # idempotent: a second sync finds every part in place
    assert sync_raw_zone(reference_file, raw_zone).files_written == 0

    # the one Spark session of the test run, sized for a few thousand rows
    get_session(home, SessionOptions(master="local[2]", shuffle_partitions=2, small_data=True))
    try:
        result = build_on_spark(settings, raw_zone=raw_zone, data_tests=False)
    finally:
        stop_session()
    print(f"spark build seconds: {result.seconds}")
    assert not result.dbt.failed

    reference = _tables(reference_file, "marts")
    built = _tables(settings.warehouse, "marts")
    assert set(built) == set(reference), set(built) ^ set(reference)
    assert any(name.startswith("mart_") for name in reference)
    problems: list[str] = []
    for name in sorted(reference):
        problems += _differences(name, reference[name], built[name])
    assert not problems, "\n".join(problems)

    published = publish(settings.warehouse, settings.serving)
    assert published.tables >= len(reference)
    served = _tables(settings.serving, "marts")
    assert set(served) == set(reference)
