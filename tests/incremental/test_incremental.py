"""Incremental builds give exactly the marts of a full rebuild.

Generated data (21 days x 600 contacts a day): days 1-20 are landed,
ingested and built (the first build is full), except a calls file (day 17)
and surveys, back-office, offers, complaints and shifts files of earlier
days held back; then day 21 and the held-back files (late data for older
days, and late pointers at contacts older than every new contact) are
landed, ingested and built incrementally, with rows planted for each other
reason an old row changes (a backfilled rota, an open back-office item, a
late returned item; see the constants below). All three builds use a
2-day value window, so the value lookback does not cover the 21 days. That
warehouse is copied aside and then rebuilt with `--full-refresh` (same
folder, so dbt's partial parsing applies), and every mart and every table
the build wrote must hold the same rows in both (sorted by every column,
numbers equal to 1e-9). Three builds; data tests run in the incremental one
only (scoped to what it wrote: macros/incremental/test_scope.sql), and are
left out of the two full ones to fit the suite's time budget (their rows are
compared instead).
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pytest
from polars.testing import assert_frame_equal

import pipelines.build
import pipelines.incremental
from pipelines.build import build, dbt_target_path
from pipelines.db import connect_warehouse, frame, scalar
from pipelines.incremental import EPISODE_FROM_TABLE, POINTED_TABLE, STATE_TABLE
from pipelines.settings import REPO_ROOT, Settings
from tests.support import copy_warehouse, ingest_landing, settings_for

DAYS = 21
CONTACTS_PER_DAY = 600
SEED = 5
NEW_DAY = "2026-06-21"
# late files: landed with the new day, for days already built; the surveys,
# back-office items, offers and complaints of early days point at contacts
# before the late calls file's day (17 June), so the incremental build must
# recompute those contacts (and their customers' episodes) exactly; a late
# shifts file moves its day's and the next day's contacts onto its shifts
LATE_FILES = (
    "calls/calls_2026-06-17.csv",
    "surveys/surveys_2026-06-19.csv",
    "surveys/surveys_2026-06-08.csv",
    "backoffice/backoffice_2026-06-06.csv",
    "offers/offers_2026-06-10.csv",
    "complaints/complaints_2026-06-12.csv",
    "workforce/agent_shifts_2026-06-03.csv",
)
# and a rota backfilled for a day before the data: only its shifts know the
# day, so nothing but the late shifts themselves can make a build recompute
# it (in 21 days every day is also a changed episode day, 3 June included)
BACKFILLED_SHIFTS = ("workforce/agent_shifts_2026-06-01.csv", "2026-06-01", "2026-05-20")
# back-office items planted so that both reasons an old item changes occur:
# an item still open 10 minutes before the first build's end of data (30
# minutes allowed: undecided then, overtime at the second build), and a late
# item returned an hour before another of the same applicant and business
# type (which the late one makes a resubmission)
BACKOFFICE_ENCODING = "gb18030"
OPEN_ITEM_FILE = "backoffice/backoffice_2026-06-20-open.csv"
RETURNED_ITEM_FILE = "backoffice/backoffice_2026-06-02-late.csv"
COMPARED_SCHEMAS = ("marts", "intermediate")
# a value window of 2 days (30 in production) so the value models' lookback
# (measured from the new contacts, the end of the data, new complaints and
# recent acceptances) leaves days of the 21 that it must not recompute
VARS = {"value_window_days": 2}
# the real one: the build fixture replaces it for its own builds
FINGERPRINT = pipelines.incremental.fingerprint


def _land(generated: Path, landing: Path, keep: Any) -> None:
    for path in sorted(generated.rglob("*")):
        relative = path.relative_to(generated)
        if path.is_file() and path.name != "truth.json" and keep(str(relative)):
            target = landing / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)


def _backfill_shifts(generated: Path, landing: Path) -> None:
    source, day, backfilled = BACKFILLED_SHIFTS
    text = (generated / source).read_text(encoding="utf-8")
    assert f",{day}," in text
    target = landing / source.replace(day, backfilled)
    target.write_text(text.replace(f",{day},", f",{backfilled},"), encoding="utf-8")


def _backoffice_rows(generated: Path, keep: Any) -> tuple[str, list[list[str]]]:
    header, rows = "", []
    for path in sorted((generated / "backoffice").glob("*.csv")):
        if keep(str(path.relative_to(generated))):
            lines = path.read_text(encoding=BACKOFFICE_ENCODING).splitlines()
            header = lines[0]
            rows += [line.split(",") for line in lines[1:]]
    return header, rows


def _moved(stamp: str, minutes: int) -> str:
    at = dt.datetime.strptime(stamp, "%Y/%m/%d %H:%M:%S") + dt.timedelta(minutes=minutes)
    return at.strftime("%Y/%m/%d %H:%M:%S")


def _plant_open_item(generated: Path, landing: Path) -> None:
    """An open item 10 minutes old at the first build's end of data (30 allowed)."""
    header, rows = _backoffice_rows(generated, _is_initial)
    data_end = max(stamp for row in rows for stamp in row[5:8] if stamp)
    item = [*rows[0][:5], _moved(data_end, -10), "", "", rows[0][8], rows[0][9], "", "", "30"]
    (landing / OPEN_ITEM_FILE).write_text(
        f"{header}\n{','.join(['BO900000001', *item[1:]])}\n", encoding=BACKOFFICE_ENCODING
    )


