"""取下げ, 複写して新規作成 and deleting drafts."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections
from django.test import Client
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


def test_copy_opens_the_new_form_filled_in_and_saves_nothing(client, alice, sent):
    client.force_login(alice)
    response = client.get(reverse("applications:copy", args=[sent.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "申込の作成(新規)" in html and "申込の修正" not in html
    assert f"申込 {sent.number} の内容を複写しました。" in html
    assert f'value="{sent.works_name}"' in html
    assert 'value="20,000,000"' in html
    assert f'value="{sent.form_token}"' not in html  # a new form, with its own token
    assert "no-store" in response["Cache-Control"]
    assert Application.objects.count() == 1
    assert not AuditEntry.objects.exists()


def test_saving_the_copy_records_where_it_came_from(client, alice, bob, sent, form_data):
    client.force_login(bob)
    data = form_data(action="draft", works_name="複写した工事")
    response = client.post(reverse("applications:copy", args=[sent.pk]), data)
    copy = Application.objects.exclude(pk=sent.pk).get()
    assert response["Location"] == reverse("applications:edit", args=[copy.pk])
    assert copy.status == Application.Status.DRAFT and copy.number is None
    assert copy.copied_from == sent and copy.created_by == bob
    assert copy.works_name == "複写した工事"
    (guarantee,) = copy.guarantees.all()
    assert (guarantee.kind, guarantee.amount, guarantee.status) == (
        "advance",
        20_000_000,
        "requested",
    )
    entry = AuditEntry.objects.get(action="application.created")
    assert (entry.object_id, entry.user, entry.data) == (
        copy.pk,
        bob,
        {"copied_from": sent.number},
    )
    # The same form again (a double click) saves the same draft.
    client.post(reverse("applications:copy", args=[sent.pk]), data)
    assert Application.objects.count() == 2
    assert AuditEntry.objects.filter(action="application.created").count() == 1


def test_another_companys_application_cannot_be_copied(client, charlie, sent, form_data):
    client.force_login(charlie)
    url = reverse("applications:copy", args=[sent.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, form_data(action="draft")).status_code == 404
    assert Application.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_parallel_posts_of_one_copy_form_save_one_draft_quietly(alice, sent, form_data):
    """Six POSTs of the same copy form at once (a double click, a retry): one draft, no error."""
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writes are exercised on PostgreSQL")
    data = form_data(action="draft")
    url = reverse("applications:copy", args=[sent.pk])

    def post(_):
        client = Client()
        client.force_login(alice)
        try:
            return client.post(url, data).status_code
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = list(pool.map(post, range(6)))
    assert statuses == [302] * 6
    assert Application.objects.filter(copied_from=sent).count() == 1


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
