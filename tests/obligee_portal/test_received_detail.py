"""One received certificate (/obligee/certificates/<pk>/): what it states, its versions with what
changed between them, the signed PDF and the check of its signature."""

import datetime
import hashlib
import re

import pytest
import time_machine
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from guarantees import received as received_selectors
from guarantees.models import Guarantee, Receipt
from guarantees.signing import sign_pdf
from tests.factories import (
    CertificateFactory,
    IssuedGuaranteeFactory,
    ObligeeFactory,
    UserFactory,
    sample_pdf,
)
from tests.obligee_portal.conftest import at_noon

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_cached_checks():
    """Signature checks are cached (in Redis, when the suite runs on it): none from another test."""
    cache.clear()


def detail(pk: int) -> str:
    return reverse("obligee_portal:certificate", args=[pk])


def pdf(pk: int) -> str:
    return reverse("obligee_portal:certificate_pdf", args=[pk])


@pytest.fixture
def amended(shibukawa, shibukawa_user):
    """A guarantee amended twice: 第1版 (received), 第2版 with a larger amount (received), 第3版 with
    a later works end and another deposit bank (not received)."""
    guarantee = IssuedGuaranteeFactory(
        application__obligee=shibukawa,
        application__contractor__name="〇〇建設 株式会社",
        application__works_name="市道1号線道路改良工事",
        status=Guarantee.Status.AMENDED,
        amount=20_000_000,
    )
    application = guarantee.application
    application.period_end = datetime.date(2026, 12, 25)
    application.save()
    days = [datetime.date(2026, 4, 1), datetime.date(2026, 6, 1), datetime.date(2026, 9, 1)]
    v1 = CertificateFactory(guarantee=guarantee, version=1, issued_at=at_noon(days[0]))
    guarantee.amount = 30_000_000
    guarantee.save()
    v2 = CertificateFactory(guarantee=guarantee, version=2, issued_at=at_noon(days[1]))
    application.period_end = datetime.date(2027, 3, 19)
    application.save()
    guarantee.deposit_bank = "△△信用金庫 本店"
    guarantee.save()
    v3 = CertificateFactory(guarantee=guarantee, version=3, issued_at=at_noon(days[2]))
    v1.superseded_at, v2.superseded_at = at_noon(days[1]), at_noon(days[2])
    v1.save()
    v2.save()
    for version in (v1, v2):
        Receipt.objects.create(
            certificate=version,
            obligee=shibukawa,
            received_by=shibukawa_user,
            received_at=version.issued_at + datetime.timedelta(days=2),
        )
    return v1, v2, v3


def text(response) -> str:
    """The page's text as read: a block's tags part words, an inline <span> does not."""
    html = re.sub(r"</?span[^>]*>", "", response.content.decode())
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_it_shows_every_field_in_both_calendars(shibukawa_client, amended):
    v1, _v2, _v3 = amended
    response = shibukawa_client.get(detail(v1.pk))
    assert response.status_code == 200
    page = text(response)
    snapshot = v1.snapshot
    for value in (
        snapshot["number"], "第1版", "前払金保証", "〇〇建設 株式会社", "市道1号線道路改良工事",
        "渋川市石原地内", "20,000,000円", "50,000,000円", "〇〇銀行 ××支店", snapshot["obligee"]["name"],
        "令和8年4月1日(2026-04-01)", "令和8年12月25日(2026-12-25)",
    ):  # fmt: skip
        assert value in page, value
    assert re.search(r'data-testid="certificate-state">変更済<', response.content.decode())


def test_the_history_shows_each_version_and_what_changed(shibukawa_client, amended):
    _v1, v2, _v3 = amended
    # 第3版's guarantee period (to 2027-03-19) is still running on the day the page is read.
    with time_machine.travel(at_noon(datetime.date(2026, 10, 1)), tick=False):
        response = shibukawa_client.get(detail(v2.pk))
    html = response.content.decode()
    rows = {n: text_of(html, f"version-{n}") for n in (1, 2, 3)}
    assert "令和8年4月1日(2026-04-01)" in rows[1] and "変更済" in rows[1] and "受領済" in rows[1]
    assert "保証金額: 20,000,000円 → 30,000,000円" in rows[2] and "受領済" in rows[2]
    assert "工期(至): 令和8年12月25日(2026-12-25) → 令和9年3月19日(2027-03-19)" in rows[3]
    assert "預託金融機関: 〇〇銀行 ××支店 → △△信用金庫 本店" in rows[3]
    assert "保証金額" not in rows[3]  # only what changed in that version
    assert "未受領" in rows[3] and "有効" in rows[3]


def text_of(html: str, testid: str) -> str:
    row = re.search(rf'data-testid="{testid}">(.*?)</tr>', html, re.S)[1]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", row))


def test_the_diff_lists_changed_fields_only(amended):
    v1, v2, _v3 = amended
    changes = received_selectors.snapshot_changes(v1.snapshot, v2.snapshot)
    assert [(c.label, c.old, c.new) for c in changes] == [("保証金額", 20_000_000, 30_000_000)]


def test_a_newer_version_not_received_links_to_receiving(shibukawa_client, amended):
    v1, _v2, v3 = amended
    html = shibukawa_client.get(detail(v1.pk)).content.decode()
    assert "新しい版(第3版)があります" in html and "「電子保証の受領」で受領してください" in html
    assert '<a href="/obligee/receive/">電子保証の受領へ</a>' in html
    # The version not received: its fields are shown, but no download.
    response = shibukawa_client.get(detail(v3.pk))
    assert response.status_code == 200 and 'data-testid="not-received"' in response.content.decode()
    assert pdf(v3.pk) not in response.content.decode()
    assert shibukawa_client.get(pdf(v3.pk)).status_code == 404


