"""Certificates stay provable for their whole retention (SPEC §5, §7): signed PAdES B-LTA and
judged as of their timestamps, a certificate still verifies as ours — through /verify/,
/api/verify/ and the obligee's page — once the signing certificate has expired, and after the
company rotated its signing key; one issued after the rotation too. A copy with a later document
timestamp is still ours; a content change hidden in a later revision is not."""

import datetime
import hashlib
import io
import re
import shutil
from io import BytesIO

import pytest
import time_machine
from asn1crypto import x509 as asn1_x509
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from pyhanko.pdf_utils.reader import PdfFileReader

from guarantees import signing, trust
from guarantees.models import Receipt
from guarantees.signing import check_signature
from tests.factories import UserFactory
from tests.guarantees.pdfs import (
    add_document_timestamp,
    sign_b_t,
    with_content_added,
)
from tests.guarantees.test_signing import lta_validation

pytestmark = pytest.mark.django_db

PKI_FILES = {
    "SIGNING_KEY_PATH": "signing-key.pem",
    "SIGNING_CERT_PATH": "signing-cert.pem",
    "SIGNING_CA_PATH": "root-ca-cert.pem",
    "ROOT_CA_KEY_PATH": "root-ca-key.pem",
    "ROOT_CRL_PATH": "root-ca.crl",
    "SIGNING_CA_KEY_PATH": "signing-ca-key.pem",
    "SIGNING_CRL_PATH": "signing-ca.crl",
    "SIGNING_PREVIOUS_CERTS_PATH": "previous-signing-certs.pem",
    "TSA_KEY_PATH": "tsa-key.pem",
    "TSA_CERT_PATH": "tsa-cert.pem",
    "TSA_CA_CERT_PATH": "tsa-ca-cert.pem",
    "TSA_CA_KEY_PATH": "tsa-ca-key.pem",
    "TSA_CRL_PATH": "tsa-ca.crl",
}


@pytest.fixture
def own_pki(dev_pki, settings, tmp_path):
    """A copy of the session's PKI for this test alone (it rotates the signing key)."""
    directory = tmp_path / "pki"
    shutil.copytree(dev_pki, directory)
    for name, file_name in PKI_FILES.items():
        setattr(settings, name, directory / file_name)
    yield directory
    signing.reset_signer()


def rotate() -> None:
    call_command("make_dev_ca", "--rotate", verbosity=0, stdout=io.StringIO())
    # A rotation is rolled out by restarting the processes, which read the PKI afresh.
    signing.reset_signer()


def publish_crls() -> None:
    """The CAs publish their CRLs afresh, as they do before each nextUpdate (the clock was moved
    past it): a present-time check needs the current ones."""
    call_command("make_dev_ca", verbosity=0, stdout=io.StringIO())
    signing.reset_signer()


def signing_cert_expiry() -> datetime.datetime:
    return trust.signing_certs()[0].not_valid_after


def common_name(cert: asn1_x509.Certificate) -> str:
    return cert.subject.native["common_name"]


@pytest.fixture
def obligee_client(client, issued):
    """A signed-in user of the certificate's obligee, who received it."""
    obligee = issued.guarantee.application.obligee
    user = UserFactory(email="keiyaku@obligee.example.jp", contractor=None, obligee=obligee)
    Receipt.objects.create(
        certificate=issued, obligee=obligee, received_by=user, received_at=timezone.now()
    )
    client.force_login(user)
    client.obligee_user = user
    return client


def shown(html: str, name: str) -> str:
    return re.search(rf'data-testid="{name}">(.*?)</', html, re.S)[1].strip()


