"""Property-based: random mixtures of valid and malformed rows through the real loader.

For any mixture of valid rows, rows broken in one field (every mutation of
tests/reliability/landing.py), exact duplicates of earlier rows and
structurally broken lines (too few fields, invalid JSON, bytes invalid in
the file's encoding), in CSV, JSON Lines and GB18030 files:
- the loader never crashes and never refuses the file,
- every valid row is loaded exactly once (the first of its key),
- every other line is quarantined once, with a reason, blaming the field
  the mutation broke,
- the audit row balances: records read = loaded + quarantined.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import duckdb
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.ingest import ingest
from pipelines.schema import ENTITIES
from tests.reliability.landing import MAPPING, MUTATIONS, Record, render, valid_record, write
from tests.support import TEST_PII_KEY

KINDS = ["valid", "valid", "valid", *MUTATIONS, "duplicate", "structural"]
ENTITY_FORMATS = ["calls", "tickets", "backoffice_items"]  # CSV, JSON Lines, GB18030 CSV


def break_line(entity: str, line: bytes) -> bytes:
    em = MAPPING.entities[entity]
    if em.format == "jsonl":
        return line[: len(line) // 2]  # cut JSON
    if em.encoding == "gb18030":
        return line + b"\xff\xfe"  # not GB18030
    return line.rsplit(b",", 3)[0]  # three fields short


def build(entity: str, kinds: list[str]) -> tuple[bytes, dict[str, int], dict[int, str]]:
    """File bytes, expected loaded keys -> line, expected quarantined line -> blamed field."""
    ent = ENTITIES[entity]
    header_lines = 0 if MAPPING.entities[entity].format == "jsonl" else 1
    records: list[Record] = []
    loaded: dict[str, int] = {}
    quarantined: dict[int, str] = {}
    structural: list[int] = []
    for index, kind in enumerate(kinds):
        line = index + 1 + header_lines
        record = valid_record(entity, 1000 + index)
        if kind == "duplicate" and loaded:
            record = valid_record(entity, 1000 + loaded[sorted(loaded)[0]] - 1 - header_lines)
            quarantined[line] = ent.key[0]
        elif kind == "structural":
            structural.append(index)
            quarantined[line] = "(row)"
        elif kind in MUTATIONS:
            blamed = MUTATIONS[kind](ent, record)
            if blamed is not None:
                quarantined[line] = blamed
        if line not in quarantined:
            key = str(record[ent.key[0]])
            loaded[key] = line
        records.append(record)
    data = render(entity, records)
    lines = data.split(b"\n")
    for index in structural:
        lines[index + header_lines] = break_line(entity, lines[index + header_lines])
    return b"\n".join(lines), loaded, quarantined


@settings(max_examples=20, deadline=None)
@given(
    entity=st.sampled_from(ENTITY_FORMATS),
    kinds=st.lists(st.sampled_from(KINDS), min_size=1, max_size=25),
)
def test_every_valid_row_loads_once_and_every_bad_row_is_quarantined_with_a_reason(
    entity: str, kinds: list[str]
) -> None:
    data, loaded, quarantined = build(entity, kinds)
    with tempfile.TemporaryDirectory() as tmp:
        landing, warehouse = Path(tmp) / "landing", Path(tmp) / "w.duckdb"
        write(landing, entity, "2026-06-01", data)
        report = ingest(warehouse, landing, MAPPING, TEST_PII_KEY.encode())
        assert not report.refusals
        con = duckdb.connect(str(warehouse), read_only=True)
        try:
            key = ENTITIES[entity].key[0]
            got_loaded = con.execute(f"select {key}, _source_line from raw.{entity}").fetchall()
            got_bad = con.execute("select line, field, reason from audit.quarantine").fetchall()
            audit = con.execute(
                "select rows_read, rows_loaded, rows_quarantined from audit.load_audit"
            ).fetchall()
        finally:
            con.close()
    assert sorted(got_loaded) == sorted(loaded.items())
    assert {line: field for line, field, _ in got_bad} == quarantined
    assert len(got_bad) == len(quarantined)  # once each
    assert all(reason for _, _, reason in got_bad)
    assert audit == [(len(kinds), len(loaded), len(quarantined))]
