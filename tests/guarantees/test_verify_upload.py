"""/verify/: anyone uploads a certificate PDF and learns whether it is one we issued, soundly
signed and timestamped, and in force — and nothing the document does not print."""

import datetime
import re

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from guarantees import rendering, verification
from guarantees.models import Certificate, Guarantee
from guarantees.versions import verify_url
from tests.guarantees import test_long_term
from tests.guarantees.pdfs import flip_byte_in_signed_range, signed_by_another_ca

own_pki = test_long_term.own_pki

pytestmark = pytest.mark.django_db

URL = "/verify/"


def upload(client, content: bytes, *, name="certificate.pdf", content_type="application/pdf"):
    return client.post(URL, {"file": SimpleUploadedFile(name, content, content_type=content_type)})


def shown(response, name: str) -> str:
    html = response.content.decode()
    return re.search(rf'data-testid="{name}">(.*?)</', html, re.S)[1].strip()


def error_of(response) -> str:
    return re.search(r'<div class="alert alert-danger"[^>]*>([^<]*)<', response.content.decode())[1]


def test_the_page_is_public_and_linked_from_the_qr_code_page(client, certificate):
    response = client.get(URL)
    html = response.content.decode()
    assert response.status_code == 200 and 'enctype="multipart/form-data"' in html
    assert 'type="file" name="file"' in html and "noindex" in response["X-Robots-Tag"]

    qr_page = client.get(reverse("guarantees:certificate_verify", args=[certificate.verify_token]))
    assert f'href="{URL}"' in qr_page.content.decode()


def test_a_certificate_we_issued_is_genuine_and_shows_what_it_prints(client, issued, issued_pdf):
    response = upload(client, issued_pdf)
    html = response.content.decode()
    snapshot = issued.snapshot

    assert response.status_code == 200
    assert shown(response, "verdict") == "当社が発行した保証証書です"
    assert shown(response, "certificate-state") == "有効"
    assert shown(response, "signature") == "有効(当社の署名用証明書)"
    assert shown(response, "timestamp").startswith("有効(")
    assert shown(response, "issued") == "一致します"
    assert shown(response, "guarantee-number") == snapshot["number"]
    assert "前払金保証証書 第1版" in html and "金20,000,000円" in html
    assert snapshot["contractor"]["name"] in html and snapshot["works"]["name"] in html


def test_it_reveals_nothing_the_certificate_does_not_print(client, issued, issued_pdf):
    html = upload(client, issued_pdf).content.decode()
    guarantee = issued.guarantee
    application = guarantee.application

    assert application.number not in html and f"{guarantee.fee:,}" not in html
    assert application.contact_person not in html and application.contact_phone not in html
    assert issued.verify_token not in html and "認証キー" not in html
    assert application.created_by.email not in html and issued.sha256 not in html


def test_one_flipped_byte_is_tampered(client, issued, issued_pdf):
    response = upload(client, flip_byte_in_signed_range(issued_pdf))

    assert shown(response, "verdict") == "署名が無効です。ファイルが改ざんされています"
    assert shown(response, "signature") == "無効"
    assert shown(response, "issued") == "一致しません"
    assert issued.snapshot["number"] not in response.content.decode()


def test_an_unsigned_certificate_is_unsigned(client, issued):
    # The same certificate rendered again, without the signature: title and text as ours.
    unsigned = rendering.render_certificate(issued.snapshot, verify_url=verify_url("x" * 22))
    response = upload(client, unsigned)

    assert shown(response, "verdict") == "電子署名がありません"
    assert shown(response, "signature") == "なし"
    assert issued.snapshot["works"]["name"] not in response.content.decode()


def test_a_signature_of_another_ca_is_foreign(client, issued, settings, tmp_path):
    unsigned = rendering.render_certificate(issued.snapshot, verify_url=verify_url("x" * 22))
    response = upload(client, signed_by_another_ca(unsigned, settings, tmp_path))

    assert shown(response, "verdict") == "当社以外の署名です"
    assert shown(response, "signature") == "当社以外の証明書"


