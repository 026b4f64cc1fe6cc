"""The PDF one-pager: one A4 page, real CJK text, the scorecard figures, four charts."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from PIL import Image

from pipelines.export.formats import text_change, text_value
from pipelines.export.labels import t
from pipelines.export.run import ExportResult
from tests.export.conftest import file_of
from tests.support import require_binary


def pdf_text(path: Path) -> str:
    pdftotext = require_binary("pdftotext", "poppler-utils")
    return subprocess.run(
        [pdftotext, "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


def render_png(path: Path, out: Path) -> list[Path]:
    pdftoppm = require_binary("pdftoppm", "poppler-utils")
    subprocess.run([pdftoppm, "-r", "60", "-png", str(path), str(out / "page")], check=True)
    return sorted(out.glob("page*.png"))


def test_chinese_labels_and_figures_extract_as_text(week_zh: ExportResult) -> None:
    text = pdf_text(file_of(week_zh, "pdf"))
    for label in (
        "服务质量记分卡",
        "一次性解决率",
        "接通率",
        "服务水平",
        "满意度",
        "后送率",
        t("status", "zh"),
        t("change", "zh"),
        t("target", "zh"),
    ):
        assert label in text, label
    assert "2026-W" in text
    shown = 0
    for figure in week_zh.data.scorecard:
        if figure.available and figure.value is not None:
            assert text_value(figure.metric.unit, figure.value, "zh") in text, figure.code
            assert text_change(figure.metric.unit, figure.change) in text, figure.code
            shown += 1
        elif not figure.available:
            assert t("no_data_source", "zh") in text
    assert shown >= 7
    assert f"{week_zh.data.contact_count:,}" in text


def test_english_one_pager(week_en_pdf: ExportResult) -> None:
    text = pdf_text(file_of(week_en_pdf, "pdf"))
    assert "service-quality scorecard" in text
    for label in ("Answer rate", "Service level", "Escalation rate", "On target"):
        assert label in text, label
    assert not re.search(r"[\u4e00-\u9fff]", text.split("Sites")[0]), "header is English"


def test_one_a4_page_that_is_not_blank(week_zh: ExportResult, tmp_path: Path) -> None:
    pages = render_png(file_of(week_zh, "pdf"), tmp_path)
    assert len(pages) == 1, "a one-pager"
    with Image.open(pages[0]) as image:
        width, height = image.size
        assert abs(height / width - 297 / 210) < 0.01, "A4 portrait"
        grey = image.convert("L")
        histogram = grey.histogram()
    inked = sum(histogram[:200]) / (width * height)
    assert inked > 0.05, f"only {inked:.1%} of the page is drawn"


def test_the_cjk_font_is_embedded(week_zh: ExportResult) -> None:
    pdffonts = require_binary("pdffonts", "poppler-utils")
    listing = subprocess.run(
        [pdffonts, str(file_of(week_zh, "pdf"))], check=True, capture_output=True, text=True
    ).stdout
    assert "NotoSansCJKSC" in listing
    for line in listing.splitlines()[2:]:
        assert " yes " in line, f"font not embedded: {line}"
