"""`serviq schedule` against a fake clock: due slots, catch-up after downtime, retries."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from pipelines.export.run import ExportRequest
from pipelines.export.scheduler import Scheduler, SchedulerPaths, due_slots, slot_key
from pipelines.export.schedules import ScheduleFile, load_schedules
from pipelines.export.state import SchedulerBusy, StateStore, exclusive
from pipelines.settings import REPO_ROOT
from tests.support import Pipeline

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """A June 2026 instant in Shanghai time (the small pipeline covers 1-14 June)."""
    return dt.datetime(2026, 6, day, hour, minute, tzinfo=SHANGHAI)


class FakeClock:
    def __init__(self, start: dt.datetime) -> None:
        self.current = start
        self.slept: list[float] = []

    def now(self) -> dt.datetime:
        return self.current

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.current += dt.timedelta(seconds=seconds)


def daily_config(**extra: object) -> ScheduleFile:
    return ScheduleFile.model_validate(
        {
            "timezone": "Asia/Shanghai",
            "schedules": [
                {
                    "name": "daily-feed",
                    "cron": "0 7 * * *",
                    "period": "day",
                    "formats": ["csv"],
                    "lang": "en",
                    **extra,
                }
            ],
        }
    )


def scheduler(pipeline: Pipeline, home: Path, config: ScheduleFile, **kwargs: object) -> Scheduler:
    return Scheduler(
        config=config,
        zone=SHANGHAI,
        paths=SchedulerPaths.under(home),
        serving=pipeline.serving,
        **kwargs,
    )  # type: ignore[arg-type]


def started_per_slot(paths: SchedulerPaths) -> Counter[str]:
    with StateStore.open(paths.state) as store:
        return Counter(e["slot"] for e in store.events() if e["event"] == "run_started")


def test_due_slots_after_downtime_are_each_slot_once() -> None:
    last = slot_key(local(5, 7))
    slots = due_slots("0 7 * * *", SHANGHAI, last, local(9, 8))
    assert slots == [local(6, 7), local(7, 7), local(8, 7), local(9, 7)]
    # a slot exactly at `now` is due; one a second later is not
    assert due_slots("0 7 * * *", SHANGHAI, None, local(9, 7)) == [local(9, 7)]
    assert due_slots("0 7 * * *", SHANGHAI, slot_key(local(9, 7)), local(9, 7)) == []


def test_catch_up_runs_each_missed_slot_exactly_once(
    small_pipeline: Pipeline, tmp_path: Path
) -> None:
    runner = scheduler(small_pipeline, tmp_path, daily_config())
    first = runner.run_pass(local(5, 7, 30).astimezone(dt.UTC))
    assert [(slot, status) for _, slot, status in first.ran] == [("2026-06-04T23:00:00Z", "ok")]

    # the scheduler is down from the 5th to the 9th: 6, 7, 8 and 9 June are missed
    catch_up = runner.run_pass(local(9, 8))
    assert [slot for _, slot, _ in catch_up.ran] == [
        slot_key(local(day, 7)) for day in (6, 7, 8, 9)
    ]
    assert {status for *_, status in catch_up.ran} == {"ok"}
    assert runner.run_pass(local(9, 9)).ran == [], "nothing twice"
    assert runner.run_pass(local(9, 8)).ran == [], "nor when the clock repeats itself"

    counts = started_per_slot(runner.paths)
    assert counts == Counter({slot_key(local(day, 7)): 1 for day in range(5, 10)})
    with StateStore.open(runner.paths.state) as store:
        runs = store.runs("daily-feed")
    assert [run.as_of_date for run in runs] == [f"2026-06-0{day}" for day in range(4, 9)]
    files = sorted(p.name for p in (tmp_path / "exports" / "daily-feed").iterdir())
    assert files == [f"serviq_scorecard_day_2026-06-0{day}_all-sites_en.csv" for day in range(4, 9)]


def test_loop_sleeps_until_the_next_slot(small_pipeline: Pipeline, tmp_path: Path) -> None:
    runner = scheduler(small_pipeline, tmp_path, daily_config())
    clock = FakeClock(local(10, 6, 58))
    runner.loop(clock, max_passes=4)
    # pass 1 at 06:58 runs the latest due slot (9 June 07:00), pass 2 at 07:00 the next
    counts = started_per_slot(runner.paths)
    assert counts == Counter({slot_key(local(9, 7)): 1, slot_key(local(10, 7)): 1})
    assert clock.slept[0] == pytest.approx(120.0), "slept until 07:00, not a fixed minute"
    assert all(seconds <= 300 for seconds in clock.slept)


def test_failed_and_empty_runs_are_logged_and_retried_within_bounds(
    small_pipeline: Pipeline, tmp_path: Path
) -> None:
    calls: list[dt.date] = []

    def flaky(request: ExportRequest) -> list[Path]:
        calls.append(request.as_of)
        if len(calls) == 1:
            raise RuntimeError("serving file replaced mid-read")
        return []

    runner = scheduler(small_pipeline, tmp_path, daily_config(), exporter=flaky)
    assert runner.run_pass(local(5, 8)).ran[0][2] == "failed"
    assert runner.run_pass(local(5, 9)).ran == [("daily-feed", slot_key(local(5, 7)), "ok")]
    with StateStore.open(runner.paths.state) as store:
        run = store.run("daily-feed", slot_key(local(5, 7)))
        events = [e["event"] for e in store.events()]
    assert run is not None and run.status == "ok" and run.attempts == 2
    assert events == ["run_started", "run_failed", "run_started", "run_ok"]

    # a slot whose period has no data yet: recorded as no_data, retried, then left alone
    late = scheduler(small_pipeline, tmp_path / "late", daily_config())
    for hour in (8, 9, 10, 11):
        late.run_pass(local(20, hour))
    with StateStore.open(late.paths.state) as store:
        (run,) = store.runs()
    assert run.status == "no_data" and run.attempts == 3
    assert run.error is not None and run.error.startswith("no data for day 2026-06-19")


def test_a_cut_off_run_is_run_again(small_pipeline: Pipeline, tmp_path: Path) -> None:
    runner = scheduler(small_pipeline, tmp_path, daily_config())
    with StateStore.open(runner.paths.state) as store:  # a pass that died mid-export
        store.start_run("daily-feed", slot_key(local(5, 7)), dt.date(2026, 6, 4))
    report = runner.run_pass(local(5, 8))
    assert report.ran == [("daily-feed", slot_key(local(5, 7)), "ok")]


def test_one_pass_at_a_time(small_pipeline: Pipeline, tmp_path: Path) -> None:
    runner = scheduler(small_pipeline, tmp_path, daily_config())
    with exclusive(runner.paths.lock), pytest.raises(SchedulerBusy):
        runner.run_pass(local(5, 8))


def test_the_example_schedules_file_is_valid() -> None:
    config = load_schedules(REPO_ROOT / "schedules.example.yml")
    assert {schedule.period for schedule in config.schedules} == {"day", "week", "month"}
    weekly = config.schedules[0]
    # a Monday 07:00 weekly run reports the ISO week that ended on Sunday
    assert weekly.as_of(dt.datetime(2026, 7, 27, 7, tzinfo=SHANGHAI)) == dt.date(2026, 7, 26)