def test_our_signature_on_bytes_we_never_issued_is_not_issued(client, issued):
    from guarantees.signing import sign_pdf

    forged = rendering.render_certificate(
        {**issued.snapshot, "amount": 90_000_000}, verify_url=verify_url("x" * 22)
    )
    response = upload(client, sign_pdf(forged))

    assert shown(response, "verdict") == (
        "当社の署名はありますが、当社が発行したファイルと一致しません"
    )
    assert shown(response, "signature") == "有効(当社の署名用証明書)"
    assert shown(response, "issued") == "一致しません"
    assert "90,000,000" not in response.content.decode()


def test_a_superseded_version_names_the_version_that_replaced_it(client, issued, issued_pdf):
    Certificate.objects.filter(pk=issued.pk).update(superseded_at=timezone.now())
    newer = Certificate.objects.get(pk=issued.pk)
    newer.pk, newer.version, newer.superseded_at = None, 2, None
    newer.verify_token, newer.key_digest = "n" * 22, "d" * 64
    newer.save()

    response = upload(client, issued_pdf)
    assert shown(response, "certificate-state") == "変更済"
    assert "第2版に差し替えられています" in response.content.decode()


@pytest.mark.parametrize(
    ("status", "label"),
    [(Guarantee.Status.CANCELLED, "解約"), (Guarantee.Status.EXPIRED, "期間満了")],
)
def test_the_status_follows_the_guarantee(client, issued, issued_pdf, status, label):
    Guarantee.objects.filter(pk=issued.guarantee_id).update(status=status)
    assert shown(upload(client, issued_pdf), "certificate-state") == label


def test_the_end_of_the_guarantee_period_makes_it_expired(own_pki, client, issued, issued_pdf):
    end = datetime.date.fromisoformat(issued.snapshot["guarantee_period"]["end"])
    later = datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time(9))
    with time_machine.travel(later.astimezone(), tick=False):
        test_long_term.publish_crls()  # as the CAs do before each nextUpdate
        assert shown(upload(client, issued_pdf), "certificate-state") == "期間満了"


@pytest.mark.parametrize(
    ("content", "content_type", "message", "status"),
    [
        (b"", "application/pdf", "ファイルが空です", 400),
        (b"GIF89a" + b"\0" * 100, "image/gif", "PDFファイルではありません", 415),
        (b"%PDF-1.7\n" + b"\0" * 10 + b"x" * 10, "application/pdf", None, 200),
        ("\ufeffこんにちは".encode(), "text/plain", "PDFファイルではありません", 415),
    ],
)
def test_bad_files_get_a_plain_japanese_answer(client, content, content_type, message, status):
    response = upload(client, content, content_type=content_type)

    assert response.status_code == status
    if message:
        assert message in error_of(response)
    else:
        assert shown(response, "verdict") == "PDFファイルではありません"


def test_garbage_declared_as_a_pdf_is_not_a_pdf(client):
    response = upload(client, b"\x00\xff" * 3000)
    assert response.status_code == 200
    assert shown(response, "verdict") == "PDFファイルではありません"


def test_no_file_chosen_says_so(client):
    response = client.post(URL, {})
    assert response.status_code == 400
    assert "PDFファイルを選んでください" in error_of(response)


def test_the_limit_is_what_a_certificate_can_be(client):
    assert "保証証書のPDFファイル(2MBまで)" in client.get(URL).content.decode()
    response = upload(client, b"%PDF-1.7\n" + b"0" * (2 * 1024 * 1024))
    assert response.status_code == 413
    assert "2MB以下の保証証書PDF" in error_of(response)


