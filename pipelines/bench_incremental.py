"""Benchmark stage: one more day on top of a built warehouse, incrementally.

The generator does not produce the same first N days when asked for N + 1
(its random draws depend on the length), so the bench generates N + 1 days
and holds the last day's files back (`hold_back_last_day`) before the timed
stages. After the full build, `run_incremental_stage` lands those files,
ingests them and runs `serviq build` (incremental: pipelines/incremental.py),
each in its own child process like every other stage, and reports the
build's wall time against the full build's.

Standalone: `python -m pipelines.bench_incremental --days 365
--contacts-per-day 3000 --work DIR` generates, ingests and builds the N
days (full), then times the new day, and prints each stage's wall and CPU
seconds (user + sys of the child) and the load average. `--generated DIR`
keeps the generated landing there for the next run (same data for an old /
new comparison); `--code DIR` runs the stages from another checkout of the
project (e.g. a `git worktree` of an older commit). Benchmarks print
figures; nothing here is asserted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pipelines.bench import (
    StageResult,
    bench_env,
    build_nodes,
    run_child,
    seconds_by_kind,
    serviq,
)

STAGE_CPU: dict[str, float] = {}  # CPU seconds (user + sys) of the standalone run's stages

DATED = re.compile(r"(\d{4}-\d{2}-\d{2})")


def _dated_files(landing: Path) -> dict[str, list[Path]]:
    by_day: dict[str, list[Path]] = {}
    for path in landing.rglob("*"):
        match = DATED.search(path.name)
        if path.is_file() and match:
            by_day.setdefault(match.group(1), []).append(path)
    return by_day


def hold_back_last_day(landing: Path, held: Path) -> str:
    """Move the files of the latest day out of the landing; that day."""
    by_day = _dated_files(landing)
    if not by_day:
        raise ValueError(f"no dated landing files under {landing}.")
    day = max(by_day)
    for path in by_day[day]:
        target = held / path.relative_to(landing)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(path, target)
    return day


def land_held(held: Path, landing: Path) -> int:
    """Copy the held-back files into the landing; how many."""
    count = 0
    for path in sorted(held.rglob("*")):
        if path.is_file():
            target = landing / path.relative_to(held)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
            count += 1
    return count


def run_incremental_stage(
    work: Path, env: dict[str, str], held: Path, full_build_seconds: float | None
) -> list[StageResult]:
    """Land the held-back day, ingest it, build incrementally; two timed stages."""
    land_held(held, work / "landing")
    ingest = run_child("ingest+1d", serviq("ingest"), env)
    if not ingest.ok:
        return [ingest]
    started = time.time()
    build = run_child("build+1d", serviq("build"), env)
    build.nodes = build_nodes(work / "dbt" / "target" / "run_results.json", started)
    if build.ok and full_build_seconds:
        share = build.wall_seconds / full_build_seconds
        build.detail = (
            f"{share:.1%} of the full build ({full_build_seconds:.1f} s); "
            f"{last_build_mode(work / 'warehouse.duckdb')}"
        )
    return [ingest, build]


def last_build_mode(warehouse: Path) -> str:
    """How the planner ran the latest build: `incremental` or `full` (pipelines/incremental.py)."""
    from pipelines.db import read_only, scalar

    with read_only(warehouse) as con:
        mode = scalar(con, "select mode from audit.dbt_builds order by built_at desc limit 1")
    return f"ran {mode}" if mode else "no build recorded"


def _run_timed(stage: str, args: list[str], env: dict[str, str], code: Path | None) -> StageResult:
    """run_child with the child's CPU seconds, from checkout `code` (default: this one)."""
    start = time.perf_counter()
    proc = subprocess.run(
        serviq(*args), env=env, cwd=code, capture_output=True, text=True, check=False
    )
    wall = time.perf_counter() - start
    STAGE_CPU[stage] = _children_cpu() - sum(STAGE_CPU.values())
    lines = (proc.stderr or "").strip().splitlines()
    result = StageResult(
        stage=stage,
        wall_seconds=wall,
        peak_rss_mib=0.0,
        ok=proc.returncode == 0,
        detail=(lines[-1] if lines else "") if proc.returncode else "",
    )
    said = [line for line in (proc.stdout + proc.stderr).splitlines() if "nodes passed" in line]
    if said and proc.returncode == 0:
        result.detail = said[-1].strip()
    return result


