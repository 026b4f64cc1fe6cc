"""The back office (shared-service centre): work items from 1,000+ branches.

Branches send items in opening hours (fewer at weekends); contacts escalated
by the centre arrive as items that name their source contact. The office
works four shifts every day of the year (early 06-10, day 10-16, evening
16-22, night 22-06, by review start). An item waits (longer overnight), is
reviewed by a reviewer on duty, and is approved, rejected or returned.

Planted:
- rejection / return probabilities per business type;
- outlier reviewers: review time and/or rejection rate far above peers in
  most ISO weeks (their ids and kinds are in truth.json);
- a dated process change for account filing ("machine entry + single
  review"): before it, manual entry, a wait and a second review; from the
  effective date, one ~70 s machine-assisted review. The expected change in
  mean processing time per item is recorded in seconds.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import polars as pl

from pipelines.generate import calendar as cal
from pipelines.generate.customers import id_card_numbers, mix64
from pipelines.generate.params import (
    BACKOFFICE_SITE,
    BUSINESS_BEHAVIOUR,
    FILING_SECOND_REVIEW_MEDIAN_S,
    FILING_SECOND_WAIT_MEAN_S,
    INTENT_BEHAVIOUR,
    GeneratorParams,
    Reference,
)

SHIFT_NAMES = ("early", "day", "evening", "night")
SHIFT_SHARE = np.array([0.22, 0.42, 0.26, 0.10])
# median wait (seconds) before review starts, by hour of receipt
WAIT_MEDIAN_BY_HOUR = np.array(
    [5400, 4800, 4200, 3600, 3000, 2400, 1500, 1200, 1000, 900, 800, 800,
     900, 900, 800, 800, 900, 1000, 1100, 1200, 1500, 1800, 3000, 4800],
    dtype=float,
)  # fmt: skip
REJECT_REASONS = ["资料不全", "签名不符", "证件过期", "信息不一致", "超出业务权限"]
RETURN_REASONS = ["影像不清晰", "缺少附件", "填写有误", "需补充说明"]
ENTRY_MEDIAN_S, ENTRY_SIGMA = 180.0, 0.45
SINGLE_SIGMA = 0.3
SECOND_SIGMA = 0.4


@dataclass
class Reviewers:
    ids: np.ndarray
    shift: np.ndarray
    rest_start: np.ndarray
    speed: np.ndarray
    harshness: np.ndarray
    outlier_kind: np.ndarray  # "", "slow", "harsh", "slow_and_harsh"


def _lognormal_mean(median: float, sigma: float) -> float:
    return float(median * np.exp(sigma**2 / 2))


def filing_effect_seconds(
    params: GeneratorParams, speed_before: float = 1.0, speed_after: float = 1.0
) -> dict[str, float]:
    """Planted change in mean processing time of one account-filing item.

    Reviewer multipliers (individual speed, slow outliers) scale the whole
    review; `speed_before/after` are their means over the filing items
    reviewed before / from the change. Waiting before review is unchanged.
    """
    manual = (
        _lognormal_mean(ENTRY_MEDIAN_S, ENTRY_SIGMA)
        + FILING_SECOND_WAIT_MEAN_S
        + _lognormal_mean(FILING_SECOND_REVIEW_MEDIAN_S, SECOND_SIGMA)
    )
    single = _lognormal_mean(params.intervention_single_review_seconds, SINGLE_SIGMA)
    before, after = manual * speed_before, single * speed_after
    return {
        "review_seconds_before": before,
        "review_seconds_after": after,
        "effect_seconds": after - before,
        "mean_reviewer_speed_before": speed_before,
        "mean_reviewer_speed_after": speed_after,
    }


def build_reviewers(
    n_per_day: float, params: GeneratorParams, rng: np.random.Generator
) -> Reviewers:
    mean_review = np.mean(
        [_lognormal_mean(b.review_median_s, b.review_sigma) for b in BUSINESS_BEHAVIOUR.values()]
    )
    on_duty = n_per_day * mean_review / (6 * 3600)
    size = max(28, int(np.ceil(on_duty * 7 / 5 * 1.15)))
    counts = np.maximum(np.round(SHIFT_SHARE * size).astype(int), 4)
    shift = np.repeat(np.arange(4), counts)
    n = shift.size
    kinds = np.full(n, "", dtype=object)
    day = np.flatnonzero(shift == 1)
    outliers = rng.choice(day, size=min(params.outlier_reviewers, day.size), replace=False)
    cycle = ["slow", "harsh", "slow_and_harsh"]
    for i, r in enumerate(outliers):
        kinds[r] = cycle[i % 3]
    return Reviewers(
        ids=np.array([f"R{i + 1:04d}" for i in range(n)]),
        shift=shift,
        rest_start=rng.integers(0, 7, n),
        speed=rng.lognormal(0.0, 0.08, n),
        harshness=rng.lognormal(0.0, 0.12, n),
        outlier_kind=kinds,
    )


def reviewer_rows(rv: Reviewers, params: GeneratorParams, rng: np.random.Generator) -> pl.DataFrame:
    start = params.start_date
    hired = [start - dt.timedelta(days=int(x)) for x in rng.integers(60, 3000, rv.ids.size)]
    return pl.DataFrame(
        {
            "agent_id": rv.ids,
            "site": BACKOFFICE_SITE,
            "team": [f"BO-{SHIFT_NAMES[s]}" for s in rv.shift],
            "role": "reviewer",
            "valid_from": hired,
            "valid_to": pl.Series([None] * rv.ids.size, dtype=pl.Date),
        }
    )


def _branch_items(
    params: GeneratorParams, codes: list[str], rng: np.random.Generator
) -> dict[str, np.ndarray]:
    wd = np.array(
        [(params.start_date + dt.timedelta(days=i)).weekday() for i in range(params.days)]
    )
    factor = np.where(wd >= 5, 0.35, 1.0)
    factor = factor / factor.mean()
    counts = rng.poisson(params.backoffice_items_per_day * factor)
    n = int(counts.sum())
    day = np.repeat(np.arange(params.days), counts)
    t = day * cal.DAY + cal.sample_time_of_day(cal.BRANCH_PROFILE, n, rng)
    share = np.array([BUSINESS_BEHAVIOUR[c].branch_share for c in codes])
    bt = rng.choice(len(codes), n, p=share / share.sum())
    bw = rng.lognormal(0.0, 1.0, params.branches)
    branch = rng.choice(params.branches, n, p=bw / bw.sum())
    return {
        "t": t,
        "bt": bt,
        "branch": branch,
        "source": np.full(n, -1),
        "applicant": n + np.arange(n) * 7919 + 10**9,
    }


def _escalated_items(
    esc: pl.DataFrame,
    codes: list[str],
    ref: Reference,
    params: GeneratorParams,
    rng: np.random.Generator,
) -> dict[str, np.ndarray]:
    intent_bt = np.array(
        [codes.index(INTENT_BEHAVIOUR[c].business_type or codes[0]) for c in ref.intent_codes]
    )
    n = esc.height
    customer = esc["customer"].to_numpy()
    key = np.where(customer >= 0, customer, 10**12 + np.arange(n))
    branch = (mix64(key, 11) % np.uint64(params.branches)).astype(np.int64)
    t = esc["end"].to_numpy() + rng.integers(60, 1800, n)
    return {
        "t": t,
        "bt": intent_bt[esc["intent"].to_numpy()],
        "branch": branch,
        "source": np.arange(n),
        "applicant": key,
    }


def _shift_of(t: np.ndarray) -> np.ndarray:
    hour = (t % cal.DAY) // 3600
    return np.select(
        [(hour >= 6) & (hour < 10), (hour >= 10) & (hour < 16), (hour >= 16) & (hour < 22)],
        [0, 1, 2],
        3,
    )


def _assign_reviewer(
    rv: Reviewers, started: np.ndarray, params: GeneratorParams, rng: np.random.Generator
) -> np.ndarray:
    """A reviewer of the item's shift who works that day (rest days skipped)."""
    shift = _shift_of(started)
    # night work after midnight belongs to the previous day's night shift
    day = (started - np.where(shift == 3, 6 * 3600, 0)) // cal.DAY
    weekday = (params.start_date.weekday() + day) % 7
    out = np.empty(started.size, dtype=np.int64)
    for s in range(4):
        members = np.flatnonzero(rv.shift == s)
        for w in range(7):
            working = members[((w - rv.rest_start[members]) % 7) >= 2]
            if working.size == 0:
                working = members
            m = (shift == s) & (weekday == w)
            out[m] = working[rng.integers(0, working.size, int(m.sum()))]
    return out


