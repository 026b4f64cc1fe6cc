"""Overview: daily volume and answer rate by site."""

from __future__ import annotations

import altair as alt
import streamlit as st

from dashboard import data, state
from dashboard.i18n import t

lang = state.language()
st.title(t("overview", lang))
try:
    filters = state.filters()
except data.NoData:
    st.info(t("no_data", lang))
    st.stop()

daily = data.daily_volume(filters)
totals = daily.select("contact_count", "answered_count", "offered_count").sum()
contacts, answered, offered = totals.row(0)
cols = st.columns(3)
cols[0].metric(t("contacts", lang), f"{contacts:,}")
cols[1].metric(t("offered", lang), f"{offered:,}")
rate = answered / offered if offered else None
cols[2].metric(t("answer_rate", lang), f"{rate:.1%}" if rate is not None else "—")

frame = daily.to_pandas()
st.subheader(t("daily_volume", lang))
volume = (
    alt.Chart(frame)
    .mark_bar()
    .encode(
        x=alt.X("contact_date:T", title=t("date", lang)),
        y=alt.Y("sum(contact_count):Q", title=t("contacts", lang)),
        color=alt.Color("site_code:N", title=t("site", lang)),
        tooltip=["contact_date:T", "site_code:N", "contact_count:Q"],
    )
)
st.altair_chart(volume, width="stretch")

st.subheader(t("daily_answer_rate", lang))
rate_chart = (
    alt.Chart(frame)
    .mark_line(point=True)
    .encode(
        x=alt.X("contact_date:T", title=t("date", lang)),
        y=alt.Y("answer_rate:Q", title=t("answer_rate", lang), axis=alt.Axis(format="%")),
        color=alt.Color("site_code:N", title=t("site", lang)),
        tooltip=["contact_date:T", "site_code:N", alt.Tooltip("answer_rate:Q", format=".1%")],
    )
)
st.altair_chart(rate_chart, width="stretch")
st.download_button(
    t("download_csv", lang),
    daily.write_csv().encode("utf-8"),
    file_name="daily_volume.csv",
    mime="text/csv",
)
