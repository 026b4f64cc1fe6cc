"""Calls and tickets, one local day at a time, from the episode skeleton.

Every planned slot becomes attempts until one is handled:

- telephone: IVR with AI intent prediction (calibrated: P(correct) equals
  the confidence drawn from a Beta around the intent's accuracy), voice-bot
  containment for eligible, understood intents, a few IVR hang-ups, then the
  queue chosen from the prediction (a wrong route costs a transfer). The
  queue's wait model (queueing.py) and the caller's patience decide answer,
  abandonment, short abandonment or an accepted callback (answered later by
  an outbound call the customer asked for);
- online (chat, app, e-mail, video): chat-bot containment, else an agent
  response after a delay that grows with the online pool's load; impatient
  chat and video customers leave before a response.

Unhandled attempts are retried after minutes, sometimes on another channel;
after three the customer switches to the app, which always answers (unknown
customers may give up instead). Proactive topics become outbound calls
(some unanswered) and company app messages. Everything is vectorised per day
and per retry round; no Python loop runs over contacts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from pipelines.generate import calendar as cal
from pipelines.generate import queueing as qm
from pipelines.generate.episodes import Skeleton
from pipelines.generate.params import (
    APP,
    CHAT,
    EMAIL,
    FAMILY_QUEUE,
    PHONE,
    VIDEO,
    GeneratorParams,
    Reference,
)
from pipelines.generate.workforce import Workforce

# call outcomes (schema CALL_OUTCOMES order)
ANSWERED, ABANDONED, SHORT, CALLBACK, BOT = range(5)
# ticket statuses (schema TICKET_STATUSES order)
NEW, OPEN, PENDING, SOLVED, CLOSED = range(5)
MAX_RETRY_ATTEMPT = 2  # attempts 0..2 may fail; the next is a forced app message
RETRY_SWITCH = {  # P(next channel) after an unhandled attempt on a channel
    PHONE: (0.75, 0.10, 0.15, 0.0, 0.0),
    CHAT: (0.15, 0.60, 0.25, 0.0, 0.0),
    VIDEO: (0.5, 0.0, 0.0, 0.0, 0.5),
}
ONLINE_WORK_MEDIAN = np.array([0.0, 420.0, 300.0, 400.0, 600.0])  # agent seconds per channel
ONLINE_RHO_REF = 0.75


@dataclass
class Attempts:
    """A batch of contact attempts (one row per attempt)."""

    slot: np.ndarray
    t: np.ndarray
    ch: np.ndarray
    attempt: np.ndarray
    callback: np.ndarray  # an outbound callback the customer asked for

    @property
    def size(self) -> int:
        return self.slot.size

    def take(self, mask: np.ndarray) -> Attempts:
        return Attempts(
            self.slot[mask], self.t[mask], self.ch[mask], self.attempt[mask], self.callback[mask]
        )

    @staticmethod
    def concat(parts: list[Attempts]) -> Attempts:
        parts = [p for p in parts if p.size]
        if not parts:
            return Attempts.empty()
        return Attempts(
            *(
                np.concatenate([getattr(p, k) for p in parts])
                for k in ("slot", "t", "ch", "attempt", "callback")
            )
        )

    @staticmethod
    def empty() -> Attempts:
        e = np.empty(0, np.int64)
        return Attempts(e, e, e.astype(np.int8), e.astype(np.int8), e.astype(bool))


@dataclass
class Tally:
    """Counters the generator keeps from its own simulation (truth.json `realised`)."""

    counts: dict[str, float] = field(default_factory=dict)

    def add(self, key: str, value: float) -> None:
        self.counts[key] = self.counts.get(key, 0.0) + float(value)


@dataclass
class DayContacts:
    """Internal columns of one day's calls and tickets (see writers for output)."""

    calls: dict[str, np.ndarray]
    tickets: dict[str, np.ndarray]


