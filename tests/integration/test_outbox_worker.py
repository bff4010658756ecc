"""The outbox with a real worker, its beat, Redis and an SMTP server: e-mails arrive once, after
SMTP refusals, a broker outage at enqueue and a worker killed mid-send."""

import logging
import re

import pytest
from django.urls import reverse

from accounts.groups import HEAD_OFFICE, ensure_staff_groups
from applications.models import Application
from core.models import AuditEntry
from guarantees import services as guarantee_services
from notifications.models import OutboxMessage
from tests.accounts.otp import login_verified_staff
from tests.factories import ApplicationFactory, GuaranteeFactory, UserFactory
from tests.integration.harness import (
    WorkerConfig,
    publishing_to,
    unreachable_broker_url,
    wait_until,
)

pytestmark = pytest.mark.django_db(transaction=True)

# Seconds, so that back-off and sweeps happen within a test: retries after 1, 2, 4 s; a sweep
# every second; a sender's claim lasts 3 s.
RETRY_BASE = 1


@pytest.fixture(scope="module")
def worker_config():
    return WorkerConfig(
        beat=True,
        env={
            "OUTBOX_RETRY_BASE_SECONDS": str(RETRY_BASE),
            "OUTBOX_SWEEP_SECONDS": "1",
            "OUTBOX_CLAIM_SECONDS": "3",
            "OUTBOX_MAX_ATTEMPTS": "4",
        },
    )


@pytest.fixture
def reviewing_guarantee(alice, staff):
    from fees.demo import load_demo_fee_tables

    load_demo_fee_tables()
    application = ApplicationFactory(
        contractor=alice.contractor,
        created_by=alice,
        branch=staff.branch,
        status=Application.Status.REVIEWING,
    )
    return GuaranteeFactory(application=application, status="reviewing")


def approve(guarantee, staff) -> OutboxMessage:
    guarantee_services.guarantee_approve(guarantee_id=guarantee.pk, user=staff)
    return OutboxMessage.objects.get(template="guarantee_approved")


def refreshed(message: OutboxMessage) -> OutboxMessage:
    message.refresh_from_db()
    return message


def test_an_approval_e_mail_reaches_the_smtp_server(
    celery_worker, smtp_server, reviewing_guarantee, staff, alice, settings
):
    message = approve(reviewing_guarantee, staff)

    (mail,) = smtp_server.wait_for_messages(1)
    reviewing_guarantee.refresh_from_db()
    assert mail["To"] == alice.email
    assert mail["From"] == settings.DEFAULT_FROM_EMAIL
    # (Django folds a long Japanese subject after "Subject:"; unfolded, a space leads.)
    assert mail["Subject"].strip() == message.subject
    assert reviewing_guarantee.number in mail["Subject"]
    text = mail.get_body(preferencelist=("plain",)).get_content()
    html = mail.get_body(preferencelist=("html",)).get_content()
    assert f"保証契約番号: {reviewing_guarantee.number}" in text
    assert reviewing_guarantee.number in html and "<" in html
    sent = wait_until(
        lambda: refreshed(message).status == OutboxMessage.Status.SENT and message,
        what="the message to be marked sent",
    )
    assert sent.attempts == 1 and sent.sent_at is not None and sent.last_error == ""
    assert AuditEntry.objects.filter(action="email.sent", object_id=message.pk).count() == 1


def sweeps_since(worker, *, count: int, timeout: float = 10) -> None:
    """Wait until the worker has finished `count` outbox sweeps from now on (all but the first
    of them started after this call)."""
    offset = worker.log_path.stat().st_size
    finished = re.compile(r"Task notifications\.tasks\.outbox_sweep\[[^\]]+\] succeeded")
    wait_until(
        lambda: len(finished.findall(worker.log_tail(offset))) >= count,
        timeout=timeout,
        what=f"{count} outbox sweeps",
    )


