"""Atomic publish: the serving file the dashboard and exports read.

The build file (`warehouse.duckdb`) is written by ingestion and dbt; nobody
else opens it. Publishing copies the marts, seeds, data-quality results and
load audit into a new file next to the serving file, closes it, fsyncs it
and swaps it in with `os.replace`. A reader that opens the serving file
sees either the old or the new complete version, never a partial one, and
never holds a lock the pipeline needs.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.db import frame, scalar

PUBLISHED_SCHEMAS = ("marts", "seeds", "audit", "quality")


class PublishError(RuntimeError):
    """Publishing failed; the serving file is unchanged."""


@dataclass
class PublishResult:
    serving: Path
    tables: int
    rows: int
    published_at: dt.datetime


def publish(warehouse: Path, serving: Path) -> PublishResult:
    if not warehouse.exists():
        raise PublishError(f"no warehouse at {warehouse}: run `serviq ingest` and `serviq build`.")
    serving.parent.mkdir(parents=True, exist_ok=True)
    tmp = serving.with_name(f".{serving.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    published_at = dt.datetime.now(dt.UTC)
    try:
        tables, rows = _copy(warehouse, tmp, published_at)
        _fsync(tmp)
        os.replace(tmp, serving)
        _fsync_dir(serving.parent)
    except BaseException:
        tmp.unlink(missing_ok=True)
        Path(f"{tmp}.wal").unlink(missing_ok=True)
        raise
    return PublishResult(serving=serving, tables=tables, rows=rows, published_at=published_at)


def _copy(warehouse: Path, target: Path, published_at: dt.datetime) -> tuple[int, int]:
    # Connect to the warehouse itself (in a process that just ran dbt this
    # reuses dbt's open database instance; attaching the same file twice is
    # refused) and attach the new serving file as the target.
    con = duckdb.connect(str(warehouse))
    try:
        con.execute(f"attach '{target}' as serving_new")
        listing = frame(
            con,
            """
            select table_schema, table_name
            from information_schema.tables
            where table_catalog = current_database() and table_type = 'BASE TABLE'
              and table_schema in ?
            order by table_schema, table_name
            """,
            [list(PUBLISHED_SCHEMAS)],
        )
        if not listing.filter(listing["table_schema"] == "marts").height:
            raise PublishError(f"the warehouse {warehouse} has no marts: run `serviq build` first.")
        total = 0
        for schema, table in listing.iter_rows():
            con.execute(f"create schema if not exists serving_new.{schema}")
            con.execute(
                f'create table serving_new.{schema}."{table}" as select * from {schema}."{table}"'
            )
            total += int(scalar(con, f'select count(*) from serving_new.{schema}."{table}"'))
        con.execute("create schema if not exists serving_new.meta")
        con.execute(
            "create table serving_new.meta.publication as select ?::timestamptz as published_at, "
            "?::bigint as table_count, ?::bigint as row_count",
            [published_at, listing.height, total],
        )
        con.execute("checkpoint serving_new")
        con.execute("detach serving_new")
    finally:
        con.close()
    return listing.height, total


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        _fsync(path)
