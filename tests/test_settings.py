"""Settings from the environment: a malformed one stops in one sentence, and
the DuckDB memory cap reaches every engine that opens the warehouse."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from pipelines import cli
from pipelines.build import dbt_args, dbt_env
from pipelines.db import cap_memory
from pipelines.settings import SettingsError, get_settings
from tests.support import settings_for


def _limit_bytes(con: duckdb.DuckDBPyConnection) -> int:
    rows = con.execute("select value from duckdb_settings() where name = 'memory_limit'").fetchall()
    text = str(rows[0][0])  # e.g. '95.3 MiB'
    number, unit = text.split()
    scale = {"KiB": 2**10, "MiB": 2**20, "GiB": 2**30, "TiB": 2**40}[unit]
    return int(float(number) * scale)


@pytest.mark.parametrize("value", ["lots", "3 parsecs", "-1GB", "", "3GB; drop table x"])
def test_a_malformed_memory_limit_stops_in_one_sentence(
    value: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SERVIQ_DUCKDB_MEMORY_LIMIT", value)
    with pytest.raises(SettingsError, match=r"^SERVIQ_DUCKDB_MEMORY_LIMIT is invalid: .*\.$"):
        get_settings()
    assert cli.main(["publish"]) == cli.EXIT_FAILURE
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("serviq: error: SERVIQ_DUCKDB_MEMORY_LIMIT")


def test_a_malformed_number_names_its_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SERVIQ_THREADS", "two")
    with pytest.raises(SettingsError, match=r"^SERVIQ_THREADS is invalid"):
        get_settings()


@pytest.mark.parametrize("value", ["3GB", "512MB", "1.5GiB", "50%"])
def test_sizes_duckdb_understands_are_accepted(value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SERVIQ_DUCKDB_MEMORY_LIMIT", value)
    limit = get_settings().duckdb_memory_limit
    con = duckdb.connect()
    try:
        cap_memory(con, limit)  # DuckDB itself accepts every value the setting lets through
    finally:
        con.close()


def test_the_cap_is_set_on_the_pipelines_connections(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SERVIQ_DUCKDB_MEMORY_LIMIT", "100MB")
    con = duckdb.connect()
    try:
        before = _limit_bytes(con)
        cap_memory(con)
        assert _limit_bytes(con) == pytest.approx(100 * 10**6, rel=0.01)
        assert before != _limit_bytes(con)
    finally:
        con.close()


def test_dbt_runs_under_the_same_cap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The profile reads the cap that `serviq build` passes to dbt (a real dbt run)."""
    from dbt.cli.main import dbtRunner

    monkeypatch.setenv("SERVIQ_DUCKDB_MEMORY_LIMIT", "123MB")
    settings = settings_for(tmp_path)
    env = dbt_env(settings)
    assert env["SERVIQ_DUCKDB_MEMORY_LIMIT"] == "123MB"
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    sql = "select value as memory_limit from duckdb_settings() where name = 'memory_limit'"
    outcome = dbtRunner().invoke(
        dbt_args("show", settings, extra=["--inline", sql, "--output", "json"])
    )
    assert outcome.success, outcome.exception
    shown = outcome.result.results[0].agate_table
    value = str(shown.rows[0][0])
    number, unit = value.split()
    assert unit == "MiB" and float(number) == pytest.approx(123 * 10**6 / 2**20, rel=0.01), value


def test_a_malformed_dbt_log_level_stops_in_one_sentence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SERVIQ_DBT_LOG_LEVEL", "verbose")
    with pytest.raises(SettingsError, match=r"^SERVIQ_DBT_LOG_LEVEL is invalid: .*'debug'.*\.$"):
        get_settings()


@pytest.mark.parametrize(("level", "debug_lines"), [(None, False), ("debug", True)])
def test_dbt_writes_its_log_file_at_the_configured_level(
    level: str | None, debug_lines: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """info by default (each node's start and end, no SQL); debug on request (a real dbt run)."""
    from dbt.cli.main import dbtRunner

    if level is None:
        monkeypatch.delenv("SERVIQ_DBT_LOG_LEVEL", raising=False)
    else:
        monkeypatch.setenv("SERVIQ_DBT_LOG_LEVEL", level)
    monkeypatch.delenv("DBT_LOG_LEVEL_FILE", raising=False)
    settings = settings_for(tmp_path)
    for name, value in dbt_env(settings).items():
        monkeypatch.setenv(name, value)
    sql = "select 42 as answer where 'sql_in_the_log' <> ''"
    outcome = dbtRunner().invoke(
        dbt_args("show", settings, extra=["--inline", sql, "--output", "json"])
    )
    assert outcome.success, outcome.exception
    log = (settings.home / "dbt" / "logs" / "dbt.log").read_text(encoding="utf-8")
    assert "[info ]" in log  # the file is written either way
    assert ("[debug]" in log) is debug_lines
    assert ("sql_in_the_log" in log) is debug_lines  # the SQL itself: debug only