def judged_everywhere(client, obligee_client, issued, pdf: bytes) -> dict:
    """What /verify/, /api/verify/ and the obligee's certificate page say of `pdf`, checked afresh
    (nothing reused from an earlier check)."""
    cache.clear()
    page = client.post(
        "/verify/", {"file": SimpleUploadedFile("c.pdf", pdf, content_type="application/pdf")}
    ).content.decode()
    api = client.post("/api/verify/", pdf, content_type="application/pdf").json()
    # Signed in afresh: a session does not last the years the clock may have been moved.
    obligee_client.force_login(obligee_client.obligee_user)
    detail = obligee_client.get(
        reverse("obligee_portal:certificate", args=[issued.pk])
    ).content.decode()
    return {"page": page, "api": api, "detail": detail}


def assert_ours(judged: dict, *, state: str) -> None:
    page, api, detail = judged["page"], judged["api"], judged["detail"]
    assert shown(page, "verdict") == "当社が発行した保証証書です"
    assert shown(page, "certificate-state") == state
    assert shown(page, "signature") == "有効(当社の署名用証明書)"
    assert shown(page, "timestamp").startswith("有効(")
    assert shown(page, "issued") == "一致します"
    assert api["result"] == "genuine" and api["issued_by_us"] is True
    assert api["signature"]["trusted"] and api["signature"]["by_company"]
    assert api["signature"]["level"] == "B-LTA"
    assert api["timestamp"]["valid"] and api["timestamp"]["document_timestamps"]
    assert re.search(r'data-testid="signature-badge">有効な署名・タイムスタンプ<', detail)
    assert shown(detail, "certificate-state") == state


def test_the_issued_certificate_is_b_lta_and_its_hash_is_the_file_as_issued(issued, issued_pdf):
    assert issued.sha256 == hashlib.sha256(issued_pdf).hexdigest()
    check = check_signature(issued_pdf)
    assert check.valid and check.level == "B-LTA"
    assert len(check.document_timestamps) == 1
    assert lta_validation(issued_pdf).ades_subindic.name == "OK"


def test_the_answer_says_when_it_was_signed_and_until_when_it_is_proven(
    client, obligee_client, issued, issued_pdf
):
    judged = judged_everywhere(client, obligee_client, issued, issued_pdf)

    stamp = judged["api"]["timestamp"]
    tsa_expiry = trust.tsa_certs()[0].not_valid_after
    assert stamp["proven_until"] == tsa_expiry.isoformat()
    signed_at = datetime.datetime.fromisoformat(stamp["time"])
    assert abs(signed_at - timezone.now()) < datetime.timedelta(minutes=5)
    local = timezone.localtime(tsa_expiry)
    assert f"({local:%Y/%m/%d}まで証明)" in shown(judged["page"], "document-timestamps")
    assert f"{local:%Y-%m-%d} まで証明" in judged["detail"]
    assert "タイムスタンプ: 令和" in judged["detail"]


def test_it_still_verifies_once_the_signing_certificate_has_expired(
    own_pki, client, obligee_client, issued, issued_pdf
):
    expiry = signing_cert_expiry()

    with time_machine.travel(expiry + datetime.timedelta(days=30), tick=False):
        assert timezone.now() > expiry
        publish_crls()
        judged = judged_everywhere(client, obligee_client, issued, issued_pdf)
        # The guarantee's period is over by then: the clerk sees 期間満了, of a genuine file.
        assert_ours(judged, state="期間満了")
        assert lta_validation(issued_pdf).ades_subindic.name == "OK"


def test_a_b_t_signature_would_not_have_outlived_the_signing_certificate(own_pki):
    """Why B-LTA: a page signed the old way reads as untrusted after the expiry."""
    old_way = sign_b_t(_unsigned_page())
    assert check_signature(old_way).valid

    with time_machine.travel(signing_cert_expiry() + datetime.timedelta(days=30), tick=False):
        assert not check_signature(old_way).trusted


def _unsigned_page() -> bytes:
    from weasyprint import HTML

    return HTML(string="<p>保証証書</p>").write_pdf()


def a_year_later():
    return time_machine.travel(timezone.now() + datetime.timedelta(days=365), tick=False)


