"""Work a mapping does on the source frame before the canonical mapping.

In this order, vectorised:

1. null sentinels: `column_null_values` (per source column) and the
   mapping's `null_values` become nulls in the source columns the SQL below
   reads and in the columns that have sentinels of their own;
2. `filter`: rows for which the SQL condition is not true are skipped
   (counted, not quarantined: they are not meant to be loaded);
   `keep_latest`: of several copies of a record in the file, the one with
   the highest `by` is kept (the others are skipped and counted too);
3. `expressions` and `key_columns`: one DuckDB query over the frame (an
   Arrow view, no copy) adds one derived column per canonical field.

SQL is DuckDB's dialect (try_strptime, to_seconds, json_extract_string, ...).
A derived value is handed on as text in a form the validation step parses
(timestamps ISO 8601, dates in the mapping's date format), so the typing,
domain and ordering rules and the quarantine are the same as for a column.
An expression that does not run (a column the file lacks, a cast that fails)
refuses the file with one sentence naming the field.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import duckdb
import polars as pl

from pipelines.ingest.read import LINE, FileRefused, ReadResult
from pipelines.sources.mapping import (
    EntityMapping,
    KeepLatest,
    derived_column,
    quote_identifier,
)

SOURCE_VIEW = "source"
JSON_FORMATS = ("json", "jsonl")


def derive(result: ReadResult, mapping: EntityMapping) -> ReadResult:
    """Apply the mapping's sentinels, filter, keep_latest, expressions and synthetic key."""
    frame = _nullify(result.frame, result.columns, mapping)
    derived = mapping.derived_fields()
    if not derived and not mapping.filter and not mapping.keep_latest:
        return ReadResult(frame, result.rejects, result.columns)
    before = frame.height
    query = Query(derived, mapping.filter, mapping.keep_latest)
    out = _run_sql(frame, query, optional_columns=mapping.format in JSON_FORMATS)
    out = out.with_columns(
        [
            _as_text(out[derived_column(name)], mapping).alias(derived_column(name))
            for name in derived
        ]
    )
    # source columns read only by SQL are used: they are not "unknown" columns
    read_by_sql = referenced_columns(result.columns, query.sqls)
    direct = _directly_mapped(mapping)
    columns = [derived_column(name) for name in derived] + [
        c for c in result.columns if c not in read_by_sql or c in direct
    ]
    return ReadResult(out, result.rejects, columns, filtered=before - out.height)


def _directly_mapped(mapping: EntityMapping) -> set[str]:
    """Source columns a canonical field reads as they are (named or same-named)."""
    from pipelines.schema import ENTITIES

    if mapping.entity_name is None:
        return set(mapping.columns.values())
    fields = ENTITIES[mapping.entity_name].field_names
    return {mapping.source_column(f) for f in fields}


def referenced_columns(columns: list[str], sqls: list[str]) -> set[str]:
    """Source columns named in any of the SQL texts (quoted or as a bare word)."""
    text = "\n".join(sqls)
    found: set[str] = set()
    for column in columns:
        bare = re.search(rf"(?<![\w\"]){re.escape(column)}(?![\w\"])", text)
        if quote_identifier(column) in text or bare:
            found.add(column)
    return found


def _nullify(frame: pl.DataFrame, columns: list[str], mapping: EntityMapping) -> pl.DataFrame:
    sqls = [*mapping.derived_fields().values(), mapping.filter or ""]
    read_by_sql = referenced_columns(columns, sqls)
    exprs: list[pl.Expr] = []
    for column in columns:
        own = mapping.column_null_values.get(column, [])
        if column not in read_by_sql and not own:
            continue
        sentinels = list(dict.fromkeys([*mapping.null_values, *own]))
        value = pl.col(column).cast(pl.String)
        trimmed = value.str.strip_chars()
        exprs.append(pl.when(trimmed.is_in(sentinels)).then(None).otherwise(value).alias(column))
    return frame.with_columns(exprs) if exprs else frame


