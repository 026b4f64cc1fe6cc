"""Exports of the small pipeline, made once per session and shared by the export tests."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from pipelines.db import read_only
from pipelines.export.run import ExportRequest, ExportResult, export
from tests.support import Pipeline

GENERATED_AT = dt.datetime(2026, 6, 15, 6, 0, tzinfo=dt.UTC)


def last_day(pipeline: Pipeline) -> dt.date:
    """The last contact date published (the small pipeline's as-of day)."""
    with read_only(pipeline.serving) as con:
        rows = con.execute("select max(contact_date) from marts.mart_contacts_daily").fetchall()
    return rows[0][0]


@pytest.fixture(scope="session")
def as_of(small_pipeline: Pipeline) -> dt.date:
    return last_day(small_pipeline)


@pytest.fixture(scope="session")
def week_zh(
    small_pipeline: Pipeline, as_of: dt.date, tmp_path_factory: pytest.TempPathFactory
) -> ExportResult:
    """The weekly export in Chinese, every format."""
    out = tmp_path_factory.mktemp("export_zh")
    request = ExportRequest("week", as_of, out, ("xlsx", "pdf", "csv", "parquet"), (), "zh")
    return export(request, small_pipeline.serving, generated_at=GENERATED_AT)


@pytest.fixture(scope="session")
def week_en_pdf(
    small_pipeline: Pipeline, as_of: dt.date, tmp_path_factory: pytest.TempPathFactory
) -> ExportResult:
    out = tmp_path_factory.mktemp("export_en")
    request = ExportRequest("week", as_of, out, ("pdf",), (), "en")
    return export(request, small_pipeline.serving, generated_at=GENERATED_AT)


def file_of(result: ExportResult, extension: str) -> Path:
    return next(path for path in result.files if path.suffix == f".{extension}")
