"""Joining and managing one's own people in a real browser (SPEC §2): invitations accepted by the
invited person choosing their own password, roles refusing what they do not allow, a leaver's
session ended at once, and an obligee's first 管理者 invited by head office."""

import re

import pytest
from django.core.cache import cache
from playwright.sync_api import Page, expect

from accounts.groups import HEAD_OFFICE, ensure_staff_groups
from accounts.models import User
from applications.models import Application
from guarantees import keys
from guarantees.models import Receipt
from notifications.models import OutboxMessage
from tests.browser.conftest import admin_sign_in, sign_in
from tests.browser.test_application_journey import (
    choose_obligee,
    fill_contact,
    fill_works,
    go_to_new_form,
    press,
    request_advance,
)
from tests.factories import (
    PASSWORD,
    ApplicationFactory,
    BranchFactory,
    CertificateFactory,
    GuaranteeFactory,
    UserFactory,
)

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Every invitation link here is opened from 127.0.0.1; the limits count in the cache."""
    cache.clear()


NEW_PASSWORD = "hibari-no-sora-2026"
LINK = re.compile(r"https?://[^/\s]+(/members/invitations/[^/\s]+/)")


def invitation_path(email: str) -> str:
    """The path of the newest invitation link e-mailed to `email` (the outbox keeps the mail)."""
    message = OutboxMessage.objects.filter(recipient=email, template="member_invitation").latest(
        "pk"
    )
    match = LINK.search(message.body_text)
    assert match, message.body_text
    return match[1]


def invite_from_people_page(page: Page, email: str, role: str) -> None:
    page.get_by_test_id("menu-people").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("利用者の管理")
    page.locator("#id_email").fill(email)
    page.locator("#id_role").select_option(label=role)
    page.get_by_role("button", name="招待メールを送る").click()
    expect(page.locator(".alert-success")).to_contain_text(f"{email} に招待メールを送りました")
    expect(page.get_by_test_id(f"invitation-{email}")).to_contain_text(role)


def accept_invitation(page: Page, base_url: str, email: str, name: str) -> None:
    """The invited person opens the e-mailed link and chooses their name and password."""
    page.goto(base_url + invitation_path(email))
    expect(page.get_by_role("heading", name="利用者登録")).to_be_visible()
    assert "/members/invitations/accept/" in page.url  # the token left the address bar
    expect(page.get_by_test_id("invitation-email")).to_have_text(email)
    page.locator("#id_full_name").fill(name)
    page.locator("#id_password1").fill(NEW_PASSWORD)
    page.locator("#id_password2").fill(NEW_PASSWORD)
    page.get_by_role("button", name="登録する").click()
    expect(page.locator(".alert-success")).to_contain_text("登録が完了しました")


def test_an_admin_invites_an_applicant_who_accepts_and_applies(
    page: Page, new_context, live_server, contractor_user, shibukawa
):
    sign_in(page, contractor_user)
    invite_from_people_page(page, "shinjin@example.jp", "申込担当")

    newcomer = new_context().new_page()
    accept_invitation(newcomer, live_server.url, "shinjin@example.jp", "新人 一郎")
    user = User.objects.get(email="shinjin@example.jp")
    assert (user.contractor, user.role) == (contractor_user.contractor, "applicant")
    # A 申込担当 does not manage people.
    expect(newcomer.get_by_test_id("menu-people")).to_have_count(0)

    go_to_new_form(newcomer)
    choose_obligee(newcomer, "しぶかわ", "渋川市(群馬県)")
    fill_works(newcomer)
    request_advance(newcomer, amount="20,000,000")
    fill_contact(newcomer)
    press(newcomer, "確認へ進む")
    expect(newcomer.get_by_role("heading", level=1)).to_contain_text("申込確認")
    press(newcomer, "送信する")
    expect(newcomer.get_by_role("heading", level=1)).to_contain_text("送信完了")
    assert Application.objects.get(status=Application.Status.SENT).sent_by == user

    # The link again: used once, and said so.
    newcomer.context.clear_cookies()
    newcomer.goto(live_server.url + invitation_path("shinjin@example.jp"))
    expect(newcomer.get_by_test_id("invitation-refusal")).to_contain_text("すでに使用され")

    page.goto(live_server.url + "/members/timeline/")
    expect(page.get_by_test_id("timeline")).to_contain_text("招待から利用者が登録")


def test_a_viewer_sees_an_application_but_is_refused_sending_it(
    page: Page, live_server, contractor_user
):
    viewer = UserFactory(
        email="etsuran@example.jp", contractor=contractor_user.contractor, role="viewer"
    )
    draft = ApplicationFactory(contractor=viewer.contractor, created_by=contractor_user)
    GuaranteeFactory(application=draft)
    sign_in(page, viewer)
    expect(page.get_by_role("link", name="申込の作成(新規)")).to_have_count(0)
    page.goto(f"{live_server.url}/applications/{draft.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("申込内容")
    expect(page.get_by_role("link", name="作成を続ける")).to_have_count(0)
    expect(page.get_by_role("link", name="複写して新規作成")).to_have_count(0)
    page.goto(f"{live_server.url}/applications/{draft.pk}/confirm/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("ご利用の役割では行えません")
    expect(page.locator("main")).to_contain_text("閲覧のみ")
    draft.refresh_from_db()
    assert draft.status == Application.Status.DRAFT


def test_a_leaver_is_deactivated_mid_session(
    page: Page, new_context, live_server, contractor_user, screenshot_dir
):
    leaver = UserFactory(
        email="taishoku@example.jp",
        full_name="退職 予定",
        contractor=contractor_user.contractor,
        role="applicant",
    )
    leaving = new_context().new_page()
    leaving.goto(live_server.url)
    sign_in(leaving, leaver)

    sign_in(page, contractor_user)
    page.get_by_test_id("menu-people").first.click()
    page.get_by_test_id(f"person-{leaver.email}").get_by_role("link").click()
    page.get_by_role("button", name="利用を停止する").click()
    expect(page.locator(".alert-success")).to_contain_text("利用を停止しました")
    expect(page.get_by_test_id(f"person-{leaver.email}")).to_contain_text("利用停止")
    page.screenshot(path=screenshot_dir / "members-people.png", full_page=True)

    # The leaver's next click: the sign-in page, and their password no longer opens the portal.
    leaving.get_by_role("link", name="保証料計算書一覧").first.click()
    expect(leaving).to_have_url(re.compile(r"/accounts/login/"))
    leaving.locator("#id_username").fill(leaver.email)
    leaving.locator("#id_password").fill(PASSWORD)
    leaving.get_by_role("button", name="ログイン").click()
    expect(leaving.locator("main")).to_contain_text("正しくありません")


def test_head_office_invites_an_obligees_first_admin_who_invites_a_clerk_who_receives(
    page: Page, new_context, live_server, shibukawa
):
    head_office = UserFactory(
        email="honsha@example.jp",
        contractor=None,
        is_staff=True,
        branch=BranchFactory(code="HQ", name="本店営業部"),
    )
    head_office.groups.add(ensure_staff_groups()[HEAD_OFFICE])
    admin_sign_in(page, head_office)
    page.goto(f"{live_server.url}/admin/obligees/obligee/{shibukawa.pk}/change/")
    page.get_by_role("link", name="管理者を招待する").click()
    page.locator("#id_email").fill("keiyaku@city.shibukawa.example.jp")
    page.locator("input[name=_save]").click()
    expect(page.locator(".messagelist")).to_contain_text("keiyaku@city.shibukawa.example.jp")

    first = new_context().new_page()
    accept_invitation(
        first, live_server.url, "keiyaku@city.shibukawa.example.jp", "渋川市 契約 太郎"
    )
    admin = User.objects.get(email="keiyaku@city.shibukawa.example.jp")
    assert (admin.obligee, admin.role) == (shibukawa, "admin")
    invite_from_people_page(first, "uketsuke@city.shibukawa.example.jp", "担当者")

    clerk_page = new_context().new_page()
    accept_invitation(
        clerk_page, live_server.url, "uketsuke@city.shibukawa.example.jp", "渋川市 受付 花子"
    )
    clerk = User.objects.get(email="uketsuke@city.shibukawa.example.jp")
    assert (clerk.obligee, clerk.role) == (shibukawa, "clerk")
    expect(clerk_page.get_by_test_id("menu-people")).to_have_count(0)

    key = keys.new_key()
    certificate = CertificateFactory(guarantee__application__obligee=shibukawa, key=key)
    clerk_page.goto(f"{live_server.url}/obligee/")
    clerk_page.locator("#id_number").fill(certificate.guarantee.number)
    clerk_page.locator("#id_key").fill(keys.display_key(key))
    clerk_page.get_by_role("button", name="受領する", exact=True).click()
    expect(clerk_page.locator(".alert-success")).to_contain_text("を受領しました")
    assert Receipt.objects.get().certificate == certificate
