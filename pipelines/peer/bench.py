"""`serviq bench --peer postgres`: the same build on PostgreSQL, timed as serviq's is.

After serviq's own stages, a throwaway PostgreSQL cluster is started (not
timed), the raw tables are copied in (timed, reported apart: a peer would
load its own way) and the project is built on it with `dbt build --target
postgres` in a child process, exactly as the `build` stage runs `serviq
build`: wall time of a fresh process, dbt's start-up included, same
threads, unit tests excluded on both. The ratio is peer build seconds /
serviq build seconds (how many times faster serviq's build is).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

PEERS = ("postgres",)


def run_peer_stage(
    engine: str, work: Path, env: dict[str, str], serviq_build_seconds: float | None
) -> dict[str, Any]:
    """Build on the peer engine; the figures for the report (never raises on failure)."""
    from pipelines.bench import run_child
    from pipelines.peer.postgres import PeerError, copy_raw, postgres_server

    if engine not in PEERS:
        return {"engine": engine, "ok": False, "detail": f"unknown peer {engine}"}
    figures: dict[str, Any] = {"engine": engine, "serviq_build_seconds": serviq_build_seconds}
    try:
        with postgres_server() as server:
            start = time.perf_counter()
            copied = copy_raw(work / "warehouse.duckdb", server)
            figures["copy_seconds"] = time.perf_counter() - start
            figures["rows_copied"] = sum(copied.values())
            child_env = {**env, **server.dbt_env()}
            cmd = [sys.executable, "-m", "pipelines.peer.postgres", "--home", str(work / "peer")]
            result = run_child("peer build", cmd, child_env)
    except PeerError as error:
        return {**figures, "ok": False, "detail": str(error)}
    figures.update(
        ok=result.ok,
        detail=result.detail,
        build_seconds=result.wall_seconds,
        peak_rss_mib=result.peak_rss_mib,
        ratio=(
            result.wall_seconds / serviq_build_seconds
            if result.ok and serviq_build_seconds
            else None
        ),
    )
    return figures


def render_peer(peer: dict[str, Any] | None) -> list[str]:
    if not peer:
        return []
    name = f"{peer['engine']} peer"
    if not peer.get("ok"):
        return ["", f"{name}: FAILED: {peer.get('detail', '')}"]
    serviq_build = peer["serviq_build_seconds"] or 0.0
    lines = [
        "",
        f"{'peer':<10} {'wall s':>8}   {name}: same data, same dbt project",
        f"{'copy raw':<10} {peer['copy_seconds']:>8.1f}   {peer['rows_copied']:,} rows",
        f"{'build':<10} {peer['build_seconds']:>8.1f}   serviq's build: {serviq_build:.1f} s",
    ]
    if peer.get("ratio"):
        lines.append(f"{'ratio':<10} {peer['ratio']:>8.1f}x  peer build / serviq build")
    return lines
