"""Value co-creation: offers accepted after service, and the harm check."""

from __future__ import annotations

import streamlit as st

from dashboard import charts, data, ui
from dashboard.i18n import fmt_amount, fmt_int, fmt_pct, t

page = ui.Page("value")
lang, filters = page.lang, page.filters
ui.require(data.VALUE, lang)

totals = data.value_totals(filters)
if ui.show_result(totals, lang):
    row = totals.frame.row(0, named=True)
    cols = list(st.columns(4))
    cols[0].metric(t("service_contacts", lang), fmt_int(row["service_contact_count"], lang))
    ui.metric_tile(
        cols[1], "offer_acceptance_share", fmt_pct(row["offer_acceptance_share"], lang), lang
    )
    ui.metric_tile(cols[2], "value_per_1000", fmt_amount(row["value_per_1000"], lang), lang)
    ui.metric_tile(cols[3], "value_harm_rate", fmt_pct(row["value_harm_rate"], lang, 2), lang)
for code in ("offer_acceptance_share", "value_harm_rate"):
    ui.definition(code, lang)

ui.chart(
    data.value_daily(filters),
    lambda f, lg: charts.daily_metric(f, lg, "offer_acceptance_share", "offer_acceptance_share"),
    t("value_by_day", lang),
    lang,
)
ui.table(data.value_by(filters, "site_code"), t("value_by_site", lang), lang)
ui.table(data.value_by(filters, "intent"), t("value_by_intent", lang), lang)
ui.table(data.value_by(filters, "agent_id"), t("value_by_agent", lang), lang)
