"""Land validated rows in DuckDB, exactly once, with the load audit.

Each file is loaded in ONE DuckDB transaction: its good rows into
`raw.<entity>`, its bad rows into `audit.quarantine`, and one row into
`audit.load_audit`. A process killed at any point leaves either all of a
file or none of it; a file whose content hash is in the audit as loaded is
never loaded again. Before committing, the transaction checks that every
record read is either loaded or quarantined (`rows_read = rows_loaded +
rows_quarantined`), so the audit alone proves nothing was dropped.
`audit.ingest_runs` records each run (running / finished / interrupted).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import uuid
from dataclasses import dataclass, field

import duckdb
import numpy as np
import polars as pl

from pipelines.db import frame, frames
from pipelines.ingest.faults import pause
from pipelines.ingest.read import LINE
from pipelines.schema import ENTITIES, Entity

AUDIT_DDL = """
create schema if not exists raw;
create schema if not exists audit;
create table if not exists audit.load_audit (
    load_id varchar primary key,
    source varchar not null,
    entity varchar not null,
    file_path varchar not null,
    content_sha256 varchar not null,
    size_bytes bigint not null,
    rows_read bigint not null,
    rows_loaded bigint not null,
    rows_quarantined bigint not null,
    status varchar not null,            -- loaded | refused
    message varchar,
    unknown_columns varchar,
    started_at timestamptz not null,
    finished_at timestamptz not null
);
create table if not exists audit.quarantine (
    load_id varchar not null,
    entity varchar not null,
    file_path varchar not null,
    line bigint,
    field varchar,
    reason varchar not null,
    record_json varchar,               -- the row as read, PII already hashed
    quarantined_at timestamptz not null
);
create table if not exists audit.ingest_runs (
    run_id varchar not null,
    source varchar not null,
    landing varchar not null,
    pid bigint not null,
    started_at timestamptz not null,
    finished_at timestamptz,
    status varchar not null,            -- running | finished | interrupted | failed
    files_seen bigint,
    files_loaded bigint,
    files_skipped bigint,
    files_refused bigint,
    rows_loaded bigint,
    rows_quarantined bigint,
    message varchar
);
"""

# Columns added after the first release; `ensure_tables` adds them to older warehouses.
_AUDIT_ADDED = {"load_audit": {"run_id": "varchar"}}


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create the raw and audit tables, and add columns declared since they were made.

    A field added to `pipelines/schema.py` reaches an existing warehouse as
    a new nullable column, so old rows keep loading and new files carry it.
    """
    con.execute(AUDIT_DDL)
    for table, added in _AUDIT_ADDED.items():
        for column, kind in added.items():
            con.execute(f"alter table audit.{table} add column if not exists {column} {kind}")
    for ent in ENTITIES.values():
        con.execute(ent.duckdb_ddl("raw"))
    present = set(
        frame(
            con,
            "select table_name || '.' || column_name as name from information_schema.columns "
            "where table_catalog = current_database() and table_schema = 'raw'",
        )["name"].to_list()
    )
    for ent in ENTITIES.values():
        for f in ent.fields:
            if f"{ent.name}.{f.name}" not in present:
                con.execute(f"alter table raw.{ent.name} add column {f.name} {f.duckdb_type}")


def previous_outcome(
    con: duckdb.DuckDBPyConnection, entity: str, sha256: str
) -> tuple[str, str | None] | None:
    """(status, message) of an earlier load of the same content, if any."""
    rows = con.execute(
        "select status, message from audit.load_audit "
        "where entity = ? and content_sha256 = ? order by finished_at desc limit 1",
        [entity, sha256],
    ).fetchall()
    return (rows[0][0], rows[0][1]) if rows else None


def previous_outcomes(
    con: duckdb.DuckDBPyConnection,
) -> dict[tuple[str, str], tuple[str, str | None]]:
    """(entity, content sha256) -> (status, message) of its latest load, read once per run."""
    rows = con.execute(
        "select entity, content_sha256, status, message from audit.load_audit "
        "qualify row_number() over (partition by entity, content_sha256 "
        "order by finished_at desc) = 1"
    ).fetchall()
    return {(str(e), str(sha)): (str(status), message) for e, sha, status, message in rows}


@dataclass
class FileLoad:
    source: str
    entity: Entity
    file_path: str
    sha256: str
    size_bytes: int
    started_at: dt.datetime
    load_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    status: str = "loaded"
    message: str | None = None
    unknown_columns: list[str] = field(default_factory=list)
    run_id: str | None = None


class IngestError(RuntimeError):
    """Ingestion stopped; the message is one sentence naming the file."""


