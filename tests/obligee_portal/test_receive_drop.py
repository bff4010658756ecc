"""Notice PDFs dropped on (or chosen on) /obligee/: each registered as if typed, with its result."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.models import AuditEntry
from guarantees import keys
from guarantees.models import Receipt
from tests.factories import UserFactory
from tests.obligee_portal.conftest import notice_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_fresh_rate_limits")]

URL = reverse("obligee_portal:receive_notices")


@pytest.fixture
def signed_in(client, obligee_user):
    client.force_login(obligee_user)
    return client


def pdf(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def drop(client, *files):
    """Send the files as the drop zone (or the file input) does; the messages of the page that
    follows, one per file."""
    response = client.post(URL, {"notices": list(files)}, follow=True)
    assert response.redirect_chain == [(reverse("obligee_portal:home"), 302)]
    return response, [str(message) for message in response.context["messages"]]


def test_the_received_list_offers_the_drop_zone_with_a_file_input(signed_in):
    html = signed_in.get(reverse("obligee_portal:home")).content.decode()
    assert 'enctype="multipart/form-data"' in html and f'action="{URL}"' in html
    assert 'type="file"' in html and "multiple" in html and "data-nd-drop" in html
    assert "js/obligee_receive.js" in html


def test_several_notices_at_once_are_each_received_or_answered(
    signed_in, obligee_user, certificate, key, alice, issue_for
):
    obligee = certificate.guarantee.application.obligee
    second_key = keys.new_key()
    second = issue_for(alice, key=second_key, guarantee__application__obligee=obligee)
    with certificate.pdf.open("rb") as stored:
        certificate_pdf = stored.read()
    response, results = drop(
        signed_in,
        pdf("notice-1.pdf", notice_of(certificate, key)),
        pdf("notice-2.pdf", notice_of(second, second_key)),
        pdf("certificate.pdf", certificate_pdf),  # a PDF, but the certificate itself
        SimpleUploadedFile("memo.txt", b"GM-2026-000001 ABCD-EFGH", content_type="text/plain"),
        pdf("empty.pdf", b""),
    )
    assert results == [
        f"notice-1.pdf:保証証書 {certificate.guarantee.number}(第1版)を受領しました。",
        f"notice-2.pdf:保証証書 {second.guarantee.number}(第1版)を受領しました。",
        "certificate.pdf:この PDF は「電子保証証書閲覧用『認証キー』等のお知らせ」ではありません。"
        "保証契約番号と認証キーを入力して「受領する」を押してください。",
        "memo.txt:PDF ファイルではありません。お知らせの PDF をお選びください。",
        "empty.pdf:ファイルが空です。",
    ]
    assert {r.certificate for r in Receipt.objects.filter(received_by=obligee_user)} == {
        certificate,
        second,
    }
    html = response.content.decode()
    assert (
        certificate.snapshot["works"]["name"] in html and second.snapshot["works"]["name"] in html
    )
    entries = AuditEntry.objects.filter(action="certificate.received")
    assert entries.count() == 2
    for entry in entries:
        assert key not in str(entry.data) and keys.display_key(key) not in str(entry.data)
    # The same notice again (a double submission, a colleague): still one receipt each.
    drop(signed_in, pdf("notice-1.pdf", notice_of(certificate, key)))
    assert Receipt.objects.count() == 2


def test_another_obligees_notice_gets_the_neutral_message(signed_in, alice, issue_for):
    other_key = keys.new_key()
    others = issue_for(alice, key=other_key)  # addressed to another obligee
    _response, results = drop(signed_in, pdf("notice.pdf", notice_of(others, other_key)))
    assert results == [
        "notice.pdf:保証契約番号と認証キーの組み合わせを確認できませんでした。"
        "お手元のお知らせの内容をご確認ください。"
    ]
    assert not Receipt.objects.exists()
    entry = AuditEntry.objects.get(action="certificate.receive_failed")
    assert entry.data == {"number": others.guarantee.number}


def test_the_sixth_failure_is_refused_even_for_the_right_notice(
    signed_in, certificate, key, alice, issue_for
):
    other_key = keys.new_key()
    others = notice_of(issue_for(alice, key=other_key), other_key)
    _response, results = drop(
        signed_in,
        *[pdf(f"other-{n}.pdf", others) for n in range(5)],
        pdf("right.pdf", notice_of(certificate, key)),
    )
    assert all("確認できませんでした" in result for result in results[:5])
    assert results[5].startswith("right.pdf:") and "一時停止" in results[5]
    assert not Receipt.objects.exists()
    assert AuditEntry.objects.filter(action="certificate.receive_refused").count() == 1
    for entry in AuditEntry.objects.all():
        assert keys.display_key(key) not in str(entry.data) and key not in str(entry.data)
        assert keys.display_key(other_key) not in str(entry.data)


def test_an_oversized_file_is_refused_unread_and_the_others_still_count(
    signed_in, certificate, key
):
    _response, results = drop(
        signed_in,
        pdf("huge.pdf", b"%PDF-1.7\n" + b"0" * (2 * 1024 * 1024)),
        pdf("notice.pdf", notice_of(certificate, key)),
    )
    assert (
        results[0]
        == "huge.pdf:ファイルが大きすぎます(2 MB まで)。お知らせの PDF をお選びください。"
    )
    assert "を受領しました" in results[1]
    assert Receipt.objects.get().certificate == certificate


@pytest.mark.parametrize("count", [21, 100])
def test_too_many_files_at_once_are_refused_altogether(signed_in, certificate, key, count):
    notice = notice_of(certificate, key)
    _response, results = drop(signed_in, *[pdf(f"{n}.pdf", notice) for n in range(count)])
    assert results == ["一度に読み取れるのは 20 ファイルまでです。分けてお送りください。"]
    assert not Receipt.objects.exists()


def test_no_file_asks_for_one(signed_in):
    _response, results = drop(signed_in)
    assert results == ["お知らせの PDF ファイルを選んでください。"]


def test_control_characters_in_a_file_name_are_not_shown_back(signed_in, certificate, key):
    _response, results = drop(signed_in, pdf("no\x00ti\x1bce.pdf", notice_of(certificate, key)))
    assert results[0].startswith("notice.pdf:") and "を受領しました" in results[0]
    assert Receipt.objects.count() == 1


def test_garbage_posing_as_a_pdf_is_not_a_notice(signed_in):
    _response, results = drop(
        signed_in,
        pdf("broken.pdf", b"%PDF-1.7\n" + bytes(range(256)) * 64),
        pdf("truncated.pdf", b"%PDF-"),
    )
    assert all("お知らせ」ではありません" in result for result in results)
    assert len(results) == 2


def test_only_obligee_users_drop_notices(client, alice, certificate, key):
    files = {"notices": [pdf("notice.pdf", notice_of(certificate, key))]}
    response = client.post(URL, files)
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]
    client.force_login(alice)
    assert client.post(URL, files).status_code == 403
    client.force_login(UserFactory(contractor=None, obligee=None))
    assert client.get(URL).status_code == 405
    assert not Receipt.objects.exists()
