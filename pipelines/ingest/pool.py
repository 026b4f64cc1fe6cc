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

Prepared frames do not travel through the result pipe. A worker writes each
large Polars frame as an uncompressed Arrow IPC file into the run's spill
folder (on the memory file system, /dev/shm, where there is one), and the
main process maps the file and reads the frame in place, without a copy
(see `_spill`). Pickling a frame serialised it in the worker, pushed the
bytes through the pipe and parsed them again in the writer: at 10M
contacts about 20 s of the writer's time, which is the critical path.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import pickle
import shutil
import tempfile
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from multiprocessing.reduction import ForkingPickler
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa

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

    def __init__(
        self,
        workers: int,
        setup: Callable[[int], None] | None = None,
        spill_bytes: int | None = None,
    ) -> None:
        """`setup(workers)` runs in each worker as it starts (it must be picklable).

        Frames of at least `spill_bytes` (default `SPILL_BYTES`) come back
        through the spill folder, smaller ones through the pipe.
        """
        self._pool: ProcessPoolExecutor | None = None
        self._spill: Path | None = None
        if workers > 0:
            self._spill = spill_folder()
            self._pool = ProcessPoolExecutor(
                max_workers=workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker,
                initargs=(
                    os.getpid(),
                    setup,
                    workers,
                    str(self._spill),
                    SPILL_BYTES if spill_bytes is None else spill_bytes,
                ),
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
        if self._spill is not None:  # frames prepared but never read
            shutil.rmtree(self._spill, ignore_errors=True)

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


def _start_worker(
    parent: int,
    setup: Callable[[int], None] | None,
    workers: int,
    spill: str,
    spill_bytes: int,
) -> None:
    _watch_parent(parent)
    _spill_frames_to(Path(spill), spill_bytes)
    if setup is not None:
        setup(workers)


# A frame smaller than this is pickled as usual: a file per frame costs a few
# system calls, which only pays for frames of some size.
SPILL_BYTES = 1 << 20
_SPILL_PREFIX = "serviq-ingest-"


def spill_folder() -> Path:
    """A new spill folder for this process's workers, on /dev/shm when it is there.

    Folders left by runs whose process is gone (killed: the `with` block
    never closed) are removed first, so memory in /dev/shm cannot pile up.
    """
    shm = Path("/dev/shm")
    base = shm if _roomy(shm) else Path(tempfile.gettempdir())
    for stale in base.glob(f"{_SPILL_PREFIX}*"):
        owner = stale.name.removeprefix(_SPILL_PREFIX).split("-", 1)[0]
        if owner.isdigit() and not _alive(int(owner)):
            shutil.rmtree(stale, ignore_errors=True)
    return Path(tempfile.mkdtemp(prefix=f"{_SPILL_PREFIX}{os.getpid()}-", dir=base))


# /dev/shm is used when it has this much room (containers often give it 64 MB);
# otherwise the temporary folder, where the page cache does about the same.
SHM_ROOM = 2 << 30


def _roomy(folder: Path) -> bool:
    try:
        stat = os.statvfs(folder)
    except OSError:
        return False
    return os.access(folder, os.W_OK) and stat.f_bavail * stat.f_frsize >= SHM_ROOM


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def _spill_frames_to(folder: Path, spill_bytes: int) -> None:
    """In a worker: frames in results are pickled as files in `folder` (see `_spill`)."""
    ForkingPickler.register(pl.DataFrame, lambda frame: _spill(frame, folder, spill_bytes))
    ForkingPickler.register(pl.Series, lambda series: _spill_series(series, folder, spill_bytes))


def _spill(frame: pl.DataFrame, folder: Path, spill_bytes: int) -> Any:
    """Pickle a frame as the path of an Arrow IPC file, or as Polars does when small."""
    path = _spilled(frame, folder) if frame.estimated_size() >= spill_bytes else None
    if path is None:
        return frame.__reduce_ex__(pickle.DEFAULT_PROTOCOL)
    return _frame_from_file, (path,)


def _spill_series(series: pl.Series, folder: Path, spill_bytes: int) -> Any:
    path = _spilled(series.to_frame(), folder) if series.estimated_size() >= spill_bytes else None
    if path is None:
        return series.__reduce_ex__(pickle.DEFAULT_PROTOCOL)
    return _series_from_file, (path,)


def _spilled(frame: pl.DataFrame, folder: Path) -> str | None:
    """The frame written as an Arrow IPC file in `folder`; None if it does not fit."""
    path = folder / f"{uuid.uuid4().hex}.arrow"
    try:
        frame.write_ipc(path, compression="uncompressed")
    except OSError:  # the folder is full: this frame goes through the pipe
        with contextlib.suppress(OSError):
            path.unlink()
        return None
    return str(path)


def _frame_from_file(path: str) -> pl.DataFrame:
    """In the main process: map the file, read the frame in place, remove the file.

    The mapping outlives the file's name, and the memory is handed back when
    the frame (and every frame sharing its buffers) is gone.
    """
    try:
        with pa.memory_map(path) as source:
            table = pa.ipc.open_file(source).read_all()
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
    frame = pl.from_arrow(table, rechunk=False)
    assert isinstance(frame, pl.DataFrame)
    return frame


def _series_from_file(path: str) -> pl.Series:
    return _frame_from_file(path).to_series()


def _watch_parent(parent: int) -> None:
    """In a worker: exit as soon as the main process is gone (e.g. killed)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="serviq-parent-watch", daemon=True).start()
