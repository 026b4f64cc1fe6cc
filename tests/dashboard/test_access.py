"""Access scoping: a site-scoped user sees only that site's rows, on every page and in
every download; a visitor who is not logged in sees no data when login is configured.

Login is simulated with AppTest's `secrets` (an `[auth]` section = login configured)
and `user` (the identity `st.user` returns).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard import access
from dashboard.i18n import fmt_int, t
from tests.dashboard.conftest import PAGES, Served, metric_value, open_page

AUTH = {
    "auth": {
        "redirect_uri": "http://localhost:8501/oauth2callback",
        "cookie_secret": "test-cookie-secret-not-used",
        "client_id": "serviq-test",
        "client_secret": "not-used",
        "server_metadata_url": "https://login.example.invalid/.well-known/openid-configuration",
    }
}
SCOPED = "shanghai.lead@bank.example"
EVERYONE = "Head.Of.Quality@bank.example"
UNLISTED = "visitor@bank.example"


@pytest.fixture
def scoped_site(served: Served) -> str:
    return served.sql(
        "select site_code from marts.fct_contacts where site_code <> 'unassigned' "
        "group by 1 order by count(*) desc limit 1"
    ).item()


@pytest.fixture
def roles(
    tmp_path: Path, scoped_site: str, monkeypatch: pytest.MonkeyPatch, app_env: Served
) -> Path:
    path = tmp_path / "roles.yml"
    path.write_text(
        f'users:\n  {SCOPED}: [{scoped_site}]\n  head.of.quality@bank.example: "*"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("SERVIQ_ROLES_FILE", str(path))
    return path


def logged_in(make_app: Callable[..., AppTest], email: str | None) -> AppTest:
    at = make_app("en")
    at.secrets = dict(AUTH)
    at.user = {"is_logged_in": True, "email": email} if email else {"is_logged_in": False}
    return at


def site_values_in_tables(at: AppTest) -> set[str]:
    seen: set[str] = set()
    for frame in at.dataframe:
        value = frame.value
        if "site_code" in value.columns:
            seen |= {str(v) for v in value["site_code"].dropna().unique()}
    return seen


def site_values_in_csv(body: bytes) -> set[str] | None:
    reader = csv.DictReader(io.StringIO(body.decode("utf-8-sig")))
    if not reader.fieldnames or "site_code" not in reader.fieldnames:
        return None
    return {row["site_code"] for row in reader if row["site_code"]}


def test_scoped_user_sees_only_their_site_everywhere(
    make_app: Callable[..., AppTest],
    roles: Path,
    scoped_site: str,
    served: Served,
    downloads: list[tuple[str, bytes]],
) -> None:
    at = logged_in(make_app, SCOPED)
    site_downloads = 0
    for page in PAGES:
        downloads.clear()
        open_page(at, page)
        assert site_values_in_tables(at) <= {scoped_site}, page
        for name, body in downloads:
            sites = site_values_in_csv(body)
            if sites is not None:
                site_downloads += 1
                assert sites <= {scoped_site}, (page, name, sites)
    assert site_downloads >= 10, "the check must have seen site-level downloads"
    # the filter offers only the allowed site, and the figures are that site's
    options = at.multiselect(key="f_site").options
    assert len(options) == 1 and scoped_site in options[0], options
    open_page(at, "overview")
    only = served.sql(
        "select sum(contact_count) from marts.mart_contacts_daily where site_code = ?",
        [scoped_site],
    ).item()
    assert metric_value(at, t("contacts", "en")) == fmt_int(only, "en")


def test_scoped_user_cannot_widen_scope_through_the_url(
    make_app: Callable[..., AppTest],
    roles: Path,
    scoped_site: str,
    served: Served,
    downloads: list[tuple[str, bytes]],
) -> None:
    other = served.sql(
        "select site_code from marts.fct_contacts where site_code not in (?, 'unassigned') limit 1",
        [scoped_site],
    ).item()
    at = logged_in(make_app, SCOPED)
    at.query_params["site"] = other
    open_page(at, "explore")
    assert site_values_in_tables(at) <= {scoped_site}
    for _name, body in downloads:
        assert (site_values_in_csv(body) or set()) <= {scoped_site}


def test_site_less_sources_are_hidden_from_scoped_users(
    make_app: Callable[..., AppTest],
    roles: Path,
    downloads: list[tuple[str, bytes]],
) -> None:
    """Back office and load history have no site: a one-site user must not see them at all."""
    at = open_page(logged_in(make_app, SCOPED), "overview")
    for page in ("backoffice", "quality"):
        downloads.clear()
        open_page(at, page)
        assert not at.dataframe, page
        assert not downloads, page
        assert any(t("restricted", "en") in info.value for info in at.info), page


def test_every_site_user_sees_every_site(
    make_app: Callable[..., AppTest],
    roles: Path,
    served: Served,
) -> None:
    at = logged_in(make_app, EVERYONE)  # e-mails match case-insensitively
    open_page(at, "overview")
    total = served.sql("select sum(contact_count) from marts.mart_contacts_daily").item()
    assert metric_value(at, t("contacts", "en")) == fmt_int(total, "en")


@pytest.mark.parametrize("email", [None, UNLISTED])
def test_no_data_without_a_login_or_a_role(
    make_app: Callable[..., AppTest],
    roles: Path,
    email: str | None,
    downloads: list[tuple[str, bytes]],
) -> None:
    at = logged_in(make_app, email)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.metric and not at.dataframe and not downloads
    if email is None:
        assert any(t("login_required", "en") in info.value for info in at.info)
        assert [b.label for b in at.button] == [t("login", "en")]
    else:
        assert any(t("scope_none", "en") in w.value for w in at.warning)


def test_roles_file_without_login_shows_no_data(
    make_app: Callable[..., AppTest],
    roles: Path,
    downloads: list[tuple[str, bytes]],
) -> None:
    at = make_app("en")
    at.run()
    assert not at.metric and not at.dataframe and not downloads
    assert any(t("scope_misconfigured", "en") in e.value for e in at.error)


def test_open_access_says_so(make_app: Callable[..., AppTest], served: Served) -> None:
    at = make_app("en")
    at.run()
    assert any(t("open_access", "en") == c.value for c in at.caption)
    assert at.metric


def test_data_layer_scopes_even_if_a_page_skipped_the_gate(app_env: Served, roles: Path) -> None:
    """Queries run in an anonymous session return nothing, whatever the page does."""
    script = """
