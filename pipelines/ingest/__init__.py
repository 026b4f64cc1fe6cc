"""Ingestion: read -> map -> protect PII -> validate -> quarantine -> load.

`ingest()` walks the files a source mapping names, skips those whose content
was already loaded, and loads every other file in its own transaction.
A refused file (empty, required column missing, not readable) is recorded in
the audit with one sentence, the other files still load, and the report's
`refusals` name it (the CLI then exits non-zero).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipelines.ingest.load import (
    FileLoad,
    ensure_tables,
    previous_outcome,
    record_audit,
    write_file,
)
from pipelines.ingest.pii import protect
from pipelines.ingest.read import FileRefused, read_file
from pipelines.ingest.validate import ColumnsRefused, to_canonical_text, validate
from pipelines.schema import entity as get_entity
from pipelines.sources.mapping import SourceMapping

Progress = Callable[[str], None]


class IngestError(RuntimeError):
    """One or more files were refused; the message names them."""


@dataclass
class IngestReport:
    loaded: list[FileLoad] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    refused: list[FileLoad] = field(default_factory=list)
    refused_before: list[str] = field(default_factory=list)  # same content refused earlier
    warnings: list[str] = field(default_factory=list)

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
        ensure_tables(con)
        for index, (entity_name, path) in enumerate(files, start=1):
            rel = str(path.relative_to(landing))
            sha = file_sha256(path)
            before = previous_outcome(con, entity_name, sha)
            if before is not None:
                status, message = before
                if status == "refused":
                    report.refused_before.append(f"{rel}: {message}")
                else:
                    report.skipped.append(rel)
                continue
            load = _load_one(con, mapping, entity_name, path, rel, sha, key)
            if load.status == "loaded":
                report.loaded.append(load)
                if load.unknown_columns:
                    report.warnings.append(
                        f"{rel}: ignored unknown column(s) {', '.join(load.unknown_columns)}"
                    )
            else:
                report.refused.append(load)
            say(
                f"[{index}/{len(files)}] {rel}: {load.status}, {load.rows_loaded} rows loaded, "
                f"{load.rows_quarantined} quarantined"
            )
    finally:
        con.close()
    return report


def _load_one(
    con: duckdb.DuckDBPyConnection,
    mapping: SourceMapping,
    entity_name: str,
    path: Path,
    rel: str,
    sha: str,
    key: bytes,
) -> FileLoad:
    ent = get_entity(entity_name)
    ent_map = mapping.entities[entity_name]
    load = FileLoad(
        source=mapping.source,
        entity=ent,
        file_path=rel,
        sha256=sha,
        size_bytes=path.stat().st_size,
        started_at=dt.datetime.now(dt.UTC),
    )
    try:
        result = read_file(path, ent_map)
        text, unknown = to_canonical_text(result.frame, result.columns, ent, ent_map)
    except (FileRefused, ColumnsRefused) as exc:
        load.status = "refused"
        load.message = str(exc)
        con.execute("begin transaction")
        record_audit(con, load)
        con.execute("commit")
        return load
    load.unknown_columns = unknown
    text = protect(text, ent, key)
    checked = validate(text, ent, ent_map, mapping.timezone_for(entity_name))
    return write_file(con, load, checked.good, checked.bad, result.rejects)
