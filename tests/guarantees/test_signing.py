"""PAdES B-LTA signatures: what pyHanko and poppler make of a signed certificate, and what
check_signature tells an obligee about any PDF they upload."""

import asyncio
import datetime
import random
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from io import BytesIO
from unittest import mock

import pytest
from asn1crypto import x509 as asn1_x509
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.ades.report import AdESPassed
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.timestamps import HTTPTimeStamper, dummy_client
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.ades import ades_lta_validation
from pyhanko_certvalidator import ValidationContext
from weasyprint import HTML

from guarantees import signing, trust
from guarantees.signing import SignatureCheck, check_signature, sign_pdf
from tests.guarantees.pdfs import flip_byte_in_signed_range, signed_by_another_ca

CERTIFICATE_HTML = """<!doctype html><html lang="ja"><meta charset="utf-8">
<style>body { font-family: "IPAexMincho"; }</style>
<h1>前払金保証証書</h1><p>保証契約番号 GM-2026-000001</p><p>保証金額 金20,000,000円</p>
"""


@pytest.fixture(scope="module")
def certificate_pdf() -> bytes:
    return HTML(string=CERTIFICATE_HTML).write_pdf()


@pytest.fixture(scope="module")
def signed_pdf(certificate_pdf) -> bytes:
    return sign_pdf(certificate_pdf)


@pytest.fixture(scope="module")
def nss_db(tmp_path_factory):
    """An NSS database trusting our CA, as poppler's pdfsig reads trust from one."""
    directory = tmp_path_factory.mktemp("nss")
    certutil = shutil.which("certutil")
    assert certutil, "certutil is missing: install libnss3-tools (make debs-test)"
    run = [certutil, "-d", f"sql:{directory}"]
    subprocess.run([*run, "-N", "--empty-password"], check=True, capture_output=True)
    subprocess.run(
        [*run, "-A", "-n", "netdesk-ca", "-t", "C,C,C", "-i", str(settings.SIGNING_CA_PATH)],
        check=True,
        capture_output=True,
    )
    return f"sql:{directory}"


def pdfsig(pdf: bytes, nss_db: str, tmp_path) -> str:
    path = tmp_path / "checked.pdf"
    path.write_bytes(pdf)
    result = subprocess.run(
        ["pdfsig", "-nssdir", nss_db, str(path)], capture_output=True, text=True, check=False
    )
    return result.stdout + result.stderr


def pyhanko_status(pdf: bytes):
    embedded = PdfFileReader(BytesIO(pdf)).embedded_signatures[0]
    ca = load_cert_from_pemder(settings.SIGNING_CA_PATH)
    context = ValidationContext(trust_roots=[ca])
    # Through the same guard as the application: after the browser tests, Playwright's event
    # loop is running in this thread.
    return embedded, signing._outside_event_loop(validate_pdf_signature, embedded, context)


def lta_validation(pdf: bytes):
    """pyHanko's own ETSI LTA validation, with our root CA as the only trust root and no
    fetching, as of the newest document timestamp (as check_signature runs it)."""
    reader = PdfFileReader(BytesIO(pdf))
    embedded = reader.embedded_signatures[0]
    timing = signing.long_term_timing(reader.embedded_timestamp_signatures[-1])
    spec = trust.lta_validation_spec()
    return signing._outside_event_loop(
        lambda: asyncio.run(ades_lta_validation(embedded, spec, timing_info=timing))
    )


def test_pyhanko_finds_a_trusted_pades_signature_with_a_trusted_timestamp(signed_pdf):
    embedded, status = pyhanko_status(signed_pdf)

    assert status.bottom_line
    assert status.intact and status.valid and status.trusted
    # After the signed revision: the validation data and the document timestamp, nothing else.
    assert status.modification_level == ModificationLevel.LTA_UPDATES
    assert embedded.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
    assert embedded.sig_object["/Reason"] == "保証証書の発行"
    assert embedded.sig_object["/Name"] == settings.SURETY_COMPANY["name"]
    assert embedded.field_name == "SuretySignature"
    subject = embedded.signer_cert.subject.native
    assert subject["common_name"] == settings.SURETY_COMPANY["name"]
    assert subject["organization_name"] == settings.SURETY_COMPANY["name"]
    assert subject["country_name"] == "JP"
    # B-T: the signer info carries an RFC 3161 token over the signature value, from a TSA that
    # chains to the same CA.
    unsigned = embedded.signer_info["unsigned_attrs"]
    assert [attr["type"].native for attr in unsigned] == ["signature_time_stamp_token"]
    stamp = status.timestamp_validity
    assert stamp.intact and stamp.valid and stamp.trusted
    tsa = stamp.signing_cert.subject.native["common_name"]
    assert tsa == "Net Desk Development TSA"
    assert abs(stamp.timestamp - datetime.datetime.now(datetime.UTC)) < datetime.timedelta(
        minutes=5
    )


