"""Render the dashboard's Altair charts to PNG for the workbook and the PDF.

The chart definitions live in `dashboard/charts.py` and are the ones the
dashboard shows; here they are only sized, given the CJK font and drawn
with vl-convert (Vega-Lite -> PNG, no browser). The Noto CJK directory is
registered once per process so Chinese titles and legends render as text
glyphs, not boxes.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import altair as alt

CJK_FONT_DIRS = (
    Path("/usr/share/fonts/opentype/noto"),
    Path("/usr/share/fonts/opentype/noto-cjk"),
    Path("/usr/share/fonts/truetype/noto"),
)
CJK_FAMILY = "Noto Sans CJK SC"
LATIN_FALLBACK = "sans-serif"


class RenderError(RuntimeError):
    """A chart could not be drawn; the message is one sentence."""


@functools.cache
def _vl_convert() -> Any:
    try:
        import vl_convert
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise RenderError(
            "vl-convert-python is not installed: run `pip install -e .` to draw export charts."
        ) from exc
    for folder in CJK_FONT_DIRS:
        if folder.is_dir():
            vl_convert.register_font_directory(str(folder))
    return vl_convert


def cjk_font_file(bold: bool = False) -> Path:
    """The Noto Sans CJK collection (regular or bold), or a one-sentence error."""
    name = "NotoSansCJK-Bold.ttc" if bold else "NotoSansCJK-Regular.ttc"
    for folder in CJK_FONT_DIRS:
        candidate = folder / name
        if candidate.exists():
            return candidate
    raise RenderError(
        f"the CJK font {name} is not installed (Debian package fonts-noto-cjk): "
        "Chinese text cannot be rendered."
    )


def to_png(chart: alt.TopLevelMixin, width: int, height: int, scale: float = 2.0) -> bytes:
    """Size a chart, set the CJK font and draw it as PNG bytes."""
    vlc = _vl_convert()
    try:
        sized = chart.properties(width=width, height=height)
        styled = sized.configure(font=f"{CJK_FAMILY}, {LATIN_FALLBACK}")
        spec = styled.configure_view(strokeWidth=0).to_json(validate=False)
        return bytes(vlc.vegalite_to_png(spec, scale=scale))
    except Exception as exc:  # altair schema errors, vl-convert ValueError/RuntimeError
        text = str(exc).strip()
        first_line = text.splitlines()[0][:200] if text else type(exc).__name__
        raise RenderError(f"a chart could not be drawn ({first_line})") from exc
