"""The fast hashing paths give exactly the reference keyed hash."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.ingest.pii import _Hmac, hash_column, keyed_hash, normalise, normalised

KEYS = st.binary(min_size=1, max_size=100)  # longer than a SHA-256 block too
KINDS = st.sampled_from(["customer_id", "phone", "email", "id_card"])
VALUES = st.text(alphabet=st.sampled_from(list("0123456789 -+86AbXx@.中\u3000\uff11")), max_size=24)


@settings(max_examples=200, deadline=None)
@given(key=KEYS, message=st.binary(max_size=200))
def test_precomputed_pads_equal_hmac(key: bytes, message: bytes) -> None:
    import hashlib
    import hmac

    expected = hmac.new(key, message, hashlib.sha256).hexdigest()[:32]
    assert _Hmac(key).hexdigest(message) == expected


@settings(max_examples=100, deadline=None)
@given(kind=KINDS, values=st.lists(st.one_of(st.none(), VALUES), max_size=20))
def test_vectorised_normal_form_and_hash_match_the_reference(
    kind: str, values: list[str | None]
) -> None:
    frame = pl.DataFrame({"v": values}, schema={"v": pl.String})
    norm = frame.select(normalised(pl.col("v"), kind)).to_series().to_list()
    assert norm == [None if v is None else normalise(kind, v) for v in values]
    key = b"serviq-test-key"
    hashed = hash_column(frame, "v", kind, key)["v"].to_list()  # type: ignore[arg-type]
    assert hashed == [
        None if v is None else keyed_hash(key, kind, normalise(kind, v)) for v in values
    ]


def test_key_index_finds_exactly_the_keys_added(tmp_path: Path) -> None:
    import duckdb

    from pipelines.ingest.load import KeyIndex, ensure_tables
    from pipelines.schema import entity

    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    ensure_tables(con)
    index = KeyIndex(con, entity("agent_shifts"))  # a two-column key
    con.close()
    frame = pl.DataFrame(
        {
            "agent_id": ["a", "a", "b"],
            "shift_date": [date(2026, 6, 1), date(2026, 6, 2), date(2026, 6, 1)],
        }
    )
    assert not index.candidates(frame).any()  # nothing loaded yet
    index.add(frame.clear())  # a file whose rows were all quarantined
    index.add(frame.head(2))
    assert index.candidates(frame).tolist() == [True, True, False]
    for day in range(3, 40):  # many small files: runs merge, lookups still exact
        index.add(
            pl.DataFrame({"agent_id": ["c"], "shift_date": [date(2026, 6, 1) + timedelta(day)]})
        )
    assert index.candidates(frame).tolist() == [True, True, False]
    late = pl.DataFrame({"agent_id": ["c"], "shift_date": [date(2026, 6, 20)]})
    assert index.candidates(late).tolist() == [True]
    # probes are searched in sorted order: each answer must come back to its own row
    many = pl.DataFrame(
        {
            "agent_id": [f"x{n % 97}" for n in range(2000)],
            "shift_date": [date(2026, 1, 1) + timedelta(n % 301) for n in range(2000)],
        }
    ).unique(maintain_order=True)
    index.add(many[::3])
    shuffled = many.sample(fraction=1.0, shuffle=True, seed=7)
    loaded = set(many[::3].iter_rows())
    assert index.candidates(shuffled).tolist() == [r in loaded for r in shuffled.iter_rows()]


def test_key_index_reads_every_frame_of_the_loaded_keys(tmp_path: Path) -> None:
    """The keys already loaded are read in streamed frames; every frame counts."""
    import duckdb

    from pipelines.ingest.load import KeyIndex, ensure_tables
    from pipelines.schema import entity

    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    ensure_tables(con)
    con.execute(
        "insert into raw.agent_shifts (agent_id, shift_date, _source_file, _source_line, _load_id) "
        "select 'a' || (i % 50), date '2026-01-01' + cast(i // 50 as integer), 'f.csv', i + 2, 'L' "
        "from range(2500) t(i)"
    )
    index = KeyIndex(con, entity("agent_shifts"), frame_rows=1000)  # three frames
    con.close()
    loaded = pl.DataFrame(
        {
            "agent_id": ["a0", "a49", "a7", "a0"],
            "shift_date": [
                date(2026, 1, 1),
                date(2026, 2, 19),
                date(2026, 1, 30),
                date(2026, 2, 20),
            ],
        }
    )
    # rows 0, 2499 (the last frame), 1457 (the second); 2026-02-20 is day 50: not loaded
    assert index.candidates(loaded).tolist() == [True, True, True, False]
