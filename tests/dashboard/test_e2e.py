"""End to end: the real app in a real browser (Debian's chromium, driven by Playwright).

Opens every page in Chinese and saves a screenshot of each to
test-artifacts/screenshots/, switches to English, changes a filter and checks
the figure and the URL change, and follows the Hotline heat map's drill-down
to the contacts on the Explore page.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from dashboard.i18n import t
from tests.dashboard.conftest import ROOT, Served
from tests.support import require_binary

pytestmark = pytest.mark.e2e

SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# (url path, label key); the default page (overview) is served at the root
PAGES = [
    ("", "overview"),
    ("scorecard", "scorecard"),
    ("fcr-effort", "fcr_effort"),
    ("prediction", "prediction"),
    ("value", "value"),
    ("hotline", "hotline"),
    ("backoffice", "backoffice"),
    ("workforce", "workforce"),
    ("quality", "quality"),
    ("explore", "explore"),
]
STARTUP_SECONDS = 40
PAGE_TIMEOUT_MS = 30_000


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def chromium() -> str:
    """Debian's chromium (never a downloaded browser): skip on a laptop without it, fail in CI."""
    return require_binary("chromium", "chromium")


@pytest.fixture
def server(chromium: str, served: Served, tmp_path: Path) -> Iterator[str]:
    port = free_port()
    env = {
        **os.environ,
        "SERVIQ_HOME": str(served.home),
        "SERVIQ_SERVING_PATH": str(served.serving),
    }
    env.pop("SERVIQ_ROLES_FILE", None)
    log = (tmp_path / "streamlit.log").open("w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "dashboard/streamlit_app.py",
            "--server.port",
            str(port),
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.flush()
                    pytest.fail(
                        f"streamlit did not start: {(tmp_path / 'streamlit.log').read_text()}"
                    )
                time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def wait_for_page(page, title: str) -> None:  # type: ignore[no-untyped-def]
    """The page's own title is shown and the script has finished running."""
    page.get_by_role("heading", level=1, name=title).wait_for(timeout=PAGE_TIMEOUT_MS)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')",
        timeout=PAGE_TIMEOUT_MS,
    )
    page.wait_for_timeout(300)  # let the charts draw
    exceptions = page.get_by_test_id("stException")
    assert exceptions.count() == 0, exceptions.first.inner_text()


def metric_text(page, label: str) -> str:  # type: ignore[no-untyped-def]
    tile = page.get_by_test_id("stMetric").filter(has_text=label).first
    return tile.get_by_test_id("stMetricValue").inner_text()


def go_to(page, key: str, lang: str) -> float:  # type: ignore[no-untyped-def]
    """Open a page through the sidebar navigation (no reload); returns seconds taken."""
    started = time.monotonic()
    page.get_by_test_id("stSidebarNav").get_by_text(t(key, lang), exact=True).click()
    wait_for_page(page, t(key, lang))
    return time.monotonic() - started


def test_dashboard_in_a_browser(chromium: str, server: str) -> None:
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1800})
            # every page, in Chinese (the default language)
            started = time.monotonic()
            page.goto(f"{server}/")
            wait_for_page(page, t("overview", "zh"))
            print(f"render overview: {time.monotonic() - started:.1f} s (first load)")
            page.screenshot(path=SCREENSHOTS / "00_overview_zh.png", full_page=True)
            for index, (_path, key) in enumerate(PAGES[1:], start=1):
                print(f"render {key}: {go_to(page, key, 'zh'):.1f} s")
                page.screenshot(path=SCREENSHOTS / f"{index:02d}_{key}_zh.png", full_page=True)

            # switch the language: every label follows, the choice goes into the URL
            page.get_by_test_id("stSidebar").get_by_text("English", exact=True).click()
            wait_for_page(page, t("explore", "en"))
            assert "lang=en" in page.url, page.url
            go_to(page, "overview", "en")

            # change a filter: one site; the figure changes and the URL carries the filter
            label = t("contacts", "en")
            before = metric_text(page, label)
            page.get_by_test_id("stMultiSelect").filter(has_text=t("site", "en")).first.click()
            page.get_by_role("option", name=re.compile(r"\(SHA\)")).click()
            page.keyboard.press("Escape")
            page.wait_for_function(
                """([label, before]) => [...document.querySelectorAll('[data-testid="stMetric"]')]
                    .some(m => m.innerText.includes(label)
                        && !m.querySelector('[data-testid="stMetricValue"]').innerText
                            .includes(before))""",
                arg=[label, before],
                timeout=PAGE_TIMEOUT_MS,
            )
            wait_for_page(page, t("overview", "en"))
            assert "site=SHA" in page.url, page.url
            assert metric_text(page, label) != before
            page.screenshot(path=SCREENSHOTS / "10_overview_en_one_site.png", full_page=True)

            # the filter persists on another page; the heat map drills down to the contacts
            go_to(page, "hotline", "en")
            assert "site=SHA" in page.url, page.url
            page.screenshot(path=SCREENSHOTS / "11_hotline_en_one_site.png", full_page=True)
            page.get_by_role(
                "link", name=re.compile("^" + re.escape(t("drill_down", "en")))
            ).click()
            wait_for_page(page, t("explore", "en"))
            assert "x_weekday=" in page.url and "x_hour=" in page.url, page.url
            assert "site=SHA" in page.url, page.url
            assert page.get_by_text(t("drilled_into", "en")).count() >= 1
            assert page.get_by_test_id("stDataFrame").count() >= 1
            page.screenshot(path=SCREENSHOTS / "12_explore_en_drilled.png", full_page=True)
        finally:
            browser.close()
