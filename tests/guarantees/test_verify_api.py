"""POST /api/verify/: the same check as /verify/ as JSON for obligees' e-procurement systems,
each real answer checked against docs/openapi.yaml."""

import json
from pathlib import Path

import jsonschema
import pytest
import yaml
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from pyhanko.keys import load_cert_from_pemder

from guarantees import rendering, verification
from guarantees.models import Guarantee
from guarantees.versions import verify_url
from tests.guarantees.pdfs import flip_byte_in_signed_range, signed_by_another_ca

pytestmark = pytest.mark.django_db

URL = "/api/verify/"
SPEC = yaml.safe_load((Path(settings.BASE_DIR) / "docs" / "openapi.yaml").read_text())


def conforms(response) -> dict:
    """The response's JSON, after checking it against the schema the spec gives its status."""
    operation = SPEC["paths"][URL]["post"]
    schema = operation["responses"][str(response.status_code)]["content"]["application/json"]
    body = response.json()
    jsonschema.validate(
        body,
        {**schema["schema"], "components": SPEC["components"]},
        format_checker=jsonschema.FormatChecker(),
    )
    assert response["Content-Type"] == "application/json"
    return body


@pytest.fixture
def api():
    # CSRF checks on, as for any browser: the API needs no token.
    return Client(enforce_csrf_checks=True)


def post_raw(api, content: bytes, content_type="application/pdf"):
    return api.post(URL, content, content_type=content_type)


def post_file(api, content: bytes, content_type="application/pdf"):
    return api.post(URL, {"file": SimpleUploadedFile("c.pdf", content, content_type=content_type)})


@pytest.mark.parametrize("post", [post_raw, post_file])
def test_a_certificate_we_issued_is_valid(api, issued, issued_pdf, post):
    body = conforms(post(api, issued_pdf))

    assert body["valid"] is True and body["result"] == "genuine"
    assert body["issued_by_us"] is True and body["status"] == "valid"
    assert body["guarantee_number"] == issued.guarantee.number and body["version"] == 1
    assert body["signature"] == {
        "present": True,
        "intact": True,
        "unmodified": True,
        "trusted": True,
        "by_company": True,
        "signer": settings.SURETY_COMPANY["name"],
        "level": "B-LTA",
    }
    stamp = body["timestamp"]
    assert stamp["valid"] is True and stamp["time"]
    [archived] = stamp["document_timestamps"]
    assert stamp["time"] <= archived
    tsa = load_cert_from_pemder(settings.TSA_CERT_PATH)
    assert stamp["proven_until"] == tsa.not_valid_after.isoformat()
    assert body["certificate"]["amount"] == 20_000_000
    assert body["certificate"]["obligee"] == issued.snapshot["obligee"]["addressee"]


def test_it_reveals_nothing_the_certificate_does_not_print(api, issued, issued_pdf):
    text = post_raw(api, issued_pdf).content.decode()
    application = issued.guarantee.application

    assert application.number not in text and str(issued.guarantee.fee) not in text
    assert issued.verify_token not in text and application.contact_person not in text
    assert '"id"' not in text and "key" not in text


def test_a_cancelled_guarantee_is_not_valid(api, issued, issued_pdf):
    Guarantee.objects.filter(pk=issued.guarantee_id).update(status=Guarantee.Status.CANCELLED)
    body = conforms(post_raw(api, issued_pdf))
    assert body["result"] == "genuine" and body["status"] == "cancelled"
    assert body["valid"] is False


def test_a_tampered_file(api, issued, issued_pdf):
    body = conforms(post_raw(api, flip_byte_in_signed_range(issued_pdf)))

    assert body["valid"] is False and body["result"] == "tampered"
    assert body["signature"]["present"] is True and body["signature"]["intact"] is False
    assert body["issued_by_us"] is False and body["guarantee_number"] is None
    assert body["certificate"] is None and body["status"] is None


def test_an_unsigned_file(api, issued):
    unsigned = rendering.render_certificate(issued.snapshot, verify_url=verify_url("x" * 22))
    body = conforms(post_raw(api, unsigned))

    assert body["result"] == "unsigned" and body["valid"] is False
    assert body["signature"]["present"] is False and body["timestamp"]["valid"] is False


def test_a_foreign_signature(api, issued, settings, tmp_path):
    unsigned = rendering.render_certificate(issued.snapshot, verify_url=verify_url("x" * 22))
    body = conforms(post_raw(api, signed_by_another_ca(unsigned, settings, tmp_path)))

    assert body["result"] == "foreign" and body["valid"] is False
    assert body["signature"]["intact"] is True and body["signature"]["trusted"] is False
    assert body["signature"]["by_company"] is False


def test_not_a_pdf(api):
    body = conforms(post_raw(api, b"\x89PNG\r\n\x1a\n" + b"\0" * 500))
    assert body["result"] == "not_pdf" and body["valid"] is False


