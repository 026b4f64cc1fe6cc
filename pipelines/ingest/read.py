"""Read one landing file into a frame of text columns, one row per record.

Every value is read as text first, so that a bad value becomes a quarantined
row with a reason instead of a failed file. The structural problems found
here (undecodable bytes, wrong number of fields, a line that is not JSON)
are returned as rejects with their line numbers; the rest of the file reads.

A problem with the file as a whole (empty, no header, a required column
missing) raises FileRefused with one sentence.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from pipelines.sources.mapping import EntityMapping

LINE = "_line"


class FileRefused(ValueError):
    """The file cannot be loaded at all; the message is one sentence."""


@dataclass
class ReadResult:
    frame: pl.DataFrame  # text columns named as in the source, plus _line
    rejects: list[tuple[int, str]] = field(default_factory=list)  # (line, reason)
    columns: list[str] = field(default_factory=list)  # source columns in file order
    filtered: int = 0  # rows the mapping skipped (its filter, older copies of a record)


def read_file(path: Path, mapping: EntityMapping) -> ReadResult:
    """Read a file as text columns; a mapping's adapter, filter, expressions, keys applied."""
    result = _read_source(path, mapping)
    if mapping.reshapes:
        from pipelines.sources.derive import derive

        result = derive(result, mapping)
    if mapping.ignore_columns:
        result.columns = _without_ignored(result.columns, mapping)
    return result


def _without_ignored(columns: list[str], mapping: EntityMapping) -> list[str]:
    """Drop columns the mapping declares unused (never one a field reads)."""
    from fnmatch import fnmatchcase

    from pipelines.schema import ENTITIES

    used = set(mapping.columns.values())
    if mapping.entity_name is not None:
        used |= {mapping.source_column(f) for f in ENTITIES[mapping.entity_name].field_names}
    return [
        c
        for c in columns
        if c in used or not any(fnmatchcase(c, pattern) for pattern in mapping.ignore_columns)
    ]


def _read_source(path: Path, mapping: EntityMapping) -> ReadResult:
    data = path.read_bytes()
    if mapping.format == "parquet" and mapping.adapter is None:
        return _read_parquet(path)
    if not data or data.isspace():  # (data.strip() would copy the whole file)
        what = (
            "no records"
            if mapping.format in ("jsonl", "json") or mapping.adapter
            else "not even a header row"
        )
        raise FileRefused(f"{path.name} is empty: {what}.")
    fast = _read_undecoded(data, mapping)
    if fast is not None:
        return fast
    text, rejects = _decode(data, mapping.encoding)
    if mapping.adapter is not None:
        result = _read_adapted(text, mapping.adapter)
    elif mapping.format == "jsonl":
        result = _read_jsonl(text, _utf8(data, text, mapping.encoding, rejects))
    elif mapping.format == "json":
        result = _read_json(text)
    else:
        utf8 = _utf8(data, text, mapping.encoding, rejects)
        result = _read_delimited(text, mapping, {line for line, _ in rejects}, utf8)
    result.rejects = rejects + result.rejects
    return result


def _read_undecoded(data: bytes, mapping: EntityMapping) -> ReadResult | None:
    """A clean UTF-8 file read by Polars straight from its bytes, else None.

    Polars validates UTF-8 as it reads (an invalid byte anywhere fails the
    call), so a file its fast readers take whole is valid UTF-8, and
    Python's decode of the whole file (about 2.3 ms per MB) is needed only
    when a slower path will read the text. Same results: the fast readers
    are given the same bytes `_utf8` would give them.
    """
    if mapping.adapter is not None or codecs.lookup(mapping.encoding).name != "utf-8":
        return None
    utf8 = data[len(_BOM) :] if _skips_bom(data, mapping.encoding) else data
    if mapping.format == "jsonl":
        return _read_jsonl_bytes(utf8)
    if mapping.format in ("json", "parquet") or b'"' in utf8:
        return None
    return _read_clean(utf8, mapping)


