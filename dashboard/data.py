"""Every query the dashboard runs, in one place, with access scoping.

The dashboard reads only the published serving file, through short-lived
read-only connections: each query opens the file, runs, drains its result
and closes, so the pipeline can always replace the file (`os.replace`) and
a new publish is picked up on the next query without a restart. Results are
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
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from dashboard import access
from dashboard.metrics_catalog import METRICS, Metric, traffic_light
from dashboard.metrics_catalog import metric as catalog_metric
from pipelines.settings import get_settings


class NoData(RuntimeError):
    """Nothing has been published yet (or nothing is visible to this viewer)."""


def serving_path() -> Path:
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


def query(sql: str, params: Sequence[Any] = ()) -> pl.DataFrame:
    """Run one read-only query against the published file (cached per version).

    Low level: callers inside this module read tables through `_run()`,
    which applies the viewer's scope. Only catalogue queries call this
    directly.
    """
    key = (version(), sql, tuple(params))
    cached = _CACHE.get(key)
    if cached is not None:
        return cached
    con = duckdb.connect(str(serving_path()), read_only=True)
    try:
        table = con.sql(sql, params=list(params) if params else None).to_arrow_table()
    finally:
        con.close()
    result = pl.from_arrow(table)
    assert isinstance(result, pl.DataFrame)
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
        select table_schema || '.' || table_name as name, list(column_name order by ordinal_position) as cols
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
) -> Result:
    """Run `body` (which reads the scoped table as `src`) or report the table missing."""
    if not has_table(table):
        return Result(pl.DataFrame(), table, missing=True)
    source, source_params, ignored, restricted = _source(table, filters, date_col)
    frame = query(f"with src as ({source})\n{body}", [*source_params, *params])
    return Result(frame, table, ignored=ignored, restricted=restricted)


def _all(
    table: str, filters: Filters | None = None, date_col: str | None = None, order: str = ""
) -> Result:
    """The whole (scoped, filtered) table."""
    return _run(table, f"select * from src {order}", filters, date_col)


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


def date_bounds() -> tuple[dt.date, dt.date]:
    result = _run(_base_table(), "select min(contact_date) as lo, max(contact_date) as hi from src")
    lo, hi = result.frame.row(0)
    if lo is None:
        raise NoData("the published warehouse holds no contacts visible to you.")
    return lo, hi


def choices(dimension: str) -> list[str]:
    """Distinct values of a filter dimension the viewer may see."""
    column = DIMENSIONS[dimension]
    table = _base_table()
    if column not in columns(table):
        return []
    result = _run(
        table, f"select distinct {column} as value from src where {column} is not null order by 1"
    )
    return [str(value) for value in result.frame["value"].to_list()]


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
def daily_volume(filters: Filters) -> Result:
    """Daily contacts and answer rate by site (re-aggregated from counts)."""
    return _run(
        DAILY,
        """
        select
            contact_date,
            site_code,
            sum(contact_count) as contact_count,
            sum(handled_count) as handled_count,
            sum(answered_count) as answered_count,
            sum(offered_count) as offered_count,
            sum(answer_rate_numerator) / nullif(sum(answer_rate_denominator), 0) as answer_rate
        from src
        group by contact_date, site_code
        order by contact_date, site_code
        """,
        filters,
    )


def channel_mix(filters: Filters) -> Result:
    return _run(
        DAILY,
        """
        select channel, sum(contact_count) as contact_count
        from src group by channel order by contact_count desc
        """,
        filters,
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


def bucket_summary(filters: Filters, bucket: dict[str, Any]) -> Result:
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
    """The contacts of one bucket (masked columns only), newest first."""
    where, params = _bucket_where(bucket)
    cols = ", ".join(EXPLORE_COLUMNS)
    return _run(
        CONTACTS,
        f"select {cols} from src where {where} order by started_local_at desc limit {int(limit)}",
        filters,
        params=params,
    )


def bucket_counts(filters: Filters, dimension: str, bucket: dict[str, Any] | None = None) -> Result:
    """Contacts per value of one dimension (within a drilled-into bucket, if any)."""
    column, _kind = BUCKETS[dimension]
    where, params = _bucket_where(bucket or {})
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


def dimension_names(dimension: str, lang: str) -> dict[str, str]:
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
    return {str(code): f"{name} ({code})" for code, name in frame.iter_rows()}


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


def metric_weekly(
    filters: Filters, codes: Sequence[str]
) -> tuple[pl.DataFrame, list[str], list[str]]:
    """Weekly numerator/denominator per metric, one query per source table.

    Returns (frame[metric_code, period, numerator, denominator, value],
    codes whose source is not published, codes hidden from this viewer).
    """
    by_table: dict[str, list[Metric]] = {}
    for code in codes:
        entry = catalog_metric(code)
        if entry.source is not None:
            by_table.setdefault(entry.source.table, []).append(entry)
    frames: list[pl.DataFrame] = []
    missing = [code for code in codes if catalog_metric(code).source is None]
    restricted: list[str] = []
    for table, entries in by_table.items():
        date_col = entries[0].source.date_col  # type: ignore[union-attr]
        sums = ",\n".join(
            f'sum({m.source.numerator}) as "{m.code}__num", sum({m.source.denominator}) as "{m.code}__den"'  # type: ignore[union-attr]
            for m in entries
        )
        result = _run(
            table,
            f"select cast(date_trunc('week', {date_col}) as date) as period, {sums} "
            "from src group by 1 order by 1",
            filters,
            date_col,
        )
        if result.missing:
            missing += [m.code for m in entries]
            continue
        if result.restricted:
            restricted += [m.code for m in entries]
            continue
        for m in entries:
            part = result.frame.select(
                pl.lit(m.code).alias("metric_code"),
                "period",
                pl.col(f"{m.code}__num").cast(pl.Float64).alias("numerator"),
                pl.col(f"{m.code}__den").cast(pl.Float64).alias("denominator"),
            )
            frames.append(part)
    if not frames:
        empty = pl.DataFrame(
            schema={
                "metric_code": pl.String,
                "period": pl.Date,
                "numerator": pl.Float64,
                "denominator": pl.Float64,
            }
        )
        return _with_value(empty), missing, restricted
    return _with_value(pl.concat(frames)), missing, restricted


def _scale(code: str) -> float:
    source = catalog_metric(code).source
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
    weekly, missing, restricted = metric_weekly(filters, chosen)
    totals = weekly.group_by("metric_code").agg(
        pl.col("numerator").sum(), pl.col("denominator").sum()
    )
    totals = _with_value(totals)
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
                "numerator": float(total["numerator"][0]) if total.height else None,
                "denominator": float(total["denominator"][0]) if total.height else None,
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


def hotline_totals(filters: Filters) -> Result:
    return _run(HOTLINE, f"select {HOTLINE_MEASURES} from src", filters)


def hotline_daily(filters: Filters) -> Result:
    return _run(
        HOTLINE,
        f"select contact_date, site_code, {HOTLINE_MEASURES} from src group by 1, 2 order by 1, 2",
        filters,
    )


def hotline_by(filters: Filters, group: str) -> Result:
    if group not in HOTLINE_GROUPS:
        raise ValueError(f"cannot group the hotline by {group!r}")
    return _run(
        HOTLINE,
        f"select {group}, {HOTLINE_MEASURES} from src group by 1 order by offered_count desc",
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
