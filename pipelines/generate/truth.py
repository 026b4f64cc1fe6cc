"""truth.json: what the generator planted, and what its own simulation realised.

Sections:
- `params`: every GeneratorParams field (the generator's inputs), the seed included;
- `planted`: derived inputs (per-intent probabilities, outlier reviewers,
  intervention and disruption, proactive and offer probabilities);
- `expected`: overall volume-weighted values of the planted rates, for
  comparison with what the warehouse recovers (definitions in `doc`);
- `tolerance`: a 4-sigma binomial half-width for each expected rate given
  its realised denominator (a test may add model slack on top);
- `realised`: counts and rates from the generator's own numpy simulation,
  never from the warehouse's SQL;
- `doc`: one line per key saying what it means.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import polars as pl

from pipelines.generate import calendar as cal
from pipelines.generate.backoffice import Reviewers, filing_effect_seconds
from pipelines.generate.contacts import ABANDONED, ANSWERED, SHORT, ContactSimulator
from pipelines.generate.episodes import Skeleton
from pipelines.generate.followups import Handled, OfferPlan
from pipelines.generate.params import CHANNELS, INTENT_BEHAVIOUR, PHONE, GeneratorParams, Reference
from pipelines.generate.workforce import Workforce


class Accumulator:
    """Day-by-day counters that need the internal columns of each day."""

    def __init__(self, params: GeneratorParams, ref: Reference, sk: Skeleton) -> None:
        self.p, self.ref, self.sk = params, ref, sk
        n_days, n_sites = params.days, len(ref.site_codes)
        self.c: dict[str, float] = {}
        self.day_offered = np.zeros(n_days)
        self.day_answered = np.zeros(n_days)
        self.day_within_sl = np.zeros(n_days)
        self.day_abandoned = np.zeros(n_days)
        self.site_answered = np.zeros((n_days, n_sites))
        self.handled_by_mode = np.zeros(2)
        self.channel_rows = np.zeros(len(CHANNELS))
        self.max_t = 0

    def add(self, key: str, value: Any) -> None:
        self.c[key] = self.c.get(key, 0.0) + float(value)

    def add_day(
        self,
        d: int,
        rc: dict[str, np.ndarray],
        rt: dict[str, np.ndarray],
        handled: Handled,
        plan: OfferPlan,
        day_offers: pl.DataFrame,
    ) -> None:
        self._calls(d, rc)
        self._tickets(rt)
        self._handled(rc, rt, handled, plan, day_offers)

    def _calls(self, d: int, r: dict[str, np.ndarray]) -> None:
        if not r:
            return
        self.max_t = max(self.max_t, int(r["t"].max()))
        inbound = (r["direction"] == 0) & (r["initiated"] == 0)
        queued = inbound & (r["queued"] >= 0)
        short = queued & (r["outcome"] == SHORT)
        offered = queued & ~short
        answered = queued & (r["outcome"] == ANSWERED)
        wait = np.where(answered, r["answered"] - r["queued"], 0)
        self.day_offered[d] += offered.sum()
        self.day_answered[d] += answered.sum()
        self.day_within_sl[d] += (answered & (wait <= self.p.service_level_seconds)).sum()
        self.day_abandoned[d] += (queued & (r["outcome"] == ABANDONED)).sum()
        ok = answered & (r["site"] >= 0)
        self.site_answered[d] += np.bincount(r["site"][ok], minlength=self.site_answered.shape[1])
        self.channel_rows[PHONE] += r["t"].size
        self.add("calls", r["t"].size)
        self.add("calls_unknown_customer", (r["customer"] < 0).sum())
        agent = (r["outcome"] == ANSWERED) & (r["agent"] >= 0)
        self.handled_by_mode += np.bincount(r["mode"][agent].astype(np.int64), minlength=2)[:2]

    def _tickets(self, r: dict[str, np.ndarray]) -> None:
        if not r:
            return
        self.max_t = max(self.max_t, int(r["t"].max()))
        self.channel_rows += np.bincount(r["channel"], minlength=len(CHANNELS))
        self.add("tickets", r["t"].size)
        self.add("tickets_unknown_customer", (r["customer"] < 0).sum())
        agent = (r["by"] == 0) & (r["agent"] >= 0)
        self.handled_by_mode += np.bincount(r["mode"][agent].astype(np.int64), minlength=2)[:2]

    def _handled(
        self,
        rc: dict[str, np.ndarray],
        rt: dict[str, np.ndarray],
        h: Handled,
        plan: OfferPlan,
        day_offers: pl.DataFrame,
    ) -> None:
        p = self.p
        self.add("handled", h.size)
        self.add("handled_company", h.company.sum())
        self.add("handled_escalated", (h.escalated == 1).sum())
        self.add("handled_bot", h.bot.sum())
        for r in (rc, rt):
            if r:
                m = r["handled"].astype(bool) & (r["slot"] >= 0)
                self.add("escalation_probability_sum", self.sk.slot_p_esc[r["slot"][m]].sum())
        end = p.days * cal.DAY
        window = p.value_window_days * cal.DAY
        service = plan.is_service
        uncensored = h.t + window <= end
        p_acc = plan.p_offer * plan.p_accept * (1 - p.offer_beyond_window_share)
        self.add("service_handled", service.sum())
        self.add("service_accept_probability_sum", p_acc[service].sum())
        self.add("service_handled_uncensored", (service & uncensored).sum())
        self.add("service_accept_probability_sum_uncensored", p_acc[service & uncensored].sum())
        o = day_offers
        win = (o["accepted"] >= 0) & (o["accepted"] - o["contact_t"] <= window) & o["is_service"]
        self.add("service_accepted_within_window", win.sum())
        self.add(
            "service_accepted_within_window_uncensored",
            (win & (o["contact_t"] + window <= end)).sum(),
        )
        self.add("offers", o.height)
        self.add("offers_accepted", (o["accepted"] >= 0).sum())


def _rate(num: Any, den: Any) -> float | None:
    return round(float(num) / float(den), 6) if den else None


def _tol(p: float | None, n: float) -> float | None:
    if p is None or not n:
        return None
    return round(4 * math.sqrt(max(p * (1 - p), 1e-9) / n), 6)


def _episodes(
    params: GeneratorParams, sk: Skeleton, sim: ContactSimulator, end_t: int
) -> dict[str, Any]:
    """FCR as the warehouse defines it, from the simulation's own records."""
    handled = sim.slot_handled_t >= 0
    n_issues = sk.issue_intent.size
    count = np.bincount(sk.slot_issue[handled], minlength=n_issues)
    first = np.full(n_issues, -1, dtype=np.int64)
    res = np.zeros(n_issues, dtype=bool)
    esc = np.zeros(n_issues, dtype=bool)
    s0 = handled & (sk.slot_h == 0)
    first[sk.slot_issue[s0]] = sim.slot_handled_t[s0]
    res[sk.slot_issue[s0]] = sim.slot_handled_res[s0]
    esc[sk.slot_issue[s0]] = sim.slot_handled_esc[s0]
    episode = (sk.issue_customer >= 0) & (count >= 1) & (first >= 0)
    window = params.repeat_window_days * cal.DAY
    uncensored = episode & (first + window <= end_t)
    fcr = uncensored & (count == 1) & res & ~esc
    n = int(uncensored.sum())
    return {
        "episodes": int(episode.sum()),
        "episodes_censored": int((episode & ~uncensored).sum()),
        "episodes_uncensored": n,
        "fcr_episodes": int(fcr.sum()),
        "fcr": _rate(fcr.sum(), n),
        "expected_fcr": _rate(sk.p_fcr[sk.issue_intent[uncensored]].sum(), n),
        "repeat_episodes": int((uncensored & (count > 1)).sum()),
        "cross_channel_repeats": int(_cross_channel(sk, sim, handled)),
        "unknown_customer_issues": int((sk.issue_customer < 0).sum()),
    }


