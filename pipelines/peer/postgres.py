"""The PostgreSQL peer: a throwaway cluster, the raw tables copied in, dbt built on it.

`postgres_server()` starts Debian's PostgreSQL (initdb + pg_ctl) in a
temporary folder, listening on 127.0.0.1 on a free port with its unix
socket in that folder and trust authentication, and stops and deletes it
when the block ends. PostgreSQL refuses to run as root, so when we are root
the server runs as an unprivileged user (`nobody`) that owns the folder.

`copy_raw()` copies every table of the DuckDB warehouse's `raw` schema into
the same schema in PostgreSQL with `COPY ... FROM STDIN` (CSV written by
Polars); `build_on_postgres()` runs the project's `dbt build` against it
(profiles.yml output `postgres`, driven by SERVIQ_PG_* variables).
"""

from __future__ import annotations

import contextlib
import glob
import io
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from pipelines.db import connect_warehouse, frame

SUPERUSER = "serviq"
DBNAME = "serviq"
RAW_SCHEMA = "raw"
UNPRIVILEGED_USER = "nobody"

# A throwaway analytics cluster: no durability (as the benchmark's DuckDB
# file, it is rebuilt from raw on failure), memory sized for one build.
SERVER_SETTINGS: dict[str, str] = {
    "listen_addresses": "127.0.0.1",
    "timezone": "UTC",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "shared_buffers": "1GB",
    "work_mem": "256MB",
    "maintenance_work_mem": "512MB",
    "dynamic_shared_memory_type": "mmap",
    "max_wal_size": "4GB",
    "logging_collector": "off",
    # The planner has no statistics for CTE scans and estimates them at a
    # few rows; self-joins of materialised CTEs (episodes, attempts) then
    # become nested loops that never finish at 1M contacts (DECISIONLOG).
    "enable_nestloop": "off",
}

_DUCKDB_TO_POSTGRES = {
    "VARCHAR": "text",
    "BIGINT": "bigint",
    "INTEGER": "integer",
    "DOUBLE": "double precision",
    "BOOLEAN": "boolean",
    "DATE": "date",
    "TIMESTAMP WITH TIME ZONE": "timestamptz",
    "TIMESTAMP": "timestamp",
}


class PeerError(RuntimeError):
    """The PostgreSQL peer could not be started or loaded; the message says why."""


@dataclass(frozen=True)
class PgServer:
    """A running cluster: where to connect and how."""

    host: str
    port: int
    user: str
    dbname: str
    socket_dir: Path

    def dsn(self) -> str:
        return f"host={self.host} port={self.port} user={self.user} dbname={self.dbname}"

    def dbt_env(self) -> dict[str, str]:
        """The variables profiles.yml's `postgres` output reads."""
        return {
            "SERVIQ_PG_HOST": self.host,
            "SERVIQ_PG_PORT": str(self.port),
            "SERVIQ_PG_USER": self.user,
            "SERVIQ_PG_DBNAME": self.dbname,
        }


def find_binary(name: str) -> str | None:
    """`name` on PATH, else in Debian's versioned folder (newest version first)."""
    found = shutil.which(name)
    if found:
        return found
    candidates = glob.glob(f"/usr/lib/postgresql/*/bin/{name}")
    candidates.sort(key=lambda path: int(Path(path).parts[-3]), reverse=True)
    return candidates[0] if candidates else None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run_as() -> dict[str, Any]:
    """subprocess keyword arguments that drop root for the server's own processes."""
    if os.geteuid() != 0:
        return {}
    entry = pwd.getpwnam(UNPRIVILEGED_USER)
    return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}


def _chown_tree(path: Path) -> None:
    if os.geteuid() != 0:
        return
    entry = pwd.getpwnam(UNPRIVILEGED_USER)
    os.chown(path, entry.pw_uid, entry.pw_gid)
    for root, dirs, files in os.walk(path):
        for name in dirs + files:
            os.chown(os.path.join(root, name), entry.pw_uid, entry.pw_gid)


