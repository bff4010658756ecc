"""Certificates stay provable: the nightly renewal adds a document timestamp with fresh validation
data to every stored certificate whose newest timestamp's TSA certificate expires within the
margin, brings certificates signed B-T up to B-LTA, replaces the stored file atomically (a run
killed at any step is finished by the next), and is audited and reported in the admin."""

import datetime
import hashlib
import io
import re
from io import BytesIO

import pytest
import time_machine
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pyhanko.pdf_utils.reader import PdfFileReader

from core.models import AuditEntry
from guarantees import renewal, signing, trust
from guarantees.models import Certificate, RenewalRun
from guarantees.signing import check_signature
from tests.accounts.otp import login_verified_staff
from tests.guarantees import test_long_term, test_signing
from tests.guarantees.pdfs import with_content_added
from tests.guarantees.test_signing import lta_validation, pdfsig
from tests.processing import conftest as processing

pytestmark = pytest.mark.django_db

# Fixtures shared with the tests of long-term signatures and of signing, and the staff groups.
own_pki = test_long_term.own_pki
obligee_client = test_long_term.obligee_client
issued_b_t = test_long_term.issued_b_t
nss_db = test_signing.nss_db
groups = processing.groups
head_office_staff = processing.head_office_staff


@pytest.fixture
def b_t(issued_b_t):
    """A certificate signed B-T before long-term signatures, as the migration that added
    proven_until left it (empty)."""
    certificate, pdf = issued_b_t
    Certificate.objects.filter(pk=certificate.pk).update(proven_until=None)
    certificate.refresh_from_db()
    return certificate, pdf


def stored(certificate: Certificate) -> bytes:
    certificate.refresh_from_db()
    with certificate.pdf.open("rb") as file:
        return file.read()


def body(response) -> bytes:
    assert response.status_code == 200
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def document_timestamps(pdf: bytes) -> int:
    return len(PdfFileReader(BytesIO(pdf)).embedded_timestamp_signatures)


def files(media) -> set[str]:
    return {str(path.relative_to(media)) for path in media.rglob("*.pdf")}


def tsa_expiry() -> datetime.datetime:
    return trust.tsa_certs()[0].not_valid_after


def near_tsa_expiry(days: int = 100):
    """The clock moved to within the margin (180 days) of the TSA certificate's expiry."""
    return time_machine.travel(tsa_expiry() - datetime.timedelta(days=days), tick=False)


def rotate_tsa() -> None:
    """A new TSA certificate in place (the signing certificate, long expired by then, is
    replaced by the same command, and the CA publishes a current CRL)."""
    call_command("make_dev_ca", "--rotate-tsa", verbosity=0, stdout=io.StringIO())
    signing.reset_signer()


def run() -> RenewalRun:
    cache.delete(renewal.LOCK_KEY)
    result = renewal.renewal_run()
    assert result is not None
    return result


def test_an_issued_certificate_records_until_when_it_is_proven(issued, issued_pdf):
    assert issued.proven_until == tsa_expiry()
    assert issued.proven_until == signing.proven_until(issued_pdf)
    assert issued.proven_until > timezone.now() + datetime.timedelta(days=365 * 9)


def test_nothing_is_renewed_far_from_any_expiry(issued, issued_pdf, media):
    result = run()

    assert (result.renewed, result.skipped, result.failed) == (0, 0, 0)
    assert result.finished_at is not None
    assert stored(issued) == issued_pdf


