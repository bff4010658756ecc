"""The application form and the list as a hurried clerk meets them, in Chromium: what is marked
必須, the live warnings on amounts, the language switch, copies, returned applications, help."""

import datetime
import re
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from applications.models import Application
from fees.demo import load_demo_fee_tables
from guarantees.models import Guarantee
from tests.browser.test_accessibility import violations
from tests.browser.test_application_journey import go_to_new_form, kind, percent, press
from tests.factories import ApplicationFactory, GuaranteeFactory, make_sent_application

pytestmark = pytest.mark.browser

RED = "rgb(176, 42, 55)"  # .nd-over-limit, .nd-limit-warning

# How many lines the text of an element takes.
TEXT_LINES = """e => {
  const range = document.createRange();
  range.selectNodeContents(e);
  const tops = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
  return tops.size;
}"""


def screenshot(page: Page, directory: Path, name: str) -> None:
    page.screenshot(path=directory / f"{name}.png", full_page=True)


def badge(page: Page, name: str):
    return page.locator(f'.nd-required[data-required-for="{name}"]')


@pytest.mark.parametrize("form_factor", ["desktop", "phone"])
def test_what_sending_needs_is_marked_and_amounts_are_in_yen(
    signed_in_page: Page, form_factor, screenshot_dir
):
    page = signed_in_page
    go_to_new_form(page)
    always = [
        "obligee", "works_name", "works_place", "contract_date", "period_start", "period_end",
        "contract_amount", "ag_amount", "ag_deposit_bank", "branch", "contact_person",
        "contact_phone",
    ]  # fmt: skip
    for name in always:
        expect(badge(page, name)).to_have_text("必須")
        expect(badge(page, name)).to_be_visible()
        # 発注者 is typed into the combobox's text box; its hidden input only carries the id.
        typed = "obligee_text" if name == "obligee" else name
        expect(page.locator(f'[name="{typed}"]')).to_have_attribute("aria-required", "true")
    expect(page.locator(".nd-required:visible")).to_have_count(len(always))
    # The labels are the fields' names still, and the radio groups carry no asterisk.
    expect(page.get_by_label("工事名", exact=True)).to_have_attribute("name", "works_name")
    expect(page.locator("legend", has_text="工事・業務委託")).to_have_text("工事・業務委託")
    expect(page.locator("main")).not_to_contain_text("*")

    # The contract guarantee's amount and the e-mail address are needed once asked for.
    contract_amount = kind(page, "契約保証").get_by_label("契約保証金額")
    expect(badge(page, "cg_amount")).to_be_hidden()
    expect(contract_amount).not_to_have_attribute("aria-required", "true")
    kind(page, "契約保証").get_by_label("契約保証を申し込む").check()
    expect(badge(page, "cg_amount")).to_be_visible()
    expect(contract_amount).to_have_attribute("aria-required", "true")
    notice = page.get_by_role("group", name="電子保証発行完了のお知らせ")
    expect(badge(page, "notify_email")).to_be_hidden()
    notice.get_by_label("希望する").check()
    expect(badge(page, "notify_email")).to_be_visible()
    expect(page.get_by_label("メールアドレス", exact=True)).to_have_attribute(
        "aria-required", "true"
    )
    kind(page, "前払金保証").get_by_label("前払金保証を申し込む").uncheck()
    expect(badge(page, "ag_amount")).to_be_hidden()

    # 円 right after each amount input, on its line.
    for label in ["請負金額(税込)", "今年度対象額", "前払金保証金額", "契約保証金額"]:
        field = page.get_by_label(label, exact=True)
        yen = field.locator("xpath=following-sibling::span[1]")
        expect(yen).to_have_text("円")
        box, yen_box = field.bounding_box(), yen.bounding_box()
        assert abs(box["y"] - yen_box["y"]) < 2 and yen_box["x"] >= box["x"] + box["width"] - 1
    screenshot(page, screenshot_dir, f"form-required-{form_factor}")

    # The clear buttons return the conditions, and so the badges, to where they started.
    press(page, "保証の申込内容をクリア")
    expect(badge(page, "cg_amount")).to_be_hidden()
    expect(contract_amount).not_to_have_attribute("aria-required", "true")
    press(page, "インフォメーションをクリア")
    expect(badge(page, "notify_email")).to_be_hidden()


