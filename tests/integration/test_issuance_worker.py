"""Issuance with a real worker, its beat, Redis and an SMTP server: approve → 発行 → certificate,
key and e-mail; a worker killed mid-issuance; the broker down when staff issue."""

import threading

import pytest
from django.db import connections, transaction

from applications import services
from guarantees import issuance, keys, signing, tasks
from guarantees import services as guarantee_services
from guarantees.models import Certificate, Guarantee
from tests.factories import ApplicationFactory, GuaranteeFactory
from tests.integration.harness import (
    WorkerConfig,
    publishing_to,
    unreachable_broker_url,
    wait_until,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def worker_config(dev_pki, _media_dir):
    """The worker signs with the suite's development PKI, stores under the suite's media folder,
    and sweeps for unfinished issuance every second (after a grace period of 2 s)."""
    return WorkerConfig(
        beat=True,
        env={
            "PKI_DIR": str(dev_pki),
            "TSA_URL": "",
            "MEDIA_ROOT": str(_media_dir),
            "ISSUANCE_SWEEP_SECONDS": "1",
            "ISSUANCE_SWEEP_GRACE_SECONDS": "2",
            "OUTBOX_SWEEP_SECONDS": "1",
        },
    )


@pytest.fixture
def approved(staff, alice):
    from fees.demo import load_demo_fee_tables

    load_demo_fee_tables()
    application = ApplicationFactory(
        contractor=alice.contractor,
        created_by=alice,
        branch=staff.branch,
        status="sent",
        notify_issuance=True,
        notify_email="soumu@example.jp",
    )
    guarantee = GuaranteeFactory(application=application, certificate_format="electronic")
    services.application_accept(application_id=application.pk, user=staff)
    guarantee_services.guarantee_approve(guarantee_id=guarantee.pk, user=staff)
    return Guarantee.objects.get(pk=guarantee.pk)


def issued(guarantee):
    return Certificate.objects.filter(guarantee=guarantee).first()


def test_issue_with_the_worker_signs_keys_and_mails_the_notice(
    celery_worker, smtp_server, approved, staff
):
    issuance.issue_request(guarantee_id=approved.pk, user=staff)  # commits, then queues
    certificate = wait_until(lambda: issued(approved), what="the certificate")
    with certificate.pdf.open("rb") as stored:
        assert signing.check_signature(stored.read()).valid
    # Received, accepted and approved went to the applicant; the issuance notice to the address
    # the form gave.
    mails = smtp_server.wait_for_messages(3)
    (mail,) = [m for m in mails if m["To"] == "soumu@example.jp"]
    assert approved.number in str(mail["Subject"])
    body = keys.decrypt_key(certificate.key_encrypted)
    assert body not in mail.as_string() and keys.display_key(body) not in mail.as_string()
    assert Guarantee.objects.get(pk=approved.pk).status == Guarantee.Status.ISSUED


def test_a_worker_killed_mid_issuance_and_restarted_issues_exactly_once(
    celery_worker, approved, staff
):
    # Hold the guarantee's row (on SQLite: the write lock) so that the worker's issuance stops
    # inside its transaction; kill the worker there.
    holding, release = threading.Event(), threading.Event()

    def hold():
        try:
            with transaction.atomic():
                Guarantee.objects.select_for_update().filter(pk=approved.pk).update(
                    fee_billing_address=""
                )
                holding.set()
                release.wait(30)
        finally:
            connections.close_all()

    # 発行 recorded with no task queued (the broker unreachable), then the task queued by hand
    # once the row is held, so that the worker certainly starts it while it is held.
    with publishing_to(unreachable_broker_url()):
        issuance.issue_request(guarantee_id=approved.pk, user=staff)
    holder = threading.Thread(target=hold)
    holder.start()
    holding.wait(10)
    offset = celery_worker.log_path.stat().st_size
    tasks.issue_certificate.delay(approved.pk)
    wait_until(
        lambda: "issue_certificate" in celery_worker.log_tail(offset),
        what="the worker to take the issuance task",
    )
    celery_worker.kill()
    release.set()
    holder.join()
    assert issued(approved) is None  # nothing of the killed attempt was committed

    celery_worker.start()  # its beat sweeps for the unfinished issuance
    certificate = wait_until(lambda: issued(approved), timeout=30, what="the sweep to issue it")
    # Let a few more sweeps pass: none may issue it again.
    wait_until(lambda: "issue_overdue" in celery_worker.log_tail(offset), what="a sweep")
    assert Certificate.objects.filter(guarantee=approved).count() == 1
    assert Certificate.objects.get().key_digest == certificate.key_digest


def test_issue_with_the_broker_down_is_issued_once_by_the_sweep(celery_worker, approved, staff):
    with publishing_to(unreachable_broker_url()):
        issuance.issue_request(guarantee_id=approved.pk, user=staff)  # succeeds all the same
    assert Guarantee.objects.get(pk=approved.pk).issue_requested_at is not None
    certificate = wait_until(lambda: issued(approved), timeout=30, what="the sweep to issue it")
    assert certificate.version == 1
    assert Certificate.objects.count() == 1


def test_an_amendment_with_the_worker_issues_a_new_version_and_mails_the_obligee(
    celery_worker, smtp_server, approved, staff
):
    import uuid

    from guarantees import lifecycle, receiving
    from tests.factories import UserFactory

    issuance.issue_request(guarantee_id=approved.pk, user=staff)
    first = wait_until(lambda: issued(approved), what="the certificate")
    obligee_user = UserFactory(
        contractor=None, obligee=approved.application.obligee, email="keiyaku@city.example.jp"
    )
    first_key = keys.display_key(keys.decrypt_key(first.key_encrypted))
    receiving.certificate_receive(
        user=obligee_user, number=approved.number, key=first_key, ip="192.0.2.1"
    )
    smtp_server.wait_for_messages(3)  # accepted, approved, issued

    lifecycle.amendment_request(
        guarantee_id=approved.pk, user=staff, changes={"amount": 18_000_000},
        reason="減額", token=uuid.uuid4(),
    )  # fmt: skip
    second = wait_until(
        lambda: Certificate.objects.filter(guarantee=approved, version=2).first(),
        what="the amended version",
    )
    with second.pdf.open("rb") as stored:
        assert signing.check_signature(stored.read()).valid
    first.refresh_from_db()
    assert first.superseded_at is not None and second.key_digest != first.key_digest
    mails = smtp_server.wait_for_messages(6)  # + the applicant, the notice address, the obligee
    (to_obligee,) = [m for m in mails if m["To"] == obligee_user.email]
    assert approved.number in str(to_obligee["Subject"])
    second_key = keys.display_key(keys.decrypt_key(second.key_encrypted))
    assert all(second_key not in m.as_string() for m in mails)
    assert Guarantee.objects.get(pk=approved.pk).status == Guarantee.Status.AMENDED
