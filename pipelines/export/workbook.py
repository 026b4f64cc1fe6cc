"""The Excel workbook: a scorecard sheet and one sheet per metric family.

Scorecard sheet: one row per scorecard metric (new evaluation metrics, then
the classic ones) with value, previous period, change, target, status
(coloured by conditional formatting), numerator, denominator and
definition; frozen header, real number formats, fixed column widths.

Family sheets: columns are the family's metrics; the top rows are the period
value, previous period, change, target and status; then one row per day of
the trend window and one row per site; a 3-colour scale per metric column
(green = good for that metric's direction); the family's chart (the
dashboard's definition, drawn as PNG) to the right. A family whose marts
are not published says "no data for this source".
"""

from __future__ import annotations

import datetime as dt
import io
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from pipelines.export.charts import ChartImage, site_labels
from pipelines.export.formats import (
    STATUS_COLOURS,
    change_in_display_unit,
    excel_change_format,
    excel_value_format,
)
from pipelines.export.labels import family_name, source_label, t
from pipelines.export.scorecard import ExportData, FamilyBlock, Figure

SCORECARD_HEADER_ROW = 4  # zero-based: row 5 in Excel
FAMILY_HEADER_ROW = 3
FONT = "Microsoft YaHei"  # falls back to the viewer's CJK font when absent


class Styles:
    """The workbook's cell formats, created once per workbook."""

    def __init__(self, book: Workbook) -> None:
        self.book = book
        base = {"font_name": FONT, "font_size": 10, "valign": "vcenter"}
        self.base = base
        self.title = book.add_format({**base, "bold": True, "font_size": 16})
        self.subtitle = book.add_format({**base, "font_color": "#555555"})
        self.note = book.add_format({**base, "italic": True, "font_color": "#7A4F01"})
        self.header = book.add_format(
            {
                **base,
                "bold": True,
                "bg_color": "#1F3864",
                "font_color": "#FFFFFF",
                "text_wrap": True,
                "border": 1,
                "align": "center",
            }
        )
        self.text = book.add_format({**base, "border": 1, "border_color": "#D9D9D9"})
        self.wrap = book.add_format(
            {**base, "border": 1, "border_color": "#D9D9D9", "text_wrap": True, "font_size": 9}
        )
        self.code = book.add_format(
            {**base, "border": 1, "border_color": "#D9D9D9", "font_color": "#808080"}
        )
        self.date = book.add_format(
            {**base, "border": 1, "border_color": "#D9D9D9", "num_format": "yyyy-mm-dd"}
        )
        self.bold_text = book.add_format(
            {**base, "bold": True, "border": 1, "border_color": "#D9D9D9"}
        )
        self.missing = book.add_format(
            {
                **base,
                "border": 1,
                "border_color": "#D9D9D9",
                "font_color": "#9E9E9E",
                "italic": True,
            }
        )
        self.status = {
            name: book.add_format({"bg_color": colour.fill, "font_color": colour.font})
            for name, colour in STATUS_COLOURS.items()
        }
        self._numbers: dict[str, Format] = {}

    def number(self, num_format: str, bold: bool = False) -> Format:
        key = f"{num_format}|{bold}"
        if key not in self._numbers:
            self._numbers[key] = self.book.add_format(
                {
                    **self.base,
                    "num_format": num_format,
                    "border": 1,
                    "border_color": "#D9D9D9",
                    "bold": bold,
                }
            )
        return self._numbers[key]


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------
def _sites_text(data: ExportData, lang: str) -> str:
    if not data.sites:
        return t("all_sites", lang)
    labels = site_labels(data, lang)
    return ", ".join(labels.get(site, site) for site in data.sites)


def _header_lines(data: ExportData, lang: str, generated_at: dt.datetime) -> list[str]:
    published = f"{data.published_at:%Y-%m-%d %H:%M} UTC" if data.published_at is not None else "—"
    return [
        f"{t('period', lang)}: {data.period.label(lang)}    "
        f"{t('previous', lang)}: {data.previous.start} – {data.previous.end}    "
        f"{t('sites', lang)}: {_sites_text(data, lang)}    "
        f"{t('contacts', lang)}: {data.contact_count:,}",
        f"{t('published_at', lang)}: {published}    "
        f"{t('generated_at', lang)}: {generated_at:%Y-%m-%d %H:%M} UTC",
    ]


