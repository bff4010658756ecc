"""Branch staff process an application in the admin while the contractor follows it (SPEC §4).

Staff sign in with a password and an authenticator code, accept and return the application;
the contractor corrects and re-sends it; staff approve; the contractor sees number, status and fee.
"""

import re

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import Page, expect

from accounts.groups import BRANCH_STAFF, ensure_staff_groups
from applications import services
from applications.models import Application
from fees.demo import load_demo_fee_tables
from guarantees.models import Guarantee
from tests.accounts.otp import authenticator_for, current_code
from tests.browser.conftest import sign_in
from tests.factories import (
    PASSWORD,
    ApplicationFactory,
    ElectronicObligeeFactory,
    GuaranteeFactory,
    UserFactory,
)

pytestmark = pytest.mark.browser


@pytest.fixture
def sent(contractor_user, branch) -> Application:
    """An application the contractor has sent to `branch`."""
    application = ApplicationFactory(
        contractor=contractor_user.contractor,
        created_by=contractor_user,
        branch=branch,
        obligee=ElectronicObligeeFactory(name="渋川市"),
        notify_email=contractor_user.email,
    )
    GuaranteeFactory(application=application, amount=20_000_000)
    return services.application_submit(application_id=application.pk, user=contractor_user)


@pytest.fixture
def staff(branch):
    ensure_staff_groups()
    user = UserFactory(
        email="staff-gunma@example.jp", contractor=None, is_staff=True, branch=branch
    )
    user.groups.add(Group.objects.get(name=BRANCH_STAFF))
    return user


@pytest.fixture
def staff_page(new_context, live_server, staff) -> Page:
    """Staff signed in to the admin with password and authenticator code."""
    page = new_context(viewport={"width": 1400, "height": 900}).new_page()
    page.goto("/admin/login/")
    page.locator("#id_username").fill(staff.email)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#id_otp_token").fill(current_code(authenticator_for(staff)))
    page.locator("input[type=submit]").click()
    expect(page.get_by_role("heading", name="業務メニュー")).to_be_visible()
    return page


def open_in_admin(page: Page, application: Application) -> None:
    page.goto("/admin/applications/application/")
    page.get_by_role("link", name=application.number).click()
    expect(page.get_by_role("heading", name=application.number)).to_be_visible()


def test_staff_accept_return_approve_and_the_contractor_follows(
    page: Page, staff_page: Page, contractor_user, sent, screenshot_dir
):
    load_demo_fee_tables()
    sign_in(page, contractor_user)

    # Staff accept, then return with a message.
    open_in_admin(staff_page, sent)
    staff_page.get_by_role("button", name="受付する").click()
    expect(staff_page.get_by_text("を受け付けました(審査中)。")).to_be_visible()
    staff_page.get_by_role("link", name="差し戻す").click()
    staff_page.get_by_label("差戻しの理由(お客様へのお知らせ)").fill("工期(至)は3月31日です。")
    staff_page.get_by_role("button", name="送信").click()
    expect(staff_page.get_by_text("を差し戻しました。")).to_be_visible()

    # The contractor sees it on the dashboard and in the form, corrects and re-sends.
    page.goto("/")
    row = page.get_by_role("row").filter(has_text=sent.number)
    expect(row).to_contain_text("差戻し")
    expect(row).to_contain_text("工期(至)は3月31日です。")
    row.get_by_role("link", name=sent.number).click()
    page.get_by_role("link", name="修正して再送信する").click()
    expect(page.get_by_test_id("return-notice")).to_contain_text("工期(至)は3月31日です。")
    page.get_by_label("工期(至)").fill("2027-03-31")
    page.get_by_role("button", name="確認へ進む").click()
    page.get_by_role("button", name="送信する").click()
    expect(page.get_by_test_id("application-number")).to_have_text(sent.number)

    # Staff accept the corrected application and approve the guarantee.
    open_in_admin(staff_page, sent)
    staff_page.get_by_role("button", name="受付する").click()
    staff_page.get_by_role("button", name="前払金保証を承諾する").click()
    expect(staff_page.get_by_text("前払金保証を承諾しました。")).to_be_visible()
    staff_page.screenshot(path=screenshot_dir / "admin-approved.png", full_page=True)

    guarantee = Guarantee.objects.get(application=sent)
    assert guarantee.status == Guarantee.Status.APPROVED
    assert re.fullmatch(r"B01-\d{4}-000001", guarantee.number)
    sent.refresh_from_db()
    assert sent.status == Application.Status.REVIEWING and sent.period_end.day == 31

    # The contractor sees the number, the status and the fee.
    page.goto("/")
    row = page.get_by_role("row").filter(has_text=sent.number)
    expect(row).to_contain_text(guarantee.number)
    expect(row).to_contain_text("承諾")
    row.get_by_role("link", name=sent.number).click()
    expect(page.get_by_test_id("fee-advance")).to_have_text(f"{guarantee.fee:,}円")
    expect(
        page.get_by_text(f"前払金保証を承諾しました(保証契約番号 {guarantee.number})")
    ).to_be_visible()
    expect(page.get_by_text("営業部・支店から差戻しがありました")).to_be_visible()
    page.screenshot(path=screenshot_dir / "contractor-approved.png", full_page=True)