def _plant_returned_item(generated: Path, landing: Path) -> None:
    """A late item returned an hour before an approved item of the same applicant and type."""
    header, rows = _backoffice_rows(generated, lambda _relative: True)
    applicants = [row[4] for row in rows]
    later = next(
        row
        for row in rows
        if "2026/06/02" in row[5] and row[10] == "通过" and applicants.count(row[4]) == 1
    )
    reason = next(row[11] for row in rows if row[10] == "退回" and row[11])
    item = [
        "BO900000002",
        "",
        *later[2:5],
        _moved(later[5], -60),
        _moved(later[5], -50),
        _moved(later[5], -40),
        *later[8:10],
        "退回",
        reason,
        later[12],
    ]
    (landing / RETURNED_ITEM_FILE).write_text(
        f"{header}\n{','.join(item)}\n", encoding=BACKOFFICE_ENCODING
    )


def _is_initial(relative: str) -> bool:
    return NEW_DAY not in relative and relative not in LATE_FILES


def _is_later(relative: str) -> bool:
    return NEW_DAY in relative or relative in LATE_FILES


def _ingest(settings: Settings) -> None:
    assert ingest_landing(settings).loaded, "nothing new was loaded"


@pytest.fixture(scope="module")
def builds(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch_module: pytest.MonkeyPatch
) -> Iterator[tuple[Path, Path, dict[str, Any]]]:
    """(incrementally built warehouse, the same fully rebuilt, the build log)."""
    from pipelines.generate import GeneratorParams, generate

    run_dbt = pipelines.build.run_dbt

    with_data_tests = {"incremental": False}

    def without_data_tests(
        command: str, settings: Settings, dbt_vars: Any = None, extra: Any = ()
    ) -> Any:
        if with_data_tests["incremental"]:
            return run_dbt(command, settings, dbt_vars, extra)
        return run_dbt(command, settings, dbt_vars, [*extra, "--exclude-resource-type", "test"])

    monkeypatch_module.setattr(pipelines.build, "run_dbt", without_data_tests)
    # others edit models in the same working tree while this runs: one fingerprint
    # for the test's builds (test_fingerprint_* below checks the real one)
    project_print = FINGERPRINT(REPO_ROOT, {})
    monkeypatch_module.setattr(
        pipelines.incremental,
        "fingerprint",
        lambda _project, dbt_vars: project_print + repr(dbt_vars),
    )
    # 21 days are too short a history for an incremental build to pay (it
    # redoes 13 of them): the planner would rebuild in full; this module
    # tests the incremental models, so the share limit is lifted
    monkeypatch_module.setattr(pipelines.incremental, "MAX_RECOMPUTE_SHARE", 1.0)
    # the instants each customer's episodes were recomputed from, kept for
    # the tests below (the build drops the table when it ends)
    finish = pipelines.incremental.finish_build

    def keeping_episode_from(settings: Settings, plan: Any, succeeded: bool) -> None:
        with duckdb.connect(str(settings.warehouse)) as con:
            if plan.mode == "incremental":
                for table, kept in (
                    (EPISODE_FROM_TABLE, "kept_episode_from"),
                    (POINTED_TABLE, "kept_pointed"),
                ):
                    con.execute(f"create or replace table audit.{kept} as select * from {table}")
        finish(settings, plan, succeeded)

    monkeypatch_module.setattr(pipelines.incremental, "finish_build", keeping_episode_from)
    root = tmp_path_factory.mktemp("incremental")
    generated = root / "generated"
    generate(GeneratorParams(days=DAYS, contacts_per_day=CONTACTS_PER_DAY, seed=SEED), generated)

    incremental = settings_for(root / "incremental")
    _land(generated, incremental.landing, _is_initial)
    _plant_open_item(generated, incremental.landing)
    _ingest(incremental)
    build(incremental, VARS)
    _land(generated, incremental.landing, _is_later)
    _backfill_shifts(generated, incremental.landing)
    _plant_returned_item(generated, incremental.landing)
    _ingest(incremental)
    with_data_tests["incremental"] = True
    build(incremental, VARS)
    with_data_tests["incremental"] = False
    run_results = json.loads(
        (dbt_target_path(incremental) / "run_results.json").read_text(encoding="utf-8")
    )

    with duckdb.connect(str(incremental.warehouse)) as con:
        plans = frame(con, f"select * from {STATE_TABLE} order by built_at").to_dicts()
        con.execute("checkpoint")
    kept = root / "incremental.duckdb"
    copy_warehouse(incremental.warehouse, kept)  # with its marts file
    build(incremental, VARS, full_refresh=True)
    yield kept, incremental.warehouse, {"plans": plans, "run_results": run_results}


