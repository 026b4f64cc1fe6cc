"""`generate()`: runs the simulated centre and writes the landing folder.

Order: episode skeleton -> staffing plan and shifts -> contacts day by day
(calls, tickets, surveys, offers, complaints) -> back office -> reference
and workforce files -> truth.json. Each random component has its own
stream derived from the seed, so a given seed gives identical bytes.
Landing files are written while the next day is simulated (a small thread
pool; Polars releases the GIL while it formats).
"""

from __future__ import annotations

import calendar as stdcal
import datetime as dt
import json
import os
import shutil
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from pipelines.generate import calendar as cal
from pipelines.generate import frames, writers
from pipelines.generate.backoffice import backoffice_frame, reviewer_rows, simulate_backoffice
from pipelines.generate.contacts import (
    ContactSimulator,
    DayContacts,
    queue_service_seconds,
    routing,
)
from pipelines.generate.episodes import Skeleton, build_skeleton
from pipelines.generate.followups import (
    Handled,
    mis_selling_complaints,
    offer_plan,
    offers,
    service_complaints,
    surveys,
)
from pipelines.generate.params import (
    APP,
    CHAT,
    FAMILY_QUEUE,
    ONLINE_SKILL,
    PHONE,
    GeneratorParams,
    Reference,
    load_reference,
)
from pipelines.generate.queueing import required_agents
from pipelines.generate.truth import Accumulator, build_truth
from pipelines.generate.workforce import Workforce, plan_workforce, shifts_frame

Progress = Callable[[str], None]


def _rng(seed: int, *key: int) -> np.random.Generator:
    return np.random.default_rng([seed, *key])


def forecast_required(
    params: GeneratorParams, ref: Reference, sk: Skeleton, queue_names: list[str]
) -> dict[str, np.ndarray]:
    """Effective agents the planners want per skill, day and 30-minute interval."""
    intent_family, family_queue, intent_queue = routing(ref, queue_names)
    del intent_family, family_queue
    service = queue_service_seconds(ref, intent_queue, len(queue_names))
    bot = ref.intent_array("bot") * params.bot_containment * sk.accuracy * params.ai_reach[PHONE]
    intent = sk.slot_intent
    phone = sk.slot_channel == PHONE
    queued = (1 - np.where(sk.slot_escalated, 0.0, bot[intent])) * 1.06
    # the planners know the intraday shape of each queue from history
    q_of_slot = intent_queue[intent[phone]]
    tod = (sk.slot_t[phone] % cal.DAY) // cal.INTERVAL
    shape = np.bincount(
        q_of_slot * cal.INTERVALS_PER_DAY + tod,
        weights=queued[phone],
        minlength=len(queue_names) * cal.INTERVALS_PER_DAY,
    ).reshape(len(queue_names), cal.INTERVALS_PER_DAY)
    f_act = cal.weekday_factors(params) * np.where(cal.surge_mask(params), params.surge_factor, 1.0)
    f_fc = cal.forecast_day_factors(params)
    share = f_fc / f_act.sum()
    out: dict[str, np.ndarray] = {}
    for q, name in enumerate(queue_names):
        calls = share[:, None] * shape[q][None, :]
        lam = calls / cal.INTERVAL
        need = required_agents(
            lam.ravel(),
            np.full(lam.size, service[q]),
            params.service_level_target,
            params.service_level_seconds,
            params.max_occupancy,
        )
        out[name] = need.reshape(lam.shape).astype(float)
    online = ~phone
    work = np.where(np.isin(sk.slot_channel, (CHAT, APP)), 420.0 / params.chat_concurrency, 500.0)
    tod = (sk.slot_t[online] % cal.DAY) // cal.INTERVAL
    shape = np.bincount(tod, weights=work[online] * 1.15 * 1.05, minlength=cal.INTERVALS_PER_DAY)
    load = share[:, None] * shape[None, :]
    out[ONLINE_SKILL] = np.maximum(np.ceil(load / (cal.INTERVAL * 0.72)), 1.0)
    return out


def _names(
    ref: Reference, queue_names: list[str], wf: Workforce, params: GeneratorParams
) -> frames.Names:
    midnight = dt.datetime.combine(params.start_date, dt.time())
    return frames.Names(
        intent_codes=ref.intent_codes,
        intent_zh=[r["name_zh"] for r in ref.intents],
        queue_names=queue_names,
        site_codes=ref.site_codes,
        agent_ids=wf.agent_ids.tolist(),
        base_epoch=stdcal.timegm(midnight.timetuple()),
    )


