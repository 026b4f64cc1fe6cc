"""dbt's saved parse is not reused from another project folder.

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

from pipelines.build import dbt_target_path, run_dbt
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
