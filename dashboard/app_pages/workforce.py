"""Workforce (productivity and quality by work mode and site) and continuity."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import charts, data, ui
from dashboard.i18n import column_label, fmt_number, fmt_pct, t

page = ui.Page("workforce")
lang, filters = page.lang, page.filters
ui.require(data.WORKFORCE, lang, whole_page=False)

# productivity and attendance need the shifts; continuity needs only the contacts
shifts_absent = data.absent(data.TABLE_NEEDS[data.WORKFORCE])
if shifts_absent:
    st.warning(ui.absent_text(shifts_absent, lang))
else:
    totals = data.workforce_totals(filters)
    ratio = data.home_office_ratio(filters)
    if ui.show_result(totals, lang):
        row = totals.frame.row(0, named=True)
        cols = [*st.columns(3), *st.columns(3)]
        ui.metric_tile(
            cols[0],
            "contacts_per_logged_in_hour",
            fmt_number(row["contacts_per_logged_in_hour"], lang, 2),
            lang,
        )
        home_office = (
            ratio.frame.row(0, named=True) if not ratio.missing and not ratio.empty else {}
        )
        ui.metric_tile(
            cols[1],
            "home_office_productivity_ratio",
            fmt_pct(home_office.get("home_office_productivity_ratio"), lang),
            lang,
        )
        ui.metric_tile(cols[2], "attendance_rate", fmt_pct(row["attendance_rate"], lang), lang)
        ui.metric_tile(cols[3], "fcr", fmt_pct(row["fcr"], lang), lang)
        ui.metric_tile(cols[4], "csat", fmt_pct(row["csat_rate"], lang), lang)
        ui.metric_tile(
            cols[5], "complaint_rate_per_10k", fmt_number(row["complaints_per_10k"], lang), lang
        )

    by_mode = data.workforce_by(filters, "work_mode")
    ui.chart(
        by_mode,
        lambda f, lg: charts.bars(
            f.filter(pl.col("work_mode") != "unknown"),
            lg,
            "work_mode",
            "contacts_per_logged_in_hour",
            charts.metric_title("contacts_per_logged_in_hour", lg),
            column_label("work_mode", lg),
            ",.2f",
        ),
        t("by_work_mode", lang),
        lang,
    )
    ui.table(by_mode, t("by_work_mode_table", lang), lang)
    ui.table(data.workforce_by(filters, "site_code"), t("by_site", lang), lang)
    ui.chart(
        data.workforce_daily(filters),
        lambda f, lg: charts.daily_metric(
            f, lg, "attendance_rate", "attendance_rate", "site_code", t("site", lg)
        ),
        t("attendance_by_day", lang),
        lang,
    )

st.header(t("disruptions", lang))
st.caption(t("disruption_note", lang))
disruptions = data.continuity(filters)
ui.chart(disruptions, charts.absorbed_volume, t("absorbed", lang), lang)
ui.table(disruptions, t("during_vs_baseline", lang), lang)
