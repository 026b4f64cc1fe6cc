"""CSV and Parquet: the scorecard as one tidy table (one row per metric).

Every metric of the catalogue is a row (the scorecard's and the families'),
with the period, its numerator and denominator, the previous value, the
change, the target and the status; unpublished sources carry
`is_available = false` and null figures. CSV is UTF-8 with a byte-order
mark so Excel opens the Chinese names correctly.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from pipelines.export.labels import family_name, t
from pipelines.export.scorecard import SCORECARD_CODES, ExportData


def scorecard_frame(data: ExportData, lang: str) -> pl.DataFrame:
    rows = []
    for block in data.families.values():
        for figure in block.figures:
            rows.append(
                {
                    "period_kind": data.period.kind,
                    "period_start_date": data.period.start,
                    "period_end_date": data.period.end,
                    "previous_start_date": data.previous.start,
                    "previous_end_date": data.previous.end,
                    "sites": ",".join(data.sites) or "all",
                    "family": figure.metric.family,
                    "family_name": family_name(figure.metric.family, lang),
                    "metric_code": figure.code,
                    "metric_name": figure.metric.name(lang),
                    "unit": figure.metric.unit,
                    "is_scorecard": figure.code in SCORECARD_CODES,
                    "is_available": figure.available,
                    "value": figure.value,
                    "numerator": figure.numerator,
                    "denominator": figure.denominator,
                    "previous_value": figure.previous,
                    "change": figure.change,
                    "target": figure.target.value if figure.target else None,
                    "amber_band": figure.target.amber_band if figure.target else None,
                    "status": figure.status,
                    "status_label": t(figure.status_key, lang),
                    "is_site_filter_applied": figure.site_filter_applied,
                }
            )
    return pl.DataFrame(rows, infer_schema_length=None)


def write_csv(path: Path, frame: pl.DataFrame) -> None:
    frame.write_csv(path, include_bom=True)


def write_parquet(path: Path, frame: pl.DataFrame) -> None:
    frame.write_parquet(path)
