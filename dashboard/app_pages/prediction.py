"""Prediction accuracy and proactive service."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import charts, data, ui
from dashboard.i18n import fmt_int, fmt_pct, t

page = ui.Page("prediction")
lang, filters = page.lang, page.filters

totals = data.prediction_totals(filters)
if ui.show_result(totals, lang):
    row = totals.frame.row(0, named=True)
    cols = list(st.columns(2))
    ui.metric_tile(cols[0], "prediction_accuracy", fmt_pct(row["accuracy"], lang), lang)
    cols[1].metric(t("judged_contacts", lang), fmt_int(row["judged_contact_count"], lang))
ui.definition("prediction_accuracy", lang)

ui.chart(
    data.prediction_daily(filters),
    lambda f, lg: charts.daily_metric(
        f, lg, "accuracy", "prediction_accuracy", "channel", t("channel", lg)
    ),
    t("accuracy_by_day", lang),
    lang,
)
ui.chart(data.calibration(filters), charts.calibration, t("calibration", lang), lang)
per_intent = data.prediction_by_intent(filters)
ui.table(per_intent, t("precision_recall", lang), lang)
if not per_intent.missing and not per_intent.restricted and not per_intent.empty:
    worst = per_intent.frame.filter(pl.col("actual_count") > 0).sort("recall").head(1)
    if worst.height:
        intent = worst["intent"][0]
        ui.drill_link(
            filters,
            lang,
            {"intent": intent},
            label=f"{t('drill_down', lang)}: {t('intent', lang)} = {intent}",
        )

st.header(t("proactive_by_channel", lang).split("（")[0].split(" by")[0])
proactive = data.proactive_totals(filters)
if ui.show_result(proactive, lang):
    row = proactive.frame.row(0, named=True)
    cols = list(st.columns(3))
    cols[0].metric(t("proactive_contacts", lang), fmt_int(row["proactive_contact_count"], lang))
    ui.metric_tile(cols[1], "proactive_share", fmt_pct(row["proactive_share"], lang), lang)
    ui.metric_tile(cols[2], "preemption_rate", fmt_pct(row["preemption_rate"], lang), lang)
ui.chart(
    data.proactive_by_channel(filters),
    lambda f, lg: charts.bars(
        f,
        lg,
        "channel",
        "proactive_share",
        charts.metric_title("proactive_share", lg),
        t("channel", lg),
        ".1%",
    ),
    t("proactive_by_channel", lang),
    lang,
)
ui.definition("preemption_rate", lang)