def test_an_amount_outside_its_limit_warns_at_once_and_gets_no_estimate(
    signed_in_page: Page, screenshot_dir
):
    load_demo_fee_tables()
    page = signed_in_page
    go_to_new_form(page)
    start = timezone.localdate() + datetime.timedelta(days=10)
    page.get_by_label("契約日", exact=True).fill(start.isoformat())
    page.get_by_label("工期(至)", exact=True).fill(
        (start + datetime.timedelta(days=119)).isoformat()
    )
    page.get_by_label("請負金額(税込)", exact=True).fill("50,000,000")
    advance = kind(page, "前払金保証")
    warning = advance.locator('[data-limit-warning="advance"]')
    estimate = advance.locator("[data-fee-estimate]")

    advance.get_by_label("前払金保証金額").fill("20,000,000")
    expect(estimate.locator("[data-fee-total]")).to_have_text(re.compile(r"^[\d,]+円$"))
    expect(warning).to_have_text("")

    advance.get_by_label("前払金保証金額").fill("25,000,000")
    expect(percent(page, "advance")).to_have_text("50.0%")
    expect(percent(page, "advance")).to_have_css("color", RED)
    expect(warning).to_have_text("請負金額の4割(20,000,000円)以下にしてください。")
    expect(estimate.locator("[data-fee-message]")).to_have_text(
        "この金額では申込を受け付けられません。 請負金額の4割(20,000,000円)以下にしてください。"
    )
    expect(estimate.locator("[data-fee-message]")).to_have_css("color", RED)
    expect(estimate.locator("[data-fee-total]")).to_have_text("")
    screenshot(page, screenshot_dir, "form-over-limit-desktop")
    assert violations(page) == []

    # 業務委託: 3割. Then the this-year amount is the base.
    page.get_by_label("業務委託", exact=True).check()
    advance.get_by_label("前払金保証金額").fill("16,000,000")
    expect(warning).to_have_text("請負金額の3割(15,000,000円)以下にしてください。")
    page.get_by_label("今年度対象額", exact=True).fill("40,000,000")
    expect(warning).to_have_text("今年度対象額の3割(12,000,000円)以下にしてください。")
    advance.get_by_label("前払金保証金額").fill("12,000,000")
    expect(warning).to_have_text("")
    expect(percent(page, "advance")).to_have_text("30.0%")
    expect(percent(page, "advance")).not_to_have_css("color", RED)
    expect(estimate.locator("[data-fee-total]")).to_have_text(re.compile(r"^[\d,]+円$"))

    # 契約保証: 1割以上・請負金額以下.
    contract = kind(page, "契約保証")
    contract.get_by_label("契約保証を申し込む").check()
    contract_warning = contract.locator('[data-limit-warning="contract"]')
    contract.get_by_label("契約保証金額").fill("4,999,999")
    expect(contract_warning).to_have_text("請負金額の1割(5,000,000円)以上にしてください。")
    expect(contract.locator("[data-fee-message]")).to_contain_text(
        "この金額では申込を受け付けられません。"
    )
    contract.get_by_label("契約保証金額").fill("50,000,001")
    expect(contract_warning).to_have_text("請負金額(50,000,000円)以下にしてください。")
    contract.get_by_label("契約保証金額").fill("5,000,000")
    expect(contract_warning).to_have_text("")
    expect(contract.locator("[data-fee-total]")).to_have_text(re.compile(r"^[\d,]+円$"))
    assert not Application.objects.exists()


def test_switching_language_keeps_what_was_typed(signed_in_page: Page):
    page = signed_in_page
    go_to_new_form(page)
    page.get_by_label("工事名", exact=True).fill("市道石原1号線道路改良工事")
    page.get_by_label("請負金額(税込)", exact=True).fill("50,000,000")
    kind(page, "前払金保証").get_by_label("前払金保証金額").fill("25,000,000")
    kind(page, "契約保証").get_by_label("契約保証を申し込む").check()
    page.get_by_label("お客様から弊社への連絡事項").fill("至急お願いします")

    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_label("Works name", exact=True)).to_have_value("市道石原1号線道路改良工事")
    expect(page.locator("#id_contract_amount")).to_have_value("50,000,000")
    expect(page.locator("#id_ag_amount")).to_have_value("25,000,000")
    expect(page.locator("#id_cg_requested")).to_be_checked()
    expect(page.locator("#id_message_to_company")).to_have_value("至急お願いします")
    expect(percent(page, "advance")).to_have_text("50.0%")
    expect(page.locator('[data-limit-warning="advance"]')).to_contain_text("20,000,000")

    page.get_by_role("button", name="日本語").click()
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    expect(page.get_by_label("工事名", exact=True)).to_have_value("市道石原1号線道路改良工事")
    assert not Application.objects.exists()
    # The form still saves as usual afterwards.
    press(page, "下書き保存")
    expect(page.get_by_role("status").filter(has_text="下書きを保存しました")).to_be_visible()
    assert Application.objects.get().works_name == "市道石原1号線道路改良工事"


