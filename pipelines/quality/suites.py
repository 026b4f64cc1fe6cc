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
  pairs: denominators never negative and, for shares (pairs whose `<x>` is
  not a mean, a per-N ratio, seconds, amounts, ...), the numerator never
  negative nor above the denominator and `<x>` (or `<x>_rate`) equal to
  their quotient.
- `marts.day_over_day`: for marts with a `*_date` column, daily totals of
  `*_count` columns and daily shares; a day whose total moved beyond a
  factor (or whose share moved beyond some points) against the previous
  day, and also against the same weekday a week earlier when there is one,
  is a warning.

Every threshold is a suite parameter with a default in `default_params()`;
`serviq check --param name=value` overrides it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import duckdb

from pipelines.db import catalog_of, frame
from pipelines.quality.coverage import source_coverage
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

# models/marts/dashboard: lookup tables for the dashboard, not metrics of their own
SERVING_MART_PREFIX = "mart_dashboard_"
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


def raw_check(ent: Entity, present: set[str] | None = None) -> TableCheck:
    """The suite of one raw entity.

    `present`: entities holding rows (None: all). A reference whose every
    target entity is empty is not judged: a centre that lands only call
    logs has no agents table to find `calls.agent_id` in (issue 8); the
    empty target's own row-count warning says so. With any target present
    the rule is judged as always.
    """
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
        if ref.entity == ent.name and _judgeable(ref, present):
            _add_reference(check, ref)
    return check