def test_within_the_margin_with_a_new_tsa_each_certificate_gets_exactly_one_timestamp(
    own_pki,
    issued,
    issued_pdf,
    media,
    client,
    obligee_client,
    nss_db,
    tmp_path,
):
    # A superseded version is renewed too: the obligee keeps it.
    Certificate.objects.filter(pk=issued.pk).update(superseded_at=issued.issued_at)
    with near_tsa_expiry():
        old_expiry = tsa_expiry()
        rotate_tsa()
        assert tsa_expiry() > old_expiry

        result = run()

        assert (result.renewed, result.upgraded, result.skipped, result.failed) == (1, 0, 0, 0)
        renewed = stored(issued)
        assert renewed.startswith(issued_pdf)
        assert document_timestamps(renewed) == document_timestamps(issued_pdf) + 1 == 2
        issued.refresh_from_db()
        assert issued.proven_until == tsa_expiry()
        assert issued.sha256 == hashlib.sha256(issued_pdf).hexdigest()  # never changes
        assert issued.file_sha256 == hashlib.sha256(renewed).hexdigest()
        assert issued.renewed_at == timezone.now()
        # The new bytes only: the file they replaced is gone, nothing pending.
        assert files(media) == {issued.pdf.name}
        assert not (issued.pending_pdf or issued.replaced_pdf)

        check = check_signature(renewed)
        assert check.valid and check.level == "B-LTA" and len(check.document_timestamps) == 2
        assert check.proven_until == tsa_expiry()
        # The file the obligee downloaded before the renewal is still ours.
        assert check_signature(issued_pdf).valid
        # (Anyone's: the signed-in session would have ended in the years the clock moved.)
        anyone = Client()
        api = anyone.post("/api/verify/", issued_pdf, content_type="application/pdf").json()
        assert api["result"] == "genuine" and api["issued_by_us"]
        api = anyone.post("/api/verify/", renewed, content_type="application/pdf").json()
        assert api["result"] == "genuine" and api["issued_by_us"]
        assert lta_validation(renewed).ades_subindic.name == "OK"

        # The obligee's download and the contractor's serve the renewed bytes.
        obligee_client.force_login(obligee_client.obligee_user)
        response = obligee_client.get(reverse("obligee_portal:certificate_pdf", args=[issued.pk]))
        assert body(response) == renewed
        contractor = issued.guarantee.application.created_by
        client.force_login(contractor)
        response = client.get(reverse("guarantees:certificate_pdf", args=[issued.pk]))
        assert body(response) == renewed

        # Run again: nothing more.
        again = run()
        assert (again.renewed, again.skipped, again.failed) == (0, 0, 0)
        assert stored(issued) == renewed

    # Audited on the certificate, and the run as a whole.
    entry = AuditEntry.objects.get(action="certificate.renewed")
    assert entry.object_id == issued.pk
    assert entry.data["version"] == 1 and entry.data["upgraded"] is False
    assert AuditEntry.objects.filter(action="renewal.finished").count() == 2

    # poppler finds the signature valid and every document timestamp covering what it should.
    report = pdfsig(renewed, nss_db, tmp_path)
    assert "Signature Validation: Signature is Valid." in report
    assert report.count("Net Desk Development TSA") >= 2
    assert "Digest Mismatch" not in report and "Signature is Invalid" not in report


def test_past_the_old_tsa_certificates_expiry_the_renewed_file_is_still_proven(
    own_pki,
    issued,
    media,
):
    with near_tsa_expiry():
        old_expiry = tsa_expiry()
        rotate_tsa()
        run()
    renewed = stored(issued)

    with time_machine.travel(old_expiry + datetime.timedelta(days=30), tick=False):
        test_long_term.publish_crls()
        check = check_signature(renewed)

    assert check.valid and check.level == "B-LTA"


def test_without_a_new_tsa_certificate_nothing_is_renewed_and_the_run_says_why(
    own_pki,
    issued,
    issued_pdf,
    media,
):
    with near_tsa_expiry():
        result = run()

    assert (result.renewed, result.skipped) == (0, 1)
    assert "タイムスタンプ局の証明書" in result.note
    assert stored(issued) == issued_pdf


def test_a_certificate_signed_b_t_is_brought_up_to_b_lta(b_t, media, nss_db, tmp_path):
    certificate, pdf = b_t
    assert certificate.proven_until is None

    result = run()

    assert (result.renewed, result.upgraded, result.failed) == (1, 1, 0)
    renewed = stored(certificate)
    assert renewed.startswith(pdf)
    reader = PdfFileReader(BytesIO(renewed))
    assert "/DSS" in reader.root and len(reader.embedded_timestamp_signatures) == 1
    check = check_signature(renewed)
    assert check.valid and check.level == "B-LTA"
    assert certificate.proven_until == tsa_expiry()
    assert lta_validation(renewed).ades_subindic.name == "OK"
    report = pdfsig(renewed, nss_db, tmp_path)
    assert "Signature Validation: Signature is Valid." in report
    assert "Digest Mismatch" not in report
    assert AuditEntry.objects.get(action="certificate.renewed").data["upgraded"] is True
    # Now B-LTA and proven for years: the next run leaves it.
    assert run().renewed == 0


