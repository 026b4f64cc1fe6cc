"""Every query the exports run, against the published serving file only.

The queries have the dashboard's shape (dashboard/data.py): a metric is
read from the mart named in the metric catalogue
(`dashboard.metrics_catalog`, `Source`) as `sum(numerator) * scale /
sum(denominator)` (`Source.aggregate`: a derived ratio of ratios uses its
own expressions) over the rows whose `cast(<date column> as date)` lies in
the period and whose `site_code` is one of the chosen sites (when the mart
has that column). Rates are re-aggregated from their numerators and
denominators, never averaged, so a week or a month equals the dashboard's
figure for the same filters.

All functions take an open read-only connection; `scorecard.load`
opens one per export (`pipelines.db.read_only`) and closes it before any
rendering starts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
import polars as pl

from pipelines.db import frame

VOLUME_TABLE = "marts.mart_contacts_daily"
TARGETS_TABLE = "seeds.scorecard_targets"
SITES_TABLE = "seeds.sites"


@dataclass(frozen=True)
class Scope:
    """The rows an export reads: a closed range of local dates and sites."""

    start: dt.date
    end: dt.date
    sites: tuple[str, ...] = ()


@dataclass(frozen=True)
class Measure:
    """One re-aggregatable figure: numerator * scale / denominator.

    `numerator` and `denominator` are aggregate SQL expressions as the
    catalogue's `Source.aggregate()` gives them (`sum(<column>)`, or a
    derived figure's own expression).
    """

    code: str
    numerator: str
    denominator: str
    scale: float = 1.0


def published_columns(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """`schema.table` -> its columns, for every table in the serving file."""
    listing = frame(
        con,
        """
        select table_schema || '.' || table_name as name,
            list(column_name order by ordinal_position) as cols
        from information_schema.columns
        where table_catalog = current_database()
        group by 1
        """,
    )
    return {name: list(cols) for name, cols in listing.iter_rows()}


def where_clause(
    scope: Scope, date_col: str, columns: Sequence[str]
) -> tuple[str, list[Any], bool]:
    """The dashboard's filter: dates always; sites when the table has `site_code`.

    Returns the clause, its parameters and whether the site filter applied.
    """
    clauses = [f"cast({date_col} as date) between ? and ?"]
    params: list[Any] = [scope.start, scope.end]
    site_applied = True
    if scope.sites:
        if "site_code" in columns:
            clauses.append(f"site_code in ({', '.join('?' for _ in scope.sites)})")
            params += list(scope.sites)
        else:
            site_applied = False
    return " and ".join(clauses), params, site_applied


def _measure_sql(measures: Sequence[Measure]) -> str:
    parts = []
    for measure in measures:
        numerator = f"cast({measure.numerator} as double)"
        denominator = f"cast({measure.denominator} as double)"
        parts.append(f"{numerator} as {measure.code}__numerator")
        parts.append(f"{denominator} as {measure.code}__denominator")
        parts.append(
            f"{numerator} * {float(measure.scale)!r} / nullif({denominator}, 0) as {measure.code}"
        )
    return ",\n            ".join(parts)


def measures_by(
    con: duckdb.DuckDBPyConnection,
    table: str,
    columns: Sequence[str],
    date_col: str,
    measures: Sequence[Measure],
    scope: Scope,
    group_by: str | None = None,
) -> pl.DataFrame:
    """Measures of one mart over the scope, overall or per `group_by` column.

    Output columns: [group_by,] then `<code>__numerator`, `<code>__denominator`
    and `<code>` (the value) per measure.
    """
    where, params = where_clause(scope, date_col, columns)[:2]
    key = ""
    grouping = ""
    if group_by is not None:
        expression = f"cast({group_by} as date)" if group_by == date_col else group_by
        key = f"{expression} as {_alias(group_by, date_col)},\n            "
        grouping = "group by 1 order by 1"
    return frame(
        con,
        f"""
        select
            {key}{_measure_sql(measures)}
        from {table}
        where {where}
        {grouping}
        """,
        params,
    )


def _alias(group_by: str, date_col: str) -> str:
    return "period_date" if group_by == date_col else group_by


def censored_counts(
    con: duckdb.DuckDBPyConnection,
    table: str,
    columns: Sequence[str],
    date_col: str,
    scope: Scope,
) -> int:
    """Episodes, contacts or offers the mart reports as censored in the scope.

    Censored rows are too recent to judge (still inside the repeat or value
    window); every `*censored*_count` column of the mart is added up.
    """
    censored = [col for col in columns if "censored" in col and col.endswith("_count")]
    if not censored:
        return 0
    where, params, _ = where_clause(scope, date_col, columns)
    total = " + ".join(f"coalesce(sum({col}), 0)" for col in censored)
    rows = con.execute(f"select {total} from {table} where {where}", params).fetchall()
    return int(rows[0][0] or 0)


def volume_totals(con: duckdb.DuckDBPyConnection, scope: Scope) -> tuple[int, int]:
    """(contacts, days with contacts) in the scope, from the daily volume mart."""
    columns = published_columns(con).get(VOLUME_TABLE, [])
    if not columns:
        return 0, 0
    where, params, _ = where_clause(scope, "contact_date", columns)
    row = con.execute(
        f"""
        select coalesce(sum(contact_count), 0), count(distinct contact_date)
        from {VOLUME_TABLE}
        where {where}
        """,
        params,
    ).fetchall()[0]
    return int(row[0]), int(row[1])


def daily_volume(con: duckdb.DuckDBPyConnection, scope: Scope) -> pl.DataFrame:
    """Daily contacts by site, as the dashboard's overview reads them."""
    columns = published_columns(con).get(VOLUME_TABLE, [])
    if not columns:
        return pl.DataFrame()
    where, params, _ = where_clause(scope, "contact_date", columns)
    return frame(
        con,
        f"""
        select
            contact_date,
            site_code,
            cast(sum(contact_count) as bigint) as contact_count,
            cast(sum(handled_count) as bigint) as handled_count,
            cast(sum(answered_count) as bigint) as answered_count,
            cast(sum(offered_count) as bigint) as offered_count,
            sum(answer_rate_numerator) / nullif(sum(answer_rate_denominator), 0) as answer_rate
        from {VOLUME_TABLE}
        where {where}
        group by contact_date, site_code
        order by contact_date, site_code
        """,
        params,
    )


