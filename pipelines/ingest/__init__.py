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

from pipelines.db import cap_memory, scalar
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
from pipelines.ingest.pii import customer_hashes, mask_columns, mask_text, protect
from pipelines.ingest.rawzone import configured_root, write_loaded_file
from pipelines.ingest.read import LINE, FileRefused, read_file
from pipelines.ingest.validate import ColumnsRefused, to_canonical_text, validate
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
    """Checkpoint once per batch instead of after nearly every file.

    Every commit is durable in the write-ahead log either way. With DuckDB's
    default 16 MiB threshold a large file's commit checkpoints at once, and a
    table's last, partly filled row group is compressed again for every
    file; `_load_files` checkpoints after each batch instead, so the log
    holds at most about one batch (measured on 1M contacts: DuckDB's share
    of the load about 9.5 s -> 6 s CPU).
    """
    con.execute(f"set checkpoint_threshold = '{CHECKPOINT_THRESHOLD}'")


# Safety net only: `_load_files` checkpoints after every batch.
CHECKPOINT_THRESHOLD = "1GB"


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
# A row's file within a batch rides in the high bits of its line number.
_FILE_BASE = 1 << 40


@dataclass
class _Pending:
    """A file read and mapped, waiting for its batch to be validated and written."""

    load: FileLoad
    text: pl.DataFrame
    rejects: list[tuple[int, str]]
    index: int


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
    for batch in _batches(files):
        entity_name = batch[0][1][0]
        pending: list[_Pending] = []
        for index, (entity_name, path) in batch:
            rel = str(path.relative_to(landing))
            sha = file_sha256(path)
            before = outcomes.get((entity_name, sha))
            if before is not None:
                pause("file_start", rel)  # a skipped file starts (and ends) here
                status, message = before
                if status == "refused":
                    report.refused_before.append(f"{rel}: {message}")
                else:
                    report.skipped.append(rel)
                continue
            prepared = _prepare(con, mapping, entity_name, path, rel, sha, key, report.run_id)
            # the same content twice in one landing folder loads once
            outcomes[(entity_name, sha)] = (
                ("refused", prepared.message)
                if isinstance(prepared, FileLoad)
                else ("loaded", None)
            )
            if isinstance(prepared, FileLoad):  # refused, already recorded
                report.refused.append(prepared)
                say(f"[{index}/{total}] {rel}: refused")
                continue
            prepared.index = index
            pending.append(prepared)
        if pending:
            if entity_name not in keys:
                keys[entity_name] = KeyIndex(con, get_entity(entity_name))
            _write_batch(
                con,
                mapping,
                entity_name,
                pending,
                key,
                known,
                keys[entity_name],
                report,
                say,
                total,
            )


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


def _prepare(
    con: duckdb.DuckDBPyConnection,
    mapping: SourceMapping,
    entity_name: str,
    path: Path,
    rel: str,
    sha: str,
    key: bytes,
    run_id: str,
) -> _Pending | FileLoad:
    """Read and map one file; a refused file is recorded at once and returned."""
    ent = get_entity(entity_name)
    ent_map = mapping.entities[entity_name]
    load = FileLoad(
        source=mapping.source,
        entity=ent,
        file_path=rel,
        sha256=sha,
        size_bytes=path.stat().st_size,
        started_at=dt.datetime.now(dt.UTC),
        run_id=run_id,
    )
    try:
        result = read_file(path, ent_map)
        text, unknown = to_canonical_text(result.frame, result.columns, ent, ent_map)
    except (FileRefused, ColumnsRefused) as exc:
        load.status = "refused"
        load.message = mask_text(str(exc), key)
        con.execute("begin transaction")
        record_audit(con, load)
        con.execute("commit")
        return load
    # a header may hold data (a file exported without one): never echo it in clear
    load.unknown_columns = [mask_text(c, key) for c in unknown]
    load.rows_read = result.frame.height + len(result.rejects)
    return _Pending(load=load, text=text, rejects=result.rejects, index=0)


