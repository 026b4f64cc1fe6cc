"""Every query the dashboard runs, in one place, with access scoping.

The dashboard reads only the published serving file, attached read-only to
an in-memory DuckDB for one script run (or one query outside a run) and
detached afterwards, so the pipeline can always replace the file
(`os.replace`) and a new publish is picked up on the next run without a
restart. Results are
cached per (query, parameters, published file version).

Scoping: every table is read through `_source()`, which wraps it in a CTE
`src` restricted to the viewer's sites (`access.current_scope()`, decided
here, not by the pages) and to the analyst's filters. A table without a
`site_code` column is hidden entirely from a site-scoped viewer (fail
closed). Filters that a table cannot apply (it has no such column) are
reported back in `Result.ignored`, so the page can say so instead of
silently showing unfiltered figures.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import os
import re
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from dashboard import access
from dashboard.metrics_catalog import (
    COLUMN_NEEDS,
    METRICS,
    TABLE_NEEDS,
    Metric,
    absent_sources,
    needs,
    traffic_light,
)
from dashboard.metrics_catalog import metric as catalog_metric
from pipelines.settings import get_settings


class NoData(RuntimeError):
    """Nothing has been published yet (or nothing is visible to this viewer)."""


def serving_path() -> Path:
    """The published file (settings are re-read only when the environment changes)."""
    return _serving_for(
        os.environ.get("SERVIQ_HOME"), os.environ.get("SERVIQ_SERVING_PATH"), os.getcwd()
    )


@functools.lru_cache(maxsize=8)
def _serving_for(home: str | None, serving: str | None, cwd: str) -> Path:
    return get_settings().serving


def version() -> str:
    """Identity of the published file: changes at every publish."""
    path = serving_path()
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise NoData(f"nothing published yet at {path}: run `serviq publish`.") from None
    return f"{path}:{stat.st_ino}:{stat.st_mtime_ns}:{stat.st_size}"


_CACHE: dict[tuple[str, str, tuple[Any, ...]], pl.DataFrame] = {}
_CACHE_LIMIT = 512
_LOCAL = threading.local()  # one script run = one thread (Streamlit runs sessions in threads)
_ENGINE: duckdb.DuckDBPyConnection | None = None
_ENGINE_LOCK = threading.Lock()
_ALIASES = itertools.count()
_PIN_ATTEMPTS = 5


def _engine() -> duckdb.DuckDBPyConnection:
    """One in-memory DuckDB per process; it never holds the serving file between reads.

    Starting a DuckDB instance costs ~30 ms, attaching the serving file to a
    running one ~5 ms. Each reader is a cursor of this instance with the
    file attached read-only under its own alias, detached when the reader
    closes. `duckdb.connect(path)` is avoided on purpose: while any
    connection to a path is open, DuckDB's instance cache hands a new
    connection to the same path the instance that is already open, i.e. the
    file version replaced by the last publish.
    """
    global _ENGINE
    with _ENGINE_LOCK:
        if _ENGINE is None:
            _ENGINE = duckdb.connect(":memory:")
        return _ENGINE


@dataclass
class _Reader:
    cursor: duckdb.DuckDBPyConnection
    alias: str
    version: str

    def close(self) -> None:
        try:
            self.cursor.execute("use memory")
            self.cursor.execute(f"detach {self.alias}")
        finally:
            self.cursor.close()


def _open_reader() -> _Reader:
    """Attach the published file read-only, pinned to the version it opened.

    The file's identity is read before and after the attach: equal means the
    attach opened exactly that version (a publish swaps the inode with
    `os.replace`), otherwise it is detached and attached again.
    """
    for _attempt in range(_PIN_ATTEMPTS):
        before = version()
        cursor = _engine().cursor()
        alias = f"serving_{next(_ALIASES)}"
        path = str(serving_path()).replace("'", "''")
        try:
            cursor.execute(f"attach '{path}' as {alias} (read_only)")
            cursor.execute(f"use {alias}")
        except BaseException:
            cursor.close()
            raise
        reader = _Reader(cursor, alias, before)
        if version() == before:
            return reader
        reader.close()
    raise NoData(f"the published file {serving_path()} keeps changing; try again.")


@contextmanager
def run_connection() -> Iterator[None]:
    """Share one read-only reader among the queries of one script run.

    A page runs dozens of queries: the entry script wraps each run in this,
    so a run attaches the file at most once and detaches it when the run
    ends (also on st.stop / errors); nothing holds the file between runs. A
    publish during the run is seen by the next run: the attached file keeps
    reading the version it opened (the old inode).
    """
    if getattr(_LOCAL, "active", False):
        yield
        return
    _LOCAL.active, _LOCAL.reader = True, None
    try:
        yield
    finally:
        reader = _LOCAL.reader
        _LOCAL.active, _LOCAL.reader = False, None
        if reader is not None:
            reader.close()


def _execute(sql: str, params: Sequence[Any], current: str) -> pl.DataFrame:
    bound = list(params) if params else None
    if getattr(_LOCAL, "active", False):
        if _LOCAL.reader is None or _LOCAL.reader.version != current:
            if _LOCAL.reader is not None:
                _LOCAL.reader.close()
                _LOCAL.reader = None
            _LOCAL.reader = _open_reader()
        table = _LOCAL.reader.cursor.sql(sql, params=bound).to_arrow_table()
    else:
        reader = _open_reader()
        try:
            table = reader.cursor.sql(sql, params=bound).to_arrow_table()
        finally:
            reader.close()
    result = pl.from_arrow(table)
    assert isinstance(result, pl.DataFrame)
    return result


def query(sql: str, params: Sequence[Any] = ()) -> pl.DataFrame:
    """Run one read-only query against the published file (cached per version).

    Low level: callers inside this module read tables through `_run()`,
    which applies the viewer's scope. Only catalogue queries call this
    directly.
    """
    current = version()
    # a list parameter (a set of agents) is keyed by its elements
    key = (current, sql, tuple(tuple(p) if isinstance(p, list) else p for p in params))
    cached = _CACHE.get(key)
    if cached is not None:
        return cached
    result = _execute(sql, params, current)
    if len(_CACHE) >= _CACHE_LIMIT:
        _CACHE.clear()
    _CACHE[key] = result
    return result


# --------------------------------------------------------------------------
# Catalogue of the published file
# --------------------------------------------------------------------------
def tables() -> dict[str, list[str]]:
    """`schema.table` -> its columns, for every published table."""
    frame = query(
        """
        select table_schema || '.' || table_name as name,
            list(column_name order by ordinal_position) as cols
        from information_schema.columns
        where table_catalog = current_database()
        group by 1
        """
    )
    return {name: list(cols) for name, cols in frame.iter_rows()}


def has_table(table: str) -> bool:
    try:
        return table in tables()
    except NoData:
        return False


def columns(table: str) -> list[str]:
    return tables().get(table, [])


def schema_tables(schema: str) -> list[str]:
    return sorted(name for name in tables() if name.split(".", 1)[0] == schema)


# --------------------------------------------------------------------------
# Source coverage (issue 8: a centre may land only some entities)
# --------------------------------------------------------------------------
COVERAGE = "meta.source_coverage"


def present_entities() -> set[str] | None:
    """Entities with rows in the published build; None when the publish predates coverage."""
    if not has_table(COVERAGE):
        return None
    frame = query(f"select entity from {COVERAGE} where is_present")
    return {str(name) for name in frame["entity"].to_list()}


def coverage() -> Result:
    """Rows and first/last day per canonical entity (not scoped: it names no site or figure)."""
    return _run(
        COVERAGE,
        "select entity, row_count, first_date, last_date from src order by entity",
        date_col=None,
    )


def absent(wanted: Sequence[str]) -> tuple[str, ...]:
    """The sources among `wanted` (metrics_catalog.SOURCE_ENTITIES names) with no rows."""
    try:
        present = present_entities()
    except NoData:
        return ()
    return absent_sources(tuple(wanted), present)


def metric_absent(code: str) -> tuple[str, ...]:
    """The sources a metric needs that the published build does not hold."""
    return absent(needs(code))


def _blank_absent_columns(frame: pl.DataFrame) -> tuple[pl.DataFrame, tuple[str, ...]]:
    """Null (never zero) the columns whose source is absent; returns those sources."""
    wanted = {column: source for column, source in COLUMN_NEEDS.items() if column in frame.columns}
    if not wanted:
        return frame, ()
    missing = set(absent(tuple(sorted(set(wanted.values())))))
    blanked = [column for column, source in wanted.items() if source in missing]
    if not blanked:
        return frame, ()
    frame = frame.with_columns(pl.lit(None, dtype=frame.schema[c]).alias(c) for c in blanked)
    return frame, tuple(sorted(missing))


# --------------------------------------------------------------------------
# Filters and scoped reads
# --------------------------------------------------------------------------
# filter dimension -> column name it filters on in every mart
DIMENSIONS: dict[str, str] = {
    "site": "site_code",
    "channel": "channel",
    "intent": "intent",
    "team": "team",
}


@dataclass(frozen=True)
class Filters:
    """What the analyst selected; applied inside every query."""

    start: dt.date
    end: dt.date
    sites: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    intents: tuple[str, ...] = ()
    teams: tuple[str, ...] = ()

    def values(self, dimension: str) -> tuple[str, ...]:
        return getattr(self, f"{dimension}s")  # type: ignore[no-any-return]


@dataclass
class Result:
    """A query result and what the page should say about it."""

    frame: pl.DataFrame
    source: str
    missing: bool = False  # the source table is not published (yet)
    restricted: bool = False  # hidden from this viewer: no site column to scope by
    ignored: tuple[str, ...] = field(default_factory=tuple)  # filters the source cannot apply
    error: str = ""  # the source changed under the query (e.g. a column dropped)
    absent: tuple[str, ...] = ()  # sources with no rows: the whole result means nothing
    blanked: tuple[str, ...] = ()  # sources with no rows: their columns are null, not zero

    @property
    def empty(self) -> bool:
        return self.frame.height == 0


def _in_list(column: str, values: Sequence[Any]) -> tuple[str, list[Any]]:
    if not values:
        return "false", []
    return f"{column} in ({', '.join('?' for _ in values)})", list(values)


def _source(
    table: str, filters: Filters | None, date_col: str | None
) -> tuple[str, list[Any], tuple[str, ...], bool]:
    """`select * from table where <scope> and <filters>` with its parameters."""
    cols = set(columns(table))
    scope = access.current_scope()
    clauses: list[str] = []
    params: list[Any] = []
    restricted = False
    if scope.sites is not None:
        if "site_code" in cols:
            clause, values = _in_list("site_code", sorted(scope.sites))
            clauses.append(clause)
            params += values
        else:
            clauses.append("false")
            restricted = True
    ignored: list[str] = []
    if filters is not None:
        if date_col and date_col in cols:
            clauses.append(f"cast({date_col} as date) between ? and ?")
            params += [filters.start, filters.end]
        for dimension, column in DIMENSIONS.items():
            chosen = filters.values(dimension)
            if not chosen:
                continue
            if column in cols:
                clause, values = _in_list(column, chosen)
                clauses.append(clause)
                params += values
            else:
                ignored.append(dimension)
    where = " and ".join(clauses) or "true"
    return f"select * from {table} where {where}", params, tuple(ignored), restricted


def _run(
    table: str,
    body: str,
    filters: Filters | None = None,
    date_col: str | None = "contact_date",
    params: Sequence[Any] = (),
    needs: Sequence[str] | None = None,
) -> Result:
    """Run `body` (which reads the scoped table as `src`) or report the table missing.

    `needs` (default `metrics_catalog.TABLE_NEEDS[table]`): sources without
    which the result means nothing; when one has no rows the result is
    reported absent ("no data for this source") instead of empty.
    """
    if not has_table(table):
        return Result(pl.DataFrame(), table, missing=True)
    missing_sources = absent(TABLE_NEEDS.get(table, ()) if needs is None else needs)
    if missing_sources:
        return Result(pl.DataFrame(), table, missing=True, absent=missing_sources)
    source, source_params, ignored, restricted = _source(table, filters, date_col)
    try:
        frame = query(f"with src as ({source})\n{body}", [*source_params, *params])
    except duckdb.Error as error:
        # a mart changed shape under the dashboard: say so on this part, keep the page
        first_line = str(error).splitlines()[0]
        return Result(pl.DataFrame(), table, missing=True, error=first_line)
    frame, blanked = _blank_absent_columns(frame)
    return Result(frame, table, ignored=ignored, restricted=restricted, blanked=blanked)


def _all(
    table: str, filters: Filters | None = None, date_col: str | None = None, order: str = ""
) -> Result:
    """The whole (scoped, filtered) table."""
    return _run(table, f"select * from src {order}", filters, date_col)


def _cuts(
    table: str,
    measures: str,
    sets: Sequence[tuple[str, ...]],
    filters: Filters | None,
    date_col: str | None = "contact_date",
) -> dict[tuple[str, ...], Result]:
    """Several groupings of one table in one query (`group by grouping sets`).

    A page shows a table's totals, its daily series and a few breakdowns:
    one scan returns them all, then each grouping is cut out by its
    `grouping()` id. The SQL depends only on the arguments, so every caller
    of the same cuts within a run is answered by the query cache.

    When every measure is a sum or a ratio of sums (`_summed_columns`), a
    set contained in a larger one (the totals, the sites in the days x
    sites) is not aggregated from the mart: the query also returns the
    larger set's sums (the same aggregates, so no extra work for DuckDB)
    and the contained set is summed from those few hundred rows by Polars
    (`_rolled_up`). Integer sums are exact; a double sum may differ in its
    last bit (summation order).
    Returns set -> Result with the set's columns then every measure (unsorted).
    """
    keys = list(dict.fromkeys(column for group in sets for column in group))
    summed = _summed_columns(measures)
    largest = [group for group in sets if not any(set(group) < set(other) for other in sets)]
    if summed is None or not keys:
        largest = list(sets)
    parents = {
        group: min((other for other in largest if set(group) < set(other)), key=len)
        for group in sets
        if group not in largest
    }
    grouping = f"grouping({', '.join(keys)}) as grouping_id, {', '.join(keys)}, " if keys else ""
    listed = ", ".join(f"({', '.join(group)})" for group in largest)
    sums = "".join(f', sum({column}) as "{_SUM_PREFIX}{column}"' for column in summed or ())
    result = _run(
        table,
        f"select {grouping}{measures}{sums if parents else ''} "
        f"from src group by grouping sets ({listed})",
        filters,
        date_col,
    )
    if result.error:
        # a mart changed shape: each grouping alone, so only the parts that
        # need a dropped column say so
        return {group: _one_cut(table, measures, group, filters, date_col) for group in sets}
    if result.missing or not keys:
        return {group: result for group in sets}
    frame = result.frame
    cut: dict[tuple[str, ...], Result] = {}
    for group in largest:
        part = frame.filter(pl.col("grouping_id") == _grouping_bits(keys, group)).drop(
            "grouping_id", *(key for key in keys if key not in group)
        )
        cut[group] = replace(result, frame=part.select(pl.exclude(f"^{_SUM_PREFIX}.*$")))
    for parent in dict.fromkeys(parents.values()):
        inside = tuple(group for group, of in parents.items() if of == parent)
        # every caller of these cuts in a run gets the same (cached) frame:
        # roll it up once per frame, not once per caller
        memo = (id(frame), measures, parent, inside)
        hit = _ROLLED.get(memo)
        if hit is None or hit[0] is not frame:
            rows = frame.filter(pl.col("grouping_id") == _grouping_bits(keys, parent)).select(
                *parent, *(pl.col(f"{_SUM_PREFIX}{c}").alias(c) for c in summed or ())
            )
            parts = _rolled_up(rows, [k for k in keys if k in parent], measures, inside)
            if len(_ROLLED) >= _CACHE_LIMIT:
                _ROLLED.clear()
            hit = _ROLLED[memo] = (frame, parts)
        for group, part in hit[1]:
            cut[group] = replace(result, frame=part)
    return cut


def _grouping_bits(keys: Sequence[str], group: Sequence[str]) -> int:
    """`grouping(<keys>)` of the rows of one grouping set: a bit set per key left out."""
    return sum(1 << (len(keys) - 1 - i) for i, key in enumerate(keys) if key not in group)


_SUM_PREFIX = "__sum__"
# (id(frame), measures, parent set, sets) -> (frame, its rolled-up sets); the
# frame is kept so that its id cannot be reused while the entry lives
_ROLLED: dict[
    tuple[int, str, tuple[str, ...], tuple[tuple[str, ...], ...]],
    tuple[pl.DataFrame, list[tuple[tuple[str, ...], pl.DataFrame]]],
] = {}
# the measure forms a contained set can be summed up from: `sum(c) as m` and
# `[scale *] sum(n) / nullif(sum(d), 0) as m`
_PLAIN_SUM = re.compile(r"sum\((\w+)\) as (\w+)")
_SUM_RATIO = re.compile(r"(?:([0-9.e+-]+) \* )?sum\((\w+)\) / nullif\(sum\((\w+)\), 0\) as (\w+)")


def _split_measures(measures: str) -> list[str]:
    """The measures' expressions (split at top-level commas), whitespace normalised."""
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for char in measures:
        depth += char == "("
        depth -= char == ")"
        if char == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [" ".join(part.split()) for part in parts if part.strip()]