@dataclass(frozen=True)
class Query:
    """The SQL a mapping runs over one file's frame."""

    derived: dict[str, str]
    condition: str | None
    keep_latest: KeepLatest | None

    @property
    def sqls(self) -> list[str]:
        texts = [*self.derived.values(), self.condition or ""]
        if self.keep_latest is not None:
            texts += [*(quote_identifier(c) for c in self.keep_latest.key), self.keep_latest.by]
        return texts

    def text(self) -> str:
        select = ", ".join(
            [f"{SOURCE_VIEW}.*"]
            + [
                f"({sql}) as {quote_identifier(derived_column(name))}"
                for name, sql in self.derived.items()
            ]
        )
        sql = f"select {select} from {SOURCE_VIEW}"
        if self.condition:
            sql += f" where coalesce(({self.condition}), false)"
        if self.keep_latest is not None:
            key = ", ".join(quote_identifier(c) for c in self.keep_latest.key)
            sql += (
                f" qualify row_number() over (partition by {key} "
                f"order by ({self.keep_latest.by}) desc nulls last, {LINE} desc) = 1 "
                f"order by {LINE}"
            )
        return sql


def _run_sql(frame: pl.DataFrame, query: Query, optional_columns: bool = False) -> pl.DataFrame:
    """One query over the frame; in JSON a key no record of the file has is all null."""
    added: list[str] = []
    con = duckdb.connect()
    try:
        con.execute("set TimeZone = 'UTC'")
        while True:
            con.register(SOURCE_VIEW, frame.to_arrow())
            try:
                table = _seconds_for_intervals(con, query.text()).to_arrow_table()
                break
            except duckdb.Error as exc:
                missing = _missing_column(exc)
                if optional_columns and missing and missing not in frame.columns:
                    frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias(missing))
                    added.append(missing)
                    continue
                raise FileRefused(_explain(con, query, exc)) from None
    finally:
        con.close()
    out = pl.from_arrow(table)
    assert isinstance(out, pl.DataFrame)
    return out.drop(added)


def _seconds_for_intervals(con: duckdb.DuckDBPyConnection, sql: str) -> duckdb.DuckDBPyRelation:
    """The query, with interval results as seconds (Arrow intervals do not reach Polars)."""
    relation = con.sql(sql)
    intervals = [
        c for c, t in zip(relation.columns, relation.types, strict=True) if str(t) == "INTERVAL"
    ]
    if not intervals:
        return relation
    replaced = ", ".join(
        f"epoch({quote_identifier(c)}) as {quote_identifier(c)}" for c in intervals
    )
    return con.sql(f"select * replace ({replaced}) from ({sql})")


def _missing_column(exc: Exception) -> str | None:
    found = re.search(r'Referenced column "((?:[^"]|"")+)" not found', str(exc))
    return found.group(1).replace('""', '"') if found else None


def _explain(con: duckdb.DuckDBPyConnection, query: Query, error: duckdb.Error) -> str:
    """Which piece of SQL failed, in one sentence."""
    pieces = [(f"the expression for {name}", sql) for name, sql in query.derived.items()]
    if query.condition:
        pieces.append(("the filter", f"coalesce(({query.condition}), false)"))
    if query.keep_latest is not None:
        pieces.append(("keep_latest.by", query.keep_latest.by))
        pieces += [("keep_latest.key", quote_identifier(c)) for c in query.keep_latest.key]
    for label, sql in pieces:
        try:
            con.sql(f"select ({sql}) from {SOURCE_VIEW}").to_arrow_table()
        except duckdb.Error as exc:
            return f"{label} does not run on this file: {_first_line(exc)}."
    return f"the mapping's SQL does not run on this file: {_first_line(error)}."


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text.rstrip(".")


def _as_text(series: pl.Series, mapping: EntityMapping) -> pl.Series:
    """A derived value as text the validation step parses like a column's."""
    dtype = series.dtype
    if isinstance(dtype, pl.Datetime):
        if dtype.time_zone is not None:
            utc = series.dt.convert_time_zone("UTC")
            return utc.dt.strftime("%Y-%m-%dT%H:%M:%S%.6f+00:00")
        # no zone: a local time of the source, read in the mapping's time zone
        return series.dt.strftime("%Y-%m-%dT%H:%M:%S%.6f")
    if isinstance(dtype, pl.Date):
        return series.dt.strftime(mapping.date_format)
    if isinstance(dtype, pl.Duration):
        return series.dt.total_seconds().cast(pl.String)
    if isinstance(dtype, (pl.List, pl.Array, pl.Struct)):
        # a list or record is handed on as JSON text, as a nested JSON value is read
        return pl.Series(
            series.name,
            [
                None if v is None else json.dumps(v, ensure_ascii=False, default=str)
                for v in series.to_list()
            ],
            dtype=pl.String,
        )
    return series.cast(pl.String)
