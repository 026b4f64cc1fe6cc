"""Back-office figures recovered from generated data (`large_pipeline`).

truth.json names the planted outlier reviewers and the intervention; the
rejection rate has a planted expectation with a 4-sigma tolerance.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from pipelines.db import frame, read_only, scalar
from tests.support import Pipeline

DAILY = "marts.mart_backoffice_daily"
OUTLIERS = "marts.mart_backoffice_reviewer_outliers"
IMPACT = "marts.mart_backoffice_change_impact"

# Reviewers flagged that were not planted. On generated data about 3% of
# unplanted reviewer-weeks deviate on the rejection rate and 0.6% on review
# time (part of it real: reviewers' planted harshness varies with sd 12%).
# A flag needs 3 deviating weeks of 4 on one measure: about 4p^3 = 1.3e-4
# per window, ~6 windows for each of ~540 reviewer x business-type series in
# 60 days: ~0.4 expected, 1-2 seen on three seeds. P(Poisson(1.5) > 4) < 2%.
MAX_FALSE_POSITIVE_REVIEWERS = 4


def query(pipeline: Pipeline, sql: str) -> pl.DataFrame:
    with read_only(pipeline.serving) as con:
        return frame(con, sql)


def value(pipeline: Pipeline, sql: str) -> Any:
    with read_only(pipeline.serving) as con:
        return scalar(con, sql)


def test_rejection_rate_recovers_the_planted_rate(large_pipeline: Pipeline) -> None:
    """Rejected / completed: the generator's counts exactly, the planted rate within 4 sigma."""
    truth = large_pipeline.truth
    realised = truth["realised"]["backoffice"]
    assert (
        value(large_pipeline, f"select sum(rejection_rate_numerator) from {DAILY}")
        == realised["rejected"]
    )
    assert (
        value(large_pipeline, f"select sum(rejection_rate_denominator) from {DAILY}")
        == realised["items_completed"]
    )
    assert value(large_pipeline, f"select sum(received_count) from {DAILY}") == realised["items"]
    rate = value(
        large_pipeline,
        f"select sum(rejection_rate_numerator) / sum(rejection_rate_denominator) from {DAILY}",
    )
    expected = truth["expected"]["backoffice_rejection_rate"]
    assert abs(rate - expected) <= truth["tolerance"]["backoffice_rejection_rate"]


def flagged(pipeline: Pipeline) -> pl.DataFrame:
    """Reviewers flagged in any week, with the measures they were flagged on."""
    return query(
        pipeline,
        f"""
        select
            reviewer_id,
            bool_or(is_review_time_outlier) as slow,
            bool_or(is_rejection_rate_outlier) as harsh
        from {OUTLIERS}
        group by reviewer_id
        having bool_or(is_outlier)
        """,
    )


def test_every_planted_outlier_reviewer_is_flagged_on_its_measure(large_pipeline: Pipeline) -> None:
    """Slow reviewers flagged on review time, harsh ones on rejection rate (3 of 4 weeks)."""
    planted = {
        o["reviewer_id"]: o["kind"] for o in large_pipeline.truth["planted"]["outlier_reviewers"]
    }
    assert planted
    found = {row["reviewer_id"]: row for row in flagged(large_pipeline).iter_rows(named=True)}
    for reviewer, kind in planted.items():
        assert reviewer in found, f"planted {kind} reviewer {reviewer} not flagged"
        if "slow" in kind:
            assert found[reviewer]["slow"], f"{reviewer} ({kind}) not flagged on review time"
        if "harsh" in kind:
            assert found[reviewer]["harsh"], f"{reviewer} ({kind}) not flagged on rejection rate"


def test_few_reviewers_are_flagged_that_were_not_planted(large_pipeline: Pipeline) -> None:
    planted = {o["reviewer_id"] for o in large_pipeline.truth["planted"]["outlier_reviewers"]}
    extra = set(flagged(large_pipeline)["reviewer_id"].to_list()) - planted
    assert len(extra) <= MAX_FALSE_POSITIVE_REVIEWERS, sorted(extra)


def change_impact_row(pipeline: Pipeline) -> dict[str, Any]:
    business_type = pipeline.truth["planted"]["intervention"]["business_type"]
    rows = query(pipeline, f"select * from {IMPACT} where business_type = '{business_type}'")
    assert rows.height == 1
    return rows.row(0, named=True)


def test_change_impact_interval_holds_the_realised_effect(large_pipeline: Pipeline) -> None:
    """The Welch 95% interval of the after - before difference holds the generated effect.

    The interval is statistical (28 days before vs the days after that the
    data covers, ~40,000 items, standard error ~10 s), so no tolerance is
    added. The generator's realised difference (its own items, all days
    before vs all days after) estimates the same quantity from an
    overlapping sample: its distance from ours has sd ~4 s against a
    half-width of ~20 s.
    """
    truth = large_pipeline.truth
    row = change_impact_row(large_pipeline)
    assert row["effective_date"].isoformat() == truth["planted"]["intervention"]["effective_date"]
    assert row["before_item_count"] > 1000 and row["after_item_count"] > 1000
    low, high = row["ci95_lower_seconds"], row["ci95_upper_seconds"]
    realised = truth["realised"]["backoffice"]
    effect = (
        realised["filing_processing_seconds_after"] - realised["filing_processing_seconds_before"]
    )
    assert low <= effect <= high, (low, effect, high)


def test_change_impact_interval_holds_the_planted_effect(large_pipeline: Pipeline) -> None:
    """The planted effect (truth expected.intervention_effect_seconds) lies in the 95% interval."""
    row = change_impact_row(large_pipeline)
    planted = large_pipeline.truth["expected"]["intervention_effect_seconds"]
    low, high = row["ci95_lower_seconds"], row["ci95_upper_seconds"]
    assert low <= planted <= high, (low, planted, high)