def _summed_columns(measures: str) -> list[str] | None:
    """The columns `measures` sums when each measure is a sum or a ratio of sums, else None."""
    columns: list[str] = []
    for part in _split_measures(measures):
        plain, ratio = _PLAIN_SUM.fullmatch(part), _SUM_RATIO.fullmatch(part)
        if plain:
            columns.append(plain.group(1))
        elif ratio:
            columns += [ratio.group(2), ratio.group(3)]
        else:
            return None
    return list(dict.fromkeys(columns))


def _rolled_up(
    rows: pl.DataFrame, keys: Sequence[str], measures: str, sets: Sequence[tuple[str, ...]]
) -> list[tuple[tuple[str, ...], pl.DataFrame]]:
    """`measures` per grouping set of `sets`, summed from `rows` (a larger set's sums).

    The SQL meaning kept: a sum over no non-null value is null, `nullif(d,
    0)` makes the ratio null, a ratio is computed in doubles (`scale * n`
    first, as DuckDB does with a decimal scale); the grand total of no rows
    is one row of nulls. Each set's frame has its keys (in `keys` order),
    then every measure, with the dtypes of the mart's own grouping.
    """

    def total(column: str) -> pl.Expr:
        return pl.when(pl.col(column).count() > 0).then(pl.col(column).sum())

    expressions: list[pl.Expr] = []
    for part in _split_measures(measures):
        plain, ratio = _PLAIN_SUM.fullmatch(part), _SUM_RATIO.fullmatch(part)
        if plain:
            expressions.append(total(plain.group(1)).alias(plain.group(2)))
        elif ratio:
            scale, numerator, denominator, alias = ratio.groups()
            top = total(numerator)
            if scale is not None:
                top = top * (int(float(scale)) if float(scale).is_integer() else float(scale))
            bottom = total(denominator)
            expressions.append(
                pl.when(bottom != 0)
                .then(top.cast(pl.Float64) / bottom.cast(pl.Float64))
                .otherwise(None)
                .alias(alias)
            )
    out: list[tuple[tuple[str, ...], pl.DataFrame]] = []
    for group in sets:
        if group:
            ordered = [key for key in keys if key in group]
            frame = rows.group_by(ordered, maintain_order=True).agg(expressions)
        else:
            frame = rows.select(expressions)  # one row, of nulls when there are no rows
        out.append((group, frame))
    return out


