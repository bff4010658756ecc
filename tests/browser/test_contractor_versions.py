"""In a browser: an amended certificate as the contractor sees it, and the two helps — what a
person reads, and no accessibility violation on the way."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.browser.conftest import sign_in
from tests.factories import CertificateFactory
from tests.guarantees.test_contractor_versions import amend, receive

pytestmark = pytest.mark.browser

axe = Axe()


def violations(page: Page) -> list[str]:
    found = axe.run(page).response["violations"]
    return [f"{v['id']} ({v['impact']}): {v['nodes'][0]['html'][:120]}" for v in found]


def test_an_amended_certificate_asks_for_the_new_key_and_shows_its_history(
    page: Page, contractor_user
):
    first = CertificateFactory(
        guarantee__application__contractor=contractor_user.contractor,
        guarantee__application__created_by=contractor_user,
    )
    receive(first)
    amend(first, contract_amount=35_000_000, amount=14_000_000)
    sign_in(page, contractor_user)

    row = page.get_by_role("row").filter(has_text=first.guarantee.number)
    expect(row).to_contain_text("第2版の認証キーをお渡しください")
    expect(row).to_contain_text("35,000,000円")
    assert violations(page) == [], "dashboard"

    row.get_by_role("link", name=first.guarantee.application.number).click()
    expect(page.get_by_test_id("handover-advance")).to_contain_text(
        "第2版の認証キーをお渡しください。"
    )
    history = page.get_by_test_id("versions-advance")
    expect(history.get_by_test_id("version-1")).to_contain_text("変更済")
    expect(history.get_by_test_id("version-1")).to_contain_text("受領済")
    expect(history.get_by_test_id("version-2")).to_contain_text("有効")
    expect(history.get_by_test_id("version-2")).to_contain_text("35,000,000円")
    expect(history.get_by_role("link", name="第1版(PDF)")).to_be_visible()
    assert violations(page) == [], "detail of an amended certificate"


@pytest.mark.parametrize("path", ["/help/", "/help/obligee/"])
def test_the_helps_read_well(page: Page, live_server, branch, path):
    page.goto(path)
    expect(page.get_by_test_id("branch-phones")).to_contain_text(branch.name)
    assert violations(page) == []