def _status_formats(sheet: Worksheet, styles: Styles, cells: str, lang: str) -> None:
    """Colour status text cells by their value (conditional formatting)."""
    labels = [(name, name) for name in STATUS_COLOURS] + [("censored_status", "grey")]
    for key, colour in labels:
        sheet.conditional_format(
            cells,
            {
                "type": "cell",
                "criteria": "equal to",
                "value": f'"{t(key, lang)}"',
                "format": styles.status[colour],
            },
        )


def _wrapped_height(text: str, width: int) -> float:
    """Row height (points) that shows `text` wrapped in a column `width` characters wide."""
    units = sum(2 if ord(char) > 0x2E80 else 1 for char in text)
    lines = max(1, math.ceil(units / (width * 1.15)))
    return max(18.0, 12.5 * lines)


def _print_setup(sheet: Worksheet, header_row: int) -> None:
    """A4 landscape, one page wide, header row repeated on every printed page."""
    sheet.set_paper(9)
    sheet.set_landscape()
    sheet.fit_to_pages(1, 0)
    sheet.repeat_rows(header_row)
    sheet.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.5)


def _metric_header(figure: Figure, lang: str) -> str:
    unit = {"rate": "%", "seconds": "s" if lang == "en" else "秒"}.get(figure.metric.unit)
    name = figure.metric.name(lang)
    return f"{name} ({unit})" if unit else name


def _write_number(
    sheet: Worksheet, row: int, col: int, value: float | None, fmt: Format, styles: Styles
) -> None:
    if value is None:
        sheet.write_blank(row, col, None, fmt)
    else:
        sheet.write_number(row, col, value, fmt)


def _write_value(
    sheet: Worksheet, styles: Styles, row: int, col: int, figure: Figure, lang: str
) -> None:
    """The period value in bold, or why there is none (no source / censored)."""
    if not figure.available:
        sheet.write_string(row, col, t("no_data_source", lang), styles.missing)
    elif figure.is_censored:
        sheet.write_string(row, col, t("censored", lang), styles.missing)
    elif figure.value is None:
        sheet.write_string(row, col, "—", styles.missing)
    else:
        fmt = styles.number(excel_value_format(figure.metric.unit), True)
        _write_number(sheet, row, col, figure.value, fmt, styles)


def _notes(figures: Sequence[Figure], lang: str) -> list[str]:
    lines = [t("change_note", lang), t("status_note", lang)]
    if any(figure.is_censored for figure in figures):
        lines.append(t("censored_note", lang))
    lines += [
        f"{figure.metric.name(lang)}: {t('no_data_source', lang)}"
        for figure in figures
        if not figure.available
    ]
    return lines


# --------------------------------------------------------------------------
# scorecard sheet
# --------------------------------------------------------------------------
SCORECARD_COLUMNS = (
    ("family", 14),
    ("metric", 30),
    ("code", 20),
    ("value", 12),
    ("previous_value", 12),
    ("change", 12),
    ("target", 12),
    ("status", 14),
    ("numerator", 14),
    ("denominator", 14),
    ("definition", 70),
)


def _scorecard_row(sheet: Worksheet, styles: Styles, row: int, figure: Figure, lang: str) -> None:
    unit = figure.metric.unit
    value_fmt = styles.number(excel_value_format(unit))
    sheet.write_string(row, 0, family_name(figure.metric.family, lang), styles.text)
    sheet.write_string(row, 1, figure.metric.name(lang), styles.bold_text)
    sheet.write_string(row, 2, figure.code, styles.code)
    _write_value(sheet, styles, row, 3, figure, lang)
    _write_number(sheet, row, 4, figure.previous, value_fmt, styles)
    _write_number(
        sheet,
        row,
        5,
        change_in_display_unit(unit, figure.change),
        styles.number(excel_change_format(unit)),
        styles,
    )
    _write_number(sheet, row, 6, figure.target.value if figure.target else None, value_fmt, styles)
    sheet.write_string(row, 7, t(figure.status_key, lang), styles.text)
    _write_number(sheet, row, 8, figure.numerator, styles.number("#,##0.##"), styles)
    _write_number(sheet, row, 9, figure.denominator, styles.number("#,##0.##"), styles)
    sheet.write_string(row, 10, figure.metric.definition(lang), styles.wrap)


