"""Telephone queues with finite caller patience (an Erlang-A style approximation).

Per queue and 30-minute interval the offered load is set against the
effective number of staffed agents. Erlang C gives the probability that a
caller waits and the (exponential) conditional wait; callers have
exponential patience (a mixture: a few hang up within seconds, most wait
minutes) and abandon when patience runs out before an agent is free. The
abandonment probability and the effective load are solved together by a
damped fixed point, so overloaded intervals settle where abandonment
balances capacity. Answer rate, service level and abandonment therefore
*emerge* from staffing; nothing sets them directly.

The same Erlang C is what the planners use to decide how many agents each
interval needs (service-level target, occupancy cap).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def erlang_b(load: np.ndarray, servers: np.ndarray) -> np.ndarray:
    """Erlang B blocking probability, vectorised over cells (integer servers).

    B(N, A) = P(X = N) / P(X <= N) for X ~ Poisson(A), evaluated in log space
    over a (cells x servers) grid. Cells are taken in chunks of similar
    server counts so small cells do not pay for the largest one.
    """
    load = np.asarray(load, dtype=float)
    servers = np.asarray(servers, dtype=np.int64)
    out = np.empty_like(load)
    order = np.argsort(servers, kind="stable")
    for chunk in np.array_split(order, max(1, order.size // 64)):
        out[chunk] = _erlang_b_grid(load[chunk], servers[chunk])
    return out


def _erlang_b_grid(load: np.ndarray, servers: np.ndarray) -> np.ndarray:
    top = int(servers.max(initial=0))
    if top == 0:
        return np.where(servers > 0, 0.0, 1.0) if load.size else load
    k = np.arange(top + 1)
    log_fact = np.concatenate([[0.0], np.cumsum(np.log(np.arange(1, top + 1)))])
    log_a = np.log(np.maximum(load, 1e-300))[:, None]
    terms = k[None, :] * log_a - log_fact[None, :]
    terms = np.where(k[None, :] <= servers[:, None], terms, -np.inf)
    peak = terms.max(axis=1, keepdims=True)
    log_sum = peak[:, 0] + np.log(np.exp(terms - peak).sum(axis=1))
    log_top = servers * log_a[:, 0] - log_fact[servers]
    b = np.exp(log_top - log_sum)
    return np.where(load > 0, b, np.where(servers > 0, 0.0, 1.0))


def erlang_c_from_b(load: np.ndarray, servers: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Probability of waiting given Erlang B; 1 when the load reaches the servers."""
    n = servers.astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        c = n * b / (n - load * (1.0 - b))
    return np.where((load < n) & (n > 0), np.clip(c, 0.0, 1.0), 1.0)


def required_agents(
    calls_per_second: np.ndarray,
    service_seconds: np.ndarray,
    sl_target: float,
    sl_seconds: float,
    max_occupancy: float,
) -> np.ndarray:
    """Smallest agent count per cell meeting the service level and occupancy cap."""
    load = calls_per_second * service_seconds
    n = np.maximum(np.ceil(load / max_occupancy), 1).astype(np.int64)
    b = erlang_b(load, n)
    for _ in range(500):
        c = erlang_c_from_b(load, n, b)
        sl = 1.0 - c * np.exp(-(n - load) * sl_seconds / service_seconds)
        short = (sl < sl_target) | (load >= n)
        if not short.any():
            break
        n = n + short
        b = np.where(short, load * b / (n + load * b), b)
    return n


@dataclass(frozen=True)
class WaitModel:
    """Per-cell wait distribution: P(wait) and the rate of the conditional wait."""

    p_wait: np.ndarray
    wait_rate: np.ndarray  # 1/seconds
    p_abandon: np.ndarray


def patience_abandon_prob(
    wait_rate: np.ndarray, mean_patience: float, impatient_share: float, impatient_mean: float
) -> np.ndarray:
    """P(patience < wait) for exponential wait and a two-class exponential patience."""
    g1, g2 = 1.0 / impatient_mean, 1.0 / mean_patience
    return impatient_share * g1 / (g1 + wait_rate) + (1 - impatient_share) * g2 / (g2 + wait_rate)


def wait_model(
    arrivals_per_second: np.ndarray,
    service_seconds: np.ndarray,
    effective_agents: np.ndarray,
    mean_patience: float,
    impatient_share: float,
    impatient_mean: float,
    iterations: int = 12,
) -> WaitModel:
    """Solve abandonment and effective load together, per cell (damped fixed point)."""
    lam = np.asarray(arrivals_per_second, dtype=float)
    s = np.asarray(service_seconds, dtype=float)
    n = np.floor(np.asarray(effective_agents, dtype=float) + 0.5).astype(np.int64)
    mu = 1.0 / s
    p_ab = np.zeros_like(lam)
    p_wait = np.ones_like(lam)
    rate = np.full_like(lam, 1e-3)
    for _ in range(iterations):
        lam_eff = lam * (1.0 - p_ab)
        load = np.minimum(lam_eff * s, np.maximum(n - 0.02, 0.0))
        b = erlang_b(load, n)
        p_wait = np.where(n > 0, erlang_c_from_b(load, n, b), 1.0)
        rate = np.maximum(n * mu - lam_eff, 0.02 * np.maximum(n, 1) * mu)
        rate = np.where(n > 0, rate, 1e-6)
        new = p_wait * patience_abandon_prob(rate, mean_patience, impatient_share, impatient_mean)
        p_ab = 0.5 * p_ab + 0.5 * new
    return WaitModel(p_wait=p_wait, wait_rate=rate, p_abandon=p_ab)


def sample_waits(model: WaitModel, cell: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Seconds a caller would wait for an agent (before patience is applied)."""
    waits = rng.random(cell.size) < model.p_wait[cell]
    return np.where(waits, rng.exponential(1.0, cell.size) / model.wait_rate[cell], 0.0)


def sample_patience(
    n: int,
    mean_patience: float,
    impatient_share: float,
    impatient_mean: float,
    rng: np.random.Generator,
) -> np.ndarray:
    impatient = rng.random(n) < impatient_share
    base = rng.exponential(1.0, n)
    return np.where(impatient, base * impatient_mean, base * mean_patience)
