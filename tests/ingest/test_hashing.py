"""The fast hashing paths give exactly the reference keyed hash."""

from __future__ import annotations

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
