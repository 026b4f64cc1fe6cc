"""How a build is planned from the load audit (no dbt: a hand-made warehouse).

Timestamps are 04:00 UTC = 12:00 in the reporting time zone (Asia/Shanghai),
so each row's local day is the day written.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

import pipelines.incremental
from pipelines.incremental import (
    EPISODE_FROM_TABLE,
    PLAN_TABLE,
    POINTED_TABLE,
    BuildPlan,
    finish_build,
    plan_build,
)
from pipelines.settings import Settings
from tests.support import settings_for

DDL = """
create schema audit;
create schema raw;
create table audit.load_audit (
    load_id varchar, entity varchar, status varchar, finished_at timestamptz
);
create table raw.calls (
    call_id varchar, ivr_started_at timestamptz, _load_id varchar, customer_id varchar
);
create table raw.tickets (ticket_id varchar, created_at timestamptz, _load_id varchar);
create table raw.surveys (survey_id varchar, contact_id varchar, _load_id varchar);
create table raw.complaints (
    complaint_id varchar, contact_id varchar, received_at timestamptz, _load_id varchar
);
"""


def _at(day: str) -> str:
    return f"{day} 04:00:00+00"


def _load(
    con: duckdb.DuckDBPyConnection, load_id: str, entity: str, status: str = "loaded"
) -> None:
    con.execute("insert into audit.load_audit values (?, ?, ?, now())", [load_id, entity, status])


@pytest.fixture
def built(tmp_path: Path) -> Settings:
    """A warehouse with calls of 1 April - 20 June, recorded as fully built."""
    settings = settings_for(tmp_path)
    con = duckdb.connect(str(settings.warehouse))
    con.execute(DDL)
    for day in range(1, 21):
        con.execute(
            "insert into raw.calls values (?, ?, 'first', ?)",
            [f"C{day:02d}", _at(f"2026-06-{day:02d}"), f"C{day:02d}"],
        )
    for offset in range(61):  # 1 April - 31 May
        day = dt.date(2026, 4, 1) + dt.timedelta(days=offset)
        con.execute(
            "insert into raw.calls values (?, ?, 'first', ?)",
            [f"E{day:%m%d}", _at(day.isoformat()), f"E{day:%m%d}"],
        )
    _load(con, "first", "calls")
    con.close()
    plan = plan_build(settings, None)
    assert plan.full_refresh and plan.reason == "first build"
    finish_build(settings, plan, succeeded=True)
    return settings


def _plan_row(settings: Settings) -> tuple[object, ...] | None:
    with duckdb.connect(str(settings.warehouse)) as con:
        return con.execute(f"select * from {PLAN_TABLE}").fetchone()


def test_a_new_day_and_late_rows_plan_an_incremental_build(built: Settings) -> None:
    con = duckdb.connect(str(built.warehouse))
    # day 21, a late call for 17 June, a survey about 5 June, a complaint
    # (received on 21 June) about the contact of 3 June
    con.execute(
        "insert into raw.calls values ('C21', ?, 'day21', 'C21'), ('C17b', ?, 'late', 'C17b')",
        [_at("2026-06-21"), _at("2026-06-17")],
    )
    con.execute("insert into raw.surveys values ('S1', 'C05', 'surveys21')")
    con.execute(
        "insert into raw.complaints values ('K1', 'C03', ?, 'complaints21')", [_at("2026-06-21")]
    )
    for load_id, entity in [
        ("day21", "calls"),
        ("late", "calls"),
        ("surveys21", "surveys"),
        ("complaints21", "complaints"),
        ("bad", "calls"),
    ]:
        _load(con, load_id, entity, "refused" if load_id == "bad" else "loaded")
    con.close()

    plan = plan_build(built, None)
    assert (plan.mode, plan.full_refresh) == ("incremental", False)
    assert plan.since == dt.date(2026, 6, 17)  # the late file, not max(date)
    assert plan.previous_end == dt.date(2026, 6, 20)
    assert plan.pointed_days == [dt.date(2026, 6, 3), dt.date(2026, 6, 5)]
    assert plan.complaints_since == dt.date(2026, 6, 21)
    row = _plan_row(built)
    assert row is not None and row[0] == dt.date(2026, 6, 17) and row[4] == "2026-06-03,2026-06-05"
    # the episode models read their CTE once below 2M (cte_for_recomputed_episodes)
    assert plan.episode_contacts is not None and row[5] == plan.episode_contacts

    finish_build(built, plan, succeeded=True)
    assert _plan_row_exists(built) is False
    again = plan_build(built, None)  # nothing new since: only the end windows
    assert again.mode == "incremental" and again.since == dt.date(2026, 6, 22)
    assert again.pointed_days == [] and again.previous_end == dt.date(2026, 6, 21)


def test_a_build_that_would_redo_most_of_the_work_runs_in_full(
    built: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """82 contacts, one a day (1 April - 21 June), each its own customer. A
    new day (21 June) redoes the contacts from 12 June (10: a repeat window
    and a day before the previous end) plus each older contact a new survey
    points to, for the `recent` and `episodes` families; the value family
    redoes 20 April - 21 June (63: two value windows and a day before 20
    June). With weights 0.35 / 0.5 / 0.15 and a limit of 50 %: 27 surveys about April contacts
    give (0.85 x 37 + 0.15 x 63) / 82 = 49.9 % (incremental), 28 give
    (0.85 x 38 + 9.45) / 82 = 50.9 % (a full rebuild)."""
    weights = {"recent": 0.35, "episodes": 0.5, "value": 0.15}
    monkeypatch.setattr(pipelines.incremental, "FAMILY_WEIGHTS", weights)
    monkeypatch.setattr(pipelines.incremental, "MAX_RECOMPUTE_SHARE", 0.5)
    con = duckdb.connect(str(built.warehouse))
    con.execute("insert into raw.calls values ('C21', ?, 'day21', 'C21')", [_at("2026-06-21")])
    _load(con, "day21", "calls")
    april = [dt.date(2026, 4, 1) + dt.timedelta(days=n) for n in range(28)]
    for day in april[:27]:
        con.execute(
            "insert into raw.surveys values (?, ?, 'surveys21')", [f"S{day}", f"E{day:%m%d}"]
        )
    _load(con, "surveys21", "surveys")
    con.close()
    plan = plan_build(built, None)
    assert (plan.mode, len(plan.pointed_days), plan.pointed_contacts) == ("incremental", 27, 27)
    assert plan.estimated_share == pytest.approx((0.85 * 37 + 0.15 * 63) / 82)
    with duckdb.connect(str(built.warehouse)) as con:
        pointed = con.execute(
            f"select entity, count(*), count(distinct customer_id) from {POINTED_TABLE} group by 1"
        ).fetchall()
    assert pointed == [("surveys", 27, 27)]

    con = duckdb.connect(str(built.warehouse))
    con.execute("insert into raw.surveys values ('S28', ?, 'surveys21b')", [f"E{april[27]:%m%d}"])
    _load(con, "surveys21b", "surveys")
    con.close()
    plan = plan_build(built, None)
    assert plan.full_refresh and plan.mode == "full"
    assert plan.reason == (
        "an incremental build would redo about 51% of a full build's work (38 recent or "
        "pointed contacts, 38 in touched customers' episodes, 63 in the value window, of 82)"
    )
    assert not _plan_row_exists(built)
    with duckdb.connect(str(built.warehouse)) as con:
        left = con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = 'audit' and table_name = 'dbt_build_pointed'"
        ).fetchone()
    assert left == (0,)


def test_episodes_are_recomputed_from_each_customers_last_gap(built: Settings) -> None:
    """Repeat window 7 days: a customer's episodes are recomputed from the
    latest of its contacts, at or before its earliest contact that can change
    an episode (from 12 June: a repeat window and a day before the previous
    end, 20 June; or one a new survey points to), with no contact of the
    customer in the 8 days before it. X: 1, 5, 14, 15 June + new 21 June:
    from 14 June (9 days after 5 June). Y: 2, 10, 18 June + new 21 June:
    gaps of exactly 8 days are not gaps, so from 2 June. V: 1, 11, 14 June,
    a new survey about 11 June: from 11 June, not 1 June. Z: 3 June only,
    a new survey about it: from 3 June. W: 1 and 4 June, nothing new: not
    concerned.

    The planner first searches the 32 days (four gaps) before each
    customer's earliest changing contact; two customers need their whole
    history. D: a contact every 5 days from 1 April to 15 June + new 21
    June: no gap since its first contact, so from 1 April. O: 1, 20 and 25
    April, a new survey about 25 April (before the searched days of the
    others): from 20 April."""
    history = {
        "X": ["06-01", "06-05", "06-14", "06-15"],
        "Y": ["06-02", "06-10", "06-18"],
        "V": ["06-01", "06-11", "06-14"],
        "Z": ["06-03"],
        "W": ["06-01", "06-04"],
        "D": [f"{dt.date(2026, 4, 1) + dt.timedelta(days=5 * n):%m-%d}" for n in range(16)],
        "O": ["04-01", "04-20", "04-25"],
    }
    con = duckdb.connect(str(built.warehouse))
    for customer, days in history.items():
        for day in days:
            con.execute(
                "insert into raw.calls values (?, ?, 'first', ?)",
                [f"{customer}{day.replace('-', '')}", _at(f"2026-{day}"), customer],
            )
    for customer in ("X", "Y", "D"):
        con.execute(
            "insert into raw.calls values (?, ?, 'day21', ?)",
            [f"{customer}21", _at("2026-06-21"), customer],
        )
    _load(con, "day21", "calls")
    con.execute(
        "insert into raw.surveys values ('SV', 'V0611', 'surveys21'), "
        "('SZ', 'Z0603', 'surveys21'), ('SO', 'O0425', 'surveys21')"
    )
    _load(con, "surveys21", "surveys")
    con.close()
    plan = plan_build(built, None)
    assert plan.mode == "incremental"
    with duckdb.connect(str(built.warehouse)) as con:
        rows = con.execute(
            f"select customer_id, cast(timezone('Asia/Shanghai', recompute_from_at) as date) "
            f"from {EPISODE_FROM_TABLE} where length(customer_id) = 1 order by 1"
        ).fetchall()
    assert rows == [
        ("D", dt.date(2026, 4, 1)),
        ("O", dt.date(2026, 4, 20)),
        ("V", dt.date(2026, 6, 11)),
        ("X", dt.date(2026, 6, 14)),
        ("Y", dt.date(2026, 6, 2)),
        ("Z", dt.date(2026, 6, 3)),
    ]
    # customers with a contact from 12 June (C12-C20) each from that contact
    assert plan.episode_customers == 6 + 9
    finish_build(built, plan, succeeded=True)
    with duckdb.connect(str(built.warehouse)) as con:
        left = con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = 'audit' and table_name = 'dbt_build_episode_from'"
        ).fetchone()
    assert left == (0,)


def _plan_row_exists(settings: Settings) -> bool:
    with duckdb.connect(str(settings.warehouse)) as con:
        found = con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = 'audit' and table_name = 'dbt_build_plan'"
        ).fetchone()
    return bool(found and found[0])


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ("agents", "agents loaded"),
        ("vars", "models, macros, seeds or vars changed"),
        ("as_of", "as-of build"),
        ("full_refresh", "asked for"),
    ],
)
def test_what_forces_a_full_build(built: Settings, change: str, reason: str) -> None:
    con = duckdb.connect(str(built.warehouse))
    con.execute("insert into raw.calls values ('C21', ?, 'day21', 'C21')", [_at("2026-06-21")])
    _load(con, "day21", "calls")
    if change == "agents":
        _load(con, "agents2", "agents")
    con.close()
    dbt_vars = {"repeat_window_days": 3} if change == "vars" else None
    if change == "as_of":
        dbt_vars = {"as_of_date": "2026-06-10"}
    plan = plan_build(built, dbt_vars, full_refresh=change == "full_refresh")
    assert plan.full_refresh and plan.reason == reason
    assert not _plan_row_exists(built)


def test_a_missing_marts_file_rebuilds_whole_but_a_first_build_says_so(tmp_path: Path) -> None:
    """build.py passes rebuild_reason when the marts file is gone: a built
    warehouse is rebuilt for that reason, a never-built one is a first build."""
    settings = settings_for(tmp_path)
    con = duckdb.connect(str(settings.warehouse))
    con.execute(DDL)
    con.execute("insert into raw.calls values ('C01', ?, 'first', 'C01')", [_at("2026-06-01")])
    _load(con, "first", "calls")
    con.close()
    first = plan_build(settings, None, rebuild_reason="no marts file")
    assert first.full_refresh and first.reason == "first build"
    finish_build(settings, first, succeeded=True)
    con = duckdb.connect(str(settings.warehouse))
    con.execute("insert into raw.calls values ('C02', ?, 'day2', 'C02')", [_at("2026-06-02")])
    _load(con, "day2", "calls")
    con.close()
    again = plan_build(settings, None, rebuild_reason="no marts file")
    assert again.full_refresh and again.reason == "no marts file"
    assert not _plan_row_exists(settings)
    asked = plan_build(settings, None, full_refresh=True, rebuild_reason="no marts file")
    assert asked.reason == "asked for"
    assert plan_build(settings, None).reason.startswith("an incremental build would redo")


def test_a_failed_build_is_not_remembered(built: Settings) -> None:
    con = duckdb.connect(str(built.warehouse))
    con.execute("insert into raw.calls values ('C21', ?, 'day21', 'C21')", [_at("2026-06-21")])
    _load(con, "day21", "calls")
    con.close()
    plan = plan_build(built, None)
    finish_build(built, plan, succeeded=False)
    assert not _plan_row_exists(built)
    retry = plan_build(built, None)  # the same rows are new again
    assert isinstance(retry, BuildPlan) and retry.since == dt.date(2026, 6, 21)


@pytest.mark.parametrize(
    "timezone", ["Asia/Shanghai", "Pacific/Kiritimati", "Pacific/Pago_Pago", "America/Santiago"]
)
def test_the_planners_bounded_local_date_equals_converting_every_row(timezone: str) -> None:
    """_local_date_from skips the conversion far before the day; same rows as converting all.

    Instants every 7 minutes over two weeks (Santiago leaves daylight
    saving on 5 April), against every day in them, in zones at +14 h,
    -11 h, +8 h and with daylight saving.
    """
    con = duckdb.connect()
    con.execute(
        "create table contacts as select unnest(generate_series("
        "timestamptz '2026-03-28 00:00:00+00', timestamptz '2026-04-11 00:00:00+00', "
        "interval 7 minute)) as started_at"
    )
    bounded = pipelines.incremental._local_date_from("first")
    for offset in range(16):
        day = dt.date(2026, 3, 27) + dt.timedelta(days=offset)
        params = {"first": day, "tz": timezone}
        expected, got = con.execute(
            "select count(*) filter (where cast(timezone($tz, started_at) as date) >= $first), "
            f"count(*) filter (where {bounded} >= $first) from contacts",
            params,
        ).fetchone() or (None, None)
        assert got == expected, (day, timezone)


def test_the_planner_runs_under_the_memory_cap(built: Settings) -> None:
    """The planner reads every contact: its DuckDB instance takes the configured
    cap, not DuckDB's default of 80 % of RAM (5.6 GiB at 30M contacts; DECISIONLOG
    "Incremental builds"). A connection to the same file in this process shares
    the planner's instance, so it sees the planner's setting."""
    capped = built.model_copy(update={"duckdb_memory_limit": "512MB"})
    with duckdb.connect() as reference:
        reference.execute("set memory_limit = '512MB'")
        expected = reference.execute("select current_setting('memory_limit')").fetchall()[0][0]
    seen = []
    with duckdb.connect(str(built.warehouse)) as con:
        con.execute("set memory_limit = '7GB'")
        plan = plan_build(capped, None)
        seen.append(con.execute("select current_setting('memory_limit')").fetchall()[0][0])
        con.execute("set memory_limit = '7GB'")
        finish_build(capped, plan, succeeded=True)
        seen.append(con.execute("select current_setting('memory_limit')").fetchall()[0][0])
    assert seen == [expected, expected]
