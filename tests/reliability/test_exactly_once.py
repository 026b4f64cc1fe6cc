"""Exactly-once under `kill -9`: real processes, killed at known and random points.

`serviq ingest` runs as a real subprocess and is killed with SIGKILL
- inside a file's transaction (rows, quarantine and audit written, not
  committed), between two files, and as a file starts (named pause points,
  pipelines/ingest/faults.py), and
- after a random delay (wherever it happens to be),
then run again to completion. The warehouse must then hold exactly what one
clean run produces, every row once, and the audit must tell the story: one
`loaded` audit row per file, the killed runs marked `interrupted`.

`serviq build` is killed while dbt writes a mart and run again; the marts
must equal those a clean build of the same code and data wrote just before.
`serviq publish` is killed after writing its new file but before the swap:
the serving file must be the old one, byte for byte, and the next publish
cleans up and swaps.
"""

from __future__ import annotations

import hashlib
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from pipelines.db import connect_warehouse, marts_file
from pipelines.ingest import ingest
from pipelines.publish import PublishError, publish
from pipelines.schema import ENTITIES
from tests.reliability.landing import MAPPING, MUTATIONS, small_landing, valid_record, write_records
from tests.support import TEST_PII_KEY, Pipeline, copy_warehouse, write_marts

REPO = Path(__file__).resolve().parents[2]
PAUSED = "serviq-fault: paused at"


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------
def env_for(home: Path, pause: str | None = None) -> dict[str, str]:
    env = {**os.environ, "SERVIQ_HOME": str(home), "SERVIQ_PII_KEY": TEST_PII_KEY}
    env.pop("SERVIQ_FAULT_PAUSE", None)
    if pause:
        env["SERVIQ_FAULT_PAUSE"] = pause
    return env


def serviq(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "pipelines.cli", *args],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def kill_at_pause(proc: subprocess.Popen[str]) -> str:
    """Read the child's stderr until it pauses, then SIGKILL it there."""
    assert proc.stderr is not None
    seen = []
    for line in proc.stderr:
        seen.append(line)
        if line.startswith(PAUSED):
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
            assert proc.returncode == -signal.SIGKILL
            return line.strip()
    proc.wait(timeout=30)
    raise AssertionError(f"the process ended without pausing: {''.join(seen)}")


def kill_after(proc: subprocess.Popen[str], seconds: float) -> None:
    time.sleep(seconds)
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)


def build_landing(landing: Path) -> None:
    """Two files per entity, a malformed row in some, a key repeated across files."""
    small_landing(landing, rows=25, files_per_entity=2)
    calls = ENTITIES["calls"]
    bad = valid_record("calls", 900)
    MUTATIONS["impossible_order"](calls, bad)
    repeated = valid_record("calls", 3)  # already in calls_2026-06-01
    write_records(landing, "calls", "2026-06-03", [valid_record("calls", 901), bad, repeated])


