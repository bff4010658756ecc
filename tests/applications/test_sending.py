"""申込確認 → 送信完了: sending once, whatever the user does twice."""

import datetime
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from applications import services
from applications.models import Application
from core.models import AuditEntry
from core.sequences import fiscal_year
from notifications.models import OutboxMessage
from tests.factories import ApplicationFactory, GuaranteeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(client, alice, form_data):
    client.force_login(alice)
    client.post(reverse("applications:new"), form_data())
    return Application.objects.get()


def test_confirm_shows_the_summary_with_yen_and_percentages(client, draft):
    html = client.get(reverse("applications:confirm", args=[draft.pk])).content.decode()
    assert "申込確認" in html
    assert "20,000,000円" in html and "50,000,000円" in html
    assert "40.0%" in html
    assert "電子保証(認証キーを含む)" in html
    assert reverse("applications:edit", args=[draft.pk]) in html  # 修正する
    assert "送信する" in html


def test_send_numbers_the_application_queues_the_notice_and_audits(client, alice, draft):
    response = client.post(reverse("applications:submit", args=[draft.pk]))
    assert response["Location"] == reverse("applications:sent", args=[draft.pk])

    draft.refresh_from_db()
    assert draft.status == Application.Status.SENT
    assert draft.number.startswith(f"A{fiscal_year(timezone.localdate())}-")
    assert draft.sent_at is not None and draft.sent_by == alice
    message = OutboxMessage.objects.get()
    # To the sender's own account, not to the notice address typed into the form.
    assert message.recipient == alice.email
    assert message.subject == f"【ネットデスク】保証申込を受け付けました({draft.number})"
    assert "群馬支店へ送信しました" in message.body_text
    assert "20,000,000円" in message.body_html
    assert message.status == OutboxMessage.Status.PENDING
    entry = AuditEntry.objects.get(action="application.sent")
    assert entry.user == alice and entry.data["number"] == draft.number

    html = client.get(response["Location"]).content.decode()
    assert "送信完了" in html and draft.number in html


def test_sending_twice_sends_once(client, draft):
    url = reverse("applications:submit", args=[draft.pk])
    first, second = client.post(url), client.post(url)
    assert first["Location"] == second["Location"]
    assert Application.objects.filter(status="sent").count() == 1
    assert OutboxMessage.objects.count() == 1
    assert AuditEntry.objects.filter(action="application.sent").count() == 1


def test_the_confirm_page_of_a_sent_application_goes_to_the_sent_page(client, draft):
    client.post(reverse("applications:submit", args=[draft.pk]))
    response = client.get(reverse("applications:confirm", args=[draft.pk]))
    assert response["Location"] == reverse("applications:sent", args=[draft.pk])


def test_the_form_of_a_sent_application_cannot_change_it(client, draft, form_data):
    client.post(reverse("applications:submit", args=[draft.pk]))
    # The browser's back button brings back the first form with its token: posting it again
    # must neither change the sent application nor create another.
    again = form_data(form_token=str(draft.form_token), works_name="書き換え")
    response = client.post(reverse("applications:new"), again, follow=True)
    assert "送信済のため変更できません" in response.content.decode()
    assert Application.objects.get().works_name == "市道1号線道路改良工事"
    edit = client.get(reverse("applications:edit", args=[draft.pk]))
    assert edit["Location"] == reverse("applications:detail", args=[draft.pk])


def test_numbers_count_up(client, alice, form_data):
    client.force_login(alice)
    numbers = []
    for _ in range(3):
        client.post(reverse("applications:new"), form_data())
        application = Application.objects.latest("id")
        client.post(reverse("applications:submit", args=[application.pk]))
        application.refresh_from_db()
        numbers.append(application.number)
    serials = [int(n.rsplit("-", 1)[1]) for n in numbers]
    assert serials == [serials[0], serials[0] + 1, serials[0] + 2]


def test_rules_are_checked_again_when_sending(client, draft, shibukawa):
    # The obligee stopped accepting e-guarantees between confirm and send.
    shibukawa.e_advance_since = None
    shibukawa.save()
    response = client.post(reverse("applications:submit", args=[draft.pk]), follow=True)
    assert "渋川市は前払金保証の電子保証に対応していません" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == Application.Status.DRAFT and draft.number is None
    assert OutboxMessage.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_concurrent_sends_make_one_application(alice, form_data, client):
    if connection.vendor != "postgresql":
        pytest.skip("row locks are exercised on PostgreSQL")
    client.force_login(alice)
    client.post(reverse("applications:new"), form_data())
    application = Application.objects.get()
    barrier = threading.Barrier(4)
    errors = []

    def send():
        try:
            barrier.wait()
            services.application_submit(application_id=application.pk, user=alice)
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    application.refresh_from_db()
    assert application.status == Application.Status.SENT
    assert OutboxMessage.objects.count() == 1
    assert AuditEntry.objects.filter(action="application.sent").count() == 1


def test_an_application_saved_with_a_date_of_year_one_is_not_sent(client, alice, shibukawa, branch):
    """Dates saved before the range existed are refused by the send service too."""
    application = ApplicationFactory(contractor=alice.contractor, created_by=alice)
    GuaranteeFactory(application=application)
    Application.objects.filter(pk=application.pk).update(contract_date=datetime.date(1, 1, 1))
    with pytest.raises(ValidationError) as refused:
        services.application_submit(application_id=application.pk, user=alice)
    assert any("平成元年1月8日(1989-01-08)から" in m for m in refused.value.messages)
    application.refresh_from_db()
    assert application.status == Application.Status.DRAFT and application.number is None
    client.force_login(alice)
    page = client.get(reverse("applications:confirm", args=[application.pk])).content.decode()
    assert "平成元年1月8日(1989-01-08)から" in page
