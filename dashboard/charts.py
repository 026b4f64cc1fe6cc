"""Chart definitions shared by the dashboard and the exports.

Every function takes a Polars (or pandas) frame and a language and returns
an Altair chart with titled axes that carry their unit, localised date and
number formats, and tooltips. One definition drives both the dashboard and
the exported PDF (render with `vl-convert` or `chart.save(...)`).
"""

from __future__ import annotations

from typing import Any, TypeAlias

import altair as alt
import pandas as pd
import polars as pl

from dashboard.i18n import WEEKDAYS, d3_date, d3_format, t
from dashboard.metrics_catalog import metric

Frame: TypeAlias = pl.DataFrame | pd.DataFrame
AnyChart: TypeAlias = alt.Chart | alt.LayerChart | alt.FacetChart
HEIGHT = 280


def _df(frame: Frame) -> pd.DataFrame:
    return frame.to_pandas() if isinstance(frame, pl.DataFrame) else frame


def unit_suffix(unit: str, lang: str) -> str:
    suffixes = {
        "rate": "%",
        "seconds": t("seconds", lang),
        "minutes": t("minutes", lang),
        "amount": "CNY" if lang == "en" else "元",
        "per10k": "/10k" if lang == "en" else "/万",
        "per1000": "/1k" if lang == "en" else "/千",
        "index": "0-100",
        "hours": t("hours", lang),
    }
    suffix = suffixes.get(unit)
    return f" ({suffix})" if suffix else ""


def metric_title(code: str, lang: str) -> str:
    entry = metric(code)
    return entry.name(lang) + unit_suffix(entry.unit, lang)


def _date_x(field: str, lang: str) -> alt.X:
    return alt.X(
        f"{field}:T", title=t("date", lang), axis=alt.Axis(format=d3_date(lang), labelAngle=0)
    )


def _date_tip(field: str, lang: str) -> alt.Tooltip:
    return alt.Tooltip(f"{field}:T", title=t("date", lang), format="%Y-%m-%d")


def daily_volume(frame: Frame, lang: str) -> AnyChart:
    """Stacked daily contacts by site."""
    return (
        alt.Chart(_df(frame), height=HEIGHT)
        .mark_bar()
        .encode(
            x=_date_x("contact_date", lang),
            y=alt.Y("sum(contact_count):Q", title=t("contacts", lang), axis=alt.Axis(format=",d")),
            color=alt.Color("site_code:N", title=t("site", lang)),
            tooltip=[
                _date_tip("contact_date", lang),
                alt.Tooltip("site_code:N", title=t("site", lang)),
                alt.Tooltip("sum(contact_count):Q", title=t("contacts", lang), format=",d"),
            ],
        )
    )


def daily_rate(
    frame: Frame,
    lang: str,
    rate_col: str = "answer_rate",
    code: str = "answer_rate",
    color: str = "site_code",
    color_title: str = "site",
) -> AnyChart:
    """A daily rate (0-1) per series, as lines with points."""
    return (
        alt.Chart(_df(frame), height=HEIGHT)
        .mark_line(point=True)
        .encode(
            x=_date_x("contact_date", lang),
            y=alt.Y(f"{rate_col}:Q", title=metric_title(code, lang), axis=alt.Axis(format="%")),
            color=alt.Color(f"{color}:N", title=t(color_title, lang)),
            tooltip=[
                _date_tip("contact_date", lang),
                alt.Tooltip(f"{color}:N", title=t(color_title, lang)),
                alt.Tooltip(f"{rate_col}:Q", title=metric(code).name(lang), format=".1%"),
            ],
        )
    )


def _value_axis(value_format: str) -> alt.Axis:
    """An axis in the given d3 format; counts never get fractional ticks."""
    if value_format.endswith("d"):
        return alt.Axis(format=value_format, tickMinStep=1)
    return alt.Axis(format=value_format)