class _Writer:
    """Writes landing files on a background thread, in submission order per file."""

    def __init__(self, out_dir: Path, ref: Reference) -> None:
        self.out_dir, self.mapping = out_dir, ref.mapping
        self.pool = ThreadPoolExecutor(max_workers=2)
        self.futures: list[Future[Any]] = []

    def day(self, df: pl.DataFrame, entity: str, day: str) -> None:
        self.futures.append(
            self.pool.submit(writers.write_day, df, entity, day, self.out_dir, self.mapping)
        )

    def by_day(self, df: pl.DataFrame, entity: str, params: GeneratorParams) -> None:
        """Split on the internal `day` column; one file for every day of the period."""
        parts = {
            int(k[0]): v
            for k, v in df.partition_by("day", as_dict=True, maintain_order=True).items()
        }
        empty = df.clear()
        for d in range(params.days):
            self.day(parts.get(d, empty).drop("day"), entity, _day_str(params, d))

    def whole(self, df: pl.DataFrame, entity: str) -> None:
        self.futures.append(
            self.pool.submit(writers.write_whole, df, entity, self.out_dir, self.mapping)
        )

    def close(self) -> None:
        try:
            for f in self.futures:
                f.result()
        finally:
            self.pool.shutdown(wait=True)


def _day_str(params: GeneratorParams, d: int) -> str:
    return (params.start_date + dt.timedelta(days=d)).isoformat()


def _concat_handled(parts: list[Handled]) -> Handled:
    keys = Handled.__dataclass_fields__.keys()
    merged: dict[str, Any] = {
        k: (
            pl.concat([getattr(p, k) for p in parts])
            if k == "contact_id"
            else np.concatenate([getattr(p, k) for p in parts])
        )
        for k in keys
    }
    return Handled(**merged)


def generate(
    params: GeneratorParams, out_dir: Path, progress: Progress | None = None
) -> dict[str, Any]:
    """Simulate the centre, write the landing folder and truth.json; return the truth.

    Everything is written to a hidden staging folder beside `out_dir` first;
    only when the run succeeds are the generator files a previous run left in
    `out_dir` removed and the new ones moved in (truth.json last). A failed
    run leaves `out_dir` as it was.
    """
    say = progress or (lambda _msg: None)
    started = time.perf_counter()
    params.validate()
    ref = load_reference()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    staging = out_dir.parent / f".{out_dir.name}.partial-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        truth = _simulate(params, ref, staging, say)
        writers.clear_previous(out_dir, ref.mapping)
        _publish(staging, out_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    say(f"done in {time.perf_counter() - started:.1f} s")
    return truth


def _publish(staging: Path, out_dir: Path) -> None:
    """Move every staged file into place; truth.json last."""
    files = sorted(p for p in staging.rglob("*") if p.is_file() and p.name != "truth.json")
    for path in [*files, staging / "truth.json"]:
        target = out_dir / path.relative_to(staging)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, target)


def _rows(rec: dict[str, np.ndarray]) -> int:
    return int(rec["t"].size) if rec else 0


class _DayPost:
    """Turns one simulated day into rows, files and follow-ups (run on a worker thread).

    Days are processed one at a time in order, so the lists and the accumulator
    grow deterministically; each day draws from its own random stream.
    """

    def __init__(
        self,
        params: GeneratorParams,
        ref: Reference,
        sk: Skeleton,
        names: frames.Names,
        acc: Accumulator,
        out: _Writer,
    ) -> None:
        self.params, self.ref, self.sk, self.names, self.acc, self.out = (
            params,
            ref,
            sk,
            names,
            acc,
            out,
        )
        self.end = params.days * cal.DAY
        self.surveys: list[pl.DataFrame] = []
        self.offers: list[pl.DataFrame] = []
        self.complaints: list[pl.DataFrame] = []
        self.escalations: list[pl.DataFrame] = []

    def process(self, d: int, day: DayContacts, call_seq: int, ticket_seq: int) -> None:
        params, sk, end = self.params, self.sk, self.end
        rng = _rng(params.seed, 100, d)
        calls_df, rc = frames.calls_frame(day.calls, call_seq, self.names, rng)
        tickets_df, rt = frames.tickets_frame(day.tickets, ticket_seq, self.names, rng)
        self.out.day(calls_df.drop("day"), "calls", _day_str(params, d))
        self.out.day(tickets_df.drop("day"), "tickets", _day_str(params, d))
        handled = _concat_handled(
            [
                frames.handled_contacts(
                    calls_df["call_id"], rc, "ended", sk.issue_channel, sk.slot_h, sk.slot_issue
                ),
                frames.handled_contacts(
                    tickets_df["ticket_id"], rt, "first", sk.issue_channel, sk.slot_h, sk.slot_issue
                ),
            ]
        )
        plan = offer_plan(handled, self.ref.is_sales, params)
        day_offers = offers(handled, plan, self.ref.families, params, end, rng)
        self.surveys.append(surveys(handled, params, end, rng))
        self.offers.append(day_offers)
        self.complaints.append(service_complaints(handled, params, end, rng))
        esc = handled.escalated == 1
        self.escalations.append(
            pl.DataFrame(
                {
                    "contact_id": handled.contact_id.filter(pl.Series(esc)),
                    "customer": handled.customer[esc],
                    "intent": handled.intent[esc],
                    "end": handled.end[esc],
                }
            )
        )
        self.acc.add_day(d, rc, rt, handled, plan, day_offers)


