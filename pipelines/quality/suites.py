"""The expectation suites, as code: raw entities from the schema, marts by discovery.

- `raw.<entity>` for every entity of `pipelines/schema.py`: key unique,
  required fields not null, domains, minimum/maximum (non-negative
  durations and counts), `not_before` ordering of timestamps, event times not
  in the future, at least one row, and referential coverage (e.g. surveys
  whose contact is a loaded call or ticket >= 99%).
- `raw.columns`: every raw table has exactly the declared columns and types.
- `marts.<table>` for every table in the `marts` schema, discovered from
  information_schema so a new mart is covered without code: `*_rate` and
  `*_share` columns within [0, 1]; `<x>_numerator` / `<x>_denominator`
  pairs: denominators never negative and, for shares, the numerator never
  above the denominator and `<x>` equal to their quotient.
- `marts.<table>.daily`: for marts with a `*_date` column, day-over-day
  jumps of daily `*_count` totals and of shares beyond a threshold (warnings).

Every threshold is a suite parameter with a default in `default_params()`;
`serviq check --param name=value` overrides it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import duckdb

from pipelines.db import frame
from pipelines.quality.rules import (
    Params,
    Rule,
    Severity,
    between,
    flag_true,
    in_set,
    not_before,
    not_null,
    pair_equal,
    quote,
    row_count_at_least,
    share_at_least,
    sql_literal,
    unique,
)
from pipelines.schema import ENTITIES, Entity
from pipelines.schema import entity as get_entity

META_COLUMNS = {"_source_file": "varchar", "_source_line": "bigint", "_load_id": "varchar"}

# --------------------------------------------------------------------------
# Referential coverage
# --------------------------------------------------------------------------
CONTACTS = (("calls", "call_id"), ("tickets", "ticket_id"))
AGENTS = (("agents", "agent_id"),)


@dataclass(frozen=True)
class Reference:
    """`entity.column` should be found in one of `targets` (entity, key column)."""

    entity: str
    column: str
    targets: tuple[tuple[str, str], ...]
    severity: Severity = Severity.WARNING
    min_coverage: float = 0.99

    def __post_init__(self) -> None:
        get_entity(self.entity).field(self.column)
        for target, key in self.targets:
            get_entity(target).field(key)

    @property
    def param(self) -> str:
        return f"{self.entity}__{self.column}__min_coverage"

    @property
    def flag(self) -> str:
        return f"_ref__{self.column}"


# The schema's `references` holds one target per field; contacts live in two
# tables (calls or tickets), so the coverage rules are declared here.
REFERENCES: tuple[Reference, ...] = (
    Reference("surveys", "contact_id", CONTACTS, Severity.CRITICAL),
    Reference("offers", "contact_id", CONTACTS, Severity.CRITICAL),
    Reference("complaints", "contact_id", CONTACTS),
    Reference("backoffice_items", "source_contact_id", CONTACTS),
    Reference("calls", "agent_id", AGENTS),
    Reference("tickets", "agent_id", AGENTS),
    Reference("agent_shifts", "agent_id", AGENTS),
    Reference("backoffice_items", "reviewer_id", AGENTS),
)


def references() -> list[Reference]:
    """The coverage rules above plus any single-target `references` in the schema."""
    found = list(REFERENCES)
    declared = {(r.entity, r.column) for r in found}
    for ent in ENTITIES.values():
        for column, target in ent.references.items():
            if (ent.name, column) not in declared:
                found.append(Reference(ent.name, column, (target,)))
    return found


# --------------------------------------------------------------------------
# Table checks
# --------------------------------------------------------------------------
Derived = Callable[[Params], str]


@dataclass
class TableCheck:
    """One suite over one relation: its rules, row keys and computed flag columns."""

    suite: str
    relation: str  # a table name or a parenthesised query
    key: tuple[str, ...]
    rules: list[Rule] = field(default_factory=list)
    derived: dict[str, Derived] = field(default_factory=dict)  # flag column -> SQL over `t`
    samplable: bool = True  # large tables may be sampled; derived summaries never are

    @property
    def columns(self) -> list[str]:
        """Columns the rules read, keys first (derived flags excluded)."""
        wanted: list[str] = list(self.key)
        for rule in self.rules:
            for name in ("column", "column_A", "column_B"):
                value = rule.kwargs.get(name)
                if isinstance(value, str) and value not in wanted:
                    wanted.append(value)
            for value in rule.kwargs.get("column_list", []):
                if value not in wanted:
                    wanted.append(value)
        return [c for c in wanted if c not in self.derived]


def default_params() -> dict[str, Any]:
    """Every suite parameter and its default (schema-driven where the schema says)."""
    params: dict[str, Any] = {}
    for ent in ENTITIES.values():
        params[f"{ent.name}__min_rows"] = 1
        params[f"{ent.name}__future_hours"] = 24
        for f in ent.fields:
            if f.domain:
                params[f"{ent.name}__{f.name}__domain"] = list(f.domain)
            if f.minimum is not None:
                params[f"{ent.name}__{f.name}__min"] = f.minimum
            if f.maximum is not None:
                params[f"{ent.name}__{f.name}__max"] = f.maximum
    for ref in references():
        params[ref.param] = ref.min_coverage
    params |= {
        "marts__rate_min": 0,
        "marts__rate_max": 1,
        "marts__count_min": 0,
        "marts__share_tolerance": 1e-9,
        # pairs whose <x> matches this are means or per-N ratios, not shares
        "marts__non_share_pattern": (
            r"(^|_)(mean|avg|average|per|seconds|minutes|hours|amount|value|nps|index|ratio"
            r"|asa|aht|score)(_|$)"
        ),
        "marts__dod_min_ratio": 0.5,
        "marts__dod_max_ratio": 2.0,
        "marts__dod_max_share_change": 0.15,
        "marts__dod_min_base": 100,
    }
    return params


def raw_check(ent: Entity) -> TableCheck:
    check = TableCheck(suite=f"raw.{ent.name}", relation=f"raw.{quote(ent.name)}", key=ent.key)
    check.rules.append(row_count_at_least(f"{ent.name}__min_rows"))
    check.rules.append(unique(ent.key))
    for f in ent.fields:
        prefix = f"{ent.name}__{f.name}"
        if f.required:
            check.rules.append(not_null(f.name))
        if f.domain:
            check.rules.append(in_set(f.name, f"{prefix}__domain"))
        if f.minimum is not None or f.maximum is not None:
            check.rules.append(
                between(
                    f.name,
                    f"{prefix}__min" if f.minimum is not None else None,
                    f"{prefix}__max" if f.maximum is not None else None,
                )
            )
        if f.not_before:
            check.rules.append(not_before(f.name, f.not_before))
    if ent.event_time:
        _add_not_future(check, ent, ent.event_time)
    for ref in references():
        if ref.entity == ent.name:
            _add_reference(check, ref)
    return check


def _add_not_future(check: TableCheck, ent: Entity, column: str) -> None:
    flag = f"_not_future__{column}"
    hours = f"{ent.name}__future_hours"
    check.derived[flag] = lambda p: (
        f"case when t.{quote(column)} is null then null "
        f"else t.{quote(column)} <= now() + to_hours({int(p[hours])}) end"
    )
    check.rules.append(flag_true(flag, f"{column}<=now+{hours}", Severity.WARNING))


def _add_reference(check: TableCheck, ref: Reference) -> None:
    col = quote(ref.column)
    found = " or ".join(
        f"t.{col} in (select {quote(key)} from raw.{quote(target)})" for target, key in ref.targets
    )
    check.derived[ref.flag] = lambda _p: f"case when t.{col} is null then null else ({found}) end"
    label = f"{ref.column} in " + "|".join(f"{t}.{k}" for t, k in ref.targets)
    check.rules.append(share_at_least(ref.flag, label, ref.param, ref.severity))


def contract_check() -> TableCheck:
    """Every raw table has exactly the declared columns, of the declared types."""
    declared = [
        (ent.name, f.name, f.duckdb_type) for ent in ENTITIES.values() for f in ent.fields
    ] + [(ent.name, c, t) for ent in ENTITIES.values() for c, t in META_COLUMNS.items()]
    values = ", ".join(
        f"({sql_literal(t)}, {sql_literal(c)}, typeof(null::{kind}))" for t, c, kind in declared
    )
    tables = sql_literal(list(ENTITIES))
    relation = f"""(
        with declared(table_name, column_name, declared_type) as (values {values}),
        actual as (
            select table_name, column_name, data_type as actual_type
            from information_schema.columns
            where table_catalog = current_database() and table_schema = 'raw'
              and table_name in {tables}
        )
        select
            coalesce(declared.table_name, actual.table_name) as table_name,
            coalesce(declared.column_name, actual.column_name) as column_name,
            declared.declared_type,
            actual.actual_type
        from declared
        full outer join actual
            on declared.table_name = actual.table_name
            and declared.column_name = actual.column_name
    )"""
    return TableCheck(
        suite="raw.columns",
        relation=relation,
        key=("table_name", "column_name"),
        rules=[
            not_null("actual_type"),  # a declared column is missing
            pair_equal("actual_type", "declared_type", "actual_type=declared_type"),
            not_null("declared_type", Severity.WARNING),  # a column nobody declared
        ],
        samplable=False,
    )


# --------------------------------------------------------------------------
# Marts, discovered
# --------------------------------------------------------------------------
@dataclass
class MartShape:
    table: str
    columns: dict[str, str]  # name -> information_schema data_type, in ordinal order

    def has(self, column: str) -> bool:
        return column in self.columns


_NUMERIC = ("BIGINT", "INTEGER", "HUGEINT", "DOUBLE", "FLOAT", "DECIMAL", "SMALLINT", "UBIGINT")
_KEYISH = ("VARCHAR", "DATE", "BOOLEAN", "TIMESTAMP")


def discover_marts(con: duckdb.DuckDBPyConnection) -> list[MartShape]:
    listing = frame(
        con,
        """
        select columns.table_name, columns.column_name, columns.data_type
        from information_schema.columns as columns
        join information_schema.tables as tables
            on tables.table_catalog = columns.table_catalog
            and tables.table_schema = columns.table_schema
            and tables.table_name = columns.table_name
        where columns.table_catalog = current_database() and columns.table_schema = 'marts'
          and tables.table_type = 'BASE TABLE'
        order by columns.table_name, columns.ordinal_position
        """,
    )
    shapes: dict[str, MartShape] = {}
    for table, column, kind in listing.iter_rows():
        shapes.setdefault(table, MartShape(table, {})).columns[column] = kind
    return list(shapes.values())


def _is_numeric(kind: str) -> bool:
    return kind.upper().startswith(_NUMERIC)


def _pairs(shape: MartShape) -> list[str]:
    """Every <x> with both <x>_numerator and <x>_denominator columns."""
    return [
        c[: -len("_numerator")]
        for c in shape.columns
        if c.endswith("_numerator") and shape.has(c[: -len("_numerator")] + "_denominator")
    ]


def _rate_columns(shape: MartShape) -> list[str]:
    return [
        c
        for c, kind in shape.columns.items()
        if c.endswith(("_rate", "_share")) and _is_numeric(kind)
    ]


def _mart_key(shape: MartShape) -> tuple[str, ...]:
    keyish = [c for c, kind in shape.columns.items() if kind.upper().startswith(_KEYISH)]
    return tuple(keyish[:6])


def is_share(base: str, params: Params) -> bool:
    return re.search(str(params["marts__non_share_pattern"]), base) is None


def mart_check(shape: MartShape, params: Params) -> TableCheck | None:
    check = TableCheck(
        suite=f"marts.{shape.table}", relation=f"marts.{quote(shape.table)}", key=_mart_key(shape)
    )
    for column in _rate_columns(shape):
        check.rules.append(between(column, "marts__rate_min", "marts__rate_max"))
    for base in _pairs(shape):
        numerator, denominator = f"{base}_numerator", f"{base}_denominator"
        check.rules.append(between(denominator, "marts__count_min", None))
        if not is_share(base, params):
            continue
        check.rules.append(between(numerator, "marts__count_min", None))
        check.rules.append(not_before(denominator, numerator))
        for quotient in (base, f"{base}_rate"):
            if shape.has(quotient):
                _add_quotient(check, quotient, numerator, denominator)
    return check if check.rules else None


def _add_quotient(check: TableCheck, quotient: str, numerator: str, denominator: str) -> None:
    flag = f"_quotient__{quotient}"
    q, n, d = quote(quotient), quote(numerator), quote(denominator)
    check.derived[flag] = lambda p: (
        f"case when t.{d} > 0 and t.{q} is not null "
        f"then abs(t.{q} - t.{n}::double / t.{d}) <= {float(p['marts__share_tolerance'])!r} end"
    )
    check.rules.append(flag_true(flag, f"{quotient}={numerator}/{denominator}"))


def daily_check(shape: MartShape, params: Params) -> TableCheck | None:
    """Day-over-day jumps of daily totals (counts) and shares, as warnings."""
    dates = [c for c, kind in shape.columns.items() if c.endswith("_date") and kind == "DATE"]
    counts = [c for c, kind in shape.columns.items() if c.endswith("_count") and _is_numeric(kind)]
    shares = [b for b in _pairs(shape) if is_share(b, params)]
    if not dates or not (counts or shares):
        return None
    day = quote(dates[0])
    base = int(params["marts__dod_min_base"])
    sums = [f"sum({quote(c)}) as {quote(c)}" for c in counts]
    for b in shares:
        sums += [f"sum({quote(b + s)}) as {quote(b + s)}" for s in ("_numerator", "_denominator")]
    measures: list[str] = []
    check = TableCheck(
        suite=f"marts.{shape.table}.daily", relation="", key=("day",), samplable=False
    )
    for c in counts:
        name = f"{c}__day_ratio"
        measures.append(
            f"case when lag({quote(c)}) over w >= {base} "
            f"then {quote(c)}::double / lag({quote(c)}) over w end as {quote(name)}"
        )
        check.rules.append(
            between(name, "marts__dod_min_ratio", "marts__dod_max_ratio", Severity.WARNING)
        )
    for b in shares:
        n, d = quote(b + "_numerator"), quote(b + "_denominator")
        name = f"{b}__day_change"
        measures.append(
            f"case when {d} >= {base} and lag({d}) over w >= {base} "
            f"then abs({n}::double / {d} - lag({n}) over w::double / lag({d}) over w) end "
            f"as {quote(name)}"
        )
        check.rules.append(between(name, None, "marts__dod_max_share_change", Severity.WARNING))
    check.relation = f"""(
        with daily as (
            select {day} as day, {", ".join(sums)}
            from marts.{quote(shape.table)} group by {day}
        )
        select day, {", ".join(measures)}
        from daily
        window w as (order by day)
    )"""
    return check


def all_checks(con: duckdb.DuckDBPyConnection, params: Params) -> list[TableCheck]:
    checks = [contract_check()] + [raw_check(ent) for ent in ENTITIES.values()]
    for shape in discover_marts(con):
        for made in (mart_check(shape, params), daily_check(shape, params)):
            if made is not None:
                checks.append(made)
    return checks