def test_a_copy_is_only_a_form_until_it_is_saved(signed_in_page: Page, contractor_user, branch):
    source = make_sent_application(contractor_user, branch=branch, works_name="渋川の工事")
    page = signed_in_page
    page.goto(f"/applications/{source.pk}/")
    page.get_by_role("link", name="複写して新規作成").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("保証申込 申込の作成(新規)")
    expect(page.get_by_label("工事名", exact=True)).to_have_value("渋川の工事")
    expect(kind(page, "前払金保証").get_by_label("前払金保証金額")).to_have_value("20,000,000")
    assert Application.objects.count() == 1

    page.go_back()  # changed their mind: nothing to clean up
    expect(page.get_by_role("heading", level=1)).to_contain_text("申込内容")
    assert Application.objects.count() == 1

    page.get_by_role("link", name="複写して新規作成").click()
    press(page, "下書き保存")
    expect(page.get_by_role("status").filter(has_text="下書きを保存しました")).to_be_visible()
    copy = Application.objects.exclude(pk=source.pk).get()
    assert (copy.copied_from, copy.works_name, copy.status) == (source, "渋川の工事", "draft")
    page.get_by_role("link", name="申込一覧へ戻る").click()
    draft_link = page.get_by_role("link", name=re.compile(r"^\(未送信\) [\d/]+ [\d:]+作成$"))
    expect(draft_link).to_have_count(1)


@pytest.fixture
def returned(contractor_user, branch):
    application = ApplicationFactory(
        contractor=contractor_user.contractor,
        created_by=contractor_user,
        branch=branch,
        status=Application.Status.RETURNED,
        number="A2026-000101",
        works_name="市道石原1号線道路改良工事(その2)",
    )
    GuaranteeFactory(application=application, number="B01-2026-000001", status="reviewing")
    GuaranteeFactory(
        application=application,
        kind=Guarantee.Kind.CONTRACT,
        amount=5_000_000,
        number="B01-2026-000002",
        status="reviewing",
    )
    application.company_messages.create(
        body="工期(至)が契約書と異なります。契約書の写しのとおり令和9年3月19日に修正して再送信してください。"
    )
    return application


def test_a_returned_application_shows_why_at_the_top(signed_in_page: Page, returned):
    page = signed_in_page
    for path in [f"/applications/{returned.pk}/", f"/applications/{returned.pk}/edit/"]:
        page.goto(path)
        notice = page.get_by_test_id("return-notice")
        expect(notice.locator("blockquote")).to_contain_text("工期(至)が契約書と異なります。")
        expect(notice).to_contain_text("前橋支店からのお知らせ")
        assert notice.bounding_box()["y"] < page.locator("h2").first.bounding_box()["y"]
        assert violations(page) == [], path


def test_the_list_stays_legible_with_a_return_message(
    signed_in_page: Page, returned, contractor_user, branch, screenshot_dir
):
    make_sent_application(contractor_user, branch=branch)
    page = signed_in_page
    page.set_viewport_size({"width": 1366, "height": 900})
    page.reload()
    row = page.locator("table.nd-list tbody tr", has_text=returned.number)
    expect(row).to_contain_text("工期(至)が契約書と異なります。")
    screenshot(page, screenshot_dir, "dashboard-returned-1366")
    # The obligee's name and the works name keep their lines, as in a row without a message.
    for column, text in [(2, returned.obligee.name), (3, returned.works_name)]:
        cell = row.locator("td").nth(column)
        lines = cell.evaluate(TEXT_LINES)
        assert lines <= (1 if column == 2 else 2), (text, lines)


@pytest.mark.parametrize("form_factor", ["phone"])
def test_on_a_phone_each_guarantee_of_a_row_has_its_own_line(
    signed_in_page: Page, returned, form_factor, screenshot_dir
):
    page = signed_in_page
    page.reload()
    row = page.locator("table.nd-list tbody tr", has_text=returned.number)
    first = row.get_by_text("B01-2026-000001")
    second = row.get_by_text("B01-2026-000002")
    expect(first).to_be_visible()
    one, two = first.bounding_box(), second.bounding_box()
    assert two["y"] >= one["y"] + one["height"]
    # The return message under the status, the status on one line beside its label.
    status = row.locator("td").nth(1)
    assert status.evaluate(
        "e => e.querySelector('.nd-return-message').getBoundingClientRect().top"
        " >= e.querySelector('.nd-cell').getBoundingClientRect().top + 10"
    )
    assert status.evaluate(
        "e => parseFloat(getComputedStyle(e, '::before').width) >= 4 * parseFloat(getComputedStyle(e).fontSize)"
    )
    screenshot(page, screenshot_dir, "dashboard-returned-phone")


@pytest.mark.parametrize("form_factor", ["desktop", "phone"])
def test_the_help_page_is_one_click_away(signed_in_page: Page, form_factor, screenshot_dir):
    page = signed_in_page
    page.get_by_role("link", name="保証申込のヘルプ").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("保証申込のヘルプ")
    expect(page.get_by_role("heading", name="電子保証と認証キー")).to_be_visible()
    expect(page.locator("main")).to_contain_text("御社の担当: 前橋支店")
    assert violations(page) == []
    screenshot(page, screenshot_dir, f"help-{form_factor}")
