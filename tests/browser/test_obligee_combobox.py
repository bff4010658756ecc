"""The 発注者 combobox of the application form in a real browser: keyboard, mouse, phone, no script.

It searches the real registry (~1,800 obligees) through /obligees/search/.
"""

import re

import pytest
from playwright.sync_api import Page, expect

from applications.models import Application
from obligees.models import Obligee
from tests.browser.conftest import FORM_FACTORS, sign_in
from tests.browser.test_accessibility import violations
from tests.browser.test_application_journey import (
    expect_obligee,
    go_to_new_form,
    kind,
    press,
)

pytestmark = pytest.mark.browser

ACCEPTS = "渋川市は前払金保証の電子保証に対応しています(2022年5月9日から)。"
REFUSES = "高崎市は前払金保証の電子保証に対応していません。証書(紙)を選択してください。"


def box(page: Page):
    return page.get_by_label("発注者", exact=True)


def candidates(page: Page):
    return page.get_by_role("listbox", name="発注者の候補").get_by_role("option")


def hidden_id(page: Page):
    return page.locator('input[name="obligee"]')


def advance_note(page: Page):
    return kind(page, "前払金保証").locator(".nd-e-note")


def test_choose_by_typing_and_the_keyboard_only(signed_in_page: Page, shibukawa):
    page = signed_in_page
    go_to_new_form(page)
    takasaki = Obligee.objects.get(name="高崎市")

    box(page).focus()
    page.keyboard.type("たかさき")
    expect(box(page)).to_have_attribute("role", "combobox")
    expect(box(page)).to_have_attribute("aria-expanded", "true")
    expect(candidates(page)).to_have_text(["高崎市(群馬県)"])
    status = page.locator("[data-combobox-status]")
    expect(status).to_have_text("候補が1件あります。上下の矢印キーで選び、Enterキーで決定します。")
    expect(box(page)).not_to_have_attribute("aria-activedescendant", re.compile("."))

    page.keyboard.press("ArrowDown")
    option = candidates(page).first
    expect(option).to_have_attribute("aria-selected", "true")
    expect(box(page)).to_have_attribute("aria-activedescendant", option.get_attribute("id"))
    page.keyboard.press("Enter")  # chooses; the form is not sent

    expect(box(page)).to_have_value("高崎市(群馬県)")
    expect(box(page)).to_have_attribute("aria-expanded", "false")
    expect(hidden_id(page)).to_have_value(str(takasaki.pk))
    expect(advance_note(page)).to_have_text(REFUSES)
    expect(page).to_have_url(re.compile(r"/applications/new/$"))
    assert Application.objects.count() == 0

    # Another choice replaces it; ↑ from the top wraps to the last candidate; Tab chooses it and
    # moves on to the next control.
    page.keyboard.press("Control+A")
    page.keyboard.type("渋川")
    expect(hidden_id(page)).to_have_value("")  # the text no longer names 高崎市
    expect(advance_note(page)).to_have_text("")
    expect(candidates(page)).to_have_text(["渋川市(群馬県)"])
    page.keyboard.press("ArrowUp")
    page.keyboard.press("Tab")
    expect(box(page)).to_have_value("渋川市(群馬県)")
    expect(hidden_id(page)).to_have_value(str(shibukawa.pk))
    expect(advance_note(page)).to_have_text(ACCEPTS)
    expect(box(page)).not_to_be_focused()

    # Escape closes the list and keeps the text; a second Escape empties the box and the choice.
    box(page).focus()
    page.keyboard.type("x")
    expect(status).to_have_text("該当する発注者はありません。")
    expect(status).to_be_visible()  # shown under the box, not only announced
    page.keyboard.press("Backspace")
    expect(candidates(page)).to_have_count(1)
    page.keyboard.press("Escape")
    expect(box(page)).to_have_attribute("aria-expanded", "false")
    expect(box(page)).to_have_value("渋川市(群馬県)")
    page.keyboard.press("Escape")
    expect(box(page)).to_have_value("")
    expect(hidden_id(page)).to_have_value("")
    expect(advance_note(page)).to_have_text("")


def test_many_candidates_are_announced_and_narrowed(signed_in_page: Page, shibukawa):
    page = signed_in_page
    go_to_new_form(page)
    box(page).press_sequentially("かわ")
    expect(candidates(page)).to_have_count(20)
    expect(page.locator("[data-combobox-status]")).to_have_text(
        "候補が20件以上あります。続けて入力すると絞り込めます。"
    )
    # ↓ past the last candidate comes back to the first.
    for _ in range(21):
        box(page).press("ArrowDown")
    expect(candidates(page).first).to_have_attribute("aria-selected", "true")
    box(page).press_sequentially("ばむら")
    expect(candidates(page)).to_have_text(["川場村(群馬県)"])


