"""The dbt project as a whole: every hand-worked unit test ran and passed."""

from __future__ import annotations

import json

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
