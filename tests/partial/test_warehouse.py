"""A calls-only warehouse builds, passes its data tests and checks, and its call marts are right.

Issue 8, item 3: a centre with only call logs gets every call-based metric.
Raw tables of the absent entities exist empty (schema-driven DDL), the dbt
models build empty on them with every data test passing, the GX suites pass
(and still fail on a planted problem), the publish gate lets the build
through, and the call-based marts equal the full warehouse's on the same calls.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from pipelines.db import connect_warehouse, frame, read_only
from pipelines.quality import run_checks
from pipelines.quality.runner import GX_ON_EMPTY
from pipelines.schema import ENTITIES
from tests.partial.conftest import CALLS, CallsOnly
from tests.support import Pipeline, copy_warehouse

PHONE = "phone"


def sql(path: Path, query: str, params: list[Any] | None = None) -> pl.DataFrame:
    """Query a file; the build file the same way dbt (still open in this process) opened it."""
    if path.name == "warehouse.duckdb":
        con = connect_warehouse(path)
        try:
            return frame(con, query, params)
        finally:
            con.close()
    with read_only(path) as con:
        return frame(con, query, params)


def test_raw_tables_of_absent_entities_exist_empty(calls_only: CallsOnly) -> None:
    counts = {
        name: sql(calls_only.pipeline.warehouse, f"select count(*) as n from raw.{name}").item()
        for name in ENTITIES
    }
    assert counts.pop(CALLS) == calls_only.ingest.rows_loaded > 0
    assert counts and set(counts.values()) == {0}, counts


def test_source_coverage_is_published(calls_only: CallsOnly) -> None:
    coverage = sql(calls_only.pipeline.serving, "select * from meta.source_coverage")
    assert sorted(coverage["entity"].to_list()) == sorted(ENTITIES)
    present = coverage.filter(pl.col("is_present"))
    assert present["entity"].to_list() == [CALLS]
    row = present.row(0, named=True)
    assert row["row_count"] == calls_only.ingest.rows_loaded
    first, last = sql(
        calls_only.pipeline.serving,
        "select min(contact_date), max(contact_date) from marts.mart_contacts_daily",
    ).row(0)
    assert (row["first_date"], row["last_date"]) == (first, last)


def run_results(calls_only: CallsOnly) -> list[dict[str, Any]]:
    path = calls_only.home / "dbt" / "target" / "run_results.json"
    return json.loads(path.read_text(encoding="utf-8"))["results"]  # type: ignore[no-any-return]


def test_dbt_build_ran_every_model_and_data_test(calls_only: CallsOnly) -> None:
    """Nothing failed or was skipped; the only warnings are references to the absent agents."""
    assert not calls_only.build.failed
    results = run_results(calls_only)
    statuses: dict[str, set[str]] = {}
    for node in results:
        kind = node["unique_id"].split(".")[0]
        statuses.setdefault(kind, set()).add(node["status"])
    assert statuses["model"] == {"success"}, statuses
    assert statuses["test"] <= {"pass", "warn"}, statuses
    tests = [node for node in results if node["unique_id"].startswith("test.")]
    assert len(tests) >= 100, len(tests)
    warned = [node["unique_id"] for node in tests if node["status"] == "warn"]
    assert all("agents" in name for name in warned), warned
    # the reconciliations (data-tests/) ran and held on the empty entities too
    singular = [node for node in tests if node["unique_id"].count(".") == 2]
    assert singular and all(node["status"] == "pass" for node in singular), singular


def test_checks_pass_and_say_which_sources_are_empty(calls_only: CallsOnly) -> None:
    run = calls_only.check
    assert run.failures("critical") == []
    judged = set(run.suites)
    assert {f"raw.{name}" for name in ENTITIES} <= judged
    # the marts of absent sources are judged (empty), next to the call marts
    for mart in ("backoffice_daily", "value_daily", "workforce_daily", "hotline_daily"):
        assert f"marts.mart_{mart}" in judged, judged
    empty = {
        row.suite.removeprefix("raw.")
        for row in run.failures("warning")
        if row.expectation == "expect_table_row_count_to_be_between"
    }
    assert empty == set(ENTITIES) - {CALLS}
    # calls.agent_id cannot be looked up in an agents table that holds nothing: not judged
    assert not [r for r in run.results if r.suite == "raw.calls" and "agents." in r.column_name]


def warehouse_copy(calls_only: CallsOnly, target: Path) -> Path:
    copy_warehouse(calls_only.pipeline.warehouse, target)  # with its marts file
    return target


def test_empty_relations_are_judged_as_gx_judges_them(
    calls_only: CallsOnly, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The runner's no-GX path for empty tables gives GX's own verdicts, rule by rule."""
    copy = warehouse_copy(calls_only, tmp_path / "copy.duckdb")
    suites = ["raw.tickets", "marts.mart_backoffice_daily"]

    def verdicts() -> list[tuple[Any, ...]]:
        run = run_checks(copy, suites=suites)
        assert sorted(run.suites) == sorted(suites)
        fields: tuple[str, ...] = ("suite", "expectation", "column_name", "is_success")
        fields += ("element_count", "unexpected_count", "observed_value", "evaluated_on")
        return [tuple(getattr(row, name) for name in fields) for row in run.results]

    fast = verdicts()
    monkeypatch.setenv(GX_ON_EMPTY, "1")
    assert verdicts() == fast
    assert [v[1] for v in fast if not v[3]] == ["expect_table_row_count_to_be_between"]


