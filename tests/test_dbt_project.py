"""The dbt project as a whole: every hand-worked unit test ran and passed;
the data tests keep their coverage and fail on a planted fault."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import duckdb

from pipelines.build import dbt_target_path
from pipelines.db import connect_warehouse
from tests.support import Pipeline, copy_warehouse


def test_every_dbt_unit_test_ran_and_passed(small_pipeline: Pipeline) -> None:
    results = json.loads(
        (dbt_target_path(small_pipeline.settings) / "run_results.json").read_text()
    )["results"]
    unit = {r["unique_id"]: r["status"] for r in results if r["unique_id"].startswith("unit_test.")}
    assert len(unit) >= 35, f"only {len(unit)} unit tests ran"
    failed = {uid: status for uid, status in unit.items() if status != "pass"}
    assert not failed, failed


def test_every_model_has_a_unit_test_or_is_a_plain_projection(small_pipeline: Pipeline) -> None:
    manifest = _manifest(small_pipeline)
    tested = {
        node["depends_on"]["nodes"][0]
        for node in manifest["unit_tests"].values()
        if node["depends_on"]["nodes"]
    }
    metric_models = [
        uid
        for uid, node in manifest["nodes"].items()
        if node["resource_type"] == "model" and node["name"].startswith("mart_")
    ]
    untested = sorted(uid for uid in metric_models if uid not in tested)
    assert not untested, f"metric marts without a hand-worked unit test: {untested}"


def _data_tests(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "test" and node.get("test_metadata")
    ]


def test_every_unique_key_is_also_tested_not_null(small_pipeline: Pipeline) -> None:
    """dbt's `unique` skips nulls: a key column needs a not-null test too,
    one of its own or a place in its model's not_null_columns test."""
    manifest = _manifest(small_pipeline)
    not_null: set[tuple[str, str]] = set()
    unique: set[tuple[str, str]] = set()
    for node in _data_tests(manifest):
        meta = node["test_metadata"]
        model = node["attached_node"] or node["file_key_name"]
        kwargs = meta.get("kwargs", {})
        if meta["name"] == "not_null" and not node["config"].get("where"):
            not_null.add((model, kwargs["column_name"]))
        elif meta["name"] == "not_null_columns":
            not_null.update((model, column) for column in kwargs["columns"])
        elif meta["name"] == "unique":
            unique.add((model, kwargs["column_name"]))
    assert len(unique) >= 20
    assert not unique - not_null, sorted(unique - not_null)


def test_not_null_columns_names_every_column_with_nulls(
    small_pipeline: Pipeline, tmp_path: Path
) -> None:
    """A planted fault fails the multi-column not-null test, and each failing
    row names its column with the count of null rows."""
    manifest = _manifest(small_pipeline)
    node = next(
        node
        for node in _data_tests(manifest)
        if node["test_metadata"]["name"] == "not_null_columns"
        and node["attached_node"] == "model.serviq.int_episodes_assembled"
    )
    sql = node["compiled_code"]
    faulty = tmp_path / small_pipeline.warehouse.name
    shutil.copyfile(small_pipeline.warehouse, faulty)
    with duckdb.connect(str(faulty)) as con:
        assert con.execute(sql).fetchall() == []
        con.execute(
            "update intermediate.int_episodes_assembled set episode_date = null"
            " where episode_id = (select min(episode_id) from intermediate.int_episodes_assembled)"
        )
        con.execute(
            "update intermediate.int_episodes_assembled set is_censored = null"
            " where episode_id in (select episode_id from intermediate.int_episodes_assembled"
            " order by episode_id desc limit 2)"
        )
        assert sorted(con.execute(sql).fetchall()) == [("episode_date", 1), ("is_censored", 2)]


def _manifest(pipeline: Pipeline) -> dict[str, Any]:
    return json.loads((dbt_target_path(pipeline.settings) / "manifest.json").read_text())


def _faulty_copy(pipeline: Pipeline, tmp_path: Path) -> Path:
    """A copy of the build file and its marts file (dbt's SQL names both)."""
    faulty = tmp_path / pipeline.warehouse.name
    copy_warehouse(pipeline.warehouse, faulty)
    return faulty


