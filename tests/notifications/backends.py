"""E-mail backends for the outbox tests: one that fails as the SMTP backend can, one that is slow."""

import smtplib
import time

from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend


class FailingBackend(BaseEmailBackend):
    """Raises `error` for every message (the `failing_mail` fixture sets it)."""

    error: Exception = smtplib.SMTPDataError(451, b"4.3.0 Try again later")

    def send_messages(self, email_messages):
        raise self.error


class SlowBackend(LocmemBackend):
    """Django's test outbox, taking as long as a short SMTP conversation per message: two
    senders racing for the same messages overlap."""

    def send_messages(self, messages):
        time.sleep(0.02)
        return super().send_messages(messages)
