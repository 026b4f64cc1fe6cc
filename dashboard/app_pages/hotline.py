"""Hotline: service level by weekday and hour, ASA, abandonment, AHT."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import charts, data, ui
from dashboard.i18n import fmt_int, fmt_pct, fmt_seconds, t, weekday

page = ui.Page("hotline")
lang, filters = page.lang, page.filters

totals = data.hotline_totals(filters)
if ui.show_result(totals, lang):
    row = totals.frame.row(0, named=True)
    cols = [*st.columns(3), *st.columns(3)]
    cols[0].metric(t("offered", lang), fmt_int(row["offered_count"], lang))
    ui.metric_tile(cols[1], "service_level", fmt_pct(row["service_level"], lang), lang)
    ui.metric_tile(cols[2], "answer_rate", fmt_pct(row["answer_rate"], lang), lang)
    ui.metric_tile(cols[3], "asa_seconds", fmt_seconds(row["asa_seconds"], lang), lang)
    ui.metric_tile(cols[4], "abandonment_rate", fmt_pct(row["abandonment_rate"], lang), lang)
    ui.metric_tile(cols[5], "aht_seconds", fmt_seconds(row["aht_seconds"], lang), lang)

heat = data.hotline_heatmap(filters)
event = ui.chart(heat, charts.weekday_hour_heatmap, t("heatmap_title", lang), lang, on_select=True)
if not heat.missing and not heat.restricted and not heat.empty:
    picked = ui.selected_point(event, ["contact_weekday", "contact_hour"])
    # the worst cell among those carrying at least half the median volume
    volume = heat.frame.filter(pl.col("offered_count") > 0)
    floor = float(volume.select(pl.col("offered_count").median()).item() or 0) / 2
    cells = volume.filter(pl.col("offered_count") >= floor)
    if not picked and cells.height:
        worst = cells.sort("service_level", nulls_last=True).row(0, named=True)
        picked = {
            "contact_weekday": worst["contact_weekday"],
            "contact_hour": worst["contact_hour"],
        }
    if picked and "contact_weekday" in picked and "contact_hour" in picked:
        cell = heat.frame.filter(
            (pl.col("contact_weekday") == picked["contact_weekday"])
            & (pl.col("contact_hour") == picked["contact_hour"])
        )
        level = fmt_pct(cell["service_level"][0], lang) if cell.height else "—"
        label = (
            f"{t('drill_down', lang)}: {weekday(picked['contact_weekday'], lang)} "
            f"{int(picked['contact_hour']):02d}:00 · {t('service_level', lang)} {level}"
        )
        ui.drill_link(
            filters,
            lang,
            {
                "weekday": picked["contact_weekday"],
                "hour": picked["contact_hour"],
                "channel": "phone",
            },
            label=label,
        )

daily = data.hotline_daily(filters)
ui.chart(
    daily,
    lambda f, lg: charts.daily_metric(
        f, lg, "service_level", "service_level", "site_code", t("site", lg)
    ),
    t("service_level", lang) + " · " + t("date", lang),
    lang,
)
ui.chart(
    daily,
    lambda f, lg: charts.daily_metric(
        f, lg, "asa_seconds", "asa_seconds", "site_code", t("site", lg)
    ),
    t("asa", lang) + " · " + t("date", lang),
    lang,
)
ui.chart(
    daily,
    lambda f, lg: charts.daily_metric(
        f, lg, "abandonment_rate", "abandonment_rate", "site_code", t("site", lg)
    ),
    t("abandonment_rate", lang) + " · " + t("date", lang),
    lang,
)
ui.chart(
    daily,
    lambda f, lg: charts.daily_metric(
        f, lg, "aht_seconds", "aht_seconds", "site_code", t("site", lg)
    ),
    t("aht", lang) + " · " + t("date", lang),
    lang,
)

for group, label in (("site_code", "site"), ("queue", "queue"), ("intent", "intent")):
    ui.table(data.hotline_by(filters, group), f"{t('hotline', lang)} · {t(label, lang)}", lang)
ui.table(data.hotline_by_agent(filters), t("hotline_by_agent", lang), lang)
