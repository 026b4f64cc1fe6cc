"""Run the dbt project: `dbt build` once per pipeline run, in-process.

dbt is driven through `dbtRunner` (one ~6 s start-up per run, not per
model). A long-running service must not keep DuckDB files open between
runs, so it calls `build_in_child()` instead, which runs this module in a
fresh process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipelines.settings import Settings


class BuildError(RuntimeError):
    """dbt failed; the message names what failed."""


@dataclass
class BuildResult:
    passed: int = 0
    warned: int = 0
    failed: list[str] = field(default_factory=list)
    elapsed_seconds: float = 0.0
    plan: str = ""  # whole-project DuckDB builds: "full (first build)", "incremental (new loads)"


_dbt_import: threading.Thread | None = None


def _import_dbt() -> None:
    try:
        import dbt.cli.main  # noqa: F401
    except Exception:  # run_dbt imports it again and reports the error
        return


def start_dbt_import() -> None:
    """Import dbt in a thread while the caller's DuckDB queries run.

    Importing dbt is about 1.6 s of Python; the build planner's queries
    (2-7 s on a year of contacts) run inside DuckDB, which releases the GIL,
    so the two overlap, about 0.7 s saved on two cores (DECISIONLOG
    "Platform and pipeline"). run_dbt waits for the thread before it
    imports dbt itself.
    """
    global _dbt_import
    if _dbt_import is None and "dbt.cli.main" not in sys.modules:
        _dbt_import = threading.Thread(target=_import_dbt, name="serviq-dbt-import", daemon=True)
        _dbt_import.start()


def dbt_env(settings: Settings) -> dict[str, str]:
    return {
        "SERVIQ_WAREHOUSE": str(settings.warehouse),
        "SERVIQ_MARTS": str(settings.marts),
        "SERVIQ_THREADS": str(settings.threads),
        "SERVIQ_DUCKDB_MEMORY_LIMIT": settings.duckdb_memory_limit,
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }


def dbt_target_path(settings: Settings) -> Path:
    """Where dbt writes its artifacts (manifest, run results, saved parse)."""
    return settings.home / "dbt" / "target"


def dbt_args(
    command: str,
    settings: Settings,
    dbt_vars: Mapping[str, Any] | None = None,
    extra: Sequence[str] = (),
) -> list[str]:
    all_vars = {"reporting_timezone": settings.timezone, **(dbt_vars or {})}
    work = settings.home / "dbt"
    return [
        command,
        "--project-dir",
        str(settings.dbt_project_dir),
        "--profiles-dir",
        str(settings.dbt_project_dir),
        "--target-path",
        str(dbt_target_path(settings)),
        "--log-path",
        str(work / "logs"),
        # every SQL statement at debug level cost ~6 % of a small build
        # (DECISIONLOG "Platform and pipeline"); SERVIQ_DBT_LOG_LEVEL=debug
        "--log-level-file",
        settings.dbt_log_level,
        "--vars",
        json.dumps(all_vars),
        "--quiet",
        *extra,
    ]


def forget_parse_of_another_project(settings: Settings) -> None:
    """Drop dbt's saved parse when it was made from another project folder.

    dbt's partial parsing reuses `partial_parse.msgpack` from the target
    path, and the nodes in it hold absolute paths: after the project moved
    (a new checkout, another worktree) with the same SERVIQ_HOME, dbt seeded
    from the old folder's files, or failed on "No files found" once they
    were gone. The target path records which folder it was parsed from.
    """
    target = dbt_target_path(settings)
    marker = target / "serviq_project_dir"
    project = str(settings.dbt_project_dir.resolve())
    if marker.exists() and marker.read_text(encoding="utf-8") != project:
        (target / "partial_parse.msgpack").unlink(missing_ok=True)
    target.mkdir(parents=True, exist_ok=True)
    marker.write_text(project, encoding="utf-8")


def run_dbt(
    command: str,
    settings: Settings,
    dbt_vars: Mapping[str, Any] | None = None,
    extra: Sequence[str] = (),
) -> BuildResult:
    """Invoke dbt in this process and summarise the result."""
    if _dbt_import is not None:
        _dbt_import.join()
    from dbt.cli.main import dbtRunner

    os.environ.update(dbt_env(settings))
    settings.warehouse.parent.mkdir(parents=True, exist_ok=True)
    forget_parse_of_another_project(settings)
    outcome = dbtRunner().invoke(dbt_args(command, settings, dbt_vars, extra))
    result = BuildResult()
    if outcome.exception is not None:
        raise BuildError(f"dbt {command} could not run: {outcome.exception}")
    results = getattr(outcome.result, "results", None) or []
    for node in results:
        status = str(node.status).lower()
        name = node.node.name
        if status in ("error", "fail", "runtime error"):
            message = (node.message or "").splitlines()[0] if node.message else status
            result.failed.append(f"{name} ({message})")
        elif status == "warn":
            result.warned += 1
        else:
            result.passed += 1
        result.elapsed_seconds += float(getattr(node, "execution_time", 0.0) or 0.0)
    if not outcome.success and not result.failed:
        result.failed.append(f"dbt {command} reported failure")
    return result


def build(
    settings: Settings,
    dbt_vars: Mapping[str, Any] | None = None,
    select: str | None = None,
    full_refresh: bool = False,
    unit_tests: bool = False,
    target: str | None = None,
    engine: str = "duckdb",
) -> BuildResult:
    """`dbt build` (seeds, models and data tests; unit tests on request), once.

    dbt's unit tests check the SQL logic on hand-built inputs, not the data:
    they run in development and CI (`make test`, `serviq build --unit-tests`),
    not in every production build (dbt's own recommendation).

    engine="spark": Apache Spark through dbt-spark builds the marts, which
    are then loaded into the DuckDB build file (pipelines/spark/build.py).
    """
    if engine == "spark":
        from pipelines.spark.build import build_on_spark

        return build_on_spark(settings, dbt_vars, select, unit_tests).dbt
    extra: list[str] = []
    if not unit_tests:
        extra += ["--exclude-resource-type", "unit_test"]
    if select:
        extra += ["--select", select]
    plan = None
    if not select and (target or os.environ.get("SERVIQ_DBT_TARGET", "duckdb")) == "duckdb":
        # whole-project DuckDB builds are incremental when they can be (pipelines/incremental.py)
        from pipelines.incremental import plan_build

        start_dbt_import()
        no_marts = not settings.marts.exists()
        plan = plan_build(
            settings, dbt_vars, full_refresh, rebuild_reason="no marts file" if no_marts else None
        )
        full_refresh = plan.full_refresh
        if full_refresh:
            _fresh_marts_file(settings)
        dbt_vars = {**(dbt_vars or {}), **plan.dbt_vars}
        if not full_refresh:
            # seeds are in the fingerprint: unchanged since the last build
            extra += ["--exclude-resource-type", "seed"]
    if full_refresh:
        extra.append("--full-refresh")
    if target:
        # a profiles.yml output other than the default (e.g. the postgres peer)
        extra += ["--target", target]
    result = None
    try:
        result = run_dbt("build", settings, dbt_vars, extra)
    finally:
        if plan is not None:
            from pipelines.incremental import finish_build

            finish_build(settings, plan, succeeded=result is not None and not result.failed)
    if plan is not None:
        result.plan = f"{plan.mode} ({plan.reason})"
    if result.failed:
        shown = "; ".join(result.failed[:5])
        more = f" and {len(result.failed) - 5} more" if len(result.failed) > 5 else ""
        raise BuildError(f"dbt build failed on {shown}{more}.")
    return result


def _fresh_marts_file(settings: Settings) -> None:
    """A full build starts from an empty marts file.

    Tables of removed models and the blocks freed by earlier builds never
    reach the serving file, which is a copy of it (pipelines/publish.py).
    A build file from before the marts had their own file loses its `marts`
    schema, so that `marts.x` can only mean the marts file's tables.
    """
    import duckdb

    from pipelines.db import MARTS_DATABASE, cap_memory, marts_attached

    def remove() -> None:
        for path in (settings.marts, Path(f"{settings.marts}.wal")):
            path.unlink(missing_ok=True)

    if not settings.warehouse.exists():
        remove()
        return
    con = duckdb.connect(str(settings.warehouse))
    cap_memory(con, settings.duckdb_memory_limit)
    try:
        con.execute("drop schema if exists marts cascade")
        # In a process that ran dbt before, dbt's open instance has the old
        # file attached (and dbt-duckdb does not attach it again): swap in
        # the new file under the same name, or dbt would write to the old one.
        attached = marts_attached(con)
        con.execute(f"detach database if exists {MARTS_DATABASE}")
        remove()
        if attached:
            quoted = str(settings.marts).replace("'", "''")
            con.execute(f"attach '{quoted}' as {MARTS_DATABASE}")
    finally:
        con.close()


def build_in_child(settings: Settings, dbt_vars: Mapping[str, Any] | None = None) -> None:
    """Run the build in a child process so no DuckDB handle outlives it."""
    env = {**os.environ, **dbt_env(settings), "SERVIQ_HOME": str(settings.home)}
    cmd = [sys.executable, "-m", "pipelines.cli", "build"]
    if dbt_vars:
        cmd += ["--vars", json.dumps(dict(dbt_vars))]
    completed = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        lines = (completed.stderr or completed.stdout).strip().splitlines()
        raise BuildError(lines[-1] if lines else "dbt build failed in the child process.")


def project_root() -> Path:
    return Path(__file__).resolve().parent.parent
