"""Overview: volume, answer rate and channel mix for the selected view."""

from __future__ import annotations

import streamlit as st

from dashboard import charts, data, ui
from dashboard.i18n import fmt_int, fmt_pct, t

page = ui.Page("overview")
lang, filters = page.lang, page.filters

daily = data.daily_volume(filters)
if ui.show_result(daily, lang):
    totals = daily.frame.select(
        "contact_count", "handled_count", "answered_count", "offered_count"
    ).sum()
    contacts, handled, answered, offered = totals.row(0)
    cols = list(st.columns(4))
    cols[0].metric(t("contacts", lang), fmt_int(contacts, lang))
    cols[1].metric(t("handled", lang), fmt_int(handled, lang))
    cols[2].metric(t("offered", lang), fmt_int(offered, lang))
    ui.metric_tile(
        cols[3], "answer_rate", fmt_pct(answered / offered if offered else None, lang), lang
    )

ui.chart(daily, charts.daily_volume, t("daily_volume", lang), lang)
ui.chart(daily, charts.daily_rate, t("daily_answer_rate", lang), lang)
ui.chart(data.channel_mix(filters), charts.channel_mix, t("channel_mix", lang), lang)
ui.drill_link(filters, lang, {})
