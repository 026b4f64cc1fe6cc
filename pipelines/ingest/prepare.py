"""Prepare a batch of landing files for loading: everything that needs no warehouse.

Reading, mapping, hashing identifiers, finding what free text must have
masked, validating and splitting the batch back into its files depend only
on the files, the mapping and the key. So `prepare_batch` can run in a
worker process (see `pipelines/ingest/pool.py`) while the main process, the
warehouse's only writer, loads the batches before it.

What does depend on earlier files stays with the writer: which words in
free text are customer ids loaded before (`TextMasks.replacements`), and
which keys are already loaded (`KeyIndex`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from pipelines.ingest.load import FileLoad
from pipelines.ingest.pii import (
    TextMasks,
    apply_masks,
    customer_hashes,
    hash_and_plan,
    mask_columns,
    mask_text,
)
from pipelines.ingest.read import LINE, FileRefused, read_file
from pipelines.ingest.validate import ColumnsRefused, to_canonical_text, validate
from pipelines.schema import Entity
from pipelines.schema import entity as get_entity
from pipelines.sources.mapping import SourceMapping

# A row's file within a batch rides in the high bits of its line number.
_FILE_BASE = 1 << 40


@dataclass(frozen=True)
class FileTask:
    """One landing file to prepare: `index` is its place in the run (1-based)."""

    index: int
    entity: str
    path: Path
    rel: str
    sha256: str


@dataclass
class PreparedFile:
    """A file read and validated (or refused: `load.status == 'refused'`, no frames)."""

    load: FileLoad
    index: int
    position: int = -1  # among the batch's files that were not refused
    rejects: list[tuple[int, str]] = field(default_factory=list)
    good: pl.DataFrame | None = None
    bad: pl.DataFrame | None = None

    @property
    def refused(self) -> bool:
        return self.load.status == "refused"


@dataclass
class PreparedBatch:
    """The files of one batch, in landing order, and what the writer still resolves."""

    files: list[PreparedFile]
    masks: dict[str, TextMasks] = field(default_factory=dict)  # free-text column -> masks
    # free-text column -> `_line` (file-tagged) and the text before masking, for
    # rows that hold a word the writer may still find to be a customer id
    originals: dict[str, pl.DataFrame] = field(default_factory=dict)
    good_customers: pl.Series | None = None  # customer ids of the good rows
    unique_keys: bool = True  # no key repeats within any file of the batch


def prepare_batch(
    mapping: SourceMapping, tasks: list[FileTask], key: bytes, run_id: str
) -> PreparedBatch:
    """Read, map, hash and validate the files of one entity together.

    Polars' fixed cost per call is paid once per batch instead of once per
    file; rows carry their file in the high bits of `_line` and are split
    back into files at the end.
    """
    files = [_read_one(mapping, task, key, run_id) for task in tasks]
    texts = [(f, text) for f, text in files if text is not None]
    batch = PreparedBatch(files=[f for f, _ in files])
    if not texts:
        return batch
    entity_name = tasks[0].entity
    ent = get_entity(entity_name)
    tagged = pl.concat(
        [
            text.with_columns(pl.col(LINE) + position * _FILE_BASE)
            for position, (_, text) in enumerate(texts)
        ]
    )
    tagged, batch.masks = hash_and_plan(tagged, ent, key)
    checked = validate(
        tagged, ent, mapping.entities[entity_name], mapping.timezone_for(entity_name)
    )
    # values of non-PII fields are quoted in reasons and records: mask numbers in them
    plain = [f.name for f in ent.fields if f.pii is None] + ["reason"]
    bad_all = mask_columns(checked.bad, plain, key)
    good = checked.good
    batch.good_customers = customer_hashes(good, ent)
    batch.unique_keys = not _repeats_within_a_file(good, ent)
    # mask what is known now; words the writer finds in its known set later are
    # masked again from the original text (free text has no validation rule)
    for column, masks in batch.masks.items():
        if masks.words:
            batch.originals[column] = tagged.select(LINE, column).filter(
                pl.col(column).str.contains(r"[\d@]")
            )
        found = masks.replacements()
        good, bad_all = apply_masks(good, column, found), apply_masks(bad_all, column, found)
    good_parts = _split_by_file(good, len(texts))
    bad_parts = _split_by_file(bad_all, len(texts))
    for position, (prepared, _) in enumerate(texts):
        prepared.good, prepared.bad = good_parts[position], bad_parts[position]
        prepared.position = position
    return batch


def remask(
    batch: PreparedBatch, column: str, found: dict[str, str], prepared: PreparedFile
) -> None:
    """Mask a file's free text again from the original with every replacement `found`."""
    original = batch.originals[column]
    mine = original.filter(pl.col(LINE) // _FILE_BASE == prepared.position).with_columns(
        pl.col(LINE) % _FILE_BASE
    )
    if mine.is_empty():
        return
    masked = apply_masks(mine, column, found).rename({column: "_remasked"})
    for name in ("good", "bad"):
        frame = getattr(prepared, name)
        joined = frame.join(masked, on=LINE, how="left", maintain_order="left")
        setattr(
            prepared,
            name,
            joined.with_columns(pl.coalesce("_remasked", column).alias(column)).drop("_remasked"),
        )


def _read_one(
    mapping: SourceMapping, task: FileTask, key: bytes, run_id: str
) -> tuple[PreparedFile, pl.DataFrame | None]:
    """Read and map one file; a refused file comes back with its one sentence."""
    ent = get_entity(task.entity)
    ent_map = mapping.entities[task.entity]
    load = FileLoad(
        source=mapping.source,
        entity=ent,
        file_path=task.rel,
        sha256=task.sha256,
        size_bytes=task.path.stat().st_size,
        started_at=dt.datetime.now(dt.UTC),
        run_id=run_id,
    )
    prepared = PreparedFile(load=load, index=task.index)
    try:
        result = read_file(task.path, ent_map)
        text, unknown = to_canonical_text(result.frame, result.columns, ent, ent_map)
    except (FileRefused, ColumnsRefused) as exc:
        load.status = "refused"
        load.message = mask_text(str(exc), key)
        return prepared, None
    # a header may hold data (a file exported without one): never echo it in clear
    load.unknown_columns = [mask_text(c, key) for c in unknown]
    load.rows_read = result.frame.height + len(result.rejects)
    prepared.rejects = result.rejects
    return prepared, text


def _repeats_within_a_file(good: pl.DataFrame, ent: Entity) -> bool:
    """Whether some key occurs twice within one file of the batch."""
    file_and_key = pl.struct((pl.col(LINE) // _FILE_BASE).alias("_file"), *ent.key)
    return bool(good.select(file_and_key.is_duplicated().any()).item())


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