def _one_cut(
    table: str,
    measures: str,
    group: tuple[str, ...],
    filters: Filters | None,
    date_col: str | None,
) -> Result:
    if not group:
        return _run(table, f"select {measures} from src", filters, date_col)
    columns_sql = ", ".join(group)
    return _run(
        table,
        f"select {columns_sql}, {measures} from src group by {columns_sql}",
        filters,
        date_col,
    )


def _shaped(
    result: Result,
    select: Sequence[str | pl.Expr] | None = None,
    order: Sequence[str] = (),
    descending: bool = False,
) -> Result:
    """A cut with the columns of the query it replaces, in its order (ties by the group)."""
    if result.missing or result.error:
        return result
    frame = result.frame.select(select) if select is not None else result.frame
    if order and frame.height:
        frame = frame.sort(
            list(order), descending=[descending] + [False] * (len(order) - 1), nulls_last=True
        )
    return replace(result, frame=frame)


# --------------------------------------------------------------------------
# Filter choices
# --------------------------------------------------------------------------
CONTACTS = "marts.fct_contacts"
DAILY = "marts.mart_contacts_daily"


def _base_table() -> str:
    if has_table(CONTACTS):
        return CONTACTS
    if has_table(DAILY):
        return DAILY
    raise NoData("the published warehouse holds no contact marts yet.")


CONTACT_CELLS = "marts.mart_dashboard_contact_cells_daily"
FILTER_CHOICES = "marts.mart_dashboard_filter_choices"


def _catalogue_source() -> tuple[str, str, str]:
    """(table, first-day column, last-day column) the filter catalogue reads."""
    if has_table(FILTER_CHOICES):
        return FILTER_CHOICES, "first_contact_date", "last_contact_date"
    table = CONTACT_CELLS if has_table(CONTACT_CELLS) else _base_table()
    return table, "contact_date", "contact_date"


def _filter_catalogue() -> dict[str, Any]:
    """Date bounds and every dimension's choices the viewer may see, in one query.

    Read from `mart_dashboard_filter_choices` (one row per site, channel,
    intent and team combination with its first and last day: a few thousand
    rows at 10M contacts) when it is published, else from the contact cells
    (~130k rows) or the contact mart itself (one scan instead of one per
    dimension). Either way the viewer's scope applies (`_run`).
    """
    table, first, last = _catalogue_source()
    cols = set(columns(table))
    lists = [
        f"list(distinct {column}) filter (where {column} is not null) as {dimension}"
        if column in cols
        else f"cast(null as varchar[]) as {dimension}"
        for dimension, column in DIMENSIONS.items()
    ]
    result = _run(
        table,
        f"select min({first}) as lo, max({last}) as hi, {', '.join(lists)} from src",
    )
    if result.missing or result.empty:
        raise NoData("the published warehouse holds no contacts visible to you.")
    row = result.frame.row(0, named=True)
    return {
        "bounds": (row["lo"], row["hi"]),
        **{
            dimension: sorted(str(value) for value in row[dimension] or ())
            for dimension in DIMENSIONS
        },
    }


def date_bounds() -> tuple[dt.date, dt.date]:
    lo, hi = _filter_catalogue()["bounds"]
    if lo is None:
        raise NoData("the published warehouse holds no contacts visible to you.")
    return lo, hi


def choices(dimension: str) -> list[str]:
    """Distinct values of a filter dimension the viewer may see."""
    if dimension not in DIMENSIONS:
        raise KeyError(dimension)
    try:
        return list(_filter_catalogue()[dimension])
    except NoData:
        return []


def published_at() -> dt.datetime | None:
    if not has_table("meta.publication"):
        return None
    frame = query("select published_at from meta.publication")
    return frame.item(0, 0) if frame.height else None


def is_open_access() -> bool:
    return access.current_scope().mode == "open"


# --------------------------------------------------------------------------
# Overview
# --------------------------------------------------------------------------
VOLUME_MEASURES = """
    sum(contact_count) as contact_count,
    sum(handled_count) as handled_count,
    sum(answered_count) as answered_count,
    sum(offered_count) as offered_count,
    sum(answer_rate_numerator) / nullif(sum(answer_rate_denominator), 0) as answer_rate
"""
VOLUME_CUTS = (("contact_date", "site_code"), ("channel",))


def daily_volume(filters: Filters) -> Result:
    """Daily contacts and answer rate by site (re-aggregated from counts)."""
    return _shaped(
        _cuts(DAILY, VOLUME_MEASURES, VOLUME_CUTS, filters)[("contact_date", "site_code")],
        order=("contact_date", "site_code"),
    )


def channel_mix(filters: Filters) -> Result:
    return _shaped(
        _cuts(DAILY, VOLUME_MEASURES, VOLUME_CUTS, filters)[("channel",)],
        select=("channel", "contact_count"),
        order=("contact_count", "channel"),
        descending=True,
    )


# --------------------------------------------------------------------------
# Explore (contact grain)
# --------------------------------------------------------------------------
EXPLORE_COLUMNS = (
    "contact_id",
    "started_local_at",
    "contact_date",
    "contact_hour",
    "contact_weekday",
    "channel",
    "site_code",
    "team",
    "queue",
    "agent_id",
    "work_mode",
    "direction",
    "initiated_by",
    "handled_by",
    "outcome",
    "intent",
    "predicted_intent",
    "prediction_confidence",
    "customer_ref",
    "wait_seconds",
    "connected_seconds",
    "hold_seconds",
    "wrap_seconds",
    "transfer_count",
    "is_handled",
    "is_abandoned",
    "is_short_abandon",
    "is_marked_unresolved",
    "is_escalated_to_backoffice",
)

