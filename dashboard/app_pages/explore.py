"""Explore: from any bucket to the contacts in it (masked), with export.

A bucket comes in the URL as `x_<key>=<value>` (e.g. `x_weekday=1&x_hour=9`
from the Hotline heat map) on top of the sidebar filters, so a drill-down is
a shareable link too.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import streamlit as st

from dashboard import charts, data, state, ui
from dashboard.i18n import fmt_int, fmt_seconds, t, weekday

page = ui.Page("explore")
lang, filters = page.lang, page.filters


def bucket_from_url() -> dict[str, Any]:
    bucket: dict[str, Any] = {}
    for key, (_column, kind) in data.BUCKETS.items():
        raw = st.query_params.get(f"x_{key}")
        if not raw:
            continue
        try:
            bucket[key] = dt.date.fromisoformat(raw) if kind is dt.date else kind(raw)
        except ValueError:
            continue
    return bucket


def describe(key: str, value: Any) -> str:
    if key == "weekday":
        return f"{t('weekday', lang)} = {weekday(int(value), lang)}"
    label = t(key, lang) if key in ("site", "channel", "intent", "team", "hour", "date") else key
    return f"{label} = {value}"


bucket = bucket_from_url()
if bucket:
    st.markdown(
        f"**{t('drilled_into', lang)}:** " + " · ".join(describe(k, v) for k, v in bucket.items())
    )
    st.page_link(
        ui.EXPLORE_PAGE,
        label=t("clear_drill", lang),
        icon=":material/close:",
        query_params=state.query_string(filters, lang),
    )

summary = data.bucket_summary(filters, bucket)
if ui.show_result(summary, lang):
    contacts, handled, abandoned, mean_wait, customers = summary.frame.row(0)
    cols = list(st.columns(5))
    cols[0].metric(t("contacts", lang), fmt_int(contacts, lang))
    cols[1].metric(t("handled", lang), fmt_int(handled, lang))
    cols[2].metric(t("abandoned", lang), fmt_int(abandoned, lang))
    cols[3].metric(t("mean_wait", lang), fmt_seconds(mean_wait, lang))
    cols[4].metric(t("customers", lang), fmt_int(customers, lang))


# Pivot: pick a dimension, then a bucket value to drill into.
def dim_label(key: str) -> str:
    return t(key, lang) if key in LABELLED else key


LABELLED = ("site", "channel", "intent", "team", "hour", "date", "weekday")
ORDERED = ("date", "hour", "weekday")  # shown in their own order, not by volume
dimensions = [key for key in data.BUCKETS if key not in bucket]
group = st.selectbox(t("group_by", lang), dimensions, key="x_group", format_func=dim_label)
if group:
    counts = data.bucket_counts(filters, group, bucket)
    title = f"{t('contacts', lang)} · {dim_label(group)}"
    ui.chart(
        counts,
        lambda frame, lg: charts.bars(
            frame.with_columns(frame["bucket"].cast(str)),
            lg,
            "bucket",
            "contact_count",
            t("contacts", lg),
            dim_label(group),
            ",d",
            by_value=group not in ORDERED,
        ),
        title,
        lang,
    )
    if not counts.missing and not counts.restricted and not counts.empty:
        values = [str(v) for v in counts.frame["bucket"].to_list() if v is not None]
        picked = st.selectbox(
            t("pick_bucket", lang),
            values,
            index=None,
            key="x_pick",
            placeholder=t("pick_bucket", lang),
        )
        if picked:
            ui.drill_link(
                filters,
                lang,
                {**bucket, group: picked},
                label=f"{t('show_contacts', lang)}: {picked}",
            )

st.subheader(t("contacts_in_bucket", lang))
st.caption(
    t("explore_masked", lang) + " " + t("row_limit", lang, n=fmt_int(data.EXPLORE_LIMIT, "en"))
)
rows = data.contacts_in_bucket(filters, bucket)
if ui.show_result(rows, lang):
    ui.dataframe(ui.for_display(rows.frame, lang), lang, height=420)
    ui.download(rows.frame, "contacts", lang)
