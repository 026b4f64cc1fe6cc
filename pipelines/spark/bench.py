"""`serviq bench --engine spark`: the same build by Apache Spark, timed.

After serviq's own stages, the DuckDB build file is copied to a separate
home (not timed) and two child processes run there, exactly as a user runs
them: `serviq build --engine spark` (raw-zone sync from DuckDB, local Spark
session start, `dbt build --target spark` with data tests, marts exported
back into the DuckDB file) and `serviq publish`. Wall time includes the JVM
and dbt start-up. The build's own breakdown is read from the file the Spark
build leaves (`<home>/spark/last_build.json`). The ratio is Spark build
seconds / serviq (DuckDB) build seconds.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any


def run_spark_stage(
    work: Path, env: dict[str, str], serviq_build_seconds: float | None
) -> dict[str, Any]:
    """Build on Spark and publish from it; the figures (never raises on failure)."""
    from pipelines.bench import run_child

    home = work / "spark-engine"
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    shutil.copyfile(work / "warehouse.duckdb", home / "warehouse.duckdb")
    child_env = {**env, "SERVIQ_HOME": str(home)}
    cli = [sys.executable, "-m", "pipelines.cli"]
    build = run_child("spark build", [*cli, "build", "--engine", "spark"], child_env)
    figures: dict[str, Any] = {
        "engine": "spark",
        "serviq_build_seconds": serviq_build_seconds,
        "ok": build.ok,
        "detail": build.detail,
        "build_seconds": build.wall_seconds,
        "peak_rss_mib": build.peak_rss_mib,
        "ratio": (
            build.wall_seconds / serviq_build_seconds if build.ok and serviq_build_seconds else None
        ),
    }
    breakdown = home / "spark" / "last_build.json"
    if breakdown.exists():
        figures["breakdown_seconds"] = json.loads(breakdown.read_text(encoding="utf-8"))
    if build.ok:
        publish = run_child("spark publish", [*cli, "publish"], child_env)
        figures.update(publish_ok=publish.ok, publish_seconds=publish.wall_seconds)
    return figures


def render_spark(spark: dict[str, Any] | None) -> list[str]:
    if not spark:
        return []
    lines = ["", "spark engine (serviq build --engine spark, then serviq publish)"]
    if not spark.get("ok"):
        return [*lines, f"  FAILED: {spark.get('detail')}"]
    lines.append(
        f"  build {spark['build_seconds']:.1f} s, "
        f"peak {spark['peak_rss_mib']:.0f} MiB (serviq process; the JVM is not counted)"
    )
    for step, seconds in (spark.get("breakdown_seconds") or {}).items():
        lines.append(f"    {step:<22} {seconds:>8.1f} s")
    if spark.get("publish_seconds") is not None:
        lines.append(f"  publish {spark['publish_seconds']:.1f} s")
    if spark.get("ratio"):
        lines.append(f"  ratio {spark['ratio']:.1f}x the DuckDB build")
    return lines
