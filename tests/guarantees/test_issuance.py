"""Issuing certificates: 発行 by the branch, the worker's idempotent issuance, paper, the sweep."""

import datetime
import hashlib
import logging
import threading
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, connections
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError

from applications.models import Application
from core.models import AuditEntry
from guarantees import issuance, keys, signing, tasks
from guarantees.models import Certificate, Guarantee
from notifications.models import OutboxMessage
from tests.accounts.otp import login_verified_staff
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def issue(guarantee, staff, capture):
    """発行 as the branch does it, running what is queued after the commit (eager tasks)."""
    with capture(execute=True):
        issuance.issue_request(guarantee_id=guarantee.pk, user=staff)
    guarantee.refresh_from_db()
    return guarantee


def pdf_bytes(certificate) -> bytes:
    with certificate.pdf.open("rb") as stored:
        return stored.read()


def stored_files(media):
    return sorted(p.relative_to(media).as_posix() for p in media.rglob("*") if p.is_file())


def test_issuing_an_electronic_guarantee_signs_keys_stores_and_tells_the_contractor(
    approved, staff, django_capture_on_commit_callbacks, media
):
    guarantee = issue(approved, staff, django_capture_on_commit_callbacks)

    assert guarantee.status == Guarantee.Status.ISSUED
    certificate = guarantee.certificates.get()
    assert certificate.version == 1
    assert certificate.certificate_format == "electronic"
    pdf = pdf_bytes(certificate)
    assert hashlib.sha256(pdf).hexdigest() == certificate.sha256
    check = signing.check_signature(pdf)
    assert check.valid and check.timestamped
    # The key: stored as a digest and encrypted, readable back, never in clear.
    body = keys.decrypt_key(certificate.key_encrypted)
    assert keys.key_digest(body) == certificate.key_digest
    assert len(certificate.verify_token) >= 22
    # The frozen copy of what it certifies.
    snapshot = certificate.snapshot
    assert snapshot["number"] == guarantee.number
    assert snapshot["amount"] == 20_000_000
    assert snapshot["obligee"]["name"] == approved.application.obligee.name
    assert snapshot["deposit_bank"] == approved.deposit_bank
    # Stored under the name of the version.
    assert stored_files(media) == [f"certificates/{guarantee.number}/{guarantee.number}-v1.pdf"]
    # The contract guarantee is still in review: the application is not complete yet.
    assert Application.objects.get(pk=approved.application_id).status == "reviewing"
    assert set(AuditEntry.objects.values_list("action", flat=True)) >= {
        "guarantee.issue_requested",
        "guarantee.issued",
    }
    notice = OutboxMessage.objects.get(template="certificate_issued")
    assert notice.recipient == "soumu@example.jp"
    assert "電子保証発行完了のお知らせ" in notice.subject
    assert guarantee.number in notice.body_text
    for text in (notice.subject, notice.body_text, notice.body_html):
        assert body not in text and keys.display_key(body) not in text


def test_the_application_is_complete_when_all_its_guarantees_are_issued(
    approved, approve, staff, django_capture_on_commit_callbacks
):
    issue(approved, staff, django_capture_on_commit_callbacks)
    contract = approve(approved.application.guarantees.get(kind="contract"))
    issuance.issue_request(guarantee_id=contract.pk, user=staff)  # paper: printed
    assert Application.objects.get(pk=approved.application_id).status == "reviewing"
    issuance.paper_handover(guarantee_id=contract.pk, user=staff)
    assert Application.objects.get(pk=approved.application_id).status == "completed"


def test_no_issuance_notice_when_the_contractor_did_not_ask_for_it(
    approved, staff, django_capture_on_commit_callbacks
):
    Application.objects.filter(pk=approved.application_id).update(notify_issuance=False)
    issue(approved, staff, django_capture_on_commit_callbacks)
    assert not OutboxMessage.objects.filter(template="certificate_issued").exists()


@pytest.mark.parametrize("status", ["reviewing", "issued", "cancelled"])
def test_issue_is_refused_unless_approved(approved, staff, status):
    Guarantee.objects.filter(pk=approved.pk).update(status=status)
    with pytest.raises(ValidationError) as refused:
        issuance.issue_request(guarantee_id=approved.pk, user=staff)
    assert "発行できません" in refused.value.messages[0]
    assert not Certificate.objects.exists()
    assert not AuditEntry.objects.filter(action="guarantee.issue_requested").exists()


def test_issue_twice_is_refused_the_second_time_and_queues_once(approved, staff):
    with mock.patch.object(tasks.issue_certificate, "delay"):
        issuance.issue_request(guarantee_id=approved.pk, user=staff)
        with pytest.raises(ValidationError) as refused:
            issuance.issue_request(guarantee_id=approved.pk, user=staff)
    assert "発行処理中" in refused.value.messages[0]


def test_another_branch_cannot_issue(approved, tochigi):
    from django.contrib.auth.models import Permission

    from tests.factories import UserFactory

    other = UserFactory(contractor=None, is_staff=True, branch=tochigi)
    other.user_permissions.add(*Permission.objects.filter(codename="change_application"))
    with pytest.raises(PermissionDenied):
        issuance.issue_request(guarantee_id=approved.pk, user=other)
    assert Guarantee.objects.get(pk=approved.pk).issue_requested_at is None


