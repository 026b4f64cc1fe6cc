"""One-contact resolution and customer effort (episode grain)."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import charts, data, ui
from dashboard.i18n import fmt_int, fmt_number, fmt_pct, t

page = ui.Page("fcr_effort")
lang, filters = page.lang, page.filters

# ---- one-contact resolution -------------------------------------------------
totals = data.fcr_totals(filters)
if ui.show_result(totals, lang):
    row = totals.frame.row(0, named=True)
    cols = list(st.columns(4))
    ui.metric_tile(cols[0], "fcr", fmt_pct(row["fcr"], lang), lang)
    cols[1].metric(t("evaluated_episodes", lang), fmt_int(row["evaluated_episode_count"], lang))
    cols[2].metric(t("censored_episodes", lang), fmt_int(row["censored_episode_count"], lang))
    cols[3].metric(
        t("unknown_customer_contacts", lang), fmt_int(row["unknown_customer_contact_count"], lang)
    )
ui.definition("fcr", lang)

ui.chart(
    data.fcr_daily(filters),
    lambda f, lg: charts.daily_metric(f, lg, "fcr", "fcr", "channel", t("channel", lg)),
    t("fcr_by_day", lang),
    lang,
)
by_intent = data.fcr_by(filters, "intent")
ui.chart(
    by_intent,
    lambda f, lg: charts.bars(
        f, lg, "intent", "fcr", charts.metric_title("fcr", lg), t("intent", lg), ".1%"
    ),
    t("fcr_by_intent", lang),
    lang,
)
if not by_intent.missing and not by_intent.restricted and not by_intent.empty:
    worst = by_intent.frame.filter(pl.col("evaluated_episode_count") > 0).sort("fcr").head(1)
    if worst.height:
        intent = worst["intent"][0]
        ui.drill_link(
            filters,
            lang,
            {"intent": intent},
            label=f"{t('drill_down', lang)}: {t('intent', lang)} = {intent}",
        )
ui.table(data.fcr_by(filters, "site_code"), t("fcr_by_site", lang), lang)
ui.table(data.evaluation_by_agent(filters), t("fcr_by_agent", lang), lang)

# ---- customer effort --------------------------------------------------------
st.header(t("effort_components", lang).split("（")[0].split(" (")[0])
effort = data.effort_totals(filters)
if ui.show_result(effort, lang):
    row = effort.frame.row(0, named=True)
    cols = list(st.columns(3))
    ui.metric_tile(cols[0], "effort_index", fmt_number(row["effort_index"], lang), lang)
    ui.metric_tile(cols[1], "ces_mean", fmt_number(row["ces_mean"], lang, 2), lang)
    ui.metric_tile(cols[2], "ces_easy_share", fmt_pct(row["ces_easy_share"], lang), lang)
    components = pl.DataFrame(
        {
            "component": [c.removesuffix("_sum") for c in data.EFFORT_COMPONENTS],
            "per_episode": [
                row[f"{c.removesuffix('_sum')}_per_episode"] for c in data.EFFORT_COMPONENTS
            ],
        }
    )
    ui.chart(
        data.Result(components, effort.source),
        lambda f, lg: charts.bars(
            f, lg, "component", "per_episode", t("per_episode", lg), t("component", lg), ",.2f"
        ),
        t("effort_components", lang),
        lang,
    )

st.subheader(t("agreement", lang))
pairs = data.effort_ces_pairs(filters)
if ui.show_result(pairs, lang):
    rho = data.spearman(pairs.frame)
    cols = list(st.columns(2))
    cols[0].metric(t("rho_selection", lang), fmt_number(rho, lang, 3), help=t("rho_help", lang))
    cols[1].metric(t("surveyed_episodes", lang), fmt_int(pairs.frame.height, lang))
ui.table(data.effort_agreement(filters), t("agreement_by_period", lang), lang)
ui.table(
    data.effort_by(filters, "channel"),
    t("effort_components", lang) + " · " + t("channel", lang),
    lang,
)
