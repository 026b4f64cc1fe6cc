"""Period arithmetic and file names: pure functions, worked out by hand."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from pipelines.export.files import atomic_path, export_name
from pipelines.export.periods import (
    Period,
    full_period,
    period_as_of,
    previous_period,
    trend_window,
)

D = dt.date


def test_iso_week_runs_monday_to_sunday_across_the_new_year() -> None:
    # 2026-01-01 is a Thursday: ISO week 2026-W01 runs Mon 2025-12-29 .. Sun 2026-01-04.
    week = full_period("week", D(2026, 1, 1))
    assert (week.start, week.end) == (D(2025, 12, 29), D(2026, 1, 4))
    assert week.label("en").startswith("2026-W01")
    # 2027-01-01 is a Friday that still belongs to ISO week 2026-W53.
    assert full_period("week", D(2027, 1, 1)).label("en").startswith("2026-W53")


def test_a_sunday_as_of_gives_the_whole_week_and_the_week_before() -> None:
    week = period_as_of("week", D(2026, 7, 26))  # a Sunday
    assert week == Period("week", D(2026, 7, 20), D(2026, 7, 26))
    assert week.is_complete
    assert previous_period(week) == Period("week", D(2026, 7, 13), D(2026, 7, 19))


def test_week_to_date_compares_with_the_same_weekdays_before() -> None:
    week = period_as_of("week", D(2026, 7, 22))  # a Wednesday
    assert week == Period("week", D(2026, 7, 20), D(2026, 7, 22))
    assert not week.is_complete
    assert previous_period(week) == Period("week", D(2026, 7, 13), D(2026, 7, 15))
    assert "(to date)" in week.label("en") and "至今" in week.label("zh")


def test_month_to_date_is_cut_to_the_shorter_previous_month() -> None:
    # 1-31 March against February: February has only 28 days in 2026.
    march = period_as_of("month", D(2026, 3, 31))
    assert previous_period(march) == Period("month", D(2026, 2, 1), D(2026, 2, 28))
    # 1-15 July against 1-15 June.
    july = period_as_of("month", D(2026, 7, 15))
    assert previous_period(july) == Period("month", D(2026, 6, 1), D(2026, 6, 15))


def test_day_and_its_trend_window() -> None:
    day = period_as_of("day", D(2026, 6, 14))
    assert previous_period(day) == Period("day", D(2026, 6, 13), D(2026, 6, 13))
    # a day report still gets 14 days of trend
    assert trend_window(day) == Period("day", D(2026, 6, 1), D(2026, 6, 14))
    # a month report's trend starts with the previous month
    month = period_as_of("month", D(2026, 7, 31))
    assert trend_window(month).start == D(2026, 6, 1)


def test_file_names_are_deterministic() -> None:
    week = period_as_of("week", D(2026, 7, 26))
    assert (
        export_name(week, (), "zh", "xlsx") == "serviq_scorecard_week_2026-07-26_all-sites_zh.xlsx"
    )
    # sites are sorted and de-duplicated so the same request names the same file
    assert export_name(week, ("PEK", "SHA", "PEK"), "en", "pdf") == export_name(
        week, ("SHA", "PEK"), "en", "pdf"
    )
    assert "PEK+SHA" in export_name(week, ("SHA", "PEK"), "en", "pdf")


def test_atomic_path_keeps_the_old_file_when_writing_fails(tmp_path: Path) -> None:
    target = tmp_path / "report.csv"
    target.write_text("old complete file")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half writ")
        raise RuntimeError("disk full")
    assert target.read_text() == "old complete file"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["report.csv"]
    with atomic_path(target) as tmp:
        tmp.write_text("new complete file")
    assert target.read_text() == "new complete file"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["report.csv"]
