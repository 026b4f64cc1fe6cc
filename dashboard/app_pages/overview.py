"""Overview: volume, answer rate and channel mix for the selected view."""

from __future__ import annotations

import streamlit as st

from dashboard import charts, data, ui
from dashboard.i18n import fmt_int, fmt_pct, fmt_unit, t
from dashboard.metrics_catalog import metric

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

# headline of the new evaluation next to the classic figures (details: Scorecard)
HEADLINE = ("fcr", "effort_index", "service_level", "nps")
headline, _missing, _restricted = data.metric_totals(filters, HEADLINE)
if headline.height:
    cols = list(st.columns(len(HEADLINE)))
    values = dict(zip(headline["metric_code"], headline["value"], strict=True))
    for column, code in zip(cols, HEADLINE, strict=True):
        if code in values or data.metric_absent(code):
            ui.metric_tile(column, code, fmt_unit(values.get(code), metric(code).unit, lang), lang)

ui.chart(daily, charts.daily_volume, t("daily_volume", lang), lang)
ui.chart(daily, charts.daily_rate, t("daily_answer_rate", lang), lang)
ui.chart(data.channel_mix(filters), charts.channel_mix, t("channel_mix", lang), lang)
ui.drill_link(filters, lang, {})
