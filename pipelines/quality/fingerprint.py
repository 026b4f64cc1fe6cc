"""A fingerprint of the build: what a check run judged and what publish would copy.

The fingerprint hashes, for every base table of the schemas `raw`, `marts`
and `seeds`, its row count and an order-independent sum of row hashes
(DuckDB's `hash` over the row's columns, given as separate arguments: the
same value as hashing the row as one struct, in about half the time, ~2 s of
CPU per 10M rows of `fct_contacts`). A check run stores
it; publish recomputes it, so "the latest check run for the current build"
means a run over exactly the data about to be published. The `quality` and
`audit` schemas are left out: checks and loads write there without changing
what is published as metrics.
"""

from __future__ import annotations

import hashlib

import duckdb

from pipelines.db import catalog_of, frame

FINGERPRINTED_SCHEMAS = ("raw", "marts", "seeds")


def build_fingerprint(con: duckdb.DuckDBPyConnection) -> str:
    # the marts live in the marts file when it is attached (pipelines/db.py);
    # `marts."t"` names them there, so the digest is the same text as before
    catalogs = {schema: catalog_of(con, schema) for schema in FINGERPRINTED_SCHEMAS}
    tables = frame(
        con,
        """
        select table_schema, table_name, table_catalog from information_schema.tables
        where table_type = 'BASE TABLE'
          and list_contains(?, struct_pack(c := table_catalog, s := table_schema))
        order by table_schema, table_name
        """,
        [[{"c": c, "s": s} for s, c in catalogs.items()]],
    )
    digest = hashlib.sha256()
    for schema, table, catalog in tables.iter_rows():
        relation = f'{schema}."{table}"'
        columns = _columns(con, catalog, schema, table)
        count, total = con.execute(
            f"select count(*), coalesce(sum(hash({columns})::hugeint), 0)"
            f'::varchar from "{catalog}".{relation}'
        ).fetchall()[0]
        digest.update(f"{relation}\t{count}\t{total}\n".encode())
    return digest.hexdigest()[:32]


def _columns(con: duckdb.DuckDBPyConnection, catalog: str, schema: str, table: str) -> str:
    """The table's columns in order, quoted, as `hash`'s arguments."""
    names = con.execute(
        "select column_name from duckdb_columns() "
        "where database_name = ? and schema_name = ? and table_name = ? "
        "order by column_index",
        [catalog, schema, table],
    ).fetchall()
    return ", ".join('"' + name.replace('"', '""') + '"' for (name,) in names)
