"""Map a text frame onto a canonical entity, type it, and split good from bad.

Vectorised: every rule is a Polars expression that yields a reason (or
null) per row; a row with any reason is quarantined with the first failing
field and all reasons, the rest is typed to the canonical schema.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import polars as pl

from pipelines.ingest.read import LINE
from pipelines.schema import Entity, Field, Kind
from pipelines.sources.mapping import FALSE_TOKENS, TRUE_TOKENS, EntityMapping


class ColumnsRefused(ValueError):
    """Required columns are missing; the message is one sentence."""


@dataclass
class Validated:
    good: pl.DataFrame  # canonical columns, canonical dtypes, plus _line
    bad: pl.DataFrame  # _line, field, reason, plus the text columns
    unknown_columns: list[str]


def to_canonical_text(
    frame: pl.DataFrame, columns: list[str], entity: Entity, mapping: EntityMapping
) -> tuple[pl.DataFrame, list[str]]:
    """Rename source columns to canonical names, apply nulls, value maps, constants."""
    wanted = {f.name: mapping.source_column(f.name) for f in entity.fields}
    missing = [
        src
        for name, src in wanted.items()
        if src not in columns and name not in mapping.constants and entity.field(name).required
    ]
    if missing and columns:  # a JSON Lines file with no readable record names no columns
        plural = "columns" if len(missing) > 1 else "column"
        raise ColumnsRefused(
            f"the file lacks the required {plural} {', '.join(missing)} for {entity.name}."
        )
    used = set(wanted.values())
    unknown = [c for c in columns if c not in used]
    nulls = list(mapping.null_values)
    exprs: list[pl.Expr] = [pl.col(LINE)]
    for f in entity.fields:
        src = wanted[f.name]
        if f.name in mapping.constants:
            value = mapping.constants[f.name]
            expr = pl.lit(None if value is None else str(value), dtype=pl.String)
        elif src in columns:
            expr = pl.col(src).cast(pl.String)
            expr = pl.when(expr.is_in(nulls)).then(None).otherwise(expr)
            if f.name in mapping.values:
                expr = expr.replace(mapping.values[f.name])
        else:
            expr = pl.lit(None, dtype=pl.String)
        exprs.append(expr.alias(f.name))
    return frame.select(exprs), unknown


def _parse(f: Field, mapping: EntityMapping, timezone: str, fallback: bool = False) -> pl.Expr:
    """Text -> canonical type, null where the text does not parse.

    Timestamps are parsed with the mapping's format only, unless `fallback`
    also allows the ISO 8601 forms (see `parse_timestamp`).
    """
    col = pl.col(f.name)
    if f.kind is Kind.STRING:
        return col
    if f.kind is Kind.INTEGER:
        as_float = col.str.strip_chars().cast(pl.Float64, strict=False)
        whole = as_float.round(0) == as_float
        return pl.when(whole).then(as_float.cast(pl.Int64, strict=False)).otherwise(None)
    if f.kind is Kind.DOUBLE:
        return col.str.strip_chars().cast(pl.Float64, strict=False)
    if f.kind is Kind.BOOLEAN:
        text = col.str.strip_chars()
        return (
            pl.when(text.is_in(list(TRUE_TOKENS)))
            .then(True)
            .when(text.is_in(list(FALSE_TOKENS)))
            .then(False)
            .otherwise(None)
        )
    if f.kind is Kind.DATE:
        return col.str.strip_chars().str.to_date(mapping.date_format, strict=False)
    formats = None if fallback else (mapping.timestamp_format,)
    return parse_timestamp(col.str.strip_chars(), mapping.timestamp_format, timezone, formats)


# Formats tried after the mapping's own: ISO 8601 with and without offset.
_FALLBACK_WITH_OFFSET = ("%Y-%m-%dT%H:%M:%S%.f%:z", "%Y-%m-%d %H:%M:%S%.f%:z")
_FALLBACK_LOCAL = ("%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f")


def parse_timestamp(
    text: pl.Expr, fmt: str, timezone: str, formats: tuple[str, ...] | None = None
) -> pl.Expr:
    """Timestamps with an offset keep it; without one they are in `timezone`.

    The result is UTC. Strings ending in Z are read as UTC. `formats`
    defaults to the mapping's format followed by the ISO 8601 fallbacks.
    """
    if formats is None:
        formats = (fmt, *_FALLBACK_WITH_OFFSET, *_FALLBACK_LOCAL)
    if any("z" in candidate for candidate in formats):
        text = text.str.replace(r"[Zz]$", "+00:00")
    candidates: list[pl.Expr] = []
    for candidate in dict.fromkeys(formats):
        if "z" in candidate:
            candidates.append(text.str.to_datetime(candidate, strict=False, time_zone="UTC"))
        else:
            local = text.str.to_datetime(candidate, strict=False, time_unit="us")
            candidates.append(
                local.dt.replace_time_zone(
                    timezone, ambiguous="earliest", non_existent="null"
                ).dt.convert_time_zone("UTC")
            )
    if len(candidates) == 1:
        return candidates[0].dt.cast_time_unit("us")
    return pl.coalesce([c.dt.cast_time_unit("us") for c in candidates])


# The ISO 8601 format with an offset parses about four times slower than the
# same text without one; `offset_literal_parse` avoids it where it can.
ISO_WITH_OFFSET = "%Y-%m-%dT%H:%M:%S%:z"
_OFFSET = re.compile(r"[+-]([01][0-9]|2[0-3]):[0-5][0-9]")


def _offsets(text_frame: pl.DataFrame, entity: Entity, mapping: EntityMapping) -> dict[str, str]:
    """Timestamp fields in the ISO format with an offset -> the offset their first value has."""
    if mapping.timestamp_format != ISO_WITH_OFFSET:
        return {}
    found: dict[str, str] = {}
    for f in entity.fields:
        if f.kind is Kind.TIMESTAMP and f.name in text_frame.columns:
            offset = common_offset(text_frame.get_column(f.name))
            if offset is not None:
                found[f.name] = offset
    return found


def common_offset(text: pl.Series) -> str | None:
    """The offset ("+08:00") the first non-empty value ends with, if it has a valid one."""
    for value in text.drop_nulls().head(64).str.strip_chars().to_list():
        if value:
            suffix = value[-6:]
            return suffix if _OFFSET.fullmatch(suffix) else None
    return None


def offset_literal(text: pl.Expr, offset: str) -> pl.Expr:
    """The values that end in `offset`, parsed with it as plain text; null for the others."""
    sign = -1 if offset[0] == "-" else 1
    micros = sign * (int(offset[1:3]) * 3600 + int(offset[4:6]) * 60) * 1_000_000
    local = text.str.to_datetime("%Y-%m-%dT%H:%M:%S" + offset, strict=False, time_unit="us")
    return (local.cast(pl.Int64) - micros).cast(pl.Datetime("us", "UTC"))


def offset_literal_parse(text: pl.Expr, offset: str, timezone: str) -> pl.Expr:
    """`parse_timestamp(text, ISO_WITH_OFFSET, ...)`, the values ending in `offset` faster.

    A value ending in `offset` is parsed without `%:z` (the offset is written
    into the format as plain characters, then subtracted); every value that
    does not parse that way, whatever its reason, goes through the general
    path, so the results are the same for every text (tests/ingest).
    """
    fast = offset_literal(text, offset)
    rest = parse_timestamp(
        pl.when(fast.is_null()).then(text), ISO_WITH_OFFSET, timezone, (ISO_WITH_OFFSET,)
    )
    return pl.coalesce(fast, rest)


def _typed(name: str) -> str:
    return f"__typed_{name}"


def _rules(entity: Entity) -> list[tuple[str, pl.Expr]]:
    """(field, reason-or-null expression) for every rule of the entity.

    The rules read the text column (`name`) and its typed value (`_typed(name)`).
    """
    rules: list[tuple[str, pl.Expr]] = []
    for f in entity.fields:
        raw = pl.col(f.name)
        value = pl.col(_typed(f.name))
        shown = pl.lit("") if f.pii else pl.lit(" '") + raw.str.slice(0, 40) + pl.lit("'")
        if f.required:
            rules.append((f.name, pl.when(raw.is_null()).then(pl.lit("required value is missing"))))
        if f.kind is not Kind.STRING:
            bad_type = raw.is_not_null() & value.is_null()
            rules.append(
                (f.name, pl.when(bad_type).then(pl.lit(f"not a valid {f.kind.value}:") + shown))
            )
        if f.domain:
            allowed = ", ".join(f.domain)
            outside = raw.is_not_null() & ~raw.is_in(list(f.domain))
            rules.append(
                (f.name, pl.when(outside).then(pl.lit("value") + shown + f" not in ({allowed})"))
            )
        if f.minimum is not None:
            rules.append(
                (f.name, pl.when(value < f.minimum).then(pl.lit(f"below minimum {f.minimum:g}")))
            )
        if f.maximum is not None:
            rules.append(
                (f.name, pl.when(value > f.maximum).then(pl.lit(f"above maximum {f.maximum:g}")))
            )
        if f.not_before:
            earlier = pl.col(_typed(f.not_before))
            rules.append(
                (
                    f.name,
                    pl.when(value < earlier).then(pl.lit(f"{f.name} is before {f.not_before}")),
                )
            )
    return rules


def _type_columns(
    text_frame: pl.DataFrame, entity: Entity, mapping: EntityMapping, timezone: str
) -> pl.DataFrame:
    """Add each field's typed value once; fallback timestamp formats only where needed.

    Every timestamp is first parsed with the mapping's format alone. Only a
    column where some non-empty text did not parse is parsed again with the
    ISO 8601 fallbacks, so a clean export pays for one format, not five.
    """
    # `%:z` parses about four times slower than a literal offset: a column whose
    # first value ends in an offset is parsed with that offset as text first;
    # only if some value missed is it parsed like the mapping's format says
    offsets = _offsets(text_frame, entity, mapping)
    typed = text_frame.with_columns(
        (
            offset_literal(pl.col(f.name).str.strip_chars(), offsets[f.name])
            if f.name in offsets
            else _parse(f, mapping, timezone)
        ).alias(_typed(f.name))
        for f in entity.fields
    )
    stamps = [f for f in entity.fields if f.kind is Kind.TIMESTAMP]
    if not stamps or typed.height == 0:
        return typed

    def count_misses(fields: list[Field]) -> dict[str, int]:
        return typed.select(
            (pl.col(f.name).str.strip_chars().ne("") & pl.col(_typed(f.name)).is_null())
            .sum()
            .alias(f.name)
            for f in fields
        ).row(0, named=True)

    misses = count_misses(stamps)
    redo = [f for f in stamps if misses[f.name] and f.name in offsets]
    if redo:
        typed = typed.with_columns(
            offset_literal_parse(pl.col(f.name).str.strip_chars(), offsets[f.name], timezone).alias(
                _typed(f.name)
            )
            for f in redo
        )
        misses.update(count_misses(redo))
    retry = [f for f in stamps if misses[f.name]]
    if not retry:
        return typed
    return typed.with_columns(
        _parse(f, mapping, timezone, fallback=True).alias(_typed(f.name)) for f in retry
    )


def validate(
    text_frame: pl.DataFrame, entity: Entity, mapping: EntityMapping, timezone: str
) -> Validated:
    """Type the canonical text frame and split it into good and bad rows."""
    typed = _type_columns(text_frame, entity, mapping, timezone)
    rules = _rules(entity)
    reasons = [expr for _, expr in rules]
    reason = pl.concat_str(reasons, separator="; ", ignore_nulls=True)
    first_field = pl.coalesce(
        [pl.when(expr.is_not_null()).then(pl.lit(name)) for name, expr in rules]
    )
    checked = typed.with_columns(_reason=pl.when(reason != "").then(reason))
    is_bad = pl.col("_reason").is_not_null()
    bad = checked.filter(is_bad).select(
        pl.col(LINE),
        first_field.alias("field"),
        pl.col("_reason").alias("reason"),
        *entity.field_names,
    )
    good = (
        checked.filter(~is_bad)
        .select(pl.col(LINE), *[pl.col(_typed(f.name)).alias(f.name) for f in entity.fields])
        .cast(entity.polars_schema)  # type: ignore[arg-type]
    )
    return Validated(good=good, bad=bad, unknown_columns=[])