@pytest.fixture(scope="module")
def monkeypatch_module() -> Iterator[pytest.MonkeyPatch]:
    patch = pytest.MonkeyPatch()
    yield patch
    patch.undo()


def _tables(warehouse: Path) -> list[str]:
    # read-write: dbt, run in this process, still holds the file open that way
    with connect_warehouse(warehouse) as con:
        rows = con.execute(
            "select table_schema || '.' || table_name from information_schema.tables "
            "where table_type = 'BASE TABLE' and list_contains(?, table_schema) order by 1",
            [list(COMPARED_SCHEMAS)],
        ).fetchall()
    return [row[0] for row in rows]


# customer_number is a bit position (int_customer_refs_numbered): an
# incremental build keeps stored numbers and appends new refs, where a full
# rebuild numbers all refs in order; the marts are compared through the ref
NUMBERS = "intermediate.int_customer_refs_numbered"
NUMBERED = ("marts.mart_dashboard_customer_hours", "marts.mart_dashboard_customer_days")


def _sorted_rows(warehouse: Path, table: str) -> pl.DataFrame:
    with connect_warehouse(warehouse) as con:
        if table == NUMBERS:
            refs, numbers, lowest, highest = con.execute(
                f"select count(*), count(distinct customer_number), min(customer_number),"
                f" max(customer_number) from {table}"
            ).fetchall()[0]
            assert (numbers, lowest, highest) == (refs, 0, refs - 1), f"{table} is not dense"
            return frame(con, f"select customer_ref from {table} order by all")
        if table in NUMBERED:
            return frame(
                con,
                f"select numbered.customer_ref, counted.* exclude (customer_number)"
                f" from {table} as counted left join {NUMBERS} as numbered"
                f" on counted.customer_number = numbered.customer_number order by all",
            )
        return frame(con, f"select * from {table} order by all")


