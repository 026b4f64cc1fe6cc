"""No personal data in the exports: the reliability engineer's scanner on every file.

The scanner's needles (every customer id, phone, e-mail and ID-card number
the generator planted, ~60,000) are searched in one pass over a bundle of
everything the exports hold, decompressed: the CSV, the Parquet table read
back as text (its bytes are compressed), every member of the workbook, the
PDF's bytes, its inflated streams and its extracted text.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
import zlib
from pathlib import Path

import polars as pl

from pipelines.export.run import ExportResult
from tests.pii_scan import describe, scan_bytes
from tests.reliability.test_pii import generator_pii
from tests.support import Pipeline

HASH = re.compile(rb"\b[0-9a-f]{32}\b")
STREAM = re.compile(rb"stream\r?\n(.*?)\r?\nendstream", re.S)


def pdf_parts(path: Path) -> list[bytes]:
    data = path.read_bytes()
    parts = [data]
    for match in STREAM.finditer(data):
        try:
            parts.append(zlib.decompress(match.group(1)))
        except zlib.error:
            continue
    pdftotext = shutil.which("pdftotext")
    if pdftotext:
        parts.append(subprocess.run([pdftotext, str(path), "-"], capture_output=True).stdout)
    return parts


def readable(path: Path) -> list[bytes]:
    """Everything a file holds, decompressed, as bytes."""
    if path.suffix == ".xlsx":
        with zipfile.ZipFile(path) as archive:
            return [archive.read(name) for name in archive.namelist()]
    if path.suffix == ".pdf":
        return pdf_parts(path)
    if path.suffix == ".parquet":
        return [pl.read_parquet(path).write_csv().encode("utf-8")]
    return [path.read_bytes()]


def test_exports_hold_no_planted_personal_data(
    small_pipeline: Pipeline, week_zh: ExportResult, week_en_pdf: ExportResult
) -> None:
    planted = sorted(generator_pii(small_pipeline.landing))
    assert len(planted) > 100, "the generator planted customer ids, phones and e-mails"
    files = [*week_zh.files, *week_en_pdf.files]
    assert {path.suffix for path in files} == {".xlsx", ".pdf", ".csv", ".parquet"}
    bundle = b"\n".join(part for path in files for part in readable(path))
    findings = scan_bytes(Path("exports"), bundle, planted, "exports, decompressed")
    assert not findings, describe(findings)
    # positive control: the same search finds a planted value once it is there
    control = scan_bytes(Path("control"), bundle + planted[0].encode("utf-8"), planted)
    assert [finding.planted for finding in control] == [planted[0]]


def test_exports_are_aggregates_without_customer_hashes(week_zh: ExportResult) -> None:
    """Not even the keyed hashes of customers: exports carry only aggregate figures."""
    for path in week_zh.files:
        for part in readable(path):
            if path.suffix in (".xlsx", ".csv", ".parquet"):
                assert not HASH.search(part), f"{path.name} holds a 32-hex hash"
