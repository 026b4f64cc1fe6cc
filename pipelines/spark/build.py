"""`serviq build --engine spark`: the same dbt project, built by Apache Spark.

    1. sync the raw zone with DuckDB's raw tables (pipelines/ingest/rawzone.py)
    2. register `raw.<entity>` views over it (pipelines/spark/sources.py)
    3. `dbt build --target spark` in this process (dbt-spark)
    4. export every mart and seed table from Spark as Parquet and load them
       where a DuckDB build puts them: the marts into a new marts file that
       replaces the old one, the seeds into the build file's `seeds` schema
       in one transaction (pipelines/spark/export.py)

After step 4 the build file looks to `serviq publish`, the dashboard and the
exports exactly as after a DuckDB build, whatever engine computed the marts.

Method `session` (default) runs Spark in this process (pipelines/spark/
session.py). With `SERVIQ_SPARK_METHOD=thrift|http` the statements of steps 2
and 4 go through dbt itself (`dbt run-operation serviq_run_statements`), the
raw zone must be where the cluster can read it (`SERVIQ_SPARK_RAW_ZONE_URI`)
and the export where both the cluster and this machine can reach it
(`SERVIQ_SPARK_EXPORT_DIR`, a shared mount); docs/scale-out.md.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipelines.build import BuildError, BuildResult, run_dbt
from pipelines.ingest.rawzone import SyncReport, default_root, sync_raw_zone
from pipelines.settings import Settings
from pipelines.spark.export import ExportReport, export_and_load
from pipelines.spark.sources import register_sources

SPARK_TARGET = "spark"


@dataclass
class SparkBuildResult:
    dbt: BuildResult
    sync: SyncReport
    export: ExportReport
    seconds: dict[str, float] = field(default_factory=dict)


def spark_method() -> str:
    return os.environ.get("SERVIQ_SPARK_METHOD", "session")


class StatementRunner:
    """Runs Spark SQL: in the local session, or through dbt on a cluster."""

    def __init__(self, settings: Settings, dbt_vars: Mapping[str, Any] | None) -> None:
        self.settings = settings
        self.dbt_vars = dbt_vars
        self.session: Any = None
        self.pending: list[str] = []
        if spark_method() == "session":
            from pipelines.spark.session import get_session

            self.session = get_session(settings.home)

    def __call__(self, statement: str) -> None:
        if self.session is not None:
            self.session.sql(statement)
        else:
            self.pending.append(statement)

    def flush(self) -> None:
        """On a cluster: run the statements collected so far in one dbt invocation."""
        if not self.pending:
            return
        args = json.dumps({"statements": self.pending})
        result = run_dbt(
            "run-operation",
            self.settings,
            self.dbt_vars,
            ["serviq_run_statements", "--args", args, "--target", SPARK_TARGET],
        )
        self.pending = []
        if result.failed:
            raise BuildError(f"Spark statements failed: {'; '.join(result.failed[:3])}")


def build_on_spark(
    settings: Settings,
    dbt_vars: Mapping[str, Any] | None = None,
    select: str | None = None,
    unit_tests: bool = False,
    raw_zone: Path | None = None,
    data_tests: bool = True,
) -> SparkBuildResult:
    """Build on Spark and load the marts and seeds into the DuckDB build file.

    `data_tests=False` runs `dbt run` semantics (seeds and models only): for
    comparisons with a DuckDB build of the same data that already ran them.
    """
    seconds: dict[str, float] = {}
    root = raw_zone or default_root(settings.home)

    start = time.perf_counter()
    sync = sync_raw_zone(settings.warehouse, root)
    seconds["raw_zone_sync"] = time.perf_counter() - start

    start = time.perf_counter()
    run = StatementRunner(settings, dbt_vars)
    register_sources(run, root, os.environ.get("SERVIQ_SPARK_RAW_ZONE_URI"))
    run.flush()
    seconds["session_and_sources"] = time.perf_counter() - start

    start = time.perf_counter()
    extra = ["--target", SPARK_TARGET]
    excluded = ([] if unit_tests else ["unit_test"]) + ([] if data_tests else ["test"])
    if excluded:
        extra += ["--exclude-resource-type", *excluded]
    if select:
        extra += ["--select", select]
    result = run_dbt("build", settings, dbt_vars, extra)
    seconds["dbt_build"] = time.perf_counter() - start
    if result.failed:
        shown = "; ".join(result.failed[:5])
        more = f" and {len(result.failed) - 5} more" if len(result.failed) > 5 else ""
        raise BuildError(f"dbt build on Spark failed on {shown}{more}.")

    start = time.perf_counter()
    export = export_and_load(run, settings)
    seconds["export_to_duckdb"] = time.perf_counter() - start
    _record_timings(settings, seconds)
    return SparkBuildResult(dbt=result, sync=sync, export=export, seconds=seconds)


def _record_timings(settings: Settings, seconds: dict[str, float]) -> None:
    """Where the time went, for `serviq bench --engine spark` and docs/scale-out.md."""
    target = settings.home / "spark" / "last_build.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(seconds, indent=2), encoding="utf-8")