# bucket keys the Explore page accepts (URL `x_<key>`) -> column and type
BUCKETS: dict[str, tuple[str, type]] = {
    "date": ("contact_date", dt.date),
    "hour": ("contact_hour", int),
    "weekday": ("contact_weekday", int),
    "site": ("site_code", str),
    "channel": ("channel", str),
    "intent": ("intent", str),
    "team": ("team", str),
    "agent": ("agent_id", str),
    "outcome": ("outcome", str),
    "queue": ("queue", str),
    "work_mode": ("work_mode", str),
    "predicted_intent": ("predicted_intent", str),
}

EXPLORE_LIMIT = 5000


def _bucket_where(bucket: dict[str, Any]) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    for key, value in bucket.items():
        column, _kind = BUCKETS[key]
        clauses.append(f"{column} = ?")
        params.append(value)
    return (" and ".join(clauses) or "true"), params


CUSTOMER_HOURS = "marts.mart_dashboard_customer_hours"
CUSTOMER_DAYS = "marts.mart_dashboard_customer_days"
# buckets whose columns mart_dashboard_customer_hours carries
CUSTOMER_HOUR_BUCKETS = frozenset({"date", "hour", "weekday", "site", "channel", "intent", "team"})
# buckets whose columns mart_dashboard_contact_cells_daily carries
CELL_BUCKETS = CUSTOMER_HOUR_BUCKETS - {"hour"}
COUNT_MEASURES = """
    coalesce(cast(sum(contact_count) as bigint), 0) as contact_count,
    coalesce(cast(sum(handled_count) as bigint), 0) as handled_count,
    coalesce(cast(sum(abandoned_count) as bigint), 0) as abandoned_count
"""


def _on_cells(keys: set[str]) -> bool:
    return keys <= CELL_BUCKETS and has_table(CONTACT_CELLS)


def _on_customer_hours(keys: set[str]) -> bool:
    return keys <= CUSTOMER_HOUR_BUCKETS and has_table(CUSTOMER_HOURS)


def _only_dates(filters: Filters, bucket: dict[str, Any]) -> bool:
    """Nothing but days restricts the selection: every-site viewer, no dimension filter."""
    return (
        access.current_scope().sites is None
        and not any(filters.values(dimension) for dimension in DIMENSIONS)
        and set(bucket) <= {"date"}
        and has_table(CUSTOMER_DAYS)
    )


def bucket_summary(filters: Filters, bucket: dict[str, Any]) -> Result:
    """Contacts, handled, abandoned, mean wait and distinct customers of a bucket.

    Read from mart_dashboard_customer_hours when the bucket is made of its
    columns: the distinct customers are the bits set by
    bitstring_agg(customer_number), or, when only days restrict the
    selection, a filtered count of mart_dashboard_customer_days (each
    customer counted on their first day in the range). Both equal
    count(distinct customer_ref) over fct_contacts, which is the fallback.
    """
    if _on_customer_hours(set(bucket)):
        result = _bucket_summary_from_marts(filters, bucket)
        if not result.error:
            return result
    return _bucket_summary_from_contacts(filters, bucket)


def _bucket_summary_from_marts(filters: Filters, bucket: dict[str, Any]) -> Result:
    where, params = _bucket_where(bucket)
    table = CUSTOMER_HOURS
    customers = "coalesce(bit_count(bitstring_agg(customer_number)), 0)"
    customer_params: list[Any] = []
    if _only_dates(filters, bucket):
        first, last = filters.start, filters.end
        if "date" in bucket:
            first, last = max(first, bucket["date"]), min(last, bucket["date"])
        # every-site viewer only (checked above), so reading the mart unscoped is right
        customers = (
            f"(select count(*) from {CUSTOMER_DAYS} "
            "where contact_date between ? and ? "
            "and (previous_contact_date is null or previous_contact_date < ?))"
        )
        customer_params = [first, last, first]
        if _on_cells(set(bucket)):
            table = CONTACT_CELLS  # the counts from ~130k cells, not ~10M customer rows
    return _run(
        table,
        f"""
        select
            {COUNT_MEASURES},
            sum(mean_wait_seconds_numerator) / nullif(sum(mean_wait_seconds_denominator), 0)
                as mean_wait_seconds,
            {customers} as customer_count
        from src where {where}
        """,
        filters,
        params=[*customer_params, *params],
    )


def _bucket_summary_from_contacts(filters: Filters, bucket: dict[str, Any]) -> Result:
    where, params = _bucket_where(bucket)
    return _run(
        CONTACTS,
        f"""
        select
            count(*) as contact_count,
            count(*) filter (where is_handled) as handled_count,
            count(*) filter (where is_abandoned and not is_short_abandon) as abandoned_count,
            avg(wait_seconds) as mean_wait_seconds,
            count(distinct customer_ref) as customer_count
        from src where {where}
        """,
        filters,
        params=params,
    )


def contacts_in_bucket(
    filters: Filters, bucket: dict[str, Any], limit: int = EXPLORE_LIMIT
) -> Result:
    """The contacts of one bucket (masked columns only), newest first.

    The newest `limit` contacts all start on or after the latest day from
    which the bucket still holds `limit` contacts (contact_date is the day of
    started_local_at); with the day counts of the contact cells that day
    bounds the read of fct_contacts to a few days.
    """
    where, params = _bucket_where(bucket)
    cols = ", ".join(EXPLORE_COLUMNS)
    since = _newest_days_from(filters, bucket, limit)
    if since is not None:
        where, params = f"{where} and contact_date >= ?", [*params, since]
    # the start of the limit-th newest contact, found on one column, keeps all
    # but about `limit` rows out of the sort of every column (at 10M contacts,
    # a day of 180k rows: 103 -> 64 ms; ties at the cut are all kept, then the
    # limit applies as before)
    cut = (
        f"(select started_local_at from src where {where} "
        f"order by started_local_at desc limit 1 offset {int(limit) - 1})"
    )
    return _run(
        CONTACTS,
        f"select {cols} from src where {where} "
        f"and started_local_at >= coalesce({cut}, '-infinity'::timestamp) "
        f"order by started_local_at desc limit {int(limit)}",
        filters,
        params=[*params, *params],
    )


def _newest_days_from(filters: Filters, bucket: dict[str, Any], limit: int) -> dt.date | None:
    """The latest day d such that the bucket has at least `limit` contacts on days >= d."""
    if not _on_cells(set(bucket)):
        return None
    days = bucket_counts(filters, "date", bucket) if "date" not in bucket else None
    if days is None or days.missing or days.error or days.empty:
        return None
    newer = 0
    for day, count in sorted(
        days.frame.select("bucket", "contact_count").iter_rows(), reverse=True
    ):
        newer += int(count)
        if newer >= limit:
            return day  # type: ignore[no-any-return]
    return None


def bucket_counts(filters: Filters, dimension: str, bucket: dict[str, Any] | None = None) -> Result:
    """Contacts per value of one dimension (within a drilled-into bucket, if any)."""
    column, _kind = BUCKETS[dimension]
    where, params = _bucket_where(bucket or {})
    keys = {dimension, *(bucket or {})}
    for table, fits in ((CONTACT_CELLS, _on_cells), (CUSTOMER_HOURS, _on_customer_hours)):
        if not fits(keys):
            continue
        result = _run(
            table,
            f"select {column} as bucket, {COUNT_MEASURES} from src where {where} "
            "group by 1 order by 1",
            filters,
            params=params,
        )
        if not result.error:
            return result
    return _run(
        CONTACTS,
        f"""
        select {column} as bucket, count(*) as contact_count,
            count(*) filter (where is_handled) as handled_count,
            count(*) filter (where is_abandoned and not is_short_abandon) as abandoned_count
        from src where {where} group by 1 order by 1
        """,
        filters,
        params=params,
    )


# --------------------------------------------------------------------------
# Data quality
# --------------------------------------------------------------------------
def load_history() -> Result:
    return _run(
        "audit.load_audit",
        """
        select started_at, finished_at, source, entity, file_path, status, rows_read,
            rows_loaded, rows_quarantined, message
        from src order by started_at desc
        """,
        date_col=None,
    )


def quarantine_summary() -> Result:
    return _run(
        "audit.quarantine",
        """
        select entity, field, count(*) as row_count, max(quarantined_at) as last_quarantined_at
        from src group by entity, field order by row_count desc
        """,
        date_col=None,
    )