def test_the_second_build_was_incremental_from_the_late_files_day(
    builds: tuple[Path, Path, dict[str, Any]],
) -> None:
    plans = builds[2]["plans"]
    assert [plan["mode"] for plan in plans] == ["full", "incremental"]
    # the late calls file is for 17 June: the earliest day new rows touch
    assert str(plans[1]["incremental_since"]) == "2026-06-17"
    assert str(plans[0]["data_end_date"]) == "2026-06-20"


def test_every_mart_and_table_equals_a_full_rebuild(
    builds: tuple[Path, Path, dict[str, Any]],
) -> None:
    incremental, full, _ = builds
    tables = _tables(full)
    assert _tables(incremental) == tables
    assert {"marts.mart_fcr_daily", "marts.fct_episodes", "marts.mart_hotline_daily"} <= set(tables)
    with connect_warehouse(incremental) as con:
        assert scalar(
            con, "select count(*) from marts.fct_contacts where contact_date = ?", [NEW_DAY]
        )
    for table in tables:
        got = _sorted_rows(incremental, table)
        want = _sorted_rows(full, table)
        assert got.height == want.height, f"{table}: {got.height} rows, full rebuild {want.height}"
        try:
            assert_frame_equal(got, want, check_exact=False, rel_tol=1e-9, abs_tol=1e-9)
        except AssertionError as exc:
            raise AssertionError(f"{table} differs from a full rebuild: {exc}") from None


# customers whose episodes were regrouped from a later instant than their
# first contact, with an episode opened before the new day and extended on it
EXTENDED_OPEN_EPISODES = """
    select count(distinct grouped.customer_id)
    from intermediate.int_contacts_grouped_to_episodes as grouped
    inner join intermediate.int_contacts_grouped_to_episodes as opening
        on grouped.episode_id = opening.contact_id
    inner join audit.kept_episode_from as episode_from
        on grouped.customer_id = episode_from.customer_id
    where grouped.contact_date = cast(? as date)
        and grouped.contact_role = 'handled'
        and opening.contact_date < cast(? as date)
        and episode_from.recompute_from_at > (
            select min(earlier.started_at)
            from intermediate.int_contacts_grouped_to_episodes as earlier
            where earlier.customer_id = grouped.customer_id
        )
"""
# customers with a contact a late survey points to in an episode closed
# (last handled contact more than a repeat window and a day before the late
# calls file's day), who also have contacts from that day on: the pointer
# moved their instant back to that old episode
SURVEYS_INTO_CLOSED_EPISODES = """
    select count(distinct member.customer_id)
    from raw.surveys as survey
    inner join intermediate.int_contacts_grouped_to_episodes as member
        on survey.contact_id = member.contact_id
    inner join intermediate.int_episodes_assembled as episode
        on member.episode_id = episode.episode_id
    inner join audit.kept_episode_from as episode_from
        on member.customer_id = episode_from.customer_id
    where survey._load_id in (
            select load_id from audit.load_audit where file_path like '%surveys_2026-06-08%'
        )
        and episode.last_handled_started_at < timestamptz '2026-06-09 00:00:00+08'
        and episode_from.recompute_from_at <= episode.episode_started_at
        and exists (
            select 1 from intermediate.int_contacts_grouped_to_episodes as later
            where later.customer_id = member.customer_id and later.contact_date >= date '2026-06-17'
        )
"""


