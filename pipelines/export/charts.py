"""Which of the dashboard's chart definitions the exports draw, and with what data.

The chart functions are `dashboard/charts.py`'s (the ones the dashboard
shows); this module only shapes the export's frames into the columns those
functions expect and renders them to PNG.

- volume: `daily_volume` (contacts per day, stacked by site)
- one chart per family: `daily_metric` of the family's first published
  metric (catalogue order: FCR, answer rate, processing time, productivity)
- by site: `bars` of the answer rate per site over the period
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from dashboard import charts as shared
from dashboard.metrics_catalog import Metric
from pipelines.export.labels import t
from pipelines.export.render import to_png
from pipelines.export.scorecard import ExportData, FamilyBlock

CHART_WIDTH = 330
CHART_HEIGHT = 190


@dataclass(frozen=True)
class ChartImage:
    """A rendered chart: its title and PNG bytes (None when there is no data)."""

    title: str
    png: bytes | None


def site_labels(data: ExportData, lang: str) -> dict[str, str]:
    """site_code -> its name in the language ('unassigned' included)."""
    labels = {code: names[lang] for code, names in data.site_names.items()}
    labels["unassigned"] = t("unassigned", lang)
    return labels


def headline(block: FamilyBlock) -> Metric | None:
    """The family's first metric with a daily series, in catalogue order."""
    for figure in block.figures:
        has_series = figure.available and figure.code in block.daily.columns
        if has_series and block.daily[figure.code].drop_nulls().len():
            return figure.metric
    return None


def family_chart(block: FamilyBlock, lang: str) -> ChartImage:
    metric = headline(block)
    if metric is None:
        return ChartImage(t(f"fam_{block.family}", lang), None)
    frame = block.daily.select(
        pl.col("period_date").alias("contact_date"), pl.col(metric.code).alias("value")
    ).drop_nulls("value")
    chart = shared.daily_metric(frame, lang, "value", metric.code)
    title = f"{t(f'fam_{block.family}', lang)}: {metric.name(lang)}"
    return ChartImage(title, to_png(chart, CHART_WIDTH, CHART_HEIGHT))


def volume_chart(data: ExportData, lang: str) -> ChartImage:
    title = t("chart_volume", lang)
    if data.volume.is_empty():
        return ChartImage(title, None)
    frame = data.volume.with_columns(pl.col("site_code").replace(site_labels(data, lang)))
    chart = shared.daily_volume(frame, lang)
    return ChartImage(title, to_png(chart, CHART_WIDTH, CHART_HEIGHT))


def site_chart(data: ExportData, lang: str, code: str = "answer_rate") -> ChartImage:
    """Bars of one rate per site over the period (sites with a denominator only)."""
    block = next((b for b in data.families.values() if code in b.by_site.columns), None)
    figure = next((f for f in data.scorecard if f.code == code), None)
    name = figure.metric.name(lang) if figure else code
    title = f"{name} · {t('by_site', lang)}"
    if block is None:
        return ChartImage(title, None)
    # 'unassigned' is not a site: only contacts no agent answered lack one
    frame = block.by_site.select("site_code", code).drop_nulls(code)
    frame = frame.filter(pl.col("site_code") != "unassigned")
    frame = frame.with_columns(pl.col("site_code").replace(site_labels(data, lang)).alias("site"))
    if frame.is_empty():
        return ChartImage(title, None)
    chart = shared.bars(frame, lang, "site", code, name, t("site", lang), ".0%")
    return ChartImage(title, to_png(chart, CHART_WIDTH, CHART_HEIGHT))


def family_charts(data: ExportData, lang: str) -> dict[str, ChartImage]:
    """One chart per family (the workbook's; the PDF reuses two of them)."""
    return {family: family_chart(block, lang) for family, block in data.families.items()}


def onepager_charts(
    data: ExportData, lang: str, families: dict[str, ChartImage] | None = None
) -> list[ChartImage]:
    """The PDF's four charts: volume, evaluation headline, hotline headline, by site."""
    drawn = families or {}
    return [
        volume_chart(data, lang),
        drawn.get("evaluation") or family_chart(data.families["evaluation"], lang),
        drawn.get("classic") or family_chart(data.families["classic"], lang),
        site_chart(data, lang),
    ]