def quarantined_rows(limit: int = 2000) -> Result:
    return _run(
        "audit.quarantine",
        f"""
        select quarantined_at, entity, file_path, line, field, reason, record_json
        from src order by quarantined_at desc, file_path, line limit {int(limit)}
        """,
        date_col=None,
    )


def quality_tables() -> list[str]:
    try:
        return schema_tables("quality")
    except NoData:
        return []


def quality_table(table: str, limit: int = 2000) -> Result:
    """One table of the `quality` schema, newest first when it has a timestamp."""
    if table not in quality_tables():
        return Result(pl.DataFrame(), table, missing=True)
    cols = columns(table)
    stamp = next((col for col in cols if col.endswith("_at")), None)
    order = f"order by {stamp} desc" if stamp else ""
    return _run(table, f"select * from src {order} limit {int(limit)}", date_col=None)


# --------------------------------------------------------------------------
# Lookups (seeds): display names of codes
# --------------------------------------------------------------------------
_LOOKUPS: dict[str, tuple[str, str]] = {
    "site": ("seeds.sites", "site_code"),
    "intent": ("seeds.intents", "intent_code"),
    "business_type": ("seeds.business_types", "business_type"),
}


def dimension_names(dimension: str, lang: str, with_code: bool = True) -> dict[str, str]:
    """code -> name in the language, from the seeds (empty when there is no lookup)."""
    lookup = _LOOKUPS.get(dimension)
    if lookup is None:
        return {}
    table, code_col = lookup
    name_col = "name_zh" if lang == "zh" else "name_en"
    try:
        if not {code_col, name_col} <= set(columns(table)):
            return {}
        frame = query(f"select {code_col} as code, {name_col} as name from {table}")
    except NoData:
        return {}
    if with_code:
        return {str(code): f"{name} ({code})" for code, name in frame.iter_rows()}
    return {str(code): str(name) for code, name in frame.iter_rows()}


# --------------------------------------------------------------------------
# Scorecard
# --------------------------------------------------------------------------
TARGETS = "seeds.scorecard_targets"


def targets() -> pl.DataFrame:
    """The scorecard targets seed (empty when not published)."""
    if not has_table(TARGETS):
        return pl.DataFrame(
            schema={
                "metric_code": pl.String,
                "target": pl.Float64,
                "direction": pl.String,
                "amber_band": pl.Float64,
            }
        )
    return query(f"select metric_code, target, direction, amber_band from {TARGETS}")


def _metric_sums(
    filters: Filters, codes: Sequence[str], weekly: bool, totals: bool
) -> tuple[pl.DataFrame, pl.DataFrame, list[str], list[str]]:
    """Numerator and denominator per metric, per ISO week and/or over the selection.

    One query per table; asked for both, a table's weeks and its total come
    from one `group by grouping sets ((week), ())`. Returns (weekly
    frame[metric_code, period, numerator, denominator], total frame[metric_code,
    numerator, denominator] (each empty when not asked for), codes whose
    source is not published, codes hidden from this viewer).
    """
    by_table: dict[str, list[Metric]] = {}
    missing: list[str] = []
    restricted: list[str] = []
    for code in codes:
        reading = catalog_metric(code).reading
        if reading is None or metric_absent(code):
            missing.append(code)
        else:
            by_table.setdefault(reading.table, []).append(catalog_metric(code))
    weeks: list[pl.DataFrame] = []
    whole: list[pl.DataFrame] = []
    for table, entries in by_table.items():
        sources = [(m.code, m.reading) for m in entries if m.reading is not None]
        date_col = sources[0][1].date_col
        sums = ",\n".join(
            f'{source.aggregate("numerator")} as "{code}__num", '
            f'{source.aggregate("denominator")} as "{code}__den"'
            for code, source in sources
        )
        week = f"cast(date_trunc('week', {date_col}) as date)"
        if weekly and totals:
            body = (
                "select grouping(scorecard_week) as grouping_id, scorecard_week as period, "
                f"{sums} from (select *, {week} as scorecard_week from src) as weeks "
                "group by grouping sets ((scorecard_week), ())"
            )
        elif weekly:
            body = f"select {week} as period, {sums} from src group by 1 order by 1"
        else:
            body = f"select {sums} from src"
        result = _run(table, body, filters, date_col)
        if result.missing:
            missing += [code for code, _source in sources]
            continue
        if result.restricted:
            restricted += [code for code, _source in sources]
            continue
        frame = result.frame
        parts: list[tuple[list[pl.DataFrame], pl.DataFrame, list[str]]] = []
        if weekly and totals:
            parts.append(
                (weeks, frame.filter(pl.col("grouping_id") == 0).sort("period"), ["period"])
            )
            parts.append((whole, frame.filter(pl.col("grouping_id") == 1), []))
        else:
            parts.append((weeks if weekly else whole, frame, ["period"] if weekly else []))
        for target, part, keys in parts:
            for code, _source in sources:
                target.append(
                    part.select(
                        pl.lit(code).alias("metric_code"),
                        *keys,
                        pl.col(f"{code}__num").cast(pl.Float64).alias("numerator"),
                        pl.col(f"{code}__den").cast(pl.Float64).alias("denominator"),
                    )
                )
    return _metric_frame(weeks, True), _metric_frame(whole, False), missing, restricted


def _metric_frame(frames: list[pl.DataFrame], weekly: bool) -> pl.DataFrame:
    if not frames:
        schema: dict[str, Any] = {"metric_code": pl.String}
        if weekly:
            schema["period"] = pl.Date
        schema |= {"numerator": pl.Float64, "denominator": pl.Float64}
        return _with_value(pl.DataFrame(schema=schema))
    return _with_value(pl.concat(frames))


def metric_weekly(
    filters: Filters, codes: Sequence[str]
) -> tuple[pl.DataFrame, list[str], list[str]]:
    """Weekly figures per metric: frame[metric_code, period, numerator, denominator, value]."""
    weekly, _totals, missing, restricted = _metric_sums(filters, codes, weekly=True, totals=False)
    return weekly, missing, restricted


def metric_totals(
    filters: Filters, codes: Sequence[str]
) -> tuple[pl.DataFrame, list[str], list[str]]:
    """Figures per metric over the selection: frame[metric_code, numerator, denominator, value]."""
    _weekly, totals, missing, restricted = _metric_sums(filters, codes, weekly=False, totals=True)
    return totals, missing, restricted


def _scale(code: str) -> float:
    source = catalog_metric(code).reading
    return source.scale if source else 1.0


def _with_value(frame: pl.DataFrame) -> pl.DataFrame:
    scales = pl.col("metric_code").replace_strict(
        {code: _scale(code) for code in METRICS}, default=1.0, return_dtype=pl.Float64
    )
    return frame.with_columns(
        pl.when(pl.col("denominator") > 0)
        .then(pl.col("numerator") * scales / pl.col("denominator"))
        .otherwise(None)
        .alias("value")
    )


def scorecard(
    filters: Filters, codes: Sequence[str] | None = None
) -> tuple[pl.DataFrame, pl.DataFrame, list[str], list[str]]:
    """(summary per metric with target and status, weekly trend, missing, restricted)."""
    chosen = list(codes) if codes is not None else list(METRICS)
    weekly, totals, missing, restricted = _metric_sums(filters, chosen, weekly=True, totals=True)
    goals = targets()
    rows = []
    for code in chosen:
        if code in missing or code in restricted:
            continue
        entry = catalog_metric(code)
        total = totals.filter(pl.col("metric_code") == code)
        value = total["value"][0] if total.height else None
        goal = goals.filter(pl.col("metric_code") == code)
        target = float(goal["target"][0]) if goal.height else None
        band = float(goal["amber_band"][0]) if goal.height else 0.0
        direction = str(goal["direction"][0]) if goal.height else entry.direction
        rows.append(
            {
                "metric_code": code,
                "family": entry.family,
                "unit": entry.unit,
                "value": value,
                "numerator": total["numerator"][0] if total.height else None,
                "denominator": total["denominator"][0] if total.height else None,
                "target": target,
                "amber_band": band,
                "direction": direction,
                "status": traffic_light(value, target, direction, band),
            }
        )
    summary = pl.DataFrame(
        rows,
        schema={
            "metric_code": pl.String,
            "family": pl.String,
            "unit": pl.String,
            "value": pl.Float64,
            "numerator": pl.Float64,
            "denominator": pl.Float64,
            "target": pl.Float64,
            "amber_band": pl.Float64,
            "direction": pl.String,
            "status": pl.String,
        },
    )
    return summary, weekly, missing, restricted


