"""通知メール in the admin: head office reads the outbox and resends failed e-mails; nobody edits
one; branch staff do not see it."""

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.models import AuditEntry
from notifications.models import OutboxMessage
from tests.accounts.otp import login_verified_staff
from tests.factories import OutboxMessageFactory, UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:notifications_outboxmessage_changelist")
FAILED, SENT = OutboxMessage.Status.FAILED, OutboxMessage.Status.SENT


def change_url(message):
    return reverse("admin:notifications_outboxmessage_change", args=[message.pk])


def resend(client, *messages):
    return client.post(
        CHANGELIST,
        {"action": "retry_selected", "_selected_action": [m.pk for m in messages]},
        follow=True,
    )


@pytest.fixture
def failed():
    return OutboxMessageFactory(
        recipient="failed@example.jp",
        template="guarantee_approved",
        status=FAILED,
        attempts=8,
        last_error="SMTPDataError: (451, b'4.3.0 Try again later')",
    )


@pytest.fixture
def sent():
    return OutboxMessageFactory(
        recipient="sent@example.jp", status=SENT, attempts=1, sent_at=timezone.now()
    )


def test_head_office_sees_each_e_mail_with_its_state(client, staff_user, failed, sent):
    login_verified_staff(client, staff_user)
    html = client.get(CHANGELIST).content.decode()
    assert "failed@example.jp" in html and "sent@example.jp" in html
    assert "送信失敗" in html and "送信済" in html
    assert "guarantee_approved" in html and "application_received" in html
    assert "4.3.0 Try again later" in html
    assert "選択した送信失敗のメールを再送信" in html
    assert "通知メール" in client.get(reverse("admin:index")).content.decode()


def test_the_list_filters_by_status_and_template_and_finds_a_recipient(
    client, staff_user, failed, sent
):
    login_verified_staff(client, staff_user)

    def listed(query: dict) -> list[bool]:
        html = client.get(CHANGELIST, query).content.decode()
        return ["failed@example.jp" in html, "sent@example.jp" in html]

    assert listed({"status__exact": "failed"}) == [True, False]
    assert listed({"template": "application_received"}) == [False, True]
    assert listed({"q": "sent@"}) == [False, True]


def test_the_list_takes_as_many_queries_for_many_e_mails_as_for_few(client, staff_user):
    login_verified_staff(client, staff_user)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(CHANGELIST).status_code == 200
        return len(captured)

    OutboxMessageFactory.create_batch(2)
    few = queries()
    OutboxMessageFactory.create_batch(40, status=FAILED, attempts=8, last_error="x" * 200)
    assert queries() == few


def test_nobody_edits_adds_or_deletes_an_e_mail(client, staff_user, failed):
    login_verified_staff(client, staff_user)
    html = client.get(change_url(failed)).content.decode()
    assert "本文です。" in html and "failed@example.jp" in html
    assert 'name="_save"' not in html

    response = client.post(change_url(failed), {"recipient": "other@example.jp"})
    assert response.status_code == 403
    assert client.get(reverse("admin:notifications_outboxmessage_add")).status_code == 403
    delete = reverse("admin:notifications_outboxmessage_delete", args=[failed.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    failed.refresh_from_db()
    assert failed.recipient == "failed@example.jp"


def test_branch_staff_do_not_see_the_outbox(client, branch_staff, failed):
    login_verified_staff(client, branch_staff)
    assert client.get(CHANGELIST).status_code == 403
    assert client.get(change_url(failed)).status_code == 403
    assert "通知メール" not in client.get(reverse("admin:index")).content.decode()


def test_resend_sends_a_failed_e_mail_again_after_the_commit_and_audits_it(
    client, staff_user, failed, sent, django_capture_on_commit_callbacks
):
    login_verified_staff(client, staff_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = resend(client, failed, sent)

    assert "1件のメールを再送信します。" in response.content.decode()
    failed.refresh_from_db()
    assert failed.status == SENT and failed.attempts == 1  # counted afresh
    (email,) = mail.outbox
    assert email.to == ["failed@example.jp"]
    sent.refresh_from_db()
    assert sent.attempts == 1  # a sent e-mail is left as it was
    entry = AuditEntry.objects.get(action="email.requeued")
    assert entry.user == staff_user and entry.object_id == failed.pk
    assert entry.data["attempts"] == 8


def test_resend_with_no_failed_e_mail_selected_says_so(client, staff_user, sent):
    login_verified_staff(client, staff_user)
    html = resend(client, sent).content.decode()
    assert "再送信できるメール(送信失敗)がありませんでした。" in html
    assert not AuditEntry.objects.filter(action="email.requeued").exists()
    assert mail.outbox == []


def test_staff_who_may_only_read_the_outbox_cannot_resend(client, failed):
    reader = UserFactory(email="reader@example.jp", contractor=None, is_staff=True)
    reader.user_permissions.add(Permission.objects.get(codename="view_outboxmessage"))
    login_verified_staff(client, reader)
    assert "retry_selected" not in client.get(CHANGELIST).content.decode()

    resend(client, failed)
    failed.refresh_from_db()
    assert failed.status == FAILED and failed.attempts == 8
    assert not AuditEntry.objects.filter(action="email.requeued").exists()