def test_running_the_issuance_again_changes_nothing(
    approved, staff, django_capture_on_commit_callbacks, media
):
    guarantee = issue(approved, staff, django_capture_on_commit_callbacks)
    first = guarantee.certificates.get()
    again = issuance.certificate_issue(guarantee.pk)
    tasks.issue_certificate.apply(args=[guarantee.pk]).get()
    assert again == first
    assert Certificate.objects.count() == 1
    assert Certificate.objects.get().key_digest == first.key_digest
    assert OutboxMessage.objects.filter(template="certificate_issued").count() == 1
    assert len(stored_files(media)) == 1


def test_an_issuance_killed_half_way_leaves_nothing_and_its_retry_one_version(
    approved, staff, media
):
    with mock.patch.object(tasks.issue_certificate, "delay"):
        issuance.issue_request(guarantee_id=approved.pk, user=staff)
    # Dies after the PDF was stored, before the version is recorded (the transaction rolls back).
    with (
        mock.patch.object(Certificate.objects, "create", side_effect=RuntimeError("killed")),
        pytest.raises(RuntimeError),
    ):
        issuance.certificate_issue(approved.pk)
    assert not Certificate.objects.exists()
    assert Guarantee.objects.get(pk=approved.pk).status == "approved"
    certificate = issuance.certificate_issue(approved.pk)
    # The retry wrote over the dead attempt's file: one file, the one the version records.
    assert stored_files(media) == [certificate.pdf.name]
    assert hashlib.sha256(pdf_bytes(certificate)).hexdigest() == (certificate.sha256)
    assert Certificate.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_issuing_at_once_make_one_version_and_one_key(approved, staff):
    if connection.vendor != "postgresql":
        pytest.skip("row locks are exercised on PostgreSQL")
    with mock.patch.object(tasks.issue_certificate, "delay"):
        issuance.issue_request(guarantee_id=approved.pk, user=staff)
    results, barrier = [], threading.Barrier(3)

    def work():
        try:
            barrier.wait()
            results.append(issuance.certificate_issue(approved.pk).pk)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 3 and len(set(results)) == 1
    assert Certificate.objects.count() == 1


def test_a_request_the_broker_never_got_is_issued_once_by_the_sweep(
    approved, staff, django_capture_on_commit_callbacks, caplog
):
    broken = mock.patch.object(
        tasks.issue_certificate, "delay", side_effect=OperationalError("broker down")
    )
    with broken, django_capture_on_commit_callbacks(execute=True):
        issuance.issue_request(guarantee_id=approved.pk, user=staff)  # the request still succeeds
    assert "periodic sweep will do it" in caplog.text
    assert not Certificate.objects.exists()
    # Not before the grace period (a queued task may simply be waiting for a worker) ...
    assert issuance.issuance_overdue() == []
    # ... then the sweep issues it, and a second sweep finds nothing to do.
    Guarantee.objects.filter(pk=approved.pk).update(
        issue_requested_at=timezone.now() - datetime.timedelta(minutes=10)
    )
    issued = tasks.issue_overdue.apply().get()
    assert len(issued) == 1
    assert tasks.issue_overdue.apply().get() == []
    assert Certificate.objects.count() == 1
    assert Guarantee.objects.get(pk=approved.pk).status == "issued"


def test_the_key_is_in_no_log_record_and_no_email_of_a_whole_issuance(
    approved, staff, django_capture_on_commit_callbacks, caplog
):
    caplog.set_level(logging.DEBUG)
    guarantee = issue(approved, staff, django_capture_on_commit_callbacks)
    body = keys.decrypt_key(guarantee.certificates.get().key_encrypted)
    forms = {body, keys.display_key(body), body.lower()}
    logged = "\n".join(record.getMessage() for record in caplog.records)
    mails = "\n".join(
        f"{m.subject}\n{m.body_text}\n{m.body_html}" for m in OutboxMessage.objects.all()
    )
    audited = "\n".join(str(data) for data in AuditEntry.objects.values_list("data", flat=True))
    for text in (logged, mails, audited):
        assert not any(form in text for form in forms)


# Paper


def test_paper_is_printed_unsigned_and_issued_when_handed_over(
    approved, approve, staff, sent_application
):
    contract = approve(sent_application.guarantees.get(kind="contract"))
    issuance.issue_request(guarantee_id=contract.pk, user=staff)
    contract.refresh_from_db()
    assert contract.status == "approved"  # printed, not yet handed over
    certificate = contract.certificates.get()
    assert certificate.certificate_format == "paper"
    assert certificate.key_digest is None and certificate.key_encrypted == ""
    assert not signing.check_signature(pdf_bytes(certificate)).signed
    assert certificate.handed_over_at is None
    with pytest.raises(ValidationError):  # printing twice: record the handover instead
        issuance.issue_request(guarantee_id=contract.pk, user=staff)

    issuance.paper_handover(guarantee_id=contract.pk, user=staff)
    contract.refresh_from_db()
    assert contract.status == "issued"
    assert contract.certificates.get().handed_over_at is not None
    with pytest.raises(ValidationError):
        issuance.paper_handover(guarantee_id=contract.pk, user=staff)
    assert AuditEntry.objects.filter(action="guarantee.issued").count() == 1


