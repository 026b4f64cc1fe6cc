"""Bad input: every case gets a clear message and nothing is lost.

"Nothing lost" is checked the same way everywhere: every record of a file
is either in its raw table or in `audit.quarantine` with a reason, and the
audit row says so (`rows_read = rows_loaded + rows_quarantined`).
The lead's tests/ingest/test_ingest.py covers three corrupted rows, re-ingest,
renamed copies, cross-run duplicates, a missing column and an empty file;
these add the rest, for every entity and every file format.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipelines.ingest import ingest
from pipelines.schema import ENTITIES
from tests.reliability.landing import (
    MAPPING,
    MUTATIONS,
    Record,
    file_path,
    render,
    valid_record,
    write,
    write_records,
)
from tests.support import TEST_PII_KEY

KEY = TEST_PII_KEY.encode()
REPO = Path(__file__).resolve().parents[2]


def run(landing: Path, warehouse: Path):  # type: ignore[no-untyped-def]
    return ingest(warehouse, landing, MAPPING, KEY)


def rows(warehouse: Path, sql: str, params: list[object] | None = None) -> list[tuple]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


def assert_nothing_lost(warehouse: Path) -> None:
    """Every loaded file: records read = rows in raw + rows quarantined (distinct lines)."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        audits = con.execute(
            "select load_id, entity, file_path, rows_read, rows_loaded, rows_quarantined "
            "from audit.load_audit where status = 'loaded'"
        ).fetchall()
        for load_id, entity, path, read, loaded, quarantined in audits:
            in_raw = con.execute(
                f"select count(*) from raw.{entity} where _load_id = ?", [load_id]
            ).fetchall()[0][0]
            in_quarantine = con.execute(
                "select count(distinct line) from audit.quarantine where load_id = ?", [load_id]
            ).fetchall()[0][0]
            assert (in_raw, in_quarantine) == (loaded, quarantined), path
            assert read == loaded + quarantined, path
    finally:
        con.close()


# --------------------------------------------------------------------------
# Malformed rows, for every entity and every format (CSV, JSONL, GB18030)
# --------------------------------------------------------------------------
@pytest.mark.parametrize("entity", list(ENTITIES))
def test_every_kind_of_malformed_row_is_quarantined_naming_line_and_field(
    tmp_path: Path, entity: str
) -> None:
    ent = ENTITIES[entity]
    records: list[Record] = []
    expected: dict[int, tuple[str, str]] = {}  # line -> (field, mutation)
    for i in range(12):
        records.append(valid_record(entity, i))
    for offset, (name, mutate) in enumerate(MUTATIONS.items()):
        rec = valid_record(entity, 100 + offset)
        blamed = mutate(ent, rec)
        if blamed is None:
            continue  # this entity has no field of that kind
        records.append(rec)
        expected[len(records) + 1 - (MAPPING.entities[entity].format == "jsonl")] = (blamed, name)
    write_records(tmp_path / "landing", entity, "2026-06-01", records)
    warehouse = tmp_path / "w.duckdb"
    report = run(tmp_path / "landing", warehouse)
    assert not report.refusals
    got = rows(warehouse, "select line, field, reason from audit.quarantine order by line")
    assert {line: field for line, field, _ in got} == {
        line: blamed for line, (blamed, _) in expected.items()
    }
    assert all(reason for _, _, reason in got)
    loaded = rows(warehouse, f"select count(*) from raw.{entity}")[0][0]
    assert loaded == 12
    assert_nothing_lost(warehouse)


def test_reasons_say_what_is_wrong(tmp_path: Path) -> None:
    calls = ENTITIES["calls"]
    records = [valid_record("calls", i) for i in range(3)]
    for name in ("negative_duration", "impossible_order", "bad_timestamp", "outside_domain"):
        rec = valid_record("calls", 10 + len(records))
        MUTATIONS[name](calls, rec)
        records.append(rec)
    write_records(tmp_path / "landing", "calls", "2026-06-01", records)
    warehouse = tmp_path / "w.duckdb"
    run(tmp_path / "landing", warehouse)
    reasons = [r[0] for r in rows(warehouse, "select reason from audit.quarantine order by line")]
    assert reasons == [
        "below minimum 0",
        "queued_at is before ivr_started_at",
        "not a valid timestamp: '2026-13-45 99:00:00'",
        "value 'bogus' not in (inbound, outbound)",
    ]


