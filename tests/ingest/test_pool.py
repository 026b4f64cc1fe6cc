"""Ingest's worker processes: when they start, and how their frames come back.

Workers start for large input on idle cores.

The idle cores are read from the kernel's CPU times over a short sample,
not from the load average (which trails the last minute and kept the
benchmark's ingest inline right after its own generator had finished).
"""

from __future__ import annotations

import datetime as dt
import gc
import multiprocessing
import os
import shutil
import time
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal, assert_series_equal

from pipelines.ingest.pool import (
    WORKERS_ENV,
    Preparer,
    default_workers,
    idle_cores,
    spill_folder,
)
from tests.support import require

BIG, THRESHOLD = 200 << 20, 128 << 20


@pytest.fixture(autouse=True)
def _no_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(WORKERS_ENV, raising=False)


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="workers need two cores")
def test_workers_start_only_for_large_input_on_idle_cores() -> None:
    assert default_workers(BIG, THRESHOLD, idle=2.0) == 2
    assert default_workers(BIG, THRESHOLD, idle=1.4) == 0
    assert default_workers(THRESHOLD - 1, THRESHOLD, idle=2.0) == 0


def test_the_environment_overrides_the_choice(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(WORKERS_ENV, "3")
    assert default_workers(0, THRESHOLD, idle=0.0) == 3
    monkeypatch.setenv(WORKERS_ENV, "0")
    assert default_workers(BIG, THRESHOLD, idle=2.0) == 0


def _spin(seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass


def test_busy_cores_are_not_idle() -> None:
    """Every core kept busy by a spinning process: under half a core reads idle."""
    cores = os.cpu_count() or 1
    context = multiprocessing.get_context("spawn")
    spinners = [context.Process(target=_spin, args=(4.0,)) for _ in range(cores)]
    for spinner in spinners:
        spinner.start()
    try:
        time.sleep(1.0)  # spawned interpreters take a moment to start spinning
        idle = idle_cores(sample_seconds=0.5)
    finally:
        for spinner in spinners:
            spinner.terminate()
            spinner.join()
    assert 0.0 <= idle < 0.5


def test_idle_cores_is_a_share_of_the_cores() -> None:
    assert 0.0 <= idle_cores(sample_seconds=0.1) <= (os.cpu_count() or 1)


def prepared(rows: int) -> tuple[pl.DataFrame, pl.Series]:
    """A frame with the kinds of columns a prepared batch holds, and a series."""
    start = dt.datetime(2026, 6, 1, 8, tzinfo=dt.UTC)
    frame = pl.DataFrame(
        {
            "_line": pl.int_range(1, rows + 1, eager=True),
            "call_id": [f"C{i:07d}" for i in range(rows)],
            "note": [None if i % 3 else "客户来电 ****" for i in range(rows)],
            "answered_at": [start + dt.timedelta(seconds=i) for i in range(rows)],
            "confidence": [i / rows for i in range(rows)],
            "resolved": [i % 2 == 0 for i in range(rows)],
        }
    )
    return frame, frame["call_id"].alias("customers")


def mapped_from(folder: Path) -> list[str]:
    """Files of `folder` this process has mapped (their names may be gone)."""
    with open("/proc/self/maps", encoding="utf-8") as maps:
        return [line.split()[-2] for line in maps if f"{folder}/" in line]


def test_a_workers_frames_are_read_in_place_from_the_spill_folder() -> None:
    """Large frames come back as mapped Arrow files (no copy through the pipe):
    equal to what the worker made, mapped while held, and gone with the frame."""
    require(Path("/proc/self/maps").exists(), "/proc/self/maps is missing (Linux's /proc)")
    expected, customers = prepared(20_000)
    with Preparer(1, spill_bytes=100_000) as preparer:
        folder = preparer._spill
        assert folder is not None and folder.is_dir()
        [(frame, series)] = list(preparer.ordered(prepared, [(20_000,)]))
        assert_frame_equal(frame, expected)
        assert_series_equal(series, customers)
        assert len(mapped_from(folder)) == 2  # the frame and the series, in place
        assert list(folder.iterdir()) == []  # their names are removed at once
        del frame, series
        gc.collect()
        assert mapped_from(folder) == []  # the memory goes with the frames
        [(small, _)] = list(preparer.ordered(prepared, [(10,)]))
        assert_frame_equal(small, prepared(10)[0])  # small: through the pipe
        assert mapped_from(folder) == []
    assert not folder.exists()


def test_frames_that_cannot_be_spilled_come_back_through_the_pipe() -> None:
    """A spill folder that is full (here: gone) costs speed, never the batch."""
    expected, customers = prepared(20_000)
    with Preparer(1, spill_bytes=100_000) as preparer:
        assert preparer._spill is not None
        shutil.rmtree(preparer._spill)
        [(frame, series)] = list(preparer.ordered(prepared, [(20_000,)]))
    assert_frame_equal(frame, expected)
    assert_series_equal(series, customers)


def test_a_killed_runs_spill_folder_is_removed_by_the_next() -> None:
    dead = multiprocessing.get_context("spawn").Process(target=_spin, args=(0.0,))
    dead.start()
    dead.join()
    assert dead.pid is not None
    base = spill_folder().parent
    left = base / f"serviq-ingest-{dead.pid}-left"
    kept = base / f"serviq-ingest-{os.getpid()}-kept"  # a live process's
    for folder in (left, kept):
        folder.mkdir()
        (folder / "frame.arrow").write_bytes(b"x" * 1024)
    made = spill_folder()
    try:
        assert not left.exists()
        assert (kept / "frame.arrow").exists()
        assert made.is_dir() and made.parent == base
    finally:
        for folder in (left, kept, *base.glob(f"serviq-ingest-{os.getpid()}-*")):
            shutil.rmtree(folder, ignore_errors=True)
