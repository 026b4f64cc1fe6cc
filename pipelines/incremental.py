"""Incremental builds: what a `dbt build` must recompute, from the load audit.

Every build that runs the whole project records itself in `audit.dbt_builds`
(mode, a fingerprint of the project and its vars, the load-audit watermark
and the local date the data ended on). The next build is incremental when
the fingerprint is unchanged and nothing forces a full rebuild; it then
writes one row to `audit.dbt_build_plan` for the models to read
(macros/incremental/serviq_incremental.sql), dropped when the build ends;
not dbt vars, because a changed var makes dbt re-parse the whole project:

- `incremental_since`: the earliest local day of a contact loaded since the
  last build (a late file for an old day moves it back);
- `incremental_pointed_days`: the days before it of contacts that new
  surveys, offers, complaints or back-office items point to (a complaint
  about a contact of five weeks ago changes that contact's day, not the
  five weeks since), listed one by one (reported; the models read the
  contacts themselves, below);
- `incremental_complaints_since`: the earliest new complaint's own day (the
  harm check looks back a value window from it);
- `incremental_previous_end`: the local date the data ended on at the last
  build; censoring windows are counted back from it;
- `incremental_loads_after`: the last build's load-audit watermark (the
  scoped data tests test the loads after it);
- `incremental_episode_contacts`: how many contacts the episode models
  recompute (below), so they can choose how to read them
  (macros/cross_db/ctes.sql).

and the contacts before `incremental_since` that new rows point to, one row
per contact and pointing entity, in `audit.dbt_build_pointed` (contact_id,
customer_id, started_at, contact_date, entity): a late survey changes its
contact's survey counts and its episode, not the contact's whole day, so the
models recompute those contacts (or their customers' episodes) only.

A full rebuild is chosen when there is no earlier build, the models, macros,
seeds, dbt_project.yml or the vars changed, an as-of run is asked for (or
the last build was one), or agents were loaded (their history re-dates
every contact's site and team).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from pipelines.db import cap_memory
from pipelines.settings import Settings

STATE_TABLE = "audit.dbt_builds"
STATE_DDL = f"""
create schema if not exists audit;
create table if not exists {STATE_TABLE} (
    built_at timestamptz not null,
    mode varchar not null,              -- full | incremental | as_of
    fingerprint varchar not null,
    loads_through timestamptz,          -- load audit watermark the build saw
    data_end_date date,                 -- local date of the latest contact start
    incremental_since date
)
"""
PLAN_TABLE = "audit.dbt_build_plan"
POINTED_TABLE = "audit.dbt_build_pointed"
EPISODE_FROM_TABLE = "audit.dbt_build_episode_from"
# Each contact's customer's previous start, in both of _write_episode_from's
# passes (a gap is measured the same way in the stretch and in whole histories)
PREVIOUS_START = (
    "lag(contacts.started_at) over "
    "(partition by contacts.customer_id order by contacts.started_at) as previous_started_at"
)
# How far before a customer's earliest changing contact the planner first
# looks for the gap its episodes are recomputed from, in gaps (a repeat
# window and a day each); the customers it does not settle are searched
# over their whole history (_write_episode_from).
EPISODE_FROM_LOOKBACK_GAPS = 4
INCREMENTAL_VARS = (
    "incremental_since",
    "incremental_previous_end",
    "incremental_loads_after",
    "incremental_complaints_since",
    "incremental_pointed_days",
)
# Project folders whose content decides what every model computes.
FINGERPRINTED = ("models", "macros", "seeds", "dbt_project.yml")
# An incremental build whose estimated model work (FAMILY_WEIGHTS) is more
# than this share of a full build's is run as a full rebuild (DECISIONLOG
# "Incremental builds"): redoing everything incrementally measured 111 % of
# a full build (delete+insert on top), so below ~0.9 it still pays; 0.7
# leaves room for the estimate's error (fixed dbt cost is not in it).
MAX_RECOMPUTE_SHARE = 0.7
# Share of a full build's model time per family of models (dbt run_results
# of a full build; see DECISIONLOG), and what each family recomputes
# incrementally: `recent` = contacts from a repeat window before the earlier
# of since and the previous end, plus pointed contacts; `episodes` = the
# contacts of the customers whose episodes can change, from the instant
# their episodes are recomputed from (_write_episode_from); `value` = contacts
# from two value windows back (and offers' pointed ones); `whole` = tables
# rebuilt whole on every build (back-office and workforce marts, continuity,
# dashboard marts): always all of it. Since session 10 the back-office items
# and workforce agent-days are incremental, so `whole` overstates a new day
# a little (it was measured with them in it); an overstatement only makes
# a borderline build run in full, which is still exact.
# (session 5, 1.1M and 1.2M contacts: recent 0.35-0.50, episodes 0.30-0.41,
# value 0.05-0.10, whole 0.14-0.20; session 6, the 10M full build of 30
# days, 552 s of model time: recent 0.35, episodes 0.42, value 0.10, whole
# 0.12 -- taken, as the size where the choice matters)
FAMILY_WEIGHTS = {"recent": 0.35, "episodes": 0.42, "value": 0.10, "whole": 0.13}
# Raw entities whose rows point at a contact (column holding the contact id).
CONTACT_POINTERS = {
    "surveys": "contact_id",
    "offers": "contact_id",
    "complaints": "contact_id",
    "backoffice_items": "source_contact_id",
}
# Raw contact tables: (table, contact id, start).
CONTACT_TABLES = (("calls", "call_id", "ivr_started_at"), ("tickets", "ticket_id", "created_at"))


@dataclass
class BuildPlan:
    """How the next build runs: full, or incremental with these dbt vars."""

    full_refresh: bool
    reason: str
    fingerprint: str
    mode: str = "full"
    loads_through: dt.datetime | None = None
    data_end_date: dt.date | None = None
    data_start_date: dt.date | None = None
    since: dt.date | None = None
    previous_end: dt.date | None = None
    loads_after: dt.datetime | None = None  # the previous build's watermark
    complaints_since: dt.date | None = None
    pointed_days: list[dt.date] = field(default_factory=list)
    pointed_contacts: int = 0
    episode_customers: int = 0  # customers whose later episodes are recomputed
    episode_contacts: int | None = None  # their contacts from each one's instant on
    estimated_share: float | None = None  # estimated work / a full build's
    dbt_vars: dict[str, Any] = field(default_factory=dict)  # none yet: the plan is a table


def fingerprint(project_dir: Path, dbt_vars: Mapping[str, Any] | None) -> str:
    """SHA-256 over the project files that shape the models, and the vars."""
    digest = hashlib.sha256()
    for name in FINGERPRINTED:
        root = project_dir / name
        paths = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for path in paths:
            digest.update(str(path.relative_to(project_dir)).encode())
            digest.update(path.read_bytes())
    own = {k: v for k, v in (dbt_vars or {}).items() if k not in INCREMENTAL_VARS}
    digest.update(json.dumps(own, sort_keys=True, default=str).encode())
    return digest.hexdigest()


def _tables(con: duckdb.DuckDBPyConnection, schema: str) -> set[str]:
    rows = con.execute(
        "select table_name from information_schema.tables where table_schema = ?", [schema]
    ).fetchall()
    return {row[0] for row in rows}


def _columns(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> set[str]:
    rows = con.execute(
        "select column_name from information_schema.columns "
        "where table_schema = ? and table_name = ?",
        [schema, table],
    ).fetchall()
    return {row[0] for row in rows}


def _contacts_sql(raw: set[str], con: duckdb.DuckDBPyConnection) -> str | None:
    parts = []
    for table, key, started in CONTACT_TABLES:
        if table not in raw:
            continue
        has_customer = "customer_id" in _columns(con, "raw", table)
        customer = "customer_id" if has_customer else "cast(null as varchar)"
        parts.append(
            f"select {key} as contact_id, {customer} as customer_id, "
            f"{started} as started_at, _load_id from raw.{table}"
        )
    return " union all ".join(parts) if parts else None


def _touched_sql(raw: set[str], contacts: str) -> str:
    """Each local day a row loaded after the watermark touches, by kind.

    kind `contact`: a new contact's own day; `pointed`: the day of a contact
    that a new survey, offer, complaint or back-office item points to (from
    audit.dbt_build_pointed, which _write_pointed fills first); `complaint`:
    a new complaint's own day (the harm check looks back from it).
    """
    new = "(select load_id from new_loads)"
    parts = [
        f"select 'contact' as kind, started_at from contacts where _load_id in {new}",
        f"select 'pointed', started_at from {POINTED_TABLE}",
    ]
    if "complaints" in raw:
        parts.append(f"select 'complaint', received_at from raw.complaints where _load_id in {new}")
    return (
        "with new_loads as (select load_id from audit.load_audit "
        "where status = 'loaded' and finished_at > ?), "
        f"contacts as ({contacts}), touched as ({' union all '.join(parts)}) "
        "select distinct kind, cast(timezone(?, started_at) as date) as day from touched "
        "order by kind, day"
    )


def _last_build(con: duckdb.DuckDBPyConnection) -> tuple[Any, ...] | None:
    if "dbt_builds" not in _tables(con, "audit"):
        return None
    return con.execute(
        f"select mode, fingerprint, loads_through, data_end_date from {STATE_TABLE} "
        "order by built_at desc limit 1"
    ).fetchone()


def _observe(con: duckdb.DuckDBPyConnection, settings: Settings, plan: BuildPlan) -> set[str]:
    """Watermark and end of the data as this build will see them; the raw tables."""
    raw = _tables(con, "raw")
    if "load_audit" in _tables(con, "audit"):
        watermark = con.execute("select max(finished_at) from audit.load_audit").fetchone()
        plan.loads_through = watermark[0] if watermark else None
    contacts = _contacts_sql(raw, con)
    if contacts:
        span = con.execute(
            f"select cast(timezone(?, min(started_at)) as date), "
            f"cast(timezone(?, max(started_at)) as date) from ({contacts})",
            [settings.timezone, settings.timezone],
        ).fetchone()
        plan.data_start_date, plan.data_end_date = span if span else (None, None)
    return raw


def plan_build(
    settings: Settings,
    dbt_vars: Mapping[str, Any] | None,
    full_refresh: bool = False,
    rebuild_reason: str | None = None,
) -> BuildPlan:
    """Decide between a full and an incremental build of the whole project.

    `full_refresh`: the user asked for a full build. `rebuild_reason`: the
    caller knows another reason a built warehouse must be rebuilt whole (its
    marts file is missing); a first or as-of build keeps its own reason.
    """
    # the reporting time zone dates every row: build.py passes it as a var too
    print_ = fingerprint(
        settings.dbt_project_dir, {"reporting_timezone": settings.timezone, **(dbt_vars or {})}
    )
    plan = BuildPlan(full_refresh=True, reason="first build", fingerprint=print_)
    if (dbt_vars or {}).get("as_of_date"):
        plan.mode, plan.reason = "as_of", "as-of build"
    if not settings.warehouse.exists():
        return plan
    con = duckdb.connect(str(settings.warehouse))
    # the planner reads every contact: without the cap an instance may take
    # 80 % of RAM (5.6 GiB at 30M contacts, DECISIONLOG "Incremental builds")
    cap_memory(con, settings.duckdb_memory_limit)
    try:
        raw = _observe(con, settings, plan)
        last = _last_build(con)
        if full_refresh or plan.mode == "as_of" or last is None:
            plan.reason = "asked for" if full_refresh else plan.reason
            return plan
        if rebuild_reason is not None:
            plan.reason = rebuild_reason
            return plan
        mode, last_print, watermark, previous_end = last
        contacts = _contacts_sql(raw, con)
        if mode != "full" and mode != "incremental":
            plan.reason = "the last build was an as-of build"
        elif last_print != print_:
            plan.reason = "models, macros, seeds or vars changed"
        elif contacts is None or watermark is None or previous_end is None:
            plan.reason = "no contacts at the last build"
        elif _agents_loaded_since(con, watermark):
            plan.reason = "agents loaded"
        else:
            plan.full_refresh, plan.mode, plan.reason = False, "incremental", "new loads"
            plan.previous_end, plan.loads_after = previous_end, watermark
            _write_pointed(con, plan, raw, contacts, settings.timezone)
            touched = con.execute(
                _touched_sql(raw, contacts), [watermark, settings.timezone]
            ).fetchall()
            _set_days(plan, touched)
            _keep_pointed_before_since(con, plan)
            _write_episode_from(con, plan, settings, dbt_vars, raw, contacts)
            _rebuild_when_most_work_redone(con, plan, settings, dbt_vars, contacts)
        return plan
    finally:
        _write_plan(con, plan)
        con.close()


def _set_days(plan: BuildPlan, touched: list[tuple[str, dt.date]]) -> None:
    """since = the earliest new contact's day (nothing new: the day after the
    previous end, so only end windows are redone); pointed days before it
    are listed one by one rather than moving it back (a complaint about a
    contact of five weeks ago would otherwise redo five weeks)."""
    days: dict[str, list[dt.date]] = {}
    for kind, day in touched:
        days.setdefault(kind, []).append(day)
    assert plan.previous_end is not None
    plan.since = min(days.get("contact", []), default=plan.previous_end + dt.timedelta(days=1))
    plan.complaints_since = min(days.get("complaint", []), default=None)
    plan.pointed_days = sorted({day for day in days.get("pointed", []) if day < plan.since})


def _local_date_from(day_param: str, started: str = "started_at") -> str:
    """SQL: the local date of `started` (timestamptz), null before local day $`day_param`.

    Rows more than a day before that day starts in UTC (every offset is
    within 14 hours) are null without a time-zone conversion, so only the
    rows near or after it pay one; for comparisons with $`day_param` or any
    later day it is exact in any zone. The planner's queries read every
    contact, and at 3.7M contacts converting each was most of their cost.
    """
    return (
        f"case when {started} >= cast(${day_param} as timestamp) at time zone 'UTC' "
        f"- interval 1 day then cast(timezone($tz, {started}) as date) end"
    )


def _pointing_sql(raw: set[str]) -> str:
    """Every row loaded after the watermark that points at a contact."""
    parts = [
        f"select '{entity}' as entity, {pointer} as contact_id from raw.{entity} "
        "where _load_id in (select load_id from audit.load_audit "
        "where status = 'loaded' and finished_at > $watermark)"
        for entity, pointer in CONTACT_POINTERS.items()
        if entity in raw
    ]
    return (
        " union all ".join(parts)
        if parts
        else "select null as entity, null as contact_id where false"
    )


def _write_pointed(
    con: duckdb.DuckDBPyConnection, plan: BuildPlan, raw: set[str], contacts: str, timezone: str
) -> None:
    """The contacts that new rows point to, one row per entity and contact.

    The models recompute these contacts (or their customers' episodes)
    rather than their whole days: a late survey changes its own contact's
    counts and episode, nothing else on that day. Written before `since` is
    known (their days are among those the build touches), and cut to the
    contacts before it by _keep_pointed_before_since.

    The contacts are read through a semi-join on the pointed ids, which
    DuckDB turns into a filter on the scan; joined directly, every stored
    contact went through the join (at 36M contacts, 3.4 s of a new day's
    planning; DECISIONLOG "Incremental builds").
    """
    con.execute(f"drop table if exists {POINTED_TABLE}")
    con.execute(
        f"create table {POINTED_TABLE} as "
        f"with pointing as materialized ({_pointing_sql(raw)}), "
        f"contacts as (select * from ({contacts}) as stored "
        "where stored.contact_id in (select pointing.contact_id from pointing)) "
        "select distinct pointing.entity, contacts.contact_id, contacts.customer_id, "
        "contacts.started_at, cast(timezone($tz, contacts.started_at) as date) as contact_date "
        "from pointing inner join contacts on pointing.contact_id = contacts.contact_id",
        {"watermark": plan.loads_after, "tz": timezone},
    )


def _keep_pointed_before_since(con: duckdb.DuckDBPyConnection, plan: BuildPlan) -> None:
    """Only the pointed contacts before `since`: the later days are recomputed whole."""
    con.execute(f"delete from {POINTED_TABLE} where contact_date >= ?", [plan.since])
    found = con.execute(f"select count(distinct contact_id) from {POINTED_TABLE}").fetchone()
    plan.pointed_contacts = int(found[0]) if found else 0


def _write_episode_from(
    con: duckdb.DuckDBPyConnection,
    plan: BuildPlan,
    settings: Settings,
    dbt_vars: Mapping[str, Any] | None,
    raw: set[str],
    contacts: str,
) -> None:
    """Per customer whose episodes can change, the instant to recompute them from.

    An episode can change when one of its contacts is new or in the end
    window (from a repeat window and a day before the earlier of since and
    the previous end: censoring), a new survey or back-office item points to
    one (its CES, hand-offs, resolution), or one has a back-office item
    still open (resolved at the end of the data). From the customer's
    earliest such contact, the instant is the start of the latest contact
    of the customer at or before it with no contact of the customer in the
    repeat window and a day before it (or the first contact). A handled
    contact repeats one at most a repeat window earlier and an attempt joins
    a handled contact at most a repeat window later, so no episode has
    contacts on both sides of that instant, in the stored data or the new.
    Every contact with a customer counts, whatever its role (more contacts
    only make the gap rarer, never wrong).

    Most customers' gap is found within EPISODE_FROM_LOOKBACK_GAPS gaps'
    length before their earliest changing contact, so that stretch is
    searched first (DuckDB skips the older stored contacts by their row
    groups' bounds); only the customers whose gap it does not settle have
    their whole history read (at 36M contacts: every stored contact went
    through a join and a window, 6 s of a new day's planning).
    """
    assert plan.since is not None and plan.previous_end is not None
    window = int({**_project_vars(settings), **(dbt_vars or {})}["repeat_window_days"])
    first = min(plan.since, plan.previous_end) - dt.timedelta(days=window + 1)
    gap_seconds = (window + 1) * 86400
    lookback_seconds = EPISODE_FROM_LOOKBACK_GAPS * gap_seconds
    # no later than the start of local day `first` in any time zone
    first_at = dt.datetime.combine(first, dt.time(), dt.UTC) - dt.timedelta(days=1)
    with_customer = (
        "select contact_id, customer_id, started_at "
        f"from ({contacts}) as stored where customer_id is not null"
    )
    # The `in (select ...)` beside an inner join on the same ids is not
    # redundant: DuckDB turns it into a filter on the contacts' scan, where
    # the join alone streams every stored contact (as in _write_pointed).
    open_items = (
        "union all select contacts.customer_id, contacts.started_at "
        "from open_items inner join contacts "
        "on open_items.source_contact_id = contacts.contact_id "
        "where contacts.contact_id in (select open_items.source_contact_id from open_items)"
        if "backoffice_items" in raw and "completed_at" in _columns(con, "raw", "backoffice_items")
        else ""
    )
    open_items_cte = (
        "open_items as materialized (select source_contact_id from raw.backoffice_items "
        "where completed_at is null), "
        if open_items
        else ""
    )
    con.execute(
        f"""
        create or replace temp table episode_concerned as
        with {open_items_cte}contacts as not materialized ({with_customer}),
        changing as (
            -- the instant bound lets DuckDB skip the older stored contacts
            select customer_id, started_at from contacts
            where started_at >= $first_at and {_local_date_from("first")} >= $first
            union all
            select customer_id, started_at from {POINTED_TABLE}
            where entity in ('surveys', 'backoffice_items') and customer_id is not null
            {open_items}
        )
        select customer_id, min(started_at) as changing_from_at
        from changing
        group by customer_id
        """,
        {"tz": settings.timezone, "first": first, "first_at": first_at},
    )
    # a stretch's start for a customer whose earliest changing contact is
    # on `first` (local date; every offset is within a day of UTC): the
    # stored contacts before it are skipped whole, and the customers whose
    # stretch would start before it are searched over their whole history
    bound = first_at - dt.timedelta(seconds=lookback_seconds)
    con.execute(f"drop table if exists {EPISODE_FROM_TABLE}")
    con.execute(
        f"""
        create table {EPISODE_FROM_TABLE} as
        with contacts as ({with_customer}),
        stretch as (
            select
                contacts.customer_id,
                contacts.started_at,
                concerned.changing_from_at,
                {PREVIOUS_START}
            from contacts
            inner join episode_concerned as concerned
                on contacts.customer_id = concerned.customer_id
                and contacts.started_at <= concerned.changing_from_at
                and epoch(concerned.changing_from_at) - epoch(contacts.started_at)
                    <= $lookback_seconds
            where contacts.started_at >= $bound
                and epoch(concerned.changing_from_at) - epoch($bound) >= $lookback_seconds
        )
        -- a contact with an earlier one in the stretch has its gap; the
        -- stretch's first has one for sure when it starts more than a gap
        -- after the stretch does (any earlier contact is before the stretch)
        select customer_id, max(started_at) as recompute_from_at
        from stretch
        where epoch(started_at) - epoch(previous_started_at) > $gap_seconds
            or (previous_started_at is null
                and epoch(started_at) - epoch(changing_from_at) + $lookback_seconds
                    > $gap_seconds)
        group by customer_id
        """,
        {
            "bound": bound,
            "gap_seconds": gap_seconds,
            "lookback_seconds": lookback_seconds,
        },
    )
    con.execute(
        f"""
        insert into {EPISODE_FROM_TABLE}
        with unsettled as materialized (
            select customer_id, changing_from_at from episode_concerned
            where customer_id not in (
                select settled.customer_id from {EPISODE_FROM_TABLE} as settled
            )
        ),
        contacts as ({with_customer}),
        history as (
            select
                contacts.customer_id,
                contacts.started_at,
                {PREVIOUS_START}
            from contacts
            inner join unsettled on contacts.customer_id = unsettled.customer_id
            where contacts.started_at <= unsettled.changing_from_at
                and contacts.customer_id in (select unsettled.customer_id from unsettled)
        )
        select customer_id, max(started_at) as recompute_from_at
        from history
        where previous_started_at is null
            or epoch(started_at) - epoch(previous_started_at) > $gap_seconds
        group by customer_id
        """,
        {"gap_seconds": gap_seconds},
    )
    con.execute("drop table episode_concerned")
    found = con.execute(f"select count(*) from {EPISODE_FROM_TABLE}").fetchone()
    plan.episode_customers = int(found[0]) if found else 0


def _rebuild_when_most_work_redone(
    con: duckdb.DuckDBPyConnection,
    plan: BuildPlan,
    settings: Settings,
    dbt_vars: Mapping[str, Any] | None,
    contacts: str,
) -> None:
    """Switch to a full rebuild when the incremental one would redo most of the work.

    The work of each family of models (FAMILY_WEIGHTS) is taken to grow with
    the contacts it recomputes: `recent` the contacts from a repeat window
    before the earlier of since and the previous end, plus the contacts new
    surveys and complaints point to; `episodes` the contacts of each
    customer in audit.dbt_build_episode_from from its instant on (and the
    recent ones without a customer); `value` the contacts from two value windows
    back (and those new offers point to); `whole` is rebuilt whole either
    way. Above MAX_RECOMPUTE_SHARE of a full build the incremental build is
    not worth its delete+insert overhead (at 3M contacts over 60 days a
    build redoing every day took 111 % of a full one); a full rebuild is
    then the faster, equal result.
    """
    if plan.since is None or plan.previous_end is None:
        return
    project = {**_project_vars(settings), **(dbt_vars or {})}
    window = int(project["repeat_window_days"])
    value_window = int(project["value_window_days"])
    earliest = min(plan.since, plan.previous_end)
    first = earliest - dt.timedelta(days=window + 1)
    value_first = min(earliest, plan.complaints_since or earliest) - dt.timedelta(
        days=2 * value_window + 1
    )
    row = con.execute(
        f"""
        with contacts as (
            select
                contact_id,
                customer_id,
                started_at,
                -- null before the earliest day compared (value_first)
                {_local_date_from("value_first")} as contact_date
            from ({contacts})
        )
        select
            count(*),
            count(*) filter (where contact_date >= $first),
            count(*) filter (
                where episode_from.customer_id is not null
                    or (contacts.customer_id is null and contact_date >= $first)
            ),
            count(*) filter (where contact_date >= $value_first),
            (select count(distinct contact_id) from {POINTED_TABLE}
             where entity in ('surveys', 'complaints')),
            (select count(distinct contact_id) from {POINTED_TABLE}
             where entity = 'offers' and contact_date < $value_first)
        from contacts
        left join {EPISODE_FROM_TABLE} as episode_from
            on contacts.customer_id = episode_from.customer_id
            and contacts.started_at >= episode_from.recompute_from_at
        """,
        {"tz": settings.timezone, "first": first, "value_first": value_first},
    ).fetchone()
    assert row is not None
    total, recent, episodes, value, pointed_hotline, pointed_offers = (int(n or 0) for n in row)
    if total == 0:
        return
    redone = {
        "recent": min(total, recent + pointed_hotline),
        "episodes": episodes,
        "value": min(total, value + pointed_offers),
        "whole": total,
    }
    share = sum(weight * redone[name] / total for name, weight in FAMILY_WEIGHTS.items())
    plan.estimated_share = share
    plan.episode_contacts = episodes
    counts = (
        f"{redone['recent']:,} recent or pointed contacts, {redone['episodes']:,} in "
        f"touched customers' episodes, {redone['value']:,} in the value window, "
        f"of {total:,}"
    )
    if share > MAX_RECOMPUTE_SHARE:
        plan.full_refresh, plan.mode = True, "full"
        plan.reason = (
            f"an incremental build would redo about {share:.0%} of a full build's work ({counts})"
        )
    else:
        plan.reason = f"new loads; about {share:.0%} of a full build's work ({counts})"


def _project_vars(settings: Settings) -> dict[str, Any]:
    import yaml  # type: ignore[import-untyped]  # PyYAML ships no types

    project = yaml.safe_load((settings.dbt_project_dir / "dbt_project.yml").read_text())
    return dict(project.get("vars") or {})


def _write_plan(con: duckdb.DuckDBPyConnection, plan: BuildPlan) -> None:
    """The plan the models read; none (a full recompute) unless incremental."""
    con.execute("create schema if not exists audit")
    con.execute(f"drop table if exists {PLAN_TABLE}")
    if plan.full_refresh or plan.since is None:
        con.execute(f"drop table if exists {POINTED_TABLE}")
        con.execute(f"drop table if exists {EPISODE_FROM_TABLE}")
        return
    con.execute(
        f"create table {PLAN_TABLE} as select cast(? as date) as incremental_since, "
        "cast(? as date) as incremental_previous_end, "
        "cast(? as timestamptz) as incremental_loads_after, "
        "cast(? as date) as incremental_complaints_since, "
        "cast(? as varchar) as incremental_pointed_days, "
        "cast(? as bigint) as incremental_episode_contacts",
        [
            plan.since,
            plan.previous_end,
            plan.loads_after,
            plan.complaints_since,
            ",".join(day.isoformat() for day in plan.pointed_days),
            plan.episode_contacts,
        ],
    )


def _agents_loaded_since(con: duckdb.DuckDBPyConnection, watermark: dt.datetime) -> bool:
    row = con.execute(
        "select count(*) from audit.load_audit where status = 'loaded' "
        "and entity = 'agents' and finished_at > ?",
        [watermark],
    ).fetchone()
    return bool(row and row[0])


def finish_build(settings: Settings, plan: BuildPlan, succeeded: bool) -> None:
    """Drop the plan; remember a successful whole-project build for the next one."""
    if not settings.warehouse.exists():
        return
    con = duckdb.connect(str(settings.warehouse))
    cap_memory(con, settings.duckdb_memory_limit)
    try:
        con.execute(f"drop table if exists {PLAN_TABLE}")
        con.execute(f"drop table if exists {POINTED_TABLE}")
        con.execute(f"drop table if exists {EPISODE_FROM_TABLE}")
        if not succeeded:
            return
        con.execute(STATE_DDL)
        con.execute(
            f"insert into {STATE_TABLE} values (now(), ?, ?, ?, ?, ?)",
            [
                plan.mode,
                plan.fingerprint,
                plan.loads_through,
                plan.data_end_date,
                plan.since,
            ],
        )
    finally:
        con.close()
