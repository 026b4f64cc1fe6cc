"""Customer issues and their planned handled contacts (the episode skeleton).

An *issue* is what the warehouse will see as an episode: one customer, one
intent. Its first handled contact resolves it with the intent's planted
probability `p_first_contact_resolution`. When it does, that contact is
marked resolved, is not escalated, and the customer never returns on that
intent (pairs are unique, see customers.py). When it does not, the contact is
escalated to the back office, or marked unresolved, or marked resolved
falsely; the customer then returns (always after a false resolution, often
otherwise) strictly within the 7-day window of the previous handled contact,
possibly on another channel. Later contacts resolve with
`p_next_contact_resolves`.

Each planned handled contact is a *slot*; the contact simulation turns a slot
into one handled contact, preceded by any unhandled attempts (abandoned
calls, unanswered chats) the queues produce.

Proactive topics (company-initiated outbound calls and app messages) are
planted here too; with probability `1 - preemption_rate` the customer still
contacts the centre on that intent within the window (a spawned issue).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from pipelines.generate import calendar as cal
from pipelines.generate.customers import CustomerBase, assign_unique_customers
from pipelines.generate.params import APP, PHONE, GeneratorParams, Reference, rescale_to_mean

MIN_REPEAT_GAP = 6 * 3600  # later slots start at least 6 h after the previous one
MAX_REPEAT_GAP = int(6.8 * cal.DAY)  # and strictly inside the 7-day window
REPEAT_DAY_OFFSETS = np.array([0.30, 0.25, 0.15, 0.10, 0.08, 0.07, 0.05])
SAME_CHANNEL_REPEAT = 0.55
ATTEMPT_OVERHEAD = 1.08  # unhandled attempts per handled contact (estimate for sizing)


@dataclass
class Skeleton:
    """Issues, slots (planned handled contacts) and proactive topics."""

    # issues
    issue_intent: np.ndarray
    issue_customer: np.ndarray  # -1 = unknown customer
    issue_start: np.ndarray
    issue_spawned: np.ndarray  # follows a proactive contact that did not pre-empt it
    issue_channel: np.ndarray  # channel of the first planned contact
    p_fcr: np.ndarray  # per intent, planted
    p_esc: np.ndarray  # per intent: P(escalate | first contact fails)
    accuracy: np.ndarray  # per intent, planted prediction accuracy
    # slots, ordered by local day of the planned time
    slot_issue: np.ndarray
    slot_h: np.ndarray
    slot_t: np.ndarray
    slot_channel: np.ndarray
    slot_resolved: np.ndarray  # resolved_flag the handling contact will carry
    slot_escalated: np.ndarray
    slot_p_esc: np.ndarray  # probability of escalation that was planted for the slot
    slot_last: np.ndarray  # no later slot follows in the plan
    # proactive topics
    pro_intent: np.ndarray
    pro_customer: np.ndarray
    pro_t: np.ndarray
    pro_channel: np.ndarray  # PHONE (outbound call) or APP (company message)
    pro_preempted: np.ndarray
    n_customers: int

    slot_intent: np.ndarray = field(init=False)
    slot_customer: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.slot_intent = self.issue_intent[self.slot_issue]
        self.slot_customer = self.issue_customer[self.slot_issue]


@dataclass
class Plan:
    """Per slot position h: the issues that have a slot there and its flags.

    `parent[h]` is each row's position among the rows of position h - 1.
    """

    rows: list[np.ndarray] = field(default_factory=list)
    parent: list[np.ndarray] = field(default_factory=list)
    resolved: list[np.ndarray] = field(default_factory=list)
    escalated: list[np.ndarray] = field(default_factory=list)
    p_esc: list[np.ndarray] = field(default_factory=list)
    last: list[np.ndarray] = field(default_factory=list)


def expected_slots(p_fcr: np.ndarray, p_esc: np.ndarray, params: GeneratorParams) -> np.ndarray:
    """Expected handled contacts per issue, per intent (used to size volumes)."""
    f = params.false_resolution_share

    def cont(p_fail: np.ndarray) -> np.ndarray:
        unres = (1 - p_esc) * (f + (1 - f) * params.p_repeat_after_unresolved)
        return p_fail * (p_esc * params.p_repeat_after_escalation + unres)

    c0 = cont(1 - p_fcr)
    r = cont(np.full_like(p_fcr, 1 - params.p_next_contact_resolves))
    total = np.ones_like(p_fcr)
    term = c0.copy()
    for _ in range(params.max_handled_contacts - 1):
        total += term
        term = term * r
    return total


def draw_plan(
    intent: np.ndarray,
    anon: np.ndarray,
    p_fcr: np.ndarray,
    p_esc: np.ndarray,
    params: GeneratorParams,
    rng: np.random.Generator,
) -> Plan:
    """Slot flags per position; later positions only for issues still open."""
    plan = Plan()
    rows = np.arange(intent.size)
    parent = rows
    for h in range(params.max_handled_contacts):
        k = intent[rows]
        p_res = p_fcr[k] if h == 0 else np.full(rows.size, params.p_next_contact_resolves)
        pe = p_esc[k]
        u = rng.random((4, rows.size))
        res = u[0] < p_res
        esc = ~res & (u[1] < pe)
        false_res = ~res & ~esc & (u[2] < params.false_resolution_share)
        unres = ~res & ~esc & ~false_res
        cont = (esc & (u[3] < params.p_repeat_after_escalation)) | false_res
        cont |= unres & (u[3] < params.p_repeat_after_unresolved)
        cont &= ~anon[rows] & (h + 1 < params.max_handled_contacts)
        plan.rows.append(rows)
        plan.parent.append(parent)
        plan.resolved.append(res | false_res)
        plan.escalated.append(esc)
        plan.p_esc.append((1 - p_res) * pe)
        plan.last.append(~cont)
        parent = np.flatnonzero(cont)
        rows = rows[parent]
        if rows.size == 0:
            break
    return plan


def _channels(intent: np.ndarray, weights: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Channel per row from each intent's channel preference (inverse CDF)."""
    cum = np.cumsum(weights / weights.sum(axis=1, keepdims=True), axis=1)
    u = rng.random(intent.size)
    out = np.zeros(intent.size, dtype=np.int8)
    for j in range(weights.shape[1] - 1):
        out += u > cum[:, j][intent]
    return out


