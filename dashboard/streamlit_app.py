"""serviq dashboard: entry point. Pages live in app_pages/ (layout only).

Order of a run: language -> login gate -> navigation -> sidebar (filters,
which live in this entry script so they persist across pages and are
written to the URL) -> the page.
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from dashboard import access, data, state  # noqa: E402
from dashboard.i18n import t  # noqa: E402

st.set_page_config(page_title="serviq", layout="wide", page_icon=":material/support_agent:")

# Pages: (file, label key, url path), grouped into sections.
SECTIONS: dict[str, list[tuple[str, str, str]]] = {
    "section_evaluation": [
        ("app_pages/overview.py", "overview", "overview"),
        ("app_pages/scorecard.py", "scorecard", "scorecard"),
        ("app_pages/fcr_effort.py", "fcr_effort", "fcr-effort"),
        ("app_pages/prediction.py", "prediction", "prediction"),
        ("app_pages/value.py", "value", "value"),
    ],
    "section_operations": [
        ("app_pages/hotline.py", "hotline", "hotline"),
        ("app_pages/backoffice.py", "backoffice", "backoffice"),
        ("app_pages/workforce.py", "workforce", "workforce"),
    ],
    "section_data": [
        ("app_pages/quality.py", "quality", "quality"),
        ("app_pages/explore.py", "explore", "explore"),
    ],
}


def login_gate(lang: str) -> access.Scope:
    """Stop here (showing no data) when login is configured and nobody is logged in."""
    scope = access.current_scope()
    if scope.mode == "anonymous":
        st.title(t("app_title", lang))
        st.info(t("login_required", lang))
        if st.button(t("login", lang), key="login_button", type="primary"):
            st.login()
        st.stop()
    return scope


def scope_notice(scope: access.Scope, lang: str) -> None:
    if scope.mode == "open":
        st.caption(t("open_access", lang))
        return
    if scope.user:
        st.caption(f"{t('signed_in_as', lang)}: {scope.user}")
    if scope.mode == "all":
        st.caption(t("scope_all", lang))
    elif scope.mode == "scoped" and scope.sites:
        st.caption(f"{t('scope_sites', lang)}: {', '.join(sorted(scope.sites))}")
    elif scope.mode == "misconfigured":
        st.error(f"{t('scope_misconfigured', lang)}: {scope.detail}")
    else:
        st.warning(t("scope_none", lang))
    if access.auth_configured() and st.button(t("logout", lang), key="logout_button"):
        st.logout()


def sidebar(scope: access.Scope, lang: str) -> None:
    with st.sidebar:
        st.header(t("filters", lang))
        state.filter_widgets(lang)
        st.caption(t("share_link", lang))
        scope_notice(scope, lang)
        try:
            stamp = data.published_at()
        except data.NoData:
            stamp = None
        if stamp is not None:
            st.caption(f"{t('published_at', lang)}: {stamp:%Y-%m-%d %H:%M} UTC")


def main() -> None:
    with st.sidebar:
        state.language_switch(state.language())
    lang = state.language()
    scope = login_gate(lang)
    navigation = st.navigation(
        {
            t(section, lang): [
                st.Page(path, title=t(label, lang), url_path=url, default=url == "overview")
                for path, label, url in pages
            ]
            for section, pages in SECTIONS.items()
        }
    )
    if navigation.url_path != "explore":  # a drill-down belongs to the Explore page only
        for key in [key for key in st.query_params if key.startswith("x_")]:
            del st.query_params[key]
    sidebar(scope, lang)
    navigation.run()


with data.run_connection():
    main()
