"""A plain new day gives the value models exactly a full rebuild's rows.

tests/incremental/test_incremental.py lands late calls with its new day,
so its incremental build recomputes every contact from the late day on,
which holds every contact whose value censoring ends. Here the new day
comes alone (generated data, 9 days x 400 contacts, a 2-day value
window): the incremental build recomputes from that day on, and the
contacts a value window before the end of the data, whose censoring ends
with the new day, are older than every new contact. Only
serviq_value_changed_contacts() (macros/incremental/value.sql) brings
them back; without it the censoring stays as the first build left it.
The new day also brings an offer about a contact never loaded, which only
the new loads bring in.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from polars.testing import assert_frame_equal

import pipelines.build
import pipelines.incremental
from pipelines.build import build
from pipelines.db import connect_warehouse, frame
from pipelines.incremental import STATE_TABLE
from pipelines.settings import Settings
from tests.support import copy_warehouse, ingest_landing, settings_for

DAYS = 9
CONTACTS_PER_DAY = 400
SEED = 11
VARS = {"value_window_days": 2}
VALUE_TABLES = (
    "intermediate.int_offers_attributed_to_contacts",
    "intermediate.int_service_contacts_valued",
    "marts.mart_value_daily",
    "marts.mart_evaluation_agent_daily",
)
DATED = re.compile(r"\d{4}-\d{2}-\d{2}")
# an offer of the new day about a contact that is never loaded
UNATTRIBUTED_OFFER = "O900000001"


def _ingest(settings: Settings) -> None:
    assert ingest_landing(settings).loaded, "nothing new was loaded"


def _land(generated: Path, landing: Path, day: str, *, on_day: bool) -> None:
    for path in sorted(generated.rglob("*.csv")):
        match = DATED.search(path.name)
        if match and (match.group(0) == day) == on_day:
            target = landing / path.relative_to(generated)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)


@pytest.fixture(scope="module")
def value_builds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    """The incremental warehouse (copied aside), the same rebuilt whole, and facts of the builds."""
    from pipelines.generate import GeneratorParams, generate

    patch = pytest.MonkeyPatch()
    run_dbt = pipelines.build.run_dbt
    # the builds' rows are compared; data tests are the other module's subject
    patch.setattr(
        pipelines.build,
        "run_dbt",
        lambda command, settings, dbt_vars=None, extra=(): run_dbt(
            command, settings, dbt_vars, [*extra, "--exclude-resource-type", "test"]
        ),
    )
    # nine days are too short a history for an incremental build to pay: the
    # planner would rebuild in full (test_incremental.py lifts it likewise)
    patch.setattr(pipelines.incremental, "MAX_RECOMPUTE_SHARE", 1.0)
    try:
        root = tmp_path_factory.mktemp("value_window")
        generated = root / "generated"
        generate(
            GeneratorParams(days=DAYS, contacts_per_day=CONTACTS_PER_DAY, seed=SEED), generated
        )
        days = sorted({m.group(0) for p in generated.rglob("*.csv") if (m := DATED.search(p.name))})
        new_day = days[-1]
        settings = settings_for(root / "home")
        _land(generated, settings.landing, new_day, on_day=False)
        _ingest(settings)
        build(settings, VARS)
        with connect_warehouse(settings.warehouse) as con:
            censored = {
                row[0]
                for row in con.execute(
                    "select contact_id from intermediate.int_service_contacts_valued "
                    "where is_value_censored"
                ).fetchall()
            }
        _land(generated, settings.landing, new_day, on_day=True)
        offers = settings.landing / "offers" / f"offers_{new_day}.csv"
        header, first = offers.read_text(encoding="utf-8").splitlines()[:2]
        planted = [UNATTRIBUTED_OFFER, "C999999999", *first.split(",")[2:5], "", "1000.00"]
        assert len(planted) == len(header.split(","))
        with offers.open("a", encoding="utf-8") as out:
            out.write(",".join(planted) + "\n")
        _ingest(settings)
        build(settings, VARS)
        with duckdb.connect(str(settings.warehouse)) as con:
            plans = frame(con, f"select * from {STATE_TABLE} order by built_at").to_dicts()
            con.execute("checkpoint")
        kept = root / "incremental.duckdb"
        copy_warehouse(settings.warehouse, kept)
        build(settings, VARS, full_refresh=True)
        yield {
            "incremental": kept,
            "full": settings.warehouse,
            "plans": plans,
            "new_day": dt.date.fromisoformat(new_day),
            "censored_at_first_build": censored,
        }
    finally:
        patch.undo()


def test_the_new_day_alone_was_built_incrementally(value_builds: dict[str, object]) -> None:
    plans = value_builds["plans"]
    assert isinstance(plans, list)
    assert [plan["mode"] for plan in plans] == ["full", "incremental"]
    assert plans[1]["incremental_since"] == value_builds["new_day"]


def test_the_cases_under_test_occur(value_builds: dict[str, object]) -> None:
    """Censoring ended for contacts older than every new contact, and the
    unattributed offer arrived: without them the comparison below proves
    nothing."""
    censored = value_builds["censored_at_first_build"]
    assert isinstance(censored, set) and censored
    with connect_warehouse(Path(str(value_builds["incremental"]))) as con:
        ended = con.execute(
            "select count(*) from intermediate.int_service_contacts_valued "
            "where not is_value_censored and contact_date < ? and list_contains(?, contact_id)",
            [value_builds["new_day"], sorted(censored)],
        ).fetchall()[0][0]
        accepted = con.execute(
            "select count(*) from intermediate.int_offers_attributed_to_contacts "
            "where not is_value_censored and contact_date < ? and list_contains(?, contact_id)",
            [value_builds["new_day"], sorted(censored)],
        ).fetchall()[0][0]
        unattributed = con.execute(
            "select count(*) from intermediate.int_offers_attributed_to_contacts "
            "where offer_id = ? and not is_attributed",
            [UNATTRIBUTED_OFFER],
        ).fetchall()[0][0]
    assert ended > 0, "no contact's value censoring ended with the new day"
    assert accepted > 0, "no offer's contact left censoring with the new day"
    assert unattributed == 1, "the new day's offer about an unknown contact is missing"


@pytest.mark.parametrize("table", VALUE_TABLES)
def test_value_tables_equal_a_full_rebuild(value_builds: dict[str, object], table: str) -> None:
    def rows(warehouse: object) -> object:
        with connect_warehouse(Path(str(warehouse))) as con:
            return frame(con, f"select * from {table} order by all")

    got, want = rows(value_builds["incremental"]), rows(value_builds["full"])
    assert got.height == want.height, f"{table}: {got.height} rows, full rebuild {want.height}"
    assert_frame_equal(got, want, check_exact=False, rel_tol=1e-9, abs_tol=1e-9)
