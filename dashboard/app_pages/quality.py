"""Data quality: latest checks, quarantined rows, load history."""

from __future__ import annotations

import streamlit as st

from dashboard import data, ui
from dashboard.i18n import fmt_int, t

page = ui.Page("quality")
lang = page.lang

# Latest checks: the `quality` schema, published by the checks when present.
st.caption(t("quality_unfiltered", lang))
st.header(t("latest_checks", lang))
checks = data.quality_tables()
if not checks:
    st.info(t("quality_pending", lang))
elif data.CHECK_RUNS in checks and data.CHECK_RESULTS in checks:
    runs = data.check_runs()
    if ui.show_result(runs, lang):
        latest = runs.frame.row(0, named=True)
        cols = list(st.columns(4))
        cols[0].metric(
            t("check_status", lang),
            t("check_passed", lang) if latest["is_success"] else t("check_failed", lang),
        )
        cols[1].metric(t("critical_failures", lang), fmt_int(latest["critical_failures"], lang))
        cols[2].metric(t("warning_failures", lang), fmt_int(latest["warning_failures"], lang))
        cols[3].metric(t("expectations", lang), fmt_int(latest["expectation_count"], lang))
        st.caption(f"{t('checked_at', lang)}: {latest['finished_at']:%Y-%m-%d %H:%M} UTC")
    ui.table(data.latest_check_results(), t("check_results", lang), lang)
    ui.table(runs, t("check_runs", lang), lang)
else:
    for table in checks:
        ui.table(data.quality_table(table), table.split(".", 1)[1], lang)

st.header(t("source_coverage", lang))
st.caption(t("source_coverage_help", lang))
ui.table(data.coverage(), t("source_coverage", lang), lang)

st.header(t("load_history", lang))
history = data.load_history()
if ui.show_result(history, lang):
    frame = history.frame
    loaded = frame.filter(frame["status"] == "loaded")
    cols = list(st.columns(4))
    cols[0].metric(t("files_loaded", lang), fmt_int(loaded.height, lang))
    cols[1].metric(t("files_refused", lang), fmt_int(frame.height - loaded.height, lang))
    cols[2].metric(t("rows_loaded", lang), fmt_int(frame["rows_loaded"].sum(), lang))
    cols[3].metric(t("rows_quarantined", lang), fmt_int(frame["rows_quarantined"].sum(), lang))
ui.table(history, t("load_history", lang), lang)

st.header(t("quarantined_rows", lang))
ui.table(data.quarantine_summary(), t("quarantine_by_field", lang), lang)
ui.table(data.quarantined_rows(), t("quarantined_rows", lang), lang)
