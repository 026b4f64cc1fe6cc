"""The scheduler's run log: a small SQLite file under SERVIQ_HOME.

Never the serving file (which publish replaces) and never DuckDB (one
writer at a time; the scheduler must not hold a lock the pipeline needs).

Tables:
    runs        one row per (schedule, slot): status, attempts, files, error
    deliveries  one row per (schedule, slot) with recipients: status, attempts
    events      append-only log of everything that happened, with time

A slot is the cron fire time in the reporting time zone, stored as ISO 8601
with its offset; (schedule, slot) is the key, so a slot can never run twice
by accident and a missing slot is visible as a missing row.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMA = """
create table if not exists runs (
    schedule text not null,
    slot text not null,
    as_of_date text not null,
    status text not null,          -- running | ok | no_data | failed
    attempts integer not null,
    files_json text not null default '[]',
    error text,
    first_started_at text not null,
    last_finished_at text,
    primary key (schedule, slot)
);
create table if not exists deliveries (
    schedule text not null,
    slot text not null,
    recipients_json text not null,
    status text not null,          -- pending | sent | failed | abandoned
    attempts integer not null default 0,
    error text,
    updated_at text not null,
    primary key (schedule, slot)
);
create table if not exists events (
    event_id integer primary key autoincrement,
    logged_at text not null,
    schedule text not null,
    slot text,
    event text not null,
    detail text
);
"""


class SchedulerBusy(RuntimeError):
    """Another scheduler holds the lock; the message is one sentence."""


@dataclass(frozen=True)
class RunRow:
    schedule: str
    slot: str
    as_of_date: str
    status: str
    attempts: int
    files: list[str]
    error: str | None


@dataclass(frozen=True)
class DeliveryRow:
    schedule: str
    slot: str
    recipients: list[str]
    status: str
    attempts: int
    error: str | None


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class StateStore:
    """Open per pass (`with StateStore.open(path) as store:`); never kept open."""

    def __init__(self, con: sqlite3.Connection) -> None:
        self.con = con

    @classmethod
    @contextlib.contextmanager
    def open(cls, path: Path) -> Iterator[StateStore]:
        path.parent.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(str(path), timeout=30, isolation_level=None)
        try:
            con.execute("pragma journal_mode=wal")
            con.executescript(SCHEMA)
            yield cls(con)
        finally:
            con.close()

    # ---- events -------------------------------------------------------
    def log(self, schedule: str, slot: str | None, event: str, detail: str = "") -> None:
        self.con.execute(
            "insert into events (logged_at, schedule, slot, event, detail) values (?, ?, ?, ?, ?)",
            (_now(), schedule, slot, event, detail),
        )

    def events(self, schedule: str | None = None) -> list[dict[str, Any]]:
        sql = "select logged_at, schedule, slot, event, detail from events"
        params: tuple[Any, ...] = ()
        if schedule is not None:
            sql += " where schedule = ?"
            params = (schedule,)
        rows = self.con.execute(sql + " order by event_id", params).fetchall()
        keys = ("logged_at", "schedule", "slot", "event", "detail")
        return [dict(zip(keys, row, strict=True)) for row in rows]

    # ---- runs ---------------------------------------------------------
    def last_slot(self, schedule: str) -> str | None:
        row = self.con.execute(
            "select max(slot) from runs where schedule = ?", (schedule,)
        ).fetchone()
        return row[0] if row else None

    def run(self, schedule: str, slot: str) -> RunRow | None:
        row = self.con.execute(
            "select schedule, slot, as_of_date, status, attempts, files_json, error "
            "from runs where schedule = ? and slot = ?",
            (schedule, slot),
        ).fetchone()
        return _run_row(row) if row else None

    def runs(self, schedule: str | None = None) -> list[RunRow]:
        sql = "select schedule, slot, as_of_date, status, attempts, files_json, error from runs"
        params: tuple[Any, ...] = ()
        if schedule is not None:
            sql += " where schedule = ?"
            params = (schedule,)
        return [_run_row(row) for row in self.con.execute(sql + " order by schedule, slot", params)]

    def start_run(self, schedule: str, slot: str, as_of: dt.date) -> int:
        """Mark a slot running (inserting it or counting a new attempt); returns the attempt."""
        self.con.execute(
            """
            insert into runs (schedule, slot, as_of_date, status, attempts, first_started_at)
            values (?, ?, ?, 'running', 1, ?)
            on conflict (schedule, slot) do update set
                status = 'running', attempts = runs.attempts + 1
            """,
            (schedule, slot, as_of.isoformat(), _now()),
        )
        run = self.run(schedule, slot)
        assert run is not None
        return run.attempts

    def finish_run(
        self, schedule: str, slot: str, status: str, files: Sequence[Path], error: str | None
    ) -> None:
        self.con.execute(
            """
            update runs set status = ?, files_json = ?, error = ?, last_finished_at = ?
            where schedule = ? and slot = ?
            """,
            (status, json.dumps([str(p) for p in files]), error, _now(), schedule, slot),
        )

    def retryable_runs(self, schedule: str, max_attempts: int) -> list[RunRow]:
        """Slots that failed, found no data or were cut off mid-run, with tries left."""
        rows = self.con.execute(
            "select schedule, slot, as_of_date, status, attempts, files_json, error from runs "
            "where schedule = ? and status in ('failed', 'no_data', 'running') and attempts < ? "
            "order by slot",
            (schedule, max_attempts),
        ).fetchall()
        return [_run_row(row) for row in rows]

    # ---- deliveries ---------------------------------------------------
    def queue_delivery(self, schedule: str, slot: str, recipients: Sequence[str]) -> None:
        self.con.execute(
            """
            insert into deliveries (schedule, slot, recipients_json, status, updated_at)
            values (?, ?, ?, 'pending', ?)
            on conflict (schedule, slot) do update set
                recipients_json = excluded.recipients_json, status = 'pending',
                updated_at = excluded.updated_at
            """,
            (schedule, slot, json.dumps(list(recipients)), _now()),
        )

    def record_delivery(
        self, schedule: str, slot: str, status: str, tries: int, error: str | None
    ) -> None:
        self.con.execute(
            """
            update deliveries set status = ?, attempts = attempts + ?, error = ?, updated_at = ?
            where schedule = ? and slot = ?
            """,
            (status, tries, error, _now(), schedule, slot),
        )

    def delivery(self, schedule: str, slot: str) -> DeliveryRow | None:
        row = self.con.execute(
            "select schedule, slot, recipients_json, status, attempts, error from deliveries "
            "where schedule = ? and slot = ?",
            (schedule, slot),
        ).fetchone()
        return _delivery_row(row) if row else None

    def open_deliveries(self, schedule: str) -> list[DeliveryRow]:
        rows = self.con.execute(
            "select schedule, slot, recipients_json, status, attempts, error from deliveries "
            "where schedule = ? and status in ('pending', 'failed') order by slot",
            (schedule,),
        ).fetchall()
        return [_delivery_row(row) for row in rows]

    def deliveries(self) -> list[DeliveryRow]:
        rows = self.con.execute(
            "select schedule, slot, recipients_json, status, attempts, error from deliveries "
            "order by schedule, slot"
        ).fetchall()
        return [_delivery_row(row) for row in rows]


def _run_row(row: Sequence[Any]) -> RunRow:
    return RunRow(
        schedule=row[0],
        slot=row[1],
        as_of_date=row[2],
        status=row[3],
        attempts=int(row[4]),
        files=list(json.loads(row[5] or "[]")),
        error=row[6],
    )


def _delivery_row(row: Sequence[Any]) -> DeliveryRow:
    return DeliveryRow(
        schedule=row[0],
        slot=row[1],
        recipients=list(json.loads(row[2])),
        status=row[3],
        attempts=int(row[4]),
        error=row[5],
    )


@contextlib.contextmanager
def exclusive(lock_path: Path) -> Iterator[None]:
    """One scheduler pass at a time on this SERVIQ_HOME (advisory file lock)."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("a+") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SchedulerBusy(
                f"another `serviq schedule` is running (lock {lock_path} is held)."
            ) from None
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