def _cross_channel(sk: Skeleton, sim: ContactSimulator, handled: np.ndarray) -> int:
    later = handled & (sk.slot_h > 0)
    first_ch = np.full(sk.issue_intent.size, -1)
    s0 = handled & (sk.slot_h == 0)
    first_ch[sk.slot_issue[s0]] = sim.slot_handled_ch[s0]
    return int((sim.slot_handled_ch[later] != first_ch[sk.slot_issue[later]]).sum())


def _workforce(params: GeneratorParams, wf: Workforce, acc: Accumulator) -> dict[str, Any]:
    f = wf.shifts
    sched = f.filter(pl.col("scheduled"))
    present = f.filter(pl.col("present"))
    logged = present.group_by("home").agg(pl.col("logged_in_seconds").sum()).sort("home")
    by = dict(zip(logged["home"].to_list(), logged["logged_in_seconds"].to_list(), strict=True))
    office_rate = acc.handled_by_mode[0] / max(by.get(False, 0), 1) * 3600
    home_rate = acc.handled_by_mode[1] / max(by.get(True, 0), 1) * 3600
    d0 = (params.disruption_start - params.start_date).days
    d1 = (params.disruption_end - params.start_date).days
    in_dis = (pl.col("day") >= d0) & (pl.col("day") <= d1)
    dis_present = present.filter(in_dis)
    site = (
        wf.site_codes.index(params.disruption_site)
        if params.disruption_site in wf.site_codes
        else -1
    )
    days = np.arange(params.days)
    mask = (days >= d0) & (days <= d1)
    share = acc.site_answered / np.maximum(acc.site_answered.sum(axis=1, keepdims=True), 1)
    return {
        "agents": int(wf.agent_ids.size),
        "agents_moving_site": int((wf.move_day < params.days).sum()),
        "shifts_scheduled": sched.height,
        "shifts_attended": int(sched["present"].sum()),
        "attendance": _rate(sched["present"].sum(), sched.height),
        "unscheduled_shifts": f.height - sched.height,
        "home_share_of_shifts": _rate(present["home"].sum(), present.height),
        "home_share_of_shifts_during_disruption": _rate(
            dis_present["home"].sum(), dis_present.height
        ),
        "handled_per_logged_in_hour_office": round(office_rate, 4),
        "handled_per_logged_in_hour_home": round(home_rate, 4),
        "home_productivity_ratio": round(home_rate / office_rate, 4) if office_rate else None,
        "disrupted_site_answer_share_before": _mean_or_none(share[~mask & (days < d0), site])
        if site >= 0
        else None,
        "disrupted_site_answer_share_during": _mean_or_none(share[mask, site])
        if site >= 0
        else None,
    }


