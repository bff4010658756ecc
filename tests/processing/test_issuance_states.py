"""After 発行 of an electronic guarantee: 発行処理中 while the worker is at it, 発行済 once the
certificate exists, 発行失敗 with the reason when the worker gave up, and 再発行を試みる."""

import datetime
from unittest import mock

import pytest
from celery.exceptions import Retry
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from core.models import AuditEntry
from guarantees import issuance, tasks
from guarantees.models import Certificate, Guarantee
from tests.accounts.otp import login_verified_staff
from tests.factories import UserFactory
from tests.guarantees import conftest as guarantees

pytestmark = pytest.mark.django_db

approved = guarantees.approved
media = guarantees.media

BROKEN = "署名鍵を読み込めません"


def broken_rendering():
    """Every render fails, as when the signing key or a font is missing on the worker."""
    return mock.patch("guarantees.rendering.render_certificate", side_effect=RuntimeError(BROKEN))


def change_url(guarantee):
    return reverse("admin:applications_application_change", args=[guarantee.application_id])


def issue_url(guarantee):
    return reverse(
        "admin:applications_application_issue", args=[guarantee.application_id, guarantee.pk]
    )


def retry_url(guarantee):
    return reverse(
        "admin:applications_application_issue_retry",
        args=[guarantee.application_id, guarantee.pk],
    )


def request_issuance(guarantee, staff):
    """発行 with the task queued to a worker that has not run it yet."""
    with mock.patch.object(tasks.issue_certificate, "delay"):
        issuance.issue_request(guarantee_id=guarantee.pk, user=staff)
    return Guarantee.objects.get(pk=guarantee.pk)


# The worker


def run_on_a_worker(guarantee, *, last_retry: bool):
    """The task as a worker runs it (not in-process): its last retry, or one with retries left
    (the retry it would queue is stopped here, raising Celery's Retry)."""
    task = tasks.issue_certificate
    if last_retry:
        with mock.patch.object(task, "max_retries", 0):
            return task(guarantee.pk)
    with mock.patch.object(task, "retry", side_effect=Retry("queued again")) as retry:
        try:
            return task(guarantee.pk)
        finally:
            assert retry.call_count == 1


def test_the_task_records_the_failure_when_its_last_retry_fails(approved, staff, caplog):
    guarantee = request_issuance(approved, staff)
    with broken_rendering():
        assert run_on_a_worker(guarantee, last_retry=True) is None
    guarantee.refresh_from_db()
    assert guarantee.status == Guarantee.Status.APPROVED
    assert guarantee.issuance_state == "failed"
    assert guarantee.issue_failure_reason == f"RuntimeError: {BROKEN}"
    assert guarantee.issue_failed_at is not None
    assert not Certificate.objects.exists()
    entry = AuditEntry.objects.get(action="guarantee.issue_failed")
    assert entry.user is None and entry.data["reason"] == f"RuntimeError: {BROKEN}"
    assert "no retry is left" in caplog.text


def test_a_failure_with_retries_left_is_retried_and_records_nothing(approved, staff):
    guarantee = request_issuance(approved, staff)
    with broken_rendering(), pytest.raises(Retry):
        run_on_a_worker(guarantee, last_retry=False)
    guarantee.refresh_from_db()
    assert guarantee.issuance_state == "pending" and guarantee.issue_failure_reason == ""
    assert not AuditEntry.objects.filter(action="guarantee.issue_failed").exists()


def test_in_process_the_first_failure_is_recorded(approved, staff):
    guarantee = request_issuance(approved, staff)
    with broken_rendering() as render:
        assert tasks.issue_certificate.apply(args=[guarantee.pk]).get() is None
    assert render.call_count == 1
    assert Guarantee.objects.get(pk=guarantee.pk).issuance_state == "failed"


