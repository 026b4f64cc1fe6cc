"""Which metrics a source's mapped data can support (PRODUCT.md sections 2-5).

Each metric lists, per entity that can feed it, the canonical fields it
needs (`field=value`: that value must occur); the metric is supported when,
for at least one of those entities, every need is met by at least one
loadable row. The
warehouse can combine sources (calls from one system, tickets from another):
this says what *this* source brings.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Metric:
    name: str
    needs: tuple[tuple[str, tuple[str, ...]], ...]  # (entity, fields) alternatives


M = Metric
METRICS: tuple[Metric, ...] = (
    M("answer rate, abandonment, callbacks", (("calls", ("queued_at", "answered_at")),)),
    M("service level, ASA (queue wait)", (("calls", ("queued_at", "answered_at")),)),
    M("connected and talk seconds", (("calls", ("answered_at", "ended_at")),)),
    M("AHT with hold and wrap", (("calls", ("answered_at", "hold_seconds", "wrap_seconds")),)),
    M("transfer rate", (("calls", ("answered_at", "transfers")),)),
    M("online response rate and wait", (("tickets", ("first_response_at",)),)),
    M(
        "one-contact resolution (FCR), repeat contacts, customer effort index",
        (("calls", ("customer_id", "intent")), ("tickets", ("customer_id", "intent"))),
    ),
    M(
        "prediction accuracy",
        (("calls", ("predicted_intent", "intent")), ("tickets", ("predicted_intent", "intent"))),
    ),
    M(
        "bot containment",
        (("calls", ("outcome=bot_contained",)), ("tickets", ("handled_by=bot",))),
    ),
    M(
        "proactive-service share",
        (("calls", ("initiated_by=company",)), ("tickets", ("initiated_by=company",))),
    ),
    M(
        "escalation rate (back-office hand-offs)",
        (("calls", ("escalated_to_backoffice",)), ("tickets", ("escalated_to_backoffice",))),
    ),
    M("site drill-down", (("calls", ("site",)), ("agents", ("site",)))),
    M(
        "work-mode (home/office) drill-down",
        (("calls", ("work_mode",)), ("agent_shifts", ("work_mode",))),
    ),
    M("NPS", (("surveys", ("nps",)),)),
    M("CSAT", (("surveys", ("csat",)),)),
    M("survey CES", (("surveys", ("ces",)),)),
    M("value co-creation", (("offers", ("accepted_at",)),)),
    M("complaint rate", (("complaints", ("received_at",)),)),
    M("back office (processing, rejection, overtime)", (("backoffice_items", ("completed_at",)),)),
    M("reviewer outliers", (("backoffice_items", ("reviewer_id", "started_at")),)),
    M("workforce productivity and attendance", (("agent_shifts", ("logged_in_seconds",)),)),
)


@dataclass
class Support:
    metric: str
    supported: bool
    why: str  # the entity and fields that support it, or what is missing


def supported_metrics(coverage: dict[str, dict[str, float]]) -> list[Support]:
    """coverage: entity -> field -> share of loadable rows with a value."""
    out: list[Support] = []
    for metric in METRICS:
        gaps: list[str] = []
        found = ""
        for entity, fields in metric.needs:
            have = coverage.get(entity)
            if have is None:
                gaps.append(f"no {entity}")
                continue
            missing = [f for f in fields if have.get(f, 0.0) <= 0.0]
            if not missing:
                found = f"{entity}: {', '.join(fields)}"
                break
            gaps.append(f"{entity} lacks {', '.join(missing)}")
        out.append(Support(metric.name, bool(found), found or "; ".join(gaps)))
    return out
