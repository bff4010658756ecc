"""The obligee's received list in a real browser: search, open a certificate, download it, print."""

import datetime
import hashlib
import re

import pytest
from django.core.files.base import ContentFile
from playwright.sync_api import Page, expect

from guarantees.models import Receipt
from guarantees.signing import sign_pdf
from tests.factories import (
    PASSWORD,
    CertificateFactory,
    ContractorFactory,
    ElectronicObligeeFactory,
    UserFactory,
    sample_pdf,
)
from tests.obligee_portal.conftest import at_noon

pytestmark = pytest.mark.browser


@pytest.fixture
def obligee_user(transactional_db):
    obligee = ElectronicObligeeFactory(name="渋川市", kana="シブカワシ")
    return UserFactory(
        email="keiyaku@city.shibukawa.example.jp",
        full_name="渋川 花子",
        contractor=None,
        obligee=obligee,
    )


@pytest.fixture
def received(obligee_user):
    """Two certificates received by 渋川市: one of フジタ工業 (signed), one of 〇〇建設."""
    signed = sign_pdf(sample_pdf())
    made = {}
    for name, contractor, day, amount, content in [
        ("fujita", "フジタ工業 株式会社", datetime.date(2026, 6, 15), 30_000_000, signed),
        ("maru", "〇〇建設 株式会社", datetime.date(2026, 4, 1), 10_000_000, sample_pdf()),
    ]:
        certificate = CertificateFactory(
            guarantee__amount=amount,
            guarantee__application__obligee=obligee_user.obligee,
            guarantee__application__contractor=ContractorFactory(name=contractor),
            issued_at=at_noon(day),
            pdf=ContentFile(content, name=f"certificates/{name}-v1.pdf"),
            sha256=hashlib.sha256(content).hexdigest(),
        )
        Receipt.objects.create(
            certificate=certificate,
            obligee=obligee_user.obligee,
            received_by=obligee_user,
            received_at=at_noon(day) + datetime.timedelta(days=1),
        )
        made[name] = certificate
    return made


def obligee_sign_in(page: Page, user) -> None:
    page.goto("/accounts/login/")
    page.locator("#id_username").fill(user.email)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    expect(page.get_by_role("heading", name=re.compile("受領した保証証書"))).to_be_visible()


def test_search_open_download_and_print(page: Page, live_server, obligee_user, received, tmp_path, screenshot_dir):  # fmt: skip
    fujita = received["fujita"]
    number = fujita.snapshot["number"]
    obligee_sign_in(page, obligee_user)
    rows = page.locator("table.nd-received tbody tr")
    expect(rows).to_have_count(2)

    # Contractor in hiragana and an amount range: the address keeps the search.
    page.get_by_label("請負者名").fill("ふじた")
    page.get_by_label("保証金額(以上)").fill("20,000,000")
    page.get_by_role("button", name="検索", exact=True).click()
    expect(page).to_have_url(re.compile(r"contractor=%E3%81%B5"))
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("フジタ工業 株式会社")

    # A bad range: the message, and what was typed is still there.
    page.get_by_label("保証金額(以下)").fill("1,000")
    page.get_by_role("button", name="検索", exact=True).click()
    expect(page.locator("#id_amount_max_error")).to_contain_text("保証金額の範囲は")
    expect(page.get_by_label("請負者名")).to_have_value("ふじた")
    page.get_by_label("保証金額(以下)").fill("")
    page.get_by_role("button", name="検索", exact=True).click()
    expect(rows).to_have_count(1)

    # The printed list: no form or buttons, the conditions and the date of printing.
    page.emulate_media(media="print")
    expect(page.get_by_test_id("print-conditions")).to_be_visible()
    expect(page.get_by_test_id("print-conditions")).to_contain_text("請負者名 ふじた")
    expect(page.get_by_test_id("received-search")).to_be_hidden()
    expect(page.locator("header.nd-header")).to_be_hidden()
    expect(page.locator("#register")).to_be_hidden()
    page.set_viewport_size({"width": 1123, "height": 794})  # A4 landscape at 96 dpi
    page.screenshot(path=screenshot_dir / "obligee-received-print.png", full_page=True)
    page.emulate_media(media="screen")
    expect(page.get_by_test_id("print-conditions")).to_be_hidden()

    # The CSV of the search.
    with page.expect_download() as download:
        page.get_by_test_id("received-csv").click()
    content = tmp_path / "received.csv"
    download.value.save_as(content)
    lines = content.read_text(encoding="utf-8-sig").splitlines()
    assert len(lines) == 2 and number in lines[1]

    # The certificate: state, signature badge, download of the very bytes issued.
    page.get_by_role("link", name=re.compile(number)).click()
    expect(page.get_by_test_id("certificate-state")).to_have_text("有効")
    expect(page.get_by_test_id("signature-badge")).to_have_text("有効な署名・タイムスタンプ")
    expect(page.get_by_text("30,000,000円")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_test_id("certificate-download").click()
    path = tmp_path / "certificate.pdf"
    download.value.save_as(path)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == fujita.sha256
    page.screenshot(path=screenshot_dir / "obligee-certificate.png", full_page=True)
