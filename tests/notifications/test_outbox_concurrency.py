"""Senders racing for the same messages, each in its own thread and PostgreSQL connection:
every message goes out exactly once."""

import pytest
from django.core import mail
from django.db import connection

from notifications import services
from notifications.models import OutboxMessage
from tests.factories import OutboxMessageFactory
from tests.processing.test_concurrency import run_together

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="concurrent senders are exercised on PostgreSQL"
    ),
]


@pytest.fixture(autouse=True)
def slow_mail(settings):
    settings.EMAIL_BACKEND = "tests.notifications.backends.SlowBackend"


def test_two_sweeps_and_the_send_tasks_at_once_send_each_message_once():
    messages = [OutboxMessageFactory() for _ in range(15)]
    ids = [m.pk for m in messages]

    def send_each():
        return sum(services.message_send(message_id=pk) for pk in ids)

    results = run_together([services.outbox_send_due, services.outbox_send_due, send_each])

    assert sum(results) == 15, results  # together they sent each one, none twice
    assert sorted(email.to[0] for email in mail.outbox) == sorted(m.recipient for m in messages)
    assert len({email.extra_headers["Message-ID"] for email in mail.outbox}) == 15
    assert set(OutboxMessage.objects.values_list("status", "attempts")) == {("sent", 1)}


def test_two_workers_given_the_same_message_send_it_once():
    message = OutboxMessageFactory()
    send = lambda: services.message_send(message_id=message.pk)  # noqa: E731
    results = run_together([send, send, send, send])
    assert sorted(results) == [False, False, False, True]
    assert len(mail.outbox) == 1
    message.refresh_from_db()
    assert message.status == "sent" and message.attempts == 1