def _write_batch(
    con: duckdb.DuckDBPyConnection,
    mapping: SourceMapping,
    entity_name: str,
    pending: list[_Pending],
    key: bytes,
    known: _KnownCustomers,
    keys: KeyIndex,
    report: IngestReport,
    say: Progress,
    total: int,
) -> None:
    """Hash and validate the batch in one pass, then write file by file."""
    ent = get_entity(entity_name)
    ent_map = mapping.entities[entity_name]
    tagged = pl.concat(
        [
            item.text.with_columns(pl.col(LINE) + position * _FILE_BASE)
            for position, item in enumerate(pending)
        ]
    )
    tagged = protect(tagged, ent, key, known.get() if _has_free_text(ent) else None)
    checked = validate(tagged, ent, ent_map, mapping.timezone_for(entity_name))
    # values of non-PII fields are quoted in reasons and records: mask numbers in them
    plain = [f.name for f in ent.fields if f.pii is None] + ["reason"]
    bad_all = mask_columns(checked.bad, plain, key)
    # the batch's customers are known to the next batches' free-text masking
    # (this batch's own free text already saw them: protect() adds them)
    known.add(checked.good, ent)
    raw_zone = configured_root()
    good_parts = _split_by_file(checked.good, len(pending))
    bad_parts = _split_by_file(bad_all, len(pending))
    # one check for the whole batch instead of one per file (the common case: none)
    unique_keys = not _repeats_within_a_file(checked.good, ent)
    with _single_threaded(con):
        _write_files(
            con, pending, good_parts, bad_parts, keys, unique_keys, raw_zone, report, say, total
        )
        con.execute("checkpoint")


def _repeats_within_a_file(good: pl.DataFrame, ent: Entity) -> bool:
    """Whether some key occurs twice within one file of the batch."""
    file_and_key = pl.struct((pl.col(LINE) // _FILE_BASE).alias("_file"), *ent.key)
    return bool(good.select(file_and_key.is_duplicated().any()).item())


def _write_files(
    con: duckdb.DuckDBPyConnection,
    pending: list[_Pending],
    good_parts: list[pl.DataFrame],
    bad_parts: list[pl.DataFrame],
    keys: KeyIndex,
    unique_keys: bool,
    raw_zone: Path | None,
    report: IngestReport,
    say: Progress,
    total: int,
) -> None:
    """Each file of the batch in its own transaction, in landing order."""
    for position, item in enumerate(pending):
        load = item.load
        pause("file_start", load.file_path)
        loaded = write_file(
            con, load, good_parts[position], bad_parts[position], item.rejects, keys, unique_keys
        )
        if raw_zone is not None:  # one more sink of the same frames: Parquet for Spark
            write_loaded_file(con, raw_zone, loaded, good_parts[position])
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


def _split_by_file(frame: pl.DataFrame, count: int) -> list[pl.DataFrame]:
    """Undo the file tag in the line numbers: one frame per file of the batch."""
    keyed = frame.with_columns(
        (pl.col(LINE) // _FILE_BASE).alias("_file"), pl.col(LINE) % _FILE_BASE
    )
    parts = {
        int(k[0]) if isinstance(k, tuple) else int(k): part.drop("_file")
        for k, part in keyed.partition_by("_file", as_dict=True, maintain_order=True).items()
    }
    empty = keyed.clear().drop("_file")
    return [parts.get(i, empty) for i in range(count)]


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
        self._hashes: pl.Series | None = None

    def get(self) -> pl.Series:
        if self._hashes is None:
            selects = [
                f"select {f.name} as digest from raw.{ent.name} where {f.name} is not null"
                for ent in ENTITIES.values()
                for f in ent.pii_fields
                if f.pii == "customer_id"
            ]
            sql = " union ".join(selects) if selects else "select null::varchar as digest limit 0"
            self._hashes = query(self._con, sql)["digest"].cast(pl.String)
        return self._hashes

    def add(self, frame: pl.DataFrame, entity: Entity) -> None:
        own = customer_hashes(frame, entity)
        if not own.is_empty():
            self._hashes = pl.concat([self.get(), own]).unique()


def _has_free_text(ent: Entity) -> bool:
    return any(f.pii == "free_text" for f in ent.fields)
