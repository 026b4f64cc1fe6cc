"""The PDF one-pager (A4 portrait): header, scorecard table, four charts, notes.

Written with fpdf2, which embeds OpenType/CFF fonts from a collection
(Noto Sans CJK SC, subset), so Chinese labels are real text: they can be
searched, copied and extracted (pdftotext). The charts are the dashboard's
definitions drawn as PNG (see `pipelines.export.charts`).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from pathlib import Path

from fpdf import FPDF
from PIL import Image

from pipelines.export.charts import ChartImage, site_labels
from pipelines.export.formats import STATUS_COLOURS, text_change, text_value
from pipelines.export.labels import family_name, source_label, t
from pipelines.export.render import cjk_font_file
from pipelines.export.scorecard import ExportData, Figure

FAMILY = "NotoSansCJK"
SC_INDEX = 2  # Noto Sans CJK collections: 0 JP, 1 KR, 2 SC, 3 TC, 4 HK
MARGIN = 12.0
PAGE_WIDTH = 210.0
NAVY = (31, 56, 100)
GREY = (110, 110, 110)

# scorecard table columns: (label key, width mm, align)
COLUMNS: tuple[tuple[str, float, str], ...] = (
    ("metric", 62.0, "L"),
    ("value", 24.0, "R"),
    ("previous_value", 24.0, "R"),
    ("change", 24.0, "R"),
    ("target", 24.0, "R"),
    ("status", 28.0, "C"),
)
ROW_HEIGHT = 5.6


def _hex(colour: str) -> tuple[int, int, int]:
    colour = colour.lstrip("#")
    return int(colour[0:2], 16), int(colour[2:4], 16), int(colour[4:6], 16)


class OnePager(FPDF):
    def __init__(self, lang: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.lang = lang
        self.set_auto_page_break(auto=False)
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.add_font(FAMILY, "", str(cjk_font_file()), collection_font_number=SC_INDEX)
        self.add_font(FAMILY, "B", str(cjk_font_file(bold=True)), collection_font_number=SC_INDEX)

    def font(
        self, size: float, bold: bool = False, colour: tuple[int, int, int] = (0, 0, 0)
    ) -> None:
        self.set_font(FAMILY, "B" if bold else "", size)
        self.set_text_color(*colour)


def _sites_text(data: ExportData, lang: str) -> str:
    if not data.sites:
        return t("all_sites", lang)
    labels = site_labels(data, lang)
    return ", ".join(labels.get(site, site) for site in data.sites)


def _header(pdf: OnePager, data: ExportData, generated_at: dt.datetime) -> None:
    lang = pdf.lang
    pdf.set_fill_color(*NAVY)
    pdf.rect(0, 0, PAGE_WIDTH, 24, style="F")
    pdf.set_xy(MARGIN, 5)
    pdf.font(17, bold=True, colour=(255, 255, 255))
    pdf.cell(0, 8, t("title", lang))
    pdf.set_xy(MARGIN, 14)
    pdf.font(9.5, colour=(230, 236, 245))
    pdf.cell(
        0,
        5,
        f"{t('period', lang)}: {data.period.label(lang)}   |   "
        f"{t('sites', lang)}: {_sites_text(data, lang)}   |   "
        f"{t('contacts', lang)}: {data.contact_count:,}",
    )
    pdf.set_xy(MARGIN, 26)
    pdf.font(8, colour=GREY)
    published = f"{data.published_at:%Y-%m-%d %H:%M} UTC" if data.published_at is not None else "—"
    pdf.cell(
        0,
        4,
        f"{t('previous', lang)}: {data.previous.start} – {data.previous.end}   "
        f"{t('published_at', lang)}: {published}   "
        f"{t('generated_at', lang)}: {generated_at:%Y-%m-%d %H:%M} UTC",
    )


def _table_header(pdf: OnePager, y: float) -> float:
    pdf.set_xy(MARGIN, y)
    pdf.set_fill_color(*NAVY)
    pdf.font(8.5, bold=True, colour=(255, 255, 255))
    for key, width, align in COLUMNS:
        pdf.cell(width, ROW_HEIGHT + 0.6, t(key, pdf.lang), border=0, align=align, fill=True)
    return y + ROW_HEIGHT + 0.6


def _family_row(pdf: OnePager, y: float, family: str) -> float:
    pdf.set_xy(MARGIN, y)
    pdf.set_fill_color(232, 236, 244)
    pdf.font(8, bold=True, colour=NAVY)
    total = sum(width for _, width, _ in COLUMNS)
    pdf.cell(total, ROW_HEIGHT - 0.6, family_name(family, pdf.lang), fill=True)
    return y + ROW_HEIGHT - 0.6


def _figure_row(pdf: OnePager, y: float, figure: Figure, shade: bool) -> float:
    lang = pdf.lang
    unit = figure.metric.unit
    colour = STATUS_COLOURS[figure.status]
    if not figure.available:
        shown = t("no_data_source", lang)
    elif figure.is_censored:
        shown = t("censored", lang)
    else:
        shown = text_value(unit, figure.value, lang)
    cells = [
        figure.metric.name(lang),
        shown,
        text_value(unit, figure.previous, lang),
        text_change(unit, figure.change),
        text_value(unit, figure.target.value if figure.target else None, lang),
    ]
    pdf.set_xy(MARGIN, y)
    pdf.set_fill_color(*((247, 248, 250) if shade else (255, 255, 255)))
    for (key, width, align), text in zip(COLUMNS[:-1], cells, strict=True):
        plain = figure.available and not figure.is_censored
        bold = key == "value" and plain
        pdf.font(
            8.5 if plain or key != "value" else 7,
            bold=bold,
            colour=(0, 0, 0) if plain or key != "value" else GREY,
        )
        pdf.cell(width, ROW_HEIGHT, text, align=align, fill=True)
    _, width, align = COLUMNS[-1]
    pdf.set_fill_color(*_hex(colour.fill))
    pdf.font(8, bold=True, colour=_hex(colour.font))
    pdf.cell(width, ROW_HEIGHT, t(figure.status_key, lang), align=align, fill=True)
    return y + ROW_HEIGHT


def _scorecard(pdf: OnePager, figures: Sequence[Figure], y: float) -> float:
    y = _table_header(pdf, y)
    family = None
    for index, figure in enumerate(figures):
        if figure.metric.family != family:
            family = figure.metric.family
            y = _family_row(pdf, y, family)
        y = _figure_row(pdf, y, figure, shade=index % 2 == 1)
    return y


def _chart_box(pdf: OnePager, chart: ChartImage, x: float, y: float, w: float, h: float) -> None:
    pdf.set_xy(x, y)
    pdf.font(9, bold=True, colour=NAVY)
    pdf.cell(w, 5, chart.title)
    top = y + 6
    room = h - 6
    if chart.png is None:
        pdf.set_draw_color(200, 200, 200)
        pdf.rect(x, top, w, room)
        pdf.set_xy(x, top + room / 2 - 3)
        pdf.font(9, colour=GREY)
        pdf.cell(w, 6, t("no_data_source", pdf.lang), align="C")
        return
    with Image.open(io.BytesIO(chart.png)) as image:
        px_w, px_h = image.size
    scale = min(w / px_w, room / px_h)
    draw_w, draw_h = px_w * scale, px_h * scale
    pdf.image(io.BytesIO(chart.png), x=x + (w - draw_w) / 2, y=top, w=draw_w, h=draw_h)


def _charts(pdf: OnePager, charts: Sequence[ChartImage], y: float, bottom: float) -> None:
    gap = 6.0
    w = (PAGE_WIDTH - 2 * MARGIN - gap) / 2
    h = (bottom - y - gap) / 2
    for index, chart in enumerate(charts[:4]):
        col, row = index % 2, index // 2
        _chart_box(pdf, chart, MARGIN + col * (w + gap), y + row * (h + gap), w, h)


def _notes(pdf: OnePager, data: ExportData, y: float) -> None:
    lang = pdf.lang
    lines = [t("change_note", lang), t("status_note", lang), t("page_note", lang)]
    if any(figure.is_censored for figure in data.scorecard):
        lines.append(t("censored_note", lang))
    missing = [
        family_name(block.family, lang) for block in data.families.values() if not block.available
    ]
    # one line: the families left empty, then the sources not landed (issue 8)
    missing += [source_label(name, lang) for name in data.absent_sources]
    if missing:
        lines.append(f"{t('no_data_source', lang)}: {', '.join(missing)}")
    pdf.font(7, colour=GREY)
    for offset, line in enumerate(lines):
        pdf.set_xy(MARGIN, y + offset * 3.6)
        pdf.cell(0, 3.6, line)


def write_onepager(
    path: Path,
    data: ExportData,
    charts: Sequence[ChartImage],
    lang: str,
    generated_at: dt.datetime,
) -> None:
    """Write the one-page PDF to `path` (the caller makes it atomic)."""
    pdf = OnePager(lang)
    pdf.set_title(f"{t('title', lang)} {data.period.label(lang)}")
    pdf.set_author("serviq")
    pdf.set_creation_date(generated_at)
    pdf.add_page()
    _header(pdf, data, generated_at)
    table_end = _scorecard(pdf, data.scorecard, 32)
    notes_top = 297 - MARGIN - 5 * 3.6
    _charts(pdf, charts, table_end + 5, notes_top - 2)
    _notes(pdf, data, notes_top)
    pdf.output(str(path))
