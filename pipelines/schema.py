"""The canonical entities of serviq, declared once.

This module is the single source of truth for what ingestion must land
(PRODUCT.md section 1). It drives:

- the Polars dtypes ingestion casts to (`Entity.polars_schema`),
- the DuckDB DDL of the raw tables (`Entity.duckdb_ddl`),
- the row-level validation rules (required, domains, ranges, ordering),
- the Great Expectations suites (pipelines/quality),
- the dbt sources documentation (`python -m pipelines.schema --sources-yml`).

Nothing else in the codebase may restate a field list.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

import polars as pl


class Kind(StrEnum):
    """Logical type of a canonical field."""

    STRING = "string"
    INTEGER = "integer"
    DOUBLE = "double"
    BOOLEAN = "boolean"
    TIMESTAMP = "timestamp"  # stored as UTC TIMESTAMPTZ
    DATE = "date"


PiiKind = Literal["customer_id", "phone", "email", "id_card", "free_text"]

_POLARS: dict[Kind, pl.DataType] = {
    Kind.STRING: pl.String(),
    Kind.INTEGER: pl.Int64(),
    Kind.DOUBLE: pl.Float64(),
    Kind.BOOLEAN: pl.Boolean(),
    Kind.TIMESTAMP: pl.Datetime("us", "UTC"),
    Kind.DATE: pl.Date(),
}

_DUCKDB: dict[Kind, str] = {
    Kind.STRING: "varchar",
    Kind.INTEGER: "bigint",
    Kind.DOUBLE: "double",
    Kind.BOOLEAN: "boolean",
    Kind.TIMESTAMP: "timestamptz",
    Kind.DATE: "date",
}


@dataclass(frozen=True)
class Field:
    """One canonical column."""

    name: str
    kind: Kind
    description: str
    required: bool = False
    domain: tuple[str, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    pii: PiiKind | None = None
    not_before: str | None = None  # name of a timestamp this one may not precede

    @property
    def polars_dtype(self) -> pl.DataType:
        return _POLARS[self.kind]

    @property
    def duckdb_type(self) -> str:
        return _DUCKDB[self.kind]


@dataclass(frozen=True)
class Entity:
    """One canonical entity (a raw table)."""

    name: str
    grain: str
    key: tuple[str, ...]
    fields: tuple[Field, ...]
    event_time: str | None = None  # the timestamp that dates a row
    references: dict[str, tuple[str, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        names = [f.name for f in self.fields]
        if len(names) != len(set(names)):
            raise ValueError(f"entity {self.name} declares a field twice")
        for k in self.key:
            if k not in names:
                raise ValueError(f"entity {self.name}: key {k} is not a field")

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"{self.name}.{name}")

    @property
    def polars_schema(self) -> dict[str, pl.DataType]:
        return {f.name: f.polars_dtype for f in self.fields}

    @property
    def required_fields(self) -> list[str]:
        return [f.name for f in self.fields if f.required]

    @property
    def pii_fields(self) -> list[Field]:
        return [f for f in self.fields if f.pii is not None]

    def duckdb_ddl(self, schema: str = "raw") -> str:
        cols = [f"    {f.name} {f.duckdb_type}" for f in self.fields]
        cols += [
            "    _source_file varchar not null",
            "    _source_line bigint not null",
            "    _load_id varchar not null",
        ]
        body = ",\n".join(cols)
        return f"create table if not exists {schema}.{self.name} (\n{body}\n)"


# --------------------------------------------------------------------------
# Domains
# --------------------------------------------------------------------------
DIRECTIONS = ("inbound", "outbound")
INITIATORS = ("customer", "company")
WORK_MODES = ("office", "home")
CALL_OUTCOMES = ("answered", "abandoned", "short_abandon", "callback", "bot_contained")
TICKET_CHANNELS = ("chat", "app", "email", "video")
HANDLERS = ("agent", "bot")
TICKET_STATUSES = ("new", "open", "pending", "solved", "closed")
BACKOFFICE_OUTCOMES = ("approved", "rejected", "returned")
SHIFTS = ("early", "day", "evening", "night")
AGENT_ROLES = ("agent", "team_lead", "reviewer", "supervisor")
COMPLAINT_SEVERITIES = ("low", "medium", "high")

F = Field
K = Kind

CALLS = Entity(
    name="calls",
    grain="one inbound or outbound telephone contact",
    key=("call_id",),
    event_time="ivr_started_at",
    fields=(
        F("call_id", K.STRING, "Unique id of the call.", required=True),
        F(
            "customer_id",
            K.STRING,
            "Customer (keyed hash); null if unidentified.",
            pii="customer_id",
        ),
        F("caller_number", K.STRING, "Calling/called number (keyed hash).", pii="phone"),
        F("direction", K.STRING, "inbound or outbound.", required=True, domain=DIRECTIONS),
        F("initiated_by", K.STRING, "Who started the contact.", required=True, domain=INITIATORS),
        F("site", K.STRING, "Contact-centre site (city) that handled or queued it."),
        F("queue", K.STRING, "ACD queue / skill group."),
        F("agent_id", K.STRING, "Answering agent; null if not answered by an agent."),
        F("work_mode", K.STRING, "office or home, for the answering agent.", domain=WORK_MODES),
        F("ivr_started_at", K.TIMESTAMP, "Call entered the IVR (start of contact).", required=True),
        F("queued_at", K.TIMESTAMP, "Call entered an agent queue.", not_before="ivr_started_at"),
        F("answered_at", K.TIMESTAMP, "Agent answered.", not_before="queued_at"),
        F("ended_at", K.TIMESTAMP, "Call ended.", required=True, not_before="ivr_started_at"),
        F("hold_seconds", K.INTEGER, "Seconds on hold during the call.", minimum=0),
        F("wrap_seconds", K.INTEGER, "After-call work seconds.", minimum=0),
        F("transfers", K.INTEGER, "Number of transfers.", minimum=0),
        F("outcome", K.STRING, "How the call ended.", required=True, domain=CALL_OUTCOMES),
        F("predicted_intent", K.STRING, "Intent predicted by IVR/AI before routing."),
        F("prediction_confidence", K.DOUBLE, "Confidence of the prediction.", minimum=0, maximum=1),
        F("intent", K.STRING, "Final disposition intent."),
        F("resolved_flag", K.BOOLEAN, "Agent disposition: resolved on this contact."),
        F("escalated_to_backoffice", K.BOOLEAN, "Sent to the back office."),
        F("sentiment", K.DOUBLE, "Speech-analytics sentiment.", minimum=-1, maximum=1),
        F("agent_note", K.STRING, "Agent's free-text note (PII masked).", pii="free_text"),
    ),
)

TICKETS = Entity(
    name="tickets",
    grain="one online contact: chat, app message, e-mail, video",
    key=("ticket_id",),
    event_time="created_at",
    fields=(
        F("ticket_id", K.STRING, "Unique id of the online contact.", required=True),
        F(
            "customer_id",
            K.STRING,
            "Customer (keyed hash); null if unidentified.",
            pii="customer_id",
        ),
        F("customer_email", K.STRING, "Customer e-mail (keyed hash).", pii="email"),
        F("channel", K.STRING, "Online channel.", required=True, domain=TICKET_CHANNELS),
        F("initiated_by", K.STRING, "Who started the contact.", required=True, domain=INITIATORS),
        F("created_at", K.TIMESTAMP, "Contact created.", required=True),
        F(
            "first_response_at",
            K.TIMESTAMP,
            "First response by agent or bot.",
            not_before="created_at",
        ),
        F("solved_at", K.TIMESTAMP, "Marked solved.", not_before="created_at"),
        F("reopened_count", K.INTEGER, "Times reopened after solving.", minimum=0),
        F("handled_by", K.STRING, "agent or bot.", domain=HANDLERS),
        F("agent_id", K.STRING, "Handling agent, if any."),
        F("intent", K.STRING, "Final disposition intent."),
        F("predicted_intent", K.STRING, "Intent predicted at intake."),
        F("prediction_confidence", K.DOUBLE, "Confidence of the prediction.", minimum=0, maximum=1),
        F("status", K.STRING, "Ticket status at export.", required=True, domain=TICKET_STATUSES),
        F("escalated_to_backoffice", K.BOOLEAN, "Sent to the back office."),
        F("first_message", K.STRING, "Customer's first message (PII masked).", pii="free_text"),
    ),
)

BACKOFFICE_ITEMS = Entity(
    name="backoffice_items",
    grain="one work item sent to the back office",
    key=("item_id",),
    event_time="received_at",
    fields=(
        F("item_id", K.STRING, "Unique id of the work item.", required=True),
        F("source_contact_id", K.STRING, "Call or ticket that raised it, if any."),
        F("branch_id", K.STRING, "Branch that sent the item.", required=True),
        F("business_type", K.STRING, "Business type (e.g. account filing).", required=True),
        F("applicant_id_number", K.STRING, "Applicant ID-card number (keyed hash).", pii="id_card"),
        F("received_at", K.TIMESTAMP, "Item received by the back office.", required=True),
        F("started_at", K.TIMESTAMP, "Review started.", not_before="received_at"),
        F("completed_at", K.TIMESTAMP, "Review completed.", not_before="started_at"),
        F("reviewer_id", K.STRING, "Reviewer who handled it."),
        F("shift", K.STRING, "Back-office shift.", domain=SHIFTS),
        F("outcome", K.STRING, "Review outcome; null while open.", domain=BACKOFFICE_OUTCOMES),
        F("reject_reason", K.STRING, "Reason for rejection or return."),
        F("sla_minutes", K.INTEGER, "SLA from receipt, in minutes.", required=True, minimum=1),
    ),
)

SURVEYS = Entity(
    name="surveys",
    grain="one post-contact survey answer",
    key=("survey_id",),
    event_time="answered_at",
    fields=(
        F("survey_id", K.STRING, "Unique id of the answer.", required=True),
        F("contact_id", K.STRING, "Call or ticket surveyed.", required=True),
        F("answered_at", K.TIMESTAMP, "Answer time.", required=True),
        F("nps", K.INTEGER, "Likelihood to recommend, 0-10.", minimum=0, maximum=10),
        F("csat", K.INTEGER, "Satisfaction, 1-5.", minimum=1, maximum=5),
        F("ces", K.INTEGER, "Ease, 1-7 (7 = very easy).", minimum=1, maximum=7),
        F("verbatim", K.STRING, "Free-text comment (PII masked).", pii="free_text"),
    ),
)

OFFERS = Entity(
    name="offers",
    grain="one product or service recommendation made during service",
    key=("offer_id",),
    event_time="recommended_at",
    fields=(
        F("offer_id", K.STRING, "Unique id of the offer.", required=True),
        F("contact_id", K.STRING, "Contact during which it was made."),
        F("customer_id", K.STRING, "Customer (keyed hash).", required=True, pii="customer_id"),
        F("product", K.STRING, "Product or service offered.", required=True),
        F("recommended_at", K.TIMESTAMP, "Offer made.", required=True),
        F("accepted_at", K.TIMESTAMP, "Offer accepted; null if not.", not_before="recommended_at"),
        F("value_amount", K.DOUBLE, "Value of the product, CNY.", minimum=0),
    ),
)

COMPLAINTS = Entity(
    name="complaints",
    grain="one formal complaint",
    key=("complaint_id",),
    event_time="received_at",
    fields=(
        F("complaint_id", K.STRING, "Unique id of the complaint.", required=True),
        F("customer_id", K.STRING, "Customer (keyed hash).", required=True, pii="customer_id"),
        F("contact_id", K.STRING, "Contact it refers to, if any."),
        F("received_at", K.TIMESTAMP, "Complaint received.", required=True),
        F("category", K.STRING, "Complaint category.", required=True),
        F("severity", K.STRING, "low / medium / high.", domain=COMPLAINT_SEVERITIES),
        F("closed_at", K.TIMESTAMP, "Complaint closed.", not_before="received_at"),
        F("description", K.STRING, "Complaint text (PII masked).", pii="free_text"),
    ),
)

AGENTS = Entity(
    name="agents",
    grain="one agent (or back-office reviewer) per validity period",
    key=("agent_id", "valid_from"),
    fields=(
        F("agent_id", K.STRING, "Agent or reviewer id.", required=True),
        F("site", K.STRING, "Site (city).", required=True),
        F("team", K.STRING, "Team.", required=True),
        F("role", K.STRING, "Role.", required=True, domain=AGENT_ROLES),
        F("valid_from", K.DATE, "First day of this record.", required=True),
        F("valid_to", K.DATE, "Last day of this record; null if current."),
    ),
)

AGENT_SHIFTS = Entity(
    name="agent_shifts",
    grain="one scheduled or logged-in shift of one agent on one day",
    key=("agent_id", "shift_date"),
    fields=(
        F("agent_id", K.STRING, "Agent id.", required=True),
        F("shift_date", K.DATE, "Day of the shift (reporting time zone).", required=True),
        F("work_mode", K.STRING, "office or home.", domain=WORK_MODES),
        F("logged_in_seconds", K.INTEGER, "Seconds logged in.", required=True, minimum=0),
        F("available_seconds", K.INTEGER, "Seconds available or on contacts.", minimum=0),
        F("scheduled", K.BOOLEAN, "The shift was on the schedule.", required=True),
    ),
)

ENTITIES: dict[str, Entity] = {
    e.name: e
    for e in (
        CALLS,
        TICKETS,
        BACKOFFICE_ITEMS,
        SURVEYS,
        OFFERS,
        COMPLAINTS,
        AGENTS,
        AGENT_SHIFTS,
    )
}


def entity(name: str) -> Entity:
    try:
        return ENTITIES[name]
    except KeyError:
        known = ", ".join(ENTITIES)
        raise KeyError(f"unknown entity {name!r}; known entities: {known}") from None


def sources_yml() -> str:
    """Render the dbt sources file for the raw schema from this module."""
    lines = [
        "# Generated from pipelines/schema.py by `python -m pipelines.schema --sources-yml`;",
        "# do not edit by hand (tests/test_schema.py checks it is current).",
        "version: 2",
        "",
        "sources:",
        "  - name: serviq",
        "    description: Canonical entities landed by serviq ingestion (PII already hashed).",
        "    schema: raw",
        "    tables:",
    ]
    for ent in ENTITIES.values():
        lines.append(f"      - name: {ent.name}")
        lines.append(f'        description: "{ent.grain}"')
        # One not_null_columns test per table for its required columns, not
        # one not_null node per column: dbt's per-node cost (DECISIONLOG.md,
        # "Platform and pipeline").
        required = [f.name for f in ent.fields if f.required]
        if required:
            lines.append("        data_tests:")
            lines.append("          - not_null_columns:")
            lines.append("              arguments:")
            lines.append(f"                columns: [{', '.join(required)}]")
        lines.append("        columns:")
        for f in ent.fields:
            desc = f.description.replace('"', "'")
            lines.append(f"          - name: {f.name}")
            lines.append(f'            description: "{desc}"')
            tests: list[str] = []
            if len(ent.key) == 1 and f.name == ent.key[0]:
                tests.append("unique")
            if f.domain:
                vals = ", ".join(f"'{v}'" for v in f.domain)
                tests.append(f"accepted_values: {{arguments: {{values: [{vals}]}}}}")
            if tests:
                lines.append("            data_tests:")
                for t in tests:
                    lines.append(f"              - {t}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    if "--sources-yml" in sys.argv:
        sys.stdout.write(sources_yml())
    else:
        for ent in ENTITIES.values():
            print(ent.duckdb_ddl() + ";\n")
