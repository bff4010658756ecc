"""Branch processing services: accept, return, re-send, approve, messages."""

import re

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from applications import services
from applications.models import Application
from core.models import AuditEntry
from guarantees import services as guarantee_services
from guarantees.models import Guarantee
from notifications.models import OutboxMessage
from tests.factories import PERIOD_END_DAY, BranchFactory, UserFactory, days_from_today

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


@pytest.mark.parametrize("status", ["reviewing", "withdrawn", "returned", "completed"])
def test_accept_is_refused_unless_sent(staff, sent_application, status):
    Application.objects.filter(pk=sent_application.pk).update(status=status)
    with pytest.raises(ValidationError) as refused:
        services.application_accept(application_id=sent_application.pk, user=staff)
    assert "受付できません" in refused.value.messages[0]
    assert not AuditEntry.objects.filter(action="application.accepted").exists()


def test_a_draft_is_not_the_branchs_business(staff, sent_application):
    Application.objects.filter(pk=sent_application.pk).update(status="draft")
    with pytest.raises(PermissionDenied):
        services.application_accept(application_id=sent_application.pk, user=staff)
    assert not AuditEntry.objects.exists()


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
    services.application_add_note(
        application_id=sent_application.pk, user=staff, note="社内: 与信確認済"
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


@pytest.fixture
def other_branch_staff(db):
    """Staff of 栃木支店 with every branch-staff permission, but not the head-office one."""
    user = UserFactory(contractor=None, is_staff=True, branch=BranchFactory(code="TG"))
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_application", "change_application"])
    )
    return user


def staff_calls(application):
    advance = application.guarantees.get(kind="advance")
    pk = application.pk
    return {
        "accept": lambda user: services.application_accept(application_id=pk, user=user),
        "return": lambda user: services.application_return(
            application_id=pk, user=user, message="ご確認ください。"
        ),
        "message": lambda user: services.application_post_message(
            application_id=pk, user=user, message="お知らせ"
        ),
        "note": lambda user: services.application_add_note(application_id=pk, user=user, note="x"),
        "approve": lambda user: guarantee_services.guarantee_approve(
            guarantee_id=advance.pk, user=user
        ),
    }


@pytest.mark.parametrize("call", ["accept", "return", "message", "note", "approve"])
@pytest.mark.parametrize("status", ["sent", "reviewing"])
def test_staff_services_refuse_another_branchs_application(
    other_branch_staff, sent_application, fee_tables, call, status
):
    Application.objects.filter(pk=sent_application.pk).update(status=status)
    sent_application.guarantees.update(status="reviewing" if status == "reviewing" else "requested")
    with pytest.raises(PermissionDenied):
        staff_calls(sent_application)[call](other_branch_staff)
    sent_application.refresh_from_db()
    assert sent_application.status == status
    assert not sent_application.company_messages.exists()
    assert not AuditEntry.objects.exists() and not OutboxMessage.objects.exists()
    assert not Guarantee.objects.filter(number__isnull=False).exists()


@pytest.mark.parametrize("call", ["accept", "message", "note"])
def test_staff_services_refuse_staff_who_may_only_view(gunma, sent_application, call):
    viewer = UserFactory(contractor=None, is_staff=True, branch=gunma)
    viewer.user_permissions.add(Permission.objects.get(codename="view_application"))
    with pytest.raises(PermissionDenied):
        staff_calls(sent_application)[call](viewer)
    assert not AuditEntry.objects.exists()


def test_head_office_processes_every_branch(head_office, sent_application):
    services.application_accept(application_id=sent_application.pk, user=head_office)
    sent_application.refresh_from_db()
    assert sent_application.status == Application.Status.REVIEWING


def test_the_model_rules_follow_the_application_through_review(staff, sent_application, fee_tables):
    application = Application.objects.get(pk=sent_application.pk)
    assert application.can_accept and application.can_return and application.can_message
    assert application.approvable_guarantees == []
    services.application_accept(application_id=application.pk, user=staff)
    application = Application.objects.get(pk=sent_application.pk)
    assert not application.can_accept and application.can_return
    assert {g.kind for g in application.approvable_guarantees} == {"advance", "contract"}
    advance = application.guarantees.get(kind="advance")
    guarantee_services.guarantee_approve(guarantee_id=advance.pk, user=staff)
    application = Application.objects.get(pk=sent_application.pk)
    assert application.return_refusal() == "承諾済みの保証がある申込は差し戻せません。"
    assert [g.kind for g in application.approvable_guarantees] == ["contract"]
    with pytest.raises(ValidationError) as refused:
        services.application_return(application_id=application.pk, user=staff, message="x")
    assert refused.value.messages == [application.return_refusal()]


def test_there_is_no_accepted_status():
    # 受付 is the action that starts the review: its result is 審査中.
    assert "accepted" not in Application.Status.values


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("あ" * 2001, "2,000文字以内で入力してください(現在2,001文字)。"),
        ("工期\u2066確認\u2069", "表示の向きを変える制御文字"),
        ("   ", "入力してください"),
    ],
)
@pytest.mark.parametrize("call", ["return", "message", "note"])
def test_staff_texts_are_checked_by_the_services(staff, sent_application, call, text, error):
    calls = {
        "return": lambda: services.application_return(
            application_id=sent_application.pk, user=staff, message=text
        ),
        "message": lambda: services.application_post_message(
            application_id=sent_application.pk, user=staff, message=text
        ),
        "note": lambda: services.application_add_note(
            application_id=sent_application.pk, user=staff, note=text
        ),
    }
    with pytest.raises(ValidationError) as refused:
        calls[call]()
    assert error in refused.value.messages[0]
    sent_application.refresh_from_db()
    assert sent_application.status == Application.Status.SENT
    assert not AuditEntry.objects.exists() and not sent_application.company_messages.exists()
