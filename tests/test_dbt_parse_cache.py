"""dbt's saved parse is not reused from another project folder, and the
parse made while the planner runs serves only the build it was made for.

dbt keeps `partial_parse.msgpack` in the target path ($SERVIQ_HOME/dbt) and
the nodes in it hold absolute paths. With the same SERVIQ_HOME and the
project in a new folder (a new checkout, another worktree), dbt used to
seed from the old folder's files, and failed with "No files found" once
they were gone (seen in session 7). pipelines/build.py forgets a parse made
from another folder. Real dbt runs: a parse from one copy of the project,
that copy removed, then a seed from another copy.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from pipelines.build import (
    BuildError,
    _parsed_manifest,
    dbt_target_path,
    run_dbt,
    start_dbt_import,
)
from pipelines.db import scalar
from pipelines.settings import REPO_ROOT, Settings
from tests.support import TEST_PII_KEY

PROJECT_FILES = ("dbt_project.yml", "profiles.yml")
PROJECT_FOLDERS = ("models", "macros", "seeds", "data-tests")


def _copy_project(target: Path) -> Path:
    target.mkdir()
    for name in PROJECT_FILES:
        shutil.copy2(REPO_ROOT / name, target / name)
    for name in PROJECT_FOLDERS:
        shutil.copytree(REPO_ROOT / name, target / name)
    return target


def _settings(home: Path, project: Path) -> Settings:
    return Settings(home=home, pii_key=TEST_PII_KEY, dbt_project_dir=project)  # type: ignore[arg-type]


def test_a_project_in_a_new_folder_seeds_from_its_own_files(tmp_path: Path) -> None:
    home = tmp_path / "home"
    first = _copy_project(tmp_path / "first")
    second = _copy_project(tmp_path / "second")
    # one seed changed in the new folder: what is loaded must be that file
    intents = second / "seeds" / "intents.csv"
    rows = intents.read_text(encoding="utf-8").splitlines()
    intents.write_text("\n".join(rows[:2]) + "\n", encoding="utf-8")

    parsed = run_dbt("parse", _settings(home, first))
    assert not parsed.failed, parsed.failed
    assert (dbt_target_path(_settings(home, first)) / "partial_parse.msgpack").exists()
    shutil.rmtree(first)

    seeded = run_dbt("seed", _settings(home, second))
    assert not seeded.failed, seeded.failed
    assert seeded.passed == len(list((second / "seeds").glob("*.csv")))

    # read-write: dbt, run in this process, still holds the file open that way
    with duckdb.connect(str(_settings(home, second).warehouse)) as con:
        loaded = scalar(con, "select count(*) from seeds.intents")
    assert loaded == 1


def test_the_parse_made_beside_the_planner_serves_only_its_own_arguments(tmp_path: Path) -> None:
    """build() parses in a thread while the planner runs and hands dbt that manifest.

    It must reach dbt only for the arguments it was parsed with, once, and
    never when the parse failed: then dbt parses again and reports the error.
    """
    home = tmp_path / "home"
    project = _copy_project(tmp_path / "project")
    settings = _settings(home, project)
    week = {"repeat_window_days": 7}

    start_dbt_import(settings, week)
    assert _parsed_manifest(settings, {"repeat_window_days": 8}) is None

    start_dbt_import(settings, week)
    manifest = _parsed_manifest(settings, week)
    assert manifest is not None
    assert "model.serviq.fct_contacts" in manifest.nodes
    assert _parsed_manifest(settings, week) is None  # one build per parse

    # a Jinja block never closed: a parse error, not only a compile error
    broken = "select {% if true %} 1 as x\n"
    (project / "models" / "broken.sql").write_text(broken, encoding="utf-8")
    start_dbt_import(settings, week)
    assert _parsed_manifest(settings, week) is None
    with pytest.raises(BuildError, match="broken"):
        run_dbt("parse", settings, week)