def routing(ref: Reference, queue_names: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(family per intent, queue per family, queue per intent) as index arrays."""
    fam = ref.families
    families = sorted(set(fam))
    intent_family = np.array([families.index(f) for f in fam])
    family_queue = np.array([queue_names.index(FAMILY_QUEUE[f]) for f in families])
    return intent_family, family_queue, family_queue[intent_family]


def queue_service_seconds(ref: Reference, intent_queue: np.ndarray, n_queues: int) -> np.ndarray:
    """Mean seconds an agent spends per call (talk, hold, wrap) per queue."""
    talk = ref.intent_array("talk_median_s") * np.exp(ref.intent_array("talk_sigma") ** 2 / 2) + 10
    w = ref.intent_array("weight") * np.array([c[0] for c in ref.intent_array("channels")])
    out = np.full(n_queues, 300.0)
    for q in range(n_queues):
        m = intent_queue == q
        if m.any():
            out[q] = np.average(talk[m], weights=w[m]) + 0.35 * 60 + 35
    return out


class ContactSimulator:
    """Turns slots and proactive topics into contacts, one day per call of `run_day`."""

    def __init__(
        self,
        params: GeneratorParams,
        ref: Reference,
        sk: Skeleton,
        wf: Workforce,
        queue_names: list[str],
        seed: int,
    ) -> None:
        self.p, self.ref, self.sk, self.wf = params, ref, sk, wf
        self.seed = seed
        self.queue_names = queue_names
        self.online_skill = len(queue_names)
        self.intent_family, self.family_queue, self.intent_queue = routing(ref, queue_names)
        self.n_intents = len(ref.intent_codes)
        self.bot_p = ref.intent_array("bot") * params.bot_containment
        med = ref.intent_array("talk_median_s")
        self.talk_mu = np.log(med)
        self.talk_sigma = ref.intent_array("talk_sigma")
        self.service_seconds = queue_service_seconds(ref, self.intent_queue, len(queue_names))
        self.same_family = self._same_family_table()
        self.n_same_family = np.bincount(self.intent_family)[self.intent_family] - 1
        self.slot_bounds = np.searchsorted(sk.slot_t // cal.DAY, np.arange(params.days + 1))
        order = np.argsort(sk.pro_t, kind="stable")
        self.pro_order = order
        self.pro_bounds = np.searchsorted(sk.pro_t[order], np.arange(params.days + 1) * cal.DAY)
        self.carry = Attempts.empty()
        self.end = params.days * cal.DAY
        n_slots = sk.slot_issue.size
        self.slot_handled_t = np.full(n_slots, -1, dtype=np.int64)
        self.slot_handled_ch = np.full(n_slots, -1, dtype=np.int8)
        self.slot_handled_res = np.zeros(n_slots, dtype=bool)
        self.slot_handled_esc = np.zeros(n_slots, dtype=bool)
        self.issue_gave_up = np.zeros(sk.issue_intent.size, dtype=bool)
        self.tally = Tally()

    # ------------------------------------------------------------------ setup
    def _same_family_table(self) -> np.ndarray:
        """(intents, intents-1) alternatives, same family first, for wrong predictions."""
        k = self.n_intents
        table = np.zeros((k, k - 1), dtype=np.int64)
        for i in range(k):
            others = [j for j in range(k) if j != i]
            same = [j for j in others if self.intent_family[j] == self.intent_family[i]]
            table[i] = np.array(same + [j for j in others if j not in same])
        return table

    def rng(self, *key: int) -> np.random.Generator:
        return np.random.default_rng([self.seed, 7, *key])

    # ------------------------------------------------------------ predictions
    def predict(
        self, intent: np.ndarray, reach: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(predicted intent or -1, confidence or nan, correct) for attempts reaching the AI."""
        n = intent.size
        acc = self.sk.accuracy[intent]
        kappa = self.p.confidence_concentration
        conf = rng.beta(acc * kappa, (1 - acc) * kappa)
        correct = rng.random(n) < conf
        same_first = rng.random(n) < 0.6
        n_same = self.n_same_family
        pick_same = rng.integers(0, np.maximum(n_same[intent], 1))
        pick_any = rng.integers(0, self.n_intents - 1, n)
        col = np.where(same_first & (n_same[intent] > 0), pick_same, pick_any)
        wrong = self.same_family[intent, col]
        pred = np.where(correct, intent, wrong)
        pred = np.where(reach, pred, -1)
        conf = np.where(reach, np.round(conf, 4), np.nan)
        return pred, conf, correct & reach

    # ---------------------------------------------------------------- the day
    def run_day(self, d: int) -> DayContacts:
        rng = self.rng(d)
        day_end = (d + 1) * cal.DAY
        s0, s1 = self.slot_bounds[d], self.slot_bounds[d + 1]
        fresh_slots = np.arange(s0, s1)
        fresh_slots = fresh_slots[~self.issue_gave_up[self.sk.slot_issue[fresh_slots]]]
        fresh = Attempts(
            fresh_slots,
            self.sk.slot_t[fresh_slots],
            self.sk.slot_channel[fresh_slots].astype(np.int8),
            np.zeros(fresh_slots.size, np.int8),
            np.zeros(fresh_slots.size, bool),
        )
        carried = self.carry.take(self.carry.t < day_end)
        self.carry = self.carry.take(self.carry.t >= day_end)
        batch = Attempts.concat([fresh, carried])
        calls: list[dict[str, np.ndarray]] = []
        tickets: list[dict[str, np.ndarray]] = []
        wait_model = None
        online_lf = None
        for _round in range(6):
            if batch.size == 0:
                break
            is_phone = batch.ch == PHONE
            phone = batch.take(is_phone & ~batch.callback)
            cb = batch.take(batch.callback)
            online = batch.take(~is_phone)
            ivr = self._ivr_stage(phone, rng)
            if wait_model is None:
                wait_model = self._wait_model(d, phone, ivr)
                online_lf = self._online_load(d, online)
            assert online_lf is not None
            rec_p, retry_p, cbs = self._queue_stage(d, phone, ivr, wait_model, rng)
            rec_cb = self._callback_calls(cb, rng)
            rec_o, retry_o = self._online(d, online, online_lf, rng)
            calls += [rec_p, rec_cb]
            tickets.append(rec_o)
            nxt = Attempts.concat([retry_p, retry_o, cbs])
            nxt = nxt.take(nxt.t < self.end)
            batch = nxt.take(nxt.t < day_end)
            self.carry = Attempts.concat([self.carry, nxt.take(nxt.t >= day_end)])
        pro_calls, pro_tickets = self._proactive(d, rng)
        out = DayContacts(
            _concat_records([*calls, pro_calls]), _concat_records([*tickets, pro_tickets])
        )
        for rec in (out.calls, out.tickets):
            if rec:
                m = rec["handled"] & (rec["slot"] >= 0)
                self.slot_handled_t[rec["slot"][m]] = rec["t"][m]
                self.slot_handled_ch[rec["slot"][m]] = rec["channel"][m]
                self.slot_handled_res[rec["slot"][m]] = rec["resolved"][m] == 1
                self.slot_handled_esc[rec["slot"][m]] = rec["escalated"][m] == 1
        return out

    # -------------------------------------------------------------- telephone
    def _ivr_stage(self, a: Attempts, rng: np.random.Generator) -> dict[str, np.ndarray]:
        n = a.size
        intent = self.sk.slot_intent[a.slot]
        reach = rng.random(n) < self.p.ai_reach[PHONE]
        pred, conf, correct = self.predict(intent, reach, rng)
        esc = self.sk.slot_escalated[a.slot]
        contain_p = np.where(correct & ~esc, self.bot_p[intent], 0.0)
        contained = rng.random(n) < contain_p
        hangup = ~contained & (rng.random(n) < self.p.ivr_hangup_rate)
        ivr_s = rng.lognormal(np.log(35), 0.4, n) + np.where(
            reach, rng.lognormal(np.log(40), 0.5, n), 0
        )
        bot_s = rng.lognormal(np.log(150), 0.5, n)
        menu_ok = rng.random(n) < 0.92
        routed_family = np.where(
            reach,
            self.intent_family[np.maximum(pred, 0)],
            np.where(
                menu_ok, self.intent_family[intent], rng.integers(0, self.family_queue.size, n)
            ),
        )
        queue = self.family_queue[routed_family]
        transfers = (queue != self.intent_queue[intent]).astype(np.int64) + (rng.random(n) < 0.06)
        return {
            "intent": intent,
            "reach": reach,
            "pred": pred,
            "conf": conf,
            "contain_p": contain_p,
            "contained": contained,
            "hangup": hangup,
            "ivr_s": np.round(ivr_s).astype(np.int64),
            "bot_s": np.round(bot_s).astype(np.int64),
            "queue": queue,
            "transfers": transfers,
        }

    def _local_cell(self, d: int, queue: np.ndarray, t: np.ndarray) -> np.ndarray:
        local = np.clip(t // cal.INTERVAL - d * cal.INTERVALS_PER_DAY, 0, cal.INTERVALS_PER_DAY - 1)
        return queue * cal.INTERVALS_PER_DAY + local

    def _wait_model(self, d: int, a: Attempts, ivr: dict[str, np.ndarray]) -> qm.WaitModel:
        """Per (queue, interval) of day d; load includes an allowance for retries."""
        nq = len(self.queue_names)
        queued = ~ivr["contained"] & ~ivr["hangup"]
        cell = self._local_cell(d, ivr["queue"], a.t + ivr["ivr_s"])
        cells = nq * cal.INTERVALS_PER_DAY
        load = np.bincount(cell[queued], minlength=cells).astype(float)
        eff = self.wf.effective[:nq, d * cal.INTERVALS_PER_DAY : (d + 1) * cal.INTERVALS_PER_DAY]
        service = np.repeat(self.service_seconds, cal.INTERVALS_PER_DAY)
        args = (self.p.mean_patience_seconds, self.p.impatient_share, self.p.impatient_mean_seconds)
        first = qm.wait_model(load / cal.INTERVAL, service, eff.reshape(-1), *args, iterations=6)
        retry_load = load * (1 + 0.75 * first.p_abandon)
        return qm.wait_model(retry_load / cal.INTERVAL, service, eff.reshape(-1), *args)

    def _queue_stage(
        self,
        d: int,
        a: Attempts,
        ivr: dict[str, np.ndarray],
        model: qm.WaitModel,
        rng: np.random.Generator,
    ) -> tuple[dict[str, np.ndarray], Attempts, Attempts]:
        p = self.p
        n = a.size
        contained, hangup = ivr["contained"], ivr["hangup"]
        queued = ~contained & ~hangup
        queued_at = a.t + ivr["ivr_s"]
        cell = self._local_cell(d, ivr["queue"], queued_at)
        wait = qm.sample_waits(model, cell, rng)
        patience = qm.sample_patience(
            n, p.mean_patience_seconds, p.impatient_share, p.impatient_mean_seconds, rng
        )
        abandoned = queued & (patience < wait)
        callback = (
            queued
            & ~abandoned
            & (wait > p.callback_offer_after_seconds)
            & (rng.random(n) < p.callback_acceptance)
        )
        answered = queued & ~abandoned & ~callback
        short = abandoned & (patience < p.short_abandon_seconds)
        wait_s = np.where(
            abandoned, patience, np.where(callback, p.callback_offer_after_seconds, wait)
        )
        wait_i = np.round(wait_s).astype(np.int64)
        answered_at = queued_at + wait_i
        talk, hold, wrap = self._handle_times(ivr["intent"], ivr["transfers"], rng)
        ended = np.where(
            answered,
            answered_at + talk + hold,
            np.where(
                contained,
                a.t + ivr["ivr_s"] + ivr["bot_s"],
                np.where(hangup, a.t + ivr["ivr_s"], queued_at + wait_i),
            ),
        )
        outcome = np.select(
            [answered, contained, callback, short], [ANSWERED, BOT, CALLBACK, SHORT], ABANDONED
        )
        agent, site, mode = self._agents(ivr["queue"], answered_at, answered, rng)
        unanswered_site = self._queue_site(ivr["queue"], a.t, rng)
        handled = answered | contained
        rec = self._call_record(a, ivr, handled, rng)
        rec.update(
            queued=np.where(queued, queued_at, -1),
            answered=np.where(answered, answered_at, -1),
            ended=ended,
            hold=np.where(answered, hold, 0),
            wrap=np.where(answered, wrap, 0),
            transfers=np.where(answered, ivr["transfers"], 0),
            outcome=outcome,
            agent=agent,
            site=np.where(answered, site, np.where(queued, unanswered_site, -1)),
            mode=mode,
            queue=np.where(contained | hangup, -1, ivr["queue"]),
            wait=np.where(queued, wait_s, 0.0),
            handled=handled,
            bot=contained,
        )
        self._tally_calls(rec, ivr, queued, answered, abandoned, short, callback, wait_s)
        unhandled = hangup | abandoned
        retries = self._retries(a.take(unhandled), ended[unhandled], rng)
        cb_mask = callback
        cbs = Attempts(
            a.slot[cb_mask],
            ended[cb_mask] + rng.integers(600, 2400, int(cb_mask.sum())),
            a.ch[cb_mask],
            a.attempt[cb_mask] + 1,
            np.ones(int(cb_mask.sum()), bool),
        )
        return rec, retries, cbs

    def _handle_times(
        self, intent: np.ndarray, transfers: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        n = intent.size
        talk = rng.lognormal(self.talk_mu[intent], self.talk_sigma[intent]) * (1 + 0.25 * transfers)
        hold = np.where(rng.random(n) < 0.35, rng.exponential(60.0, n), 0.0)
        wrap = rng.lognormal(np.log(30), 0.5, n)
        return (
            np.round(talk).astype(np.int64) + 10,
            np.round(hold).astype(np.int64),
            np.round(wrap).astype(np.int64),
        )

    def _agents(
        self, skill: np.ndarray, at: np.ndarray, mask: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        agent = np.full(skill.size, -1, dtype=np.int64)
        site = np.full(skill.size, -1, dtype=np.int64)
        mode = np.full(skill.size, -1, dtype=np.int8)
        if mask.any():
            row = self.wf.assign(
                skill[mask], cal.abs_interval(at[mask]), rng.random(int(mask.sum()))
            )
            a = self.wf.row_agent[row]
            agent[mask] = a
            site[mask] = self.wf.site_of(a, self.wf.row_day[row])
            mode[mask] = self.wf.row_home[row]
        return agent, site, mode

    def _queue_site(self, queue: np.ndarray, t: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Site where an unanswered call waited: the site of a staffed agent of that queue."""
        skill = np.maximum(queue, 0)
        row = self.wf.assign(skill, cal.abs_interval(t), rng.random(queue.size))
        return self.wf.site_of(self.wf.row_agent[row], self.wf.row_day[row])

    def _call_record(
        self, a: Attempts, ivr: dict[str, np.ndarray], handled: np.ndarray, rng: np.random.Generator
    ) -> dict[str, np.ndarray]:
        slot = a.slot
        customer = self.sk.slot_customer[slot]
        n = slot.size
        return {
            "slot": slot,
            "t": a.t,
            "attempt": a.attempt.astype(np.int64),
            "channel": a.ch.astype(np.int64),
            "customer": customer,
            "number_key": np.where((customer >= 0) & (rng.random(n) < 0.9), customer, -1 - slot),
            "direction": np.zeros(n, np.int64),
            "initiated": np.zeros(n, np.int64),
            "pred": ivr["pred"],
            "conf": ivr["conf"],
            "intent": np.where(handled, ivr["intent"], -1),
            "resolved": np.where(handled, self.sk.slot_resolved[slot].astype(np.int64), -1),
            "escalated": (handled & self.sk.slot_escalated[slot]).astype(np.int64),
        }

    def _tally_calls(
        self,
        rec: dict[str, np.ndarray],
        ivr: dict[str, np.ndarray],
        queued: np.ndarray,
        answered: np.ndarray,
        abandoned: np.ndarray,
        short: np.ndarray,
        callback: np.ndarray,
        wait: np.ndarray,
    ) -> None:
        t = self.tally
        t.add("calls_inbound", queued.size)
        t.add("calls_queued", queued.sum())
        t.add("calls_short_abandon", short.sum())
        t.add("calls_abandoned", (abandoned & ~short).sum())
        t.add("calls_callback_requested", callback.sum())
        t.add("calls_answered_inbound", answered.sum())
        t.add("calls_answered_within_sl", (answered & (wait <= self.p.service_level_seconds)).sum())
        t.add("calls_answered_wait_seconds", wait[answered].sum())
        t.add("calls_bot_contained", ivr["contained"].sum())
        t.add("calls_ivr_hangup", ivr["hangup"].sum())
        self._tally_ai(
            ivr["reach"],
            ivr["pred"],
            rec["intent"],
            ivr["conf"],
            ivr["contain_p"],
            ivr["contained"],
        )

    def _tally_ai(
        self,
        reach: np.ndarray,
        pred: np.ndarray,
        intent: np.ndarray,
        conf: np.ndarray,
        contain_p: np.ndarray,
        contained: np.ndarray,
    ) -> None:
        t = self.tally
        known = reach & (intent >= 0)
        t.add("ai_reached", reach.sum())
        t.add("ai_contained", (contained & reach).sum())
        t.add("ai_contain_probability_sum", contain_p[reach].sum())
        t.add("pred_with_intent", known.sum())
        t.add("pred_correct", (known & (pred == intent)).sum())
        t.add("pred_confidence_sum", np.nansum(conf[known]))

    def _callback_calls(self, a: Attempts, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """Outbound calls that answer a customer's callback request (always reached)."""
        n = a.size
        intent = self.sk.slot_intent[a.slot]
        queue = self.intent_queue[intent]
        answered_at = a.t + rng.integers(5, 20, n)
        talk, hold, wrap = self._handle_times(intent, np.zeros(n, np.int64), rng)
        agent, site, mode = self._agents(queue, answered_at, np.ones(n, bool), rng)
        rec = self._call_record(
            a,
            {"pred": np.full(n, -1), "conf": np.full(n, np.nan), "intent": intent},
            np.ones(n, bool),
            rng,
        )
        rec.update(
            direction=np.ones(n, np.int64),
            queued=np.full(n, -1),
            answered=answered_at,
            ended=answered_at + talk + hold,
            hold=hold,
            wrap=wrap,
            transfers=np.zeros(n, np.int64),
            outcome=np.full(n, ANSWERED),
            agent=agent,
            site=site,
            mode=mode,
            queue=queue,
            wait=np.zeros(n),
            handled=np.ones(n, bool),
            bot=np.zeros(n, bool),
        )
        self.tally.add("calls_callback_made", n)
        return rec

    def _retries(self, a: Attempts, ended: np.ndarray, rng: np.random.Generator) -> Attempts:
        """Next attempt after an unhandled one: minutes later, maybe on another channel."""
        n = a.size
        if n == 0:
            return Attempts.empty()
        nxt = a.attempt + 1
        ch = a.ch.copy()
        u = rng.random(n)
        for src, probs in RETRY_SWITCH.items():
            m = a.ch == src
            cum = np.cumsum(probs)
            ch = np.where(m, np.minimum(np.searchsorted(cum, u), 4), ch).astype(np.int8)
        forced = nxt > MAX_RETRY_ATTEMPT
        ch = np.where(forced, APP, ch).astype(np.int8)
        delay = 60 + np.minimum(rng.exponential(900.0, n), 2400)
        anon = self.sk.slot_customer[a.slot] < 0
        give_up = forced & anon & (rng.random(n) < 0.5)
        self.issue_gave_up[self.sk.slot_issue[a.slot[give_up]]] = True
        self.tally.add("attempts_given_up", give_up.sum())
        keep = ~give_up
        return Attempts(
            a.slot[keep],
            (ended + delay).astype(np.int64)[keep],
            ch[keep],
            nxt[keep],
            np.zeros(int(keep.sum()), bool),
        )

    # ----------------------------------------------------------------- online
    def _online_load(self, d: int, a: Attempts) -> np.ndarray:
        """Load factor per interval of day d for the online pool (1 = planned load)."""
        local = np.clip(
            a.t // cal.INTERVAL - d * cal.INTERVALS_PER_DAY, 0, cal.INTERVALS_PER_DAY - 1
        )
        work = (
            ONLINE_WORK_MEDIAN[a.ch]
            * 1.15
            / np.where(np.isin(a.ch, (CHAT, APP)), self.p.chat_concurrency, 1.0)
        )
        load = np.bincount(local, weights=work, minlength=cal.INTERVALS_PER_DAY)
        cap = (
            self.wf.effective[
                self.online_skill, d * cal.INTERVALS_PER_DAY : (d + 1) * cal.INTERVALS_PER_DAY
            ]
            * cal.INTERVAL
        )
        rho = load / np.maximum(cap, 1.0)
        return np.clip((1 - ONLINE_RHO_REF) / (1 - np.minimum(rho, 0.97)), 0.6, 12.0)

    def _online(
        self, d: int, a: Attempts, lf: np.ndarray, rng: np.random.Generator
    ) -> tuple[dict[str, np.ndarray], Attempts]:
        p = self.p
        n = a.size
        slot = a.slot
        intent = self.sk.slot_intent[slot]
        ch = a.ch.astype(np.int64)
        reach = rng.random(n) < np.array(p.ai_reach)[ch]
        pred, conf, correct = self.predict(intent, reach, rng)
        esc = self.sk.slot_escalated[slot]
        bot_channel = np.isin(ch, (CHAT, APP))
        contain_p = np.where(correct & ~esc & bot_channel, self.bot_p[intent], 0.0)
        contained = rng.random(n) < contain_p
        local = np.clip(
            a.t // cal.INTERVAL - d * cal.INTERVALS_PER_DAY, 0, cal.INTERVALS_PER_DAY - 1
        )
        f = lf[local]
        delay = np.select(
            [ch == CHAT, ch == VIDEO, ch == APP],
            [
                rng.exponential(30.0, n) * f,
                rng.exponential(45.0, n) * f,
                rng.lognormal(np.log(150.0), 0.8, n) * f,
            ],
            rng.lognormal(np.log(7200.0), 0.7, n) * np.sqrt(f),
        )
        delay = np.where(contained, rng.integers(2, 6, n), np.round(delay) + 1).astype(np.int64)
        patience = np.select(
            [ch == CHAT, ch == VIDEO],
            [rng.exponential(300.0, n), rng.exponential(240.0, n)],
            np.inf,
        )
        left = ~contained & (patience < delay) & (a.attempt <= MAX_RETRY_ATTEMPT)
        first = a.t + delay
        late = first >= self.end  # no response yet when the data was exported
        handled = ~left & ~late
        resolved = self.sk.slot_resolved[slot]
        work = rng.lognormal(np.log(np.maximum(ONLINE_WORK_MEDIAN[ch], 60.0)), 0.5)
        solve_gap = np.select(
            [contained, ch == APP, ch == EMAIL],
            [
                rng.lognormal(np.log(90.0), 0.5, n),
                rng.lognormal(np.log(2400.0), 0.8, n),
                rng.lognormal(np.log(72000.0), 0.8, n),
            ],
            work,
        )
        solved = first + np.round(solve_gap).astype(np.int64)
        solved_ok = handled & resolved & (solved < self.end)
        agent_mask = handled & ~contained
        agent, site, mode = self._agents(np.full(n, self.online_skill), first, agent_mask, rng)
        status = np.select(
            [
                solved_ok & (solved < self.end - 3 * cal.DAY),
                solved_ok,
                handled & esc,
                handled,
                left,
            ],
            [CLOSED, SOLVED, PENDING, OPEN, CLOSED],
            NEW,
        )
        false_res = resolved & ~self.sk.slot_last[slot]
        reopened = (solved_ok & false_res & (rng.random(n) < 0.3)).astype(np.int64)
        customer = self.sk.slot_customer[slot]
        rec = {
            "slot": slot,
            "t": a.t,
            "attempt": a.attempt.astype(np.int64),
            "channel": ch,
            "customer": customer,
            "initiated": np.zeros(n, np.int64),
            "first": np.where(handled, first, -1),
            "solved": np.where(solved_ok, solved, -1),
            "reopened": reopened,
            "by": np.where(handled, np.where(contained, 1, 0), -1),
            "agent": agent,
            "site": site,
            "mode": mode,
            "intent": np.where(handled, intent, -1),
            "pred": pred,
            "conf": conf,
            "status": status,
            "escalated": (handled & esc).astype(np.int64),
            "handled": handled,
            "bot": contained & handled,
            "resolved": np.where(handled, solved_ok.astype(np.int64), -1),
            "wait": np.where(handled, delay, 0).astype(float),
            "transfers": np.zeros(n, np.int64),
            "hold": np.zeros(n, np.int64),
            "email": (ch == EMAIL) | (rng.random(n) < 0.5),
        }
        self._tally_ai(reach, pred, rec["intent"], conf, contain_p, contained)
        self.tally.add("tickets_customer", n)
        self.tally.add("tickets_unanswered", left.sum())
        self.tally.add("tickets_bot_handled", (contained & handled).sum())
        retries = self._retries(
            a.take(left), a.t[left] + np.minimum(patience[left], delay[left]).astype(np.int64), rng
        )
        return rec, retries

    # -------------------------------------------------------------- proactive
    def _proactive(
        self, d: int, rng: np.random.Generator
    ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        idx = self.pro_order[self.pro_bounds[d] : self.pro_bounds[d + 1]]
        sk = self.sk
        phone = idx[sk.pro_channel[idx] == PHONE]
        app = idx[sk.pro_channel[idx] == APP]
        return self._outbound_calls(phone, rng), self._company_messages(app, rng)

    def _outbound_calls(self, idx: np.ndarray, rng: np.random.Generator) -> dict[str, np.ndarray]:
        n = idx.size
        sk = self.sk
        intent = sk.pro_intent[idx]
        t = sk.pro_t[idx]
        pickup = rng.random(n) < self.p.outbound_pickup_rate
        queue = self.intent_queue[intent]
        answered_at = t + rng.integers(8, 25, n)
        talk, _hold, wrap = self._handle_times(intent, np.zeros(n, np.int64), rng)
        talk = np.round(talk * 0.6).astype(np.int64)
        agent, site, mode = self._agents(queue, t, np.ones(n, bool), rng)
        self.tally.add("proactive_calls", n)
        self.tally.add("proactive_calls_answered", pickup.sum())
        return {
            "slot": np.full(n, -1),
            "t": t,
            "attempt": np.zeros(n, np.int64),
            "channel": np.zeros(n, np.int64),
            "customer": sk.pro_customer[idx],
            "number_key": sk.pro_customer[idx],
            "direction": np.ones(n, np.int64),
            "initiated": np.ones(n, np.int64),
            "pred": np.full(n, -1),
            "conf": np.full(n, np.nan),
            "intent": intent,
            "resolved": np.where(pickup, 1, -1),
            "escalated": np.zeros(n, np.int64),
            "queued": np.full(n, -1),
            "answered": np.where(pickup, answered_at, -1),
            "ended": np.where(pickup, answered_at + talk, t + rng.integers(25, 45, n)),
            "hold": np.zeros(n, np.int64),
            "wrap": np.where(pickup, wrap, 0),
            "transfers": np.zeros(n, np.int64),
            "outcome": np.where(pickup, ANSWERED, ABANDONED),
            "agent": np.where(pickup, agent, -1),
            "site": site,
            "mode": np.where(pickup, mode, -1),
            "queue": queue,
            "wait": np.zeros(n),
            "handled": pickup,
            "bot": np.zeros(n, bool),
            "pro": idx,
        }

    def _company_messages(self, idx: np.ndarray, rng: np.random.Generator) -> dict[str, np.ndarray]:
        n = idx.size
        sk = self.sk
        t = sk.pro_t[idx]
        by_bot = rng.random(n) < 0.7
        agent, site, mode = self._agents(np.full(n, self.online_skill), t, ~by_bot, rng)
        solved = t + rng.integers(60, 1800, n)
        self.tally.add("proactive_messages", n)
        return {
            "slot": np.full(n, -1),
            "t": t,
            "attempt": np.zeros(n, np.int64),
            "channel": np.full(n, APP, np.int64),
            "customer": sk.pro_customer[idx],
            "initiated": np.ones(n, np.int64),
            "first": t,
            "solved": np.where(solved < self.end, solved, -1),
            "reopened": np.zeros(n, np.int64),
            "by": by_bot.astype(np.int64),
            "agent": agent,
            "site": site,
            "mode": mode,
            "intent": sk.pro_intent[idx],
            "pred": np.full(n, -1),
            "conf": np.full(n, np.nan),
            "status": np.where(solved < self.end - 3 * cal.DAY, CLOSED, SOLVED),
            "escalated": np.zeros(n, np.int64),
            "handled": np.ones(n, bool),
            "bot": by_bot,
            "resolved": np.ones(n, np.int64),
            "wait": np.zeros(n),
            "transfers": np.zeros(n, np.int64),
            "hold": np.zeros(n, np.int64),
            "email": rng.random(n) < 0.5,
            "pro": idx,
        }


def _concat_records(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    parts = [p for p in parts if p and next(iter(p.values())).size]
    if not parts:
        return {}
    keys = set().union(*(p.keys() for p in parts))
    out: dict[str, np.ndarray] = {}
    for k in keys:
        cols = []
        for p in parts:
            n = next(iter(p.values())).size
            cols.append(p[k] if k in p else np.full(n, -1))
        out[k] = np.concatenate(cols)
    return out
