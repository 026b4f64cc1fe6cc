"""Every page: renders in both languages, reacts to filters, shows the marts' figures.

The expected figures are computed here straight from the serving file with
our own SQL (sum of numerators / sum of denominators), independently of
dashboard/data.py, and formatted with the dashboard's English formats.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.i18n import fmt_int, fmt_pct, fmt_unit, t
from dashboard.metrics_catalog import METRICS, metric
from tests.dashboard.conftest import PAGES, Served, metric_value, open_page, warnings


@dataclass(frozen=True)
class Figure:
    """One figure a page shows, and how to compute it from the marts."""

    label: str
    table: str
    expression: str
    date_col: str | None
    fmt: Callable[[Any, str], str]
    has_site: bool = True


FIGURES: dict[str, Figure] = {
    "overview": Figure(
        t("contacts", "en"),
        "marts.mart_contacts_daily",
        "sum(contact_count)",
        "contact_date",
        fmt_int,
    ),
    "scorecard": Figure(
        metric("fcr").name_en,
        "marts.mart_fcr_daily",
        "sum(fcr_numerator) / nullif(sum(fcr_denominator), 0)",
        "episode_date",
        fmt_pct,
    ),
    "fcr_effort": Figure(
        metric("fcr").name_en,
        "marts.mart_fcr_daily",
        "sum(fcr_numerator) / nullif(sum(fcr_denominator), 0)",
        "episode_date",
        fmt_pct,
    ),
    "prediction": Figure(
        metric("prediction_accuracy").name_en,
        "marts.mart_prediction_daily",
        "sum(accuracy_numerator) / nullif(sum(accuracy_denominator), 0)",
        "contact_date",
        fmt_pct,
    ),
    # the acceptance share needs value_window_days (30) of follow-up, longer than the small
    # pipeline's 14 days (all censored): the page's service-contact count is the moving figure
    "value": Figure(
        t("service_contacts", "en"),
        "marts.mart_value_daily",
        "sum(service_contact_count)",
        "contact_date",
        fmt_int,
    ),
    "hotline": Figure(
        metric("service_level").name_en,
        "marts.mart_hotline_daily",
        "sum(service_level_numerator) / nullif(sum(service_level_denominator), 0)",
        "contact_date",
        fmt_pct,
    ),
    "backoffice": Figure(
        metric("bo_overtime_rate").name_en,
        "marts.mart_backoffice_daily",
        "sum(overtime_rate_numerator) / nullif(sum(overtime_rate_denominator), 0)",
        "received_date",
        fmt_pct,
        has_site=False,
    ),
    "workforce": Figure(
        metric("attendance_rate").name_en,
        "marts.mart_workforce_daily",
        "sum(attendance_rate_numerator) / nullif(sum(attendance_rate_denominator), 0)",
        "activity_date",
        fmt_pct,
    ),
    "quality": Figure(
        t("rows_loaded", "en"),
        "audit.load_audit",
        "sum(rows_loaded)",
        None,
        fmt_int,
        has_site=False,
    ),
    "explore": Figure(
        t("contacts", "en"), "marts.fct_contacts", "count(*)", "contact_date", fmt_int
    ),
}


def expected(
    served: Served,
    figure: Figure,
    start: dt.date | None = None,
    end: dt.date | None = None,
    sites: list[str] | None = None,
) -> str:
    clauses, params = ["true"], []
    if figure.date_col and start and end:
        clauses.append(f"{figure.date_col} between ? and ?")
        params += [start, end]
    if sites:
        clauses.append(f"site_code in ({', '.join('?' for _ in sites)})")
        params += sites
    value = served.sql(
        f"select {figure.expression} as v from {figure.table} where {' and '.join(clauses)}",
        params,
    ).item()
    return figure.fmt(value, "en")


def bounds(served: Served) -> tuple[dt.date, dt.date]:
    return served.sql("select min(contact_date), max(contact_date) from marts.fct_contacts").row(0)


def missing_source(at: AppTest, served: Served, figure: Figure) -> bool:
    """A page whose mart is not published must say so, not crash."""
    if served.has(figure.table):
        return False
    assert any(t("no_source", "en") in text for text in warnings(at)), warnings(at)
    return True


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("page", list(PAGES))
def test_page_renders_with_its_title(
    make_app: Callable[..., AppTest], page: str, lang: str
) -> None:
    at = open_page(make_app(lang), page)
    assert at.title and at.title[0].value == t(page, lang)
    assert not at.error, [e.value for e in at.error]


def top_site(served: Served) -> str:
    return served.sql(
        "select site_code from marts.fct_contacts where site_code <> 'unassigned' "
        "group by 1 order by count(*) desc limit 1"
    ).item()


@pytest.mark.parametrize("page", [p for p in PAGES if p != "quality"])
def test_page_shows_the_marts_figures_and_follows_filters(
    make_app: Callable[..., AppTest], served: Served, page: str
) -> None:
    """The figure equals the marts' over the full range, then over one week, then for one site."""
    figure = FIGURES[page]
    at = open_page(make_app("en"), page)
    if missing_source(at, served, figure):
        return
    start, end = bounds(served)
    full = metric_value(at, figure.label)
    assert full == expected(served, figure, start, end)

    # the first three days: inside the uncensored part of every episode metric
    week = (start, start + dt.timedelta(days=2))
    at.date_input(key="f_dates").set_value(week).run()
    assert not at.exception, [e.value for e in at.exception]
    narrowed = metric_value(at, figure.label)
    assert narrowed == expected(served, figure, *week)
    assert narrowed != full, f"{page}: narrowing the dates to {week} left {figure.label} at {full}"
    assert (at.query_params["from"], at.query_params["to"]) == (
        week[0].isoformat(),
        week[1].isoformat(),
    )
    if not figure.has_site:
        return
    site = top_site(served)
    at.multiselect(key="f_site").set_value([site]).run()
    assert not at.exception, [e.value for e in at.exception]
    one_site = metric_value(at, figure.label)
    assert one_site == expected(served, figure, *week, sites=[site])
    assert one_site != narrowed, f"{page}: choosing site {site} left {figure.label} at {narrowed}"
    assert at.query_params["site"] == site


