"""What follows a handled contact: surveys, offers, complaints.

- Surveys: a share of handled customer contacts answer. CES, CSAT and NPS
  follow a latent experience driven by effort (contacts already made on the
  issue, failed attempts, channel switches, transfers, wait, hold, a
  back-office hand-off) and by resolution, plus noise; some answers are
  partial. Comments sometimes carry a phone number.
- Offers: agents (rarely the bot) recommend a product during service
  contacts of identified customers; sales intents almost always get one.
  Some are accepted during the contact, some days later, a few after the
  30-day value window; acceptances after the export are not yet known.
- Complaints: accepted offers occasionally lead to a mis-selling complaint
  within the window; contacts with more effort or no resolution lead to
  service complaints more often.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from pipelines.generate import calendar as cal
from pipelines.generate import text
from pipelines.generate.params import EMAIL, PRODUCTS, GeneratorParams

COMPLAINT_DETAILS = {
    "long_wait": ["电话排队等了很久才接通。", "多次拨打都没人接听。"],
    "unresolved_issue": ["问题反复联系了几次都没解决。", "答应回电但一直没有回复。"],
    "service_attitude": ["客服态度冷淡。", "客服多次打断我说话。"],
    "fees_charges": ["莫名被扣了手续费。", "年费收取没有提前告知。"],
    "system_failure": ["手机银行一直无法登录。", "转账显示成功但对方未到账。"],
    "mis_selling": ["销售时没有说明产品风险。", "被推荐购买了不适合的产品。"],
}
COMPLAINT_CATEGORIES = {
    "long_wait": "等待时间过长",
    "unresolved_issue": "问题未解决",
    "service_attitude": "服务态度",
    "fees_charges": "收费争议",
    "system_failure": "系统故障",
    "mis_selling": "销售误导",
}
SEVERITIES = ("low", "medium", "high")


@dataclass
class Handled:
    """Handled contacts of one day (aligned numpy arrays + the contact id Series)."""

    contact_id: pl.Series
    customer: np.ndarray
    intent: np.ndarray
    t: np.ndarray
    end: np.ndarray
    bot: np.ndarray
    channel: np.ndarray
    company: np.ndarray  # company-initiated
    resolved: np.ndarray
    escalated: np.ndarray
    h: np.ndarray  # handled contacts before this one on the issue
    attempt: np.ndarray  # unhandled attempts before this one (same slot)
    switch: np.ndarray  # channel differs from the first contact
    transfers: np.ndarray
    wait: np.ndarray
    hold: np.ndarray

    @property
    def size(self) -> int:
        return self.customer.size

    def take(self, idx: np.ndarray) -> Handled:
        parts = {
            k: (v.gather(idx) if isinstance(v, pl.Series) else v[idx])
            for k, v in self.__dict__.items()
        }
        return Handled(**parts)  # type: ignore[arg-type]


def effort(h: Handled) -> np.ndarray:
    """Latent effort the customer spent on the issue up to this contact."""
    return (
        0.9 * h.h
        + 0.6 * h.attempt
        + 0.4 * h.switch
        + 0.35 * h.transfers
        + h.wait / 150.0
        + h.hold / 200.0
        + 0.8 * h.escalated
    )


def surveys(
    h: Handled, params: GeneratorParams, end: int, rng: np.random.Generator
) -> pl.DataFrame:
    rate = np.where(h.channel == EMAIL, 0.5, 1.0) * params.survey_response_rate
    pick = np.flatnonzero(~h.company & (rng.random(h.size) < rate))
    s = h.take(pick)
    n = s.size
    answered = s.end + np.round(rng.lognormal(np.log(1200.0), 1.2, n)).astype(np.int64) + 30
    e = effort(s)
    unresolved = 1 - s.resolved
    ces = np.clip(np.round(6.3 - 1.0 * e - 0.8 * unresolved + rng.normal(0, 0.9, n)), 1, 7)
    csat = np.clip(np.round(4.4 - 0.9 * unresolved - 0.35 * e + rng.normal(0, 0.7, n)), 1, 5)
    nps = np.clip(np.round(2.0 * csat - 0.3 + rng.normal(0, 1.3, n)), 0, 10)
    keep = answered < end
    good = csat >= 4
    style = rng.integers(0, 4, n)
    kind = text.pii_kind(n, 0.04, 0.0, rng)
    frame = pl.DataFrame(
        {
            "contact_id": s.contact_id,
            "answered": answered,
            "nps": nps.astype(np.int64),
            "csat": csat.astype(np.int64),
            "ces": ces.astype(np.int64),
            "nps_null": rng.random(n) < 0.08,
            "csat_null": rng.random(n) < 0.04,
            "ces_null": rng.random(n) < 0.06,
            "has_verbatim": rng.random(n) < 0.3,
            "good": good,
            "style": style,
            "pii": kind,
            "customer": s.customer,
        }
    )
    return frame.filter(pl.Series(keep))


@dataclass
class OfferPlan:
    """Per handled contact: planted offer and acceptance probabilities."""

    p_offer: np.ndarray
    p_accept: np.ndarray
    is_service: np.ndarray


def offer_plan(h: Handled, is_sales: np.ndarray, params: GeneratorParams) -> OfferPlan:
    sales = is_sales[h.intent]
    eligible = (h.customer >= 0) & ~h.company
    base = np.where(
        h.bot, params.offer_rate_bot, np.where(h.channel == EMAIL, 0.02, params.offer_rate_agent)
    )
    p_offer = np.where(eligible, np.where(sales, params.offer_rate_sales, base), 0.0)
    p_accept = np.where(sales, params.offer_acceptance_sales, params.offer_acceptance)
    return OfferPlan(p_offer, p_accept, ~sales)


def offers(
    h: Handled,
    plan: OfferPlan,
    families: list[str],
    params: GeneratorParams,
    end: int,
    rng: np.random.Generator,
) -> pl.DataFrame:
    n = h.size
    made = rng.random(n) < plan.p_offer
    idx = np.flatnonzero(made)
    o = h.take(idx)
    m = idx.size
    codes = list(PRODUCTS)
    fam_of_product = np.array([PRODUCTS[c][0] for c in codes])
    fam = np.array(families)[o.intent]
    matching = fam_of_product[None, :] == fam[:, None]
    score = rng.random((m, len(codes))) + matching * 1.0 * (~plan.is_service[idx])[:, None]
    score += matching * 0.3
    product = np.argmax(score, axis=1)
    median = np.array([PRODUCTS[c][1] for c in codes])[product]
    sigma = np.array([PRODUCTS[c][2] for c in codes])[product]
    value = np.round(rng.lognormal(np.log(median), sigma), 2)
    recommended = np.minimum(o.t + rng.integers(30, 300, m), np.maximum(o.end, o.t + 30))
    accepted = rng.random(m) < plan.p_accept[idx]
    u = rng.random(m)
    beyond = u < params.offer_beyond_window_share
    late = ~beyond & (u < params.offer_beyond_window_share + params.offer_late_acceptance_share)
    window = params.value_window_days * cal.DAY
    delay = np.select(
        [beyond, late],
        [rng.integers(window + cal.DAY, 2 * window, m), rng.integers(cal.DAY, window - cal.DAY, m)],
        rng.integers(60, 900, m),
    )
    accepted_at = np.where(accepted & (recommended + delay < end), recommended + delay, -1)
    made_in_period = recommended < end
    return pl.DataFrame(
        {
            "contact_id": o.contact_id,
            "customer": o.customer,
            "product": pl.Series(codes).gather(product),
            "recommended": recommended,
            "accepted": accepted_at,
            "value": value,
            "contact_t": o.t,
            "is_service": plan.is_service[idx],
        }
    ).filter(pl.Series(made_in_period))


def mis_selling_complaints(
    offers_df: pl.DataFrame, params: GeneratorParams, end: int, rng: np.random.Generator
) -> pl.DataFrame:
    acc = offers_df.filter(pl.col("accepted") >= 0)
    n = acc.height
    pick = rng.random(n) < params.mis_selling_complaint_rate
    acc = acc.filter(pl.Series(pick))
    m = acc.height
    received = acc["accepted"].to_numpy() + rng.integers(cal.DAY, 25 * cal.DAY, m)
    return pl.DataFrame(
        {
            "customer": acc["customer"].to_numpy(),
            "contact_id": acc["contact_id"],
            "received": received,
            "category": np.full(m, "mis_selling"),
            "severity": np.where(rng.random(m) < 0.6, "medium", "high"),
        }
    ).filter(pl.col("received") < end)


def service_complaints(
    h: Handled, params: GeneratorParams, end: int, rng: np.random.Generator
) -> pl.DataFrame:
    known = (h.customer >= 0) & ~h.company
    risk = 1 + 1.5 * h.h + 2.0 * h.attempt + 3.0 * h.escalated + 1.5 * (1 - h.resolved)
    p = np.where(known, params.service_complaint_rate * risk, 0.0)
    idx = np.flatnonzero(rng.random(h.size) < p)
    c = h.take(idx)
    m = idx.size
    other = np.array(["service_attitude", "fees_charges", "system_failure"])[rng.integers(0, 3, m)]
    category = np.where(
        (c.attempt > 0) | (c.wait > 120),
        "long_wait",
        np.where(c.resolved == 0, "unresolved_issue", other),
    )
    received = c.end + 600 + np.round(rng.exponential(0.5 * cal.DAY, m)).astype(np.int64)
    sev = np.array(SEVERITIES)[np.searchsorted([0.6, 0.9], rng.random(m))]
    contact = (
        c.contact_id.to_frame("c")
        .select(pl.when(pl.Series(rng.random(m) < 0.9)).then(pl.col("c")).otherwise(None))
        .to_series()
    )
    return pl.DataFrame(
        {
            "customer": c.customer,
            "contact_id": contact,
            "received": received,
            "category": category,
            "severity": sev,
        }
    ).filter(pl.col("received") < end)