def bars(
    frame: Frame,
    lang: str,
    category: str,
    value: str,
    value_title: str,
    category_title: str,
    value_format: str = ",.0f",
    color: str | None = None,
    color_title: str = "",
    by_value: bool = True,
) -> AnyChart:
    """Horizontal bars of one value per category (sorted by value, or by category)."""
    encoding: dict[str, Any] = {
        "y": alt.Y(f"{category}:N", title=category_title, sort="-x" if by_value else "ascending"),
        "x": alt.X(f"{value}:Q", title=value_title, axis=_value_axis(value_format)),
        "tooltip": [
            alt.Tooltip(f"{category}:N", title=category_title),
            alt.Tooltip(f"{value}:Q", title=value_title, format=value_format),
        ],
    }
    if color:
        encoding["color"] = alt.Color(f"{color}:N", title=color_title)
        encoding["tooltip"].append(alt.Tooltip(f"{color}:N", title=color_title))
    return alt.Chart(_df(frame)).mark_bar().encode(**encoding)


def channel_mix(frame: Frame, lang: str) -> AnyChart:
    return bars(
        frame, lang, "channel", "contact_count", t("contacts", lang), t("channel", lang), ",d"
    )


def metric_trend(frame: Frame, lang: str, code: str, target: float | None = None) -> AnyChart:
    """A metric per period (`period`, `value`), with the target as a dashed rule."""
    entry = metric(code)
    fmt = d3_format(entry.unit)
    base = alt.Chart(_df(frame), height=180)
    line = base.mark_line(point=True).encode(
        x=alt.X(
            "period:T", title=t("week", lang), axis=alt.Axis(format=d3_date(lang), labelAngle=0)
        ),
        y=alt.Y(
            "value:Q",
            title=None,  # the card around the chart names the metric
            axis=alt.Axis(format="%" if entry.unit == "rate" else ",.1f"),
            scale=alt.Scale(zero=False),
        ),
        tooltip=[
            alt.Tooltip("period:T", title=t("week", lang), format="%Y-%m-%d"),
            alt.Tooltip("value:Q", title=entry.name(lang), format=fmt),
        ],
    )
    if target is None:
        return line
    rule = (
        alt.Chart(pd.DataFrame({"target": [target]}))
        .mark_rule(strokeDash=[6, 4], color="#888")
        .encode(
            y="target:Q", tooltip=[alt.Tooltip("target:Q", title=t("target", lang), format=fmt)]
        )
    )
    return alt.layer(line, rule)


def weekday_hour_heatmap(
    frame: Frame,
    lang: str,
    value: str = "service_level",
    code: str = "service_level",
) -> AnyChart:
    """Hour-by-weekday heat map (`contact_weekday` 1-7, `contact_hour` 0-23, a rate)."""
    data = _df(frame).copy()
    names = WEEKDAYS.get(lang, WEEKDAYS["en"])
    data["weekday_name"] = [names[int(day) - 1] for day in data["contact_weekday"]]
    fmt = d3_format(metric(code).unit)
    cell = alt.selection_point(name="cell", fields=["contact_weekday", "contact_hour"])
    return (
        alt.Chart(data, height=260)
        .mark_rect()
        .add_params(cell)
        .encode(
            x=alt.X("contact_hour:O", title=t("hour", lang), axis=alt.Axis(labelAngle=0)),
            y=alt.Y("weekday_name:N", title=t("weekday", lang), sort=names),
            color=alt.Color(
                f"{value}:Q",
                title=metric_title(code, lang),
                scale=alt.Scale(scheme="redyellowgreen", domain=[0.5, 1.0], clamp=True)
                if metric(code).unit == "rate"
                else alt.Scale(scheme="blues"),
                legend=alt.Legend(format=fmt),
            ),
            tooltip=[
                alt.Tooltip("weekday_name:N", title=t("weekday", lang)),
                alt.Tooltip("contact_hour:O", title=t("hour", lang)),
                alt.Tooltip(f"{value}:Q", title=metric(code).name(lang), format=fmt),
                *(
                    [alt.Tooltip("offered_count:Q", title=t("offered", lang), format=",d")]
                    if "offered_count" in data.columns
                    else []
                ),
            ],
        )
    )