def test_the_signature_is_followed_by_validation_data_and_a_document_timestamp(signed_pdf):
    reader = PdfFileReader(BytesIO(signed_pdf))
    signature, stamp = reader.embedded_signatures

    assert signature.field_name == "SuretySignature"
    assert stamp.sig_object["/Type"] == "/DocTimeStamp"
    assert stamp.sig_object["/SubFilter"] == "/ETSI.RFC3161"
    assert stamp.signed_revision == signature.signed_revision + 1
    # The document timestamp covers every byte of the file as issued.
    *_, last_start, last_length = stamp.sig_object["/ByteRange"]
    assert last_start + last_length == len(signed_pdf)
    dss = reader.root["/DSS"]
    names = {
        asn1_x509.Certificate.load(cert.get_object().data).subject.native["common_name"]
        for cert in dss["/Certs"]
    }
    assert names == {
        settings.SURETY_COMPANY["name"],
        "Net Desk Development Signing CA",
        "Net Desk Development TSA",
        "Net Desk Development TSA CA",
    } | (names & {"Net Desk Development Root CA"})
    # The CRL of each CA: the signing CA's, the TSA CA's and the root's (its ARL).
    crls = {crl.get_object().data for crl in dss["/CRLs"]}
    assert crls == {
        settings.SIGNING_CRL_PATH.read_bytes(),
        settings.TSA_CRL_PATH.read_bytes(),
        settings.ROOT_CRL_PATH.read_bytes(),
    }


def test_pyhanko_lta_validation_passes_with_only_our_ca_and_no_network(signed_pdf):
    result = lta_validation(signed_pdf)

    assert result.ades_subindic == AdESPassed.OK
    assert result.oldest_evidence_record_timestamp is not None
    assert result.api_status.modification_level == ModificationLevel.LTA_UPDATES


def test_pdfsig_finds_the_signature_valid_and_the_certificate_trusted(signed_pdf, nss_db, tmp_path):
    report = pdfsig(signed_pdf, nss_db, tmp_path)
    signature, stamp = report.split("Signature #2:")

    assert "Signature Validation: Signature is Valid." in signature
    assert "Certificate Validation: Certificate is Trusted." in signature
    assert "Signature Type: ETSI.CAdES.detached" in signature
    # poppler 22 lists the document timestamp (and finds that it covers the whole file) but
    # does not validate RFC 3161 document timestamps: pyHanko's LTA validation above does.
    assert "Signer Certificate Common Name: Net Desk Development TSA" in stamp
    assert "Total document signed" in stamp
    assert "Digest Mismatch" not in report and "Signature is Invalid" not in report


def test_check_signature_accepts_our_certificate(signed_pdf):
    check = check_signature(signed_pdf)

    assert check == SignatureCheck(
        signed=True,
        intact=True,
        whole_file=True,
        trusted=True,
        by_company=True,
        timestamped=True,
        signed_at=check.signed_at,
        signer=settings.SURETY_COMPANY["name"],
        long_term=True,
        document_timestamps=check.document_timestamps,
        proven_until=load_cert_from_pemder(settings.TSA_CERT_PATH).not_valid_after,
    )
    assert check.valid
    assert check.level == "B-LTA"
    [stamped_at] = check.document_timestamps
    assert check.signed_at <= stamped_at < check.signed_at + datetime.timedelta(seconds=5)
    assert abs(check.signed_at - datetime.datetime.now(datetime.UTC)) < datetime.timedelta(
        minutes=5
    )


def test_one_flipped_byte_in_the_signed_range_fails_every_check(signed_pdf, nss_db, tmp_path):
    tampered = flip_byte_in_signed_range(signed_pdf)

    assert "Signature Validation: Digest Mismatch." in pdfsig(tampered, nss_db, tmp_path)
    _, status = pyhanko_status(tampered)
    assert not status.intact
    assert not status.bottom_line
    check = check_signature(tampered)
    assert check.signed
    assert not check.intact
    assert not check.valid


def test_content_appended_after_the_signature_is_not_the_signed_document(signed_pdf):
    writer = IncrementalPdfFileWriter(BytesIO(signed_pdf))
    # A filled box drawn over the page: what someone hiding an amount would add.
    box = writer.add_object(generic.StreamObject(stream_data=b"1 1 1 rg 100 600 300 80 re f"))
    writer.add_stream_to_page(0, box)
    out = BytesIO()
    writer.write(out)

    check = check_signature(out.getvalue())

    assert check.signed and check.intact and check.trusted and check.timestamped
    assert not check.whole_file
    assert not check.valid


def test_an_unsigned_pdf_is_not_signed(certificate_pdf):
    check = check_signature(certificate_pdf)

    assert check == SignatureCheck()
    assert not check.valid


