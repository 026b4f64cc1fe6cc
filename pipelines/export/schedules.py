"""The schedules file (`schedules.yml`): which exports run when, for whom.

See `schedules.example.yml` at the repository root for a commented example.
Cron expressions are read in the reporting time zone (the file's
`timezone`, else `SERVIQ_TIMEZONE`, default Asia/Shanghai). Each run's
as-of date is the slot's local date minus `as_of_lag_days` (default 1: a
Monday 07:00 weekly run reports the ISO week that ended on Sunday).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml  # type: ignore[import-untyped]
from croniter import croniter  # type: ignore[import-untyped]
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from pipelines.export.files import FORMATS
from pipelines.export.periods import PeriodKind


class ScheduleConfigError(ValueError):
    """The schedules file is wrong; the message is one sentence naming the file."""


class Schedule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    cron: str
    period: PeriodKind
    sites: list[str] = Field(default_factory=list)
    formats: list[str] = Field(default_factory=lambda: ["xlsx", "pdf"])
    lang: Literal["zh", "en"] = "zh"
    recipients: list[str] = Field(default_factory=list)
    as_of_lag_days: int = Field(default=1, ge=0, le=31)
    subject: str | None = None

    @field_validator("cron")
    @classmethod
    def _cron_is_valid(cls, value: str) -> str:
        if not croniter.is_valid(value):
            raise ValueError(f"{value!r} is not a valid cron expression")
        return value

    @field_validator("formats")
    @classmethod
    def _formats_are_known(cls, value: list[str]) -> list[str]:
        unknown = [fmt for fmt in value if fmt not in FORMATS]
        if unknown or not value:
            raise ValueError(f"unknown format {unknown or '(none)'}: use {', '.join(FORMATS)}")
        return value

    def as_of(self, slot: dt.datetime) -> dt.date:
        return slot.date() - dt.timedelta(days=self.as_of_lag_days)


class ScheduleFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    timezone: str | None = None
    out_dir: Path | None = None
    max_run_attempts: int = Field(default=3, ge=1, le=50)
    max_delivery_attempts: int = Field(default=12, ge=1, le=200)
    delivery_tries_per_pass: int = Field(default=3, ge=1, le=10)
    delivery_backoff_seconds: float = Field(default=2.0, ge=0)
    schedules: list[Schedule]

    @field_validator("schedules")
    @classmethod
    def _names_are_unique(cls, value: list[Schedule]) -> list[Schedule]:
        names = [schedule.name for schedule in value]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"schedule names must be unique: {', '.join(duplicates)}")
        return value

    def zone(self, default: str) -> ZoneInfo:
        name = self.timezone or default
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ScheduleConfigError(f"unknown time zone {name!r}.") from None


def load_schedules(path: Path) -> ScheduleFile:
    """Read and validate a schedules file, or raise a one-sentence error."""
    if not path.exists():
        raise ScheduleConfigError(
            f"no schedules file at {path}: copy schedules.example.yml there and edit it."
        )
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ScheduleConfigError(f"{path} is not valid YAML: {exc}") from None
    try:
        return ScheduleFile.model_validate(raw or {})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise ScheduleConfigError(f"{path}: {where}: {first['msg']}.") from None
