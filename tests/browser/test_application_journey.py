"""A contractor applies for a guarantee in a real browser (SPEC §3): create → confirm → sent.

What is asserted is what the user sees, and the database state behind it.
"""

import re
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from applications.models import Application
from notifications.models import OutboxMessage
from tests.factories import (
    CONTRACT_DAY,
    PERIOD_END_DAY,
    ApplicationFactory,
    ElectronicObligeeFactory,
    GuaranteeFactory,
    days_from_today,
    make_sent_application,
)

pytestmark = pytest.mark.browser

NUMBER = re.compile(r"^A\d{4}-\d{6}$")

CONTRACT_DATE = days_from_today(CONTRACT_DAY)
PERIOD_START = days_from_today(CONTRACT_DAY + 1)
PERIOD_END = days_from_today(PERIOD_END_DAY)
WORKS = {
    "工事名": "市道石原1号線道路改良工事",
    "工事場所": "渋川市石原地内",
    "契約日": CONTRACT_DATE.isoformat(),
    "工期(自)": PERIOD_START.isoformat(),
    "工期(至)": PERIOD_END.isoformat(),
    "請負金額(税込)": "50,000,000",
}
CONTACT = {"担当部署": "工事部", "連絡先電話番号": "027-252-1661"}
DEPOSIT_BANK = "〇〇銀行 渋川支店"  # the half-width space is stored full-width


# --- helpers -------------------------------------------------------------------------------------


def japanese_date(day) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def kind(page: Page, legend: str) -> Locator:
    """The fieldset of one guarantee kind: 前払金保証 or 契約保証."""
    return page.get_by_role("group", name=legend, exact=True)


def choose_obligee(page: Page, typed: str, label: str) -> None:
    """Type part of a name into the 発注者 box; the one candidate among ~1,800 is picked."""
    page.get_by_label("発注者", exact=True).press_sequentially(typed)
    options = page.get_by_role("listbox", name="発注者の候補").get_by_role("option")
    expect(options).to_have_count(1)
    expect(options).to_have_text(label)
    options.click()
    expect(page.get_by_label("発注者", exact=True)).to_have_value(label)


def expect_obligee(page: Page, label: str) -> None:
    """The 発注者 box shows `label`, and its hidden input carries the chosen id."""
    expect(page.get_by_label("発注者", exact=True)).to_have_value(label)
    expect(page.locator('input[name="obligee"]')).to_have_value(re.compile(r"^\d+$"))


def fill_works(page: Page, values: dict[str, str] = WORKS) -> None:
    for label, value in values.items():
        page.get_by_label(label, exact=True).fill(value)


def request_advance(page: Page, *, amount: str, electronic: bool = True) -> None:
    advance = kind(page, "前払金保証")
    advance.get_by_label("前払金保証を申し込む").check()
    advance.get_by_label("電子保証(認証キーを含む)" if electronic else "証書(紙)").check()
    advance.get_by_label("前払金保証金額").fill(amount)
    advance.get_by_label("預託金融機関(全角)").fill(DEPOSIT_BANK)


def fill_contact(page: Page) -> None:
    for label, value in CONTACT.items():
        page.get_by_label(label, exact=True).fill(value)


def advance_amount(page: Page) -> Locator:
    return kind(page, "前払金保証").get_by_label("前払金保証金額")


def percent(page: Page, which: str) -> Locator:
    return page.locator(f'[data-percent="{which}"]')


def expect_form_kept(page: Page, *, advance: str) -> None:
    """Everything typed into the form is still there."""
    expect_obligee(page, "渋川市(群馬県)")
    for label, value in WORKS.items():
        expect(page.get_by_label(label, exact=True)).to_have_value(value)
    section = kind(page, "前払金保証")
    expect(section.get_by_label("前払金保証を申し込む")).to_be_checked()
    expect(section.get_by_label("電子保証(認証キーを含む)")).to_be_checked()
    expect(advance_amount(page)).to_have_value(advance)
    expect(section.get_by_label("預託金融機関(全角)")).to_have_value(
        re.compile(r"^〇〇銀行[ 　]渋川支店$")
    )
    for label, value in CONTACT.items():
        expect(page.get_by_label(label, exact=True)).to_have_value(value)
    expect(page.get_by_label("担当者名")).to_have_value("山田 太郎")