def daily_metric(
    frame: Frame, lang: str, value: str, code: str, color: str | None = None, color_title: str = ""
) -> AnyChart:
    """A daily metric of any unit as a line (per series when `color` is given)."""
    entry = metric(code)
    fmt = d3_format(entry.unit)
    encoding: dict[str, Any] = {
        "x": _date_x("contact_date", lang),
        "y": alt.Y(
            f"{value}:Q",
            title=metric_title(code, lang),
            axis=alt.Axis(format="%" if entry.unit == "rate" else ",.0f"),
        ),
        "tooltip": [
            _date_tip("contact_date", lang),
            alt.Tooltip(f"{value}:Q", title=entry.name(lang), format=fmt),
        ],
    }
    if color:
        encoding["color"] = alt.Color(f"{color}:N", title=color_title)
        encoding["tooltip"].insert(1, alt.Tooltip(f"{color}:N", title=color_title))
    return alt.Chart(_df(frame), height=HEIGHT).mark_line(point=True).encode(**encoding)


def calibration(frame: Frame, lang: str) -> AnyChart:
    """Accuracy per confidence decile against its mean confidence, with the diagonal."""
    data = _df(frame)
    acc_title = metric("prediction_accuracy").name(lang)
    conf_title = "平均置信度" if lang == "zh" else "Mean confidence"
    points = (
        alt.Chart(data, height=HEIGHT)
        .mark_line(point=True)
        .encode(
            x=alt.X(
                "mean_confidence:Q",
                title=conf_title,
                scale=alt.Scale(domain=[0, 1]),
                axis=alt.Axis(format="%"),
            ),
            y=alt.Y(
                "accuracy:Q",
                title=acc_title,
                scale=alt.Scale(domain=[0, 1]),
                axis=alt.Axis(format="%"),
            ),
            tooltip=[
                alt.Tooltip("mean_confidence:Q", title=conf_title, format=".1%"),
                alt.Tooltip("accuracy:Q", title=acc_title, format=".1%"),
            ],
        )
    )
    diagonal = (
        alt.Chart(pd.DataFrame({"x": [0.0, 1.0], "y": [0.0, 1.0]}))
        .mark_line(strokeDash=[4, 4], color="#999")
        .encode(x="x:Q", y="y:Q")
    )
    return alt.layer(diagonal, points)


def z_scatter(frame: Frame, lang: str) -> AnyChart:
    """Reviewers' review-time z against rejection-rate z, with the |z| = 2 bands."""
    data = _df(frame)
    x_title = "审核时长 z 值" if lang == "zh" else "Review time z-score"
    y_title = "拒绝率 z 值" if lang == "zh" else "Rejection rate z-score"
    reviewer = "审核员" if lang == "zh" else "Reviewer"
    points = (
        alt.Chart(data, height=HEIGHT)
        .mark_circle(size=60)
        .encode(
            x=alt.X("review_time_z:Q", title=x_title),
            y=alt.Y("rejection_rate_z:Q", title=y_title),
            color=alt.Color(
                "business_type:N", title="业务类型" if lang == "zh" else "Business type"
            ),
            shape=alt.Shape("is_outlier:N", title="多次偏离" if lang == "zh" else "Flagged"),
            tooltip=[
                alt.Tooltip("reviewer_id:N", title=reviewer),
                alt.Tooltip("business_type:N"),
                alt.Tooltip("review_time_z:Q", title=x_title, format=".2f"),
                alt.Tooltip("rejection_rate_z:Q", title=y_title, format=".2f"),
            ],
        )
    )
    bands = pd.DataFrame({"z": [-2.0, 2.0]})
    vertical = alt.Chart(bands).mark_rule(strokeDash=[4, 4], color="#c44").encode(x="z:Q")
    horizontal = alt.Chart(bands).mark_rule(strokeDash=[4, 4], color="#c44").encode(y="z:Q")
    return alt.layer(vertical, horizontal, points)


