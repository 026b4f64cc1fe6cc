"""The dashboard's fast reads give the same figures as the contact/episode-grain reads.

Issue 9: filter choices, Explore's bucket summary and counts, the effort/CES
pairs and the merged (grouping-sets) queries read small dashboard marts or
one query instead of many; each must equal the reading it replaces, for the
whole range, a narrow range, dimension filters, a drill-down bucket and a
site-scoped viewer. Exact equality for counts: the fast paths are exact.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from dashboard import access, data
from tests.dashboard.conftest import Served


def bounds(served: Served) -> tuple[dt.date, dt.date]:
    lo, hi = served.sql("select min(contact_date), max(contact_date) from marts.fct_contacts").row(
        0
    )
    return lo, hi


def selections(served: Served) -> list[tuple[data.Filters, dict[str, Any]]]:
    lo, hi = bounds(served)
    mid = lo + (hi - lo) / 2
    site = served.sql("select min(site_code) from marts.fct_contacts").item()
    intent = served.sql("select min(intent) from marts.fct_contacts").item()
    return [
        (data.Filters(lo, hi), {}),
        (data.Filters(mid, hi), {}),
        (data.Filters(lo, hi), {"date": mid}),
        (data.Filters(mid, mid), {"date": lo}),  # a drill-down outside the range: nothing
        (data.Filters(lo, hi, sites=(site,)), {}),
        (data.Filters(lo, hi, intents=(intent,)), {"weekday": 1, "hour": 10}),
        (data.Filters(lo, hi), {"channel": "phone", "hour": 9}),
        (data.Filters(lo, hi), {"agent": "none"}),  # not in the mart: the contact-grain read
    ]


@pytest.fixture
def scoped(monkeypatch: pytest.MonkeyPatch, served: Served) -> str:
    site = str(served.sql("select min(site_code) from marts.fct_contacts").item())
    scope = access.Scope(sites=frozenset({site}), mode="scoped")
    monkeypatch.setattr(access, "current_scope", lambda: scope)
    data._CACHE.clear()
    return site


def test_the_fast_marts_are_published(app_env: Served) -> None:
    for table in (
        data.AGENT_DAILY,
        data.CONTACT_CELLS,
        data.CUSTOMER_HOURS,
        data.CUSTOMER_DAYS,
        data.SURVEYED_EPISODES,
        data.FILTER_CHOICES,
    ):
        assert data.has_table(table), table
    assert data._catalogue_source()[0] == data.FILTER_CHOICES


@pytest.mark.parametrize("viewer", ["everyone", "scoped"])
def test_bucket_summary_equals_the_contact_grain_count(
    app_env: Served, request: pytest.FixtureRequest, viewer: str
) -> None:
    if viewer == "scoped":
        request.getfixturevalue("scoped")
    for filters, bucket in selections(app_env):
        fast = data.bucket_summary(filters, bucket)
        slow = data._bucket_summary_from_contacts(filters, bucket)
        assert not fast.error and not slow.error
        assert_frame_equal(fast.frame, slow.frame, check_exact=False, rel_tol=1e-12)
        assert fast.frame["customer_count"].item() == slow.frame["customer_count"].item()


def test_only_dates_takes_the_customer_days_path_and_counts_some_customers(
    app_env: Served,
) -> None:
    lo, hi = bounds(app_env)
    filters = data.Filters(lo, hi)
    assert data._only_dates(filters, {})
    assert not data._only_dates(data.Filters(lo, hi, channels=("phone",)), {})
    assert not data._only_dates(filters, {"hour": 9})
    customers = data.bucket_summary(filters, {}).frame["customer_count"].item()
    expected = app_env.sql(
        "select count(distinct customer_ref) from marts.fct_contacts "
        "where contact_date between ? and ?",
        [lo, hi],
    ).item()
    assert customers == expected > 0


def test_bucket_counts_equal_the_contact_grain_counts(app_env: Served) -> None:
    for filters, bucket in selections(app_env):
        for dimension in ("date", "hour", "site", "intent"):
            if dimension in bucket:
                continue
            fast = data.bucket_counts(filters, dimension, bucket).frame
            column, _kind = data.BUCKETS[dimension]
            where, params = data._bucket_where(bucket)
            slow = data._run(
                data.CONTACTS,
                f"select {column} as bucket, count(*) as contact_count, "
                "count(*) filter (where is_handled) as handled_count, "
                "count(*) filter (where is_abandoned and not is_short_abandon) as abandoned_count "
                f"from src where {where} group by 1 order by 1",
                filters,
                params=params,
            ).frame
            assert_frame_equal(fast, slow)


@pytest.mark.parametrize("viewer", ["everyone", "scoped"])
def test_filter_choices_equal_the_distinct_contact_values(
    app_env: Served, request: pytest.FixtureRequest, viewer: str
) -> None:
    where = "true"
    if viewer == "scoped":
        where = f"site_code = '{request.getfixturevalue('scoped')}'"
    lo, hi = app_env.sql(
        f"select min(contact_date), max(contact_date) from marts.fct_contacts where {where}"
    ).row(0)
    assert data.date_bounds() == (lo, hi)
    for dimension, column in data.DIMENSIONS.items():
        expected = app_env.sql(
            f"select distinct {column} as value from marts.fct_contacts "
            f"where {where} and {column} is not null order by 1"
        )["value"].to_list()
        assert data.choices(dimension) == expected, dimension


def test_effort_pairs_equal_the_episode_grain_pairs(app_env: Served) -> None:
    lo, hi = bounds(app_env)
    for filters in (data.Filters(lo, hi), data.Filters(lo, lo + dt.timedelta(days=3))):
        fast = data.effort_ces_pairs(filters).frame
        slow = app_env.sql(
            "select effort_index, ces_mean_score from marts.fct_episodes "
            "where not is_censored and ces_answer_count > 0 and effort_index is not null "
            "and episode_date between ? and ?",
            [filters.start, filters.end],
        )
        assert fast.height == slow.height > 0
        assert_frame_equal(fast.sort(fast.columns), slow.sort(slow.columns))


@pytest.mark.parametrize("viewer", ["everyone", "scoped"])
def test_a_merged_query_is_one_query_and_equals_the_separate_ones(
    app_env: Served, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest, viewer: str
) -> None:
    if viewer == "scoped":
        request.getfixturevalue("scoped")
    lo, hi = bounds(app_env)
    filters = data.Filters(lo, hi)
    executed: list[str] = []
    execute = data._execute

    def counting(sql: str, params: Any, current: str) -> pl.DataFrame:
        executed.append(sql)
        return execute(sql, params, current)

    monkeypatch.setattr(data, "_execute", counting)
    data.hotline_totals(filters)
    before = len(executed)
    daily = data.hotline_daily(filters)
    by_queue = data.hotline_by(filters, "queue")
    assert len(executed) == before  # the same grouping-sets query, from the cache
    separate = data._run(
        data.HOTLINE,
        f"select queue, {data.HOTLINE_MEASURES} from src group by 1",
        filters,
    ).frame
    assert_frame_equal(by_queue.frame.sort("queue"), separate.sort("queue"))
    separate_daily = data._run(
        data.HOTLINE,
        f"select contact_date, site_code, {data.HOTLINE_MEASURES} from src "
        "group by 1, 2 order by 1, 2",
        filters,
    ).frame
    assert_frame_equal(daily.frame, separate_daily)
    week, total, missing, _restricted = data._metric_sums(
        filters, ["fcr", "service_level"], weekly=True, totals=True
    )
    assert not missing
    alone_week, _m, _r = data.metric_weekly(filters, ["fcr", "service_level"])
    alone_total, _m, _r = data.metric_totals(filters, ["fcr", "service_level"])
    assert_frame_equal(week, alone_week)
    assert_frame_equal(total, alone_total)


def test_newest_contacts_read_from_the_last_days_only_are_the_newest(app_env: Served) -> None:
    """The day bound from the cells keeps exactly the newest rows (ties aside: same times)."""
    lo, hi = bounds(app_env)
    for filters, bucket in selections(app_env):
        for limit in (50, 5000):
            fast = data.contacts_in_bucket(filters, bucket, limit=limit).frame
            where, params = data._bucket_where(bucket)
            slow = data._run(
                data.CONTACTS,
                f"select started_local_at from src where {where} "
                f"order by started_local_at desc limit {limit}",
                filters,
                params=params,
            ).frame
            assert fast["started_local_at"].to_list() == slow["started_local_at"].to_list()
    since = data._newest_days_from(data.Filters(lo, hi), {}, 50)
    assert since == hi  # ~1,500 contacts a day: the last day alone holds the newest 50


@pytest.mark.parametrize("limit", [5, 200])
def test_top_agents_in_two_reads_equal_the_one_query_form(
    app_env: Served, monkeypatch: pytest.MonkeyPatch, limit: int
) -> None:
    monkeypatch.setattr(data, "AGENT_LIMIT", limit)
    lo, hi = bounds(app_env)
    for filters in (data.Filters(lo, hi), data.Filters(lo, lo, channels=("phone",))):
        for table, measures, rank, where, fast in (
            (
                data.HOTLINE_AGENT,
                data.HOTLINE_MEASURES,
                "answered_count",
                "true",
                data.hotline_by_agent,
            ),
            (
                data.EVALUATION_AGENT,
                data.EVALUATION_AGENT_MEASURES,
                "evaluated_episode_count",
                "agent_id is not null",
                data.evaluation_by_agent,
            ),
        ):
            one = data._run(
                table,
                f"select agent_id, site_code, team, {measures} from src where {where} "
                f"group by agent_id, site_code, team "
                f"order by {rank} desc, agent_id, site_code, team limit {limit}",
                filters,
            ).frame
            two = fast(filters).frame
            assert two.height == one.height > 0
            assert_frame_equal(two, one, check_exact=False, rel_tol=1e-12)


@pytest.mark.parametrize("viewer", ["everyone", "scoped"])
def test_agent_tables_from_the_agent_mart_equal_the_channel_grain_marts(
    app_env: Served, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest, viewer: str
) -> None:
    """mart_dashboard_agent_daily gives the rows the two channel-grain agent marts give."""
    if viewer == "scoped":
        request.getfixturevalue("scoped")
    monkeypatch.setattr(data, "AGENT_LIMIT", 5)
    lo, hi = bounds(app_env)
    site = str(app_env.sql("select min(site_code) from marts.fct_contacts").item())
    team = str(app_env.sql("select min(team) from marts.mart_hotline_agent_daily").item())
    for filters in (
        data.Filters(lo, hi),
        data.Filters(lo + dt.timedelta(days=1), lo + dt.timedelta(days=2), sites=(site,)),
        data.Filters(lo, hi, teams=(team,), intents=("card_lost",)),
    ):
        for fast, direct in (
            (
                data.hotline_by_agent(filters),
                data._top_agents(
                    data.HOTLINE_AGENT,
                    data.HOTLINE_MEASURES,
                    "answered_count",
                    "sum(answered_count)",
                    filters,
                ),
            ),
            (
                data.evaluation_by_agent(filters),
                data._top_agents(
                    data.EVALUATION_AGENT,
                    data.EVALUATION_AGENT_MEASURES,
                    "evaluated_episode_count",
                    "sum(fcr_denominator)",
                    filters,
                    where="agent_id is not null",
                ),
            ),
            (
                data.value_by(filters, "agent_id"),
                data._run(
                    data.EVALUATION_AGENT,
                    f"select agent_id, {data.VALUE_MEASURES} from src group by 1 "
                    "order by service_contact_count desc, 1",
                    filters,
                    needs=("offers",),
                ),
            ),
        ):
            assert fast.source == data.AGENT_DAILY
            assert not direct.error and not fast.error, (direct.error, fast.error)
            assert fast.ignored == direct.ignored
            assert fast.frame.height == direct.frame.height > 0
            assert_frame_equal(fast.frame, direct.frame, check_exact=False, rel_tol=1e-12)
    # a channel filter: the agent mart has no channel column, the channel-grain mart answers
    phone = data.Filters(lo, hi, channels=("phone",))
    assert data.hotline_by_agent(phone).source == data.HOTLINE_AGENT
    assert data.evaluation_by_agent(phone).source == data.EVALUATION_AGENT


@pytest.mark.parametrize("viewer", ["everyone", "scoped"])
def test_sets_rolled_up_from_a_larger_set_equal_their_own_grouping(
    app_env: Served, request: pytest.FixtureRequest, viewer: str
) -> None:
    """Totals and per-site figures summed from the days x sites equal the mart's own grouping."""
    if viewer == "scoped":
        request.getfixturevalue("scoped")
    lo, hi = bounds(app_env)
    cases = (
        (data.HOTLINE, data.HOTLINE_MEASURES, data.HOTLINE_CUTS, "contact_date"),
        (data.FCR, data.FCR_MEASURES, data.FCR_CUTS, "episode_date"),
        (data.EFFORT, data.EFFORT_MEASURES, data.EFFORT_CUTS, "episode_date"),
        (data.VALUE, data.VALUE_MEASURES, data.VALUE_CUTS, "contact_date"),
    )
    for filters in (data.Filters(lo, hi), data.Filters(hi, lo)):  # all, and nothing
        for table, measures, sets, date_col in cases:
            assert data._summed_columns(measures), table
            cuts = data._cuts(table, measures, sets, filters, date_col)
            for group in sets:
                alone = data._one_cut(table, measures, group, filters, date_col).frame
                got = cuts[group].frame
                if group:
                    got, alone = got.sort(list(group)), alone.sort(list(group))
                assert got.schema == alone.schema, (table, group)
                assert_frame_equal(got, alone, check_exact=False, rel_tol=1e-12)


def test_only_sums_and_ratios_of_sums_are_rolled_up() -> None:
    assert data._summed_columns("sum(a) as a, 1.0 * sum(b) / nullif(sum(c), 0) as r") == [
        "a",
        "b",
        "c",
    ]
    assert data._summed_columns("sum(a) as a, count(*) as n") is None
    assert data._summed_columns("sum(a * b) as a") is None
    assert data._summed_columns("max(a) as a") is None