def _read_adapted(text: str, adapter: str) -> ReadResult:
    from pipelines.sources.adapters import ADAPTERS

    frame, rejects = ADAPTERS[adapter](text)
    columns = [c for c in frame.columns if c != LINE]
    return ReadResult(frame, rejects, columns)


# --------------------------------------------------------------------------
# Decoding
# --------------------------------------------------------------------------
_BOM = b"\xef\xbb\xbf"


def _skips_bom(data: bytes, encoding: str) -> bool:
    return data.startswith(_BOM) and encoding.replace("-", "").lower() in ("utf8",)


def _utf8(data: bytes, text: str, encoding: str, rejects: list[tuple[int, str]]) -> bytes:
    """`text` as UTF-8: the file's own bytes when it was UTF-8 and decoded whole."""
    if not rejects and codecs.lookup(encoding).name == "utf-8":
        return data[len(_BOM) :] if _skips_bom(data, encoding) else data
    return text.encode("utf-8")


def _decode(data: bytes, encoding: str) -> tuple[str, list[tuple[int, str]]]:
    """Decode strictly; lines with bytes invalid in the encoding are rejected.

    Rejected lines are replaced by an empty line so that line numbers hold.
    """
    if _skips_bom(data, encoding):
        data = data[3:]
    try:
        return data.decode(encoding), []
    except UnicodeDecodeError:
        pass
    rejects: list[tuple[int, str]] = []
    lines = data.split(b"\n")
    out: list[str] = []
    for number, raw in enumerate(lines, start=1):
        try:
            out.append(raw.decode(encoding))
        except UnicodeDecodeError as exc:
            rejects.append((number, f"bytes not valid {encoding} at byte {exc.start}"))
            out.append("")
    return "\n".join(out), rejects


# --------------------------------------------------------------------------
# Delimited text
# --------------------------------------------------------------------------
# The characters Python's str.strip() removes (a test checks the set): a
# line of only these is blank and skipped, as it always was.
WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004"
    "\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)


def _lines(utf8: bytes) -> pl.DataFrame:
    """The physical lines of UTF-8 text (split on \\n, like str.split) in Polars.

    Columns: `_line` (1-based physical line number), `raw` (the line) and
    `blank` (only whitespace). No Python object per line is made.
    """
    text = pl.Series("raw", [utf8], dtype=pl.Binary).cast(pl.String)
    raw = text.str.split("\n").explode()
    return pl.DataFrame([raw]).select(
        pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias(LINE),
        pl.col("raw"),
        (pl.col("raw").str.strip_chars(WHITESPACE) == "").alias("blank"),
    )


def _read_delimited(
    text: str,
    mapping: EntityMapping,
    undecodable: set[int] | None = None,
    utf8: bytes | None = None,
) -> ReadResult:
    """`utf8`, when given, is `text` encoded as UTF-8 (saves encoding it again)."""
    sep = mapping.separator
    utf8 = text.encode("utf-8") if utf8 is None else utf8
    if not undecodable and '"' not in text:
        clean = _read_clean(utf8, mapping)
        if clean is not None:
            return clean
    lines = _lines(utf8)
    filled = lines.filter(~pl.col("blank") & (pl.col(LINE) > mapping.skip_rows))
    if filled.height == 0:
        raise FileRefused("the file has no header row.")
    first = int(filled[LINE][0]) - 1  # 0-based index of the first non-blank line
    head_line = str(filled["raw"][0])
    bad_head = sorted(n for n in undecodable or () if n <= first + 1)
    if mapping.header and bad_head:
        raise FileRefused(
            f"line {bad_head[0]} (header) has bytes not valid {mapping.encoding}: "
            "the columns cannot be named."
        )
    header = _header(head_line, mapping)
    body_start = first + 1 if mapping.header else first
    # physical line numbers (1-based) of the non-blank body lines
    body = filled.filter(pl.col(LINE) > body_start).select(LINE, "raw")
    if body.height == 0:
        return ReadResult(_empty(header), [], header)

    if '"' in text:
        numbered = list(zip(body[LINE].to_list(), body["raw"].to_list(), strict=True))
        rows, rejects = _parse_with_csv(numbered, sep, len(header))
        return ReadResult(_frame(header, rows), rejects, header)
    frame, rejects = _parse_fast(body, sep, header)
    return ReadResult(frame, rejects, header)


