"""The application form's live checks in Chromium: a server error goes once its value is changed
and the live check says whether the new value passes; dates typed in 和暦 are read as typed.
(Console errors and CSP violations fail any test here: tests/browser/conftest.py.)"""

import re

import pytest
from playwright.sync_api import Page, expect

from applications.models import Application
from tests.browser.test_application_journey import (
    PERIOD_END,
    advance_amount,
    choose_obligee,
    fill_contact,
    fill_works,
    go_to_new_form,
    kind,
    press,
    request_advance,
)

pytestmark = pytest.mark.browser

CAP_ERROR = "前払金保証金額は請負金額の4割(20,000,000円)以下にしてください。"


def test_a_server_error_clears_when_its_value_changes_and_the_live_check_speaks(
    signed_in_page: Page, shibukawa
):
    page = signed_in_page
    go_to_new_form(page)
    choose_obligee(page, "しぶかわ", "渋川市(群馬県)")
    fill_works(page)
    request_advance(page, amount="25,000,000")
    fill_contact(page)
    page.get_by_label("連絡先電話番号", exact=True).fill("027-252")
    press(page, "確認へ進む")

    # Both errors in the one summary: the phone's format and the amount's cap.
    summary = page.locator("#error-summary")
    expect(summary).to_contain_text("連絡先電話番号:")
    expect(summary).to_contain_text(f"前払金保証金額: {CAP_ERROR}")
    field_error = page.locator("#div_id_ag_amount .invalid-feedback")
    expect(field_error).to_have_text(CAP_ERROR)

    # Corrected to 40.0%: the red server error goes, and the live check says it passes.
    advance_amount(page).fill("20,000,000")
    expect(field_error).to_have_count(0)
    expect(advance_amount(page)).not_to_have_class(re.compile(r"\bis-invalid\b"))
    warning = kind(page, "前払金保証").locator('[data-limit-warning="advance"]')
    expect(warning).to_have_text("上限の範囲内です。")
    expect(summary.locator("li.nd-fixed")).to_contain_text("前払金保証金額")
    # Over again: the live check says so, in red.
    advance_amount(page).fill("20,000,001")
    expect(warning).to_have_text("請負金額の4割(20,000,000円)以下にしてください。")
    # The phone's error is untouched until the phone changes.
    expect(page.locator("#div_id_contact_phone .invalid-feedback")).to_be_visible()
    page.get_by_label("連絡先電話番号", exact=True).fill("027-252-1661")
    expect(page.locator("#div_id_contact_phone .invalid-feedback")).to_have_count(0)
    assert not Application.objects.exists()


def test_dates_are_read_in_wareki_as_they_are_typed(signed_in_page: Page, shibukawa):
    page = signed_in_page
    go_to_new_form(page)
    contract_date = page.get_by_label("契約日", exact=True)
    reading = page.locator("#id_contract_date_reading")

    contract_date.press_sequentially("R8.12.1")
    expect(reading).to_have_text("令和8年12月1日(2026年12月1日)")
    contract_date.fill("平成32年1月1日")
    expect(reading).to_contain_text("平成32年1月1日は存在しません")
    expect(reading).to_have_class(re.compile(r"\btext-danger\b"))
    contract_date.fill("0001-01-01")
    expect(reading).to_contain_text("平成元年1月8日(1989-01-08)から")

    # A year without an era is read in the era chosen beside it.
    contract_date.fill("30/4/1")
    page.locator("#id_contract_date_era").select_option("平成")
    expect(reading).to_have_text("平成30年4月1日(2018年4月1日)")
    # Leaving the field shows the date as it will be kept.
    contract_date.fill("令和元年5月1日")
    contract_date.blur()
    expect(contract_date).to_have_value("2019-05-01")
    expect(reading).to_have_text("令和元年5月1日(2019年5月1日)")

    # What is typed in 和暦 is what is saved.
    page.get_by_label("工期(至)", exact=True).fill(
        f"令和{PERIOD_END.year - 2018}年{PERIOD_END.month}月{PERIOD_END.day}日"
    )
    press(page, "下書き保存")
    expect(page.get_by_role("alert").or_(page.get_by_role("status")).first).to_be_visible()
    draft = Application.objects.get()
    assert draft.period_end == PERIOD_END
    assert draft.contract_date.isoformat() == "2019-05-01"
