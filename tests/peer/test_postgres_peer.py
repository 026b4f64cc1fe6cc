"""The PostgreSQL peer builds the same project on the same raw data to the same marts.

Reuses `small_pipeline` (a DuckDB warehouse already built): starts a
throwaway PostgreSQL cluster, copies the raw tables, runs `dbt build`
(target postgres; seeds, models and data tests, not the unit tests, which
the DuckDB build runs) and compares every table of the marts schema with
DuckDB's: same columns, same rows, numbers within 1e-9 relative.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest

from pipelines.peer.compare import compare_frames, compare_marts
from pipelines.peer.postgres import (
    build_on_postgres,
    connect,
    copy_raw,
    find_binary,
    postgres_server,
)
from tests.support import Pipeline, require_binary


@pytest.fixture
def postgres_on_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """Debian keeps initdb/pg_ctl in a versioned folder off PATH: add it, then require them."""
    initdb = find_binary("initdb")
    if initdb is not None:
        monkeypatch.setenv("PATH", f"{Path(initdb).parent}{os.pathsep}{os.environ['PATH']}")
    require_binary("initdb", "postgresql")
    require_binary("pg_ctl", "postgresql")


@pytest.fixture
def restored_environ() -> Iterator[None]:
    """The build sets SERVIQ_PG_* and dbt's variables in os.environ: put them back."""
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


def _accepts_connections(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.usefixtures("postgres_on_path", "restored_environ")
def test_postgres_build_gives_the_same_marts_as_duckdb(
    small_pipeline: Pipeline, tmp_path_factory: pytest.TempPathFactory
) -> None:
    home = tmp_path_factory.mktemp("postgres_peer")
    with postgres_server() as server:
        copied = copy_raw(small_pipeline.warehouse, server)
        assert copied["calls"] > 1000 and copied["tickets"] > 1000, copied
        _, nodes = build_on_postgres(server, home)
        assert nodes > 200, f"only {nodes} dbt nodes passed on PostgreSQL"
        pg = connect(server)
        try:
            results = compare_marts(small_pipeline.warehouse, pg)
        finally:
            pg.close()
        port = server.port
    assert not _accepts_connections(port), "the throwaway cluster is still running"

    differing = {r.table: r.differences for r in results if not r.equal}
    assert not differing, differing
    compared = {r.table for r in results if r.rows > 0}
    assert len(compared) >= 15, f"too few non-empty marts compared: {sorted(compared)}"
    assert {"fct_contacts", "mart_hotline_daily", "mart_fcr_daily"} <= compared


def test_comparison_catches_a_changed_number_a_changed_key_and_a_missing_row() -> None:
    expected = pl.DataFrame({"day": ["a", "b", "c"], "count": [1, 2, 3], "rate": [0.5, 0.25, 1.0]})
    assert compare_frames("t", expected, expected.reverse()).equal
    nudged = expected.with_columns(rate=pl.Series([0.5, 0.25 * (1 + 1e-12), 1.0]))
    assert compare_frames("t", expected, nudged).equal
    changed = expected.with_columns(rate=pl.Series([0.5, 0.25 * (1 + 1e-8), 1.0]))
    assert "rate" in compare_frames("t", expected, changed).differences[0]
    rekeyed = expected.with_columns(day=pl.Series(["a", "b", "d"]))
    assert not compare_frames("t", expected, rekeyed).equal
    assert not compare_frames("t", expected, expected.head(2)).equal
    assert not compare_frames("t", expected, expected.rename({"rate": "ratio"})).equal