def simulate_backoffice(
    escalations: pl.DataFrame, params: GeneratorParams, ref: Reference, rng: np.random.Generator
) -> tuple[pl.DataFrame, Reviewers, dict[str, float]]:
    """All back-office items (internal columns) plus the reviewers and expected rates."""
    codes = ref.business_codes
    b = _branch_items(params, codes, rng)
    e = _escalated_items(escalations, codes, ref, params, rng)
    items = {k: np.concatenate([b[k], e[k]]) for k in b}
    end = params.days * cal.DAY
    keep = items["t"] < end
    items = {k: v[keep] for k, v in items.items()}
    order = np.argsort(items["t"], kind="stable")
    items = {k: v[order] for k, v in items.items()}
    n = items["t"].size
    rv = build_reviewers(n / params.days, params, rng)
    t = items["t"]
    bt = items["bt"]
    hour = (t % cal.DAY) // 3600
    wait = np.round(rng.lognormal(np.log(WAIT_MEDIAN_BY_HOUR[hour]), 0.7)).astype(np.int64)
    started = t + wait
    reviewer = _assign_reviewer(rv, started, params, rng)
    week = (started // cal.DAY + params.start_date.weekday()) // 7
    # outliers deviate in an evenly spread `outlier_week_share` of weeks (golden-ratio sequence)
    active = (
        np.mod((week + 1) * 0.6180339887 + reviewer * 0.4142135624, 1.0) < params.outlier_week_share
    )
    kind = rv.outlier_kind[reviewer]
    slow = active & np.isin(kind, ("slow", "slow_and_harsh"))
    harsh = active & np.isin(kind, ("harsh", "slow_and_harsh"))
    speed = rv.speed[reviewer] * np.where(slow, params.outlier_review_time_factor, 1.0)
    review = _review_seconds(bt, started, codes, params, rng) * speed
    completed = started + np.round(review).astype(np.int64) + 5
    mult_rej = np.array([BUSINESS_BEHAVIOUR[c].reject_mult for c in codes])[bt]
    mult_ret = np.array([BUSINESS_BEHAVIOUR[c].return_mult for c in codes])[bt]
    p_rej = np.clip(
        params.backoffice_reject_rate
        * mult_rej
        * rv.harshness[reviewer]
        * np.where(harsh, params.outlier_rejection_factor, 1.0),
        0,
        0.6,
    )
    p_ret = np.clip(params.backoffice_return_rate * mult_ret, 0, 0.3)
    u = rng.random(n)
    outcome = np.where(u < p_rej, 1, np.where(u < p_rej + p_ret, 2, 0))
    reason_idx = rng.integers(0, 20, n)
    done = completed < end
    begun = started < end
    frame = pl.DataFrame(
        {
            "t": t,
            "bt": bt,
            "branch": items["branch"],
            "source": items["source"],
            "applicant": items["applicant"],
            "started": np.where(begun, started, -1),
            "completed": np.where(done, completed, -1),
            "reviewer": np.where(begun, reviewer, -1),
            "shift": np.where(begun, _shift_of(started), -1),
            "outcome": np.where(done, outcome, -1),
            "reason": reason_idx,
        }
    )
    expected = {
        "reject_probability_sum": float(p_rej.sum()),
        "return_probability_sum": float(p_ret.sum()),
        "items": float(n),
        **_filing_speeds(bt, started, speed, codes, params),
    }
    return frame, rv, expected


def _filing_speeds(
    bt: np.ndarray,
    started: np.ndarray,
    speed: np.ndarray,
    codes: list[str],
    params: GeneratorParams,
) -> dict[str, float]:
    """Mean reviewer multiplier over filing items reviewed before / from the change."""
    if params.intervention_business_type not in codes:
        return {"filing_speed_before": 1.0, "filing_speed_after": 1.0}
    filing = bt == codes.index(params.intervention_business_type)
    after = started >= (params.intervention_date - params.start_date).days * cal.DAY
    out = {}
    for key, mask in (
        ("filing_speed_before", filing & ~after),
        ("filing_speed_after", filing & after),
    ):
        out[key] = float(speed[mask].mean()) if mask.any() else 1.0
    return out


def _review_seconds(
    bt: np.ndarray,
    started: np.ndarray,
    codes: list[str],
    params: GeneratorParams,
    rng: np.random.Generator,
) -> np.ndarray:
    n = bt.size
    med = np.array([BUSINESS_BEHAVIOUR[c].review_median_s for c in codes])[bt]
    sig = np.array([BUSINESS_BEHAVIOUR[c].review_sigma for c in codes])[bt]
    review = rng.lognormal(np.log(med), sig)
    if params.intervention_business_type in codes:
        filing = bt == codes.index(params.intervention_business_type)
        change = (params.intervention_date - params.start_date).days * cal.DAY
        after = started >= change
        manual = (
            rng.lognormal(np.log(ENTRY_MEDIAN_S), ENTRY_SIGMA, n)
            + rng.exponential(FILING_SECOND_WAIT_MEAN_S, n)
            + rng.lognormal(np.log(FILING_SECOND_REVIEW_MEDIAN_S), SECOND_SIGMA, n)
        )
        single = rng.lognormal(np.log(params.intervention_single_review_seconds), SINGLE_SIGMA, n)
        review = np.where(filing, np.where(after, single, manual), review)
    return review


def backoffice_frame(
    items: pl.DataFrame,
    rv: Reviewers,
    escalations: pl.DataFrame,
    ref: Reference,
    params: GeneratorParams,
    base_epoch: int,
) -> pl.DataFrame:
    """Canonical columns (English codes) of the back-office items."""
    from pipelines.generate.writers import ts  # local import: writers imports this module's users

    codes = ref.business_codes
    sla = {r["business_type"]: int(r["sla_minutes"]) for r in ref.business_types}
    n = items.height
    source_ids = escalations["contact_id"] if escalations.height else pl.Series([], dtype=pl.String)
    src = items["source"].to_numpy()
    contact = (
        pl.DataFrame({"i": src})
        .select(pl.when(pl.col("i") >= 0).then(pl.col("i")).otherwise(None))
        .to_series()
    )
    source_col = (
        source_ids.gather(contact) if source_ids.len() else pl.Series([None] * n, dtype=pl.String)
    )
    outcome = items["outcome"].to_numpy()
    reason_idx = items["reason"].to_numpy()
    reason_code = np.where(
        outcome == 1,
        100 + reason_idx % len(REJECT_REASONS),
        np.where(outcome == 2, 200 + reason_idx % len(RETURN_REASONS), -1),
    )
    reason_map = {100 + i: r for i, r in enumerate(REJECT_REASONS)} | {
        200 + i: r for i, r in enumerate(RETURN_REASONS)
    }
    frame = pl.DataFrame(
        {
            "seq": np.arange(n),
            "source_contact_id": source_col,
            "branch": items["branch"],
            "bt": items["bt"],
            "applicant_id_number": id_card_numbers(items["applicant"].to_numpy()),
            "t": items["t"],
            "started": items["started"],
            "completed": items["completed"],
            "reviewer": items["reviewer"],
            "shift": items["shift"],
            "outcome": outcome,
            "reason_code": reason_code,
        }
    )
    rmap = dict(enumerate(rv.ids.tolist()))
    return frame.select(
        item_id=pl.lit("BO") + pl.col("seq").cast(pl.String).str.zfill(9),
        source_contact_id=pl.col("source_contact_id"),
        branch_id=pl.lit("BR") + pl.col("branch").cast(pl.String).str.zfill(5),
        business_type=pl.col("bt").replace_strict(dict(enumerate(codes)), return_dtype=pl.String),
        applicant_id_number=pl.col("applicant_id_number"),
        received_at=ts("t", base_epoch),
        started_at=ts("started", base_epoch),
        completed_at=ts("completed", base_epoch),
        reviewer_id=pl.col("reviewer").replace_strict(rmap, default=None, return_dtype=pl.String),
        shift=pl.col("shift").replace_strict(
            dict(enumerate(SHIFT_NAMES)), default=None, return_dtype=pl.String
        ),
        outcome=pl.col("outcome").replace_strict(
            {0: "approved", 1: "rejected", 2: "returned"}, default=None, return_dtype=pl.String
        ),
        reject_reason=pl.col("reason_code").replace_strict(
            reason_map, default=None, return_dtype=pl.String
        ),
        sla_minutes=pl.col("bt").replace_strict(
            {i: sla[c] for i, c in enumerate(codes)}, return_dtype=pl.Int64
        ),
        day=pl.col("t") // cal.DAY,
    )