def go_to_new_form(page: Page) -> None:
    page.get_by_role("link", name="申込の作成(新規)").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("申込の作成(新規)")


def press(page: Page, button: str) -> None:
    page.get_by_role("button", name=button, exact=True).click()


def screenshot(page: Page, directory: Path, name: str) -> None:
    page.screenshot(path=directory / f"{name}.png", full_page=True)


@pytest.fixture
def sendable_draft(contractor_user, branch) -> Application:
    """A complete draft, ready to be sent, of the signed-in user's company."""
    application = ApplicationFactory(
        contractor=contractor_user.contractor,
        created_by=contractor_user,
        branch=branch,
        obligee=ElectronicObligeeFactory(),
        notify_email=contractor_user.email,
    )
    GuaranteeFactory(application=application)
    return application


def open_confirm(page: Page, application: Application) -> None:
    page.goto(f"/applications/{application.pk}/confirm/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("申込確認")


def expect_sent_once(application: Application) -> str:
    """Exactly one application is sent, with one notification; returns its number."""
    sent = Application.objects.filter(status=Application.Status.SENT)
    assert sent.count() == 1
    assert sent.get().pk == application.pk
    assert OutboxMessage.objects.count() == 1
    return sent.get().number


# --- the whole journey ---------------------------------------------------------------------------


@pytest.mark.parametrize("form_factor", ["desktop", "phone"])
def test_contractor_applies_for_an_electronic_advance_payment_guarantee(
    signed_in_page: Page, shibukawa, form_factor, screenshot_dir
):
    page = signed_in_page
    go_to_new_form(page)

    choose_obligee(page, "しぶかわ", "渋川市(群馬県)")
    expect(kind(page, "前払金保証").locator(".nd-e-note")).to_contain_text(
        "渋川市は前払金保証の電子保証に対応しています(2022年5月9日から)。"
    )
    fill_works(page)
    request_advance(page, amount="２０，０００，０００")
    expect(percent(page, "advance")).to_have_text("40.0%")
    fill_contact(page)

    # Over the cap (4割 of 50,000,000): the server refuses, in Japanese, and keeps everything.
    advance_amount(page).fill("25,000,000")
    expect(percent(page, "advance")).to_have_text("50.0%")
    press(page, "確認へ進む")
    summary = page.locator("#error-summary")
    expect(summary).to_contain_text("入力内容に誤りがあります。")
    cap_error = "前払金保証金額は請負金額の4割(20,000,000円)以下にしてください。"
    expect(summary).to_contain_text(f"前払金保証金額: {cap_error}")
    expect(summary).to_be_focused()
    field_error = page.locator("#div_id_ag_amount .invalid-feedback")
    expect(field_error).to_have_text(cap_error)
    expect(field_error).to_be_visible()
    expect(advance_amount(page)).to_have_class(re.compile(r"\bis-invalid\b"))
    expect_form_kept(page, advance="25,000,000")
    expect(percent(page, "advance")).to_have_text("50.0%")
    screenshot(page, screenshot_dir, f"form-with-errors-{form_factor}")
    assert not Application.objects.exclude(status=Application.Status.DRAFT).exists()

    advance_amount(page).fill("２０，０００，０００")
    expect(percent(page, "advance")).to_have_text("40.0%")
    press(page, "確認へ進む")

    expect(page.get_by_role("heading", level=1)).to_contain_text("申込確認")
    advance = kind(page, "前払金保証")
    expect(advance).to_contain_text("電子保証(認証キーを含む)")
    expect(advance).to_contain_text("20,000,000円 40.0%")
    expect(advance).to_contain_text("〇〇銀行　渋川支店")
    expect(page.locator("main")).to_contain_text("50,000,000円")
    expect(page.locator("main")).to_contain_text("渋川市")
    expect(page.locator("main")).to_contain_text(WORKS["工事名"])
    period = rf"{japanese_date(PERIOD_START)}\W+{japanese_date(PERIOD_END)}"
    expect(page.locator("main")).to_contain_text(re.compile(period))
    expect(page.get_by_role("group", name="契約保証", exact=True)).to_have_count(0)
    screenshot(page, screenshot_dir, f"confirm-{form_factor}")

    page.get_by_role("link", name="修正する").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("申込の修正")
    expect_form_kept(page, advance="20,000,000")
    expect(percent(page, "advance")).to_have_text("40.0%")
    press(page, "確認へ進む")
    expect(page.get_by_role("heading", level=1)).to_contain_text("申込確認")

    press(page, "送信する")
    expect(page.get_by_role("heading", level=1)).to_contain_text("送信完了")
    number_el = page.get_by_test_id("application-number")
    expect(number_el).to_have_text(NUMBER)
    number = number_el.inner_text()

    page.get_by_role("link", name="申込一覧へ").click()
    row = page.locator("table.nd-list tbody tr", has_text=number)
    expect(row).to_contain_text(WORKS["工事名"])
    expect(row).to_contain_text("送信済")
    expect(row).to_contain_text("渋川市")
    if form_factor == "phone":
        screenshot(page, screenshot_dir, "dashboard-phone")

    sent = Application.objects.get(status=Application.Status.SENT)
    assert sent.number == number
    assert Application.objects.count() == 1
    assert sent.obligee == shibukawa
    assert sent.contract_amount == 50_000_000
    guarantee = sent.guarantees.get()
    assert (guarantee.kind, guarantee.amount) == ("advance", 20_000_000)
    assert guarantee.certificate_format == "electronic"
    assert guarantee.deposit_bank == "〇〇銀行　渋川支店"


# --- sending twice sends once --------------------------------------------------------------------


def test_double_click_and_back_button_send_once(signed_in_page: Page, sendable_draft):
    page = signed_in_page
    open_confirm(page, sendable_draft)

    page.get_by_role("button", name="送信する").dblclick()
    expect(page.get_by_role("heading", level=1)).to_contain_text("送信完了")
    number = page.get_by_test_id("application-number").inner_text()
    assert expect_sent_once(sendable_draft) == number

    # Back to the confirm page: never stored, it is asked for again and says it was sent.
    page.go_back()
    expect(page).to_have_url(re.compile(rf"/applications/{sendable_draft.pk}/sent/$"))
    expect(
        page.get_by_role("status").filter(has_text="この申込はすでに送信されています。")
    ).to_be_visible()
    expect(page.get_by_test_id("application-number")).to_have_text(number)
    expect(page.get_by_role("button", name="送信する")).to_have_count(0)
    assert expect_sent_once(sendable_draft) == number


def test_two_tabs_send_once(signed_in_page: Page, sendable_draft):
    first = signed_in_page
    second = first.context.new_page()
    open_confirm(first, sendable_draft)
    open_confirm(second, sendable_draft)

    press(first, "送信する")
    expect(first.get_by_test_id("application-number")).to_have_text(NUMBER)
    press(second, "送信する")
    expect(second.get_by_role("heading", level=1)).to_contain_text("送信完了")
    number = first.get_by_test_id("application-number").inner_text()
    expect(second.get_by_test_id("application-number")).to_have_text(number)
    assert expect_sent_once(sendable_draft) == number


SEND_AT_ONCE = """async () => {
  const form = document.querySelector('form[action$="/submit/"]');
  const send = () => fetch(form.action, {method: "POST", body: new FormData(form), redirect: "manual"});
  return (await Promise.all([send(), send(), send()])).map((response) => response.type);
}"""


def test_simultaneous_requests_send_once(signed_in_page: Page, sendable_draft):
    """What reaches the server if the page's guard against double clicks does not run: three
    POSTs of the same confirm form at the same moment."""
    open_confirm(signed_in_page, sendable_draft)
    response_types = signed_in_page.evaluate(SEND_AT_ONCE)
    # Each request waits for the application's row lock (PostgreSQL) or the database's write lock
    # (SQLite, taken at BEGIN IMMEDIATE), then redirects to 送信完了.
    assert response_types == ["opaqueredirect"] * 3
    expect_sent_once(sendable_draft)


# --- draft, withdrawal, clear button -------------------------------------------------------------


def test_draft_is_saved_and_resumed(signed_in_page: Page, shibukawa):
    page = signed_in_page
    go_to_new_form(page)
    choose_obligee(page, "渋川", "渋川市(群馬県)")
    fill_works(page, {"工事名": WORKS["工事名"], "請負金額(税込)": "５０，０００，０００"})
    advance_amount(page).fill("20,000,000")

    press(page, "下書き保存")
    expect(page.get_by_role("status").filter(has_text="下書きを保存しました")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/applications/\d+/edit/$"))

    page.reload()
    expect_obligee(page, "渋川市(群馬県)")
    expect(page.get_by_label("工事名")).to_have_value(WORKS["工事名"])
    expect(page.get_by_label("請負金額(税込)")).to_have_value("50,000,000")
    expect(advance_amount(page)).to_have_value("20,000,000")
    expect(percent(page, "advance")).to_have_text("40.0%")

    page.get_by_role("link", name="申込一覧へ戻る").click()
    row = page.locator("table.nd-list tbody tr", has_text=WORKS["工事名"])
    expect(row).to_contain_text("作成中")
    expect(row).to_contain_text("(未送信)")

    draft = Application.objects.get()
    assert (draft.status, draft.number, draft.works_name) == ("draft", None, WORKS["工事名"])
    assert draft.contract_amount == 50_000_000


def test_withdraw_a_sent_application(signed_in_page: Page, contractor_user, branch):
    application = make_sent_application(contractor_user, branch=branch)
    page = signed_in_page
    page.reload()  # the dashboard was opened on signing in, before the application existed
    page.locator("table.nd-list").get_by_role("link", name=application.number).click()
    status = page.get_by_test_id("application-status")
    expect(status).to_have_text("送信済")

    dialogs = []

    def accept(dialog):
        dialogs.append(dialog.message)
        dialog.accept()

    page.once("dialog", accept)
    press(page, "取り下げる")
    expect(status).to_have_text("取下げ")
    assert dialogs == ["この申込を取り下げます。よろしいですか。"]
    expect(page.get_by_role("button", name="取り下げる")).to_have_count(0)
    application.refresh_from_db()
    assert application.status == Application.Status.WITHDRAWN


def test_clear_button_empties_the_guarantees(signed_in_page: Page, shibukawa):
    page = signed_in_page
    go_to_new_form(page)
    page.get_by_label("請負金額(税込)").fill("50,000,000")
    request_advance(page, amount="20,000,000")
    contract = kind(page, "契約保証")
    contract.get_by_label("契約保証を申し込む").check()
    contract.get_by_label("契約保証金額").fill("5,000,000")
    expect(percent(page, "advance")).to_have_text("40.0%")
    expect(percent(page, "contract")).to_have_text("10.0%")

    press(page, "保証の申込内容をクリア")

    advance = kind(page, "前払金保証")
    expect(advance.get_by_label("前払金保証を申し込む")).not_to_be_checked()
    expect(contract.get_by_label("契約保証を申し込む")).not_to_be_checked()
    expect(advance_amount(page)).to_have_value("")
    expect(contract.get_by_label("契約保証金額")).to_have_value("")
    expect(advance.get_by_label("証書(紙)")).to_be_checked()
    expect(advance.get_by_label("預託金融機関(全角)")).to_have_value("")
    expect(percent(page, "advance")).to_have_text("0.0%")
    expect(percent(page, "contract")).to_have_text("0.0%")
    # Only the guarantees are cleared: the works information stays.
    expect(page.get_by_label("請負金額(税込)")).to_have_value("50,000,000")