def test_after_a_rotation_earlier_and_later_certificates_are_both_ours(
    own_pki, client, obligee_client, issued, issued_pdf
):
    old_cert = trust.signing_certs()[0]
    with a_year_later():
        rotate()  # the company's yearly rotation (the CA also publishes a new CRL meanwhile)
        new_cert = trust.signing_certs()[0]
        assert new_cert.dump() != old_cert.dump()

        # Issued before the rotation, signed with the old key.
        judged = judged_everywhere(client, obligee_client, issued, issued_pdf)
        assert_ours(judged, state="期間満了")
        assert judged["api"]["signature"]["signer"] == common_name(old_cert)
        # Issued after: signed with the new key.
        later_pdf = signing.sign_pdf(_unsigned_page())
        later = check_signature(later_pdf)
        assert later.valid and later.by_company

    # Both, once the old signing certificate has expired (the new one has not).
    with time_machine.travel(old_cert.not_valid_after + datetime.timedelta(days=30), tick=False):
        publish_crls()
        assert_ours(judged_everywhere(client, obligee_client, issued, issued_pdf), state="期間満了")
        assert check_signature(later_pdf).valid


def test_an_old_certificate_is_not_the_companys_once_its_certificate_is_forgotten(
    own_pki, issued, issued_pdf, settings
):
    rotate()
    settings.SIGNING_PREVIOUS_CERTS_PATH = own_pki / "nowhere.pem"

    check = check_signature(issued_pdf)

    assert check.trusted and not check.by_company and not check.valid


def test_one_issued_after_a_rotation_verifies_past_both_certificates_expiry(
    own_pki, client, approved, staff, django_capture_on_commit_callbacks
):
    from guarantees import issuance

    with a_year_later():
        rotate()
        with django_capture_on_commit_callbacks(execute=True):
            issuance.issue_request(guarantee_id=approved.pk, user=staff)
    certificate = approved.certificates.get()
    with certificate.pdf.open("rb") as stored:
        pdf = stored.read()

    with time_machine.travel(signing_cert_expiry() + datetime.timedelta(days=30), tick=False):
        publish_crls()
        cache.clear()
        api = client.post("/api/verify/", pdf, content_type="application/pdf").json()

    assert api["result"] == "genuine" and api["signature"]["level"] == "B-LTA"
    assert api["signature"]["trusted"] and api["signature"]["by_company"]


def test_a_copy_with_a_later_document_timestamp_is_still_ours(
    own_pki, client, obligee_client, issued, issued_pdf
):
    renewed = add_document_timestamp(issued_pdf)
    assert renewed.startswith(issued_pdf)

    api = judged_everywhere(client, obligee_client, issued, renewed)["api"]

    assert api["result"] == "genuine" and api["signature"]["unmodified"]
    assert len(api["timestamp"]["document_timestamps"]) == 2
    # The file as issued still verifies beside it.
    assert check_signature(issued_pdf).valid

    with time_machine.travel(signing_cert_expiry() + datetime.timedelta(days=30), tick=False):
        publish_crls()
        cache.clear()
        later = client.post("/api/verify/", renewed, content_type="application/pdf").json()
    assert later["result"] == "genuine"


@pytest.mark.parametrize("renewed_first", [False, True], ids=["as issued", "after a renewal"])
def test_a_content_change_hidden_in_a_later_revision_is_tampering(
    client, issued, issued_pdf, renewed_first
):
    base = add_document_timestamp(issued_pdf) if renewed_first else issued_pdf
    changed = with_content_added(base)
    assert changed.startswith(issued_pdf)  # the file as issued is still a prefix

    api = client.post("/api/verify/", changed, content_type="application/pdf").json()

    assert api["result"] == "tampered" and not api["valid"]
    assert api["signature"]["intact"] and not api["signature"]["unmodified"]


def test_the_change_is_tampering_even_when_a_document_timestamp_covers_it(issued, issued_pdf):
    changed = add_document_timestamp(with_content_added(issued_pdf))

    check = check_signature(changed)

    assert check.intact and not check.whole_file and not check.valid


