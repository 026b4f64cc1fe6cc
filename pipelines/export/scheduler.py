"""`serviq schedule`: run the exports of schedules.yml when due, and mail them.

One *pass* (what `serviq schedule --once` does, and what the loop repeats):

1. take the scheduler lock (one pass at a time per SERVIQ_HOME);
2. per schedule, list the cron slots due since the last slot recorded in the
   run log and up to now; a schedule never run before gets only its latest
   due slot (no backfill of history it never promised);
3. run each due slot once, oldest first, and record it under
   (schedule, slot) whatever happens: ok, no_data or failed;
4. re-run slots that failed, found no data, or were cut off mid-run, while
   they have tries left (`max_run_attempts`);
5. mail every ok slot with recipients; a failed delivery stays `failed` in
   the log and is tried again on the next pass (`delivery_tries_per_pass`
   tries with exponential backoff per pass, `max_delivery_attempts` in all,
   then `abandoned`, loudly).

Downtime therefore produces exactly one catch-up run per missed slot: the
slots between the last recorded one and now are each run once, and a slot
already in the log is never run again as new. The state store is opened per
pass and the serving file only inside each export, so nothing stays open
between passes.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol
from zoneinfo import ZoneInfo

from croniter import croniter  # type: ignore[import-untyped]

from pipelines.export import mail
from pipelines.export.run import ExportRequest, export
from pipelines.export.schedules import Schedule, ScheduleFile
from pipelines.export.scorecard import NoDataError
from pipelines.export.state import StateStore, exclusive

POLL_SECONDS = 300.0


class Clock(Protocol):
    def now(self) -> dt.datetime: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


Exporter = Callable[[ExportRequest], list[Path]]
Mailer = Callable[[Schedule, str, list[Path]], mail.Delivery]


@dataclass
class SchedulerPaths:
    state: Path
    lock: Path
    out_dir: Path

    @classmethod
    def under(cls, home: Path, out_dir: Path | None = None) -> SchedulerPaths:
        folder = home / "schedule"
        return cls(
            state=folder / "state.sqlite",
            lock=folder / "scheduler.lock",
            out_dir=out_dir or home / "exports",
        )


@dataclass
class PassReport:
    """What one pass did (for the CLI's summary line and for tests)."""

    ran: list[tuple[str, str, str]] = field(default_factory=list)  # schedule, slot, status
    delivered: list[tuple[str, str, str]] = field(default_factory=list)  # schedule, slot, status

    def summary(self) -> str:
        counts: dict[str, int] = {}
        for _, _, status in self.ran:
            counts[status] = counts.get(status, 0) + 1
        runs = ", ".join(f"{n} {status}" for status, n in sorted(counts.items())) or "nothing due"
        sent = sum(1 for *_, status in self.delivered if status == "sent")
        failed = sum(1 for *_, status in self.delivered if status != "sent")
        mails = f"; {sent} mailed, {failed} delivery failures" if self.delivered else ""
        return f"schedule: {runs}{mails}"


# --------------------------------------------------------------------------
# slots
# --------------------------------------------------------------------------
def slot_key(slot: dt.datetime) -> str:
    """The run-log key of a slot: its UTC instant (sorts chronologically)."""
    return slot.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def slot_from_key(key: str, zone: ZoneInfo) -> dt.datetime:
    return dt.datetime.strptime(key, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC).astimezone(zone)


def due_slots(
    cron: str, zone: ZoneInfo, last_key: str | None, now: dt.datetime
) -> list[dt.datetime]:
    """Cron slots (local, tz-aware) after the last recorded slot and at or before `now`.

    Without a recorded slot: only the latest slot at or before `now`.
    """
    local_now = now.astimezone(zone)
    if last_key is None:
        # get_prev is strictly before its start: start a second later so a slot
        # exactly at `now` counts as due.
        latest = croniter(cron, local_now + dt.timedelta(seconds=1)).get_prev(dt.datetime)
        return [latest] if latest <= local_now else []
    slots: list[dt.datetime] = []
    cursor = croniter(cron, slot_from_key(last_key, zone))
    while True:
        candidate = cursor.get_next(dt.datetime)
        if candidate > local_now:
            return slots
        slots.append(candidate)


def next_slot(cron: str, zone: ZoneInfo, now: dt.datetime) -> dt.datetime:
    return croniter(cron, now.astimezone(zone)).get_next(dt.datetime)


# --------------------------------------------------------------------------
# the pass
# --------------------------------------------------------------------------
@dataclass
class Scheduler:
    config: ScheduleFile
    zone: ZoneInfo
    paths: SchedulerPaths
    serving: Path
    exporter: Exporter | None = None
    mailer: Mailer | None = None
    say: Callable[[str], None] = lambda _message: None

    def _export(self, request: ExportRequest) -> list[Path]:
        if self.exporter is not None:
            return self.exporter(request)
        return export(request, self.serving).files

    def _request(self, schedule: Schedule, slot: dt.datetime) -> ExportRequest:
        return ExportRequest(
            period=schedule.period,
            as_of=schedule.as_of(slot),
            out_dir=self.paths.out_dir / schedule.name,
            formats=tuple(schedule.formats),
            sites=tuple(schedule.sites),
            lang=schedule.lang,
        )

    def _run_slot(
        self, store: StateStore, schedule: Schedule, slot: dt.datetime, report: PassReport
    ) -> None:
        key = slot_key(slot)
        request = self._request(schedule, slot)
        attempt = store.start_run(schedule.name, key, request.as_of)
        store.log(schedule.name, key, "run_started", f"attempt {attempt}, as of {request.as_of}")
        try:
            files = self._export(request)
        except NoDataError as exc:
            self._finish(store, schedule, key, "no_data", [], str(exc), report)
            return
        except Exception as exc:  # recorded, retried on a later pass, never lost
            self._finish(store, schedule, key, "failed", [], f"{type(exc).__name__}: {exc}", report)
            return
        self._finish(store, schedule, key, "ok", files, None, report)
        if schedule.recipients:
            store.queue_delivery(schedule.name, key, schedule.recipients)
            store.log(schedule.name, key, "delivery_queued", ", ".join(schedule.recipients))

    def _finish(
        self,
        store: StateStore,
        schedule: Schedule,
        key: str,
        status: str,
        files: list[Path],
        error: str | None,
        report: PassReport,
    ) -> None:
        store.finish_run(schedule.name, key, status, files, error)
        detail = error or ", ".join(path.name for path in files)
        store.log(schedule.name, key, f"run_{status}", detail)
        report.ran.append((schedule.name, key, status))
        self.say(f"schedule {schedule.name} {key}: {status}{(' — ' + detail) if detail else ''}")

    def _mail(self, schedule: Schedule, key: str, as_of: str, files: list[Path]) -> mail.Delivery:
        if self.mailer is not None:
            return self.mailer(schedule, key, files)
        settings = mail.SmtpSettings()
        try:
            message = build_export_message(schedule, as_of, files, settings)
        except Exception as exc:
            return mail.Delivery(ok=False, attempts=1, error=f"{type(exc).__name__}: {exc}")
        return mail.deliver(
            message,
            settings,
            attempts=self.config.delivery_tries_per_pass,
            backoff_seconds=self.config.delivery_backoff_seconds,
        )

    def _deliver_open(self, store: StateStore, schedule: Schedule, report: PassReport) -> None:
        for pending in store.open_deliveries(schedule.name):
            run = store.run(schedule.name, pending.slot)
            files = [Path(name) for name in run.files] if run else []
            missing = [path.name for path in files if not path.exists()]
            if run is None or missing:
                outcome = mail.Delivery(False, 1, f"attachment missing: {', '.join(missing)}")
            else:
                outcome = self._mail(schedule, pending.slot, run.as_of_date, files)
            tries = pending.attempts + outcome.attempts
            if outcome.ok:
                status = "sent"
            elif tries >= self.config.max_delivery_attempts:
                status = "abandoned"
            else:
                status = "failed"
            store.record_delivery(
                schedule.name, pending.slot, status, outcome.attempts, outcome.error
            )
            store.log(
                schedule.name,
                pending.slot,
                f"delivery_{status}",
                outcome.error or ", ".join(pending.recipients),
            )
            report.delivered.append((schedule.name, pending.slot, status))
            if not outcome.ok:
                self.say(
                    f"schedule {schedule.name} {pending.slot}: delivery {status} after "
                    f"{tries} tries — {outcome.error}"
                )

    def run_pass(self, now: dt.datetime) -> PassReport:
        """One pass at instant `now` (tz-aware); see the module docstring."""
        report = PassReport()
        with exclusive(self.paths.lock), StateStore.open(self.paths.state) as store:
            for schedule in self.config.schedules:
                for retry in store.retryable_runs(schedule.name, self.config.max_run_attempts):
                    self._run_slot(store, schedule, slot_from_key(retry.slot, self.zone), report)
                last = store.last_slot(schedule.name)
                for slot in due_slots(schedule.cron, self.zone, last, now):
                    self._run_slot(store, schedule, slot, report)
                self._deliver_open(store, schedule, report)
        return report

    def seconds_until_next(self, now: dt.datetime) -> float:
        upcoming = [next_slot(s.cron, self.zone, now) for s in self.config.schedules]
        if not upcoming:
            return POLL_SECONDS
        wait = (min(upcoming) - now).total_seconds()
        return max(1.0, min(POLL_SECONDS, wait))

    def loop(self, clock: Clock, max_passes: int | None = None) -> None:
        """Pass, sleep until the next slot (at most POLL_SECONDS), repeat."""
        passes = 0
        while max_passes is None or passes < max_passes:
            report = self.run_pass(clock.now())
            if report.ran or report.delivered:
                self.say(report.summary())
            passes += 1
            if max_passes is not None and passes >= max_passes:
                return
            clock.sleep(self.seconds_until_next(clock.now()))


PERIOD_NAMES = {
    "zh": {"day": "日报", "week": "周报", "month": "月报"},
    "en": {"day": "daily", "week": "weekly", "month": "monthly"},
}


def build_export_message(
    schedule: Schedule, as_of: str, files: list[Path], settings: mail.SmtpSettings
) -> EmailMessage:
    """The mail for one run: subject names the period and as-of date, files attached."""
    zh = schedule.lang == "zh"
    period = PERIOD_NAMES[schedule.lang][schedule.period]
    default_subject = (
        f"serviq 服务质量记分卡{period}（截至 {as_of}）"
        if zh
        else f"serviq {period} service-quality scorecard (as of {as_of})"
    )
    body = (
        "附件为本期服务质量记分卡（Excel 工作簿与 PDF 一页纸）。此邮件由 serviq 自动发送。"
        if zh
        else "Attached: this period's service-quality scorecard (Excel workbook and PDF "
        "one-pager). Sent automatically by serviq."
    )
    return mail.build_message(
        settings.sender,
        schedule.recipients,
        schedule.subject or default_subject,
        body,
        files,
    )
