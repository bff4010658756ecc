"""A company new to Net Desk applies, confirms its e-mail address, is approved by the branch,
and its first 管理者 accepts the invitation and signs in — nobody types their password for them.
"""

import re
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from playwright.sync_api import Page, expect

from accounts.groups import BRANCH_STAFF, ensure_staff_groups
from accounts.models import User
from notifications.models import OutboxMessage
from tests.browser.conftest import admin_sign_in
from tests.factories import UserFactory

pytestmark = pytest.mark.browser

NEW_PASSWORD = "hishi-doboku-2026-kanri"


def link_in_mail(template: str, recipient: str) -> str:
    """The path of the link in the latest e-mail `template` to `recipient` (its host is the
    configured SITE_URL, not the test's live server)."""
    body = OutboxMessage.objects.filter(template=template, recipient=recipient).latest("pk")
    url = re.search(r"https?://\S+", body.body_text)[0]
    return urlsplit(url).path


@pytest.fixture
def staff(branch):
    ensure_staff_groups()
    user = UserFactory(
        email="staff-maebashi@example.jp", contractor=None, is_staff=True, branch=branch
    )
    user.groups.add(Group.objects.get(name=BRANCH_STAFF))
    return user


def test_a_company_applies_is_approved_and_its_admin_signs_in(
    page: Page, new_context, live_server, branch, staff
):
    cache.clear()
    email = "jiro@hishi-doboku.example.jp"

    # The company applies from the sign-in page, typing as people do (full-width digits, kana
    # in hiragana).
    page.goto("/accounts/login/")
    page.get_by_test_id("registration-link").click()
    expect(page.get_by_role("heading", name="ネットデスクの利用申込")).to_be_visible()
    page.locator("#id_company_name").fill("◇◇土木 株式会社")
    page.locator("#id_company_kana").fill("ひしひしどぼく")
    page.locator("#id_corporate_number").fill(
        "６００００１２０５０００２"
    )  # a wrong check digit first
    page.locator("#id_address").fill("群馬県前橋市大手町1-1-1")
    page.locator("#id_representative").fill("代表取締役 菱田 一郎")
    page.get_by_label("都道府県知事").check()
    page.locator("#id_permit_prefecture").select_option(label="群馬県")
    page.get_by_label("一般", exact=True).check()
    page.locator("#id_permit_number").fill("０１２３４５")
    page.locator("#id_branch").select_option(label="前橋支店")
    page.locator("#id_applicant_name").fill("菱田 次郎")
    page.locator("#id_applicant_department").fill("総務部")
    page.locator("#id_applicant_phone").fill("027-224-1111")
    page.locator("#id_applicant_email").fill(email)
    page.get_by_role("button", name="申し込む").click()
    expect(page.get_by_text("法人番号の検査用数字(先頭の1桁)が合いません")).to_be_visible()
    page.locator("#id_corporate_number").fill("７００００１２０５０００２")
    page.get_by_role("button", name="申し込む").click()
    expect(page.get_by_test_id("registration-sent")).to_contain_text(email)

    # Nothing reaches the branch before the address is confirmed.
    staff_page = new_context(viewport={"width": 1366, "height": 768}).new_page()
    admin_sign_in(staff_page, staff)
    expect(staff_page.get_by_test_id("queue-registrations")).to_have_text("0件")

    # The applicant opens the e-mail's link and confirms.
    page.goto(link_in_mail("registration_confirm", email))
    expect(page.get_by_test_id("confirmation-summary")).to_contain_text("7000012050002")
    expect(page.get_by_test_id("confirmation-summary")).to_contain_text(
        "群馬県知事 許可(般)第012345号"
    )
    page.get_by_role("button", name="確定する").click()
    expect(page.get_by_test_id("confirmation-done")).to_contain_text("前橋支店に届きました")

    # The branch sees it in its work queue, checks it and approves, creating the company.
    staff_page.reload()
    expect(staff_page.get_by_test_id("queue-registrations")).to_have_text("1件")
    staff_page.get_by_role("link", name="利用申込(審査待ち)").click()
    staff_page.get_by_role("link", name="◇◇土木 株式会社").click()
    expect(staff_page.get_by_text("正しい(法人番号公表サイトで")).to_be_visible()
    staff_page.get_by_test_id("registration-approve").click()
    staff_page.get_by_label("申込の内容で請負者を新しく登録する").check()
    staff_page.get_by_role("button", name="承認する").click()
    expect(staff_page.get_by_text("管理者としての招待メールを送りました")).to_be_visible()

    # The applicant accepts the invitation, choosing their own password.
    page.goto(link_in_mail("member_invitation", email))
    expect(page.get_by_test_id("invitation-organisation")).to_have_text("◇◇土木 株式会社")
    expect(page.get_by_test_id("invitation-role")).to_have_text("管理者")
    page.locator("#id_full_name").fill("菱田 次郎")
    page.locator("#id_password1").fill(NEW_PASSWORD)
    page.locator("#id_password2").fill(NEW_PASSWORD)
    page.get_by_role("button", name="登録する").click()
    expect(page.get_by_role("heading", name="申込一覧")).to_be_visible()

    # Signed out, they sign in again with that password.
    page.get_by_role("button", name="ログアウト").click()
    page.goto("/accounts/login/")
    page.locator("#id_username").fill(email)
    page.locator("#id_password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    expect(page.get_by_role("heading", name="申込一覧")).to_be_visible()
    user = User.objects.get(email=email)
    assert (user.contractor.name, user.role) == ("◇◇土木 株式会社", User.Role.ADMIN)
    assert user.contractor.home_branch == branch