def _time_of_day(channel: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    phone = cal.sample_time_of_day(cal.PHONE_PROFILE, channel.size, rng)
    online = cal.sample_time_of_day(cal.ONLINE_PROFILE, channel.size, rng)
    return np.where(channel == PHONE, phone, online)


def _repeat_times(prev: np.ndarray, channel: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    n = prev.size
    offset = rng.choice(REPEAT_DAY_OFFSETS.size, size=n, p=REPEAT_DAY_OFFSETS)
    t = (prev // cal.DAY + offset) * cal.DAY + _time_of_day(channel, rng)
    early = t < prev + MIN_REPEAT_GAP
    t = np.where(early, prev + MIN_REPEAT_GAP + rng.exponential(3600.0, n).astype(np.int64), t)
    return np.minimum(t, prev + MAX_REPEAT_GAP)


def _day_counts(total: float, factors: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    expected = total * factors
    return rng.poisson(expected)


def build_skeleton(params: GeneratorParams, ref: Reference, rng: np.random.Generator) -> Skeleton:
    weights = ref.intent_array("weight")
    weights = weights / weights.sum()
    p_fcr = rescale_to_mean(ref.intent_array("fcr"), weights, params.fcr_mean)
    has_bt = np.array([ref_bt is not None for ref_bt in ref.intent_array("business_type")])
    p_esc = np.where(has_bt, ref.intent_array("esc"), 0.0)
    accuracy = rescale_to_mean(ref.intent_array("acc"), weights, params.prediction_accuracy)
    ch_weights = np.array([list(c) for c in ref.intent_array("channels")], dtype=float)

    slots_per_issue = float((expected_slots(p_fcr, p_esc, params) * weights).sum())
    s = params.proactive_share
    pickup_mix = 0.5 * params.outbound_pickup_rate + 0.5  # handled proactive per topic
    # proactive contacts (rows) per handled customer contact
    pro_rows = s / (1 - s) / pickup_mix
    per_issue = slots_per_issue * ATTEMPT_OVERHEAD * (1 + pro_rows)
    factors = cal.actual_day_factors(params, rng)
    issues_per_day = params.contacts_per_day / per_issue
    counts = _day_counts(issues_per_day, factors, rng)
    n = int(counts.sum())
    day = np.repeat(np.arange(params.days), counts)
    intent = rng.choice(weights.size, size=n, p=weights)
    channel = _channels(intent, ch_weights, rng)
    start = day * cal.DAY + _time_of_day(channel, rng)
    # unknown customers make one contact per issue; scale so their share of contacts holds
    u = params.unknown_customer_share
    rows_known = slots_per_issue * (1 + pro_rows)  # contact rows per known issue, incl. proactive
    anon = rng.random(n) < u * rows_known / (1 - u + u * rows_known)

    # proactive topics
    handled_target = s / (1 - s) * n * slots_per_issue / pickup_mix
    pro_w = ref.intent_array("proactive")
    pro_w = pro_w / pro_w.sum()
    wd = cal.weekday_factors(params)
    n_pro = int(rng.poisson(max(handled_target, 0.0)))
    pro_day = rng.choice(params.days, size=n_pro, p=wd / wd.sum())
    pro_t = pro_day * cal.DAY + cal.sample_time_of_day(cal.PROACTIVE_PROFILE, n_pro, rng)
    pro_intent = rng.choice(weights.size, size=n_pro, p=pro_w)
    pro_channel = np.where(rng.random(n_pro) < 0.5, PHONE, APP).astype(np.int8)
    pro_preempted = rng.random(n_pro) < params.preemption_rate

    # unique (customer, intent) pairs for every topic
    n_customers = params.customers or max(5000, int(0.9 * (n + n_pro)))
    base = CustomerBase(n_customers)
    customer = np.full(n, -1, dtype=np.int64)
    pro_customer = np.empty(n_pro, dtype=np.int64)
    known = ~anon
    need = np.bincount(intent[known], minlength=weights.size) + np.bincount(
        pro_intent, minlength=weights.size
    )
    if need.max(initial=0) > n_customers:
        raise ValueError("--customers is too small for unique (customer, intent) pairs.")
    drawn = assign_unique_customers(need, base, rng)
    for k in range(weights.size):
        iss = np.flatnonzero(known & (intent == k))
        pro = np.flatnonzero(pro_intent == k)
        customer[iss] = drawn[k][: iss.size]
        pro_customer[pro] = drawn[k][iss.size : iss.size + pro.size]

    # issues spawned by proactive contacts that did not pre-empt
    spawn = ~pro_preempted
    gap = np.minimum(2 * 3600 + rng.exponential(1.5 * cal.DAY, int(spawn.sum())), 6.5 * cal.DAY)
    sp_intent = pro_intent[spawn]
    sp_channel = _channels(sp_intent, ch_weights, rng)
    intent = np.concatenate([intent, sp_intent])
    customer = np.concatenate([customer, pro_customer[spawn]])
    start = np.concatenate([start, pro_t[spawn] + gap.astype(np.int64)])
    channel = np.concatenate([channel, sp_channel])
    anon = np.concatenate([anon, np.zeros(sp_intent.size, dtype=bool)])
    spawned = np.concatenate([np.zeros(n, dtype=bool), np.ones(sp_intent.size, dtype=bool)])

    plan = draw_plan(intent, anon, p_fcr, p_esc, params, rng)
    slots = _slots(plan, start, channel, intent, ch_weights, params, rng)
    return Skeleton(
        issue_intent=intent,
        issue_customer=customer,
        issue_start=start,
        issue_spawned=spawned,
        issue_channel=channel,
        p_fcr=p_fcr,
        p_esc=p_esc,
        accuracy=accuracy,
        pro_intent=pro_intent,
        pro_customer=pro_customer,
        pro_t=pro_t,
        pro_channel=pro_channel,
        pro_preempted=pro_preempted,
        n_customers=n_customers,
        **slots,
    )


def _slots(
    plan: Plan,
    start: np.ndarray,
    channel: np.ndarray,
    intent: np.ndarray,
    ch_weights: np.ndarray,
    params: GeneratorParams,
    rng: np.random.Generator,
) -> dict[str, np.ndarray]:
    """Time and channel of every slot; slots ordered by local day (radix sort)."""
    times, chans = [start.astype(np.int64)], [channel.astype(np.int8)]
    for h in range(1, len(plan.rows)):
        par = plan.parent[h]
        same = rng.random(par.size) < SAME_CHANNEL_REPEAT
        fresh = _channels(intent[plan.rows[h]], ch_weights, rng)
        chans.append(np.where(same, chans[h - 1][par], fresh).astype(np.int8))
        times.append(_repeat_times(times[h - 1][par], chans[h], rng))
    t = np.concatenate(times)
    order = np.argsort((t // cal.DAY).astype(np.int16), kind="stable")
    h_idx = np.concatenate([np.full(r.size, h, dtype=np.int8) for h, r in enumerate(plan.rows)])
    return {
        "slot_issue": np.concatenate(plan.rows)[order],
        "slot_h": h_idx[order],
        "slot_t": t[order],
        "slot_channel": np.concatenate(chans)[order],
        "slot_resolved": np.concatenate(plan.resolved)[order],
        "slot_escalated": np.concatenate(plan.escalated)[order],
        "slot_p_esc": np.concatenate(plan.p_esc)[order],
        "slot_last": np.concatenate(plan.last)[order],
    }
