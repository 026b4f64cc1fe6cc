"""The data layer: short-lived read-only reads, a new publish picked up without restart."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import duckdb
import pytest

from dashboard import data


def publish_tiny(path: Path, contacts: int) -> None:
    """A serving file with one day of mart_contacts_daily, swapped in like publish does."""
    tmp = path.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    con = duckdb.connect(str(tmp))
    con.execute("create schema marts")
    con.execute(
        "create table marts.mart_contacts_daily as select date '2026-06-01' as contact_date, "
        "'SHA' as site_code, 'phone' as channel, ? as contact_count, ? as handled_count, "
        "? as offered_count, ? as answered_count, ? as answer_rate_numerator, "
        "? as answer_rate_denominator",
        [contacts, contacts, contacts, contacts // 2, contacts // 2, contacts],
    )
    con.close()
    os.replace(tmp, path)


def test_a_new_publish_is_read_without_a_restart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    serving = tmp_path / "serving.duckdb"
    monkeypatch.setenv("SERVIQ_HOME", str(tmp_path))
    monkeypatch.delenv("SERVIQ_SERVING_PATH", raising=False)
    filters = data.Filters(start=dt.date(2026, 6, 1), end=dt.date(2026, 6, 1))
    publish_tiny(serving, 10)
    assert data.daily_volume(filters).frame["contact_count"].to_list() == [10]
    publish_tiny(serving, 40)
    assert data.daily_volume(filters).frame["contact_count"].to_list() == [40]


def test_no_connection_is_left_open(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """After a read (alone or in a run), the file can be opened for writing at once."""
    serving = tmp_path / "serving.duckdb"
    monkeypatch.setenv("SERVIQ_HOME", str(tmp_path))
    monkeypatch.delenv("SERVIQ_SERVING_PATH", raising=False)
    publish_tiny(serving, 10)
    data.date_bounds()
    with data.run_connection():
        assert data.choices("site") == ["SHA"]
    writer = duckdb.connect(str(serving))
    writer.execute("create table marts.probe as select 1 as x")
    writer.close()


def test_missing_tables_are_reported_not_raised(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SERVIQ_HOME", str(tmp_path))
    monkeypatch.delenv("SERVIQ_SERVING_PATH", raising=False)
    publish_tiny(tmp_path / "serving.duckdb", 10)
    filters = data.Filters(start=dt.date(2026, 6, 1), end=dt.date(2026, 6, 1))
    result = data.hotline_totals(filters)
    assert result.missing and result.source == "marts.mart_hotline_daily"
    summary, _weekly, missing, _restricted = data.scorecard(filters)
    assert "service_level" in missing and summary.height == 0


def test_nothing_published(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SERVIQ_HOME", str(tmp_path))
    monkeypatch.delenv("SERVIQ_SERVING_PATH", raising=False)
    with pytest.raises(data.NoData):
        data.date_bounds()


def test_a_mart_that_changed_shape_is_reported_not_raised(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A column the dashboard reads was dropped from a mart: that part says so, nothing raises."""
    serving = tmp_path / "serving.duckdb"
    monkeypatch.setenv("SERVIQ_HOME", str(tmp_path))
    monkeypatch.delenv("SERVIQ_SERVING_PATH", raising=False)
    publish_tiny(serving, 10)
    con = duckdb.connect(str(serving))
    con.execute("alter table marts.mart_contacts_daily drop column channel")
    con.close()
    filters = data.Filters(start=dt.date(2026, 6, 1), end=dt.date(2026, 6, 1))
    result = data.channel_mix(filters)
    assert result.missing and "channel" in result.error
    assert data.daily_volume(filters).frame["contact_count"].to_list() == [10]
