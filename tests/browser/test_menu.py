"""The header's menu: folded behind one button on a phone, a single row on an office screen; by
mouse, touch or keyboard; the PDF check linked for everyone; the icon served."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import sign_in
from tests.browser.test_accessibility import violations

pytestmark = pytest.mark.browser

MENU_LINKS = ["全体トップへ", "保証料計算書一覧", "保証証書PDFの確認"]


def header_height(page: Page) -> float:
    return page.locator("header").bounding_box()["height"]


def menu_button(page: Page):
    return page.get_by_role("button", name="メニュー")


@pytest.mark.parametrize("form_factor", ["phone"])
def test_on_a_phone_the_menu_folds_behind_one_button(
    page: Page, contractor_user, form_factor, screenshot_dir
):
    sign_in(page, contractor_user)
    # One row: the name, the help and the menu's button; the page starts right under it.
    assert header_height(page) < 70
    expect(page.get_by_role("link", name="保証申込のヘルプ")).to_be_visible()
    for name in MENU_LINKS:
        expect(page.get_by_role("link", name=name)).to_be_hidden()
    expect(page.get_by_role("button", name="ログアウト")).to_be_hidden()
    expect(menu_button(page)).to_have_attribute("aria-expanded", "false")

    menu_button(page).click()
    expect(menu_button(page)).to_have_attribute("aria-expanded", "true")
    for name in MENU_LINKS:
        expect(page.get_by_role("link", name=name)).to_be_visible()
    expect(page.get_by_role("button", name="ログアウト")).to_be_visible()
    expect(page.locator("header")).to_contain_text("〇〇建設 株式会社 様")
    assert violations(page) == [], "menu open"
    page.screenshot(path=screenshot_dir / "menu-open-phone.png")

    page.get_by_role("link", name="保証料計算書一覧").click()
    expect(page).to_have_url(re.compile(r"/fee-statements/$"))
    expect(menu_button(page)).to_have_attribute("aria-expanded", "false")

    menu_button(page).click()
    page.get_by_role("button", name="ログアウト").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))


@pytest.mark.parametrize("form_factor", ["phone"])
def test_the_menu_works_from_the_keyboard(page: Page, contractor_user, form_factor):
    sign_in(page, contractor_user)
    menu_button(page).focus()
    page.keyboard.press("Enter")
    expect(menu_button(page)).to_have_attribute("aria-expanded", "true")
    # Tab goes from the button into the menu, in the order it shows: the user's name (which
    # leads to アカウント設定) first.
    page.keyboard.press("Tab")
    expect(page.get_by_test_id("menu-account")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="全体トップへ")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="保証料計算書一覧")).to_be_focused()
    # Escape folds it and gives the focus back to its button.
    page.keyboard.press("Escape")
    expect(menu_button(page)).to_have_attribute("aria-expanded", "false")
    expect(page.get_by_role("link", name="保証料計算書一覧")).to_be_hidden()
    expect(menu_button(page)).to_be_focused()
    # Space opens it again; Enter on a link follows it.
    page.keyboard.press("Space")
    expect(menu_button(page)).to_have_attribute("aria-expanded", "true")
    page.get_by_role("link", name="保証証書PDFの確認").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("保証証書PDFの確認")


@pytest.mark.parametrize("form_factor", ["wide"])
def test_on_an_office_screen_the_whole_menu_is_one_row(
    page: Page, contractor_user, form_factor, screenshot_dir
):
    sign_in(page, contractor_user)
    expect(menu_button(page)).to_be_hidden()
    links = [*MENU_LINKS, "保証申込のヘルプ"]
    for name in links:
        expect(page.get_by_role("link", name=name)).to_be_visible()
    expect(page.get_by_role("button", name="ログアウト")).to_be_visible()
    expect(page.get_by_role("button", name="English")).to_be_visible()
    assert header_height(page) < 70
    # The page the user is on is marked in the menu.
    expect(page.get_by_role("link", name="全体トップへ")).to_have_attribute("aria-current", "page")
    page.screenshot(path=screenshot_dir / "menu-wide.png")
    page.get_by_role("link", name="保証申込のヘルプ").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("保証申込のヘルプ")


@pytest.mark.parametrize("form_factor", ["wide", "phone"])
def test_the_pdf_check_is_linked_for_the_signed_out(page: Page, live_server, form_factor):
    page.goto("/accounts/login/")
    page.get_by_test_id("verify-link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("保証証書PDFの確認")
    if form_factor == "phone":
        menu_button(page).click()
    page.get_by_role("link", name="保証証書PDFの確認").click()
    expect(page).to_have_url(re.compile(r"/verify/$"))
    # The page the user is on is marked in the menu.
    if form_factor == "phone":
        menu_button(page).click()
    expect(page.get_by_role("link", name="保証証書PDFの確認")).to_have_attribute(
        "aria-current", "page"
    )


def test_the_icon_is_served(page: Page, live_server):
    page.goto("/accounts/login/")
    response = page.request.get(f"{live_server.url}/favicon.ico")
    assert response.ok
    assert response.url.endswith("/static/favicon.ico")
    assert response.body()[:4] == b"\x00\x00\x01\x00"
    svg = page.request.get(f"{live_server.url}/static/favicon.svg")
    assert svg.ok and b"<svg" in svg.body()
