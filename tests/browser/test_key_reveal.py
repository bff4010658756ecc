"""A contractor shows an electronic guarantee's authentication key and copies it (SPEC §6), and
anyone checks the certificate through its verification address — in a real browser."""

import re

import pytest
from playwright.sync_api import Page, expect

from core.models import AuditEntry
from guarantees import keys
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD, CertificateFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def key() -> str:
    return keys.new_key()


@pytest.fixture
def certificate(contractor_user, key):
    return CertificateFactory(
        guarantee__application__contractor=contractor_user.contractor,
        guarantee__application__created_by=contractor_user,
        key=key,
    )


@pytest.mark.parametrize("form_factor", ["desktop", "phone"])
def test_the_key_is_shown_after_the_password_and_copied_to_the_clipboard(
    context, page: Page, live_server, contractor_user, certificate, key, form_factor, screenshot_dir
):
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    shown = keys.display_key(key)
    number = certificate.guarantee.number
    sign_in(page, contractor_user)

    page.get_by_role("link", name=certificate.guarantee.application.number).click()
    issued = page.get_by_test_id("certificate-advance")
    expect(issued).to_contain_text("発行済")
    expect(issued).to_contain_text(number)
    expect(issued).to_contain_text("第1版")
    issued.get_by_role("link", name="認証キーを表示").click()

    expect(page.get_by_role("heading", name="認証キーの表示")).to_be_visible()
    page.get_by_label("パスワード").fill("not-the-password")
    page.get_by_role("button", name="認証キーを表示する").click()
    expect(page.get_by_role("alert")).to_have_text(re.compile("パスワードが正しくありません"))
    assert shown not in page.content()

    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="認証キーを表示する").click()
    expect(page.get_by_test_id("auth-key")).to_have_text(shown)
    expect(page.get_by_test_id("guarantee-number")).to_have_text(number)
    assert shown not in page.url and key not in page.url
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=screenshot_dir / f"key-shown-{form_factor}.png", full_page=True)

    page.get_by_role("button", name="認証キーをコピー").click()
    expect(page.locator("#auth-key-copied")).to_have_text("コピーしました")
    assert page.evaluate("navigator.clipboard.readText()") == shown
    page.get_by_role("button", name="保証契約番号をコピー").click()
    expect(page.locator("#guarantee-number-copied")).to_have_text("コピーしました")
    assert page.evaluate("navigator.clipboard.readText()") == number

    actions = list(
        AuditEntry.objects.filter(action__startswith="certificate.").values_list("action", "data")
    )
    assert actions == [
        ("certificate.key_reveal_failed", {"version": 1, "reason": "wrong_password"}),
        ("certificate.key_revealed", {"version": 1}),
    ]


@pytest.mark.parametrize("form_factor", ["desktop", "phone"])
def test_the_verification_address_shows_the_certificate_without_sign_in(
    page: Page, live_server, certificate, form_factor, screenshot_dir
):
    page.goto(f"/verify/{certificate.verify_token}/")
    expect(page.get_by_role("heading", name="保証証書の確認")).to_be_visible()
    expect(page.get_by_test_id("certificate-state")).to_have_text("有効")
    expect(page.get_by_test_id("guarantee-number")).to_have_text(certificate.guarantee.number)
    expect(page.get_by_test_id("amount")).to_have_text("金20,000,000円")
    # Nothing sticks out of a phone's screen.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=screenshot_dir / f"verify-{form_factor}.png", full_page=True)
