"""`serviq check` on a real build with planted faults, and the publish gate.

On a copy of the small pipeline's warehouse we plant one fault of every
kind the suites look for (duplicate key, impossible order, negative
duration, value outside its domain, missing required value, a missing
column, references that point nowhere, a rate above 1, a numerator above
its denominator, a new mart with a broken share and a day-over-day jump).
Then:
- `serviq check` (a real process) exits 1 and names each critical
  expectation and the rows that failed it, and stores the run in `quality.*`;
  the failures are exactly the planted ones (so the clean data passes);
- the same checks with GX on a sample (exact SQL counts above the sample)
  find the same failures with the same counts;
- `serviq publish` refuses in one sentence and the serving file is unchanged.
The gate itself (latest check run for *this* build) is tested without GX.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from pipelines.db import connect_warehouse
from pipelines.publish import PublishError, publish
from pipelines.quality import run_checks
from pipelines.quality.fingerprint import build_fingerprint
from pipelines.quality.store import CheckRun, ResultRow, save_run
from tests.support import TEST_PII_KEY, Pipeline, copy_warehouse, write_marts

REPO = Path(__file__).resolve().parents[2]

SURVEY_COVERAGE = "contact_id in calls.call_id|tickets.ticket_id"
# (suite, expectation, column): every critical failure the planted faults must cause
PLANTED = {
    ("raw.calls", "expect_column_values_to_be_unique", "call_id"),
    ("raw.calls", "expect_column_values_to_be_between", "hold_seconds"),
    ("raw.calls", "expect_column_pair_values_a_to_be_greater_than_b", "answered_at>=queued_at"),
    ("raw.calls", "expect_column_values_to_be_in_set", "direction"),
    ("raw.calls", "expect_column_values_to_not_be_null", "outcome"),
    ("raw.columns", "expect_column_values_to_not_be_null", "actual_type"),
    ("raw.surveys", "expect_column_values_to_be_in_set", SURVEY_COVERAGE),
    ("marts.mart_contacts_daily", "expect_column_values_to_be_between", "answer_rate"),
    (
        "marts.mart_contacts_daily",
        "expect_column_pair_values_a_to_be_greater_than_b",
        "answer_rate_numerator<=answer_rate_denominator",
    ),
    (
        "marts.mart_contacts_daily",
        "expect_column_values_to_be_in_set",
        "answer_rate=numerator/denominator",
    ),
    (
        "marts.mart_zz_planted_daily",
        "expect_column_pair_values_a_to_be_greater_than_b",
        "pickup_rate_numerator<=pickup_rate_denominator",
    ),
    ("marts.mart_zz_planted_daily", "expect_column_values_to_be_between", "pickup_rate"),
}


def plant_faults(warehouse: Path) -> None:
    con = connect_warehouse(warehouse)
    try:
        first = con.execute("select call_id from raw.calls order by call_id limit 6").fetchall()
        ids = [row[0] for row in first]
        con.execute(
            "insert into raw.calls select * from raw.calls where call_id = ?", [ids[0]]
        )  # duplicate key
        con.execute("update raw.calls set hold_seconds = -4 where call_id = ?", [ids[1]])
        con.execute(
            "update raw.calls set queued_at = ivr_started_at, "
            "answered_at = ivr_started_at - interval 1 minute where call_id = ?",
            [ids[2]],
        )
        con.execute("update raw.calls set direction = 'sideways' where call_id = ?", [ids[3]])
        con.execute("update raw.calls set outcome = null where call_id = ?", [ids[4]])
        con.execute("alter table raw.agents drop column team")
        con.execute(
            "update raw.surveys set contact_id = 'NOWHERE-' || survey_id "
            "where survey_id in (select survey_id from raw.surveys order by survey_id limit 40)"
        )
        con.execute(
            "update marts.mart_contacts_daily set answer_rate = 1.25, "
            "answer_rate_numerator = answer_rate_denominator + 5 "
            "where contact_date = (select min(contact_date) from marts.mart_contacts_daily) "
            "and site_code = (select min(site_code) from marts.mart_contacts_daily) "
            "and channel = 'phone'"
        )
        con.execute(
            """
            create table marts.mart_zz_planted_daily as
            select date '2026-06-01' + day::int as report_date, 'SHA' as site_code,
                case when day = 9 then 2000 else 200 end as widget_count,
                case when day = 3 then 130 else 60 end as pickup_rate_numerator,
                120 as pickup_rate_denominator,
                case when day = 3 then 130 / 120 else 0.5 end as pickup_rate
            from range(14) as days(day)
            """
        )
    finally:
        con.close()


@pytest.fixture(scope="module")
def faulty(small_pipeline: Pipeline, tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("faulty")
    copy_warehouse(small_pipeline.warehouse, home / "warehouse.duckdb")
    shutil.copy(small_pipeline.serving, home / "serving.duckdb")
    plant_faults(home / "warehouse.duckdb")
    return home


@pytest.fixture(scope="module")
def checked(faulty: Path) -> subprocess.CompletedProcess[str]:
    """One real `serviq check` over the faulty build (results land in its quality schema)."""
    started = time.perf_counter()
    done = serviq(faulty, "check")
    took = time.perf_counter() - started
    print(f"\nserviq check on the small pipeline: {took:.1f} s wall, GX import included")
    return done


def serviq(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SERVIQ_HOME": str(home), "SERVIQ_PII_KEY": TEST_PII_KEY}
    return subprocess.run(
        [sys.executable, "-m", "pipelines.cli", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )


def latest_results(warehouse: Path) -> list[dict]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        rows = con.execute(
            """
            select * from quality.check_results
            where run_id = (select run_id from quality.check_runs order by finished_at desc limit 1)
            """
        )
        names = [d[0] for d in rows.description]
        return [dict(zip(names, row, strict=True)) for row in rows.fetchall()]
    finally:
        con.close()


def failed(results: list[dict], severity: str) -> dict[tuple[str, str, str], dict]:
    return {
        (r["suite"], r["expectation"], r["column_name"]): r
        for r in results
        if not r["is_success"] and r["severity"] == severity
    }


def test_check_names_every_planted_fault_and_its_rows_and_nothing_else(
    faulty: Path, checked: subprocess.CompletedProcess[str]
) -> None:
    assert checked.returncode == 1, checked.stderr
    results = latest_results(faulty / "warehouse.duckdb")
    critical = failed(results, "critical")
    assert set(critical) == PLANTED

    errors = [
        line
        for line in checked.stderr.splitlines()
        if line.startswith("serviq: error: critical check failed:")
    ]
    assert len(errors) == len(PLANTED)
    dup = critical[("raw.calls", "expect_column_values_to_be_unique", "call_id")]
    keys = json.loads(dup["failing_row_keys"])
    assert dup["unexpected_count"] == 2 and keys[0]["call_id"] == keys[-1]["call_id"]
    assert any(f"call_id={keys[0]['call_id']}" in line for line in errors)
    coverage = critical[("raw.surveys", "expect_column_values_to_be_in_set", SURVEY_COVERAGE)]
    assert coverage["unexpected_count"] == 40 and float(coverage["observed_value"]) < 0.99
    rate = critical[
        ("marts.mart_contacts_daily", "expect_column_values_to_be_between", "answer_rate")
    ]
    assert json.loads(rate["failing_row_keys"])[0]["measure"] == "answer_rate"

    warnings = failed(results, "warning")
    jump = warnings[("marts.day_over_day", "expect_column_values_to_be_between", "count_ratio")]
    jumped = json.loads(jump["failing_row_keys"])
    assert {"mart": "mart_zz_planted_daily", "measure": "widget_count", "day": "2026-06-10"} in (
        jumped
    )
    raw = [r for r in results if r["suite"].startswith("raw.")]
    assert all(r["evaluated_on"].startswith("all ") for r in raw)  # below the sample cap


def test_a_sample_with_exact_sql_counts_finds_the_same_failures(
    faulty: Path, checked: subprocess.CompletedProcess[str]
) -> None:
    suites = ["raw.calls", "raw.surveys", "marts.mart_contacts_daily"]
    full = {
        key: row["unexpected_count"]
        for key, row in failed(latest_results(faulty / "warehouse.duckdb"), "critical").items()
        if key[0] in suites
    }
    run = run_checks(faulty / "warehouse.duckdb", sample_rows=500, suites=suites)
    assert run.suites == suites
    sampled = {
        (r.suite, r.expectation, r.column_name): r.unexpected_count
        for r in run.failures("critical")
    }
    assert sampled == full
    calls = [r for r in run.results if r.suite == "raw.calls"]
    assert all(re.match(r"GX on a sample of \d+ of \d+ rows", r.evaluated_on) for r in calls)


def test_publish_refuses_in_one_sentence_and_the_dashboard_keeps_the_last_version(
    faulty: Path, checked: subprocess.CompletedProcess[str]
) -> None:
    serving = faulty / "serving.duckdb"
    before = hashlib.sha256(serving.read_bytes()).hexdigest()
    done = serviq(faulty, "publish")
    assert done.returncode == 1
    (line,) = [line for line in done.stderr.splitlines() if line.startswith("serviq: error:")]
    assert line.startswith("serviq: error: publish refused: check run ")
    assert "critical failure(s); the dashboard keeps serving the version published at" in line
    assert "e.g." in line  # names rows
    assert hashlib.sha256(serving.read_bytes()).hexdigest() == before


# --------------------------------------------------------------------------
# The gate, without GX: which check run counts
# --------------------------------------------------------------------------
def fake_run(warehouse: Path, success: bool) -> CheckRun:
    import datetime as dt

    con = connect_warehouse(warehouse)
    try:
        now = dt.datetime.now(dt.UTC)
        run = CheckRun(
            run_id=f"run-{success}-{now.timestamp()}",
            build_fingerprint=build_fingerprint(con),
            started_at=now,
            finished_at=now,
            sample_rows=1,
            parameters={},
        )
        run.results.append(
            ResultRow(
                suite="marts.versioned",
                expectation="expect_column_values_to_be_between",
                column_name="rate",
                severity="critical",
                is_success=success,
                element_count=1,
                unexpected_count=0 if success else 1,
                unexpected_percent=None,
                observed_value=None,
                failing_row_keys=[] if success else [{"version": 1}],
                evaluated_on="all 1 rows",
                arguments={},
                checked_at=now,
            )
        )
        save_run(con, run)
        return run
    finally:
        con.close()


def make_warehouse(path: Path, version: int) -> None:
    duckdb.connect(str(path)).close()
    write_marts(path, f"create or replace table marts.versioned as select {version} as version")


def test_the_gate_judges_the_latest_run_over_exactly_this_build(tmp_path: Path) -> None:
    warehouse, serving = tmp_path / "warehouse.duckdb", tmp_path / "serving.duckdb"
    make_warehouse(warehouse, 1)
    unchecked = publish(warehouse, serving)
    assert unchecked.quality_run_id is None
    with pytest.raises(PublishError, match="no `serviq check` run covers this build"):
        publish(warehouse, serving, require_check=True)

    bad = fake_run(warehouse, success=False)
    with pytest.raises(PublishError, match=r"rate \(1 rows, e\.g\. version=1\)"):
        publish(warehouse, serving)

    good = fake_run(warehouse, success=True)  # a later run over the same build passed
    assert publish(warehouse, serving).quality_run_id == good.run_id

    fake_run(warehouse, success=False)
    make_warehouse(warehouse, 2)  # rebuilt after the failed check: that run is not this build
    result = publish(warehouse, serving)
    assert result.quality_run_id is None and bad.build_fingerprint != result.build_fingerprint
    con = duckdb.connect(str(serving), read_only=True)
    try:
        assert con.execute("select is_checked from meta.publication").fetchall() == [(False,)]
    finally:
        con.close()
