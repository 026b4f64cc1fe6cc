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


BYTES = st.sampled_from(
    [b"a", b"1", b" ", b",", b"\r", b"\n", b'"', b"\xff", b"\xc3\xa9", b"\xed\xa0\x80"]
)
JSON_BYTES = st.sampled_from(
    [b'{"id": "a", "n": 1}', b'{"id": "\xff", "n": 2}', b'{"id": "\xc3\xa9"}', b"", b" ", b"{bad"]
)


@settings(max_examples=100, deadline=None)
@given(
    csv_body=st.lists(BYTES, max_size=24).map(b"".join),
    json_lines=st.lists(JSON_BYTES, min_size=1, max_size=6),
    bom=st.booleans(),
)
def test_reading_undecoded_bytes_matches_decoding_first(
    csv_body: bytes, json_lines: list[bytes], bom: bool
) -> None:
    """Polars reads clean UTF-8 files from their bytes; any byte it would refuse
    (or any doubt) sends the file to the decoding paths, with the same result."""
    import tempfile
    from pathlib import Path

    jsonl = load_mapping(builtin_mapping()).entities["tickets"]
    assert jsonl.format == "jsonl"
    prefix = b"\xef\xbb\xbf" if bom else b""
    cases = [
        (MAPPING, prefix + b"a,b,c\n" + csv_body),
        (jsonl, prefix + b"\n".join(json_lines)),
    ]
    with tempfile.TemporaryDirectory() as folder:
        for mapping, data in cases:
            path = Path(folder) / "f"
            path.write_bytes(data)
            fast = _outcome(lambda: read._read_source(path, mapping))  # noqa: B023
            with pytest.MonkeyPatch.context() as patched:
                patched.setattr(read, "_read_undecoded", lambda _data, _mapping: None)
                slow = _outcome(lambda: read._read_source(path, mapping))  # noqa: B023
            assert fast == slow


def test_a_clean_utf8_file_is_read_without_decoding_it() -> None:
    data = "a,b,c\n1,é,3\n".encode()
    result = read._read_undecoded(data, MAPPING)
    assert result is not None
    assert result.frame.to_dicts() == [{"_line": 2, "a": "1", "b": "é", "c": "3"}]
    assert read._read_undecoded(data.replace("é".encode(), b"\xff"), MAPPING) is None
