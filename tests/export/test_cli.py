"""`serviq export` from the command line: files, no-data message, atomic re-runs."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from pipelines.cli import main
from pipelines.export import flat
from tests.support import Pipeline


@pytest.fixture
def serving_env(small_pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch) -> Pipeline:
    monkeypatch.setenv("SERVIQ_HOME", str(small_pipeline.settings.home))
    monkeypatch.setenv("SERVIQ_SERVING_PATH", str(small_pipeline.serving))
    return small_pipeline


def test_export_writes_the_named_files(
    serving_env: Pipeline, as_of: dt.date, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "export",
            "--period",
            "day",
            "--as-of",
            as_of.isoformat(),
            "--format",
            "csv,parquet",
            "--out",
            str(tmp_path),
            "--lang",
            "en",
        ]
    )
    assert code == 0
    names = sorted(path.name for path in tmp_path.iterdir())
    stem = f"serviq_scorecard_day_{as_of}_all-sites_en"
    assert names == [f"{stem}.csv", f"{stem}.parquet"]
    out, err = capsys.readouterr()
    assert str(tmp_path / f"{stem}.csv") in out
    assert "export: done in" in err


def test_a_period_without_data_is_one_sentence_and_non_zero(
    serving_env: Pipeline, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "export",
            "--period",
            "week",
            "--as-of",
            "2031-01-05",
            "--format",
            "xlsx,pdf",
            "--out",
            str(tmp_path),
        ]
    )
    assert code != 0
    err = capsys.readouterr().err.strip()
    assert err.startswith("serviq: error: no data for week 2030-12-30 to 2031-01-05")
    assert "the published data covers" in err
    assert len(err.splitlines()) == 1 and err.endswith(".")
    assert list(tmp_path.iterdir()) == [], "no empty report is written"


def test_re_running_replaces_atomically(
    serving_env: Pipeline, as_of: dt.date, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    argv = [
        "export",
        "--period",
        "week",
        "--as-of",
        as_of.isoformat(),
        "--format",
        "csv",
        "--out",
        str(tmp_path),
    ]
    assert main(argv) == 0
    (target,) = tmp_path.iterdir()
    first = target.read_bytes()
    first_inode = target.stat().st_ino
    assert main(argv) == 0
    assert target.read_bytes() == first, "same request, same bytes"
    assert target.stat().st_ino != first_inode, "replaced by os.replace, not rewritten in place"

    def broken(path: Path, frame: object) -> None:
        path.write_text("partial")
        raise OSError("disk full")

    monkeypatch.setattr(flat, "write_csv", broken)
    assert main(argv) != 0
    assert target.read_bytes() == first, "a failed re-run leaves the previous file"
    assert [path.name for path in tmp_path.iterdir()] == [target.name], "no temp file left"
    assert not any(name.endswith(".tmp") for name in os.listdir(tmp_path))