def _server_env() -> dict[str, str]:
    keep = ("PATH", "LANG", "LC_ALL", "TZ")
    env = {key: os.environ[key] for key in keep if key in os.environ}
    env["LC_ALL"] = "C"
    return env


def _run(cmd: list[str], cwd: Path, what: str) -> None:
    completed = subprocess.run(
        cmd,
        cwd=cwd,
        env=_server_env(),
        capture_output=True,
        text=True,
        check=False,
        **_run_as(),
    )
    if completed.returncode != 0:
        detail = (completed.stderr or completed.stdout).strip().splitlines()
        raise PeerError(f"{what} failed: {detail[-1] if detail else completed.returncode}")


def _options(port: int, socket_dir: Path, settings: Mapping[str, str]) -> str:
    parts = [f"-p {port}", f"-k {socket_dir}"]
    parts += [f"-c {key}={value}" for key, value in settings.items()]
    return " ".join(parts)


@contextlib.contextmanager
def postgres_server(
    settings: Mapping[str, str] | None = None, parent: Path | None = None
) -> Iterator[PgServer]:
    """Start a throwaway PostgreSQL cluster on loopback; stop and delete it afterwards."""
    initdb, pg_ctl = find_binary("initdb"), find_binary("pg_ctl")
    if initdb is None or pg_ctl is None:
        raise PeerError("PostgreSQL's initdb/pg_ctl are not installed (Debian package postgresql).")
    if parent is None and os.geteuid() == 0 and Path("/tmp").is_dir():
        parent = Path("/tmp")  # `nobody` must reach the folder: not a root-only TMPDIR
    folder = Path(tempfile.mkdtemp(prefix="serviq-pg-", dir=parent))
    folder.chmod(0o755)
    data, sockets = folder / "data", folder / "sock"
    sockets.mkdir()
    _chown_tree(folder)
    all_settings = {**SERVER_SETTINGS, **(settings or {})}
    port = free_port()
    started = False
    try:
        init = [initdb, "-D", str(data), "-U", SUPERUSER, "-A", "trust", "-E", "UTF8"]
        _run([*init, "--locale=C", "--no-sync", "--no-instructions"], folder, "initdb")
        log = str(folder / "server.log")
        start = [pg_ctl, "-D", str(data), "-l", log, "-w", "-t", "60", "-o"]
        _run([*start, _options(port, sockets, all_settings), "start"], folder, "pg_ctl start")
        started = True
        server = PgServer("127.0.0.1", port, SUPERUSER, DBNAME, sockets)
        _create_database(server)
        yield server
    finally:
        if started:
            with contextlib.suppress(PeerError):
                _run([pg_ctl, "-D", str(data), "-m", "fast", "-w", "stop"], folder, "pg_ctl stop")
        shutil.rmtree(folder, ignore_errors=True)


def connect(server: PgServer, dbname: str | None = None) -> Any:
    import psycopg2

    return psycopg2.connect(
        host=server.host, port=server.port, user=server.user, dbname=dbname or server.dbname
    )


def _create_database(server: PgServer) -> None:
    con = connect(server, dbname="postgres")
    try:
        con.autocommit = True
        with con.cursor() as cur:
            cur.execute(f'create database "{server.dbname}"')
    finally:
        con.close()


def open_duckdb(path: Path) -> duckdb.DuckDBPyConnection:
    """Read-only, or this process's own instance when dbt-duckdb (in-process) still holds it.

    The marts file is attached (pipelines/db.py): `marts.x` names its tables.
    """
    try:
        return connect_warehouse(path, read_only=True)
    except duckdb.ConnectionException:
        return connect_warehouse(path)