def change_impact(frame: Frame, lang: str) -> AnyChart:
    """Before/after difference in mean processing time with its 95% confidence interval."""
    data = _df(frame).copy()
    data["label"] = data["name_zh"] if lang == "zh" else data["name_en"]
    diff_title = (
        "处理时长变化（秒，95% 置信区间）"
        if lang == "zh"
        else "Change in processing time (s, 95% CI)"
    )
    base = alt.Chart(data, height=max(120, 60 * len(data)))
    interval = base.mark_rule(strokeWidth=3).encode(
        y=alt.Y("label:N", title=None),
        x=alt.X("ci95_lower_seconds:Q", title=diff_title),
        x2="ci95_upper_seconds:Q",
    )
    point = base.mark_point(filled=True, size=90).encode(
        y="label:N",
        x="difference_seconds:Q",
        tooltip=[
            alt.Tooltip("label:N", title="变更" if lang == "zh" else "Change"),
            alt.Tooltip("effective_date:T", title=t("date", lang), format="%Y-%m-%d"),
            alt.Tooltip("difference_seconds:Q", title=diff_title, format=",.0f"),
            alt.Tooltip("ci95_lower_seconds:Q", format=",.0f"),
            alt.Tooltip("ci95_upper_seconds:Q", format=",.0f"),
            alt.Tooltip("relative_difference:Q", format=".1%"),
        ],
    )
    zero = alt.Chart(pd.DataFrame({"x": [0.0]})).mark_rule(color="#999").encode(x="x:Q")
    return alt.layer(zero, interval, point)


def absorbed_volume(frame: Frame, lang: str) -> AnyChart:
    """Offered calls above (absorbed) or below (lost) the baseline expectation, per site."""
    data = _df(frame).copy()
    title = "吸收量（通）" if lang == "zh" else "Absorbed offered calls"
    data["role"] = [
        ("受影响职场" if lang == "zh" else "Disrupted site")
        if flag
        else ("其他职场" if lang == "zh" else "Other sites")
        for flag in data["is_disrupted_site"]
    ]
    return (
        alt.Chart(data, height=HEIGHT)
        .mark_bar()
        .encode(
            x=alt.X("site_code:N", title=t("site", lang), sort="-y"),
            y=alt.Y("absorbed_offered_count:Q", title=title, axis=alt.Axis(format=",d")),
            color=alt.Color("role:N", title=""),
            tooltip=[
                alt.Tooltip("site_code:N", title=t("site", lang)),
                alt.Tooltip("absorbed_offered_count:Q", title=title, format=",.0f"),
                alt.Tooltip("during_offered_count:Q", title=t("offered", lang), format=",d"),
                alt.Tooltip("during_expected_offered_count:Q", format=",.0f"),
            ],
        )
    )


def scorecard_trends(frame: Frame, lang: str, columns: int = 3) -> AnyChart:
    """Small multiples: each metric's weekly value against its target (dashed).

    `frame` has metric_code, period, value, target (and unit); one facet per
    metric with its own y scale, values formatted per unit in the tooltip.
    """
    from dashboard.i18n import fmt_unit  # local: i18n formats live beside the labels

    data = _df(frame).copy()
    data["metric"] = [metric(code).name(lang) for code in data["metric_code"]]
    data["shown"] = [
        fmt_unit(value, metric(code).unit, lang)
        for code, value in zip(data["metric_code"], data["value"], strict=True)
    ]
    data["target_shown"] = [
        fmt_unit(target, metric(code).unit, lang) if target == target else "—"
        for code, target in zip(data["metric_code"], data["target"], strict=True)
    ]
    base = alt.Chart().encode(
        x=alt.X(
            "period:T",
            title=t("week", lang),
            axis=alt.Axis(format=d3_date(lang), labelAngle=0, tickCount="week"),
        ),
    )
    line = base.mark_line(point=True).encode(
        y=alt.Y("value:Q", title=None, scale=alt.Scale(zero=False), axis=alt.Axis(format="~r")),
        tooltip=[
            alt.Tooltip("metric:N", title=t("metric", lang)),
            alt.Tooltip("period:T", title=t("week", lang), format="%Y-%m-%d"),
            alt.Tooltip("shown:N", title=t("actual", lang)),
            alt.Tooltip("target_shown:N", title=t("target", lang)),
        ],
    )
    rule = (  # no x: a horizontal line across the facet at the metric's target
        alt.Chart()
        .mark_rule(strokeDash=[6, 4], color="#888")
        .encode(
            y="mean(target):Q", tooltip=[alt.Tooltip("target_shown:N", title=t("target", lang))]
        )
    )
    return (
        alt.layer(line, rule, data=data)
        .properties(width=220, height=110)
        .facet(
            facet=alt.Facet("metric:N", title=None, sort=list(dict.fromkeys(data["metric"]))),
            columns=columns,
        )
        .resolve_scale(y="independent")
    )
