"""Ingestion: bad rows quarantined with reasons, files loaded exactly once."""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import pytest

from pipelines.ingest import _tune_for_loading, ingest
from pipelines.sources.mapping import builtin_mapping, load_mapping
from tests.support import TEST_PII_KEY

KEY = TEST_PII_KEY.encode()
HEADER = (
    "call_id,customer_id,caller_number,direction,initiated_by,site,queue,agent_id,work_mode,"
    "ivr_started_at,queued_at,answered_at,ended_at,hold_seconds,wrap_seconds,transfers,outcome,"
    "predicted_intent,prediction_confidence,intent,resolved_flag,escalated_to_backoffice,"
    "sentiment,agent_note"
)


def good_call(i: int) -> str:
    return (
        f"C{i:06d},CUST{i:05d},1381234{i:04d},inbound,customer,shanghai,cards,A{i % 7},office,"
        "2026-06-01 08:00:00,2026-06-01 08:00:20,2026-06-01 08:00:35,2026-06-01 08:06:00,"
        "12,30,0,answered,card_lost,0.81,card_lost,1,0,0.3,"
    )


def write_calls(landing: Path, rows: list[str], name: str = "calls_2026-06-01.csv") -> Path:
    path = landing / "calls" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def run(landing: Path, warehouse: Path):  # type: ignore[no-untyped-def]
    return ingest(warehouse, landing, load_mapping(builtin_mapping()), KEY)