def test_unique_combination_of_columns_names_every_duplicate(
    small_pipeline: Pipeline, tmp_path: Path
) -> None:
    """The hash-first uniqueness test (macros/tests/unique_combination.sql)
    fails on a planted duplicate and names its combination with its row
    count; rows that differ in one key column only are not duplicates."""
    node = next(
        node
        for node in _data_tests(_manifest(small_pipeline))
        if node["test_metadata"]["name"] == "unique_combination_of_columns"
        and node["attached_node"] == "model.serviq.mart_dashboard_customer_hours"
    )
    sql = node["compiled_code"]
    assert "hash(" in sql, "the DuckDB build should use the hash-first form"
    key = node["test_metadata"]["kwargs"]["columns"]
    assert len(key) == 7
    keys = ", ".join(key)
    table = "marts.mart_dashboard_customer_hours"
    with connect_warehouse(_faulty_copy(small_pipeline, tmp_path)) as con:
        assert con.execute(sql).fetchall() == []
        first, last = con.execute(f"select min(rowid), max(rowid) from {table}").fetchone()
        expected = {
            con.execute(f"select {keys} from {table} where rowid = ?", [rowid]).fetchone(): count
            for rowid, count in ((first, 3), (last, 2))
        }
        # a near-duplicate (another customer number) is not a duplicate
        con.execute(
            f"insert into {table} select * replace (-1 as customer_number)"
            f" from {table} where rowid = ?",
            [first],
        )
        assert con.execute(sql).fetchall() == []
        # true duplicates: the first row twice more, the last once more
        for rowid in (first, first, last):
            con.execute(f"insert into {table} select * from {table} where rowid = ?", [rowid])
        failing = {tuple(row[:-1]): row[-1] for row in con.execute(sql).fetchall()}
        assert failing == expected


def test_episodes_respect_the_repeat_window_names_planted_faults(
    small_pipeline: Pipeline, tmp_path: Path
) -> None:
    """A handled contact moved out of its episode, and an attempt moved a
    month before its episode's handled contacts, each fail the singular
    test under their own contact_id and problem."""
    node = _manifest(small_pipeline)["nodes"]["test.serviq.episodes_respect_the_repeat_window"]
    sql = node["compiled_code"]
    table = "intermediate.int_contacts_grouped_to_episodes"
    with connect_warehouse(_faulty_copy(small_pipeline, tmp_path)) as con:
        assert con.execute(sql).fetchall() == []
        # the last handled contact of an episode with two or more of them
        repeat = con.execute(
            f"select contact_id from {table} where contact_role = 'handled'"
            f" and episode_id <> contact_id order by contact_id limit 1"
        ).fetchone()
        attempt = con.execute(
            f"select contact_id from {table} where contact_role = 'attempt'"
            f" order by contact_id limit 1"
        ).fetchone()
        assert repeat and attempt, "the small pipeline has repeats and attached attempts"
        con.execute(f"update {table} set episode_id = 'PLANTED' where contact_id = ?", [repeat[0]])
        con.execute(
            f"update {table} set started_at = started_at - interval 30 days where contact_id = ?",
            [attempt[0]],
        )
        failing = set(con.execute(sql).fetchall())
        assert (repeat[0], "repeat grouping disagrees with the window") in failing
        assert (
            attempt[0],
            "attempt not within the window before a handled contact of its episode",
        ) in failing
        # every failing row names a contact that was planted or follows one
        assert len(failing) <= 3, failing


def test_source_not_null_columns_names_planted_nulls(
    small_pipeline: Pipeline, tmp_path: Path
) -> None:
    """The generated source tests check required columns with one
    not_null_columns node per raw table; a planted null fails it."""
    tests = [
        node
        for node in _data_tests(_manifest(small_pipeline))
        if node["test_metadata"]["name"] == "not_null_columns"
        and node["resource_type"] == "test"
        and node["depends_on"]["nodes"]
        and node["depends_on"]["nodes"][0].startswith("source.serviq.serviq.")
    ]
    by_table = {node["depends_on"]["nodes"][0].rsplit(".", 1)[1]: node for node in tests}
    assert len(by_table) == len(tests) >= 8
    assert not any(
        node["test_metadata"]["name"] == "not_null"
        and node["depends_on"]["nodes"][0].startswith("source.")
        for node in _data_tests(_manifest(small_pipeline))
    )
    sql = by_table["calls"]["compiled_code"]
    with connect_warehouse(_faulty_copy(small_pipeline, tmp_path)) as con:
        assert con.execute(sql).fetchall() == []
        con.execute(
            "update raw.calls set ended_at = null"
            " where call_id in (select call_id from raw.calls order by call_id limit 2)"
        )
        assert con.execute(sql).fetchall() == [("ended_at", 2)]
