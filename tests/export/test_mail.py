"""SMTP delivery to a real server on loopback (aiosmtpd), failures and retries."""

from __future__ import annotations

import datetime as dt
import email
import socket
from collections.abc import Iterator
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller

from pipelines.export.mail import SmtpSettings, build_message, deliver
from pipelines.export.run import ExportResult
from pipelines.export.scheduler import Scheduler, SchedulerPaths
from pipelines.export.schedules import ScheduleFile
from pipelines.export.state import StateStore
from tests.support import Pipeline

SHANGHAI = ZoneInfo("Asia/Shanghai")


class Inbox:
    """An aiosmtpd handler that refuses the first `failures` messages with a 451."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.received: list[EmailMessage] = []
        self.refused = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refused < self.failures:
            self.refused += 1
            return "451 4.3.0 Mailbox temporarily unavailable"
        message = email.message_from_bytes(envelope.content, policy=default_policy)
        assert isinstance(message, EmailMessage)
        self.received.append(message)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp_server() -> Iterator[tuple[Inbox, int, Controller]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port, controller
    finally:
        controller.stop()


def settings_for(port: int) -> SmtpSettings:
    return SmtpSettings(
        host="127.0.0.1", port=port, tls="none", from_="serviq@bank.example", timeout_seconds=5
    )


def attachments(message: EmailMessage) -> dict[str, bytes]:
    result = {}
    for part in message.iter_attachments():
        payload = part.get_content()
        result[part.get_filename() or ""] = payload if isinstance(payload, bytes) else b""
    return result


def test_workbook_and_pdf_arrive_attached(
    smtp_server: tuple[Inbox, int, Controller], week_zh: ExportResult
) -> None:
    inbox, port, _ = smtp_server
    files = [path for path in week_zh.files if path.suffix in (".xlsx", ".pdf")]
    message = build_message(
        "serviq@bank.example",
        ["coo@bank.example", "cqo@bank.example"],
        "serviq 服务质量记分卡周报",
        "附件为本期记分卡。",
        files,
    )
    outcome = deliver(message, settings_for(port), attempts=1)
    assert outcome.ok and outcome.attempts == 1, outcome.error
    (received,) = inbox.received
    assert received["Subject"] == "serviq 服务质量记分卡周报"
    assert received["To"] == "coo@bank.example, cqo@bank.example"
    assert received["From"] == "serviq@bank.example"
    got = attachments(received)
    assert got == {path.name: path.read_bytes() for path in files}
    content_types = {part.get_content_type() for part in received.iter_attachments()}
    assert "application/pdf" in content_types
    assert any("spreadsheetml" in ctype for ctype in content_types)


def test_a_refused_message_is_retried_with_backoff(
    smtp_server: tuple[Inbox, int, Controller], tmp_path: Path
) -> None:
    inbox, port, _ = smtp_server
    inbox.failures = 2
    report = tmp_path / "report.csv"
    report.write_text("metric_code,value\nanswer_rate,0.9\n")
    message = build_message("serviq@bank.example", ["coo@bank.example"], "s", "b", [report])
    slept: list[float] = []
    outcome = deliver(
        message, settings_for(port), attempts=3, backoff_seconds=0.5, sleep=slept.append
    )
    assert outcome.ok and outcome.attempts == 3
    assert slept == [0.5, 1.0], "exponential backoff between tries"
    assert len(inbox.received) == 1

    inbox.failures, inbox.refused = 5, 0
    failed = deliver(message, settings_for(port), attempts=2, backoff_seconds=0, sleep=slept.append)
    assert not failed.ok and failed.attempts == 2
    assert failed.error is not None and "451" in failed.error


def test_scheduler_records_a_failed_delivery_and_sends_it_next_pass(
    small_pipeline: Pipeline, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = free_port()  # nothing listens here yet: the first pass cannot deliver
    monkeypatch.setenv("SERVIQ_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SERVIQ_SMTP_PORT", str(port))
    monkeypatch.setenv("SERVIQ_SMTP_TLS", "none")
    monkeypatch.setenv("SERVIQ_SMTP_FROM", "serviq@bank.example")
    config = ScheduleFile.model_validate(
        {
            "delivery_backoff_seconds": 0,
            "schedules": [
                {
                    "name": "weekly-exec",
                    "cron": "0 7 * * 1",
                    "period": "week",
                    "formats": ["csv"],
                    "lang": "zh",
                    "recipients": ["coo@bank.example"],
                }
            ],
        }
    )
    runner = Scheduler(
        config=config,
        zone=SHANGHAI,
        paths=SchedulerPaths.under(tmp_path),
        serving=small_pipeline.serving,
    )
    monday = dt.datetime(2026, 6, 15, 7, 5, tzinfo=SHANGHAI)
    first = runner.run_pass(monday)
    assert [status for *_, status in first.ran] == ["ok"]
    assert [status for *_, status in first.delivered] == ["failed"]
    with StateStore.open(runner.paths.state) as store:
        (delivery,) = store.deliveries()
    assert delivery.status == "failed" and delivery.attempts == 3
    assert delivery.error is not None and "Connection refused" in delivery.error

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        second = runner.run_pass(monday + dt.timedelta(minutes=10))
    finally:
        controller.stop()
    assert second.ran == [], "the export is not run again, only the mail"
    assert [status for *_, status in second.delivered] == ["sent"]
    (received,) = inbox.received
    assert "周报" in received["Subject"] and "2026-06-14" in received["Subject"]
    assert list(attachments(received)) == ["serviq_scorecard_week_2026-06-14_all-sites_zh.csv"]
    with StateStore.open(runner.paths.state) as store:
        (delivery,) = store.deliveries()
        events = [event["event"] for event in store.events()]
    assert delivery.status == "sent" and delivery.attempts == 4
    assert events == [
        "run_started",
        "run_ok",
        "delivery_queued",
        "delivery_failed",
        "delivery_sent",
    ]
    assert runner.run_pass(monday + dt.timedelta(minutes=20)).delivered == [], "sent once"
