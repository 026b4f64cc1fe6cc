"""The canonical schema is declared once and drives the dbt sources."""

from __future__ import annotations

from pathlib import Path

import duckdb

from pipelines.schema import ENTITIES, sources_yml

ROOT = Path(__file__).resolve().parent.parent


def test_dbt_sources_file_is_generated_from_the_schema() -> None:
    committed = (ROOT / "models/staging/serviq/_serviq__sources.yml").read_text(encoding="utf-8")
    assert committed == sources_yml(), (
        "models/staging/serviq/_serviq__sources.yml is stale: run "
        "`python -m pipelines.schema --sources-yml > models/staging/serviq/_serviq__sources.yml`"
    )


def test_every_entity_has_a_staging_model() -> None:
    for name in ENTITIES:
        assert (ROOT / f"models/staging/serviq/stg_serviq__{name}.sql").exists(), name


def test_ddl_creates_every_canonical_column() -> None:
    con = duckdb.connect()
    con.execute("create schema raw")
    for ent in ENTITIES.values():
        con.execute(ent.duckdb_ddl())
        cols = [r[0] for r in con.execute(f"describe raw.{ent.name}").fetchall()]
        assert cols[: len(ent.fields)] == ent.field_names
