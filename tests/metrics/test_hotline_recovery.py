"""Hotline figures recovered from generated data (`large_pipeline`).

The generator's truth.json carries `realised` counts from its own numpy
simulation and `expected` planted probabilities with a 4-sigma binomial
`tolerance`. A warehouse figure must reproduce the realised count (same
definition, same data) and lie within the tolerance of the planted rate.
"""

from __future__ import annotations

from typing import Any

import pytest

from pipelines.db import read_only, scalar
from tests.support import Pipeline

DAILY = "marts.mart_hotline_daily"
INTERVAL = "marts.mart_hotline_interval"
AGENT = "marts.mart_hotline_agent_daily"


def total(pipeline: Pipeline, expression: str, where: str = "true", table: str = DAILY) -> Any:
    with read_only(pipeline.serving) as con:
        return scalar(con, f"select {expression} from {table} where {where}")


def ratio(pipeline: Pipeline, rate: str, where: str = "true") -> float:
    value = total(pipeline, f"sum({rate}_numerator) / sum({rate}_denominator)", where)
    return float(value)


# The generator labels a short abandon on the caller's unrounded patience
# (< 5.0 s) but writes whole seconds, so callers with patience in [4.5, 5) s
# are short abandons to the generator and 5-second abandons in the data.
# That half second holds about 5% of the impatient callers' short abandons
# (exponential, mean 4 s: (e^-1.125 - e^-1.25) / (1 - e^-1.25)) and 10% of
# the patient ones' (near-uniform on [0, 5)): ~7% of short abandons move.
# Allowing 15% (twice that) bounds the difference in abandons and offered.
BOUNDARY_SHARE_OF_SHORT_ABANDONS = 0.15


def short_abandon_slack(pipeline: Pipeline) -> float:
    """Largest rate difference the 5-second boundary can explain."""
    realised = pipeline.truth["realised"]
    return (
        BOUNDARY_SHARE_OF_SHORT_ABANDONS
        * realised["calls_short_abandon"]
        / realised["queues"]["all"]["offered"]
    )


def test_abandonment_rate_recovers_the_simulated_queues(large_pipeline: Pipeline) -> None:
    """Telephone abandonment = abandoned (not short) / offered, against the simulated queues.

    Queued calls are conserved exactly (offered + short) and so are all
    abandons (abandoned + short); only the short-abandon boundary moves.
    """
    realised = large_pipeline.truth["realised"]
    phone = "channel = 'phone'"
    offered = total(large_pipeline, "sum(offered_count)", phone)
    short = total(large_pipeline, "sum(short_abandon_count)", phone)
    abandoned = total(large_pipeline, "sum(abandoned_count)", phone)
    assert offered + short == realised["inbound_calls_queued"]
    assert abandoned + short == realised["calls_abandoned"] + realised["calls_short_abandon"]
    moved = realised["calls_short_abandon"] - short
    assert 0 <= moved <= BOUNDARY_SHARE_OF_SHORT_ABANDONS * realised["calls_short_abandon"]
    rate = ratio(large_pipeline, "abandonment_rate", phone)
    expected = realised["queues"]["all"]["abandonment_rate"]
    assert abs(rate - expected) <= short_abandon_slack(large_pipeline), (rate, expected)


def test_service_level_recovers_the_simulated_queues(large_pipeline: Pipeline) -> None:
    """Default mode 'missed' is the generator's definition (answered within 20 s / offered).

    Same numerator exactly; the denominator differs only by the short-abandon
    boundary above.
    """
    realised = large_pipeline.truth["realised"]["queues"]["all"]
    met = total(large_pipeline, "sum(answered_within_threshold_count)")
    assert met == pytest.approx(realised["service_level"] * realised["offered"], abs=1)
    rate = ratio(large_pipeline, "service_level", "channel = 'phone'")
    assert abs(rate - realised["service_level"]) <= short_abandon_slack(large_pipeline)


def test_service_level_variants_bracket_the_default(large_pipeline: Pipeline) -> None:
    """Abandons within the threshold: ignored or met can only raise the service level."""
    answered = total(large_pipeline, "sum(answered_within_threshold_count)")
    abandoned = total(large_pipeline, "sum(abandoned_within_threshold_count)")
    offered = total(large_pipeline, "sum(offered_call_count)")
    missed = answered / offered
    ignored = answered / (offered - abandoned)
    met = (answered + abandoned) / offered
    assert abandoned > 0
    assert missed < ignored and missed < met
    assert ratio(large_pipeline, "service_level") == pytest.approx(missed, rel=1e-12)


def test_escalation_rate_recovers_the_planted_rate(large_pipeline: Pipeline) -> None:
    """后送率 = escalated handled contacts / handled contacts.

    The counts are the generator's own (same definition of handled), so they
    must match exactly; the rate must lie within truth's 4-sigma binomial
    half-width of the planted (expected) rate.
    """
    truth = large_pipeline.truth
    assert (
        total(large_pipeline, "sum(escalation_rate_numerator)")
        == truth["realised"]["handled_escalated"]
    )
    assert total(large_pipeline, "sum(escalation_rate_denominator)") == truth["realised"]["handled"]
    rate = ratio(large_pipeline, "escalation_rate")
    assert abs(rate - truth["expected"]["escalation_rate"]) <= truth["tolerance"]["escalation_rate"]


def test_bot_containment_recovers_the_planted_rate(large_pipeline: Pipeline) -> None:
    """Contained by the bot / reached the AI (a prediction was made), exact counts, 4 sigma."""
    truth = large_pipeline.truth
    assert (
        total(large_pipeline, "sum(bot_containment_rate_numerator)")
        == truth["realised"]["bot_contained"]
    )
    assert (
        total(large_pipeline, "sum(bot_containment_rate_denominator)")
        == truth["realised"]["bot_reached"]
    )
    rate = ratio(large_pipeline, "bot_containment_rate")
    assert abs(rate - truth["expected"]["bot_containment"]) <= truth["tolerance"]["bot_containment"]


@pytest.mark.parametrize(
    "measure",
    [
        "offered_count",
        "answered_count",
        "abandoned_count",
        "service_level_numerator",
        "aht_seconds_numerator",
    ],
)
def test_marts_at_every_grain_add_up_to_the_same_totals(
    large_pipeline: Pipeline, measure: str
) -> None:
    """Daily and interval marts re-aggregate to one total; so does the agent mart for agent work."""
    daily = total(large_pipeline, f"sum({measure})")
    assert daily > 0
    assert total(large_pipeline, f"sum({measure})", table=INTERVAL) == pytest.approx(daily)
    if measure in ("answered_count", "aht_seconds_numerator"):
        assert total(large_pipeline, f"sum({measure})", table=AGENT) == pytest.approx(daily)
