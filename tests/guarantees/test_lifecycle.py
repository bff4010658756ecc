"""After issuance: 変更 (a new version with a new key), 解約 and 期間満了, as the branch, the worker,
the contractor and the obligee see them."""

import datetime
import subprocess
import threading
import uuid
import zoneinfo
from unittest import mock

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, connections
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError

from core.errors import StateError
from core.models import AuditEntry
from core.wareki import era_date
from guarantees import keys, lifecycle, receiving, tasks
from guarantees.models import Amendment, Certificate, Guarantee, Receipt
from guarantees.selectors import CertificateState, certificate_state
from notifications.models import OutboxMessage
from tests.accounts.otp import login_verified_staff
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def obligee_user(issued):
    return UserFactory(
        contractor=None, obligee=issued.guarantee.application.obligee, full_name="渋川 花子"
    )


def key_of(certificate) -> str:
    return keys.display_key(keys.decrypt_key(certificate.key_encrypted))


def receive(user, certificate, ip="192.0.2.10"):
    return receiving.certificate_receive(
        user=user, number=certificate.guarantee.number, key=key_of(certificate), ip=ip
    )


@pytest.fixture
def received(issued, obligee_user):
    """The obligee registered 第1版."""
    receive(obligee_user, issued)
    return issued


def later(days: int) -> str:
    return (timezone.localdate() + datetime.timedelta(days=days)).isoformat()


def amend(guarantee, staff, capture, token=None, **changes):
    """変更 as the branch confirms it, running the worker's task (eager) after the commit."""
    with capture(execute=True):
        amendment = lifecycle.amendment_request(
            guarantee_id=guarantee.pk,
            user=staff,
            changes=changes,
            reason="工期延長に伴う変更",
            token=token or uuid.uuid4(),
        )
    amendment.refresh_from_db()
    return amendment


def pdf_text(certificate) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", certificate.pdf.path, "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


# --- Amendment ----------------------------------------------------------------------------------


def test_an_amendment_issues_a_new_signed_version_with_a_new_key_and_supersedes_the_old(
    received, staff, obligee_user, django_capture_on_commit_callbacks
):
    guarantee = received.guarantee
    new_end = later(400)
    amendment = amend(
        guarantee, staff, django_capture_on_commit_callbacks,
        amount=18_000_000, period_end=new_end, works_name="市道改良工事(その2)",
    )  # fmt: skip

    version2 = amendment.certificate
    assert version2.version == 2 and version2.is_electronic
    assert version2.key_digest != received.key_digest
    assert version2.snapshot["amount"] == 18_000_000
    assert version2.snapshot["works"]["period_end"] == new_end
    assert version2.snapshot["guarantee_period"]["end"] == new_end  # follows 工期(至)
    assert version2.snapshot["works"]["name"] == "市道改良工事(その2)"
    # What did not change is stated as before.
    assert version2.snapshot["works"]["place"] == received.snapshot["works"]["place"]
    text = pdf_text(version2)
    assert "第2版" in text and "第1版の証書に代わるもの" in text and "18,000,000" in text
    guarantee.refresh_from_db()
    received.refresh_from_db()
    assert guarantee.status == Guarantee.Status.AMENDED and guarantee.amount == 18_000_000
    today = timezone.localdate()
    assert certificate_state(received, today=today) == CertificateState.SUPERSEDED
    assert certificate_state(version2, today=today) == CertificateState.VALID
    entry = AuditEntry.objects.get(action="guarantee.amended")
    assert entry.data["version"] == 2 and entry.data["replaces"] == 1

    # The old key no longer registers; the new one does.
    with pytest.raises(ValidationError, match="確認できませんでした"):
        receive(obligee_user, received)
    assert receive(obligee_user, version2).certificate == version2


