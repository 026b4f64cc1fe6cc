"""The evaluation windows are dbt vars: changing them changes the figures.

A copy of the `small_pipeline` warehouse (14 days) is rebuilt with
repeat_window_days = 3 and value_window_days = 10 and compared with the
default build (7 and 30 days). The generator plants repeats 6 h to 6.8 days
after the previous handled contact, about 30% of them 3 days or more later,
so a 3-day window must split episodes: more episodes, a smaller share of
repeated episodes, a higher FCR, and fewer censored episodes (only the last 3 days are
censored). With 30 days every contact of a 14-day run is value-censored;
with 10 days the first ~4 days are observable.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from pipelines.build import build
from pipelines.db import frame, read_only
from pipelines.publish import publish
from pipelines.settings import Settings
from tests.support import TEST_PII_KEY, Pipeline
from tests.support import copy_warehouse as copy_build_files

SHORT_WINDOWS = {"repeat_window_days": 3, "value_window_days": 10}
FCR_SQL = """
select
    sum(episode_count) as episodes,
    sum(censored_episode_count) as censored,
    sum(repeated_episode_count) as repeated,
    sum(handled_contact_count) as handled,
    sum(fcr_numerator) as fcr_numerator,
    sum(fcr_denominator) as fcr_denominator
from marts.mart_fcr_daily
"""
VALUE_SQL = """
select
    sum(service_contact_count) as service_contacts,
    sum(value_censored_contact_count) as censored,
    sum(offer_acceptance_share_denominator) as observed
from marts.mart_value_daily
"""
PROACTIVE_SQL = """
select
    sum(preemption_rate_denominator) as eligible,
    sum(preemption_censored_count) as censored
from marts.mart_proactive_daily
"""


def copy_warehouse(source: Path, home: Path) -> Path:
    """Copy the build file and its marts file into a fresh home (the build
    below selects the evaluation family; the other marts must be there)."""
    home.mkdir(parents=True, exist_ok=True)
    target = home / "warehouse.duckdb"
    copy_build_files(source, target)
    return target


def figures(serving: Path, sql: str) -> dict[str, float]:
    with read_only(serving) as con:
        row = frame(con, sql).row(0, named=True)
    return {name: float(value or 0) for name, value in row.items()}


@pytest.fixture(scope="module")
def short_window_serving(
    small_pipeline: Pipeline, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    home = tmp_path_factory.mktemp("short_windows")
    warehouse = copy_warehouse(small_pipeline.warehouse, home)
    settings = Settings(home=home, warehouse_path=warehouse, pii_key=TEST_PII_KEY)  # type: ignore[arg-type]
    build(
        settings,
        dbt_vars=SHORT_WINDOWS,
        # the whole evaluation family: its reconciliation tests read every mart
        select="+models/marts/evaluation",
    )
    publish(settings.warehouse, settings.serving)
    return settings.serving


def test_shorter_repeat_window_splits_episodes(
    small_pipeline: Pipeline, short_window_serving: Path
) -> None:
    default = figures(small_pipeline.serving, FCR_SQL)
    short = figures(short_window_serving, FCR_SQL)
    # the same handled contacts, regrouped: splitting only adds episodes
    assert short["handled"] == default["handled"]
    assert short["episodes"] > default["episodes"]
    assert short["censored"] < default["censored"]
    # counts are not comparable (different censoring), shares are
    default_repeat_share = default["repeated"] / default["fcr_denominator"]
    short_repeat_share = short["repeated"] / short["fcr_denominator"]
    assert short_repeat_share < default_repeat_share
    default_fcr = default["fcr_numerator"] / default["fcr_denominator"]
    short_fcr = short["fcr_numerator"] / short["fcr_denominator"]
    # A split turns a falsely resolved first contact whose repeat came 3+
    # days later into a one-contact episode; the split-off repeat opens its
    # own episode (resolved with P 0.7). Net: FCR rises, by about a point on
    # this seeded fixture (0.734 -> 0.744). Not a sampling statement: the
    # data are fixed by the seed, and the per-episode invariants of the
    # 3-day build are checked by the data tests that ran inside it.
    assert short_fcr > default_fcr, (short_fcr, default_fcr)


def test_repeat_window_also_moves_preemption_censoring(
    small_pipeline: Pipeline, short_window_serving: Path
) -> None:
    default = figures(small_pipeline.serving, PROACTIVE_SQL)
    short = figures(short_window_serving, PROACTIVE_SQL)
    assert short["censored"] < default["censored"]
    assert short["eligible"] > default["eligible"]


def test_value_window_moves_value_censoring(
    small_pipeline: Pipeline, short_window_serving: Path
) -> None:
    default = figures(small_pipeline.serving, VALUE_SQL)
    short = figures(short_window_serving, VALUE_SQL)
    # the same service contacts, whatever the window
    assert short["service_contacts"] == default["service_contacts"]
    # 14 days of data: a 30-day window censors everything, 10 days does not
    assert default["observed"] == 0
    assert default["censored"] == default["service_contacts"]
    assert 0 < short["observed"] < short["service_contacts"]


def test_short_window_build_keeps_every_episode_invariant(short_window_serving: Path) -> None:
    """Episodes of the 3-day build are censored exactly when their first
    handled contact is less than 3 days before the end of the data."""
    with read_only(short_window_serving) as con:
        episodes = frame(
            con,
            """
            select is_censored,
                (epoch(data_end_at) - epoch(first_handled_started_at)) / 86400.0 as days_before_end
            from marts.fct_episodes
            """,
        )
    censored = episodes.filter(pl.col("is_censored"))
    observed = episodes.filter(~pl.col("is_censored"))
    assert censored["days_before_end"].max() < 3
    assert observed["days_before_end"].min() >= 3