# --------------------------------------------------------------------------
# Duplicate keys
# --------------------------------------------------------------------------
def test_duplicate_keys_within_a_file_and_across_files_of_one_run(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    first = [valid_record("surveys", i) for i in range(5)]
    again = dict(first[2], verbatim="改过的评价")  # same key, different content
    write_records(landing, "surveys", "2026-06-01", [*first, again])
    write_records(landing, "surveys", "2026-06-02", [first[4], valid_record("surveys", 9)])
    warehouse = tmp_path / "w.duckdb"
    report = run(landing, warehouse)
    assert report.rows_loaded == 6 and report.rows_quarantined == 2
    got = rows(warehouse, "select file_path, line, reason from audit.quarantine order by file_path")
    assert got == [
        (
            "surveys/surveys_2026-06-01.csv",
            7,
            "duplicate key survey_id: first seen on line 4 of this file",
        ),
        (
            "surveys/surveys_2026-06-02.csv",
            2,
            "duplicate key survey_id: already loaded from surveys/surveys_2026-06-01.csv line 6",
        ),
    ]
    counted = rows(warehouse, "select count(*), count(distinct survey_id) from raw.surveys")
    assert counted == [(6, 6)]
    assert_nothing_lost(warehouse)


def test_compound_keys_are_duplicates_only_when_every_part_matches(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    base = valid_record("agent_shifts", 1)
    other_day = dict(base, shift_date="2026-06-20")
    same = dict(base, logged_in_seconds="1")
    write_records(landing, "agent_shifts", "2026-06-01", [base, other_day, same])
    warehouse = tmp_path / "w.duckdb"
    report = run(landing, warehouse)
    assert (report.rows_loaded, report.rows_quarantined) == (2, 1)
    assert rows(warehouse, "select line, field from audit.quarantine") == [(4, "agent_id")]


# --------------------------------------------------------------------------
# Columns
# --------------------------------------------------------------------------
def test_an_unknown_column_is_ignored_with_a_warning_and_recorded(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    write_records(
        landing,
        "calls",
        "2026-06-01",
        [valid_record("calls", i) for i in range(3)],
        extra={"ivr_language": "zh"},
    )
    warehouse = tmp_path / "w.duckdb"
    report = run(landing, warehouse)
    assert report.rows_loaded == 3
    assert report.warnings == ["calls/calls_2026-06-01.csv: ignored unknown column(s) ivr_language"]
    assert rows(warehouse, "select unknown_columns from audit.load_audit") == [("ivr_language",)]


def test_a_missing_required_column_refuses_the_file_in_one_sentence_with_its_source_name(
    tmp_path: Path,
) -> None:
    landing = tmp_path / "landing"
    data = render("backoffice_items", [valid_record("backoffice_items", i) for i in range(3)])
    text = data.decode("gb18030").replace("业务类型", "业务种类", 1)
    write(landing, "backoffice_items", "2026-06-01", text.encode("gb18030"))
    write_records(landing, "surveys", "2026-06-01", [valid_record("surveys", 1)])
    report = run(landing, tmp_path / "w.duckdb")
    assert report.refusals == [
        "backoffice/backoffice_2026-06-01.csv: the file lacks the required column 业务类型 "
        "for backoffice_items."
    ]
    assert report.rows_loaded == 1  # the other file still loads


# --------------------------------------------------------------------------
# Encodings, empty and truncated files
# --------------------------------------------------------------------------
def test_undecodable_bytes_quarantine_only_their_line(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    lines = render(
        "backoffice_items", [valid_record("backoffice_items", i) for i in range(4)]
    ).split(b"\n")
    lines[2] = lines[2] + b"\xff\xff"  # not GB18030
    write(landing, "backoffice_items", "2026-06-01", b"\n".join(lines))
    warehouse = tmp_path / "w.duckdb"
    report = run(landing, warehouse)
    assert (report.rows_loaded, report.rows_quarantined) == (3, 1)
    ((line, field, reason, record),) = rows(
        warehouse, "select line, field, reason, record_json from audit.quarantine"
    )
    assert (line, field, record) == (3, "(row)", None)  # the raw line may hold unhashed PII
    assert reason.startswith("bytes not valid gb18030 at byte ")
    assert_nothing_lost(warehouse)


def test_a_header_with_undecodable_bytes_refuses_the_file(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    data = render("calls", [valid_record("calls", 1)])
    write(landing, "calls", "2026-06-01", b"\xff" + data)
    report = run(landing, tmp_path / "w.duckdb")
    assert report.refusals == [
        "calls/calls_2026-06-01.csv: line 1 (header) has bytes not valid utf-8: "
        "the columns cannot be named."
    ]


@pytest.mark.parametrize(
    ("entity", "content", "message"),
    [
        ("calls", b"", "calls_2026-06-01.csv is empty: not even a header row."),
        ("calls", b"\n \n\r\n", "calls_2026-06-01.csv is empty: not even a header row."),
        ("tickets", b"", "tickets_2026-06-01.jsonl is empty: no records."),
    ],
)
def test_empty_files_are_refused_in_one_sentence(
    tmp_path: Path, entity: str, content: bytes, message: str
) -> None:
    written = write(tmp_path / "landing", entity, "2026-06-01", content)
    report = run(tmp_path / "landing", tmp_path / "w.duckdb")
    assert report.refusals == [f"{written.rel}: {message}"]


def test_a_header_only_file_loads_nothing_and_is_recorded(tmp_path: Path) -> None:
    write(tmp_path / "landing", "surveys", "2026-06-01", render("surveys", []))
    warehouse = tmp_path / "w.duckdb"
    report = run(tmp_path / "landing", warehouse)
    assert not report.refusals and report.rows_loaded == 0
    assert rows(warehouse, "select status, rows_read from audit.load_audit") == [("loaded", 0)]


@pytest.mark.parametrize("entity", ["calls", "tickets", "backoffice_items"])
def test_a_truncated_file_loads_every_complete_record_and_quarantines_the_cut_one(
    tmp_path: Path, entity: str
) -> None:
    data = render(entity, [valid_record(entity, i) for i in range(6)])
    last = data.rstrip(b"\n").rfind(b"\n") + 1
    cut = data[: last + (len(data) - last) // 2]  # the last record loses its second half
    write(tmp_path / "landing", entity, "2026-06-01", cut)
    warehouse = tmp_path / "w.duckdb"
    report = run(tmp_path / "landing", warehouse)
    assert not report.refusals
    assert (report.rows_loaded, report.rows_quarantined) == (5, 1)
    ((line, reason),) = rows(warehouse, "select line, reason from audit.quarantine")
    assert line == (6 if entity == "tickets" else 7)
    assert reason
    assert_nothing_lost(warehouse)


def test_a_file_exported_later_in_full_loads_the_rows_the_truncated_copy_lacked(
    tmp_path: Path,
) -> None:
    landing = tmp_path / "landing"
    full = render("calls", [valid_record("calls", i) for i in range(6)])
    path = write(landing, "calls", "2026-06-01", full[: len(full) - 80]).path
    warehouse = tmp_path / "w.duckdb"
    run(landing, warehouse)
    path.write_bytes(full)  # the complete export arrives under the same name
    report = run(landing, warehouse)
    assert (report.rows_loaded, report.rows_quarantined) == (1, 5)  # 5 already loaded
    assert rows(warehouse, "select count(*) from raw.calls") == [(6,)]


# --------------------------------------------------------------------------
# Time stamps with and without offsets
# --------------------------------------------------------------------------
def test_timestamps_with_and_without_offsets_land_as_the_same_utc_instant(tmp_path: Path) -> None:
    spellings = [
        "2026-06-01 08:00:00",  # local (Asia/Shanghai), the mapping's own format
        "2026-06-01T08:00:00",  # local, ISO
        "2026-06-01T08:00:00+08:00",
        "2026-06-01 08:00:00+0800",
        "2026-06-01T00:00:00Z",
        "2026-06-01T00:00:00z",
        "2026-06-01 00:00:00.000+00:00",
        "2026-05-31T19:00:00-05:00",
    ]
    records = []
    for i, text in enumerate(spellings):
        rec = valid_record("surveys", i)
        rec["answered_at"] = text
        records.append(rec)
    path = file_path(tmp_path / "landing", "surveys", "2026-06-01")
    path.parent.mkdir(parents=True)
    # written by hand: the helper would re-format the timestamps
    header = ",".join(f.name for f in ENTITIES["surveys"].fields)
    body = [",".join(r[f.name] or "" for f in ENTITIES["surveys"].fields) for r in records]
    path.write_text("\n".join([header, *body]) + "\n", encoding="utf-8")
    warehouse = tmp_path / "w.duckdb"
    report = run(tmp_path / "landing", warehouse)
    assert report.rows_quarantined == 0, rows(warehouse, "select reason from audit.quarantine")
    got = rows(warehouse, "select distinct answered_at from raw.surveys")
    assert got == [(dt.datetime(2026, 6, 1, 0, 0, tzinfo=dt.UTC),)]


# --------------------------------------------------------------------------
# The CLI: one sentence per refused file, warnings, non-zero exit
# --------------------------------------------------------------------------
def test_the_cli_names_each_refused_file_in_one_sentence_and_exits_non_zero(
    tmp_path: Path,
) -> None:
    landing = tmp_path / "landing"
    write(landing, "calls", "2026-06-01", b"")
    write_records(
        landing, "surveys", "2026-06-01", [valid_record("surveys", 1)], extra={"channel_hint": "x"}
    )
    env = {**os.environ, "SERVIQ_HOME": str(tmp_path), "SERVIQ_PII_KEY": TEST_PII_KEY}
    done = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "ingest", "--landing", str(landing)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    warning = "warning: surveys/surveys_2026-06-01.csv: ignored unknown column(s) channel_hint"
    assert warning in lines
    assert lines[-1] == (
        "serviq: error: refused calls/calls_2026-06-01.csv: "
        "calls_2026-06-01.csv is empty: not even a header row."
    )
