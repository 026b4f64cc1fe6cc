"""Labels, formats, the metric catalogue and the targets seed (fast, no pipeline)."""

from __future__ import annotations

import csv
import datetime as dt
import math

import pytest

from dashboard import i18n
from dashboard.metrics_catalog import METRICS, UNITS, metric, traffic_light
from pipelines.settings import REPO_ROOT

TARGETS = REPO_ROOT / "seeds" / "scorecard_targets.csv"


def test_every_label_has_both_languages() -> None:
    for key, entry in i18n.LABELS.items():
        assert entry.get("zh") and entry.get("en"), key
        assert entry["zh"] != entry["en"] or key in {"nps"}, key


def test_every_metric_is_named_and_defined_in_both_languages() -> None:
    for code, entry in METRICS.items():
        assert entry.name_zh and entry.name_en and entry.definition_zh and entry.definition_en, code
        assert entry.unit in UNITS, code
        assert entry.direction in ("higher_is_better", "lower_is_better"), code


def test_targets_seed_matches_the_catalogue() -> None:
    with TARGETS.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert rows, "the scorecard needs targets"
    assert list(rows[0]) == [
        "metric_code",
        "name_zh",
        "name_en",
        "target",
        "direction",
        "amber_band",
    ]
    for row in rows:
        entry = metric(row["metric_code"])
        assert (row["name_zh"], row["name_en"]) == (entry.name_zh, entry.name_en), row
        assert row["direction"] == entry.direction, row
        assert math.isfinite(float(row["target"])) and float(row["amber_band"]) >= 0, row
    assert len({row["metric_code"] for row in rows}) == len(rows)


@pytest.mark.parametrize(
    ("value", "target", "direction", "band", "expected"),
    [
        (0.80, 0.80, "higher_is_better", 0.05, "green"),  # on the target is green
        (0.76, 0.80, "higher_is_better", 0.05, "amber"),  # 4 points short, band 5
        (0.74, 0.80, "higher_is_better", 0.05, "red"),
        (25.0, 20.0, "lower_is_better", 10.0, "amber"),  # ASA 5 s over, band 10
        (31.0, 20.0, "lower_is_better", 10.0, "red"),
        (15.0, 20.0, "lower_is_better", 10.0, "green"),
        (None, 20.0, "lower_is_better", 10.0, ""),
        (15.0, None, "lower_is_better", 10.0, ""),
    ],
)
def test_traffic_light(
    value: float | None, target: float | None, direction: str, band: float, expected: str
) -> None:
    assert traffic_light(value, target, direction, band) == expected


def test_number_formats_per_language() -> None:
    assert i18n.fmt_int(1234567, "en") == "1,234,567"
    assert i18n.fmt_int(1234567, "zh") == "123.5万"
    assert i18n.fmt_int(31_000, "zh") == "31,000"
    assert i18n.fmt_int(250_000_000, "zh") == "2.50亿"
    assert i18n.fmt_pct(0.8766, "en") == "87.7%"
    assert i18n.fmt_seconds(12.34, "zh") == "12.3 秒"
    assert i18n.fmt_seconds(12.34, "en") == "12.3 s"
    assert i18n.fmt_amount(123_456, "zh") == "¥12.3万"
    assert i18n.fmt_amount(123_456, "en") == "CNY 123,456"
    assert i18n.fmt_date(dt.date(2026, 6, 1), "zh") == "2026年6月1日"
    assert i18n.fmt_date(dt.date(2026, 6, 1), "en") == "2026-06-01"
    assert i18n.fmt_pct(None, "en") == i18n.fmt_int(float("nan"), "zh") == i18n.DASH
    assert i18n.weekday(1, "zh") == "周一" and i18n.weekday(7, "en") == "Sun"


def test_plain_sources_are_column_names() -> None:
    """Callers (the exports) may write sum(<numerator>): plain sources hold bare column names."""
    for code, entry in METRICS.items():
        if entry.source is not None:
            for column in (entry.source.numerator, entry.source.denominator):
                assert column.isidentifier(), (code, column)