def test_the_contractor_and_the_obligee_that_received_it_are_told_without_the_key(
    received, staff, obligee_user, django_capture_on_commit_callbacks
):
    other_obligee_user = UserFactory(contractor=None)  # of another obligee: not told
    amend(
        received.guarantee, staff, django_capture_on_commit_callbacks,
        amount=18_000_000,
    )  # fmt: skip
    version2 = Certificate.objects.get(version=2)
    messages = {m.recipient: m for m in OutboxMessage.objects.filter(template__contains="amended")}
    applicant = received.guarantee.application.sent_by or received.guarantee.application.created_by
    assert set(messages) == {applicant.email, "soumu@example.jp", obligee_user.email}
    assert other_obligee_user.email not in messages
    to_obligee = messages[obligee_user.email]
    assert to_obligee.template == "received_certificate_amended"
    assert "渋川 花子 様" in to_obligee.body_text
    assert "20,000,000円 → 18,000,000円" in to_obligee.body_text
    assert "第1版は「変更済」" in to_obligee.body_text
    to_contractor = messages[applicant.email]
    assert "新しい認証キー" in to_contractor.body_text and "第2版" in to_contractor.subject
    for message in messages.values():
        for body in (message.subject, message.body_text, message.body_html):
            assert key_of(version2) not in body and key_of(received) not in body


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({}, "__all__", "変更する項目がありません"),
        ({"amount": 20_000_000}, "__all__", "変更する項目がありません"),  # the value it has
        ({"amount": 30_000_000}, "amount", "4割"),  # over 40% of 50,000,000
        ({"contract_amount": 10_000_000}, "amount", "4割"),  # the amount now over 40%
        ({"period_end": "2000-01-01"}, "period_end", "工期(至)"),
        ({"period_start": "0001-01-01"}, "period_start", "平成元年1月8日(1989-01-08)から"),
        ({"period_end": "2999-03-31"}, "period_end", "平成元年1月8日(1989-01-08)から"),
    ],
)
def test_amendments_follow_the_sending_rules(issued, staff, changes, field, message):
    guarantee = issued.guarantee
    real_changes = lifecycle.changed_values(
        issued.snapshot,
        {k: datetime.date.fromisoformat(v) if k.startswith("period") else v for k, v in changes.items()},
    )  # fmt: skip
    with pytest.raises(ValidationError) as refused:
        lifecycle.amendment_request(
            guarantee_id=guarantee.pk, user=staff, changes=real_changes, reason="x",
            token=uuid.uuid4(),
        )  # fmt: skip
    assert message in " ".join(refused.value.message_dict[field])
    assert not Amendment.objects.exists()


def test_only_what_a_certificate_states_can_be_amended(issued, staff):
    with pytest.raises(ValidationError, match="変更できない項目"):
        lifecycle.amendment_request(
            guarantee_id=issued.guarantee_id, user=staff, changes={"obligee": "高崎市"},
            reason="x", token=uuid.uuid4(),
        )  # fmt: skip
    assert not Amendment.objects.exists()


def test_the_same_confirmation_twice_records_one_amendment_and_queues_once(
    issued, staff, django_capture_on_commit_callbacks
):
    token = uuid.uuid4()
    queueing = mock.patch.object(tasks.issue_amendment, "delay")
    with queueing as queued, django_capture_on_commit_callbacks(execute=True):
        for _ in range(2):
            lifecycle.amendment_request(
                guarantee_id=issued.guarantee_id, user=staff, changes={"amount": 18_000_000},
                reason="減額", token=token,
            )  # fmt: skip
    assert Amendment.objects.count() == 1 and queued.call_count == 1
    # A second, different amendment waits for the first to be issued.
    with pytest.raises(StateError, match="変更の発行処理中"):
        lifecycle.amendment_request(
            guarantee_id=issued.guarantee_id, user=staff, changes={"amount": 17_000_000},
            reason="減額", token=uuid.uuid4(),
        )  # fmt: skip


@pytest.mark.django_db(transaction=True)
def test_parallel_confirmations_make_one_amendment_and_one_version(approved, staff):
    if connection.vendor != "postgresql":
        pytest.skip("row locks are exercised on PostgreSQL")
    from guarantees import issuance

    issuance.issue_request(guarantee_id=approved.pk, user=staff)  # eager: issued at once
    token, errors, barrier = uuid.uuid4(), [], threading.Barrier(4)

    def confirm():
        try:
            barrier.wait()
            lifecycle.amendment_request(
                guarantee_id=approved.pk, user=staff, changes={"amount": 18_000_000},
                reason="減額", token=token,
            )  # fmt: skip
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=confirm) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Amendment.objects.count() == 1
    assert list(Certificate.objects.order_by("version").values_list("version", flat=True)) == [1, 2]


def test_running_the_amendment_again_changes_nothing(issued, staff):
    with mock.patch.object(tasks.issue_amendment, "delay"):
        amendment = lifecycle.amendment_request(
            guarantee_id=issued.guarantee_id, user=staff, changes={"amount": 18_000_000},
            reason="減額", token=uuid.uuid4(),
        )  # fmt: skip
    first = lifecycle.amendment_issue(amendment.pk)
    assert lifecycle.amendment_issue(amendment.pk) == first
    assert Certificate.objects.count() == 2
    assert (
        OutboxMessage.objects.filter(template="certificate_amended").count() == 2
    )  # account+notice


