"""Bring Spark's marts and seeds into the DuckDB build file, for `serviq publish`.

Which tables: every model and seed dbt built into the published schemas
(`marts`, `seeds`; pipelines/publish.py), read from dbt's manifest, so a new
mart is exported without a list to maintain here. How: Spark writes each one
as Parquet (`insert overwrite directory ... using parquet`, the same statement
locally and on a cluster), then one DuckDB transaction replaces the build
file's `marts` and `seeds` schemas with `create table ... as select * from
read_parquet(...)`. A failure before the commit leaves the build file as it
was; `publish` is unchanged.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

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
    con = duckdb.connect(str(warehouse))
    try:
        con.execute("begin transaction")
        for schema in EXPORTED_SCHEMAS:
            con.execute(f"drop schema if exists {schema} cascade")
            con.execute(f"create schema {schema}")
        for schema, table in relations:
            files = str(base / schema / table / "*.parquet").replace("'", "''")
            con.execute(
                f"create table {schema}.\"{table}\" as select * from read_parquet('{files}')"
            )
            count = con.execute(f'select count(*) from {schema}."{table}"').fetchall()[0][0]
            report.tables.append(f"{schema}.{table}")
            report.rows += int(count)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    finally:
        con.close()
    return report
