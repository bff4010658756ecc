"""axe-core finds no accessibility violation on the pages contractors, obligees and the public use,
at 1366×768 and at 390×844."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.browser.conftest import sign_in
from tests.factories import (
    PASSWORD,
    ApplicationFactory,
    CertificateFactory,
    GuaranteeFactory,
    make_sent_application,
)

# Every page at the office screen's size and at a phone's (where the header's menu is folded).
pytestmark = [pytest.mark.browser, pytest.mark.parametrize("form_factor", ["wide", "phone"])]

axe = Axe()


def violations(page: Page) -> list[str]:
    found = axe.run(page).response["violations"]
    return [f"{v['id']} ({v['impact']}): {v['nodes'][0]['html'][:120]}" for v in found]


@pytest.mark.parametrize("path", ["/accounts/login/", "/obligees/", "/accounts/password-reset/"])
def test_public_pages(page: Page, live_server, shibukawa, path):
    page.goto(path)
    assert violations(page) == []


def test_the_registration_pages(page: Page, live_server, branch):
    page.goto("/registrations/")
    assert violations(page) == [], "利用申込"
    page.get_by_role("button", name="申し込む").click()
    expect(page.locator(".invalid-feedback").first).to_be_visible()
    assert violations(page) == [], "利用申込 with errors"
    page.goto("/registrations/confirm/")
    assert violations(page) == [], "an invalid confirmation link"


def test_contractor_pages(page: Page, contractor_user, branch, shibukawa):
    application = make_sent_application(contractor_user, branch=branch, obligee=shibukawa)
    sign_in(page, contractor_user)
    assert violations(page) == [], "dashboard"
    page.goto(f"/applications/{application.pk}/")
    assert violations(page) == [], "detail"
    page.goto(f"/applications/{application.pk}/print/")
    assert violations(page) == [], "申込控え"
    draft = ApplicationFactory(
        contractor=contractor_user.contractor, created_by=contractor_user, branch=branch
    )
    GuaranteeFactory(application=draft)
    page.goto(f"/applications/{draft.pk}/confirm/")
    expect(page.get_by_role("heading", name="申込確認")).to_be_visible()
    assert violations(page) == [], "confirm"
    for help_page in ["/help/", "/help/obligee/"]:
        page.goto(help_page)
        assert violations(page) == [], help_page
    page.goto("/applications/new/")
    assert violations(page) == [], "new application"
    page.get_by_role("button", name="確認へ進む").click()
    expect(page.locator("#error-summary")).to_be_visible()
    assert violations(page) == [], "form with errors"


def test_certificate_pages(page: Page, contractor_user):
    certificate = CertificateFactory(
        guarantee__application__contractor=contractor_user.contractor,
        guarantee__application__created_by=contractor_user,
    )
    page.goto(f"/verify/{certificate.verify_token}/")
    assert violations(page) == [], "verification page"
    sign_in(page, contractor_user)
    assert violations(page) == [], "dashboard with an issued guarantee"
    page.goto(f"/applications/{certificate.guarantee.application_id}/")
    assert violations(page) == [], "detail with its certificate"
    page.goto(f"/certificates/{certificate.pk}/key/")
    page.get_by_label("パスワード").fill("not-the-password")
    page.get_by_role("button", name="認証キーを表示する").click()
    assert violations(page) == [], "password refused"
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="認証キーを表示する").click()
    expect(page.get_by_test_id("auth-key")).to_be_visible()
    assert violations(page) == [], "key shown"


def test_obligee_pages(page: Page, live_server, tmp_path):
    """The received list (with a refused registration and a bad search), a certificate, the
    receive page and the PDF check with its answer."""
    from guarantees.models import Receipt
    from tests.factories import ElectronicObligeeFactory, UserFactory

    obligee_user = UserFactory(contractor=None, obligee=ElectronicObligeeFactory(name="渋川市"))
    certificate = CertificateFactory(guarantee__application__obligee=obligee_user.obligee)
    Receipt.objects.create(
        certificate=certificate,
        obligee=obligee_user.obligee,
        received_by=obligee_user,
        received_at=certificate.issued_at,
    )
    page.goto("/accounts/login/")
    page.locator("#id_username").fill(obligee_user.email)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    assert violations(page) == [], "received list"
    page.get_by_role("textbox", name="保証契約番号").fill("GM-2026-999999")
    page.get_by_role("textbox", name="認証キー").fill("0000-0000-0000-0000-0")
    page.get_by_role("button", name="受領する", exact=True).click()
    assert violations(page) == [], "registration refused"
    page.goto("/obligee/?amount_min=abc")
    assert violations(page) == [], "search with an error"
    page.goto(f"/obligee/certificates/{certificate.pk}/")
    assert violations(page) == [], "certificate"
    page.goto("/obligee/receive/")
    assert violations(page) == [], "receive page"
    pdf = tmp_path / "certificate.pdf"
    with certificate.pdf.open("rb") as stored:
        pdf.write_bytes(stored.read())
    page.goto("/verify/")
    page.locator("#id_file").set_input_files(pdf)
    page.get_by_role("button", name="確認する").click()
    expect(page.get_by_test_id("verdict")).to_be_visible()
    assert violations(page) == [], "PDF check answer"
