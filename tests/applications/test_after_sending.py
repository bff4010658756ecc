"""取下げ, 複写して新規作成 and deleting drafts."""

import uuid

import pytest
from django.urls import reverse

from applications.models import Application
from core.models import AuditEntry
from tests.factories import ApplicationFactory, GuaranteeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(alice):
    application = ApplicationFactory(
        contractor=alice.contractor, created_by=alice, status=Application.Status.SENT
    )
    GuaranteeFactory(application=application)
    return application


def test_withdraw_a_sent_application(client, alice, sent):
    client.force_login(alice)
    response = client.post(reverse("applications:withdraw", args=[sent.pk]), follow=True)
    assert "を取り下げました。" in response.content.decode()
    sent.refresh_from_db()
    assert sent.status == Application.Status.WITHDRAWN
    assert AuditEntry.objects.filter(action="application.withdrawn", user=alice).count() == 1
    # Twice is harmless.
    client.post(reverse("applications:withdraw", args=[sent.pk]))
    assert AuditEntry.objects.filter(action="application.withdrawn").count() == 1


@pytest.mark.parametrize("status", ["accepted", "reviewing", "completed", "draft"])
def test_withdraw_is_refused_once_the_branch_has_accepted(client, alice, status):
    application = ApplicationFactory(contractor=alice.contractor, created_by=alice, status=status)
    client.force_login(alice)
    response = client.post(reverse("applications:withdraw", args=[application.pk]), follow=True)
    assert "受付後の申込は取り下げできません。" in response.content.decode()
    application.refresh_from_db()
    assert application.status == status


def test_copy_starts_a_draft_with_the_same_content(client, alice, bob, sent):
    client.force_login(bob)
    token = str(uuid.uuid4())
    response = client.post(reverse("applications:copy", args=[sent.pk]), {"form_token": token})
    copy = Application.objects.exclude(pk=sent.pk).get()
    assert response["Location"] == reverse("applications:edit", args=[copy.pk])
    assert copy.status == Application.Status.DRAFT and copy.number is None
    assert copy.copied_from == sent and copy.created_by == bob
    assert (copy.works_name, copy.obligee, copy.branch) == (
        sent.works_name,
        sent.obligee,
        sent.branch,
    )
    (guarantee,) = copy.guarantees.all()
    assert (guarantee.kind, guarantee.amount, guarantee.status) == (
        "advance",
        20_000_000,
        "requested",
    )
    assert guarantee.number is None
    # A double click copies once.
    client.post(reverse("applications:copy", args=[sent.pk]), {"form_token": token})
    assert Application.objects.count() == 2


def test_delete_a_draft_but_never_a_sent_application(client, alice, sent):
    draft = ApplicationFactory(contractor=alice.contractor, created_by=alice)
    client.force_login(alice)
    client.post(reverse("applications:delete", args=[draft.pk]))
    assert not Application.objects.filter(pk=draft.pk).exists()
    response = client.post(reverse("applications:delete", args=[sent.pk]), follow=True)
    assert "送信済みの申込は削除できません。" in response.content.decode()
    assert Application.objects.filter(pk=sent.pk).exists()


def test_detail_shows_the_timeline_and_company_messages(client, alice, sent):
    sent.company_messages.create(body="工期の記載をご確認ください。")
    client.force_login(alice)
    from core.audit import log_action

    log_action(sent, "application.sent", user=alice)
    log_action(sent, "staff.internal_note", user=None, data={"note": "社内メモ"})
    html = client.get(reverse("applications:detail", args=[sent.pk])).content.decode()
    assert "申込を送信しました" in html
    assert "社内メモ" not in html and "staff.internal_note" not in html
    assert "工期の記載をご確認ください。" in html
    assert "取り下げる" in html