def write_scorecard(
    book: Workbook, styles: Styles, data: ExportData, lang: str, generated_at: dt.datetime
) -> None:
    sheet = book.add_worksheet(t("scorecard", lang))
    sheet.hide_gridlines(2)
    sheet.write_string(0, 0, f"{t('title', lang)} · {data.period.label(lang)}", styles.title)
    for offset, line in enumerate(_header_lines(data, lang, generated_at), start=1):
        sheet.write_string(offset, 0, line, styles.subtitle)
    header = SCORECARD_HEADER_ROW
    for col, (key, width) in enumerate(SCORECARD_COLUMNS):
        sheet.write_string(header, col, t(key, lang), styles.header)
        sheet.set_column(col, col, width)
    sheet.set_row(header, 30)
    for offset, figure in enumerate(data.scorecard, start=1):
        _scorecard_row(sheet, styles, header + offset, figure, lang)
        sheet.set_row(header + offset, _wrapped_height(figure.metric.definition(lang), 70))
    last = header + len(data.scorecard)
    _status_formats(sheet, styles, f"H{header + 2}:H{last + 1}", lang)
    sheet.freeze_panes(header + 1, 2)
    sheet.autofilter(header, 0, last, len(SCORECARD_COLUMNS) - 1)
    _print_setup(sheet, header)
    for offset, line in enumerate(_notes(data.scorecard, lang), start=2):
        sheet.write_string(last + offset, 0, line, styles.note)


# --------------------------------------------------------------------------
# family sheets
# --------------------------------------------------------------------------
def _period_tag(day: dt.date, data: ExportData, lang: str) -> str:
    if data.period.start <= day <= data.period.end:
        return t("this_period", lang)
    if data.previous.start <= day <= data.previous.end:
        return t("previous", lang)
    return t("earlier", lang)


def _colour_scale(
    sheet: Worksheet, first_row: int, last_row: int, col: int, direction: str
) -> None:
    good, bad = "#63BE7B", "#F8696B"
    low, high = (good, bad) if direction.startswith("lower") else (bad, good)
    sheet.conditional_format(
        first_row,
        col,
        last_row,
        col,
        {"type": "3_color_scale", "min_color": low, "mid_color": "#FFEB84", "max_color": high},
    )


def _family_summary(
    sheet: Worksheet, styles: Styles, figures: Sequence[Figure], row: int, lang: str
) -> int:
    """Rows: value, previous, change, target, status. Returns the next free row."""
    labels = ["value", "previous_value", "change", "target", "status"]
    for offset, key in enumerate(labels):
        sheet.write_string(row + offset, 0, t(key, lang), styles.bold_text)
        sheet.write_blank(row + offset, 1, None, styles.text)
    for col, figure in enumerate(figures, start=2):
        unit = figure.metric.unit
        value_fmt = styles.number(excel_value_format(unit))
        _write_value(sheet, styles, row, col, figure, lang)
        _write_number(sheet, row + 1, col, figure.previous, value_fmt, styles)
        _write_number(
            sheet,
            row + 2,
            col,
            change_in_display_unit(unit, figure.change),
            styles.number(excel_change_format(unit)),
            styles,
        )
        _write_number(
            sheet, row + 3, col, figure.target.value if figure.target else None, value_fmt, styles
        )
        sheet.write_string(row + 4, col, t(figure.status_key, lang), styles.text)
    last_col = xlsxwriter.utility.xl_col_to_name(len(figures) + 1)
    _status_formats(sheet, styles, f"C{row + 5}:{last_col}{row + 5}", lang)
    return row + len(labels)


def _family_rows(
    sheet: Worksheet,
    styles: Styles,
    figures: Sequence[Figure],
    rows: Sequence[dict[str, Any]],
    row: int,
    first: tuple[str, Format],
    tag: Any,
) -> int:
    """Write one table body (daily or per-site); returns the next free row."""
    key, key_fmt = first
    for offset, record in enumerate(rows):
        sheet.write(row + offset, 0, record[key], key_fmt)
        sheet.write_string(row + offset, 1, tag(record), styles.text)
        for col, figure in enumerate(figures, start=2):
            fmt = styles.number(excel_value_format(figure.metric.unit))
            value = record.get(figure.code)
            _write_number(sheet, row + offset, col, value, fmt, styles)
    # the colour scale compares sites with sites: 'unassigned' (no agent) is left out
    scaled = [record for record in rows if record.get(key) != "unassigned"]
    if scaled:
        for col, figure in enumerate(figures, start=2):
            _colour_scale(sheet, row, row + len(scaled) - 1, col, figure.metric.direction)
    return row + len(rows)


