"""Worker processes that prepare batches while the main process writes.

DuckDB takes one writer per warehouse file, and each landing file must be
written in its own transaction, in landing order (the exactly-once
guarantee). Everything before the write (read, map, hash, validate) needs
no warehouse, so `Preparer` runs it in a small pool of worker processes
(`spawn`ed: no copy of the parent's DuckDB or Polars threads) and hands the
results back strictly in submission order, a few batches ahead of the
writer. With no workers the same functions run inline, in the same order,
so a serial and a parallel run load the same rows.

Workers hold nothing that must survive: if the main process is killed they
notice their parent is gone and exit, and a new run prepares the files its
predecessor had not committed.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any

# Set to a whole number to choose the number of worker processes (0: prepare
# inline). Unset: `default_workers`.
WORKERS_ENV = "SERVIQ_INGEST_WORKERS"


def default_workers(input_bytes: int, threshold: int, idle: float | None = None) -> int:
    """Workers for a run: two when the input is large and two cores are idle, else none.

    Workers cost CPU (start-up, frames pickled back, a digest memo each):
    on 3M contacts about 113 CPU seconds against 90 inline. They pay only
    when the cores they would use are free; on a host already busy (fewer
    than 1.5 cores idle) the run stays inline. `idle`: the idle cores, if
    the caller knows them; otherwise they are measured (`idle_cores`).
    """
    chosen = os.environ.get(WORKERS_ENV, "").strip()
    if chosen:
        return max(0, int(chosen))
    cores = os.cpu_count() or 1
    if input_bytes < threshold or cores < 2:
        return 0
    if (idle_cores() if idle is None else idle) < 1.5:
        return 0
    # two keep the writer busy (on 3M contacts the workers' share of the CPU
    # is about 60%, the writer's 40%); more would mostly wait for it
    return 2


def idle_cores(sample_seconds: float = 0.25) -> float:
    """How many cores are idle now: the kernel's CPU times over a short sample.

    Not the load average: it trails the last minute, so a run started right
    after another heavy step (the benchmark's generator, a build) read the
    host as busy when its cores were already free. Time stolen by the
    hypervisor counts as busy. Without /proc/stat: cores minus the load average.
    """
    cores = os.cpu_count() or 1
    try:
        before = _cpu_times()
        time.sleep(sample_seconds)
        spent = [b - a for a, b in zip(before, _cpu_times(), strict=True)]
        if sum(spent) <= 0:
            raise ValueError("no CPU time passed")
    except (OSError, ValueError, IndexError):
        return cores - _load()
    return cores * (spent[3] + spent[4]) / sum(spent)  # idle + iowait


def _cpu_times() -> list[int]:
    """user nice system idle iowait irq softirq steal, in clock ticks, all cores."""
    with open("/proc/stat", encoding="ascii") as stat:
        fields = stat.readline().split()
    if fields[0] != "cpu":
        raise ValueError("unexpected /proc/stat")
    return [int(value) for value in fields[1:9]]


def _load() -> float:
    try:
        return os.getloadavg()[0]
    except OSError:  # not available on this platform
        return 0.0


class Preparer:
    """`map`-like, in order, with at most `ahead` items in flight beyond the one consumed."""

    def __init__(self, workers: int, setup: Callable[[int], None] | None = None) -> None:
        """`setup(workers)` runs in each worker as it starts (it must be picklable)."""
        self._pool: ProcessPoolExecutor | None = None
        if workers > 0:
            self._pool = ProcessPoolExecutor(
                max_workers=workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker,
                initargs=(os.getpid(), setup, workers),
            )
        # batches submitted beyond the one being written: each is held in memory
        # once prepared (at 10M contacts a tickets batch is ~85 MB of input)
        self._ahead = workers

    def __enter__(self) -> Preparer:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            # on an error, do not wait for batches nobody will write
            self._pool.shutdown(wait=exc[0] is None, cancel_futures=True)

    def map_all(self, fn: Callable[[Path], str], items: list[Path]) -> list[str]:
        """`fn` over every item, all at once (small results: file hashes)."""
        if self._pool is None:
            return [fn(item) for item in items]
        chunk = max(1, len(items) // (8 * self._ahead))
        return list(self._pool.map(fn, items, chunksize=chunk))

    def ordered(self, fn: Callable[..., Any], calls: list[tuple[Any, ...] | None]) -> Iterator[Any]:
        """`fn(*args)` for each entry, results in order; `None` entries yield None."""
        if self._pool is None:
            for args in calls:
                yield None if args is None else fn(*args)
            return
        pending: deque[Future[Any] | None] = deque()
        upcoming = iter(calls)

        def submit_next() -> None:
            args = next(upcoming, _DONE)
            if args is _DONE:
                return
            assert self._pool is not None
            pending.append(None if args is None else self._pool.submit(fn, *args))

        for _ in range(self._ahead):
            submit_next()
        while pending:
            future = pending.popleft()
            result = None if future is None else future.result()
            submit_next()
            yield result


_DONE: tuple[Any, ...] = ("done",)


def _start_worker(parent: int, setup: Callable[[int], None] | None, workers: int) -> None:
    _watch_parent(parent)
    if setup is not None:
        setup(workers)


def _watch_parent(parent: int) -> None:
    """In a worker: exit as soon as the main process is gone (e.g. killed)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="serviq-parent-watch", daemon=True).start()
