"""Dashboard test fixtures: the app pointed at the `small_pipeline` serving file.

`SERVIQ_DASHBOARD_TEST_HOME` (optional, for local iteration only) points the
tests at an already published SERVIQ_HOME instead of building
`small_pipeline`; CI never sets it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pytest
import streamlit
from streamlit.testing.v1 import AppTest

from dashboard import data

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "dashboard" / "streamlit_app.py"
TIMEOUT = 120

# page file -> url path, in navigation order
PAGES: dict[str, str] = {
    "overview": "app_pages/overview.py",
    "scorecard": "app_pages/scorecard.py",
    "fcr_effort": "app_pages/fcr_effort.py",
    "prediction": "app_pages/prediction.py",
    "value": "app_pages/value.py",
    "hotline": "app_pages/hotline.py",
    "backoffice": "app_pages/backoffice.py",
    "workforce": "app_pages/workforce.py",
    "quality": "app_pages/quality.py",
    "explore": "app_pages/explore.py",
}


@dataclass
class Served:
    home: Path
    serving: Path

    def sql(self, sql: str, params: list[Any] | None = None) -> pl.DataFrame:
        """Query the marts straight from the serving file (the tests' independent reading)."""
        con = duckdb.connect(str(self.serving), read_only=True)
        try:
            result = pl.from_arrow(con.sql(sql, params=params).to_arrow_table())
        finally:
            con.close()
        assert isinstance(result, pl.DataFrame)
        return result

    def has(self, table: str) -> bool:
        schema, name = table.split(".")
        return bool(
            self.sql(
                "select count(*) as n from information_schema.tables "
                "where table_schema = ? and table_name = ?",
                [schema, name],
            ).item()
        )


@pytest.fixture(scope="session")
def served(request: pytest.FixtureRequest) -> Served:
    override = os.environ.get("SERVIQ_DASHBOARD_TEST_HOME")
    if override:
        home = Path(override)
        return Served(home=home, serving=home / "serving.duckdb")
    pipeline = request.getfixturevalue("small_pipeline")
    return Served(home=pipeline.settings.home, serving=pipeline.serving)


@pytest.fixture
def app_env(served: Served, monkeypatch: pytest.MonkeyPatch) -> Served:
    monkeypatch.setenv("SERVIQ_HOME", str(served.home))
    monkeypatch.setenv("SERVIQ_SERVING_PATH", str(served.serving))
    monkeypatch.delenv("SERVIQ_ROLES_FILE", raising=False)
    data._CACHE.clear()
    return served


@pytest.fixture
def make_app(app_env: Served) -> Callable[..., AppTest]:
    def build(lang: str = "en", **params: Any) -> AppTest:
        at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
        at.query_params["lang"] = lang
        for key, value in params.items():
            at.query_params[key] = value
        return at

    return build


@pytest.fixture
def downloads(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, bytes]]]:
    """Every CSV the app offers for download during the test: (file name, bytes)."""
    captured: list[tuple[str, bytes]] = []
    original = streamlit.download_button

    def recording(label: str, payload: Any, *args: Any, **kwargs: Any) -> Any:
        body = payload.encode("utf-8") if isinstance(payload, str) else bytes(payload)
        captured.append((str(kwargs.get("file_name", label)), body))
        return original(label, payload, *args, **kwargs)

    monkeypatch.setattr(streamlit, "download_button", recording)
    yield captured


def open_page(at: AppTest, page: str) -> AppTest:
    """Run the app once (registers the pages), then switch to `page` and run it."""
    if not getattr(at, "_serviq_ran", False):
        at.run()
        at._serviq_ran = True  # type: ignore[attr-defined]
    at.switch_page(PAGES[page]).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def metric_value(at: AppTest, label: str) -> str:
    found = [m.value for m in at.metric if m.label == label]
    assert found, f"no metric labelled {label!r}; have {[m.label for m in at.metric]}"
    return found[0]


def warnings(at: AppTest) -> list[str]:
    return [w.value for w in at.warning]
