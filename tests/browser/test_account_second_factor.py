"""A contractor user turns on a second factor from アカウント設定, signs out, and signs in again
with the password and the code of the authenticator app — in a real browser."""

import re

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from tests.browser.conftest import sign_in
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


def code_of(device: TOTPDevice, *, steps_ahead: int = 0) -> str:
    value = totp(
        device.bin_key,
        step=device.step,
        t0=device.t0,
        digits=device.digits,
        drift=device.drift + steps_ahead,
    )
    return f"{value:0{device.digits}d}"


def test_enrol_sign_out_and_sign_in_with_a_code(page: Page, live_server, contractor_user):
    sign_in(page, contractor_user)
    page.get_by_test_id("menu-account").click()
    expect(page.get_by_role("heading", name="アカウント設定")).to_be_visible()
    expect(page.get_by_test_id("account-second-factor")).to_contain_text("無効")
    page.get_by_role("link", name="設定する").click()
    page.get_by_role("link", name="二段階認証を設定する").click()

    expect(page.get_by_test_id("enrol-qr")).to_be_visible()
    secret = page.get_by_test_id("enrol-secret").inner_text().replace(" ", "")
    device = TOTPDevice.objects.get(user=contractor_user, confirmed=False)
    assert re.fullmatch(r"[A-Z2-7]+=*", secret)

    page.get_by_label("認証アプリに表示された6桁の確認コード").fill("000000")
    page.get_by_role("button", name="設定を完了する").click()
    expect(page.locator(".invalid-feedback")).to_contain_text("確認コードが正しくありません")

    device.refresh_from_db()
    page.wait_for_timeout(1100)  # django-otp's wait after a wrong code
    page.get_by_label("認証アプリに表示された6桁の確認コード").fill(code_of(device))
    page.get_by_role("button", name="設定を完了する").click()
    expect(page.get_by_test_id("second-factor-on")).to_be_visible()
    expect(page.get_by_test_id("backup-codes").locator("li")).to_have_count(10)
    page.get_by_role("link", name="書き留めました").click()
    expect(page.get_by_test_id("second-factor-state")).to_contain_text("有効")

    page.get_by_role("button", name="ログアウト").first.click()
    page.goto("/accounts/login/")
    page.locator("#id_username").fill(contractor_user.email)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    expect(page.get_by_role("heading", name="確認コードの入力")).to_be_visible()
    device.refresh_from_db()
    # The enrolment used this time step's code: the app's next one is accepted (one step of
    # tolerance), as an authenticator app would show half a minute later.
    page.get_by_label(re.compile("確認コード")).fill(code_of(device, steps_ahead=1))
    page.get_by_role("button", name="ログイン").click()
    expect(page.get_by_role("heading", name="申込一覧")).to_be_visible()
