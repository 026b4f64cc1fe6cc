"""Every dashboard page renders on a calls-only build and says which sources are absent."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from streamlit.testing.v1 import AppTest

from dashboard import data
from dashboard.i18n import fmt_int, fmt_pct, t
from dashboard.metrics_catalog import metric, source_name
from pipelines.db import read_only
from tests.dashboard.conftest import APP, PAGES, TIMEOUT, metric_value, open_page, warnings
from tests.partial.conftest import CallsOnly

# page -> the sources it must name as absent (every other page names none)
ABSENT_ON: dict[str, tuple[str, ...]] = {
    "scorecard": ("surveys", "offers", "complaints", "backoffice_items", "agent_shifts"),
    "fcr_effort": ("surveys",),
    "value": ("offers",),
    "backoffice": ("backoffice_items",),
    "workforce": ("agent_shifts",),
}


@pytest.fixture
def served(calls_only: CallsOnly, monkeypatch: pytest.MonkeyPatch) -> Iterator[CallsOnly]:
    monkeypatch.setenv("SERVIQ_HOME", str(calls_only.home))
    monkeypatch.setenv("SERVIQ_SERVING_PATH", str(calls_only.pipeline.serving))
    monkeypatch.delenv("SERVIQ_ROLES_FILE", raising=False)
    data._CACHE.clear()
    yield calls_only
    data._CACHE.clear()


def no_source_notices(at: AppTest, lang: str) -> list[str]:
    return [text for text in warnings(at) if t("no_source", lang) in text]


def mart_value(calls_only: CallsOnly, query: str) -> float:
    with read_only(calls_only.pipeline.serving) as con:
        return con.execute(query).fetchall()[0][0]  # type: ignore[no-any-return]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_page_renders_and_names_the_absent_sources(served: CallsOnly, lang: str) -> None:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.query_params["lang"] = lang
    for page in PAGES:
        open_page(at, page)  # asserts no exception
        assert at.title and at.title[0].value == t(page, lang), page
        assert not at.error, (page, [e.value for e in at.error])
        notices = no_source_notices(at, lang)
        expected = ABSENT_ON.get(page, ())
        if not expected:
            assert not notices, (page, notices)
        for source in expected:
            assert any(source_name(source, lang) in text for text in notices), (page, notices)
        if page == "overview":
            # the headline NPS needs surveys: its tile says so instead of a blank
            nps = metric_value(at, metric("nps").name(lang))
            assert nps.startswith(t("no_source", lang)) and source_name("surveys", lang) in nps


def test_call_pages_show_the_call_figures(served: CallsOnly) -> None:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.query_params["lang"] = "en"
    contacts = mart_value(served, "select sum(contact_count) from marts.mart_contacts_daily")
    open_page(at, "overview")
    assert metric_value(at, t("contacts", "en")) == fmt_int(contacts, "en")
    level = mart_value(
        served,
        "select sum(service_level_numerator) / sum(service_level_denominator) "
        "from marts.mart_hotline_daily",
    )
    open_page(at, "hotline")
    assert metric_value(at, metric("service_level").name_en) == fmt_pct(level, "en")
    fcr = mart_value(
        served, "select sum(fcr_numerator) / sum(fcr_denominator) from marts.mart_fcr_daily"
    )
    open_page(at, "fcr_effort")
    assert metric_value(at, metric("fcr").name_en) == fmt_pct(fcr, "en")
    # survey CES is absent: its tile says so, it is not a blank or a zero
    assert metric_value(at, metric("ces_mean").name_en).startswith(t("no_source", "en"))
