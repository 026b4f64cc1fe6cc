"""Atomic publish under real concurrent readers.

Three reader processes query the serving file in a loop exactly as the
dashboard does (`duckdb.connect(serving, read_only=True)`, queries, close)
while a writer process ingests new files, rebuilds two marts that carry a
version marker and publishes, again and again. Every read must succeed (no
error, no lock conflict) and every read must see one complete version: the
head table and the rows table of the same version, never a mix.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.reliability.concurrency import build_marts
from tests.reliability.landing import MAPPING, valid_record, write_records
from tests.support import TEST_PII_KEY

REPO = Path(__file__).resolve().parents[2]
READERS = 2
VERSIONS = 6


def python(*args: str) -> list[str]:
    return [sys.executable, "-m", "tests.reliability.concurrency", *args]


def test_readers_never_see_an_error_or_a_partial_version_while_publishing(
    tmp_path: Path,
) -> None:
    from pipelines.ingest import ingest
    from pipelines.publish import publish

    home = tmp_path / "home"
    landing = home / "landing"
    write_records(landing, "calls", "v000", [valid_record("calls", i) for i in range(10)])
    warehouse, serving = home / "warehouse.duckdb", home / "serving.duckdb"
    ingest(warehouse, landing, MAPPING, TEST_PII_KEY.encode())
    build_marts(warehouse, 0)
    publish(warehouse, serving)

    stop = tmp_path / "stop"
    env = {**os.environ, "SERVIQ_PII_KEY": TEST_PII_KEY}
    outs = [tmp_path / f"reader{i}.json" for i in range(READERS)]
    readers = [
        subprocess.Popen(python("reader", str(serving), str(stop), str(out)), cwd=REPO, env=env)
        for out in outs
    ]
    try:
        writer = subprocess.run(
            python("writer", str(home), str(VERSIONS)),
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
    finally:
        stop.touch()
        for proc in readers:
            proc.wait(timeout=120)
    assert writer.returncode == 0, writer.stderr
    assert writer.stdout.split().count("published") == VERSIONS

    for out in outs:
        seen = json.loads(out.read_text())
        assert seen["errors"] == []
        assert seen["partial"] == []
        # the readers really overlapped the publishes: they saw several versions
        assert len(seen["versions"]) >= 3, seen["versions"]
        assert seen["queries"] >= 30
