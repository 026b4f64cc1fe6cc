"""The dbt project as a whole: every hand-worked unit test ran and passed;
the data tests keep their coverage and fail on a planted fault."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import duckdb

from tests.support import Pipeline


def test_every_dbt_unit_test_ran_and_passed(small_pipeline: Pipeline) -> None:
    results = json.loads(
        (small_pipeline.settings.home / "dbt" / "target" / "run_results.json").read_text()
    )["results"]
    unit = {r["unique_id"]: r["status"] for r in results if r["unique_id"].startswith("unit_test.")}
    assert len(unit) >= 35, f"only {len(unit)} unit tests ran"
    failed = {uid: status for uid, status in unit.items() if status != "pass"}
    assert not failed, failed


def test_every_model_has_a_unit_test_or_is_a_plain_projection(small_pipeline: Pipeline) -> None:
    manifest = json.loads(
        (small_pipeline.settings.home / "dbt" / "target" / "manifest.json").read_text()
    )
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
    manifest = json.loads(
        (small_pipeline.settings.home / "dbt" / "target" / "manifest.json").read_text()
    )
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
    manifest = json.loads(
        (small_pipeline.settings.home / "dbt" / "target" / "manifest.json").read_text()
    )
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