# Each makes an upload from our signed certificate (or ignores it).
GARBAGE = {
    "empty": lambda signed: b"",
    "random bytes": lambda signed: random.Random(12).randbytes(20_000),
    "NUL bytes": lambda signed: b"\0" * 5_000,
    "a PDF header only": lambda signed: b"%PDF-1.7\n",
    "NUL bytes inside": lambda signed: signed[:2_000] + b"\0" * 4_000 + signed[6_000:],
    "truncated in the middle": lambda signed: signed[: len(signed) // 2],
    "truncated before %%EOF": lambda signed: signed[:-10],
    "a huge xref section": lambda signed: (
        b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\nxref\n0 99999999999\n"
        b"0000000000 65535 f \ntrailer\n<< /Size 99999999999 /Root 1 0 R >>\n"
        b"startxref\n46\n%%EOF\n"
    ),
    "huge object numbers": lambda signed: (
        b"%PDF-1.7\n99999999999 0 obj\n<< >>\nendobj\ntrailer\n"
        b"<< /Size 99999999999999 /Root 99999999999 0 R >>\nstartxref\n999999999999\n%%EOF\n"
    ),
    "deeply nested arrays": lambda signed: b"%PDF-1.7\n1 0 obj\n" + b"[" * 100_000 + b"\n%%EOF",
}


@pytest.mark.parametrize("name", GARBAGE)
def test_garbage_gets_an_answer_that_is_not_valid(signed_pdf, name):
    check = check_signature(GARBAGE[name](signed_pdf))

    assert not check.valid


def test_every_single_byte_change_is_caught(signed_pdf):
    # Across the whole file, signed range, signature contents and trailer alike.
    for offset in range(0, len(signed_pdf), 97):
        changed = bytearray(signed_pdf)
        changed[offset] ^= 0xFF
        assert not check_signature(bytes(changed)).valid, offset


def test_a_certificate_from_another_ca_is_not_trusted(certificate_pdf, settings, tmp_path):
    foreign = signed_by_another_ca(certificate_pdf, settings, tmp_path)

    check = check_signature(foreign)

    assert check.signed and check.intact and check.whole_file
    assert check.signer == settings.SURETY_COMPANY["name"]
    assert not check.trusted and not check.by_company
    assert not check.timestamped
    assert not check.valid


def test_keys_and_certificates_are_read_once_per_process(certificate_pdf, signed_pdf):
    signing.reset_signer()
    with mock.patch.object(trust, "_read", wraps=trust._read) as read:
        sign_pdf(certificate_pdf)
        check_signature(signed_pdf)
        first = read.call_count
        sign_pdf(certificate_pdf)
        check_signature(signed_pdf)

    # Signing key and certificate, TSA key and certificate, TSA CA, root, and the CRLs of the
    # signing CA, the TSA CA and the root.
    assert first == 9
    assert read.call_count == first


def test_the_local_tsa_key_is_not_parsed_again_for_each_stamp(certificate_pdf):
    parse = dummy_client.serialization.load_der_private_key
    parsed = []

    def recording_parse(data, *args, **kwargs):
        key = parse(data, *args, **kwargs)
        parsed.append(type(key).__name__)
        return key

    with mock.patch.object(
        dummy_client.serialization, "load_der_private_key", side_effect=recording_parse
    ):
        signed = sign_pdf(certificate_pdf)

    assert check_signature(signed).timestamped
    assert not [name for name in parsed if "RSA" in name]


def test_a_configured_tsa_url_stamps_through_that_tsa(certificate_pdf, settings):
    settings.TSA_URL = "https://tsa.example.jp/tsp"
    local = signing.LocalTimeStamper(
        tsa_cert=load_cert_from_pemder(settings.TSA_CERT_PATH),
        tsa_key=signing.serialization.load_pem_private_key(
            settings.TSA_KEY_PATH.read_bytes(), password=None
        ),
    )
    asked = []

    async def answer(self, request):
        asked.append(self.url)
        return local.request_tsa_response(request)

    with mock.patch.object(HTTPTimeStamper, "async_request_tsa_response", answer):
        signed = sign_pdf(certificate_pdf)

    # The signature's timestamp and the document timestamp (and pyHanko's sizing of the latter).
    assert set(asked) == {"https://tsa.example.jp/tsp"} and len(asked) >= 2
    assert check_signature(signed).valid


def test_signing_and_checking_work_inside_a_running_event_loop(certificate_pdf):
    async def from_a_coroutine():
        return check_signature(sign_pdf(certificate_pdf))

    # A thread of its own: this one may already run Playwright's loop.
    with ThreadPoolExecutor(max_workers=1) as pool:
        check = pool.submit(asyncio.run, from_a_coroutine()).result()

    assert check.valid


def test_a_missing_key_says_how_to_make_one(certificate_pdf, settings, tmp_path):
    settings.SIGNING_KEY_PATH = tmp_path / "nowhere.pem"

    with pytest.raises(ImproperlyConfigured, match=r"manage\.py make_dev_ca"):
        sign_pdf(certificate_pdf)
