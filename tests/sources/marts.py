"""Reading the sources warehouse's hotline mart (helpers, not tests)."""

from __future__ import annotations

from typing import Any

from pipelines.db import connect_warehouse
from tests.sources.conftest import SourcesWarehouse

HOTLINE = """
    select
        sum(offered_count) as offered,
        sum(answered_count) as answered,
        sum(abandoned_count) as abandoned,
        sum(short_abandon_count) as short_abandons,
        sum(callback_count) as callbacks,
        sum(aht_seconds_numerator) as aht_numerator,
        sum(aht_seconds_denominator) as aht_denominator,
        sum(transfer_rate_numerator) as transferred,
        sum(transfer_rate_denominator) as transfer_counted,
        sum(csat_rate_numerator) as csat_satisfied,
        sum(csat_rate_denominator) as csat_answers
    from marts.mart_hotline_daily
    where {where}
"""


def hotline(wh: SourcesWarehouse, where: str) -> dict[str, Any]:
    con = connect_warehouse(wh.warehouse)
    try:
        cursor = con.execute(HOTLINE.format(where=where))
        names = [d[0] for d in cursor.description]
        row = cursor.fetchone()
    finally:
        con.close()
    assert row is not None
    return {name: (float(v) if v is not None else None) for name, v in zip(names, row, strict=True)}


def rates(m: dict[str, Any]) -> tuple[float, float, float]:
    return (
        m["answered"] / m["offered"],
        m["abandoned"] / m["offered"],
        m["aht_numerator"] / m["aht_denominator"],
    )