def test_checks_still_fail_on_real_problems(calls_only: CallsOnly, tmp_path: Path) -> None:
    """On a copy: a negative hold, a call mart share above 1 and a bad row in an empty mart."""
    copy = warehouse_copy(calls_only, tmp_path / "broken.duckdb")
    con = connect_warehouse(copy)
    try:
        con.execute(
            "update raw.calls set hold_seconds = -5 "
            "where call_id = (select min(call_id) from raw.calls)"
        )
        con.execute(
            "update marts.mart_hotline_daily "
            "set service_level_numerator = service_level_denominator + 1 "
            "where contact_date = (select min(contact_date) from marts.mart_hotline_daily)"
        )
        con.execute(
            "insert into marts.mart_backoffice_daily by name "
            "select date '2026-06-01' as received_date, 5 as overtime_rate_numerator, "
            "2 as overtime_rate_denominator"
        )
    finally:
        con.close()
    suites = ["raw.calls", "marts.mart_hotline_daily", "marts.mart_backoffice_daily"]
    run = run_checks(copy, suites=suites)
    failed = {(row.suite, row.column_name) for row in run.failures("critical")}
    assert ("raw.calls", "hold_seconds") in failed, failed
    assert {suite for suite, _column in failed} == set(suites), failed


def test_publish_went_through_the_quality_gate(calls_only: CallsOnly) -> None:
    checked, run_id = sql(
        calls_only.pipeline.serving, "select is_checked, quality_run_id from meta.publication"
    ).row(0)
    assert checked and run_id == calls_only.check.run_id


# --------------------------------------------------------------------------
# The call-based marts equal the full warehouse's on the same calls
# --------------------------------------------------------------------------
# (mart, keys, measures): phone rows only; measures that need another source
# (surveys, complaints) or another channel (repeats, episodes, pre-emption)
# are not comparable and left out; team comes from the agents table.
COMPARABLE: list[tuple[str, tuple[str, ...], tuple[str, ...]]] = [
    (
        "mart_contacts_daily",
        ("contact_date", "site_code"),
        (
            "contact_count",
            "handled_count",
            "offered_count",
            "answered_count",
            "abandoned_count",
            "short_abandon_count",
        ),
    ),
    (
        "mart_hotline_daily",
        ("contact_date", "site_code", "queue", "intent"),
        (
            "contact_count",
            "offered_count",
            "answered_count",
            "abandoned_count",
            "callback_count",
            "answered_within_threshold_count",
            "bot_contained_count",
            "escalated_count",
            "answered_wait_seconds_sum",
            "connected_seconds_sum",
            "talk_seconds_sum",
            "hold_seconds_sum",
            "handle_seconds_sum",
            "service_level_numerator",
            "service_level_denominator",
            "aht_seconds_numerator",
            "aht_seconds_denominator",
            "transfer_rate_numerator",
            "transfer_rate_denominator",
        ),
    ),
    (
        "mart_prediction_daily",
        ("contact_date", "site_code", "intent"),
        (
            "accuracy_numerator",
            "accuracy_denominator",
            "precision_numerator",
            "precision_denominator",
            "recall_numerator",
            "recall_denominator",
        ),
    ),
    (
        "mart_proactive_daily",
        ("contact_date", "site_code", "intent"),
        ("proactive_contact_count", "proactive_share_numerator", "proactive_share_denominator"),
    ),
]


def phone_sums(
    pipeline: Pipeline, mart: str, keys: tuple[str, ...], measures: tuple[str, ...]
) -> pl.DataFrame:
    """Phone rows of a mart summed over the keys (the columns both builds share)."""
    cols = ", ".join(keys)
    sums = ", ".join(f"sum({m})::double as {m}" for m in measures)
    return sql(
        pipeline.serving,
        f"select {cols}, {sums} from marts.{mart} where channel = ? group by {cols} "
        f"order by {cols}",
        [PHONE],
    )


@pytest.mark.parametrize(("mart", "keys", "measures"), COMPARABLE, ids=[c[0] for c in COMPARABLE])
def test_call_marts_equal_the_full_warehouse(
    calls_only: CallsOnly, mart: str, keys: tuple[str, ...], measures: tuple[str, ...]
) -> None:
    alone = phone_sums(calls_only.pipeline, mart, keys, measures)
    full = phone_sums(calls_only.full, mart, keys, measures)
    assert alone.height > 0 and alone.select(pl.col(measures[0]).sum()).item() > 0
    assert alone.equals(full), alone.join(full, on=list(keys), how="full", suffix="_full")


def test_every_call_based_figure_has_a_value(calls_only: CallsOnly) -> None:
    """FCR, effort and the classic figures are computed (not blank) from the calls alone."""
    fcr, judged, effort = sql(
        calls_only.pipeline.serving,
        "select sum(fcr_numerator) / sum(fcr_denominator), sum(fcr_denominator), "
        "(select sum(effort_index_mean_numerator) / sum(effort_index_mean_denominator) "
        "from marts.mart_effort_daily) from marts.mart_fcr_daily",
    ).row(0)
    assert judged > 100 and 0.3 < fcr < 1.0, (fcr, judged)
    assert effort is not None and 0 <= effort <= 100, effort  # the index is 0-100
    channels = sql(calls_only.pipeline.serving, "select distinct channel from marts.fct_contacts")[
        "channel"
    ].to_list()
    assert channels == [PHONE]
