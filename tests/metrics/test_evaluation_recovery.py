"""The new evaluation metrics recovered from generated data (`large_pipeline`).

truth.json holds `expected` (planted probabilities averaged over the
population the metric covers) and `realised` (the generator's own counts
from its numpy simulation, never from SQL). Each test checks two things:

1. the warehouse reproduces the realised counts (same definition, same
   data: any difference is a bug in SQL or in the generator's bookkeeping);
2. the warehouse rate lies within a stated tolerance of the planted rate.

Tolerance: the realised numerator is a sum of independent Bernoulli draws,
one per unit (episode, prediction, handled contact), with the planted
probabilities p_i. Its variance sum p_i (1 - p_i) is at most n p (1 - p) for
the mean p, so the rate's standard error is at most sqrt(p (1 - p) / n). Four
standard errors make a false alarm a ~6e-5 event per assertion, while a
definition error of a few points (e.g. counting censored episodes, or
attempts as contacts) moves the rate by 10+ standard errors at n > 10,000.
Units are independent here because the generator gives every (customer,
intent) pair to at most one issue, so episodes never merge by accident.
"""

from __future__ import annotations

import math
from typing import Any

import polars as pl
import pytest

from pipelines.db import frame, read_only, scalar
from tests.support import Pipeline

FCR = "marts.mart_fcr_daily"
EFFORT = "marts.mart_effort_daily"
AGREEMENT = "marts.mart_effort_ces_agreement"
PREDICTION = "marts.mart_prediction_daily"
CALIBRATION = "marts.mart_prediction_calibration_daily"
PROACTIVE = "marts.mart_proactive_daily"
VALUE = "marts.mart_value_daily"
EPISODES = "marts.fct_episodes"

SIGMAS = 4.0


def total(pipeline: Pipeline, sql: str) -> Any:
    with read_only(pipeline.serving) as con:
        return scalar(con, sql)


def query(pipeline: Pipeline, sql: str) -> pl.DataFrame:
    with read_only(pipeline.serving) as con:
        return frame(con, sql)


def binomial_tolerance(p: float, n: float) -> float:
    """SIGMAS binomial standard errors of a rate p over n independent units."""
    return SIGMAS * math.sqrt(p * (1 - p) / n)


def rate_parts(pipeline: Pipeline, table: str, rate: str) -> tuple[int, int]:
    row = query(
        pipeline,
        f"select sum({rate}_numerator) as num, sum({rate}_denominator) as den from {table}",
    )
    return int(row["num"][0]), int(row["den"][0])


def test_fcr_recovers_the_planted_first_contact_resolution(large_pipeline: Pipeline) -> None:
    """FCR over uncensored episodes of identified customers.

    Realised: the generator counts episodes as issues of known customers
    with a handled contact, censored when the first handled contact started
    less than 7 days before the latest contact; FCR when that issue has one
    handled contact, resolved and not escalated. The warehouse forms
    episodes from contacts alone (customer + intent chaining across
    channels, attempts attached) and must find exactly the same counts.
    Planted: expected.fcr is the mean planted P(first contact resolves)
    over those episodes; tolerance 4 binomial SE (n ~ 120,000: ~0.005).
    """
    truth = large_pipeline.truth
    episodes = truth["realised"]["episodes"]
    numerator, denominator = rate_parts(large_pipeline, FCR, "fcr")
    censored = total(large_pipeline, f"select sum(censored_episode_count) from {FCR}")
    assert denominator == episodes["episodes_uncensored"]
    assert censored == episodes["episodes_censored"]
    assert numerator == episodes["fcr_episodes"]
    expected = truth["expected"]["fcr"]
    fcr = numerator / denominator
    assert abs(fcr - expected) <= binomial_tolerance(expected, denominator), (fcr, expected)


def test_fcr_counts_repeats_across_channels(large_pipeline: Pipeline) -> None:
    """Repeats on another channel stay in the episode: the generator plants
    thousands (a repeat keeps the channel with P 0.55). Episodes with more
    than one handled contact, and handled repeats on a channel other than
    the first contact's, must both match the realised counts exactly."""
    episodes = large_pipeline.truth["realised"]["episodes"]
    repeated = total(large_pipeline, f"select sum(repeated_episode_count) from {FCR}")
    assert repeated == episodes["repeat_episodes"]
    cross_channel = total(
        large_pipeline,
        f"select sum(cross_channel_repeat_count) from {EPISODES} where not is_censored",
    )
    all_cross_channel = total(
        large_pipeline, f"select sum(cross_channel_repeat_count) from {EPISODES}"
    )
    assert episodes["cross_channel_repeats"] > 1000
    assert all_cross_channel == episodes["cross_channel_repeats"]
    assert 0 < cross_channel <= all_cross_channel


