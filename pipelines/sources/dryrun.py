"""`serviq sources validate`: a dry run of a source mapping over landing files.

Reads, maps and validates every file the mapping names exactly as ingestion
does (same reader, same expressions, same typing and rules), writes nothing,
and reports per entity and field what maps and from where, the null rate of
what would load, the first rejected rows with their reasons, and which
metrics the mapped data will and will not support.

Reasons can quote values: they are masked like the quarantine's (numbers,
e-mails and ids in them become keyed-hash tokens), so the report is safe to
paste into a ticket.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from pipelines.ingest.pii import mask_text
from pipelines.ingest.read import LINE, FileRefused, read_file
from pipelines.ingest.validate import ColumnsRefused, to_canonical_text, validate
from pipelines.schema import ENTITIES, Entity
from pipelines.sources.coverage import Support, supported_metrics
from pipelines.sources.mapping import EntityMapping, SourceMapping

FIRST_REJECTS = 5


@dataclass
class FieldReport:
    name: str
    source: str  # "column X", "expression", "constant 'x'", "synthetic key", "not mapped"
    loaded_share: float  # share of loadable rows with a value
    rejected: int  # rows quarantined with this field as the first failing one


@dataclass
class EntityReport:
    entity: str
    files: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    rows_read: int = 0
    rows_filtered: int = 0
    rows_loadable: int = 0
    rows_rejected: int = 0
    duplicate_keys: int = 0
    fields: list[FieldReport] = field(default_factory=list)
    first_rejects: list[str] = field(default_factory=list)
    unused_columns: list[str] = field(default_factory=list)
    time_span: str = ""  # first and last event time, in the reporting time zone
    value_counts: dict[str, str] = field(default_factory=dict)  # coded field -> "a 3, b 1"


@dataclass
class DryRun:
    source: str
    landing: Path
    entities: list[EntityReport]
    metrics: list[Support]

    @property
    def ok(self) -> bool:
        return all(e.files and not e.refused for e in self.entities)


def dry_run(
    mapping: SourceMapping,
    landing: Path,
    key: bytes | None = None,
    reporting_timezone: str = "Asia/Shanghai",
) -> DryRun:
    key = key or os.urandom(32)  # reasons are masked even when no PII key is set
    reports: list[EntityReport] = []
    coverage: dict[str, dict[str, float]] = {}
    for name, ent_map in mapping.entities.items():
        report, shares = _entity(name, ent_map, mapping, landing, key, reporting_timezone)
        reports.append(report)
        if report.rows_loadable:
            coverage[name] = shares
    return DryRun(mapping.source, landing, reports, supported_metrics(coverage))


def _entity(
    name: str,
    ent_map: EntityMapping,
    mapping: SourceMapping,
    landing: Path,
    key: bytes,
    reporting_timezone: str,
) -> tuple[EntityReport, dict[str, float]]:
    ent = ENTITIES[name]
    report = EntityReport(entity=name)
    goods: list[pl.DataFrame] = []
    unused: list[str] = []
    rejected: dict[str, int] = {}
    paths = sorted(p for p in landing.glob(ent_map.files) if p.is_file())
    for path in paths:
        rel = str(path.relative_to(landing))
        report.files.append(rel)
        try:
            result = read_file(path, ent_map)
            text, unknown = to_canonical_text(result.frame, result.columns, ent, ent_map)
        except (FileRefused, ColumnsRefused) as exc:
            report.refused.append(f"{rel}: {mask_text(str(exc), key)}")
            continue
        unused.extend(c for c in unknown if c not in unused)
        checked = validate(text, ent, ent_map, mapping.timezone_for(name))
        report.rows_read += result.frame.height + len(result.rejects) + result.filtered
        report.rows_filtered += result.filtered
        report.rows_rejected += checked.bad.height + len(result.rejects)
        goods.append(checked.good)
        for line, reason in result.rejects:
            _note(report, key, f"{rel} line {line}: {reason}")
        for line, fld, reason in checked.bad.select(LINE, "field", "reason").iter_rows():
            _note(report, key, f"{rel} line {line}: {fld}: {reason}")
        for fld, n in checked.bad.group_by("field").len().iter_rows():
            rejected[str(fld)] = rejected.get(str(fld), 0) + int(n)
    good = pl.concat(goods) if goods else pl.DataFrame(schema=ent.polars_schema)
    report.rows_loadable = good.height
    report.duplicate_keys = _duplicates(good, ent)
    report.unused_columns = [mask_text(c, key) for c in unused]
    shares = _shares(good, ent)
    report.time_span = _time_span(good, ent, reporting_timezone)
    report.value_counts = _value_counts(good, ent)
    report.fields = [
        FieldReport(f.name, describe(ent_map, ent, f.name), shares[f.name], rejected.get(f.name, 0))
        for f in ent.fields
    ]
    return report, shares


def _note(report: EntityReport, key: bytes, text: str) -> None:
    if len(report.first_rejects) < FIRST_REJECTS:
        report.first_rejects.append(mask_text(text, key))


def _duplicates(good: pl.DataFrame, ent: Entity) -> int:
    if good.is_empty():
        return 0
    return int(good.select(pl.struct(list(ent.key)).is_duplicated().sum()).item())


def _time_span(good: pl.DataFrame, ent: Entity, timezone: str) -> str:
    """First and last event time in the reporting zone: a wrong source zone shows here."""
    if (
        ent.event_time is None
        or good.is_empty()
        or good[ent.event_time].null_count() == good.height
    ):
        return ""
    local = good[ent.event_time].dt.convert_time_zone(timezone).dt.strftime("%Y-%m-%d %H:%M")
    first, last = str(local.min()), str(local.max())
    return f"{ent.event_time} from {first} to {last} ({timezone})"


def _value_counts(good: pl.DataFrame, ent: Entity) -> dict[str, str]:
    """Counts of each value of the coded fields (checks the value maps)."""
    out: dict[str, str] = {}
    for f in ent.fields:
        if f.domain and not good.is_empty() and good[f.name].null_count() < good.height:
            counts = (
                good.group_by(f.name)
                .len()
                .drop_nulls()
                .sort(["len", f.name], descending=[True, False])
            )
            out[f.name] = ", ".join(f"{v} {n}" for v, n in counts.iter_rows())
    return out


def _shares(good: pl.DataFrame, ent: Entity) -> dict[str, float]:
    """Share of rows with a value, per field; and per `field=value` of fields with a domain."""
    if good.is_empty():
        return dict.fromkeys(ent.field_names, 0.0)
    counts = good.select([pl.col(f).count() for f in ent.field_names]).row(0)
    shares = {f: n / good.height for f, n in zip(ent.field_names, counts, strict=True)}
    for f in ent.fields:
        if f.domain:
            for value, n in good.group_by(f.name).len().drop_nulls().iter_rows():
                shares[f"{f.name}={value}"] = n / good.height
    return shares


def describe(ent_map: EntityMapping, ent: Entity, name: str) -> str:
    """Where a canonical field comes from, in words."""
    if name in ent_map.constants:
        return f"constant {ent_map.constants[name]!r}"
    if name in ent_map.expressions:
        return "SQL expression"
    if name == ent_map.key_field:
        return f"synthetic key of {', '.join(ent_map.key_columns)}"
    source = ent_map.columns.get(name)
    mapped = f" with {len(ent_map.values[name])} value codes" if name in ent_map.values else ""
    if source is not None:
        return f"column {source}{mapped}"
    return f"column {name} (same name){mapped}"


def render(run: DryRun) -> str:
    """The dry run as plain text for the terminal."""
    lines = [f"source {run.source} over {run.landing}", ""]
    for rep in run.entities:
        lines += _render_entity(rep)
    lines.append("metrics this source supports:")
    for support in run.metrics:
        mark = "yes" if support.supported else "no "
        lines.append(f"  [{mark}] {support.metric} ({support.why})")
    return "\n".join(lines) + "\n"


def _render_entity(rep: EntityReport) -> list[str]:
    lines = [
        f"{rep.entity}: {len(rep.files)} file(s), {rep.rows_read:,} rows read, "
        f"{rep.rows_filtered:,} skipped (filter, older copies), {rep.rows_loadable:,} would load, "
        f"{rep.rows_rejected:,} would be quarantined"
    ]
    if not rep.files:
        lines.append("  no file matches this entity's glob")
    lines += [f"  refused {r}" for r in rep.refused]
    if rep.duplicate_keys:
        lines.append(f"  {rep.duplicate_keys} rows share a key with another row (duplicates)")
    if rep.rows_loadable:
        width = max(len(f.name) for f in rep.fields)
        for f in rep.fields:
            if f.source.startswith("column") and f.loaded_share == 0 and not f.rejected:
                where = f"{f.source}: absent or always empty"
            else:
                where = f.source
            null = f"{100 * (1 - f.loaded_share):5.1f}% null"
            rej = f", {f.rejected} rejected" if f.rejected else ""
            lines.append(f"  {f.name:<{width}}  {null}{rej}  <- {where}")
    if rep.time_span:
        lines.append(f"  {rep.time_span}")
    for name, counts in rep.value_counts.items():
        lines.append(f"  {name} values: {counts}")
    if rep.first_rejects:
        lines.append("  first rejected rows:")
        lines += [f"    {r}" for r in rep.first_rejects]
    if rep.unused_columns:
        lines.append(f"  source columns not used: {', '.join(rep.unused_columns)}")
    lines.append("")
    return lines