def test_an_amendment_the_broker_never_got_is_issued_by_the_sweep(
    issued, staff, django_capture_on_commit_callbacks
):
    broken = mock.patch.object(
        tasks.issue_amendment, "delay", side_effect=OperationalError("broker down")
    )
    with broken, django_capture_on_commit_callbacks(execute=True):
        amendment = lifecycle.amendment_request(
            guarantee_id=issued.guarantee_id, user=staff, changes={"amount": 18_000_000},
            reason="減額", token=uuid.uuid4(),
        )  # fmt: skip
    assert lifecycle.amendments_overdue() == []  # within the grace period
    Amendment.objects.filter(pk=amendment.pk).update(
        requested_at=timezone.now() - datetime.timedelta(minutes=10)
    )
    assert len(tasks.issue_overdue.apply().get()) == 1
    assert tasks.issue_overdue.apply().get() == []
    assert Certificate.objects.get(version=2).amendment == amendment


def test_only_issued_guarantees_of_the_staffs_branch_are_amended(approved, staff, tochigi):
    with pytest.raises(StateError, match="変更できません"):
        lifecycle.amendment_request(
            guarantee_id=approved.pk, user=staff, changes={"amount": 1}, reason="x",
            token=uuid.uuid4(),
        )  # fmt: skip
    other_branch = UserFactory(contractor=None, is_staff=True, branch=tochigi)
    with pytest.raises((PermissionDenied, ValidationError)):
        lifecycle.amendment_request(
            guarantee_id=approved.pk, user=other_branch, changes={"amount": 1}, reason="x",
            token=uuid.uuid4(),
        )  # fmt: skip


def test_a_paper_guarantee_is_amended_as_a_new_printable_version(
    approved, staff, django_capture_on_commit_callbacks
):
    from guarantees import issuance

    Guarantee.objects.filter(pk=approved.pk).update(certificate_format="paper")
    issuance.issue_request(guarantee_id=approved.pk, user=staff)
    issuance.paper_handover(guarantee_id=approved.pk, user=staff)
    amend(approved, staff, django_capture_on_commit_callbacks, amount=18_000_000)
    version2 = Certificate.objects.get(version=2)
    assert not version2.is_electronic and version2.key_digest is None
    assert Certificate.objects.get(version=1).superseded_at is not None


# --- Cancellation -------------------------------------------------------------------------------


def test_a_cancelled_guarantee_no_longer_registers_and_everyone_is_told(
    received, staff, obligee_user
):
    today = timezone.localdate()
    lifecycle.guarantee_cancel(
        guarantee_id=received.guarantee_id, user=staff, cancelled_on=today, reason="契約解除"
    )
    guarantee = Guarantee.objects.get(pk=received.guarantee_id)
    assert guarantee.status == Guarantee.Status.CANCELLED and guarantee.cancelled_on == today
    received.refresh_from_db()
    assert certificate_state(received, today=today) == CertificateState.CANCELLED
    templates = set(OutboxMessage.objects.values_list("template", "recipient"))
    assert ("received_certificate_cancelled", obligee_user.email) in templates
    assert any(t == "certificate_cancelled" for t, _ in templates)
    # Cancelling again with the same date (a double click) changes nothing.
    lifecycle.guarantee_cancel(
        guarantee_id=received.guarantee_id, user=staff, cancelled_on=today, reason="契約解除"
    )
    assert AuditEntry.objects.filter(action="guarantee.cancelled").count() == 1
    with pytest.raises(StateError, match="解約できません"):
        lifecycle.guarantee_cancel(
            guarantee_id=received.guarantee_id, user=staff,
            cancelled_on=today - datetime.timedelta(days=1), reason="x",
        )  # fmt: skip
    with pytest.raises(StateError, match="変更できません"):
        lifecycle.amendment_request(
            guarantee_id=received.guarantee_id, user=staff, changes={"amount": 1},
            reason="x", token=uuid.uuid4(),
        )  # fmt: skip
    # A newly registering obligee user is refused like for any unknown pair.
    with pytest.raises(ValidationError, match="確認できませんでした"):
        receive(UserFactory(contractor=None, obligee=obligee_user.obligee), received)