def test_a_refusing_server_gets_the_message_again_after_back_off_and_once(
    celery_worker, smtp_server, reviewing_guarantee, staff
):
    smtp_server.refuse(451, times=2)
    message = approve(reviewing_guarantee, staff)

    (mail,) = smtp_server.wait_for_messages(1, timeout=30)
    first, second, third = smtp_server.arrivals
    assert [a.answer[:3] for a in (first, second, third)] == ["451", "451", "250"]
    assert {first.message_id, second.message_id, third.message_id} == {mail["Message-ID"]}
    # Each wait at least the back-off: BASE after the first failure, twice that after the second.
    assert second.at - first.at >= RETRY_BASE
    assert third.at - second.at >= 2 * RETRY_BASE
    sent = wait_until(
        lambda: refreshed(message).status == OutboxMessage.Status.SENT and message,
        what="the message to be marked sent",
    )
    assert sent.attempts == 3
    assert "451" in sent.last_error  # what went wrong before it went through

    # Two sweeps after it was marked sent (one a second): neither sends it again.
    sweeps_since(celery_worker, count=2)
    assert len(smtp_server.arrivals) == 3 and len(smtp_server.messages) == 1


def test_a_permanent_refusal_fails_at_once_and_head_office_resends_it(
    celery_worker, smtp_server, reviewing_guarantee, staff, client
):
    smtp_server.refuse(554)
    message = approve(reviewing_guarantee, staff)

    failed = wait_until(
        lambda: refreshed(message).status == OutboxMessage.Status.FAILED and message,
        what="the message to be marked failed",
    )
    assert failed.attempts == 1 and failed.next_attempt_at is None
    assert "554" in failed.last_error
    assert len(smtp_server.arrivals) == 1 and smtp_server.messages == []

    smtp_server.accept()
    head_office = UserFactory(email="hq@example.jp", contractor=None, is_staff=True)
    head_office.groups.add(ensure_staff_groups()[HEAD_OFFICE])
    login_verified_staff(client, head_office)
    response = client.post(
        reverse("admin:notifications_outboxmessage_changelist"),
        {"action": "retry_selected", "_selected_action": [message.pk]},
        follow=True,
    )
    assert "1件のメールを再送信します。" in response.content.decode()

    (mail,) = smtp_server.wait_for_messages(1)
    assert mail["Message-ID"] == smtp_server.arrivals[0].message_id
    sent = wait_until(
        lambda: refreshed(message).status == OutboxMessage.Status.SENT and message,
        what="the message to be marked sent",
    )
    assert sent.attempts == 1  # counted afresh after 再送信
    entry = AuditEntry.objects.get(action="email.requeued")
    assert entry.user == head_office and entry.data["attempts"] == 1


def test_an_unreachable_broker_neither_fails_the_request_nor_loses_the_e_mail(
    celery_worker, smtp_server, client, alice, form_data, caplog
):
    client.force_login(alice)
    client.post(reverse("applications:new"), form_data())
    draft = Application.objects.get()

    with publishing_to(unreachable_broker_url()), caplog.at_level(logging.WARNING):
        response = client.post(reverse("applications:submit", args=[draft.pk]))

    assert response.status_code == 302
    assert response["Location"] == reverse("applications:sent", args=[draft.pk])
    draft.refresh_from_db()
    assert draft.status == Application.Status.SENT
    assert "not queued (broker unreachable" in caplog.text
    message = OutboxMessage.objects.get(template="application_received")
    # The beat's sweep, on the worker's own broker, sends it without any task from the request.
    (mail,) = smtp_server.wait_for_messages(1)
    assert draft.number in mail["Subject"]
    assert wait_until(lambda: refreshed(message).status == OutboxMessage.Status.SENT)


def test_a_worker_killed_mid_send_sends_again_after_restart_with_the_same_message_id(
    celery_worker, smtp_server, reviewing_guarantee, staff
):
    smtp_server.hold()
    message = approve(reviewing_guarantee, staff)
    (held,) = smtp_server.wait_for_arrivals(1)
    assert held.answer == "held"  # the whole message is at the server, its answer not yet given

    celery_worker.kill()
    smtp_server.release()
    assert refreshed(message).status == OutboxMessage.Status.PENDING
    celery_worker.start()

    # Once the dead worker's claim has expired, a sweep sends the message again.
    (mail,) = smtp_server.wait_for_messages(1, timeout=30)
    assert mail["Message-ID"] == held.message_id
    sent = wait_until(
        lambda: refreshed(message).status == OutboxMessage.Status.SENT and message,
        what="the message to be marked sent",
    )
    assert sent.attempts == 2
