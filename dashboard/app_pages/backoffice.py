"""Back office: volume, processing, rejection/return, overtime, reviewer outliers, change impact."""

from __future__ import annotations

import streamlit as st

from dashboard import charts, data, ui
from dashboard.i18n import fmt_int, fmt_minutes, fmt_pct, t

page = ui.Page("backoffice")
lang, filters = page.lang, page.filters
ui.require(data.BACKOFFICE, lang)

totals = data.backoffice_totals(filters)
if ui.show_result(totals, lang):
    row = totals.frame.row(0, named=True)
    cols = [*st.columns(3), *st.columns(3)]
    cols[0].metric(t("received", lang), fmt_int(row["received_count"], lang))
    cols[1].metric(t("completed", lang), fmt_int(row["completed_count"], lang))
    ui.metric_tile(
        cols[2], "bo_processing_minutes", fmt_minutes(row["processing_minutes"], lang), lang
    )
    ui.metric_tile(
        cols[3], "bo_reject_return_rate", fmt_pct(row["rejection_return_rate"], lang), lang
    )
    ui.metric_tile(cols[4], "bo_overtime_rate", fmt_pct(row["overtime_rate"], lang), lang)
    ui.metric_tile(
        cols[5], "bo_first_time_right", fmt_pct(row["first_time_right_rate"], lang), lang
    )

ui.chart(
    data.backoffice_daily(filters),
    lambda f, lg: charts.daily_metric(
        f,
        lg,
        "overtime_rate",
        "bo_overtime_rate",
        "business_type",
        "业务类型" if lg == "zh" else "Business type",
    ),
    t("bo_daily", lang),
    lang,
)
ui.table(data.backoffice_by(filters, "business_type"), t("bo_by_type", lang), lang)
ui.table(data.backoffice_by(filters, "shift"), t("bo_by_shift", lang), lang)

st.header(t("outliers", lang))
ui.chart(data.reviewer_z_latest(filters), charts.z_scatter, t("z_latest", lang), lang)
ui.table(data.reviewer_outliers(filters), t("outliers", lang), lang)

st.header(t("change_impact", lang))
impact = data.change_impact()
ui.chart(impact, charts.change_impact, t("change_impact", lang) + " · CI", lang)
ui.table(impact, t("change_impact", lang), lang)