def write_family(
    book: Workbook,
    styles: Styles,
    data: ExportData,
    block: FamilyBlock,
    chart: ChartImage | None,
    lang: str,
    generated_at: dt.datetime,
) -> None:
    sheet = book.add_worksheet(family_name(block.family, lang)[:31])
    sheet.hide_gridlines(2)
    title = f"{family_name(block.family, lang)} · {data.period.label(lang)}"
    sheet.write_string(0, 0, title, styles.title)
    sheet.write_string(1, 0, _header_lines(data, lang, generated_at)[0], styles.subtitle)
    notes = []
    if block.missing_sources:
        names = ", ".join(source_label(name, lang) for name in block.missing_sources)
        notes.append(f"{t('no_data_source', lang)}: {names}")
    if block.site_filter_ignored:
        notes.append(f"{t('site_filter_ignored', lang)}: {', '.join(block.site_filter_ignored)}")
    sheet.write_string(2, 0, "    ".join(notes), styles.note)
    if not block.available:
        sheet.write_string(FAMILY_HEADER_ROW + 1, 0, t("no_data_source", lang), styles.title)
        return
    figures = [figure for figure in block.figures if figure.available]
    header = FAMILY_HEADER_ROW
    sheet.write_string(header, 0, t("date", lang), styles.header)
    sheet.write_string(header, 1, f"{t('period', lang)} / {t('site', lang)}", styles.header)
    sheet.write_string(header + 1, 0, t("code", lang), styles.code)
    sheet.write_blank(header + 1, 1, None, styles.code)
    for col, figure in enumerate(figures, start=2):
        sheet.write_string(header, col, _metric_header(figure, lang), styles.header)
        sheet.write_string(header + 1, col, figure.code, styles.code)
    sheet.set_row(header, 45)
    sheet.set_column(0, 0, 14)
    sheet.set_column(1, 1, 12)
    sheet.set_column(2, len(figures) + 1, 15)
    sheet.freeze_panes(header + 2, 2)
    _print_setup(sheet, header)
    row = _family_summary(sheet, styles, figures, header + 2, lang) + 1
    sheet.write_string(row, 0, t("by_day", lang), styles.bold_text)
    daily = block.daily.to_dicts()
    row = _family_rows(
        sheet,
        styles,
        figures,
        daily,
        row + 1,
        ("period_date", styles.date),
        lambda record: _period_tag(record["period_date"], data, lang),
    )
    if not block.by_site.is_empty():
        labels = site_labels(data, lang)
        row += 1
        sheet.write_string(row, 0, t("by_site", lang), styles.bold_text)
        _family_rows(
            sheet,
            styles,
            figures,
            block.by_site.to_dicts(),
            row + 1,
            ("site_code", styles.text),
            lambda record: labels.get(record["site_code"], ""),
        )
    if chart is not None and chart.png is not None:
        sheet.insert_image(
            header,
            len(figures) + 3,
            "chart.png",
            {
                "image_data": io.BytesIO(chart.png),
                "x_scale": 0.5,
                "y_scale": 0.5,
                "object_position": 3,
            },
        )


def write_workbook(
    path: Path,
    data: ExportData,
    charts: dict[str, ChartImage],
    lang: str,
    generated_at: dt.datetime,
) -> None:
    """Write the whole workbook to `path` (the caller makes it atomic)."""
    book = xlsxwriter.Workbook(str(path), {"default_date_format": "yyyy-mm-dd"})
    book.set_properties(
        {
            "title": f"{t('title', lang)} {data.period.label(lang)}",
            "author": "serviq",
            "created": generated_at.replace(tzinfo=None),
        }
    )
    styles = Styles(book)
    write_scorecard(book, styles, data, lang, generated_at)
    for family, block in data.families.items():
        write_family(book, styles, data, block, charts.get(family), lang, generated_at)
    book.close()
