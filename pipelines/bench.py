"""`serviq bench`: where serviq stands, stage by stage.

Generates data first (not timed), then runs every stage as its own child
process — ingest, check, build, publish, the dashboard's pages, one
export — and reports wall time, rows per second and peak memory (the
child's maximum resident set size, from `wait4`). It also times the floor
for the same landing files: a bare DuckDB load, `create table as select *
from read_csv(...)` per entity, and prints serviq's end-to-end time as a
ratio of that floor.

Benchmarks print figures; tests assert behaviour. Nothing here is asserted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pipelines.settings import REPO_ROOT

STAGES = ("ingest", "check", "build", "publish")
# Disk the bench's work folder holds at its peak, per contact: at 10M
# contacts (session 3) the landing files took 4.1 GB, the warehouse 6.6 GB,
# the serving file 1.0 GB and the floor's copy 0.75 GB, about 1,250 bytes a
# contact, and a build spills up to its memory cap beside the warehouse.
# With a margin of half again, the bench refuses to start short of this.
DISK_BYTES_PER_CONTACT = 1_900
# dbt nodes named per build stage in the printed report (the JSON keeps all)
SHOWN_NODES = 8


class BenchError(RuntimeError):
    """The benchmark cannot run here; the message says why, in one sentence."""


def check_disk(work: Path, contacts: int) -> None:
    """Refuse at once, rather than hours in, when the work folder's disk is too small."""
    needed = contacts * DISK_BYTES_PER_CONTACT
    free = shutil.disk_usage(work).free
    if free < needed:
        raise BenchError(
            f"a bench of {contacts:,} contacts needs about {needed / 1e9:,.0f} GB free "
            f"in {work} (landing files, warehouse, serving file, floor copy) "
            f"and that disk has {free / 1e9:,.0f} GB."
        )


@dataclass
class StageResult:
    stage: str
    wall_seconds: float
    peak_rss_mib: float
    rows: int | None = None
    ok: bool = True
    detail: str = ""
    # user + system seconds of the child and the children it waited for
    # (ingest's workers): steadier than wall time on a shared host
    cpu_seconds: float | None = None
    # build stages: every dbt node's execution time (`build_nodes`), slowest
    # first; dbt overwrites run_results.json at the next build, the bench's
    # JSON keeps them
    nodes: list[dict[str, Any]] | None = None

    @property
    def rows_per_second(self) -> float | None:
        if not self.rows or not self.wall_seconds:
            return None
        return self.rows / self.wall_seconds


@dataclass
class BenchReport:
    contacts: int
    days: int
    stages: list[StageResult] = field(default_factory=list)
    pages: dict[str, dict[str, float]] = field(default_factory=dict)
    floor_seconds: float | None = None
    generate_seconds: float | None = None
    peer: dict[str, Any] | None = None  # `--peer`: pipelines/peer/bench.py
    spark: dict[str, Any] | None = None  # `--engine spark`: pipelines/spark/bench.py

    @property
    def end_to_end_seconds(self) -> float:
        return sum(s.wall_seconds for s in self.stages if s.stage in STAGES)

    @property
    def end_to_end_cpu_seconds(self) -> float | None:
        """CPU seconds of the same stages; None when a stage has none on record."""
        cpus = [s.cpu_seconds for s in self.stages if s.stage in STAGES]
        if not cpus or any(c is None for c in cpus):
            return None
        return sum(c for c in cpus if c is not None)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["end_to_end_seconds"] = self.end_to_end_seconds
        data["end_to_end_cpu_seconds"] = self.end_to_end_cpu_seconds
        data["floor_ratio"] = (
            self.end_to_end_seconds / self.floor_seconds if self.floor_seconds else None
        )
        for stage, raw in zip(self.stages, data["stages"], strict=True):
            raw["rows_per_second"] = stage.rows_per_second
        return data


