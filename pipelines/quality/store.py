"""Where check results live: the `quality` schema of the warehouse (published as is).

    quality.check_runs     one row per `serviq check`: build fingerprint, time,
                           critical / warning failure counts, parameters used
    quality.check_results  one row per expectation per run: suite, expectation,
                           column, severity, success, counts, failing row keys

A run and its results are written in one transaction: a killed check leaves
no half run. Publish reads the latest run for the build it is about to copy.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

import duckdb
import polars as pl

from pipelines.db import frame, scalar

DDL = """
create schema if not exists quality;
create table if not exists quality.check_runs (
    run_id varchar not null,
    build_fingerprint varchar not null,
    started_at timestamptz not null,
    finished_at timestamptz not null,
    seconds double not null,
    suite_count bigint not null,
    expectation_count bigint not null,
    critical_failures bigint not null,
    warning_failures bigint not null,
    is_success boolean not null,        -- no critical failure
    sample_rows bigint not null,        -- GX sample cap per table; exact SQL counts above it
    parameters varchar not null         -- JSON: every suite parameter used
);
create table if not exists quality.check_results (
    run_id varchar not null,
    suite varchar not null,
    expectation varchar not null,
    column_name varchar not null,
    severity varchar not null,          -- critical | warning
    is_success boolean not null,
    element_count bigint,
    unexpected_count bigint,
    unexpected_percent double,
    observed_value varchar,
    failing_row_keys varchar,           -- JSON list of up to N row keys, e.g. [{"call_id": "C1"}]
    evaluated_on varchar not null,      -- all rows | sample + exact SQL count
    arguments varchar,                  -- JSON: the expectation's arguments, parameters named
    checked_at timestamptz not null
);
"""


@dataclass
class ResultRow:
    suite: str
    expectation: str
    column_name: str
    severity: str
    is_success: bool
    element_count: int | None
    unexpected_count: int | None
    unexpected_percent: float | None
    observed_value: str | None
    failing_row_keys: list[dict[str, Any]]
    evaluated_on: str
    arguments: dict[str, Any]
    checked_at: dt.datetime

    def keys_text(self, limit: int = 3) -> str:
        shown = [
            ", ".join(f"{k}={v}" for k, v in key.items()) for key in self.failing_row_keys[:limit]
        ]
        more = len(self.failing_row_keys) > limit
        return "; ".join(shown) + ("; ..." if more else "")


@dataclass
class CheckRun:
    run_id: str
    build_fingerprint: str
    started_at: dt.datetime
    finished_at: dt.datetime
    sample_rows: int
    parameters: dict[str, Any]
    results: list[ResultRow] = field(default_factory=list)
    suites: list[str] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        return (self.finished_at - self.started_at).total_seconds()

    def failures(self, severity: str) -> list[ResultRow]:
        return [r for r in self.results if not r.is_success and r.severity == severity]

    @property
    def is_success(self) -> bool:
        return not self.failures("critical")


def ensure_quality_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(DDL)


def save_run(con: duckdb.DuckDBPyConnection, run: CheckRun) -> None:
    """The run row and all its result rows, in one transaction."""
    ensure_quality_tables(con)
    results = pl.DataFrame(
        {
            "run_id": [run.run_id] * len(run.results),
            "suite": [r.suite for r in run.results],
            "expectation": [r.expectation for r in run.results],
            "column_name": [r.column_name for r in run.results],
            "severity": [r.severity for r in run.results],
            "is_success": [r.is_success for r in run.results],
            "element_count": [r.element_count for r in run.results],
            "unexpected_count": [r.unexpected_count for r in run.results],
            "unexpected_percent": [r.unexpected_percent for r in run.results],
            "observed_value": [r.observed_value for r in run.results],
            "failing_row_keys": [_json(r.failing_row_keys, sort=False) for r in run.results],
            "evaluated_on": [r.evaluated_on for r in run.results],
            "arguments": [_json(r.arguments) for r in run.results],
            "checked_at": [r.checked_at for r in run.results],
        },
        schema={
            "run_id": pl.String,
            "suite": pl.String,
            "expectation": pl.String,
            "column_name": pl.String,
            "severity": pl.String,
            "is_success": pl.Boolean,
            "element_count": pl.Int64,
            "unexpected_count": pl.Int64,
            "unexpected_percent": pl.Float64,
            "observed_value": pl.String,
            "failing_row_keys": pl.String,
            "evaluated_on": pl.String,
            "arguments": pl.String,
            "checked_at": pl.Datetime("us", "UTC"),
        },
    )
    con.execute("begin transaction")
    try:
        con.execute(
            "insert into quality.check_runs values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                run.run_id,
                run.build_fingerprint,
                run.started_at,
                run.finished_at,
                run.seconds,
                len(run.suites),
                len(run.results),
                len(run.failures("critical")),
                len(run.failures("warning")),
                run.is_success,
                run.sample_rows,
                _json(run.parameters),
            ],
        )
        con.register("_check_results", results.to_arrow())
        con.execute("insert into quality.check_results select * from _check_results")
        con.unregister("_check_results")
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise


def _json(value: Any, sort: bool = True) -> str:
    return json.dumps(value, ensure_ascii=False, default=str, sort_keys=sort)


def has_quality_tables(con: duckdb.DuckDBPyConnection) -> bool:
    count = scalar(
        con,
        "select count(*) from information_schema.tables where table_catalog = current_database() "
        "and table_schema = 'quality' and table_name = 'check_runs'",
    )
    return bool(count)


def latest_run(con: duckdb.DuckDBPyConnection, fingerprint: str) -> dict[str, Any] | None:
    """The latest check run over the build with this fingerprint, if any."""
    if not has_quality_tables(con):
        return None
    found = frame(
        con,
        "select * from quality.check_runs where build_fingerprint = ? "
        "order by finished_at desc limit 1",
        [fingerprint],
    )
    return found.row(0, named=True) if found.height else None


def critical_failures(con: duckdb.DuckDBPyConnection, run_id: str) -> pl.DataFrame:
    return frame(
        con,
        """
        select suite, expectation, column_name, unexpected_count, failing_row_keys
        from quality.check_results
        where run_id = ? and severity = 'critical' and not is_success
        order by suite, column_name, expectation
        """,
        [run_id],
    )
