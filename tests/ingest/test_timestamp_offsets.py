"""The offset shortcut for ISO 8601 timestamps parses exactly like `%:z`."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pipelines.ingest.validate as validate_module
from pipelines.ingest.read import LINE
from pipelines.ingest.validate import (
    ISO_WITH_OFFSET,
    common_offset,
    offset_literal_parse,
    parse_timestamp,
)
from pipelines.schema import ENTITIES
from tests.reliability.landing import MAPPING, valid_record

_two = st.integers(0, 99).map(lambda n: f"{n:02d}")
_year = st.one_of(
    st.sampled_from(["2026", "1970", "1969", "2024", "0001", "9999"]),
    st.integers(0, 300000).map(str),
    st.integers(0, 300000).map(lambda n: f"+{n}"),
)
_offset = st.one_of(
    st.sampled_from(["+08:00", "-05:00", "+00:00", "-00:00", "+05:45", "-00:30", "Z", "z", ""]),
    st.tuples(st.sampled_from("+-"), _two, _two, st.sampled_from([":", "", " "])).map(
        lambda t: f"{t[0]}{t[1]}{t[3]}{t[2]}"
    ),
)


@st.composite
def stamps(draw: st.DrawFn, literal: str) -> str:
    """Mostly well-formed texts, some near misses, some edited at random."""
    month = draw(st.one_of(st.integers(1, 12).map(lambda n: f"{n:02d}"), _two, st.just("6")))
    day = draw(st.one_of(st.integers(1, 28).map(lambda n: f"{n:02d}"), _two))
    hour = draw(st.one_of(st.integers(0, 23).map(lambda n: f"{n:02d}"), _two))
    minute = draw(st.one_of(st.integers(0, 59).map(lambda n: f"{n:02d}"), _two))
    second = draw(st.one_of(st.integers(0, 59).map(lambda n: f"{n:02d}"), _two))
    sep = draw(st.sampled_from(["T", "T", "T", " ", "t"]))
    frac = draw(st.sampled_from(["", "", "", ".5", ".123456"]))
    offset = draw(st.one_of(st.just(literal), _offset))
    text = f"{draw(_year)}-{month}-{day}{sep}{hour}:{minute}:{second}{frac}{offset}"
    for _ in range(draw(st.integers(0, 2))):
        at = draw(st.integers(0, len(text)))
        edit = draw(st.sampled_from(["insert", "delete", "replace"]))
        char = draw(st.sampled_from("0123456789-+:TZ t.\u00a0\u3000１"))
        if edit == "insert":
            text = text[:at] + char + text[at:]
        elif edit == "delete":
            text = text[:at] + text[at + 1 :]
        else:
            text = text[:at] + char + text[at + 1 :]
    return draw(st.sampled_from(["", " "])) + text + draw(st.sampled_from(["", " "]))


_literal = st.sampled_from(["+08:00", "-05:00", "+00:00", "-00:30", "+05:45", "+23:59"])


@settings(max_examples=200, deadline=None)
@given(
    offset_values=_literal.flatmap(
        lambda offset: st.tuples(
            st.just(offset), st.lists(st.one_of(stamps(offset), st.none()), min_size=1, max_size=30)
        )
    ),
    timezone=st.sampled_from(["Asia/Shanghai", "America/New_York", "UTC"]),
)
def test_the_offset_shortcut_parses_like_the_offset_format(
    offset_values: tuple[str, list[str | None]], timezone: str
) -> None:
    offset, values = offset_values
    frame = pl.DataFrame({"t": values}, schema={"t": pl.String})
    text = pl.col("t").str.strip_chars()
    out = frame.select(
        new=offset_literal_parse(text, offset, timezone),
        old=parse_timestamp(text, ISO_WITH_OFFSET, timezone, (ISO_WITH_OFFSET,)),
    )
    assert out["new"].dtype == out["old"].dtype
    # as integers: years before 1 parse too, and Python's datetime refuses them
    as_int = out.select(pl.all().cast(pl.Int64))
    assert as_int["new"].to_list() == as_int["old"].to_list(), values


def test_the_shortcut_takes_values_with_the_literal_offset_and_others_alike() -> None:
    values = [
        "2026-06-01T00:05:57+08:00",
        "2026-06-01T00:05:57-05:00",
        "2026-06-01T00:05:57Z",
        "2026-02-30T00:05:57+08:00",
        "2026-06-01T00:05:57",
        None,
    ]
    frame = pl.DataFrame({"t": values}, schema={"t": pl.String})
    got = frame.select(offset_literal_parse(pl.col("t"), "+08:00", "UTC")).to_series()
    assert [v.isoformat() if v else None for v in got.to_list()] == [
        "2026-05-31T16:05:57+00:00",
        "2026-06-01T05:05:57+00:00",
        "2026-06-01T00:05:57+00:00",
        None,
        None,
        None,
    ]


def test_the_common_offset_is_the_first_values_valid_offset() -> None:
    assert common_offset(pl.Series([None, " ", " 2026-06-01T00:05:57+08:00 "])) == "+08:00"
    assert common_offset(pl.Series(["2026-06-01T00:05:57-05:30"])) == "-05:30"
    assert common_offset(pl.Series(["2026-06-01T00:05:57Z"])) is None
    assert common_offset(pl.Series(["2026-06-01T00:05:57+24:00"])) is None
    assert common_offset(pl.Series([None], dtype=pl.String)) is None


_ODD = [
    "2026-06-01T00:05:57Z",
    "2026-06-01T00:05:57-05:00",
    "2026-06-01T00:05:57",
    "2026-02-30T00:05:57+08:00",
    "2026-06-01 00:05:57+08:00",
    " 2026-06-01T00:05:57+08:00 ",
    "2026-06-01T24:00:00+08:00",
    "2026-06-01T00:05:57+0800",
    "2026-06-01T00:05:57.5+08:00",
    "garbage",
    "",
    None,
]


@pytest.mark.parametrize("first", ["2026-06-01T00:00:00+08:00", "2026-06-01T00:00:00-05:00", "x"])
@pytest.mark.parametrize("odd", [[], _ODD])
def test_validate_types_and_quarantines_as_without_the_shortcut(
    monkeypatch: pytest.MonkeyPatch, first: str, odd: list[str | None]
) -> None:
    entity, mapping = ENTITIES["tickets"], MAPPING.entities["tickets"]
    rows = [valid_record("tickets", i) for i in range(len(odd) + 3)]
    for row, value in zip(rows[1:], odd, strict=False):
        row["solved_at"] = value
    rows[0]["created_at"] = first
    text = pl.DataFrame(
        {
            LINE: list(range(len(rows))),
            **{f.name: [r.get(f.name) for r in rows] for f in entity.fields},
        },
        schema={LINE: pl.Int64, **{f.name: pl.String for f in entity.fields}},
    )
    got = validate_module.validate(text, entity, mapping, MAPPING.timezone)
    monkeypatch.setattr(validate_module, "_offsets", lambda *args: {})
    want = validate_module.validate(text, entity, mapping, MAPPING.timezone)
    assert got.good.equals(want.good) and got.bad.equals(want.bad)
    assert want.good.height + want.bad.height == len(rows)
