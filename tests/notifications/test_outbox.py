"""The outbox sender: sent after the commit as a text+HTML e-mail, retried with exponential
back-off, given up after the last attempt, and swept when its task never ran."""

import datetime
import smtplib

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core.models import AuditEntry
from netdesk.celery import app as celery_app
from notifications import services
from notifications.models import OutboxMessage
from tests.factories import ApplicationFactory, OutboxMessageFactory
from tests.notifications.backends import FailingBackend

pytestmark = pytest.mark.django_db


@pytest.fixture
def failing_mail(settings, monkeypatch):
    """Every e-mail fails with the exception given (an SMTP 451 until told otherwise)."""
    settings.EMAIL_BACKEND = "tests.notifications.backends.FailingBackend"

    def fail_with(error: Exception) -> None:
        monkeypatch.setattr(FailingBackend, "error", error)

    return fail_with


def refreshed(message: OutboxMessage) -> OutboxMessage:
    message.refresh_from_db()
    return message


def test_a_status_e_mail_is_sent_once_its_transaction_commits(
    alice, django_capture_on_commit_callbacks, settings
):
    application = ApplicationFactory(contractor=alice.contractor, created_by=alice)
    with django_capture_on_commit_callbacks() as callbacks:
        message = services.notify_contractor(application, "application_received", "sent-1")
        # A retried request enqueues nothing more.
        again = services.notify_contractor(application, "application_received", "sent-1")
    assert again == message and len(callbacks) == 1
    assert mail.outbox == [] and refreshed(message).status == OutboxMessage.Status.PENDING

    callbacks[0]()

    (email,) = mail.outbox
    assert email.to == [alice.email]
    assert email.from_email == settings.DEFAULT_FROM_EMAIL
    assert email.subject == message.subject
    assert email.body == message.body_text and "保証申込を次のとおり受け付け" in email.body
    assert email.alternatives == [(message.body_html, "text/html")]
    assert email.extra_headers["Message-ID"] == services.message_id_header(message)
    message = refreshed(message)
    assert message.status == OutboxMessage.Status.SENT
    assert message.attempts == 1 and message.sent_at is not None and message.next_attempt_at is None
    assert AuditEntry.objects.get(action="email.sent", object_id=message.pk).data == {"attempts": 1}


def test_a_rolled_back_change_sends_nothing(alice, django_capture_on_commit_callbacks):
    application = ApplicationFactory(contractor=alice.contractor, created_by=alice)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        services.notify_contractor(application, "application_received", "sent-1")
        raise RuntimeError("the change failed")
    assert callbacks == [] and mail.outbox == [] and not OutboxMessage.objects.exists()


def test_the_message_id_is_the_same_for_every_attempt_and_unique_per_message(settings):
    settings.DEFAULT_FROM_EMAIL = "ネットデスク <noreply@netdesk.example.jp>"
    first, second = OutboxMessageFactory(), OutboxMessageFactory()
    header = services.message_id_header(first)
    assert header == services.message_id_header(refreshed(first))
    assert header != services.message_id_header(second)
    assert header.startswith("<") and header.endswith("@netdesk.example.jp>")


def test_sending_twice_sends_once():
    message = OutboxMessageFactory()
    assert services.message_send(message_id=message.pk) is True
    assert services.message_send(message_id=message.pk) is False
    assert len(mail.outbox) == 1 and refreshed(message).attempts == 1


def test_failures_back_off_exponentially_until_the_message_fails(failing_mail, settings):
    settings.OUTBOX_RETRY_BASE_SECONDS = 10
    settings.OUTBOX_MAX_ATTEMPTS = 4
    message = OutboxMessageFactory()
    waits = []
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for attempt in range(1, 4):
            assert services.outbox_send_due() == 0
            message = refreshed(message)
            assert message.attempts == attempt
            assert message.status == OutboxMessage.Status.PENDING
            assert message.last_error == "SMTPDataError: (451, b'4.3.0 Try again later')"
            waits.append((message.next_attempt_at - timezone.now()).total_seconds())
            # Not a second early: the sweep leaves it alone.
            clock.move_to(message.next_attempt_at - datetime.timedelta(seconds=1))
            services.outbox_send_due()
            assert refreshed(message).attempts == attempt
            clock.move_to(message.next_attempt_at)
        services.outbox_send_due()  # the fourth and last attempt
        message = refreshed(message)
        assert waits == [10, 20, 40]
        assert message.status == OutboxMessage.Status.FAILED
        assert message.attempts == 4 and message.next_attempt_at is None
        entry = AuditEntry.objects.get(action="email.failed", object_id=message.pk)
        assert entry.data["attempts"] == 4 and "451" in entry.data["error"]

        clock.shift(datetime.timedelta(days=30))
        services.outbox_send_due()
        assert refreshed(message).attempts == 4  # nothing tries a failed message again
    assert mail.outbox == []


def test_a_message_that_fails_and_then_passes_is_sent_on_its_next_due_attempt(
    failing_mail, settings
):
    settings.OUTBOX_RETRY_BASE_SECONDS = 60
    message = OutboxMessageFactory()
    with time_machine.travel(timezone.now(), tick=False) as clock:
        services.outbox_send_due()
        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
        clock.shift(datetime.timedelta(seconds=60))
        assert services.outbox_send_due() == 1
    message = refreshed(message)
    assert message.status == OutboxMessage.Status.SENT and message.attempts == 2
    assert "451" in message.last_error  # why it took two attempts
    assert len(mail.outbox) == 1


