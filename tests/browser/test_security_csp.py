"""Under the Content-Security-Policy, the portal and the Django admin work without a violation
(the autouse `browser_errors` fixture fails any test whose pages report one)."""

import pytest
from playwright.sync_api import Page, expect

from applications.models import Application
from fees.demo import load_demo_fee_tables
from tests.browser.conftest import admin_sign_in, sign_in
from tests.factories import ApplicationFactory, GuaranteeFactory, UserFactory

pytestmark = pytest.mark.browser


def test_an_inline_style_is_blocked_and_reported(signed_in_page: Page, browser_errors: list[str]):
    page = signed_in_page
    page.evaluate(
        """document.body.insertAdjacentHTML("beforeend",
             '<p id="probe" style="color: rgb(255, 0, 0)">x</p>')"""
    )
    page.evaluate(
        "document.body.append(Object.assign(document.createElement('script'), {text: 'window.ran = 1'}))"
    )
    expect(page.locator("#probe")).to_be_attached()

    assert (
        page.evaluate("getComputedStyle(document.getElementById('probe')).color")
        != "rgb(255, 0, 0)"
    )
    assert page.evaluate("window.ran") is None
    page.wait_for_timeout(100)  # the violation events are delivered after the insertions
    reported = "\n".join(browser_errors)
    assert "CSP violation: style-src-attr" in reported
    assert "CSP violation: script-src-elem" in reported
    browser_errors.clear()  # expected here; any other test fails on them


@pytest.fixture
def superuser_page(new_context, live_server, branch) -> Page:
    user = UserFactory(
        email="admin@example.jp", contractor=None, is_staff=True, is_superuser=True, branch=branch
    )
    page = new_context(viewport={"width": 1366, "height": 900}).new_page()
    admin_sign_in(page, user)
    return page


ADMIN_PAGES = [
    "/admin/",
    "/admin/applications/application/?obligee=渋川",
    "/admin/accounts/user/",
    "/admin/accounts/user/add/",
    "/admin/auth/group/add/",
    "/admin/obligees/obligee/",
    "/admin/fees/feetable/",
    "/admin/axes/accessattempt/",
    "/admin/otp_totp/totpdevice/add/",
    "/admin/password_change/",
]


def test_the_admin_pages_work_under_the_policy(superuser_page: Page, contractor_user, branch):
    page = superuser_page
    load_demo_fee_tables()
    application = ApplicationFactory(
        contractor=contractor_user.contractor,
        created_by=contractor_user,
        branch=branch,
        status=Application.Status.SENT,
    )
    GuaranteeFactory(application=application, amount=20_000_000)

    for url in ADMIN_PAGES:
        response = page.goto(url)
        assert response.status == 200, url
        expect(page.locator("#content")).to_be_visible()

    # The pages with the most script: inlines, date widgets, autocomplete, the filter widget.
    page.goto(f"/admin/applications/application/{application.pk}/change/")
    expect(page.get_by_role("button", name="受付する")).to_be_visible()
    page.goto("/admin/fees/feetable/add/")
    page.get_by_role("link", name="今日").first.click()
    page.locator(".add-row a").first.click()
    page.goto(f"/admin/accounts/user/{contractor_user.pk}/change/")
    page.locator(".select2-selection").first.click()
    expect(page.locator(".select2-results__option").first).to_be_visible()
    page.keyboard.press("Escape")
    page.goto("/admin/auth/group/add/")
    page.locator("#id_permissions_input").fill("application")
    expect(page.locator("#id_permissions_from option").first).to_be_visible()


def test_the_portal_pages_of_a_contractor_work_under_the_policy(page: Page, contractor_user):
    sign_in(page, contractor_user)
    for url in ["/applications/new/", "/obligees/", "/accounts/password-reset/"]:
        assert page.goto(url).status == 200, url