def test_episodes_were_regrouped_from_each_customers_instant_not_whole_histories(
    builds: tuple[Path, Path, dict[str, Any]],
) -> None:
    """The cases the exactness test above must cover: an old customer's open
    episode extended by the new day, regrouped from a later instant than the
    customer's first contact; a late survey about a closed episode of a
    customer with new contacts. Rows are compared above."""
    incremental, _, _ = builds
    with duckdb.connect(str(incremental)) as con:
        assert scalar(con, EXTENDED_OPEN_EPISODES, [NEW_DAY, NEW_DAY])
        assert scalar(con, SURVEYS_INTO_CLOSED_EPISODES)
        customers, partial = con.execute(
            "select count(*), count(*) filter (where recompute_from_at > first_at) from ("
            "select episode_from.recompute_from_at, min(grouped.started_at) as first_at "
            "from audit.kept_episode_from as episode_from "
            "inner join intermediate.int_contacts_grouped_to_episodes as grouped "
            "on episode_from.customer_id = grouped.customer_id group by all)"
        ).fetchone()
    assert 0 < partial < customers


def _quoted(table: str) -> str:
    schema, name = table.split(".")
    return f'"warehouse"."{schema}"."{name}"'


def _test_results(builds: tuple[Path, Path, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {
        result["unique_id"].split(".")[2]: result
        for result in builds[2]["run_results"]["results"]
        if result["unique_id"].startswith("test.")
    }


def test_the_incremental_builds_data_tests_pass_on_what_it_wrote(
    builds: tuple[Path, Path, dict[str, Any]],
) -> None:
    """Every data test ran in the incremental build and passed, each on the
    rows the build wrote: a model's date column scopes its tests even when
    the model's YAML does not document that column, staging views by load,
    the singular episodes test by the regrouped customers."""
    results = _test_results(builds)
    assert len(results) > 100
    failed = {
        name: result["status"] for name, result in results.items() if result["status"] != "pass"
    }
    assert not failed, failed
    # contact_date is not documented for this model
    scoped = results["unique_int_contacts_compared_to_predictions_contact_id"]["compiled_code"]
    assert "(contact_date is null or contact_date >= cast('2026-06-" in scoped, scoped
    # a mart in the marts file (attached database `serviq_marts`)
    scoped = next(
        result["compiled_code"]
        for name, result in results.items()
        if name.startswith("unique_combination_of_columns_mart_dashboard_customer_hours")
    )
    assert "(contact_date is null or contact_date >= cast('2026-06-" in scoped, scoped
    # staging views do not document load_id
    scoped = results["unique_stg_serviq__calls_call_id"]["compiled_code"]
    assert "load_id in (select new_loads.load_id" in scoped, scoped
    scoped = results["episodes_respect_the_repeat_window"]["compiled_code"]
    regrouped = f"in (select regrouped.customer_id from {_quoted(EPISODE_FROM_TABLE)} as regrouped)"
    assert scoped.count(regrouped) == 2, scoped


def _faults_found(
    builds: tuple[Path, Path, dict[str, Any]],
    tmp_path: Path,
    test_name: str,
    plan_table: tuple[str, str],
    chosen: tuple[str, str],
    plant: str,
) -> tuple[str, str, set[str]]:
    """Run an incremental build's scoped data test on a copy of what it built.

    `plan_table` (table, kept copy): the plan table the test's SQL reads,
    restored from the copy kept when the build ended. `chosen`: two queries,
    each picking one contact id, inside and outside the test's scope. The
    test must pass on the copy as built; then `plant` (a statement on one
    contact id) plants the same fault on both. Returns the two ids and the
    ids the test then names.
    """
    sql = _test_results(builds)[test_name]["compiled_code"]
    faulty = tmp_path / "warehouse.duckdb"  # the catalog name in the compiled SQL
    shutil.copyfile(builds[0], faulty)
    with duckdb.connect(str(faulty)) as con:
        con.execute(f"create table {plan_table[0]} as select * from audit.{plan_table[1]}")
        assert con.execute(sql).fetchall() == []
        inside, outside = (scalar(con, query) for query in chosen)
        assert inside and outside, "the build wrote some of these rows, not all"
        for contact_id in (inside, outside):
            con.execute(plant, [contact_id])
        return inside, outside, {row[0] for row in con.execute(sql).fetchall()}


def test_the_scoped_repeat_window_test_names_faults_of_regrouped_customers(
    builds: tuple[Path, Path, dict[str, Any]], tmp_path: Path
) -> None:
    """Run on the incrementally built rows with its build's regrouped
    customers: a repeat moved out of its episode fails it for a regrouped
    customer; for a customer the build did not regroup (rows it did not
    write), the same fault is outside its scope."""
    table = "intermediate.int_contacts_grouped_to_episodes"
    repeat_of = (
        f"select min(grouped.contact_id) from {table} as grouped where contact_role = 'handled'"
        " and episode_id <> contact_id and customer_id {} "
        "(select customer_id from audit.kept_episode_from)"
    )
    regrouped, untouched, failing = _faults_found(
        builds,
        tmp_path,
        "episodes_respect_the_repeat_window",
        (EPISODE_FROM_TABLE, "kept_episode_from"),
        (repeat_of.format("in"), repeat_of.format("not in")),
        f"update {table} set episode_id = 'PLANTED' where contact_id = ?",
    )
    assert regrouped in failing and untouched not in failing, failing


def test_scoped_contact_tests_cover_the_older_contacts_late_rows_point_to(
    builds: tuple[Path, Path, dict[str, Any]], tmp_path: Path
) -> None:
    """A contact-grain model's data tests on an incremental build read the
    new days and the older contacts late surveys, offers or complaints point
    to (found by their days first, macros/incremental/test_scope.sql): a
    duplicate planted on a pointed contact fails the `unique` test; one
    planted on an older contact nothing points to is outside its scope."""
    table = "intermediate.int_contacts_classified_for_hotline"
    # both on the history's first days, long before the days the build
    # recomputed (its date filter alone would miss them)
    early = (
        f"select min(contact_id) from {table} "
        f"where contact_date < (select min(contact_date) + 5 from {table}) "
        f"and contact_id {{}} (select contact_id from {POINTED_TABLE})"
    )
    pointed, untouched, failing = _faults_found(
        builds,
        tmp_path,
        "unique_int_contacts_classified_for_hotline_contact_id",
        (POINTED_TABLE, "kept_pointed"),
        (early.format("in"), early.format("not in")),
        f"insert into {table} select * from {table} where contact_id = ?",
    )
    assert pointed in failing and untouched not in failing, failing


def test_fingerprint_changes_with_the_vars_and_the_time_zone() -> None:
    fingerprint = FINGERPRINT
    base = fingerprint(REPO_ROOT, {"reporting_timezone": "Asia/Shanghai"})
    assert base == fingerprint(REPO_ROOT, {"reporting_timezone": "Asia/Shanghai"})
    assert base != fingerprint(REPO_ROOT, {"reporting_timezone": "Europe/Berlin"})
    assert base != fingerprint(
        REPO_ROOT, {"reporting_timezone": "Asia/Shanghai", "repeat_window_days": 3}
    )
    # the plan's own values never force a full build
    assert base == fingerprint(
        REPO_ROOT, {"reporting_timezone": "Asia/Shanghai", "incremental_since": "2026-06-01"}
    )


def test_a_changed_model_file_changes_the_fingerprint(tmp_path: Path) -> None:
    for name in pipelines.incremental.FINGERPRINTED:
        source = REPO_ROOT / name
        if source.is_file():
            shutil.copy2(source, tmp_path / name)
        else:
            shutil.copytree(source, tmp_path / name)
    before = FINGERPRINT(tmp_path, {})
    model = tmp_path / "models" / "marts" / "volume" / "mart_contacts_daily.sql"
    model.write_text(model.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert FINGERPRINT(tmp_path, {}) != before
