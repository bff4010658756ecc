"""The whole life of an electronic guarantee, in real browsers, each party in its own session.

The contractor applies → the branch accepts, approves and issues (the worker runs in-process) →
the contractor reveals the key and downloads the handover notice → the obligee registers it →
sees and downloads the certificate.
"""

import re

import pytest
from playwright.sync_api import Page, expect

from accounts.groups import BRANCH_STAFF, ensure_staff_groups
from fees.demo import load_demo_fee_tables
from guarantees.models import Certificate, Guarantee, Receipt
from guarantees.rendering import read_key_notice
from tests.browser.conftest import admin_sign_in, sign_in
from tests.browser.test_application_journey import (
    choose_obligee,
    fill_contact,
    fill_works,
    go_to_new_form,
    press,
    request_advance,
)
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def staff(branch):
    user = UserFactory(
        email="staff-gunma@example.jp", contractor=None, is_staff=True, branch=branch
    )
    user.groups.add(ensure_staff_groups()[BRANCH_STAFF])
    return user


@pytest.fixture
def obligee_user(shibukawa):
    return UserFactory(
        email="keiyaku@city.shibukawa.example.jp",
        full_name="渋川 花子",
        contractor=None,
        obligee=shibukawa,
    )


def obligee_sign_in(page: Page, user) -> None:
    page.goto("/accounts/login/")
    page.locator("#id_username").fill(user.email)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    expect(page.get_by_role("heading", name=re.compile("受領した保証証書"))).to_be_visible()


def register_typed(page: Page, number: str, key: str) -> None:
    """認証キーの登録 by typing, on /obligee/."""
    page.goto("/obligee/")
    page.get_by_role("textbox", name=re.compile("^保証契約番号")).fill(number)
    page.get_by_role("textbox", name=re.compile("^認証キー")).fill(key)
    page.get_by_role("button", name="登録する", exact=True).click()


def contractor_applies(page: Page) -> str:
    """申込作成 > 申込確認 > 送信完了 for an electronic advance-payment guarantee; the number."""
    go_to_new_form(page)
    choose_obligee(page, "しぶかわ", "渋川市(群馬県)")
    fill_works(page)
    request_advance(page, amount="20,000,000", electronic=True)
    fill_contact(page)
    press(page, "確認へ進む")
    press(page, "送信する")
    number = page.get_by_test_id("application-number").inner_text()
    return number


def staff_accept_approve_issue(page: Page, application_number: str) -> str:
    """受付 → 承諾 → 発行 in the admin; the guarantee number."""
    page.goto("/admin/applications/application/")
    page.get_by_role("link", name=application_number).click()
    page.get_by_role("button", name="受付する").click()
    page.get_by_role("link", name="前払金保証を承諾する").click()
    page.get_by_role("button", name="承諾する").click()
    expect(page.locator(".messagelist .success")).to_contain_text("前払金保証を承諾しました")
    page.get_by_role("link", name="前払金保証を発行する").click()
    page.get_by_role("button", name="発行する").click()
    expect(page.locator(".messagelist .success")).to_contain_text("の発行を開始しました")
    return Guarantee.objects.get(application__number=application_number).number


def contractor_reveals_key(page: Page, application_number: str, tmp_path) -> tuple[str, bytes]:
    """The key as shown, and the handover notice PDF as downloaded."""
    page.goto("/")
    row = page.get_by_role("row").filter(has_text=application_number)
    expect(row).to_contain_text("発行済")
    row.get_by_role("link", name="認証キー").click()
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="認証キーを表示する").click()
    shown = page.get_by_test_id("auth-key").inner_text()
    with page.expect_download() as download:
        page.get_by_role("button", name=re.compile("お知らせ.*PDF")).click()
    path = tmp_path / "notice.pdf"
    download.value.save_as(path)
    return shown, path.read_bytes()


def test_an_electronic_guarantee_from_application_to_the_obligee(
    page: Page, new_context, live_server, contractor_user, staff, obligee_user, tmp_path,
    screenshot_dir,
):  # fmt: skip
    load_demo_fee_tables()
    sign_in(page, contractor_user)
    application_number = contractor_applies(page)

    staff_page = new_context(viewport={"width": 1366, "height": 768}).new_page()
    admin_sign_in(staff_page, staff)
    guarantee_number = staff_accept_approve_issue(staff_page, application_number)

    shown_key, notice = contractor_reveals_key(page, application_number, tmp_path)
    assert read_key_notice(notice) == (guarantee_number, shown_key)

    # The obligee types number and key (lower case, no hyphens: entry forgives both).
    obligee_page = new_context(viewport={"width": 1280, "height": 900}).new_page()
    obligee_sign_in(obligee_page, obligee_user)
    register_typed(obligee_page, guarantee_number, shown_key.replace("-", "").lower())
    expect(obligee_page.locator(".alert-success")).to_contain_text(
        f"{guarantee_number}(第1版)を受領しました"
    )
    row = obligee_page.get_by_role("row").filter(has_text=guarantee_number)
    expect(row).to_contain_text("有効")
    certificate = Certificate.objects.get(guarantee__number=guarantee_number)
    assert Receipt.objects.filter(certificate=certificate, obligee=obligee_user.obligee).exists()
    obligee_page.screenshot(path=screenshot_dir / "chain-obligee-received.png", full_page=True)

    # The contractor sees that the obligee has it.
    page.goto("/")
    page.get_by_role("link", name=application_number).click()
    expect(page.get_by_test_id("received-advance")).to_contain_text("発注者受領済")
