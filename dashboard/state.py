"""Filters and language that persist across pages and live in the URL.

The URL query string is the shareable truth: `?lang=en&from=2026-06-01&
to=2026-06-14&site=SHA&site=PEK&channel=phone&intent=card_lost&team=t1`.
A new session (an opened link) seeds the sidebar widgets from it; after
that the widgets (which live in the entry script, so they survive page
switches) hold the state, and every run writes them back to the URL, so the
address bar always shows a link to the current view, whatever page it is on.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import streamlit as st

from dashboard import data
from dashboard.i18n import DEFAULT_LANGUAGE, LANGUAGES, t

LANG_KEY = "lang_switch"
DATES_KEY = "f_dates"
# filter dimension -> (URL parameter, widget key)
MULTI: dict[str, tuple[str, str]] = {
    "site": ("site", "f_site"),
    "channel": ("channel", "f_channel"),
    "intent": ("intent", "f_intent"),
    "team": ("team", "f_team"),
}
FILTER_PARAMS = ("from", "to", *(param for param, _key in MULTI.values()))


def language() -> str:
    chosen = st.session_state.get(LANG_KEY) or st.query_params.get("lang", DEFAULT_LANGUAGE)
    return chosen if chosen in LANGUAGES else DEFAULT_LANGUAGE


def _date(value: str | None, fallback: dt.date) -> dt.date:
    try:
        return dt.date.fromisoformat(value) if value else fallback
    except ValueError:
        return fallback


def _clamp_dates(start: dt.date, end: dt.date, lo: dt.date, hi: dt.date) -> tuple[dt.date, dt.date]:
    start = max(lo, min(hi, start))
    end = max(start, min(hi, end))
    return start, end


def _url_dates(lo: dt.date, hi: dt.date) -> tuple[dt.date, dt.date]:
    params = st.query_params
    return _clamp_dates(_date(params.get("from"), lo), _date(params.get("to"), hi), lo, hi)


def _session_dates(lo: dt.date, hi: dt.date) -> tuple[dt.date, dt.date] | None:
    picked = st.session_state.get(DATES_KEY)
    if isinstance(picked, list | tuple) and len(picked) == 2:
        return _clamp_dates(picked[0], picked[1], lo, hi)
    return None


def filters() -> data.Filters:
    """The current filters: the sidebar widgets' values, else the URL's."""
    lo, hi = data.date_bounds()
    start, end = _session_dates(lo, hi) or _url_dates(lo, hi)
    chosen: dict[str, tuple[str, ...]] = {}
    for dimension, (param, key) in MULTI.items():
        if key in st.session_state:
            chosen[dimension] = tuple(st.session_state[key])
        else:
            chosen[dimension] = tuple(st.query_params.get_all(param))
    return data.Filters(
        start=start,
        end=end,
        sites=chosen["site"],
        channels=chosen["channel"],
        intents=chosen["intent"],
        teams=chosen["team"],
    )


def query_string(filters: data.Filters, lang: str) -> dict[str, Any]:
    """The URL parameters for a view (used by drill-down links)."""
    params: dict[str, Any] = {
        "lang": lang,
        "from": filters.start.isoformat(),
        "to": filters.end.isoformat(),
    }
    for dimension, (param, _key) in MULTI.items():
        values = filters.values(dimension)
        if values:
            params[param] = list(values)
    return params


def _write_url(filters: data.Filters, lang: str) -> None:
    wanted = query_string(filters, lang)
    for key in ("lang", *FILTER_PARAMS):
        if key not in wanted and key in st.query_params:
            del st.query_params[key]
    for key, value in wanted.items():
        current = st.query_params.get_all(key)
        as_list = value if isinstance(value, list) else [value]
        if current != as_list:
            st.query_params[key] = value


def language_switch(lang: str) -> None:
    if LANG_KEY not in st.session_state:
        st.session_state[LANG_KEY] = lang
    st.radio(
        t("language", lang),
        list(LANGUAGES),
        format_func=LANGUAGES.__getitem__,
        horizontal=True,
        key=LANG_KEY,
    )


def _seed_multiselect(key: str, param: str, options: list[str]) -> None:
    if key not in st.session_state:
        st.session_state[key] = [v for v in st.query_params.get_all(param) if v in options]
    else:
        st.session_state[key] = [v for v in st.session_state[key] if v in options]


def filter_widgets(lang: str) -> data.Filters | None:
    """Sidebar filters; None when nothing is published or visible."""
    try:
        lo, hi = data.date_bounds()
    except data.NoData:
        st.info(t("no_data", lang))
        return None
    picked = st.session_state.get(DATES_KEY)
    if not (isinstance(picked, list | tuple) and len(picked) == 1):  # not mid-selection
        st.session_state[DATES_KEY] = _session_dates(lo, hi) or _url_dates(lo, hi)
    st.date_input(t("date_range", lang), min_value=lo, max_value=hi, key=DATES_KEY)
    for dimension, (param, key) in MULTI.items():
        options = data.choices(dimension)
        _seed_multiselect(key, param, options)
        st.multiselect(
            t(dimension, lang),
            options,
            key=key,
            placeholder=t("all", lang),
            format_func=_label_for(dimension, lang),
        )
    current = filters()
    _write_url(current, lang)
    return current


def _label_for(dimension: str, lang: str) -> Any:
    names = data.dimension_names(dimension, lang)
    return lambda value: names.get(value, value)