def _header(head_line: str, mapping: EntityMapping) -> list[str]:
    """Column names from the first non-blank line (or column_1.. without a header)."""
    fields = next(csv.reader([head_line], delimiter=mapping.separator))
    if mapping.header:
        header = [h.strip().lstrip("\ufeff") for h in fields]
    else:
        header = [f"column_{i + 1}" for i in range(len(fields))]
    if len(set(header)) != len(header):
        raise FileRefused("the header names a column twice.")
    return header


def _read_clean(utf8: bytes, mapping: EntityMapping) -> ReadResult | None:
    """A clean file read by Polars' CSV reader in one call, else None.

    Clean: no quote anywhere (checked by the caller), no bytes undecodable,
    the header on the first line, at least two columns and a separator that
    is not white space, no blank line before the last row, every \\r part of
    a \\r\\n, and every row with exactly the header's number of fields. The
    result is then exactly what `_parse_fast` makes of the file; any other
    file (or any doubt) takes the line-by-line path.
    """
    sep = mapping.separator.encode("utf-8")
    if mapping.skip_rows or len(sep) != 1:
        return None
    end = utf8.find(b"\n")
    if end <= 0:
        return None
    try:
        head_line = utf8[:end].decode("utf-8")
    except UnicodeDecodeError:  # (only when called on bytes not decoded yet)
        return None
    if not head_line.strip():
        return None
    header = _header(head_line, mapping)
    if len(header) < 2 or mapping.separator.isspace():
        return None  # then every row holds a separator that is not blank space
    body = (utf8[end + 1 :] if mapping.header else utf8).rstrip(b"\r\n ")
    if (
        not body
        or body.startswith(_BOM)
        or _BLANK_FIRST.match(body)
        or _BLANK_LINE.search(body + b"\n")
        or (b"\r" in body and body.count(b"\r") != body.count(b"\r\n"))  # (a scan, not two counts)
    ):
        return None
    rows = _rows_as_wide(body, sep, len(header))
    if rows is None:
        return None
    try:
        frame = pl.read_csv(
            body,
            has_header=False,
            schema=dict.fromkeys(header, pl.String()),
            separator=sep.decode("utf-8"),
            quote_char=None,
            empty_string_is_null=False,
            raise_if_empty=False,
        )
    except pl.exceptions.PolarsError:  # bytes not valid UTF-8
        return None
    if frame.height != rows:
        return None
    first_line = 2 if mapping.header else 1
    line = pl.int_range(first_line, first_line + rows, dtype=pl.Int64).alias(LINE)
    if _padded(body, sep):
        frame = frame.select(line, *[pl.col(name).str.strip_chars(" \r") for name in header])
    else:  # no value starts or ends with a space or \r: stripping would copy every column
        frame = frame.select(line, *header)
    return ReadResult(frame, [], header)


def _rows_as_wide(body: bytes, sep: bytes, width: int) -> int | None:
    """The number of lines of `body` if each holds exactly `width` - 1 separators, else None.

    Checked line by line: Polars accepts a row with one extra, empty field
    at its end, so a matching total alone let such a row and a row one
    field short through together (the line-by-line reader rejects both).
    """
    raw = np.frombuffer(body, dtype=np.uint8)
    seps = np.flatnonzero(raw == sep[0])
    ends = np.flatnonzero(raw == ord("\n"))
    if len(seps) != (width - 1) * (len(ends) + 1):
        return None
    before = np.searchsorted(seps, ends)  # separators before each line's end
    if len(before) and (before[0] != width - 1 or bool(np.any(np.diff(before) != width - 1))):
        return None
    return len(ends) + 1


