"""Landing files for the reliability and quality tests, built from the schema.

Valid records come from `pipelines/schema.py` (keys, domains, ranges,
`not_before` ordering) and are written exactly as the generator's source
mapping reads them (file names, formats, encodings, renamed columns, coded
values), so these files take the same path through ingestion as real ones.
Malformed variants are made by named mutations, each with the field the
quarantine must blame.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from pipelines.schema import ENTITIES, Entity, Field, Kind
from pipelines.sources.mapping import EntityMapping, SourceMapping, builtin_mapping, load_mapping

MAPPING: SourceMapping = load_mapping(builtin_mapping())
TZ = ZoneInfo(MAPPING.timezone)
BASE = dt.datetime(2026, 6, 1, 8, 0, tzinfo=TZ)
Record = dict[str, str | None]  # canonical field name -> text (None = empty)

# Entity -> key prefix; contact ids of surveys/offers/complaints point at calls.
PREFIX = {
    "calls": "CA",
    "tickets": "TK",
    "backoffice_items": "BO",
    "surveys": "SV",
    "offers": "OF",
    "complaints": "CP",
    "agents": "A",
    "agent_shifts": "A",
}


def phone(i: int) -> str:
    return f"139{i % 10**8:08d}"


def id_card(i: int) -> str:
    return f"4403051985{i % 10**7:07d}X"


def customer(i: int) -> str:
    return f"CUST{i % 10**8:08d}"


def _depth(ent: Entity, f: Field) -> int:
    return 0 if not f.not_before else 1 + _depth(ent, ent.field(f.not_before))


def valid_record(entity: str, i: int) -> Record:
    """Row `i` of an entity, valid under every schema rule."""
    ent = ENTITIES[entity]
    start = BASE + dt.timedelta(minutes=i)
    rec: Record = {}
    for f in ent.fields:
        rec[f.name] = _value(ent, f, i, start)
    for k in ent.key:
        if ent.field(k).kind is Kind.STRING:
            rec[k] = f"{PREFIX[entity]}{i:07d}"
    if "contact_id" in rec or "source_contact_id" in rec:
        name = "contact_id" if "contact_id" in rec else "source_contact_id"
        rec[name] = f"{PREFIX['calls']}{i:07d}"
    for name in ("agent_id", "reviewer_id"):
        if name in rec and name not in ent.key:
            rec[name] = f"A{i % 7:07d}"
    return rec


def _value(ent: Entity, f: Field, i: int, start: dt.datetime) -> str | None:
    if f.domain:
        return f.domain[i % len(f.domain)]
    if f.pii == "customer_id":
        return customer(i)
    if f.pii == "phone":
        return phone(i)
    if f.pii == "email":
        return f"user{i}@example.com"
    if f.pii == "id_card":
        return id_card(i)
    if f.pii == "free_text":
        return f"客户来电咨询第{i}号问题，已处理。"
    if f.kind is Kind.STRING:
        return f"{f.name}_{i % 3}"
    if f.kind is Kind.INTEGER:
        lo = int(f.minimum or 0)
        hi = int(f.maximum) if f.maximum is not None else lo + 100
        return str(lo + i % (hi - lo + 1))
    if f.kind is Kind.DOUBLE:
        lo = f.minimum if f.minimum is not None else 0.0
        hi = f.maximum if f.maximum is not None else 100.0
        return f"{lo + (hi - lo) * (i % 10) / 10:.3f}"
    if f.kind is Kind.BOOLEAN:
        return "1" if i % 2 else "0"
    if f.kind is Kind.DATE:
        return (BASE.date() + dt.timedelta(days=i % 28)).isoformat()
    return (start + dt.timedelta(seconds=30 * _depth(ent, f))).isoformat()


# --------------------------------------------------------------------------
# Malformed variants: (mutation, field the quarantine must name)
# --------------------------------------------------------------------------
Mutation = Callable[[Entity, Record], str | None]  # mutates in place; returns the blamed field


def bad_integer(ent: Entity, rec: Record) -> str | None:
    f = next((f for f in ent.fields if f.kind is Kind.INTEGER), None)
    if f is None:
        return None
    rec[f.name] = "twelve"
    return f.name


def missing_required(ent: Entity, rec: Record) -> str | None:
    f = next((f for f in ent.fields if f.required and f.name not in ent.key), None)
    if f is None:
        return None
    rec[f.name] = None
    return f.name


def outside_domain(ent: Entity, rec: Record) -> str | None:
    f = next((f for f in ent.fields if f.domain and f.required), None)
    if f is None:
        return None
    rec[f.name] = "bogus"
    return f.name


def impossible_order(ent: Entity, rec: Record) -> str | None:
    f = next((f for f in ent.fields if f.not_before and f.kind is Kind.TIMESTAMP), None)
    if f is None:
        return None
    earlier = rec[f.not_before]
    assert earlier is not None
    rec[f.name] = (dt.datetime.fromisoformat(earlier) - dt.timedelta(hours=1)).isoformat()
    return f.name


def negative_duration(ent: Entity, rec: Record) -> str | None:
    f = next(
        (f for f in ent.fields if f.kind is Kind.INTEGER and f.minimum == 0 and not f.required),
        None,
    )
    if f is None:
        return None
    rec[f.name] = "-5"
    return f.name


def bad_timestamp(ent: Entity, rec: Record) -> str | None:
    f = next((f for f in ent.fields if f.kind is Kind.TIMESTAMP and f.required), None)
    if f is None:
        return None
    rec[f.name] = "2026-13-45 99:00:00"
    return f.name


MUTATIONS: dict[str, Mutation] = {
    "bad_integer": bad_integer,
    "missing_required": missing_required,
    "outside_domain": outside_domain,
    "impossible_order": impossible_order,
    "negative_duration": negative_duration,
    "bad_timestamp": bad_timestamp,
}


# --------------------------------------------------------------------------
# Writing files as the source mapping reads them
# --------------------------------------------------------------------------
@dataclass
class Written:
    path: Path
    rel: str


def file_path(landing: Path, entity: str, stem: str) -> Path:
    return landing / MAPPING.entities[entity].files.replace("*", stem)


def _source_value(em: EntityMapping, f: Field, value: str | None) -> str | None:
    if value is None:
        return None
    reverse = {v: k for k, v in em.values.get(f.name, {}).items()}
    value = reverse.get(value, value)
    if f.kind is Kind.TIMESTAMP and em.format != "jsonl":
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            return value  # a deliberately malformed timestamp stays as it is
        return parsed.astimezone(TZ).strftime(em.timestamp_format)
    return value


def render(entity: str, records: list[Record], extra: dict[str, str] | None = None) -> bytes:
    """The bytes of one landing file of `entity` holding `records` (canonical names)."""
    em = MAPPING.entities[entity]
    ent = ENTITIES[entity]
    header = [em.source_column(f.name) for f in ent.fields] + list(extra or {})
    rows = []
    for rec in records:
        row = [_source_value(em, f, rec.get(f.name)) for f in ent.fields]
        rows.append(row + list((extra or {}).values()))
    if em.format == "jsonl":
        lines = [
            json.dumps(dict(zip(header, row, strict=True)), ensure_ascii=False) for row in rows
        ]
        return ("\n".join(lines) + "\n").encode(em.encoding)
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=em.separator, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return buf.getvalue().encode(em.encoding)


def write(landing: Path, entity: str, stem: str, data: bytes) -> Written:
    path = file_path(landing, entity, stem)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return Written(path, str(path.relative_to(landing)))


def write_records(
    landing: Path,
    entity: str,
    stem: str,
    records: list[Record],
    extra: dict[str, str] | None = None,
) -> Written:
    return write(landing, entity, stem, render(entity, records, extra))


def small_landing(landing: Path, rows: int = 30, files_per_entity: int = 2) -> list[Written]:
    """Valid files for every entity (referentially consistent), `files_per_entity` each."""
    written = []
    for entity in ENTITIES:
        for part in range(files_per_entity):
            lo, hi = part * rows, (part + 1) * rows
            records = [valid_record(entity, i) for i in range(lo, hi)]
            stem = f"2026-06-{part + 1:02d}"
            if "*" not in MAPPING.entities[entity].files:
                if part:
                    continue
                records = [valid_record(entity, i) for i in range(rows * files_per_entity)]
            written.append(write_records(landing, entity, stem, records))
    return written
