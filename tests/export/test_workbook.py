"""The workbook: every scorecard number equals the marts and the dashboard's figures."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import openpyxl
import polars as pl
import pytest

from dashboard import data as dashboard_data
from dashboard.metrics_catalog import METRICS
from pipelines.db import read_only
from pipelines.export.labels import family_name, t
from pipelines.export.periods import period_as_of, previous_period
from pipelines.export.run import ExportRequest, ExportResult, export
from pipelines.export.scorecard import FAMILIES, SCORECARD_CODES
from pipelines.export.workbook import SCORECARD_HEADER_ROW
from tests.export.conftest import file_of
from tests.support import Pipeline

REL = 1e-9
COL = {
    "code": 3,
    "value": 4,
    "previous": 5,
    "change": 6,
    "target": 7,
    "status": 8,
    "numerator": 9,
    "denominator": 10,
}


def mart_figure(
    pipeline: Pipeline, code: str, start: dt.date, end: dt.date, sites: tuple[str, ...] = ()
) -> dict[str, Any] | None:
    """sum(numerator) * scale / sum(denominator) straight from the mart (None: not published)."""
    source = METRICS[code].reading
    assert source is not None
    with read_only(pipeline.serving) as con:
        published = con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema || '.' || table_name = ?",
            [source.table],
        ).fetchall()[0][0]
        if not published:
            return None
        site_clause = f" and site_code in ({', '.join('?' for _ in sites)})" if sites else ""
        num, den = con.execute(
            f"select {source.aggregate('numerator')}, {source.aggregate('denominator')} "
            f"from {source.table} "
            f"where {source.date_col} between ? and ?{site_clause}",
            [start, end, *sites],
        ).fetchall()[0]
    num = float(num or 0)
    den = float(den or 0)
    return {
        "numerator": num,
        "denominator": den,
        "value": num * source.scale / den if den else None,
    }


def targets(pipeline: Pipeline) -> dict[str, float]:
    with read_only(pipeline.serving) as con:
        rows = con.execute("select metric_code, target from seeds.scorecard_targets").fetchall()
    return {code: float(target) for code, target in rows}


def scorecard_rows(path: Any) -> dict[str, dict[str, Any]]:
    sheet = openpyxl.load_workbook(path).worksheets[0]
    rows: dict[str, dict[str, Any]] = {}
    for row in range(SCORECARD_HEADER_ROW + 2, sheet.max_row + 1):
        code = sheet.cell(row, COL["code"]).value
        if code in METRICS:
            rows[code] = {key: sheet.cell(row, col) for key, col in COL.items()}
    return rows


def close(actual: Any, expected: float | None) -> bool:
    if expected is None:
        return actual is None
    return isinstance(actual, int | float) and math.isclose(
        actual, expected, rel_tol=REL, abs_tol=1e-12
    )


def test_every_scorecard_number_equals_the_marts(
    week_zh: ExportResult, small_pipeline: Pipeline, as_of: dt.date
) -> None:
    period = period_as_of("week", as_of)
    before = previous_period(period)
    rows = scorecard_rows(file_of(week_zh, "xlsx"))
    goals = targets(small_pipeline)
    assert list(rows) == list(SCORECARD_CODES)
    checked = 0
    for code, cells in rows.items():
        now = mart_figure(small_pipeline, code, period.start, period.end)
        if now is None:
            assert cells["value"].value == t("no_data_source", "zh"), code
            continue
        previous = mart_figure(small_pipeline, code, before.start, before.end)
        assert previous is not None
        assert close(cells["numerator"].value, now["numerator"]), code
        assert close(cells["denominator"].value, now["denominator"]), code
        assert close(cells["previous"].value, previous["value"]), code
        if now["value"] is None:  # still censored (not final) or simply empty
            assert cells["value"].value in (t("censored", "zh"), "—"), code
        else:
            assert close(cells["value"].value, now["value"]), code
            checked += 1
            if previous["value"] is not None:
                change = now["value"] - previous["value"]
                shown = change * 100 if METRICS[code].unit == "rate" else change
                assert close(cells["change"].value, shown), code
        if code in goals:
            assert close(cells["target"].value, goals[code]), code
    # the hotline figures at least are published and checked number by number
    assert checked >= 7, checked


def test_scorecard_equals_the_dashboard_for_the_same_filters(
    week_zh: ExportResult,
    small_pipeline: Pipeline,
    as_of: dt.date,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SERVIQ_SERVING_PATH", str(small_pipeline.serving))
    monkeypatch.delenv("SERVIQ_ROLES_FILE", raising=False)
    period = period_as_of("week", as_of)
    summary, _weekly, _missing, _restricted = dashboard_data.scorecard(
        dashboard_data.Filters(start=period.start, end=period.end), list(SCORECARD_CODES)
    )
    dashboard = {row["metric_code"]: row for row in summary.iter_rows(named=True)}
    exported = {figure.code: figure for figure in week_zh.data.scorecard}
    compared = 0
    for code, row in dashboard.items():
        figure = exported[code]
        assert close(figure.value, row["value"]), code
        assert close(figure.numerator, row["numerator"]), code
        assert close(figure.denominator, row["denominator"]), code
        assert figure.status == (row["status"] or "grey"), code
        compared += 1
    assert compared >= 7


def test_site_filter_equals_the_marts_for_those_sites(
    small_pipeline: Pipeline, as_of: dt.date, tmp_path: Any
) -> None:
    sites = ("PEK", "SHA")
    result = export(
        ExportRequest("week", as_of, tmp_path, ("csv",), sites, "en"), small_pipeline.serving
    )
    path = file_of(result, "csv")
    assert path.name == f"serviq_scorecard_week_{as_of}_PEK+SHA_en.csv"
    table = pl.read_csv(path).filter(pl.col("is_available") & pl.col("is_site_filter_applied"))
    period = period_as_of("week", as_of)
    assert table.height >= 7
    for row in table.iter_rows(named=True):
        expected = mart_figure(small_pipeline, row["metric_code"], period.start, period.end, sites)
        assert expected is not None
        assert close(row["numerator"], expected["numerator"]), row["metric_code"]
        assert close(row["value"], expected["value"]), row["metric_code"]


def test_workbook_is_formatted_for_executives(week_zh: ExportResult) -> None:
    book = openpyxl.load_workbook(file_of(week_zh, "xlsx"))
    names = [sheet.title for sheet in book.worksheets]
    assert names == [t("scorecard", "zh"), *[family_name(f, "zh")[:31] for f in FAMILIES]]
    scorecard = book.worksheets[0]
    header = SCORECARD_HEADER_ROW + 1
    assert scorecard.freeze_panes == f"C{header + 1}"
    assert scorecard.cell(header, COL["value"]).value == t("value", "zh")
    assert scorecard.column_dimensions["B"].width > 20
    rows = scorecard_rows(file_of(week_zh, "xlsx"))
    assert rows["answer_rate"]["value"].number_format == "0.0%"
    assert rows["aht_seconds"]["value"].number_format == "#,##0"
    assert "pp" in rows["answer_rate"]["change"].number_format
    assert scorecard.conditional_formatting, "status colours are conditional formats"
    statuses = {cells["status"].value for cells in rows.values()}
    labels = ("green", "amber", "red", "grey", "censored_status")
    assert statuses <= {t(name, "zh") for name in labels}
    for family, sheet in zip(FAMILIES, book.worksheets[1:], strict=True):
        block = week_zh.data.families[family]
        if block.available:
            assert sheet.freeze_panes is not None, family
            assert len(sheet._images) == 1, f"{family} has its chart"
            assert sheet.conditional_formatting, family
        else:
            texts = [cell.value for row in sheet.iter_rows() for cell in row if cell.value]
            assert any(t("no_data_source", "zh") in str(text) for text in texts), family


def test_flat_files_hold_the_same_numbers_as_the_workbook(week_zh: ExportResult) -> None:
    csv = pl.read_csv(file_of(week_zh, "csv"))
    parquet = pl.read_parquet(file_of(week_zh, "parquet"))
    assert csv.height == parquet.height == len(METRICS)
    rows = scorecard_rows(file_of(week_zh, "xlsx"))
    by_code = {row["metric_code"]: row for row in parquet.iter_rows(named=True)}
    for code, cells in rows.items():
        if isinstance(cells["value"].value, float):
            assert close(by_code[code]["value"], cells["value"].value), code
