"""Filters and language that persist across pages and live in the URL."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from dashboard import data
from dashboard.i18n import LANGUAGES, t


def language() -> str:
    lang = st.query_params.get("lang", "zh")
    return lang if lang in LANGUAGES else "zh"


def _date(value: str | None, fallback: dt.date) -> dt.date:
    try:
        return dt.date.fromisoformat(value) if value else fallback
    except ValueError:
        return fallback


def filters() -> data.Filters:
    lo, hi = data.date_bounds()
    params = st.query_params
    start = max(lo, min(hi, _date(params.get("from"), lo)))
    end = max(start, min(hi, _date(params.get("to"), hi)))
    return data.Filters(
        start=start,
        end=end,
        sites=tuple(params.get_all("site")),
        channels=tuple(params.get_all("channel")),
    )


def sidebar(lang: str) -> None:
    with st.sidebar:
        choice = st.radio(
            t("language", lang),
            list(LANGUAGES),
            index=list(LANGUAGES).index(lang),
            format_func=LANGUAGES.__getitem__,
            horizontal=True,
            key="lang_switch",
        )
        if choice != lang:
            st.query_params["lang"] = choice
            st.rerun()
        try:
            current = filters()
            lo, hi = data.date_bounds()
        except data.NoData:
            st.info(t("no_data", lang))
            return
        picked = st.date_input(
            t("date_range", lang), (current.start, current.end), min_value=lo, max_value=hi,
            key="date_range",
        )
        if isinstance(picked, tuple) and len(picked) == 2:
            st.query_params["from"] = picked[0].isoformat()
            st.query_params["to"] = picked[1].isoformat()
        chosen_sites = st.multiselect(
            t("site", lang), data.sites(), default=list(current.sites), key="site_filter"
        )
        st.query_params["site"] = chosen_sites
        chosen_channels = st.multiselect(
            t("channel", lang), data.channels(), default=list(current.channels),
            key="channel_filter",
        )
        st.query_params["channel"] = chosen_channels
        if data.is_open_access():
            st.caption(t("open_access", lang))
        stamp = data.published_at()
        if stamp is not None:
            st.caption(f"{t('published_at', lang)}: {stamp:%Y-%m-%d %H:%M} UTC")