def content(warehouse: Path) -> dict[str, list[tuple]]:
    """Everything a run is responsible for, minus ids and clocks that differ per run."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        out: dict[str, list[tuple]] = {}
        for name in ENTITIES:
            out[f"raw.{name}"] = con.execute(
                f"select * exclude (_load_id) from raw.{name} order by all"
            ).fetchall()
        out["audit.quarantine"] = con.execute(
            "select entity, file_path, line, field, reason, record_json "
            "from audit.quarantine order by all"
        ).fetchall()
        out["audit.load_audit"] = con.execute(
            "select entity, file_path, content_sha256, rows_read, rows_loaded, rows_quarantined, "
            "status from audit.load_audit order by all"
        ).fetchall()
        return out
    finally:
        con.close()


def query(warehouse: Path, sql: str) -> list[tuple]:
    con = connect_warehouse(warehouse, read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


# --------------------------------------------------------------------------
# Ingest
# --------------------------------------------------------------------------
def test_ingest_killed_at_any_point_then_rerun_loads_every_row_exactly_once(
    tmp_path: Path,
) -> None:
    landing = tmp_path / "landing"
    build_landing(landing)
    files = len(list(landing.rglob("*.*")))

    clean = tmp_path / "clean.duckdb"
    ingest(clean, landing, MAPPING, TEST_PII_KEY.encode())
    expected = content(clean)
    assert sum(len(v) for k, v in expected.items() if k.startswith("raw.")) > 300

    home = tmp_path / "home"
    warehouse = home / "warehouse.duckdb"
    ingest_args = ("ingest", "--landing", str(landing), "-v")

    # 1. inside the third file's transaction: two files committed, the third not
    line = kill_at_pause(serviq(*ingest_args, env=env_for(home, "before_commit:3")))
    assert "before_commit #3" in line
    assert query(warehouse, "select count(*) from audit.load_audit") == [(2,)]
    assert query(warehouse, "select status from audit.ingest_runs") == [("running",)]

    # 2. right after a commit, 3. as a file starts (after skipping loaded ones)
    kill_at_pause(serviq(*ingest_args, env=env_for(home, "after_commit:2")))
    assert query(warehouse, "select count(*) from audit.load_audit") == [(4,)]
    kill_at_pause(serviq(*ingest_args, env=env_for(home, "file_start:6")))
    assert query(warehouse, "select count(*) from audit.load_audit") == [(5,)]

    # 4. wherever it is after a random delay (seeded: reproducible)
    delays = random.Random(6).sample([0.5, 1.0, 1.5, 2.0, 2.5, 3.0], 2)
    for delay in delays:
        kill_after(serviq(*ingest_args, env=env_for(home)), delay)

    left_running = query(
        warehouse, "select count(*) from audit.ingest_runs where status = 'running'"
    )
    final = serviq(*ingest_args, env=env_for(home))
    _, err = final.communicate(timeout=300)
    assert final.returncode == 0, err
    if left_running != [(0,)]:  # a random kill may also have come after the run finished
        assert "stopped before finishing; the files it committed are kept" in err

    assert content(warehouse) == expected
    per_file = query(
        warehouse,
        "select file_path, count(*) from audit.load_audit where status = 'loaded' group by 1",
    )
    assert len(per_file) == files and all(n == 1 for _, n in per_file)
    runs = [r[0] for r in query(warehouse, "select status from audit.ingest_runs order by all")]
    assert "running" not in runs and "failed" not in runs
    assert runs.count("interrupted") >= 3 and "finished" in runs


def test_a_second_run_after_a_kill_before_any_commit_loads_everything(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    build_landing(landing)
    home = tmp_path / "home"
    kill_at_pause(serviq("ingest", "--landing", str(landing), env=env_for(home, "before_commit:1")))
    warehouse = home / "warehouse.duckdb"
    assert query(warehouse, "select count(*) from raw.calls") == [(0,)]
    report = ingest(warehouse, landing, MAPPING, TEST_PII_KEY.encode())
    assert len(report.interrupted_runs) == 1 and not report.skipped
    clean = tmp_path / "clean.duckdb"
    ingest(clean, landing, MAPPING, TEST_PII_KEY.encode())
    assert content(warehouse) == content(clean)


# --------------------------------------------------------------------------
# Build
# --------------------------------------------------------------------------
MARTS = ("mart_contacts_daily", "fct_contacts")


def mart_rows(path: Path, table: str) -> list[tuple]:
    return query(path, f"select * from marts.{table} order by all")


def test_build_killed_while_writing_marts_then_rerun_gives_the_clean_marts(
    small_pipeline: Pipeline, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    warehouse = home / "warehouse.duckdb"
    copy_warehouse(small_pipeline.warehouse, warehouse)
    # the marts only (no tests): the kill and the rebuild are about how tables are written
    args = ("build", "--select", " ".join(f"{m},resource_type:model" for m in MARTS))

    reference = serviq(*args, env=env_for(home))  # a clean build of today's code
    _, err = reference.communicate(timeout=600)
    assert reference.returncode == 0, err
    expected = {table: mart_rows(warehouse, table) for table in MARTS}
    assert all(expected.values())

    con = connect_warehouse(warehouse)
    con.execute("drop table marts.mart_contacts_daily")  # the rebuild must bring it back
    con.execute("update marts.fct_contacts set channel = 'x'")
    con.close()

    proc = serviq(*args, env=env_for(home))
    log = home / "dbt" / "logs" / "dbt.log"
    # the two marts are incremental models (a --select build recomputes them whole)
    started = log.read_text(errors="replace").count("START sql incremental model")
    deadline = time.monotonic() + 300
    while proc.poll() is None and time.monotonic() < deadline:
        if log.read_text(errors="replace").count("START sql incremental model") > started:
            break
        time.sleep(0.05)
    time.sleep(random.Random(7).uniform(0.0, 0.4))
    assert proc.poll() is None, "dbt finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)

    rerun = serviq(*args, env=env_for(home))
    _, err = rerun.communicate(timeout=600)
    assert rerun.returncode == 0, err
    for table in MARTS:
        assert mart_rows(warehouse, table) == expected[table], table


# --------------------------------------------------------------------------
# Publish
# --------------------------------------------------------------------------
def make_warehouse(path: Path, version: int) -> None:
    duckdb.connect(str(path)).close()
    write_marts(path, f"create or replace table marts.versioned as select {version} as version")


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def published_version_1(tmp_path: Path) -> tuple[Path, Path, Path, str]:
    """(home, build file, serving file, the serving file's sha) after publishing version 1."""
    home = tmp_path / "home"
    home.mkdir()
    warehouse, serving = home / "warehouse.duckdb", home / "serving.duckdb"
    make_warehouse(warehouse, 1)
    publish(warehouse, serving)
    return home, warehouse, serving, sha(serving)


def test_publish_killed_before_the_swap_leaves_the_old_version_whole(tmp_path: Path) -> None:
    home, warehouse, serving, before = published_version_1(tmp_path)
    make_warehouse(warehouse, 2)

    kill_at_pause(serviq("publish", env=env_for(home, "publish_before_swap")))
    assert sha(serving) == before
    assert query(serving, "select version from marts.versioned") == [(1,)]
    stale = list(home.glob(".serving.duckdb.*.tmp"))
    assert len(stale) == 1  # the killed publish's complete but unswapped file

    publish(warehouse, serving)
    assert query(serving, "select version from marts.versioned") == [(2,)]
    assert not list(home.glob(".serving.duckdb.*.tmp*"))


def test_publish_refuses_a_build_without_its_marts_file(tmp_path: Path) -> None:
    """The marts file is what publish copies: without it, one sentence and nothing changes."""
    home, warehouse, serving, before = published_version_1(tmp_path)
    marts_file(warehouse).unlink()

    with pytest.raises(PublishError, match=r"has no marts: run `serviq build` first"):
        publish(warehouse, serving)
    assert sha(serving) == before
    assert not marts_file(warehouse).exists()  # refusing does not create an empty one
    assert not list(home.glob(".serving.duckdb.*.tmp*"))
