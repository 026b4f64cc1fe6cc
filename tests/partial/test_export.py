"""The workbook and the PDF of a calls-only build: call figures shown, the rest "no data"."""

from __future__ import annotations

import datetime as dt

import openpyxl

from dashboard.metrics_catalog import needs, source_name
from pipelines.db import read_only
from pipelines.export.labels import family_name, t
from pipelines.export.run import ExportRequest, export
from pipelines.export.scorecard import SCORECARD_CODES
from tests.export.test_onepager import pdf_text
from tests.export.test_workbook import scorecard_rows
from tests.partial.conftest import CallsOnly

GENERATED_AT = dt.datetime(2026, 6, 15, 6, 0, tzinfo=dt.UTC)
NO_DATA = t("no_data_source", "zh")


def test_workbook_and_pdf_say_no_data_for_the_absent_sources(calls_only: CallsOnly) -> None:
    with read_only(calls_only.pipeline.serving) as con:
        as_of = con.execute("select max(contact_date) from marts.mart_contacts_daily").fetchall()
    out = calls_only.home / "exports"
    request = ExportRequest("week", as_of[0][0], out, ("xlsx", "pdf"), (), "zh")
    result = export(request, calls_only.pipeline.serving, generated_at=GENERATED_AT)
    assert sorted(path.suffix for path in result.files) == [".pdf", ".xlsx"]
    assert set(result.data.absent_sources) == {
        "surveys",
        "offers",
        "complaints",
        "backoffice_items",
        "agent_shifts",
    }

    # the scorecard: a figure per call-based metric, the sentence for the others
    xlsx = next(path for path in result.files if path.suffix == ".xlsx")
    rows = scorecard_rows(xlsx)
    assert list(rows) == list(SCORECARD_CODES)
    for code, cells in rows.items():
        if needs(code) == ("contacts",):
            assert cells["value"].value != NO_DATA, code
            assert isinstance(cells["denominator"].value, int | float), code
        else:
            assert cells["value"].value == NO_DATA, code
    assert isinstance(rows["service_level"]["value"].value, float)
    assert isinstance(rows["prediction_accuracy"]["value"].value, float)

    # the family sheets of absent sources say so, naming the source
    book = openpyxl.load_workbook(xlsx)
    for family, source in (("backoffice", "backoffice_items"), ("workforce", "agent_shifts")):
        sheet = book[family_name(family, "zh")[:31]]
        texts = [str(cell.value) for row in sheet.iter_rows() for cell in row if cell.value]
        assert NO_DATA in texts, family
        assert any(source_name(source, "zh") in text for text in texts), family

    text = pdf_text(next(path for path in result.files if path.suffix == ".pdf"))
    assert NO_DATA in text
    for source in ("surveys", "offers", "agent_shifts"):
        assert source_name(source, "zh") in text, source