def node_times(run_results: Path) -> str:
    """What dbt's nodes took in a build (run_results.json): models and tests
    apart, each as count, summed execution seconds and median; the rest of
    the build's wall time is dbt's start-up, parse and scheduling."""
    nodes = build_nodes(run_results)
    if nodes is None:
        return "no run_results.json"
    parts = [
        f"{len(times)} {kind}s {sum(times):.1f} s (median {sorted(times)[len(times) // 2]:.2f})"
        for kind, times in seconds_by_kind(nodes).items()
    ]
    elapsed = json.loads(run_results.read_text(encoding="utf-8")).get("elapsed_time", 0.0)
    return f"{', '.join(parts)}; dbt elapsed {float(elapsed):.1f} s"


def _children_cpu() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _load() -> str:
    return Path("/proc/loadavg").read_text(encoding="utf-8").split(" ", 3)[:3].__str__()


def main(argv: list[str] | None = None) -> int:
    from pipelines.generate import GeneratorParams, generate

    parser = argparse.ArgumentParser(prog="python -m pipelines.bench_incremental")
    parser.add_argument("--days", type=int, default=365, help="days built before the new one")
    parser.add_argument("--contacts-per-day", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--work", help="working folder (default: a temporary folder)")
    parser.add_argument("--json", help="also write the figures as JSON to this file")
    parser.add_argument("--generated", help="generated landing kept here and reused if present")
    parser.add_argument("--code", help="checkout of the project the stages run from")
    args = parser.parse_args(argv)
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="serviq-bench-inc-"))
    work.mkdir(parents=True, exist_ok=True)
    for stale in ("warehouse.duckdb", "warehouse.duckdb.wal"):
        (work / stale).unlink(missing_ok=True)
    for folder in ("landing", "next_day", "dbt"):
        shutil.rmtree(work / folder, ignore_errors=True)
    env = bench_env(work)
    print(f"bench: generating {args.days} + 1 days (not timed)", file=sys.stderr)
    params = GeneratorParams(
        days=args.days + 1, contacts_per_day=args.contacts_per_day, seed=args.seed
    )
    generated = Path(args.generated) if args.generated else None
    if generated is None or not generated.exists():
        generate(params, generated or work / "landing")
    if generated is not None:
        shutil.copytree(generated, work / "landing")
    code = Path(args.code).resolve() if args.code else None
    STAGE_CPU["(before)"] = _children_cpu()  # e.g. the generator's own children
    day = hold_back_last_day(work / "landing", work / "next_day")
    loads = [_load()]
    stages = [_run_timed("ingest", ["ingest"], env, code)]
    print("bench: full build ...", file=sys.stderr)
    stages.append(_run_timed("build", ["build"], env, code))
    loads.append(_load())
    if all(stage.ok for stage in stages):
        print(f"bench: one more day ({day}) ...", file=sys.stderr)
        land_held(work / "next_day", work / "landing")
        stages.append(_run_timed("ingest+1d", ["ingest"], env, code))
        if stages[-1].ok:
            stages.append(_run_timed("build+1d", ["build"], env, code))
            stages[-1].detail += f"; {last_build_mode(work / 'warehouse.duckdb')}"
            nodes = node_times(work / "dbt" / "target" / "run_results.json")
            print(f"bench: +1 day nodes: {nodes}", file=sys.stderr)
        loads.append(_load())
    for stage in stages:
        status = "ok" if stage.ok else "FAILED"
        cpu = STAGE_CPU.get(stage.stage, 0.0)
        print(
            f"{stage.stage:<10} {stage.wall_seconds:>8.1f} s wall {cpu:>8.1f} s CPU"
            f"  {status}  {stage.detail}"
        )
    print(f"load average (1/5/15 min) at start, after the full build, at the end: {loads}")
    if args.json:
        figures = {
            "days": args.days,
            "contacts_per_day": args.contacts_per_day,
            "new_day": day,
            "measured_at": dt.datetime.now(dt.UTC).isoformat(),
            "stages": {s.stage: s.wall_seconds for s in stages},
            "cpu_seconds": dict(STAGE_CPU),
            "load": loads,
        }
        Path(args.json).write_text(json.dumps(figures, indent=2), encoding="utf-8")
    return 0 if all(stage.ok for stage in stages) else 1


if __name__ == "__main__":
    start = time.perf_counter()
    code = main()
    print(f"bench: {time.perf_counter() - start:.0f} s in all", file=sys.stderr)
    raise SystemExit(code)
