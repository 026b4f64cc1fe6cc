"""Number formats and status colours shared by the workbook and the PDF.

Values are kept as numbers in the workbook (Excel formats display them);
the PDF needs the same display as text. Changes are value minus previous in
the metric's own unit, rates in percentage points.
"""

from __future__ import annotations

from dataclasses import dataclass

# metric unit -> Excel number format of its value
EXCEL_VALUE_FORMAT: dict[str, str] = {
    "rate": "0.0%",
    "seconds": "#,##0",
    "score": "0.00",
    "index": "0.0",
    "per10k": "0.0",
    "per1000": "0.0",
    "amount": "#,##0",
    "hours": "0.0",
    "count": "#,##0",
}
EXCEL_CHANGE_FORMAT: dict[str, str] = {
    "rate": '+0.0" pp";-0.0" pp";0.0" pp"',
    "seconds": "+#,##0;-#,##0;0",
    "amount": "+#,##0;-#,##0;0",
    "count": "+#,##0;-#,##0;0",
}
DEFAULT_CHANGE_FORMAT = "+0.00;-0.00;0.00"


@dataclass(frozen=True)
class StatusColour:
    font: str
    fill: str


STATUS_COLOURS: dict[str, StatusColour] = {
    "green": StatusColour("#1B5E20", "#C8E6C9"),
    "amber": StatusColour("#7A4F01", "#FFE082"),
    "red": StatusColour("#B71C1C", "#FFCDD2"),
    "grey": StatusColour("#616161", "#EEEEEE"),
}


def excel_value_format(unit: str) -> str:
    return EXCEL_VALUE_FORMAT.get(unit, "#,##0.00")


def excel_change_format(unit: str) -> str:
    return EXCEL_CHANGE_FORMAT.get(unit, DEFAULT_CHANGE_FORMAT)


def change_in_display_unit(unit: str, change: float | None) -> float | None:
    """Rates change in percentage points (x100); other units as they are."""
    if change is None:
        return None
    return change * 100 if unit == "rate" else change


def text_value(unit: str, value: float | None, lang: str) -> str:
    """The value as the PDF shows it."""
    if value is None:
        return "—"
    if unit == "rate":
        return f"{value:.1%}"
    if unit == "seconds":
        return f"{value:,.0f} {'秒' if lang == 'zh' else 's'}"
    if unit in ("amount", "count"):
        return f"{value:,.0f}"
    if unit == "score":
        return f"{value:,.2f}"
    return f"{value:,.1f}"


def text_change(unit: str, change: float | None) -> str:
    """The change as the PDF shows it: +1.2 pp for rates, +3.0 otherwise."""
    shown = change_in_display_unit(unit, change)
    if shown is None:
        return "—"
    if unit == "rate":
        return f"{shown:+.1f} pp"
    if unit in ("seconds", "amount", "count"):
        return f"{shown:+,.0f}"
    return f"{shown:+,.2f}"