def _judgeable(ref: Reference, present: set[str] | None) -> bool:
    return present is None or any(target in present for target, _key in ref.targets)


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
        where columns.table_catalog = ? and columns.table_schema = 'marts'
          and tables.table_type = 'BASE TABLE'
        order by columns.table_name, columns.ordinal_position
        """,
        [catalog_of(con, "marts")],
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
    """Rates and numerator/denominator pairs of one mart, unpivoted to one long frame.

    One row per (mart row, measure): GX costs ~25 ms per expectation however
    small the frame, so five expectations cover every rate and pair of a
    mart, and the failing row keys name the measure with the mart's keys.
    """
    rates, pairs = _rate_columns(shape), _pairs(shape)
    if not rates and not pairs:
        return None
    key = _mart_key(shape)
    keys = "".join(f"{quote(k)}, " for k in key)
    table = f"marts.{quote(shape.table)}"
    tolerance = float(params["marts__share_tolerance"])
    parts = [
        f"select {keys}{sql_literal(rate)} as measure, {quote(rate)}::double as rate, "
        "null::double as denominator, null::double as share_numerator, "
        f"null::double as share_denominator, null::boolean as quotient_ok from {table}"
        for rate in rates
    ]
    for base in pairs:
        n, d = quote(f"{base}_numerator"), quote(f"{base}_denominator")
        share = is_share(base, params)
        quotient = next((q for q in (base, f"{base}_rate") if shape.has(q)), None)
        ok = (
            f"case when {d} > 0 and {quote(quotient)} is not null "
            f"then abs({quote(quotient)} - {n}::double / {d}) <= {tolerance!r} end"
            if share and quotient
            else "null::boolean"
        )
        parts.append(
            f"select {keys}{sql_literal(base)} as measure, null::double as rate, "
            f"{d}::double as denominator, "
            f"{f'{n}::double' if share else 'null::double'} as share_numerator, "
            f"{f'{d}::double' if share else 'null::double'} as share_denominator, "
            f"{ok} as quotient_ok from {table}"
        )
    check = TableCheck(
        suite=f"marts.{shape.table}",
        relation="(" + "\nunion all\n".join(parts) + ")",
        key=(*key, "measure"),
    )
    shares = [b for b in pairs if is_share(b, params)]
    if rates:
        rule = between("rate", "marts__rate_min", "marts__rate_max")
        check.rules.append(replace(rule, column=_label(rates)))
    if pairs:
        rule = between("denominator", "marts__count_min", None)
        check.rules.append(replace(rule, column=_label([f"{b}_denominator" for b in pairs])))
    if shares:
        check.rules += [
            replace(
                between("share_numerator", "marts__count_min", None),
                column=_label([f"{b}_numerator" for b in shares]),
            ),
            replace(
                not_before("share_denominator", "share_numerator"),
                column=_label([f"{b}_numerator<={b}_denominator" for b in shares]),
            ),
            flag_true("quotient_ok", _label([f"{b}=numerator/denominator" for b in shares])),
        ]
    return check


def _label(names: list[str], shown: int = 3) -> str:
    """Result label for a rule over several columns of a mart (the row keys say which)."""
    return "|".join(names[:shown]) + ("|..." if len(names) > shown else "")


def daily_relation(shape: MartShape, params: Params) -> str | None:
    """Day-over-day ratios of daily count totals and changes of daily shares, long.

    A day is judged against the previous day, unless the same weekday a
    week earlier is within bounds (weekends and Monday peaks are not jumps).
    """
    dates = [c for c, kind in shape.columns.items() if c.endswith("_date") and kind == "DATE"]
    counts = [c for c, kind in shape.columns.items() if c.endswith("_count") and _is_numeric(kind)]
    shares = [b for b in _pairs(shape) if is_share(b, params)]
    if not dates or not (counts or shares):
        return None
    day = quote(dates[0])
    base = int(params["marts__dod_min_base"])
    low, high = float(params["marts__dod_min_ratio"]), float(params["marts__dod_max_ratio"])
    most = float(params["marts__dod_max_share_change"])
    summed = counts + [f"{b}{s}" for b in shares for s in ("_numerator", "_denominator")]
    sums = ", ".join(f"sum({quote(c)})::double as {quote(c)}" for c in summed)
    mart = sql_literal(shape.table)
    parts = []
    for c in counts:
        col = quote(c)
        usual = f"week.{col} >= {base} and today.{col} / week.{col} between {low!r} and {high!r}"
        parts.append(
            f"select {mart} as mart, {sql_literal(c)} as measure, today.day, "
            f"case when prev.{col} >= {base} and not coalesce({usual}, false) "
            f"then today.{col} / prev.{col} end as count_ratio, null::double as share_change "
            "from daily today"
        )
    for b in shares:
        n, d = quote(f"{b}_numerator"), quote(f"{b}_denominator")

        def change(other: str, n: str = n, d: str = d) -> str:
            return (
                f"case when today.{d} >= {base} and {other}.{d} >= {base} "
                f"then abs(today.{n} / today.{d} - {other}.{n} / {other}.{d}) end"
            )

        parts.append(
            f"select {mart} as mart, {sql_literal(b)} as measure, today.day, "
            "null::double as count_ratio, "
            f"case when coalesce({change('week')} <= {most!r}, false) then null "
            f"else {change('prev')} end as share_change from daily today"
        )
    joined = [
        p.replace(
            "from daily today",
            "from daily today left join daily prev on prev.day = today.day - 1 "
            "left join daily week on week.day = today.day - 7",
        )
        for p in parts
    ]
    return (
        f"(with daily as materialized (select {day} as day, {sums} from marts.{quote(shape.table)} "
        f"group by {day})\n" + "\nunion all\n".join(joined) + ")"
    )


def daily_check(shapes: list[MartShape], params: Params) -> TableCheck | None:
    """One suite for every mart with a date: two expectations over a long frame.

    The dashboard's serving marts (`mart_dashboard_*`: the same contacts
    re-cut by customer and hour for fast reads) are left out: their daily
    totals restate the contact marts', so they would only repeat each warning.
    """
    shapes = [s for s in shapes if not s.table.startswith(SERVING_MART_PREFIX)]
    relations = [r for r in (daily_relation(s, params) for s in shapes) if r is not None]
    if not relations:
        return None
    union = "\nunion all\n".join(f"select * from {r}" for r in relations)
    return TableCheck(
        suite="marts.day_over_day",
        relation=f"({union})",
        key=("mart", "measure", "day"),
        rules=[
            between(
                "count_ratio", "marts__dod_min_ratio", "marts__dod_max_ratio", Severity.WARNING
            ),
            between("share_change", None, "marts__dod_max_share_change", Severity.WARNING),
        ],
        samplable=False,
    )


def present_entities(con: duckdb.DuckDBPyConnection) -> set[str] | None:
    """Raw entities holding at least one row (None: the warehouse has no raw tables)."""
    coverage = source_coverage(con)
    if coverage.is_empty():
        return None
    return set(coverage.filter(coverage["is_present"])["entity"].to_list())


def all_checks(con: duckdb.DuckDBPyConnection, params: Params) -> list[TableCheck]:
    present = present_entities(con)
    checks = [contract_check()] + [raw_check(ent, present) for ent in ENTITIES.values()]
    shapes = discover_marts(con)
    checks += [c for c in (mart_check(s, params) for s in shapes) if c is not None]
    daily = daily_check(shapes, params)
    return checks + ([daily] if daily is not None else [])