# --------------------------------------------------------------------------
# Hotline
# --------------------------------------------------------------------------
HOTLINE = "marts.mart_hotline_daily"
HOTLINE_INTERVAL = "marts.mart_hotline_interval"
HOTLINE_GROUPS = ("site_code", "queue", "channel", "intent", "team", "work_mode")


def _ratio(name: str, scale: float = 1.0, alias: str | None = None) -> str:
    return (
        f"{scale} * sum({name}_numerator) / nullif(sum({name}_denominator), 0) as {alias or name}"
    )


HOTLINE_MEASURES = ",\n".join(
    [
        "sum(contact_count) as contact_count",
        "sum(offered_count) as offered_count",
        "sum(answered_count) as answered_count",
        "sum(abandoned_count) as abandoned_count",
        _ratio("answer_rate"),
        _ratio("service_level"),
        _ratio("asa_seconds"),
        _ratio("abandonment_rate"),
        _ratio("aht_seconds"),
        "sum(talk_seconds_sum) / nullif(sum(aht_seconds_denominator), 0) as talk_seconds",
        _ratio("bot_containment_rate"),
        _ratio("escalation_rate"),
        _ratio("transfer_rate"),
        _ratio("repeat_contact_rate"),
        _ratio("complaints_per_10k", 10000.0),
        _ratio("nps", 100.0),
        _ratio("csat_rate"),
    ]
)


HOTLINE_CUTS = ((), ("contact_date", "site_code"), ("site_code",), ("queue",), ("intent",))


def _hotline(filters: Filters) -> dict[tuple[str, ...], Result]:
    return _cuts(HOTLINE, HOTLINE_MEASURES, HOTLINE_CUTS, filters)


def hotline_totals(filters: Filters) -> Result:
    return _hotline(filters)[()]


def hotline_daily(filters: Filters) -> Result:
    return _shaped(
        _hotline(filters)[("contact_date", "site_code")], order=("contact_date", "site_code")
    )


def hotline_by(filters: Filters, group: str) -> Result:
    if group not in HOTLINE_GROUPS:
        raise ValueError(f"cannot group the hotline by {group!r}")
    if (group,) in HOTLINE_CUTS:
        return _shaped(_hotline(filters)[(group,)], order=("offered_count", group), descending=True)
    return _run(
        HOTLINE,
        f"select {group}, {HOTLINE_MEASURES} from src group by 1 order by offered_count desc, 1",
        filters,
    )


def hotline_heatmap(filters: Filters) -> Result:
    """Service level, ASA and volume per ISO weekday x hour (reporting time zone)."""
    return _run(
        HOTLINE_INTERVAL,
        f"""
        select contact_weekday, interval_hour as contact_hour,
            sum(offered_count) as offered_count,
            sum(answered_count) as answered_count,
            {_ratio("service_level")},
            {_ratio("answer_rate")},
            {_ratio("asa_seconds")},
            {_ratio("abandonment_rate")}
        from src group by 1, 2 order by 1, 2
        """,
        filters,
    )


# --------------------------------------------------------------------------
# One-contact resolution and effort (episode grain marts)
# --------------------------------------------------------------------------
FCR = "marts.mart_fcr_daily"
EFFORT = "marts.mart_effort_daily"
EPISODES = "marts.fct_episodes"
AGREEMENT = "marts.mart_effort_ces_agreement"
EPISODE_GROUPS = ("site_code", "channel", "intent", "team")

FCR_MEASURES = ",\n".join(
    [
        "sum(episode_count) as episode_count",
        "sum(censored_episode_count) as censored_episode_count",
        "sum(fcr_denominator) as evaluated_episode_count",
        "sum(unknown_customer_contact_count) as unknown_customer_contact_count",
        "sum(repeated_episode_count) as repeated_episode_count",
        "sum(escalated_episode_count) as escalated_episode_count",
        "sum(marked_unresolved_episode_count) as marked_unresolved_episode_count",
        "sum(fcr_numerator) / nullif(sum(fcr_denominator), 0) as fcr",
    ]
)

EFFORT_COMPONENTS = (
    "extra_handled_contact_sum",
    "abandoned_attempt_sum",
    "channel_switch_sum",
    "transfer_sum",
    "queue_wait_seconds_sum",
    "hold_seconds_sum",
    "backoffice_handoff_sum",
    "elapsed_hours_sum",
)

EFFORT_MEASURES = ",\n".join(
    [
        _ratio("effort_index_mean", alias="effort_index"),
        _ratio("ces_mean"),
        _ratio("ces_top_box", alias="ces_easy_share"),
        "sum(ces_mean_denominator) as ces_answer_count",
        *(
            f"sum({component}) / nullif(sum(effort_index_mean_denominator), 0) "
            f"as {component.removesuffix('_sum')}_per_episode"
            for component in EFFORT_COMPONENTS
        ),
    ]
)


FCR_CUTS = ((), ("episode_date", "channel"), ("intent",), ("site_code",))
EFFORT_CUTS = ((), ("channel",))


def _fcr(filters: Filters) -> dict[tuple[str, ...], Result]:
    return _cuts(FCR, FCR_MEASURES, FCR_CUTS, filters, "episode_date")


def _effort(filters: Filters) -> dict[tuple[str, ...], Result]:
    return _cuts(EFFORT, EFFORT_MEASURES, EFFORT_CUTS, filters, "episode_date")


def fcr_totals(filters: Filters) -> Result:
    return _fcr(filters)[()]


def fcr_daily(filters: Filters) -> Result:
    return _shaped(
        _fcr(filters)[("episode_date", "channel")],
        select=(
            pl.col("episode_date").alias("contact_date"),
            "channel",
            "fcr",
            "evaluated_episode_count",
        ),
        order=("contact_date", "channel"),
    )


def fcr_by(filters: Filters, group: str) -> Result:
    if group not in EPISODE_GROUPS:
        raise ValueError(f"cannot group episodes by {group!r}")
    if (group,) in FCR_CUTS:
        return _shaped(
            _fcr(filters)[(group,)], order=("evaluated_episode_count", group), descending=True
        )
    return _run(
        FCR,
        f"select {group}, {FCR_MEASURES} from src group by 1 "
        "order by evaluated_episode_count desc, 1",
        filters,
        "episode_date",
    )


def effort_totals(filters: Filters) -> Result:
    return _effort(filters)[()]


def effort_by(filters: Filters, group: str) -> Result:
    if group not in EPISODE_GROUPS:
        raise ValueError(f"cannot group episodes by {group!r}")
    if (group,) in EFFORT_CUTS:
        return _shaped(_effort(filters)[(group,)], order=(group,))
    return _run(
        EFFORT,
        f"select {group}, {EFFORT_MEASURES} from src group by 1 order by 1",
        filters,
        "episode_date",
    )


SURVEYED_EPISODES = "marts.mart_dashboard_surveyed_episodes"


def effort_ces_pairs(filters: Filters) -> Result:
    """Effort index and mean CES of the selected, uncensored, surveyed episodes.

    From mart_dashboard_surveyed_episodes (exactly those episodes) when it is
    published, else from fct_episodes.
    """
    if has_table(SURVEYED_EPISODES):
        result = _run(
            SURVEYED_EPISODES,
            "select effort_index, ces_mean_score from src",
            filters,
            "episode_date",
            needs=("surveys",),
        )
        if not result.error:
            return result
    return _run(
        EPISODES,
        "select effort_index, ces_mean_score from src "
        "where not is_censored and ces_answer_count > 0 and effort_index is not null",
        filters,
        "episode_date",
        needs=("surveys",),
    )


def spearman(pairs: pl.DataFrame) -> float | None:
    """Rank correlation (average ranks for ties), None with fewer than 3 pairs."""
    if pairs.height < 3:
        return None
    value = pairs.select(pl.corr("effort_index", "ces_mean_score", method="spearman")).item()
    return None if value is None or value != value else float(value)


def effort_agreement(filters: Filters) -> Result:
    """The mart's per-period rank correlations (all sites; not filterable by site)."""
    return _run(
        AGREEMENT,
        "select period_grain, period_start_date, measure, surveyed_episode_count, spearman_rho "
        "from src order by period_grain, period_start_date, measure",
        filters,
        "period_start_date",
    )


# --------------------------------------------------------------------------
# Prediction and proactive service
# --------------------------------------------------------------------------
PREDICTION = "marts.mart_prediction_daily"
CALIBRATION = "marts.mart_prediction_calibration_daily"
PROACTIVE = "marts.mart_proactive_daily"