def _mean_or_none(x: np.ndarray) -> float | None:
    return round(float(x.mean()), 4) if x.size else None


def _calls(params: GeneratorParams, acc: Accumulator) -> dict[str, Any]:
    days = np.arange(params.days)
    surge = cal.surge_mask(params)
    d0 = (params.disruption_start - params.start_date).days
    d1 = (params.disruption_end - params.start_date).days
    dis = (days >= d0) & (days <= d1)
    normal = ~surge & ~dis

    def block(m: np.ndarray) -> dict[str, Any]:
        off = acc.day_offered[m].sum()
        return {
            "offered": int(off),
            "answered": int(acc.day_answered[m].sum()),
            "answer_rate": _rate(acc.day_answered[m].sum(), off),
            "service_level": _rate(acc.day_within_sl[m].sum(), off),
            "abandonment_rate": _rate(acc.day_abandoned[m].sum(), off),
        }

    return {
        "all": block(days >= 0),
        "normal": block(normal),
        "surge": block(surge),
        "disruption": block(dis),
    }


def _backoffice(
    items: pl.DataFrame,
    rv: Reviewers,
    bo_expected: dict[str, float],
    params: GeneratorParams,
    ref: Reference,
) -> dict[str, Any]:
    done = items.filter(pl.col("outcome") >= 0)
    filing = (
        ref.business_codes.index(params.intervention_business_type)
        if params.intervention_business_type in ref.business_codes
        else -1
    )
    change = (params.intervention_date - params.start_date).days * cal.DAY
    f = done.filter(pl.col("bt") == filing).with_columns(proc=pl.col("completed") - pl.col("t"))
    before = f.filter(pl.col("t") < change)["proc"]
    after = f.filter(pl.col("t") >= change)["proc"]
    return {
        "items": items.height,
        "items_completed": done.height,
        "items_escalated_from_contacts": int((items["source"] >= 0).sum()),
        "branches_sending": int(items["branch"].n_unique()),
        "rejected": int((done["outcome"] == 1).sum()),
        "returned": int((done["outcome"] == 2).sum()),
        "rejection_rate": _rate((done["outcome"] == 1).sum(), done.height),
        "return_rate": _rate((done["outcome"] == 2).sum(), done.height),
        "expected_rejection_rate": _rate(
            bo_expected["reject_probability_sum"], bo_expected["items"]
        ),
        "expected_return_rate": _rate(bo_expected["return_probability_sum"], bo_expected["items"]),
        "filing_processing_seconds_before": _mean_seconds(before),
        "filing_processing_seconds_after": _mean_seconds(after),
        "reviewers": int(rv.ids.size),
        "outlier_cells_above_2sd": _outlier_evidence(done, rv, params),
    }


