"""Landing files exactly as `pipelines/sources/builtin/serviq_generator.yml` reads them.

File names, formats, encodings, timestamp formats, back-office Chinese
headers and codes all come from that mapping (one source of truth); field
lists come from `pipelines.schema`. CSV: canonical headers (back office:
the mapped Chinese ones), empty = null, booleans 1/0, local timestamps with
no offset. JSON Lines: canonical keys, JSON null and booleans, ISO-8601
timestamps with the zone offset. One file per local day of the entity's
event time; each file is written to a temporary name and renamed.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl

from pipelines.schema import ENTITIES, Kind
from pipelines.sources.mapping import EntityMapping, SourceMapping


def ts(col: str, base_epoch: int) -> pl.Expr:
    """Seconds since the first local midnight (-1 = null) -> naive local Datetime."""
    c = pl.col(col)
    return (
        pl.when(c >= 0)
        .then(pl.from_epoch(c + base_epoch, time_unit="s"))
        .otherwise(None)
        .alias(col)
    )


def entity_path(out_dir: Path, em: EntityMapping, day: str | None = None) -> Path:
    pattern = em.files
    return out_dir / (pattern.replace("*", day) if day is not None else pattern)


def atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def _canonical(df: pl.DataFrame, entity: str) -> pl.DataFrame:
    """Exactly the entity's fields, in schema order, with schema-compatible types."""
    ent = ENTITIES[entity]
    missing = [f for f in ent.field_names if f not in df.columns]
    if missing:
        raise ValueError(f"generator bug: {entity} frame lacks {missing}")
    return df.select(ent.field_names)


def _prepare_csv(df: pl.DataFrame, entity: str) -> pl.DataFrame:
    ent = ENTITIES[entity]
    return df.with_columns(
        [pl.col(f.name).cast(pl.Int8) for f in ent.fields if f.kind is Kind.BOOLEAN]
    )


def _csv(df: pl.DataFrame, em: EntityMapping, file: Path | None = None) -> str | None:
    """Write CSV the way the mapping reads it (to `file`, or return the text)."""
    options = {
        "separator": em.separator,
        "null_value": "",
        "datetime_format": em.timestamp_format,
        "date_format": em.date_format,
        "line_terminator": "\n",
    }
    if file is None:
        return df.write_csv(None, **options)  # type: ignore[call-overload, no-any-return]
    df.write_csv(file, **options)  # type: ignore[call-overload]
    return None


def _fixed_offset(tz: str, frame: pl.DataFrame, columns: list[str]) -> str | None:
    """'+08:00' when the zone keeps one UTC offset over the data's years, else None."""
    years: set[int] = set()
    for c in columns:
        col = frame[c].drop_nulls()
        if col.len():
            years.update(range(col.min().year, col.max().year + 2))  # type: ignore[union-attr]
    zone = ZoneInfo(tz)
    offsets = {zone.utcoffset(dt.datetime(y, m, 1)) for y in years or {2000} for m in (1, 4, 7, 10)}
    if len(offsets) != 1:
        return None
    minutes = int(next(iter(offsets)).total_seconds() // 60)  # type: ignore[union-attr]
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _prepare_jsonl(df: pl.DataFrame, entity: str, em: EntityMapping, tz: str) -> pl.DataFrame:
    """Timestamps as text in the mapping's format (local time with the zone's offset)."""
    ent = ENTITIES[entity]
    stamps = [f.name for f in ent.fields if f.kind is Kind.TIMESTAMP]
    offset = _fixed_offset(tz, df, stamps) if "%:z" in em.timestamp_format else None
    if offset is not None:  # no DST: format naive local time with a literal offset (faster)
        fmt = em.timestamp_format.replace("%:z", offset)
        stamp_exprs = [pl.col(c).dt.strftime(fmt) for c in stamps]
    else:
        fmt = em.timestamp_format
        stamp_exprs = [pl.col(c).dt.replace_time_zone(tz).dt.strftime(fmt) for c in stamps]
    dates = [pl.col(f.name).dt.strftime(em.date_format) for f in ent.fields if f.kind is Kind.DATE]
    return df.with_columns(stamp_exprs + dates)


def write_file(df: pl.DataFrame, entity: str, path: Path, mapping: SourceMapping) -> None:
    """Write canonical frame `df` as one landing file, atomically."""
    em = mapping.entities[entity]
    df = _canonical(df, entity)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        if em.format == "jsonl":
            _prepare_jsonl(df, entity, em, mapping.timezone_for(entity)).write_ndjson(tmp)
        elif em.columns or em.values or em.encoding.replace("-", "").lower() != "utf8":
            body = _to_source_codes(_prepare_csv(df, entity), em)
            tmp.write_bytes((_csv(body, em) or "").encode(em.encoding))
        else:
            _csv(_prepare_csv(df, entity), em, tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def _to_source_codes(df: pl.DataFrame, em: EntityMapping) -> pl.DataFrame:
    """Canonical codes -> the source's codes and headers (inverse of the mapping)."""
    exprs = []
    for name in df.columns:
        expr = pl.col(name)
        if name in em.values:
            inverse = {v: k for k, v in em.values[name].items()}
            expr = expr.replace_strict(inverse, default=None, return_dtype=pl.String)
        exprs.append(expr.alias(em.source_column(name)))
    return df.select(exprs)


def write_day(
    df: pl.DataFrame, entity: str, day: str, out_dir: Path, mapping: SourceMapping
) -> Path | None:
    """Write one day's file; JSON Lines files are skipped when there are no rows."""
    em = mapping.entities[entity]
    if df.height == 0 and em.format == "jsonl":
        return None
    path = entity_path(out_dir, em, day)
    write_file(df, entity, path, mapping)
    return path


def write_whole(df: pl.DataFrame, entity: str, out_dir: Path, mapping: SourceMapping) -> Path:
    path = entity_path(out_dir, mapping.entities[entity])
    write_file(df, entity, path, mapping)
    return path


def clear_previous(out_dir: Path, mapping: SourceMapping) -> None:
    """Remove landing files a previous run of the generator left in `out_dir`."""
    for em in mapping.entities.values():
        for old in out_dir.glob(em.files):
            old.unlink()
    truth = out_dir / "truth.json"
    if truth.exists():
        truth.unlink()