@pytest.mark.parametrize("days", [1, -3650])
def test_a_cancellation_date_is_not_in_the_future_nor_before_issue(issued, staff, days):
    with pytest.raises(ValidationError) as refused:
        lifecycle.guarantee_cancel(
            guarantee_id=issued.guarantee_id, user=staff,
            cancelled_on=timezone.localdate() + datetime.timedelta(days=days), reason="x",
        )  # fmt: skip
    assert "解約日" in " ".join(refused.value.message_dict["cancelled_on"])
    assert Guarantee.objects.get(pk=issued.guarantee_id).status == Guarantee.Status.ISSUED


def test_no_cancellation_while_an_amendment_is_being_issued(issued, staff):
    with mock.patch.object(tasks.issue_amendment, "delay"):
        lifecycle.amendment_request(
            guarantee_id=issued.guarantee_id, user=staff, changes={"amount": 18_000_000},
            reason="減額", token=uuid.uuid4(),
        )  # fmt: skip
    with pytest.raises(StateError, match="変更の発行処理中は解約できません"):
        lifecycle.guarantee_cancel(
            guarantee_id=issued.guarantee_id, user=staff, cancelled_on=timezone.localdate(),
            reason="x",
        )  # fmt: skip


# --- Expiry -------------------------------------------------------------------------------------


def test_the_nightly_sweep_marks_ended_guarantees_expired_once(issued, staff):
    end = datetime.date.fromisoformat(issued.snapshot["guarantee_period"]["end"])
    tokyo = zoneinfo.ZoneInfo("Asia/Tokyo")
    last_minute = datetime.datetime.combine(end, datetime.time(23, 59), tzinfo=tokyo)
    with time_machine.travel(last_minute, tick=False):
        assert lifecycle.guarantees_expire() == []  # the last day is still covered
    the_day_after = datetime.datetime.combine(
        end + datetime.timedelta(days=1), datetime.time(0, 30), tzinfo=tokyo
    )
    with time_machine.travel(the_day_after, tick=False):
        assert tasks.expire_guarantees.apply().get() == [issued.guarantee_id]
        assert tasks.expire_guarantees.apply().get() == []
    assert Guarantee.objects.get(pk=issued.guarantee_id).status == Guarantee.Status.EXPIRED
    assert AuditEntry.objects.filter(action="guarantee.expired").count() == 1


def test_the_sweep_follows_the_version_in_force_and_leaves_cancelled_ones(
    issued, staff, django_capture_on_commit_callbacks
):
    old_end = datetime.date.fromisoformat(issued.snapshot["guarantee_period"]["end"])
    amend(
        issued.guarantee, staff, django_capture_on_commit_callbacks,
        period_end=(old_end + datetime.timedelta(days=30)).isoformat(),
    )  # fmt: skip
    assert lifecycle.guarantees_expire(today=old_end + datetime.timedelta(days=1)) == []
    Guarantee.objects.filter(pk=issued.guarantee_id).update(status="cancelled")
    assert lifecycle.guarantees_expire(today=old_end + datetime.timedelta(days=60)) == []


