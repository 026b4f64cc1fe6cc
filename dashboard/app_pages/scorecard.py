"""Scorecard: the new evaluation metrics and the classic ones against targets."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import charts, data, ui
from dashboard.i18n import fmt_unit, t
from dashboard.metrics_catalog import metric

BADGE = {"green": "green", "amber": "orange", "red": "red", "": "gray"}
FAMILIES = {
    "evaluation": "section_evaluation",
    "classic": "hotline",
    "backoffice": "backoffice",
    "workforce": "workforce",
}

page = ui.Page("scorecard")
lang, filters = page.lang, page.filters
st.caption(t("scorecard_help", lang))

summary, weekly, missing, restricted = data.scorecard(filters)


def status_text(status: str, value: float | None = 0.0) -> str:
    if value is None:
        return t("no_rows_short", lang)
    return t(status, lang) if status else t("no_target", lang)


def card(row: dict, container) -> None:  # type: ignore[no-untyped-def]
    entry = metric(row["metric_code"])
    with container.container(border=True):
        st.metric(
            entry.name(lang), fmt_unit(row["value"], entry.unit, lang), help=entry.definition(lang)
        )
        target = fmt_unit(row["target"], entry.unit, lang) if row["target"] is not None else "—"
        st.markdown(
            f":{BADGE[row['status']]}-badge[{status_text(row['status'], row['value'])}] "
            f"{t('target', lang)} {target} · {t(row['direction'], lang)}"
        )


for family, title_key in FAMILIES.items():
    rows = summary.filter(pl.col("family") == family).to_dicts()
    if not rows:
        continue
    st.header(t(title_key, lang))
    columns = st.columns(3)
    for index, row in enumerate(rows):
        card(row, columns[index % 3])
    codes = [row["metric_code"] for row in rows]
    trend = weekly.filter(pl.col("metric_code").is_in(codes)).join(
        summary.select("metric_code", "target"), on="metric_code", how="left"
    )
    if trend.height:
        with st.expander(f"{t('weekly_trend', lang)} · {t(title_key, lang)}", expanded=True):
            st.altair_chart(charts.scorecard_trends(trend, lang), width="content")

# metrics whose entities were not landed, grouped by the sources they lack
lacking: dict[tuple[str, ...], list[str]] = {}
for code in missing:
    lacking.setdefault(data.metric_absent(code), []).append(code)
for sources, codes in lacking.items():
    names = ", ".join(metric(code).name(lang) for code in codes)
    if sources:
        st.warning(f"{ui.absent_text(sources, lang)} — {names}")
    else:
        st.warning(f"{t('no_source', lang)} — {t('missing_metrics', lang)}: {names}")
if restricted:
    st.info(t("restricted", lang) + " " + ", ".join(metric(code).name(lang) for code in restricted))

st.header(t("scorecard", lang))
table = summary.with_columns(
    pl.col("metric_code")
    .map_elements(lambda c: metric(c).name(lang), return_dtype=pl.String)
    .alias(t("metric", lang)),
    pl.struct("value", "unit")
    .map_elements(lambda r: fmt_unit(r["value"], r["unit"], lang), return_dtype=pl.String)
    .alias(t("actual", lang)),
    pl.struct("target", "unit")
    .map_elements(lambda r: fmt_unit(r["target"], r["unit"], lang), return_dtype=pl.String)
    .alias(t("target", lang)),
    pl.struct("status", "value")
    .map_elements(lambda r: status_text(r["status"], r["value"]), return_dtype=pl.String)
    .alias(t("status", lang)),
)
st.dataframe(
    table.select(t("metric", lang), t("actual", lang), t("target", lang), t("status", lang)),
    width="stretch",
    hide_index=True,
)
ui.download(summary, t("scorecard", lang), lang, file="scorecard")
ui.download(weekly, t("weekly_trend", lang), lang, file="scorecard_weekly")
