"""A fingerprint of the build: what a check run judged and what publish would copy.

The fingerprint hashes, for every base table of the schemas `raw`, `marts`
and `seeds`, its row count and an order-independent sum of row hashes
(DuckDB's `hash` of the whole row: ~0.3 s per 10M rows). A check run stores
it; publish recomputes it, so "the latest check run for the current build"
means a run over exactly the data about to be published. The `quality` and
`audit` schemas are left out: checks and loads write there without changing
what is published as metrics.
"""

from __future__ import annotations

import hashlib

import duckdb

from pipelines.db import frame

FINGERPRINTED_SCHEMAS = ("raw", "marts", "seeds")


def build_fingerprint(con: duckdb.DuckDBPyConnection) -> str:
    tables = frame(
        con,
        """
        select table_schema, table_name from information_schema.tables
        where table_catalog = current_database() and table_type = 'BASE TABLE'
          and table_schema in ?
        order by table_schema, table_name
        """,
        [list(FINGERPRINTED_SCHEMAS)],
    )
    digest = hashlib.sha256()
    for schema, table in tables.iter_rows():
        relation = f'{schema}."{table}"'
        count, total = con.execute(
            f"select count(*), coalesce(sum(hash(t)::hugeint), 0)::varchar from {relation} as t"
        ).fetchall()[0]
        digest.update(f"{relation}\t{count}\t{total}\n".encode())
    return digest.hexdigest()[:32]