def run_child(stage: str, cmd: list[str], env: dict[str, str]) -> StageResult:
    """Run one stage in a child process; wall time, CPU seconds and the child's peak RSS."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    out_chunks: list[bytes] = []
    err = proc.stderr.read()
    out_chunks.append(proc.stdout.read())
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    text = (err or b"").decode("utf-8", "replace").strip().splitlines()
    return StageResult(
        stage=stage,
        wall_seconds=wall,
        peak_rss_mib=usage.ru_maxrss / 1024.0,
        cpu_seconds=usage.ru_utime + usage.ru_stime,
        ok=proc.returncode == 0,
        detail=(text[-1] if text else "") if proc.returncode else "",
    )


def build_nodes(run_results: Path, since: float = 0.0) -> list[dict[str, Any]] | None:
    """Each node of the dbt run in `run_results.json`, slowest first: its name,
    kind (model, test, seed), status and execution seconds; None without the
    file or when it was written before `since` (a time.time(): an earlier
    build's file, left by a build that failed before dbt ran).

    On two dbt threads a node's seconds include waiting for DuckDB while the
    other thread's statement runs, so they add up to more than the build's
    wall time.
    """
    if not run_results.exists() or run_results.stat().st_mtime < since:
        return None
    figures = json.loads(run_results.read_text(encoding="utf-8"))
    nodes = []
    for result in figures.get("results", []):
        # model.serviq.<model>, test.serviq.<test>.<hash>, unit_test.serviq.<model>.<test>
        kind, _, name, *rest = str(result["unique_id"]).split(".")
        nodes.append(
            {
                "node": ".".join([name, *rest]) if kind == "unit_test" else name,
                "kind": kind,
                "status": str(result.get("status", "")),
                "seconds": round(float(result["execution_time"]), 3),
            }
        )
    return sorted(nodes, key=lambda node: -node["seconds"])


def seconds_by_kind(nodes: list[dict[str, Any]]) -> dict[str, list[float]]:
    """`build_nodes`' seconds per kind of node (model, seed, test, ...), kinds sorted."""
    kinds: dict[str, list[float]] = {}
    for node in nodes:
        kinds.setdefault(node["kind"], []).append(node["seconds"])
    return dict(sorted(kinds.items()))


def render_nodes(stage: StageResult) -> list[str]:
    """A build stage's slowest dbt nodes and its seconds per kind of node."""
    if not stage.nodes:
        return []
    per_kind = ", ".join(
        f"{len(times)} {kind}s {sum(times):.1f} s"
        for kind, times in seconds_by_kind(stage.nodes).items()
    )
    lines = [f"{stage.stage}: dbt nodes {per_kind}; slowest:"]
    lines += [
        f"  {node['seconds']:>7.1f} s  {node['kind']:<5} {node['node']}"
        for node in stage.nodes[:SHOWN_NODES]
    ]
    return lines


def serviq(*args: str) -> list[str]:
    return [sys.executable, "-m", "pipelines.cli", *args]


def has_command(name: str) -> bool:
    from pipelines.cli import build_parser

    parser = build_parser()
    for action in parser._subparsers._group_actions:  # type: ignore[union-attr]
        choices = getattr(action, "choices", None) or {}
        if name in choices:
            return True
    return False


def count_rows(warehouse: Path) -> int:
    from pipelines.db import read_only, scalar

    with read_only(warehouse) as con:
        loaded = scalar(
            con, "select sum(rows_loaded) from audit.load_audit where status = 'loaded'"
        )
    return int(loaded or 0)


FLOOR_SCRIPT = r"""
import sys, time, duckdb, pathlib
landing, target = pathlib.Path(sys.argv[1]), sys.argv[2]
con = duckdb.connect(target)
start = time.perf_counter()
globs = {
    "calls": ("read_csv", "calls/*.csv"),
    "tickets": ("read_json", "tickets/*.jsonl"),
    "backoffice_items": ("read_csv", "_utf8/backoffice/*.csv"),
    "surveys": ("read_csv", "surveys/*.csv"),
    "offers": ("read_csv", "offers/*.csv"),
    "complaints": ("read_csv", "complaints/*.csv"),
    "agents": ("read_csv", "reference/agents.csv"),
    "agent_shifts": ("read_csv", "workforce/*.csv"),
}
for table, (reader, pattern) in globs.items():
    if not list(landing.glob(pattern)):
        continue
    con.execute(f"create table {table} as select * from {reader}('{landing / pattern}')")
con.close()
print(time.perf_counter() - start)
"""


def transcode_for_floor(landing: Path) -> None:
    """DuckDB's bare reader has no GB18030: give the floor UTF-8 copies (untimed)."""
    out = landing / "_utf8" / "backoffice"
    out.mkdir(parents=True, exist_ok=True)
    for path in sorted((landing / "backoffice").glob("*.csv")):
        text = path.read_bytes().decode("gb18030")
        (out / path.name).write_text(text, encoding="utf-8")


def floor(landing: Path, work: Path, env: dict[str, str]) -> float:
    transcode_for_floor(landing)
    target = work / "floor.duckdb"
    target.unlink(missing_ok=True)
    proc = subprocess.run(
        [sys.executable, "-c", FLOOR_SCRIPT, str(landing), str(target)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    shutil.rmtree(landing / "_utf8", ignore_errors=True)
    return float(proc.stdout.strip().splitlines()[-1])


def page_files() -> list[str]:
    pages = sorted((REPO_ROOT / "dashboard" / "app_pages").glob("*.py"))
    return [f"app_pages/{p.name}" for p in pages if not p.name.startswith("_")]


# Runs in a child: every page rendered by Streamlit's AppTest with the
# dashboard's query cache emptied first (all but the table catalogue, which
# a running server reads once per publish), so each render runs its data
# queries against the serving file, as the first viewer of a filter does;
# `dashboard.data._execute` (the one place a query reaches DuckDB) is
# wrapped to time each of them.
PAGES_SCRIPT = r"""
import json, sys, time
from streamlit.testing.v1 import AppTest
import dashboard.data as data

pages, repeat, app = json.loads(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
spent = []
execute = data._execute

def timed(sql, params, current):
    start = time.perf_counter()
    try:
        return execute(sql, params, current)
    finally:
        spent.append(time.perf_counter() - start)

data._execute = timed
out = {}
for page in pages:
    runs = {"render": [], "queries": [], "count": [], "slowest": []}
    for i in range(repeat + 1):  # the first render warms imports and is dropped
        at = AppTest.from_file(app, default_timeout=300)
        at.run()
        data._CACHE.clear()
        data.tables()  # the catalogue: read once per publish by a real server
        spent.clear()
        start = time.perf_counter()
        at.switch_page(page).run()
        took = time.perf_counter() - start
        if at.exception:
            raise SystemExit(f"{page}: {at.exception[0].message}")
        if i:
            runs["render"].append(took)
            runs["queries"].append(sum(spent))
            runs["count"].append(len(spent))
            runs["slowest"].append(max(spent, default=0.0))
    out[page] = runs
print(json.dumps(out))
"""


def time_pages(env: dict[str, str], repeat: int) -> dict[str, dict[str, float]]:
    """Each page `repeat` times, cold query cache: render and query p50/p95 (ms)."""
    app = str(REPO_ROOT / "dashboard" / "streamlit_app.py")
    proc = subprocess.run(
        [sys.executable, "-c", PAGES_SCRIPT, json.dumps(page_files()), str(repeat), app],
        env={**env, "PYTHONPATH": str(REPO_ROOT)},
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        lines = (proc.stderr or proc.stdout).strip().splitlines()
        return {"error": {"message": lines[-1] if lines else "page timing failed"}}  # type: ignore[dict-item]
    raw: dict[str, dict[str, list[float]]] = json.loads(proc.stdout.strip().splitlines()[-1])
    return {page: _page_figures(runs) for page, runs in raw.items()}


def _page_figures(runs: dict[str, list[float]]) -> dict[str, float]:
    render = _percentiles(runs["render"])
    queries = _percentiles(runs["queries"])
    return {
        "p50_ms": render["p50_ms"],
        "p95_ms": render["p95_ms"],
        "queries_p50_ms": queries["p50_ms"],
        "queries_p95_ms": queries["p95_ms"],
        "slowest_query_p95_ms": _percentiles(runs["slowest"])["p95_ms"],
        "query_count": float(max(runs["count"], default=0)),
        "runs": render["runs"],
    }


def _percentiles(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    if not ordered:
        return {"p50_ms": 0.0, "p95_ms": 0.0, "runs": 0.0}
    p95_index = max(0, min(len(ordered) - 1, round(0.95 * (len(ordered) - 1))))
    return {
        "p50_ms": statistics.median(ordered) * 1000,
        "p95_ms": ordered[p95_index] * 1000,
        "runs": float(len(ordered)),
    }


def bench_env(work: Path) -> dict[str, str]:
    """The stages' environment: SERVIQ_HOME = the work folder; a bench PII key unless set."""
    return {
        **os.environ,
        "SERVIQ_HOME": str(work),
        "SERVIQ_PII_KEY": os.environ.get("SERVIQ_PII_KEY", "serviq-bench-key-not-for-production"),
    }


def run_bench(
    contacts: int,
    days: int,
    work: Path,
    repeat: int,
    seed: int,
    with_export: bool,
    peer: str | None = None,
    engine: str = "duckdb",
) -> BenchReport:
    from pipelines.bench_incremental import hold_back_last_day, run_incremental_stage
    from pipelines.generate import GeneratorParams

    work.mkdir(parents=True, exist_ok=True)
    for stale in ("warehouse.duckdb", "warehouse.duckdb.wal", "serving.duckdb"):
        (work / stale).unlink(missing_ok=True)
    shutil.rmtree(work / "landing", ignore_errors=True)
    check_disk(work, contacts)
    env = bench_env(work)
    report = BenchReport(contacts=contacts, days=days)
    per_day = max(1, round(contacts / days))
    print(f"bench: generating {contacts:,} contacts over {days} days (not timed)", file=sys.stderr)
    start = time.perf_counter()
    # one more day is generated and held back for the incremental stage at the end
    params = GeneratorParams(days=days + 1, contacts_per_day=per_day, seed=seed)
    # in a child: a stage's peak memory is read from wait4(), and a child
    # forked from a process that held the generated data starts its
    # high-water mark there (session 3 showed every stage at >= 2.1 GiB)
    subprocess.run(
        serviq(
            "generate",
            "--out",
            str(work / "landing"),
            "--days",
            str(params.days),
            "--contacts-per-day",
            str(per_day),
            "--seed",
            str(seed),
            "--quiet",
        ),
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    held = work / "next_day"
    shutil.rmtree(held, ignore_errors=True)
    hold_back_last_day(work / "landing", held)
    last_day = (params.start_date + dt.timedelta(days=days - 1)).isoformat()
    report.generate_seconds = time.perf_counter() - start

    for stage in STAGES:
        if not has_command(stage):
            print(f"bench: {stage}: no such command yet, skipped", file=sys.stderr)
            continue
        print(f"bench: {stage} ...", file=sys.stderr)
        started = time.time()
        result = run_child(stage, serviq(stage), env)
        if stage == "ingest" and result.ok:
            result.rows = count_rows(work / "warehouse.duckdb")
        if stage == "build":
            result.nodes = build_nodes(work / "dbt" / "target" / "run_results.json", started)
        report.stages.append(result)
        if not result.ok:
            print(f"bench: {stage} failed: {result.detail}", file=sys.stderr)
            return report

    print("bench: dashboard pages ...", file=sys.stderr)
    report.pages = time_pages(env, repeat)
    if with_export and has_command("export"):
        print("bench: export ...", file=sys.stderr)
        out = work / "exports"
        report.stages.append(
            run_child(
                "export",
                serviq(
                    "export",
                    "--period",
                    "month",
                    "--as-of",
                    last_day,
                    "--format",
                    "xlsx,pdf",
                    "--out",
                    str(out),
                ),
                env,
            )
        )
    print("bench: floor (bare DuckDB load) ...", file=sys.stderr)
    report.floor_seconds = floor(work / "landing", work, env)
    if peer:
        from pipelines.peer.bench import run_peer_stage

        print(f"bench: {peer} peer (same build on {peer}) ...", file=sys.stderr)
        build_seconds = next((s.wall_seconds for s in report.stages if s.stage == "build"), None)
        report.peer = run_peer_stage(peer, work, env, build_seconds)
    if engine == "spark":
        from pipelines.spark.bench import run_spark_stage

        print("bench: spark engine (build --engine spark, publish) ...", file=sys.stderr)
        build_seconds = next((s.wall_seconds for s in report.stages if s.stage == "build"), None)
        report.spark = run_spark_stage(work, env, build_seconds)
    print("bench: one more day, ingested and built incrementally ...", file=sys.stderr)
    build_seconds = next((s.wall_seconds for s in report.stages if s.stage == "build"), None)
    report.stages += run_incremental_stage(work, env, held, build_seconds)
    return report


def render(report: BenchReport) -> str:
    lines = [
        f"serviq bench — {report.contacts:,} contacts, {report.days} days, {os.cpu_count()} cores",
        "",
        f"{'stage':<10} {'wall s':>8} {'CPU s':>8} {'rows/s':>12} {'peak MiB':>9}  status",
    ]
    for s in report.stages:
        rate = f"{s.rows_per_second:,.0f}" if s.rows_per_second else "-"
        cpu = f"{s.cpu_seconds:.1f}" if s.cpu_seconds is not None else "-"
        status = (f"ok  {s.detail}" if s.detail else "ok") if s.ok else f"FAILED: {s.detail}"
        figures = f"{s.wall_seconds:>8.1f} {cpu:>8} {rate:>12} {s.peak_rss_mib:>9.0f}"
        lines.append(f"{s.stage:<10} {figures}  {status}")
    total_cpu = report.end_to_end_cpu_seconds
    end_cpu = f"{total_cpu:.1f}" if total_cpu is not None else "-"
    lines.append(
        f"{'end-to-end':<10} {report.end_to_end_seconds:>8.1f} {end_cpu:>8}   "
        "(ingest+check+build+publish)"
    )
    if report.floor_seconds:
        ratio = report.end_to_end_seconds / report.floor_seconds
        lines.append(
            f"{'floor':<10} {report.floor_seconds:>8.1f}   bare DuckDB load; ratio {ratio:.1f}x"
        )
    builds = [line for s in report.stages for line in render_nodes(s)]
    if builds:
        lines += ["", *builds]
    if report.pages:
        lines += render_pages(report.pages)
    if report.peer:
        from pipelines.peer.bench import render_peer

        lines += render_peer(report.peer)
    if report.spark:
        from pipelines.spark.bench import render_spark

        lines += render_spark(report.spark)
    return "\n".join(lines)


def render_pages(pages: dict[str, dict[str, float]]) -> list[str]:
    """The pages table: render and query p50/p95 (ms) per page."""
    lines = [
        "",
        "pages (cold query cache)       render ms      queries ms    slowest query",
        f"{'page':<28} {'p50':>7} {'p95':>7} {'p50':>7} {'p95':>7} {'n':>4} {'p95 ms':>8}",
    ]
    for page, fig in pages.items():
        if "p50_ms" not in fig:
            lines.append(f"{page:<28} {fig}")
            continue
        lines.append(
            f"{page:<28} {fig['p50_ms']:>7.0f} {fig['p95_ms']:>7.0f} "
            f"{fig['queries_p50_ms']:>7.0f} {fig['queries_p95_ms']:>7.0f} "
            f"{fig['query_count']:>4.0f} {fig['slowest_query_p95_ms']:>8.0f}"
        )
    return lines


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser("bench", help="time every stage on generated data")
    p.add_argument("--contacts", type=int, default=1_000_000, help="contacts to generate")
    p.add_argument("--days", type=int, default=30)
    p.add_argument("--repeat", type=int, default=5, help="page renders per page")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--work", help="working folder (default: a temporary folder)")
    p.add_argument("--json", help="also write the figures as JSON to this file")
    p.add_argument("--no-export", action="store_true")
    p.add_argument(
        "--pages-only",
        action="store_true",
        help="only time the dashboard pages on the file published in --work (nothing generated)",
    )
    p.add_argument(
        "--peer", choices=["postgres"], help="also build on a peer engine and print the ratio"
    )
    p.add_argument(
        "--engine",
        choices=["duckdb", "spark"],
        default="duckdb",
        help="spark: also build with Apache Spark (dbt-spark) and publish from it",
    )
    p.set_defaults(func=cmd_bench)


def cmd_bench(args: argparse.Namespace) -> int:
    if getattr(args, "pages_only", False):
        return cmd_pages_only(args)
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="serviq-bench-"))
    report = run_bench(
        args.contacts,
        args.days,
        work,
        args.repeat,
        args.seed,
        not args.no_export,
        peer=getattr(args, "peer", None),
        engine=getattr(args, "engine", "duckdb"),
    )
    print(render(report))
    if args.json:
        Path(args.json).write_text(json.dumps(report.to_json(), indent=2), encoding="utf-8")
    return 0 if all(s.ok for s in report.stages) else 1


def cmd_pages_only(args: argparse.Namespace) -> int:
    """`serviq bench --pages-only --work DIR`: the pages stage alone, on DIR's published file.

    The dashboard's figures depend on the published file, not on how it was
    built, so they can be re-measured (more renders, a quieter host, a
    dashboard change) without generating and building the data again.
    """
    if not args.work:
        raise BenchError("--pages-only needs --work, the folder of an earlier bench run.")
    work = Path(args.work)
    env = bench_env(work)
    serving = Path(env.get("SERVIQ_SERVING_PATH") or work / "serving.duckdb")
    if not serving.is_file():
        raise BenchError(f"nothing is published at {serving}: run the bench there first.")
    pages = time_pages(env, args.repeat)
    lines = [f"serviq bench — dashboard pages on {serving}, {args.repeat} renders each"]
    print("\n".join(lines + render_pages(pages)))
    if args.json:
        Path(args.json).write_text(
            json.dumps({"serving": str(serving), "repeat": args.repeat, "pages": pages}, indent=2),
            encoding="utf-8",
        )
    return 0 if "error" not in pages else 1
