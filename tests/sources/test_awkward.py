"""A deliberately awkward export mapped with configuration alone.

tests/sources/samples/awkward/calls_260601.csv: GBK, a title line above the
header, a YYMMDD date column and separate H:MM:SS time columns, "0:00:00"
for "no such time", numeric outcome codes, a totals row, no call id. The
mapping is docs/examples/awkward_calls.yml (the worked example of
docs/sources.md), so the guide cannot drift from what works.
"""

from __future__ import annotations

import pytest

from tests.sources.conftest import SourcesWarehouse
from tests.sources.marts import hotline, rates

# every test here reads the one sources warehouse: one xdist worker builds it once
pytestmark = pytest.mark.xdist_group("sources")


def test_awkward_export_metrics(sources_warehouse: SourcesWarehouse) -> None:
    # rows (Beijing time, 2026-06-01):
    #  1 09:00:00 queued 09:00:30 answered 09:00:40 ended 09:05:40 code 1, wrap 30
    #    -> answered, connected 300, AHT 330
    #  2 09:10:00 queued 09:10:20 answered 0:00:00 ended 09:11:20 code 2 -> abandoned (wait 60)
    #  3 09:20:00 queued 09:20:10 answered 09:20:25 ended 09:24:25 code 1, wrap 20 -> AHT 260
    #  4 09:30:00 queued 09:30:05 answered 0:00:00 ended 09:30:08 code 2 -> short abandon (3 s)
    #  5 09:40:00 never queued, code 3 -> bot_contained (IVR), not offered
    #  6 09:50:00 queued 09:50:15 answered 09:51:15 ended 09:59:15 code 1, wrap 60 -> AHT 540
    #  7 10:00:00 queued 10:00:20 ended 10:02:20 code 4 -> callback (offered, not answered)
    #  8 23:58:00 queued 23:58:20 answered 23:58:50 ended 0:02:50 (next day) code 1, wrap 10
    #    -> connected 240, AHT 250
    #  the totals row is filtered out
    # offered = 1, 2, 3, 6, 7, 8 = 6; answered 1, 3, 6, 8 = 4; abandoned 2 = 1
    # answer rate 4/6, abandonment 1/6, AHT (330 + 260 + 540 + 250) / 4 = 345 s
    report = sources_warehouse.reports["awkward"]
    assert report.rows_loaded == 8 and report.rows_quarantined == 0
    m = hotline(sources_warehouse, "queue in ('信用卡', '贷款')")
    assert (m["offered"], m["answered"], m["abandoned"]) == (6, 4, 1)
    answer_rate, abandonment, aht = rates(m)
    assert answer_rate == pytest.approx(4 / 6)
    assert abandonment == pytest.approx(1 / 6)
    assert aht == pytest.approx(345.0)


def test_reloading_the_same_rows_gives_the_same_synthetic_keys(
    sources_warehouse: SourcesWarehouse,
) -> None:
    import duckdb

    from pipelines.ingest import ingest
    from pipelines.sources.mapping import load_mapping
    from tests.sources.conftest import DOCS_EXAMPLES, SAMPLES

    # the file's content was loaded: a second run skips it, and the keys are
    # a pure function of (date, time, line), recomputed identically
    con = duckdb.connect(str(sources_warehouse.warehouse))
    try:
        keys = sorted(
            r[0]
            for r in con.execute("select call_id from raw.calls where site = 'awkward'").fetchall()
        )
    finally:
        con.close()
    from pipelines.ingest.read import read_file

    mapping = load_mapping(DOCS_EXAMPLES / "awkward_calls.yml").entities["calls"]
    again = read_file(SAMPLES / "awkward" / "calls_260601.csv", mapping)
    assert sorted(again.frame["=> call_id"].to_list()) == keys
    assert len(set(keys)) == 8
    report = ingest(
        sources_warehouse.warehouse,
        SAMPLES,
        load_mapping(DOCS_EXAMPLES / "awkward_calls.yml"),
        sources_warehouse.settings.require_pii_key(),
    )
    assert report.rows_loaded == 0 and report.skipped == ["awkward/calls_260601.csv"]
