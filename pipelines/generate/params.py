"""Parameters of the simulated centre: what the generator plants.

`GeneratorParams` holds every scenario parameter (each with a realistic
default, PRODUCT.md section 7); `truth.json` records them all. Generator-only
per-intent behaviour (handle-time lognormals, resolution, escalation, bot
eligibility, channel preference) lives in `INTENT_BEHAVIOUR`; the intent,
site and business-type *lists* are read from the dbt seeds and the landing
mapping, which stay the single source of truth for codes and names.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from pipelines.settings import REPO_ROOT
from pipelines.sources.mapping import SourceMapping, builtin_mapping, load_mapping

SEEDS_DIR = REPO_ROOT / "seeds"

# Channels of a contact; index 0 is the telephone (calls), the rest are tickets.
CHANNELS = ("phone", "chat", "app", "email", "video")
PHONE, CHAT, APP, EMAIL, VIDEO = range(5)


@dataclass
class GeneratorParams:
    """Every planted parameter of the simulated centre (see truth.json `params`)."""

    seed: int = 42
    start_date: dt.date = dt.date(2026, 6, 1)
    days: int = 90
    contacts_per_day: int = 5000
    customers: int = 0  # size of the customer base; 0 = derived from volume

    # --- episodes and resolution -------------------------------------------
    fcr_mean: float = 0.72  # volume-weighted P(first handled contact resolves)
    p_next_contact_resolves: float = 0.70  # later contacts of an unresolved episode
    p_repeat_after_unresolved: float = 0.85
    p_repeat_after_escalation: float = 0.35
    false_resolution_share: float = 0.35  # failures marked resolved; customer returns
    max_handled_contacts: int = 5
    unknown_customer_share: float = 0.03

    # --- IVR / AI ------------------------------------------------------------
    prediction_accuracy: float = 0.85  # target share predicted_intent == intent
    confidence_concentration: float = 9.0  # Beta concentration of confidences
    ai_reach: tuple[float, ...] = (0.85, 0.95, 0.90, 0.60, 0.0)  # per channel
    bot_containment: float = 0.60  # P(contained | fully bot-eligible, understood)
    ivr_hangup_rate: float = 0.015

    # --- proactive service ---------------------------------------------------
    proactive_share: float = 0.08  # company-initiated / handled contacts
    preemption_rate: float = 0.70  # P(no inbound on the intent within 7 days)
    outbound_pickup_rate: float = 0.65

    # --- value co-creation ---------------------------------------------------
    offer_rate_agent: float = 0.12
    offer_rate_bot: float = 0.03
    offer_rate_sales: float = 0.70
    offer_acceptance: float = 0.30
    offer_acceptance_sales: float = 0.45
    offer_late_acceptance_share: float = 0.40  # accepted days after the contact
    offer_beyond_window_share: float = 0.05  # accepted after value_window_days
    mis_selling_complaint_rate: float = 0.04
    service_complaint_rate: float = 0.002
    survey_response_rate: float = 0.08

    # --- arrivals ------------------------------------------------------------
    weekday_factors: tuple[float, ...] = (1.12, 1.05, 1.0, 0.98, 1.0, 0.85, 0.80)
    day_noise_sd: float = 0.04
    surge_start: dt.date = dt.date(2026, 6, 18)
    surge_days: int = 4
    surge_factor: float = 1.35
    surge_planned_fraction: float = 0.5  # share of the uplift the planners foresaw

    # --- queues and staffing -------------------------------------------------
    mean_patience_seconds: float = 420.0
    impatient_share: float = 0.04
    impatient_mean_seconds: float = 4.0
    service_level_target: float = 0.80
    service_level_seconds: int = 20
    short_abandon_seconds: int = 5
    max_occupancy: float = 0.88
    staffing_budget: float = 0.80  # share of the Erlang-recommended headcount funded
    callback_offer_after_seconds: int = 90
    callback_acceptance: float = 0.2
    chat_concurrency: float = 2.5

    # --- workforce -----------------------------------------------------------
    home_share: float = 0.15  # agents on a normal day working from home
    home_productivity: float = 0.92  # contacts per logged-in hour, home / office
    attendance: float = 0.98
    availability_ratio: float = 0.86  # available / logged-in seconds
    agent_move_share: float = 0.03
    disruption_site: str = "CTU"
    disruption_start: dt.date = dt.date(2026, 7, 20)
    disruption_end: dt.date = dt.date(2026, 8, 2)
    disruption_home_share: float = 0.90
    disruption_attendance: float = 0.88
    disruption_absorb_fraction: float = 0.6

    # --- back office ---------------------------------------------------------
    backoffice_items_per_day: int = 3000
    branches: int = 1200
    backoffice_reject_rate: float = 0.04
    backoffice_return_rate: float = 0.06
    outlier_reviewers: int = 3
    outlier_review_time_factor: float = 1.9
    outlier_rejection_factor: float = 5.0
    outlier_week_share: float = 0.9
    intervention_business_type: str = "account_filing"
    intervention_date: dt.date = dt.date(2026, 7, 13)
    intervention_single_review_seconds: float = 70.0

    # --- reporting windows (PRODUCT.md section 2) ----------------------------
    repeat_window_days: int = 7
    value_window_days: int = 30

    def validate(self) -> None:
        """Raise ValueError with one sentence for an impossible parameter."""
        if self.days < 1:
            raise ValueError("--days must be at least 1.")
        if self.contacts_per_day < 10:
            raise ValueError("--contacts-per-day must be at least 10.")
        for name in (
            "fcr_mean",
            "prediction_accuracy",
            "proactive_share",
            "preemption_rate",
            "offer_acceptance",
            "bot_containment",
            "home_productivity",
            "attendance",
            "unknown_customer_share",
            "backoffice_reject_rate",
            "backoffice_return_rate",
        ):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must lie between 0 and 1, got {value}.")
        if self.prediction_accuracy < 0.05 or self.prediction_accuracy > 0.98:
            raise ValueError("prediction_accuracy must lie between 0.05 and 0.98.")
        if self.proactive_share >= 0.5:
            raise ValueError("proactive_share must be below 0.5.")
        if self.disruption_end < self.disruption_start:
            raise ValueError("disruption_end must not precede disruption_start.")

    @property
    def end_date(self) -> dt.date:
        """Last day of data (inclusive)."""
        return self.start_date + dt.timedelta(days=self.days - 1)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready copy: dates as ISO strings, tuples as lists."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, dt.date):
                value = value.isoformat()
            elif isinstance(value, tuple):
                value = list(value)
            out[f.name] = value
        return out


# --------------------------------------------------------------------------
# Generator-only behaviour per intent. Keys must match seeds/intents.csv.
# weight: share of customer issues; talk_median_s/talk_sigma: lognormal talk
# time of an agent call; fcr: base P(first handled contact resolves) before
# rescaling to `fcr_mean`; esc: P(escalate | first contact does not resolve),
# only for intents with a back-office business type; bot: bot eligibility
# (scales `bot_containment`); acc: base prediction accuracy before rescaling;
# channels: preference over CHANNELS; proactive: weight among proactive topics.
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class IntentBehaviour:
    weight: float
    talk_median_s: float
    talk_sigma: float
    fcr: float
    esc: float
    bot: float
    acc: float
    channels: tuple[float, float, float, float, float]
    proactive: float = 0.0
    business_type: str | None = None


IB = IntentBehaviour
INTENT_BEHAVIOUR: dict[str, IntentBehaviour] = {
    "card_lost": IB(
        0.06,
        300,
        0.45,
        0.85,
        0.6,
        0.3,
        0.92,
        (0.75, 0.08, 0.15, 0.01, 0.01),
        0.0,
        "card_replacement",
    ),
    "credit_card_bill": IB(
        0.09, 240, 0.50, 0.80, 0.0, 0.7, 0.88, (0.40, 0.25, 0.30, 0.05, 0.0), 0.25
    ),
    "credit_card_installment": IB(
        0.05, 330, 0.50, 0.75, 0.0, 0.5, 0.82, (0.45, 0.25, 0.28, 0.02, 0.0), 0.05
    ),
    "limit_increase": IB(0.04, 300, 0.50, 0.62, 0.0, 0.3, 0.80, (0.50, 0.20, 0.28, 0.02, 0.0)),
    "balance_inquiry": IB(0.08, 120, 0.45, 0.93, 0.0, 0.9, 0.93, (0.30, 0.25, 0.44, 0.01, 0.0)),
    "account_opening": IB(
        0.04,
        420,
        0.55,
        0.60,
        0.5,
        0.2,
        0.78,
        (0.40, 0.30, 0.20, 0.03, 0.07),
        0.0,
        "account_opening",
    ),
    "address_change": IB(
        0.04,
        360,
        0.50,
        0.65,
        0.5,
        0.4,
        0.80,
        (0.45, 0.25, 0.25, 0.03, 0.02),
        0.05,
        "customer_info_change",
    ),
    "statement_request": IB(0.03, 200, 0.45, 0.85, 0.0, 0.7, 0.85, (0.25, 0.25, 0.35, 0.15, 0.0)),
    "transfer_failure": IB(
        0.07,
        420,
        0.55,
        0.58,
        0.4,
        0.2,
        0.80,
        (0.55, 0.20, 0.22, 0.03, 0.0),
        0.05,
        "large_transfer_review",
    ),
    "fee_dispute": IB(0.04, 480, 0.55, 0.52, 0.0, 0.1, 0.75, (0.55, 0.20, 0.15, 0.10, 0.0)),
    "password_reset": IB(0.07, 240, 0.45, 0.82, 0.0, 0.8, 0.90, (0.50, 0.25, 0.24, 0.01, 0.0)),
    "mobile_banking_login": IB(
        0.07, 330, 0.50, 0.66, 0.0, 0.5, 0.84, (0.40, 0.30, 0.29, 0.01, 0.0), 0.10
    ),
    "fraud_report": IB(
        0.03,
        540,
        0.50,
        0.70,
        0.5,
        0.0,
        0.88,
        (0.85, 0.07, 0.07, 0.01, 0.0),
        0.20,
        "large_transfer_review",
    ),
    "loan_repayment": IB(
        0.05, 300, 0.50, 0.75, 0.0, 0.5, 0.85, (0.50, 0.20, 0.27, 0.03, 0.0), 0.20
    ),
    "loan_application": IB(
        0.03,
        540,
        0.55,
        0.60,
        0.5,
        0.1,
        0.78,
        (0.45, 0.25, 0.22, 0.03, 0.05),
        0.0,
        "loan_document_review",
    ),
    "wealth_product_inquiry": IB(
        0.04, 480, 0.55, 0.70, 0.0, 0.2, 0.76, (0.45, 0.25, 0.25, 0.02, 0.03)
    ),
    "claims_filing": IB(
        0.04, 720, 0.50, 0.55, 0.7, 0.0, 0.82, (0.50, 0.15, 0.15, 0.05, 0.15), 0.0, "claims_review"
    ),
    "claims_status": IB(
        0.06, 240, 0.50, 0.68, 0.3, 0.6, 0.87, (0.40, 0.25, 0.32, 0.03, 0.0), 0.15, "claims_review"
    ),
    "policy_change": IB(
        0.04, 420, 0.50, 0.62, 0.6, 0.2, 0.80, (0.45, 0.20, 0.25, 0.05, 0.05), 0.10, "policy_change"
    ),
    "insurance_purchase": IB(0.03, 600, 0.55, 0.65, 0.0, 0.1, 0.78, (0.45, 0.25, 0.22, 0.03, 0.05)),
}

# Intent family -> telephone queue (ACD skill group). Online contacts share one pool.
FAMILY_QUEUE: dict[str, str] = {
    "card": "card_services",
    "account": "retail_banking",
    "payments": "retail_banking",
    "digital": "retail_banking",
    "security": "fraud_hotline",
    "loans": "loans_wealth",
    "wealth": "loans_wealth",
    "insurance": "insurance",
}
ONLINE_SKILL = "online"

# Share of contact-centre agents per site (HQ about a quarter, PRODUCT.md section 7).
SITE_AGENT_SHARE: dict[str, float] = {
    "SHA": 0.25,
    "PEK": 0.12,
    "SZX": 0.11,
    "CAN": 0.10,
    "CTU": 0.11,
    "WUH": 0.10,
    "XIY": 0.08,
    "HFE": 0.07,
    "DLC": 0.06,
}
BACKOFFICE_SITE = "HFE"  # the provincial shared-service centre


# Back-office behaviour per business type: share of branch-originated items,
# lognormal review time (median seconds, sigma), and rejection / return
# multipliers of the overall rates.
@dataclass(frozen=True)
class BusinessBehaviour:
    branch_share: float
    review_median_s: float
    review_sigma: float
    reject_mult: float
    return_mult: float


BB = BusinessBehaviour
BUSINESS_BEHAVIOUR: dict[str, BusinessBehaviour] = {
    "account_filing": BB(0.30, 240, 0.45, 0.6, 0.9),
    "account_opening": BB(0.14, 300, 0.50, 1.0, 1.2),
    "card_replacement": BB(0.10, 150, 0.45, 0.5, 0.6),
    "large_transfer_review": BB(0.10, 200, 0.50, 1.8, 0.8),
    "loan_document_review": BB(0.10, 540, 0.55, 1.6, 1.5),
    "claims_review": BB(0.10, 600, 0.60, 1.5, 1.3),
    "policy_change": BB(0.08, 360, 0.50, 0.9, 1.0),
    "customer_info_change": BB(0.08, 180, 0.45, 0.7, 0.8),
}

# Account filing before the intervention: manual entry, then a wait for and a
# second review (the step "machine entry + single review" removes).
FILING_SECOND_WAIT_MEAN_S = 600.0
FILING_SECOND_REVIEW_MEDIAN_S = 120.0

# Offer products: (code, family of intents it suits, value lognormal median CNY, sigma).
PRODUCTS: dict[str, tuple[str, float, float]] = {
    "wealth_management": ("wealth", 50000.0, 0.9),
    "fund_investment": ("wealth", 20000.0, 1.0),
    "term_deposit": ("account", 80000.0, 0.8),
    "credit_card_installment": ("card", 8000.0, 0.7),
    "credit_card_upgrade": ("card", 1000.0, 0.5),
    "personal_loan": ("loans", 60000.0, 0.7),
    "accident_insurance": ("insurance", 300.0, 0.5),
    "health_insurance": ("insurance", 3000.0, 0.6),
}


# --------------------------------------------------------------------------
# Reference lists read from the seeds and the landing mapping.
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class Reference:
    """Intents, sites and business types as the seeds and mapping declare them."""

    intents: list[dict[str, str]]
    sites: list[dict[str, str]]
    business_types: list[dict[str, str]]
    mapping: SourceMapping
    intent_codes: list[str] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "intent_codes", [r["intent_code"] for r in self.intents])

    @property
    def site_codes(self) -> list[str]:
        return [r["site_code"] for r in self.sites]

    @property
    def headquarters(self) -> str:
        return next(r["site_code"] for r in self.sites if r["is_headquarters"] == "1")

    @property
    def business_codes(self) -> list[str]:
        return [r["business_type"] for r in self.business_types]

    def intent_array(self, attr: str) -> np.ndarray:
        """One IntentBehaviour attribute as an array in seed order."""
        return np.array([getattr(INTENT_BEHAVIOUR[c], attr) for c in self.intent_codes])

    @property
    def is_sales(self) -> np.ndarray:
        return np.array([r["is_sales"] == "1" for r in self.intents])

    @property
    def families(self) -> list[str]:
        return [r["family"] for r in self.intents]


def read_seed(name: str, seeds_dir: Path = SEEDS_DIR) -> list[dict[str, str]]:
    with (seeds_dir / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def load_reference(seeds_dir: Path = SEEDS_DIR) -> Reference:
    """Read the seeds and the generator's landing mapping; check they agree."""
    ref = Reference(
        intents=read_seed("intents.csv", seeds_dir),
        sites=read_seed("sites.csv", seeds_dir),
        business_types=read_seed("business_types.csv", seeds_dir),
        mapping=load_mapping(builtin_mapping("serviq_generator")),
    )
    missing = set(ref.intent_codes) - set(INTENT_BEHAVIOUR)
    if missing:
        raise ValueError(f"seeds/intents.csv names intents without behaviour: {sorted(missing)}.")
    unknown_sites = set(ref.site_codes) ^ set(SITE_AGENT_SHARE)
    if unknown_sites:
        raise ValueError(f"seeds/sites.csv and SITE_AGENT_SHARE differ on {sorted(unknown_sites)}.")
    mapped = set(ref.mapping.entities["backoffice_items"].values["business_type"].values())
    if mapped != set(ref.business_codes) or mapped != set(BUSINESS_BEHAVIOUR):
        raise ValueError("seeds/business_types.csv, the mapping and BUSINESS_BEHAVIOUR differ.")
    return ref


def logit(p: np.ndarray | float) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=float), 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def expit(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def rescale_to_mean(base: np.ndarray, weights: np.ndarray, target: float) -> np.ndarray:
    """Shift `base` probabilities on the logit scale so their weighted mean is `target`."""
    w = weights / weights.sum()
    lo, hi = -10.0, 10.0
    for _ in range(60):
        mid = (lo + hi) / 2
        if float((expit(logit(base) + mid) * w).sum()) < target:
            lo = mid
        else:
            hi = mid
    return expit(logit(base) + (lo + hi) / 2)