def test_a_handover_needs_a_printed_certificate(approved, approve, staff, sent_application):
    contract = approve(sent_application.guarantees.get(kind="contract"))
    with pytest.raises(ValidationError):
        issuance.paper_handover(guarantee_id=contract.pk, user=staff)
    with pytest.raises(ValidationError):  # electronic guarantees are never handed over
        issuance.paper_handover(guarantee_id=approved.pk, user=staff)


def test_the_database_ties_a_key_to_exactly_the_electronic_versions(
    approved, staff, django_capture_on_commit_callbacks
):
    from django.db import IntegrityError, transaction

    certificate = issue(approved, staff, django_capture_on_commit_callbacks).certificates.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        Certificate.objects.filter(pk=certificate.pk).update(key_digest=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        Certificate.objects.filter(pk=certificate.pk).update(certificate_format="paper")


# The admin


def test_the_admin_asks_before_issuing_and_then_issues(
    client, approved, staff, django_capture_on_commit_callbacks
):
    login_verified_staff(client, staff)
    application = approved.application
    change = client.get(reverse("admin:applications_application_change", args=[application.pk]))
    url = reverse("admin:applications_application_issue", args=[application.pk, approved.pk])
    assert url in change.content.decode()
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert approved.number in html and "発行する" in html and "電子署名" in html
    assert not Certificate.objects.exists()  # looking issues nothing
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(url, follow=True)
    assert "発行処理を開始しました(発行処理中)" in done.content.decode()
    certificate = Certificate.objects.get()
    pdf = client.get(
        reverse(
            "admin:applications_application_certificate_pdf",
            args=[application.pk, certificate.pk],
        )
    )
    assert pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content if pdf.streaming else [pdf.content]).startswith(b"%PDF")
    # A second POST (double click) is refused with a message, nothing more happens.
    again = client.post(url, follow=True)
    assert "発行できません" in again.content.decode()
    assert Certificate.objects.count() == 1


def test_the_branch_prints_the_fee_statement_the_contractor_asked_for_on_paper(
    client, approved, staff, tochigi
):
    Guarantee.objects.filter(pk=approved.pk).update(fee_statement_paper=True)
    login_verified_staff(client, staff)
    application = approved.application
    change = client.get(reverse("admin:applications_application_change", args=[application.pk]))
    url = reverse(
        "admin:applications_application_fee_statement_pdf", args=[application.pk, approved.pk]
    )
    assert url in change.content.decode()
    pdf = client.get(url)
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    # The contract guarantee is not approved: it has no statement yet.
    contract = application.guarantees.get(kind="contract")
    missing = reverse(
        "admin:applications_application_fee_statement_pdf", args=[application.pk, contract.pk]
    )
    assert client.get(missing).status_code == 404


def test_staff_without_the_view_permission_download_no_certificate_or_fee_statement(
    client, approved, staff, gunma, django_capture_on_commit_callbacks
):
    """A staff account of the branch not yet given its role (no permission) is refused the
    documents as it is the application itself, not let through by the branch alone."""
    certificate = issue(approved, staff, django_capture_on_commit_callbacks).certificates.get()
    application = approved.application
    newcomer = UserFactory(contractor=None, is_staff=True, branch=gunma)
    login_verified_staff(client, newcomer)
    change = reverse("admin:applications_application_change", args=[application.pk])
    assert client.get(change).status_code == 403
    for name, args in [
        ("admin:applications_application_certificate_pdf", [application.pk, certificate.pk]),
        ("admin:applications_application_fee_statement_pdf", [application.pk, approved.pk]),
    ]:
        response = client.get(reverse(name, args=args))
        assert response.status_code == 403, name
        assert response["Content-Type"] != "application/pdf"


@pytest.mark.parametrize("certificate_format", ["electronic", "paper"])
def test_issue_is_refused_with_the_reason_when_a_date_has_no_era_form(
    approved, staff, media, certificate_format
):
    """A contract date of year 1 (saved before the dates had a range) would print a blank
    「契約日」: 発行 says why instead, and nothing is rendered, signed or queued."""
    Guarantee.objects.filter(pk=approved.pk).update(certificate_format=certificate_format)
    Application.objects.filter(pk=approved.application_id).update(
        contract_date=datetime.date(1, 1, 1)
    )
    with (
        mock.patch.object(tasks.issue_certificate, "delay") as queued,
        pytest.raises(ValidationError) as refused,
    ):
        issuance.issue_request(guarantee_id=approved.pk, user=staff)
    assert refused.value.messages == [
        "契約日(0001-01-01)を和暦で表せないため、保証証書を作成できません。"
        "申込内容の日付をご確認ください。"
    ]
    assert not queued.called
    assert not Certificate.objects.exists() and stored_files(media) == []
    approved.refresh_from_db()
    assert approved.status == Guarantee.Status.APPROVED and approved.issue_requested_at is None