PERMANENT, TEMPORARY = OutboxMessage.Status.FAILED, OutboxMessage.Status.PENDING


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (smtplib.SMTPDataError(554, b"5.7.1 Message refused"), PERMANENT),
        (smtplib.SMTPRecipientsRefused({"x@example.jp": (550, b"5.1.1 No such user")}), PERMANENT),
        (smtplib.SMTPRecipientsRefused({"x@example.jp": (452, b"4.2.2 Mailbox full")}), TEMPORARY),
        (smtplib.SMTPSenderRefused(553, b"5.7.1 Sender not allowed", "nd@example.jp"), TEMPORARY),
        (smtplib.SMTPServerDisconnected("Connection unexpectedly closed"), TEMPORARY),
        (ConnectionRefusedError(111, "Connection refused"), TEMPORARY),
        (TimeoutError("timed out"), TEMPORARY),
    ],
    ids=[
        "content refused",
        "recipient refused",
        "mailbox full",
        "our sender refused",
        "disconnected",
        "no server",
        "timeout",
    ],
)
def test_a_refusal_of_the_message_itself_fails_it_at_once_anything_else_is_tried_again(
    failing_mail, error, status
):
    """A 5xx answer to this message (its content or recipient) will not change; a full mailbox,
    our own sender address or the connection may be put right."""
    failing_mail(error)
    message = OutboxMessageFactory()
    services.outbox_send_due()
    message = refreshed(message)
    assert message.status == status and message.attempts == 1
    assert type(error).__name__ in message.last_error
    if status == PERMANENT:
        assert message.next_attempt_at is None
    else:
        assert message.next_attempt_at > timezone.now()


def test_the_error_kept_never_holds_the_smtp_password(failing_mail, settings):
    settings.EMAIL_HOST_PASSWORD = "hunter2-smtp"
    failing_mail(smtplib.SMTPAuthenticationError(535, b"5.7.8 netdesk:hunter2-smtp rejected"))
    message = OutboxMessageFactory()
    services.outbox_send_due()
    message = refreshed(message)
    assert "535" in message.last_error and "hunter2-smtp" not in message.last_error


def test_the_sweep_sends_what_was_never_queued_oldest_first_and_leaves_the_rest():
    now = timezone.now()
    never_queued = [OutboxMessageFactory() for _ in range(3)]
    due_again = OutboxMessageFactory(attempts=1, next_attempt_at=now - datetime.timedelta(1))
    not_yet = OutboxMessageFactory(attempts=1, next_attempt_at=now + datetime.timedelta(hours=1))
    failed = OutboxMessageFactory(status=OutboxMessage.Status.FAILED, attempts=8)
    sent = OutboxMessageFactory(status=OutboxMessage.Status.SENT, attempts=1, sent_at=now)

    assert services.outbox_send_due() == 4

    assert [email.subject for email in mail.outbox] == [
        m.subject for m in [*never_queued, due_again]
    ]
    assert refreshed(not_yet).attempts == 1 and refreshed(not_yet).status == "pending"
    assert refreshed(failed).attempts == 8 and refreshed(sent).attempts == 1
    assert services.outbox_send_due() == 0


def test_a_sender_that_died_mid_send_leaves_the_message_to_the_sweep_after_its_claim(settings):
    """As a worker killed after claiming leaves the row: attempt counted, claimed for a while."""
    settings.OUTBOX_CLAIM_SECONDS = 600
    message = OutboxMessageFactory()
    with time_machine.travel(timezone.now(), tick=False) as clock:
        OutboxMessage.objects.filter(pk=message.pk).update(
            attempts=1, next_attempt_at=timezone.now() + datetime.timedelta(seconds=600)
        )
        clock.shift(datetime.timedelta(seconds=599))
        assert services.outbox_send_due() == 0
        clock.shift(datetime.timedelta(seconds=1))
        assert services.outbox_send_due() == 1
    assert refreshed(message).attempts == 2 and len(mail.outbox) == 1


def test_retry_puts_a_failed_message_back_and_sends_it_after_the_commit(
    django_capture_on_commit_callbacks, staff_user
):
    message = OutboxMessageFactory(
        status=OutboxMessage.Status.FAILED, attempts=8, last_error="SMTPDataError: (451, …)"
    )
    with django_capture_on_commit_callbacks() as callbacks:
        services.message_retry(message_id=message.pk, user=staff_user)
        assert refreshed(message).status == OutboxMessage.Status.PENDING
        assert refreshed(message).attempts == 0 and mail.outbox == []
    entry = AuditEntry.objects.get(action="email.requeued")
    assert entry.user == staff_user
    assert entry.data == {"attempts": 8, "last_error": "SMTPDataError: (451, …)"}

    for callback in callbacks:
        callback()
    assert refreshed(message).status == OutboxMessage.Status.SENT and len(mail.outbox) == 1


@pytest.mark.parametrize("status", ["pending", "sent"])
def test_retry_refuses_a_message_that_has_not_failed(status, staff_user):
    message = OutboxMessageFactory(status=status)
    with pytest.raises(ValidationError):
        services.message_retry(message_id=message.pk, user=staff_user)
    assert refreshed(message).status == status
    assert not AuditEntry.objects.filter(action="email.requeued").exists()


def test_the_beat_schedule_runs_registered_tasks(settings):
    assert settings.CELERY_BEAT_SCHEDULE, "no periodic sweep"
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in celery_app.tasks
