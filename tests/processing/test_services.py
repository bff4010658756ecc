"""Branch processing services: accept, return, re-send, approve, messages."""

import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from applications import services
from applications.models import Application
from core.models import AuditEntry
from guarantees import services as guarantee_services
from guarantees.models import Guarantee
from notifications.models import OutboxMessage
from tests.factories import PERIOD_END_DAY, days_from_today

pytestmark = pytest.mark.django_db


def actions(application):
    return list(
        AuditEntry.objects.filter(object_id=application.pk).values_list("action", flat=True)
    )


def test_accept_puts_the_application_and_its_guarantees_in_review(staff, alice, sent_application):
    services.application_accept(application_id=sent_application.pk, user=staff)
    sent_application.refresh_from_db()
    assert sent_application.status == Application.Status.REVIEWING
    assert set(sent_application.guarantees.values_list("status", flat=True)) == {"reviewing"}
    entry = AuditEntry.objects.get(action="application.accepted")
    assert entry.user == staff
    message = OutboxMessage.objects.get(template="application_accepted")
    # The applicant's own account address; the notice address is only for the issuance notice.
    assert message.recipient == alice.email
    assert "審査を開始しました" in message.body_text


@pytest.mark.parametrize("status", ["reviewing", "withdrawn", "returned", "draft", "completed"])
def test_accept_is_refused_unless_sent(staff, sent_application, status):
    Application.objects.filter(pk=sent_application.pk).update(status=status)
    with pytest.raises(ValidationError) as refused:
        services.application_accept(application_id=sent_application.pk, user=staff)
    assert "受付できません" in refused.value.messages[0]
    assert not AuditEntry.objects.filter(action="application.accepted").exists()


def test_return_then_correct_and_resend_keeps_number_and_history(
    client, alice, staff, sent_application, form_data
):
    number = sent_application.number
    services.application_accept(application_id=sent_application.pk, user=staff)
    services.application_return(
        application_id=sent_application.pk, user=staff, message="工期の終期をご確認ください。"
    )
    sent_application.refresh_from_db()
    assert sent_application.status == Application.Status.RETURNED
    assert sent_application.company_messages.get().body == "工期の終期をご確認ください。"
    mail = OutboxMessage.objects.get(template="application_returned")
    assert "工期の終期をご確認ください。" in mail.body_text

    # The contractor sees the message on the dashboard and in the form, corrects and re-sends.
    client.force_login(alice)
    dashboard = client.get(reverse("applications:dashboard")).content.decode()
    assert "差戻し" in dashboard and "工期の終期をご確認ください。" in dashboard
    edit_url = reverse("applications:edit", args=[sent_application.pk])
    form_page = client.get(edit_url).content.decode()
    assert "工期の終期をご確認ください。" in form_page
    corrected_end = days_from_today(PERIOD_END_DAY + 12)
    data = form_data(
        form_token=str(sent_application.form_token), period_end=corrected_end.isoformat()
    )
    assert client.post(edit_url, data)["Location"] == reverse(
        "applications:confirm", args=[sent_application.pk]
    )
    client.post(reverse("applications:submit", args=[sent_application.pk]))
    sent_application.refresh_from_db()
    assert sent_application.status == Application.Status.SENT
    assert sent_application.number == number
    assert sent_application.period_end == corrected_end
    assert actions(sent_application) == [
        "application.accepted",
        "application.returned",
        "guarantee.removed",  # the corrected form asks for the advance payment only
        "application.updated",
        "application.resent",
    ]
    assert AuditEntry.objects.get(action="guarantee.removed").data == {"kind": "contract"}
    assert "period_end" in AuditEntry.objects.get(action="application.updated").data["fields"]
    assert OutboxMessage.objects.filter(template="application_received").count() == 1


def test_return_needs_a_message(staff, sent_application):
    with pytest.raises(ValidationError):
        services.application_return(application_id=sent_application.pk, user=staff, message="  ")
    sent_application.refresh_from_db()
    assert sent_application.status == Application.Status.SENT


