"""Atomic publish: the serving file the dashboard and exports read.

The build file (`warehouse.duckdb`) is written by ingestion and dbt, and
dbt builds the marts into their own file beside it (`warehouse.marts.duckdb`,
pipelines/db.py); nobody else opens them. Publishing copies the finished
marts file byte for byte to a new file next to the serving file (the marts
are not written a second time), adds the seeds, data-quality results and
load audit, closes it, fsyncs it and swaps it in with `os.replace`. A
reader that opens the serving file sees either the old or the new complete
version, never a partial one, and never holds a lock the pipeline needs.

The quality gate: before copying, publish computes the build fingerprint
(pipelines/quality/fingerprint.py) and looks up the latest `serviq check`
run over exactly this build. If that run has a critical failure, publish
refuses with one sentence naming the expectation and the failing rows, and
the serving file keeps the last good version. A build nobody checked is
published (and marked unchecked in `meta.publication`) unless
`require_check=True`.

A publish killed at any point leaves only its temporary file, which the
next publish removes; the serving file is untouched until the rename.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.db import (
    MARTS_DATABASE,
    MARTS_SCHEMA,
    attach_marts,
    cap_memory,
    frame,
    marts_attached,
    marts_file,
    scalar,
)
from pipelines.ingest.faults import pause

PUBLISHED_SCHEMAS = ("marts", "seeds", "audit", "quality")


class PublishError(RuntimeError):
    """Publishing failed; the serving file is unchanged."""


@dataclass
class PublishResult:
    serving: Path
    tables: int
    rows: int
    published_at: dt.datetime
    build_fingerprint: str | None = None
    quality_run_id: str | None = None  # None: no check run over this build


@dataclass
class _Gate:
    fingerprint: str
    run_id: str | None


def publish(warehouse: Path, serving: Path, *, require_check: bool = False) -> PublishResult:
    if not warehouse.exists():
        raise PublishError(f"no warehouse at {warehouse}: run `serviq ingest` and `serviq build`.")
    serving.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_temporaries(serving)
    tmp = serving.with_name(f".{serving.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    published_at = dt.datetime.now(dt.UTC)
    gate = _Gate(fingerprint="", run_id=None)
    try:
        tables, rows = _copy(warehouse, tmp, published_at, serving, require_check, gate)
        _fsync(tmp)
        pause("publish_before_swap", str(serving))
        os.replace(tmp, serving)
        _fsync_dir(serving.parent)
    except BaseException:
        tmp.unlink(missing_ok=True)
        Path(f"{tmp}.wal").unlink(missing_ok=True)
        raise
    return PublishResult(
        serving=serving,
        tables=tables,
        rows=rows,
        published_at=published_at,
        build_fingerprint=gate.fingerprint,
        quality_run_id=gate.run_id,
    )


def _check_gate(
    con: duckdb.DuckDBPyConnection, serving: Path, require_check: bool, gate: _Gate
) -> None:
    """Refuse a build whose latest check run has a critical failure."""
    from pipelines.quality.fingerprint import build_fingerprint
    from pipelines.quality.store import critical_failures, latest_run

    gate.fingerprint = build_fingerprint(con)
    run = latest_run(con, gate.fingerprint)
    if run is None:
        if require_check:
            raise PublishError(
                "publish refused: no `serviq check` run covers this build; run it first."
            )
        return
    gate.run_id = str(run["run_id"])
    if run["is_success"]:
        return
    failed = critical_failures(con, gate.run_id)
    first = failed.row(0, named=True) if failed.height else None
    what = "a critical expectation"
    if first is not None:
        keys = _keys_text(first["failing_row_keys"])
        rows = (
            f"{first['unexpected_count']:,} rows" if first["unexpected_count"] is not None else ""
        )
        detail = ", ".join(p for p in (rows, f"e.g. {keys}" if keys else "") if p)
        what = f"{first['expectation']} on {first['suite']}.{first['column_name']}" + (
            f" ({detail})" if detail else ""
        )
    more = f" and {failed.height - 1} more critical failure(s)" if failed.height > 1 else ""
    raise PublishError(
        f"publish refused: check run {gate.run_id[:12]} of this build failed {what}{more}; "
        f"{_still_serving(serving)}"
    )


def _keys_text(raw: str | None, limit: int = 3) -> str:
    import json

    keys = json.loads(raw) if raw else []
    shown = [", ".join(f"{k}={v}" for k, v in key.items()) for key in keys[:limit]]
    return "; ".join(shown) + ("; ..." if len(keys) > limit else "")


def _still_serving(serving: Path) -> str:
    """What the dashboard keeps showing, in words."""
    if not serving.exists():
        return "nothing has been published yet."
    try:
        con = duckdb.connect(str(serving), read_only=True)
        try:
            when = scalar(con, "select max(published_at) from meta.publication")
        finally:
            con.close()
    except duckdb.Error:
        when = None
    stamp = f" published at {when:%Y-%m-%d %H:%M:%S %Z}" if when is not None else ""
    return f"the dashboard keeps serving the version{stamp}."


def _remove_stale_temporaries(serving: Path) -> None:
    """Temporary files of publishes that were killed (their process is gone)."""
    for tmp in serving.parent.glob(f".{serving.name}.*.tmp"):
        pid_text = tmp.name[len(serving.name) + 2 : -len(".tmp")]
        if pid_text.isdigit() and _alive(int(pid_text)):
            continue
        tmp.unlink(missing_ok=True)
        Path(f"{tmp}.wal").unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _copy(
    warehouse: Path,
    target: Path,
    published_at: dt.datetime,
    serving: Path,
    require_check: bool,
    gate: _Gate,
) -> tuple[int, int]:
    # Connect to the warehouse itself (in a process that just ran dbt this
    # reuses dbt's open database instance, marts file attached; attaching
    # the same file twice is refused).
    con = duckdb.connect(str(warehouse))
    try:
        cap_memory(con)
        in_process = marts_attached(con)  # by dbt, run in this process
        if not attach_marts(con, warehouse):
            raise PublishError(f"the warehouse {warehouse} has no marts: run `serviq build` first.")
        _check_gate(con, serving, require_check, gate)
        listing = frame(
            con,
            """
            select table_schema, table_name, table_schema = ? as in_marts_file
            from information_schema.tables
            where table_type = 'BASE TABLE'
              and ((table_catalog = ? and table_schema = ?)
                or (table_catalog = current_database() and table_schema in ?))
            order by table_schema, table_name
            """,
            [
                MARTS_SCHEMA,
                MARTS_DATABASE,
                MARTS_SCHEMA,
                [s for s in PUBLISHED_SCHEMAS if s != MARTS_SCHEMA],
            ],
        )
        marts = listing.filter(listing["in_marts_file"])
        if not marts.height:
            raise PublishError(f"the warehouse {warehouse} has no marts: run `serviq build` first.")
        total = 0
        for _, table, _ in marts.iter_rows():
            total += int(scalar(con, f'select count(*) from {MARTS_DATABASE}.marts."{table}"'))
        # The marts file as dbt finished it: everything in its storage, then
        # closed here (dbt's process may still have it attached), then copied
        # byte for byte; the marts are not written a second time.
        con.execute(f"checkpoint {MARTS_DATABASE}")
        con.execute("reset search_path")
        con.execute(f"detach {MARTS_DATABASE}")
        shutil.copyfile(marts_file(warehouse), target)
        if in_process:  # dbt-duckdb does not attach it again for its next run
            attach_marts(con, warehouse)
            con.execute("reset search_path")
        quoted = str(target).replace("'", "''")
        con.execute(f"attach '{quoted}' as serving_new")
        for schema, table, in_marts_file in listing.iter_rows():
            if in_marts_file:
                continue
            con.execute(f"create schema if not exists serving_new.{schema}")
            # A CTAS returns the number of rows it wrote: no second count(*).
            total += int(
                scalar(
                    con,
                    f'create table serving_new.{schema}."{table}" as '
                    f'select * from {schema}."{table}"',
                )
            )
        con.execute("create schema if not exists serving_new.meta")
        _write_coverage(con)
        con.execute(
            "create table serving_new.meta.publication as select ?::timestamptz as published_at, "
            "?::bigint as table_count, ?::bigint as row_count, ?::varchar as build_fingerprint, "
            "?::varchar as quality_run_id, ?::boolean as is_checked",
            [
                published_at,
                listing.height,
                total,
                gate.fingerprint,
                gate.run_id,
                gate.run_id is not None,
            ],
        )
        con.execute("checkpoint serving_new")
        con.execute("detach serving_new")
    finally:
        con.close()
    return listing.height, total


def _write_coverage(con: duckdb.DuckDBPyConnection) -> None:
    """`meta.source_coverage`: the entities this build holds (readers say "no data" for others)."""
    from pipelines.quality.coverage import write_coverage
    from pipelines.settings import get_settings

    write_coverage(con, "serving_new", timezone=get_settings().timezone)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        _fsync(path)
