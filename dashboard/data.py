"""Every query the dashboard runs, in one place.

The dashboard reads only the published serving file, through short-lived
read-only connections: each query opens the file, runs, drains its result
and closes, so the pipeline can always replace the file (`os.replace`) and
a new publish is picked up on the next query without a restart. Results are
cached per (query, parameters, published file version).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from pipelines.settings import get_settings


class NoData(RuntimeError):
    """Nothing has been published yet."""


def serving_path() -> Path:
    return get_settings().serving


def version() -> str:
    """Identity of the published file: changes at every publish."""
    path = serving_path()
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise NoData(f"nothing published yet at {path}: run `serviq publish`.") from None
    return f"{stat.st_ino}:{stat.st_mtime_ns}:{stat.st_size}"


_CACHE: dict[tuple[str, str, tuple[Any, ...]], pl.DataFrame] = {}
_CACHE_LIMIT = 256


def query(sql: str, params: Sequence[Any] = ()) -> pl.DataFrame:
    """Run one read-only query against the published file (cached per version)."""
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


@dataclass(frozen=True)
class Filters:
    """What the analyst selected; applied inside every query."""

    start: dt.date
    end: dt.date
    sites: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()

    def where(self, date_col: str = "contact_date") -> tuple[str, list[Any]]:
        clauses = [f"{date_col} between ? and ?"]
        params: list[Any] = [self.start, self.end]
        if self.sites:
            clauses.append(f"site_code in ({', '.join('?' for _ in self.sites)})")
            params += list(self.sites)
        if self.channels:
            clauses.append(f"channel in ({', '.join('?' for _ in self.channels)})")
            params += list(self.channels)
        return " and ".join(clauses), params


def date_bounds() -> tuple[dt.date, dt.date]:
    frame = query("select min(contact_date) as lo, max(contact_date) as hi from marts.mart_contacts_daily")
    lo, hi = frame.row(0)
    if lo is None:
        raise NoData("the published warehouse holds no contacts yet.")
    return lo, hi


def sites() -> list[str]:
    return query("select distinct site_code from marts.mart_contacts_daily order by 1")[
        "site_code"
    ].to_list()


def channels() -> list[str]:
    return query("select distinct channel from marts.mart_contacts_daily order by 1")[
        "channel"
    ].to_list()


def daily_volume(filters: Filters) -> pl.DataFrame:
    """Daily contacts and answer rate by site (re-aggregated from counts)."""
    where, params = filters.where()
    return query(
        f"""
        select
            contact_date,
            site_code,
            sum(contact_count) as contact_count,
            sum(answered_count) as answered_count,
            sum(offered_count) as offered_count,
            sum(answer_rate_numerator) / nullif(sum(answer_rate_denominator), 0) as answer_rate
        from marts.mart_contacts_daily
        where {where}
        group by contact_date, site_code
        order by contact_date, site_code
        """,
        params,
    )


def published_at() -> dt.datetime | None:
    frame = query("select published_at from meta.publication")
    return frame.item(0, 0) if frame.height else None


def is_open_access() -> bool:
    return not os.environ.get("SERVIQ_ROLES_FILE")
