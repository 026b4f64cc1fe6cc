"""fcr_effort page (stub until its marts are published)."""

from __future__ import annotations

from dashboard import ui

page = ui.Page("fcr_effort")
