"""Ingest with worker processes loads exactly what a serial run loads.

Batches are prepared (read, hashed, validated) in worker processes and
written by the main process in landing order, one transaction per file.
These tests run small landings with tiny batches, so that many batches,
refused files, repeated content, keys repeated across files and customer
ids named in free text all cross batch boundaries, and compare a run with
workers to a serial run table by table.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import polars as pl
import pytest

import pipelines.ingest as ingest_module
from pipelines.ingest import ingest
from pipelines.ingest.pii import KnownCustomers, keyed_hash
from pipelines.ingest.pool import WORKERS_ENV
from pipelines.schema import ENTITIES
from tests.reliability.landing import (
    MAPPING,
    MUTATIONS,
    customer,
    small_landing,
    valid_record,
    write,
    write_records,
)
from tests.support import TEST_PII_KEY

REPO = Path(__file__).resolve().parents[2]
KEY = TEST_PII_KEY.encode()


def awkward_landing(landing: Path) -> None:
    """Every entity, with faults and customer ids in free text across files."""
    small_landing(landing, rows=40, files_per_entity=3)
    calls = valid_record("calls", 900)
    MUTATIONS["impossible_order"](ENTITIES["calls"], calls)
    calls["customer_id"] = "CUSTONLYBAD1"  # its only row is quarantined
    named = valid_record("calls", 901)
    named["agent_note"] = f"客户{customer(3)}和CUSTONLYBAD1来电，电话13812345678"
    write_records(landing, "calls", "2026-06-04", [calls, named, valid_record("calls", 5)])
    ticket = valid_record("tickets", 950)
    ticket["first_message"] = f"我是{customer(7)}，朋友CUSTONLYBAD1，邮箱 a.b@example.com"
    write_records(landing, "tickets", "2026-06-04", [ticket, valid_record("tickets", 951)])
    first = landing / MAPPING.entities["offers"].files.replace("*", "2026-06-01")
    write(landing, "offers", "2026-06-09", first.read_bytes())  # a renamed copy
    write(landing, "surveys", "2026-06-09", b"")  # refused: empty


def content(warehouse: Path) -> dict[str, list[tuple]]:
    """Every raw table, the quarantine and the audit, minus ids and clocks."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        tables = [
            row[0]
            for row in con.execute(
                "select table_name from duckdb_tables() where schema_name = 'raw'"
            ).fetchall()
        ]
        out = {
            name: con.execute(
                f"select * exclude (_load_id) from raw.{name} order by all"
            ).fetchall()
            for name in tables
        }
        out["quarantine"] = con.execute(
            "select * exclude (load_id, quarantined_at) from audit.quarantine order by all"
        ).fetchall()
        out["load_audit"] = con.execute(
            "select * exclude (load_id, started_at, finished_at, run_id) "
            "from audit.load_audit order by all"
        ).fetchall()
        return out
    finally:
        con.close()


@pytest.fixture
def tiny_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ingest_module, "BATCH_BYTES", 3_000)


def test_workers_load_exactly_what_a_serial_run_loads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tiny_batches: None
) -> None:
    landing = tmp_path / "landing"
    awkward_landing(landing)
    reports = {}
    for workers in ("0", "2"):
        monkeypatch.setenv(WORKERS_ENV, workers)
        reports[workers] = ingest(tmp_path / f"w{workers}.duckdb", landing, MAPPING, KEY)
    serial, parallel = content(tmp_path / "w0.duckdb"), content(tmp_path / "w2.duckdb")
    assert serial == parallel
    assert len(serial["quarantine"]) >= 2 and len(serial["calls"]) > 100
    # in the same batch every row's customer counts; later, only loaded rows' customers
    note = str([row for row in serial["calls"] if "[CUSTOMER:" in str(row)])
    assert "CUSTONLYBAD1" not in note and customer(3) not in note
    message = str([row for row in serial["tickets"] if "[CUSTOMER:" in str(row)])
    assert "CUSTONLYBAD1" in message and customer(7) not in message
    for attr in ("skipped", "refused_before", "refusals", "warnings"):
        assert getattr(reports["0"], attr) == getattr(reports["2"], attr), attr
    assert [f.file_path for f in reports["0"].loaded] == [f.file_path for f in reports["2"].loaded]
    assert reports["2"].skipped == ["offers/offers_2026-06-09.csv"]


def test_rerun_with_workers_after_a_kill_loads_every_row_once(tmp_path: Path) -> None:
    """Killed inside a file's transaction with workers busy: they exit, a rerun completes."""
    if not Path("/proc/self/stat").exists():
        pytest.skip("needs /proc to find the worker processes")
    landing = tmp_path / "landing"
    small_landing(landing, rows=10, files_per_entity=2)
    expected = tmp_path / "clean.duckdb"
    os.environ.pop(WORKERS_ENV, None)
    ingest(expected, landing, MAPPING, KEY)
    home = tmp_path / "home"
    env = {
        **os.environ,
        "SERVIQ_HOME": str(home),
        "SERVIQ_PII_KEY": TEST_PII_KEY,
        WORKERS_ENV: "2",
        "SERVIQ_FAULT_PAUSE": "before_commit:3",
    }
    args = [sys.executable, "-m", "pipelines.cli", "ingest", "--landing", str(landing)]
    proc = subprocess.Popen(args, cwd=REPO, env=env, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    for line in proc.stderr:
        if line.startswith("serviq-fault: paused at"):
            break
    workers = _children(proc.pid)
    assert workers, "the run should have started worker processes"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and any(_alive(pid) for pid in workers):
        time.sleep(0.2)
    assert not any(_alive(pid) for pid in workers), "workers outlived the killed run"

    env.pop("SERVIQ_FAULT_PAUSE")
    rerun = subprocess.run(args, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert content(home / "warehouse.duckdb") == content(expected)


def _children(parent: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == parent:
                found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_known_customers_answers_exactly_like_a_set() -> None:
    """Sorted runs of 128-bit halves, merged as they grow: membership stays exact."""
    rng = random.Random(9)
    known = KnownCustomers()
    reference: set[str] = set()
    for batch in range(40):
        digests = [keyed_hash(KEY, "customer_id", f"C{rng.randrange(3000)}") for _ in range(50)]
        digests += ["NOT-A-DIGEST", f"plain{batch}"]  # other values are kept exactly too
        known.add(pl.Series([*digests, None]))
        reference.update(digests)
        probe = [keyed_hash(KEY, "customer_id", f"C{rng.randrange(6000)}") for _ in range(200)]
        probe += ["NOT-A-DIGEST", "plain999", probe[0].upper(), probe[0][:-1] + "g"]
        assert known.contains(pl.Series(probe)) == [p in reference for p in probe]
    # two digests equal in their first 64 bits are still told apart
    twin = "0" * 16 + "1" * 16
    known.add(pl.Series(["0" * 16 + "2" * 16]))
    assert known.contains(pl.Series([twin, "0" * 16 + "2" * 16])) == [False, True]