def _padded(body: bytes, sep: bytes) -> bool:
    """Whether some field of the (right-stripped) body may start or end with ' ' or \r.

    A field starts after a separator or a newline and ends before one, so
    the bytes around each space answer it without touching the parsed
    columns (in NumPy: five `in` searches of the bytes cost more than the
    strip they would save).
    """
    raw = np.frombuffer(body, dtype=np.uint8)
    if body.startswith(b" ") or bool((raw == ord("\r")).any()):
        return True
    spaces = np.flatnonzero(raw == ord(" "))  # never the last byte: the body is right-stripped
    before, after = raw[spaces - 1], raw[spaces + 1]
    edge = (before == sep[0]) | (before == ord("\n")) | (after == sep[0]) | (after == ord("\n"))
    return bool(edge.any())


def _parse_fast(
    body: pl.DataFrame, sep: str, header: list[str]
) -> tuple[pl.DataFrame, list[tuple[int, str]]]:
    """No quotes anywhere: a line's fields are exactly its separators + 1.

    `body` holds the non-blank lines: `_line` and `raw`.
    """
    width = len(header)
    frame = body.with_columns(pl.col("raw").str.strip_chars_end("\r")).with_columns(
        n=pl.col("raw").str.count_matches(sep, literal=True) + 1
    )
    bad = frame.filter(pl.col("n") != width)
    rejects = [
        (int(n), f"row has {int(k)} fields, expected {width}")
        for n, k in zip(bad[LINE].to_list(), bad["n"].to_list(), strict=True)
    ]
    good = frame.filter(pl.col("n") == width)
    parts = pl.col("raw").str.split_exact(sep, width - 1)
    split = good.select(
        pl.col(LINE),
        *[
            parts.struct.field(f"field_{i}").str.strip_chars(" \r").alias(name)
            for i, name in enumerate(header)
        ],
    )
    return split, rejects


def _parse_with_csv(
    numbered: list[tuple[int, str]], sep: str, width: int
) -> tuple[tuple[list[int], list[list[str]]], list[tuple[int, str]]]:
    """Quoted fields present: the csv module, record by record, exact."""
    rejects: list[tuple[int, str]] = []
    out_lines: list[int] = []
    columns: list[list[str]] = [[] for _ in range(width)]
    text = "\n".join(line for _, line in numbered)
    reader = csv.reader(io.StringIO(text), delimiter=sep, strict=True)
    last = len(numbered) - 1
    while True:
        first = reader.line_num  # lines consumed so far = index of the record's first line
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            line_no = numbered[min(max(reader.line_num - 1, first), last)][0]
            rejects.append((line_no, f"not valid CSV: {exc}"))
            continue
        line_no = numbered[min(first, last)][0]
        if len(record) != width:
            rejects.append((line_no, f"row has {len(record)} fields, expected {width}"))
            continue
        out_lines.append(line_no)
        for i, value in enumerate(record):
            columns[i].append(value)
    return (out_lines, columns), rejects


def _frame(header: list[str], rows: tuple[list[int], list[list[str]]]) -> pl.DataFrame:
    line_numbers, columns = rows
    data: dict[str, pl.Series] = {LINE: pl.Series(LINE, line_numbers, dtype=pl.Int64)}
    for name, values in zip(header, columns, strict=True):
        data[name] = pl.Series(name, values, dtype=pl.String).str.strip_chars(" \r")
    return pl.DataFrame(data)


def _empty(header: list[str]) -> pl.DataFrame:
    return pl.DataFrame(
        {LINE: pl.Series(LINE, [], dtype=pl.Int64)}
        | {h: pl.Series(h, [], dtype=pl.String) for h in header}
    )