def _simulate(
    params: GeneratorParams, ref: Reference, out_dir: Path, say: Progress
) -> dict[str, Any]:
    """The whole simulation, writing into `out_dir` (a staging folder)."""
    out_dir.mkdir(parents=True)
    seed = params.seed

    say("planning issues and episodes")
    sk = build_skeleton(params, ref, _rng(seed, 1))
    queue_names = sorted(set(FAMILY_QUEUE.values()))
    say("planning staff and shifts")
    wf = plan_workforce(forecast_required(params, ref, sk, queue_names), params, ref, _rng(seed, 2))
    sim = ContactSimulator(params, ref, sk, wf, queue_names, seed)
    names = _names(ref, queue_names, wf, params)
    acc = Accumulator(params, ref, sk)
    end = params.days * cal.DAY
    out = _Writer(out_dir, ref)
    post = _DayPost(params, ref, sk, names, acc, out)
    pool = ThreadPoolExecutor(max_workers=1)  # day d's rows are built while d + 1 simulates
    pending: list[Future[None]] = []
    call_seq = ticket_seq = 0
    try:
        for d in range(params.days):
            day = sim.run_day(d)
            if len(pending) >= 2:
                pending.pop(0).result()
            pending.append(pool.submit(post.process, d, day, call_seq, ticket_seq))
            call_seq += _rows(day.calls)
            ticket_seq += _rows(day.tickets)
            if d % 10 == 9 or d == params.days - 1:
                say(f"simulated {d + 1}/{params.days} days ({call_seq + ticket_seq:,} contacts)")
        for f in pending:
            f.result()
        survey_parts, offer_parts = post.surveys, post.offers
        complaint_parts, escalation_parts = post.complaints, post.escalations
        say("writing surveys, offers and complaints")
        all_offers = pl.concat(offer_parts).sort("recommended", maintain_order=True)
        complaints = pl.concat(
            [mis_selling_complaints(all_offers, params, end, _rng(seed, 3)), *complaint_parts]
        )
        complaints = complaints.sort("received", maintain_order=True)
        all_surveys = pl.concat(survey_parts).sort("answered", maintain_order=True)
        out.by_day(frames.surveys_frame(all_surveys, 0, names), "surveys", params)
        out.by_day(frames.offers_frame(all_offers, names), "offers", params)
        out.by_day(
            frames.complaints_frame(complaints, end, names, _rng(seed, 4)), "complaints", params
        )

        say("simulating the back office")
        escalations = pl.concat(escalation_parts)
        items, reviewers, bo_expected = simulate_backoffice(escalations, params, ref, _rng(seed, 5))
        bo = backoffice_frame(items, reviewers, escalations, ref, params, names.base_epoch)
        out.by_day(bo, "backoffice_items", params)

        say("writing agents and shifts")
        agents = pl.concat([wf.agents_frame, reviewer_rows(reviewers, params, _rng(seed, 6))]).sort(
            "agent_id", "valid_from"
        )
        out.whole(agents, "agents")
        shifts = shifts_frame(wf, params)
        out.by_day(
            shifts.with_columns(
                day=(pl.col("shift_date") - pl.lit(params.start_date)).dt.total_days()
            ),
            "agent_shifts",
            params,
        )
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        out.close()

    truth = build_truth(
        params, ref, sk, sim, wf, acc, items, reviewers, bo_expected, all_offers, complaints
    )
    writers.atomic_write(
        out_dir / "truth.json",
        (json.dumps(truth, ensure_ascii=False, indent=2) + "\n").encode("utf-8"),
    )
    return truth