def test_the_expiry_sweep_is_scheduled_nightly(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["guarantee-expiry"]
    assert entry["task"] == "guarantees.tasks.expire_guarantees"
    assert entry["schedule"].hour == {0} and entry["schedule"].minute == {30}


# --- The admin ----------------------------------------------------------------------------------


def test_the_admin_amends_after_a_confirmation_listing_the_changes(
    client, issued, staff, django_capture_on_commit_callbacks
):
    login_verified_staff(client, staff)
    application = issued.guarantee.application
    change = client.get(reverse("admin:applications_application_change", args=[application.pk]))
    url = reverse(
        "admin:applications_application_amend", args=[application.pk, issued.guarantee_id]
    )
    assert url in change.content.decode() and "前払金保証を変更する" in change.content.decode()
    form = client.get(url)
    assert form.status_code == 200 and 'value="20,000,000"' in form.content.decode().replace(
        'value="20000000"', 'value="20,000,000"'
    )
    data = {
        "amount": "１８，０００，０００円",
        "contract_amount": "50,000,000",
        "works_name": issued.snapshot["works"]["name"],
        "works_place": issued.snapshot["works"]["place"],
        "period_start": issued.snapshot["works"]["period_start"],
        "period_end": issued.snapshot["works"]["period_end"],
        "reason": "減額",
        "token": str(uuid.uuid4()),
    }
    confirm = client.post(url, data)
    html = confirm.content.decode()
    assert 'data-testid="amendment-changes"' in html and "18,000,000円" in html
    assert "新しい認証キー" in html and not Amendment.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(url, {**data, "confirm": "1"}, follow=True)
    assert "変更を受け付けました" in done.content.decode()
    assert Certificate.objects.filter(version=2).exists()
    again = client.post(url, {**data, "confirm": "1"}, follow=True)  # double click / back button
    assert "変更を受け付けました" in again.content.decode()
    assert Amendment.objects.count() == 1


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("amount", "100000000000000000000", "1兆円未満"),
        ("works_name", "工事\x00名", "NUL文字"),
        ("period_end", "99999-01-01", ""),
    ],
)
def test_bad_input_on_the_amendment_form_is_an_error_on_the_field(
    client, issued, staff, field, value, message
):
    login_verified_staff(client, staff)
    url = reverse(
        "admin:applications_application_amend",
        args=[issued.guarantee.application_id, issued.guarantee_id],
    )
    data = {
        "amount": "18,000,000", "contract_amount": "50,000,000", "works_name": "工事",
        "works_place": "", "period_start": issued.snapshot["works"]["period_start"],
        "period_end": issued.snapshot["works"]["period_end"], "reason": "理由を残す",
        "token": str(uuid.uuid4()), field: value,
    }  # fmt: skip
    response = client.post(url, {**data, "confirm": "1"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "errornote" in html and message in html and "理由を残す" in html
    assert not Amendment.objects.exists()


def test_the_admin_cancels_after_a_confirmation(client, issued, staff):
    login_verified_staff(client, staff)
    url = reverse(
        "admin:applications_application_cancel",
        args=[issued.guarantee.application_id, issued.guarantee_id],
    )
    today = timezone.localdate().isoformat()
    data = {"cancelled_on": today, "reason": "契約解除"}
    confirm = client.post(url, data)
    assert 'data-testid="cancellation"' in confirm.content.decode()
    assert Guarantee.objects.get(pk=issued.guarantee_id).status == Guarantee.Status.ISSUED
    done = client.post(url, {**data, "confirm": "1"}, follow=True)
    assert "を解約しました" in done.content.decode()
    again = client.post(url, {**data, "confirm": "1"}, follow=True)
    assert "を解約しました" in again.content.decode()
    assert Guarantee.objects.get(pk=issued.guarantee_id).status == Guarantee.Status.CANCELLED


def test_the_obligee_sees_the_amendment_and_its_difference(
    client, received, staff, obligee_user, django_capture_on_commit_callbacks
):
    amend(received.guarantee, staff, django_capture_on_commit_callbacks, amount=18_000_000)
    client.force_login(obligee_user)
    home = client.get(reverse("obligee_portal:home")).content.decode()
    assert "変更済" in home
    detail = client.get(reverse("obligee_portal:certificate", args=[received.pk])).content.decode()
    assert "第2版" in detail and "20,000,000円" in detail and "18,000,000円" in detail
    assert Receipt.objects.count() == 1  # the new version is received with its new key


def test_the_admin_reads_amendment_and_cancellation_dates_typed_in_wareki(client, issued, staff):
    login_verified_staff(client, staff)
    guarantee = issued.guarantee
    end = datetime.date.fromisoformat(issued.snapshot["works"]["period_end"])
    new_end = end + datetime.timedelta(days=30)
    typed_end = f"{era_date(new_end)}"  # e.g. 令和9年4月18日
    url = reverse(
        "admin:applications_application_amend", args=[guarantee.application_id, guarantee.pk]
    )
    data = {
        "amount": "20,000,000", "contract_amount": "50,000,000",
        "works_name": issued.snapshot["works"]["name"], "works_place": issued.snapshot["works"]["place"],
        "period_start": issued.snapshot["works"]["period_start"], "period_end": typed_end,
        "reason": "工期延長", "token": str(uuid.uuid4()),
    }  # fmt: skip
    confirm = client.post(url, data)
    html = confirm.content.decode()
    assert confirm.status_code == 200 and "errornote" not in html
    assert era_date(new_end) in html and new_end.isoformat() in html
    # Carried to the confirmation as the date read, not as typed.
    assert f'type="hidden" name="period_end" value="{new_end.isoformat()}"' in html

    cancel = reverse(
        "admin:applications_application_cancel", args=[guarantee.application_id, guarantee.pk]
    )
    refused = client.post(cancel, {"cancelled_on": "平成32年1月1日", "reason": "契約解除"})
    assert "平成32年1月1日は存在しません" in refused.content.decode()
    assert Guarantee.objects.get(pk=guarantee.pk).status != Guarantee.Status.CANCELLED
