"""The fast reading paths give exactly what the line-by-line paths give."""

from __future__ import annotations

import json

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.ingest import read
from pipelines.sources.mapping import builtin_mapping, load_mapping

MAPPING = load_mapping(builtin_mapping()).entities["surveys"]  # comma-separated, with header
# the characters that make CSV lines blank, ragged, CRLF or padded
CELLS = st.text(alphabet=st.sampled_from(list("ab1 ,\r\t\u3000\x1c\x85\ufeff")), max_size=6)
LINES = st.lists(CELLS, min_size=0, max_size=8)


def _outcome(call):  # type: ignore[no-untyped-def]
    try:
        result = call()
    except read.FileRefused as exc:
        return ("refused", str(exc))
    return (result.frame.to_dicts(), result.rejects, result.columns)


@settings(max_examples=300, deadline=None)
@given(head=st.sampled_from(["a,b,c", "a,b", "a", "a,b,c\r", " a , b ", "a,a"]), lines=LINES)
def test_clean_csv_reader_matches_the_line_by_line_reader(head: str, lines: list[str]) -> None:
    text = "\n".join([head, *lines])
    fast = _outcome(lambda: read._read_delimited(text, MAPPING))
    with pytest.MonkeyPatch.context() as patched:
        patched.setattr(read, "_read_clean", lambda _utf8, _mapping: None)
        slow = _outcome(lambda: read._read_delimited(text, MAPPING))
    assert fast == slow


def test_a_clean_file_takes_the_clean_path() -> None:
    text = "a,b,c\r\n1, 2 ,3\r\n4,5,6 \r\n\r\n"
    assert read._read_clean(text.encode(), MAPPING) is not None
    result = read._read_delimited(text, MAPPING)
    assert result.frame.to_dicts() == [
        {"_line": 2, "a": "1", "b": "2", "c": "3"},
        {"_line": 3, "a": "4", "b": "5", "c": "6"},
    ]


RECORD = st.fixed_dictionaries({"id": st.text(alphabet="ab1", max_size=3), "n": st.integers(0, 9)})
JSON_LINE = st.one_of(
    RECORD.map(json.dumps),
    st.sampled_from(["", " ", "\r", "\t", "\u3000", "\x1c", "{bad", "[1]", "\ufeff{}"]),
)


@settings(max_examples=300, deadline=None)
@given(lines=st.lists(JSON_LINE, min_size=1, max_size=8), sep=st.sampled_from(["\n", "\r\n"]))
def test_jsonl_read_from_the_bytes_matches_the_split_lines(lines: list[str], sep: str) -> None:
    text = sep.join(lines)
    fast = _outcome(lambda: read._read_jsonl(text))
    with pytest.MonkeyPatch.context() as patched:
        patched.setattr(read, "_BLANK_FIRST", _Always())
        slow = _outcome(lambda: read._read_jsonl(text))
    assert fast == slow


class _Always:
    """A pattern that always finds a blank line: forces the split-lines path."""

    def match(self, _data: bytes) -> bool:
        return True


def test_json_lines_without_blank_lines_are_numbered_by_line() -> None:
    text = '{"id": "a", "n": 1}\r\n{"id": "b", "n": 2}\n\n \n'
    frame = read._read_jsonl(text).frame
    assert frame.select("_line", "id").to_dicts() == [
        {"_line": 1, "id": "a"},
        {"_line": 2, "id": "b"},
    ]
    assert frame.schema["n"] == pl.String