def test_a_received_version_downloads_the_very_bytes_issued(shibukawa_client, amended):
    v1, _v2, _v3 = amended
    assert pdf(v1.pk) in shibukawa_client.get(detail(v1.pk)).content.decode()
    response = shibukawa_client.get(pdf(v1.pk))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    assert "-v1.pdf" in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"]
    assert hashlib.sha256(response.content).hexdigest() == v1.sha256


def test_an_unsigned_pdf_gets_the_warning_badge(shibukawa_client, amended):
    v1, _v2, _v3 = amended  # the factory's PDF carries no signature
    html = shibukawa_client.get(detail(v1.pk)).content.decode()
    assert re.search(r'data-testid="signature-badge">署名を確認できません<', html)
    assert "電子署名が見つかりません。" in html


@pytest.fixture
def signed(shibukawa, shibukawa_user):
    content = sign_pdf(sample_pdf())
    certificate = CertificateFactory(
        guarantee__application__obligee=shibukawa,
        pdf=ContentFile(content, name="certificates/signed-v1.pdf"),
        sha256=hashlib.sha256(content).hexdigest(),
    )
    Receipt.objects.create(
        certificate=certificate,
        obligee=shibukawa,
        received_by=shibukawa_user,
        received_at=timezone.now(),
    )
    return certificate


def test_a_signed_pdf_gets_the_valid_badge_and_is_checked_once(
    shibukawa_client, signed, monkeypatch
):
    calls = []
    real = received_selectors.check_signature
    monkeypatch.setattr(
        received_selectors,
        "check_signature",
        lambda content, **kwargs: calls.append(1) or real(content, **kwargs),
    )
    for _ in range(2):
        html = shibukawa_client.get(detail(signed.pk)).content.decode()
        assert re.search(r'data-testid="signature-badge">有効な署名・タイムスタンプ<', html)
        assert "タイムスタンプ: 令和" in html
    assert calls == [1]  # the second page read the cached result


def test_a_file_changed_on_disk_is_checked_again_and_flagged(shibukawa_client, signed):
    shibukawa_client.get(detail(signed.pk))
    with open(signed.pdf.path, "rb") as file:
        content = bytearray(file.read())
    content[len(content) // 2] ^= 0x01
    with open(signed.pdf.path, "wb") as file:
        file.write(bytes(content))
    html = shibukawa_client.get(detail(signed.pk)).content.decode()
    assert re.search(r'data-testid="signature-badge">署名を確認できません<', html)
    assert "保管されているファイルが発行時の内容と一致しません。" in html


def test_other_obligees_and_contractors_get_404_like_an_unknown_id(client, amended, alice):
    v1, _v2, _v3 = amended
    other = UserFactory(contractor=None, obligee=ObligeeFactory(name="高崎市"))
    contractor = UserFactory(contractor=v1.guarantee.application.contractor)
    for user in (other, contractor, alice):
        client.force_login(user)
        for address in (detail(v1.pk), pdf(v1.pk), detail(987654321), pdf(987654321)):
            assert client.get(address).status_code == 404


def test_a_version_of_a_guarantee_never_received_is_404(shibukawa_client, shibukawa, amended):
    # Addressed to 渋川市 too, but no version of it was received.
    unreceived = CertificateFactory(guarantee__application__obligee=shibukawa)
    assert shibukawa_client.get(detail(unreceived.pk)).status_code == 404
    assert shibukawa_client.get(pdf(unreceived.pk)).status_code == 404


def test_anonymous_users_are_sent_to_sign_in(client, amended):
    v1, _v2, _v3 = amended
    for address in (detail(v1.pk), pdf(v1.pk)):
        response = client.get(address)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")


def test_each_list_row_links_to_its_detail(shibukawa_client, amended):
    v1, v2, _v3 = amended
    html = shibukawa_client.get("/obligee/").content.decode()
    assert f'href="{detail(v1.pk)}"' in html and f'href="{detail(v2.pk)}"' in html


def test_a_certificate_page_links_the_pdf_check(shibukawa_client, amended):
    v1, _v2, _v3 = amended
    html = shibukawa_client.get(detail(v1.pk)).content.decode()
    link = re.search(r'data-testid="verify-link">(.*?)</p>', html, re.S)
    assert (
        link and f'<a href="{reverse("guarantees:verify_upload")}">保証証書PDFの確認</a>' in link[1]
    )


def test_on_a_phone_each_history_value_has_its_label_and_the_title_breaks_between_words(
    shibukawa_client, amended
):
    """The history's cells are cards on a narrow screen: each says what it is (data-label,
    shown by the style sheet); the title's number is kept whole."""
    v1, _v2, _v3 = amended
    html = shibukawa_client.get(detail(v1.pk)).content.decode()
    history = re.search(r'data-testid="version-history">(.*?)</table>', html, re.S)[1]
    row = re.search(r'data-testid="version-1">(.*?)</tr>', history, re.S)[1]
    assert re.findall(r'<td[^>]*data-label="([^"]+)"', row) == [
        "版",
        "発行日",
        "状態",
        "受領",
        "前の版からの変更",
    ]
    assert 'class="table table-sm align-middle nd-list nd-history"' in html
    number = v1.snapshot["number"]
    assert f'<span class="text-nowrap font-monospace">{number}</span>' in html
