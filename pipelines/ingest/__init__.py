"""Ingestion: read -> map -> protect PII -> validate -> quarantine -> load.

`ingest()` walks the files a source mapping names, skips those whose content
was already loaded, and loads every other file in its own transaction.
A refused file (empty, required column missing, not readable) is recorded in
the audit with one sentence, the other files still load, and the report's
`refusals` name it (the CLI then exits non-zero).

Each run is recorded in `audit.ingest_runs` as `running` when it starts and
`finished` when it ends (a run that loaded nothing new leaves no row, so
re-ingesting an unchanged folder changes nothing); a run found still
`running` by the next one (the warehouse lock proves its process is gone) is
marked `interrupted`, and the files it had not committed are loaded by the
new run.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl

from pipelines.db import cap_memory, frames, scalar
from pipelines.db import frame as query
from pipelines.ingest.faults import pause
from pipelines.ingest.load import (
    FileLoad,
    IngestError,
    KeyIndex,
    ensure_tables,
    previous_outcomes,
    record_audit,
    write_file,
)
from pipelines.ingest.pii import KnownCustomers, mask_text, share_memo
from pipelines.ingest.pool import Preparer, default_workers
from pipelines.ingest.prepare import (
    FileTask,
    PreparedBatch,
    PreparedFile,
    prepare_batch,
    remask,
)
from pipelines.ingest.rawzone import configured_root, write_loaded_file
from pipelines.schema import ENTITIES, Entity
from pipelines.schema import entity as get_entity
from pipelines.sources.mapping import SourceMapping

Progress = Callable[[str], None]


@dataclass
class IngestReport:
    loaded: list[FileLoad] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    refused: list[FileLoad] = field(default_factory=list)
    refused_before: list[str] = field(default_factory=list)  # same content refused earlier
    warnings: list[str] = field(default_factory=list)
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    interrupted_runs: list[str] = field(default_factory=list)  # earlier runs killed mid-way

    @property
    def rows_loaded(self) -> int:
        return sum(f.rows_loaded for f in self.loaded)

    @property
    def refusals(self) -> list[str]:
        """One sentence per refused file, this run's and earlier runs'."""
        return [f"{f.file_path}: {f.message}" for f in self.refused] + self.refused_before

    @property
    def rows_quarantined(self) -> int:
        return sum(f.rows_quarantined for f in self.loaded)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def discover(landing: Path, mapping: SourceMapping) -> list[tuple[str, Path]]:
    """(entity, path) for every file the mapping names, in a stable order."""
    found: list[tuple[str, Path]] = []
    for name, ent_map in mapping.entities.items():
        for path in sorted(landing.glob(ent_map.files)):
            if path.is_file() and not path.name.startswith("."):
                found.append((name, path))
    return found


def ingest(
    warehouse: Path,
    landing: Path,
    mapping: SourceMapping,
    key: bytes,
    progress: Progress | None = None,
) -> IngestReport:
    say = progress or (lambda _msg: None)
    report = IngestReport()
    files = discover(landing, mapping)
    if not files:
        raise IngestError(f"no landing files under {landing} match source {mapping.source}.")
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(warehouse))
    try:
        cap_memory(con)  # SERVIQ_DUCKDB_MEMORY_LIMIT, as for dbt, checks and publish
        _tune_for_loading(con)
        ensure_tables(con)
        report.interrupted_runs = _close_interrupted_runs(con, report.run_id)
        for run in report.interrupted_runs:
            report.warnings.append(
                f"ingest run {run} stopped before finishing; the files it committed are kept "
                "and the rest is loaded now."
            )
        _start_run(con, report, mapping, landing, len(files))
        try:
            _load_files(con, files, landing, mapping, key, report, say)
        except Exception as exc:
            _fail_run(con, report, mask_text(f"{type(exc).__name__}: {exc}", key))
            raise
        _finish_run(con, report)
    finally:
        con.close()
    return report


def _tune_for_loading(con: duckdb.DuckDBPyConnection) -> None:
    """Checkpoint when the write-ahead log holds about 64 MB, not after nearly every file.

    Every commit is durable in the write-ahead log either way. With DuckDB's
    default 16 MiB threshold a large file's commit checkpoints at once, and a
    table's last, partly filled row group is compressed again for every
    file (session 3 then checkpointed after each batch: 1M contacts, DuckDB's
    share about 9.5 s -> 6 s CPU). Each checkpoint still rewrites those
    partial row groups and syncs the file, so fewer is cheaper: twelve
    one-file batches of calls and tickets cost 5.4 s CPU checkpointed after
    each and 3.4 to 3.8 s with a 64 or 256 MB threshold (10M contacts,
    inline: 326 CPU seconds at 64 MB, 336 at 256 MB, peak RSS 3.75 and 3.84
    GiB). The log is checkpointed once more when the load ends.

    Checkpoints while loading do not vacuum (`max_vacuum_tasks = 0`). A
    file of more than one row group (122,880 rows) is written to disk as it
    is inserted, compressed, in whole row groups, and its last, partial row
    group stays apart. DuckDB's vacuum merged those partial row groups at
    every checkpoint, decompressing and rewriting whole row groups again
    each time. The run's last checkpoint merges them once (`_compact`).
    At 10M contacts (13.5M rows, two workers) the ingest without any vacuum
    went from 142 to 121 s; with the one vacuum at the end it is about 10 s
    more than that.
    """
    con.execute(f"set checkpoint_threshold = '{CHECKPOINT_THRESHOLD}'")
    con.execute("set max_vacuum_tasks = 0")


CHECKPOINT_THRESHOLD = "64MB"


@contextlib.contextmanager
def _single_threaded(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """DuckDB on one thread while files are appended and checkpointed.

    A file's insert is too small to gain from a second thread: on 1M
    contacts one thread spent about 1.5 s less CPU on the writes and was no
    slower. The queries that read whole tables (key index, known customers)
    keep every thread.
    """
    threads = scalar(con, "select current_setting('threads')")
    con.execute("set threads = 1")
    try:
        yield
    finally:
        con.execute(f"set threads = {int(threads)}")


# Files of one entity are prepared (read, mapped, hashed, validated) together
# in batches of at most this many input bytes: Polars' per-call overhead is
# paid once per batch instead of once per file. Each file is still written in
# its own transaction. 64 MiB already amortises that overhead over hundreds of
# small files; on 1M contacts it took peak RSS from 1.2 GB (256 MiB) to
# 0.8 GB at the same speed.
BATCH_BYTES = 64 * 1024 * 1024
# Inputs smaller than this are prepared in the main process (see pool.py).
POOL_BYTES = 2 * BATCH_BYTES

# One landing file's place in a batch: load it, or skip it (same content as
# a file loaded or refused before, by an earlier run or earlier in this one).
_Step = tuple[str, FileTask]


def _load_files(
    con: duckdb.DuckDBPyConnection,
    files: list[tuple[str, Path]],
    landing: Path,
    mapping: SourceMapping,
    key: bytes,
    report: IngestReport,
    say: Progress,
) -> None:
    known = _KnownCustomers(con)
    outcomes = previous_outcomes(con)
    keys: dict[str, KeyIndex] = {}
    total = len(files)
    batches = _batches(files)
    workers = default_workers(sum(path.stat().st_size for _, path in files), POOL_BYTES)
    # each worker keeps its share of the digest memo's bound (memory)
    with Preparer(workers, share_memo) as preparer:
        shas = preparer.map_all(file_sha256, [path for _, path in files])
        plans = _plan(batches, shas, set(outcomes), landing)
        calls = [
            (mapping, tasks, key, report.run_id) if tasks else None
            for tasks in ([task for step, task in plan if step == "load"] for plan in plans)
        ]
        for plan, prepared in zip(plans, preparer.ordered(prepare_batch, calls), strict=True):
            pending = _take_outcomes(con, plan, prepared, outcomes, report, say, total)
            if pending:
                entity_name = plan[0][1].entity
                if entity_name not in keys:
                    keys[entity_name] = KeyIndex(con, get_entity(entity_name))
                assert prepared is not None
                _write_batch(
                    con,
                    entity_name,
                    pending,
                    prepared,
                    known,
                    keys[entity_name],
                    report,
                    say,
                    total,
                )
    _compact(con)


def _compact(con: duckdb.DuckDBPyConnection) -> None:
    """The run's last checkpoint, with vacuum: partial row groups are merged once.

    Loading checkpoints do not vacuum (`_tune_for_loading`). Left unmerged,
    the partial row groups are merged by the next checkpoint of any later
    writer, even one that never touches the raw tables: the quality check
    then took 36 s instead of 21 on 10M contacts. Merging them once here
    keeps that cost in the ingest, where it belongs, and leaves the
    warehouse compact. On every thread (the workers are done): 10M
    contacts 117 s against 128 s on one thread, 104 s with no final vacuum.
    """
    con.execute("reset max_vacuum_tasks")
    con.execute("checkpoint")


def _plan(
    batches: list[list[tuple[int, tuple[str, Path]]]],
    shas: list[str],
    loaded_before: set[tuple[str, str]],
    landing: Path,
) -> list[list[_Step]]:
    """Each batch's files in order, each to load or to skip (its content seen before)."""
    seen = set(loaded_before)
    plans: list[list[_Step]] = []
    for batch in batches:
        plan: list[_Step] = []
        for index, (entity_name, path) in batch:
            task = FileTask(
                index, entity_name, path, str(path.relative_to(landing)), shas[index - 1]
            )
            # the same content twice in one landing folder loads once
            plan.append(("skip" if (entity_name, task.sha256) in seen else "load", task))
            seen.add((entity_name, task.sha256))
        plans.append(plan)
    return plans


