"""Agents, rosters and shifts: who is logged in, where, and from home or office.

Planners forecast each skill's load per 30-minute interval (weekly curve and
part of the surge), size it with Erlang C to the service-level target,
and cover the need greedily with 9-hour shift templates (day starts from
06:00 to 14:00, a 22:00 night shift). Rosters per skill are spread over the
nine sites (headquarters about a quarter); agents rest two days a week, are
office-based, hybrid or home-based, and attend about 98% of scheduled shifts.
During the disruption the affected site works mostly from home with lower
attendance; other sites absorb part of the lost capacity with unscheduled
extra shifts. A few agents move site mid-period (a second agents.csv row).

The result also serves the contact simulation: effective staffed agents per
skill and interval (availability x productivity; home agents work at
`home_productivity` of office pace) and a weighted draw of the agent who
answers a given contact.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import polars as pl

from pipelines.generate.calendar import INTERVAL, INTERVALS_PER_DAY
from pipelines.generate.params import SITE_AGENT_SHARE, GeneratorParams, Reference

SHIFT_INTERVALS = 18  # 9 hours including a 1-hour break
SHIFT_WORK_SECONDS = 8 * 3600
NIGHT_START = 44  # 22:00
LATEST_DAY_START = 32  # 16:00 (ends at 01:00)
EARLIEST_DAY_START = 12  # 06:00
EARLY_CARRY = 14  # a night shift covers up to 07:00 the next day
OFFICE, HOME = 0, 1


@dataclass
class Workforce:
    """Agents, their shifts, and the staffing the contact simulation sees."""

    skills: list[str]
    agent_ids: np.ndarray  # str, index = agent number
    agent_skill: np.ndarray  # int
    site_before: np.ndarray  # int (site index)
    site_after: np.ndarray  # int
    move_day: np.ndarray  # int, days (>= days when the agent never moves)
    site_codes: list[str]
    agents_frame: pl.DataFrame  # agents.csv rows (contact centre)
    shifts: pl.DataFrame  # one row per agent-day (internal columns)
    effective: np.ndarray  # (skills, abs intervals) effective agents
    _keys: np.ndarray
    _cum: np.ndarray
    _row: np.ndarray  # present-shift row of each table entry
    row_agent: np.ndarray  # per present shift: agent, day, works from home
    row_day: np.ndarray
    row_home: np.ndarray
    _fill: np.ndarray  # (skills, abs intervals) nearest staffed interval

    @property
    def n_abs(self) -> int:
        return self.effective.shape[1]

    def assign(self, skill: np.ndarray, interval: np.ndarray, u: np.ndarray) -> np.ndarray:
        """Present-shift rows answering contacts in (skill, interval), drawn by weight."""
        interval = np.clip(interval, 0, self.n_abs - 1)
        interval = self._fill[skill, interval]
        key = skill.astype(np.int64) * self.n_abs + interval
        lo = np.searchsorted(self._keys, key, side="left")
        hi = np.searchsorted(self._keys, key, side="right")
        base = np.where(lo > 0, self._cum[np.maximum(lo - 1, 0)], 0.0)
        top = self._cum[np.maximum(hi - 1, 0)]
        target = base + u * (top - base)
        idx = np.searchsorted(self._cum, target, side="right")
        idx = np.clip(idx, lo, np.maximum(hi - 1, lo))
        return self._row[idx]

    def site_of(self, agent: np.ndarray, day: np.ndarray) -> np.ndarray:
        return np.where(
            day >= self.move_day[agent], self.site_after[agent], self.site_before[agent]
        )


def _largest_remainder(total: int, shares: np.ndarray) -> np.ndarray:
    raw = shares / shares.sum() * total
    counts = np.floor(raw).astype(np.int64)
    rest = total - counts.sum()
    counts[np.argsort(-(raw - counts))[:rest]] += 1
    return counts


def headcount_need(required_effective: np.ndarray, params: GeneratorParams) -> np.ndarray:
    """Agents on shift needed per interval so that enough are effectively available."""
    prod = 1.0 - params.home_share * (1.0 - params.home_productivity)
    per_agent = (
        params.availability_ratio
        * prod
        * params.attendance
        * (SHIFT_WORK_SECONDS / (SHIFT_INTERVALS * INTERVAL))
    )
    need = required_effective * params.staffing_budget / per_agent
    return np.maximum(np.ceil(need), 1).astype(np.int64)


def cover_with_shifts(need: np.ndarray) -> list[list[int]]:
    """Greedy shift starts per day (list of start intervals) covering `need` (days, 48)."""
    days = need.shape[0]
    night = np.empty(days, dtype=np.int64)
    for d in range(days):
        nxt = need[d + 1, :EARLY_CARRY].max() if d + 1 < days else need[d, :EARLY_CARRY].max()
        night[d] = max(need[d, NIGHT_START:].max(), nxt)
    starts: list[list[int]] = []
    for d in range(days):
        cover = np.zeros(INTERVALS_PER_DAY + SHIFT_INTERVALS, dtype=np.int64)
        day_starts: list[int] = []
        carry = night[d - 1] if d > 0 else need[0, :EARLY_CARRY].max()
        if d == 0:
            day_starts += [0] * int(carry)  # a shift from midnight on the first day
        cover[:EARLY_CARRY] += carry
        cover[NIGHT_START:] += night[d]
        day_starts += [NIGHT_START] * int(night[d])
        for t in range(EARLIEST_DAY_START, NIGHT_START):
            deficit = need[d, t] - cover[t]
            if deficit > 0:
                s = min(t, LATEST_DAY_START)
                cover[s : s + SHIFT_INTERVALS] += deficit
                day_starts += [s] * int(deficit)
        starts.append(day_starts)
    return starts


@dataclass
class Roster:
    skill: np.ndarray
    site: np.ndarray
    rest_start: np.ndarray
    home_prob: np.ndarray
    hire_day: np.ndarray


def build_roster(
    shift_starts: dict[int, list[list[int]]],
    params: GeneratorParams,
    site_codes: list[str],
    rng: np.random.Generator,
) -> Roster:
    skills, sites = [], []
    shares = np.array([SITE_AGENT_SHARE[s] for s in site_codes])
    for skill_no, starts in shift_starts.items():
        peak = max(len(s) for s in starts)
        size = int(np.ceil(peak * 7 / 5 * 1.12)) + 2
        counts = _largest_remainder(size, shares)
        sites.append(rng.permutation(np.repeat(np.arange(len(site_codes)), counts)))
        skills.append(np.full(size, skill_no))
    skill = np.concatenate(skills)
    site = np.concatenate(sites)
    n = skill.size
    # work style stratified per skill so every pool has the same home share
    home_prob = np.zeros(n)
    for pool in np.unique(skill):
        members = rng.permutation(np.flatnonzero(skill == pool))
        full = round(members.size * params.home_share * 0.55)
        hybrid = round(members.size * params.home_share * 0.9)
        home_prob[members[:full]] = 1.0
        home_prob[members[full : full + hybrid]] = 0.5
    hire_day = np.where(rng.random(n) < 0.04, rng.integers(0, max(params.days, 1), n), -1)
    return Roster(skill, site, rng.integers(0, 7, n), home_prob, hire_day)


def _day_assignment(
    roster: Roster,
    shift_starts: dict[int, list[list[int]]],
    params: GeneratorParams,
    dis_site: int,
    rng: np.random.Generator,
) -> pl.DataFrame:
    """One row per agent-day with a shift: start, scheduled, attendance, mode."""
    n = roster.skill.size
    start_weekday = params.start_date.weekday()
    night_prev = np.zeros(n, dtype=bool)
    dis_from = (params.disruption_start - params.start_date).days
    dis_to = (params.disruption_end - params.start_date).days
    rows: list[dict[str, np.ndarray]] = []
    for d in range(params.days):
        weekday = (start_weekday + d) % 7
        resting = ((weekday - roster.rest_start) % 7) < 2
        hired = roster.hire_day <= d
        in_dis = dis_from <= d <= dis_to
        busy = np.zeros(n, dtype=bool)
        day_agents, day_start, day_sched = [], [], []
        for skill, starts in shift_starts.items():
            need = len(starts[d])
            pool = np.flatnonzero((roster.skill == skill) & hired & ~night_prev)
            prio = rng.random(pool.size) + resting[pool]  # rested agents last
            chosen = pool[np.argsort(prio)[:need]]
            st = rng.permutation(np.array(starts[d], dtype=np.int64))[: chosen.size]
            day_agents.append(chosen)
            day_start.append(st)
            day_sched.append(np.ones(chosen.size, dtype=bool))
            busy[chosen] = True
        agents = np.concatenate(day_agents)
        start = np.concatenate(day_start)
        sched = np.concatenate(day_sched)
        at_dis = (roster.site[agents] == dis_site) & in_dis
        attend_p = np.where(at_dis, params.disruption_attendance, params.attendance)
        present = rng.random(agents.size) < attend_p
        home_p = np.where(at_dis, params.disruption_home_share, roster.home_prob[agents])
        home = rng.random(agents.size) < home_p
        if in_dis:
            extra_a, extra_s = _absorb(
                roster,
                agents,
                start,
                present,
                home,
                busy | ~hired | night_prev,
                dis_site,
                params,
                rng,
            )
            agents = np.concatenate([agents, extra_a])
            start = np.concatenate([start, extra_s])
            sched = np.concatenate([sched, np.zeros(extra_a.size, dtype=bool)])
            present = np.concatenate([present, np.ones(extra_a.size, dtype=bool)])
            home = np.concatenate([home, rng.random(extra_a.size) < roster.home_prob[extra_a]])
            attend_p = np.concatenate([attend_p, np.ones(extra_a.size)])
        night_prev = np.zeros(n, dtype=bool)
        night_prev[agents[(start == NIGHT_START) & present]] = True
        rows.append(
            {
                "agent": agents,
                "day": np.full(agents.size, d),
                "start": start,
                "scheduled": sched,
                "present": present,
                "home": home,
                "attend_p": attend_p,
            }
        )
    frame = pl.DataFrame({k: np.concatenate([r[k] for r in rows]) for k in rows[0]})
    return frame


def _absorb(
    roster: Roster,
    agents: np.ndarray,
    start: np.ndarray,
    present: np.ndarray,
    home: np.ndarray,
    unavailable: np.ndarray,
    dis_site: int,
    params: GeneratorParams,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Unscheduled extra shifts at other sites covering part of the lost capacity."""
    out_a, out_s = [], []
    at_dis = roster.site[agents] == dis_site
    loss = np.where(present, np.where(home, 1.0 - params.home_productivity, 0.0), 1.0) * at_dis
    for skill in np.unique(roster.skill):
        mine = roster.skill[agents] == skill
        lost = float(loss[mine].sum())
        extra = round(params.disruption_absorb_fraction * lost)
        if extra <= 0:
            continue
        pool = np.flatnonzero((roster.skill == skill) & (roster.site != dis_site) & ~unavailable)
        chosen = rng.permutation(pool)[:extra]
        src = start[mine & at_dis]
        out_a.append(chosen)
        out_s.append(rng.choice(src, chosen.size) if src.size else np.full(chosen.size, 16))
    if not out_a:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    return np.concatenate(out_a), np.concatenate(out_s)


