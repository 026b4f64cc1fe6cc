"""When ingest starts worker processes: large input and idle cores now.

The idle cores are read from the kernel's CPU times over a short sample,
not from the load average (which trails the last minute and kept the
benchmark's ingest inline right after its own generator had finished).
"""

from __future__ import annotations

import multiprocessing
import os
import time

import pytest

from pipelines.ingest.pool import WORKERS_ENV, default_workers, idle_cores

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
