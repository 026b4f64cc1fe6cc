"""The mapping engine on small hand-made exports (no warehouse, no dbt)."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from pipelines.cli import main
from pipelines.ingest.read import FileRefused, read_file
from pipelines.ingest.validate import to_canonical_text, validate
from pipelines.schema import entity
from pipelines.sources.mapping import EntityMapping, MappingError, load_mapping
from tests.sources.conftest import SAMPLES


def write_mapping(tmp_path: Path, entities: dict[str, object], source: str = "t") -> Path:
    path = tmp_path / "mapping.yml"
    path.write_text(json.dumps({"source": source, "entities": entities}), encoding="utf-8")
    return path


def mapped(tmp_path: Path, calls: dict[str, object], name: str) -> tuple[pl.DataFrame, object]:
    """Read, map and validate one file of calls; (good rows, read result)."""
    mapping = load_mapping(write_mapping(tmp_path, {"calls": calls}))
    ent_map = mapping.entities["calls"]
    result = read_file(tmp_path / name, ent_map)
    text, _ = to_canonical_text(result.frame, result.columns, entity("calls"), ent_map)
    checked = validate(text, entity("calls"), ent_map, mapping.timezone_for("calls"))
    return checked.good, result


CONSTANTS = {"direction": "inbound", "initiated_by": "customer"}


# --------------------------------------------------------------------------
# malformed mappings: one sentence, non-zero exit
# --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("calls", "expected"),
    [
        ({"files": "*.csv", "expresions": {}}, "entities.calls.expresions is not a setting"),
        ({"files": "*.csv", "expressions": {"answerd_at": "1"}}, "unknown field 'answerd_at'"),
        (
            {"files": "*.csv", "key_columns": ["phone"], "columns": {"caller_number": "phone"}},
            "column 'phone' carries personal data",
        ),
        ({"files": "*.csv", "adapter": "genesys"}, "unknown adapter 'genesys'"),
        ({"files": "*.csv", "timezone": "Beijing"}, "unknown time zone 'Beijing'"),
        (
            {"files": "*.csv", "columns": {"outcome": "x"}, "expressions": {"outcome": "'a'"}},
            "both an expression and a column",
        ),
    ],
)
def test_a_malformed_mapping_stops_with_one_sentence(
    tmp_path: Path, calls: dict[str, object], expected: str
) -> None:
    path = write_mapping(tmp_path, {"calls": calls})
    with pytest.raises(MappingError) as caught:
        load_mapping(path)
    message = str(caught.value)
    assert expected in message and str(path) in message
    assert "\n" not in message and message.endswith(".")


def test_several_problems_are_counted_not_listed(tmp_path: Path) -> None:
    path = write_mapping(tmp_path, {"calls": {"format": "xls", "skip_rows": "two"}})
    with pytest.raises(MappingError, match=r"\(and 2 more problems\)\.$"):
        load_mapping(path)


def test_the_cli_exits_non_zero_on_a_malformed_mapping(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_mapping(tmp_path, {"calls": {"files": "*.csv", "filtr": "1"}})
    assert main(["sources", "validate", "--sources", str(path), "--landing", str(tmp_path)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "filtr is not a setting" in err


# --------------------------------------------------------------------------
# expressions, filters, sentinels, keys, layouts
# --------------------------------------------------------------------------
def test_tsv_without_header_after_skipped_rows(tmp_path: Path) -> None:
    rows = [
        "exported by ACD 7.1",
        "",
        "c1\t2026-06-01 08:00:00\t2026-06-01 08:00:10\t2026-06-01 08:01:00\t1",
        "c2\t2026-06-01 09:00:00\t2026-06-01 09:00:30\t2026-06-01 09:00:40\t2",
    ]
    (tmp_path / "calls.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    good, _ = mapped(
        tmp_path,
        {
            "files": "*.tsv",
            "format": "tsv",
            "header": False,
            "skip_rows": 1,
            "columns": {
                "call_id": "column_1",
                "ivr_started_at": "column_2",
                "queued_at": "column_3",
                "ended_at": "column_4",
                "outcome": "column_5",
            },
            "values": {"outcome": {"1": "answered", "2": "abandoned"}},
            "constants": CONSTANTS,
        },
        "calls.tsv",
    )
    assert good["call_id"].to_list() == ["c1", "c2"]
    assert good["outcome"].to_list() == ["answered", "abandoned"]


def test_a_timestamp_derived_from_another_plus_a_duration(tmp_path: Path) -> None:
    # start (local time) + ring seconds = answered; start + total seconds = ended
    frame = pl.DataFrame(
        {
            "id": ["a", "b"],
            "start": ["01/06/2026 08:00:00", "01/06/2026 09:00:00"],
            "ring": [12, None],
            "total": [300, 45],
        }
    )
    frame.write_parquet(tmp_path / "calls.parquet")
    good, _ = mapped(
        tmp_path,
        {
            "files": "*.parquet",
            "format": "parquet",
            "columns": {"call_id": "id"},
            "expressions": {
                "ivr_started_at": "strptime(start, '%d/%m/%Y %H:%M:%S')",
                "answered_at": "strptime(start, '%d/%m/%Y %H:%M:%S') + to_seconds(ring::bigint)",
                "ended_at": "strptime(start, '%d/%m/%Y %H:%M:%S') + to_seconds(total::bigint)",
                "outcome": "case when ring is null then 'abandoned' else 'answered' end",
                # an interval is handed on as seconds
                "hold_seconds": "to_seconds(ring::bigint)",
            },
            "constants": CONSTANTS,
        },
        "calls.parquet",
    )
    # the mapping's time zone (Asia/Shanghai) applies to the zone-less result
    assert str(good["ivr_started_at"][0]) == "2026-06-01 00:00:00+00:00"
    assert str(good["answered_at"][0]) == "2026-06-01 00:00:12+00:00"
    assert good["answered_at"][1] is None
    assert good["outcome"].to_list() == ["answered", "abandoned"]
    assert good["hold_seconds"].to_list() == [12, None]


def test_sentinels_are_per_column_and_the_filter_skips_rows(tmp_path: Path) -> None:
    rows = [
        "id,start,ended,agent,queue,kind",
        "a,2026-06-01 08:00:00,2026-06-01 08:01:00,0,0,call",
        "b,2026-06-01 08:05:00,2026-06-01 08:06:00,7,1,call",
        "t,2026-06-01 08:07:00,2026-06-01 08:08:00,7,1,test",
    ]
    (tmp_path / "calls.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    good, result = mapped(
        tmp_path,
        {
            "files": "*.csv",
            "columns": {
                "call_id": "id",
                "ivr_started_at": "start",
                "ended_at": "ended",
                "agent_id": "agent",
                "queue": "queue",
            },
            "column_null_values": {"agent": ["0"]},  # "0" is no agent, but queue "0" is real
            "filter": "kind <> 'test'",
            "constants": {**CONSTANTS, "outcome": "answered"},
        },
        "calls.csv",
    )
    assert result.filtered == 1  # type: ignore[attr-defined]
    assert good["agent_id"].to_list() == [None, "7"]
    assert good["queue"].to_list() == ["0", "1"]


def test_an_expression_on_a_missing_column_refuses_the_file_naming_the_field(
    tmp_path: Path,
) -> None:
    (tmp_path / "calls.csv").write_text("id,start\na,2026-06-01 08:00:00\n", encoding="utf-8")
    mapping = load_mapping(
        write_mapping(
            tmp_path,
            {
                "calls": {
                    "files": "*.csv",
                    "columns": {"call_id": "id", "ivr_started_at": "start"},
                    "expressions": {"ended_at": "strptime(finish, '%Y')"},
                }
            },
        )
    )
    with pytest.raises(FileRefused, match=r"^the expression for ended_at does not run") as caught:
        read_file(tmp_path / "calls.csv", mapping.entities["calls"])
    assert "finish" in str(caught.value) and "\n" not in str(caught.value)


def test_synthetic_keys_are_deterministic_and_tell_rows_apart(tmp_path: Path) -> None:
    rows = ["day,time,line", "260601,9:00:00,T1", "260601,9:00:00,T2", "260601,9:00:01,T1"]
    (tmp_path / "calls.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    calls: dict[str, object] = {
        "files": "*.csv",
        "key_columns": ["day", "time", "line"],
        "expressions": {
            "ivr_started_at": "strptime(day || ' ' || time, '%y%m%d %H:%M:%S')",
            "ended_at": "strptime(day || ' ' || time, '%y%m%d %H:%M:%S')",
        },
        "constants": {**CONSTANTS, "outcome": "abandoned"},
    }
    first, _ = mapped(tmp_path, calls, "calls.csv")
    second, _ = mapped(tmp_path, calls, "calls.csv")
    keys = first["call_id"].to_list()
    assert len(set(keys)) == 3 and keys == second["call_id"].to_list()


def test_json_array_and_concatenated_objects_read_alike(tmp_path: Path) -> None:
    records = [
        {"Id": "x", "When": {"Start": "2026-06-01T00:00:00Z", "End": "2026-06-01T00:01:00Z"}},
        {"Id": "y", "When": {"Start": "2026-06-01T01:00:00Z", "End": "2026-06-01T01:02:00Z"}},
    ]
    (tmp_path / "a.json").write_text(json.dumps(records), encoding="utf-8")
    (tmp_path / "b.json").write_text("".join(json.dumps(r) for r in records), encoding="utf-8")
    ent_map = EntityMapping(files="*.json", format="json")
    first = read_file(tmp_path / "a.json", ent_map)
    second = read_file(tmp_path / "b.json", ent_map)
    assert first.columns == ["Id", "When.Start", "When.End"] == second.columns
    assert first.frame.drop("_line").equals(second.frame.drop("_line"))


def test_queue_log_lines_that_are_not_events_are_rejected_with_their_line(tmp_path: Path) -> None:
    text = (
        "1780362000|c1|q|NONE|ENTERQUEUE||138|1\n"
        "garbage without fields\n"
        "1780362010|c1|q|NONE|ABANDON|1|1|10\n"
        "1780362020|c2|q|NONE|ENTERQUEUE||139|1\n"  # still waiting when the log rotated
    )
    (tmp_path / "queue_log").write_text(text, encoding="utf-8")
    mapping = load_mapping(Path("pipelines/sources/builtin/asterisk_queue_log.yml"))
    ent_map = mapping.entities["calls"]
    result = read_file(tmp_path / "queue_log", ent_map)
    assert [line for line, _ in result.rejects] == [2]
    text_frame, _ = to_canonical_text(result.frame, result.columns, entity("calls"), ent_map)
    checked = validate(text_frame, entity("calls"), ent_map, "UTC")
    assert checked.good["outcome"].to_list() == ["abandoned"]
    # the call with no ending event is quarantined, saying why
    assert checked.bad["reason"].str.contains("required value is missing").all()
    assert checked.bad["_line"].to_list() == [4]


# --------------------------------------------------------------------------
# the dry run
# --------------------------------------------------------------------------
def test_sources_validate_reports_fields_rejects_and_metrics(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    landing = tmp_path / "landing" / "awkward"
    landing.mkdir(parents=True)
    raw = (SAMPLES / "awkward" / "calls_260601.csv").read_bytes().decode("gbk")
    # one row whose hang-up time is not a time: rejected, with its line
    raw = raw.replace("9:24:25", "9:99:99")
    (landing / "calls_260601.csv").write_bytes(raw.encode("gbk"))
    args = ["sources", "validate", "--sources", "docs/examples/awkward_calls.yml"]
    assert main([*args, "--landing", str(tmp_path / "landing")]) == 0
    out = capsys.readouterr().out
    assert (
        "9 rows read, 1 skipped (filter, older copies), 7 would load, 1 would be quarantined" in out
    )
    assert "line 5: ended_at: required value is missing" in out
    assert "synthetic key of 日期, 来电时间, 线路" in out
    # the value map's result, and the time span in the reporting zone (checks the source zone)
    assert "outcome values: answered 3, abandoned 2, bot_contained 1, callback 1" in out
    assert "ivr_started_at from 2026-06-01 09:00 to 2026-06-01 23:58 (Asia/Shanghai)" in out
    assert "[yes] answer rate, abandonment, callbacks" in out
    assert "[no ] one-contact resolution (FCR)" in out
    assert "13812345673" not in out  # never a calling number in clear


def test_unquoted_yaml_codes_are_read_as_text(tmp_path: Path) -> None:
    path = tmp_path / "mapping.yml"
    path.write_text(
        "source: t\n"
        "entities:\n"
        "  calls:\n"
        "    files: '*.csv'\n"
        "    column_null_values: {agent: [0]}\n"
        "    values:\n"
        "      outcome: {1: answered, 2: abandoned}\n",
        encoding="utf-8",
    )
    calls = load_mapping(path).entities["calls"]
    assert calls.values == {"outcome": {"1": "answered", "2": "abandoned"}}
    assert calls.column_null_values == {"agent": ["0"]}


def test_ingest_takes_a_built_in_mapping_by_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SERVIQ_HOME", str(tmp_path))
    landing = str(SAMPLES / "asterisk")
    assert main(["ingest", "--sources", "asterisk_queue_log", "--landing", landing]) == 0
    assert "1 files loaded (7 rows, 0 quarantined)" in capsys.readouterr().err