def data_bounds(con: duckdb.DuckDBPyConnection) -> tuple[dt.date | None, dt.date | None]:
    """First and last contact date published (for the no-data message)."""
    if VOLUME_TABLE not in published_columns(con):
        return None, None
    rows = con.execute(
        f"select min(contact_date), max(contact_date) from {VOLUME_TABLE}"
    ).fetchall()
    return rows[0][0], rows[0][1]


COVERAGE_TABLE = "meta.source_coverage"


def present_entities(con: duckdb.DuckDBPyConnection) -> set[str] | None:
    """Entities with rows in the published build; None when the publish predates coverage."""
    if COVERAGE_TABLE not in published_columns(con):
        return None
    rows = con.execute(f"select entity from {COVERAGE_TABLE} where is_present").fetchall()
    return {str(row[0]) for row in rows}


def targets(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """The scorecard targets seed as published (empty frame when absent)."""
    if TARGETS_TABLE not in published_columns(con):
        return pl.DataFrame()
    return frame(con, f"select * from {TARGETS_TABLE}")


def site_names(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, str]]:
    """site_code -> {'zh': ..., 'en': ...} from the sites seed."""
    if SITES_TABLE not in published_columns(con):
        return {}
    rows = frame(con, f"select site_code, name_zh, name_en from {SITES_TABLE}")
    return {code: {"zh": zh, "en": en} for code, zh, en in rows.iter_rows()}


def published_at(con: duckdb.DuckDBPyConnection) -> dt.datetime | None:
    if "meta.publication" not in published_columns(con):
        return None
    rows = con.execute("select max(published_at) from meta.publication").fetchall()
    return rows[0][0] if rows else None