def test_approve_assigns_the_number_and_freezes_the_fee(staff, sent_application, fee_tables):
    services.application_accept(application_id=sent_application.pk, user=staff)
    advance = sent_application.guarantees.get(kind="advance")
    guarantee_services.guarantee_approve(guarantee_id=advance.pk, user=staff)
    advance.refresh_from_db()
    assert advance.status == Guarantee.Status.APPROVED
    assert re.fullmatch(r"GM-20\d\d-000001", advance.number)
    assert advance.fee > 0
    assert advance.fee_breakdown["fee"] == advance.fee
    assert advance.approved_at is not None
    entry = AuditEntry.objects.get(action="guarantee.approved")
    assert entry.data == {"kind": "advance", "number": advance.number, "fee": advance.fee}
    mail = OutboxMessage.objects.get(template="guarantee_approved")
    assert advance.number in mail.subject and f"{advance.fee:,}円" in mail.body_text

    # A later change of the rate table does not change the approved fee.
    from fees.models import FeeTier

    FeeTier.objects.update(rate="0.9")
    advance.refresh_from_db()
    assert advance.fee == entry.data["fee"]


def test_approve_twice_is_refused(staff, sent_application, fee_tables):
    services.application_accept(application_id=sent_application.pk, user=staff)
    advance = sent_application.guarantees.get(kind="advance")
    guarantee_services.guarantee_approve(guarantee_id=advance.pk, user=staff)
    with pytest.raises(ValidationError) as refused:
        guarantee_services.guarantee_approve(guarantee_id=advance.pk, user=staff)
    assert "すでに承諾です" in refused.value.messages[0]
    assert Guarantee.objects.filter(number__isnull=False).count() == 1


@pytest.mark.parametrize("status", ["sent", "withdrawn", "returned"])
def test_approve_is_refused_outside_review(staff, sent_application, fee_tables, status):
    Application.objects.filter(pk=sent_application.pk).update(status=status)
    advance = sent_application.guarantees.get(kind="advance")
    with pytest.raises(ValidationError):
        guarantee_services.guarantee_approve(guarantee_id=advance.pk, user=staff)
    advance.refresh_from_db()
    assert advance.number is None and advance.fee is None


def test_return_is_refused_once_a_guarantee_is_approved(staff, sent_application, fee_tables):
    services.application_accept(application_id=sent_application.pk, user=staff)
    advance = sent_application.guarantees.get(kind="advance")
    guarantee_services.guarantee_approve(guarantee_id=advance.pk, user=staff)
    with pytest.raises(ValidationError):
        services.application_return(application_id=sent_application.pk, user=staff, message="x")


def test_contractor_sees_status_number_and_timeline(
    client, alice, staff, sent_application, fee_tables
):
    services.application_accept(application_id=sent_application.pk, user=staff)
    advance = sent_application.guarantees.get(kind="advance")
    guarantee_services.guarantee_approve(guarantee_id=advance.pk, user=staff)
    services.application_post_message(
        application_id=sent_application.pk, user=staff, message="社内: 与信確認済", internal=True
    )
    services.application_post_message(
        application_id=sent_application.pk, user=staff, message="証書は本日発行予定です。"
    )
    advance.refresh_from_db()
    client.force_login(alice)
    detail = client.get(reverse("applications:detail", args=[sent_application.pk])).content.decode()
    assert advance.number in detail and "承諾" in detail and f"{advance.fee:,}円" in detail
    assert "営業部・支店が申込を受け付けました" in detail
    assert f"前払金保証を承諾しました(保証契約番号 {advance.number})" in detail
    assert "証書は本日発行予定です。" in detail
    assert "与信確認済" not in detail
    assert staff.full_name not in detail and "(群馬支店)" in detail
    dashboard = client.get(reverse("applications:dashboard")).content.decode()
    assert advance.number in dashboard and "審査中" in dashboard