def test_unknown_customers_are_counted_not_in_episodes(large_pipeline: Pipeline) -> None:
    """Issues of unknown customers make exactly one handled contact (the
    generator plants no repeats for them; a few give up after unanswered
    attempts and are never handled). Their handled contacts must be counted
    in unknown_customer_contact_count, and no episode may hold them: the
    episodes are exactly the generator's issues of known customers."""
    episodes = large_pipeline.truth["realised"]["episodes"]
    unknown = total(large_pipeline, f"select sum(unknown_customer_contact_count) from {FCR}")
    issues = episodes["unknown_customer_issues"]
    assert issues > 1000
    assert 0.99 * issues <= unknown <= issues
    assert total(large_pipeline, f"select count(*) from {EPISODES}") == episodes["episodes"]


def test_prediction_accuracy_recovers_the_planted_confidence(large_pipeline: Pipeline) -> None:
    """Top-1 accuracy over contacts with a predicted AND a final intent.

    The generator's predictions are calibrated (P(correct) = confidence), so
    the planted accuracy is the mean confidence over those contacts;
    tolerance 4 binomial SE (n ~ 160,000: ~0.0036). The realised counts
    must match exactly.
    """
    truth = large_pipeline.truth
    numerator, denominator = rate_parts(large_pipeline, PREDICTION, "accuracy")
    assert denominator == truth["realised"]["prediction_contacts_with_intent"]
    assert numerator == truth["realised"]["prediction_correct"]
    expected = truth["expected"]["prediction_accuracy"]
    accuracy = numerator / denominator
    assert abs(accuracy - expected) <= binomial_tolerance(expected, denominator), (
        accuracy,
        expected,
    )
    # precision and recall re-aggregate to the same overall accuracy
    precision_num, precision_den = rate_parts(large_pipeline, PREDICTION, "precision")
    assert (precision_num, precision_den) == (numerator, denominator)


def test_calibration_deciles_track_confidence(large_pipeline: Pipeline) -> None:
    """In every decile with >= 200 judged predictions, accuracy lies within
    4 binomial SE of the decile's mean confidence (the generator draws
    correctness with P = confidence, so that is the planted accuracy)."""
    deciles = query(
        large_pipeline,
        f"""
        select confidence_decile,
            sum(accuracy_numerator) / sum(accuracy_denominator) as accuracy,
            sum(mean_confidence_numerator) / sum(mean_confidence_denominator) as confidence,
            sum(accuracy_denominator) as n
        from {CALIBRATION} group by 1 order by 1
        """,
    ).filter(pl.col("n") >= 200)
    assert deciles.height >= 4
    for row in deciles.iter_rows(named=True):
        accuracy, confidence, n = float(row["accuracy"]), float(row["confidence"]), float(row["n"])
        assert abs(accuracy - confidence) <= binomial_tolerance(confidence, n), row


def test_proactive_share_recovers_the_planted_share(large_pipeline: Pipeline) -> None:
    """Handled company-initiated contacts / all handled contacts.

    The warehouse must reproduce the generator's realised counts exactly.
    Planted: params.proactive_share is the generator's target (it sizes the
    proactive topics from it). Tolerance 4 binomial SE at n = handled
    contacts (~199,000: ~0.0024). Note for the generator: the target is not
    an expectation of the simulated process (topic sizing uses approximate
    contacts per issue), so at much larger volumes a systematic gap of
    ~0.001 would exceed 4 SE; see the test's companion in the report.
    """
    truth = large_pipeline.truth
    numerator, denominator = rate_parts(large_pipeline, PROACTIVE, "proactive_share")
    assert denominator == truth["realised"]["handled"]
    assert numerator == truth["realised"]["handled_company_initiated"]
    expected = truth["expected"]["proactive_share"]
    share = numerator / denominator
    assert abs(share - expected) <= binomial_tolerance(expected, denominator), (share, expected)
    # per channel: only phone (outbound calls) and app (company messages) carry any
    by_channel = query(
        large_pipeline,
        f"select channel, sum(proactive_share_numerator) as num from {PROACTIVE} group by 1",
    )
    carrying = set(by_channel.filter(pl.col("num") > 0)["channel"].to_list())
    assert carrying == {"phone", "app"}


