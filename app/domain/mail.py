"""E-mail: build messages safely and send them through ``RUNDE_SMTP_URL`` (``docs/series.md``).

Headers are set through :mod:`email`'s ``EmailMessage`` with the strict default policy: a value
with a line break raises instead of starting a new header, and addresses go through
``Address`` objects, so nothing typed into a form can add a header. Sending uses the standard
library's ``smtplib`` in a worker thread (``asyncio.to_thread``): a slow mail server never
blocks the event loop. Without ``RUNDE_SMTP_URL`` each mail is written to
``<data_dir>/mail/<time>-<id>.eml`` and logged, so development needs no mail server.
"""

from __future__ import annotations

import asyncio
import logging
import re
import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from app.domain.errors import Invalid
from app.i18n import N_
from app.models import new_id, utcnow

log = logging.getLogger("runde.mail")

EMAIL_MAX = 254
# Deliberately plain: one @, no spaces, quotes, angle brackets, commas or semicolons (which
# could smuggle a second recipient), a dot in the domain. Internationalised domains are
# accepted in their ASCII (xn--) form.
_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)+$"
)
SMTP_TIMEOUT = 20


def email_check(raw: str, *, field_name: str = "email") -> str:
    """The address, trimmed and with a lower-case domain; ``Invalid`` when it is not one."""
    value = raw.strip()
    local, _, domain = value.rpartition("@")
    if len(value) > EMAIL_MAX or not _EMAIL.match(value) or ".." in local or local.startswith("."):
        raise Invalid(N_("Please enter a valid e-mail address (name@example.org)."), field=field_name)
    return f"{local}@{domain.lower()}"


@dataclass(frozen=True)
class Attachment:
    filename: str
    maintype: str
    subtype: str
    content: bytes


@dataclass(frozen=True)
class Mail:
    to: str  # a checked address (email_check)
    to_name: str
    subject: str
    text: str
    attachments: Sequence[Attachment] = field(default_factory=tuple)


def mail_message(mail: Mail, *, sender: str) -> EmailMessage:
    """The message; raises ``ValueError`` for a header value with a line break (never sent)."""
    message = EmailMessage(policy=SMTP)
    local, _, domain = sender.rpartition("@")
    message["From"] = Address(display_name="Runde", username=local, domain=domain)
    to_local, _, to_domain = mail.to.rpartition("@")
    # The address alone, without the person's name as display name: the standard library's
    # header folding can drop the quotes of a long display name with quotes and spaces in it,
    # and the header then reads back as another address (tests/test_hostile_series.py found
    # '<svg><a xlink:href="…"> …' turning into "svg@"). The name is in the greeting.
    message["To"] = Address(username=to_local, domain=to_domain)
    message["Subject"] = mail.subject
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = make_msgid(domain=domain or "localhost")
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(mail.text)
    for attachment in mail.attachments:
        message.add_attachment(
            attachment.content, maintype=attachment.maintype, subtype=attachment.subtype, filename=attachment.filename
        )
    return message


@dataclass(frozen=True)
class SmtpTarget:
    host: str
    port: int
    tls: bool  # smtps: TLS from the first byte
    starttls: bool
    user: str
    password: str


def smtp_target(url: str) -> SmtpTarget:
    """Parse ``RUNDE_SMTP_URL`` (``smtp://`` or ``smtps://``, user and password optional)."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ValueError("RUNDE_SMTP_URL must look like smtp://host:port or smtps://user:password@host:port")
    tls = parts.scheme == "smtps"
    starttls = parse_qs(parts.query).get("starttls", ["false"])[0].lower() in ("1", "true", "yes")
    port = parts.port or (465 if tls else 587 if starttls else 25)
    return SmtpTarget(
        host=parts.hostname,
        port=port,
        tls=tls,
        starttls=starttls,
        user=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
    )


class Mailer:
    """Sends through SMTP when configured, else writes ``.eml`` files into ``folder``."""

    def __init__(self, *, smtp_url: str, sender: str, folder: Path) -> None:
        self.target = smtp_target(smtp_url) if smtp_url else None
        self.sender = sender
        self.folder = folder

    async def send(self, mails: Sequence[Mail]) -> int:
        """Send ``mails``; returns how many went out. Failures are logged, never raised: the
        change that caused the mail is already committed."""
        if not mails:
            return 0
        messages: list[EmailMessage] = []
        for mail in mails:
            try:
                messages.append(mail_message(mail, sender=self.sender))
            except ValueError:
                log.warning("mail to one recipient refused: a header value was not valid")
        try:
            return await asyncio.to_thread(self._deliver, messages)
        except (OSError, smtplib.SMTPException) as exc:
            log.error("sending %d mail(s) failed: %s", len(messages), type(exc).__name__)
            return 0

    def _deliver(self, messages: Sequence[EmailMessage]) -> int:
        if self.target is None:
            self.folder.mkdir(parents=True, exist_ok=True)
            for message in messages:
                path = self.folder / f"{utcnow():%Y%m%dT%H%M%S}-{new_id()}.eml"
                path.write_bytes(message.as_bytes())
                log.info("mail written to %s: %s", path, message["Subject"])
            return len(messages)
        target = self.target
        context = ssl.create_default_context()
        smtp: smtplib.SMTP
        if target.tls:
            smtp = smtplib.SMTP_SSL(target.host, target.port, timeout=SMTP_TIMEOUT, context=context)
        else:
            smtp = smtplib.SMTP(target.host, target.port, timeout=SMTP_TIMEOUT)
        with smtp:
            if target.starttls:
                smtp.starttls(context=context)
            if target.user:
                smtp.login(target.user, target.password)
            for message in messages:
                smtp.send_message(message)
        log.info("%d mail(s) sent through %s:%d", len(messages), target.host, target.port)
        return len(messages)