import streamlit as st
from dashboard import data
try:
    data.date_bounds()
    st.write("bounds visible")
except data.NoData:
    st.write("no bounds")
import datetime as dt
filters = data.Filters(start=dt.date(2000, 1, 1), end=dt.date(2100, 1, 1))
st.write(f"rows={data.daily_volume(filters).frame.height}")
st.write(f"contacts={data.contacts_in_bucket(filters, {}).frame.height}")
st.write(f"loads={data.load_history().frame.height}")
"""
    at = AppTest.from_string(script, default_timeout=60)
    at.secrets = dict(AUTH)
    at.user = {"is_logged_in": False}
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    texts = [m.value for m in at.markdown]
    assert texts == ["no bounds", "rows=0", "contacts=0", "loads=0"]


def test_roles_file_formats(tmp_path: Path) -> None:
    flat = tmp_path / "flat.yml"
    flat.write_text('A@X.CN: SHA\nb@x.cn: [PEK, CAN]\nc@x.cn: "*"\nd@x.cn: 7\n', encoding="utf-8")
    roles = access.load_roles(flat)
    assert roles == {
        "a@x.cn": frozenset({"SHA"}),
        "b@x.cn": frozenset({"PEK", "CAN"}),
        "c@x.cn": None,
        "d@x.cn": frozenset(),
    }
    assert access.scope_for("B@x.cn", flat).sites == frozenset({"PEK", "CAN"})
    assert access.scope_for("nobody@x.cn", flat).mode == "unlisted"
    assert access.scope_for("a@x.cn", None).mode == "misconfigured"
    broken = tmp_path / "broken.yml"
    broken.write_text("- just\n- a list\n", encoding="utf-8")
    assert access.scope_for("a@x.cn", broken).sees_nothing


def test_outside_streamlit_every_site_is_visible() -> None:
    """Exports and the CLI are trusted processes: no viewer, no scope."""
    assert access.current_scope().unrestricted
