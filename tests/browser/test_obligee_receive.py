"""Receiving without typing, in a real browser: the notice's QR code scanned (its URL opened
signed out, kept across the sign-in) and notice PDFs dropped onto the received list."""

import re
import subprocess
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from guarantees import keys
from guarantees.models import Receipt
from guarantees.rendering import render_key_notice
from tests.factories import (
    PASSWORD,
    CertificateFactory,
    ElectronicObligeeFactory,
    UserFactory,
    sample_pdf,
)

pytestmark = pytest.mark.browser


@pytest.fixture
def obligee_user(transactional_db):
    return UserFactory(
        email="keiyaku@city.shibukawa.example.jp",
        contractor=None,
        obligee=ElectronicObligeeFactory(name="渋川市", kana="シブカワシ"),
    )


def certificate_with_notice(obligee, tmp_path, name: str):
    """A certificate addressed to `obligee` and its handover notice PDF, saved as `name`."""
    key = keys.new_key()
    certificate = CertificateFactory(guarantee__application__obligee=obligee, key=key)
    notice = render_key_notice(
        certificate.snapshot, key=keys.display_key(key), verify_url="https://example.jp/verify/x/"
    )
    path = tmp_path / name
    path.write_bytes(notice)
    return certificate, path


def scanned_url(notice_path, tmp_path) -> str:
    """What a phone camera reads from the notice's QR code (the page rendered, then decoded)."""
    subprocess.run(
        ["pdftoppm", "-png", "-r", "150", "-f", "1", "-l", "1", str(notice_path), str(tmp_path / "page")],
        check=True,
    )  # fmt: skip
    (image,) = tmp_path.glob("page*.png")
    found = subprocess.run(
        ["zbarimg", "--quiet", "--raw", str(image)], capture_output=True, text=True, check=True
    ).stdout.split()
    (url,) = [line for line in found if "/obligee/receive/" in line]
    return url


def test_a_scanned_qr_code_registers_after_signing_in(
    page: Page, live_server, obligee_user, tmp_path, screenshot_dir
):
    certificate, notice = certificate_with_notice(obligee_user.obligee, tmp_path, "notice.pdf")
    url = urlsplit(scanned_url(notice, tmp_path))
    assert url.path == "/obligee/receive/" and "k=" in url.fragment  # the key is in the fragment

    # The phone is signed out: the page keeps what was read and leads to the sign-in.
    page.goto(f"{live_server.url}{url.path}#{url.fragment}")
    page.locator("#id_username").fill(obligee_user.email)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()

    # Back on the receive page: number and key filled in, for the user to confirm.
    expect(page.get_by_test_id("receive-read")).to_be_visible()
    expect(page.locator("#id_number")).to_have_value(certificate.guarantee.number)
    assert "#" not in page.url  # the key left the address bar and the history
    page.screenshot(path=screenshot_dir / "obligee-receive-scanned.png", full_page=True)
    page.get_by_role("button", name="受領する", exact=True).click()
    expect(page.locator(".alert-success")).to_contain_text(
        f"{certificate.guarantee.number}(第1版)を受領しました"
    )
    assert Receipt.objects.get().certificate == certificate


def test_dropped_notices_register_each_and_say_which_file_was_not_one(
    page: Page, live_server, obligee_user, tmp_path
):
    first, first_path = certificate_with_notice(obligee_user.obligee, tmp_path, "notice-1.pdf")
    second, second_path = certificate_with_notice(obligee_user.obligee, tmp_path, "notice-2.pdf")
    other = tmp_path / "invoice.pdf"
    other.write_bytes(sample_pdf())
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("#id_username").fill(obligee_user.email)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    expect(page.get_by_role("heading", name=re.compile("受領した保証証書"))).to_be_visible()

    # A real drop: the files arrive in a DataTransfer on the zone's drop event.
    files = [(path.name, path.read_bytes()) for path in (first_path, second_path, other)]
    transfer = page.evaluate_handle(
        """(files) => {
            const transfer = new DataTransfer();
            for (const [name, bytes] of files) {
                transfer.items.add(new File([new Uint8Array(bytes)], name, {type: "application/pdf"}));
            }
            return transfer;
        }""",
        [[name, list(content)] for name, content in files],
    )
    page.locator("[data-nd-drop]").dispatch_event("drop", {"dataTransfer": transfer})

    success = page.locator(".alert-success")
    expect(success.filter(has_text="notice-1.pdf")).to_contain_text(first.guarantee.number)
    expect(success.filter(has_text="notice-2.pdf")).to_contain_text(second.guarantee.number)
    expect(page.locator(".alert-danger").filter(has_text="invoice.pdf")).to_contain_text(
        "お知らせ」ではありません"
    )
    assert Receipt.objects.count() == 2
