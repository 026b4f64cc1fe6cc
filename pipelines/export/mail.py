"""SMTP delivery of export files, with bounded retries and backoff.

Connection settings come from the environment only (never from the
schedules file, which may be committed):

    SERVIQ_SMTP_HOST      server name (required to send)
    SERVIQ_SMTP_PORT      default 587 for starttls, 465 for ssl, 25 for none
    SERVIQ_SMTP_USER      login name (optional: no login when unset)
    SERVIQ_SMTP_PASSWORD  password
    SERVIQ_SMTP_FROM      sender address (default: the user)
    SERVIQ_SMTP_TLS       starttls (default) | ssl | none

A delivery is tried `attempts` times within one call, waiting
`backoff_seconds * 2**n` between tries; the outcome (with the last error)
is returned, never raised, so the scheduler can record it and try again on
its next pass.
"""

from __future__ import annotations

import mimetypes
import smtplib
import ssl
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from pipelines.settings import SettingsError

TlsMode = Literal["starttls", "ssl", "none"]
_DEFAULT_PORT: dict[str, int] = {"starttls": 587, "ssl": 465, "none": 25}


class SmtpSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SERVIQ_SMTP_", extra="ignore", populate_by_name=True
    )

    host: str | None = Field(default=None, description="SMTP server.")
    port: int | None = Field(default=None, description="SMTP port.")
    user: str | None = Field(default=None, description="Login name.")
    password: SecretStr | None = Field(default=None, description="Login password.")
    from_: str | None = Field(default=None, alias="SERVIQ_SMTP_FROM", description="Sender.")
    tls: TlsMode = Field(default="starttls", description="starttls | ssl | none.")
    timeout_seconds: float = Field(default=30.0, description="Socket time-out.")

    @property
    def configured(self) -> bool:
        return bool(self.host)

    @property
    def effective_port(self) -> int:
        return self.port or _DEFAULT_PORT[self.tls]

    @property
    def sender(self) -> str:
        sender = self.from_ or self.user
        if not sender:
            raise SettingsError(
                "SERVIQ_SMTP_FROM is not set: set the sender address for export mail."
            )
        return sender


@dataclass(frozen=True)
class Delivery:
    """The outcome of one delivery call (after its retries)."""

    ok: bool
    attempts: int
    error: str | None = None


def build_message(
    sender: str,
    recipients: Sequence[str],
    subject: str,
    body: str,
    attachments: Sequence[Path],
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="serviq.local")
    message.set_content(body)
    for path in attachments:
        ctype, _ = mimetypes.guess_type(path.name)
        maintype, subtype = (ctype or "application/octet-stream").split("/", 1)
        message.add_attachment(
            path.read_bytes(), maintype=maintype, subtype=subtype, filename=path.name
        )
    return message


def send_once(message: EmailMessage, settings: SmtpSettings) -> None:
    """One SMTP session; raises on any failure."""
    if not settings.host:
        raise SettingsError("SERVIQ_SMTP_HOST is not set: set it to deliver exports by mail.")
    port = settings.effective_port
    timeout = settings.timeout_seconds
    context = ssl.create_default_context()
    client: smtplib.SMTP
    if settings.tls == "ssl":
        client = smtplib.SMTP_SSL(settings.host, port, timeout=timeout, context=context)
    else:
        client = smtplib.SMTP(settings.host, port, timeout=timeout)
    with client:
        if settings.tls == "starttls":
            client.starttls(context=context)
        if settings.user:
            password = settings.password.get_secret_value() if settings.password else ""
            client.login(settings.user, password)
        client.send_message(message)


def deliver(
    message: EmailMessage,
    settings: SmtpSettings,
    attempts: int = 3,
    backoff_seconds: float = 2.0,
    sleep: Callable[[float], None] = time.sleep,
) -> Delivery:
    """Send with up to `attempts` tries and exponential backoff; never raises."""
    error: str | None = None
    for attempt in range(1, attempts + 1):
        try:
            send_once(message, settings)
            return Delivery(ok=True, attempts=attempt)
        except (OSError, smtplib.SMTPException, SettingsError) as exc:
            error = f"{type(exc).__name__}: {exc}"
        if attempt < attempts:
            sleep(backoff_seconds * 2 ** (attempt - 1))
    return Delivery(ok=False, attempts=attempts, error=error)
