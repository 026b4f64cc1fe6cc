"""Find planted personal data in files: DuckDB databases, their WALs, logs, exports.

    findings = scan([warehouse, serving, log_file, workbook], planted)
    assert not findings, describe(findings)

- DuckDB files (`.duckdb`, or any file with DuckDB's magic bytes): every
  VARCHAR column of every table and view-less base table in every schema is
  read and searched for every planted string as a substring (Aho-Corasick,
  `str.contains_any`), which covers exact matches of id columns and
  occurrences inside free text alike. The raw bytes of the file and of its
  `.wal` are searched too (DuckDB may compress strings, so the byte search
  complements the SQL one and never replaces it).
- `.xlsx` / `.docx` / any zip: every member, decompressed.
- `.pdf`: the raw bytes and every Flate-compressed stream, inflated
  (text drawn with embedded CID fonts is not text any more: for PDFs, scan
  the workbook or data they were drawn from as well).
- anything else: the raw bytes, as UTF-8, GB18030 and UTF-16.

Owned by the data-reliability engineer; the export tests call it on their files.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

DUCKDB_MAGIC = b"DUCK"


@dataclass(frozen=True)
class Finding:
    path: str
    where: str  # "schema.table.column", "bytes", "zip member x", "pdf stream"
    planted: str

    def __str__(self) -> str:
        return f"{self.path} [{self.where}]: {self.planted}"


def scan(paths: Iterable[Path], planted: Iterable[str]) -> list[Finding]:
    """Every place a planted string occurs in the given files (missing files are skipped)."""
    needles = sorted({p for p in planted if p})
    if not needles:
        raise ValueError("nothing planted: a scan for nothing proves nothing")
    findings: list[Finding] = []
    for path in paths:
        path = Path(path)
        if not path.exists():
            continue
        if is_duckdb(path):
            findings += scan_duckdb(path, needles)
            wal = Path(f"{path}.wal")
            if wal.exists():
                findings += scan_bytes(wal, wal.read_bytes(), needles)
        elif zipfile.is_zipfile(path):
            findings += scan_zip(path, needles)
        elif path.suffix.lower() == ".pdf":
            findings += scan_pdf(path, needles)
        else:
            findings += scan_bytes(path, path.read_bytes(), needles)
    return findings


def describe(findings: list[Finding], limit: int = 20) -> str:
    shown = "\n".join(str(f) for f in findings[:limit])
    more = f"\n... and {len(findings) - limit} more" if len(findings) > limit else ""
    return f"{len(findings)} planted value(s) found in clear:\n{shown}{more}"


def is_duckdb(path: Path) -> bool:
    if path.suffix == ".duckdb":
        return True
    with path.open("rb") as handle:
        head = handle.read(16)
    return head[8:12] == DUCKDB_MAGIC


def varchar_columns(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str]]:
    return [
        (str(s), str(t), str(c))
        for s, t, c in con.execute(
            """
            select columns.table_schema, columns.table_name, columns.column_name
            from information_schema.columns as columns
            join information_schema.tables as tables
                on tables.table_catalog = columns.table_catalog
                and tables.table_schema = columns.table_schema
                and tables.table_name = columns.table_name
            where columns.table_catalog = current_database()
              and tables.table_type = 'BASE TABLE'
              and columns.data_type = 'VARCHAR'
            order by 1, 2, 3
            """
        ).fetchall()
    ]


def scan_duckdb(path: Path, needles: list[str]) -> list[Finding]:
    """Every VARCHAR value of every table, searched in one Aho-Corasick pass."""
    findings = scan_bytes(path, path.read_bytes(), needles)
    con = duckdb.connect(str(path), read_only=True)
    try:
        parts = []
        for schema, table, column in varchar_columns(con):
            got = pl.from_arrow(
                con.sql(
                    f'select distinct "{column}" as value from "{schema}"."{table}" '
                    f'where "{column}" is not null'
                ).to_arrow_table()
            )
            assert isinstance(got, pl.DataFrame)
            parts.append(got.with_columns(source=pl.lit(f"{schema}.{table}.{column}")))
    finally:
        con.close()
    if parts:
        values = pl.concat(parts)
        hits = values.filter(pl.col("value").str.contains_any(needles))
        for value, source in hits.select("value", "source").iter_rows():
            findings += [Finding(str(path), source, n) for n in needles if n in value]
    return findings


def scan_bytes(path: Path, data: bytes, needles: list[str], where: str = "bytes") -> list[Finding]:
    """Search raw bytes for each needle as UTF-8, GB18030 and UTF-16 (Aho-Corasick).

    Bytes are mapped 1:1 to characters (latin-1) so Polars' `contains_any`
    can search thousands of needles in one pass; chunks overlap by the
    longest needle so nothing straddling a boundary is missed.
    """
    encoded: dict[str, str] = {}  # latin-1 view of an encoded needle -> the needle
    for needle in needles:
        for encoding in ("utf-8", "gb18030", "utf-16-le"):
            try:
                encoded.setdefault(needle.encode(encoding).decode("latin-1"), needle)
            except UnicodeEncodeError:
                continue
    patterns = list(encoded)
    overlap = max(len(p) for p in patterns)
    size = 1 << 20
    chunks = [
        data[start : start + size + overlap].decode("latin-1")
        for start in range(0, max(len(data), 1), size)
    ]
    series = pl.Series("chunk", chunks, dtype=pl.String)
    hits = series.filter(series.str.contains_any(patterns))
    found: dict[str, Finding] = {}
    for chunk in hits.to_list():
        for pattern in patterns:
            needle = encoded[pattern]
            if needle not in found and pattern in chunk:
                found[needle] = Finding(str(path), where, needle)
    return list(found.values())


def scan_zip(path: Path, needles: list[str]) -> list[Finding]:
    findings: list[Finding] = []
    with zipfile.ZipFile(path) as archive:
        for member in archive.namelist():
            data = archive.read(member)
            findings += scan_bytes(path, data, needles, f"zip member {member}")
    return findings


_STREAM = re.compile(rb"stream\r?\n(.*?)\r?\nendstream", re.S)


def scan_pdf(path: Path, needles: list[str]) -> list[Finding]:
    data = path.read_bytes()
    findings = scan_bytes(path, data, needles)
    for number, match in enumerate(_STREAM.finditer(data)):
        try:
            inflated = zlib.decompress(match.group(1))
        except zlib.error:
            continue
        findings += scan_bytes(path, inflated, needles, f"pdf stream {number}")
    return findings