def snapshot(warehouse: Path) -> dict[str, str]:
    """A content fingerprint of every table in the warehouse."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_type = 'BASE TABLE' order by 1, 2"
        ).fetchall()
        result = {}
        for schema, table in tables:
            rows = con.execute(f"select * from {schema}.{table} order by all").fetchall()
            result[f"{schema}.{table}"] = hashlib.sha256(repr(rows).encode()).hexdigest()
        return result
    finally:
        con.close()


def test_three_corrupted_rows_are_quarantined_and_the_rest_loads(tmp_path: Path) -> None:
    rows = [good_call(i) for i in range(1, 21)]
    # line numbers: header is line 1, so rows[i] is line i + 2
    rows[4] = rows[4].replace(",12,30,0,", ",twelve,30,0,")  # line 6: not an integer
    rows[9] = rows[9].replace("inbound,customer", ",customer")  # line 11: direction missing
    rows[14] = rows[14].replace("2026-06-01 08:00:35", "2026-06-01 08:00:10")  # line 16
    write_calls(tmp_path / "landing", rows)
    warehouse = tmp_path / "w.duckdb"
    report = run(tmp_path / "landing", warehouse)
    assert report.rows_loaded == 17 and report.rows_quarantined == 3
    con = duckdb.connect(str(warehouse), read_only=True)
    got = con.execute(
        "select line, field, reason, file_path from audit.quarantine order by line"
    ).fetchall()
    loaded = con.execute("select count(*) from raw.calls").fetchall()[0][0]
    con.close()
    assert loaded == 17
    assert [(g[0], g[1]) for g in got] == [
        (6, "hold_seconds"),
        (11, "direction"),
        (16, "answered_at"),
    ]
    assert got[0][2] == "not a valid integer: 'twelve'"
    assert got[1][2] == "required value is missing"
    assert got[2][2] == "answered_at is before queued_at"
    assert {g[3] for g in got} == {"calls/calls_2026-06-01.csv"}


def test_ingesting_the_same_folder_twice_changes_nothing(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    write_calls(landing, [good_call(i) for i in range(1, 6)] + ["C9,broken"])
    warehouse = tmp_path / "w.duckdb"
    first = run(landing, warehouse)
    before = snapshot(warehouse)
    second = run(landing, warehouse)
    assert first.rows_loaded == 5 and first.rows_quarantined == 1
    assert second.rows_loaded == 0 and second.skipped == ["calls/calls_2026-06-01.csv"]
    assert snapshot(warehouse) == before


def test_a_renamed_copy_is_not_loaded_twice(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    write_calls(landing, [good_call(i) for i in range(1, 4)])
    warehouse = tmp_path / "w.duckdb"
    run(landing, warehouse)
    write_calls(landing, [good_call(i) for i in range(1, 4)], name="calls_copy.csv")
    report = run(landing, warehouse)
    assert report.loaded == [] and len(report.skipped) == 2


def test_duplicate_keys_across_files_are_quarantined_naming_the_first(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    write_calls(landing, [good_call(1), good_call(2)])
    warehouse = tmp_path / "w.duckdb"
    run(landing, warehouse)
    write_calls(landing, [good_call(2), good_call(3)], name="calls_2026-06-02.csv")
    report = run(landing, warehouse)
    assert report.rows_loaded == 1 and report.rows_quarantined == 1
    con = duckdb.connect(str(warehouse), read_only=True)
    reason = con.execute("select reason from audit.quarantine").fetchall()[0][0]
    con.close()
    assert reason == "duplicate key call_id: already loaded from calls/calls_2026-06-01.csv line 3"


def test_a_file_missing_a_required_column_is_refused_in_one_sentence(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    path = write_calls(landing, [good_call(1)])
    text = path.read_text(encoding="utf-8").replace("outcome,", "result,", 1)
    path.write_text(text, encoding="utf-8")
    report = run(landing, tmp_path / "w.duckdb")
    assert report.refusals == [
        "calls/calls_2026-06-01.csv: the file lacks the required column outcome for calls."
    ]


def test_an_empty_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "landing" / "calls" / "calls_2026-06-01.csv"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"")
    report = run(tmp_path / "landing", tmp_path / "w.duckdb")
    assert report.refusals == [
        "calls/calls_2026-06-01.csv: calls_2026-06-01.csv is empty: not even a header row."
    ]


def test_missing_pii_key_is_one_clear_sentence(monkeypatch: pytest.MonkeyPatch) -> None:
    from pipelines.settings import Settings, SettingsError

    monkeypatch.delenv("SERVIQ_PII_KEY", raising=False)
    with pytest.raises(SettingsError, match=r"^SERVIQ_PII_KEY is not set"):
        Settings().require_pii_key()


def row_groups(con: duckdb.DuckDBPyConnection, table: str) -> list[int]:
    return [
        n
        for _, n in con.execute(
            f"select row_group_id, max(count) from pragma_storage_info('{table}') "
            "group by 1 order by 1"
        ).fetchall()
    ]


def test_loading_checkpoints_leave_a_files_row_groups_in_place(tmp_path: Path) -> None:
    """While loading, a checkpoint does not merge one file's partial last row
    group with the next file's: that decompressed and rewrote whole row
    groups at every checkpoint (DECISIONLOG "Ingestion": no vacuum while
    loading)."""
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    try:
        _tune_for_loading(con)
        con.execute("create table t (i bigint, s varchar)")
        for start in (0, 130_000):  # two files of more than a row group (122,880)
            con.execute("begin transaction")
            con.execute(
                "insert into t select range, 'row ' || range from range(?, ?)",
                [start, start + 130_000],
            )
            con.execute("commit")
            con.execute("checkpoint")
        assert row_groups(con, "t") == [122_880, 7_120, 122_880, 7_120]
    finally:
        con.close()


def test_an_ingest_leaves_its_raw_tables_compact(tmp_path: Path) -> None:
    """The run's last checkpoint merges the partial row groups once, so the
    next writer's checkpoint (the quality check's) has none to rewrite."""
    per_file = 130_000
    landing = tmp_path / "landing"
    for day, first in ((1, 0), (2, per_file)):
        rows = [good_call(i) for i in range(first, first + per_file)]
        write_calls(landing, rows, name=f"calls_2026-06-0{day}.csv")
    warehouse = tmp_path / "w.duckdb"
    report = run(landing, warehouse)
    assert report.rows_loaded == 2 * per_file and report.rows_quarantined == 0
    con = duckdb.connect(str(warehouse))
    try:
        assert row_groups(con, "raw.calls") == [122_880, 122_880, 2 * per_file - 245_760]
        con.execute("create table later_writer as select 1 as x")
        con.execute("checkpoint")
        assert row_groups(con, "raw.calls") == [122_880, 122_880, 2 * per_file - 245_760]
    finally:
        con.close()