def _logged_seconds(
    frame: pl.DataFrame, params: GeneratorParams, rng: np.random.Generator
) -> pl.DataFrame:
    n = frame.height
    present = frame["present"].to_numpy()
    late = rng.exponential(150.0, n) + rng.exponential(90.0, n)
    logged = np.where(
        present, np.maximum(SHIFT_WORK_SECONDS - late + rng.normal(0, 300, n), 3600), 0
    )
    avail = logged * np.clip(rng.normal(params.availability_ratio, 0.03, n), 0.5, 0.98)
    return frame.with_columns(
        logged_in_seconds=pl.Series(np.round(logged).astype(np.int64)),
        available_seconds=pl.Series(np.round(avail).astype(np.int64)),
    )


def _agent_ids(n: int, prefix: str) -> np.ndarray:
    return np.array([f"{prefix}{i + 1:05d}" for i in range(n)])


def _movers(
    roster: Roster, params: GeneratorParams, n_sites: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    n = roster.skill.size
    moves = rng.random(n) < params.agent_move_share
    lo, hi = max(1, params.days // 10), max(2, params.days * 9 // 10)
    move_day = np.where(moves, rng.integers(lo, hi, n), 10**6)
    shift = rng.integers(1, n_sites, n)
    site_after = np.where(moves, (roster.site + shift) % n_sites, roster.site)
    return move_day, site_after


def _agents_frame(
    ids: np.ndarray,
    roster: Roster,
    skills: list[str],
    site_codes: list[str],
    move_day: np.ndarray,
    site_after: np.ndarray,
    params: GeneratorParams,
    rng: np.random.Generator,
) -> pl.DataFrame:
    """agents.csv rows: agents (one or two validity periods), team leads, supervisors."""
    start = np.datetime64(params.start_date)
    n = ids.size
    hired_before = start - rng.integers(30, 8 * 365, n).astype("timedelta64[D]")
    valid_from = np.where(
        roster.hire_day >= 0, start + roster.hire_day.astype("timedelta64[D]"), hired_before
    )
    team_no = (np.arange(n) % 3) + 1

    def team(site: np.ndarray) -> list[str]:
        return [
            f"{site_codes[s]}-{skills[k]}-{t:02d}"
            for s, k, t in zip(site, roster.skill, team_no, strict=True)
        ]

    moved = move_day < params.days
    first = pl.DataFrame(
        {
            "agent_id": ids,
            "site": [site_codes[s] for s in roster.site],
            "team": team(roster.site),
            "role": "agent",
            "valid_from": valid_from.astype("datetime64[D]"),
            "valid_to": np.where(
                moved, start + (move_day - 1).astype("timedelta64[D]"), np.datetime64("NaT")
            ).astype("datetime64[D]"),
        }
    )
    second = pl.DataFrame(
        {
            "agent_id": ids[moved],
            "site": [site_codes[s] for s in site_after[moved]],
            "team": np.array(team(site_after), dtype=object)[moved].tolist(),
            "role": "agent",
            "valid_from": (start + move_day[moved].astype("timedelta64[D]")).astype(
                "datetime64[D]"
            ),
            "valid_to": np.full(int(moved.sum()), np.datetime64("NaT"), dtype="datetime64[D]"),
        }
    )
    leads = []
    teams = sorted({(s, k, t) for s, k, t in zip(roster.site, roster.skill, team_no, strict=True)})
    for i, (s, k, t) in enumerate(teams):
        leads.append(
            (f"L{i + 1:04d}", site_codes[s], f"{site_codes[s]}-{skills[k]}-{t:02d}", "team_lead")
        )
    for i, code in enumerate(site_codes):
        leads.append((f"M{i + 1:03d}", code, f"{code}-management", "supervisor"))
    extra = pl.DataFrame(
        {
            "agent_id": [r[0] for r in leads],
            "site": [r[1] for r in leads],
            "team": [r[2] for r in leads],
            "role": [r[3] for r in leads],
        }
    ).with_columns(
        valid_from=pl.lit(params.start_date - dt.timedelta(days=400)),
        valid_to=pl.lit(None, dtype=pl.Date),
    )
    out = pl.concat(
        [
            first.with_columns(pl.col("valid_from", "valid_to").cast(pl.Date)),
            second.with_columns(pl.col("valid_from", "valid_to").cast(pl.Date)),
            extra,
        ]
    )
    return out.sort("agent_id", "valid_from")


def _staffing_tables(
    wf_shifts: pl.DataFrame, n_skills: int, n_abs: int, params: GeneratorParams
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    present = wf_shifts.filter(pl.col("present"))
    agent = np.arange(present.height)
    skill = present["skill"].to_numpy()
    first = present["day"].to_numpy() * INTERVALS_PER_DAY + present["start"].to_numpy()
    prod = np.where(present["home"].to_numpy(), params.home_productivity, 1.0)
    w = present["available_seconds"].to_numpy() / (SHIFT_INTERVALS * INTERVAL) * prod
    k = np.arange(SHIFT_INTERVALS)
    ab = (first[:, None] + k[None, :]).ravel()
    ag = np.repeat(agent, SHIFT_INTERVALS)
    sk = np.repeat(skill, SHIFT_INTERVALS)
    ww = np.repeat(w, SHIFT_INTERVALS)
    keep = ab < n_abs
    ab, ag, sk, ww = ab[keep], ag[keep], sk[keep], ww[keep]
    key = sk.astype(np.int64) * n_abs + ab
    order = np.argsort(key, kind="stable")
    key, ag, ww = key[order], ag[order], ww[order]
    effective = np.bincount(key, weights=ww, minlength=n_skills * n_abs).reshape(n_skills, n_abs)
    fill = _nearest_staffed(effective > 0)
    return effective, key, np.cumsum(ww), ag, fill


def _nearest_staffed(staffed: np.ndarray) -> np.ndarray:
    """Per skill, the next staffed interval at or after each one (else the previous)."""
    n_skills, n_abs = staffed.shape
    idx = np.arange(n_abs)
    out = np.empty_like(staffed, dtype=np.int64)
    for s in range(n_skills):
        pos = np.flatnonzero(staffed[s])
        if pos.size == 0:
            out[s] = idx
            continue
        j = np.searchsorted(pos, idx)
        out[s] = pos[np.minimum(j, pos.size - 1)]
    return out


def plan_workforce(
    required_effective: dict[str, np.ndarray],
    params: GeneratorParams,
    ref: Reference,
    rng: np.random.Generator,
) -> Workforce:
    """Build rosters and shifts covering the required effective agents per skill."""
    skills = list(required_effective)
    site_codes = ref.site_codes
    dis_site = (
        site_codes.index(params.disruption_site) if params.disruption_site in site_codes else -1
    )
    shift_starts = {
        k: cover_with_shifts(headcount_need(required_effective[s], params))
        for k, s in enumerate(skills)
    }
    roster = build_roster(shift_starts, params, site_codes, rng)
    frame = _day_assignment(roster, shift_starts, params, dis_site, rng)
    frame = _logged_seconds(frame, params, rng).with_columns(
        skill=pl.Series(roster.skill[frame["agent"].to_numpy()])
    )
    n_agents = roster.skill.size
    ids = _agent_ids(n_agents, "A")
    move_day, site_after = _movers(roster, params, len(site_codes), rng)
    pres = frame.filter(pl.col("present"))
    n_abs = params.days * INTERVALS_PER_DAY
    effective, keys, cum, agent, fill = _staffing_tables(frame, len(skills), n_abs, params)
    return Workforce(
        skills=skills,
        agent_ids=ids,
        agent_skill=roster.skill,
        site_before=roster.site,
        site_after=site_after,
        move_day=move_day,
        site_codes=site_codes,
        agents_frame=_agents_frame(
            ids, roster, skills, site_codes, move_day, site_after, params, rng
        ),
        shifts=frame,
        effective=effective,
        _keys=keys,
        _cum=cum,
        _row=agent,
        row_agent=pres["agent"].to_numpy(),
        row_day=pres["day"].to_numpy(),
        row_home=pres["home"].to_numpy(),
        _fill=fill,
    )


def shifts_frame(wf: Workforce, params: GeneratorParams) -> pl.DataFrame:
    """agent_shifts rows in canonical columns (shift_date as a date)."""
    f = wf.shifts
    return (
        pl.DataFrame(
            {
                "agent_id": wf.agent_ids[f["agent"].to_numpy()],
                "shift_date": (
                    np.datetime64(params.start_date) + f["day"].to_numpy().astype("timedelta64[D]")
                ).astype("datetime64[D]"),
                "work_mode": pl.Series(np.where(f["home"].to_numpy(), "home", "office")).set(
                    ~f["present"], None
                ),
                "logged_in_seconds": f["logged_in_seconds"].to_numpy(),
                "available_seconds": f["available_seconds"].to_numpy(),
                "scheduled": f["scheduled"].to_numpy(),
            }
        )
        .with_columns(pl.col("shift_date").cast(pl.Date))
        .sort("shift_date", "agent_id")
    )