def _take_outcomes(
    con: duckdb.DuckDBPyConnection,
    plan: list[_Step],
    prepared: PreparedBatch | None,
    outcomes: dict[tuple[str, str], tuple[str, str | None]],
    report: IngestReport,
    say: Progress,
    total: int,
) -> list[PreparedFile]:
    """Report skipped files, record refused ones; the files left to write, in order."""
    results = iter(prepared.files if prepared is not None else [])
    pending: list[PreparedFile] = []
    for step, task in plan:
        if step == "skip":
            pause("file_start", task.rel)  # a skipped file starts (and ends) here
            status, message = outcomes[(task.entity, task.sha256)]
            if status == "refused":
                report.refused_before.append(f"{task.rel}: {message}")
            else:
                report.skipped.append(task.rel)
            continue
        done = next(results)
        outcomes[(task.entity, task.sha256)] = (
            ("refused", done.load.message) if done.refused else ("loaded", None)
        )
        if done.refused:  # recorded at once, in its own transaction
            con.execute("begin transaction")
            record_audit(con, done.load)
            con.execute("commit")
            report.refused.append(done.load)
            say(f"[{task.index}/{total}] {task.rel}: refused")
            continue
        pending.append(done)
    return pending


def _batches(
    files: list[tuple[str, Path]],
) -> list[list[tuple[int, tuple[str, Path]]]]:
    """Consecutive files of the same entity, up to BATCH_BYTES each."""
    batches: list[list[tuple[int, tuple[str, Path]]]] = []
    size = 0
    for index, item in enumerate(files, start=1):
        bytes_ = item[1].stat().st_size
        if not batches or batches[-1][-1][1][0] != item[0] or size + bytes_ > BATCH_BYTES:
            batches.append([])
            size = 0
        batches[-1].append((index, item))
        size += bytes_
    return batches


