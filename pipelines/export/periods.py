"""Reporting periods: a day, an ISO week or a calendar month, in local dates.

All dates are calendar dates in the reporting time zone (the marts bucket
`contact_date` in it), so a period is a closed range of local dates.

`--as-of` is the last day the report covers. The period is the day, ISO
week (Monday to Sunday) or calendar month that contains it, cut at the
as-of date: an as-of in the middle of a week gives week-to-date. The
previous period is the one before, cut to the same number of days, so a
comparison is always like for like (Monday-Wednesday against the previous
Monday-Wednesday; 1-15 July against 1-15 June).
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from typing import Literal

PeriodKind = Literal["day", "week", "month"]
PERIOD_KINDS: tuple[PeriodKind, ...] = ("day", "week", "month")


@dataclass(frozen=True)
class Period:
    """A closed range of local dates [start, end] of one kind."""

    kind: PeriodKind
    start: dt.date
    end: dt.date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def is_complete(self) -> bool:
        """True when the range covers the whole day/week/month."""
        return self.end == full_period(self.kind, self.start).end

    def label(self, lang: str) -> str:
        """Human label: 2026-07-26 / 2026-W30 / 2026-07, with the covered dates."""
        if self.kind == "day":
            return self.start.isoformat()
        if self.kind == "week":
            year, week, _ = self.start.isocalendar()
            name = f"{year}-W{week:02d}"
        else:
            name = f"{self.start:%Y-%m}"
        span = f"{self.start.isoformat()} – {self.end.isoformat()}"
        if not self.is_complete:
            span += " (至今)" if lang == "zh" else " (to date)"
        return f"{name} · {span}"


def full_period(kind: PeriodKind, day: dt.date) -> Period:
    """The whole day, ISO week or calendar month that contains `day`."""
    if kind == "day":
        return Period(kind, day, day)
    if kind == "week":
        monday = day - dt.timedelta(days=day.isoweekday() - 1)
        return Period(kind, monday, monday + dt.timedelta(days=6))
    if kind == "month":
        last = calendar.monthrange(day.year, day.month)[1]
        return Period(kind, day.replace(day=1), day.replace(day=last))
    raise ValueError(f"unknown period {kind!r}: use day, week or month")


def period_as_of(kind: PeriodKind, as_of: dt.date) -> Period:
    """The period of `kind` containing `as_of`, cut at `as_of` (period to date)."""
    whole = full_period(kind, as_of)
    return Period(kind, whole.start, as_of)


def previous_period(period: Period) -> Period:
    """The period before, cut to the same number of days (never past its own end)."""
    before = full_period(period.kind, period.start - dt.timedelta(days=1))
    end = min(before.end, before.start + dt.timedelta(days=period.days - 1))
    return Period(period.kind, before.start, end)


MIN_TREND_DAYS = 14


def trend_window(period: Period) -> Period:
    """The days the trend charts and daily tables show.

    The period and the previous one (so the comparison is visible), and at
    least the 14 days ending on the as-of date (a day report gets a trend).
    """
    before = previous_period(period)
    start = min(before.start, period.end - dt.timedelta(days=MIN_TREND_DAYS - 1))
    return Period(period.kind, start, period.end)
