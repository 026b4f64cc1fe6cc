"""One data-quality rule = one Great Expectations expectation + its exact SQL twin.

A rule names the GX expectation class and its keyword arguments, where every
threshold is a suite parameter (`{"$PARAMETER": name}`), never a literal.
Rules that judge rows also carry the SQL predicate that is true for a row
breaking them, so that on a table larger than the GX sample the runner can
count the breaking rows exactly in DuckDB (and name some of them) with the
same parameters. Nothing here imports GX (6 s): the runner does.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

Params = Mapping[str, Any]


class Severity(StrEnum):
    CRITICAL = "critical"  # stops `serviq publish`
    WARNING = "warning"  # reported, never blocks


def param(name: str) -> dict[str, str]:
    """A GX suite parameter reference."""
    return {"$PARAMETER": name}


def sql_literal(value: Any) -> str:
    """A Python value as a DuckDB literal (parameters are ours, still quoted safely)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "(" + ", ".join(sql_literal(v) for v in value) + ")"
    return "'" + str(value).replace("'", "''") + "'"


def quote(column: str) -> str:
    return '"' + column.replace('"', '""') + '"'


@dataclass(frozen=True)
class Rule:
    """One expectation and how to count its breaking rows exactly in SQL."""

    expectation: str  # GX class name, e.g. "ExpectColumnValuesToNotBeNull"
    kwargs: dict[str, Any]
    severity: Severity
    column: str  # label in results: a column, "a>=b", "(table)", "a+b"
    # SQL boolean over the table's columns, true for a breaking row (None: table-level rule)
    violation: Callable[[Params], str] | None = None
    # for `mostly` rules: rows the rule applies to (non-null); breaking share is judged on them
    applies: Callable[[Params], str] | None = None
    mostly_param: str | None = None
    unique_columns: tuple[str, ...] = field(default_factory=tuple)  # uniqueness rules
    # table-level rules on the row count: judged exactly from the table's count
    rows_ok: Callable[[int, Params], bool] | None = None

    @property
    def snake_name(self) -> str:
        out = []
        for i, ch in enumerate(self.expectation):
            if ch.isupper() and i:
                out.append("_")
            out.append(ch.lower())
        return "".join(out)


# --------------------------------------------------------------------------
# Constructors: each yields the GX expectation and its SQL twin
# --------------------------------------------------------------------------
def not_null(column: str, severity: Severity = Severity.CRITICAL) -> Rule:
    return Rule(
        "ExpectColumnValuesToNotBeNull",
        {"column": column},
        severity,
        column,
        violation=lambda _p: f"{quote(column)} is null",
    )


def in_set(column: str, values: str, severity: Severity = Severity.CRITICAL) -> Rule:
    return Rule(
        "ExpectColumnValuesToBeInSet",
        {"column": column, "value_set": param(values)},
        severity,
        column,
        violation=lambda p: f"{quote(column)} not in {sql_literal(list(p[values]))}",
    )


def between(
    column: str,
    minimum: str | None,
    maximum: str | None,
    severity: Severity = Severity.CRITICAL,
) -> Rule:
    kwargs: dict[str, Any] = {"column": column}
    if minimum:
        kwargs["min_value"] = param(minimum)
    if maximum:
        kwargs["max_value"] = param(maximum)

    def violation(p: Params) -> str:
        parts = []
        if minimum:
            parts.append(f"{quote(column)} < {sql_literal(p[minimum])}")
        if maximum:
            parts.append(f"{quote(column)} > {sql_literal(p[maximum])}")
        return "(" + " or ".join(parts) + ")"

    return Rule("ExpectColumnValuesToBeBetween", kwargs, severity, column, violation=violation)


def not_before(later: str, earlier: str, severity: Severity = Severity.CRITICAL) -> Rule:
    """`later >= earlier` wherever both are known (timestamps, counts, amounts)."""
    return Rule(
        "ExpectColumnPairValuesAToBeGreaterThanB",
        {
            "column_A": later,
            "column_B": earlier,
            "or_equal": True,
            "ignore_row_if": "either_value_is_missing",
        },
        severity,
        f"{later}>={earlier}",
        violation=lambda _p: f"{quote(later)} < {quote(earlier)}",
    )


def unique(columns: Sequence[str], severity: Severity = Severity.CRITICAL) -> Rule:
    cols = tuple(columns)
    if len(cols) == 1:
        return Rule(
            "ExpectColumnValuesToBeUnique",
            {"column": cols[0]},
            severity,
            cols[0],
            unique_columns=cols,
        )
    return Rule(
        "ExpectCompoundColumnsToBeUnique",
        {"column_list": list(cols)},
        severity,
        "+".join(cols),
        unique_columns=cols,
    )


def share_at_least(
    flag: str, label: str, minimum: str, severity: Severity = Severity.CRITICAL
) -> Rule:
    """At least `minimum` of the non-null values of a boolean flag column are true.

    Used for referential coverage: the flag is computed in SQL (found / not
    found, null where the reference itself is null).
    """
    return Rule(
        "ExpectColumnValuesToBeInSet",
        {"column": flag, "value_set": [True], "mostly": param(minimum)},
        severity,
        label,
        violation=lambda _p: f"{quote(flag)} = false",
        applies=lambda _p: f"{quote(flag)} is not null",
        mostly_param=minimum,
    )


def flag_true(flag: str, label: str, severity: Severity = Severity.CRITICAL) -> Rule:
    """Every non-null value of a computed boolean flag is true."""
    return Rule(
        "ExpectColumnValuesToBeInSet",
        {"column": flag, "value_set": [True]},
        severity,
        label,
        violation=lambda _p: f"{quote(flag)} = false",
    )


def pair_equal(a: str, b: str, label: str, severity: Severity = Severity.CRITICAL) -> Rule:
    return Rule(
        "ExpectColumnPairValuesToBeEqual",
        {"column_A": a, "column_B": b, "ignore_row_if": "either_value_is_missing"},
        severity,
        label,
        violation=lambda _p: f"{quote(a)} <> {quote(b)}",
    )


def row_count_at_least(minimum: str, severity: Severity = Severity.WARNING) -> Rule:
    return Rule(
        "ExpectTableRowCountToBeBetween",
        {"min_value": param(minimum)},
        severity,
        "(table)",
        rows_ok=lambda rows, p: rows >= p[minimum],
    )