@pytest.fixture
def issued_b_t(approved, staff, django_capture_on_commit_callbacks, monkeypatch):
    """A certificate issued before long-term signatures: signed B-T, no validation data."""
    from guarantees import issuance

    monkeypatch.setattr(signing, "sign_pdf", sign_b_t)
    with django_capture_on_commit_callbacks(execute=True):
        issuance.issue_request(guarantee_id=approved.pk, user=staff)
    monkeypatch.undo()
    certificate = approved.certificates.get()
    with certificate.pdf.open("rb") as stored:
        return certificate, stored.read()


def test_a_certificate_issued_b_t_still_verifies_as_before(client, issued_b_t):
    certificate, pdf = issued_b_t
    assert certificate.sha256 == hashlib.sha256(pdf).hexdigest()
    reader = PdfFileReader(BytesIO(pdf))
    assert "/DSS" not in reader.root and len(reader.embedded_signatures) == 1

    response = client.post(
        "/verify/", {"file": SimpleUploadedFile("c.pdf", pdf, content_type="application/pdf")}
    )
    api = client.post("/api/verify/", pdf, content_type="application/pdf").json()

    html = response.content.decode()
    assert shown(html, "verdict") == "当社が発行した保証証書です"
    assert shown(html, "certificate-state") == "有効"
    assert 'data-testid="document-timestamps"' not in html
    assert api["result"] == "genuine" and api["valid"]
    assert api["signature"]["level"] == "B-T"
    assert api["timestamp"]["document_timestamps"] == []
    assert api["timestamp"]["proven_until"] is None


def test_kept_checks_are_named_by_the_trust_data_crl_and_earlier_certificates_included(own_pki):
    first = trust.fingerprint()

    rotate()
    rotated = trust.fingerprint()
    with time_machine.travel(timezone.now() + datetime.timedelta(days=25), tick=False):
        call_command("make_dev_ca", verbosity=0, stdout=io.StringIO())  # a new CRL
        signing.reset_signer()
        republished = trust.fingerprint()

    assert len({first, rotated, republished}) == 3


def test_the_newest_timestamp_is_judged_now_against_the_tsa_cas_current_crl(
    own_pki, issued_pdf, settings
):
    """The TSA's chain is checked for revocation: once the TSA CA's current CRL lists the TSA's
    certificate, or when the CRL we hold is past its nextUpdate, the file is not proven now."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization

    assert check_signature(issued_pdf).valid
    tsa_ca = x509.load_pem_x509_certificate(settings.TSA_CA_CERT_PATH.read_bytes())
    tsa_ca_key = serialization.load_pem_private_key(
        settings.TSA_CA_KEY_PATH.read_bytes(), password=None
    )
    tsa = x509.load_pem_x509_certificate(settings.TSA_CERT_PATH.read_bytes())
    now = datetime.datetime.now(datetime.UTC)
    revoked = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(tsa_ca.subject)
        .last_update(now - datetime.timedelta(minutes=1))
        .next_update(now + datetime.timedelta(days=30))
        .add_revoked_certificate(
            x509.RevokedCertificateBuilder()
            .serial_number(tsa.serial_number)
            .revocation_date(now - datetime.timedelta(minutes=1))
            .build()
        )
        .sign(tsa_ca_key, hashes.SHA256())
    )
    original = settings.TSA_CRL_PATH.read_bytes()
    settings.TSA_CRL_PATH.write_bytes(revoked.public_bytes(serialization.Encoding.DER))
    signing.reset_signer()
    check = check_signature(issued_pdf)
    assert check.intact and not check.timestamped and not check.valid

    settings.TSA_CRL_PATH.write_bytes(original)
    signing.reset_signer()
    with time_machine.travel(timezone.now() + datetime.timedelta(days=45), tick=False):
        assert not check_signature(issued_pdf).valid  # the CRL we hold is stale
        publish_crls()
        assert check_signature(issued_pdf).valid