def test_a_file_over_the_limit_is_dropped_while_it_is_read(client, settings, monkeypatch):
    settings.VERIFY_MAX_PDF_BYTES = 100 * 1024
    held = []
    receive = verification.BoundedUploadHandler.receive_data_chunk

    def spy(handler, raw_data, start):
        result = receive(handler, raw_data, start)
        held.append(handler.buffer.tell())
        return result

    monkeypatch.setattr(verification.BoundedUploadHandler, "receive_data_chunk", spy)
    monkeypatch.setattr(verification, "verify_pdf", None)  # never reached
    # Announced at 150 KB, within what the headers allow (the file plus a form's overhead).
    response = upload(client, b"%PDF-1.7\n" + b"0" * (150 * 1024))

    assert response.status_code == 413
    assert "100KB以下" in error_of(response)
    assert held and max(held) <= 100 * 1024


def test_a_chunked_upload_without_a_length_is_told_what_is_wrong(client):
    response = client.generic(
        "POST",
        URL,
        b"",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH="",
        HTTP_TRANSFER_ENCODING="chunked",
    )
    assert response.status_code == 411
    assert "長さ(Content-Length)が示されていない" in error_of(response)
    assert "ファイルが空です" not in response.content.decode()


def test_when_checks_are_busy_the_upload_is_turned_away_with_a_time_to_retry(
    client, settings, issued_pdf
):
    settings.VERIFY_CONCURRENT_CHECKS = 1
    with verification.check_slot():  # another request is being checked
        response = upload(client, issued_pdf)
    assert response.status_code == 503 and response["Retry-After"] == "5"
    assert "混み合っています" in error_of(response)
    assert upload(client, issued_pdf).status_code == 200  # the slot is free again


def test_a_handover_notice_is_recognised_and_points_to_receiving(client, issued):
    from guarantees import keys

    key = keys.display_key(keys.new_key())
    notice = rendering.render_key_notice(issued.snapshot, key=key, verify_url=verify_url("x" * 22))
    response = upload(client, notice)
    html = response.content.decode()

    assert response.status_code == 200
    assert shown(response, "verdict") == "認証キー等のお知らせです。保証証書ではありません"
    assert 'href="/obligee/receive/"' in html and "電子保証の受領" in html
    assert key not in html and key.replace("-", "") not in html
    assert 'data-testid="signature"' not in html


def test_a_tampered_file_is_a_danger_and_nothing_of_it_is_called_valid(client, issued, issued_pdf):
    response = upload(client, flip_byte_in_signed_range(issued_pdf))
    html = response.content.decode()
    verdict = re.search(r'<section class="([^"]*)".*?</dl>', html, re.S)

    assert "nd-verify-tampered" in verdict[1].split()
    assert "有効" not in verdict[0]
    assert shown(response, "timestamp").startswith("判定しません")


def test_the_page_for_clerks_does_not_talk_about_the_api(client):
    assert "/api/verify/" not in client.get(URL).content.decode()


def test_a_huge_upload_is_refused_before_it_is_read(client):
    # Only announced: the body is never read, the CSRF check included.
    response = client.generic(
        "POST",
        URL,
        b"x",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(50 * 1024 * 1024),
    )
    assert response.status_code == 413
    assert "ファイルが大きすぎます" in error_of(response)


def test_the_form_is_csrf_protected(issued_pdf):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    response = client.post(
        URL, {"file": SimpleUploadedFile("c.pdf", issued_pdf, "application/pdf")}
    )
    assert response.status_code == 403


def test_uploads_are_limited_per_ip(client, settings, issued_pdf):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "verify-ip": (2, 60)}
    assert upload(client, issued_pdf).status_code == 200
    assert upload(client, issued_pdf).status_code == 200
    response = upload(client, issued_pdf)
    assert response.status_code == 429
    assert "時間をおいて" in error_of(response)


def test_the_page_reads_in_english_too(client, issued_pdf, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = upload(client, issued_pdf).content.decode()
    assert "有効" not in html and "Valid" in html