def _write_batch(
    con: duckdb.DuckDBPyConnection,
    entity_name: str,
    pending: list[PreparedFile],
    prepared: PreparedBatch,
    known: _KnownCustomers,
    keys: KeyIndex,
    report: IngestReport,
    say: Progress,
    total: int,
) -> None:
    """Finish the batch's free-text masks, then write file by file."""
    ent = get_entity(entity_name)
    known_set = known.get()
    # words of free text that are customer ids loaded before this batch (rare):
    # mask those columns again from the original text with every replacement
    for column, masks in prepared.masks.items():
        if masks.known_hits(known_set):
            found = masks.replacements(known_set)
            for item in pending:
                remask(prepared, column, found, item)
    # the batch's customers are known to the next batches' free-text masking
    if prepared.good_customers is not None:
        known_set.add(prepared.good_customers)
    raw_zone = configured_root()
    with _single_threaded(con):
        _write_files(con, ent, pending, keys, prepared.unique_keys, raw_zone, report, say, total)


def _write_files(
    con: duckdb.DuckDBPyConnection,
    ent: Entity,
    pending: list[PreparedFile],
    keys: KeyIndex,
    unique_keys: bool,
    raw_zone: Path | None,
    report: IngestReport,
    say: Progress,
    total: int,
) -> None:
    """Each file of the batch in its own transaction, in landing order."""
    for item in pending:
        load = item.load
        assert item.good is not None and item.bad is not None
        pause("file_start", load.file_path)
        loaded = write_file(con, load, item.good, item.bad, item.rejects, keys, unique_keys)
        if raw_zone is not None:  # one more sink of the same frames: Parquet for Spark
            write_loaded_file(con, raw_zone, loaded, item.good)
        report.loaded.append(loaded)
        if loaded.unknown_columns:
            report.warnings.append(
                f"{load.file_path}: ignored unknown column(s) {', '.join(loaded.unknown_columns)}"
            )
        pause("after_commit", load.file_path)
        say(
            f"[{item.index}/{total}] {load.file_path}: {loaded.status}, "
            f"{loaded.rows_loaded} rows loaded, {loaded.rows_quarantined} quarantined"
        )
        item.good = item.bad = None  # free the memory as soon as the file is written


