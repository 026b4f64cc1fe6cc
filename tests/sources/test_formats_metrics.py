"""Each public format's sample, loaded and built, against metrics worked out by hand.

The samples (tests/sources/samples/) were written from the formats' public
documentation; every expected number below is derived in the comment above
it from the sample's rows, with the definitions of PRODUCT.md section 3
(offered = inbound calls that reached a queue minus short abandons, waits
under short_abandon_seconds = 5; AHT = connected + wrap per answered call).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from pipelines.db import connect_warehouse, marts_file
from tests.pii_scan import describe, scan
from tests.sources.conftest import SourcesWarehouse
from tests.sources.marts import hotline, rates
from tests.support import copy_warehouse

# every test here reads the one sources warehouse: one xdist worker builds it once
pytestmark = pytest.mark.xdist_group("sources")


def test_asterisk_queue_log_metrics(sources_warehouse: SourcesWarehouse) -> None:
    # seven calls in queue "support":
    #   A answered after 15 s, 200 s talk (COMPLETECALLER)
    #   B ABANDON after 40 s                       -> abandoned
    #   C ABANDON after 3 s                        -> short abandon, not offered
    #   D answered after 30 s, 100 s, BLINDTRANSFER -> answered, transferred
    #   E EXITWITHTIMEOUT after 300 s              -> abandoned
    #   F answered after 8 s, 150 s (COMPLETEAGENT)
    #   G EXITWITHKEY after 60 s                   -> callback
    # offered = 7 - C = 6; answered A, D, F = 3; abandoned B, E = 2
    # AHT = (200 + 100 + 150) / 3 = 150 s (queue_log has no wrap time)
    m = hotline(sources_warehouse, "queue = 'support'")
    assert (m["offered"], m["answered"], m["abandoned"]) == (6, 3, 2)
    assert (m["short_abandons"], m["callbacks"]) == (1, 1)
    answer_rate, abandonment, aht = rates(m)
    assert answer_rate == pytest.approx(3 / 6)
    assert abandonment == pytest.approx(2 / 6)
    assert aht == pytest.approx(150.0)
    assert (m["transferred"], m["transfer_counted"]) == (1, 3)


def test_amazon_connect_ctr_metrics(sources_warehouse: SourcesWarehouse) -> None:
    # eight records: 1 answered (queued 15 s, 300 s connected, 40 s ACW),
    # delivered twice: the updated copy (first in the file, later
    # LastUpdateTimestamp, intent attribute set) is kept, the older one skipped;
    # 2 abandoned in queue after 60 s; 3 never queued, ended by the flow
    # (bot_contained, not offered); 4 answered (50 s, 180 s, 30 s ACW) then
    # transferred; 5 the TRANSFER leg of 4 (filtered out); 6 abandoned after
    # 3 s (short); 7 a CHAT (filtered out); 8 the older copy of contact 1.
    # offered = 1, 2, 4 = 3; answered 1, 4 = 2; abandoned 2 = 1
    # AHT = ((300 + 40) + (180 + 30)) / 2 = 275 s
    report = sources_warehouse.reports["connect"]
    assert report.rows_loaded == 5 and report.rows_quarantined == 0
    con = duckdb.connect(str(sources_warehouse.warehouse))
    try:
        intents = con.execute(
            "select intent from raw.calls where call_id = '11111111-0000-4000-8000-000000000001'"
        ).fetchall()
    finally:
        con.close()
    assert intents == [("card_lost",)]
    m = hotline(sources_warehouse, "queue = 'BasicQueue'")
    assert (m["offered"], m["answered"], m["abandoned"], m["short_abandons"]) == (3, 2, 1, 1)
    answer_rate, abandonment, aht = rates(m)
    assert answer_rate == pytest.approx(2 / 3)
    assert abandonment == pytest.approx(1 / 3)
    assert aht == pytest.approx(275.0)
    assert (m["transferred"], m["transfer_counted"]) == (1, 2)


def test_zendesk_ticket_metrics(sources_warehouse: SourcesWarehouse) -> None:
    # five tickets: 101 email (customer 9001, card_lost, replied, closed, CSAT good);
    # 102 mobile_sdk -> app (9002, loan_query, solved, CSAT bad); 103 web -> email
    # (9003, no reply: unanswered); 104 email (9001, card_lost two days after 101:
    # the same episode, reopened once, CSAT good); 105 mobile_sdk -> app (9004,
    # account_change, on hold -> pending: not resolved).
    # email: offered 3, answered 2, unanswered 1; app: offered 2, answered 2
    email = hotline(sources_warehouse, "channel = 'email'")
    app = hotline(sources_warehouse, "channel = 'app'")
    assert (email["offered"], email["answered"], email["abandoned"]) == (3, 2, 1)
    assert (app["offered"], app["answered"], app["abandoned"]) == (2, 2, 0)
    # CSAT (share of 4-5): good -> 5, bad -> 1: email 2 of 2, app 0 of 1
    assert (email["csat_satisfied"], email["csat_answers"]) == (2, 2)
    assert (app["csat_satisfied"], app["csat_answers"]) == (0, 1)
    # FCR: episodes {101, 104} (two contacts: not FCR), {102} (FCR), {105}
    # (pending: marked unresolved); none censored (the data ends 2026-06-02,
    # more than 7 days after 2026-05-13) -> email 0 of 1, app 1 of 2
    con = connect_warehouse(sources_warehouse.warehouse)
    try:
        fcr = dict(
            (channel, (int(num), int(den), int(censored)))
            for channel, num, den, censored in con.execute(
                "select channel, sum(fcr_numerator), sum(fcr_denominator), "
                "sum(censored_episode_count) from marts.mart_fcr_daily "
                "where channel in ('email', 'app') group by channel"
            ).fetchall()
        )
    finally:
        con.close()
    assert fcr == {"email": (0, 1, 0), "app": (1, 2, 0)}


def test_customer_ids_never_land_in_clear(
    sources_warehouse: SourcesWarehouse, tmp_path: Path
) -> None:
    # calling numbers (Asterisk, Connect, the awkward export), the phone number
    # inside a Zendesk ticket's description, and the requester ids
    con = duckdb.connect(str(sources_warehouse.warehouse))
    try:
        con.execute("checkpoint")
        requesters = con.execute("select customer_id from raw.tickets").fetchall()
        masked = con.execute("select first_message from raw.tickets").fetchall()
    finally:
        con.close()
    assert not {r[0] for r in requesters} & {"9001", "9002", "9003", "9004"}
    assert all("[PHONE:" in str(m[0]) for m in masked)
    copy = tmp_path / "warehouse.duckdb"
    copy_warehouse(sources_warehouse.warehouse, copy)
    planted = ["13800000001", "+8613900000001", "8613900000004", "13812345671", "13912345678"]
    findings = scan([copy, marts_file(copy)], planted)
    assert not findings, describe(findings)