class Killed(BaseException):
    """The worker dying: not an error the run could catch and go on from."""


def test_killed_between_writing_and_recording_the_next_run_finishes_it(
    b_t,
    media,
    monkeypatch,
):
    certificate, pdf = b_t
    original = certificate.pdf.name

    def killed(self, items):
        raise Killed

    monkeypatch.setattr(renewal._Run, "record", killed)
    with pytest.raises(Killed):
        renewal.renewal_run()
    monkeypatch.undo()

    # The new file is written, not recorded: the certificate still serves the old bytes.
    certificate.refresh_from_db()
    assert certificate.pdf.name == original and stored(certificate) == pdf
    assert certificate.pending_pdf and files(media) == {original, certificate.pending_pdf}
    with default_storage.open(certificate.pending_pdf) as file:
        written = file.read()

    result = run()

    assert (result.renewed, result.upgraded, result.failed) == (1, 1, 0)
    renewed = stored(certificate)
    assert renewed == written  # recorded as written: no second timestamp
    assert document_timestamps(renewed) == 1 and check_signature(renewed).valid
    assert files(media) == {certificate.pdf.name}


def test_killed_half_way_through_writing_the_next_run_renews_afresh(
    b_t,
    media,
    monkeypatch,
):
    certificate, pdf = b_t
    original = certificate.pdf.name

    def half_written(name, data):
        default_storage.save(name, io.BytesIO(data[: len(data) // 2]))
        raise Killed

    monkeypatch.setattr(renewal, "_write", half_written)
    with pytest.raises(Killed):
        renewal.renewal_run()
    monkeypatch.undo()
    certificate.refresh_from_db()
    assert certificate.pdf.name == original and stored(certificate) == pdf
    assert len(files(media)) == 2

    result = run()

    assert (result.renewed, result.failed) == (1, 0)
    renewed = stored(certificate)
    assert document_timestamps(renewed) == 1 and check_signature(renewed).valid
    assert files(media) == {certificate.pdf.name}  # the half-written file is gone too


def test_killed_before_the_replaced_file_was_deleted_the_next_run_deletes_it(
    b_t,
    media,
    monkeypatch,
):
    certificate, _pdf = b_t

    def killed(self, items):
        raise Killed

    monkeypatch.setattr(renewal._Run, "drop_replaced", killed)
    with pytest.raises(Killed):
        renewal.renewal_run()
    monkeypatch.undo()
    certificate.refresh_from_db()
    assert certificate.replaced_pdf and len(files(media)) == 2
    renewed = stored(certificate)

    result = run()

    assert (result.renewed, result.failed) == (0, 0)
    assert stored(certificate) == renewed
    assert files(media) == {certificate.pdf.name}
    assert not certificate.replaced_pdf


def test_a_second_run_while_one_is_going_on_does_nothing(b_t, media):
    cache.set(renewal.LOCK_KEY, "another", 60)

    assert renewal.renewal_run() is None
    assert not RenewalRun.objects.exists()


def test_a_content_change_hidden_in_a_later_revision_is_caught(
    own_pki,
    issued,
    issued_pdf,
    media,
):
    with near_tsa_expiry():
        rotate_tsa()
        run()
    renewed = stored(issued)

    changed = with_content_added(renewed)
    check = check_signature(changed)
    assert check.intact and not check.whole_file and not check.valid

    # A stored file changed behind our back is not stamped over: the run reports it.
    with default_storage.open(issued.pdf.name, "wb") as file:
        file.write(changed)
    with time_machine.travel(tsa_expiry() - datetime.timedelta(days=100), tick=False):
        rotate_tsa()
        result = run()
    assert (result.renewed, result.failed) == (0, 1)
    assert result.failures[0]["certificate"] == issued.pk
    assert "一致しません" in result.failures[0]["reason"]
    assert stored(issued) == changed


def test_one_failure_does_not_stop_the_others_and_is_reported(b_t, issue_for, alice, media):
    broken = issue_for(alice)  # a factory certificate: its file is not signed
    Certificate.objects.filter(pk=broken.pk).update(proven_until=None)

    result = renewal.renewal_run(batch_size=1)

    assert (result.renewed, result.failed) == (1, 1)
    assert result.failures[0]["certificate"] == broken.pk
    assert result.failures[0]["reason"]
    assert result.failures[0]["name"].endswith("第1版")


def test_head_office_sees_each_run_with_its_failures_and_nobody_edits_one(
    client, head_office_staff
):
    run = RenewalRun.objects.create(
        started_at=timezone.now(),
        finished_at=timezone.now(),
        margin_days=180,
        renewed=3,
        failed=1,
        failures=[{"certificate": 1, "name": "GM-2026-000001 第1版", "reason": "ValueError: x"}],
    )
    # One stopped half-way the night before; one going on now.
    RenewalRun.objects.create(
        started_at=timezone.now() - datetime.timedelta(days=1), margin_days=180
    )
    RenewalRun.objects.create(
        started_at=timezone.now() + datetime.timedelta(seconds=1), margin_days=180
    )
    login_verified_staff(client, head_office_staff)

    listed = client.get(reverse("admin:guarantees_renewalrun_changelist")).content.decode()
    assert "実行中" in listed and "中断" in listed
    detail = client.get(
        reverse("admin:guarantees_renewalrun_change", args=[run.pk])
    ).content.decode()

    assert "タイムスタンプ更新の実行" in listed
    assert "GM-2026-000001 第1版" in detail and "ValueError: x" in detail
    assert 'name="_save"' not in detail
    assert client.get(reverse("admin:guarantees_renewalrun_add")).status_code == 403


def queue(client) -> dict[str, str]:
    html = client.get(reverse("admin:index")).content.decode()
    return dict(re.findall(r'data-testid="queue-(\w+)">([\d,]+)件<', html))


def test_the_work_queue_counts_failures_and_certificates_left_unrenewed(
    client, head_office_staff, b_t, issue_for, alice, media
):
    login_verified_staff(client, head_office_staff)
    # Before any run: the B-T certificate is due.
    assert queue(client).get("renewal_overdue") == "1"
    assert "renewal_failed" not in queue(client)

    broken = issue_for(alice)
    Certificate.objects.filter(pk=broken.pk).update(proven_until=None)
    run()

    shown = queue(client)
    assert shown["renewal_failed"] == "1"
    assert shown["renewal_overdue"] == "1"  # the broken one; the B-T one is renewed

    Certificate.objects.filter(pk=broken.pk).delete()
    run()
    assert not {"renewal_failed", "renewal_overdue"} & set(queue(client))


def test_make_dev_ca_rotates_the_tsa_and_keeps_the_old_certificate_for_validation(
    own_pki,
):
    old_cert, old_key = trust.tsa_certs()[0], (own_pki / "tsa-key.pem").read_bytes()
    signing_cert = trust.signing_certs()[0]

    rotate_tsa()

    new_certs = trust.tsa_certs()
    assert new_certs[0].dump() != old_cert.dump() and new_certs[1].dump() == old_cert.dump()
    assert (own_pki / "tsa-key.pem").read_bytes() != old_key
    assert new_certs[0].not_valid_after > old_cert.not_valid_after
    assert trust.signing_certs()[0].dump() == signing_cert.dump()  # the signing pair stays
    assert check_signature(signing.sign_pdf(_page())).valid  # stamped by the new TSA


def _page() -> bytes:
    from weasyprint import HTML

    return HTML(string="<p>保証証書</p>").write_pdf()


def test_the_command_runs_the_renewal_now(b_t, media):
    out = io.StringIO()

    call_command("renew_certificates", stdout=out)

    assert "更新 1件(うちB-LTA化 1件)、対象外 0件、失敗 0件。" in out.getvalue()
    assert RenewalRun.objects.get().renewed == 1