def _mean_seconds(values: pl.Series) -> float | None:
    mean = values.mean()
    return round(float(mean), 1) if isinstance(mean, int | float) else None


def _outlier_evidence(done: pl.DataFrame, rv: Reviewers, params: GeneratorParams) -> dict[str, Any]:
    """Per planted outlier: share of its (business type, ISO week) cells with z > 2.

    z is against all reviewers of the same business type and week (PRODUCT.md
    section 4), for review time (slow) or rejection rate (harsh).
    """
    monday = params.start_date.weekday()
    cells = (
        done.with_columns(
            week=(pl.col("started") // cal.DAY + monday) // 7,
            review=pl.col("completed") - pl.col("started"),
            rejected=(pl.col("outcome") == 1).cast(pl.Float64),
        )
        .group_by("reviewer", "bt", "week")
        .agg(pl.col("review").mean(), pl.col("rejected").mean())
    )
    peers = ["bt", "week"]
    z = cells.with_columns(
        z_review=(pl.col("review") - pl.col("review").mean().over(peers))
        / pl.col("review").std().over(peers),
        z_reject=(pl.col("rejected") - pl.col("rejected").mean().over(peers))
        / pl.col("rejected").std().over(peers),
    )
    out: dict[str, Any] = {}
    for i in np.flatnonzero(rv.outlier_kind != ""):
        mine = z.filter(pl.col("reviewer") == int(i))
        out[str(rv.ids[i])] = {
            "kind": str(rv.outlier_kind[i]),
            "cells": mine.height,
            "review_time": _rate((mine["z_review"] > 2).sum(), mine.height),
            "rejection": _rate((mine["z_reject"] > 2).sum(), mine.height),
        }
    return out


def build_truth(
    params: GeneratorParams,
    ref: Reference,
    sk: Skeleton,
    sim: ContactSimulator,
    wf: Workforce,
    acc: Accumulator,
    items: pl.DataFrame,
    rv: Reviewers,
    bo_expected: dict[str, float],
    offers_df: pl.DataFrame,
    complaints: pl.DataFrame,
) -> dict[str, Any]:
    t = sim.tally.counts
    c = acc.c
    ep = _episodes(params, sk, sim, acc.max_t)
    bo = _backoffice(items, rv, bo_expected, params, ref)
    rows = acc.channel_rows.sum()
    handled = c.get("handled", 0.0)
    expected = {
        "fcr": ep["expected_fcr"],
        "prediction_accuracy": _rate(t.get("pred_confidence_sum", 0), t.get("pred_with_intent", 0)),
        "bot_containment": _rate(t.get("ai_contain_probability_sum", 0), t.get("ai_reached", 0)),
        "proactive_share": _expected_proactive_share(params, sk, c),
        "preemption_rate": params.preemption_rate,
        "escalation_rate": _rate(c.get("escalation_probability_sum", 0), handled),
        "offer_acceptance_rate": _rate(
            c.get("service_accept_probability_sum_uncensored", 0),
            c.get("service_handled_uncensored", 0),
        ),
        "offer_acceptance_rate_all_contacts": _rate(
            c.get("service_accept_probability_sum", 0), c.get("service_handled", 0)
        ),
        "backoffice_rejection_rate": bo["expected_rejection_rate"],
        "backoffice_return_rate": bo["expected_return_rate"],
        "home_productivity_ratio": params.home_productivity,
        "attendance": _rate(
            wf.shifts.filter(pl.col("scheduled"))["attend_p"].sum(), wf.shifts["scheduled"].sum()
        ),
        "unknown_customer_share": params.unknown_customer_share,
        "intervention_effect_seconds": round(
            _filing_effect(params, bo_expected)["effect_seconds"], 1
        ),
    }
    pro = sk.pro_t + params.repeat_window_days * cal.DAY <= acc.max_t
    realised: dict[str, Any] = {
        "contacts": int(rows),
        "calls": int(c.get("calls", 0)),
        "tickets": int(c.get("tickets", 0)),
        "contacts_per_day": round(rows / params.days, 1),
        "channel_share": {ch: _rate(acc.channel_rows[i], rows) for i, ch in enumerate(CHANNELS)},
        "unknown_customer_share": _rate(
            c.get("calls_unknown_customer", 0) + c.get("tickets_unknown_customer", 0), rows
        ),
        "handled": int(handled),
        "handled_company_initiated": int(c.get("handled_company", 0)),
        "proactive_share": _rate(c.get("handled_company", 0), handled),
        "proactive_contacts": int(sk.pro_t.size),
        "preemption_rate_uncensored": _rate(sk.pro_preempted[pro].sum(), pro.sum()),
        "handled_escalated": int(c.get("handled_escalated", 0)),
        "escalation_rate": _rate(c.get("handled_escalated", 0), handled),
        "prediction_contacts_with_intent": int(t.get("pred_with_intent", 0)),
        "prediction_correct": int(t.get("pred_correct", 0)),
        "prediction_accuracy": _rate(t.get("pred_correct", 0), t.get("pred_with_intent", 0)),
        "bot_reached": int(t.get("ai_reached", 0)),
        "bot_contained": int(t.get("ai_contained", 0)),
        "bot_containment": _rate(t.get("ai_contained", 0), t.get("ai_reached", 0)),
        "service_contacts_handled_uncensored": int(c.get("service_handled_uncensored", 0)),
        "service_contacts_with_offer_accepted_uncensored": int(
            c.get("service_accepted_within_window_uncensored", 0)
        ),
        "offer_acceptance_rate": _rate(
            c.get("service_accepted_within_window_uncensored", 0),
            c.get("service_handled_uncensored", 0),
        ),
        "offers": int(c.get("offers", 0)),
        "offers_accepted": int(c.get("offers_accepted", 0)),
        "complaints": complaints.height,
        "mis_selling_complaints": int((complaints["category"] == "mis_selling").sum()),
        "inbound_calls_queued": int(t.get("calls_queued", 0)),
        "calls_abandoned": int(t.get("calls_abandoned", 0)),
        "calls_short_abandon": int(t.get("calls_short_abandon", 0)),
        "calls_callback_requested": int(t.get("calls_callback_requested", 0)),
        "calls_bot_contained": int(t.get("calls_bot_contained", 0)),
        "calls_ivr_hangup": int(t.get("calls_ivr_hangup", 0)),
        "queues": _calls(params, acc),
        "episodes": ep,
        "workforce": _workforce(params, wf, acc),
        "backoffice": bo,
        "end_of_data_seconds": int(acc.max_t),
    }
    tolerance = {
        "fcr": _tol(expected["fcr"], ep["episodes_uncensored"]),
        "prediction_accuracy": _tol(expected["prediction_accuracy"], t.get("pred_with_intent", 0)),
        "bot_containment": _tol(expected["bot_containment"], t.get("ai_reached", 0)),
        "escalation_rate": _tol(expected["escalation_rate"], handled),
        "offer_acceptance_rate": _tol(
            expected["offer_acceptance_rate"], c.get("service_handled_uncensored", 0)
        ),
        "backoffice_rejection_rate": _tol(
            expected["backoffice_rejection_rate"], bo["items_completed"]
        ),
    }
    return {
        "seed": params.seed,
        "params": params.as_dict(),
        "planted": _planted(params, ref, sk, rv, bo_expected),
        "expected": expected,
        "tolerance": tolerance,
        "realised": realised,
        "doc": DOC,
    }


def _expected_proactive_share(
    params: GeneratorParams, sk: Skeleton, c: dict[str, float]
) -> float | None:
    """Planted proactive handled contacts (pickup probability) over all handled ones."""
    calls = float((sk.pro_channel == PHONE).sum())
    pro = calls * params.outbound_pickup_rate + (sk.pro_t.size - calls)
    customer = c.get("handled", 0.0) - c.get("handled_company", 0.0)
    return _rate(pro, pro + customer)


def _filing_effect(params: GeneratorParams, bo_expected: dict[str, float]) -> dict[str, float]:
    return filing_effect_seconds(
        params, bo_expected["filing_speed_before"], bo_expected["filing_speed_after"]
    )


def _planted(
    params: GeneratorParams,
    ref: Reference,
    sk: Skeleton,
    rv: Reviewers,
    bo_expected: dict[str, float],
) -> dict[str, Any]:
    intents = {}
    bot = ref.intent_array("bot") * params.bot_containment
    for i, code in enumerate(ref.intent_codes):
        b = INTENT_BEHAVIOUR[code]
        intents[code] = {
            "weight": b.weight,
            "is_sales": bool(ref.is_sales[i]),
            "p_first_contact_resolution": round(float(sk.p_fcr[i]), 6),
            "p_escalate_if_unresolved": round(float(sk.p_esc[i]), 6),
            "prediction_accuracy": round(float(sk.accuracy[i]), 6),
            "p_bot_containment_if_understood": round(float(bot[i]), 6),
            "talk_seconds_lognormal": {"median": b.talk_median_s, "sigma": b.talk_sigma},
            "channel_preference": dict(zip(CHANNELS, b.channels, strict=True)),
            "proactive_weight": b.proactive,
            "business_type": b.business_type,
        }
    outliers = [
        {"reviewer_id": str(rid), "kind": str(kind)}
        for rid, kind in zip(rv.ids, rv.outlier_kind, strict=True)
        if kind
    ]
    effect = _filing_effect(params, bo_expected)
    return {
        "intents": intents,
        "outlier_reviewers": outliers,
        "intervention": {
            "business_type": params.intervention_business_type,
            "effective_date": params.intervention_date.isoformat(),
            "review_seconds_before": round(effect["review_seconds_before"], 1),
            "review_seconds_after": round(effect["review_seconds_after"], 1),
            "effect_seconds": round(effect["effect_seconds"], 1),
            "mean_reviewer_speed_before": round(effect["mean_reviewer_speed_before"], 4),
            "mean_reviewer_speed_after": round(effect["mean_reviewer_speed_after"], 4),
        },
        "disruption": {
            "site": params.disruption_site,
            "from": params.disruption_start.isoformat(),
            "to": params.disruption_end.isoformat(),
            "home_share": params.disruption_home_share,
            "attendance": params.disruption_attendance,
            "absorb_fraction": params.disruption_absorb_fraction,
        },
        "surge": {
            "from": params.surge_start.isoformat(),
            "days": params.surge_days,
            "factor": params.surge_factor,
        },
        "customers": sk.n_customers,
        "conventions": CONVENTIONS,
    }


CONVENTIONS = {
    "handled_contact": (
        "calls with outcome answered or bot_contained (inbound, outbound callbacks and answered "
        "proactive calls); tickets with first_response_at not null"
    ),
    "reached_the_bot": (
        "contacts with a predicted_intent: the AI predicts the intent and tries to self-serve; "
        "abandoned calls that passed the AI keep their prediction (intent null)"
    ),
    "ticket_unresolved": (
        "a handled ticket is marked unresolved when solved_at is null (status open/pending); "
        "resolved tickets have solved_at and status solved/closed"
    ),
    "callback": (
        "outcome callback = the caller left the queue for a callback; the later outbound call "
        "(direction outbound, initiated_by customer) is the handled contact"
    ),
    "proactive": (
        "initiated_by company: outbound calls (some unanswered: outcome abandoned, queued_at "
        "null) and app messages"
    ),
    "unique_customer_intent": (
        "each (customer, intent) pair belongs to at most one issue or proactive topic, so no "
        "accidental chaining of independent issues: collisions are impossible, not just rare"
    ),
    "repeat_timing": (
        "a repeat starts 6 h to 6.8 days after the previous handled contact of its issue; retries"
        " of unhandled attempts come within about 3 h"
    ),
    "backoffice_shift": "shift by review start: early 06-10, day 10-16, evening 16-22, night 22-06",
    "agent_shifts": (
        "contact-centre agents only (reviewers and team leads have no rows); absent scheduled "
        "shifts have logged_in_seconds 0 and no work_mode"
    ),
}

DOC = {
    "seed": "random seed; the same seed and params give byte-identical files",
    "params": "every GeneratorParams field as used (generator inputs)",
    "planted.intents.<code>.p_first_contact_resolution": (
        "P(first handled contact of an episode resolves it: resolved, not escalated, no return "
        "within 7 days)"
    ),
    "planted.intents.<code>.p_escalate_if_unresolved": (
        "P(escalated to the back office | a contact does not resolve)"
    ),
    "planted.intents.<code>.prediction_accuracy": (
        "mean confidence = P(predicted_intent == intent) for this intent"
    ),
    "planted.intents.<code>.p_bot_containment_if_understood": (
        "P(bot contains | reached the AI, understood, not an escalation)"
    ),
    "planted.outlier_reviewers": (
        "reviewers whose review time (slow) and/or rejection rate (harsh) exceed peers in most "
        "ISO weeks"
    ),
    "planted.intervention": (
        "dated process change; effect_seconds = expected change of mean processing time per item"
    ),
    "planted.disruption": (
        "site, dates, home share, attendance and share of lost capacity absorbed by other sites"
    ),
    "planted.surge": "holiday surge: first day, days, volume factor (planners foresaw part)",
    "planted.customers": "size of the customer base the issues were drawn from",
    "planted.conventions": (
        "how the landing data encodes handled, unresolved, callbacks, proactive contacts"
    ),
    "expected.fcr": (
        "volume-weighted planted P(first-contact resolution) over uncensored episodes of "
        "identified customers"
    ),
    "expected.prediction_accuracy": (
        "mean planted confidence over contacts with a prediction AND a final intent (calibrated: "
        "P(correct) = confidence)"
    ),
    "expected.bot_containment": (
        "mean planted containment probability over contacts that reached the bot "
        "(predicted_intent not null)"
    ),
    "expected.proactive_share": (
        "planted company-initiated handled contacts (proactive contacts x pickup probability) "
        "/ all handled contacts"
    ),
    "expected.preemption_rate": (
        "planted share of proactive contacts not followed by an inbound contact on that intent "
        "within 7 days"
    ),
    "expected.escalation_rate": (
        "planted escalation probability summed over handled contacts / handled contacts"
    ),
    "expected.offer_acceptance_rate": (
        "planted P(offer accepted within 30 days) over handled service (non-sales) contacts at "
        "least 30 days before the data end"
    ),
    "expected.offer_acceptance_rate_all_contacts": (
        "same over all handled service contacts (later ones are censored)"
    ),
    "expected.backoffice_rejection_rate": "mean planted rejection probability per back-office item",
    "expected.backoffice_return_rate": "mean planted return probability per back-office item",
    "expected.home_productivity_ratio": (
        "planted handled contacts per logged-in hour, home / office; recovered at scale, "
        "diluted towards 1 where few agents share an interval (see realised.workforce)"
    ),
    "expected.attendance": (
        "mean planted attendance probability over scheduled shifts (lower at the disrupted site)"
    ),
    "expected.unknown_customer_share": (
        "target share of contacts whose customer is unknown (customer_id null)"
    ),
    "expected.intervention_effect_seconds": (
        "planted change of mean account-filing processing time from the intervention date "
        "(review-time distributions x the mean reviewer multiplier of the items before / after)"
    ),
    "tolerance.<rate>": (
        "4-sigma binomial half-width of the expected rate at the realised denominator"
    ),
    "realised": "counts and rates from the generator's own simulation (not from SQL)",
    "realised.queues.<period>": (
        "offered (queued inbound minus short abandons), answer rate, service level (answered "
        "within 20 s / offered), abandonment per period (all / normal / surge / disruption)"
    ),
    "realised.episodes": (
        "episodes as PRODUCT.md section 2 defines them, with censoring at end_of_data_seconds - 7"
        " days"
    ),
    "realised.workforce": (
        "agents, attendance, home share, productivity per logged-in hour by work mode, the "
        "disrupted site's share of answered calls"
    ),
    "realised.backoffice": (
        "items, outcomes, rates, account-filing processing time before/after the "
        "intervention, and per planted outlier the share of (type, week) cells with z > 2"
    ),
    "realised.end_of_data_seconds": (
        "start of the latest contact, seconds after the first local midnight"
    ),
}
