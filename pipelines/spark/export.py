"""Bring Spark's marts and seeds into the DuckDB build file, for `serviq publish`.

Which tables: every model and seed dbt built into the published schemas
(`marts`, `seeds`; pipelines/publish.py), read from dbt's manifest, so a new
mart is exported without a list to maintain here. How: Spark writes each one
as Parquet (`insert overwrite directory ... using parquet`, the same statement
locally and on a cluster), then DuckDB loads them with `create table ... as
select * from read_parquet(...)`: the marts into a new marts file (where a
DuckDB build puts them, pipelines/db.py `marts_file`), the seeds into the
build file's `seeds` schema in one transaction, and the new marts file
replaces the old one once both are written. A failure before that leaves
the build file's seeds and the marts file as they were; `publish` is
unchanged.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipelines.db import MARTS_DATABASE, MARTS_SCHEMA, cap_memory, marts_file
from pipelines.settings import Settings

EXPORTED_SCHEMAS = ("marts", "seeds")
_BUILT = {"model", "seed"}


@dataclass
class ExportReport:
    tables: list[str] = field(default_factory=list)
    rows: int = 0


def manifest_relations(settings_home: Path) -> list[tuple[str, str]]:
    """(schema, table) of every table dbt builds into the exported schemas."""
    manifest = settings_home / "dbt" / "target" / "manifest.json"
    nodes = json.loads(manifest.read_text(encoding="utf-8"))["nodes"].values()
    found = {
        (node["schema"], node.get("alias") or node["name"])
        for node in nodes
        if node["resource_type"] in _BUILT
        and node["schema"] in EXPORTED_SCHEMAS
        and node["config"].get("materialized") not in ("ephemeral", "view")
        and node["config"].get("enabled", True)
    }
    return sorted(found)


def export_dir(settings_home: Path) -> Path:
    configured = os.environ.get("SERVIQ_SPARK_EXPORT_DIR", "").strip()
    return Path(configured) if configured else settings_home / "spark" / "export"


def export_statement(schema: str, table: str, target: str) -> str:
    return f"insert overwrite directory '{target}' using parquet select * from {schema}.`{table}`"


def export_and_load(run: Callable[[str], object], settings: Settings) -> ExportReport:
    """Export the marts and seeds from Spark and load them into the build file."""
    home, warehouse = settings.home, settings.warehouse
    relations = manifest_relations(home)
    base = export_dir(home)
    shutil.rmtree(base, ignore_errors=True)
    # the same folder as the cluster sees it (an object-store URI), if it differs
    spark_base = os.environ.get("SERVIQ_SPARK_EXPORT_URI", "").strip().rstrip("/") or str(base)
    for schema, table in relations:
        run(export_statement(schema, table, f"{spark_base}/{schema}/{table}"))
    flush = getattr(run, "flush", None)
    if flush is not None:
        flush()
    return load_into_duckdb(warehouse, base, relations)


def load_into_duckdb(warehouse: Path, base: Path, relations: list[tuple[str, str]]) -> ExportReport:
    report = ExportReport()
    marts = marts_file(warehouse)
    fresh = marts.with_name(f".{marts.name}.{os.getpid()}.tmp")
    fresh.unlink(missing_ok=True)
    counts: dict[tuple[str, str], int] = {}

    def load(con: duckdb.DuckDBPyConnection, target: str, schema: str, table: str) -> None:
        files = str(base / schema / table / "*.parquet").replace("'", "''")
        con.execute(f"create table {target}.\"{table}\" as select * from read_parquet('{files}')")
        count = con.execute(f'select count(*) from {target}."{table}"').fetchall()[0][0]
        counts[(schema, table)] = int(count)

    con = duckdb.connect(str(warehouse))
    cap_memory(con)
    try:
        # a DuckDB build in this process may still have the old marts file attached
        con.execute(f"detach database if exists {MARTS_DATABASE}")
        quoted = str(fresh).replace("'", "''")
        con.execute(f"attach '{quoted}' as spark_marts")
        con.execute(f"create schema spark_marts.{MARTS_SCHEMA}")
        for schema, table in relations:
            if schema == MARTS_SCHEMA:
                load(con, f"spark_marts.{MARTS_SCHEMA}", schema, table)
        con.execute("checkpoint spark_marts")
        con.execute("detach spark_marts")
        con.execute("begin transaction")
        try:
            # a build file from before the marts file: its own `marts` goes
            con.execute(f"drop schema if exists {MARTS_SCHEMA} cascade")
            for schema in EXPORTED_SCHEMAS:
                if schema != MARTS_SCHEMA:
                    con.execute(f"drop schema if exists {schema} cascade")
                    con.execute(f"create schema {schema}")
            for schema, table in relations:
                if schema != MARTS_SCHEMA:
                    load(con, schema, schema, table)
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise
    except BaseException:
        fresh.unlink(missing_ok=True)
        Path(f"{fresh}.wal").unlink(missing_ok=True)
        raise
    finally:
        con.close()
    os.replace(fresh, marts)
    Path(f"{marts}.wal").unlink(missing_ok=True)
    for schema, table in relations:
        report.tables.append(f"{schema}.{table}")
        report.rows += counts[(schema, table)]
    return report
