"""The obligee's own pages in Chromium at a desk (1366×768) and on a phone (390×844): axe finds
nothing, the handover notice's words are where it says, a phone reads every value with its label
and without a word broken letter by letter, and the printed list is the records only."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from guarantees import keys
from guarantees.models import Guarantee, Receipt
from tests.browser.test_accessibility import violations
from tests.browser.test_obligee_received import obligee_sign_in as sign_in
from tests.factories import (
    CertificateFactory,
    ContractorFactory,
    ElectronicObligeeFactory,
    IssuedGuaranteeFactory,
    ObligeeFactory,
    UserFactory,
)

pytestmark = pytest.mark.browser

DESK = {"width": 1366, "height": 768}


@pytest.fixture(params=["desktop", "phone"])
def form_factor(request) -> str:
    """Each test at a desk and on a phone (390×844), unless it names one."""
    return request.param


@pytest.fixture(autouse=True)
def _desk_size(page: Page, form_factor):
    if form_factor == "desktop":
        page.set_viewport_size(DESK)  # the common office screen, rather than the default


@pytest.fixture
def shibukawa_user(transactional_db):
    return UserFactory(
        email="keiyaku@city.shibukawa.example.jp",
        full_name="渋川 花子",
        contractor=None,
        obligee=ElectronicObligeeFactory(name="渋川市", kana="シブカワシ"),
    )


@pytest.fixture
def amended(shibukawa_user):
    """A guarantee received as 第1版 and, once amended, as 第2版 (a larger amount); the key of
    第2版 for registering it again."""
    obligee = shibukawa_user.obligee
    guarantee = IssuedGuaranteeFactory(
        application__obligee=obligee,
        application__contractor=ContractorFactory(name="〇〇建設 株式会社"),
        application__works_name="市道1号線道路改良工事(その2)",
        amount=20_000_000,
    )
    now = timezone.now()
    v1 = CertificateFactory(guarantee=guarantee, version=1, issued_at=now - datetime.timedelta(30))
    guarantee.amount = 30_000_000
    guarantee.status = Guarantee.Status.AMENDED
    guarantee.save()
    key = keys.new_key()
    v2 = CertificateFactory(guarantee=guarantee, version=2, issued_at=now, key=key)
    v1.superseded_at = now
    v1.save()
    for version, received_at in ((v1, now - datetime.timedelta(29)), (v2, now)):
        Receipt.objects.create(
            certificate=version,
            obligee=obligee,
            received_by=shibukawa_user,
            received_at=received_at,
        )
    return v1, v2, key


def test_the_received_list_receive_page_and_certificate(
    page: Page, live_server, shibukawa_user, amended, form_factor, screenshot_dir
):
    v1, v2, key = amended
    sign_in(page, shibukawa_user)
    menu = page.get_by_role("navigation", name="発注者メニュー")
    expect(menu.get_by_role("link", name="受領した保証証書")).to_have_attribute(
        "aria-current", "page"
    )
    page.screenshot(path=screenshot_dir / f"obligee-list-{form_factor}.png", full_page=True)
    assert violations(page) == [], "received list"

    # The notice's step 2 and 3: 発注者メニューの「電子保証の受領」, then 「受領する」.
    menu.get_by_role("link", name="電子保証の受領").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("電子保証の受領")
    expect(page.locator("[data-nd-drop]")).to_be_visible()  # 「受領画面にドロップ」
    page.get_by_role("textbox", name="保証契約番号").fill(v2.guarantee.number)
    page.get_by_role("textbox", name="認証キー").fill(keys.display_key(key))
    page.screenshot(path=screenshot_dir / f"obligee-receive-{form_factor}.png", full_page=True)
    assert violations(page) == [], "receive page"
    page.get_by_role("button", name="受領する", exact=True).click()

    # Received already (第2版 was received today): said so, on the list, with its date.
    info = page.locator(".alert-info")
    expect(info).to_contain_text(f"{v2.guarantee.number}(第2版)は")
    expect(info).to_contain_text(f"{timezone.localdate():%Y/%m/%d} に受領済みです")
    assert Receipt.objects.count() == 2
    assert violations(page) == [], "received list with a message"

    # A refused pair on the receive page: the message there, the number kept.
    page.goto("/obligee/receive/")
    page.get_by_role("textbox", name="保証契約番号").fill("GM-2026-999999")
    page.get_by_role("textbox", name="認証キー").fill("0000-0000-0000-0000-0")
    page.get_by_role("button", name="受領する", exact=True).click()
    expect(page.get_by_test_id("register-error")).to_be_visible()
    expect(page.get_by_role("textbox", name="保証契約番号")).to_have_value("GM-2026-999999")
    assert violations(page) == [], "receive page, refused"

    page.goto(f"/obligee/certificates/{v1.pk}/")
    expect(page.get_by_test_id("verify-link").get_by_role("link")).to_have_attribute(
        "href", "/verify/"
    )
    page.screenshot(path=screenshot_dir / f"obligee-certificate-{form_factor}.png", full_page=True)
    assert violations(page) == [], "certificate with its versions"


def one_line(locator) -> bool:
    """Whether an inline element's text sits on one line (a word broken letter by letter makes
    one box per line)."""
    return locator.evaluate("(el) => el.getClientRects().length") == 1


def label_of(cell) -> str:
    return cell.evaluate("(td) => getComputedStyle(td, '::before').content")


@pytest.mark.parametrize("form_factor", ["phone"])
def test_on_a_phone_every_value_is_labelled_and_nothing_breaks_letter_by_letter(
    page: Page, live_server, shibukawa_user, amended
):
    v1, _v2, _key = amended
    sign_in(page, shibukawa_user)
    rows = page.locator("table.nd-received tbody tr")
    expect(rows).to_have_count(2)
    cells = rows.first.locator("td")
    labels = [label_of(cells.nth(n)) for n in range(cells.count())]
    assert labels == [
        f'"{text}"'
        for text in ["保証契約番号", "保証の種類", "請負者", "工事名", "保証金額", "発行日", "状態", "受領日"]
    ]  # fmt: skip
    amount = rows.first.locator("td.num")
    expect(amount).to_contain_text("30,000,000円")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    page.goto(f"/obligee/certificates/{v1.pk}/")
    dates = page.locator(".nd-certificate-fields .text-nowrap")  # (2026-12-03) kept whole
    assert dates.count() >= 4 and all(one_line(dates.nth(n)) for n in range(dates.count()))
    title = page.get_by_role("heading", level=1)
    assert one_line(title.locator(".font-monospace"))  # the guarantee number kept whole
    history = page.get_by_test_id("version-history")
    for version in ("version-1", "version-2"):
        row = history.get_by_test_id(version)
        assert one_line(row.get_by_role("link", name=re.compile("第.版")))
        assert label_of(row.locator("td").first) == '"版"'
        assert label_of(row.locator("td").nth(3)) == '"受領"'
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


@pytest.mark.parametrize("form_factor", ["desktop"])
def test_the_printed_list_is_the_conditions_and_the_table(
    page: Page, live_server, shibukawa_user, amended, screenshot_dir
):
    sign_in(page, shibukawa_user)
    page.get_by_label("保証金額(以上)").fill("1")
    page.get_by_role("button", name="検索", exact=True).click()
    page.emulate_media(media="print")
    expect(page.get_by_test_id("print-conditions")).to_contain_text("保証金額(以上)")
    expect(page.locator("table.nd-received")).to_be_visible()
    for hidden in (
        page.locator("[data-nd-drop]"),
        page.get_by_text(re.compile("PDF をここにドロップ")),
        page.get_by_role("heading", name="お知らせの PDF から受領"),
        page.get_by_role("heading", name="電子保証の受領"),
        page.locator("#id_notices"),
        page.get_by_test_id("obligee-menu"),
        page.get_by_test_id("received-search"),
    ):
        expect(hidden).to_be_hidden()
    page.set_viewport_size({"width": 1123, "height": 794})  # A4 landscape at 96 dpi
    page.screenshot(path=screenshot_dir / "obligee-list-print.png", full_page=True)


def test_an_obligee_that_receives_no_e_guarantee(
    page: Page, live_server, form_factor, screenshot_dir
):
    takasaki = UserFactory(
        email="keiyaku@city.takasaki.example.jp",
        contractor=None,
        obligee=ObligeeFactory(name="高崎市", kana="タカサキシ"),
    )
    sign_in(page, takasaki)
    banner = page.get_by_test_id("not-receiving")
    expect(banner).to_contain_text("高崎市は電子保証を受領できません")
    expect(page.locator("input[name=key], input[type=file]")).to_have_count(0)
    page.screenshot(
        path=screenshot_dir / f"obligee-not-receiving-{form_factor}.png", full_page=True
    )
    assert violations(page) == [], "received list"
    page.get_by_role("navigation", name="発注者メニュー").get_by_role(
        "link", name="電子保証の受領"
    ).click()
    expect(banner).to_be_visible()
    expect(page.locator("input[name=key], input[type=file]")).to_have_count(0)
    assert violations(page) == [], "receive page"
