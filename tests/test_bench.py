"""The benchmark's page stage times each page's own queries, cold.

A render with a warm query cache runs no query at all, so the figures must
come from renders whose data queries really reach the serving file.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest

from pipelines.bench import (
    DISK_BYTES_PER_CONTACT,
    SHOWN_NODES,
    BenchReport,
    StageResult,
    build_nodes,
    check_disk,
    page_files,
    render,
    run_child,
)
from pipelines.cli import main
from tests.support import Pipeline


def test_every_page_is_timed_with_the_queries_behind_it(
    small_pipeline: Pipeline, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # through `serviq bench --pages-only`: the pages stage alone, on the
    # file the pipeline published (nothing generated or built)
    home = small_pipeline.settings.home
    assert small_pipeline.settings.serving == home / "serving.duckdb"
    out = tmp_path / "pages.json"
    status = main(
        ["bench", "--pages-only", "--work", str(home), "--repeat", "2", "--json", str(out)]
    )
    shown = capsys.readouterr().out
    pages = json.loads(out.read_text(encoding="utf-8"))["pages"]

    assert status == 0
    assert "error" not in pages, pages.get("error")
    assert sorted(pages) == sorted(page_files())
    for page, figures in pages.items():
        assert figures["runs"] == 2, page
        # every page reads the warehouse on every (cold) render
        assert figures["query_count"] >= 3, page
        assert 0 < figures["queries_p50_ms"] <= figures["queries_p95_ms"], page
        assert figures["slowest_query_p95_ms"] <= figures["queries_p95_ms"], page
        assert figures["queries_p50_ms"] < figures["p50_ms"], page  # part of the render
        assert page in shown

    report = BenchReport(contacts=1, days=1, pages=pages)
    rendered = render(report)
    for page in pages:
        assert page in rendered


def test_pages_only_without_a_published_file_stops_in_one_sentence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(["bench", "--pages-only", "--work", str(tmp_path)])
    err = capsys.readouterr().err.strip()
    assert status == 1
    published = tmp_path / "serving.duckdb"
    assert err == f"serviq: error: nothing is published at {published}: run the bench there first."

    status = main(["bench", "--pages-only"])
    err = capsys.readouterr().err.strip()
    assert status == 1
    assert err == "serviq: error: --pages-only needs --work, the folder of an earlier bench run."


def test_a_bench_the_disk_cannot_hold_stops_at_once_in_one_sentence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    free = shutil.disk_usage(tmp_path).free
    too_many = free // DISK_BYTES_PER_CONTACT + 1_000_000

    check_disk(tmp_path, 1_000)  # a small bench fits
    status = main(["bench", "--contacts", str(too_many), "--work", str(tmp_path / "work")])

    err = capsys.readouterr().err.strip()
    assert status == 1
    assert err.startswith(f"serviq: error: a bench of {too_many:,} contacts needs about")
    assert err.count("\n") == 0 and err.endswith("GB.")
    assert not (tmp_path / "work" / "landing").exists()  # refused before generating


def test_a_stage_reports_the_cpu_of_its_child_and_of_the_children_it_waited_for() -> None:
    # ingest's workers are the stage's grandchildren: their CPU belongs to it
    loop = "x = 0\nfor i in range(4_000_000):\n    x += i"
    alone = [sys.executable, "-c", loop]
    spawn = f"import subprocess, sys\nsubprocess.run([sys.executable, '-c', {loop!r}], check=True)"
    nested = [sys.executable, "-c", f"{spawn}\n{loop}"]
    one = run_child("alone", alone, dict(os.environ))
    two = run_child("nested", nested, dict(os.environ))

    assert one.ok and two.ok
    assert one.cpu_seconds is not None and two.cpu_seconds is not None
    assert one.cpu_seconds > 0.05
    assert two.cpu_seconds > 1.5 * one.cpu_seconds  # the grandchild's loop is counted

    report = BenchReport(
        contacts=1, days=1, stages=[StageResult("ingest", 2.0, 100.0, cpu_seconds=3.25)]
    )
    shown = render(report)
    assert "CPU s" in shown and "3.2" in shown
    assert report.to_json()["end_to_end_cpu_seconds"] == 3.25


def test_a_build_stage_keeps_every_dbt_node_time_of_its_own_run(
    small_pipeline: Pipeline, tmp_path: Path
) -> None:
    # the small pipeline's real dbt build (run_results.json of its home)
    run_results = small_pipeline.settings.home / "dbt" / "target" / "run_results.json"
    recorded = json.loads(run_results.read_text(encoding="utf-8"))["results"]
    nodes = build_nodes(run_results)

    assert nodes is not None and len(nodes) == len(recorded)
    seconds = [node["seconds"] for node in nodes]
    assert seconds == sorted(seconds, reverse=True) and seconds[0] > 0
    assert {node["kind"] for node in nodes} >= {"model", "test", "seed"}
    by_name = {node["node"]: node for node in nodes}
    assert by_name["int_contacts_grouped_to_episodes"]["kind"] == "model"
    assert by_name["int_contacts_grouped_to_episodes"]["status"] == "success"
    assert len(by_name) == len(nodes)  # a unit test is named apart from its model

    # a file older than the stage is an earlier build's: not this stage's nodes
    assert build_nodes(run_results, since=run_results.stat().st_mtime + 60) is None
    assert build_nodes(tmp_path / "run_results.json") is None

    build = StageResult("build", 10.0, 100.0, nodes=nodes)
    report = BenchReport(contacts=1, days=1, stages=[build])
    shown = render(report)
    models = [node for node in nodes if node["kind"] == "model"]
    assert f"{len(models)} models {sum(n['seconds'] for n in models):.1f} s" in shown
    listed = shown.split("slowest:\n")[1].splitlines()
    assert [line.split()[-1] for line in listed] == [n["node"] for n in nodes[:SHOWN_NODES]]
    assert report.to_json()["stages"][0]["nodes"] == nodes