def _raw_columns(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[str, str]]]:
    columns = frame(
        con,
        "select table_name, column_name, data_type from information_schema.columns "
        "where table_catalog = current_database() and table_schema = ? "
        "order by table_name, ordinal_position",
        [RAW_SCHEMA],
    )
    tables: dict[str, list[tuple[str, str]]] = {}
    for table, column, kind in columns.iter_rows():
        if kind not in _DUCKDB_TO_POSTGRES:
            raise PeerError(f"raw.{table}.{column}: no PostgreSQL type for DuckDB {kind}")
        tables.setdefault(table, []).append((column, _DUCKDB_TO_POSTGRES[kind]))
    return tables


def _csv_bytes(data: pl.DataFrame) -> io.BytesIO:
    """CSV for COPY: `\\N` marks NULL so an empty string stays an empty string."""
    buffer = io.BytesIO()
    data.write_csv(
        buffer,
        include_header=False,
        null_value=r"\N",
        datetime_format="%Y-%m-%d %H:%M:%S%.6f%:z",
        date_format="%Y-%m-%d",
    )
    buffer.seek(0)
    return buffer


def copy_raw(warehouse: Path, server: PgServer) -> dict[str, int]:
    """Copy every raw table from the DuckDB warehouse into PostgreSQL; rows per table."""
    copied: dict[str, int] = {}
    duck = open_duckdb(warehouse)
    pg = connect(server)
    try:
        tables = _raw_columns(duck)
        zone = duck.execute("select current_setting('TimeZone')").fetchall()[0][0]
        with pg.cursor() as cur:
            # dbt's sessions then bucket timestamptz as DuckDB's do
            cur.execute(f'alter database "{server.dbname}" set timezone = %s', [zone])
            cur.execute(f"drop schema if exists {RAW_SCHEMA} cascade")
            cur.execute(f"create schema {RAW_SCHEMA}")
            for table, columns in tables.items():
                ddl = ", ".join(f'"{name}" {kind}' for name, kind in columns)
                cur.execute(f"create table {RAW_SCHEMA}.{table} ({ddl})")
                data = frame(duck, f"select * from {RAW_SCHEMA}.{table}")
                cur.copy_expert(
                    f"copy {RAW_SCHEMA}.{table} from stdin with (format csv, null '\\N')",
                    _csv_bytes(data),
                )
                copied[table] = data.height
        pg.commit()
        pg.autocommit = True
        with pg.cursor() as cur:
            cur.execute("analyze")
    finally:
        pg.close()
        duck.close()
    return copied


def build_on_postgres(
    server: PgServer,
    home: Path,
    dbt_vars: Mapping[str, Any] | None = None,
    unit_tests: bool = False,
    threads: int | None = None,
) -> tuple[float, int]:
    """`dbt build` of the project against the server (target `postgres`); seconds, nodes."""
    from pipelines.build import build
    from pipelines.settings import Settings

    os.environ.update(server.dbt_env())
    overrides: dict[str, Any] = {"home": home}
    if threads is not None:
        overrides["threads"] = threads
    settings = Settings(**overrides)
    start = time.perf_counter()
    result = build(settings, dbt_vars=dbt_vars, unit_tests=unit_tests, target="postgres")
    return time.perf_counter() - start, result.passed + result.warned


def main(argv: list[str] | None = None) -> int:
    """`python -m pipelines.peer.postgres --home DIR`: build on the server SERVIQ_PG_* name.

    The benchmark runs this in a child process so that the peer's build is
    timed exactly as `serviq build` is (a fresh process, dbt's start-up included).
    """
    import argparse
    import json

    from pipelines.build import build
    from pipelines.settings import Settings

    parser = argparse.ArgumentParser(prog="python -m pipelines.peer.postgres")
    parser.add_argument("--home", required=True, help="working folder for dbt's target/logs")
    parser.add_argument("--vars", help="dbt vars as JSON")
    args = parser.parse_args(argv)
    settings = Settings(home=Path(args.home))
    dbt_vars = json.loads(args.vars) if args.vars else None
    result = build(settings, dbt_vars=dbt_vars, target="postgres")
    print(json.dumps({"passed": result.passed, "warned": result.warned}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