# --------------------------------------------------------------------------
# JSON Lines
# --------------------------------------------------------------------------
def _read_jsonl(text: str, utf8: bytes | None = None) -> ReadResult:
    """`utf8`, when given, is `text` encoded as UTF-8 (saves encoding it again)."""
    utf8 = text.encode("utf-8") if utf8 is None else utf8
    fast = _read_jsonl_bytes(utf8)
    if fast is not None:
        return fast
    all_lines = _lines(utf8)
    lines = all_lines.filter(~pl.col("blank"))
    if lines.height == 0:
        raise FileRefused("the file has no records.")
    try:
        return _read_jsonl_fast(lines, None, lines["raw"].head(200).to_list())
    except (pl.exceptions.PolarsError, ValueError):
        numbered = list(zip(lines[LINE].to_list(), lines["raw"].to_list(), strict=True))
        return _read_jsonl_slow(numbered)


def _read_jsonl_bytes(utf8: bytes) -> ReadResult | None:
    """Every record read by Polars at once when no blank line precedes the last, else None."""
    body = utf8.rstrip(_BLANK_BYTES)
    if not body or _BLANK_LINE.search(body) or _BLANK_FIRST.match(body):
        return None
    # no blank line before the last record: line n is record n
    count = body.count(b"\n") + 1
    lines = pl.DataFrame(
        {LINE: pl.int_range(1, count + 1, dtype=pl.Int64, eager=True)}
    ).with_columns(raw=pl.lit(None, dtype=pl.String))
    with contextlib.suppress(pl.exceptions.PolarsError, ValueError):
        head = [line.decode("utf-8") for line in _head_lines(body, 200)]
        return _read_jsonl_fast(lines, body, head)
    return None


def _head_lines(body: bytes, count: int) -> list[bytes]:
    """The first `count` lines of `body` (as `body.split(b"\\n")[:count]`, without
    copying the rest of the file)."""
    lines: list[bytes] = []
    start = 0
    while len(lines) < count:
        end = body.find(b"\n", start)
        if end < 0:
            lines.append(body[start:])
            break
        lines.append(body[start:end])
        start = end + 1
    return lines


# Blank lines Polars' reader could skip silently (JSON whitespace; the other
# characters str.strip() removes are not JSON, so Polars refuses them and the
# line-by-line reader takes over).
_BLANK_BYTES = b" \t\r\n\x0b\x0c\x1c\x1d\x1e\x1f"
_BLANK_LINE = re.compile(rb"\n[ \t\r\x0b\x0c\x1c-\x1f]*\n")  # starts with a literal: fast
_BLANK_FIRST = re.compile(rb"[ \t\r\x0b\x0c\x1c-\x1f]*\n")


def _read_jsonl_fast(lines: pl.DataFrame, payload: bytes | None, head: list[str]) -> ReadResult:
    """Polars reads every record at once; `lines` numbers the non-blank lines.

    `payload` is the file's text when it is exactly those lines (else the
    lines' `raw` text is joined); `head` holds the first 200 of them.
    """
    # discover keys from the first lines, then read every value as text
    sample = [json.loads(line) for line in head]
    keys: list[str] = []
    for obj in sample:
        if not isinstance(obj, dict):
            raise ValueError("not an object")
        if any(isinstance(v, dict) for v in obj.values()):
            raise ValueError("nested objects are flattened record by record")
        keys.extend(k for k in obj if k not in keys)
    if payload is None:
        payload = lines["raw"].str.join("\n").cast(pl.Binary).item()
    frame = pl.read_ndjson(io.BytesIO(payload), schema=dict.fromkeys(keys, pl.String()))
    if frame.height != lines.height:
        raise ValueError("record count mismatch")
    frame = frame.with_columns(lines[LINE])
    return ReadResult(frame.select(LINE, *keys), [], keys)


def _read_jsonl_slow(numbered: list[tuple[int, str]]) -> ReadResult:
    rejects: list[tuple[int, str]] = []
    objects: list[tuple[int, object]] = []
    for number, line in numbered:
        try:
            objects.append((number, json.loads(line)))
        except json.JSONDecodeError as exc:
            rejects.append((number, f"not valid JSON: {exc.msg} at column {exc.colno}"))
    return _fold_objects(objects, rejects)