@pytest.mark.parametrize(
    ("request_", "status", "code"),
    [
        (lambda api: api.generic("POST", URL, b"", CONTENT_TYPE="application/pdf"), 400, "empty"),
        (lambda api: api.post(URL, {}), 400, "missing"),
        (lambda api: post_raw(api, b"hello", "text/plain"), 415, "unsupported_type"),
        (lambda api: post_file(api, b"GIF89a", "image/gif"), 415, "unsupported_type"),
        (lambda api: api.get(URL), 405, "method_not_allowed"),
        (
            lambda api: api.generic(
                "POST", URL, b"--x\r\nbroken", content_type="multipart/form-data; boundary="
            ),
            400,
            "bad_request",
        ),
    ],
)
def test_errors_are_json_with_a_code_and_a_japanese_message(api, request_, status, code):
    response = request_(api)
    body = conforms(response)

    assert response.status_code == status and body["error"]["code"] == code
    assert body["error"]["message"]


def test_a_file_over_the_limit(api, settings):
    settings.VERIFY_MAX_PDF_BYTES = 1000
    for post in (post_raw, post_file):
        response = post(api, b"%PDF-1.7\n" + b"0" * 2000)
        assert response.status_code == 413
        assert conforms(response)["error"]["code"] == "too_large"
        assert "1KB以下" in response.json()["error"]["message"]


def test_the_default_limit_is_what_a_certificate_can_be(api):
    response = post_raw(api, b"%PDF-1.7\n" + b"0" * (2 * 1024 * 1024))
    assert response.status_code == 413
    assert conforms(response)["error"]["code"] == "too_large"


@pytest.mark.django_db(transaction=True)
def test_a_chunked_request_without_a_length_is_told_what_is_wrong(live_server, issued_pdf):
    import socket
    from urllib.parse import urlsplit

    address = urlsplit(live_server.url)
    part = issued_pdf[:2048]  # what the request carries does not matter: it is never read
    request = (
        f"POST {URL} HTTP/1.1\r\nHost: {address.netloc}\r\nContent-Type: application/pdf\r\n"
        "Transfer-Encoding: chunked\r\nConnection: close\r\n"
        "X-Forwarded-Proto: https\r\n\r\n"  # as behind the TLS proxy: no redirect to https
    ).encode() + b"%x\r\n%s\r\n0\r\n\r\n" % (len(part), part)
    with socket.create_connection((address.hostname, address.port), timeout=10) as connection:
        connection.sendall(request)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")

    assert head.split()[1] == b"411"
    error = json.loads(body)["error"]
    assert error["code"] == "length_required"
    assert "長さ(Content-Length)" in error["message"] and "空" not in error["message"]


def test_when_checks_are_busy_the_api_answers_503_with_retry_after(api, settings, issued_pdf):
    settings.VERIFY_CONCURRENT_CHECKS = 1
    with verification.check_slot():
        response = post_raw(api, issued_pdf)
    assert response.status_code == 503 and response["Retry-After"] == "5"
    assert conforms(response)["error"]["code"] == "busy"
    assert conforms(post_raw(api, issued_pdf))["result"] == "genuine"


def test_a_handover_notice_is_recognised_without_its_key(api, issued):
    from guarantees import keys

    key = keys.display_key(keys.new_key())
    notice = rendering.render_key_notice(issued.snapshot, key=key, verify_url=verify_url("x" * 22))
    response = post_raw(api, notice)
    body = conforms(response)
    assert body["result"] == "key_notice" and body["valid"] is False
    assert body["guarantee_number"] is None and key not in response.content.decode()


def test_a_huge_body_is_refused_before_it_is_read(api):
    response = api.generic(
        "POST", URL, b"%PDF", content_type="application/pdf", CONTENT_LENGTH=str(2**40)
    )
    assert response.status_code == 413 and conforms(response)["error"]["code"] == "too_large"


def test_a_raw_body_above_djangos_memory_limit_is_still_checked(api, issued, issued_pdf, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    assert conforms(post_raw(api, issued_pdf))["result"] == "genuine"


def test_checks_are_limited_per_ip(api, settings, issued_pdf):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "verify-ip": (3, 60)}
    for _ in range(3):
        assert post_raw(api, issued_pdf).status_code == 200
    response = post_raw(api, issued_pdf)

    assert response.status_code == 429 and response["Retry-After"] == "60"
    assert conforms(response)["error"]["code"] == "rate_limited"
    elsewhere = api.post(URL, issued_pdf, content_type="application/pdf", REMOTE_ADDR="192.0.2.9")
    assert elsewhere.status_code == 200


def test_a_second_check_of_an_issued_file_reuses_the_signature_check(api, issued_pdf):
    from unittest import mock

    from guarantees import signing

    with mock.patch.object(signing, "check_signature", wraps=signing.check_signature) as check:
        first = post_raw(api, issued_pdf).json()
        second = post_raw(api, issued_pdf).json()
    assert first == second and check.call_count == 1