def test_quality_page_is_not_filtered(make_app: Callable[..., AppTest], served: Served) -> None:
    """Load history is per file and ingestion time, not per business day: filters don't apply."""
    figure = FIGURES["quality"]
    at = open_page(make_app("en"), "quality")
    start, _end = bounds(served)
    before = metric_value(at, figure.label)
    at.date_input(key="f_dates").set_value((start, start)).run()
    assert metric_value(at, figure.label) == before == expected(served, figure)


def test_every_scorecard_card_equals_its_mart(
    make_app: Callable[..., AppTest], served: Served
) -> None:
    """Each card: scale x sum(numerator) / sum(denominator) of its mart over the date range."""
    at = open_page(make_app("en"), "scorecard")
    start, end = bounds(served)
    checked = 0
    for code, entry in METRICS.items():
        reading = entry.reading
        if reading is None or not served.has(reading.table):
            continue
        numerator = reading.numerator if "(" in reading.numerator else f"sum({reading.numerator})"
        denominator = (
            reading.denominator if "(" in reading.denominator else f"sum({reading.denominator})"
        )
        value = served.sql(
            f"select {reading.scale} * ({numerator}) / nullif({denominator}, 0) "
            f"from {reading.table} where {reading.date_col} between ? and ?",
            [start, end],
        ).item()
        assert metric_value(at, entry.name_en) == fmt_unit(value, entry.unit, "en"), code
        checked += 1
    assert checked >= 20, checked


def test_explore_shows_the_bucket_in_the_url(
    make_app: Callable[..., AppTest], served: Served
) -> None:
    """A drill-down link's target: the contacts of one weekday x hour x channel, masked."""
    weekday, hour = served.sql(
        "select contact_weekday, contact_hour from marts.fct_contacts where channel = 'phone' "
        "group by 1, 2 order by count(*) desc limit 1"
    ).row(0)
    at = make_app("en").run()  # AppTest starts on the default page, which drops x_ parameters
    at.query_params.update(x_weekday=str(weekday), x_hour=str(hour), x_channel="phone")
    at.switch_page(PAGES["explore"]).run()
    assert not at.exception, [e.value for e in at.exception]
    start, end = bounds(served)
    count = served.sql(
        "select count(*) from marts.fct_contacts where contact_weekday = ? and contact_hour = ? "
        "and channel = 'phone' and contact_date between ? and ?",
        [weekday, hour, start, end],
    ).item()
    assert metric_value(at, t("contacts", "en")) == fmt_int(count, "en")
    rows = at.dataframe[-1].value
    assert len(rows) == min(count, 5000)
    assert set(rows["contact_hour"]) == {hour} and set(rows["channel"]) == {"phone"}
    # masked: the customer is at most 8 characters of the keyed hash
    assert rows["customer_ref"].dropna().str.len().max() <= 8
    assert not {"customer_id", "caller_number", "customer_email"} & set(rows.columns)