def test_the_sweep_records_its_failure_once_and_still_issues_later(approved, staff):
    guarantee = request_issuance(approved, staff)
    Guarantee.objects.filter(pk=guarantee.pk).update(
        issue_requested_at=timezone.now() - datetime.timedelta(minutes=10)
    )
    with broken_rendering():
        assert tasks.issue_overdue.apply().get() == []
        assert tasks.issue_overdue.apply().get() == []  # the next sweep tries again
    guarantee.refresh_from_db()
    assert guarantee.issuance_state == "failed"
    assert AuditEntry.objects.filter(action="guarantee.issue_failed").count() == 1
    # The sweep keeps trying a failed issuance: once the cause is gone, it is issued.
    assert len(tasks.issue_overdue.apply().get()) == 1
    guarantee.refresh_from_db()
    assert guarantee.status == Guarantee.Status.ISSUED and guarantee.issuance_state is None


def test_a_failure_after_the_certificate_exists_is_not_recorded(approved, staff):
    guarantee = request_issuance(approved, staff)
    issuance.certificate_issue(guarantee.pk)
    assert issuance.issuance_failed(guarantee.pk, error=RuntimeError("late")) is False
    guarantee.refresh_from_db()
    assert guarantee.issue_failed_at is None and guarantee.issuance_state is None


# 再発行を試みる (the service)


def failed(guarantee, staff):
    guarantee = request_issuance(guarantee, staff)
    issuance.issuance_failed(guarantee.pk, error=RuntimeError(BROKEN))
    return Guarantee.objects.get(pk=guarantee.pk)


def test_a_retry_queues_the_issuance_again_once(
    approved, staff, django_capture_on_commit_callbacks
):
    guarantee = failed(approved, staff)
    before = guarantee.issue_requested_at
    with mock.patch.object(tasks.issue_certificate, "delay") as queued:
        with django_capture_on_commit_callbacks(execute=True):
            issuance.issue_retry(guarantee_id=guarantee.pk, user=staff)
        with (
            pytest.raises(ValidationError) as refused,  # a double click
            django_capture_on_commit_callbacks(execute=True),
        ):
            issuance.issue_retry(guarantee_id=guarantee.pk, user=staff)
    queued.assert_called_once_with(guarantee.pk)
    assert "発行に失敗した電子保証" in refused.value.messages[0]
    guarantee.refresh_from_db()
    assert guarantee.issuance_state == "pending"
    assert guarantee.issue_failure_reason == "" and guarantee.issue_requested_at > before
    entry = AuditEntry.objects.get(action="guarantee.issue_retried")
    assert entry.user == staff and entry.data["number"] == guarantee.number


@pytest.mark.parametrize("state", ["pending", "issued", "paper"])
def test_a_retry_is_refused_unless_the_issuance_failed(approved, staff, state):
    if state == "pending":
        request_issuance(approved, staff)
    elif state == "issued":
        request_issuance(approved, staff)
        issuance.certificate_issue(approved.pk)
    else:
        Guarantee.objects.filter(pk=approved.pk).update(certificate_format="paper")
    with pytest.raises(ValidationError):
        issuance.issue_retry(guarantee_id=approved.pk, user=staff)
    assert not AuditEntry.objects.filter(action="guarantee.issue_retried").exists()


def test_another_branch_cannot_retry(approved, staff, tochigi):
    guarantee = failed(approved, staff)
    other = UserFactory(contractor=None, is_staff=True, branch=tochigi)
    other.user_permissions.add(*Permission.objects.filter(codename="change_application"))
    with pytest.raises(PermissionDenied):
        issuance.issue_retry(guarantee_id=guarantee.pk, user=other)
    assert Guarantee.objects.get(pk=guarantee.pk).issuance_state == "failed"


# The admin