def _fail_run(con: duckdb.DuckDBPyConnection, report: IngestReport, message: str) -> None:
    """An error stopped the run: say so in its audit row (files committed are kept)."""
    with contextlib.suppress(duckdb.Error):
        con.execute("rollback")
    with contextlib.suppress(duckdb.Error):
        con.execute(
            "update audit.ingest_runs set status = 'failed', finished_at = ?, message = ? "
            "where run_id = ?",
            [dt.datetime.now(dt.UTC), message[:1000], report.run_id],
        )


def _close_interrupted_runs(con: duckdb.DuckDBPyConnection, run_id: str) -> list[str]:
    """Runs still marked running: their process is gone (we hold the warehouse lock)."""
    stale = query(
        con, "select run_id from audit.ingest_runs where status = 'running' order by started_at"
    )["run_id"].to_list()
    if stale:
        con.execute(
            "update audit.ingest_runs set status = 'interrupted', "
            "message = 'the process stopped before finishing; files it committed are kept; '"
            " || 'run ' || ? || ' loaded the rest' where status = 'running'",
            [run_id],
        )
    return [str(r) for r in stale]


def _start_run(
    con: duckdb.DuckDBPyConnection,
    report: IngestReport,
    mapping: SourceMapping,
    landing: Path,
    files_seen: int,
) -> None:
    con.execute(
        "insert into audit.ingest_runs (run_id, source, landing, pid, started_at, status, "
        "files_seen) values (?, ?, ?, ?, ?, 'running', ?)",
        [
            report.run_id,
            mapping.source,
            str(landing),
            os.getpid(),
            dt.datetime.now(dt.UTC),
            files_seen,
        ],
    )


def _finish_run(con: duckdb.DuckDBPyConnection, report: IngestReport) -> None:
    """Close the run's audit row; a run that changed nothing leaves no trace."""
    if not report.loaded and not report.refused and not report.interrupted_runs:
        con.execute("delete from audit.ingest_runs where run_id = ?", [report.run_id])
        return
    con.execute(
        """
        update audit.ingest_runs set status = 'finished', finished_at = ?, files_loaded = ?,
            files_skipped = ?, files_refused = ?, rows_loaded = ?, rows_quarantined = ?
        where run_id = ?
        """,
        [
            dt.datetime.now(dt.UTC),
            len(report.loaded),
            len(report.skipped),
            len(report.refused) + len(report.refused_before),
            report.rows_loaded,
            report.rows_quarantined,
            report.run_id,
        ],
    )


class _KnownCustomers:
    """Keyed hashes of the customer ids loaded so far, read from the warehouse once.

    Lets free text be searched for customer ids, whose shape is not known.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self._con = con
        self._known: KnownCustomers | None = None

    def get(self) -> KnownCustomers:
        if self._known is None:
            selects = [
                f"select {f.name} as digest from raw.{ent.name} where {f.name} is not null"
                for ent in ENTITIES.values()
                for f in ent.pii_fields
                if f.pii == "customer_id"
            ]
            sql = " union ".join(selects) if selects else "select null::varchar as digest limit 0"
            self._known = KnownCustomers()
            for part in frames(self._con, sql):  # streamed, as the key index
                self._known.add(part["digest"].cast(pl.String))
        return self._known
