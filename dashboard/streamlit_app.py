"""serviq dashboard: entry point. Pages live in app_pages/ (layout only)."""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from dashboard import state  # noqa: E402
from dashboard.i18n import t  # noqa: E402

st.set_page_config(page_title="serviq", layout="wide")
lang = state.language()

pages = [
    st.Page("app_pages/overview.py", title=t("overview", lang), url_path="overview", default=True),
]
navigation = st.navigation(pages)
state.sidebar(lang)
navigation.run()