def test_after_issue_the_page_says_what_became_of_it(client, approved, staff):
    login_verified_staff(client, staff)
    # A worker elsewhere has not run the task yet: 発行処理中, and the page updates itself.
    with mock.patch.object(tasks.issue_certificate, "delay"):
        page = client.post(issue_url(approved), follow=True).content.decode()
    assert "の発行処理を開始しました(発行処理中)" in page
    assert 'data-issuance="pending"' in page and ">発行処理中</strong>" in page
    assert "/static/js/admin_issuance.js" in page
    assert "を発行する<" not in page  # asked once
    # The worker issues it: the same page now says 発行済, nothing pending.
    issuance.certificate_issue(approved.pk)
    page = client.get(change_url(approved)).content.decode()
    assert 'data-issuance="pending"' not in page and "発行処理中" not in page
    assert "<dd>発行済</dd>" in page.replace("\n", "").replace("    ", "")


# Committed for real: the in-process worker runs when 発行 commits, before the page is answered.
@pytest.mark.django_db(transaction=True)
def test_an_in_process_worker_has_issued_it_before_the_page_shows(client, approved, staff):
    login_verified_staff(client, staff)
    page = client.post(issue_url(approved), follow=True).content.decode()
    assert f"電子保証 {approved.number} を発行しました(発行済)。" in page
    assert "発行を開始しました" not in page and "発行処理中" not in page


@pytest.mark.django_db(transaction=True)
def test_a_failed_issuance_shows_its_reason_and_a_retry_that_issues(client, approved, staff):
    login_verified_staff(client, staff)
    with broken_rendering():
        page = client.post(issue_url(approved), follow=True).content.decode()
    assert f"電子保証 {approved.number} の発行に失敗しました。" in page
    assert ">発行失敗</strong>" in page and f"RuntimeError: {BROKEN}" in page
    assert "前払金保証の再発行を試みる" in page and retry_url(approved) in page
    assert 'data-issuance="pending"' not in page  # nothing to wait for

    page = client.post(retry_url(approved), follow=True).content.decode()
    assert f"電子保証 {approved.number} を発行しました(発行済)。" in page
    assert "再発行を試みる" not in page and "発行失敗" not in page.split("手続の経過")[0]
    guarantee = Guarantee.objects.get(pk=approved.pk)
    assert guarantee.status == Guarantee.Status.ISSUED
    assert guarantee.certificates.count() == 1
    # Posted again (the back button): refused with a message, nothing queued or issued.
    page = client.post(retry_url(approved), follow=True).content.decode()
    assert "発行に失敗した電子保証" in page
    assert AuditEntry.objects.filter(action="guarantee.issue_retried").count() == 1
    assert Certificate.objects.count() == 1


def test_a_get_of_the_retry_address_changes_nothing(client, approved, staff):
    guarantee = failed(approved, staff)
    login_verified_staff(client, staff)
    response = client.get(retry_url(guarantee))
    assert response.status_code == 302 and response["Location"] == change_url(guarantee)
    assert Guarantee.objects.get(pk=guarantee.pk).issuance_state == "failed"


def test_staff_who_only_view_see_no_retry(client, approved, staff, gunma):
    guarantee = failed(approved, staff)
    viewer = UserFactory(contractor=None, is_staff=True, branch=gunma)
    viewer.user_permissions.add(Permission.objects.get(codename="view_application"))
    login_verified_staff(client, viewer)
    page = client.get(change_url(guarantee)).content.decode()
    assert "発行失敗" in page and "再発行を試みる" not in page
    assert client.post(retry_url(guarantee)).status_code == 403
    assert Guarantee.objects.get(pk=guarantee.pk).issuance_state == "failed"


def test_the_list_shows_pending_and_failed_issuance(client, approved, staff):
    login_verified_staff(client, staff)
    changelist = reverse("admin:applications_application_changelist")
    request_issuance(approved, staff)
    html = client.get(changelist).content.decode()
    assert f"<small>発行処理中</small> {approved.number}" in html
    issuance.issuance_failed(approved.pk, error=RuntimeError(BROKEN))
    html = client.get(changelist, {"guarantee": "failed"}).content.decode()
    assert f"<small>発行失敗</small> {approved.number}" in html
    assert "<small>審査中</small>" in html  # the application's other guarantee
