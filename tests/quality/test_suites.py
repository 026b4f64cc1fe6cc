"""The suites are generated, not written: from the schema and from the marts' columns.

No Great Expectations run here (fast): these check which expectations exist,
with which parameters, and that every parameter has a default.
"""

from __future__ import annotations

import duckdb
import pytest

from pipelines.quality.rules import Severity
from pipelines.quality.suites import (
    all_checks,
    daily_check,
    default_params,
    discover_marts,
    mart_check,
    raw_check,
    references,
)
from pipelines.schema import ENTITIES


def rules_by(check, expectation: str) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    return {r.column: r.kwargs for r in check.rules if r.expectation == expectation}


@pytest.mark.parametrize("name", list(ENTITIES))
def test_every_schema_rule_of_an_entity_becomes_an_expectation(name: str) -> None:
    ent = ENTITIES[name]
    check = raw_check(ent)
    params = default_params()
    assert rules_by(check, "ExpectColumnValuesToNotBeNull").keys() == set(ent.required_fields)
    in_set = rules_by(check, "ExpectColumnValuesToBeInSet")
    for f in ent.fields:
        if f.domain:
            reference = in_set[f.name]["value_set"]["$PARAMETER"]
            assert params[reference] == list(f.domain)
    between = rules_by(check, "ExpectColumnValuesToBeBetween")
    ranged = {f.name for f in ent.fields if f.minimum is not None or f.maximum is not None}
    assert between.keys() == ranged
    for f in ent.fields:
        if f.minimum is not None:
            assert params[between[f.name]["min_value"]["$PARAMETER"]] == f.minimum
        if f.maximum is not None:
            assert params[between[f.name]["max_value"]["$PARAMETER"]] == f.maximum
    ordered = rules_by(check, "ExpectColumnPairValuesAToBeGreaterThanB")
    assert ordered.keys() == {f"{f.name}>={f.not_before}" for f in ent.fields if f.not_before}
    unique = [r for r in check.rules if r.unique_columns]
    assert [r.unique_columns for r in unique] == [ent.key]
    assert all(r.severity is Severity.CRITICAL for r in unique)


def test_referential_coverage_rules_exist_with_a_parameter_each() -> None:
    params = default_params()
    surveys = raw_check(ENTITIES["surveys"])
    coverage = [r for r in surveys.rules if r.mostly_param]
    assert [r.column for r in coverage] == ["contact_id in calls.call_id|tickets.ticket_id"]
    assert coverage[0].severity is Severity.CRITICAL
    assert params["surveys__contact_id__min_coverage"] == 0.99
    for ref in references():
        assert ref.param in params


def test_no_expectation_uses_a_parameter_without_a_default() -> None:
    con = duckdb.connect()
    con.execute("create schema raw; create schema marts")
    con.execute(
        "create table marts.mart_any as select date '2026-06-01' as contact_date, "
        "1 as contact_count, 1 as fcr_numerator, 2 as fcr_denominator, 0.5 as fcr_rate"
    )
    params = default_params()
    for check in all_checks(con, params):
        for rule in check.rules:
            for value in rule.kwargs.values():
                if isinstance(value, dict) and "$PARAMETER" in value:
                    assert value["$PARAMETER"] in params, (check.suite, rule.column)


def test_new_marts_are_covered_by_discovery_without_code() -> None:
    con = duckdb.connect()
    con.execute("create schema marts")
    con.execute(
        """
        create table marts.mart_brand_new_daily as select
            date '2026-06-01' as report_date, 'sh' as site_code,
            10 as widget_count,
            3 as pickup_rate_numerator, 4 as pickup_rate_denominator, 0.75 as pickup_rate,
            900 as value_per_1000_numerator, 4 as value_per_1000_denominator,
            0.2 as spillover_share
        """
    )
    params = default_params()
    (shape,) = discover_marts(con)
    check = mart_check(shape, params)
    assert check is not None
    labels = {r.expectation: r.column for r in check.rules}
    assert labels["ExpectColumnValuesToBeBetween"]  # rates and denominators
    columns = [r.column for r in check.rules]
    assert "pickup_rate|spillover_share" in columns  # rates in [0, 1]
    assert "pickup_rate_numerator<=pickup_rate_denominator" in columns  # a share
    assert "pickup_rate=numerator/denominator" in columns
    # a per-1,000 ratio is not a share: its numerator may exceed its denominator
    assert not any("value_per_1000_numerator" in c for c in columns)
    assert "pickup_rate_denominator|value_per_1000_denominator" in columns
    daily = daily_check([shape], params)
    assert daily is not None and daily.key == ("mart", "measure", "day")
    assert {r.severity for r in daily.rules} == {Severity.WARNING}
