"""Arrival calendar: how many issues start on each day and at what time.

Simulates the weekly curve (Monday busiest, weekends quiet), a holiday surge
(a few days of elevated volume the planners only partly foresaw), small
day-to-day noise, and intraday double-peak profiles per channel (08:00-22:00
mostly, a thin night). Times are seconds since local midnight of the first
day (Asia/Shanghai, no DST, so local seconds are exact).
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from pipelines.generate.params import GeneratorParams

DAY = 86_400
INTERVAL = 1_800  # 30-minute planning interval
INTERVALS_PER_DAY = DAY // INTERVAL


def _profile(peaks: list[tuple[float, float, float]], night: float) -> np.ndarray:
    """Intraday weights per 30-minute interval from Gaussian peaks (hour, sd, height)."""
    hours = (np.arange(INTERVALS_PER_DAY) + 0.5) / 2.0
    w = np.full(INTERVALS_PER_DAY, night)
    for centre, sd, height in peaks:
        w += height * np.exp(-0.5 * ((hours - centre) / sd) ** 2)
    day = (hours >= 8) & (hours < 22)
    w[day] += 0.25
    return w / w.sum()


# Telephone: morning peak around 10:00, afternoon peak around 15:00.
PHONE_PROFILE = _profile([(10.0, 1.3, 1.0), (15.0, 1.6, 0.85), (20.0, 1.2, 0.25)], 0.02)
# Online: same two peaks plus an evening peak (app use after work).
ONLINE_PROFILE = _profile([(10.5, 1.4, 0.8), (15.0, 1.6, 0.7), (21.0, 1.3, 0.6)], 0.04)
# Proactive outreach: business hours only.
PROACTIVE_PROFILE = _profile([(10.5, 1.5, 1.0), (15.5, 1.5, 1.0)], 0.0)
PROACTIVE_PROFILE[:18] = 0.0
PROACTIVE_PROFILE[42:] = 0.0
PROACTIVE_PROFILE /= PROACTIVE_PROFILE.sum()
# Branches send back-office work in opening hours (some weekend branches).
BRANCH_PROFILE = _profile([(10.5, 1.3, 1.0), (15.0, 1.5, 0.9)], 0.003)
BRANCH_PROFILE[:16] *= 0.1
BRANCH_PROFILE[38:] *= 0.2
BRANCH_PROFILE /= BRANCH_PROFILE.sum()


def dates(params: GeneratorParams) -> list[dt.date]:
    return [params.start_date + dt.timedelta(days=i) for i in range(params.days)]


def surge_mask(params: GeneratorParams) -> np.ndarray:
    days = np.array([(d - params.surge_start).days for d in dates(params)])
    return (days >= 0) & (days < params.surge_days)


def weekday_factors(params: GeneratorParams) -> np.ndarray:
    w = np.array(params.weekday_factors, dtype=float)
    w = w / w.mean()
    return np.array([w[d.weekday()] for d in dates(params)])


def forecast_day_factors(params: GeneratorParams) -> np.ndarray:
    """What the planners expected: weekly curve and part of the surge."""
    uplift = 1.0 + params.surge_planned_fraction * (params.surge_factor - 1.0)
    return weekday_factors(params) * np.where(surge_mask(params), uplift, 1.0)


def actual_day_factors(params: GeneratorParams, rng: np.random.Generator) -> np.ndarray:
    """Realised day factors: weekly curve, full surge, lognormal day noise."""
    noise = np.exp(rng.normal(0.0, params.day_noise_sd, params.days))
    return weekday_factors(params) * np.where(surge_mask(params), params.surge_factor, 1.0) * noise


def sample_time_of_day(profile: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Seconds after midnight drawn from a 30-minute profile, uniform within intervals."""
    cum = np.cumsum(profile)
    u = rng.random(n) * cum[-1]
    interval = np.minimum(np.searchsorted(cum, u, side="right"), INTERVALS_PER_DAY - 1)
    width = profile[interval]
    frac = np.clip((u - (cum[interval] - width)) / np.maximum(width, 1e-12), 0.0, 0.999999)
    return interval * INTERVAL + (frac * INTERVAL).astype(np.int64)


def day_of(t: np.ndarray) -> np.ndarray:
    return t // DAY


def abs_interval(t: np.ndarray) -> np.ndarray:
    """Interval index counted from the first day's midnight."""
    return t // INTERVAL