def _fold_objects(objects: list[tuple[int, object]], rejects: list[tuple[int, str]]) -> ReadResult:
    """Numbered JSON values -> one text row per object; other values are rejects."""
    records: list[dict[str, str | None]] = []
    line_numbers: list[int] = []
    keys: list[str] = []
    for number, item in objects:
        if not isinstance(item, dict):
            rejects.append((number, "not a JSON object"))
            continue
        flat = _flatten(item)
        keys.extend(k for k in flat if k not in keys)
        records.append(flat)
        line_numbers.append(number)
    return _records_frame(line_numbers, records, keys, sorted(rejects))


def _records_frame(
    line_numbers: list[int],
    records: list[dict[str, str | None]],
    keys: list[str],
    rejects: list[tuple[int, str]],
) -> ReadResult:
    # an object that is null in some records and nested in others: its dotted columns stand
    parents = {k.rsplit(".", 1)[0] for k in keys if "." in k}
    keys = [k for k in keys if k not in parents]
    data: dict[str, pl.Series] = {LINE: pl.Series(LINE, line_numbers, dtype=pl.Int64)}
    for key in keys:
        data[key] = pl.Series(key, [r.get(key) for r in records], dtype=pl.String)
    return ReadResult(pl.DataFrame(data), rejects, keys)


def _flatten(obj: dict[str, object], prefix: str = "") -> dict[str, str | None]:
    """Nested objects become dotted columns (Agent.Username); lists stay JSON text."""
    flat: dict[str, str | None] = {}
    for key, value in obj.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            flat.update(_flatten(value, f"{name}."))
        else:
            flat[name] = _json_text(value)
    return flat


def _concatenated_objects(text: str) -> list[tuple[int, object]]:
    """(ordinal, value) of JSON values written one after another, in linear time.

    Records written back to back share a physical line, so a record is
    numbered by its position in the file (1 = first record); a syntax error
    still names the physical line.
    """
    decoder = json.JSONDecoder()
    objects: list[tuple[int, object]] = []
    position = 0
    line, counted = 1, 0  # the line number at offset `counted`
    while True:
        while position < len(text) and text[position] in " \t\r\n":
            position += 1
        if position >= len(text):
            return objects
        line += text.count("\n", counted, position)
        counted = position
        try:
            item, end = decoder.raw_decode(text, position)
        except json.JSONDecodeError as exc:
            at = line + text.count("\n", counted, exc.pos)
            raise FileRefused(f"the file is not valid JSON: {exc.msg} at line {at}.") from None
        objects.append((len(objects) + 1, item))
        position = end


def _read_json(text: str) -> ReadResult:
    """A JSON array of objects, or objects one after another (with or without newlines).

    Amazon Connect's contact-record stream lands in S3 as objects written back
    to back. In this format `_line` is the record's ordinal in the file.
    """
    stripped = text.lstrip()
    if stripped.startswith("["):
        try:
            items = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise FileRefused(
                f"the file is not valid JSON: {exc.msg} at line {exc.lineno}."
            ) from None
        objects: list[tuple[int, object]] = [(i + 1, item) for i, item in enumerate(items)]
    else:
        objects = _concatenated_objects(text)
    if not objects:
        raise FileRefused("the file has no records.")
    return _fold_objects(objects, [])


def _json_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


# --------------------------------------------------------------------------
# Parquet
# --------------------------------------------------------------------------
def _read_parquet(path: Path) -> ReadResult:
    try:
        frame = pl.read_parquet(path)
    except Exception as exc:  # polars raises several kinds for corrupt files
        raise FileRefused(f"{path.name} is not a readable Parquet file ({exc}).") from None
    columns = list(frame.columns)
    frame = frame.with_columns([pl.col(c).cast(pl.String) for c in columns]).with_row_index(
        LINE, offset=1
    )
    frame = frame.with_columns(pl.col(LINE).cast(pl.Int64))
    return ReadResult(frame, [], columns)