def test_preemption_rate_recovers_the_planted_rate(large_pipeline: Pipeline) -> None:
    """Reached proactive contacts not followed by an inbound contact on the
    same intent within 7 days, over uncensored ones. Each proactive topic is
    pre-empted independently with P = preemption_rate (independent of the
    pick-up, so restricting to reached contacts does not bias it);
    tolerance 4 binomial SE (n ~ 14,000: ~0.016)."""
    truth = large_pipeline.truth
    numerator, denominator = rate_parts(large_pipeline, PROACTIVE, "preemption_rate")
    expected = truth["expected"]["preemption_rate"]
    rate = numerator / denominator
    assert abs(rate - expected) <= binomial_tolerance(expected, denominator), (rate, expected)


def test_offer_acceptance_recovers_the_planted_rate(large_pipeline: Pipeline) -> None:
    """Handled service (non-sales) contacts with an offer accepted within 30
    days, over contacts at least 30 days before the end of the data.

    Realised: same numerator exactly. The denominator may differ by the
    contacts started between the warehouse's end (start of the latest
    contact) and the generator's (midnight after the last day) minus 30
    days: minutes of traffic, < 0.1% of the denominator. Planted: the mean
    planted P(offer) x P(accept) x P(not beyond the window) over those
    contacts; tolerance 4 binomial SE (n ~ 90,000: ~0.002).
    """
    truth = large_pipeline.truth
    realised = truth["realised"]
    numerator, denominator = rate_parts(large_pipeline, VALUE, "offer_acceptance_share")
    assert numerator == realised["service_contacts_with_offer_accepted_uncensored"]
    assert abs(denominator - realised["service_contacts_handled_uncensored"]) <= 0.001 * denominator
    expected = truth["expected"]["offer_acceptance_rate"]
    share = numerator / denominator
    assert abs(share - expected) <= binomial_tolerance(expected, denominator), (share, expected)


def test_harm_check_sees_the_planted_mis_selling(large_pipeline: Pipeline) -> None:
    """Accepted offers followed by a complaint within 30 days: the generator
    plants mis-selling complaints on mis_selling_complaint_rate of accepted
    offers (1-25 days after acceptance, so all inside the window), plus rare
    service complaints of the same customers. The harm rate must be at
    least the planted rate minus 4 SE and not far above it (service
    complaints add well under 1 point at planted rates of 0.2%)."""
    truth = large_pipeline.truth
    numerator, denominator = rate_parts(large_pipeline, VALUE, "harm_rate")
    planted = truth["params"]["mis_selling_complaint_rate"]
    assert denominator > 500
    rate = numerator / denominator
    tolerance = binomial_tolerance(planted, denominator)
    assert planted - tolerance <= rate <= planted + tolerance + 0.01, (rate, planted)


def test_effort_index_agrees_with_survey_ces(large_pipeline: Pipeline) -> None:
    """The generator drives CES from effort (repeats, attempts, switches,
    transfers, wait, hold, hand-offs) plus noise, so a sound index must rank
    episodes like CES does: rho clearly negative in every month. With ~5,000
    pairs a month the sampling SD of rho is ~0.015; observed rho is about
    -0.5, so the bound -0.3 fails only if the index stops tracking effort."""
    months = query(
        large_pipeline,
        f"""
        select period_start_date, surveyed_episode_count, spearman_rho
        from {AGREEMENT}
        where period_grain = 'month' and measure = 'effort_index'
        """,
    )
    assert months.height >= 2
    for row in months.iter_rows(named=True):
        assert row["surveyed_episode_count"] > 1000
        assert float(row["spearman_rho"]) < -0.3, row
    weeks = query(
        large_pipeline,
        f"select count(*) as n from {AGREEMENT} "
        "where period_grain = 'week' and measure = 'effort_index'",
    )
    assert weeks["n"][0] >= 8


def test_survey_ces_rollup_is_a_ratio_of_sums(large_pipeline: Pipeline) -> None:
    """Mean CES and the 5-7 share from the daily mart equal the episode-grain
    figures (no average of averages), and lie on the CES scale."""
    mart = query(
        large_pipeline,
        f"""
        select sum(ces_mean_numerator) / sum(ces_mean_denominator) as mean_ces,
            sum(ces_top_box_numerator) / sum(ces_top_box_denominator) as top_box
        from {EFFORT}
        """,
    )
    episodes = query(
        large_pipeline,
        f"""
        select sum(ces_score_sum) / sum(ces_answer_count) as mean_ces,
            sum(ces_top_box_count) / sum(ces_answer_count) as top_box
        from {EPISODES}
        """,
    )
    assert mart["mean_ces"][0] == pytest.approx(episodes["mean_ces"][0], rel=1e-12)
    assert mart["top_box"][0] == pytest.approx(episodes["top_box"][0], rel=1e-12)
    assert 1 <= mart["mean_ces"][0] <= 7
