"""Processes for the concurrent-readers test (run as `python -m tests.reliability.concurrency`).

    writer HOME VERSIONS          ingest a new file, rebuild two marts carrying a
                                  version marker, publish; VERSIONS times
    reader SERVING STOP OUT       until the STOP file exists: open the serving file
                                  read-only (as the dashboard does), read both marts
                                  in one connection, close; write what it saw to OUT

Version v of the marts: `marts.version_head` holds one row (v, n) and
`marts.version_rows` holds n rows all marked v, where n is the number of
calls loaded so far. A reader that sees a head and rows that disagree has
seen a partial publication.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import duckdb

from pipelines.db import MARTS_DATABASE, connect_warehouse, marts_file, read_only
from pipelines.ingest import ingest
from pipelines.publish import publish
from tests.reliability.landing import MAPPING, valid_record, write_records
from tests.support import TEST_PII_KEY


def build_marts(warehouse: Path, version: int) -> None:
    """Two marts in the warehouse's marts file, as dbt writes them (pipelines/db.py)."""
    duckdb.connect(str(marts_file(warehouse))).close()
    con = connect_warehouse(warehouse)
    try:
        con.execute(f"create schema if not exists {MARTS_DATABASE}.marts")
        con.execute(
            f"create or replace table {MARTS_DATABASE}.marts.version_head as "
            f"select {version} as version, (select count(*) from raw.calls) as row_count"
        )
        con.execute(
            f"create or replace table {MARTS_DATABASE}.marts.version_rows as "
            f"select {version} as version, call_id from raw.calls"
        )
    finally:
        con.close()


def writer(home: Path, versions: int) -> None:
    warehouse, serving = home / "warehouse.duckdb", home / "serving.duckdb"
    for version in range(1, versions + 1):
        landing = home / "landing"
        records = [valid_record("calls", version * 1000 + i) for i in range(20 * version)]
        write_records(landing, "calls", f"v{version:03d}", records)
        ingest(warehouse, landing, MAPPING, TEST_PII_KEY.encode())
        build_marts(warehouse, version)
        publish(warehouse, serving)
        print(f"published {version}", flush=True)


def read_once(serving: Path) -> tuple[int, int, int, int, int]:
    with read_only(serving) as con:
        version, expected_rows = con.execute(
            "select version, row_count from marts.version_head"
        ).fetchall()[0]
        rows, low, high = con.execute(
            "select count(*), min(version), max(version) from marts.version_rows"
        ).fetchall()[0]
    return int(version), int(expected_rows), int(rows), int(low), int(high)


def reader(serving: Path, stop: Path, out: Path) -> None:
    seen: dict[str, int] = {}
    errors: list[str] = []
    partial: list[list[int]] = []
    queries = 0
    while not stop.exists():
        try:
            version, expected_rows, rows, low, high = read_once(serving)
        except Exception as exc:  # any error at all is a failure of the guarantee
            errors.append(f"{type(exc).__name__}: {exc}")
            continue
        queries += 1
        seen[str(version)] = seen.get(str(version), 0) + 1
        if not (rows == expected_rows and low == high == version):
            partial.append([version, expected_rows, rows, low, high])
        time.sleep(0.001)
    out.write_text(
        json.dumps({"queries": queries, "versions": seen, "errors": errors, "partial": partial})
    )


if __name__ == "__main__":
    role = sys.argv[1]
    if role == "writer":
        writer(Path(sys.argv[2]), int(sys.argv[3]))
    else:
        reader(Path(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4]))
