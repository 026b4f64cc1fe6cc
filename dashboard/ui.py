"""Layout helpers shared by the pages: headers, source notices, downloads, drill links.

Pages stay layout only: they call `data` for frames, `charts` for chart
definitions and these helpers to show them the same way everywhere (every
chart and table with its CSV download, every missing source said plainly).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from typing import Any

import polars as pl
import streamlit as st

from dashboard import data, state
from dashboard.charts import AnyChart
from dashboard.i18n import column_label, t
from dashboard.metrics_catalog import metric, source_name

EXPLORE_PAGE = "app_pages/explore.py"


class Page:
    """What every page needs: its language and the current filters (or a stop)."""

    def __init__(self, title_key: str) -> None:
        self.lang = state.language()
        st.title(t(title_key, self.lang))
        try:
            self.filters = state.filters()
        except data.NoData:
            st.info(t("no_data", self.lang))
            st.stop()


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or "data"


# columns shown by name instead of code (tables and charts; downloads keep the codes)
NAMED_COLUMNS = {"intent": "intent", "predicted_intent": "intent", "business_type": "business_type"}


def for_display(frame: pl.DataFrame, lang: str) -> pl.DataFrame:
    """Codes replaced by their names in the language (seed lookups), for showing only."""
    for column, dimension in NAMED_COLUMNS.items():
        if column in frame.columns and frame.schema[column] == pl.String:
            names = data.dimension_names(dimension, lang, with_code=False)
            if names:
                frame = frame.with_columns(pl.col(column).replace(names))
    return frame


def absent_text(sources: tuple[str, ...], lang: str) -> str:
    """ "No data for this source: surveys, offers" in the language."""
    sep = "、" if lang == "zh" else ", "
    return f"{t('no_source', lang)}: " + sep.join(source_name(s, lang) for s in sources)


def show_result(result: data.Result, lang: str) -> bool:
    """Say why a result cannot be shown; True when there are rows to show."""
    if result.absent:
        st.warning(absent_text(result.absent, lang))
        return False
    if result.error:
        st.error(f"{t('no_source', lang)}: `{result.source}` — {result.error}")
        return False
    if result.missing:
        st.warning(f"{t('no_source', lang)}: `{result.source}`")
        return False
    if result.restricted:
        st.info(t("restricted", lang))
        return False
    if result.ignored:
        st.caption(t("ignored_filters", lang) + " " + ", ".join(t(d, lang) for d in result.ignored))
    if result.empty:
        st.info(t("no_rows", lang))
        return False
    if result.blanked:
        st.caption(absent_text(result.blanked, lang) + " " + t("blanked_columns", lang))
    return True


def download(frame: pl.DataFrame, name: str, lang: str, file: str | None = None) -> None:
    """A CSV download of exactly the rows behind a chart or table."""
    digest = hashlib.sha1(name.encode("utf-8")).hexdigest()[:10]
    stem = file or _slug(name)
    st.download_button(
        f"{t('download_csv', lang)} · {name}",
        frame.write_csv().encode("utf-8-sig"),  # BOM: Excel opens Chinese text correctly
        file_name=f"serviq_{stem}.csv" if stem != "data" else f"serviq_{digest}.csv",
        mime="text/csv",
        key=f"dl_{digest}",
    )


def chart(
    result: data.Result,
    build: Callable[[pl.DataFrame, str], AnyChart],
    title: str,
    lang: str,
    on_select: bool = False,
) -> Any:
    """Subheader, chart and its CSV download; returns the selection event when asked."""
    st.subheader(title)
    if not show_result(result, lang):
        return None
    event = None
    try:
        spec = build(for_display(result.frame, lang), lang)
        if on_select:
            event = st.altair_chart(
                spec,
                width="stretch",
                on_select="rerun",
                key=f"ch_{hashlib.sha1(title.encode()).hexdigest()[:10]}",
            )
        else:
            st.altair_chart(spec, width="stretch")
    except Exception as error:  # one broken chart must not take the page down
        st.error(f"{t('render_error', lang)}: {error}")
    download(result.frame, title, lang)
    return event


def column_config(frame: pl.DataFrame, lang: str) -> dict[str, Any]:
    """Localised headers and readable formats for a table (the data keeps its names)."""
    config: dict[str, Any] = {}
    for name, dtype in frame.schema.items():
        label = column_label(name, lang)
        if dtype == pl.Date:
            config[name] = st.column_config.DateColumn(label, format="YYYY-MM-DD")
        elif isinstance(dtype, pl.Datetime):
            config[name] = st.column_config.DatetimeColumn(label, format="YYYY-MM-DD HH:mm:ss")
        elif dtype.is_float() and (name.endswith("_rate") or name in RATE_COLUMNS):
            config[name] = st.column_config.NumberColumn(label, format="percent")
        elif dtype.is_float():
            config[name] = st.column_config.NumberColumn(label, format="%.2f")
        else:
            config[name] = st.column_config.Column(label)
    return config


RATE_COLUMNS = {
    "service_level",
    "fcr",
    "precision",
    "recall",
    "ces_easy_share",
    "offer_acceptance_share",
    "proactive_share",
    "accuracy",
    "mean_confidence",
    "baseline_offered_share",
    "during_offered_share",
    "relative_difference",
}


def dataframe(frame: pl.DataFrame, lang: str, height: int | None = None) -> None:
    st.dataframe(
        frame,
        width="stretch",
        hide_index=True,
        column_config=column_config(frame, lang),
        height=height or "auto",
    )


def table(result: data.Result, title: str, lang: str) -> None:
    st.subheader(title)
    if not show_result(result, lang):
        return
    dataframe(for_display(result.frame, lang), lang)
    download(result.frame, title, lang)


def metric_tile(column: Any, code: str, value: str, lang: str, delta: str | None = None) -> None:
    """A metric value whose help text quotes the definition."""
    entry = metric(code)
    missing = data.metric_absent(code)
    if missing:  # a blank would read as "none happened": say the source is not there
        value, delta = absent_text(missing, lang), None
    column.metric(
        entry.name(lang), value, delta=delta, help=entry.definition(lang), delta_color="off"
    )


def definition(code: str, lang: str) -> None:
    entry = metric(code)
    st.caption(f"**{entry.name(lang)}** — {t('definition', lang)}: {entry.definition(lang)}")


def drill_link(
    filters: data.Filters, lang: str, bucket: dict[str, Any], label: str | None = None
) -> None:
    """A link to the Explore page showing the contacts of one bucket."""
    params = state.query_string(filters, lang)
    for key, value in bucket.items():
        if value is not None:
            params[f"x_{key}"] = str(value)
    text = label or t("show_contacts", lang)
    st.page_link(EXPLORE_PAGE, label=text, icon=":material/manage_search:", query_params=params)


def selected_point(event: Any, fields: list[str]) -> dict[str, Any] | None:
    """The first point of an Altair selection event, restricted to `fields`."""
    if not event:
        return None
    selection = getattr(event, "selection", None) or (
        event.get("selection") if isinstance(event, dict) else None
    )
    if not selection:
        return None
    for points in selection.values():
        if isinstance(points, list) and points:
            point = points[0]
            return {name: point.get(name) for name in fields if point.get(name) is not None}
    return None


def require(table: str, lang: str, whole_page: bool = True) -> None:
    """Stop the page with one notice when its main source is not published.

    When the table is published but the entities it needs hold no rows
    (a centre that lands only some sources), the page says so and stops
    too, unless `whole_page` is False (other parts of it need other sources).
    """
    if not data.has_table(table):
        st.warning(f"{t('no_source', lang)}: `{table}`")
        st.stop()
    missing = data.absent(data.TABLE_NEEDS.get(table, ()))
    if missing and whole_page:
        st.warning(absent_text(missing, lang))
        st.stop()
