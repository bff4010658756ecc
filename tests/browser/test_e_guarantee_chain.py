"""The whole life of an electronic guarantee, in real browsers, each party in its own session.

The contractor applies → the branch accepts, approves and issues (the worker runs in-process) →
the contractor reveals the key and downloads the handover notice → the obligee registers it, by
dropping the notice PDF and (another obligee user) by typing → sees and downloads the certificate
→ /verify/ says the download is genuine → the branch amends the guarantee → the obligee sees 変更済
and what changed; the old key no longer registers, the new one does.
"""

import hashlib
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
    """電子保証の受領 by typing, on /obligee/."""
    page.goto("/obligee/")
    page.get_by_role("textbox", name=re.compile("^保証契約番号")).fill(number)
    page.get_by_role("textbox", name=re.compile("^認証キー")).fill(key)
    page.get_by_role("button", name="受領する", exact=True).click()


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
    # Tasks run in-process here (no broker): the page answers once the certificate exists.
    expect(page.locator(".messagelist .success")).to_contain_text("を発行しました(発行済)")
    return Guarantee.objects.get(application__number=application_number).number


def contractor_reveals_key(
    page: Page, application_number: str, tmp_path, status: str = "発行済"
) -> tuple[str, bytes]:
    """The key as shown, and the handover notice PDF as downloaded."""
    page.goto("/")
    row = page.get_by_role("row").filter(has_text=application_number)
    expect(row).to_contain_text(status)
    row.get_by_role("link", name="認証キー").click()
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="認証キーを表示する").click()
    shown = page.get_by_test_id("auth-key").inner_text()
    with page.expect_download() as download:
        page.get_by_role("button", name=re.compile("お知らせ.*PDF")).click()
    path = tmp_path / "notice.pdf"
    download.value.save_as(path)
    return shown, path.read_bytes()


def applied_and_issued(page: Page, new_context, contractor_user, staff) -> tuple[str, str, Page]:
    """The contractor (signed in on `page`) applies; the branch, in a browser of its own, issues.
    The application and guarantee numbers, and the staff's page."""
    load_demo_fee_tables()
    sign_in(page, contractor_user)
    application_number = contractor_applies(page)
    staff_page = new_context(viewport={"width": 1366, "height": 768}).new_page()
    admin_sign_in(staff_page, staff)
    return (
        application_number,
        staff_accept_approve_issue(staff_page, application_number),
        staff_page,
    )


def test_an_electronic_guarantee_from_application_to_the_obligee(
    page: Page, new_context, live_server, contractor_user, staff, obligee_user, tmp_path,
    screenshot_dir,
):  # fmt: skip
    application_number, guarantee_number, _ = applied_and_issued(
        page, new_context, contractor_user, staff
    )
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


def staff_amend(page: Page, application_number: str, amount: str, screenshot=None) -> None:
    """変更 in the admin: the form, the confirmation listing the change, then 変更する."""
    # The list opens on what is to do; an issued (完了) application is searched for by number.
    page.goto(f"/admin/applications/application/?status=all&q={application_number}")
    page.get_by_role("link", name=application_number).click()
    page.get_by_role("link", name="前払金保証を変更する").click()
    page.get_by_label("保証金額").fill(amount)
    page.get_by_label("変更の理由").fill("工事内容の変更による減額")
    page.get_by_role("button", name="確認へ進む").click()
    expect(page.get_by_test_id("amendment-changes")).to_contain_text(amount + "円")
    if screenshot:
        page.screenshot(path=screenshot, full_page=True)
    page.get_by_role("button", name="変更する").click()
    expect(page.locator(".messagelist .success")).to_contain_text("変更を受け付けました")


def test_a_dropped_notice_a_verified_download_and_an_amendment(
    page: Page, new_context, live_server, contractor_user, staff, obligee_user, tmp_path,
    screenshot_dir,
):  # fmt: skip
    application_number, guarantee_number, staff_page = applied_and_issued(
        page, new_context, contractor_user, staff
    )
    old_key, _notice = contractor_reveals_key(page, application_number, tmp_path)

    # The obligee drops the notice PDF the contractor e-mailed: no typing.
    obligee_page = new_context(viewport={"width": 1280, "height": 900}).new_page()
    obligee_sign_in(obligee_page, obligee_user)
    obligee_page.locator("#id_notices").set_input_files(tmp_path / "notice.pdf")
    obligee_page.get_by_role("button", name="読み取って受領する").click()
    expect(obligee_page.locator(".alert-success")).to_contain_text(
        f"{guarantee_number}(第1版)を受領しました"
    )

    # It opens the certificate, downloads the signed PDF, and checks that file on /verify/.
    obligee_page.get_by_role("link", name=re.compile(guarantee_number)).click()
    expect(obligee_page.get_by_test_id("certificate-state")).to_have_text("有効")
    expect(obligee_page.get_by_test_id("signature-badge")).to_contain_text("有効な署名")
    with obligee_page.expect_download() as download:
        obligee_page.get_by_test_id("certificate-download").click()
    downloaded = tmp_path / "certificate.pdf"
    download.value.save_as(downloaded)
    certificate = Certificate.objects.get(guarantee__number=guarantee_number)
    assert hashlib.sha256(downloaded.read_bytes()).hexdigest() == certificate.sha256
    obligee_page.goto("/verify/")
    obligee_page.locator("#id_file").set_input_files(downloaded)
    obligee_page.get_by_role("button", name="確認する").click()
    expect(obligee_page.get_by_test_id("verdict")).to_have_text("当社が発行した保証証書です")
    expect(obligee_page.get_by_test_id("certificate-state")).to_have_text("有効")

    # The branch amends it; the obligee sees 変更済 and what changed.
    staff_amend(
        staff_page, application_number, "18,000,000", screenshot_dir / "chain-staff-amend.png"
    )
    obligee_page.goto("/obligee/")
    row = obligee_page.get_by_role("row").filter(has_text=guarantee_number)
    expect(row).to_contain_text("変更済")
    row.get_by_role("link", name=re.compile(guarantee_number)).click()
    expect(obligee_page.get_by_test_id("newer-version")).to_be_visible()
    change = obligee_page.get_by_test_id("version-2").get_by_test_id("change")
    expect(change).to_contain_text("20,000,000円")
    expect(change).to_contain_text("18,000,000円")
    obligee_page.screenshot(path=screenshot_dir / "chain-obligee-amended.png", full_page=True)

    # The old key no longer registers; the contractor's new key does.
    register_typed(obligee_page, guarantee_number, old_key)
    expect(obligee_page.get_by_test_id("register-error")).to_contain_text("確認できませんでした")
    new_key, _ = contractor_reveals_key(page, application_number, tmp_path, status="変更")
    assert new_key != old_key
    register_typed(obligee_page, guarantee_number, new_key)
    expect(obligee_page.locator(".alert-success")).to_contain_text(
        f"{guarantee_number}(第2版)を受領しました"
    )
    assert Receipt.objects.filter(certificate__version=2).count() == 1