def _within_file_duplicates(
    good: pl.DataFrame, key: list[str]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Keep the first row of each key; later rows become quarantine rows."""
    if good.height == 0 or not good.select(pl.struct(key).is_duplicated().any()).item():
        return good, good.clear().select(
            pl.col(LINE),
            pl.lit(None, dtype=pl.String).alias("field"),
            pl.lit(None, dtype=pl.String).alias("reason"),
            *[pl.col(c) for c in good.columns if c != LINE],
        )
    ranked = good.with_columns(
        _first=pl.col(LINE).min().over(key), _n=pl.int_range(pl.len()).over(key)
    )
    dup = ranked.filter(pl.col("_n") > 0)
    keep = ranked.filter(pl.col("_n") == 0).drop("_first", "_n")
    label = "+".join(key)
    bad = dup.select(
        pl.col(LINE),
        pl.lit(key[0]).alias("field"),
        (
            pl.lit(f"duplicate key {label}: first seen on line ")
            + pl.col("_first").cast(pl.String)
            + pl.lit(" of this file")
        ).alias("reason"),
        *[pl.col(c) for c in good.columns if c != LINE],
    )
    return keep, bad


def _record_json(frame: pl.DataFrame, fields: list[str]) -> pl.Expr:
    present = [f for f in fields if f in frame.columns]
    if not present:
        return pl.lit(None, dtype=pl.String)
    return pl.struct([pl.col(f).cast(pl.String) for f in present]).struct.json_encode()


class KeyIndex:
    """The keys already in one raw table, as 64-bit hashes, for duplicate checks.

    Loaded once per ingest run from `raw.<entity>` and kept current as files
    commit (one writer holds the warehouse, so nothing else adds keys). A
    file's keys are looked up by binary search in sorted runs of hashes
    (merged like a binary counter), so a check costs O(file x log n)
    instead of a join against the whole table for every file. A hash hit is
    only a candidate: it is confirmed against the table before any row is
    refused, so a 64-bit collision can never quarantine a good row.
    """

    def __init__(
        self, con: duckdb.DuckDBPyConnection, entity: Entity, frame_rows: int = 1_000_000
    ) -> None:
        self._key = list(entity.key)
        self._runs: list[np.ndarray] = []
        cols = ", ".join(self._key)
        # streamed in frames of `frame_rows`: read as one frame, the calls'
        # 14.8M keys of a 30M-contact warehouse peaked at 809 MiB, now 493
        for existing in frames(con, f"select {cols} from raw.{entity.name}", rows=frame_rows):
            self.add(existing)

    def hashes(self, rows: pl.DataFrame) -> np.ndarray:
        return rows.select(pl.struct(self._key).hash(seed=0)).to_series().to_numpy()

    def candidates(self, rows: pl.DataFrame, hashes: np.ndarray | None = None) -> np.ndarray:
        """Boolean mask: rows whose key hash is already present (`hashes`: of `rows`)."""
        probe = self.hashes(rows) if hashes is None else hashes
        # sorted needles: each binary search starts from the last one's place,
        # so the runs (tens of MB at 10M contacts) are walked in order instead
        # of at random (60k probes in 6.5M keys: ~140 -> ~40 ms)
        order = np.argsort(probe, kind="stable")
        needles = probe[order]
        found = np.zeros(len(needles), dtype=bool)
        for run in self._runs:  # never empty: `add` keeps no empty run
            pos = np.searchsorted(run, needles)
            pos[pos == len(run)] = 0
            found |= run[pos] == needles
        hit = np.empty_like(found)
        hit[order] = found
        return hit

    def add(self, rows: pl.DataFrame, hashes: np.ndarray | None = None) -> None:
        if rows.height == 0:
            return
        run = np.sort(self.hashes(rows) if hashes is None else hashes)
        while self._runs and len(self._runs[-1]) <= 2 * len(run):
            run = np.sort(np.concatenate([self._runs.pop(), run]), kind="stable")
        self._runs.append(run)


def _already_loaded(
    con: duckdb.DuckDBPyConnection, ent: Entity, batch: pl.DataFrame, mask: np.ndarray
) -> pl.DataFrame:
    """Quarantine rows for the batch rows whose key the table already holds."""
    key = list(ent.key)
    label = "+".join(key)
    probe = batch.filter(pl.Series(mask)).select(*key, "_source_line")
    con.register("_probe", probe.to_arrow())
    try:
        key_join = " and ".join(f"p.{k} = r.{k}" for k in key)
        return frame(
            con,
            f"""
            select p._source_line as line, '{key[0]}' as field,
                   'duplicate key {label}: already loaded from ' || r._source_file
                       || ' line ' || r._source_line as reason,
                   null::varchar as record_json
            from _probe p join raw.{ent.name} r on {key_join}
            """,
        )
    finally:
        con.unregister("_probe")


def _quarantine_rows(
    bad: pl.DataFrame,
    dup_bad: pl.DataFrame | None,
    rejects: list[tuple[int, str]],
    fields: list[str],
) -> pl.DataFrame:
    parts = [
        part.select(
            pl.col(LINE).alias("line"),
            pl.col("field"),
            pl.col("reason"),
            _record_json(part, fields).alias("record_json"),
        )
        for part in (bad, dup_bad)
        if part is not None and part.height
    ]
    if rejects:
        parts.append(
            pl.DataFrame(
                {
                    "line": [n for n, _ in rejects],
                    "field": ["(row)"] * len(rejects),
                    "reason": [r for _, r in rejects],
                    "record_json": [None] * len(rejects),
                },
                schema=_QUARANTINE_SCHEMA,
            )
        )
    return pl.concat(parts) if parts else pl.DataFrame(schema=_QUARANTINE_SCHEMA)


_QUARANTINE_SCHEMA = {
    "line": pl.Int64,
    "field": pl.String,
    "reason": pl.String,
    "record_json": pl.String,
}


def write_file(
    con: duckdb.DuckDBPyConnection,
    load: FileLoad,
    good: pl.DataFrame,
    bad: pl.DataFrame,
    rejects: list[tuple[int, str]],
    keys: KeyIndex | None = None,
    unique_keys: bool = False,
) -> FileLoad:
    """One transaction: rows, quarantine and audit for one file.

    `keys` is the entity's KeyIndex for this run; without one it is loaded here.
    `unique_keys` says the caller already knows no key repeats within `good`.
    """
    ent = load.entity
    keys = keys if keys is not None else KeyIndex(con, ent)
    dup_bad: pl.DataFrame | None = None
    if not unique_keys:
        good, dup_bad = _within_file_duplicates(good, list(ent.key))
    now = dt.datetime.now(dt.UTC)
    quarantine = _quarantine_rows(bad, dup_bad, rejects, ent.field_names)
    cols = [*ent.field_names, "_source_file", "_source_line", "_load_id"]
    batch = (
        good.rename({LINE: "_source_line"})
        .with_columns(_source_file=pl.lit(load.file_path), _load_id=pl.lit(load.load_id))
        .select(cols)
    )

    con.execute("begin transaction")
    try:
        probe: np.ndarray | None = keys.hashes(batch)
        hit = keys.candidates(batch, probe)
        if hit.any():
            cross = _already_loaded(con, ent, batch, hit)
            if cross.height:
                refused = pl.Series(cross["line"]).implode()
                batch = batch.filter(~pl.col("_source_line").is_in(refused))
                quarantine = pl.concat([quarantine, cross])
                probe = None  # rows were taken out: hash the rest again
        con.register("_batch", batch.to_arrow())
        con.execute(f"insert into raw.{ent.name} ({', '.join(cols)}) select * from _batch")
        if quarantine.height:
            con.register("_quarantine", quarantine.to_arrow())
            con.execute(
                """
                insert into audit.quarantine
                select ?, ?, ?, line, field, reason, record_json, ?
                from _quarantine
                """,
                [load.load_id, ent.name, load.file_path, now],
            )
        load.rows_loaded = batch.height
        load.rows_quarantined = quarantine["line"].n_unique() if quarantine.height else 0
        if load.rows_loaded + load.rows_quarantined != load.rows_read:
            raise IngestError(
                f"{load.file_path}: {load.rows_read} records read but "
                f"{load.rows_loaded} loaded + {load.rows_quarantined} quarantined; nothing written."
            )
        record_audit(con, load)
        pause("before_commit", load.file_path)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    finally:
        for view in ("_batch", "_quarantine"):
            with contextlib.suppress(duckdb.Error):
                con.unregister(view)
    keys.add(batch, probe)
    return load


_AUDIT_COLUMNS = (
    "load_id, source, entity, file_path, content_sha256, size_bytes, rows_read, rows_loaded, "
    "rows_quarantined, status, message, unknown_columns, started_at, finished_at, run_id"
)


def record_audit(con: duckdb.DuckDBPyConnection, load: FileLoad) -> None:
    con.execute(
        f"insert into audit.load_audit ({_AUDIT_COLUMNS}) "
        "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            load.load_id,
            load.source,
            load.entity.name,
            load.file_path,
            load.sha256,
            load.size_bytes,
            load.rows_read,
            load.rows_loaded,
            load.rows_quarantined,
            load.status,
            load.message,
            ", ".join(load.unknown_columns) or None,
            load.started_at,
            dt.datetime.now(dt.UTC),
            load.run_id,
        ],
    )