PREDICTION_MEASURES = f"""
    {_ratio("accuracy")},
    sum(accuracy_denominator) as judged_contact_count,
    sum(unjudged_prediction_count) as unjudged_prediction_count,
    sum(recall_denominator) as actual_count,
    sum(precision_denominator) as predicted_count,
    {_ratio("precision")},
    {_ratio("recall")}
"""
PREDICTION_CUTS = ((), ("contact_date", "channel"), ("intent",))


def _prediction(filters: Filters) -> dict[tuple[str, ...], Result]:
    return _cuts(PREDICTION, PREDICTION_MEASURES, PREDICTION_CUTS, filters)


def prediction_totals(filters: Filters) -> Result:
    return _shaped(
        _prediction(filters)[()],
        select=("accuracy", "judged_contact_count", "unjudged_prediction_count"),
    )


def prediction_by_intent(filters: Filters) -> Result:
    return _shaped(
        _prediction(filters)[("intent",)],
        select=("intent", "actual_count", "predicted_count", "precision", "recall"),
        order=("actual_count", "intent"),
        descending=True,
    )


def prediction_daily(filters: Filters) -> Result:
    return _shaped(
        _prediction(filters)[("contact_date", "channel")],
        select=("contact_date", "channel", "accuracy"),
        order=("contact_date", "channel"),
    )


def calibration(filters: Filters) -> Result:
    return _run(
        CALIBRATION,
        f"""
        select confidence_decile,
            sum(accuracy_denominator) as contact_count,
            {_ratio("mean_confidence")},
            {_ratio("accuracy")}
        from src group by 1 order by 1
        """,
        filters,
    )


PROACTIVE_MEASURES = f"""
    sum(proactive_contact_count) as proactive_contact_count,
    sum(proactive_share_denominator) as handled_count,
    {_ratio("proactive_share")},
    {_ratio("preemption_rate")},
    sum(preemption_censored_count) as preemption_censored_count
"""
PROACTIVE_CUTS = ((), ("channel",))


def proactive_totals(filters: Filters) -> Result:
    return _shaped(
        _cuts(PROACTIVE, PROACTIVE_MEASURES, PROACTIVE_CUTS, filters)[()],
        select=(
            "proactive_contact_count",
            "proactive_share",
            "preemption_rate",
            "preemption_censored_count",
        ),
    )


def proactive_by_channel(filters: Filters) -> Result:
    return _shaped(
        _cuts(PROACTIVE, PROACTIVE_MEASURES, PROACTIVE_CUTS, filters)[("channel",)],
        select=(
            "channel",
            "proactive_contact_count",
            "handled_count",
            "proactive_share",
            "preemption_rate",
        ),
        order=("channel",),
    )


# --------------------------------------------------------------------------
# Value co-creation
# --------------------------------------------------------------------------
VALUE = "marts.mart_value_daily"
VALUE_MEASURES = ",\n".join(
    [
        "sum(service_contact_count) as service_contact_count",
        "sum(value_censored_contact_count) as value_censored_contact_count",
        _ratio("offer_acceptance_share"),
        _ratio("value_per_1000"),
        _ratio("offer_take_up_rate"),
        _ratio("harm_rate", alias="value_harm_rate"),
        "sum(harm_rate_numerator) as harmed_offer_count",
        "sum(harm_censored_offer_count) as harm_censored_offer_count",
    ]
)


VALUE_CUTS = ((), ("contact_date",), ("site_code",), ("intent",))


def _value(filters: Filters) -> dict[tuple[str, ...], Result]:
    return _cuts(VALUE, VALUE_MEASURES, VALUE_CUTS, filters)


def value_totals(filters: Filters) -> Result:
    return _value(filters)[()]


def value_daily(filters: Filters) -> Result:
    return _shaped(_value(filters)[("contact_date",)], order=("contact_date",))


EVALUATION_AGENT = "marts.mart_evaluation_agent_daily"


def value_by(filters: Filters, group: str) -> Result:
    """Value co-creation per site / channel / intent / team, or per agent (agent mart)."""
    if group not in ("site_code", "channel", "intent", "team", "agent_id"):
        raise ValueError(f"cannot group value by {group!r}")
    if (group,) in VALUE_CUTS and not absent(("offers",)):
        return _shaped(
            _value(filters)[(group,)], order=("service_contact_count", group), descending=True
        )
    table, where = VALUE, "true"
    if group == "agent_id":
        table, where = _agent_source(EVALUATION_AGENT, filters)
    return _run(
        table,
        f"select {group}, {VALUE_MEASURES} from src where {where} group by 1 "
        "order by service_contact_count desc, 1",
        filters,
        needs=("offers",),
    )


# --------------------------------------------------------------------------
# Back office (no site dimension: visible to every-site viewers only)
# --------------------------------------------------------------------------
BACKOFFICE = "marts.mart_backoffice_daily"
BACKOFFICE_BRANCH = "marts.mart_backoffice_branch_daily"
OUTLIERS = "marts.mart_backoffice_reviewer_outliers"
CHANGE_IMPACT = "marts.mart_backoffice_change_impact"
BACKOFFICE_MEASURES = ",\n".join(
    [
        "sum(received_count) as received_count",
        "sum(completed_count) as completed_count",
        "sum(open_past_sla_count) as open_past_sla_count",
        _ratio("processing_seconds", 1 / 60, alias="processing_minutes"),
        _ratio("review_seconds", 1 / 60, alias="review_minutes"),
        _ratio("rejection_return_rate"),
        _ratio("overtime_rate"),
        _ratio("first_time_right_rate"),
    ]
)


BACKOFFICE_CUTS = ((), ("received_date", "business_type"), ("business_type",), ("shift",))


def _backoffice(filters: Filters) -> dict[tuple[str, ...], Result]:
    return _cuts(BACKOFFICE, BACKOFFICE_MEASURES, BACKOFFICE_CUTS, filters, "received_date")


def backoffice_totals(filters: Filters) -> Result:
    return _backoffice(filters)[()]


def backoffice_daily(filters: Filters) -> Result:
    cut = _backoffice(filters)[("received_date", "business_type")]
    return _shaped(
        cut,
        select=(pl.col("received_date").alias("contact_date"), pl.all().exclude("received_date")),
        order=("contact_date", "business_type"),
    )


def backoffice_by(filters: Filters, group: str) -> Result:
    if group not in ("business_type", "shift", "reviewer_id", "branch_id"):
        raise ValueError(f"cannot group the back office by {group!r}")
    if (group,) in BACKOFFICE_CUTS:
        return _shaped(
            _backoffice(filters)[(group,)], order=("received_count", group), descending=True
        )
    table = BACKOFFICE_BRANCH if group == "branch_id" else BACKOFFICE
    return _run(
        table,
        f"select {group}, {BACKOFFICE_MEASURES} from src group by 1 "
        "order by received_count desc, 1",
        filters,
        "received_date",
    )


def reviewer_outliers(filters: Filters, flagged_only: bool = True) -> Result:
    """Reviewer x business type x week z-scores; flagged = |z| > 2 in >= 3 of the last 4 weeks."""
    where = "where is_outlier" if flagged_only else ""
    return _run(
        OUTLIERS,
        f"""
        select week_start_date, reviewer_id, business_type, completed_count,
            mean_review_seconds, peer_mean_review_seconds, review_time_z,
            rejection_rate, peer_rejection_rate, rejection_rate_z,
            review_time_deviating_weeks, rejection_rate_deviating_weeks,
            is_review_time_outlier, is_rejection_rate_outlier, is_outlier
        from src {where}
        order by week_start_date desc,
            greatest(abs(review_time_z), abs(rejection_rate_z)) desc nulls last
        """,
        filters,
        "week_start_date",
    )


def reviewer_z_latest(filters: Filters) -> Result:
    """Every reviewer's z-scores in the latest week of the selection (for the scatter)."""
    return _run(
        OUTLIERS,
        """
        select reviewer_id, business_type, week_start_date, review_time_z, rejection_rate_z,
            is_outlier
        from src
        where week_start_date = (select max(week_start_date) from src)
            and review_time_z is not null and rejection_rate_z is not null
        """,
        filters,
        "week_start_date",
    )