def test_choose_with_the_mouse_and_the_note_follows(signed_in_page: Page, shibukawa):
    page = signed_in_page
    go_to_new_form(page)
    box(page).click()
    box(page).press_sequentially("しぶかわ")
    candidates(page).filter(has_text="渋川市(群馬県)").click()
    expect(box(page)).to_have_value("渋川市(群馬県)")
    expect(box(page)).to_be_focused()
    expect(advance_note(page)).to_have_text(ACCEPTS)
    expect(kind(page, "契約保証").locator(".nd-e-note")).to_contain_text("契約保証の電子保証に対応")

    box(page).fill("")  # clearing the text clears the choice
    expect(hidden_id(page)).to_have_value("")
    expect(advance_note(page)).to_have_text("")
    expect(candidates(page)).to_have_count(0)

    box(page).press_sequentially("高崎")
    expect(candidates(page)).to_have_count(1)
    page.get_by_role("heading", name="請負工事の情報").click()  # elsewhere: the list closes
    expect(candidates(page)).to_have_count(0)
    box(page).click()  # and comes back
    candidates(page).first.click()
    expect(advance_note(page)).to_have_text(REFUSES)


@pytest.mark.parametrize("form_factor", ["phone"])
def test_choose_by_tapping_on_a_phone(signed_in_page: Page, shibukawa, form_factor, screenshot_dir):
    page = signed_in_page
    go_to_new_form(page)
    box(page).tap()
    box(page).press_sequentially("しぶ")
    listbox = page.get_by_role("listbox", name="発注者の候補")
    expect(candidates(page).filter(has_text="渋川市(群馬県)")).to_be_visible()
    width = FORM_FACTORS["phone"]["viewport"]["width"]
    left, right = (
        listbox.bounding_box()["x"],
        listbox.bounding_box()["x"] + listbox.bounding_box()["width"],
    )
    assert left >= 0 and right <= width  # the list fits the screen
    assert candidates(page).first.bounding_box()["height"] >= 40  # big enough for a finger
    page.screenshot(path=screenshot_dir / "obligee-combobox-phone.png")  # what the thumb sees
    candidates(page).filter(has_text="渋川市(群馬県)").tap()
    expect_obligee(page, "渋川市(群馬県)")
    expect(advance_note(page)).to_have_text(ACCEPTS)


def test_the_choice_comes_back_after_an_error_and_in_the_draft(signed_in_page: Page, shibukawa):
    page = signed_in_page
    go_to_new_form(page)
    box(page).press_sequentially("渋川")
    candidates(page).first.click()

    press(page, "確認へ進む")  # nothing else is filled in
    expect(page.locator("#error-summary")).to_be_visible()
    expect_obligee(page, "渋川市(群馬県)")
    expect(advance_note(page)).to_have_text(ACCEPTS)  # from the dates the server wrote

    press(page, "下書き保存")
    expect(page).to_have_url(re.compile(r"/applications/\d+/edit/$"))
    expect_obligee(page, "渋川市(群馬県)")
    expect(advance_note(page)).to_have_text(ACCEPTS)
    assert Application.objects.get().obligee == shibukawa


def test_a_name_typed_without_choosing_is_resolved_or_explained(signed_in_page: Page, shibukawa):
    page = signed_in_page
    go_to_new_form(page)
    box(page).press_sequentially("渋川")
    expect(candidates(page)).to_have_count(1)
    press(page, "下書き保存")
    error = page.locator("#div_id_obligee .invalid-feedback")
    expect(error).to_be_visible()
    expect(error).to_have_text(
        re.compile(r"「渋川」だけでは発注者を1つに決められません。.*渋川市\(群馬県\)")
    )
    expect(box(page)).to_have_value("渋川")
    # The draft keeps what was valid; the unresolved name stays in the box, not in the draft.
    assert Application.objects.get().obligee is None


def test_an_expired_session_is_said_under_the_box(signed_in_page: Page, shibukawa):
    page = signed_in_page
    go_to_new_form(page)
    page.context.clear_cookies()
    box(page).press_sequentially("渋川")
    status = page.locator("[data-combobox-status]")
    expect(status).to_have_text("ログインの有効期限が切れました。再度ログインしてください。")
    expect(status).to_be_visible()
    expect(candidates(page)).to_have_count(0)


def test_without_javascript_an_exact_name_is_enough(
    new_context, live_server, contractor_user, shibukawa
):
    page = new_context(java_script_enabled=False, **FORM_FACTORS["desktop"]).new_page()
    sign_in(page, contractor_user)
    go_to_new_form(page)
    expect(box(page)).not_to_have_attribute("role", "combobox")  # a plain text box
    box(page).fill("しぶかわし")
    press(page, "下書き保存")
    expect(page).to_have_url(re.compile(r"/applications/\d+/edit/$"))
    expect_obligee(page, "渋川市(群馬県)")
    assert Application.objects.get().obligee == shibukawa


def test_the_open_list_has_no_accessibility_violation(signed_in_page: Page, shibukawa):
    page = signed_in_page
    go_to_new_form(page)
    box(page).press_sequentially("しぶ")
    box(page).press("ArrowDown")
    expect(candidates(page).first).to_have_attribute("aria-selected", "true")
    assert violations(page) == [], "list open"
    press(page, "下書き保存")  # "しぶ" names no single obligee
    expect(box(page)).to_have_attribute("aria-invalid", "true")
    assert violations(page) == [], "field error"