def change_impact() -> Result:
    return _run(
        CHANGE_IMPACT,
        """
        select intervention_id, business_type, effective_date, name_zh, name_en,
            before_item_count, after_item_count,
            before_mean_processing_seconds, after_mean_processing_seconds,
            difference_seconds, relative_difference, ci95_lower_seconds, ci95_upper_seconds,
            before_days_observed, after_days_observed
        from src order by effective_date
        """,
        date_col=None,
    )


# --------------------------------------------------------------------------
# Workforce and continuity
# --------------------------------------------------------------------------
WORKFORCE = "marts.mart_workforce_daily"
HOME_OFFICE = "marts.mart_workforce_home_office_daily"
CONTINUITY = "marts.mart_continuity_disruptions"
WORKFORCE_MEASURES = ",\n".join(
    [
        "sum(handled_contact_count) as handled_contact_count",
        "sum(logged_in_seconds) / 3600.0 as logged_in_hours",
        _ratio("contacts_per_logged_in_hour"),
        _ratio("handle_seconds_per_logged_in_hour"),
        _ratio("attendance_rate"),
        _ratio("fcr"),
        _ratio("csat_rate"),
        _ratio("complaints_per_10k", 10000.0),
    ]
)


WORKFORCE_CUTS = ((), ("work_mode",), ("site_code",), ("activity_date", "site_code"))


def _workforce(filters: Filters) -> dict[tuple[str, ...], Result]:
    return _cuts(WORKFORCE, WORKFORCE_MEASURES, WORKFORCE_CUTS, filters, "activity_date")


def workforce_totals(filters: Filters) -> Result:
    return _workforce(filters)[()]


def workforce_by(filters: Filters, group: str) -> Result:
    if group not in ("work_mode", "site_code", "team"):
        raise ValueError(f"cannot group the workforce by {group!r}")
    if (group,) in WORKFORCE_CUTS:
        return _shaped(_workforce(filters)[(group,)], order=(group,))
    return _run(
        WORKFORCE,
        f"select {group}, {WORKFORCE_MEASURES} from src group by 1 order by 1",
        filters,
        "activity_date",
    )


def workforce_daily(filters: Filters) -> Result:
    return _shaped(
        _workforce(filters)[("activity_date", "site_code")],
        select=(
            pl.col("activity_date").alias("contact_date"),
            "site_code",
            "attendance_rate",
            "contacts_per_logged_in_hour",
        ),
        order=("contact_date", "site_code"),
    )


def home_office_ratio(filters: Filters) -> Result:
    return _run(
        HOME_OFFICE,
        """
        select
            sum(home_handled_contact_count) / nullif(sum(home_logged_in_hours), 0)
                as home_contacts_per_hour,
            sum(office_handled_contact_count) / nullif(sum(office_logged_in_hours), 0)
                as office_contacts_per_hour,
            (sum(home_handled_contact_count) / nullif(sum(home_logged_in_hours), 0))
                / nullif(
                    sum(office_handled_contact_count) / nullif(sum(office_logged_in_hours), 0), 0
                )
                as home_office_productivity_ratio
        from src
        """,
        filters,
        "activity_date",
    )


def continuity(filters: Filters) -> Result:
    """Every disruption x site (not cut by the date range: a disruption is its own period)."""
    return _run(
        CONTINUITY,
        """
        select disruption_id, name_zh, name_en, starts_on, ends_on, site_code, is_disrupted_site,
            during_days_observed, baseline_offered_count, during_offered_count,
            during_expected_offered_count, absorbed_offered_count,
            baseline_answer_rate, during_answer_rate, baseline_service_level, during_service_level,
            baseline_offered_share, during_offered_share
        from src order by disruption_id, is_disrupted_site desc, absorbed_offered_count desc
        """,
        filters,
        date_col=None,
    )


CHECK_RUNS = "quality.check_runs"
CHECK_RESULTS = "quality.check_results"


def check_runs(limit: int = 50) -> Result:
    """The latest data-quality runs (`serviq check`), newest first."""
    return _run(
        CHECK_RUNS,
        f"""
        select run_id, finished_at, is_success, critical_failures, warning_failures,
            expectation_count, suite_count, seconds, build_fingerprint
        from src order by finished_at desc limit {int(limit)}
        """,
        date_col=None,
    )


def latest_check_results() -> Result:
    """Every expectation of the latest run, failures first."""
    return _run(
        CHECK_RESULTS,
        """
        select suite, expectation, column_name, severity, is_success, element_count,
            unexpected_count, unexpected_percent, observed_value, failing_row_keys, checked_at
        from src
        where run_id = (
            select run_id from src order by checked_at desc limit 1
        )
        order by is_success, case severity when 'critical' then 0 else 1 end, suite, expectation
        """,
        date_col=None,
    )


HOTLINE_AGENT = "marts.mart_hotline_agent_daily"
AGENT_DAILY = "marts.mart_dashboard_agent_daily"
AGENT_LIMIT = 200
# the rows of mart_dashboard_agent_daily that each channel-grain agent mart holds
_AGENT_ROWS = {HOTLINE_AGENT: "has_hotline_row", EVALUATION_AGENT: "has_evaluation_row"}


def _agent_source(table: str, filters: Filters) -> tuple[str, str]:
    """(table, row condition) an agent table reads for `table`'s figures.

    `mart_dashboard_agent_daily` (day x agent x site x team, ~220k rows at
    10M contacts, both agent marts' sums side by side) unless a channel is
    filtered (it has no channel column) or it is not published; then the
    channel-grain agent mart itself (~477k rows). Neither has an intent
    column, so an intent filter is reported ignored either way.
    """
    if filters.channels or not has_table(AGENT_DAILY):
        return table, "true"
    return AGENT_DAILY, _AGENT_ROWS[table]


AGENT_KEYS = ("agent_id", "site_code", "team")


def _top_agents(
    table: str, measures: str, rank: str, rank_sum: str, filters: Filters, where: str = "true"
) -> Result:
    """`measures` of the AGENT_LIMIT (agent, site, team) with the largest `rank`, in two reads.

    The first read ranks on one column (cheap); the second sums every
    measure over the rows of those agents only (a semi-join on the list of
    their ids). All (agent, site, team) of those agents
    are summed and sorted like the one-query form (`rank` descending, then
    the keys), so the first AGENT_LIMIT are exactly its rows: any other
    group ranks below the last of the top ones.
    """
    keys = ", ".join(AGENT_KEYS)
    order = f"order by {rank} desc, {keys}"
    top = _run(
        table,
        f"select {keys}, {rank_sum} as {rank} from src where {where} "
        f"group by {keys} {order} limit {AGENT_LIMIT}",
        filters,
    )
    agents = (
        sorted({str(agent) for agent in top.frame["agent_id"].to_list()})
        if not (top.missing or top.error or top.empty)
        else []
    )
    if not agents:
        return _run(
            table,
            f"select {keys}, {measures} from src where {where} "
            f"group by {keys} {order} limit {AGENT_LIMIT}",
            filters,
        )
    # one list parameter, semi-joined: cheaper than 200 constants in an `in`
    # list tested while scanning (10M contacts, alternated: 32 -> 27 ms)
    result = _run(
        table,
        f"select {keys}, {measures} from src where {where} "
        f"and agent_id in (select unnest(?::varchar[])) group by {keys}",
        filters,
        params=[agents],
    )
    if result.missing or result.error:
        return result
    frame = result.frame.sort(
        [rank, *AGENT_KEYS], descending=[True, False, False, False], nulls_last=True
    ).head(AGENT_LIMIT)
    return replace(result, frame=frame)


def hotline_by_agent(filters: Filters) -> Result:
    """The hotline figures per agent (the busiest AGENT_LIMIT agents of the selection)."""
    table, where = _agent_source(HOTLINE_AGENT, filters)
    return _top_agents(
        table, HOTLINE_MEASURES, "answered_count", "sum(answered_count)", filters, where
    )


EVALUATION_AGENT_MEASURES = f"""
    sum(episode_count) as episode_count,
    sum(fcr_denominator) as evaluated_episode_count,
    sum(fcr_numerator) / nullif(sum(fcr_denominator), 0) as fcr,
    {_ratio("effort_index_mean", alias="effort_index")},
    {_ratio("ces_mean")}
"""


def evaluation_by_agent(filters: Filters) -> Result:
    """FCR, effort and survey CES per agent (first handled contact of each episode)."""
    table, where = _agent_source(EVALUATION_AGENT, filters)
    return _top_agents(
        table,
        EVALUATION_AGENT_MEASURES,
        "evaluated_episode_count",
        "sum(fcr_denominator)",
        filters,
        where=f"{where} and agent_id is not null",
    )
